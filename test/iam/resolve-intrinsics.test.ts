import {
  CfnTemplate,
  generatedName,
  resolveTemplate,
  TemplateResolver,
  TEST_ENV,
} from './resolve-intrinsics';

const template: CfnTemplate = {
  Parameters: {
    Ami: { Type: 'AWS::SSM::Parameter::Value<AWS::EC2::Image::Id>', Default: '/aws/service/x' },
  },
  Resources: {
    WorkerRole: { Type: 'AWS::IAM::Role', Properties: {} },
    NamedRole: { Type: 'AWS::IAM::Role', Properties: { RoleName: { 'Fn::Sub': '${AWS::StackName}-named' } } },
    Secret: { Type: 'AWS::SecretsManager::Secret', Properties: { Name: 'Stack/worker-ssh-key' } },
    Logs: { Type: 'AWS::Logs::LogGroup', Properties: {} },
    Topic: { Type: 'AWS::SNS::Topic', Properties: {} },
    Sg: { Type: 'AWS::EC2::SecurityGroup', Properties: {} },
    KeyPair: {
      Type: 'Custom::JenkinsWorkerKeyPair',
      Properties: { KeyName: { 'Fn::Join': ['-', [{ Ref: 'AWS::StackName' }, 'workers']] } },
    },
    Queue: { Type: 'AWS::SQS::Queue', Properties: {} },
  },
};

describe('resolveTemplate', () => {
  const r = new TemplateResolver(template);

  it('resolves pseudo parameters to the test environment', () => {
    expect(
      r.resolve({
        'Fn::Join': [':', [{ Ref: 'AWS::Partition' }, { Ref: 'AWS::Region' }, { Ref: 'AWS::AccountId' }]],
      }),
    ).toBe('aws:us-east-1:111122223333');
    expect(r.resolve({ Ref: 'AWS::StackId' })).toMatch(
      /^arn:aws:cloudformation:us-east-1:111122223333:stack\/JenkinsGpuTraining\//,
    );
  });

  it('gives Ref and GetAtt the value CloudFormation documents for each type', () => {
    const roleName = String(r.ref('WorkerRole'));
    expect(roleName).toMatch(/^JenkinsGpuTraining-WorkerRole-[0-9A-F]{12}$/);
    expect(r.getAtt('WorkerRole', 'Arn')).toBe(`arn:aws:iam::111122223333:role/${roleName}`);
    expect(r.ref('NamedRole')).toBe('JenkinsGpuTraining-named');
    // Ref of a secret is its ARN, with the six random characters Secrets Manager appends.
    expect(r.ref('Secret')).toMatch(
      /^arn:aws:secretsmanager:us-east-1:111122223333:secret:Stack\/worker-ssh-key-[0-9a-f]{6}$/,
    );
    expect(r.getAtt('Logs', 'Arn')).toBe(
      `arn:aws:logs:us-east-1:111122223333:log-group:${String(r.ref('Logs'))}:*`,
    );
    expect(r.ref('Topic')).toMatch(/^arn:aws:sns:us-east-1:111122223333:JenkinsGpuTraining-Topic-/);
    expect(r.getAtt('Sg', 'GroupId')).toMatch(/^sg-0[0-9a-f]{16}$/);
    expect(r.getAtt('KeyPair', 'KeyName')).toBe('JenkinsGpuTraining-workers');
    expect(r.ref('Ami')).toMatch(/^ami-0[0-9a-f]{16}$/);
  });

  it('is stable: the same logical id always resolves to the same value', () => {
    expect(new TemplateResolver(template).ref('Sg')).toBe(r.ref('Sg'));
    expect(r.ref('Sg')).not.toBe(
      new TemplateResolver({ Resources: { Sg2: template.Resources.Sg } }).ref('Sg2'),
    );
  });

  it('substitutes Fn::Sub variables, references and attributes, and keeps ${!literal}', () => {
    const sub = {
      'Fn::Sub': [
        '${AWS::Region}/${WorkerRole.Arn}/${X}/${!ec2:SourceInstanceARN}',
        { X: { Ref: 'AWS::AccountId' } },
      ],
    };
    expect(r.resolve(sub)).toBe(
      `us-east-1/${String(r.getAtt('WorkerRole', 'Arn'))}/111122223333/\${ec2:SourceInstanceARN}`,
    );
  });

  it('leaves policy variables in plain strings alone (only Fn::Sub interprets ${…})', () => {
    const statement = {
      Condition: {
        ArnEquals: {
          'ec2:SourceInstanceARN': {
            'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':ec2:x:y:instance/${ec2:InstanceID}']],
          },
        },
      },
    };
    expect(r.resolve(statement)).toEqual({
      Condition: { ArnEquals: { 'ec2:SourceInstanceARN': 'arn:aws:ec2:x:y:instance/${ec2:InstanceID}' } },
    });
  });

  it('resolves Fn::Select over Fn::GetAZs and Fn::Split', () => {
    expect(r.resolve({ 'Fn::Select': [1, { 'Fn::GetAZs': '' }] })).toBe('us-east-1b');
    expect(r.resolve({ 'Fn::Select': [0, { 'Fn::Split': [',', 'a,b'] }] })).toBe('a');
  });

  it('fails loudly on a type or function it does not know, instead of inventing an ARN', () => {
    expect(() => r.ref('Queue')).toThrow(
      'resolve-intrinsics: Ref of AWS::SQS::Queue (Queue) is not supported',
    );
    expect(() => r.getAtt('Topic', 'Nope')).toThrow(
      'Fn::GetAtt AWS::SNS::Topic.Nope (Topic) is not supported',
    );
    expect(() => r.resolve({ 'Fn::If': ['C', 'a', 'b'] })).toThrow('Fn::If is not supported');
    expect(() => r.ref('Missing')).toThrow('no resource Missing in the template');
  });

  it('resolves a whole template without touching what is not an intrinsic', () => {
    const resolved = resolveTemplate({
      Resources: {
        A: { Type: 'AWS::IAM::Role', Properties: { Path: '/', Tags: [{ Key: 'k', Value: 'v' }] } },
      },
    });
    expect(resolved.Resources.A.Properties).toEqual({ Path: '/', Tags: [{ Key: 'k', Value: 'v' }] });
  });

  it('generates names within the length CloudFormation allows', () => {
    const name = generatedName({ ...TEST_ENV, stackName: 'S'.repeat(100) }, 'L'.repeat(100));
    expect(name.length).toBeLessThanOrEqual(64);
    expect(name).toMatch(/^S+-L+-[0-9A-F]{12}$/);
  });
});
