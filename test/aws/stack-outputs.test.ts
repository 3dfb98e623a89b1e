import { DescribeStacksCommand } from '@aws-sdk/client-cloudformation';

import { stackOutputs } from '../../lib/aws/stack-outputs';
import { UserInputError } from '../../lib/errors';

const client = (answer: () => Promise<unknown>) => ({ send: jest.fn(answer) });
const noSuchStack = () =>
  Promise.reject(Object.assign(new Error('Stack with id Nope does not exist'), { name: 'ValidationError' }));

describe('stackOutputs', () => {
  it('maps each output key to its value, a missing value to the empty string', async () => {
    const cloudFormation = client(() =>
      Promise.resolve({
        Stacks: [
          { Outputs: [{ OutputKey: 'A', OutputValue: 'a' }, { OutputKey: 'B' }, { OutputValue: 'x' }] },
        ],
      }),
    );
    const outputs = await stackOutputs(cloudFormation, 'S', () => 'unused');
    expect([...outputs]).toEqual([
      ['A', 'a'],
      ['B', ''],
    ]);
    const [command] = cloudFormation.send.mock.calls[0] as unknown as [DescribeStacksCommand];
    expect(command).toBeInstanceOf(DescribeStacksCommand);
    expect(command.input).toEqual({ StackName: 'S' });
  });

  it('a stack without outputs: an empty map', async () => {
    expect(
      (
        await stackOutputs(
          client(() => Promise.resolve({ Stacks: [{}] })),
          'S',
          () => '',
        )
      ).size,
    ).toBe(0);
  });

  it("a stack CloudFormation does not know: a UserInputError with the caller's line", async () => {
    const failure = stackOutputs(client(noSuchStack), 'Nope', () => Promise.resolve('no stack Nope'));
    await expect(failure).rejects.toThrow(UserInputError);
    await expect(failure).rejects.toThrow(/^no stack Nope$/);
  });

  it('any other failure as CloudFormation gave it', async () => {
    const denied = Object.assign(new Error('not authorized'), { name: 'AccessDenied' });
    await expect(
      stackOutputs(
        client(() => Promise.reject(denied)),
        'S',
        () => '',
      ),
    ).rejects.toBe(denied);
  });
});
