/** The project's tag keys, defined in lib/contracts.ts; re-exported here for existing imports. */
export {
  BUSY_AT_TAG_KEY,
  CONTROLLER_ROLE,
  FLEET_TAG_KEY,
  HOME_VOLUME_TAG_KEY,
  LAUNCH_TAG_KEYS,
  NEVER_FROM_JENKINS_TAG_KEYS,
  RESERVED_TAG_PREFIX,
  ROLE_TAG_KEY,
  STACK_TAG_KEY,
  TEMPLATE_TAG_KEY,
} from './contracts';
