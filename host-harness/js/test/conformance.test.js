// The shared storage conformance cases (host-harness/conformance/cases.json) against MemoryStore,
// one test per case; then what the cases ask and catch: toy stores within storage.wit's rules
// pass every 0.2.0 case, and stores breaking a rule fail the cases about it.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { MemoryStore, StorageError, compareKeys } from '../index.js';
import { ConformanceFailure, checkStore, conformanceCases, runCase } from '../src/conformance.js';

const cases = conformanceCases();

describe('MemoryStore passes the storage conformance cases', () => {
  for (const testCase of cases) {
    test(testCase.name, () => runCase(testCase, new MemoryStore()));
  }
});

// The cases hold fewer keys than a chunk: with chunks of 1 to 3 keys they cross chunk borders.
describe('MemoryStore passes them with tiny chunks and short pages too', () => {
  for (const chunkSize of [1, 2, 3]) {
    test(`chunks of ${chunkSize}`, () => checkStore(() => new MemoryStore({ chunkSize })));
  }
  for (const pageCap of [1, 2]) {
    test(`pages of at most ${pageCap}`, () => checkStore(() => new MemoryStore({ chunkSize: 2, pageCap })));
  }
});

const GROWTH = 'versions_grow_per_key_as_0_1_0_promised';

test('the cases file holds the 0.2.0 cases and, scoped, what only 0.1.0 asked', () => {
  const scoped = (scope) => cases.filter((c) => c.scope === scope).map((c) => c.name);
  assert.deepEqual(scoped(undefined), [
    'get_absent_and_versions_are_never_zero',
    'values_are_opaque_bytes',
    'get_many_keeps_order_and_gaps',
    'scan_prefix_ascending_and_descending',
    'scan_limit',
    'scan_start_after_is_exclusive_in_scan_direction',
    'scan_start_after_outside_the_prefix_range',
    'keys_are_ordered_by_bytes',
    'scan_prefix_percent_and_underscore_are_literal',
    'scan_prefix_other_pattern_characters_are_literal',
    'scan_start_after_with_percent_and_underscore_prefixes',
    'short_pages_say_more_and_paging_sees_every_entry_once',
    'commit_applies_all_writes_with_new_versions',
    'failed_check_is_a_conflict_and_applies_nothing',
    'checks_see_the_state_before_the_writes',
    'last_write_of_a_key_wins',
    'deleting_an_absent_key_is_fine',
    'versions_are_never_reused_after_delete',
    'every_write_gives_the_key_a_version_it_never_had',
    'checks_of_an_absent_key_let_exactly_one_writer_in',
    'dump_is_every_entry_in_key_order',
  ]);
  assert.deepEqual(scoped('0.1.0'), ['long_keys_and_large_values_of_0_1_0', 'keys_are_ordered_by_utf8_bytes', 'scan_limits_of_0_1_0', GROWTH]);
  // The 0.2.0 cases keep within what storage.wit of 0.2.0 lets the addon ask of a store.
  const text = JSON.stringify(cases.filter((c) => c.scope === undefined));
  assert.doesNotMatch(text, /"above"/);
  for (const testCase of cases.filter((c) => c.scope === undefined)) {
    for (const step of testCase.steps) {
      for (const k of [step.seed, step.get, step.get_many, step.scan?.prefix, step.scan?.after].flat()) {
        if (typeof k === 'string') assert.match(k, /^[\x21-\x7e]{0,256}$/, `${testCase.name}: ${k}`);
      }
      if (step.scan) assert.ok(step.scan.limit >= 1 && step.scan.limit <= 1024, `${testCase.name}: limit ${step.scan.limit}`);
    }
  }
});

/**
 * A toy store with configurable rules, right and wrong (the Rust suite's tests have the same):
 * - `versions`: `global` (one counter), `per-key` (a counter per key, kept across deletes),
 *   `descending` (unique, never growing), `random`; wrong: `per-key-reset` (starts again at 1
 *   after a delete), `content-hash` (the same value gives the same version);
 * - `scans`: `exact`, `{ capped: n }` (short pages with `more`), `empty-every-other` (an empty
 *   page with `more` every other call); wrong: `{ cappedClaimingTheEnd: n }`, `endless` (`more`
 *   always set), `like` (`LIKE prefix || '%'`), `like-escaping-wildcards-only` (escapes `%` and
 *   `_` with `\`, but not `\`), `glob` (`GLOB prefix || '*'`);
 * - `commits`: `atomic`; wrong: `blind-to-absent` (a check that a key is absent always passes).
 */
class Toy {
  rows = new Map();
  up = 0;
  down = Number.MAX_SAFE_INTEGER;
  perKey = new Map();
  seed = 0x2545f491;
  calls = 0;

