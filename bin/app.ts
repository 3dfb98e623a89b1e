#!/usr/bin/env node
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { UserInputError } from '../lib/errors';
import { JenkinsGpuStack } from '../lib/jenkins-gpu-stack';
import { settingsFromContext } from '../lib/settings/validate-settings';

/** The CDK app: settings from context (cdk.json `jenkinsGpu`, `-c jenkinsGpu.<key>=…`), one stack, cdk-nag. */
function main(): void {
  const app = new App();
  const settings = settingsFromContext((key) => app.node.tryGetContext(key));
  new JenkinsGpuStack(app, settings.stackName, {
    settings,
    env:
      settings.account || settings.region
        ? { account: settings.account, region: settings.region }
        : undefined,
    description: 'Jenkins controller as code for GPU model training on EC2 (jenkins-gpu-training-cdk)',
  });
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  app.synth();
}

try {
  main();
} catch (error) {
  if (error instanceof UserInputError) {
    // A mistake in settings or casc/: the message says what and where; a stack trace would only hide it.
    console.error(`error: ${error.message}`);
    process.exit(1);
  }
  throw error;
}
