import { decide, decideOne, InstanceFacts, parseStopTime, ReaperPolicy } from '../../lib/cost/decide';
import { hourlyPrice, PRICE_TABLE } from '../../lib/cost/prices';

const NOW = new Date('2026-07-20T12:00:00.000Z');
const HOUR = 3_600_000;
const DAY = 24 * HOUR;

const policy: ReaperPolicy = {
  fleetTagValue: 'fleet-a',
  maxRunningHours: 5.5,
  maxStoppedDays: 7,
  currentAmiIds: ['ami-current'],
};

function worker(overrides: Partial<InstanceFacts> = {}): InstanceFacts {
  return {
    instanceId: 'i-0123',
    state: 'running',
    instanceType: 'g4dn.xlarge',
    launchTime: new Date(NOW.getTime() - HOUR),
    tags: { 'jenkins-gpu:fleet': 'fleet-a', 'jenkins-gpu:template': 'gpu-small', Name: 'managed-by-jenkins' },
    imageId: 'ami-current',
    ...overrides,
  };
}

/** `User initiated (…)` text for a stop `ms` before NOW (EC2 writes whole seconds). */
function stoppedReason(msBeforeNow: number): string {
  const iso = new Date(NOW.getTime() - msBeforeNow).toISOString();
  return `User initiated (${iso.slice(0, 10)} ${iso.slice(11, 19)} GMT)`;
}

describe('fleet membership', () => {
  it('keeps an instance without the fleet tag, even one far past every limit', () => {
    const d = decideOne(worker({ tags: {}, launchTime: new Date(0) }), policy, NOW);
    expect(d).toEqual({
      instanceId: 'i-0123',
      action: 'keep',
      reason: expect.stringContaining('no jenkins-gpu:fleet tag'),
    });
  });

  it('keeps an instance of another fleet', () => {
    const d = decideOne(
      worker({ tags: { 'jenkins-gpu:fleet': 'fleet-b' }, launchTime: new Date(0) }),
      policy,
      NOW,
    );
    expect(d.action).toBe('keep');
    expect(d.reason).toContain('another fleet');
  });

  it('keeps the controller even if it carries the fleet tag', () => {
    const tags = { 'jenkins-gpu:fleet': 'fleet-a', 'jenkins-gpu:role': 'controller' };
    const d = decideOne(worker({ tags, launchTime: new Date(0) }), policy, NOW);
    expect(d.action).toBe('keep');
    expect(d.reason).toContain('controller');
  });
});

describe('running workers: hard lifetime', () => {
  const limit = 5.5 * HOUR;

  it.each([
    ['1 ms under the limit', limit - 1, 'keep'],
    ['exactly at the limit', limit, 'keep'],
    ['1 ms past the limit', limit + 1, 'stop'],
  ])('%s (%d ms) → %s', (_label, upMs, action) => {
    const d = decideOne(worker({ launchTime: new Date(NOW.getTime() - upMs) }), policy, NOW);
    expect(d.action).toBe(action);
  });

  it('treats pending like running', () => {
    const d = decideOne(
      worker({ state: 'pending', launchTime: new Date(NOW.getTime() - limit - 1) }),
      policy,
      NOW,
    );
    expect(d.action).toBe('stop');
    expect(d.reason).toMatch(/^pending for 5\.50 h, past the hard lifetime of 5\.5 h$/);
  });

  it('keeps a running worker with no launch time (never guesses)', () => {
    const d = decideOne(worker({ launchTime: undefined }), policy, NOW);
    expect(d).toMatchObject({ action: 'keep', reason: 'running with no launch time' });
  });

  it('keeps a stopping worker', () => {
    const d = decideOne(worker({ state: 'stopping', launchTime: new Date(0) }), policy, NOW);
    expect(d).toMatchObject({ action: 'keep', reason: 'state stopping: nothing to do' });
  });
});

