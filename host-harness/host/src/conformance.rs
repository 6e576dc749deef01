//! The storage conformance suite: the semantics of the `storage` import (`storage.wit`), as
//! checks that any [`Storage`] must pass (feature `conformance`).
//!
//! Every case takes a fresh, empty store and panics on the first broken rule. This crate runs
//! the suite against [`MemoryStorage`](crate::MemoryStorage); the harness's platform runs it
//! against SQLite. A platform with a backend of its own runs it the same way:
//!
//! ```
//! use order_messages_host::{MemoryStorage, conformance};
//!
//! conformance::check_storage(MemoryStorage::new); // your backend here
//! ```

use crate::imports::Storage;
use crate::types::{Check, Entry, Put, StorageError, Write};

/// A put of `value` (as UTF-8) under `key`.
pub fn put(key: &str, value: &str) -> Write {
    Write::Put(Put {
        key: key.into(),
        value: value.as_bytes().to_vec(),
    })
}

/// A delete of `key`.
pub fn del(key: &str) -> Write {
    Write::Delete(key.into())
}

/// A check that `key` has `version` (`None`: is absent).
pub fn must(key: &str, version: Option<u64>) -> Check {
    Check {
        key: key.into(),
        version,
    }
}

/// Every entry of the store, in key order.
fn all(store: &dyn Storage) -> Vec<Entry> {
    store
        .scan("", None, u32::MAX, false)
        .expect("scan of everything")
}

fn keys(entries: &[Entry]) -> Vec<String> {
    entries.iter().map(|e| e.key.clone()).collect()
}

/// Puts every key, its own name as the value, in one commit.
fn seed(store: &dyn Storage, keys: &[&str]) {
    let writes: Vec<Write> = keys.iter().map(|k| put(k, k)).collect();
    store.commit(&[], &writes).expect("seeding commit");
}

fn scan(
    store: &dyn Storage,
    prefix: &str,
    after: Option<&str>,
    limit: u32,
    reverse: bool,
) -> Vec<String> {
    keys(&store.scan(prefix, after, limit, reverse).expect("scan"))
}

fn version(store: &dyn Storage, key: &str) -> u64 {
    store
        .get(key)
        .expect("get")
        .unwrap_or_else(|| panic!("`{key}` should exist"))
        .version
}

/// Every page of a scan, paging with the last key returned as the next `start-after`.
fn scan_all_pages(store: &dyn Storage, prefix: &str, page: u32, reverse: bool) -> Vec<String> {
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let got = scan(store, prefix, cursor.as_deref(), page, reverse);
        seen.extend(got.iter().cloned());
        if got.len() < page as usize {
            return seen;
        }
        cursor = got.last().cloned();
    }
}

/// `get` of an absent key is `none`; a written key reads back with a version above 0.
pub fn get_absent_and_versions_above_zero(store: &dyn Storage) {
    assert_eq!(store.get("a").unwrap(), None);
    store.commit(&[], &[put("a", "1")]).unwrap();
    let a = store.get("a").unwrap().unwrap();
    assert_eq!((a.key.as_str(), a.value.as_slice()), ("a", &b"1"[..]));
    assert!(a.version > 0);
    // A check for version 0 never holds, since no key ever has it.
    assert_eq!(
        store.commit(&[must("a", Some(0))], &[put("a", "2")]),
        Err(StorageError::Conflict("a".into()))
    );
}

/// Values are opaque bytes: empty, not UTF-8, large; keys up to 1,024 bytes.
pub fn values_are_opaque_bytes(store: &dyn Storage) {
    let big: Vec<u8> = (0..1_000_000u32).map(|i| (i % 251) as u8).collect();
    let long_key = "k".repeat(1024);
    let raw = |key: &str, value: &[u8]| {
        Write::Put(Put {
            key: key.into(),
            value: value.to_vec(),
        })
    };
    store
        .commit(
            &[],
            &[
                raw("empty", b""),
                raw("binary", &[0, 0xFF, 0xC3, 0x28, 0]),
                raw("big", &big),
                raw(&long_key, b"long"),
            ],
        )
        .unwrap();
    assert_eq!(store.get("empty").unwrap().unwrap().value, b"");
    assert_eq!(
        store.get("binary").unwrap().unwrap().value,
        [0, 0xFF, 0xC3, 0x28, 0]
    );
    assert_eq!(store.get("big").unwrap().unwrap().value, big);
    assert_eq!(store.get(&long_key).unwrap().unwrap().value, b"long");
}

