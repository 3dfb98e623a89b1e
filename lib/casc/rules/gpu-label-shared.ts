import { type CascRule, gpuLabelOwners, isCpuTemplate, templateFinding, templatesOf } from './rule';

const id = 'gpu-label-shared';

/** The EC2 plugin takes the first matching template with room, so a shared label can start a CPU machine. */
export const gpuLabelShared: CascRule = {
  id,
  summary:
    "refuses a CPU template carrying a GPU template's label: a job asking for a GPU could run without one",
  check: (context) => {
    const owners = gpuLabelOwners(context);
    return templatesOf(context)
      .filter(isCpuTemplate)
      .flatMap((t) =>
        t.labels
          .filter((label) => owners.has(label))
          .map((label) =>
            templateFinding(
              id,
              t,
              'labelString',
              `label '${label}' is also on GPU template '${owners.get(label)}': a job asking for it could run on this ${t.type?.trim()}, which has no GPU (the EC2 plugin takes the first matching template with room, EC2Cloud.java 1102-1116 at ec2-plugin 2059); give this template a label of its own`,
            ),
          ),
      );
  },
};
