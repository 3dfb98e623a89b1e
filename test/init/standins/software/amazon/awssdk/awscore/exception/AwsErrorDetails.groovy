package software.amazon.awssdk.awscore.exception

/** Stand-in of the AWS SDK v2 AwsErrorDetails: the error code of a service's reply (errorCode()). */
class AwsErrorDetails {
    final String errorCode

    AwsErrorDetails(String errorCode) { this.errorCode = errorCode }

    String errorCode() { errorCode }
}
