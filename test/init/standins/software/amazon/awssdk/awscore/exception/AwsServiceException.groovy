package software.amazon.awssdk.awscore.exception

/**
 * Stand-in of the AWS SDK v2 AwsServiceException (a RuntimeException through SdkServiceException and
 * SdkException): a service's error reply, whose awsErrorDetails().errorCode() is EC2's error code, as the
 * plugin reads it (EC2Cloud.java 1159-1160, SlaveTemplate.java 2431-2432). The message is EC2's error message
 * only: the real one appends the service, status code and request id, which the hook only prints.
 */
class AwsServiceException extends RuntimeException {
    private final AwsErrorDetails details

    AwsServiceException(String errorCode, String message) {
        super(message)
        this.details = new AwsErrorDetails(errorCode)
    }

    AwsErrorDetails awsErrorDetails() { details }
}
