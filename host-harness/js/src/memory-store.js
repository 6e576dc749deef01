// An in-memory ordered key-value store with versions: the `storage` import (storage.wit) for
// tests, demos and benchmarks. Values live in a Map; the keys are kept sorted in chunks of at
// most `chunkSize` (a sorted list of sorted arrays), so an insert or a delete moves at most one
// chunk's keys, and a search is two binary searches.

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

const later = (a, b) => (a[0] > b[0] || (a[0] === b[0] && a[1] > b[1]) ? a : b);
const earlier = (a, b) => (later(a, b) === a ? b : a);

function codePointOrder(unit) {
  if (unit < 0xd800) return unit;
  return unit >= 0xe000 ? unit - 0x800 : unit + 0x2000;
}

/** The store: `get`, `getMany`, `scan` and `commit` as the wrapper expects, plus `dump`. */
export class MemoryStore {
  /** Sorted keys, in sorted, non-empty chunks. */
  #chunks = [];
  #chunkSize;
  /** The most entries one scan returns, whatever the limit (`Infinity`: the limit decides). */
  #pageCap;
  /** key → { value, version } */
  #entries = new Map();
  /** The version the last commit gave; every commit gives the next one, so no key ever gets a version it had. */
  #version = 0;

  /**
   * @param {{ chunkSize?: number, pageCap?: number }} [options] `chunkSize`: keys per chunk
   *   (small ones test the chunking); `pageCap`: the most entries a scan returns, fewer than
   *   asked with `more` set when the range goes on (a store bounding its work, as storage.wit
   *   allows: tests that clients keep paging)
   */
  constructor({ chunkSize = 512, pageCap = Infinity } = {}) {
    if (!Number.isInteger(chunkSize) || chunkSize < 1) throw new TypeError('chunkSize must be a whole number above 0');
    if (pageCap !== Infinity && (!Number.isInteger(pageCap) || pageCap < 1)) {
      throw new TypeError('pageCap must be a whole number above 0 (or Infinity)');
    }
    this.#chunkSize = chunkSize;
    this.#pageCap = pageCap;
  }

  /** The number of keys stored. */
  get size() {
    return this.#entries.size;
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
   * A page of the entries whose key starts with `prefix` (literally), in key order (descending
   * when `reverse`), strictly after `startAfter` in the scan direction when it is given: at most
   * `limit` (and `pageCap`) of them, and `more`, exactly whether the range holds another entry
   * after the page.
   */
  scan(prefix, startAfter, limit, reverse) {
    const found = [];
    const want = Math.min(limit, this.#pageCap);
    const hasAfter = startAfter !== undefined && startAfter !== null;
    const chunks = this.#chunks;
    let more = false;
    // Takes the key at `position` if it has the prefix and the page has room; false stops the walk.
    const take = (position) => {
      const key = chunks[position[0]][position[1]];
      if (!key.startsWith(prefix)) return false;
      if (found.length === want) {
        more = true;
        return false;
      }
      found.push(this.get(key));
      return true;
    };
    if (!reverse) {
      // From the first key ≥ prefix, or the first key > startAfter if that is later.
      let from = this.#first((k) => compareKeys(k, prefix) < 0);
      if (hasAfter) from = later(from, this.#first((k) => compareKeys(k, startAfter) <= 0));
      for (let at = this.#valid(from); at !== null && take(at); at = this.#next(at));
    } else {
      // The keys with the prefix sit together in sorted order: from just before the first key
      // past them, or before the first key ≥ startAfter if that is earlier.
      let to = this.#first((k) => k.startsWith(prefix) || compareKeys(k, prefix) < 0);
      if (hasAfter) to = earlier(to, this.#first((k) => compareKeys(k, startAfter) < 0));
      for (let at = this.#previous(to); at !== null && take(at); at = this.#previous(at));
    }
    return { entries: found, more };
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
    for (const write of writes) {
      if (write.tag !== 'put' && write.tag !== 'delete') {
        throw new TypeError(`a write must be { tag: 'put' | 'delete' }, not ${JSON.stringify(write.tag)}`);
      }
    }
    if (writes.length === 0) return;
    const version = ++this.#version;
    for (const write of writes) {
      if (write.tag === 'put') {
        const { key, value } = write.val;
        if (!this.#entries.has(key)) this.#insertKey(key);
        // Copied: the store keeps its own bytes, whatever the caller does with its buffer later.
        this.#entries.set(key, { value: Uint8Array.from(value), version });
      } else if (this.#entries.delete(write.val)) {
        this.#removeKey(write.val);
      }
    }
  }

  /** Every entry, in key order (not capped by `pageCap`). */
  dump() {
    return this.#chunks.flat().map((key) => this.get(key));
  }

  /**
   * The position `[chunk, index]` of the first key for which `before(key)` is false, where
   * `before` holds for a leading run of the sorted keys; `[chunks.length, 0]` if it holds for all.
   */
  #first(before) {
    const chunks = this.#chunks;
    let lo = 0;
    let hi = chunks.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const chunk = chunks[mid];
      if (before(chunk[chunk.length - 1])) lo = mid + 1;
      else hi = mid;
    }
    if (lo === chunks.length) return [lo, 0];
    const chunk = chunks[lo];
    let i = 0;
    let j = chunk.length - 1;
    while (i < j) {
      const mid = (i + j) >>> 1;
      if (before(chunk[mid])) i = mid + 1;
      else j = mid;
    }
    return [lo, i];
  }

  /** `position` if a key is there, else `null` (the end). */
  #valid(position) {
    return position[0] < this.#chunks.length ? position : null;
  }

  /** The position after `[c, i]`, or `null` past the last key. */
  #next([c, i]) {
    if (i + 1 < this.#chunks[c].length) return [c, i + 1];
    return c + 1 < this.#chunks.length ? [c + 1, 0] : null;
  }

  /** The position before `[c, i]` (which may be the end), or `null` before the first key. */
  #previous([c, i]) {
    if (i > 0) return [c, i - 1];
    return c > 0 ? [c - 1, this.#chunks[c - 1].length - 1] : null;
  }

  #insertKey(key) {
    const chunks = this.#chunks;
    if (chunks.length === 0) {
      chunks.push([key]);
      return;
    }
    let [c, i] = this.#first((k) => compareKeys(k, key) < 0);
    if (c === chunks.length) [c, i] = [c - 1, chunks[c - 1].length];
    const chunk = chunks[c];
    chunk.splice(i, 0, key);
    if (chunk.length > this.#chunkSize) chunks.splice(c + 1, 0, chunk.splice(chunk.length >>> 1));
  }

  #removeKey(key) {
    const [c, i] = this.#first((k) => compareKeys(k, key) < 0);
    const chunk = this.#chunks[c];
    chunk.splice(i, 1);
    if (chunk.length === 0) this.#chunks.splice(c, 1);
  }
}
