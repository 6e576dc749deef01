// BigInt to number conversion of the wrapper's results.

import assert from 'node:assert/strict';
import { test } from 'node:test';

import { UnsafeIntegerError } from '../index.js';
import { toBigInt, toNumbers } from '../src/numbers.js';
import { thrown } from './thrown.js';

test('every BigInt inside a result becomes the equal number; bytes and other values stay', () => {
  const bytes = new Uint8Array([1, 2]);
  const value = { a: 1n, b: [2n, { c: -3n }], d: 'x', e: bytes, f: undefined, g: null, h: true };
  assert.deepEqual(toNumbers(value, 'r'), { a: 1, b: [2, { c: -3 }], d: 'x', e: bytes, f: undefined, g: null, h: true });
  assert.equal(toNumbers(BigInt(Number.MAX_SAFE_INTEGER), 'r'), Number.MAX_SAFE_INTEGER);
  assert.equal(toNumbers(-BigInt(Number.MAX_SAFE_INTEGER), 'r'), -Number.MAX_SAFE_INTEGER);
});

test('a value past 2^53 - 1 is refused, naming where it is', () => {
  const page = { rows: [{ latest: { seq: 1n } }, { latest: { seq: 2n ** 53n } }] };
  const error = thrown(() => toNumbers(page, 'inbox.listThreads()'), UnsafeIntegerError);
  assert.equal(error.path, 'inbox.listThreads().rows[1].latest.seq');
  assert.equal(error.value, 2n ** 53n);
  assert.ok(error instanceof RangeError);
  thrown(() => toNumbers({ t: -(2n ** 53n) }, 'x'), UnsafeIntegerError);
});

test('a number a host gives for a 64-bit field must be a safe whole number', () => {
  assert.equal(toBigInt(42, 'v'), 42n);
  for (const bad of [1.5, 2 ** 53, NaN, '1', undefined]) assert.throws(() => toBigInt(bad, 'the version'), /the version must be a whole number/);
});
