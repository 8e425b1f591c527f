package io.moestream.local;

/**
 * The HTTP ports of the services of a local stack: fixed, so that a user and Prometheus find them,
 * or all 0 (each a free port) for tests.
 *
 * @param firstExpert the expert service of rank {@code r} listens on {@code firstExpert + r}
 */
public record ServicePorts(int gateway, int router, int firstExpert) {

    /** Gateway 8080, router 8081, expert services 8090 + rank. */
    public static final ServicePorts DEFAULT = new ServicePorts(8080, 8081, 8090);

    /** Every service on a free port. */
    public static final ServicePorts ANY = new ServicePorts(0, 0, 0);

    public int expert(int rank) {
        return firstExpert == 0 ? 0 : firstExpert + rank;
    }
}