/// `get-many` answers one element per key, in the order asked, `none` for absent keys, and
/// repeats a key asked twice.
pub fn get_many_keeps_order_and_gaps(store: &dyn Storage) {
    seed(store, &["a", "c"]);
    let ask: Vec<String> = ["c", "b", "a", "c"].map(String::from).to_vec();
    let got: Vec<Option<String>> = store
        .get_many(&ask)
        .unwrap()
        .into_iter()
        .map(|e| e.map(|e| e.key))
        .collect();
    let want = [Some("c"), None, Some("a"), Some("c")].map(|k| k.map(String::from));
    assert_eq!(got, want);
    assert!(store.get_many(&[]).unwrap().is_empty());
    let c = store.get_many(&["c".into()]).unwrap();
    assert_eq!(c[0].as_ref().unwrap().value, b"c");
}

/// A scan returns exactly the keys starting with the prefix (the prefix itself included), in
/// both directions; neighbours just outside the range never leak in.
pub fn scan_prefix_ascending_and_descending(store: &dyn Storage) {
    seed(
        store,
        &[
            "a",
            "m/1",
            "m/2",
            "m/3",
            "m0",
            "m",
            "m.",
            "l\u{10FFFF}",
            "n",
        ],
    );
    assert_eq!(scan(store, "m/", None, 10, false), ["m/1", "m/2", "m/3"]);
    assert_eq!(scan(store, "m/", None, 10, true), ["m/3", "m/2", "m/1"]);
    // The prefix itself is a key that starts with the prefix.
    assert_eq!(
        scan(store, "m", None, 10, false),
        ["m", "m.", "m/1", "m/2", "m/3", "m0"]
    );
    assert_eq!(
        scan(store, "m", None, 10, true),
        ["m0", "m/3", "m/2", "m/1", "m.", "m"]
    );
    assert_eq!(scan(store, "", None, 100, false).len(), 9);
    assert!(scan(store, "x", None, 10, false).is_empty());
    assert!(scan(store, "x", None, 10, true).is_empty());
    assert!(scan(store, "m/4", None, 10, false).is_empty());
}

/// At most `limit` entries, from the start of the scan direction; `limit` 0 gives none.
pub fn scan_limit(store: &dyn Storage) {
    seed(store, &["k1", "k2", "k3", "k4"]);
    assert_eq!(scan(store, "k", None, 2, false), ["k1", "k2"]);
    assert_eq!(scan(store, "k", None, 2, true), ["k4", "k3"]);
    assert_eq!(scan(store, "k", None, 4, true).len(), 4);
    assert_eq!(scan(store, "k", None, u32::MAX, false).len(), 4);
    assert!(scan(store, "k", None, 0, false).is_empty());
    assert!(scan(store, "k", Some("k1"), 0, false).is_empty());
}

/// `start-after` is exclusive and follows the scan direction, whether or not it is a key, and
/// paging with the last key returned walks the range exactly once.
pub fn scan_start_after_is_exclusive_in_scan_direction(store: &dyn Storage) {
    seed(store, &["k1", "k2", "k3", "k4"]);
    assert_eq!(scan(store, "k", Some("k2"), 10, false), ["k3", "k4"]);
    assert_eq!(scan(store, "k", Some("k3"), 10, true), ["k2", "k1"]);
    assert!(scan(store, "k", Some("k4"), 10, false).is_empty());
    assert!(scan(store, "k", Some("k1"), 10, true).is_empty());
    // A cursor that is not itself a key still splits the range.
    assert_eq!(scan(store, "k", Some("k2x"), 10, false), ["k3", "k4"]);
    assert_eq!(scan(store, "k", Some("k2x"), 10, true), ["k2", "k1"]);
    for page in 1..=4 {
        assert_eq!(
            scan_all_pages(store, "k", page, false),
            ["k1", "k2", "k3", "k4"]
        );
        assert_eq!(
            scan_all_pages(store, "k", page, true),
            ["k4", "k3", "k2", "k1"]
        );
    }
}

