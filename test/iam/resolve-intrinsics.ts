import { createHash } from 'crypto';

/**
 * Resolves the CloudFormation intrinsics of a synthesized template into the values CloudFormation would
 * produce in one realistic deployment, so an IAM evaluator sees policies as AWS evaluates them: pseudo
 * parameters, `Ref` and `Fn::GetAtt` of every resource type the stack uses (each logical id gets a stable,
 * plausible physical id or ARN), `Fn::Join`, `Fn::Sub`, `Fn::Select`, `Fn::GetAZs`, `Fn::Base64`,
 * `Fn::Split`. A type or attribute it does not know throws, so a new resource in the stack shows up here
 * instead of as a silently wrong ARN.
 *
 * What `Ref` and `Fn::GetAtt` return per type: the "Return values" section of each resource's page in the
 * CloudFormation template reference (e.g. `Ref` of AWS::SecretsManager::Secret is the ARN, of
 * AWS::IAM::Role the name, of AWS::SNS::Topic the ARN, of AWS::StepFunctions::StateMachine the ARN).
 */

export interface DeploymentEnv {
  readonly account: string;
  readonly region: string;
  readonly partition: string;
  readonly stackName: string;
}

export const TEST_ENV: DeploymentEnv = {
  account: '111122223333',
  region: 'us-east-1',
  partition: 'aws',
  stackName: 'JenkinsGpuTraining',
};

type Json = unknown;
interface TemplateResource {
  Type: string;
  Properties?: Record<string, Json>;
}
export interface CfnTemplate {
  Resources: Record<string, TemplateResource>;
  Parameters?: Record<string, { Type: string; Default?: string }>;
  [key: string]: Json;
}

/** A stable lowercase hex string of `length` characters derived from `seed`. */
export function stableHex(seed: string, length: number): string {
  return createHash('sha256').update(seed).digest('hex').slice(0, length);
}

/** The name CloudFormation generates when a resource has no name property: `<stack>-<logicalId>-<SUFFIX>`. */
export function generatedName(env: DeploymentEnv, logicalId: string, maxLength = 64): string {
  const suffix = stableHex(logicalId, 12).toUpperCase();
  const room = maxLength - suffix.length - 2;
  const stackPart = env.stackName.slice(0, Math.ceil(room / 2));
  const idPart = logicalId.slice(0, room - stackPart.length);
  return `${stackPart}-${idPart}-${suffix}`;
}

export class TemplateResolver {
  private readonly cache = new Map<string, Json>();

  constructor(
    private readonly template: CfnTemplate,
    readonly env: DeploymentEnv = TEST_ENV,
  ) {}

  /** The template with every intrinsic in `Resources` (and `Outputs`) replaced by its value. */
  resolveTemplate(): CfnTemplate {
    return {
      ...this.template,
      Resources: this.resolve(this.template.Resources) as CfnTemplate['Resources'],
      ...(this.template.Outputs ? { Outputs: this.resolve(this.template.Outputs) } : {}),
    };
  }

  resolve(value: Json): Json {
    if (Array.isArray(value)) return value.map((v) => this.resolve(v));
    if (value === null || typeof value !== 'object') return value;
    const node = value as Record<string, Json>;
    const keys = Object.keys(node);
    if (keys.length === 1 && (keys[0] === 'Ref' || keys[0].startsWith('Fn::'))) {
      return this.intrinsic(keys[0], node[keys[0]]);
    }
    return Object.fromEntries(keys.map((k) => [k, this.resolve(node[k])]));
  }

  private intrinsic(name: string, arg: Json): Json {
    switch (name) {
      case 'Ref':
        return this.ref(arg as string);
      case 'Fn::GetAtt': {
        const [id, attribute] = typeof arg === 'string' ? arg.split(/\.(.*)/) : (arg as [string, string]);
        return this.getAtt(id, attribute);
      }
      case 'Fn::Join': {
        const [delimiter, items] = arg as [string, Json[]];
        return (this.resolve(items) as Json[]).map(String).join(delimiter);
      }
      case 'Fn::Sub':
        return this.sub(arg);
      case 'Fn::Select': {
        const [index, list] = arg as [Json, Json];
        return (this.resolve(list) as Json[])[Number(this.resolve(index))];
      }
      case 'Fn::Split': {
        const [delimiter, source] = arg as [string, Json];
        return String(this.resolve(source)).split(delimiter);
      }
      case 'Fn::GetAZs':
        return ['a', 'b', 'c'].map((zone) => `${this.env.region}${zone}`);
      case 'Fn::Base64':
        return Buffer.from(String(this.resolve(arg))).toString('base64');
      default:
        throw new Error(`resolve-intrinsics: ${name} is not supported (arguments ${JSON.stringify(arg)})`);
    }
  }

