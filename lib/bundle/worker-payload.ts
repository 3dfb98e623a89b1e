import { createHash } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';

import { BUSY_WITHOUT_AGENT_MAX_MINUTES } from '../cost/job-timeout';
import { PRICE_TABLE } from '../cost/prices';
import { renderWorkerScript } from './render-worker-script';

/** The worker payload's entry script; its includes make it self-contained (docs/architecture.md). */
export const WORKER_PAYLOAD_SCRIPT = 'assets/worker/payload.sh';

/**
 * The boot code GPU workers fetch from S3 after their small user data has started: one self-contained
 * shell script, the same for every template (the template's values reach it as arguments).
 */
export interface WorkerPayload {
  readonly content: string;
  /** sha256 hex of `content`, pinned in every template's user data. */
  readonly sha256: string;
}

/** Renders the payload, or undefined for a repository without one (then no template can render user data). */
export function buildWorkerPayload(repoRoot: string): WorkerPayload | undefined {
  if (!fs.existsSync(path.join(repoRoot, WORKER_PAYLOAD_SCRIPT))) return undefined;
  const content = renderWorkerScript(repoRoot, WORKER_PAYLOAD_SCRIPT, {
    BUSY_WITHOUT_AGENT_MAX_MINUTES: String(BUSY_WITHOUT_AGENT_MAX_MINUTES),
    // The price table for jenkins-gpu-run-report: data/ec2-prices.json as the CLI and the reaper read it.
    EC2_PRICES_JSON: JSON.stringify(PRICE_TABLE, null, 2),
  });
  return { content, sha256: createHash('sha256').update(content).digest('hex') };
}

/** Writes the payload as `parentDir/<sha256>.sh` (content-addressed: an existing file is reused). */
export function writeWorkerPayload(payload: WorkerPayload, parentDir: string): string {
  const file = path.join(parentDir, `${payload.sha256}.sh`);
  if (!fs.existsSync(file)) {
    fs.mkdirSync(parentDir, { recursive: true });
    const partial = `${file}.partial-${process.pid}`;
    fs.writeFileSync(partial, payload.content);
    fs.renameSync(partial, file);
  }
  return file;
}
