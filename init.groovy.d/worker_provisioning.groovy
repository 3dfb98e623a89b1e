/*
 * How the controller gets its GPU workers (docs/capacity.md, §2). On each provisioner tick, for a queued
 * label: first restart a stopped worker of the label, whatever its zone; then, when the template the EC2
 * plugin would launch has failed for capacity in every zone, launch the label's next template (a fallback
 * instance type); then let the plugin launch the rest. Jenkins runs this once at start: jenkins-start.sh sets
 * jenkins.util.groovy.GroovyHookScript.ROOT_PATH to the active release, whose init.groovy.d/ is this
 * directory of the bundle.
 *
 * Why stopped workers first: the EC2 plugin restarts a stopped worker only when it sits in the subnet its
 * launch call chose (SlaveTemplate.java 2247, 2395-2413 at ec2 2059.v05f9d511d7e5), so with two zones about
 * half the restarts launch a new instance.
 *
 * Why failover here: the plugin moves to a label's next template only past one at its cap (EC2Cloud.java
 * 1102-1116). A launch that fails for capacity is logged and its planned node ends empty (1129-1174), and the
 * next tick tries the same template again, in its next subnet. That log line is the only place the failure
 * shows, so CapacityFailures listens to the plugin's logger.
 *
 * What either step starts counts as planned capacity, so the plugin launches only what is still missing.
 *
 * Why the strategy replaces NoDelayProvisionerStrategy in the list instead of being added beside it: an added
 * instance gets ordinal 0 (ExtensionList.java 272-280, ExtensionComponent.java 56-58), the plugin's has 100
 * (NoDelayProvisionerStrategy.java 20) and sorts first (ExtensionComponent.java 89-93), and a strategy that
 * answers PROVISIONING_COMPLETED stops the later ones (NodeProvisioner.java 320-330). So this one takes the
 * plugin's place and consults it after its own steps.
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
import java.util.concurrent.ConcurrentHashMap
import java.util.concurrent.locks.Lock
import java.util.function.Function
import java.util.function.Supplier
import java.util.logging.Handler
import java.util.logging.Level
import java.util.logging.LogRecord
import java.util.logging.Logger
import java.util.regex.Matcher
import java.util.regex.Pattern
import jenkins.model.Jenkins
import software.amazon.awssdk.awscore.exception.AwsServiceException
import software.amazon.awssdk.services.ec2.model.Instance
import software.amazon.awssdk.services.ec2.model.StartInstancesRequest

/**
 * Which templates failed to launch for capacity, where and when, read from the EC2 plugin's log. The plugin
 * logs a failed launch at WARNING as `template + ". Exception during provisioning"` with the SDK's exception
 * (EC2Cloud.java 1158 and 1171 in provision(label, n); 1345 in provision(template, n)), and a template prints
 * as SlaveTemplate{description='…', labels='…'} (SlaveTemplate.java 2042-2044). The subnet that failed is the
 * template's currentSubnetId, which the launch's chooseSubnetId has just set (SlaveTemplate.java 1717-1729,
 * 2240). Records are kept per template description and type (the rule description-unique keeps descriptions
 * unique), so a template whose type an operator changes starts afresh.
 */
class CapacityFailures extends Handler {
    /**
     * RunInstances errors that mean "not in this zone now" or "not under this quota": EC2 API Reference, "Error
     * codes for the Amazon EC2 API" (InsufficientInstanceCapacity, InstanceLimitExceeded, VcpuLimitExceeded);
     * Unsupported is what EC2 answers for a type the zone does not offer (AWS re:Post knowledge center,
     * "ec2-instance-type-not-supported-az-error"). Any other error (permissions, a bad AMI) is no reason to
     * change the type.
     */
    static final Set<String> CODES = ['InsufficientInstanceCapacity', 'InstanceLimitExceeded', 'VcpuLimitExceeded',
        'Unsupported'] as Set

    /** A subnet counts as short for this long after its last capacity failure; then the template is tried again. */
    static final long HOLD_MILLIS = 10L * 60 * 1000

