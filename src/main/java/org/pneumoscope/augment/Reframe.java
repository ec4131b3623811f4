package org.pneumoscope.augment;

import java.util.Random;

/**
 * Frames the film anew: a zoom drawn log-uniformly from [minZoom, maxZoom] about the centre (above 1 the chest fills
 * more of the frame, as a tighter collimation or crop shows it; below 1 it shrinks, black around it), the width and
 * height scaled apart by up to {@code aspectLimit} (a differently shaped original squashed to a square), and a shift
 * of up to {@code shiftLimit} of each side. Bilinear, black outside the frame.
 *
 * <p>Why: in the Kermany training films the normals are framed wide (neck, shoulders and abdomen in view) and the
 * pneumonia films tight, so a network learns "wide = normal". Framed 1.3 times tighter, the preset's held-out normals
 * are called pneumonia 73 times in 134 while its pneumonia recall holds: the failure seen on normals collected apart
 * from the training films. Drawing the framing anew for every class takes that cue away.
 *
 * <p>With a shape range ({@code minShape..maxShape}, 0..0 for none) the film is first stretched across or down to a
 * drawn {@link Anisotropy}, the same range for every class: the shapes of the originals differ by class too.
 */
public record Reframe(double minZoom, double maxZoom, double aspectLimit, double shiftLimit,
                      double minShape, double maxShape) implements Transform {
    /** The most a film's width against its height is changed to reach the drawn shape. */
    static final double SHAPE_LIMIT = 1.5;

    /** Zoom, aspect and shift drawn without regard to the film's own shape. */
    public Reframe(double minZoom, double maxZoom, double aspectLimit, double shiftLimit) {
        this(minZoom, maxZoom, aspectLimit, shiftLimit, 0, 0);
    }

    public Reframe {
        if (!(minShape == 0 && maxShape == 0) && !(minShape >= 0.5 && minShape <= maxShape && maxShape <= 4))
            throw new IllegalArgumentException("reframe needs 0.5 <= shape_min <= shape_max <= 4 (or no shape), got " + minShape + ".." + maxShape);
        if (!(minZoom >= 0.5 && minZoom <= maxZoom && maxZoom <= 3))
            throw new IllegalArgumentException("reframe needs 0.5 <= zoom_min <= zoom_max <= 3, got " + minZoom + ".." + maxZoom);
        if (!(aspectLimit >= 0 && aspectLimit < 1) || !(shiftLimit >= 0 && shiftLimit < 0.5))
            throw new IllegalArgumentException("reframe needs 0 <= aspect_limit < 1 and 0 <= shift_limit < 0.5");
    }

    @Override
    public FloatImage apply(FloatImage image, Random rng) {
        int w = image.width(), h = image.height();
        double zoom = Math.exp(Math.log(minZoom) + rng.nextDouble() * (Math.log(maxZoom) - Math.log(minZoom)));
        double aspect = Math.exp((rng.nextDouble() * 2 - 1) * Math.log1p(aspectLimit));
        double shape = shapeAspect(image, rng);
        double dx = (rng.nextDouble() * 2 - 1) * shiftLimit * w, dy = (rng.nextDouble() * 2 - 1) * shiftLimit * h;
        Trace.fired(() -> String.format("reframe x%.2f aspect %.2f shape %.2f (%+.0f,%+.0f)", zoom, aspect, shape, dx, dy));
        // the shape's change only ever stretches (widening crops the sides, narrowing crops top and bottom): shrinking
        // would leave black bars whose side, like the change, would follow the class
        double zx = zoom * Math.sqrt(aspect) * Math.max(1, shape), zy = zoom / Math.sqrt(aspect) * Math.max(1, 1 / shape);
        return frame(image, zx, zy, dx, dy);
    }

    /**
     * With a shape range: the aspect change that takes this film's {@link Anisotropy} to one drawn log-uniformly from
     * [minShape, maxShape], the same range for every class, so the chest's shape after the squash to a square says
     * nothing of the label. Without one, 1.
     */
    private double shapeAspect(FloatImage image, Random rng) {
        if (maxShape == 0) return 1;
        double target = Math.exp(Math.log(minShape) + rng.nextDouble() * (Math.log(maxShape) - Math.log(minShape)));
        return Anisotropy.aspectFor(Anisotropy.of(image), target, SHAPE_LIMIT);
    }

    /**
     * One framing, nothing drawn: {@code zoom} about the centre, the width scaled by sqrt(aspect) and the height by
     * 1/sqrt(aspect) on top (below 1 the chest looks narrower), then shifted by (dx, dy) pixels.
     */
    public static Transform fixed(double zoom, double aspect) {
        return (image, rng) -> frame(image, zoom * Math.sqrt(aspect), zoom / Math.sqrt(aspect), 0, 0);
    }

    /** The image magnified zx times across and zy times down about its centre, then shifted by (dx, dy) pixels. */
    private static FloatImage frame(FloatImage image, double zx, double zy, double dx, double dy) {
        int w = image.width(), h = image.height();
        // destination = zoom about the centre, then shift: x' = zx (x - cx) + cx + dx
        double[] m = {zx, 0, (1 - zx) * w / 2.0 + dx, 0, zy, (1 - zy) * h / 2.0 + dy};
        return ImageOps.warpAffine(image, ImageOps.invertAffine(m), ImageOps.Border.CONSTANT);
    }
}
