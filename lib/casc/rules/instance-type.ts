import { didYouMean } from '../../jcasc/did-you-mean';
import type { Problem } from '../../jcasc/problem';
import { WHOLE_VARIABLE } from '../../jcasc/variables';
import { INSTANCE_TYPES, isGpuInstanceType, UNPRICED_GPU_TYPES } from '../ec2-data';
import type { TemplateView } from '../fleet';
import { type CascRule, templateFinding, templatesOf } from './rule';

const id = 'instance-type';

function typeMessage(type: string | undefined): string | undefined {
  if (!type)
    return 'type must be set to an EC2 instance type (the controller may only launch the types the YAML names)';
  if (WHOLE_VARIABLE.test(type))
    return 'type must be a literal instance type: the IAM policy of the controller is derived from it';
  if (UNPRICED_GPU_TYPES.has(type))
    return `GPU type '${type}' has no price in data/ec2-prices.json: the burn alarm and the fleet's $/hour need one for every GPU type (priced: ${[...INSTANCE_TYPES].filter(isGpuInstanceType).join(', ')}); to use it, add its on-demand price with source and date there, and the type and its vCPUs (gpuVcpus) to data/ec2-instance-types.json`;
  if (!INSTANCE_TYPES.has(type))
    return `unknown EC2 instance type '${type}'${didYouMean(type, INSTANCE_TYPES)} (types are listed in data/ec2-instance-types.json)`;
  return undefined;
}

function check(template: TemplateView): Problem[] {
  const message = typeMessage(template.type?.trim());
  return message ? [templateFinding(id, template, 'type', message)] : [];
}

/** The controller's IAM and the burn alarm are derived from the literal types in data/. */
export const instanceType: CascRule = {
  id,
  summary:
    'refuses a template type that is missing, a ${VAR}, unknown, or a GPU type without a price in data/: IAM and the burn alarm derive from it',
  check: (context) => templatesOf(context).flatMap(check),
};
