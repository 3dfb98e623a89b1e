import { CfnTemplate, TemplateResolver } from './resolve-intrinsics';
import { TemplateRole, templateRoles } from './template-roles';

/**
 * What the IAM tables need to know about one synthesized stack, read from the resolved template: the
 * controller's config parameter (the values the controller and the EC2 plugin really use: subnets, worker
 * security group, instance profile, fleet tag value, bundle and payload objects, secrets) and the physical
 * ids of resources found by logical-id prefix.
 */
export class StackFacts {
  readonly resolver: TemplateResolver;
  readonly resolved: CfnTemplate;
  readonly roles: TemplateRole[];
  readonly config: ConfigParameterValue;

  constructor(readonly template: CfnTemplate) {
    this.resolver = new TemplateResolver(template);
    this.resolved = this.resolver.resolveTemplate();
    this.roles = templateRoles(this.resolver);
    const parameter = this.resourceOfType('AWS::SSM::Parameter', /^ConfigParameter/);
    this.config = JSON.parse(String(parameter.Properties!.Value)) as ConfigParameterValue;
    this.configParameterName = String(parameter.Properties!.Name);
  }

  readonly configParameterName: string;

  get env() {
    return this.resolver.env;
  }

  /** The one logical id of `type` matching `pattern`. */
  logicalId(type: string, pattern: RegExp): string {
    const ids = Object.entries(this.template.Resources)
      .filter(([id, r]) => r.Type === type && pattern.test(id))
      .map(([id]) => id);
    if (ids.length !== 1) throw new Error(`${type} ${pattern}: ${ids.length} matches (${ids.join(', ')})`);
    return ids[0];
  }

  ref(type: string, pattern: RegExp): string {
    return String(this.resolver.ref(this.logicalId(type, pattern)));
  }

  getAtt(type: string, pattern: RegExp, attribute: string): string {
    return String(this.resolver.getAtt(this.logicalId(type, pattern), attribute));
  }

  role(pattern: RegExp): TemplateRole {
    const roles = this.roles.filter((r) => pattern.test(r.logicalId));
    if (roles.length !== 1) throw new Error(`role ${pattern}: ${roles.length} matches`);
    return roles[0];
  }

  private resourceOfType(type: string, pattern: RegExp) {
    return this.resolved.Resources[this.logicalId(type, pattern)];
  }

  /** `arn:<partition>:<service>:<region>:<account>:<resource>`. */
  arn(service: string, resource: string, opts: { region?: string; account?: string } = {}): string {
    const { partition, region, account } = this.env;
    return `arn:${partition}:${service}:${opts.region ?? region}:${opts.account ?? account}:${resource}`;
  }

  ec2Arn(resourceType: string, id: string, opts: { region?: string; account?: string } = {}): string {
    return this.arn('ec2', `${resourceType}/${id}`, opts);
  }

  s3ObjectArn(bucket: string, key: string): string {
    return `arn:${this.env.partition}:s3:::${bucket}/${key}`;
  }

  /** `s3://bucket/key` as an object ARN. */
  s3UriArn(uri: string): string {
    const m = /^s3:\/\/([^/]+)\/(.+)$/.exec(uri);
    if (!m) throw new Error(`not an s3:// URI: ${uri}`);
    return this.s3ObjectArn(m[1], m[2]);
  }

  get subnetIds(): string[] {
    return this.config.vars.WORKER_SUBNET_IDS.split(' ');
  }

  get vpcId(): string {
    return this.ref('AWS::EC2::VPC', /^NetworkVpc/);
  }

  get fleet(): string {
    return this.config.vars.FLEET_TAG_VALUE;
  }
}

/** The JSON the controller reads from its config parameter (lib/constructs/controller-config.ts). */
export interface ConfigParameterValue {
  bundle: { bucket: string; key: string; digest: string };
  vars: Record<string, string> & {
    WORKER_SUBNET_IDS: string;
    WORKER_SECURITY_GROUP_ID: string;
    WORKER_INSTANCE_PROFILE_ARN: string;
    WORKER_AMI_ID: string;
    FLEET_TAG_VALUE: string;
    WORKER_PAYLOAD_S3_URI: string;
    CREDENTIALS_SECRET_PREFIX: string;
  };
  secrets: Record<string, string>;
  reloadTokenSecret: string;
  alertTopicArn?: string;
}
