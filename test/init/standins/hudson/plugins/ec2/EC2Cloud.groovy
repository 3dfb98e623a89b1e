package hudson.plugins.ec2

import hudson.model.Label
import hudson.slaves.NodeProvisioner
import java.util.concurrent.CompletableFuture
import software.amazon.awssdk.services.ec2.Ec2Client

/**
 * Stand-in of EC2Cloud: connect() (EC2Cloud.java 1464), getTemplate(description) (626), canProvision(label)
 * (true when a template serves it, 1375-1377) and provision(label, n), which here only records the launch
 * it was asked for and plans that many nodes (the real one launches in the background, 1089-1201).
 * getPossibleNewSlavesCount(template) (1014-1044, private) is min(cloud cap, template cap) minus the instances
 * counted in running, pending or stopping state (756-808; every instance of the map is the fleet's here),
 * from a count cached until invalidateInstanceCountCache() (1045-1049; the 30 s TTL of 173 is not modelled).
 */
class EC2Cloud {
    final Ec2Client ec2 = new Ec2Client()
    List<SlaveTemplate> templates = []
    Set<String> labels = [] as Set
    boolean noDelayProvisioning = true
    final List<Integer> launches = []
    int instanceCap = Integer.MAX_VALUE
    private Integer cachedCount = null

    Ec2Client connect() { ec2 }

    SlaveTemplate getTemplate(String description) { templates.find { it.description == description } }

    boolean canProvision(Label label) { labels.contains(label.name) }

    boolean isNoDelayProvisioning() { noDelayProvisioning }

    private int getPossibleNewSlavesCount(SlaveTemplate template) {
        if (cachedCount == null) {
            cachedCount = ec2.instances.values().count { it.stateName in ['running', 'pending', 'stopping'] }
        }
        return Math.min(instanceCap - cachedCount, template.instanceCap - cachedCount)
    }

    private void invalidateInstanceCountCache() {
        cachedCount = null
    }

    Collection<NodeProvisioner.PlannedNode> provision(Label label, int excessWorkload) {
        launches << excessWorkload
        (1..excessWorkload).collect { new NodeProvisioner.PlannedNode("new-${it}", new CompletableFuture(), 1) }
    }
}
