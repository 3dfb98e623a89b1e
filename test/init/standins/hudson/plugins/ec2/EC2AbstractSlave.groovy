package hudson.plugins.ec2

import hudson.model.Node

/** Stand-in of EC2AbstractSlave: stopOnTerminate (EC2AbstractSlave.java 101), getCloud (552), getInstanceId (731). */
class EC2AbstractSlave extends Node {
    boolean stopOnTerminate
    String instanceId
    String templateDescription
    EC2Cloud cloud
}
