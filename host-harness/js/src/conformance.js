// Runs the storage conformance cases (host-harness/conformance/cases.json, format in the README
// beside it) against a store with the wrapper's storage API (`get`, `getMany`, `scan` giving
// `{ entries, more }`, `commit`; versions as numbers, refusals as `StorageError`).

import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { isDeepStrictEqual } from 'node:util';

import { StorageError } from './errors.js';
import { PACKAGE_DIR } from './transpile.js';

/** The shared cases file. */
export const CASES_FILE = resolve(PACKAGE_DIR, '../conformance/cases.json');

/**
 * The most scan calls one step makes before it gives up on a store that keeps answering
 * `more` without finishing the range (every range of the cases is far shorter).
 */
const MAX_SCANS = 10_000;

/**
 * The cases of `file`: `[{ name, rule, scope, steps }]`. `scope` is `undefined` for what
 * wit/v0.2.0/storage.wit asks of every store, `'0.1.0'` for what only the released 0.1.0
 * component asks beyond it.
 */
export function conformanceCases(file = CASES_FILE) {
  return JSON.parse(readFileSync(file, 'utf8')).cases;
}

/** A broken rule: which case, which step, what was expected and what happened. */
export class ConformanceFailure extends Error {
  constructor(testCase, index, step, detail) {
    super(`${testCase.name}, step ${index + 1} ${JSON.stringify(step).slice(0, 160)}: ${detail}`);
    this.name = 'ConformanceFailure';
    this.case = testCase.name;
  }
}

/** Runs one case on `store` (fresh and empty); throws a `ConformanceFailure` at the first broken rule. */
export function runCase(testCase, store) {
  const run = new CaseRun(store);
  testCase.steps.forEach((step, index) => {
    run.fail = (detail) => {
      throw new ConformanceFailure(testCase, index, step, detail);
    };
    run.perform(step);
  });
}

/**
 * Runs the cases, each on a fresh store from `fresh()`; throws at the first broken rule. Every
 * case by default; `{ scopes: [] }` leaves out those of the 0.1.0 scope (a store for 0.2.0
 * components alone).
 */
export function checkStore(fresh, file = CASES_FILE, { scopes = ['0.1.0'] } = {}) {
  for (const testCase of conformanceCases(file)) {
    if (testCase.scope === undefined || scopes.includes(testCase.scope)) runCase(testCase, fresh());
  }
}

/** The state of one case: the versions and dumps its steps saved; `fail` reports the current step. */
class CaseRun {
  versions = new Map();
  dumps = new Map();
  fail = null;

  constructor(store) {
    this.store = store;
  }

  perform(step) {
    const store = this.store;
    if ('seed' in step) {
      const writes = step.seed.map((k) => ({ tag: 'put', val: { key: key(k), value: utf8(key(k)) } }));
      this.commitResult(() => store.commit([], writes), 'ok');
    } else if ('get' in step) {
      this.entry(store.get(key(step.get)), step.expect, 'get');
    } else if ('get_many' in step) {
      const got = store.getMany(step.get_many.map(key));
      if (got.length !== step.expect.length) this.fail(`expected ${step.expect.length} elements, got ${got.length}`);
      got.forEach((e, i) => this.entry(e, step.expect[i], `element ${i}`));
    } else if ('scan' in step) {
      const { prefix, after, limit, reverse } = step.scan;
      const range = { prefix: key(prefix), reverse };
      const page = this.readPage(range, after === null ? undefined : key(after), limit);
      this.entries(page.entries, step);
      if (step.expect_more === true && !page.more) {
        this.fail(`the range holds more entries after these ${page.entries.length}, but the store said \`more = false\``);
      }
      // The page may say `more` at the end of the range (more *may* follow): then the next page
      // must be empty and end the range.
      if (step.expect_more === false && page.more) {
        const [extra] = this.readAll(range, page.after, Math.min(Math.max(limit, 1), 1024));
        if (extra !== undefined) this.fail(`expected the range to end after the page, but it goes on with ${JSON.stringify(extra.key)}`);
      }
    } else if ('scan_pages' in step) {
      const { prefix, page, reverse } = step.scan_pages;
      this.entries(this.readAll({ prefix: key(prefix), reverse }, undefined, page), step);
    } else if ('commit' in step) {
      const { checks, writes } = this.commitOf(step.commit);
      this.commitResult(() => store.commit(checks, writes), step.expect);
    } else if ('race' in step) {
      this.race(step);
    } else if ('dump' in step) {
      const all = this.readAll({ prefix: '', reverse: false }, undefined, 1024);
      this.entries(all, step);
      if (step.save_as !== undefined) this.dumps.set(step.save_as, all.map(copyEntry));
    } else {
      this.fail('unknown operation');
    }
  }

