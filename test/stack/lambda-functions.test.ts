import { Template } from 'aws-cdk-lib/assertions';

import { synthApp } from './app-helpers';

/**
 * Every Lambda function of the stack, ours and the provider frameworks', from the one factory
 * (lib/constructs/lambda-defaults.ts): this table is what it decides.
 */
const SHARED = { runtime: 'nodejs24.x', architectures: ['arm64'], logRetentionDays: 90, tracing: undefined };

/** Logical id prefix → memory (MB) and timeout (s): ours 256 MB; the frameworks' are the framework's. */
const FUNCTIONS: Record<string, { memory: number | undefined; timeout: number }> = {
  CustomVpcRestrictDefaultSGCustomResourceProviderHandler: { memory: 128, timeout: 900 },
  CredentialsWorkerKeyPairFunction: { memory: 256, timeout: 60 },
  CredentialsWorkerKeyPairProviderframeworkonEvent: { memory: undefined, timeout: 900 },
  CredentialsFileCredentialPlaceholderFunction: { memory: 256, timeout: 60 },
  CredentialsFileCredentialPlaceholderProviderframeworkonEvent: { memory: undefined, timeout: 900 },
  CostGuardReaper: { memory: 256, timeout: 120 },
  DrainHandler: { memory: 256, timeout: 60 },
  FleetTeardownOnEvent: { memory: 256, timeout: 120 },
  FleetTeardownIsComplete: { memory: 256, timeout: 120 },
  FleetTeardownProviderframeworkonEvent: { memory: undefined, timeout: 900 },
  FleetTeardownProviderframeworkisComplete: { memory: undefined, timeout: 900 },
  FleetTeardownProviderframeworkonTimeout: { memory: undefined, timeout: 900 },
  ConfigApplyOnEvent: { memory: 256, timeout: 60 },
  ConfigApplyIsComplete: { memory: 256, timeout: 60 },
  ConfigApplyProviderframeworkonEvent: { memory: undefined, timeout: 900 },
  ConfigApplyProviderframeworkisComplete: { memory: undefined, timeout: 900 },
  ConfigApplyProviderframeworkonTimeout: { memory: undefined, timeout: 900 },
};

describe('the Lambda functions of the stack', () => {
  const t = Template.fromStack(synthApp().stack);
  const functions = t.findResources('AWS::Lambda::Function');
  const logGroups = t.findResources('AWS::Logs::LogGroup');
  const prefixOf = (logicalId: string) => logicalId.replace(/[0-9A-F]{8}$/, '');

  it('are the ones the table lists', () => {
    expect(Object.keys(functions).map(prefixOf).sort()).toEqual(Object.keys(FUNCTIONS).sort());
  });

  it.each(Object.entries(FUNCTIONS))(
    '%s: the shared runtime, architecture, log retention and tracing',
    (prefix, sizing) => {
      const [, fn] = Object.entries(functions).find(([id]) => prefixOf(id) === prefix)!;
      const p = fn.Properties;
      const logGroup = logGroups[p.LoggingConfig?.LogGroup?.Ref];
      expect({
        runtime: p.Runtime,
        architectures: p.Architectures,
        logRetentionDays: logGroup?.Properties.RetentionInDays,
        tracing: p.TracingConfig,
        memory: p.MemorySize,
        timeout: p.Timeout,
      }).toEqual({ ...SHARED, ...sizing });
    },
  );
});