    /** The plugin's logger (EC2Cloud.java 154). Held here so the logger keeps its handler. */
    static final Logger SOURCE = Logger.getLogger('hudson.plugins.ec2.EC2Cloud')

    private static final Pattern FAILED =
        ~/^SlaveTemplate\{description='(.*?)', labels='.*'\}\. Exception during provisioning$/

    /** The plugin's subnet delimiters (SlaveTemplate.java 151). */
    private static final String DELIMITERS = /[\s,;]+/

    /** Template (description and type) → subnet ('' when it names none) → when it last failed for capacity. */
    private final Map<String, Map<String, Long>> failedAt = new ConcurrentHashMap<>()
    /** Template (description and type) → the error code of its last failure, for the log. */
    private final Map<String, String> lastCode = new ConcurrentHashMap<>()

    /** Milliseconds now; a test sets its own clock. */
    Closure<Long> clock = { System.currentTimeMillis() }

    @Override
    void publish(LogRecord record) {
        try {
            String code = capacityCode(record?.thrown)
            Matcher failed = FAILED.matcher(record?.message ?: '')
            if (code != null && record.level == Level.WARNING && failed.matches()) {
                SlaveTemplate template = templateNamed(failed.group(1))
                if (template != null) {
                    recordFailure(template, template.currentSubnetId, code)
                }
            }
        } catch (Exception ignored) { // groovylint-disable-line CatchException
            // A handler must never throw into the plugin's logging.
        }
    }

    @Override
    void flush() { }

    // Handler.close is abstract: a Handler is not a Closeable.
    @Override
    void close() { } // groovylint-disable-line CloseWithoutCloseable

    /** The error's code when it is a capacity or quota failure, else null. */
    static String capacityCode(Throwable e) {
        String code = errorCode(e)
        return code in CODES ? code : null
    }

    /** EC2's error code of an SDK service error, else the exception's class name. */
    static String errorCode(Throwable e) {
        // groovylint-disable-next-line Instanceof
        return e instanceof AwsServiceException ? ((AwsServiceException) e).awsErrorDetails()?.errorCode() :
            e?.class?.simpleName
    }

    /**
     * A failure in one subnet. The subnet is the template's currentSubnetId when the failure is seen: the plugin
     * logs after releasing its count lock, so a launch of the same template on another thread may have moved
     * it on in between (it first fetches the image and key pair, so the window is narrow).
     */
    void recordFailure(SlaveTemplate template, String subnet, String code) {
        failedAt.computeIfAbsent(keyOf(template)) { new ConcurrentHashMap<String, Long>() }.put(subnet ?: '', clock())
        lastCode.put(keyOf(template), code)
    }

    /** A failure that another zone would not fix (a refused parameter, say): the template is short everywhere. */
    void recordUnusable(SlaveTemplate template, String why) {
        subnetsOf(template).each { String subnet -> recordFailure(template, subnet, why) }
    }

    /** True when every subnet of the template failed within HOLD_MILLIS. */
    boolean isShort(SlaveTemplate template) {
        Map<String, Long> bySubnet = failedAt[keyOf(template)]
        if (!bySubnet) {
            return false
        }
        long now = clock()
        return subnetsOf(template).every { String subnet ->
            Long at = bySubnet[subnet]
            at != null && now - at < HOLD_MILLIS
        }
    }

    String lastCodeOf(SlaveTemplate template) {
        return lastCode[keyOf(template)]
    }

    private static String keyOf(SlaveTemplate template) {
        return "${template.description} ${template.type}"
    }

    static List<String> subnetsOf(SlaveTemplate template) {
        String ids = template.subnetId?.trim()
        return ids ? (ids.split(DELIMITERS) as List<String>) : ['']
    }

    private static SlaveTemplate templateNamed(String description) {
        for (Object cloud : Jenkins.get().clouds) {
            // groovylint-disable-next-line Instanceof
            SlaveTemplate template = cloud instanceof EC2Cloud ? ((EC2Cloud) cloud).getTemplate(description) : null
            if (template != null) {
                return template
            }
        }
        return null
    }
}

/** Restarts stopped workers of a queued label, fails over from a template short of capacity, then hands over. */
class WorkerProvisioningStrategy extends NodeProvisioner.Strategy {
    static final Logger LOGGER = Logger.getLogger('jenkins-gpu.WorkerProvisioningStrategy')

