/** The GPU workers' metric names, defined in lib/contracts.ts; re-exported here for existing imports. */
export {
  BUSY_SIGNAL_FAILURES_METRIC,
  COST_USD_METRIC,
  FLEET_DIMENSION,
  GPU_SECONDS_METRIC,
  MILESTONE_DIMENSION,
  MILESTONE_METRIC,
  TEMPLATE_DIMENSION,
  WORKER_METRIC_NAMESPACE,
  WORKER_PROFILE_DIMENSION,
} from './contracts';
