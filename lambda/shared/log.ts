/**
 * The Lambdas' log line: one JSON object per line on stdout, so CloudWatch Logs Insights can filter on
 * `level` and the fields. Shared by the handlers of lambda/; must not import aws-cdk-lib (each handler is
 * bundled on its own, and esbuild inlines this file).
 */
export function log(
  level: 'info' | 'warn' | 'error',
  message: string,
  fields: Record<string, unknown> = {},
): void {
  console.log(JSON.stringify({ level, message, ...fields }));
}