/// A `start-after` outside the prefix range: before it, ascending sees all and descending
/// none; after it, the reverse.
pub fn scan_start_after_outside_the_prefix_range(store: &dyn Storage) {
    seed(store, &["a", "k1", "k2", "z"]);
    assert_eq!(scan(store, "k", Some("b"), 10, false), ["k1", "k2"]);
    assert!(scan(store, "k", Some("b"), 10, true).is_empty());
    assert!(scan(store, "k", Some("y"), 10, false).is_empty());
    assert_eq!(scan(store, "k", Some("y"), 10, true), ["k2", "k1"]);
    // Exactly the prefix: descending has nothing before it; ascending skips the prefix key.
    assert!(scan(store, "k", Some("k"), 10, true).is_empty());
    assert_eq!(scan(store, "k", Some("k"), 10, false), ["k1", "k2"]);
    // Exactly the first key past the range.
    assert!(scan(store, "k", Some("l"), 10, false).is_empty());
    assert_eq!(scan(store, "k", Some("l"), 10, true), ["k2", "k1"]);
    // The empty prefix covers every key.
    assert_eq!(scan(store, "", Some("k1"), 10, false), ["k2", "z"]);
    assert_eq!(scan(store, "", Some("k1"), 10, true), ["a"]);
}

/// Keys are ordered by their UTF-8 bytes, like `memcmp`: uppercase before lowercase, ASCII
/// before accented letters (no collation), U+FFFF before supplementary characters (UTF-8, not
/// UTF-16, order), a NUL byte sorting first; prefixes of non-ASCII text and of the largest
/// code point work.
pub fn keys_are_ordered_by_utf8_bytes(store: &dyn Storage) {
    let max = char::MAX.to_string();
    let top = format!("p{max}");
    let sorted = [
        "p",
        "p\0",
        "p\0b",
        "pB",
        "pZ",
        "pa",
        "pz",
        "p\u{7F}",
        "p\u{80}",
        "pé",
        "péz",
        "pê",
        "p\u{FF61}",
        "p\u{FFFF}",
        "p\u{1F600}",
        top.as_str(),
    ];
    // Rust orders `str` by bytes too: the list itself is the expectation.
    assert!(sorted.windows(2).all(|w| w[0].as_bytes() < w[1].as_bytes()));
    // Written in a shuffled order, with neighbours outside the prefix.
    let mut shuffled = sorted.to_vec();
    shuffled.reverse();
    shuffled.swap(2, 9);
    shuffled.extend(["o\u{10FFFF}", "q", "Q"]);
    seed(store, &shuffled);

    assert_eq!(scan(store, "p", None, 100, false), sorted);
    let mut descending = sorted.to_vec();
    descending.reverse();
    assert_eq!(scan(store, "p", None, 100, true), descending);
    assert_eq!(scan_all_pages(store, "p", 3, true), descending);
    // A non-ASCII prefix, and cursors between non-ASCII keys.
    assert_eq!(scan(store, "pé", None, 10, false), ["pé", "péz"]);
    assert_eq!(scan(store, "p", Some("pé"), 2, false), ["péz", "pê"]);
    assert_eq!(
        scan(store, "p", Some("pé"), 2, true),
        ["p\u{80}", "p\u{7F}"]
    );
    assert_eq!(scan(store, "p\0", None, 10, false), ["p\0", "p\0b"]);
    // A prefix ending in the largest code point has no successor string.
    assert_eq!(
        scan(store, &top, None, 10, true),
        std::slice::from_ref(&top)
    );
    assert_eq!(scan(store, &max, None, 10, false), Vec::<String>::new());
    assert_eq!(scan(store, "", Some(&top), 10, false), ["q"]);
    // The whole store, in byte order.
    assert_eq!(keys(&all(store)).first().map(String::as_str), Some("Q"));
}

