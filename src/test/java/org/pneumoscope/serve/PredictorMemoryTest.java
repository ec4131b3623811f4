package org.pneumoscope.serve;

import org.junit.jupiter.api.Test;
import org.pneumoscope.api.BatchPolicy;
import org.pneumoscope.api.BatchingClassifier;
import org.pneumoscope.api.Classifier;
import org.pneumoscope.pipeline.TrainedModel;

import java.lang.management.BufferPoolMXBean;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The server's scoring path: two workers predicting many uploads (with and without Grad-CAM and the
 * mirrored pass) add no direct buffer per request, which would wait for the GC to give its native memory back.
 */
class PredictorMemoryTest {
    static long directBuffers() {
        for (BufferPoolMXBean b : ManagementFactory.getPlatformMXBeans(BufferPoolMXBean.class))
            if (b.getName().equals("direct")) return b.getCount();
        return 0;
    }

    @Test
    void workersAddNoDirectBufferPerRequest() throws Exception {
        List<byte[]> uploads = ServeFixture.xrays(4);
        int workers = 2, perWorker = 16;
        try (TrainedModel model = TrainedModel.load(ServeFixture.run());
             BatchingClassifier batcher = Classifier.of(model).batching(BatchPolicy.defaults().withRunners(workers))) {
            Predictor predictor = new Predictor(batcher);
            ExecutorService pool = Executors.newFixedThreadPool(workers); // as the server's worker pool
            try {
                // warm-up on each worker: decoders, the JIT and each worker's first buffer belong to the baseline
                List<Future<?>> warm = new ArrayList<>();
                for (int w = 0; w < workers; w++)
                    warm.add(pool.submit(() -> predictor.predict(uploads.get(0), new Predictor.Options(true, true, true))));
                for (Future<?> f : warm) f.get();
                long before = directBuffers();
                List<Future<Predictor.Prediction>> jobs = new ArrayList<>();
                for (int i = 0; i < workers * perWorker; i++) {
                    Predictor.Options o = new Predictor.Options(i % 2 == 0, i % 3 == 0, false);
                    byte[] upload = uploads.get(i % uploads.size());
                    jobs.add(pool.submit(() -> predictor.predict(upload, o)));
                }
                for (Future<Predictor.Prediction> f : jobs) {
                    float[] p = f.get().probabilities();
                    assertEquals(1.0, p[0] + p[1] + p[2], 1e-4);
                }
                long after = directBuffers();
                // a GC meanwhile could only lower the count; before the fix it rose by 65 over these 32 requests
                assertTrue(after - before < workers + 5, "direct buffers: " + before + " -> " + after
                        + " over " + workers * perWorker + " requests");
            } finally {
                pool.shutdownNow();
            }
        }
    }
}
