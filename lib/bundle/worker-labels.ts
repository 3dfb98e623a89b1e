import * as path from 'path';

import type { Fleet } from '../casc/fleet';
import { RenderError } from './render-worker-script';

/** Where the bundle carries the labels, next to the seed that reads them (jobs/seed.groovy). */
export const WORKER_LABELS_FILE = 'jobs/worker-labels.tsv';

/** One label an EC2 template serves: a row of {@link WORKER_LABELS_FILE}. */
export interface WorkerLabel {
  readonly label: string;
  /** The template's `description` (its name in the EC2 plugin and in the `jenkins-gpu:template` tag). */
  readonly template: string;
  readonly instanceType: string;
  /** `spot` for a spot template (its `spotConfig` is a mapping: lib/casc/fleet.ts `isSpotTemplate`), else `on-demand`. */
  readonly market: 'spot' | 'on-demand';
  /** `casc/FILE:LINE` of the template's `labelString`: the place to change the label. */
  readonly source: string;
}

const COLUMNS = ['label', 'template', 'instanceType', 'market', 'source'] as const;

/**
 * The labels the EC2 templates of the fleet serve, in template order and each template's `labelString`
 * order (the first is the jobs' default worker), each with its `casc/FILE:LINE` under `cascDir`.
 */
export function workerLabels(fleet: Fleet, cascDir: string): WorkerLabel[] {
  return fleet.templates.flatMap((template) => {
    const loc = template.labelsLoc;
    const source = `casc/${path.relative(cascDir, loc.file).split(path.sep).join('/')}:${loc.line}`;
    return template.labels.map((label): WorkerLabel => ({
      label,
      template: template.description ?? template.path,
      instanceType: template.instanceType ?? 'unset',
      market: template.spot ? 'spot' : 'on-demand',
      source,
    }));
  });
}

/**
 * {@link WORKER_LABELS_FILE}: three `#` lines (what it is, the columns), then one tab-separated row per label.
 * A field with a tab, a newline or a quote or backslash is refused (the seed embeds each field in a
 * single-quoted Groovy string), naming the casc line to change.
 */
export function renderWorkerLabels(rows: readonly WorkerLabel[]): string {
  const lines = [
    '# Generated at synth from the EC2 templates in casc/ (lib/bundle/worker-labels.ts): the WORKER choices of',
    '# the jobs (jobs/seed.groovy). Edit labelString in casc/, not this file. Columns (tab-separated):',
    `# ${COLUMNS.join('\t')}`,
  ];
  for (const row of rows) {
    for (const column of COLUMNS) {
      if (/[\t\r\n'\\]/.test(row[column]) || row[column] === '') {
        throw new RenderError(
          `${row.source}: template ${row.template}: ${column} ${JSON.stringify(row[column])} cannot be offered as a WORKER choice: it must be non-empty, without tabs, newlines, quotes or backslashes`,
        );
      }
    }
    lines.push(COLUMNS.map((column) => row[column]).join('\t'));
  }
  return `${lines.join('\n')}\n`;
}
