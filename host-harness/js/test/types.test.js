// index.d.ts is hand-written: it must compile, describe what a TypeScript host author writes
// (test/types/usage.mts, type-checked with --strict), and name the methods the wrapper has.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { test } from 'node:test';

import { EXPORTS } from '../src/signatures.js';
import { PACKAGE_DIR } from '../src/transpile.js';

const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');

test('the declarations type-check a strict TypeScript host', () => {
  const args = ['--noEmit', '--strict', '--target', 'es2022', '--module', 'nodenext', '--moduleResolution', 'nodenext'];
  args.push('--lib', 'es2022,dom', join(PACKAGE_DIR, 'test/types/usage.mts'));
  try {
    execFileSync(process.execPath, [tsc, ...args], { cwd: PACKAGE_DIR, encoding: 'utf8' });
  } catch (e) {
    assert.fail(`tsc found errors:\n${e.stdout}${e.stderr}`);
  }
});

test("each export interface's declared methods are the wrapper's", () => {
  const declarations = readFileSync(join(PACKAGE_DIR, 'index.d.ts'), 'utf8');
  const names = { messaging: 'Messaging', inbox: 'Inbox', disputes: 'Disputes', orderFilter: 'OrderFilter', maintenance: 'Maintenance' };
  assert.deepEqual(Object.keys(names), Object.keys(EXPORTS));
  for (const [iface, type] of Object.entries(names)) {
    const body = declarations.match(new RegExp(`export interface ${type} \\{([^}]*)\\}`))[1];
    const declared = [...body.matchAll(/^\s+(\w+)\(/gm)].map((m) => m[1]);
    assert.deepEqual(declared, Object.keys(EXPORTS[iface]), iface);
  }
});
