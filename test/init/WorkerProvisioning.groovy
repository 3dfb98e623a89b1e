/*
 * Runs init.groovy.d/worker_provisioning.groovy against the stand-ins of test/init/standins (Jenkins core,
 * EC2 plugin and AWS SDK classes that behave only as their cited sources say):
 *   groovy -cp test/init/standins test/init/WorkerProvisioning.groovy HOOK
 * Prints "ok CASE" per case, "FAILED CASE: why" otherwise; exits 1 if any case fails.
 */
import hudson.model.Label
import hudson.model.LoadStatistics
import hudson.plugins.ec2.EC2AbstractSlave
import hudson.plugins.ec2.EC2Cloud
import hudson.plugins.ec2.EC2Computer
import hudson.plugins.ec2.NoDelayProvisionerStrategy
import hudson.plugins.ec2.SlaveTemplate
import hudson.slaves.NodeProvisioner
import java.util.logging.Logger
import jenkins.model.Jenkins
import software.amazon.awssdk.services.ec2.model.Instance

hook = new File(args[0]) // a binding variable: the helper methods below read it too
@groovy.transform.Field final String SUBNETS = 'subnet-a subnet-b'
int failures = 0

/** A controller with the shipped cloud: a stop-on-idle template `tensorflow` over two subnets. */
Map controller() {
    Jenkins jenkins = new Jenkins()
    Jenkins.instance = jenkins
    // The plugin logger's handlers of earlier cases go; its failures are not printed (they are expected).
    Logger ec2Log = Logger.getLogger('hudson.plugins.ec2.EC2Cloud')
    ec2Log.handlers.each { ec2Log.removeHandler(it) }
    ec2Log.useParentHandlers = false
    EC2Cloud cloud = new EC2Cloud(labels: ['tensorflow'] as Set)
    cloud.templates << new SlaveTemplate(description: 'gpu-tensorflow-ondemand', ami: 'ami-1', type: 'g4dn.xlarge',
        labels: 'tensorflow', stopOnTerminate: true, subnetId: SUBNETS, parent: cloud)
    jenkins.clouds << cloud
    def strategies = jenkins.getExtensionList(NodeProvisioner.Strategy)
    strategies.addDiscovered(new NoDelayProvisionerStrategy(), NoDelayProvisionerStrategy.ORDINAL)
    def standard = new NodeProvisioner.StandardStrategyImpl()
    strategies.addDiscovered(standard, 0)
    [jenkins: jenkins, cloud: cloud, standard: standard]
}

/** A worker node whose instance EC2 holds in `state`, in `zone`. */
EC2AbstractSlave worker(Map c, String id, Map opts = [:]) {
    EC2Cloud cloud = c.cloud
    EC2AbstractSlave node = new EC2AbstractSlave(nodeName: "worker (${id})", instanceId: id, cloud: cloud,
        templateDescription: 'gpu-tensorflow-ondemand', labelString: opts.labels ?: 'tensorflow',
        stopOnTerminate: opts.containsKey('stopOnTerminate') ? opts.stopOnTerminate : true)
    node.computer = new EC2Computer(node: node)
    opts.computer?.each { k, v -> node.computer[k] = v }
    cloud.ec2.instances[id] = new Instance(instanceId: id, imageId: opts.ami ?: 'ami-1', instanceType: 'g4dn.xlarge',
        availabilityZone: opts.zone ?: 'us-east-1b', stateName: opts.state ?: 'stopped')
    c.jenkins.nodes << node
    node
}

/** One provisioning round for `label` with `queued` builds, as NodeProvisioner.update() runs it. */
NodeProvisioner.StrategyState round(Map c, String label, int queued, int connecting = 0) {
    def snapshot = new LoadStatistics.LoadStatisticsSnapshot(queueLength: queued, connectingExecutors: connecting)
    def state = new NodeProvisioner.StrategyState(snapshot, new Label(label), 0)
    NodeProvisioner.consult(c.jenkins.getExtensionList(NodeProvisioner.Strategy) as List, state)
    state
}

String install(File hook) { new GroovyShell(this.class.classLoader).evaluate(hook) }

