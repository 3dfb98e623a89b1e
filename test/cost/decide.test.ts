import {
  decide,
  decideOne,
  InstanceFacts,
  parseBusyAt,
  parseStopTime,
  policyProblems,
  ReaperPolicy,
} from '../../lib/cost/decide';
import { hourlyPrice, PRICE_TABLE } from '../../lib/cost/prices';

const NOW = new Date('2026-07-20T12:00:00.000Z');
const HOUR = 3_600_000;
const DAY = 24 * HOUR;

const policy: ReaperPolicy = {
  fleetTagValue: 'fleet-a',
  maxRunningHours: 5.5,
  busyGraceMinutes: 20,
  maxBusyHours: 96,
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
    expect(d.reason).toMatch(
      /^pending for 5\.50 h, past the hard lifetime of 5\.5 h \(no jenkins-gpu:busy-at tag\)$/,
    );
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

describe('spot workers (EC2 refuses to stop them)', () => {
  const limit = 5.5 * HOUR;
  const spot = (overrides: Partial<InstanceFacts> = {}) =>
    worker({ instanceLifecycle: 'spot', ...overrides });

  it.each([
    ['exactly at the limit', limit, 'keep'],
    ['1 ms past the limit', limit + 1, 'terminate'],
  ])('a running spot worker %s → %s', (_label, upMs, action) => {
    const d = decideOne(spot({ launchTime: new Date(NOW.getTime() - upMs) }), policy, NOW);
    expect(d.action).toBe(action);
  });

  it('terminates a pending spot worker past the limit and says why', () => {
    const d = decideOne(
      spot({ state: 'pending', launchTime: new Date(NOW.getTime() - limit - 1) }),
      policy,
      NOW,
    );
    expect(d).toEqual({
      instanceId: 'i-0123',
      action: 'terminate',
      reason:
        'pending for 5.50 h, past the hard lifetime of 5.5 h (no jenkins-gpu:busy-at tag); spot instance: cannot be stopped, terminating',
    });
  });

  it('still stops an on-demand worker (no lifecycle) and one with another lifecycle', () => {
    const overdue = new Date(NOW.getTime() - limit - 1);
    expect(decideOne(worker({ launchTime: overdue }), policy, NOW).action).toBe('stop');
    expect(
      decideOne(worker({ launchTime: overdue, instanceLifecycle: 'scheduled' }), policy, NOW).action,
    ).toBe('stop');
  });

  it('keeps a busy spot worker, and treats a stopped spot worker like any stopped worker', () => {
    const busy = { ...worker().tags, 'jenkins-gpu:busy-at': '2026-07-20T11:55:00Z' };
    expect(
      decideOne(spot({ launchTime: new Date(NOW.getTime() - 10 * HOUR), tags: busy }), policy, NOW).action,
    ).toBe('keep');
    const stopped = spot({ state: 'stopped', stateTransitionReason: stoppedReason(8 * DAY) });
    expect(decideOne(stopped, policy, NOW).action).toBe('terminate');
    expect(
      decideOne(spot({ state: 'stopped', stateTransitionReason: stoppedReason(DAY) }), policy, NOW).action,
    ).toBe('keep');
  });
});

describe('running workers past the hard lifetime: the busy-at tag', () => {
  const overdue = new Date(NOW.getTime() - 10 * HOUR);
  const tagged = (busyAt: string, overrides: Partial<InstanceFacts> = {}) =>
    worker({ launchTime: overdue, tags: { ...worker().tags, 'jenkins-gpu:busy-at': busyAt }, ...overrides });
  // 11:40:00Z is exactly the 20-minute grace before NOW (12:00:00Z); the clock moves by ±1 ms around it.
  const atGrace = '2026-07-20T11:40:00Z';

  it.each([
    ['1 ms younger than the grace', -1, 'keep'],
    ['exactly the grace old', 0, 'keep'],
    ['1 ms older than the grace', 1, 'stop'],
  ])('busy-at %s → %s', (_label, shiftMs, action) => {
    const d = decideOne(tagged(atGrace), policy, new Date(NOW.getTime() + shiftMs));
    expect(d.action).toBe(action);
  });

  it('explains a keep and a stop', () => {
    expect(decideOne(tagged('2026-07-20T11:55:00Z'), policy, NOW).reason).toBe(
      'running for 10.00 h, past the hard lifetime of 5.5 h, but busy: build running, the pipeline timeout bounds it ' +
        '(jenkins-gpu:busy-at=2026-07-20T11:55:00Z, 5.00 min ago, within 20 min)',
    );
    expect(decideOne(tagged('2026-07-20T09:00:00Z'), policy, NOW).reason).toBe(
      'running for 10.00 h, past the hard lifetime of 5.5 h (jenkins-gpu:busy-at=2026-07-20T09:00:00Z is 180.00 min old, more than 20 min)',
    );
  });

  it('only matters past the hard lifetime: the limit boundary is unchanged by a stale tag', () => {
    const limit = 5.5 * HOUR;
    const stale = { ...worker().tags, 'jenkins-gpu:busy-at': '2026-07-19T00:00:00Z' };
    const at = decideOne(worker({ launchTime: new Date(NOW.getTime() - limit), tags: stale }), policy, NOW);
    const past = decideOne(
      worker({ launchTime: new Date(NOW.getTime() - limit - 1), tags: stale }),
      policy,
      NOW,
    );
    expect([at.action, past.action]).toEqual(['keep', 'stop']);
    expect(at.reason).toBe('running for 5.50 h, within 5.5 h');
  });

  it('uses the configured grace', () => {
    const d = decideOne(tagged('2026-07-20T11:30:00Z'), { ...policy, busyGraceMinutes: 30 }, NOW);
    expect(d.action).toBe('keep');
    const stale = decideOne(tagged('2026-07-20T11:30:00Z'), { ...policy, busyGraceMinutes: 29 }, NOW);
    expect(stale.action).toBe('stop');
  });

  it.each([
    ['exactly the grace ahead', 0, 'keep'],
    ['1 ms more than the grace ahead', -1, 'stop'],
  ])(
    'a busy-at in the future: %s → %s (a wrong clock must not keep a worker forever)',
    (_l, shiftMs, action) => {
      const d = decideOne(tagged('2026-07-20T12:20:00Z'), policy, new Date(NOW.getTime() + shiftMs));
      expect(d.action).toBe(action);
      if (action === 'stop') expect(d.reason).toContain('ahead, more than 20 min: not trusted');
    },
  );

  it('a fresh busy-at keeps a worker only up to maxBusyHours since its last start (±1 ms)', () => {
    const busy = { ...worker().tags, 'jenkins-gpu:busy-at': '2026-07-20T11:55:00Z' };
    const startedAgo = (ms: number) => worker({ launchTime: new Date(NOW.getTime() - ms), tags: busy });
    expect(decideOne(startedAgo(96 * HOUR), policy, NOW).action).toBe('keep');
    const over = decideOne(startedAgo(96 * HOUR + 1), policy, NOW);
    expect(over.action).toBe('stop');
    expect(over.reason).toContain('is recent, but the busy limit of 96 h is exceeded');
  });

  it('rejects a maxBusyHours below maxRunningHours', () => {
    expect(policyProblems({ ...policy, maxBusyHours: 2 })).toEqual([
      'maxBusyHours must be a number of at least maxRunningHours (5.5) (got 2)',
    ]);
  });

  it('a far-future busy-at does not keep a worker', () => {
    expect(decideOne(tagged('2099-01-01T00:00:00Z'), policy, NOW).action).toBe('stop');
  });

  it.each([
    '',
    'yes',
    '2026-07-20',
    '2026-07-20 11:55:00',
    '2026-07-20T11:55:00',
    '2026-07-20T11:55:00+00:00',
    '2026-07-20T11:55Z',
    '2026-02-30T11:55:00Z',
    '2026-07-20T24:00:00Z',
    '1784548500',
  ])('an unparseable busy-at %p counts as absent: stop', (busyAt) => {
    const d = decideOne(tagged(busyAt), policy, NOW);
    expect(d.action).toBe('stop');
    expect(d.reason).toContain(`jenkins-gpu:busy-at=${JSON.stringify(busyAt)} is not a UTC time`);
  });

  it('an unparseable busy-at on a spot worker: terminate', () => {
    expect(decideOne(tagged('soon', { instanceLifecycle: 'spot' }), policy, NOW).action).toBe('terminate');
  });
});

describe('parseBusyAt', () => {
  it.each([
    ['2026-11-29T19:20:00Z', '2026-11-29T19:20:00.000Z'],
    ['2026-11-29T19:20:00.5Z', '2026-11-29T19:20:00.500Z'],
    ['2026-11-29T19:20:00.123Z', '2026-11-29T19:20:00.123Z'],
    [' 2026-11-29T19:20:00Z\n', '2026-11-29T19:20:00.000Z'],
  ])('reads %p', (value, iso) => expect(parseBusyAt(value)?.toISOString()).toBe(iso));

  it.each([undefined, '', '2026-13-01T00:00:00Z', '0099-01-01T00:00:00Z', '2026-11-29T19:20:00.1234Z'])(
    'rejects %p',
    (value) => expect(parseBusyAt(value)).toBeUndefined(),
  );
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
    [{ busyGraceMinutes: 9 }, 'busyGraceMinutes must be a number of at least 10, twice the watchdog'],
    [{ busyGraceMinutes: NaN }, 'busyGraceMinutes must be a number of at least 10, twice the watchdog'],
    [{ maxStoppedDays: -1 }, 'maxStoppedDays must be a positive integer (got -1)'],
    [{ maxStoppedDays: 1.5 }, 'maxStoppedDays must be a positive integer (got 1.5)'],
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
