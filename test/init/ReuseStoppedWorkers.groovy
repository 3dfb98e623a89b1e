/*
 * Runs init.groovy.d/reuse_stopped_workers.groovy against the stand-ins of test/init/standins (Jenkins core,
 * EC2 plugin and AWS SDK classes that behave only as their cited sources say):
 *   groovy -cp test/init/standins test/init/ReuseStoppedWorkers.groovy HOOK
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
import jenkins.model.Jenkins
import software.amazon.awssdk.services.ec2.model.Instance

File hook = new File(args[0])
int failures = 0

/** A controller with the shipped cloud: a stop-on-idle template `tensorflow` over two subnets. */
Map controller() {
    Jenkins jenkins = new Jenkins()
    Jenkins.instance = jenkins
    EC2Cloud cloud = new EC2Cloud(labels: ['tensorflow'] as Set)
    cloud.templates << new SlaveTemplate(description: 'gpu-tensorflow-ondemand', ami: 'ami-1', type: 'g4dn.xlarge',
        stopOnTerminate: true)
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
    Map c = controller()
    install(hook)
    def order = c.jenkins.getExtensionList(NodeProvisioner.Strategy).collect { it.class.simpleName }
    assert order == ['StoppedWorkerFirstStrategy', 'StandardStrategyImpl']
    assert install(hook) == 'already registered'
    assert c.jenkins.getExtensionList(NodeProvisioner.Strategy).size() == 2
}

check('without the plugin strategy it registers nothing') {
    Jenkins.instance = new Jenkins()
    assert install(hook).startsWith('not registered')
    assert Jenkins.get().getExtensionList(NodeProvisioner.Strategy).size() == 0
}

check('starts a stopped worker of another zone and launches nothing') {
    Map c = controller()
    install(hook)
    EC2AbstractSlave w = worker(c, 'i-b', [zone: 'us-east-1b'])
    round(c, 'tensorflow', 1)
    assert c.cloud.ec2.started == ['i-b']
    assert w.computer.connects == 1
    assert c.cloud.launches == []
    assert c.standard.consulted == 0
}

check('starts no more workers than the builds waiting') {
    Map c = controller()
    install(hook)
    worker(c, 'i-a', [zone: 'us-east-1a'])
    worker(c, 'i-b')
    round(c, 'tensorflow', 1)
    assert c.cloud.ec2.started == ['i-a']
    assert c.cloud.launches == []
}

check('launches only what the stopped workers do not cover') {
    Map c = controller()
    install(hook)
    worker(c, 'i-b')
    round(c, 'tensorflow', 3)
    assert c.cloud.ec2.started == ['i-b']
    assert c.cloud.launches == [2]
}

check('a worker started in an earlier round (connecting) is not started again') {
    Map c = controller()
    install(hook)
    EC2AbstractSlave w = worker(c, 'i-b')
    round(c, 'tensorflow', 1)
    round(c, 'tensorflow', 1, w.numExecutors)
    assert c.cloud.ec2.started == ['i-b']
    assert c.cloud.launches == []
}

check('without a stopped worker the plugin launches as before') {
    Map c = controller()
    install(hook)
    worker(c, 'i-run', [state: 'running', computer: [offline: false, idle: false]])
    round(c, 'tensorflow', 1)
    assert c.cloud.ec2.started == []
    assert c.cloud.launches == [1]
}

check('logs "no stopped worker" once while the same demand waits, not every tick') {
    Map c = controller()
    install(hook)
    List<String> lines = []
    def handler = new java.util.logging.Handler() {
        void publish(java.util.logging.LogRecord r) { lines << r.message }
        void flush() { }
        void close() { }
    }
    def logger = java.util.logging.Logger.getLogger('jenkins-gpu.StoppedWorkerFirstStrategy')
    logger.addHandler(handler)
    try {
        c.cloud.labels = [] as Set // at the cap: the plugin plans nothing, the build keeps waiting
        3.times { round(c, 'tensorflow', 1) }
        round(c, 'tensorflow', 2)
    } finally {
        logger.removeHandler(handler)
    }
    assert lines.findAll { it.contains('no reusable stopped worker') } == [
        'reuse-stopped-workers: label tensorflow: no reusable stopped worker, the plugin provisions 1',
        'reuse-stopped-workers: label tensorflow: no reusable stopped worker, the plugin provisions 2',
    ]
}

check('leaves alone workers of another label, marked offline by a person, stale or not stop-on-idle') {
    Map c = controller()
    install(hook)
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
    Map c = controller()
    install(hook)
    worker(c, 'i-a')
    worker(c, 'i-b')
    c.cloud.ec2.failStart = true
    round(c, 'tensorflow', 2)
    assert c.cloud.ec2.started == []
    assert c.cloud.launches == [2]
}

check('starts no stopped worker past the cloud cap, counting those it started this round') {
    Map c = controller()
    install(hook)
    c.cloud.instanceCap = 2
    worker(c, 'i-run', [state: 'running', computer: [offline: false, idle: false]])
    worker(c, 'i-a')
    worker(c, 'i-b')
    round(c, 'tensorflow', 3)
    assert c.cloud.ec2.started == ['i-a']
}

check('starts no stopped worker past the template cap') {
    Map c = controller()
    install(hook)
    c.cloud.templates[0].instanceCap = 1
    worker(c, 'i-run', [state: 'running', computer: [offline: false, idle: false]])
    worker(c, 'i-b')
    round(c, 'tensorflow', 1)
    assert c.cloud.ec2.started == []
    assert c.cloud.launches == [1]
}

check('nothing happens when the demand is covered') {
    Map c = controller()
    install(hook)
    worker(c, 'i-b')
    round(c, 'tensorflow', 1, 1)
    assert c.cloud.ec2.started == []
    assert c.cloud.launches == []
}

System.exit(failures == 0 ? 0 : 1)
