//! The `storage` import: an ordered key-value store with versions.
//!
//! [`KvBackend`] is the object-safe backend trait (in-memory now; SQLite or others can be
//! added behind it). [`Storage`] is the handle the host hands to stores: a backend plus a
//! fault switch and call counters.

use std::collections::BTreeMap;
use std::ops::Bound;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use super::{Fault, FaultSwitch};
use crate::types::{Check, Entry, StorageError, Write};

/// A storage backend with the semantics documented in `storage.wit`.
///
/// Implementations must be atomic per `commit` and must give every write a version greater
/// than any version the key ever had (including before a delete); versions are never 0.
pub trait KvBackend: Send + Sync {
    /// Reads one key.
    fn get(&self, key: &str) -> Result<Option<Entry>, StorageError>;

    /// Reads several keys; one element per key, in order. The default reads them one by one.
    fn get_many(&self, keys: &[String]) -> Result<Vec<Option<Entry>>, StorageError> {
        keys.iter().map(|k| self.get(k)).collect()
    }

    /// Entries whose key starts with `prefix`, in key order (descending when `reverse`),
    /// strictly after `start_after` in the scan direction, at most `limit` of them.
    fn scan(
        &self,
        prefix: &str,
        start_after: Option<&str>,
        limit: u32,
        reverse: bool,
    ) -> Result<Vec<Entry>, StorageError>;

    /// Applies `writes` atomically if every check holds against the state before any write;
    /// otherwise returns `conflict(key)` for the first failing check and applies nothing.
    fn commit(&self, checks: &[Check], writes: &[Write]) -> Result<(), StorageError>;

    /// Every entry, in key order. For tests comparing state before and after a call.
    fn dump(&self) -> Result<Vec<Entry>, StorageError> {
        self.scan("", None, u32::MAX, false)
    }
}

/// An in-memory [`KvBackend`]: a `BTreeMap` behind a mutex and a global version counter.
#[derive(Default)]
pub struct MemoryBackend {
    state: Mutex<MemoryState>,
}

#[derive(Default)]
struct MemoryState {
    entries: BTreeMap<String, (Vec<u8>, u64)>,
    /// The version given to the last commit's writes; each commit takes the next one, so a
    /// version is never reused, even for a key deleted and written again.
    last_version: u64,
}

impl MemoryBackend {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> MutexGuard<'_, MemoryState> {
        // A panic while holding the lock cannot leave a half-applied commit (writes are applied
        // after all checks, with no fallible step in between), so a poisoned lock is still sound.
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }
}

fn entry(key: &str, (value, version): &(Vec<u8>, u64)) -> Entry {
    Entry {
        key: key.to_owned(),
        value: value.clone(),
        version: *version,
    }
}

/// The smallest string greater than every string starting with `prefix`, or `None` when no
/// such bound exists (empty prefix, or only `char::MAX`). UTF-8 byte order is code point
/// order, so bumping the last code point that can be bumped gives the bound.
fn prefix_end(prefix: &str) -> Option<String> {
    let mut chars: Vec<char> = prefix.chars().collect();
    while let Some(last) = chars.pop() {
        let next = match last as u32 + 1 {
            0xD800 => Some('\u{E000}'),
            n => char::from_u32(n),
        };
        if let Some(next) = next {
            chars.push(next);
            return Some(chars.into_iter().collect());
        }
    }
    None
}

impl KvBackend for MemoryBackend {
    fn get(&self, key: &str) -> Result<Option<Entry>, StorageError> {
        Ok(self.lock().entries.get(key).map(|v| entry(key, v)))
    }

    fn get_many(&self, keys: &[String]) -> Result<Vec<Option<Entry>>, StorageError> {
        // One lock for all keys: the result is one consistent snapshot.
        let state = self.lock();
        Ok(keys
            .iter()
            .map(|k| state.entries.get(k).map(|v| entry(k, v)))
            .collect())
    }

