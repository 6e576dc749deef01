//! The platform's `storage` import: any backend ([`MemoryStorage`], [`SqliteStorage`](crate::SqliteStorage),
//! another [`Storage`]) under two decorators, a fault switch ([`Faulty`]) and call counters
//! ([`Counted`]), so tests can fail any call and count the cost of every operation whatever the
//! backend.

use std::ops::Deref;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use order_messages_host::types::{Check, Entry, ScanPage, StorageError, Write};
use order_messages_host::{MemoryStorage, Storage};

use crate::faults::Faulty;
use crate::sqlite::{Database, SqliteOptions, SqliteStorage};

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
    /// The most checks and writes one commit carried.
    pub largest_commit: u64,
    /// The most bytes of keys and values one commit carried.
    pub largest_commit_bytes: u64,
}

#[derive(Debug, Default)]
struct Counters {
    gets: AtomicU64,
    get_manys: AtomicU64,
    keys_read: AtomicU64,
    scans: AtomicU64,
    entries_scanned: AtomicU64,
    commits: AtomicU64,
    conflicts: AtomicU64,
    writes: AtomicU64,
    largest_commit: AtomicU64,
    largest_commit_bytes: AtomicU64,
}

fn add(counter: &AtomicU64, n: usize) {
    counter.fetch_add(n as u64, Ordering::Relaxed);
}

/// A [`Storage`] whose calls are counted ([`Counted::stats`]). Derefs to the inner storage.
#[derive(Clone, Debug, Default)]
pub struct Counted<S> {
    inner: S,
    counters: Arc<Counters>,
}

impl<S> Counted<S> {
    /// Counts the calls made to `inner`.
    pub fn new(inner: S) -> Self {
        Self {
            inner,
            counters: Arc::default(),
        }
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
            largest_commit: load(&c.largest_commit),
            largest_commit_bytes: load(&c.largest_commit_bytes),
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
            &c.largest_commit,
            &c.largest_commit_bytes,
        ] {
            counter.store(0, Ordering::Relaxed);
        }
    }
}

impl<S> Deref for Counted<S> {
    type Target = S;

    fn deref(&self) -> &S {
        &self.inner
    }
}

impl<S: Storage> Storage for Counted<S> {
    fn get(&self, key: &str) -> Result<Option<Entry>, StorageError> {
        add(&self.counters.gets, 1);
        add(&self.counters.keys_read, 1);
        self.inner.get(key)
    }

    fn get_many(&self, keys: &[String]) -> Result<Vec<Option<Entry>>, StorageError> {
        add(&self.counters.get_manys, 1);
        add(&self.counters.keys_read, keys.len());
        self.inner.get_many(keys)
    }

    fn scan(
        &self,
        prefix: &str,
        start_after: Option<&str>,
        limit: u32,
        reverse: bool,
    ) -> Result<ScanPage, StorageError> {
        add(&self.counters.scans, 1);
        let page = self.inner.scan(prefix, start_after, limit, reverse)?;
        add(&self.counters.entries_scanned, page.entries.len());
        Ok(page)
    }

    fn commit(&self, checks: &[Check], writes: &[Write]) -> Result<(), StorageError> {
        add(&self.counters.commits, 1);
        let bytes: usize = checks.iter().map(|c| c.key.len()).sum::<usize>()
            + writes
                .iter()
                .map(|w| match w {
                    Write::Put(p) => p.key.len() + p.value.len(),
                    Write::Delete(k) => k.len(),
                })
                .sum::<usize>();
        let c = &self.counters;
        c.largest_commit
            .fetch_max((checks.len() + writes.len()) as u64, Ordering::Relaxed);
        c.largest_commit_bytes
            .fetch_max(bytes as u64, Ordering::Relaxed);
        let result = self.inner.commit(checks, writes);
        match &result {
            Ok(()) => add(&self.counters.writes, writes.len()),
            Err(StorageError::Conflict(_)) => add(&self.counters.conflicts, 1),
            Err(_) => {}
        }
        result
    }
}

/// A storage backend, and the SQLite database it lives in when it is SQLite (other platform
/// parts keep their tables in the same file).
#[derive(Clone)]
pub struct Backend {
    storage: Arc<dyn Storage>,
    database: Option<Database>,
}

impl std::fmt::Debug for Backend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Backend")
            .field("sqlite", &self.database.is_some())
            .finish_non_exhaustive()
    }
}

impl Backend {
    /// The backend itself, bypassing the decorators (for seeding or reading state directly).
    pub fn backend(&self) -> &Arc<dyn Storage> {
        &self.storage
    }

    /// The SQLite database the store lives in (`None` for other backends).
    pub fn database(&self) -> Option<&Database> {
        self.database.as_ref()
    }

