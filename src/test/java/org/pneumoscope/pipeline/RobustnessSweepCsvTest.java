package org.pneumoscope.pipeline;

import org.junit.jupiter.api.Test;
import org.pneumoscope.CsvRoundTripTest;
import org.pneumoscope.data.Csv;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/** robustness.csv reads back with any shift name (see {@link CsvRoundTripTest}). */
class RobustnessSweepCsvTest {
    @Test
    void everyShiftNameAndFigureReadsBack() {
        List<RobustnessSweep.Row> rows = new ArrayList<>();
        List<String> names = CsvRoundTripTest.AWKWARD_TEXT;
        for (int i = 0; i < names.size(); i++)
            rows.add(new RobustnessSweep.Row(names.get(i), 100 + i, 0.5 + i / 64.0, 0.25, new double[] {0.125, 0.5, 0.75}, 40, i, 1, 0.0625));
        List<Csv.Row> back = Csv.parse(RobustnessSweep.csv(rows));
        assertEquals(List.of("shift", "n", "accuracy", "accuracy_change"), back.get(0).fields().subList(0, 4));
        assertEquals(rows.size() + 1, back.size());
        for (int i = 0; i < rows.size(); i++) {
            Csv.Row r = back.get(i + 1);
            assertEquals(names.get(i), r.get(0));
            assertEquals(100 + i, Integer.parseInt(r.get(1)));
            assertEquals(rows.get(i).accuracy(), Double.parseDouble(r.get(2)), 1e-6);
            assertEquals(rows.get(i).accuracy() - rows.get(0).accuracy(), Double.parseDouble(r.get(3)), 1e-6);
            assertEquals(i, Integer.parseInt(r.get(8)), "normals_called_pneumonia");
        }
    }
}