  constructor({ versions = 'global', scans = 'exact', commits = 'atomic' } = {}) {
    Object.assign(this, { versions, scans, commits });
  }

  get(key) {
    const row = this.rows.get(key);
    return row && { key, value: row.value, version: row.version };
  }

  getMany(keys) {
    return keys.map((k) => this.get(k));
  }

  scan(prefix, startAfter, limit, reverse) {
    this.calls += 1;
    const matches = {
      like: (k) => likeRegExp(`${prefix}%`).test(k),
      'like-escaping-wildcards-only': (k) => likeRegExp(`${prefix.replace(/[%_]/g, '\\$&')}%`, '\\').test(k),
      glob: (k) => globRegExp(`${prefix}*`).test(k),
    }[this.scans] ?? ((k) => k.startsWith(prefix));
    const after = (k) => startAfter === undefined || (reverse ? compareKeys(k, startAfter) < 0 : compareKeys(k, startAfter) > 0);
    const range = [...this.rows.keys()].filter((k) => matches(k) && after(k)).sort(compareKeys);
    if (reverse) range.reverse();
    let take = limit;
    if (this.scans.capped !== undefined) take = Math.min(limit, this.scans.capped);
    if (this.scans.cappedClaimingTheEnd !== undefined) take = Math.min(limit, this.scans.cappedClaimingTheEnd);
    if (this.scans === 'empty-every-other' && this.calls % 2 === 1) take = 0;
    let more = range.length > take;
    if (this.scans.cappedClaimingTheEnd !== undefined) more = false;
    if (this.scans === 'endless') more = true;
    return { entries: range.slice(0, take).map((k) => this.get(k)), more };
  }

  commit(checks, writes) {
    for (const c of checks) {
      const current = this.rows.get(c.key)?.version;
      if (current !== c.version && !(this.commits === 'blind-to-absent' && c.version === undefined)) {
        throw new StorageError('conflict', c.key);
      }
    }
    for (const w of writes) {
      const k = w.tag === 'put' ? w.val.key : w.val;
      if (w.tag === 'delete') {
        this.rows.delete(k);
        continue;
      }
      this.rows.set(k, { value: Uint8Array.from(w.val.value), version: this.#version(k, w.val.value) });
    }
  }

  #version(k, value) {
    switch (this.versions) {
      case 'global':
        return ++this.up;
      case 'descending':
        return this.down--;
      case 'per-key': {
        const n = (this.perKey.get(k) ?? 0) + 1;
        this.perKey.set(k, n);
        return n;
      }
      case 'random':
        return 1 + (this.#random() % 2 ** 21) * 2 ** 32 + this.#random();
      case 'per-key-reset':
        return (this.rows.get(k)?.version ?? 0) + 1;
      case 'content-hash':
        return 1 + value.reduce((h, b) => (h * 31 + b) % 2 ** 40, 7);
      default:
        throw new Error(`no versions ${this.versions}`);
    }
  }

  #random() {
    let x = this.seed;
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    this.seed = x;
    return x;
  }
}

/** SQL LIKE as a RegExp: `%` any run, `_` any one character; after `escape`, the next one is literal. */
function likeRegExp(pattern, escape) {
  let source = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === escape && i + 1 < pattern.length) source += quote(pattern[++i]);
    else if (c === '%') source += '.*';
    else if (c === '_') source += '.';
    else source += quote(c);
  }
  return new RegExp(`^${source}$`, 's');
}

/** GLOB as a RegExp: `*`, `?`, `[set]`; an open `[` matches nothing. */
function globRegExp(pattern) {
  let source = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === '*') source += '.*';
    else if (c === '?') source += '.';
    else if (c === '[') {
      const end = pattern.indexOf(']', i + 1);
      if (end < 0) return /(?!)/;
      source += `[${[...pattern.slice(i + 1, end)].map(quote).join('')}]`;
      i = end;
    } else source += quote(c);
  }
  return new RegExp(`^${source}$`, 's');
}

function quote(c) {
  return c.replace(/[\\^$.*+?()[\]{}|/-]/g, '\\$&');
}

/** The names of the cases a fresh `store()` fails, and the first failure. */
function failures(store) {
  const failed = [];
  let first;
  for (const testCase of cases) {
    try {
      runCase(testCase, store());
    } catch (e) {
      if (!(e instanceof ConformanceFailure)) throw e;
      failed.push(testCase.name);
      first ??= e.message;
    }
  }
  return { failed, first };
}

