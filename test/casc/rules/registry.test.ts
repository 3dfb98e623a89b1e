import * as fs from 'fs';
import * as path from 'path';

import { CASC_RULES, type CascRule } from '../../../lib/casc/rules';
import { REPO } from '../helpers';
import { RULE_CASES } from './cases';

const RULES_DIR = path.join(REPO, 'lib/casc/rules');
/** The registry and the shared shape; every other file is one rule. */
const NOT_RULES = new Set(['index.ts', 'rule.ts']);
const ARCHITECTURE = path.join(REPO, 'docs/architecture.md');
const TABLE_START =
  '<!-- casc-rules:start (generated from lib/casc/rules/index.ts; test/casc/rules/registry.test.ts) -->';
const TABLE_END = '<!-- casc-rules:end -->';

/** The docs table of the registry, in registry order. */
function rulesTable(): string {
  const rows = CASC_RULES.map((rule) => `| \`${rule.id}\` | ${rule.summary.replace(/\|/g, '\\|')} |`);
  return ['| id | what it refuses or warns about, and why |', '| --- | --- |', ...rows].join('\n');
}

describe('casc rule registry', () => {
  it('holds each id once, in kebab case', () => {
    const ids = CASC_RULES.map((rule) => rule.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of ids) expect(id).toMatch(/^[a-z0-9]+(-[a-z0-9]+)*$/);
  });

  it('registers every rule file, each named after the one rule it exports', () => {
    const files = fs.readdirSync(RULES_DIR).filter((f) => f.endsWith('.ts') && !NOT_RULES.has(f));
    expect(files.sort()).toEqual(CASC_RULES.map((rule) => `${rule.id}.ts`).sort());
    for (const file of files) {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const exported = Object.values(require(path.join(RULES_DIR, file)) as Record<string, unknown>);
      const rules = exported.filter((value): value is CascRule => CASC_RULES.includes(value as CascRule));
      expect(rules.map((rule) => rule.id)).toEqual([file.replace(/\.ts$/, '')]);
    }
  });

  it('has a compliant and a non-compliant case for every rule (test/casc/rules/cases.ts)', () => {
    expect(RULE_CASES.map((c) => c.id).sort()).toEqual(CASC_RULES.map((rule) => rule.id).sort());
  });

  it('gives every rule a one-line summary that says whether it refuses or warns', () => {
    for (const rule of CASC_RULES) expect(rule.summary).toMatch(/^(refuses|warns) [^\n]+$/);
  });

  it('is listed in docs/architecture.md, in registry order', () => {
    const doc = fs.readFileSync(ARCHITECTURE, 'utf8');
    const start = doc.indexOf(TABLE_START);
    const end = doc.indexOf(TABLE_END);
    expect(start).toBeGreaterThanOrEqual(0);
    expect(end).toBeGreaterThan(start);
    // On a change, paste the expected table between the markers.
    expect(doc.slice(start + TABLE_START.length, end).trim()).toBe(rulesTable());
  });
});