/** controller() with the hook installed, as Jenkins runs it at start. */
Map installed() {
    Map c = controller()
    install(hook)
    c
}

/** The hook's log lines while `body` runs. */
List<String> logged(Closure body) {
    List<String> lines = []
    def handler = new java.util.logging.Handler() {
        void publish(java.util.logging.LogRecord r) { lines << r.message }
        void flush() { }
        void close() { }
    }
    Logger logger = Logger.getLogger('jenkins-gpu.WorkerProvisioningStrategy')
    logger.addHandler(handler)
    try {
        body()
    } finally {
        logger.removeHandler(handler)
    }
    lines
}

def check = { String name, Closure body ->
    try {
        body()
        println("ok ${name}")
    } catch (Throwable e) {
        failures++
        println("FAILED ${name}: ${e.message}")
    }
}

check('registers in the place of the plugin strategy, before the core one') {
    Map c = installed()
    def order = c.jenkins.getExtensionList(NodeProvisioner.Strategy).collect { it.class.simpleName }
    assert order == ['WorkerProvisioningStrategy', 'StandardStrategyImpl']
    assert install(hook) == 'already registered'
    assert c.jenkins.getExtensionList(NodeProvisioner.Strategy).size() == 2
}

check('without the plugin strategy it registers nothing') {
    Jenkins.instance = new Jenkins()
    assert install(hook).startsWith('not registered')
    assert Jenkins.get().getExtensionList(NodeProvisioner.Strategy).size() == 0
}

check('starts a stopped worker of another zone and launches nothing') {
    Map c = installed()
    EC2AbstractSlave w = worker(c, 'i-b', [zone: 'us-east-1b'])
    round(c, 'tensorflow', 1)
    assert c.cloud.ec2.started == ['i-b']
    assert w.computer.connects == 1
    assert c.cloud.launches == []
    assert c.standard.consulted == 0
}

check('starts no more workers than the builds waiting') {
    Map c = installed()
    worker(c, 'i-a', [zone: 'us-east-1a'])
    worker(c, 'i-b')
    round(c, 'tensorflow', 1)
    assert c.cloud.ec2.started == ['i-a']
    assert c.cloud.launches == []
}

check('launches only what the stopped workers do not cover') {
    Map c = installed()
    worker(c, 'i-b')
    round(c, 'tensorflow', 3)
    assert c.cloud.ec2.started == ['i-b']
    assert c.cloud.launches == [2]
}

check('a worker started in an earlier round (connecting) is not started again') {
    Map c = installed()
    EC2AbstractSlave w = worker(c, 'i-b')
    round(c, 'tensorflow', 1)
    round(c, 'tensorflow', 1, w.numExecutors)
    assert c.cloud.ec2.started == ['i-b']
    assert c.cloud.launches == []
}

check('without a stopped worker the plugin launches as before') {
    Map c = installed()
    worker(c, 'i-run', [state: 'running', computer: [offline: false, idle: false]])
    round(c, 'tensorflow', 1)
    assert c.cloud.ec2.started == []
    assert c.cloud.launches == [1]
}

check('logs "no stopped worker" once while the same demand waits, not every tick') {
    Map c = installed()
    List<String> lines = logged {
        c.cloud.labels = [] as Set // at the cap: the plugin plans nothing, the build keeps waiting
        3.times { round(c, 'tensorflow', 1) }
        round(c, 'tensorflow', 2)
    }
    assert lines.findAll { it.contains('no reusable stopped worker') } == [
        'reuse-stopped-workers: label tensorflow: no reusable stopped worker, the plugin provisions 1',
        'reuse-stopped-workers: label tensorflow: no reusable stopped worker, the plugin provisions 2',
    ]
}

check('leaves alone workers of another label, marked offline by a person, stale or not stop-on-idle') {
    Map c = installed()
    worker(c, 'i-cpu', [labels: 'cpu'])
    worker(c, 'i-held', [computer: [temporarilyOffline: true]])
    worker(c, 'i-old', [ami: 'ami-0'])
    worker(c, 'i-stopping', [state: 'stopping'])
    worker(c, 'i-term', [stopOnTerminate: false])
    round(c, 'tensorflow', 1)
    assert c.cloud.ec2.started == []
    assert c.cloud.launches == [1]
}

