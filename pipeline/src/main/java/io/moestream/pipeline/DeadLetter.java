package io.moestream.pipeline;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.kafka.clients.producer.ProducerRecord;
import tools.jackson.databind.json.JsonMapper;

/**
 * A record that could not be processed, as it lands on {@code dead-letter}: JSON with the service
 * that refused it, where it came from, the reason, and the original record (as text when it is
 * UTF-8, as base64 otherwise), keyed like the original so it can be traced and replayed.
 */
public final class DeadLetter {

    private static final JsonMapper JSON = JsonMapper.builder().build();

    private DeadLetter() {
    }

    public static ProducerRecord<byte[], byte[]> record(Topics topics, String service, String sourceTopic, int partition,
                                                       long offset, byte[] key, byte[] value, String reason) {
        Map<String, Object> letter = new LinkedHashMap<>();
        letter.put("service", service);
        letter.put("sourceTopic", sourceTopic);
        letter.put("partition", partition);
        letter.put("offset", offset);
        letter.put("reason", reason);
        letter.put("key", key == null ? null : text(key));
        String text = value == null ? null : text(value);
        letter.put("originalEncoding", value == null || text != null ? "utf-8" : "base64");
        letter.put("original", text != null ? text : value == null ? null : Base64.getEncoder().encodeToString(value));
        return new ProducerRecord<>(topics.deadLetter(), key, JSON.writeValueAsBytes(letter));
    }

    /** The bytes as a string when they are valid UTF-8, else {@code null}. */
    private static String text(byte[] bytes) {
        try {
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(bytes)).toString();
        } catch (CharacterCodingException e) {
            return null;
        }
    }
}
