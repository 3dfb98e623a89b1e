package hudson.plugins.ec2

/** Stand-in of SlaveTemplate: the public fields the hook reads (SlaveTemplate.java 153 ami, 165 type, 213 stopOnTerminate). */
class SlaveTemplate {
    String description
    String ami
    String type
    boolean stopOnTerminate
}
