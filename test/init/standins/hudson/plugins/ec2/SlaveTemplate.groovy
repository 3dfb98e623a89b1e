package hudson.plugins.ec2

/**
 * Stand-in of SlaveTemplate: the public fields the hook reads (SlaveTemplate.java 153 ami, 165 type, 191
 * subnetId, 213 stopOnTerminate, 242 currentSubnetId; getInstanceCap 1850-1852, getNumExecutors 1681).
 * `type` holds the SDK value, e.g. g4dn.xlarge (370-371: InstanceTypeCompat.of(type).toString()).
 * chooseSubnetId is the plugin's round robin over the subnets (1717-1729, delimiters 151); getDisplayName
 * (1647-1649) and toString (2042-2044) print as the plugin's do: the plugin's log lines carry toString.
 */
class SlaveTemplate {
    String description
    String ami
    String type
    String labels = ''
    boolean stopOnTerminate
    int instanceCap = Integer.MAX_VALUE
    int numExecutors = 1
    String subnetId
    String currentSubnetId
    int nextSubnet = 0
    EC2Cloud parent

    String chooseSubnetId() {
        if (subnetId == null || subnetId.isBlank()) {
            return null
        }
        String[] subnetIdList = subnetId.split(/[\s,;]+/)
        currentSubnetId = subnetIdList[nextSubnet]
        nextSubnet = (nextSubnet + 1) % subnetIdList.length
        return currentSubnetId
    }

    String getDisplayName() { String.format('EC2 (%s) - %s', parent?.name, description) }

    @Override
    String toString() { "SlaveTemplate{description='${description}', labels='${labels}'}" }
}
