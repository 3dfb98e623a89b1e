/**
 * `npm run workers -- <command>`: see and stop this stack's GPU workers. All logic is here, with the AWS
 * clients, output and confirmation injected; `bin/workers.ts` only wires real ones.
 */
import type { CloudFormationClient } from '@aws-sdk/client-cloudformation';

import { describeAwsError, describeSetupError } from '../aws/describe-setup-error';
import { stackOutputs } from '../aws/stack-outputs';
import { fleetTagOption, stackNameOption } from '../cli/options';
import { type CommandLine, runCli, UsageError } from '../cli/run-cli';
import {
  COST_USD_METRIC,
  DEFAULT_STACK_NAME,
  GPU_SECONDS_METRIC,
  STACK_OUTPUTS,
  StackOutputName,
  TEMPLATE_TAG_KEY,
} from '../contracts';
import { UserInputError } from '../errors';
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
import { applyDecisions, describeFleetInstances, Ec2Sender } from './fleet-instances';
import { hourlyPrice } from './prices';
import {
  CloudWatchSender,
  dailySpend,
  DEFAULT_COST_DAYS,
  formatGpuTime,
  MAX_COST_DAYS,
  runMetricTemplates,
} from './run-metrics';

export const USAGE = `usage: npm run workers -- <command> [options]
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
         --max-busy-hours <h> (overrides the stack's output; default ${DEFAULT_MAX_BUSY_HOURS})
         -h, --help (this text)`;

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

const OPTIONS = {
  stack: { type: 'string' },
  fleet: { type: 'string' },
  'max-running-hours': { type: 'string' },
  'max-stopped-days': { type: 'string' },
  'busy-grace-minutes': { type: 'string' },
  'max-busy-hours': { type: 'string' },
  'ami-ids': { type: 'string' },
  days: { type: 'string' },
  'dry-run': { type: 'boolean' },
  all: { type: 'boolean' },
  yes: { type: 'boolean' },
} as const;

const COMMAND_OPTIONS: Record<string, readonly (keyof typeof OPTIONS)[]> = {
  list: ['stack', 'fleet'],
  reap: [
    'stack',
    'fleet',
    'max-running-hours',
    'max-stopped-days',
    'busy-grace-minutes',
    'max-busy-hours',
    'ami-ids',
    'dry-run',
    'yes',
  ],
  stop: ['stack', 'fleet', 'all', 'yes'],
  cost: ['stack', 'fleet', 'days'],
};

const CLI = {
  name: 'workers',
  usage: USAGE,
  options: OPTIONS,
  allowPositionals: true,
  describe: describeError,
} as const;

interface ParsedArgs {
  readonly command: string;
  /** The options given, by their spelling on the command line (`--dry-run`). */
  readonly flags: Readonly<Record<string, string | true>>;
  readonly positionals: readonly string[];
}

/** The command (the first argument) and the options it takes; anything else is a {@link UsageError}. */
function commandOf({
  values,
  positionals: [command, ...positionals],
}: CommandLine<typeof OPTIONS>): ParsedArgs {
  if (command === undefined) throw new UsageError('no command: list, reap, stop or cost');
  const allowed = Object.hasOwn(COMMAND_OPTIONS, command) ? COMMAND_OPTIONS[command] : undefined;
  if (!allowed) throw new UsageError(`unknown command '${command}'`);
  const flags: Record<string, string | true> = {};
  for (const [name, value] of Object.entries(values)) {
    if (value === undefined || name === 'help') continue;
    if (!allowed.includes(name as keyof typeof OPTIONS)) {
      throw new UsageError(`unknown option '--${name}' for '${command}'`);
    }
    flags[`--${name}`] = value as string | true;
  }
  if (typeof values.stack === 'string') stackNameOption(values.stack);
  if (typeof values.fleet === 'string') fleetTagOption(values.fleet);
  if (command !== 'stop' && positionals.length > 0) {
    throw new UsageError(`'${command}' takes no arguments (got '${positionals.join(' ')}')`);
  }
  return { command, flags, positionals };
}

/** Runs one CLI invocation and returns the process exit code. */
export function runWorkersCli(argv: readonly string[], deps: WorkersCliDeps): Promise<number> {
  return runCli(CLI, argv, deps, async (commandLine) => {
    const args = commandOf(commandLine);
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
  });
}

/** One line for the AWS local-setup errors; other errors keep their name and the first line of their message (no trace). */
export function describeError(error: unknown): string {
  return describeSetupError(error) ?? describeAwsError(error);
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
  const outputs = await stackOutputs(
    deps.cloudFormation,
    stackName,
    () =>
      `stack ${stackName} does not exist: check --stack, AWS_REGION and AWS_PROFILE, or pass --fleet <tag value>`,
  );
  const fleetTagValue = typeof fleetFlag === 'string' ? fleetFlag : outputs.get(STACK_OUTPUTS.fleetTagValue);
  if (!fleetTagValue) {
    throw new UserInputError(
      `stack ${stackName} has no output ${STACK_OUTPUTS.fleetTagValue}: deploy the current version or pass --fleet <tag value>`,
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

function formatDuration(hours: number): string {
  const totalMinutes = Math.floor(hours * 60);
  const h = Math.floor(totalMinutes / 60);
  const m = totalMinutes % 60;
  return h > 0 ? `${h}h${String(m).padStart(2, '0')}m` : `${m}m`;
}

function formatTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
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
    throw new UsageError(
      `--days: '${daysFlag}' is not a whole number of days from 1 to ${MAX_COST_DAYS} (CloudWatch keeps daily data points for 15 months)`,
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
    if (v === undefined) throw new UserInputError(`the stack has no ${outputKey} output: pass ${flagName}`);
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
  if (problems.length > 0) throw new UsageError(`invalid reaper policy: ${problems.join('; ')}`);
  return policy;
}

async function stop(args: ParsedArgs, deps: WorkersCliDeps): Promise<void> {
  const all = args.flags['--all'] === true;
  if (all === args.positionals.length > 0) {
    throw new UsageError(
      all ? 'use either --all or instance ids, not both' : 'nothing to stop: pass instance ids or --all',
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
      throw new UserInputError(
        `not a worker of fleet ${fleetTagValue} (or already terminated): ${foreign.join(', ')}`,
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
    throw new UserInputError('refusing without confirmation: stdin is not a terminal; pass --yes');
  if (!(await deps.confirm(`${question} [y/N] `))) throw new UserInputError('aborted: nothing changed');
}

async function reportOutcomes(outcomes: Awaited<ReturnType<typeof applyDecisions>>, deps: WorkersCliDeps) {
  for (const o of outcomes) {
    if (o.error) deps.err(`${o.instanceId}: ${o.action} failed: ${o.error}\n`);
    else deps.out(`${o.instanceId}: ${o.action} requested\n`);
  }
  const failed = outcomes.filter((o) => o.error).length;
  if (failed > 0) throw new UserInputError(`${failed} of ${outcomes.length} action(s) failed`);
}
