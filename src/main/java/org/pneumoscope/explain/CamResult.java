package org.pneumoscope.explain;

/**
 * A Grad-CAM heatmap for one image.
 *
 * @param map           width×height values in [0,1], row-major, at the network's input size (1 = strongest evidence)
 * @param width         map width in pixels (the input image's)
 * @param height        map height in pixels
 * @param probabilities softmax over the classes, in {@link org.pneumoscope.core.Label} order
 * @param targetClass   the class whose evidence the map shows
 * @param features      the pooled features the head read (global average of the last feature map) when the map is of
 *                      that layer, else null: the server's shift alarm takes them from the Grad-CAM pass it already makes
 */
public record CamResult(float[] map, int width, int height, float[] probabilities, int targetClass, float[] features) {
    /** A heatmap without pooled features. */
    public CamResult(float[] map, int width, int height, float[] probabilities, int targetClass) {
        this(map, width, height, probabilities, targetClass, null);
    }

    public CamResult {
        if (width <= 0 || height <= 0 || map.length != width * height)
            throw new IllegalArgumentException("bad heatmap geometry " + width + "x" + height + " for " + map.length + " values");
        if (targetClass < 0 || targetClass >= probabilities.length)
            throw new IllegalArgumentException("target class " + targetClass + " outside 0.." + (probabilities.length - 1));
    }

    public float at(int x, int y) { return map[y * width + x]; }

    /** Share of the map's total mass inside the rectangle [x0,x1)×[y0,y1); 0 for an empty map. */
    public double massFraction(int x0, int y0, int x1, int y1) {
        double in = 0, all = 0;
        for (int y = 0; y < height; y++) {
            for (int x = 0; x < width; x++) {
                float v = map[y * width + x];
                all += v;
                if (x >= x0 && x < x1 && y >= y0 && y < y1) in += v;
            }
        }
        return all == 0 ? 0 : in / all;
    }
}
