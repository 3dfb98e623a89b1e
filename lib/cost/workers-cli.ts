/**
 * `npm run workers -- <command>`: see and stop this stack's GPU workers. All logic is here, with the AWS
 * clients, output and confirmation injected; `bin/workers.ts` only wires real ones.
 */
import {
  COST_USD_METRIC,
  DEFAULT_STACK_NAME,
  GPU_SECONDS_METRIC,
  STACK_OUTPUTS,
  StackOutputName,
  TEMPLATE_TAG_KEY,
} from '../contracts';
import { describeSetupError } from '../aws/describe-setup-error';
import { CloudFormationClient, DescribeStacksCommand, Output } from '@aws-sdk/client-cloudformation';
import {
  decide,
  DEFAULT_BUSY_GRACE_MINUTES,
  DEFAULT_MAX_BUSY_HOURS,
  InstanceFacts,
  isBillingCompute,
  isFleetWorker,
  policyProblems,
  ReaperPolicy,
  summarizeFleet,
} from './decide';
import { applyDecisions, describeFleetInstances, Ec2Sender, errorText } from './fleet-instances';
import { hourlyPrice } from './prices';
import {
  CloudWatchSender,
  dailySpend,
  DEFAULT_COST_DAYS,
  formatGpuTime,
  MAX_COST_DAYS,
  runMetricTemplates,
} from './run-metrics';

export { DEFAULT_STACK_NAME };

export const USAGE = `Usage: npm run workers -- <command> [options]
  list                         GPU workers: id, template, type, state, uptime and $ since the last start
  reap --dry-run               what the scheduled reaper would do, one line per worker
  reap [--yes]                 do it now (asks first)
  stop --all [--yes]           stop every running worker (asks first; spot workers are terminated)
  stop <instance-id>… [--yes]  stop these workers (asks first; spot workers are terminated)
  cost [--days <n>]            spend by template and UTC day, from the training runs' reports
                               (default ${DEFAULT_COST_DAYS} days, at most ${MAX_COST_DAYS})
Options: --stack <name> (default ${DEFAULT_STACK_NAME}) | --fleet <tag value>
         --max-running-hours <h> --max-stopped-days <d> --ami-ids <id,id> (override the stack's outputs)
         --busy-grace-minutes <min> (overrides the stack's output; default ${DEFAULT_BUSY_GRACE_MINUTES})
         --max-busy-hours <h> (overrides the stack's output; default ${DEFAULT_MAX_BUSY_HOURS})`;

export interface WorkersCliDeps {
  readonly ec2: Ec2Sender;
  readonly cloudFormation: Pick<CloudFormationClient, 'send'>;
  /** For `cost` only. */
  readonly cloudWatch?: CloudWatchSender;
  readonly out: (text: string) => void;
  readonly err: (text: string) => void;
  readonly now: () => Date;
  /** Asks a yes/no question on the terminal; `undefined` when stdin is not a terminal. */
  readonly confirm?: (question: string) => Promise<boolean>;
}

/** A mistake of the user: printed as one line, never as a stack trace. */
export class UserError extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
    this.name = 'UserError';
  }
}

type FlagKind = 'boolean' | 'string';
const FLAGS: Record<string, FlagKind> = {
  '--stack': 'string',
  '--fleet': 'string',
  '--max-running-hours': 'string',
  '--max-stopped-days': 'string',
  '--busy-grace-minutes': 'string',
  '--max-busy-hours': 'string',
  '--ami-ids': 'string',
  '--days': 'string',
  '--dry-run': 'boolean',
  '--all': 'boolean',
  '--yes': 'boolean',
};
const COMMAND_FLAGS: Record<string, string[]> = {
  list: ['--stack', '--fleet'],
  reap: [
    '--stack',
    '--fleet',
    '--max-running-hours',
    '--max-stopped-days',
    '--busy-grace-minutes',
    '--max-busy-hours',
    '--ami-ids',
    '--dry-run',
    '--yes',
  ],
  stop: ['--stack', '--fleet', '--all', '--yes'],
  cost: ['--stack', '--fleet', '--days'],
};

