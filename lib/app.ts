import { App, AppProps, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';

import { JenkinsGpuStack } from './jenkins-gpu-stack';
import { settingsFromContext } from './settings/validate-settings';

/**
 * The CDK app: settings from context (cdk.json `jenkinsGpu`, `-c jenkinsGpu.<key>=…`), one stack, and the
 * cdk-nag AwsSolutions checks as a validation plugin (unacknowledged findings fail synth). The
 * CloudFormation rule check is on through the `@aws-cdk/core:validateAgainstDefaultRules` flag in cdk.json.
 */
export function createApp(props: AppProps = {}): { app: App; stack: JenkinsGpuStack } {
  const app = new App(props);
  // The whole context, so a misspelt `-c jenkinsGpu.<key>` is an error, not silently ignored.
  const settings = settingsFromContext(app.node.getAllContext());
  const stack = new JenkinsGpuStack(app, settings.stackName, {
    settings,
    env:
      settings.account || settings.region
        ? { account: settings.account, region: settings.region }
        : undefined,
    description: 'Jenkins controller as code for GPU model training on EC2 (jenkins-gpu-training-cdk)',
  });
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return { app, stack };
}
