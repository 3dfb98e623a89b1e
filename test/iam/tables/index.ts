import { controllerTable } from './controller';
import { RoleTable } from './table';

/** One table per role of the stack (template-iam.test.ts fails on a role without one). */
export const ROLE_TABLES: readonly RoleTable[] = [controllerTable];
