/**
 * Contract: a training step survives a controller outage (crash, replacement, slow boot) and is resumed,
 * not restarted. Facts read at the pinned releases (docs/architecture.md, "Training through a controller
 * outage", has the whole sequence):
 *
 * - durable-task BourneShellScript (686, lines 249-272): a `sh` step runs `nohup sh -c "(…) >&- 2>&- &"`,
 *   detached from the agent JVM, and its wrapper touches jenkins-log.txt every 3 s until it writes
 *   jenkins-result.txt; the controller keeps only the node name and the control dir path
 *   (workflow-durable-task-step 1479 DurableTaskStep.Execution, lines 283-294) and deletes the dir once it has
 *   read the result (FileMonitoringTask cleanup).
 * - workflow-api 1413 GlobalDefaultFlowDurabilityLevel (line 26): the default durability is MAX_SURVIVABILITY;
 *   with PERFORMANCE_OPTIMIZED a build cannot resume after an unclean stop.
 * - workflow-durable-task-step 1479 ExecutorStepExecution (line 109): a resumed `node` step waits
 *   TIMEOUT_WAITING_FOR_NODE_MILLIS (system property ExecutorPickle.timeoutForNodeMillis, default 5 min) for
 *   the same agent, then fails with RemovedNodeTimeoutCause, which `retry(conditions: [agent()])` retries.
 *
 * Re-check when workflow-durable-task-step, durable-task, workflow-api or the pipeline's retry change.
 */
import * as fs from 'fs';
import * as path from 'path';

const REPO = path.resolve(__dirname, '../..');
const read = (rel: string) => fs.readFileSync(path.join(REPO, rel), 'utf8');
const DEFAULT_NODE_WAIT_MS = 5 * 60 * 1000;

describe('a training step through a controller outage', () => {
  it('runs with the default durability, MAX_SURVIVABILITY: nothing in casc/ or jobs/ lowers it', () => {
    const casc = fs
      .readdirSync(path.join(REPO, 'casc'))
      .filter((f) => /\.ya?ml$/.test(f))
      .map((f) => read(`casc/${f}`))
      .join('\n');
    expect(casc).not.toMatch(/durabilityHint:\s*(PERFORMANCE_OPTIMIZED|SURVIVABLE_NONATOMIC)/);
    for (const job of ['jobs/train.Jenkinsfile', 'jobs/seed.groovy']) {
      expect(read(job)).not.toMatch(/durabilityHint|disableResume|PERFORMANCE_OPTIMIZED/);
    }
  });

  it('gives a resumed node step longer than the default 5 minutes to get its agent back', () => {
    const m =
      /-Dorg\.jenkinsci\.plugins\.workflow\.support\.pickles\.ExecutorPickle\.timeoutForNodeMillis=(\d+)/.exec(
        read('assets/controller/jenkins-start.sh'),
      );
    expect(m).not.toBeNull();
    expect(Number(m![1])).toBeGreaterThan(DEFAULT_NODE_WAIT_MS);
  });

  it('retries the training stage only when its agent is lost or a step cannot resume, never on a failing command', () => {
    expect(read('jobs/train.Jenkinsfile')).toMatch(
      /retry\(count: 2, conditions: \[agent\(\), nonresumable\(\)\]\)/,
    );
  });
});
