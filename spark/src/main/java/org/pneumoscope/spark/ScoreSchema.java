package org.pneumoscope.spark;

import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

/** The columns of the score table: one row per input file, scored or not, and which model said it. */
public final class ScoreSchema {
    private ScoreSchema() {}

    public static final String PATH = "path", SHA256 = "sha256", SIZE = "size", LABEL = "label", PATIENT = "patient_id",
            PREDICTED = "predicted_label", P_BACTERIA = "p_bacteria", P_VIRUS = "p_virus", P_NORMAL = "p_normal",
            LOGITS = "logits", FEATURES = "features", CALIBRATION = "calibration", TTA = "tta", MODEL = "model",
            MODEL_HASH = "model_hash", ERROR_KIND = "error_kind", ERROR = "error";

    /** The table's columns in order; error and error_kind are null exactly when the film was scored. */
    public static final StructType SCHEMA = new StructType(new StructField[]{
            field(PATH, DataTypes.StringType, false),
            field(SHA256, DataTypes.StringType, true),          // null when the file could not be read
            field(SIZE, DataTypes.LongType, true),              // bytes; null when the file was not found
            field(LABEL, DataTypes.StringType, true),           // the input's label (bacteria, virus, normal), if any
            field(PATIENT, DataTypes.StringType, true),
            field(PREDICTED, DataTypes.StringType, true),
            field(P_BACTERIA, DataTypes.FloatType, true),       // calibrated, as predict prints them
            field(P_VIRUS, DataTypes.FloatType, true),
            field(P_NORMAL, DataTypes.FloatType, true),
            field(LOGITS, DataTypes.createArrayType(DataTypes.FloatType, false), true),   // before calibration
            field(FEATURES, DataTypes.createArrayType(DataTypes.FloatType, false), true), // what the shift alarm reads
            field(CALIBRATION, DataTypes.StringType, true),
            field(TTA, DataTypes.BooleanType, true),
            field(MODEL, DataTypes.StringType, false),
            field(MODEL_HASH, DataTypes.StringType, false),
            field(ERROR_KIND, DataTypes.StringType, true),      // a DecodeException kind, DECODER_FAILURE or SKIPPED
            field(ERROR, DataTypes.StringType, true),
    });

    private static StructField field(String name, org.apache.spark.sql.types.DataType t, boolean nullable) {
        return DataTypes.createStructField(name, t, nullable);
    }

    public static String[] columns() {
        return SCHEMA.fieldNames();
    }
}
