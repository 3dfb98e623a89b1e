/*
 * Reuse a stopped worker before a new one is launched, whatever its zone (docs/capacity.md, "Stopped
 * workers"). Jenkins runs this once at start: jenkins-start.sh sets jenkins.util.groovy.GroovyHookScript.ROOT_PATH
 * to the active release, whose init.groovy.d/ is this directory of the bundle.
 *
 * Why a strategy: the EC2 plugin restarts a stopped worker only when it sits in the subnet its launch call
 * chose (SlaveTemplate.java 2247, 2395-2413 at ec2 2059.v05f9d511d7e5), so with two zones about half the
 * restarts launch a new instance. This strategy runs before the plugin's NoDelayProvisionerStrategy and
 * starts offline stopped workers of the queued label in any subnet; what it starts counts as planned
 * capacity, so the plugin launches only the rest of the demand.
 *
 * Why it replaces NoDelayProvisionerStrategy in the list instead of being added beside it: an added
 * instance gets ordinal 0 (ExtensionList.java 272-280, ExtensionComponent.java 56-58), the plugin's has 100
 * (NoDelayProvisionerStrategy.java 20) and sorts first (ExtensionComponent.java 89-93), and a strategy that
 * answers PROVISIONING_COMPLETED stops the later ones (NodeProvisioner.java 320-330). So this one takes the
 * plugin's place and consults it after its own step.
 */
import hudson.ExtensionList
import hudson.model.Computer
import hudson.model.Label
import hudson.model.Node
import hudson.plugins.ec2.EC2AbstractSlave
import hudson.plugins.ec2.EC2Cloud
import hudson.plugins.ec2.EC2Computer
import hudson.plugins.ec2.NoDelayProvisionerStrategy
import hudson.plugins.ec2.SlaveTemplate
import hudson.slaves.NodeProvisioner
import java.util.concurrent.CompletableFuture
import java.util.logging.Logger
import jenkins.model.Jenkins
import software.amazon.awssdk.services.ec2.model.Instance
import software.amazon.awssdk.services.ec2.model.StartInstancesRequest

/** Starts stopped workers of a queued label, then hands over to the plugin's strategy. */
class StoppedWorkerFirstStrategy extends NodeProvisioner.Strategy {
    static final Logger LOGGER = Logger.getLogger('jenkins-gpu.StoppedWorkerFirstStrategy')

    /** The plugin's NoDelayProvisionerStrategy, consulted after this one in the same round. */
    final NodeProvisioner.Strategy next

    /** Per label, the shortfall last logged as "none reusable": a build waiting at the cap logs it once. */
    private final Map<String, Integer> loggedNone = [:]

    StoppedWorkerFirstStrategy(NodeProvisioner.Strategy next) {
        this.next = next
    }

    @Override
    NodeProvisioner.StrategyDecision apply(NodeProvisioner.StrategyState state) {
        try {
            reuseStopped(state)
        } catch (Exception e) { // groovylint-disable-line CatchException
            // A failure here must not stop provisioning: the plugin then launches as it would without us.
            LOGGER.warning("reuse-stopped-workers: label ${state.label}: skipped (${e})")
        }
        return next.apply(state)
    }

    /** The same capacity sum as NoDelayProvisionerStrategy.java 31-36: what the demand still lacks. */
    static int shortfall(NodeProvisioner.StrategyState state) {
        def snapshot = state.snapshot
        int capacity = snapshot.availableExecutors + snapshot.connectingExecutors +
            state.plannedCapacitySnapshot + state.additionalPlannedCapacity
        return snapshot.queueLength - capacity
    }

    private void reuseStopped(NodeProvisioner.StrategyState state) {
        Label label = state.label
        int missing = shortfall(state)
        if (label == null || missing <= 0) {
            return
        }
        List<NodeProvisioner.PlannedNode> started = []
        int executors = 0
        for (EC2AbstractSlave node : candidates(label)) {
            if (executors >= missing) {
                break
            }
            if (startQuietly(node, label)) {
                // Done at once with the node itself: recordPendingLaunches counts its executors now
                // (NodeProvisioner.java 574-590), and the next round's addNode of the same node object changes
                // nothing (Nodes.java 184-187); from then on its computer counts as connecting.
                started << new NodeProvisioner.PlannedNode(node.nodeName,
                    CompletableFuture.completedFuture((Node) node), node.numExecutors)
                executors += node.numExecutors
            }
        }
        if (started) {
            state.recordPendingLaunches(started)
            loggedNone.remove(label.toString())
        } else if (loggedNone.put(label.toString(), missing) != missing) {
            LOGGER.info("reuse-stopped-workers: label ${label}: no reusable stopped worker, " +
                "the plugin provisions ${missing}")
        }
    }

