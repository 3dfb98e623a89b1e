/**
 * A deployed stack's outputs, by key (DescribeStacks), for the command-line tools that read them
 * (`npm run workers`, `npm run credentials`). A stack CloudFormation does not know is a user mistake; each
 * tool words that line itself, since each suggests its own fix.
 */
import { type CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';

import { UserInputError } from '../errors';

/**
 * Output key → value (a missing value as ''). Throws {@link UserInputError} with `notDeployed()`'s line when
 * the stack does not exist; any other failure as CloudFormation gave it.
 */
export async function stackOutputs(
  client: Pick<CloudFormationClient, 'send'>,
  stackName: string,
  notDeployed: () => string | Promise<string>,
): Promise<ReadonlyMap<string, string>> {
  let response;
  try {
    response = await client.send(new DescribeStacksCommand({ StackName: stackName }));
  } catch (error) {
    if (isNoSuchStack(error)) throw new UserInputError(await notDeployed());
    throw error;
  }
  const outputs = new Map<string, string>();
  for (const { OutputKey, OutputValue } of response.Stacks?.[0]?.Outputs ?? []) {
    if (OutputKey !== undefined) outputs.set(OutputKey, OutputValue ?? '');
  }
  return outputs;
}

/**
 * CloudFormation's answer for a stack it does not know: ValidationError "Stack with id X does not exist".
 * Read by name and message, not `instanceof Error`, which fails for errors of another realm (under jest).
 */
function isNoSuchStack(error: unknown): boolean {
  const { name, message } = (error ?? {}) as { name?: unknown; message?: unknown };
  return name === 'ValidationError' && typeof message === 'string' && /does not exist/.test(message);
}
