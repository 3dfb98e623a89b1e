import { Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';

import { WebAccess } from '../../lib/constructs/web-access';
import { controllerIn, testApp } from '../helpers';

const CERT = 'arn:aws:acm:us-east-1:123456789012:certificate/0f0e0d0c-0b0a-0908-0706-050403020100';

function build(allowedCidrs: string[]) {
  const stack = new Stack(testApp(), 'TestStack', { env: { account: '123456789012', region: 'us-east-1' } });
  const { network, controller } = controllerIn(stack);
  new WebAccess(stack, 'Web', {
    vpc: network.vpc,
    subnets: network.vpc.publicSubnets,
    autoScalingGroup: controller.autoScalingGroup,
    controllerSecurityGroup: controller.securityGroup,
    allowedCidrs,
    certificateArn: CERT,
  });
  return Template.fromStack(stack);
}

describe('WebAccess', () => {
  const t = build(['198.51.100.0/24', '203.0.113.7/32']);

  it('accepts HTTPS only from the configured CIDRs', () => {
    t.hasResourceProperties('AWS::EC2::SecurityGroup', {
      GroupDescription: Match.stringLikeRegexp('^Jenkins HTTPS load balancer'),
      SecurityGroupIngress: [
        Match.objectLike({ CidrIp: '198.51.100.0/24', FromPort: 443, ToPort: 443 }),
        Match.objectLike({ CidrIp: '203.0.113.7/32', FromPort: 443, ToPort: 443 }),
      ],
    });
    const ingress = Object.values(t.findResources('AWS::EC2::SecurityGroup')).flatMap(
      (g) => (g.Properties.SecurityGroupIngress ?? []) as { CidrIp?: string }[],
    );
    expect(ingress.map((rule) => rule.CidrIp)).toEqual(['198.51.100.0/24', '203.0.113.7/32']);
  });

  it('terminates TLS with the ACM certificate and a modern policy, dropping invalid headers', () => {
    t.hasResourceProperties('AWS::ElasticLoadBalancingV2::Listener', {
      Port: 443,
      Protocol: 'HTTPS',
      Certificates: [{ CertificateArn: CERT }],
      SslPolicy: Match.stringLikeRegexp('TLS'),
    });
    t.hasResourceProperties('AWS::ElasticLoadBalancingV2::LoadBalancer', {
      Scheme: 'internet-facing',
      LoadBalancerAttributes: Match.arrayWith([
        { Key: 'routing.http.drop_invalid_header_fields.enabled', Value: 'true' },
      ]),
    });
  });

  it('forwards to the controller port, health-checking the login page', () => {
    t.hasResourceProperties('AWS::ElasticLoadBalancingV2::TargetGroup', {
      Port: 8080,
      HealthCheckPath: '/login',
    });
    t.hasResourceProperties('AWS::EC2::SecurityGroupIngress', { FromPort: 8080, ToPort: 8080 });
  });

  it('needs at least one CIDR', () => {
    expect(() => build([])).toThrow('WebAccess: allowedCidrs must contain at least one CIDR (got none)');
  });
});
