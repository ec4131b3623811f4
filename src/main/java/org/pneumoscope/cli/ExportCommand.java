package org.pneumoscope.cli;

import org.pneumoscope.core.UserException;
import org.pneumoscope.export.OnnxExport;
import org.pneumoscope.pipeline.TrainedModel;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;

/** Writes a finished run's network for other runtimes. */
@Command(name = "export", mixinStandardHelpOptions = true,
        description = {"Write a trained run's network as an ONNX model for other runtimes (ONNX Runtime from Python, "
                + "C++ or C#, Triton, DJL's OnnxRuntime engine). Input 'input': float32 (batch, channels, size, size), "
                + "the film after the run's input recipe; outputs 'logits' and 'probabilities' (calibrated, as predict "
                + "prints them without --tta). The recipe, the calibration, the classes and the model's provenance are in "
                + "the file's metadata and in OUT.json beside it.",
                "TorchScript is not offered: the network is made of DJL blocks, which PyTorch's tracer cannot see."})
public class ExportCommand implements Callable<Integer> {
    @Option(names = "--run", required = true, description = "A finished run folder.") Path run;
    @Option(names = "--format", defaultValue = "onnx", description = "onnx (the only format; default ${DEFAULT-VALUE}).")
    String format;
    @Option(names = "--out", required = true, paramLabel = "FILE", description = "The ONNX file to write (its sidecar: FILE.json).")
    Path out;
    @Option(names = "--profile", paramLabel = "NAME",
            description = "Export the run's site profile NAME (made by adapt) instead of its own weights.") String profile;
    @Option(names = "--force", description = "Replace FILE and FILE.json if they exist.") boolean force;

    @Override
    public Integer call() throws Exception {
        return run(System.out);
    }

    int run(PrintStream ps) throws Exception {
        if (!"onnx".equals(format.trim().toLowerCase(Locale.ROOT)))
            throw new UserException("--format must be onnx, not " + format, 2);
        Path side = OnnxExport.sidecarOf(out);
        for (Path p : new Path[] {out, side})
            if (!force && Files.exists(p))
                throw new UserException(p + " already exists; export never overwrites (choose another --out or add --force)", 2);
        if (Files.isDirectory(out)) throw new UserException("--out " + out + " is a folder; name the .onnx file to write", 2);
        try (TrainedModel model = TrainedModel.load(run, profile)) {
            OnnxExport.Result r = OnnxExport.write(model, out);
            ps.printf(Locale.ROOT, "wrote %s (%,d weights, %.1f MB, sha256 %s)%n", r.onnx(), r.weights(), r.bytes() / 1e6,
                    r.sha256().substring(0, 16));
            ps.printf(Locale.ROOT, "input recipe, calibration and provenance: %s (also in the file's metadata)%n", r.sidecar());
            if (model.recipe().detail() > 0)
                ps.printf(Locale.ROOT, "the input recipe softens every film to detail %.2f after the grey-scale mapping "
                        + "(\"detail\" in the recipe; data.Detail.soften): a program feeding the file must do the same%n",
                        model.recipe().detail());
        }
        return 0;
    }
}
