package software.amazon.awssdk.services.ec2

import software.amazon.awssdk.services.ec2.model.Instance
import software.amazon.awssdk.services.ec2.model.StartInstancesRequest

/**
 * Stand-in of the SDK v2 Ec2Client over a map of instances. startInstances moves stopped instances to
 * pending, as EC2 does; `failStart` makes it throw, as an API error would.
 */
class Ec2Client {
    final Map<String, Instance> instances = [:]
    final List<String> started = []
    boolean failStart = false

    def startInstances(StartInstancesRequest request) {
        if (failStart) throw new IllegalStateException('StartInstances: UnauthorizedOperation')
        for (String id : request.instanceIds) {
            instances[id].stateName = 'pending'
            started << id
        }
        return [:]
    }
}
