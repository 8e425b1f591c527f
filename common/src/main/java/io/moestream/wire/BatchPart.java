package io.moestream.wire;

/**
 * A record of topic {@code expert-outputs}: the routing manifest of a batch or an expert's rows
 * for it. Reassembly reads both from one topic so that a batch's parts arrive at one task.
 */
public sealed interface BatchPart permits RoutingManifest, ExpertRows {

    String batchId();

    /** Decodes either kind by the record type in its envelope. */
    static BatchPart fromBytes(byte[] bytes) {
        return RecordType.peek(bytes) == RecordType.ROUTING_MANIFEST
                ? RoutingManifest.fromBytes(bytes) : ExpertRows.fromBytes(bytes);
    }
}