test('toy stores within the rules pass every 0.2.0 case, whatever their versions and however short their pages', () => {
  for (const versions of ['global', 'per-key', 'descending', 'random']) {
    for (const scans of ['exact', { capped: 1 }, { capped: 2 }, 'empty-every-other']) {
      const { failed, first } = failures(() => new Toy({ versions, scans }));
      const in020 = failed.filter((name) => cases.find((c) => c.name === name).scope === undefined);
      assert.deepEqual(in020, [], `${versions} ${JSON.stringify(scans)}: ${first}`);
    }
  }
  assert.doesNotThrow(() => checkStore(() => new Toy({ versions: 'per-key', scans: { capped: 1 } })));
});

test('versions that never grow fail only the growth 0.1.0 promised, a case a 0.2.0 store may leave out', () => {
  const { failed, first } = failures(() => new Toy({ versions: 'descending' }));
  assert.deepEqual(failed, [GROWTH], first);
  assert.throws(() => checkStore(() => new Toy({ versions: 'descending' })), ConformanceFailure);
  assert.doesNotThrow(() => checkStore(() => new Toy({ versions: 'descending' }), undefined, { scopes: [] }));
});

test('a prefix matched with LIKE or GLOB fails the literal-prefix cases', () => {
  const like = failures(() => new Toy({ scans: 'like' }));
  assert.deepEqual(
    like.failed,
    [
      'scan_prefix_percent_and_underscore_are_literal',
      'scan_prefix_other_pattern_characters_are_literal',
      'scan_start_after_with_percent_and_underscore_prefixes',
    ],
    like.first,
  );
  assert.match(like.first, /expected keys \["a%","a%%","a%b"\], got \["a","a%"/);
  for (const scans of ['like-escaping-wildcards-only', 'glob']) {
    const { failed, first } = failures(() => new Toy({ scans }));
    assert.deepEqual(failed, ['scan_prefix_other_pattern_characters_are_literal'], `${scans}: ${first}`);
  }
});

test('versions a key had before fail the version cases', () => {
  const reset = failures(() => new Toy({ versions: 'per-key-reset' }));
  assert.deepEqual(
    reset.failed,
    [
      'versions_are_never_reused_after_delete',
      'every_write_gives_the_key_a_version_it_never_had',
      'checks_of_an_absent_key_let_exactly_one_writer_in',
      GROWTH,
    ],
    reset.first,
  );
  const hashed = failures(() => new Toy({ versions: 'content-hash' }));
  assert.ok(hashed.failed.includes('every_write_gives_the_key_a_version_it_never_had'), hashed.failed.join());
});

test('short pages that claim the end, or a range that never ends, fail the paging case', () => {
  const name = 'short_pages_say_more_and_paging_sees_every_entry_once';
  const claiming = failures(() => new Toy({ scans: { cappedClaimingTheEnd: 2 } }));
  assert.ok(claiming.failed.includes(name), claiming.failed.join());
  const paging = cases.find((c) => c.name === name);
  assert.throws(() => runCase(paging, new Toy({ scans: 'endless' })), /kept answering `more`/);
});

test('absent checks that always pass fail the case of two writers racing for a key', () => {
  const { failed, first } = failures(() => new Toy({ commits: 'blind-to-absent' }));
  assert.ok(failed.includes('checks_of_an_absent_key_let_exactly_one_writer_in'), `${failed.join()}: ${first}`);
});

test('a store ordering keys by UTF-16 code units fails the 0.1.0 byte-order case', () => {
  const store = new MemoryStore();
  const scan = store.scan.bind(store);
  // JavaScript's default string order: supplementary characters before U+FFFF.
  store.scan = (...args) => {
    const page = scan(...args);
    page.entries.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0) * (args[3] ? -1 : 1));
    return page;
  };
  assert.throws(() => runCase(cases.find((c) => c.name === 'keys_are_ordered_by_utf8_bytes'), store), ConformanceFailure);
});

test('a store whose failed commit applies some writes fails the conflict case', () => {
  const store = new MemoryStore();
  const commit = store.commit.bind(store);
  store.commit = (checks, writes) => {
    try {
      commit(checks, writes);
    } catch (e) {
      commit([], writes.slice(0, 1));
      throw e;
    }
  };
  assert.throws(() => runCase(cases.find((c) => c.name === 'failed_check_is_a_conflict_and_applies_nothing'), store), ConformanceFailure);
});

test('toy LIKE and GLOB match as SQL does', () => {
  assert.ok(likeRegExp('a_%').test('abc'));
  assert.ok(!likeRegExp('a_%').test('a'));
  assert.ok(likeRegExp('a\\%%', '\\').test('a%x'));
  assert.ok(!likeRegExp('a\\%%', '\\').test('abx'));
  assert.ok(globRegExp('a[[]*').test('a[b]'));
  assert.ok(!globRegExp('a[*').test('a[b]'));
  assert.ok(globRegExp('a?*').test('axyz'));
});
