package org.pneumoscope.report;

import java.util.ArrayList;
import java.util.List;

/**
 * The model card section of the report (after Mitchell et al., "Model Cards for Model Reporting", 2019):
 * what the model is, what it was trained on, what it is for and where it is known to fall short.
 */
public record ModelCard(String model, String data, String intendedUse, String notIntendedFor, List<String> limitations) {

    public ModelCard {
        limitations = List.copyOf(limitations);
    }

    public static final String INTENDED_USE = "Research on chest X-ray classification (bacterial pneumonia, viral "
            + "pneumonia, normal) and on explaining such classifiers with Grad-CAM, by clinical-AI researchers and "
            + "radiology teams, offline.";
    public static final String NOT_INTENDED_FOR = "Diagnosis, triage, screening or any decision about a patient. "
            + "Pneumoscope is not a medical device and has no regulatory clearance.";

    /** The limitations every Pneumoscope model shares; {@code phantomData} adds the phantom caveat in front. */
    public static List<String> standardLimitations(boolean phantomData) {
        List<String> l = new ArrayList<>();
        if (phantomData)
            l.add("Phantom data: this run used generated phantom X-rays, not patients. Its numbers show that the "
                    + "software works end to end; they say nothing about clinical performance.");
        l.add("Patient-independent test: training, validation and test sets are split by patient id, so no "
                + "patient contributes images to both training and evaluation. This relies on the patient ids "
                + "supplied with the data; an image-level split would overstate performance.");
        l.add("No external validation: the model has been evaluated only on images from the same source as its "
                + "training data. Performance on other hospitals, scanners, projections, age groups or disease "
                + "prevalences is unknown and is likely to be lower.");
        l.add("Label uncertainty: the bacterial/viral distinction on a radiograph is uncertain even for experts, "
                + "and the labels come from the data source, not from a confirmed reference standard per image.");
        l.add("Grad-CAM heatmaps show which regions influenced the score; they are not a localisation of disease "
                + "and can highlight text markers, devices or borders.");
        l.add("Confidence intervals capture sampling variation of this test set only (patient-level bootstrap), "
                + "not shifts between populations.");
        return l;
    }

    /** A card with the standard intended use and limitations. */
    public static ModelCard standard(String model, String data, boolean phantomData) {
        return new ModelCard(model, data, INTENDED_USE, NOT_INTENDED_FOR, standardLimitations(phantomData));
    }
}
