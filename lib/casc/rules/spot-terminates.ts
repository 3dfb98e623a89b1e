import { isSpotTemplate, stopsOnTerminate } from '../fleet';
import { type CascRule, templateFinding, templatesOf } from './rule';

const id = 'spot-terminates';

export const spotTerminates: CascRule = {
  id,
  summary:
    'refuses stopOnTerminate: true on a spot template: AWS cannot stop one-time spot instances, so idle ones would keep running',
  check: (context) =>
    templatesOf(context)
      .filter((t) => isSpotTemplate(t) && stopsOnTerminate(t))
      .map((t) =>
        templateFinding(
          id,
          t,
          'stopOnTerminate',
          'stopOnTerminate: spot workers cannot be stopped (AWS rejects StopInstances on one-time spot instances); set false so idle spot workers are terminated (got true)',
        ),
      ),
};