    fn scan(
        &self,
        prefix: &str,
        start_after: Option<&str>,
        limit: u32,
        reverse: bool,
    ) -> Result<Vec<Entry>, StorageError> {
        if limit == 0 {
            return Ok(Vec::new());
        }
        let end = prefix_end(prefix);
        let upper_of_prefix = match &end {
            Some(end) => Bound::Excluded(end.as_str()),
            None => Bound::Unbounded,
        };
        let below_end = |s: &str| end.as_deref().is_none_or(|end| s < end);

        let (lower, upper) = if reverse {
            // Keys strictly before the cursor, within the prefix range.
            match start_after {
                Some(s) if s <= prefix => return Ok(Vec::new()),
                Some(s) if below_end(s) => (Bound::Included(prefix), Bound::Excluded(s)),
                _ => (Bound::Included(prefix), upper_of_prefix),
            }
        } else {
            // Keys strictly after the cursor, within the prefix range.
            match start_after {
                Some(s) if !below_end(s) => return Ok(Vec::new()),
                Some(s) if s >= prefix => (Bound::Excluded(s), upper_of_prefix),
                _ => (Bound::Included(prefix), upper_of_prefix),
            }
        };

        let state = self.lock();
        let range = state.entries.range::<str, _>((lower, upper));
        let take = limit as usize;
        let out = if reverse {
            range.rev().take(take).map(|(k, v)| entry(k, v)).collect()
        } else {
            range.take(take).map(|(k, v)| entry(k, v)).collect()
        };
        Ok(out)
    }

    fn commit(&self, checks: &[Check], writes: &[Write]) -> Result<(), StorageError> {
        let mut state = self.lock();
        for check in checks {
            let current = state.entries.get(&check.key).map(|(_, version)| *version);
            if current != check.version {
                return Err(StorageError::Conflict(check.key.clone()));
            }
        }
        if writes.is_empty() {
            return Ok(());
        }
        state.last_version += 1;
        let version = state.last_version;
        for write in writes {
            match write {
                Write::Put(put) => {
                    state
                        .entries
                        .insert(put.key.clone(), (put.value.clone(), version));
                }
                Write::Delete(key) => {
                    state.entries.remove(key);
                }
            }
        }
        Ok(())
    }

    fn dump(&self) -> Result<Vec<Entry>, StorageError> {
        Ok(self
            .lock()
            .entries
            .iter()
            .map(|(k, v)| entry(k, v))
            .collect())
    }
}

/// How much the addon used the storage import, for tests that check the cost of operations.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct StorageStats {
    /// `get` calls.
    pub gets: u64,
    /// `get-many` calls.
    pub get_manys: u64,
    /// Keys requested through `get` and `get-many`.
    pub keys_read: u64,
    /// `scan` calls.
    pub scans: u64,
    /// Entries returned by all scans.
    pub entries_scanned: u64,
    /// `commit` calls, including refused ones.
    pub commits: u64,
    /// Commits refused with `conflict`.
    pub conflicts: u64,
    /// Writes applied by successful commits.
    pub writes: u64,
}

#[derive(Default)]
struct Counters {
    gets: AtomicU64,
    get_manys: AtomicU64,
    keys_read: AtomicU64,
    scans: AtomicU64,
    entries_scanned: AtomicU64,
    commits: AtomicU64,
    conflicts: AtomicU64,
    writes: AtomicU64,
}

/// The host's storage: a shared [`KvBackend`] with a fault switch and call counters.
/// Cheap to clone; clones share everything.
#[derive(Clone)]
pub struct Storage {
    backend: Arc<dyn KvBackend>,
    faults: FaultSwitch,
    counters: Arc<Counters>,
}

impl Default for Storage {
    fn default() -> Self {
        Self::memory()
    }
}

impl std::fmt::Debug for Storage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Storage")
            .field("stats", &self.stats())
            .finish_non_exhaustive()
    }
}

fn add(counter: &AtomicU64, n: usize) {
    counter.fetch_add(n as u64, Ordering::Relaxed);
}

impl Storage {
    /// A fresh in-memory store.
    pub fn memory() -> Self {
        Self::with_backend(Arc::new(MemoryBackend::new()))
    }

    /// Storage over any backend.
    pub fn with_backend(backend: Arc<dyn KvBackend>) -> Self {
        Self {
            backend,
            faults: FaultSwitch::default(),
            counters: Arc::default(),
        }
    }

    /// The backend, for reading or seeding state directly (bypassing faults and counters).
    pub fn backend(&self) -> &Arc<dyn KvBackend> {
        &self.backend
    }

    /// Every stored entry, in key order.
    pub fn dump(&self) -> Vec<Entry> {
        self.backend
            .dump()
            .unwrap_or_else(|e| panic!("storage dump failed: {e:?}"))
    }

