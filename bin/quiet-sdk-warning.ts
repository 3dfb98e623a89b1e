/**
 * Imported first by the CLIs: the AWS SDK prints a multi-line Node.js support notice on Node 20 before
 * every command, burying our one-line messages. The README states which Node.js to use instead.
 */
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
