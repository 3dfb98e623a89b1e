import * as path from 'path';
import { allTemplates } from '../casc/fleet';
import { loadCascTree } from '../jcasc/load';
import { formatProblem } from '../jcasc/problem';
import { RenderError } from './render-worker-script';

/** Where the bundle carries the labels, next to the seed that reads them (jobs/seed.groovy). */
export const WORKER_LABELS_FILE = 'jobs/worker-labels.tsv';

/** One label an EC2 template serves: a row of {@link WORKER_LABELS_FILE}. */
export interface WorkerLabel {
  readonly label: string;
  /** The template's `description` (its name in the EC2 plugin and in the `jenkins-gpu:template` tag). */
  readonly template: string;
  readonly instanceType: string;
  /** `spot` for a template with `spotConfig`, else `on-demand`. */
  readonly market: 'spot' | 'on-demand';
  /** `casc/FILE:LINE` of the template's `labelString`: the place to change the label. */
  readonly source: string;
}

const COLUMNS = ['label', 'template', 'instanceType', 'market', 'source'] as const;

/**
 * The labels the EC2 templates of `cascDir` serve, in template order and each template's `labelString`
 * order (the first is the jobs' default worker). Read with the validator's loader (lib/jcasc/load.ts), so
 * the bundle and `npm run check:casc` see the same templates; a casc the loader refuses is a RenderError.
 */
export function workerLabels(cascDir: string): WorkerLabel[] {
  const loaded = loadCascTree(cascDir);
  if (loaded.problems.length > 0 || !loaded.tree) {
    const first = loaded.problems[0];
    throw new RenderError(
      first
        ? `${formatProblem(first, path.dirname(path.resolve(cascDir)))} (npm run check:casc lists every problem)`
        : `${cascDir}: no casc files`,
    );
  }
  const rows: WorkerLabel[] = [];
  for (const template of allTemplates(loaded.tree)) {
    const labelNode = template.get('labelString');
    const loc = labelNode?.loc ?? template.node.loc;
    const source = `casc/${path.relative(cascDir, loc.file).split(path.sep).join('/')}:${loc.line}`;
    for (const label of template.labels) {
      rows.push({
        label,
        template: template.description ?? template.path,
        instanceType: template.type ?? 'unset',
        market: template.get('spotConfig') ? 'spot' : 'on-demand',
        source,
      });
    }
  }
  return rows;
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
