import { type CascRule, got, templateFinding, templatesOf } from './rule';

const id = 'imds-v2';

/** IMDSv2 only, one hop: containers on the worker cannot reach the instance role's credentials. */
const IMDS_SETTINGS: ReadonlyArray<[string, string]> = [
  ['metadataSupported', 'true'],
  ['metadataEndpointEnabled', 'true'],
  ['metadataTokensRequired', 'true'],
  ['metadataHopsLimit', '1'],
];

export const imdsV2: CascRule = {
  id,
  summary:
    "refuses a template without IMDSv2 only and one hop: containers on the worker would reach the instance role's credentials",
  check: (context) =>
    templatesOf(context).flatMap((t) =>
      IMDS_SETTINGS.filter(([key, expected]) => t.text(key)?.trim() !== expected).map(([key, expected]) =>
        templateFinding(
          id,
          t,
          key,
          `${key} must be ${expected}: IMDSv2 only, one hop, keeps containers on the worker away from the instance role's credentials (got ${got(t.text(key)?.trim())})`,
        ),
      ),
    ),
};