interface ParsedArgs {
  readonly command: string;
  readonly flags: Readonly<Record<string, string | true>>;
  readonly positionals: readonly string[];
}

export function parseArgs(argv: readonly string[]): ParsedArgs {
  const [command, ...rest] = argv;
  if (command === undefined || command === '--help' || command === 'help') throw new UserError(USAGE, 2);
  const allowed = COMMAND_FLAGS[command];
  if (!allowed) throw new UserError(`Unknown command '${command}'. ${USAGE}`, 2);
  const flags: Record<string, string | true> = {};
  const positionals: string[] = [];
  for (let i = 0; i < rest.length; i++) {
    const arg = rest[i];
    if (!arg.startsWith('--')) {
      positionals.push(arg);
      continue;
    }
    const [name, inlineValue] = arg.includes('=')
      ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)]
      : [arg, undefined];
    if (!allowed.includes(name))
      throw new UserError(`Unknown option '${name}' for '${command}'. ${USAGE}`, 2);
    if (FLAGS[name] === 'boolean') {
      flags[name] = true;
      continue;
    }
    const value = inlineValue ?? rest[++i];
    if (value === undefined || value.startsWith('--'))
      throw new UserError(`Option '${name}' needs a value`, 2);
    flags[name] = value;
  }
  if (command !== 'stop' && positionals.length > 0) {
    throw new UserError(`'${command}' takes no arguments (got '${positionals.join(' ')}')`, 2);
  }
  return { command, flags, positionals };
}

/** Runs one CLI invocation and returns the process exit code. */
export async function runWorkersCli(argv: readonly string[], deps: WorkersCliDeps): Promise<number> {
  try {
    const args = parseArgs(argv);
    switch (args.command) {
      case 'list':
        await listWorkers(args, deps);
        break;
      case 'reap':
        await reap(args, deps);
        break;
      case 'cost':
        await cost(args, deps);
        break;
      default:
        await stop(args, deps);
    }
    return 0;
  } catch (error) {
    deps.err(`${describeError(error)}\n`);
    return error instanceof UserError ? error.exitCode : 1;
  }
}

/** One line for the errors a user can fix; other errors keep their name and message (still no trace). */
export function describeError(error: unknown): string {
  if (error instanceof UserError) return error.message;
  const name = error instanceof Error ? error.name : '';
  const message = error instanceof Error ? error.message : String(error);
  const setup = describeSetupError(error);
  if (setup) return setup;
  if (name === 'ValidationError' && /does not exist/.test(message)) {
    return `${message}: check --stack, AWS_REGION and AWS_PROFILE, or pass --fleet <tag value>.`;
  }
  return errorText(error);
}

interface StackInfo {
  readonly fleetTagValue: string;
  readonly outputs: ReadonlyMap<string, string>;
}

async function resolveStack(
  args: ParsedArgs,
  deps: WorkersCliDeps,
  needOutputs: boolean,
): Promise<StackInfo> {
  const fleetFlag = args.flags['--fleet'];
  if (typeof fleetFlag === 'string' && !needOutputs) return { fleetTagValue: fleetFlag, outputs: new Map() };
  const stackName = typeof args.flags['--stack'] === 'string' ? args.flags['--stack'] : DEFAULT_STACK_NAME;
  const response = await deps.cloudFormation.send(new DescribeStacksCommand({ StackName: stackName }));
  const outputs = new Map(
    (response.Stacks?.[0]?.Outputs ?? [])
      .filter((o: Output): o is Output & { OutputKey: string } => o.OutputKey !== undefined)
      .map((o) => [o.OutputKey, o.OutputValue ?? '']),
  );
  const fleetTagValue = typeof fleetFlag === 'string' ? fleetFlag : outputs.get(STACK_OUTPUTS.fleetTagValue);
  if (!fleetTagValue) {
    throw new UserError(
      `Stack ${stackName} has no output FleetTagValue: deploy the current version or pass --fleet <tag value>.`,
    );
  }
  return { fleetTagValue, outputs };
}

