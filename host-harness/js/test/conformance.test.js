// The shared storage conformance cases (host-harness/conformance/cases.json) against MemoryStore,
// one test per case, and checks that the runner itself catches a store breaking a rule.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { MemoryStore } from '../index.js';
import { ConformanceFailure, conformanceCases, runCase } from '../src/conformance.js';

const cases = conformanceCases();

describe('MemoryStore passes the storage conformance cases', () => {
  for (const testCase of cases) {
    test(testCase.name, () => runCase(testCase, new MemoryStore()));
  }
});

// The cases hold fewer keys than a chunk: with chunks of 1 to 3 keys they cross chunk borders.
describe('MemoryStore passes them with tiny chunks too', () => {
  for (const chunkSize of [1, 2, 3]) {
    test(`chunks of ${chunkSize}`, () => {
      for (const testCase of cases) runCase(testCase, new MemoryStore({ chunkSize }));
    });
  }
});

test('the cases file holds the 16 cases of the Rust suite', () => {
  assert.deepEqual(
    cases.map((c) => c.name),
    [
      'get_absent_and_versions_above_zero',
      'values_are_opaque_bytes',
      'get_many_keeps_order_and_gaps',
      'scan_prefix_ascending_and_descending',
      'scan_limit',
      'scan_start_after_is_exclusive_in_scan_direction',
      'scan_start_after_outside_the_prefix_range',
      'keys_are_ordered_by_utf8_bytes',
      'commit_applies_all_writes_with_one_new_version',
      'failed_check_is_a_conflict_and_applies_nothing',
      'checks_see_the_state_before_the_writes',
      'last_write_of_a_key_wins',
      'deleting_an_absent_key_is_fine',
      'versions_are_never_reused_after_delete',
      'versions_grow_across_keys_and_commits',
      'dump_is_every_entry_in_key_order',
    ],
  );
});

/** A MemoryStore with one rule broken, to show the cases catch it. */
function broken(change) {
  const store = new MemoryStore();
  change(store);
  return store;
}

const failing = (name, store) => assert.throws(() => runCase(cases.find((c) => c.name === name), store), ConformanceFailure);

test('a store ordering keys by UTF-16 code units fails the byte-order case', () => {
  const store = broken((s) => {
    const scan = s.scan.bind(s);
    // JavaScript's default string order: supplementary characters before U+FFFF.
    s.scan = (...args) => {
      const page = scan(...args);
      page.entries.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0) * (args[3] ? -1 : 1));
      return page;
    };
  });
  failing('keys_are_ordered_by_utf8_bytes', store);
});

test('a store whose failed commit applies some writes fails the conflict case', () => {
  const store = broken((s) => {
    const commit = s.commit.bind(s);
    s.commit = (checks, writes) => {
      try {
        commit(checks, writes);
      } catch (e) {
        commit([], writes.slice(0, 1));
        throw e;
      }
    };
  });
  failing('failed_check_is_a_conflict_and_applies_nothing', store);
});
