/**
 * The timing of a controller replacement, one source for the controller's update policy, the drain's
 * lifecycle hook and the `drainTimeoutMinutes` setting (docs/architecture.md, "Controller replacement").
 *
 * A rolling update with MinInstancesInService 0 terminates the old controller: the drain's lifecycle hook
 * holds it in Terminating:Wait while Auto Scaling already launches the new one, which waits for JENKINS_HOME
 * until the old one has terminated, then boots and signals. CloudFormation waits for that signal at most
 * the rolling update's PauseTime, and PauseTime is at most one hour ("The maximum PauseTime is one hour
 * (PT1H)", aws-cdk-lib 2.276.0 core/lib/cfn-resource-policy.d.ts line 192). Drain, hand-over and boot share
 * that hour.
 */
import { CONTROLLER_BIN_DIR } from './contracts';

/** AutoScalingRollingUpdate.PauseTime's maximum. */
export const MAX_ROLLING_UPDATE_PAUSE_MINUTES = 60;

/** What a controller boot may take before CloudFormation calls it failed. */
export const DEFAULT_CONTROLLER_BOOT_MINUTES = 30;

/**
 * The drain's steps after its wait: the SSM delivery of the command, Jenkins' stop (TimeoutStopSec=120 in
 * jenkins.service) and completing the lifecycle action, with room to spare. The hook times out (default
 * result CONTINUE) this long after the drain time when the drain never completes it.
 */
export const DRAIN_HANDOVER_MINUTES = 5;

/** Minutes running builds get before a replaced controller terminates. */
export const DEFAULT_DRAIN_MINUTES = 20;

/** The longest drain that leaves a default boot its time within the rolling update's hour. */
export const MAX_DRAIN_MINUTES =
  MAX_ROLLING_UPDATE_PAUSE_MINUTES - DEFAULT_CONTROLLER_BOOT_MINUTES - DRAIN_HANDOVER_MINUTES;

/** How long a terminating controller may keep JENKINS_HOME (the hook's heartbeat timeout); 0: no drain. */
export function terminationHoldMinutes(drainMinutes: number): number {
  return drainMinutes > 0 ? drainMinutes + DRAIN_HANDOVER_MINUTES : 0;
}

/** The drain script on the controller (assets/controller/drain.sh, unpacked by the user data). */
export const DRAIN_SCRIPT = `${CONTROLLER_BIN_DIR}/drain.sh`;

/**
 * The EventBridge event of a termination lifecycle action: its detail-type and transition (Amazon EC2 Auto
 * Scaling event reference, "EC2 Instance-terminate Lifecycle Action").
 */
export const TERMINATE_ACTION_DETAIL_TYPE = 'EC2 Instance-terminate Lifecycle Action';
export const TERMINATING_TRANSITION = 'autoscaling:EC2_INSTANCE_TERMINATING';
