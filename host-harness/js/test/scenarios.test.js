// The Rust harness's scenario files, run through this host: one set of stories for both hosts.
// Then the runner itself: it must fail a broken expectation with the Rust runner's words, and
// refuse files the Rust runner refuses.

import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, test } from 'node:test';

import { ScenarioError, loadScenario, parseScenario, reportText, runScenario, scenarioFiles } from '../index.js';
import { PACKAGE_DIR } from '../src/transpile.js';
import { compiled } from './helpers.js';
import { thrown } from './thrown.js';

const SCENARIOS = join(PACKAGE_DIR, '../scenarios');

describe('the scenario files pass through the JavaScript host', () => {
  for (const file of scenarioFiles([SCENARIOS])) {
    test(file.slice(SCENARIOS.length + 1), async () => {
      const report = await runScenario(loadScenario(file), { compiled });
      assert.ok(report.passed, reportText(report));
      assert.ok(report.steps.length > 0);
    });
  }
});

const run = (text) => runScenario(parseScenario(text), { compiled });

test('a step whose expectations do not hold fails, each failure worded as the Rust runner words it', async () => {
  const report = await run(`
[[step]]
as = "c1"
do = "post"
order = "o1"
body = "Hello"
[step.expect]
seq = 2
mail_to = ["s1"]
open = true

[[step]]
as = "c2"
do = "thread"
order = "o1"
[step.expect]
count = 1

[[step]]
as = "c1"
do = "bell"
[step.expect]
error = "forbidden"
`);
  assert.equal(report.passed, false);
  assert.deepEqual(
    report.steps.map((s) => s.failures),
    [
      [
        'expected seq 2, got 1',
        'expected open true, but `post` does not report `open`',
        'expected mail_to {"s1"}, got {"v1-anna"}',
      ],
      ['expected success, got not-found: order "o1" was not found', 'expected count 1, but the step was refused'],
      ['expected a `forbidden` refusal, got success'],
    ],
  );
  assert.match(report.steps[1].outcome, /^refused: not-found: /);
});

test('the clock moves one minute before every step, and `advance` moves it further', async () => {
  const report = await run(`
directory = "empty"
[[customers]]
id = "c9"
name = "Dora"
[[staff]]
id = "s9"
name = "Zed"
[[orders]]
id = "o9"
number = "2001"
customer = "c9"

[[step]]
as = "c9"
do = "post"
order = "o9"
body = "first"

[[step]]
do = "advance"
minutes = 58

[[step]]
as = "c9"
do = "post"
order = "o9"
body = "second"

[[step]]
as = "s9"
do = "thread"
order = "o9"
[step.expect]
authors = ["c9", "c9"]
`);
  assert.ok(report.passed, reportText(report));
});

test('a step naming an unknown user is a host error, not a refusal', async () => {
  const report = await run(`
[[step]]
as = "nobody"
do = "bell"
`);
  assert.deepEqual(report.steps[0].failures, ['no user `nobody` in the directory']);
  assert.match(report.steps[0].outcome, /^host error: /);
});

test('files the Rust runner refuses are refused, saying why', () => {
  const invalid = [
    ['', /no steps/],
    ['colour = "blue"\n[[step]]\ndo = "verify"', /unknown key `colour`/],
    ['[[step]]\ndo = "fly"', /unknown operation `fly`/],
    ['[[step]]\ndo = "post"\norder = "o1"\nbody = "x"', /`post` needs `as`/],
    ['[[step]]\nas = "s1"\ndo = "verify"', /`verify` takes no `as`/],
    ['[[step]]\nas = "s1"\ndo = "bell"\norder = "o1"', /`bell` takes no `order` \(it takes: nothing\)/],
    ['[[step]]\nas = "s1"\ndo = "inbox"\nfilter = "starred"', /unknown inbox filter `starred`/],
    ['[[step]]\nas = "s1"\ndo = "inbox"\nlimit = "ten"', /`limit` must be an integer from 0 to 4294967295/],
    ['[[step]]\ndo = "verify"\n[step.expect]\nproblem = 0', /unknown key `problem`/],
    ['[[step]]\ndo = "verify"\n[step.expect]\nerror_field = "body"', /`error_field` needs `error = "invalid-input"`/],
    ['mode = "bazaar"\n[[step]]\ndo = "verify"', /unknown multivendor mode `bazaar`/],
    ['directory = "mall"\n[[step]]\ndo = "verify"', /unknown directory `mall`/],
    ['[[orders]]\nid = "o9"\nnumber = "1"\n[[step]]\ndo = "verify"', /order 1: missing `customer`/],
    ['[[step]\n', /.+/],
  ];
  for (const [text, message] of invalid) {
    const error = thrown(() => parseScenario(text), ScenarioError);
    assert.match(error.message, message);
  }
});

test('an order for a customer the directory lacks fails the set-up', async () => {
  await assert.rejects(
    run('[[orders]]\nid = "o9"\nnumber = "1"\ncustomer = "ghost"\n[[step]]\ndo = "verify"'),
    /order `o9`: no customer `ghost`/,
  );
});
