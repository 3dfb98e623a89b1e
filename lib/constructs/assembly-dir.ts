import { Construct } from 'constructs';

/**
 * The cloud assembly directory (cdk.out) of the app a construct belongs to: files the stack renders at
 * synth (the config bundle, the worker payload) are written there and nowhere else.
 */
export function assemblyDir(scope: Construct): string {
  const root = scope.node.root as unknown as { outdir?: string };
  if (!root.outdir)
    throw new Error(`${scope.node.path}: must be used inside a cdk App (needs its output directory)`);
  return root.outdir;
}
