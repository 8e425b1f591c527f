package io.moestream.routing;

/** The priority of a slot when a capacity group keeps its best: higher is better. */
@FunctionalInterface
interface SlotKey {

    double of(int token, int expert);
}
