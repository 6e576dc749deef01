//! The `storage` import: an ordered key-value store with versions.
//!
//! [`KvBackend`] is the object-safe backend trait, with two implementations: [`MemoryBackend`]
//! here, for tests, and the durable [`SqliteBackend`](super::SqliteBackend). Both pass the
//! shared suite in [`conformance`](super::conformance). [`Storage`] is the handle the host hands
//! to stores: a backend plus a fault switch and call counters.

use std::collections::BTreeMap;
use std::ops::Bound;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use super::sqlite::{Database, SqliteBackend, SqliteOptions};
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
pub(crate) fn prefix_end(prefix: &str) -> Option<String> {
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

/// The key range a `scan` covers: keys starting with `prefix`, strictly after `start_after` in
/// the scan direction (greater when ascending, smaller when `reverse`). `None` when no key can
/// be in it. The lower bound is never unbounded and the upper bound never inclusive; both are
/// ordered as UTF-8 bytes, so every backend can turn them into a range query on its index.
pub(crate) fn scan_bounds(
    prefix: &str,
    start_after: Option<&str>,
    reverse: bool,
) -> Option<(Bound<String>, Bound<String>)> {
    let end = prefix_end(prefix);
    let below_end = |s: &str| end.as_deref().is_none_or(|end| s < end);
    let from_prefix = Bound::Included(prefix.to_owned());
    let to_end = || match &end {
        Some(end) => Bound::Excluded(end.clone()),
        None => Bound::Unbounded,
    };
    let bounds = if reverse {
        // Keys strictly before the cursor, within the prefix range.
        match start_after {
            Some(s) if s <= prefix => return None,
            Some(s) if below_end(s) => (from_prefix, Bound::Excluded(s.to_owned())),
            _ => (from_prefix, to_end()),
        }
    } else {
        // Keys strictly after the cursor, within the prefix range.
        match start_after {
            Some(s) if !below_end(s) => return None,
            Some(s) if s >= prefix => (Bound::Excluded(s.to_owned()), to_end()),
            _ => (from_prefix, to_end()),
        }
    };
    Some(bounds)
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
        let Some((lower, upper)) = scan_bounds(prefix, start_after, reverse) else {
            return Ok(Vec::new());
        };
        if limit == 0 {
            return Ok(Vec::new());
        }
        let bounds = (
            lower.as_ref().map(String::as_str),
            upper.as_ref().map(String::as_str),
        );
        let state = self.lock();
        let range = state.entries.range::<str, _>(bounds);
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
    /// The database file, when the backend is SQLite.
    database: Option<Database>,
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

    /// A durable store in the SQLite database at `path` (created if missing), with the default
    /// [`SqliteOptions`].
    pub fn sqlite(path: impl AsRef<Path>) -> anyhow::Result<Self> {
        Self::sqlite_with(path, SqliteOptions::default())
    }

    /// A durable store in the SQLite database at `path` (created if missing), with `options`.
    pub fn sqlite_with(path: impl AsRef<Path>, options: SqliteOptions) -> anyhow::Result<Self> {
        Self::on_database(&Database::open_with(path, options)?)
    }

    /// A durable store in an open [`Database`], which other host modules may share.
    pub fn on_database(db: &Database) -> anyhow::Result<Self> {
        let mut storage = Self::with_backend(Arc::new(SqliteBackend::on(db.clone())?));
        storage.database = Some(db.clone());
        Ok(storage)
    }

    /// The SQLite database the store lives in (`None` for other backends), for host modules
    /// that keep their own tables in the same file (see [`Database`]).
    pub fn database(&self) -> Option<&Database> {
        self.database.as_ref()
    }

    /// Storage over any backend.
    pub fn with_backend(backend: Arc<dyn KvBackend>) -> Self {
        Self {
            backend,
            database: None,
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
    //! The storage semantics are tested on every backend by the suite in `host::conformance`;
    //! here: the range helpers and the `Storage` handle.

    use super::*;
    use crate::host::conformance::put;

    #[test]
    fn prefix_end_bumps_the_last_code_point_that_can_be_bumped() {
        let max = char::MAX.to_string();
        assert_eq!(prefix_end("a"), Some("b".into()));
        assert_eq!(prefix_end("é"), Some("ê".into()));
        assert_eq!(prefix_end(&format!("a{max}")), Some("b".into()));
        assert_eq!(prefix_end("\u{D7FF}"), Some("\u{E000}".into()));
        assert_eq!(prefix_end(&max), None);
        assert_eq!(prefix_end(""), None);
    }

    #[test]
    fn scan_bounds_follow_the_direction_and_drop_empty_ranges() {
        let s = |v: &str| v.to_owned();
        assert_eq!(
            scan_bounds("k", None, false),
            Some((Bound::Included(s("k")), Bound::Excluded(s("l"))))
        );
        assert_eq!(
            scan_bounds("k", Some("k2"), false),
            Some((Bound::Excluded(s("k2")), Bound::Excluded(s("l"))))
        );
        assert_eq!(
            scan_bounds("k", Some("k2"), true),
            Some((Bound::Included(s("k")), Bound::Excluded(s("k2"))))
        );
        assert_eq!(
            scan_bounds("", Some("k"), false),
            Some((Bound::Excluded(s("k")), Bound::Unbounded))
        );
        assert_eq!(scan_bounds("k", Some("k"), true), None);
        assert_eq!(scan_bounds("k", Some("l"), false), None);
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