    /// Every stored entry, in key order (bypassing the decorators).
    pub fn dump(&self) -> Vec<Entry> {
        let mut all: Vec<Entry> = Vec::new();
        loop {
            let after = all.last().map(|e| e.key.clone());
            let page = self
                .storage
                .scan("", after.as_deref(), 1024, false)
                .unwrap_or_else(|e| panic!("storage dump failed: {e:?}"));
            all.extend(page.entries);
            if !page.more {
                return all;
            }
        }
    }
}

impl Storage for Backend {
    fn get(&self, key: &str) -> Result<Option<Entry>, StorageError> {
        self.storage.get(key)
    }

    fn get_many(&self, keys: &[String]) -> Result<Vec<Option<Entry>>, StorageError> {
        self.storage.get_many(keys)
    }

    fn scan(
        &self,
        prefix: &str,
        start_after: Option<&str>,
        limit: u32,
        reverse: bool,
    ) -> Result<ScanPage, StorageError> {
        self.storage.scan(prefix, start_after, limit, reverse)
    }

    fn commit(&self, checks: &[Check], writes: &[Write]) -> Result<(), StorageError> {
        self.storage.commit(checks, writes)
    }
}

/// The platform's storage: a [`Backend`] under a fault switch and call counters. Cheap to
/// clone; clones share everything. Derefs through the decorators, so `fail_next`, `stats` and
/// `dump` are all at hand.
#[derive(Clone, Debug)]
pub struct SharedStorage(Counted<Faulty<Backend>>);

impl Default for SharedStorage {
    fn default() -> Self {
        Self::memory()
    }
}

impl Deref for SharedStorage {
    type Target = Counted<Faulty<Backend>>;

    fn deref(&self) -> &Self::Target {
        &self.0
    }
}

impl SharedStorage {
    /// A fresh in-memory store.
    pub fn memory() -> Self {
        Self::with_backend(Arc::new(MemoryStorage::new()))
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

    /// A durable store in an open [`Database`], which other platform parts may share.
    pub fn on_database(db: &Database) -> anyhow::Result<Self> {
        let storage = Arc::new(SqliteStorage::on(db.clone())?);
        Ok(Self(Counted::new(Faulty::new(Backend {
            storage,
            database: Some(db.clone()),
        }))))
    }

    /// Storage over any backend.
    pub fn with_backend(storage: Arc<dyn Storage>) -> Self {
        Self(Counted::new(Faulty::new(Backend {
            storage,
            database: None,
        })))
    }
}

impl Storage for SharedStorage {
    fn get(&self, key: &str) -> Result<Option<Entry>, StorageError> {
        self.0.get(key)
    }

    fn get_many(&self, keys: &[String]) -> Result<Vec<Option<Entry>>, StorageError> {
        self.0.get_many(keys)
    }

    fn scan(
        &self,
        prefix: &str,
        start_after: Option<&str>,
        limit: u32,
        reverse: bool,
    ) -> Result<ScanPage, StorageError> {
        self.0.scan(prefix, start_after, limit, reverse)
    }

    fn commit(&self, checks: &[Check], writes: &[Write]) -> Result<(), StorageError> {
        self.0.commit(checks, writes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::faults::Fault;
    use order_messages_host::types::Put;

    fn put(key: &str, value: &str) -> Write {
        Write::Put(Put {
            key: key.into(),
            value: value.as_bytes().to_vec(),
        })
    }

    /// What the addon talks to is the backend under the decorators: they must keep every rule
    /// of the storage conformance suite, over memory and over SQLite.
    #[test]
    fn the_platform_storage_passes_the_conformance_suite_on_every_backend() {
        order_messages_host::conformance::check_storage(SharedStorage::memory);
        let dir = tempfile::tempdir().unwrap();
        let stores = std::sync::atomic::AtomicUsize::new(0);
        order_messages_host::conformance::check_storage(|| {
            let n = stores.fetch_add(1, Ordering::Relaxed);
            SharedStorage::sqlite(dir.path().join(format!("store-{n}.db"))).unwrap()
        });
    }

    #[test]
    fn the_decorators_inject_faults_and_count_whatever_the_backend() {
        let storage = SharedStorage::memory();
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
        assert_eq!(storage.scan("", None, 10, false).unwrap().entries.len(), 1);

        let stats = storage.stats();
        assert_eq!(stats.commits, 2);
        assert_eq!(stats.gets, 2);
        assert_eq!(stats.scans, 2);
        assert_eq!(stats.entries_scanned, 1);
        assert_eq!(stats.writes, 1);
        assert_eq!(storage.failures(), 3);
        storage.reset_stats();
        assert_eq!(storage.stats(), StorageStats::default());
        assert_eq!(storage.dump().len(), 1);
    }
}
