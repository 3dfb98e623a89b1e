/**
 * shellcheck on the shell as it reaches the instances: every template's worker user data as JCasC hands it
 * to the EC2 plugin (variables filled, `^${` un-escaped), the worker payload, and the controller's user data
 * as the launch template carries it. Needs shellcheck (`npm run lint:all`).
 */
import { Template } from 'aws-cdk-lib/assertions';
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

import { bundleOfRepo } from '../../lib/casc/load-casc';
import { controllerIn, testStack } from '../helpers';
import { resolveLikeJcasc, shippedTemplates } from '../tools/jcasc';
import { renderedUserData } from '../tools/user-data';

const REPO = path.resolve(__dirname, '../..');
const PAYLOAD_URI = `s3://cdk-hnb659fds-assets-111122223333-us-east-1/${'0'.repeat(64)}.sh`;
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rendered-shell-'));

function shellcheck(name: string, text: string): void {
  const file = path.join(dir, name);
  fs.writeFileSync(file, text);
  expect(() => execFileSync('shellcheck', ['--shell=bash', file], { encoding: 'utf8' })).not.toThrow();
}

describe('rendered shell passes shellcheck', () => {
  const bundle = bundleOfRepo(REPO);

  it.each(shippedTemplates(bundle).map((t) => [t.description, t.userData]))(
    'worker user data of %s',
    (name, userData) => {
      shellcheck(`${name}.sh`, resolveLikeJcasc(userData, { WORKER_PAYLOAD_S3_URI: PAYLOAD_URI }));
    },
  );

  it('the worker payload', () => {
    shellcheck('payload.sh', bundle.workerPayload!.content);
  });

  it("the controller's user data", () => {
    const stack = testStack();
    controllerIn(stack);
    shellcheck('controller-user-data.sh', renderedUserData(Template.fromStack(stack).toJSON() as never));
  });
});
