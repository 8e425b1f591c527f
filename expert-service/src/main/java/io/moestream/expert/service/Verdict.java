package io.moestream.expert.service;

import io.moestream.wire.ExpertRows;

/** What {@link DispatchCheck} makes of one record: a dispatch to compute, or the reason it cannot be. */
sealed interface Verdict {

    record Accepted(ExpertRows dispatch) implements Verdict {
    }

    /** @param reason for people: what was wrong, with the values involved */
    record Refused(Rejection kind, String reason) implements Verdict {
    }
}