async function listWorkers(args: ParsedArgs, deps: WorkersCliDeps): Promise<void> {
  const { fleetTagValue } = await resolveStack(args, deps, false);
  const now = deps.now();
  const workers = (await describeFleetInstances(deps.ec2, fleetTagValue)).filter((i) =>
    isFleetWorker(i, { fleetTagValue }),
  );
  const rows = workers.map((w) => listRow(w, now));
  deps.out(formatTable(['INSTANCE', 'TEMPLATE', 'TYPE', 'STATE', 'UPTIME', 'SPENT'], rows));
  const summary = summarizeFleet(workers, fleetTagValue);
  const unpriced = summary.unpricedWorkers > 0 ? ` (+${summary.unpricedWorkers} of unknown price)` : '';
  deps.out(
    `${workers.length} worker(s) in fleet ${fleetTagValue}, ${summary.runningWorkers} running, ` +
      `about $${summary.estimatedHourlyCostUsd.toFixed(3)}/h${unpriced} (on-demand prices)\n`,
  );
}

function listRow(worker: InstanceFacts, now: Date): string[] {
  const template = worker.tags[TEMPLATE_TAG_KEY] ?? '-';
  const base = [worker.instanceId, template, worker.instanceType ?? '-', worker.state];
  if (!isBillingCompute(worker.state) || !worker.launchTime) return [...base, '-', '-'];
  const hours = Math.max(0, now.getTime() - worker.launchTime.getTime()) / 3_600_000;
  const price = hourlyPrice(worker.instanceType);
  return [...base, formatDuration(hours), price === undefined ? '?' : `$${(hours * price).toFixed(2)}`];
}

export function formatDuration(hours: number): string {
  const totalMinutes = Math.floor(hours * 60);
  const h = Math.floor(totalMinutes / 60);
  const m = totalMinutes % 60;
  return h > 0 ? `${h}h${String(m).padStart(2, '0')}m` : `${m}m`;
}

export function formatTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const all = [header, ...rows];
  const widths = header.map((_, column) => Math.max(...all.map((row) => row[column].length)));
  return all
    .map(
      (row) =>
        row
          .map((cell, c) => cell.padEnd(widths[c]))
          .join('  ')
          .trimEnd() + '\n',
    )
    .join('');
}

