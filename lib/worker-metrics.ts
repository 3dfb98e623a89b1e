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
