package io.moestream.chaos;

import java.util.ArrayList;
import java.util.List;

/**
 * One fault of the matrix: what is done, and to which process. Services are named as in
 * docker-compose.yml; {@link #CONTROLLER} is the Kafka node leading the controller quorum at the
 * moment of the fault, {@link #FOLLOWER} the other node that leads the most of the pipeline's partitions.
 */
record Fault(Action action, String target) {

    static final String CONTROLLER = "kafka:controller";
    static final String FOLLOWER = "kafka:follower";

    enum Action {
        /** kill -9, restarted after 1-3 s. */
        KILL("kill -9"),
        /** SIGTERM (a clean shutdown, as a rolling restart does it), restarted after 1-3 s. */
        TERM("SIGTERM"),
        /** SIGSTOP for longer than the session timeout, then SIGCONT: the process wakes up as a zombie. */
        STOP("SIGSTOP+CONT"),
        /** kill -9 and never restarted: an expert rank down for good. */
        KILL_FOR_GOOD("kill -9, no restart");

        private final String label;

        Action(String label) {
            this.label = label;
        }

        String label() {
            return label;
        }

        /** Whether the victim is back within the deadline, so that the goal of 99.5% ok applies. */
        boolean restarts() {
            return this == KILL || this == TERM;
        }
    }

    boolean broker() {
        return target.startsWith("kafka:");
    }

    String label() {
        return action.label() + " " + target;
    }

    /** The short form (CI): one kill -9 of each service type and of the active controller. */
    static List<Fault> shortMatrix(List<String> gateways, List<String> routers, List<String> experts) {
        return List.of(new Fault(Action.KILL, experts.get(experts.size() - 1)), new Fault(Action.KILL, routers.get(0)),
                new Fault(Action.KILL, gateways.get(0)), new Fault(Action.KILL, CONTROLLER));
    }

    /**
     * The full matrix: three kill -9 of each service type (the expert ranks in turn), a SIGTERM restart
     * of every service, three broker kills (the active controller twice), an expert stopped past its
     * session timeout, and last the highest expert rank killed for good.
     */
    static List<Fault> fullMatrix(List<String> gateways, List<String> routers, List<String> experts) {
        List<Fault> faults = new ArrayList<>();
        for (int round = 0; round < 3; round++) {
            faults.add(new Fault(Action.KILL, experts.get(round % experts.size())));
            faults.add(new Fault(Action.KILL, routers.get(round % routers.size())));
            faults.add(new Fault(Action.KILL, gateways.get(round % gateways.size())));
        }
        List<String> services = new ArrayList<>(gateways);
        services.addAll(routers);
        services.addAll(experts);
        services.forEach(s -> faults.add(new Fault(Action.TERM, s)));
        faults.add(new Fault(Action.KILL, CONTROLLER));
        faults.add(new Fault(Action.KILL, FOLLOWER));
        faults.add(new Fault(Action.KILL, CONTROLLER));
        String last = experts.get(experts.size() - 1);
        faults.add(new Fault(Action.STOP, last));
        faults.add(new Fault(Action.KILL_FOR_GOOD, last));
        return faults;
    }
}
