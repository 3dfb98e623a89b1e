/**
 * Contract: EC2's user-data limit, as the EC2 plugin meets it.
 *
 * - EC2 RunInstances accepts at most 16,384 bytes of user data before base64 encoding (EC2 API reference,
 *   RunInstances, parameter UserData; "User data is limited to 16 KB, in raw form, before it is
 *   base64-encoded", EC2 User Guide, "Run commands when you launch an EC2 instance with user data input").
 * - The EC2 plugin sends a template's `userData` string as it is, base64-encoded, with no compression and
 *   no multipart (SlaveTemplate.java around line 2204 at release 2059.v05f9d511d7e5).
 * - JCasC fills `${VAR}` and un-escapes `^${` before the plugin sees the value.
 *
 * Re-check when the EC2 plugin (casc/plugins.txt) changes.
 */
import * as fs from 'fs';
import * as path from 'path';

import { EC2_USER_DATA_MAX_BYTES, userDataBytes } from '../../lib/bundle/build-bundle';
import { bundleOfRepo } from '../../lib/casc/load-casc';
import { validateCascTree } from '../../lib/casc/validate';
import { formatProblem } from '../../lib/jcasc/problem';
import { repoCopy } from '../stack/app-helpers';
import { shippedTemplates } from '../tools/jcasc';

const REPO = path.resolve(__dirname, '../..');

describe('EC2 user data limit', () => {
  it('is 16,384 bytes before base64', () => {
    expect(EC2_USER_DATA_MAX_BYTES).toBe(16_384);
  });

  it('holds for the rendered user data of every template, after JCasC has filled it', () => {
    const templates = shippedTemplates(bundleOfRepo(REPO));
    expect(templates.length).toBeGreaterThan(0);
    const sizes = templates.map((t) => ({ template: t.description, bytes: userDataBytes(t.userData) }));
    console.log(
      sizes
        .map(
          (s) =>
            `${s.template}: ${s.bytes} bytes of user data, ${EC2_USER_DATA_MAX_BYTES - s.bytes} bytes of headroom`,
        )
        .join('\n'),
    );
    for (const s of sizes) expect(s.bytes).toBeLessThanOrEqual(EC2_USER_DATA_MAX_BYTES);
  });

  it('is enforced by the casc validator, so an oversized user data fails check:casc and synth with file:line', () => {
    const repo = repoCopy();
    fs.appendFileSync(
      path.join(repo, 'assets/worker/user-data.sh'),
      'echo padding-padding-padding\n'.repeat(600),
    );
    const result = validateCascTree({ cascPath: path.join(repo, 'casc'), jobsPath: path.join(repo, 'jobs') });
    const lines = result.problems.map((p) => formatProblem(p, repo));
    expect(result.ok).toBe(false);
    expect(lines[0]).toMatch(
      /^casc\/ec2-cloud\.yaml:\d+: jenkins\.clouds\[0\]\.amazonEC2\.templates\[0\]\.userData: \[render-script\] cannot render the worker script: @render:assets\/worker\/user-data\.sh: the rendered user data is \d+ bytes once JCasC fills its variables; EC2 RunInstances accepts at most 16384/,
    );
  });
});
