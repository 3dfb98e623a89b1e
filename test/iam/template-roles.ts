import { TemplateResolver } from './resolve-intrinsics';

/** An IAM policy document as the template holds it once its intrinsics are resolved. */
export interface PolicyDocument {
  Version?: string;
  Statement: PolicyStatement[] | PolicyStatement;
}
export interface PolicyStatement {
  Sid?: string;
  Effect: 'Allow' | 'Deny';
  Action?: string | string[];
  NotAction?: string | string[];
  Resource?: string | string[];
  NotResource?: string | string[];
  Principal?: unknown;
  Condition?: Record<string, Record<string, string | string[] | boolean | number>>;
}

/** One role of a resolved template, with every identity policy attached to it. */
export interface TemplateRole {
  readonly logicalId: string;
  readonly name: string;
  readonly arn: string;
  readonly trustPolicy: PolicyDocument;
  /** Inline policies of the role and AWS::IAM::Policy / customer ManagedPolicy resources attached to it. */
  readonly policies: { readonly name: string; readonly document: PolicyDocument }[];
  /** Names of AWS managed policies attached (`service-role/…`), whose text is not in the template. */
  readonly awsManagedPolicies: string[];
}

const AWS_MANAGED = /^arn:aws[a-z-]*:iam::aws:policy\/(.+)$/;

/** Every AWS::IAM::Role of the template, with its policies resolved by `resolver`. */
export function templateRoles(resolver: TemplateResolver): TemplateRole[] {
  const resources = resolver.resolveTemplate().Resources;
  const { account, partition } = resolver.env;
  const attached = (roleName: string) =>
    Object.entries(resources)
      .filter(([, r]) => r.Type === 'AWS::IAM::Policy' || r.Type === 'AWS::IAM::ManagedPolicy')
      .filter(([, r]) => ((r.Properties?.Roles as string[] | undefined) ?? []).includes(roleName))
      .map(([id, r]) => ({ name: id, document: r.Properties!.PolicyDocument as PolicyDocument }));

  return Object.entries(resources)
    .filter(([, r]) => r.Type === 'AWS::IAM::Role')
    .map(([logicalId, r]) => {
      const props = r.Properties as Record<string, unknown>;
      const name = String(resolver.ref(logicalId));
      const managed = ((props.ManagedPolicyArns as string[] | undefined) ?? []).map((arn) => {
        const m = AWS_MANAGED.exec(arn);
        if (!m) throw new Error(`${logicalId}: managed policy ${arn} is not an AWS managed policy`);
        return m[1];
      });
      const inline = ((props.Policies as { PolicyName: string; PolicyDocument: PolicyDocument }[]) ?? []).map(
        (p) => ({ name: `${logicalId}/${p.PolicyName}`, document: p.PolicyDocument }),
      );
      return {
        logicalId,
        name,
        arn: `arn:${partition}:iam::${account}:role/${name}`,
        trustPolicy: props.AssumeRolePolicyDocument as PolicyDocument,
        policies: [...inline, ...attached(name)],
        awsManagedPolicies: managed,
      };
    });
}

export function statementsOf(document: PolicyDocument): PolicyStatement[] {
  return Array.isArray(document.Statement) ? document.Statement : [document.Statement];
}

export function asList<T>(value: T | T[] | undefined): T[] {
  return value === undefined ? [] : Array.isArray(value) ? value : [value];
}
