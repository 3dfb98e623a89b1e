package hudson.plugins.ec2

import hudson.model.Label
import hudson.model.Node
import hudson.slaves.NodeProvisioner
import java.util.concurrent.CompletableFuture
import java.util.concurrent.locks.ReentrantLock
import java.util.logging.Level
import java.util.logging.Logger
import software.amazon.awssdk.services.ec2.Ec2Client
import software.amazon.awssdk.services.ec2.model.Ec2Exception
import software.amazon.awssdk.services.ec2.model.Instance

/**
 * Stand-in of EC2Cloud (EC2Cloud.java at ec2 2059.v05f9d511d7e5):
 * - connect() (1464), getTemplate(description) (626), getTemplates(label) (657-671: the templates whose labels
 *   carry it, in YAML order; every template here is EXCLUSIVE), canProvision(label) (true when the test lists
 *   the label, 1375-1377);
 * - getPossibleNewSlavesCount(template) (1014-1044, private): min(cloud cap, template cap) minus the instances
 *   in running, pending or stopping state (756-808): all of them for the cloud, those of the template's type
 *   for the template (the real count filters on the template's tags); cached until
 *   invalidateInstanceCountCache() (1045-1049; the 30 s TTL of 173 is not modelled);
 * - provision(label, n) (1089-1210): records the request, then walks the matching templates: one without room
 *   is skipped, one with room gets min(workload / executors (at least 1), room) nodes in its next subnet and
 *   the rest of the workload goes on to the next template (1102-1116, 1195-1202). The real launch runs in
 *   the background; here it is decided at once: a type and subnet listed in `noCapacity` fail as EC2 fails,
 *   logged as the plugin logs it (1157-1158), and those planned nodes end empty; otherwise they stay pending;
 * - getNewOrExistingAvailableSlave(template, n, force) (1055-1087, private): under slaveCountingLock (170, a
 *   ReentrantLock), the caps again, then the launch in the template's next subnet: a listed type and subnet
 *   throws the Ec2Exception (nothing logged, as there), otherwise `n` new pending instances of the template's
 *   type. `launchedUnderCallersLock` records, per call, whether the caller already held the lock;
 * - waitForRunningAndConnectAsync(template, slave) (1216-1293, private): here the instance is running at once
 *   and the future is done with the node.
 */
class EC2Cloud {
    static final Logger LOGGER = Logger.getLogger('hudson.plugins.ec2.EC2Cloud')

    final Ec2Client ec2 = new Ec2Client()
    String name = 'gpu-workers'
    List<SlaveTemplate> templates = []
    Set<String> labels = [] as Set
    boolean noDelayProvisioning = true
    final List<Integer> launches = []
    /** Every launch call as `description@subnet`, in order. */
    final List<String> attempts = []
    /** `type@subnet` → the EC2 error code a launch there gets. */
    Map<String, String> noCapacity = [:]
    /** The nodes handed to waitForRunningAndConnectAsync. */
    final List<String> awaited = []
    /** Per call of getNewOrExistingAvailableSlave: whether its caller held slaveCountingLock already. */
    final List<Boolean> launchedUnderCallersLock = []
    int instanceCap = Integer.MAX_VALUE
    private final ReentrantLock slaveCountingLock = new ReentrantLock()
    private Integer cachedCount = null
    private final Map<String, Integer> cachedTemplateCounts = [:]
    private int launched = 0

    Ec2Client connect() { ec2 }

    SlaveTemplate getTemplate(String description) { templates.find { it.description == description } }

    Collection<SlaveTemplate> getTemplates(Label label) {
        templates.findAll { it.labels.split(/\s+/).contains(label.name) }
    }

    boolean canProvision(Label label) { labels.contains(label.name) }

    boolean isNoDelayProvisioning() { noDelayProvisioning }

    private static boolean counted(Instance instance) { instance.stateName in ['running', 'pending', 'stopping'] }

    private int getPossibleNewSlavesCount(SlaveTemplate template) {
        if (cachedCount == null) {
            cachedCount = ec2.instances.values().count { counted(it) }
        }
        int templateCount = cachedTemplateCounts.computeIfAbsent(template.description) {
            ec2.instances.values().count { counted(it) && it.instanceType == template.type }
        }
        return Math.min(instanceCap - cachedCount, template.instanceCap - templateCount)
    }

    private void invalidateInstanceCountCache() {
        cachedCount = null
        cachedTemplateCounts.clear()
    }

    Collection<NodeProvisioner.PlannedNode> provision(Label label, int excessWorkload) {
        launches << excessWorkload
        List<NodeProvisioner.PlannedNode> planned = []
        int excess = excessWorkload
        for (SlaveTemplate t : getTemplates(label)) {
            int room = getPossibleNewSlavesCount(t)
            if (room <= 0) {
                continue
            }
            int number = Math.min(Math.max(excess.intdiv(t.numExecutors), 1), room)
            String code = attempt(t)
            if (code != null) {
                LOGGER.log(Level.WARNING, t.toString() + '. Exception during provisioning', failure(t, code))
            }
            number.times {
                planned << new NodeProvisioner.PlannedNode("new-${planned.size() + 1}", code == null ?
                    new CompletableFuture() : CompletableFuture.completedFuture(null), t.numExecutors)
            }
            excess -= number * t.numExecutors
            if (excess <= 0) {
                break
            }
        }
        planned
    }

    private List<EC2AbstractSlave> getNewOrExistingAvailableSlave(SlaveTemplate t, int number, boolean force) {
        launchedUnderCallersLock << slaveCountingLock.heldByCurrentThread
        slaveCountingLock.lock()
        try {
            return launchLocked(t, number)
        } finally {
            slaveCountingLock.unlock()
        }
    }

    private List<EC2AbstractSlave> launchLocked(SlaveTemplate t, int number) {
        int possible = getPossibleNewSlavesCount(t)
        if (possible <= 0) {
            return null
        }
        String code = attempt(t)
        if (code != null) {
            throw failure(t, code)
        }
        (1..Math.min(number, possible)).collect {
            String id = "i-new${++launched}"
            ec2.instances[id] = new Instance(instanceId: id, imageId: t.ami, instanceType: t.type,
                availabilityZone: t.currentSubnetId, stateName: 'pending')
            new EC2AbstractSlave(nodeName: "${t.displayName} (${id})", instanceId: id, cloud: this,
                templateDescription: t.description, labelString: t.labels, stopOnTerminate: t.stopOnTerminate)
        }
    }

    private CompletableFuture<Node> waitForRunningAndConnectAsync(SlaveTemplate t, EC2AbstractSlave slave) {
        ec2.instances[slave.instanceId].stateName = 'running'
        awaited << slave.nodeName
        CompletableFuture.completedFuture((Node) slave)
    }

    /** One launch call: the template's next subnet; the error code EC2 answers there, or null. */
    private String attempt(SlaveTemplate t) {
        String subnet = t.chooseSubnetId()
        attempts << "${t.description}@${subnet}".toString()
        return noCapacity["${t.type}@${subnet}".toString()]
    }

    /**
     * EC2's error for `code`. The message is how EC2's InsufficientInstanceCapacity message begins (its full text
     * names the zone and the zones to try instead); other codes get the same text here, as the hook only prints it.
     */
    private static Ec2Exception failure(SlaveTemplate t, String code) {
        new Ec2Exception(code, "We currently do not have sufficient ${t.type} capacity in the Availability Zone " +
            'you requested')
    }
}
