package software.amazon.awssdk.services.ec2.model

/** Stand-in of the SDK v2 StartInstancesRequest and its builder. */
class StartInstancesRequest {
    final List<String> instanceIds

    private StartInstancesRequest(List<String> ids) { instanceIds = ids }

    static Builder builder() { new Builder() }

    static class Builder {
        private List<String> ids = []

        Builder instanceIds(String... ids) {
            this.ids = ids as List
            return this
        }

        StartInstancesRequest build() { new StartInstancesRequest(ids) }
    }
}