    /** The plugin's NoDelayProvisionerStrategy, consulted after this one in the same round. */
    final NodeProvisioner.Strategy next

    /** What the plugin's log said about launches that failed for capacity. */
    final CapacityFailures failures

    /**
     * Per label, the shortfall last logged as "none reusable": a build waiting at the cap logs it once.
     * Concurrent: each label's provisioner may run its round on its own thread.
     */
    private final Map<String, Integer> loggedNone = new ConcurrentHashMap<>()

    /** Labels last logged as "every template short": logged once while it lasts. */
    private final Set<String> loggedShort = ConcurrentHashMap.newKeySet()

    WorkerProvisioningStrategy(NodeProvisioner.Strategy next, CapacityFailures failures) {
        this.next = next
        this.failures = failures
    }

    @Override
    NodeProvisioner.StrategyDecision apply(NodeProvisioner.StrategyState state) {
        try {
            reuseStopped(state)
        } catch (Exception e) { // groovylint-disable-line CatchException
            // A failure here must not stop provisioning: the plugin then launches as it would without us.
            LOGGER.warning("reuse-stopped-workers: label ${state.label}: skipped (${e})")
        }
        try {
            failOver(state)
        } catch (Exception e) { // groovylint-disable-line CatchException
            LOGGER.warning("capacity-failover: label ${state.label}: skipped (${e})")
        }
        return next.apply(state)
    }

    /**
     * When the template the plugin would launch for the label (the first with room under the caps,
     * EC2Cloud.java 1102-1116) is short of capacity in every subnet, launch the label's next template that is
     * not short and has room, for what the demand still lacks. Nothing else changes: a template not short,
     * or no other template with room, leaves the launch to the plugin, which retries zone by zone.
     */
    private void failOver(NodeProvisioner.StrategyState state) {
        Label label = state.label
        int missing = shortfall(state)
        EC2Cloud cloud = label == null || missing <= 0 ? null : cloudFor(label)
        if (cloud == null) {
            return
        }
        List<SlaveTemplate> templates = cloud.getTemplates(label) as List<SlaveTemplate>
        SlaveTemplate first = templates.find { capHeadroom(cloud, it) > 0 }
        if (first == null || !failures.isShort(first)) {
            loggedShort.remove(label.toString())
            return
        }
        SlaveTemplate fallback = null
        int room = 0
        for (SlaveTemplate t : templates) {
            room = t == first || failures.isShort(t) ? 0 : capHeadroom(cloud, t)
            if (room > 0) {
                fallback = t
                break
            }
        }
        if (fallback == null) {
            if (loggedShort.add(label.toString())) {
                LOGGER.info("capacity-failover: label ${label}: '${first.description}' is short of capacity in " +
                    "every zone (${failures.lastCodeOf(first)}) and no other template of the label has both room " +
                    'and capacity: the plugin keeps trying it, one zone per tick')
            }
            return
        }
        loggedShort.remove(label.toString())
        state.recordPendingLaunches(launch(cloud, fallback, Math.min(Math.max(missing.intdiv(fallback.numExecutors), 1),
            room), "label ${label}: '${first.description}' (${first.type}) is short of capacity in every zone " +
            "(${failures.lastCodeOf(first)})"))
    }

    /** The cloud the plugin's strategy asks: the first EC2 cloud that serves the label without delay. */
    static EC2Cloud cloudFor(Label label) {
        // groovylint-disable-next-line Instanceof
        return (EC2Cloud) Jenkins.get().clouds.find { it instanceof EC2Cloud && it.canProvision(label) &&
            it.noDelayProvisioning }
    }