/// One commit applies all its writes, with one new version, greater than any before.
pub fn commit_applies_all_writes_with_one_new_version(store: &dyn Storage) {
    seed(store, &["a"]);
    let v1 = version(store, "a");
    store
        .commit(
            &[must("a", Some(v1)), must("b", None)],
            &[put("a", "2"), put("b", "1")],
        )
        .unwrap();
    let a = store.get("a").unwrap().unwrap();
    let b = store.get("b").unwrap().unwrap();
    assert_eq!(a.value, b"2");
    assert!(a.version > v1);
    assert_eq!(a.version, b.version);
}

/// A failing check is `conflict` naming the first failing key, and nothing is applied.
pub fn failed_check_is_a_conflict_and_applies_nothing(store: &dyn Storage) {
    seed(store, &["a", "b"]);
    let before = all(store);
    let va = version(store, "a");

    // Wrong version on the second check: the first check and every write are ignored.
    let err = store
        .commit(
            &[must("a", Some(va)), must("b", Some(va + 100))],
            &[put("a", "x"), del("b"), put("c", "new")],
        )
        .unwrap_err();
    assert_eq!(err, StorageError::Conflict("b".into()));
    assert_eq!(all(store), before);

    // Two failing checks: the first one is named.
    let err = store
        .commit(&[must("zz", Some(1)), must("a", None)], &[put("c", "new")])
        .unwrap_err();
    assert_eq!(err, StorageError::Conflict("zz".into()));

    // "Must not exist" on an existing key.
    let err = store
        .commit(&[must("a", None)], &[put("z", "1")])
        .unwrap_err();
    assert_eq!(err, StorageError::Conflict("a".into()));
    // "Must exist" on an absent key.
    let err = store
        .commit(&[must("nope", Some(1))], &[put("z", "1")])
        .unwrap_err();
    assert_eq!(err, StorageError::Conflict("nope".into()));
    assert_eq!(all(store), before);

    // A refused commit does not use up a version: the next write is still above the old ones
    // and the store works as before.
    store
        .commit(&[must("a", Some(va))], &[put("a", "y")])
        .unwrap();
    assert!(version(store, "a") > va);
}

/// Checks see the state before the commit's own writes.
pub fn checks_see_the_state_before_the_writes(store: &dyn Storage) {
    // The check says "c must not exist"; the same commit creates it. Allowed.
    store.commit(&[must("c", None)], &[put("c", "1")]).unwrap();
    // Doing it again conflicts.
    let err = store
        .commit(&[must("c", None)], &[put("c", "2")])
        .unwrap_err();
    assert_eq!(err, StorageError::Conflict("c".into()));
    // Deleting a key while checking it holds its current version.
    let vc = version(store, "c");
    store.commit(&[must("c", Some(vc))], &[del("c")]).unwrap();
    assert_eq!(store.get("c").unwrap(), None);
    // Checks alone (no writes) pass or fail without changing anything.
    store.commit(&[must("c", None)], &[]).unwrap();
    assert_eq!(
        store.commit(&[must("c", Some(vc))], &[]),
        Err(StorageError::Conflict("c".into()))
    );
    assert!(all(store).is_empty());
}

/// When a commit writes a key more than once, the last write wins.
pub fn last_write_of_a_key_wins(store: &dyn Storage) {
    store
        .commit(
            &[],
            &[put("k", "1"), put("k", "2"), del("j"), put("j", "3")],
        )
        .unwrap();
    assert_eq!(store.get("k").unwrap().unwrap().value, b"2");
    assert_eq!(store.get("j").unwrap().unwrap().value, b"3");
    store.commit(&[], &[put("k", "4"), del("k")]).unwrap();
    assert_eq!(store.get("k").unwrap(), None);
    assert_eq!(keys(&all(store)), ["j"]);
}

