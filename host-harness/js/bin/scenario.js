#!/usr/bin/env node
// Runs scenario files (or folders of *.toml) through the JavaScript host and prints pass/fail
// per step, like `order-messages-harness scenario`; exits 1 if a step failed.
//
//   node bin/scenario.js ../scenarios

import { compileAddon } from '../src/addon.js';
import { loadScenario, reportText, runScenario, scenarioFiles } from '../src/scenario.js';

const paths = process.argv.slice(2);
if (paths.length === 0) {
  console.error('usage: order-messages-scenario FILE_OR_FOLDER…');
  process.exit(2);
}
const compiled = await compileAddon();
let steps = 0;
let failed = 0;
let failedFiles = 0;
const files = scenarioFiles(paths);
for (const file of files) {
  const report = await runScenario(loadScenario(file), { compiled });
  process.stdout.write(reportText(report));
  steps += report.steps.length;
  const bad = report.steps.filter((s) => !s.passed).length;
  failed += bad;
  if (bad > 0) failedFiles += 1;
}
console.log(`${files.length} scenario${files.length === 1 ? '' : 's'}, ${steps} steps: ${steps - failed} passed, ${failed} failed`);
if (failed > 0) {
  console.error(`error: ${failed} step${failed === 1 ? '' : 's'} failed in ${failedFiles} scenario${failedFiles === 1 ? '' : 's'}`);
  process.exit(1);
}
