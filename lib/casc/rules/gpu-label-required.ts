import { type CascRule, isPricedGpuTemplate, templateFinding, templatesOf } from './rule';

const id = 'gpu-label-required';

export const gpuLabelRequired: CascRule = {
  id,
  summary: 'refuses a GPU template without a labelString: jobs select GPU workers by label',
  check: (context) =>
    templatesOf(context)
      .filter((t) => isPricedGpuTemplate(t) && t.labels.length === 0)
      .map((t) =>
        templateFinding(
          id,
          t,
          'labelString',
          'a GPU template needs a labelString: jobs select GPU workers by label',
        ),
      ),
};