    /// Makes the next `n` storage calls fail (`unavailable` for [`Fault::Unavailable`],
    /// `failed` for [`Fault::Rejected`]) without touching the data.
    pub fn fail_next(&self, n: u32, fault: Fault) {
        self.faults.fail_next(n, fault);
    }

    /// Lets the next `skip` storage calls through, then makes the `n` after them fail, so a
    /// test can fail any one call of an operation.
    pub fn fail_after(&self, skip: u32, n: u32, fault: Fault) {
        self.faults.fail_after(skip, n, fault);
    }

    /// Makes every storage call fail until [`Storage::recover`].
    pub fn fail_always(&self, fault: Fault) {
        self.faults.fail_always(fault);
    }

    /// Stops injecting failures.
    pub fn recover(&self) {
        self.faults.clear();
    }

    /// Counters of the calls made so far.
    pub fn stats(&self) -> StorageStats {
        let c = &self.counters;
        let load = |a: &AtomicU64| a.load(Ordering::Relaxed);
        StorageStats {
            gets: load(&c.gets),
            get_manys: load(&c.get_manys),
            keys_read: load(&c.keys_read),
            scans: load(&c.scans),
            entries_scanned: load(&c.entries_scanned),
            commits: load(&c.commits),
            conflicts: load(&c.conflicts),
            writes: load(&c.writes),
        }
    }

    /// Sets all counters back to zero.
    pub fn reset_stats(&self) {
        let c = &self.counters;
        for counter in [
            &c.gets,
            &c.get_manys,
            &c.keys_read,
            &c.scans,
            &c.entries_scanned,
            &c.commits,
            &c.conflicts,
            &c.writes,
        ] {
            counter.store(0, Ordering::Relaxed);
        }
    }

    fn injected(&self) -> Result<(), StorageError> {
        match self.faults.trip() {
            None => Ok(()),
            Some(Fault::Unavailable) => Err(StorageError::Unavailable(
                "injected fault: storage unavailable".into(),
            )),
            Some(Fault::Rejected) => Err(StorageError::Failed(
                "injected fault: storage failed".into(),
            )),
        }
    }

    /// `storage.get`.
    pub fn get(&self, key: &str) -> Result<Option<Entry>, StorageError> {
        add(&self.counters.gets, 1);
        add(&self.counters.keys_read, 1);
        self.injected()?;
        self.backend.get(key)
    }

    /// `storage.get-many`.
    pub fn get_many(&self, keys: &[String]) -> Result<Vec<Option<Entry>>, StorageError> {
        add(&self.counters.get_manys, 1);
        add(&self.counters.keys_read, keys.len());
        self.injected()?;
        self.backend.get_many(keys)
    }

    /// `storage.scan`.
    pub fn scan(
        &self,
        prefix: &str,
        start_after: Option<&str>,
        limit: u32,
        reverse: bool,
    ) -> Result<Vec<Entry>, StorageError> {
        add(&self.counters.scans, 1);
        self.injected()?;
        let entries = self.backend.scan(prefix, start_after, limit, reverse)?;
        add(&self.counters.entries_scanned, entries.len());
        Ok(entries)
    }