  private sub(arg: Json): string {
    const [text, vars] = typeof arg === 'string' ? [arg, {}] : (arg as [string, Record<string, Json>]);
    const resolvedVars = this.resolve(vars) as Record<string, Json>;
    return text.replace(/\$\{(!?)([^}]+)\}/g, (_match, literal: string, expr: string) => {
      if (literal) return `\${${expr}}`;
      if (expr in resolvedVars) return String(resolvedVars[expr]);
      const [id, attribute] = expr.split(/\.(.*)/);
      return String(attribute === undefined ? this.ref(id) : this.getAtt(id, attribute));
    });
  }

  private pseudo(name: string): string | undefined {
    const { account, region, partition, stackName } = this.env;
    const pseudoParameters: Record<string, string> = {
      'AWS::AccountId': account,
      'AWS::Region': region,
      'AWS::Partition': partition,
      'AWS::StackName': stackName,
      'AWS::URLSuffix': 'amazonaws.com',
      'AWS::StackId': `arn:${partition}:cloudformation:${region}:${account}:stack/${stackName}/${stableHex(stackName, 8)}-0000-4000-8000-${stableHex(stackName, 12)}`,
    };
    return pseudoParameters[name];
  }

  ref(id: string): Json {
    const pseudo = this.pseudo(id);
    if (pseudo !== undefined) return pseudo;
    const parameter = this.template.Parameters?.[id];
    if (parameter) return parameterValue(id, parameter.Type);
    return this.memo(`Ref:${id}`, () => this.resourceRef(id));
  }

  getAtt(id: string, attribute: string): Json {
    return this.memo(`GetAtt:${id}.${attribute}`, () => this.resourceAttribute(id, attribute));
  }

  private memo(key: string, compute: () => Json): Json {
    if (!this.cache.has(key)) this.cache.set(key, compute());
    return this.cache.get(key);
  }

  private resource(id: string): TemplateResource {
    const resource = this.template.Resources[id];
    if (!resource) throw new Error(`resolve-intrinsics: no resource ${id} in the template`);
    return resource;
  }

  /** A name property the template sets, resolved, else the name CloudFormation would generate. */
  private nameOf(id: string, property: string, maxLength = 64): string {
    const given = this.resource(id).Properties?.[property];
    return given !== undefined ? String(this.resolve(given)) : generatedName(this.env, id, maxLength);
  }

  private arn(service: string, resource: string, { region = true, account = true } = {}): string {
    const { partition } = this.env;
    return `arn:${partition}:${service}:${region ? this.env.region : ''}:${account ? this.env.account : ''}:${resource}`;
  }

  private resourceRef(id: string): Json {
    const type = this.resource(id).Type;
    const hex = (length: number) => stableHex(id, length);
    const refs: Record<string, () => Json> = {
      'AWS::IAM::Role': () => this.nameOf(id, 'RoleName'),
      'AWS::IAM::InstanceProfile': () => this.nameOf(id, 'InstanceProfileName', 128),
      'AWS::IAM::Policy': () => generatedName(this.env, id, 128),
      'AWS::SecretsManager::Secret': () =>
        this.arn('secretsmanager', `secret:${this.nameOf(id, 'Name', 512)}-${hex(6)}`),
      'AWS::EC2::VPC': () => `vpc-0${hex(16)}`,
      'AWS::EC2::Subnet': () => `subnet-0${hex(16)}`,
      'AWS::EC2::SecurityGroup': () => `sg-0${hex(16)}`,
      'AWS::EC2::RouteTable': () => `rtb-0${hex(16)}`,
      'AWS::EC2::InternetGateway': () => `igw-0${hex(16)}`,
      'AWS::EC2::Volume': () => `vol-0${hex(16)}`,
      'AWS::EC2::LaunchTemplate': () => `lt-0${hex(16)}`,
      'AWS::EC2::VPCEndpoint': () => `vpce-0${hex(16)}`,
      'AWS::DLM::LifecyclePolicy': () => `policy-0${hex(16)}`,
      'AWS::AutoScaling::LifecycleHook': () => this.nameOf(id, 'LifecycleHookName', 255),
      'AWS::SNS::Topic': () => this.arn('sns', this.nameOf(id, 'TopicName', 256)),
      'AWS::Logs::LogGroup': () => this.nameOf(id, 'LogGroupName', 512),
      'AWS::Lambda::Function': () => this.nameOf(id, 'FunctionName'),
      'AWS::SSM::Parameter': () => this.nameOf(id, 'Name', 1011),
      'AWS::SSM::Document': () => this.nameOf(id, 'Name', 128),
      'AWS::StepFunctions::StateMachine': () =>
        this.arn('states', `stateMachine:${this.nameOf(id, 'StateMachineName', 80)}`),
      'AWS::AutoScaling::AutoScalingGroup': () => this.nameOf(id, 'AutoScalingGroupName', 255),
      'AWS::KMS::Key': () => {
        const h = hex(32);
        return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20)}`;
      },
      'AWS::Events::Rule': () => this.nameOf(id, 'Name'),
      'AWS::S3::Bucket': () => this.nameOf(id, 'BucketName', 63).toLowerCase(),
    };
    const ref = refs[type];
    if (!ref) throw new Error(`resolve-intrinsics: Ref of ${type} (${id}) is not supported`);
    return ref();
  }

  private resourceAttribute(id: string, attribute: string): Json {
    const type = this.resource(id).Type;
    const name = () => String(this.ref(id));
    const attributes: Record<string, () => Json> = {
      'AWS::IAM::Role.Arn': () => this.arn('iam', `role/${name()}`, { region: false }),
      'AWS::IAM::InstanceProfile.Arn': () => this.arn('iam', `instance-profile/${name()}`, { region: false }),
      'AWS::EC2::SecurityGroup.GroupId': name,
      'AWS::EC2::VPC.DefaultSecurityGroup': () => `sg-0${stableHex(`${id}.default`, 16)}`,
      'AWS::EC2::VPC.CidrBlock': () => this.resolve(this.resource(id).Properties?.CidrBlock),
      'AWS::EC2::LaunchTemplate.LatestVersionNumber': () => '1',
      'AWS::EC2::LaunchTemplate.DefaultVersionNumber': () => '1',
      'AWS::Logs::LogGroup.Arn': () => this.arn('logs', `log-group:${name()}:*`),
      'AWS::Lambda::Function.Arn': () => this.arn('lambda', `function:${name()}`),
      'AWS::KMS::Key.Arn': () => this.arn('kms', `key/${name()}`),
      'AWS::Events::Rule.Arn': () => this.arn('events', `rule/${name()}`),
      'AWS::SSM::Parameter.Value': () => this.resolve(this.resource(id).Properties?.Value),
      'AWS::SNS::Topic.TopicArn': name,
      'AWS::StepFunctions::StateMachine.Arn': name,
      'AWS::S3::Bucket.Arn': () => `arn:${this.env.partition}:s3:::${name()}`,
    };
    const attributeOf = attributes[`${type}.${attribute}`];
    if (attributeOf) return attributeOf();
    if (type.startsWith('Custom::')) {
      // This project's custom resources return their input properties of the same name (KeyName).
      const property = this.resource(id).Properties?.[attribute];
      if (property !== undefined) return this.resolve(property);
    }
    throw new Error(`resolve-intrinsics: Fn::GetAtt ${type}.${attribute} (${id}) is not supported`);
  }
}

/** The value CloudFormation reads for an SSM-typed parameter (a public AMI id, the bootstrap version). */
function parameterValue(id: string, type: string): string {
  if (type === 'AWS::SSM::Parameter::Value<AWS::EC2::Image::Id>') return `ami-0${stableHex(id, 16)}`;
  if (type === 'AWS::SSM::Parameter::Value<String>') return '25';
  throw new Error(`resolve-intrinsics: parameter ${id} of type ${type} is not supported`);
}

/** `template` with every intrinsic resolved for `env`. */
export function resolveTemplate(template: CfnTemplate, env: DeploymentEnv = TEST_ENV): CfnTemplate {
  return new TemplateResolver(template, env).resolveTemplate();
}
