import { CASC_RULES } from '../../../lib/casc/rules';
import { RULE_CASES, ruleProblems } from './cases';

describe.each(RULE_CASES.map((c) => [c.id, c] as const))('rule %s', (id, c) => {
  const rule = CASC_RULES.find((r) => r.id === id);

  it('is registered', () => {
    expect(rule).toBeDefined();
  });

  it('accepts the compliant casc', () => {
    expect(ruleProblems(rule!, c.compliant, c.hourlyBurnAlarmUsd)).toEqual([]);
  });

  it('reports the non-compliant casc, its id first in every message', () => {
    const messages = ruleProblems(rule!, c.nonCompliant, c.hourlyBurnAlarmUsd).map((p) => p.message);
    expect(messages).not.toEqual([]);
    for (const message of messages) expect(message).toMatch(new RegExp(`^\\[${id}\\] `));
    expect(messages.join('\n')).toContain(c.says);
  });
});