    /// `storage.commit`.
    pub fn commit(&self, checks: &[Check], writes: &[Write]) -> Result<(), StorageError> {
        add(&self.counters.commits, 1);
        self.injected()?;
        let result = self.backend.commit(checks, writes);
        match &result {
            Ok(()) => add(&self.counters.writes, writes.len()),
            Err(StorageError::Conflict(_)) => add(&self.counters.conflicts, 1),
            Err(_) => {}
        }
        result
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::Put;

    fn put(key: &str, value: &str) -> Write {
        Write::Put(Put {
            key: key.into(),
            value: value.as_bytes().to_vec(),
        })
    }

    fn del(key: &str) -> Write {
        Write::Delete(key.into())
    }

    fn must(key: &str, version: Option<u64>) -> Check {
        Check {
            key: key.into(),
            version,
        }
    }

    fn keys(entries: &[Entry]) -> Vec<&str> {
        entries.iter().map(|e| e.key.as_str()).collect()
    }

    fn seeded(keys: &[&str]) -> MemoryBackend {
        let store = MemoryBackend::new();
        let writes: Vec<Write> = keys.iter().map(|k| put(k, k)).collect();
        store.commit(&[], &writes).unwrap();
        store
    }

    fn scan(
        store: &MemoryBackend,
        prefix: &str,
        after: Option<&str>,
        limit: u32,
        reverse: bool,
    ) -> Vec<String> {
        keys(&store.scan(prefix, after, limit, reverse).unwrap())
            .into_iter()
            .map(String::from)
            .collect()
    }

    #[test]
    fn get_and_versions_start_above_zero() {
        let store = MemoryBackend::new();
        assert_eq!(store.get("a").unwrap(), None);
        store.commit(&[], &[put("a", "1")]).unwrap();
        let a = store.get("a").unwrap().unwrap();
        assert_eq!(a.value, b"1");
        assert!(a.version > 0);
    }

    #[test]
    fn get_many_keeps_order_and_gaps() {
        let store = seeded(&["a", "c"]);
        let got = store
            .get_many(&["c".into(), "b".into(), "a".into()])
            .unwrap();
        let got: Vec<Option<&str>> = got
            .iter()
            .map(|e| e.as_ref().map(|e| e.key.as_str()))
            .collect();
        assert_eq!(got, vec![Some("c"), None, Some("a")]);
    }

    #[test]
    fn scan_prefix_ascending_and_descending() {
        let store = seeded(&["a", "m/1", "m/2", "m/3", "m0", "m", "n"]);
        assert_eq!(scan(&store, "m/", None, 10, false), ["m/1", "m/2", "m/3"]);
        assert_eq!(scan(&store, "m/", None, 10, true), ["m/3", "m/2", "m/1"]);
        // The prefix itself is a key that starts with the prefix.
        assert_eq!(
            scan(&store, "m", None, 10, false),
            ["m", "m/1", "m/2", "m/3", "m0"]
        );
        assert_eq!(scan(&store, "", None, 100, false).len(), 7);
        assert!(scan(&store, "x", None, 10, false).is_empty());
        assert!(scan(&store, "x", None, 10, true).is_empty());
    }

    #[test]
    fn scan_limit() {
        let store = seeded(&["k1", "k2", "k3", "k4"]);
        assert_eq!(scan(&store, "k", None, 2, false), ["k1", "k2"]);
        assert_eq!(scan(&store, "k", None, 2, true), ["k4", "k3"]);
        assert!(scan(&store, "k", None, 0, false).is_empty());
    }

    #[test]
    fn scan_start_after_is_exclusive_in_scan_direction() {
        let store = seeded(&["k1", "k2", "k3", "k4"]);
        assert_eq!(scan(&store, "k", Some("k2"), 10, false), ["k3", "k4"]);
        assert_eq!(scan(&store, "k", Some("k3"), 10, true), ["k2", "k1"]);
        // A cursor that is not itself a key still splits the range.
        assert_eq!(scan(&store, "k", Some("k2x"), 10, false), ["k3", "k4"]);
        assert_eq!(scan(&store, "k", Some("k2x"), 10, true), ["k2", "k1"]);
        // Paging with the last key returned walks the whole range once.
        let mut seen = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let page = scan(&store, "k", cursor.as_deref(), 3, true);
            seen.extend(page.iter().cloned());
            if page.len() < 3 {
                break;
            }
            cursor = page.last().cloned();
        }
        assert_eq!(seen, ["k4", "k3", "k2", "k1"]);
    }

    #[test]
    fn scan_start_after_outside_the_prefix_range() {
        let store = seeded(&["a", "k1", "k2", "z"]);
        // Before the range: ascending sees all, descending sees none.
        assert_eq!(scan(&store, "k", Some("b"), 10, false), ["k1", "k2"]);
        assert!(scan(&store, "k", Some("b"), 10, true).is_empty());
        // After the range: ascending sees none, descending sees all.
        assert!(scan(&store, "k", Some("y"), 10, false).is_empty());
        assert_eq!(scan(&store, "k", Some("y"), 10, true), ["k2", "k1"]);
        // Exactly the prefix: descending has nothing before it; ascending skips the prefix key.
        assert!(scan(&store, "k", Some("k"), 10, true).is_empty());
        assert_eq!(scan(&store, "k", Some("k"), 10, false), ["k1", "k2"]);
    }

    #[test]
    fn scan_orders_by_utf8_bytes_and_handles_high_code_points() {
        let max = char::MAX.to_string();
        let store = seeded(&["p", "pZ", "pé", "p\u{FFFF}", &format!("p{max}"), "q"]);
        let got = scan(&store, "p", None, 10, false);
        assert_eq!(got, ["p", "pZ", "pé", "p\u{FFFF}", &format!("p{max}")]);
        let prefix = format!("p{max}");
        assert_eq!(scan(&store, &prefix, None, 10, true), vec![prefix]);
        assert_eq!(prefix_end("a"), Some("b".into()));
        assert_eq!(prefix_end(&format!("a{max}")), Some("b".into()));
        assert_eq!(prefix_end("\u{D7FF}"), Some("\u{E000}".into()));
        assert_eq!(prefix_end(""), None);
    }

