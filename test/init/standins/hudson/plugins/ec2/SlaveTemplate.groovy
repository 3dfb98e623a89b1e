package hudson.plugins.ec2

/**
 * Stand-in of SlaveTemplate: the public fields the hook reads (SlaveTemplate.java 153 ami, 165 type, 213
 * stopOnTerminate, getInstanceCap 1850-1852). `type` holds the SDK value, e.g. g4dn.xlarge (370-371: InstanceTypeCompat.of(type).toString()).
 */
class SlaveTemplate {
    String description
    String ami
    String type
    boolean stopOnTerminate
    int instanceCap = Integer.MAX_VALUE
}
