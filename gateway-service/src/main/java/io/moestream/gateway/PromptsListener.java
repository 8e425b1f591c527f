package io.moestream.gateway;

import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.Producer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Prompts from the {@code layer-prompts} topic into the intake; refused ones to {@code dead-letter}. What it
 * returns for a record completes when the prompt's batches, or its dead letter, are acknowledged.
 */
public final class PromptsListener implements Function<ConsumerRecord<byte[], byte[]>, CompletionStage<?>> {

    private static final Logger LOG = LoggerFactory.getLogger(PromptsListener.class);

    private final PromptIntake intake;
    private final Producer<byte[], byte[]> producer;
    private final DeadLetters deadLetters;

    public PromptsListener(PromptIntake intake, Producer<byte[], byte[]> producer, DeadLetters deadLetters) {
        this.intake = intake;
        this.producer = producer;
        this.deadLetters = deadLetters;
    }

    @Override
    public CompletionStage<?> apply(ConsumerRecord<byte[], byte[]> record) {
        String keyId = record.key() == null ? null : new String(record.key(), StandardCharsets.UTF_8);
        try {
            return intake.accept(record.value(), keyId).sent();
        } catch (BadInputException e) {
            LOG.info("prompt at {}-{}@{} refused: {}", record.topic(), record.partition(), record.offset(),
                    e.getMessage());
            return AcknowledgedSends.send(producer, deadLetters.of(record.topic(), record.partition(),
                    record.offset(), record.key(), record.value(), e.reasonClass(), e.getMessage()));
        }
    }
}
