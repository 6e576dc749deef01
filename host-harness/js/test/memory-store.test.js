// MemoryStore against a model (every key in one sorted array, scanned by brute force), over
// random commits and scans of keys sharing prefixes, with chunks small enough to split and
// empty many times, and with pages capped below the limit asked.

import assert from 'node:assert/strict';
import { test } from 'node:test';

import { MemoryStore, StorageError, compareKeys } from '../index.js';
import { thrown } from './thrown.js';

function xorshift(seed) {
  let x = seed;
  return (n) => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x % n;
  };
}

const ALPHABET = ['a', 'b', 'é', '\u{1F600}', '\uFFFF', '/'];

/** The page a store that pages exactly gives: up to `limit` keys, and whether any remain after them. */
function modelScan(keys, prefix, after, limit, reverse) {
  let matching = keys.filter((k) => k.startsWith(prefix));
  if (reverse) matching.reverse();
  if (after !== undefined) matching = matching.filter((k) => (reverse ? compareKeys(k, after) < 0 : compareKeys(k, after) > 0));
  return { keys: matching.slice(0, limit), more: matching.length > limit };
}

test('scans agree with a brute-force model over random commits, with chunks splitting and emptying', () => {
  for (const [chunkSize, pageCap] of [
    [1, Infinity],
    [4, Infinity],
    [16, Infinity],
    [4, 3],
  ]) {
    const pick = xorshift(7 + chunkSize + (pageCap === Infinity ? 0 : pageCap));
    const word = (max) => Array.from({ length: 1 + pick(max) }, () => ALPHABET[pick(ALPHABET.length)]).join('');
    const store = new MemoryStore({ chunkSize, pageCap });
    const model = new Set();
    for (let round = 0; round < 400; round++) {
      const writes = Array.from({ length: 1 + pick(6) }, () => {
        const key = word(4);
        return pick(3) === 0 ? { tag: 'delete', val: key } : { tag: 'put', val: { key, value: new Uint8Array([round]) } };
      });
      store.commit([], writes);
      for (const w of writes) {
        if (w.tag === 'put') model.add(w.val.key);
        else model.delete(w.val);
      }
      const keys = [...model].sort(compareKeys);
      assert.deepEqual(store.dump().map((e) => e.key), keys);
      for (let s = 0; s < 5; s++) {
        const prefix = pick(4) === 0 ? '' : word(2);
        const after = pick(2) === 0 ? undefined : word(3);
        const limit = 1 + pick(8);
        const reverse = pick(2) === 0;
        const page = store.scan(prefix, after, limit, reverse);
        assert.deepEqual(
          { keys: page.entries.map((e) => e.key), more: page.more },
          modelScan(keys, prefix, after, Math.min(limit, pageCap), reverse),
          JSON.stringify({ chunkSize, pageCap, round, prefix, after, limit, reverse }),
        );
      }
    }
    assert.equal(store.size, model.size);
  }
});

test('a write that is neither put nor delete is refused, and nothing of its commit applied', () => {
  const store = new MemoryStore();
  const error = thrown(
    () => store.commit([], [{ tag: 'put', val: { key: 'a', value: new Uint8Array() } }, { tag: 'upsert', val: 'b' }]),
    TypeError,
  );
  assert.match(error.message, /upsert/);
  assert.equal(store.size, 0);
  assert.ok(!(error instanceof StorageError));
});
