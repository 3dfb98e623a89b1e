package hudson.plugins.ec2

import hudson.model.Label
import hudson.slaves.NodeProvisioner
import jenkins.model.Jenkins

/**
 * Stand-in of the plugin's strategy (NoDelayProvisionerStrategy.java 20-76, @Extension(ordinal = 100)): the
 * same capacity sum and the same decision; provision goes to the first EC2 cloud that can and has
 * noDelayProvisioning.
 */
class NoDelayProvisionerStrategy extends NodeProvisioner.Strategy {
    static final double ORDINAL = 100

    @Override
    NodeProvisioner.StrategyDecision apply(NodeProvisioner.StrategyState state) {
        Label label = state.label
        def snapshot = state.snapshot
        int availableCapacity = snapshot.availableExecutors + snapshot.connectingExecutors +
            state.plannedCapacitySnapshot + state.additionalPlannedCapacity
        int currentDemand = snapshot.queueLength
        if (availableCapacity < currentDemand) {
            for (Object cloud : Jenkins.get().clouds) {
                if (!(cloud instanceof EC2Cloud) || !cloud.canProvision(label) || !cloud.noDelayProvisioning) continue
                Collection<NodeProvisioner.PlannedNode> planned = cloud.provision(label, currentDemand - availableCapacity)
                state.recordPendingLaunches(planned)
                availableCapacity += planned.size()
                break
            }
        }
        return availableCapacity >= currentDemand ?
            NodeProvisioner.StrategyDecision.PROVISIONING_COMPLETED :
            NodeProvisioner.StrategyDecision.CONSULT_REMAINING_STRATEGIES
    }
}
