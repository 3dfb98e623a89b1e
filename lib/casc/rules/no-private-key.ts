import { type CascRule, finding } from './rule';

const id = 'no-private-key';

export const noPrivateKey: CascRule = {
  id,
  summary: 'refuses a cloud privateKey: the plugin ignores it and it puts key material in the YAML',
  check: ({ clouds }) =>
    clouds.flatMap((cloud) => {
      const privateKey = cloud.get('privateKey');
      return privateKey
        ? [
            finding(
              id,
              privateKey.loc,
              `${cloud.path}.privateKey`,
              'privateKey is ignored by the EC2 plugin and puts key material in the YAML; use sshKeysCredentialsId',
            ),
          ]
        : [];
    }),
};