async function cost(args: ParsedArgs, deps: WorkersCliDeps): Promise<void> {
  const daysFlag = args.flags['--days'];
  const days = typeof daysFlag === 'string' ? Number(daysFlag) : DEFAULT_COST_DAYS;
  if (typeof daysFlag === 'string' && !(/^[0-9]+$/.test(daysFlag) && days >= 1 && days <= MAX_COST_DAYS)) {
    throw new UserError(
      `Option --days: '${daysFlag}' is not a whole number of days from 1 to ${MAX_COST_DAYS} (CloudWatch keeps daily data points for 15 months).`,
      2,
    );
  }
  if (!deps.cloudWatch) throw new Error('cost needs a CloudWatch client');
  const { fleetTagValue } = await resolveStack(args, deps, false);
  const templates = await runMetricTemplates(deps.cloudWatch, fleetTagValue);
  const scope = `fleet ${fleetTagValue}, the last ${days} UTC day(s)`;
  if (templates.length === 0) {
    deps.out(
      `No run metrics for ${scope}: no training build has sent ${GPU_SECONDS_METRIC} or ${COST_USD_METRIC} in the last 14 days ` +
        '(workers booted before the run report shipped send none; check AWS_REGION is the stack region).\n',
    );
    return;
  }
  const rows = await dailySpend(deps.cloudWatch, fleetTagValue, templates, days, deps.now());
  if (rows.length === 0) {
    deps.out(
      `No training runs in ${scope} (templates with runs in the last 14 days: ${templates.join(', ')}).\n`,
    );
    return;
  }
  const dollars = (usd: number | undefined) => (usd === undefined ? '-' : `$${usd.toFixed(2)}`);
  const table = rows.map((r) => [
    r.day,
    r.template,
    String(r.runs),
    formatGpuTime(r.gpuSeconds),
    dollars(r.costUsd),
  ]);
  const total = (pick: (r: (typeof rows)[number]) => number) => rows.reduce((sum, r) => sum + pick(r), 0);
  const priced = rows.filter((r) => r.costUsd !== undefined);
  table.push([
    'TOTAL',
    '',
    String(total((r) => r.runs)),
    formatGpuTime(total((r) => r.gpuSeconds)),
    priced.length === 0 ? '-' : `$${total((r) => r.costUsd ?? 0).toFixed(2)}`,
  ]);
  deps.out(formatTable(['DAY', 'TEMPLATE', 'RUNS', 'GPU TIME', 'COST'], table));
  const unpriced = rows.some((r) => r.costUsd === undefined);
  deps.out(
    `${scope}. Cost: on-demand prices from data/ec2-prices.json as shipped to each worker, as its run ` +
      'report computed them; GPU time includes the boot of workers started for the run' +
      (unpriced ? '; - : no priced run (spot runs, or a region or type the table lacks)' : '') +
      `. Templates silent for 14 days are not listed (CloudWatch ListMetrics).\n`,
  );
}

async function reap(args: ParsedArgs, deps: WorkersCliDeps): Promise<void> {
  const stack = await resolvePolicy(args, deps);
  const instances = await describeFleetInstances(deps.ec2, stack.fleetTagValue);
  const { decisions } = decide(instances, stack, deps.now());
  for (const d of decisions) deps.out(`${d.instanceId} ${d.action} ${d.reason}\n`);
  if (args.flags['--dry-run']) return;
  const toAct = decisions.filter((d) => d.action !== 'keep');
  if (toAct.length === 0) {
    deps.out('Nothing to do.\n');
    return;
  }
  await confirmOrRefuse(args, deps, `Apply ${toAct.length} action(s) above to fleet ${stack.fleetTagValue}?`);
  await reportOutcomes(await applyDecisions(deps.ec2, toAct), deps);
}

async function resolvePolicy(args: ParsedArgs, deps: WorkersCliDeps): Promise<ReaperPolicy> {
  const flag = (name: string) =>
    typeof args.flags[name] === 'string' ? (args.flags[name] as string) : undefined;
  const allGiven = ['--fleet', '--max-running-hours', '--max-stopped-days', '--ami-ids'].every(
    (f) => flag(f) !== undefined,
  );
  const stack = await resolveStack(args, deps, !allGiven);
  const value = (flagName: string, outputKey: StackOutputName): string => {
    const v = flag(flagName) ?? stack.outputs.get(outputKey);
    if (v === undefined) throw new UserError(`No ${outputKey} stack output: pass ${flagName}.`, 2);
    return v;
  };
  // Optional: stacks deployed before the busy rule have no such output; the CostGuard default applies.
  const busyGrace = flag('--busy-grace-minutes') ?? stack.outputs.get(STACK_OUTPUTS.reaperBusyGraceMinutes);
  const maxBusy = flag('--max-busy-hours') ?? stack.outputs.get(STACK_OUTPUTS.reaperMaxBusyHours);
  const policy: ReaperPolicy = {
    fleetTagValue: stack.fleetTagValue,
    maxRunningHours: Number(value('--max-running-hours', STACK_OUTPUTS.reaperMaxRunningHours)),
    busyGraceMinutes: busyGrace === undefined ? DEFAULT_BUSY_GRACE_MINUTES : Number(busyGrace),
    maxBusyHours: maxBusy === undefined ? DEFAULT_MAX_BUSY_HOURS : Number(maxBusy),
    maxStoppedDays: Number(value('--max-stopped-days', STACK_OUTPUTS.reaperMaxStoppedDays)),
    currentAmiIds: value('--ami-ids', STACK_OUTPUTS.workerAmiIds)
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s !== ''),
  };
  const problems = policyProblems(policy);
  if (problems.length > 0) throw new UserError(`Invalid reaper policy: ${problems.join('; ')}`, 2);
  return policy;
}

