package org.pneumoscope.cli;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import picocli.CommandLine.Command;

import java.util.concurrent.Callable;

/** Checks that the offline PyTorch engine loads: the first thing to run on a hospital machine. */
@Command(name = "engine", mixinStandardHelpOptions = true, description = "Show the deep-learning engine, its version and device.")
public class EngineCommand implements Callable<Integer> {
    @Override
    public Integer call() {
        Engine e = Engine.getInstance();
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray a = m.ones(new ai.djl.ndarray.types.Shape(2, 2));
            float s = a.sum().getFloat();
            System.out.printf("engine=%s version=%s device=%s gpus=%d check=%.1f%n",
                    e.getEngineName(), e.getVersion(), e.defaultDevice(), e.getGpuCount(), s);
        }
        return 0;
    }
}
