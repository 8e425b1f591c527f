package io.moestream.wire;

import java.util.ArrayList;
import java.util.List;

/**
 * The tokens of one request inside a token batch: batch tokens {@code firstToken ..< firstToken +
 * tokenCount} are the request's tokens {@code requestOffset ..< requestOffset + tokenCount} of
 * {@code requestTokens}. A prompt longer than a step spans several batches; reassembly completes
 * the request when all of its tokens are back.
 */
public record RequestSpan(String requestId, int firstToken, int tokenCount, int requestOffset, int requestTokens) {

    public RequestSpan {
        if (firstToken < 0 || tokenCount < 1 || requestOffset < 0 || requestOffset + tokenCount > requestTokens) {
            throw new IllegalArgumentException("request " + requestId + ": span of " + tokenCount + " tokens at "
                    + firstToken + " (request tokens " + requestOffset + ".." + (requestOffset + tokenCount) + " of "
                    + requestTokens + ") is not valid");
        }
    }

    static void write(WireWriter out, List<RequestSpan> spans) {
        out.putInt(spans.size());
        for (RequestSpan span : spans) {
            out.putString(span.requestId);
            out.putInt(span.firstToken);
            out.putInt(span.tokenCount);
            out.putInt(span.requestOffset);
            out.putInt(span.requestTokens);
        }
    }

    static List<RequestSpan> read(WireReader in, int tokens) {
        int count = in.getInt();
        if (count < 0 || count > tokens) {
            throw in.error(count + " request spans for " + tokens + " tokens");
        }
        List<RequestSpan> spans = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            RequestSpan span;
            try {
                span = new RequestSpan(in.getString(), in.getInt(), in.getInt(), in.getInt(), in.getInt());
            } catch (IllegalArgumentException e) {
                throw in.error(e.getMessage());
            }
            if (span.firstToken + span.tokenCount > tokens) {
                throw in.error("request " + span.requestId + " spans tokens beyond the batch's " + tokens);
            }
            spans.add(span);
        }
        return List.copyOf(spans);
    }
}
