/** `node -r ./bin/register-ts.cjs test/tools/render-user-data.ts TEMPLATE.json`: prints the controller user data (CI shellchecks it). */
import * as fs from 'fs';

import { renderedUserData } from './user-data';

const file = process.argv[2];
if (!file) {
  console.error('usage: render-user-data.ts <template.json>');
  process.exit(2);
}
process.stdout.write(renderedUserData(JSON.parse(fs.readFileSync(file, 'utf8'))));