check('a failed StartInstances leaves the launch to the plugin') {
    Map c = installed()
    worker(c, 'i-a')
    worker(c, 'i-b')
    c.cloud.ec2.failStart = true
    round(c, 'tensorflow', 2)
    assert c.cloud.ec2.started == []
    assert c.cloud.launches == [2]
}

check('starts no stopped worker past the cloud cap, counting those it started this round') {
    Map c = installed()
    c.cloud.instanceCap = 2
    worker(c, 'i-run', [state: 'running', computer: [offline: false, idle: false]])
    worker(c, 'i-a')
    worker(c, 'i-b')
    round(c, 'tensorflow', 3)
    assert c.cloud.ec2.started == ['i-a']
}

check('starts no stopped worker past the template cap') {
    Map c = installed()
    c.cloud.templates[0].instanceCap = 1
    worker(c, 'i-run', [state: 'running', computer: [offline: false, idle: false]])
    worker(c, 'i-b')
    round(c, 'tensorflow', 1)
    assert c.cloud.ec2.started == []
    assert c.cloud.launches == [1]
}

check('nothing happens when the demand is covered') {
    Map c = installed()
    worker(c, 'i-b')
    round(c, 'tensorflow', 1, 1)
    assert c.cloud.ec2.started == []
    assert c.cloud.launches == []
}

/** EC2's answers when g4dn.xlarge has no capacity in either worker subnet. */
@groovy.transform.Field final Map<String, String> G4DN_SHORT_EVERYWHERE = [
    'g4dn.xlarge@subnet-a': 'InsufficientInstanceCapacity',
    'g4dn.xlarge@subnet-b': 'InsufficientInstanceCapacity',
]

/** The controller with a fallback type after the first template: g5.xlarge, same label, same subnets. */
Map withFallback(Map opts = [:]) {
    Map c = controller()
    c.cloud.templates << new SlaveTemplate(description: 'gpu-tensorflow-g5', ami: 'ami-1', type: 'g5.xlarge',
        labels: 'tensorflow', stopOnTerminate: true, subnetId: SUBNETS, parent: c.cloud,
        instanceCap: opts.containsKey('fallbackCap') ? opts.fallbackCap : Integer.MAX_VALUE)
    install(hook)
    c.failures = c.jenkins.getExtensionList(NodeProvisioner.Strategy)[0].failures
    c
}

check('fails over to the next template once the first is short of capacity in every zone') {
    Map c = withFallback()
    c.cloud.noCapacity = ['g4dn.xlarge@subnet-a': 'InsufficientInstanceCapacity',
                          'g4dn.xlarge@subnet-b': 'VcpuLimitExceeded']
    List<String> lines = logged {
        round(c, 'tensorflow', 1) // the plugin: g4dn in subnet-a, no capacity
        round(c, 'tensorflow', 1) // the plugin: g4dn in subnet-b, over the vCPU quota
        NodeProvisioner.StrategyState third = round(c, 'tensorflow', 1)
        assert third.additionalPlannedCapacity == 1
        assert third.pendingLaunches*.future*.get()*.nodeName == ['EC2 (gpu-workers) - gpu-tensorflow-g5 (i-new1)']
    }
    assert c.cloud.attempts == ['gpu-tensorflow-ondemand@subnet-a', 'gpu-tensorflow-ondemand@subnet-b',
                                'gpu-tensorflow-g5@subnet-a']
    assert c.cloud.launches == [1, 1] // the third round's demand was covered: the plugin was not asked
    assert c.cloud.awaited == ['EC2 (gpu-workers) - gpu-tensorflow-g5 (i-new1)']
    assert c.cloud.ec2.instances['i-new1'].instanceType == 'g5.xlarge'
    assert lines.contains("capacity-failover: label tensorflow: 'gpu-tensorflow-ondemand' (g4dn.xlarge) is short " +
        "of capacity in every zone (VcpuLimitExceeded): launching 1 of 'gpu-tensorflow-g5' (g5.xlarge) instead")
}

