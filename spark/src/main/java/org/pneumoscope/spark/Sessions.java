package org.pneumoscope.spark;

import org.apache.spark.sql.SparkSession;

/** Spark sessions for the job: embedded local mode by default, or the master spark-submit chose. */
public final class Sessions {
    private Sessions() {}

    /** The default master: spark-submit's when it started this JVM, else all of this machine's cores. */
    public static String defaultMaster() {
        return System.getProperty("spark.master", "local[*]");
    }

    /**
     * A session on {@code master}. Locally the web UI stays off (no port is opened on a laptop) and the few shuffles
     * (labels, resume) use as many partitions as there are task slots.
     */
    public static SparkSession open(String master) {
        return open(master, "pneumoscope score");
    }

    /** A session on {@code master} under the application name {@code app}. */
    public static SparkSession open(String master, String app) {
        SparkSession.Builder b = SparkSession.builder().appName(app).master(master);
        if (master.startsWith("local")) {
            int slots = slots(master);
            b = b.config("spark.ui.enabled", "false")
                    .config("spark.sql.shuffle.partitions", String.valueOf(Math.max(2, 2 * slots)))
                    .config("spark.driver.host", "127.0.0.1")
                    .config("spark.driver.bindAddress", "127.0.0.1");
        }
        return b.getOrCreate();
    }

    /** Task slots of a local master: local → 1, local[N] → N, local[*] → cores. */
    static int slots(String master) {
        int cores = Runtime.getRuntime().availableProcessors();
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("local(?:\\[(\\*|\\d+)(?:,\\d+)?])?").matcher(master);
        if (!m.matches() || m.group(1) == null) return 1;
        return m.group(1).equals("*") ? cores : Integer.parseInt(m.group(1));
    }
}
