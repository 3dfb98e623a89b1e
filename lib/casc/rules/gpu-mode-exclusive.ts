import { type CascRule, isPricedGpuTemplate, templateFinding, templatesOf } from './rule';

const id = 'gpu-mode-exclusive';

export const gpuModeExclusive: CascRule = {
  id,
  summary: 'refuses a GPU template not in EXCLUSIVE mode: an unlabelled job would start a GPU machine',
  check: (context) =>
    templatesOf(context)
      .filter((t) => isPricedGpuTemplate(t) && t.text('mode') !== 'EXCLUSIVE')
      .map((t) =>
        templateFinding(
          id,
          t,
          'mode',
          `a GPU template must be EXCLUSIVE so only jobs that ask for its label start a GPU machine (expected EXCLUSIVE, got ${t.text('mode') ?? 'nothing: the default is NORMAL'})`,
        ),
      ),
};
