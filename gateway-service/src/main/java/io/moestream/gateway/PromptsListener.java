package io.moestream.gateway;

import java.nio.charset.StandardCharsets;
import java.util.function.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.Producer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Prompts from the {@code prompts} topic into the intake; refused ones to {@code dead-letter}. */
public final class PromptsListener implements Consumer<ConsumerRecord<byte[], byte[]>> {

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
    public void accept(ConsumerRecord<byte[], byte[]> record) {
        String keyId = record.key() == null ? null : new String(record.key(), StandardCharsets.UTF_8);
        try {
            intake.accept(record.value(), keyId);
        } catch (BadInputException e) {
            LOG.info("prompt at {}-{}@{} refused: {}", record.topic(), record.partition(), record.offset(),
                    e.getMessage());
            producer.send(deadLetters.of(record.topic(), record.partition(), record.offset(), record.key(),
                    record.value(), e.reasonClass(), e.getMessage()));
        }
    }
}
