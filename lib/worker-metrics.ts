/**
 * The metric a GPU worker's idle watchdog sends when it cannot write its busy tag (assets/worker/
 * idle-watchdog.sh, `report_busy_signal_failure`): without the tag the reaper stops a long training run at
 * the hard lifetime, so a failure must reach the alarm topic, not only the worker's journal. A namespace of
 * its own, so a build on a worker (which holds the worker's credentials) cannot write the reaper's metrics.
 */
export const WORKER_METRIC_NAMESPACE = 'JenkinsGpu/Workers';
export const BUSY_SIGNAL_FAILURES_METRIC = 'BusySignalFailures';
/**
 * Dimension: the name of the worker instance profile (one per stack), which the watchdog reads from
 * IMDS `iam/info` (InstanceProfileArn).
 */
export const WORKER_PROFILE_DIMENSION = 'WorkerInstanceProfile';

/**
 * Boot milestones (assets/worker/milestone.sh): seconds from the instance's last start to each milestone,
 * with the dimensions below plus {@link MILESTONE_DIMENSION}.
 */
export const MILESTONE_METRIC = 'MilestoneSeconds';
export const MILESTONE_DIMENSION = 'Milestone';
/** Per build (assets/worker/run-report.sh): the GPU seconds and on-demand dollars it accounts for. */
export const GPU_SECONDS_METRIC = 'GpuSeconds';
export const COST_USD_METRIC = 'CostUsd';
/** Dimensions of the milestone and run metrics: the worker's jenkins-gpu:fleet and jenkins-gpu:template tags. */
export const FLEET_DIMENSION = 'Fleet';
export const TEMPLATE_DIMENSION = 'Template';
