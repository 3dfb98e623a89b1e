package software.amazon.awssdk.services.ec2.model

/** Stand-in of the SDK v2 Placement. */
class Placement {
    private final String zone

    Placement(String zone) { this.zone = zone }

    String availabilityZone() { zone }
}
