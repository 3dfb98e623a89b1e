import { type CascRule, got, templateFinding, templatesOf } from './rule';

const id = 'root-volume-encrypted';

export const rootVolumeEncrypted: CascRule = {
  id,
  summary:
    'refuses a template whose ebsEncryptRootVolume is not ENCRYPTED: the root holds datasets and checkpoints',
  check: (context) =>
    templatesOf(context)
      .filter((t) => t.text('ebsEncryptRootVolume')?.trim() !== 'ENCRYPTED')
      .map((t) =>
        templateFinding(
          id,
          t,
          'ebsEncryptRootVolume',
          `ebsEncryptRootVolume must be ENCRYPTED: the root volume holds datasets, checkpoints and the workspace (got ${got(t.text('ebsEncryptRootVolume')?.trim())})`,
        ),
      ),
};
