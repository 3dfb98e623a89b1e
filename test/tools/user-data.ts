/**
 * The controller's user data as the instance receives it, read from a synthesized template, with
 * CloudFormation references replaced by placeholders (so shellcheck can read it).
 */
type CfnValue = string | { 'Fn::Join'?: [string, CfnValue[]]; Ref?: string; [other: string]: unknown };

export function renderedUserData(template: {
  Resources: Record<string, { Type: string; Properties: Record<string, unknown> }>;
}): string {
  const launchTemplates = Object.values(template.Resources).filter(
    (r) => r.Type === 'AWS::EC2::LaunchTemplate',
  );
  if (launchTemplates.length !== 1)
    throw new Error(`expected one launch template, found ${launchTemplates.length}`);
  const data = launchTemplates[0].Properties.LaunchTemplateData as { UserData: { 'Fn::Base64': CfnValue } };
  return flatten(data.UserData['Fn::Base64']);
}

function flatten(value: CfnValue): string {
  if (typeof value === 'string') return value;
  if (value['Fn::Join']) {
    const [separator, items] = value['Fn::Join'];
    return items.map(flatten).join(separator);
  }
  if (value.Ref) return `ref-${value.Ref}`;
  return 'cfn-value';
}
