/**
 * The CDK Provider framework's side of an asynchronous custom resource (onEvent + isComplete): what the
 * handlers of lambda/ read of its event and what they answer. Must not import aws-cdk-lib (each handler is
 * bundled on its own, and esbuild inlines this file).
 */

/** The subset of the framework's event the handlers read; `P` is the resource's own properties. */
export interface ProviderEvent<P> {
  readonly RequestType: 'Create' | 'Update' | 'Delete';
  readonly StackId: string;
  readonly ResourceProperties: P & { ServiceToken?: string };
  readonly PhysicalResourceId?: string;
  /** isComplete: the Data onEvent answered. */
  readonly Data?: Record<string, string>;
}

export interface OnEventResponse {
  readonly PhysicalResourceId: string;
  readonly Data?: Record<string, string>;
}

export interface IsCompleteResponse {
  readonly IsComplete: boolean;
  readonly Data?: Record<string, string>;
}