    /**
     * Launches `number` nodes of `template` in the background as the plugin does (EC2Cloud.java 1108-1198): as
     * many as the plugin would ask for (excess workload / executors, at least 1, at most what the caps allow),
     * each a planned node at once, each done when its instance runs and its agent connects.
     */
    private List<NodeProvisioner.PlannedNode> launch(EC2Cloud cloud, SlaveTemplate template, int number, String why) {
        int perNode = template.numExecutors
        LOGGER.info("capacity-failover: ${why}: launching ${number} of '${template.description}' " +
            "(${template.type}) instead")
        CompletableFuture<List<EC2AbstractSlave>> launched = CompletableFuture.supplyAsync(
            { launchQuietly(cloud, template, number, why) } as Supplier<List<EC2AbstractSlave>>,
            Computer.threadPoolForRemoting)
        return (0..<number).collect { int index ->
            CompletableFuture<Node> node = launched.thenCompose({ List<EC2AbstractSlave> slaves ->
                EC2AbstractSlave slave = slaves != null && index < slaves.size() ? slaves[index] : null
                slave == null ? CompletableFuture.completedFuture((Node) null) :
                    cloud.waitForRunningAndConnectAsync(template, slave)
            } as Function)
            new NodeProvisioner.PlannedNode(template.displayName, node, perNode)
        }
    }

    /**
     * The plugin's own launch call: under its count lock it checks the caps, restarts a stopped worker of the
     * chosen subnet or launches (EC2Cloud.java 1055-1087). This holds that lock (slaveCountingLock, 170, a
     * ReentrantLock) across a fresh count, the launch and dropping the count again, so a launch of the plugin's
     * own, which counts under the same lock from the same cache (1132-1136, 1014-1027), sees this one and
     * neither passes a cap on a stale count. The lock, the launch call and waitForRunningAndConnectAsync
     * (1216-1293) are private; Groovy reaches them through the meta-class of EC2Cloud itself (not of a subclass),
     * and a plugin release without them fails here with a logged line.
     */
    private List<EC2AbstractSlave> launchQuietly(EC2Cloud cloud, SlaveTemplate template, int number, String why) {
        Lock lock = null
        try {
            lock = cloud.@slaveCountingLock
            lock.lock()
            cloud.invalidateInstanceCountCache()
            // null: the caps left no room after all (EC2Cloud.java 1060-1063); empty: EC2 launched nothing.
            List<EC2AbstractSlave> slaves = cloud.getNewOrExistingAvailableSlave(template, number, false)
            cloud.invalidateInstanceCountCache()
            if (slaves != null && slaves.isEmpty()) {
                failures.recordUnusable(template, 'no instance launched')
            }
            return slaves ?: []
        } catch (Exception e) { // groovylint-disable-line CatchException
            String code = CapacityFailures.capacityCode(e)
            if (code == null) {
                // Another zone would not fix it: the template sits out the hold, and the first is tried meanwhile.
                failures.recordUnusable(template, CapacityFailures.errorCode(e))
            } else {
                failures.recordFailure(template, template.currentSubnetId, code)
            }
            LOGGER.warning("capacity-failover: ${why}: the launch of '${template.description}' failed: ${e}")
            return []
        } finally {
            lock?.unlock()
        }
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

/**
 * Puts the strategy in the plugin's place and its capacity listener on the plugin's logger; running this twice
 * changes nothing.
 */
static String register(Jenkins jenkins) {
    ExtensionList<NodeProvisioner.Strategy> strategies = jenkins.getExtensionList(NodeProvisioner.Strategy)
    // By name: a second run of this script defines a new class of the same name.
    if (strategies.any { it.class.name == WorkerProvisioningStrategy.name }) {
        return 'already registered'
    }
    NodeProvisioner.Strategy plugin = strategies.get(NoDelayProvisionerStrategy)
    if (plugin == null) {
        return 'not registered: the EC2 plugin has no NoDelayProvisionerStrategy'
    }
    CapacityFailures failures = new CapacityFailures()
    CapacityFailures.SOURCE.addHandler(failures)
    strategies.remove(plugin)
    strategies.add(new WorkerProvisioningStrategy(plugin, failures))
    List<String> order = strategies.collect { it.class.name }
    return "registered before ${order.drop(1).join(', ')}" +
        (order[0] == WorkerProvisioningStrategy.name ? '' : " (WARNING: not first: ${order})")
}

String outcome = register(Jenkins.get())
WorkerProvisioningStrategy.LOGGER.info("worker-provisioning: ${outcome}")
outcome
