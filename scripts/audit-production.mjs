#!/usr/bin/env node
/* eslint-disable no-console -- a command-line script: its output is the report */
// `npm audit --omit=dev`, failing on a high or critical advisory in what production installs.
// When the registry's advisory service cannot be reached (some mirrors answer 405), the audit
// did not happen: that is said loudly, and it fails only when AUDIT_REQUIRED=true.
import { spawnSync } from 'node:child_process';

const run = spawnSync('npm', ['audit', '--omit=dev', '--json'], { encoding: 'utf8' });
let report;
try {
  report = JSON.parse(run.stdout);
} catch {
  console.error(`npm audit printed no report:\n${run.stdout}${run.stderr}`);
  process.exit(1);
}

const counts = report.metadata?.vulnerabilities;
if (!counts) {
  const reason = report.message ?? report.error?.summary ?? 'no vulnerability counts in the answer';
  console.warn(`npm audit NOT performed: the advisory service could not be asked (${reason}).`);
  process.exit(process.env.AUDIT_REQUIRED === 'true' ? 1 : 0);
}

const serious = (counts.high ?? 0) + (counts.critical ?? 0);
console.log(`npm audit --omit=dev: ${JSON.stringify(counts)}`);
if (serious > 0) {
  for (const [name, finding] of Object.entries(report.vulnerabilities ?? {})) {
    if (finding.severity === 'high' || finding.severity === 'critical') console.error(`  ${finding.severity}: ${name}`);
  }
  process.exit(1);
}
