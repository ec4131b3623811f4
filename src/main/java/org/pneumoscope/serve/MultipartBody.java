package org.pneumoscope.serve;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.HexFormat;

/**
 * A multipart/form-data body with one file field, for Java clients of {@code POST /api/predict}
 * (the benchmark and the tests use it with {@link java.net.http.HttpClient}).
 */
public record MultipartBody(String contentType, byte[] bytes) {

    public static MultipartBody file(String field, String filename, String type, byte[] content) {
        byte[] rnd = new byte[12];
        new SecureRandom().nextBytes(rnd);
        String boundary = "----pneumoscope" + HexFormat.of().formatHex(rnd);
        ByteArrayOutputStream out = new ByteArrayOutputStream(content.length + 512);
        String head = "--" + boundary + "\r\n"
                + "Content-Disposition: form-data; name=\"" + field + "\"; filename=\"" + filename + "\"\r\n"
                + "Content-Type: " + type + "\r\n\r\n";
        out.writeBytes(head.getBytes(StandardCharsets.UTF_8));
        out.writeBytes(content);
        out.writeBytes(("\r\n--" + boundary + "--\r\n").getBytes(StandardCharsets.UTF_8));
        return new MultipartBody("multipart/form-data; boundary=" + boundary, out.toByteArray());
    }

    /** The same body with the given image in the field named "image". */
    public static MultipartBody image(byte[] content) {
        return file("image", "upload", "application/octet-stream", content);
    }
}
