// The README's usage example runs as written, and prints what its comments say.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { pathToFileURL } from 'node:url';

import { PACKAGE_DIR } from '../src/transpile.js';

test('the README example runs and prints what its comments say', () => {
  const readme = readFileSync(join(PACKAGE_DIR, 'README.md'), 'utf8');
  const example = readme.match(/## Use\n\n```js\n([\s\S]*?)```/)[1];
  const index = pathToFileURL(join(PACKAGE_DIR, 'index.js')).href;
  const file = join(mkdtempSync(join(tmpdir(), 'readme-')), 'example.mjs');
  writeFileSync(file, example.replace("from 'order-messages-host'", `from '${index}'`));
  const printed = execFileSync(process.execPath, [file], { encoding: 'utf8' }).trimEnd().split('\n');

  // `console.log(…); // what it prints`, where a trailing "…" or "(…)" ends the part checked.
  const promised = [...example.matchAll(/console\.log\(.*\/\/ (.*)$/gm)].map((m) => m[1].replace(/ ….*$| \(.*\)$/, ''));
  assert.equal(printed.length, promised.length, printed.join('\n'));
  promised.forEach((start, i) => assert.ok(printed[i].startsWith(start), `line ${i + 1}: ${printed[i]} does not start with ${start}`));
});