    #[test]
    fn commit_applies_all_writes_with_one_new_version() {
        let store = seeded(&["a"]);
        let v1 = store.get("a").unwrap().unwrap().version;
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

    #[test]
    fn failed_check_is_a_conflict_and_applies_nothing() {
        let store = seeded(&["a", "b"]);
        let before = store.dump().unwrap();
        let va = store.get("a").unwrap().unwrap().version;

        // Wrong version on the second check: the first check and every write are ignored.
        let err = store
            .commit(
                &[must("a", Some(va)), must("b", Some(va + 100))],
                &[put("a", "x"), del("b"), put("c", "new")],
            )
            .unwrap_err();
        assert_eq!(err, StorageError::Conflict("b".into()));
        assert_eq!(store.dump().unwrap(), before);

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
        assert_eq!(store.dump().unwrap(), before);
    }

    #[test]
    fn checks_see_the_state_before_the_writes() {
        let store = MemoryBackend::new();
        // The check says "c must not exist"; the same commit creates it. Allowed.
        store.commit(&[must("c", None)], &[put("c", "1")]).unwrap();
        // Doing it again conflicts.
        let err = store
            .commit(&[must("c", None)], &[put("c", "2")])
            .unwrap_err();
        assert_eq!(err, StorageError::Conflict("c".into()));
    }

    #[test]
    fn last_write_of_a_key_wins() {
        let store = MemoryBackend::new();
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
    }

    #[test]
    fn deleting_an_absent_key_is_fine() {
        let store = MemoryBackend::new();
        store.commit(&[], &[del("ghost")]).unwrap();
        assert!(store.dump().unwrap().is_empty());
    }

    #[test]
    fn versions_are_never_reused_after_delete() {
        let store = MemoryBackend::new();
        store.commit(&[], &[put("k", "1")]).unwrap();
        let v1 = store.get("k").unwrap().unwrap().version;
        store.commit(&[must("k", Some(v1))], &[del("k")]).unwrap();
        store
            .commit(&[must("k", None)], &[put("k", "again")])
            .unwrap();
        let v2 = store.get("k").unwrap().unwrap().version;
        assert!(v2 > v1);
        // A check holding the old version must not match the recreated key.
        let err = store
            .commit(&[must("k", Some(v1))], &[put("k", "x")])
            .unwrap_err();
        assert_eq!(err, StorageError::Conflict("k".into()));
    }

    #[test]
    fn versions_grow_across_keys_and_commits() {
        let store = MemoryBackend::new();
        let mut last = 0;
        for i in 0..5 {
            let key = format!("k{}", i % 2);
            store.commit(&[], &[put(&key, "v")]).unwrap();
            let v = store.get(&key).unwrap().unwrap().version;
            assert!(v > last);
            last = v;
        }
    }

    #[test]
    fn storage_handle_injects_faults_and_counts() {
        let storage = Storage::memory();
        storage.commit(&[], &[put("a", "1")]).unwrap();
        storage.fail_next(2, Fault::Unavailable);
        assert!(matches!(
            storage.get("a"),
            Err(StorageError::Unavailable(_))
        ));
        assert!(matches!(
            storage.commit(&[], &[put("b", "1")]),
            Err(StorageError::Unavailable(_))
        ));
        // The failed commit applied nothing, and the switch is spent.
        assert_eq!(storage.get("b").unwrap(), None);
        storage.fail_always(Fault::Rejected);
        assert!(matches!(
            storage.scan("", None, 10, false),
            Err(StorageError::Failed(_))
        ));
        storage.recover();
        assert_eq!(storage.scan("", None, 10, false).unwrap().len(), 1);

        let stats = storage.stats();
        assert_eq!(stats.commits, 2);
        assert_eq!(stats.gets, 2);
        assert_eq!(stats.scans, 2);
        assert_eq!(stats.entries_scanned, 1);
        assert_eq!(stats.writes, 1);
        storage.reset_stats();
        assert_eq!(storage.stats(), StorageStats::default());
    }
}
