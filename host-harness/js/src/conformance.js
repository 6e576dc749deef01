// Runs the storage conformance cases (host-harness/conformance/cases.json, format in the README
// beside it) against a store with the wrapper's storage API (`get`, `getMany`, `scan`,
// `commit`, `dump`; versions as numbers, refusals as `StorageError`).

import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { isDeepStrictEqual } from 'node:util';

import { StorageError } from './errors.js';
import { PACKAGE_DIR } from './transpile.js';

/** The shared cases file. */
export const CASES_FILE = resolve(PACKAGE_DIR, '../conformance/cases.json');

/** The cases of `file`: `[{ name, rule, steps }]`. */
export function conformanceCases(file = CASES_FILE) {
  return JSON.parse(readFileSync(file, 'utf8')).cases;
}

/** A broken rule: which case, which step, what was expected and what happened. */
export class ConformanceFailure extends Error {
  constructor(testCase, index, step, detail) {
    super(`${testCase.name}, step ${index + 1} ${JSON.stringify(step).slice(0, 160)}: ${detail}`);
    this.name = 'ConformanceFailure';
  }
}

/** Runs one case on `store` (fresh and empty); throws a `ConformanceFailure` at the first broken rule. */
export function runCase(testCase, store) {
  const run = new CaseRun();
  testCase.steps.forEach((step, index) => {
    run.fail = (detail) => {
      throw new ConformanceFailure(testCase, index, step, detail);
    };
    run.perform(step, store);
  });
}

/** Runs every case, each on a fresh store from `fresh()`; throws at the first broken rule. */
export function checkStore(fresh, file = CASES_FILE) {
  for (const testCase of conformanceCases(file)) runCase(testCase, fresh());
}

/** The state of one case: the versions and dumps its steps saved; `fail` reports the current step. */
class CaseRun {
  versions = new Map();
  dumps = new Map();
  fail = null;

  perform(step, store) {
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
      const got = store.scan(key(prefix), after === null ? undefined : key(after), limit, reverse);
      if (got.entries.length > limit) this.fail(`${got.entries.length} entries for a limit of ${limit}`);
      this.entries(got.entries, step);
    } else if ('scan_pages' in step) {
      const { prefix, page, reverse } = step.scan_pages;
      const seen = [];
      let cursor;
      // Short pages are allowed while `more` is set: keep going until it is not.
      for (let calls = 0; calls < 1_000_000; calls++) {
        const got = store.scan(key(prefix), cursor, page, reverse);
        seen.push(...got.entries);
        if (got.entries.length > 0) cursor = got.entries[got.entries.length - 1].key;
        if (!got.more) break;
      }
      this.entries(seen, step);
    } else if ('commit' in step) {
      const checks = step.commit.checks.map((c) => ({ key: key(c.key), version: this.checkVersion(c.version) }));
      const writes = step.commit.writes.map((w) =>
        'put' in w ? { tag: 'put', val: { key: key(w.put), value: value(w.value) } } : { tag: 'delete', val: key(w.delete) },
      );
      this.commitResult(() => store.commit(checks, writes), step.expect);
    } else if ('dump' in step) {
      const all = store.dump();
      this.entries(all, step);
      if (step.save_as !== undefined) this.dumps.set(step.save_as, all.map(copyEntry));
    } else {
      this.fail('unknown operation');
    }
  }

  commitResult(commit, expect) {
    let outcome = 'ok';
    try {
      commit();
    } catch (e) {
      if (!(e instanceof StorageError)) throw e;
      outcome = { [e.kind]: e.detail };
    }
    if (!isDeepStrictEqual(outcome, expect === 'ok' ? 'ok' : { conflict: key(expect.conflict) })) {
      this.fail(`expected ${JSON.stringify(expect)}, got ${JSON.stringify(outcome)}`);
    }
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
    if (typeof version === 'object') return this.named(version.saved) + version.plus;
    return this.named(version);
  }
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