check('one zone without capacity moves on to the next zone, not to another type') {
    Map c = withFallback()
    c.cloud.noCapacity = ['g4dn.xlarge@subnet-a': 'InsufficientInstanceCapacity']
    3.times { round(c, 'tensorflow', 1) }
    assert c.cloud.attempts == ['gpu-tensorflow-ondemand@subnet-a', 'gpu-tensorflow-ondemand@subnet-b',
                                'gpu-tensorflow-ondemand@subnet-a']
    assert c.cloud.launches == [1, 1, 1]
}

check('an error that is not about capacity or a quota does not change the type') {
    Map c = withFallback()
    c.cloud.noCapacity = ['g4dn.xlarge@subnet-a': 'UnauthorizedOperation', 'g4dn.xlarge@subnet-b': 'InvalidAMIID.NotFound']
    3.times { round(c, 'tensorflow', 1) }
    assert !c.cloud.attempts.any { it.startsWith('gpu-tensorflow-g5') }
    assert c.cloud.launches == [1, 1, 1]
}

check('after the hold the first template is tried again') {
    Map c = withFallback()
    long now = 1_000_000
    c.failures.clock = { now }
    c.cloud.noCapacity = G4DN_SHORT_EVERYWHERE
    2.times { round(c, 'tensorflow', 1) }
    now += c.failures.HOLD_MILLIS - 1
    round(c, 'tensorflow', 1)
    assert c.cloud.attempts.last() == 'gpu-tensorflow-g5@subnet-a'
    now += 1 // subnet-a failed a whole hold ago: g4dn is no longer short everywhere
    round(c, 'tensorflow', 1)
    assert c.cloud.attempts.last() == 'gpu-tensorflow-ondemand@subnet-a'
}

check('a fallback at its cap leaves the build waiting for the first template, logged once') {
    Map c = withFallback(fallbackCap: 0)
    c.cloud.noCapacity = G4DN_SHORT_EVERYWHERE
    List<String> lines = logged { 5.times { round(c, 'tensorflow', 1) } }
    assert !c.cloud.attempts.any { it.startsWith('gpu-tensorflow-g5') }
    assert c.cloud.launches == [1, 1, 1, 1, 1]
    assert lines.findAll { it.startsWith('capacity-failover:') } == [
        "capacity-failover: label tensorflow: 'gpu-tensorflow-ondemand' is short of capacity in every zone " +
            '(InsufficientInstanceCapacity) and no other template of the label has both room and capacity: the ' +
            'plugin keeps trying it, one zone per tick',
    ]
}

check('a fallback launch that fails for capacity counts too: short everywhere, it is not tried again') {
    Map c = withFallback()
    c.cloud.noCapacity = G4DN_SHORT_EVERYWHERE + [
        'g5.xlarge@subnet-a': 'InsufficientInstanceCapacity',
        'g5.xlarge@subnet-b': 'InstanceLimitExceeded']
    2.times { round(c, 'tensorflow', 1) }
    List<String> lines = logged {
        NodeProvisioner.StrategyState failed = round(c, 'tensorflow', 1)
        assert failed.pendingLaunches*.future*.get() == [null, null] // the g5 attempt ended empty, the plugin's too
        2.times { round(c, 'tensorflow', 1) }
    }
    assert c.cloud.attempts.drop(2) == ['gpu-tensorflow-g5@subnet-a', 'gpu-tensorflow-ondemand@subnet-a',
                                        'gpu-tensorflow-g5@subnet-b', 'gpu-tensorflow-ondemand@subnet-b',
                                        'gpu-tensorflow-ondemand@subnet-a']
    assert lines.contains("capacity-failover: label tensorflow: 'gpu-tensorflow-ondemand' (g4dn.xlarge) is short " +
        "of capacity in every zone (InsufficientInstanceCapacity): the launch of 'gpu-tensorflow-g5' failed: " +
        'software.amazon.awssdk.services.ec2.model.Ec2Exception: We currently do not have sufficient g5.xlarge ' +
        'capacity in the Availability Zone you requested')
    assert c.cloud.awaited == []
}

