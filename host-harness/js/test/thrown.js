// `assert.throws` that hands back the error, to check its fields.

import assert from 'node:assert/strict';

/** The error `call` throws, which must be an instance of `type` (assert.throws returns nothing). */
export function thrown(call, type) {
  try {
    call();
  } catch (e) {
    assert.ok(e instanceof type, `expected a ${type.name}, got ${e?.stack ?? e}`);
    return e;
  }
  assert.fail(`expected a ${type.name}, but nothing was thrown`);
}
