import * as iam from 'aws-cdk-lib/aws-iam';
import * as fs from 'fs';
import * as path from 'path';

import { ArtifactMirror } from '../../lib/constructs/artifact-mirror';
import { FleetTeardown } from '../../lib/constructs/fleet-teardown';
import { Network } from '../../lib/constructs/network';
import { ShellSessionLogging } from '../../lib/constructs/session-logging';
import { UserInputError } from '../../lib/errors';
import { controllerIn, testStack } from '../helpers';

const CONSTRUCTS_DIR = path.resolve(__dirname, '../../lib/constructs');

function thrownBy(build: () => unknown): Error {
  try {
    build();
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected the construct to refuse its props');
}

const instanceRole = () =>
  new iam.Role(testStack(), 'Role', { assumedBy: new iam.ServicePrincipal('ec2.amazonaws.com') });

describe('construct errors', () => {
  it.each<[string, () => unknown]>([
    ['Network', () => new Network(testStack(), 'Network', { maxAzs: 0 })],
    ['JenkinsController', () => controllerIn(testStack(), { snapshotRetentionDays: 0 })],
    [
      'ArtifactMirror',
      () => {
        const stack = testStack();
        const { controller } = controllerIn(stack);
        return new ArtifactMirror(stack, 'Mirror', { controllerRole: controller.role, prefix: 'Upper/' });
      },
    ],
    [
      'FleetTeardown',
      () => {
        const stack = testStack();
        const { network } = controllerIn(stack);
        return new FleetTeardown(stack, 'Teardown', {
          fleetTagValue: 'fleet-a',
          usedByWorkers: [network],
          timeoutMinutes: 1,
        });
      },
    ],
    [
      'ShellSessionLogging',
      () => {
        const role = instanceRole();
        return new ShellSessionLogging(role.stack, 'Sessions', {
          instanceRole: role,
          idleSessionTimeoutMinutes: 0,
        });
      },
    ],
  ])('%s refuses bad props with a one-line user error naming itself', (name, build) => {
    const error = thrownBy(build);
    expect(error).toBeInstanceOf(UserInputError);
    expect(error.message).toMatch(new RegExp(`^${name}: `));
    expect(error.message).not.toContain('\n');
  });

  it('every construct throws UserInputError on bad props, never a plain Error', () => {
    // assembly-dir.ts is the exception: used outside an App it is a bug of ours, not the user's input.
    const plain = fs
      .readdirSync(CONSTRUCTS_DIR)
      .filter((file) => file.endsWith('.ts') && file !== 'assembly-dir.ts')
      .flatMap((file) =>
        fs
          .readFileSync(path.join(CONSTRUCTS_DIR, file), 'utf8')
          .split('\n')
          .flatMap((line, i) => (/throw new (?!UserInputError\()/.test(line) ? [`${file}:${i + 1}`] : [])),
      );
    expect(plain).toEqual([]);
  });
});