  /** The checks and writes of a COMMIT, as the wrapper passes them to `commit`. */
  commitOf(commit) {
    const checks = commit.checks.map((c) => ({ key: key(c.key), version: this.checkVersion(c.version) }));
    const writes = commit.writes.map((w) =>
      'put' in w ? { tag: 'put', val: { key: key(w.put), value: value(w.value) } } : { tag: 'delete', val: key(w.delete) },
    );
    return { checks, writes };
  }

  /** `'ok'`, or `{ conflict: key }` (or another kind) for a `StorageError`. */
  outcome(commit) {
    try {
      commit();
      return 'ok';
    } catch (e) {
      if (!(e instanceof StorageError)) throw e;
      return { [e.kind]: e.detail };
    }
  }

  commitResult(commit, expect) {
    const outcome = this.outcome(commit);
    if (!isDeepStrictEqual(outcome, expect === 'ok' ? 'ok' : { conflict: key(expect.conflict) })) {
      this.fail(`expected ${JSON.stringify(expect)}, got ${JSON.stringify(outcome)}`);
    }
  }

  /**
   * Commits prepared from the same state. A JavaScript store answers synchronously, so they run
   * one after the other, in order (the Rust runner starts them on threads at once): exactly
   * `expect_ok` succeed, every other one is a conflict (naming `expect_conflict` when given),
   * and afterwards each key they write holds what the succeeding commit wrote, or what it held
   * before when only failed commits wrote it.
   */
  race(step) {
    const commits = step.race.map((c) => this.commitOf(c));
    const before = new Map();
    for (const { writes } of commits) {
      for (const w of writes) {
        const k = writtenKey(w);
        if (!before.has(k)) before.set(k, this.store.get(k));
      }
    }
    const outcomes = commits.map(({ checks, writes }) => this.outcome(() => this.store.commit(checks, writes)));
    const winners = commits.filter((_, i) => outcomes[i] === 'ok');
    const wantOk = step.expect_ok ?? 1;
    if (winners.length !== wantOk) this.fail(`expected ${wantOk} commit(s) to succeed, got ${JSON.stringify(outcomes)}`);
    for (const outcome of outcomes) {
      if (outcome === 'ok') continue;
      const named = step.expect_conflict === undefined ? outcome.conflict !== undefined : outcome.conflict === key(step.expect_conflict);
      if (!named) {
        const naming = step.expect_conflict === undefined ? '' : ` naming ${JSON.stringify(step.expect_conflict)}`;
        this.fail(`a losing commit must be a conflict${naming}, got ${JSON.stringify(outcome)}`);
      }
    }
    for (const [k, held] of before) {
      const byWinners = winners.map(({ writes }) => lastWriteOf(writes, k)).filter((w) => w !== undefined);
      const now = this.store.get(k);
      let fine = true;
      if (byWinners.length === 0) {
        // Written by losers only: untouched, version included.
        fine = isDeepStrictEqual(now == null ? null : copyEntry(now), held == null ? null : copyEntry(held));
      } else if (byWinners.length === 1) {
        const wanted = byWinners[0];
        fine = wanted === null ? now == null : now != null && Buffer.from(now.value).equals(Buffer.from(wanted));
      }
      if (!fine) {
        const shown = now == null ? 'nothing' : JSON.stringify(Buffer.from(now.value).toString());
        this.fail(`after the race ${JSON.stringify(k)} holds ${shown}, which is not what the succeeding commit left`);
      }
    }
  }

  /** One scan, checked to return a page (`{ entries, more }`) of at most `limit` entries. */
  scan({ prefix, reverse }, after, limit) {
    const page = this.store.scan(prefix, after, limit, reverse);
    if (page === null || typeof page !== 'object' || !Array.isArray(page.entries) || typeof page.more !== 'boolean') {
      this.fail(`scan must return { entries: [...], more: boolean }, got ${Array.isArray(page) ? 'an array' : String(page)}`);
    }
    if (page.entries.length > limit) this.fail(`${page.entries.length} entries for a limit of ${limit}`);
    return page;
  }

  /**
   * One page of `limit` entries after `after`, read as a client reads it: asking again after
   * the last key returned while a page is short and says `more`, until there are `limit`
   * entries or `more` is false. Returns the entries, the last `more`, and the cursor to go on from.
   */
  readPage(range, after, limit) {
    const entries = [];
    for (let calls = 0; calls < MAX_SCANS; calls++) {
      const page = this.scan(range, after, limit - entries.length);
      if (page.entries.length > 0) after = page.entries[page.entries.length - 1].key;
      entries.push(...page.entries);
      if (!page.more || entries.length >= limit) return { entries, more: page.more, after };
    }
    return this.fail(`the store kept answering \`more\` for ${MAX_SCANS} scans without filling the page`);
  }

