import { type CascRule, gpuLabelOwners, isCpuTemplate, templateFinding, templatesOf } from './rule';

const id = 'gpu-label-wording';
/** Label names that promise a GPU to whoever asks for them. */
const GPU_WORDING = /gpu|cuda/i;

/** A warning: the label may be meant for CPU work, but a reader of a job will expect a GPU. */
export const gpuLabelWording: CascRule = {
  id,
  summary:
    'warns about a CPU template label that says gpu or cuda (one a GPU template also has is `gpu-label-shared`)',
  check: (context) => {
    const owners = gpuLabelOwners(context);
    return templatesOf(context)
      .filter(isCpuTemplate)
      .flatMap((t) =>
        t.labels
          .filter((label) => !owners.has(label) && GPU_WORDING.test(label))
          .map((label) =>
            templateFinding(
              id,
              t,
              'labelString',
              `label '${label}' promises a GPU but ${t.type?.trim()} has none (GPU families: gpuFamilies in data/ec2-instance-types.json); use a GPU type or a label that does not say gpu/cuda`,
              'warning',
            ),
          ),
      );
  },
};
