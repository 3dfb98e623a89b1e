/**
 * The `${VARS}` the stack provides to JCasC on the controller (files in the JCasC `SECRETS` dir, written
 * from the controller-config SSM parameter). The casc validator rejects any other variable, so a typo in
 * the YAML fails `cdk synth`, not the controller.
 */
export interface StackVariable {
  readonly name: string;
  readonly description: string;
  /** Resolved from Secrets Manager on the instance; never in the template or the parameter. */
  readonly secret?: boolean;
  /**
   * The longest value the stack can give it, for variables that end up in worker user data (whose size EC2
   * limits after JCasC has filled them in).
   */
  readonly maxLength?: number;
}

export const STACK_VARIABLES: readonly StackVariable[] = [
  {
    name: 'JENKINS_URL',
    description: 'the URL users open (location.url); also identifies the fleet to the EC2 plugin',
  },
  { name: 'JENKINS_ADMIN_EMAIL', description: 'system admin e-mail address (alert e-mail setting)' },
  { name: 'ADMIN_PASSWORD', description: 'password of the local `admin` user', secret: true },
  { name: 'AWS_REGION', description: 'the region the stack runs in' },
  { name: 'STACK_NAME', description: 'the CloudFormation stack name' },
  { name: 'CREDENTIALS_SECRET_PREFIX', description: "name prefix of this stack's credential secrets" },
  {
    name: 'WORKER_AMI_ID',
    description: 'GPU worker AMI id (Deep Learning AMI from its public SSM parameter by default)',
  },
  { name: 'WORKER_SUBNET_IDS', description: 'subnet ids for GPU workers, space separated' },
  { name: 'WORKER_SECURITY_GROUP_ID', description: "the workers' security group id" },
  { name: 'WORKER_INSTANCE_PROFILE_ARN', description: "the workers' instance profile ARN" },
  {
    name: 'FLEET_TAG_VALUE',
    description: 'value of the `jenkins-gpu:fleet` tag on every worker of this stack',
  },
  { name: 'RESULTS_LOCATION', description: 'default data/results location for training runs' },
  {
    name: 'WORKER_PAYLOAD_S3_URI',
    description: 's3:// URI of the worker boot payload that the worker user data fetches',
    // s3:// + a bucket name (at most 63 characters) + / + the asset key `<sha256 hex>.sh`.
    maxLength: 5 + 63 + 1 + 64 + 3,
  },
];

export function stackVariableNames(): Set<string> {
  return new Set(STACK_VARIABLES.map((v) => v.name));
}

/**
 * `${NAME}`, the JCasC reference to a stack variable, for the rules that require one. A name not in
 * STACK_VARIABLES is this project's bug, so it throws when the rule module loads.
 */
export function stackVariableReference(name: string): string {
  if (!STACK_VARIABLES.some((v) => v.name === name)) {
    throw new Error(`${name} is not a stack variable (lib/casc/stack-variables.ts)`);
  }
  return `\${${name}}`;
}
