package io.moestream.routing;

import java.util.Arrays;

/** A growable list of candidate slots, each a (token, expert) pair, in the order they were added. */
final class SlotList {

    private int[] tokens;
    private int[] experts;
    private int size;

    SlotList(int initialCapacity) {
        tokens = new int[Math.max(4, initialCapacity)];
        experts = new int[tokens.length];
    }

    void add(int token, int expert) {
        if (size == tokens.length) {
            tokens = Arrays.copyOf(tokens, size * 2);
            experts = Arrays.copyOf(experts, size * 2);
        }
        tokens[size] = token;
        experts[size] = expert;
        size++;
    }

    int size() {
        return size;
    }

    int token(int i) {
        return tokens[i];
    }

    int expert(int i) {
        return experts[i];
    }
}
