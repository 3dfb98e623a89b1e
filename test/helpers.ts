import { App, Stack } from 'aws-cdk-lib';

/** A test App that skips esbuild bundling (Lambda code is tested on its own) and writes to a temp dir. */
export function testApp(context: Record<string, unknown> = {}): App {
  return new App({ context: { 'aws:cdk:bundling-stacks': [], ...context } });
}

/** An environment-agnostic stack, as the real app synthesizes by default. */
export function testStack(name = 'TestStack', app: App = testApp()): Stack {
  return new Stack(app, name);
}
