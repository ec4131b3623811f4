package org.pneumoscope.serve;

import com.fasterxml.jackson.databind.JsonNode;
import io.swagger.v3.oas.models.OpenAPI;
import io.swagger.v3.oas.models.Operation;
import io.swagger.v3.oas.models.PathItem;
import io.swagger.v3.oas.models.media.Schema;
import io.swagger.v3.parser.OpenAPIV3Parser;
import io.swagger.v3.parser.core.models.ParseOptions;
import io.swagger.v3.parser.core.models.SwaggerParseResult;
import org.junit.jupiter.api.Test;
import org.pneumoscope.pipeline.TrainedModel;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The OpenAPI document at /api/openapi.json is valid OpenAPI 3 (checked by swagger-parser), names every /api route
 * the server registers, and every operation it lists answers on a running server with a status it documents and a
 * JSON body whose fields (and enumerated values) its schema declares.
 */
class ServerOpenApiTest {

    @Test
    void theDocumentIsValidAndMatchesTheRunningServer() throws Exception {
        try (TrainedModel m = TrainedModel.load(ServeFixture.run());
             PneumoscopeServer s = PneumoscopeServer.start(
                     ServerConfig.builder(ServeFixture.run()).host("127.0.0.1").port(0).build(), m)) {
            HttpResponse<String> r = ServeFixture.get(s, "api/openapi.json");
            assertEquals(200, r.statusCode());
            assertTrue(r.headers().firstValue("Content-Type").orElse("").startsWith("application/json"));
            ParseOptions opt = new ParseOptions();
            opt.setResolve(true);
            SwaggerParseResult parsed = new OpenAPIV3Parser().readContents(r.body(), null, opt);
            assertTrue(parsed.getMessages() == null || parsed.getMessages().isEmpty(), "parser messages: " + parsed.getMessages());
            OpenAPI api = parsed.getOpenAPI();
            assertNotNull(api);
            assertTrue(api.getOpenapi().startsWith("3."), api.getOpenapi());

            Set<String> documented = new HashSet<>();
            api.getPaths().forEach((path, item) -> item.readOperationsMap().keySet()
                    .forEach(method -> documented.add(method.name() + " " + path)));
            List<String> registered = s.routes().stream().filter(x -> x.split(" ", 2)[1].startsWith("/api")).toList();
            assertTrue(registered.size() >= 4, "the server registers its API routes: " + s.routes());
            for (String route : registered) assertTrue(documented.contains(route), route + " is missing from the document");

            HttpClient c = ServeFixture.client();
            for (Map.Entry<String, PathItem> e : api.getPaths().entrySet())
                for (Map.Entry<PathItem.HttpMethod, Operation> op : e.getValue().readOperationsMap().entrySet())
                    answersAsDocumented(s, c, api, e.getKey(), op.getKey(), op.getValue());

            // an error answers with the documented Error shape
            HttpResponse<String> bad = ServeFixture.send(c, HttpRequest.newBuilder(URI.create(s.url() + "api/predict?cam=maybe"))
                    .timeout(Duration.ofSeconds(30)).header("Content-Type", MultipartBody.image(new byte[1]).contentType())
                    .POST(HttpRequest.BodyPublishers.ofByteArray(MultipartBody.image(new byte[1]).bytes())).build());
            assertEquals(400, bad.statusCode(), bad.body());
            Operation predict = api.getPaths().get("/api/predict").getPost();
            assertNotNull(predict.getResponses().get("400"), "400 is documented");
            fieldsMatch(api, schemaOf(predict, "400"), ServeFixture.json(bad), "400 answer");
            Set<String> params = new HashSet<>();
            predict.getParameters().forEach(p -> params.add(p.getName()));
            assertEquals(Set.of("cam", "tta", "image", "overlay", "format"), params, "the query parameters /api/predict reads");
        }
    }

    private static void answersAsDocumented(PneumoscopeServer s, HttpClient c, OpenAPI api, String path,
                                            PathItem.HttpMethod method, Operation op) throws Exception {
        HttpRequest req;
        if (method == PathItem.HttpMethod.POST) {
            assertTrue(op.getRequestBody().getContent().containsKey("multipart/form-data"));
            MultipartBody body = MultipartBody.image(ServeFixture.xrays(1).get(0));
            req = HttpRequest.newBuilder(URI.create(s.url() + path.substring(1) + "?cam=false")).timeout(Duration.ofSeconds(120))
                    .header("Content-Type", body.contentType()).POST(HttpRequest.BodyPublishers.ofByteArray(body.bytes())).build();
        } else {
            assertEquals(PathItem.HttpMethod.GET, method, "only GET and POST are served");
            req = HttpRequest.newBuilder(URI.create(s.url() + path.substring(1))).timeout(Duration.ofSeconds(30)).GET().build();
        }
        HttpResponse<String> r = ServeFixture.send(c, req);
        String what = method + " " + path;
        assertFalse(r.statusCode() == 404 || r.statusCode() == 405, what + " answered " + r.statusCode());
        String status = String.valueOf(r.statusCode());
        assertTrue(op.getResponses().containsKey(status), what + " answered " + status + ", which it does not document: " + r.body());
        fieldsMatch(api, schemaOf(op, status), ServeFixture.json(r), what);
    }

    private static Schema<?> schemaOf(Operation op, String status) {
        return op.getResponses().get(status).getContent().get("application/json").getSchema();
    }

    /** The answer has every required field, and no field the schema does not declare unless it allows more. */
    private static void fieldsMatch(OpenAPI api, Schema<?> given, JsonNode answer, String what) {
        String ref = given.get$ref();
        Schema<?> schema = ref == null ? given : api.getComponents().getSchemas().get(ref.substring(ref.lastIndexOf('/') + 1));
        assertTrue(answer.isObject(), what + " is a JSON object");
        if (schema.getRequired() != null)
            for (String f : schema.getRequired()) assertTrue(answer.has(f), what + " lacks required field " + f + ": " + answer);
        if (schema.getProperties() == null) return;
        schema.getProperties().forEach((name, p) -> {
            JsonNode v = answer.get(name);
            if (p.getEnum() != null && v != null && v.isValueNode())
                assertTrue(p.getEnum().stream().anyMatch(x -> String.valueOf(x).equals(v.asText())),
                        what + ": " + name + " = " + v + " is not one of " + p.getEnum());
        });
        if (Boolean.TRUE.equals(schema.getAdditionalProperties())) return;
        List<String> undeclared = new ArrayList<>();
        answer.fieldNames().forEachRemaining(f -> { if (!schema.getProperties().containsKey(f)) undeclared.add(f); });
        assertTrue(undeclared.isEmpty(), String.format(Locale.ROOT, "%s has fields the document does not declare: %s", what, undeclared));
    }
}
