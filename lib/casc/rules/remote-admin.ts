import { type CascRule, got, templateFinding, templatesOf } from './rule';

const id = 'remote-admin';

export const remoteAdmin: CascRule = {
  id,
  summary: 'refuses a template whose remoteAdmin is blank or root: the Deep Learning AMI refuses SSH as root',
  check: (context) =>
    templatesOf(context).flatMap((t) => {
      const admin = t.text('remoteAdmin')?.trim();
      if (admin && admin !== 'root') return [];
      return [
        templateFinding(
          id,
          t,
          'remoteAdmin',
          `remoteAdmin must name the AMI's login user (ubuntu on the Deep Learning AMI): blank means SSH as root, which the AMI refuses (got ${got(admin)})`,
        ),
      ];
    }),
};