async function stop(args: ParsedArgs, deps: WorkersCliDeps): Promise<void> {
  const all = args.flags['--all'] === true;
  if (all === args.positionals.length > 0) {
    throw new UserError(
      all
        ? 'Use either --all or instance ids, not both.'
        : `Nothing to stop: pass instance ids or --all. ${USAGE}`,
      2,
    );
  }
  const { fleetTagValue } = await resolveStack(args, deps, false);
  const workers = (await describeFleetInstances(deps.ec2, fleetTagValue)).filter((i) =>
    isFleetWorker(i, { fleetTagValue }),
  );
  const byId = new Map(workers.map((w) => [w.instanceId, w]));
  let targets: InstanceFacts[];
  if (all) {
    targets = workers.filter((w) => isBillingCompute(w.state));
  } else {
    const foreign = args.positionals.filter((id) => !byId.has(id));
    if (foreign.length > 0) {
      throw new UserError(
        `Not a worker of fleet ${fleetTagValue} (or already terminated): ${foreign.join(', ')}`,
      );
    }
    targets = args.positionals
      .map((id) => byId.get(id) as InstanceFacts)
      .filter((w) => isBillingCompute(w.state));
  }
  if (targets.length === 0) {
    deps.out('No running workers to stop.\n');
    return;
  }
  // EC2 refuses StopInstances on spot instances: those are terminated, and the listing says so.
  const decisions = targets.map((t) =>
    t.instanceLifecycle === 'spot'
      ? { instanceId: t.instanceId, action: 'terminate' as const, reason: 'spot: cannot be stopped' }
      : { instanceId: t.instanceId, action: 'stop' as const, reason: 'requested' },
  );
  targets.forEach((t, i) => {
    const spot = decisions[i].action === 'terminate' ? ' spot: will be terminated (cannot be stopped)' : '';
    deps.out(
      `${t.instanceId} ${t.tags[TEMPLATE_TAG_KEY] ?? '-'} ${t.instanceType ?? '-'} ${t.state}${spot}\n`,
    );
  });
  const spotCount = decisions.filter((d) => d.action === 'terminate').length;
  const question =
    spotCount === 0
      ? `Stop ${targets.length} worker(s) of fleet ${fleetTagValue}?`
      : `Stop ${targets.length - spotCount} and terminate ${spotCount} spot worker(s) of fleet ${fleetTagValue}?`;
  await confirmOrRefuse(args, deps, question);
  await reportOutcomes(await applyDecisions(deps.ec2, decisions), deps);
}

async function confirmOrRefuse(args: ParsedArgs, deps: WorkersCliDeps, question: string): Promise<void> {
  if (args.flags['--yes']) return;
  if (!deps.confirm)
    throw new UserError('Refusing without confirmation: stdin is not a terminal; pass --yes.');
  if (!(await deps.confirm(`${question} [y/N] `))) throw new UserError('Aborted: nothing changed.');
}

async function reportOutcomes(outcomes: Awaited<ReturnType<typeof applyDecisions>>, deps: WorkersCliDeps) {
  for (const o of outcomes) {
    if (o.error) deps.err(`${o.instanceId}: ${o.action} failed: ${o.error}\n`);
    else deps.out(`${o.instanceId}: ${o.action} requested\n`);
  }
  const failed = outcomes.filter((o) => o.error).length;
  if (failed > 0) throw new UserError(`${failed} of ${outcomes.length} action(s) failed.`);
}
