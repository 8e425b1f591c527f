package io.moestream.expert.service;

/** Why a consumed record went to the dead-letter topic; the tag of the dead-letter counter. */
enum Rejection {
    UNDECODABLE("undecodable"),
    HIDDEN_SIZE("hidden-size"),
    NOT_HOSTED("not-hosted"),
    WRONG_TOPIC("wrong-topic"),
    EMPTY("empty"),
    NON_FINITE("non-finite"),
    BAD_REPLY("bad-reply");

    private final String tag;

    Rejection(String tag) {
        this.tag = tag;
    }

    String tag() {
        return tag;
    }
}
