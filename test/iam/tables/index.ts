import { controllerTable } from './controller';
import { FUNCTION_TABLES } from './functions';
import { reaperTable } from './reaper';
import { snapshotTable } from './snapshots';
import { RoleTable } from './table';
import { workerTable } from './worker';

/** One table per role of the stack (template-iam.test.ts fails on a role without one). */
export const ROLE_TABLES: readonly RoleTable[] = [
  controllerTable,
  workerTable,
  reaperTable,
  snapshotTable,
  ...FUNCTION_TABLES,
];
