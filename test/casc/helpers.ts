import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

import { type CascValidation, validateCascTree } from '../../lib/casc/validate';
import { formatProblem } from '../../lib/jcasc/problem';

export const REPO = path.resolve(__dirname, '../..');
/** The shipped casc/ec2-cloud.yaml, both templates. */
export const SHIPPED_FILE = fs.readFileSync(path.join(REPO, 'casc/ec2-cloud.yaml'), 'utf8');

const SPOT_START = '          # Spot template, opt-in per build';
const SPOT_END = '        cleanUpOrphanedNodes: true';

function spotBlock(): string {
  const start = SHIPPED_FILE.indexOf(SPOT_START);
  const end = SHIPPED_FILE.indexOf(SPOT_END);
  if (start < 0 || end < start)
    throw new Error('casc/ec2-cloud.yaml: the spot template block moved; update test/casc/helpers.ts');
  return SHIPPED_FILE.slice(start, end);
}

/**
 * The shipped file with the on-demand template only: the base for single-template edits (each edit must
 * match exactly one place). `withSpotTemplate` puts the shipped spot template back.
 */
export const SHIPPED_EC2_YAML = SHIPPED_FILE.replace(spotBlock(), '');

/**
 * The one-template base keeps the shipped cloud cap 4 over its template cap 2, so it carries this capacity
 * warning; `validateEc2` leaves it out of `lines` so each test shows what its own edit changes (the
 * warning itself is asserted in test/casc/fleet-arithmetic.test.ts).
 */
export const BASE_CAPACITY_WARNING =
  "casc/ec2-cloud.yaml:N: jenkins.clouds[0].amazonEC2.instanceCapStr: warning: [cloud-cap-reachable] cloud instanceCapStr 4 is above the templates' caps together (2 = 2): at most 2 workers run; raise a template's instanceCapStr too";

/** Stand-ins for the lead's files, only ever written into temp dirs. */
export const MINIMAL_JENKINS_YAML = 'unclassified:\n  location:\n    url: "${JENKINS_URL}"\n';
export const MINIMAL_PLUGINS = 'configuration-as-code:1\nec2:2059.v05f9d511d7e5\n';
/**
 * A closed lock of exactly the plugins of a plugins.txt, none with dependencies (stand-in hashes), for
 * tests about casc sections rather than the lock (test/plugins covers the lock).
 */
export function lockFor(pluginsTxt: string): string {
  return pluginsTxt
    .split('\n')
    .map((line) => line.replace(/#.*/, '').trim())
    .filter(Boolean)
    .map((pin) => `${pin} sha256=${'a'.repeat(64)} source=intent\n  core 2.479.1\n`)
    .join('');
}

/** The lock of MINIMAL_PLUGINS and a pinned core. */
export const MINIMAL_PLUGIN_FILES: Readonly<Record<string, string>> = {
  'casc/plugins.lock': lockFor(MINIMAL_PLUGINS),
  'casc/jenkins-core.txt': `2.580.1\nsha256=${'c'.repeat(64)}\n`,
};

/** Writes files (relative paths) into a fresh temp dir and returns it. */
export function tempTree(files: Record<string, string>): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'casc-test-'));
  for (const [name, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    fs.writeFileSync(path.join(dir, name), text);
  }
  return dir;
}

/** Validates `ec2Yaml` (default: the shipped file) with stand-in jenkins.yaml and plugins.txt. */
export function validateEc2(
  ec2Yaml: string = SHIPPED_EC2_YAML,
  extra: Record<string, string> = {},
  schemaOnly = false,
): CascValidation & { dir: string; lines: string[]; allLines: string[] } {
  const dir = tempTree({
    'casc/ec2-cloud.yaml': ec2Yaml,
    'casc/jenkins.yaml': MINIMAL_JENKINS_YAML,
    'casc/plugins.txt': MINIMAL_PLUGINS,
    ...MINIMAL_PLUGIN_FILES,
    ...(extra['casc/plugins.txt'] !== undefined
      ? { 'casc/plugins.lock': lockFor(extra['casc/plugins.txt']) }
      : {}),
    ...extra,
  });
  // `@render:` scripts are the repository's (assets/worker), as the bundle renders them.
  const result = validateCascTree({
    cascPath: path.join(dir, 'casc'),
    jobsPath: path.join(dir, 'jobs'),
    repoRoot: REPO,
    schemaOnly,
  });
  const lines = result.problems
    .map((p) => formatProblem(p, dir))
    .filter((line) => line.replace(/^(casc\/ec2-cloud\.yaml):\d+:/, '$1:N:') !== BASE_CAPACITY_WARNING);
  return { ...result, dir, lines, allLines: result.problems.map((p) => formatProblem(p, dir)) };
}

/** Offsets of `needle` outside YAML comments. */
function uncommentedOffsets(text: string, needle: string): number[] {
  const found: number[] = [];
  for (let i = text.indexOf(needle); i >= 0; i = text.indexOf(needle, i + 1)) {
    const lineStart = text.lastIndexOf('\n', i) + 1;
    if (!text.slice(lineStart, i).includes('#')) found.push(i);
  }
  return found;
}

/** Replaces exactly one uncommented occurrence, so an edit that no longer applies fails loudly. */
export function edit(text: string, from: string, to: string): string {
  const offsets = uncommentedOffsets(text, from);
  if (offsets.length !== 1) throw new Error(`expected one '${from}' in the YAML, found ${offsets.length}`);
  return text.slice(0, offsets[0]) + to + text.slice(offsets[0] + from.length);
}

/** 1-based line of the one uncommented occurrence of `needle`. */
export function lineOf(text: string, needle: string): number {
  const offsets = uncommentedOffsets(text, needle);
  if (offsets.length !== 1) throw new Error(`expected one '${needle}' in the YAML, found ${offsets.length}`);
  return text.slice(0, offsets[0]).split('\n').length;
}

/** `text` with the shipped spot template added as the cloud's last template. */
export function withSpotTemplate(text: string = SHIPPED_EC2_YAML): string {
  const at = text.indexOf(SPOT_END);
  if (at < 0) throw new Error(`expected '${SPOT_END.trim()}' in the YAML`);
  return text.slice(0, at) + spotBlock() + text.slice(at);
}
