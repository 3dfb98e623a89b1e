package software.amazon.awssdk.services.ec2.model

/** Stand-in of the SDK v2 InstanceState: nameAsString() is the EC2 state name ("stopped", "pending", …). */
class InstanceState {
    private final String name

    InstanceState(String name) { this.name = name }

    String nameAsString() { name }
}
