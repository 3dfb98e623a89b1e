import { Template } from 'aws-cdk-lib/assertions';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

import { createApp } from '../../lib/app';
import { TEST_APP_CONTEXT } from '../helpers';

export const REPO = path.resolve(__dirname, '../..');
/** cdk.json's context: the feature flags and the CloudFormation rule switch `cdk synth` runs with. */
export const CDK_JSON_CONTEXT = JSON.parse(fs.readFileSync(path.join(REPO, 'cdk.json'), 'utf8'))
  .context as Record<string, unknown>;

/**
 * The real app as `cdk synth` builds it (cdk.json context) with TEST_APP_CONTEXT (no esbuild bundling, no
 * construct stack traces) and, unless `cfnRules`, without aws-cdk-lib's CloudFormation rule check: its
 * engine takes seconds to load in every test file, and only the tests of those rules need it
 * (settings-combinations, synth-agreement's largest values, app-entry).
 */
export function synthApp(context: Record<string, unknown> = {}, { cfnRules = false } = {}) {
  const { app, stack } = createApp({
    builtinCloudFormationValidation: cfnRules,
    context: { ...CDK_JSON_CONTEXT, ...TEST_APP_CONTEXT, ...context },
  });
  return { app, stack };
}

/** Copy of the parts of the repository a stack reads (casc/, jobs/, assets/, init.groovy.d/), to edit in a test. */
export function repoCopy(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'repo-copy-'));
  for (const part of ['casc', 'jobs', 'assets', 'init.groovy.d']) {
    fs.cpSync(path.join(REPO, part), path.join(dir, part), { recursive: true });
  }
  return dir;
}

export function editFile(file: string, from: string, to: string): void {
  const text = fs.readFileSync(file, 'utf8');
  if (!text.includes(from)) throw new Error(`${file}: '${from}' not found`);
  fs.writeFileSync(file, text.replace(from, to));
}

export function resourcesOfType(t: Template, type: string): string {
  return JSON.stringify(t.findResources(type));
}
