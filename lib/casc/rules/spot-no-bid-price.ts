import { child, scalarText } from '../../jcasc/nodes';
import { type CascRule, templateFinding, templatesOf } from './rule';

const id = 'spot-no-bid-price';

export const spotNoBidPrice: CascRule = {
  id,
  summary:
    'refuses spotConfig.useBidPrice: true: bid-price requests are tagged only after fulfilment, without the fleet tag',
  check: (context) =>
    templatesOf(context)
      .filter((t) => scalarText(child(t.get('spotConfig'), 'useBidPrice'))?.trim() === 'true')
      .map((t) =>
        templateFinding(
          id,
          t,
          'spotConfig',
          'spotConfig.useBidPrice must be false: bid-price spot requests are tagged only after fulfilment, so the fleet tag the controller and the reaper rely on would be missing (got true)',
        ),
      ),
};