/// Deleting an absent key is not an error.
pub fn deleting_an_absent_key_is_fine(store: &dyn Storage) {
    store.commit(&[], &[del("ghost")]).unwrap();
    store
        .commit(&[must("ghost", None)], &[del("ghost")])
        .unwrap();
    assert!(all(store).is_empty());
}

/// A key deleted and written again gets a new version, never its old one, so a check holding
/// the old version fails.
pub fn versions_are_never_reused_after_delete(store: &dyn Storage) {
    store.commit(&[], &[put("k", "1")]).unwrap();
    let v1 = version(store, "k");
    store.commit(&[must("k", Some(v1))], &[del("k")]).unwrap();
    store
        .commit(&[must("k", None)], &[put("k", "again")])
        .unwrap();
    let v2 = version(store, "k");
    assert!(v2 > v1);
    // A check holding the old version must not match the recreated key.
    let err = store
        .commit(&[must("k", Some(v1))], &[put("k", "x")])
        .unwrap_err();
    assert_eq!(err, StorageError::Conflict("k".into()));
}

/// Every write gives a version greater than any version seen before, across keys and commits.
pub fn versions_grow_across_keys_and_commits(store: &dyn Storage) {
    let mut last = 0;
    for i in 0..6 {
        let key = format!("k{}", i % 2);
        store.commit(&[], &[put(&key, "v")]).unwrap();
        let v = version(store, &key);
        assert!(v > last, "version {v} after {last}");
        last = v;
    }
    // The untouched key keeps its version.
    let k0 = version(store, "k0");
    store.commit(&[], &[put("k1", "again")]).unwrap();
    assert_eq!(version(store, "k0"), k0);
}

/// A scan of the empty prefix is every entry, in key order, with values and versions.
pub fn the_empty_prefix_scans_every_entry_in_key_order(store: &dyn Storage) {
    seed(store, &["b", "a", "c/1"]);
    store.commit(&[], &[put("b", "new")]).unwrap();
    let all = store.scan("", None, u32::MAX, false).unwrap();
    assert_eq!(keys(&all), ["a", "b", "c/1"]);
    assert_eq!(all[1].value, b"new");
    assert!(all[1].version > all[0].version);
    assert_eq!(all, store.scan("", None, 10, false).unwrap());
}

macro_rules! suite {
    ($($case:ident),* $(,)?) => {
        /// Every case of the suite, with its name.
        pub const CASES: &[(&str, fn(&dyn Storage))] =
            &[$((stringify!($case), $case as fn(&dyn Storage))),*];

        #[cfg(test)]
        mod memory {
            $(
                #[test]
                fn $case() {
                    super::$case(&crate::MemoryStorage::new());
                }
            )*
        }
    };
}

suite!(
    get_absent_and_versions_above_zero,
    values_are_opaque_bytes,
    get_many_keeps_order_and_gaps,
    scan_prefix_ascending_and_descending,
    scan_limit,
    scan_start_after_is_exclusive_in_scan_direction,
    scan_start_after_outside_the_prefix_range,
    keys_are_ordered_by_utf8_bytes,
    commit_applies_all_writes_with_one_new_version,
    failed_check_is_a_conflict_and_applies_nothing,
    checks_see_the_state_before_the_writes,
    last_write_of_a_key_wins,
    deleting_an_absent_key_is_fine,
    versions_are_never_reused_after_delete,
    versions_grow_across_keys_and_commits,
    the_empty_prefix_scans_every_entry_in_key_order,
);

/// Runs every case of the suite, each on a fresh store from `fresh`.
///
/// # Panics
/// On the first broken rule, naming the case.
pub fn check_storage<S: Storage>(fresh: impl Fn() -> S) {
    for (name, case) in CASES {
        let store = fresh();
        let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| case(&store)));
        if let Err(panic) = outcome {
            let message = panic
                .downcast_ref::<String>()
                .map(String::as_str)
                .or_else(|| panic.downcast_ref::<&str>().copied())
                .unwrap_or("(no message)");
            panic!("storage conformance case `{name}` failed: {message}");
        }
    }
}
