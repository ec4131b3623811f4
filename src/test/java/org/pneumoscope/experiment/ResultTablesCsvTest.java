package org.pneumoscope.experiment;

import org.junit.jupiter.api.Test;
import org.pneumoscope.CsvRoundTripTest;
import org.pneumoscope.data.Csv;
import org.pneumoscope.data.SplitStrategy;
import org.pneumoscope.train.TrainConfig;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

/** results.csv and summary.csv read back with any cell name a spec may give (see {@link CsvRoundTripTest}). */
class ResultTablesCsvTest {
    @Test
    void resultsAndSummaryReadBackWithTheirCellNames() {
        List<String> names = CsvRoundTripTest.AWKWARD_TEXT;
        Map<Cell, List<UnitResult>> all = new LinkedHashMap<>();
        for (int i = 0; i < names.size(); i++) {
            double lr = 1e-4 * (i + 1);
            Cell c = new Cell(names.get(i), "", Map.of("lr", lr), TrainConfig.fromMap(Map.of("lr", lr)));
            all.put(c, List.of(ExperimentTest.fake(c.name(), 0, 0.5 + i / 100.0, 0.6), ExperimentTest.fake(c.name(), 1, 0.5, 0.6)));
        }
        List<String> keys = List.of("lr");

        List<Csv.Row> results = Csv.parse(ResultTables.resultsCsv(all, keys, SplitStrategy.PATIENT));
        List<String> header = results.get(0).fields();
        assertEquals(List.of("cell", "fold", "lr"), header.subList(0, 3));
        List<List<String>> expected = new ArrayList<>(), got = new ArrayList<>();
        for (Cell c : all.keySet())
            for (int fold = 0; fold < 2; fold++) expected.add(List.of(c.name(), Integer.toString(fold), c.value("lr")));
        for (Csv.Row r : results.subList(1, results.size())) {
            assertEquals(header.size(), r.fields().size(), r.toString());
            got.add(r.fields().subList(0, 3));
        }
        assertEquals(expected, got);

        List<Csv.Row> summary = Csv.parse(ResultTables.summaryCsv(all, keys, SplitStrategy.PATIENT));
        assertEquals(List.of("cell", "folds", "lr"), summary.get(0).fields().subList(0, 3));
        assertEquals(names, summary.subList(1, summary.size()).stream().map(r -> r.get(0)).toList());
        for (Csv.Row r : summary.subList(1, summary.size())) assertEquals("2", r.get(1));
    }
}
