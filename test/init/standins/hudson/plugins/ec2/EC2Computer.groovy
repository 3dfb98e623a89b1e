package hudson.plugins.ec2

import hudson.model.Computer
import software.amazon.awssdk.services.ec2.model.Instance

/**
 * Stand-in of EC2Computer: getSlaveTemplate() is the cloud's template of the node's description
 * (EC2Computer.java 108-115); updateInstanceDescription() asks EC2 afresh (202-206).
 */
class EC2Computer extends Computer {
    EC2AbstractSlave node

    SlaveTemplate getSlaveTemplate() { node.cloud.getTemplate(node.templateDescription) }

    Instance updateInstanceDescription() { node.cloud.ec2.instances[node.instanceId] }
}
