import { boundedNumberFindings, type CascRule, templatesOf } from './rule';

const id = 'launch-timeout';

/** Longest launch timeout accepted: an hour, three times the shipped 1200 s; a launch that long is hung. */
const MAX_LAUNCH_TIMEOUT_SECONDS = 60 * 60;

export const launchTimeout: CascRule = {
  id,
  summary: `refuses a template launchTimeoutStr that is missing (a hung launch is never cleaned up), not a positive integer or above ${MAX_LAUNCH_TIMEOUT_SECONDS} s`,
  check: (context) =>
    templatesOf(context).flatMap((t) =>
      boundedNumberFindings(id, t, 'launchTimeoutStr', 'omitted means a hung launch is never cleaned up', {
        max: MAX_LAUNCH_TIMEOUT_SECONDS,
        why: 'seconds (an hour): a launch that has not connected by then is hung, and its GPU bills while it waits',
      }),
    ),
};