describe('stopped workers', () => {
  const limit = 7 * DAY;

  it.each([
    ['1 s under the limit', limit - 1000, 'keep'],
    ['exactly at the limit', limit, 'keep'],
    ['1 s past the limit', limit + 1000, 'terminate'],
  ])('stopped %s (%d ms) → %s (stop time from the state transition reason)', (_label, stoppedMs, action) => {
    const d = decideOne(
      worker({ state: 'stopped', stateTransitionReason: stoppedReason(stoppedMs) }),
      policy,
      NOW,
    );
    expect(d.action).toBe(action);
  });

  it('acts 1 ms past the limit when the clock is between whole seconds', () => {
    const reason = stoppedReason(limit);
    const at = decideOne(worker({ state: 'stopped', stateTransitionReason: reason }), policy, NOW);
    const justAfter = decideOne(
      worker({ state: 'stopped', stateTransitionReason: reason }),
      policy,
      new Date(NOW.getTime() + 1),
    );
    expect([at.action, justAfter.action]).toEqual(['keep', 'terminate']);
  });

  it('uses the stop time, not the launch time', () => {
    const d = decideOne(
      worker({ state: 'stopped', launchTime: new Date(0), stateTransitionReason: stoppedReason(DAY) }),
      policy,
      NOW,
    );
    expect(d.action).toBe('keep');
    expect(d.reason).toContain('stopped for 1.00 d (since 2026-07-19T12:00:00.000Z)');
  });

  it.each([undefined, '', 'Server.SpotInstanceTermination', 'User initiated (2026-13-01 00:00:00 GMT)'])(
    'keeps a stopped worker whose stop time is missing or unparseable (%p)',
    (reason) => {
      const d = decideOne(worker({ state: 'stopped', stateTransitionReason: reason }), policy, NOW);
      expect(d.action).toBe('keep');
      expect(d.reason).toContain('stop time unknown');
    },
  );

  it('terminates a stopped worker built from an AMI no template uses, whatever its stop time', () => {
    const d = decideOne(
      worker({ state: 'stopped', imageId: 'ami-old', stateTransitionReason: stoppedReason(60_000) }),
      policy,
      NOW,
    );
    expect(d).toMatchObject({ action: 'terminate', reason: expect.stringContaining('ami-old') });
  });

  it('also terminates an old-AMI worker whose stop time is unknown', () => {
    const d = decideOne(worker({ state: 'stopped', imageId: 'ami-old' }), policy, NOW);
    expect(d.action).toBe('terminate');
  });

  it('skips the AMI rule when no current AMI ids are configured', () => {
    const d = decideOne(
      worker({ state: 'stopped', imageId: 'ami-old', stateTransitionReason: stoppedReason(60_000) }),
      { ...policy, currentAmiIds: [] },
      NOW,
    );
    expect(d.action).toBe('keep');
  });

  it('never applies the AMI rule to a running worker', () => {
    expect(decideOne(worker({ imageId: 'ami-old' }), policy, NOW).action).toBe('keep');
  });
});

describe('parseStopTime', () => {
  it('reads the GMT time EC2 writes', () => {
    expect(parseStopTime('User initiated (2026-07-13 09:05:01 GMT)')?.toISOString()).toBe(
      '2026-07-13T09:05:01.000Z',
    );
  });

  it.each(['User initiated', 'User initiated (2026-02-30 00:00:00 GMT)', '(2026-07-13 09:05:01 UTC)'])(
    'rejects %p',
    (reason) => expect(parseStopTime(reason)).toBeUndefined(),
  );
});

describe('decide: all instances and the summary', () => {
  it('decides per instance and sums running workers and their price', () => {
    const result = decide(
      [
        worker({ instanceId: 'i-run', instanceType: 'g4dn.xlarge' }),
        worker({ instanceId: 'i-pend', state: 'pending', instanceType: 'g5.xlarge' }),
        worker({ instanceId: 'i-unpriced', instanceType: 'x9.huge' }),
        worker({ instanceId: 'i-stopped', state: 'stopped', stateTransitionReason: stoppedReason(8 * DAY) }),
        worker({ instanceId: 'i-foreign', tags: { 'jenkins-gpu:fleet': 'other' } }),
        worker({
          instanceId: 'i-ctl',
          tags: { 'jenkins-gpu:fleet': 'fleet-a', 'jenkins-gpu:role': 'controller' },
        }),
      ],
      policy,
      NOW,
    );
    expect(result.decisions.map((d) => [d.instanceId, d.action])).toEqual([
      ['i-run', 'keep'],
      ['i-pend', 'keep'],
      ['i-unpriced', 'keep'],
      ['i-stopped', 'terminate'],
      ['i-foreign', 'keep'],
      ['i-ctl', 'keep'],
    ]);
    expect(result.summary).toEqual({ runningWorkers: 3, estimatedHourlyCostUsd: 1.532, unpricedWorkers: 1 });
  });

  it.each([
    [{ fleetTagValue: ' ' }, 'fleetTagValue must not be empty'],
    [{ maxRunningHours: 0 }, 'maxRunningHours must be a positive number (got 0)'],
    [{ maxStoppedDays: -1 }, 'maxStoppedDays must be a positive number (got -1)'],
  ])('rejects a policy %p', (override, message) => {
    expect(() => decide([], { ...policy, ...override }, NOW)).toThrow(message);
  });
});

describe('prices', () => {
  it('has the reference figures and no price for unknown types', () => {
    expect(PRICE_TABLE.region).toBe('us-east-1');
    expect(hourlyPrice('g4dn.xlarge')).toBe(0.526);
    expect(hourlyPrice('p3.2xlarge')).toBe(3.06);
    expect(hourlyPrice('x9.huge')).toBeUndefined();
    expect(hourlyPrice('constructor')).toBeUndefined();
    expect(hourlyPrice(undefined)).toBeUndefined();
  });
});
