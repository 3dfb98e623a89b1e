/**
 * The tags that tie the parts together (see docs/architecture.md, "Worker tags and the cost guard"): set by
 * the EC2 plugin at launch, the idle watchdog and the controller's Auto Scaling group; read by the
 * controller's IAM conditions, the casc policy, the reaper and `npm run workers`. Plain constants, so the
 * Lambda bundles and the pure modules can share them.
 */
export const FLEET_TAG_KEY = 'jenkins-gpu:fleet';
export const TEMPLATE_TAG_KEY = 'jenkins-gpu:template';
/** Written by the idle watchdog while a build runs: a UTC ISO-8601 time such as `2026-11-29T19:20:00Z`. */
export const BUSY_AT_TAG_KEY = 'jenkins-gpu:busy-at';
export const ROLE_TAG_KEY = 'jenkins-gpu:role';
/** `ROLE_TAG_KEY` value of the controller instance and its JENKINS_HOME volume: never reaped. */
export const CONTROLLER_ROLE = 'controller';
/** On every resource of a stack (and its credential secrets), value: the stack name. */
export const STACK_TAG_KEY = 'jenkins-gpu:stack';
