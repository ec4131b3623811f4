/**
 * The Java API: a trained Pneumoscope run inside another Java program.
 *
 * <ul>
 *   <li>{@link org.pneumoscope.api.Classifier}: loads a run folder (optionally a site profile made by {@code adapt})
 *       once; classifies and explains films from any number of threads.</li>
 *   <li>{@link org.pneumoscope.api.Film}: a decoded film a model can read, from a file, bytes, a
 *       {@link java.awt.image.BufferedImage} or grey pixels; unreadable and unusable films are refused with a typed
 *       {@link org.pneumoscope.core.DecodeException} whose kind says why.</li>
 *   <li>{@link org.pneumoscope.api.Prediction}: the predicted class and its calibrated probabilities.</li>
 *   <li>{@link org.pneumoscope.api.Explanation}: a prediction with its Grad-CAM heatmap, as an overlay or laid over
 *       the film at any size.</li>
 * </ul>
 *
 * <p>The command line's {@code predict}, {@code explain} and {@code adapt} and the server's {@code /api/predict} are
 * built on these types, so they answer and refuse alike. The API prints nothing, never exits the process and writes
 * nothing outside the user's cache folder, where the native PyTorch library is unpacked once.
 */
package org.pneumoscope.api;