  /** Every entry after `after`, in pages of `page`, until a scan says `more = false`. */
  readAll(range, after, page) {
    const all = [];
    for (let calls = 0; calls < MAX_SCANS; calls++) {
      const got = this.scan(range, after, page);
      if (got.entries.length > 0) after = got.entries[got.entries.length - 1].key;
      all.push(...got.entries);
      if (!got.more) return all;
    }
    return this.fail(`the store kept answering \`more\` for ${MAX_SCANS} scans: the range never ended`);
  }

  entries(got, step) {
    if (step.expect_keys !== undefined) {
      const keys = got.map((e) => e.key);
      const want = step.expect_keys.map(key);
      if (!isDeepStrictEqual(keys, want)) this.fail(`expected keys ${JSON.stringify(want)}, got ${JSON.stringify(keys)}`);
    }
    if (step.expect_count !== undefined && got.length !== step.expect_count) {
      this.fail(`expected ${step.expect_count} entries, got ${got.length}`);
    }
    if (step.expect !== undefined) {
      if (got.length !== step.expect.length) this.fail(`expected ${step.expect.length} entries, got ${got.length}`);
      got.forEach((e, i) => this.entry(e, step.expect[i], `entry ${i}`));
    }
    if (step.expect_same_as !== undefined) {
      const saved = this.dumps.get(step.expect_same_as);
      if (saved === undefined) this.fail(`no dump saved as ${step.expect_same_as}`);
      if (!isDeepStrictEqual(got.map(copyEntry), saved)) this.fail(`the entries differ from those saved as ${step.expect_same_as}`);
    }
  }

  entry(got, want, what) {
    if (want === null) {
      if (got !== undefined && got !== null) this.fail(`${what}: expected no entry, got ${got.key}`);
      return;
    }
    if (got === undefined || got === null) return this.fail(`${what}: expected an entry for ${JSON.stringify(key(want.key))}, got none`);
    if (got.key !== key(want.key)) this.fail(`${what}: expected key ${JSON.stringify(key(want.key))}, got ${JSON.stringify(got.key)}`);
    if (want.value !== undefined && !Buffer.from(value(want.value)).equals(Buffer.from(got.value))) {
      this.fail(`${what}: the value of ${got.key} differs (${got.value.length} bytes)`);
    }
    if (want.version !== undefined) this.version(got.version, want.version, `${what}: the version of ${got.key}`);
  }

  version(got, pattern, what) {
    if (!Number.isSafeInteger(got) || got <= 0) this.fail(`${what} is ${got}, not a whole number above 0`);
    if (pattern.above !== undefined) {
      const bound = this.named(pattern.above);
      if (!(got > bound)) this.fail(`${what} is ${got}, not above ${bound}`);
    }
    if (pattern.equals !== undefined) {
      const other = this.named(pattern.equals);
      if (got !== other) this.fail(`${what} is ${got}, not ${other}`);
    }
    if (pattern.not !== undefined) {
      for (const ref of [pattern.not].flat()) {
        if (got === this.named(ref)) {
          this.fail(`${what} is ${got} again, the same as ${JSON.stringify(ref)} (a write must give a version the key never had)`);
        }
      }
    }
    if (pattern.save !== undefined) {
      if (this.versions.has(pattern.save)) this.fail(`the version name ${pattern.save} is saved twice`);
      this.versions.set(pattern.save, got);
    }
  }

  named(ref) {
    if (typeof ref === 'number') return ref;
    if (!this.versions.has(ref)) this.fail(`no version saved as ${ref}`);
    return this.versions.get(ref);
  }

  checkVersion(version) {
    if (version === null) return undefined;
    // A version the key does not have: a saved one (the key's current one) moved on.
    if (typeof version === 'object') return this.named(version.saved) + version.plus;
    return this.named(version);
  }
}

/** The key a write writes. */
function writtenKey(write) {
  return write.tag === 'put' ? write.val.key : write.val;
}

/** What the last write of `k` among `writes` leaves: its value, `null` for a delete, `undefined` when none writes it. */
function lastWriteOf(writes, k) {
  for (let i = writes.length - 1; i >= 0; i--) {
    if (writtenKey(writes[i]) === k) return writes[i].tag === 'put' ? writes[i].val.value : null;
  }
  return undefined;
}

function key(k) {
  return typeof k === 'string' ? k : k.repeat.repeat(k.times);
}

function value(v) {
  if (typeof v === 'string') return utf8(v);
  if (v.bytes !== undefined) return Uint8Array.from(v.bytes);
  const bytes = new Uint8Array(v.len);
  for (let i = 0; i < v.len; i++) bytes[i] = i % v.cycle;
  return bytes;
}

function utf8(s) {
  return new TextEncoder().encode(s);
}

function copyEntry(e) {
  return { key: e.key, value: Buffer.from(e.value).toString('base64'), version: e.version };
}
