package software.amazon.awssdk.services.ec2.model

import software.amazon.awssdk.awscore.exception.AwsServiceException

/** Stand-in of the SDK v2 Ec2Exception, what the Ec2Client throws for an EC2 error reply (an AwsServiceException). */
class Ec2Exception extends AwsServiceException {
    Ec2Exception(String errorCode, String message) {
        super(errorCode, message)
    }
}
