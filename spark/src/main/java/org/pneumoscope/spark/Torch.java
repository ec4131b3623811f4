package org.pneumoscope.spark;

/** PyTorch's intra-op threads in this JVM, shared by every task that runs in it. */
final class Torch {
    private Torch() {}

    /** Sets the count when it differs; a JVM without the engine's thread control keeps its own. */
    static synchronized void threads(int n) {
        if (n <= 0) return;
        try {
            if (ai.djl.pytorch.jni.JniUtils.getNumThreads() != n) ai.djl.pytorch.jni.JniUtils.setNumThreads(n);
        } catch (RuntimeException | LinkageError e) {
            // the engine decides
        }
    }
}
