#!/usr/bin/env node
import { createApp } from '../lib/app';
import { UserInputError } from '../lib/errors';

try {
  const { app, stack } = createApp();
  app.synth();
  // synth throws on a casc problem, an unacknowledged cdk-nag finding or a CloudFormation rule finding, so
  // getting here means all three passed. stderr: stdout is the CLI's (the template without --quiet).
  console.error(`synth OK: cdk-nag AwsSolutions and the CloudFormation rules passed; ${stack.cascSummary}`);
} catch (error) {
  if (error instanceof UserInputError) {
    // A mistake in settings or casc/: the message says what and where; a stack trace would only hide it.
    console.error(`error: ${error.message}`);
    process.exit(1);
  }
  throw error;
}
