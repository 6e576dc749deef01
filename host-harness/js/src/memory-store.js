// An in-memory ordered key-value store with versions: the `storage` import (storage.wit) for
// tests, demos and benchmarks. Keys are kept sorted in an array (binary search; an insert or a
// delete moves the keys after it), which suits stores of up to some hundred thousand keys.

import { StorageError } from './errors.js';

/**
 * Orders keys by their UTF-8 bytes (`memcmp`), which is code point order. JavaScript's `<`
 * compares UTF-16 code units, which puts supplementary characters (surrogate pairs,
 * U+D800–U+DFFF) before U+E000–U+FFFF; shifting those two ranges past each other fixes that.
 */
export function compareKeys(a, b) {
  if (a === b) return 0;
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x !== y) return codePointOrder(x) - codePointOrder(y);
  }
  return a.length - b.length;
}

function codePointOrder(unit) {
  if (unit < 0xd800) return unit;
  return unit >= 0xe000 ? unit - 0x800 : unit + 0x2000;
}

/** The store: `get`, `getMany`, `scan` and `commit` as the wrapper expects, plus `dump`. */
export class MemoryStore {
  /** Sorted keys. */
  #keys = [];
  /** key → { value, version } */
  #entries = new Map();
  /** The version the last commit gave; every commit gives the next one. */
  #version = 0;

  /** The number of keys stored. */
  get size() {
    return this.#keys.length;
  }

  /** The entry under `key`, or `undefined`. */
  get(key) {
    const stored = this.#entries.get(key);
    return stored === undefined ? undefined : { key, value: stored.value, version: stored.version };
  }

  /** One element per key, in the order asked; `undefined` for an absent key. */
  getMany(keys) {
    return keys.map((key) => this.get(key));
  }

  /**
   * Up to `limit` entries whose key starts with `prefix`, in key order (descending when
   * `reverse`), strictly after `startAfter` in the scan direction when it is given.
   */
  scan(prefix, startAfter, limit, reverse) {
    const keys = this.#keys;
    const found = [];
    if (limit <= 0) return found;
    const hasAfter = startAfter !== undefined && startAfter !== null;
    if (!reverse) {
      // The first key ≥ prefix, moved past `startAfter`.
      let i = this.#lowerBound(prefix);
      if (hasAfter) i = Math.max(i, this.#upperBound(startAfter));
      for (; i < keys.length && found.length < limit && keys[i].startsWith(prefix); i++) {
        found.push(this.get(keys[i]));
      }
    } else {
      // The keys with the prefix sit together in sorted order; start below the last of them.
      let i = this.#prefixEnd(prefix) - 1;
      if (hasAfter) i = Math.min(i, this.#lowerBound(startAfter) - 1);
      for (; i >= 0 && found.length < limit && keys[i].startsWith(prefix); i--) {
        found.push(this.get(keys[i]));
      }
    }
    return found;
  }

  /**
   * Applies `writes` (`{ tag: 'put', val: { key, value } }` or `{ tag: 'delete', val: key }`)
   * in order, all with one new version, if every check (`{ key, version }`, `version`
   * `undefined` for "must be absent") holds against the state before them.
   *
   * @throws {StorageError} `conflict` naming the first check that fails; nothing is applied
   */
  commit(checks, writes) {
    for (const check of checks) {
      const current = this.#entries.get(check.key)?.version;
      const wanted = check.version ?? undefined;
      if (current !== wanted) throw new StorageError('conflict', check.key);
    }
    if (writes.length === 0) return;
    const version = ++this.#version;
    for (const write of writes) {
      if (write.tag === 'put') {
        const { key, value } = write.val;
        if (!this.#entries.has(key)) this.#keys.splice(this.#lowerBound(key), 0, key);
        // Copied: the store keeps its own bytes, whatever the caller does with its buffer later.
        this.#entries.set(key, { value: Uint8Array.from(value), version });
      } else if (write.tag === 'delete') {
        if (this.#entries.delete(write.val)) this.#keys.splice(this.#lowerBound(write.val), 1);
      } else {
        throw new TypeError(`a write must be { tag: 'put' | 'delete' }, not ${JSON.stringify(write.tag)}`);
      }
    }
  }

  /** Every entry, in key order. */
  dump() {
    return this.#keys.map((key) => this.get(key));
  }

  /** The index of the first key ≥ `key`. */
  #lowerBound(key) {
    let lo = 0;
    let hi = this.#keys.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (compareKeys(this.#keys[mid], key) < 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** The index of the first key > `key`. */
  #upperBound(key) {
    let lo = 0;
    let hi = this.#keys.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (compareKeys(this.#keys[mid], key) <= 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** The index after the last key that starts with `prefix` (or sorts before it). */
  #prefixEnd(prefix) {
    let lo = 0;
    let hi = this.#keys.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const key = this.#keys[mid];
      if (key.startsWith(prefix) || compareKeys(key, prefix) < 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}