check('what the fallback launched counts against the cloud cap at once') {
    Map c = withFallback()
    c.cloud.instanceCap = 2
    c.cloud.noCapacity = G4DN_SHORT_EVERYWHERE
    2.times { round(c, 'tensorflow', 1) }
    NodeProvisioner.StrategyState state = round(c, 'tensorflow', 3)
    assert state.pendingLaunches.size() == 2 // the cloud is full: the plugin, asked for the third, plans nothing
    assert c.cloud.attempts.drop(2) == ['gpu-tensorflow-g5@subnet-a']
}

check('fails over for what the demand lacks, within the fallback cap; the plugin is asked for the rest') {
    Map c = withFallback(fallbackCap: 2)
    c.cloud.noCapacity = G4DN_SHORT_EVERYWHERE
    2.times { round(c, 'tensorflow', 1) }
    NodeProvisioner.StrategyState state = round(c, 'tensorflow', 3)
    assert state.pendingLaunches.size() == 3 // 2 g5 nodes, then the plugin's 1
    assert c.cloud.ec2.instances.values().count { it.instanceType == 'g5.xlarge' } == 2
    assert c.cloud.launches == [1, 1, 1]
}

check('the fallback launch counts afresh under the plugin lock: an instance launched since is seen') {
    Map c = withFallback()
    c.cloud.instanceCap = 2
    c.cloud.noCapacity = G4DN_SHORT_EVERYWHERE
    2.times { round(c, 'tensorflow', 1) }
    // A worker the count cache has not seen yet (launched on another thread since the last count).
    c.cloud.ec2.instances['i-other'] = new Instance(instanceId: 'i-other', imageId: 'ami-1',
        instanceType: 'g5.xlarge', availabilityZone: 'subnet-b', stateName: 'pending')
    round(c, 'tensorflow', 3)
    assert c.cloud.ec2.instances.values().count { it.instanceType == 'g5.xlarge' } == 2 // i-other and one more
    assert c.cloud.launchedUnderCallersLock == [true]
}

check('a fallback refused for another reason sits out the hold, and the first type is tried meanwhile') {
    Map c = withFallback()
    c.cloud.noCapacity = G4DN_SHORT_EVERYWHERE + [
        'g5.xlarge@subnet-a': 'InvalidParameterValue']
    List<String> lines = logged { 4.times { round(c, 'tensorflow', 1) } }
    assert c.cloud.attempts.drop(2) == ['gpu-tensorflow-g5@subnet-a', 'gpu-tensorflow-ondemand@subnet-a',
                                        'gpu-tensorflow-ondemand@subnet-b']
    assert lines.any { it.contains("short of capacity in every zone (InsufficientInstanceCapacity) and no other") }
}

check('a template reloaded with another type starts afresh: no failover on the record of the old type') {
    Map c = withFallback()
    c.cloud.noCapacity = G4DN_SHORT_EVERYWHERE
    2.times { round(c, 'tensorflow', 1) }
    // A JCasC reload builds new template objects (SlaveTemplate.java 399): same description, the type edited.
    c.cloud.templates[0] = new SlaveTemplate(description: 'gpu-tensorflow-ondemand', ami: 'ami-1',
        type: 'g6.xlarge', labels: 'tensorflow', stopOnTerminate: true, subnetId: SUBNETS, parent: c.cloud)
    round(c, 'tensorflow', 1)
    assert c.cloud.attempts.last() == 'gpu-tensorflow-ondemand@subnet-a'
    assert !c.cloud.attempts.any { it.startsWith('gpu-tensorflow-g5') }
}

check('restarts a stopped worker first, then fails over for the rest') {
    Map c = withFallback()
    c.cloud.noCapacity = G4DN_SHORT_EVERYWHERE
    2.times { round(c, 'tensorflow', 1) }
    worker(c, 'i-b')
    NodeProvisioner.StrategyState state = round(c, 'tensorflow', 2)
    assert c.cloud.ec2.started == ['i-b']
    assert c.cloud.attempts.last() == 'gpu-tensorflow-g5@subnet-a'
    assert state.additionalPlannedCapacity == 2
    assert c.cloud.launches == [1, 1]
}

System.exit(failures == 0 ? 0 : 1)
