import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as autoscaling from 'aws-cdk-lib/aws-autoscaling';
import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';

import { JENKINS_PORT } from '../contracts';
import { UserInputError } from '../errors';
import { acknowledgeFinding } from '../nag/acknowledge';
import { nagRuleId } from '../nag/finding-id';

export interface WebAccessProps {
  readonly vpc: ec2.IVpc;
  /** Public subnets for the load balancer (at least two zones). */
  readonly subnets: ec2.ISubnet[];
  /** The controller group the load balancer forwards to. */
  readonly autoScalingGroup: autoscaling.AutoScalingGroup;
  /** The controller's security group (gets one inbound rule: Jenkins' port from the load balancer). */
  readonly controllerSecurityGroup: ec2.ISecurityGroup;
  /** Port Jenkins listens on. @default JENKINS_PORT (8080, lib/contracts.ts) */
  readonly controllerPort?: number;
  /** IPv4 CIDRs allowed to reach HTTPS. Required, at least one. */
  readonly allowedCidrs: string[];
  /** ACM certificate ARN for the HTTPS listener. */
  readonly certificateArn: string;
}

/**
 * Optional HTTPS entry to the Jenkins UI: an internet-facing load balancer that accepts 443 only from the
 * configured CIDRs, terminates TLS with an ACM certificate and forwards to the controller's port.
 */
export class WebAccess extends Construct {
  public readonly loadBalancer: elbv2.ApplicationLoadBalancer;

  constructor(scope: Construct, id: string, props: WebAccessProps) {
    super(scope, id);
    if (props.allowedCidrs.length === 0) {
      throw new UserInputError('WebAccess: allowedCidrs must contain at least one CIDR (got none)');
    }
    const port = props.controllerPort ?? JENKINS_PORT;
    const securityGroup = this.createSecurityGroup(props, port);
    const logs = this.createAccessLogsBucket();

    this.loadBalancer = new elbv2.ApplicationLoadBalancer(this, 'LoadBalancer', {
      vpc: props.vpc,
      vpcSubnets: { subnets: props.subnets },
      internetFacing: true,
      securityGroup,
      dropInvalidHeaderFields: true,
    });
    this.loadBalancer.logAccessLogs(logs, 'jenkins');
    const listener = this.loadBalancer.addListener('Https', {
      port: 443,
      protocol: elbv2.ApplicationProtocol.HTTPS,
      sslPolicy: elbv2.SslPolicy.RECOMMENDED_TLS,
      certificates: [acm.Certificate.fromCertificateArn(this, 'Certificate', props.certificateArn)],
      open: false,
    });
    listener.addTargets('Controller', {
      port,
      protocol: elbv2.ApplicationProtocol.HTTP,
      targets: [props.autoScalingGroup],
      healthCheck: { path: '/login', healthyHttpCodes: '200', interval: Duration.seconds(30) },
      deregistrationDelay: Duration.seconds(30),
    });
  }

  /** 443 in from the allowed CIDRs only; out only to the controller's port, which lets it in. */
  private createSecurityGroup(props: WebAccessProps, port: number): ec2.SecurityGroup {
    const securityGroup = new ec2.SecurityGroup(this, 'SecurityGroup', {
      vpc: props.vpc,
      description: 'Jenkins HTTPS load balancer: 443 from the allowed CIDRs only',
      allowAllOutbound: false,
    });
    for (const cidr of props.allowedCidrs) {
      securityGroup.addIngressRule(ec2.Peer.ipv4(cidr), ec2.Port.tcp(443), `HTTPS from ${cidr}`);
    }
    // cdk-nag flags any /0 ingress (EC2RestrictedInbound); here it is only ever the caller's explicit choice.
    const internetWide = props.allowedCidrs.filter((cidr) => cidr.endsWith('/0'));
    if (internetWide.length > 0) {
      acknowledgeFinding(
        securityGroup,
        nagRuleId('EC23'),
        `allowedCidrs names ${internetWide.join(', ')}: HTTPS (443 only) is open to the whole internet as configured; Jenkins still asks every user to log in`,
      );
    }
    securityGroup.addEgressRule(
      props.controllerSecurityGroup,
      ec2.Port.tcp(port),
      'to the Jenkins controller',
    );
    props.controllerSecurityGroup.addIngressRule(
      securityGroup,
      ec2.Port.tcp(port),
      'Jenkins UI from the load balancer',
    );
    return securityGroup;
  }

  private createAccessLogsBucket(): s3.Bucket {
    const logs = new s3.Bucket(this, 'AccessLogs', {
      encryption: s3.BucketEncryption.S3_MANAGED,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      lifecycleRules: [{ expiration: Duration.days(90) }],
      removalPolicy: RemovalPolicy.RETAIN,
    });
    acknowledgeFinding(
      logs,
      nagRuleId('S1'),
      "Holds only the load balancer's access logs: server access logs of it would record those log deliveries, in another bucket that would need logs of its own",
    );
    return logs;
  }
}
