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
/** Selects the JENKINS_HOME volume for the daily snapshot policy (value: the stack name). */
export const HOME_VOLUME_TAG_KEY = 'jenkins-gpu:home';
/** The namespace of every key above: reserved, so IAM can refuse them to anyone but their writer. */
export const RESERVED_TAG_PREFIX = 'jenkins-gpu:';
/** The reserved keys the EC2 plugin writes, at launch only (the casc templates' `tags`). */
export const LAUNCH_TAG_KEYS: readonly string[] = [FLEET_TAG_KEY, TEMPLATE_TAG_KEY];
/** Reserved keys nobody may write through the controller's role, not even at launch. */
export const NEVER_FROM_JENKINS_TAG_KEYS: readonly string[] = [
  BUSY_AT_TAG_KEY,
  ROLE_TAG_KEY,
  STACK_TAG_KEY,
  HOME_VOLUME_TAG_KEY,
];
