import { App, Stack } from 'aws-cdk-lib';

import { JenkinsController, JenkinsControllerProps } from '../lib/constructs/jenkins-controller';
import { Network } from '../lib/constructs/network';

/**
 * A test App that skips esbuild bundling (Lambda code is tested on its own) and writes to a temp dir, and
 * skips aws-cdk-lib's CloudFormation rule check (seconds of engine loading per test file; the whole app's
 * template is checked against those rules in test/stack).
 */
export function testApp(context: Record<string, unknown> = {}): App {
  return new App({
    builtinCloudFormationValidation: false,
    context: { 'aws:cdk:bundling-stacks': [], ...context },
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