    /** Offline, idle, not connecting workers of stop-on-idle templates that serve the label, any subnet. */
    static List<EC2AbstractSlave> candidates(Label label) {
        List<EC2AbstractSlave> found = []
        for (Node node : Jenkins.get().nodes) {
            // groovylint-disable-next-line Instanceof
            if (!(node instanceof EC2AbstractSlave) || !((EC2AbstractSlave) node).stopOnTerminate) {
                continue
            }
            Computer computer = node.toComputer()
            // A temporarily offline worker was taken out by a person: leave it alone.
            if (computer == null || !computer.offline || computer.connecting || computer.temporarilyOffline ||
                !computer.idle || !label.matches(node)) {
                continue
            }
            found << (EC2AbstractSlave) node
        }
        return found.sort { it.nodeName }
    }

    /** One worker that cannot be started (an EC2 error, a node being removed) must not hide the others. */
    private static boolean startQuietly(EC2AbstractSlave node, Label label) {
        try {
            return start(node, label)
        } catch (Exception e) { // groovylint-disable-line CatchException
            LOGGER.warning("reuse-stopped-workers: label ${label}: ${node.nodeName} not reused: ${e}")
            return false
        }
    }

    /**
     * Starts the worker's instance and connects its agent. Connecting alone would not start it: the SSH launcher
     * only waits for an address (EC2SSHLauncher.java 341-366, 453-466) and StartInstances is sent only by the
     * launch call (SlaveTemplate.java 2464-2484).
     */
    private static boolean start(EC2AbstractSlave node, Label label) {
        EC2Computer computer = (EC2Computer) node.toComputer()
        SlaveTemplate template = computer.slaveTemplate
        Instance instance = computer.updateInstanceDescription()
        String why = refusal(template, instance)
        if (why != null) {
            LOGGER.info("reuse-stopped-workers: label ${label}: ${node.nodeName} not reused: ${why}")
            return false
        }
        int headroom = capHeadroom(node.cloud, template)
        if (headroom <= 0) {
            LOGGER.info("reuse-stopped-workers: label ${label}: ${node.nodeName} not reused: the cloud or " +
                "template instance cap is reached (headroom ${headroom})")
            return false
        }
        node.cloud.connect().startInstances(StartInstancesRequest.builder().instanceIds(node.instanceId).build())
        // The next count must see this instance (pending): the plugin caches its counts for 30 s
        // (EC2Cloud.java 173, 1018-1027) and drops the cache after its own launches (1179).
        node.cloud.invalidateInstanceCountCache()
        computer.connect(false)
        LOGGER.info("reuse-stopped-workers: label ${label}: started stopped worker ${node.instanceId} " +
            "(${instance.placement()?.availabilityZone()}) instead of a launch")
        return true
    }

    /**
     * How many more instances the caps allow, counted as the plugin counts before its own restart of a stopped
     * worker (EC2Cloud.java 1014-1044, called under its lock at 1059): min(cloud cap, template cap) minus the
     * fleet's running, pending and stopping instances in EC2 (756-808). A stopped instance does not count, so a
     * start can pass the cap unless it is checked here. Both methods are private in the plugin; Groovy calls
     * them through the meta-class. A plugin release without them throws, and the round then provisions as the
     * plugin alone would (startQuietly's catch).
     */
    static int capHeadroom(EC2Cloud cloud, SlaveTemplate template) {
        return cloud.getPossibleNewSlavesCount(template)
    }

    /**
     * Why a worker must not be restarted, or null: the checks the plugin's own lookup makes
     * (SlaveTemplate.java 2292-2298, 2500-2529). `type` holds the SDK value, e.g. g4dn.xlarge (370-371).
     */
    static String refusal(SlaveTemplate template, Instance instance) {
        if (template == null || !template.stopOnTerminate) {
            return 'its template is gone or no longer stops idle workers'
        }
        if (instance.state().nameAsString() != 'stopped') {
            return "instance is ${instance.state().nameAsString()}, not stopped"
        }
        if (template.ami && instance.imageId() != template.ami) {
            return "AMI ${instance.imageId()} is not the template's ${template.ami}"
        }
        if (instance.instanceTypeAsString() != template.type) {
            return "type ${instance.instanceTypeAsString()} is not the template's ${template.type}"
        }
        return null
    }
}

/** Puts the strategy in the plugin's place; running this twice changes nothing. */
static String register(Jenkins jenkins) {
    ExtensionList<NodeProvisioner.Strategy> strategies = jenkins.getExtensionList(NodeProvisioner.Strategy)
    // By name: a second run of this script defines a new class of the same name.
    if (strategies.any { it.class.name == StoppedWorkerFirstStrategy.name }) {
        return 'already registered'
    }
    NodeProvisioner.Strategy plugin = strategies.get(NoDelayProvisionerStrategy)
    if (plugin == null) {
        return 'not registered: the EC2 plugin has no NoDelayProvisionerStrategy'
    }
    strategies.remove(plugin)
    strategies.add(new StoppedWorkerFirstStrategy(plugin))
    List<String> order = strategies.collect { it.class.name }
    return "registered before ${order.drop(1).join(', ')}" +
        (order[0] == StoppedWorkerFirstStrategy.name ? '' : " (WARNING: not first: ${order})")
}

String outcome = register(Jenkins.get())
Logger.getLogger('jenkins-gpu.StoppedWorkerFirstStrategy').info("reuse-stopped-workers: ${outcome}")
outcome
