package io.moestream.wire;

import io.moestream.routing.SpecName;

/**
 * The envelope every internal record starts with: the magic bytes {@code 'M' 'S'}, the format
 * version, and the record type. A reader refuses other versions instead of misreading them.
 */
enum RecordType {
    TOKEN_BATCH,
    EXPERT_ROWS,
    ROUTING_MANIFEST;

    /** 2: expert rows carry their MoE layer. */
    static final int VERSION = 2;

    WireWriter start(int expectedBytes) {
        WireWriter out = new WireWriter(expectedBytes + 4);
        out.putByte('M');
        out.putByte('S');
        out.putByte(VERSION);
        out.putByte(ordinal());
        return out;
    }

    WireReader open(byte[] bytes) {
        String name = SpecName.of(this);
        if (bytes == null) {
            throw new WireFormatException(name + ": no bytes (a null record)");
        }
        WireReader in = new WireReader(bytes, name);
        if (bytes.length < 4 || in.getByte() != 'M' || in.getByte() != 'S') {
            throw new WireFormatException(name + ": not a moe-stream record (magic bytes 'MS' missing)");
        }
        int version = in.getByte();
        if (version != VERSION) {
            throw new WireFormatException(name + ": format version " + version + ", this build reads version " + VERSION);
        }
        int type = in.getByte();
        if (type != ordinal()) {
            throw new WireFormatException(name + ": the record is a "
                    + (type < values().length ? SpecName.of(values()[type]) : "type " + type));
        }
        return in;
    }

    /** The type in a record's envelope, so that a topic carrying two kinds can pick the decoder. */
    static RecordType peek(byte[] bytes) {
        if (bytes == null || bytes.length < 4 || bytes[0] != 'M' || bytes[1] != 'S') {
            throw new WireFormatException("not a moe-stream record (magic bytes 'MS' missing)");
        }
        int type = bytes[3] & 0xFF;
        if (type >= values().length) {
            throw new WireFormatException("unknown record type " + type);
        }
        return values()[type];
    }
}
