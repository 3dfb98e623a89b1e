package software.amazon.awssdk.services.ec2.model

/** Stand-in of the AWS SDK v2 model Instance: the getters the hook reads (generated `x()` accessors). */
class Instance {
    String instanceId
    String imageId
    String instanceType
    String availabilityZone
    String stateName

    String imageId() { imageId }
    String instanceTypeAsString() { instanceType }
    InstanceState state() { new InstanceState(stateName) }
    Placement placement() { new Placement(availabilityZone) }
}
