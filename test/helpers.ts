import { App, Stack } from 'aws-cdk-lib';

import { JenkinsController, JenkinsControllerProps } from '../lib/constructs/jenkins-controller';
import { Network } from '../lib/constructs/network';

/**
 * Context every test App has: no esbuild bundling (Lambda code is tested on its own), and no construct
 * stack traces. aws-cdk-lib records where each construct and metadata entry was made (cx-api
 * DISABLE_CREATION_STACK_TRACES, DISABLE_METADATA_STACK_TRACE); under Jest each trace goes through the
 * source maps, about an eighth of a synth, and no test reads them. `cdk synth` still records them.
 */
export const TEST_APP_CONTEXT: Readonly<Record<string, unknown>> = Object.freeze({
  'aws:cdk:bundling-stacks': Object.freeze([]),
  'aws:cdk:disable-creation-stack-traces': true,
  'aws:cdk:disable-stack-trace': true,
});

/**
 * A test App with TEST_APP_CONTEXT that writes to a temp dir and skips aws-cdk-lib's CloudFormation rule
 * check (seconds of engine loading per test file; the whole app's template is checked against those rules
 * in test/stack).
 */
export function testApp(context: Record<string, unknown> = {}): App {
  return new App({
    builtinCloudFormationValidation: false,
    context: { ...TEST_APP_CONTEXT, ...context },
  });
}

/** An environment-agnostic stack, as the real app synthesizes by default. */
export function testStack(name = 'TestStack', app: App = testApp()): Stack {
  return new Stack(app, name);
}

/** A new network and a controller in it, as the stack wires them (parameter `/<stack>/controller/config`). */
export function controllerIn(
  stack: Stack,
  props: Partial<JenkinsControllerProps> = {},
): { network: Network; controller: JenkinsController } {
  const network = new Network(stack, 'Network');
  const controller = new JenkinsController(stack, 'Controller', {
    vpc: network.vpc,
    subnet: network.controllerSubnet,
    configParameterName: `/${stack.stackName}/controller/config`,
    ...props,
  });
  return { network, controller };
}
