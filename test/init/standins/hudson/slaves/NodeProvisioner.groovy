package hudson.slaves

import hudson.model.Label
import hudson.model.LoadStatistics
import hudson.model.Node
import java.util.concurrent.Future

/** Stand-in of hudson.slaves.NodeProvisioner (NodeProvisioner.java at jenkins ff9430ee). */
class NodeProvisioner {
    /** NodeProvisioner.java 94-108: the constructor refuses a null name or future and fewer than 1 executor. */
    static class PlannedNode {
        final String displayName
        final Future<Node> future
        final int numExecutors

        PlannedNode(String displayName, Future<Node> future, int numExecutors) {
            if (displayName == null || future == null || numExecutors < 1) throw new IllegalArgumentException()
            this.displayName = displayName
            this.future = future
            this.numExecutors = numExecutors
        }
    }

    /** NodeProvisioner.java 346-361. */
    enum StrategyDecision { CONSULT_REMAINING_STRATEGIES, PROVISIONING_COMPLETED }

    /** NodeProvisioner.java 367-381. */
    abstract static class Strategy {
        abstract StrategyDecision apply(StrategyState state)
    }

    /**
     * NodeProvisioner.java 388-605. The real constructor is private to NodeProvisioner.update(); here the
     * test builds it. recordPendingLaunches adds the executors of a done future's node, or numExecutors of a
     * pending one (574-600).
     */
    static class StrategyState {
        final Label label
        final LoadStatistics.LoadStatisticsSnapshot snapshot
        final int plannedCapacitySnapshot
        int additionalPlannedCapacity
        final List<PlannedNode> pendingLaunches = []

        StrategyState(LoadStatistics.LoadStatisticsSnapshot snapshot, Label label, int plannedCapacitySnapshot) {
            this.snapshot = snapshot
            this.label = label
            this.plannedCapacitySnapshot = plannedCapacitySnapshot
        }

        void recordPendingLaunches(Collection<PlannedNode> plannedNodes) {
            for (PlannedNode f : plannedNodes) {
                if (f.future.isDone()) {
                    Node node = f.future.get()
                    if (node != null) additionalPlannedCapacity += node.numExecutors
                } else {
                    additionalPlannedCapacity += f.numExecutors
                }
            }
            pendingLaunches.addAll(plannedNodes)
        }
    }

    /** The strategy loop of NodeProvisioner.update() (NodeProvisioner.java 319-331). */
    static void consult(List<Strategy> strategies, StrategyState state) {
        for (Strategy strategy : strategies) {
            if (strategy.apply(state) == StrategyDecision.PROVISIONING_COMPLETED) break
        }
    }

    /** Core's StandardStrategyImpl (ordinal 0, NodeProvisioner.java 623-747): here it only records that it ran. */
    static class StandardStrategyImpl extends Strategy {
        int consulted = 0

        @Override
        StrategyDecision apply(StrategyState state) {
            consulted++
            return StrategyDecision.CONSULT_REMAINING_STRATEGIES
        }
    }
}
