//! The durable store: a [`Storage`] on an SQLite database file (rusqlite, SQLite bundled).
//!
//! [`Database`] is one open database file: a single connection behind a mutex, in WAL mode,
//! with a busy timeout and a small `harness_schema` table that records the schema version of
//! each part of the harness that keeps tables in the file. [`SqliteStorage`] is the storage
//! import on top of it: its own tables (`kv`, `kv_clock`, schema part `kv`).
//!
//! A file is the harness's when it is new (missing, empty, or an SQLite database without
//! tables) or has the `harness_schema` table; any other file, another application's database
//! say, is refused with [`ForeignDatabase`] before anything is written to it.
//!
//! # Sharing the file with other host modules
//!
//! Host-side state that must survive between CLI invocations (directory fixtures, the mail
//! sent-log, …) can live in the same file. Take the [`Database`] of a store opened with
//! [`SharedStorage::sqlite`](crate::SharedStorage::sqlite) from [`SharedStorage::database`](crate::SharedStorage::database)
//! (or open it first and build the store on it with
//! [`SharedStorage::on_database`](crate::SharedStorage::on_database)), and hand clones of it to the other
//! modules. Each module:
//!
//! - describes its tables as a [`Schema`] (part name, latest layout, migration steps) and
//!   creates or upgrades them with [`Database::ensure_schema`] (which refuses a file written by
//!   a newer harness);
//! - prefixes its table names with its part name (`directory_orders`, `mail_sent`, …) and never
//!   touches the `kv*` tables;
//! - runs its statements through [`Database::lock`], using a transaction
//!   (`Connection::transaction_with_behavior(TransactionBehavior::Immediate)`) when it writes
//!   more than one row.
//!
//! Every clone shares one connection, so sessions on several threads (and those modules) are
//! serialised in-process; other processes on the same file are serialised by SQLite's own
//! locking and wait up to the busy timeout.

use std::ops::Bound;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use anyhow::{Context, Result, bail};
use rusqlite::types::ToSql;
use rusqlite::{Connection, ErrorCode, OpenFlags, OptionalExtension, TransactionBehavior};

use order_messages_host::types::{Check, Entry, ScanPage, StorageError, Write};
use order_messages_host::{Storage, scan_bounds};

/// When SQLite waits for the disk (`PRAGMA synchronous`, in WAL mode).
///
/// Either way every commit is atomic and a crash never corrupts the file; the setting decides
/// which crashes may roll back the latest commits.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Synchronous {
    /// `NORMAL` (the default): a commit is appended to the write-ahead log without waiting for
    /// the disk; the log is synced at checkpoints. Committed data survives a crash of the
    /// process (a panic, an abort, `kill -9`), because it is already in the operating system's
    /// hands, but a power loss or kernel crash may roll back the commits made since the last
    /// checkpoint. This is the default because the harness's store holds development, demo and
    /// benchmark data, where losing the last moments of work on power loss is acceptable, and
    /// skipping the sync per commit makes posting through the component about 6 to 10 times
    /// faster (measured: roughly 800 to 1,700 posts a second against 120 to 140 with `FULL`, on
    /// a two-core virtual machine; a post is two commits).
    #[default]
    Normal,
    /// `FULL`: every commit waits until the write-ahead log is on disk, so it also survives a
    /// power loss. Choose it when the file holds data that matters.
    Full,
}

impl Synchronous {
    fn pragma_value(self) -> &'static str {
        match self {
            Synchronous::Normal => "NORMAL",
            Synchronous::Full => "FULL",
        }
    }
}

/// How [`Database`] opens its file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SqliteOptions {
    /// Durability of commits; see [`Synchronous`].
    pub synchronous: Synchronous,
    /// How long a statement waits for another process's lock on the file before the call fails
    /// with `unavailable`.
    pub busy_timeout: Duration,
}

/// The default busy timeout: five seconds.
pub const DEFAULT_BUSY_TIMEOUT: Duration = Duration::from_secs(5);

impl Default for SqliteOptions {
    /// [`Synchronous::Normal`], [`DEFAULT_BUSY_TIMEOUT`].
    fn default() -> Self {
        Self {
            synchronous: Synchronous::default(),
            busy_timeout: DEFAULT_BUSY_TIMEOUT,
        }
    }
}

impl SqliteOptions {
    /// The same options with another [`Synchronous`] setting.
    pub fn with_synchronous(mut self, synchronous: Synchronous) -> Self {
        self.synchronous = synchronous;
        self
    }

    /// The same options with another busy timeout.
    pub fn with_busy_timeout(mut self, busy_timeout: Duration) -> Self {
        self.busy_timeout = busy_timeout;
        self
    }
}

/// One open SQLite database file, shared by every part of the host that keeps tables in it.
/// Cheap to clone; clones share the connection.
#[derive(Clone)]
pub struct Database {
    inner: Arc<DatabaseInner>,
}

struct DatabaseInner {
    connection: Mutex<Connection>,
    path: PathBuf,
    options: SqliteOptions,
}

impl std::fmt::Debug for Database {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Database")
            .field("path", &self.inner.path)
            .field("options", &self.inner.options)
            .finish_non_exhaustive()
    }
}

/// The table recording the schema version of each part of the harness stored in the file.
const SCHEMA_TABLE: &str = "CREATE TABLE IF NOT EXISTS harness_schema (
    part TEXT PRIMARY KEY NOT NULL,
    version INTEGER NOT NULL
)";

impl Database {
    /// Opens (creating if missing) the database at `path` with the default [`SqliteOptions`].
    pub fn open(path: impl AsRef<Path>) -> Result<Self> {
        Self::open_with(path, SqliteOptions::default())
    }

    /// Opens (creating if missing) the database at `path`: WAL mode, the given durability and
    /// busy timeout. Fails with [`ForeignDatabase`], changing nothing, when the file holds
    /// tables but no `harness_schema` table (the database of another application).
    pub fn open_with(path: impl AsRef<Path>, options: SqliteOptions) -> Result<Self> {
        let path = path.as_ref();
        let connection = check_ours(path, &options)
            .and_then(|()| connect(path, &options))
            .with_context(|| format!("opening the SQLite database {}", path.display()))?;
        Ok(Self {
            inner: Arc::new(DatabaseInner {
                connection: Mutex::new(connection),
                path: path.to_owned(),
                options,
            }),
        })
    }

    /// The file's path.
    pub fn path(&self) -> &Path {
        &self.inner.path
    }

    /// The options it was opened with.
    pub fn options(&self) -> &SqliteOptions {
        &self.inner.options
    }

    /// The shared connection, locked for the caller. Hold it briefly: every storage call of
    /// every session waits for it.
    pub fn lock(&self) -> MutexGuard<'_, Connection> {
        match self.inner.connection.lock() {
            Ok(guard) => guard,
            Err(poisoned) => {
                let guard = poisoned.into_inner();
                // A panic while the lock was held: rusqlite's `Transaction` rolls back when
                // dropped during the unwind, but a caller may have issued a bare `BEGIN`.
                if !guard.is_autocommit() {
                    let _ = guard.execute_batch("ROLLBACK");
                }
                guard
            }
        }
    }

    /// The schema version recorded for `part`, if its tables exist.
    pub fn schema_version(&self, part: &str) -> Result<Option<u32>> {
        let connection = self.lock();
        connection.execute_batch(SCHEMA_TABLE)?;
        Ok(read_schema_version(&connection, part)?)
    }

    /// Makes sure the tables of `schema`'s part exist at its latest version, in one
    /// transaction: a new part gets [`Schema::create`]; a part at an older version gets each
    /// [`Schema::migrations`] step from its version on, in order. Fails, changing nothing,
    /// when the file records a version newer than this harness knows (a newer harness wrote
    /// it).
    pub fn ensure_schema(&self, schema: &Schema) -> Result<()> {
        let part = schema.part;
        let version = schema.version();
        let mut connection = self.lock();
        let tx = connection.transaction_with_behavior(TransactionBehavior::Immediate)?;
        tx.execute_batch(SCHEMA_TABLE)?;
        match read_schema_version(&tx, part)? {
            None => {
                tx.execute_batch(schema.create)
                    .with_context(|| format!("creating the `{part}` tables"))?;
                tx.execute(
                    "INSERT INTO harness_schema (part, version) VALUES (?1, ?2)",
                    (part, version),
                )?;
            }
            Some(found) if found == version => return Ok(()),
            Some(found) if found > version => bail!(
                "{}: the `{part}` tables have schema version {found}, newer than version \
                 {version} that this harness understands; use a newer harness or another file",
                self.path().display()
            ),
            Some(0) => bail!(
                "{}: the `{part}` tables record schema version 0, which no harness writes",
                self.path().display()
            ),
            Some(found) => {
                for (from, step) in (found..version).zip(&schema.migrations[found as usize - 1..]) {
                    tx.execute_batch(step).with_context(|| {
                        format!(
                            "migrating the `{part}` tables from schema version {from} to {}",
                            from + 1
                        )
                    })?;
                }
                tx.execute(
                    "UPDATE harness_schema SET version = ?2 WHERE part = ?1",
                    (part, version),
                )?;
            }
        }
        tx.commit()?;
        Ok(())
    }
}

/// The tables one part of the harness keeps in a [`Database`], with their history: the SQL
/// creating the latest version, and the steps that bring each older version to the next. The
/// latest version is one more than the number of steps.
#[derive(Debug, Clone, Copy)]
pub struct Schema {
    /// The part's name, also the prefix of its table names.
    pub part: &'static str,
    /// Creates the tables at the latest version (a batch of SQL statements).
    pub create: &'static str,
    /// `migrations[i]` upgrades the tables from version `i + 1` to `i + 2` (a batch of SQL
    /// statements). Released steps never change; a new layout appends one.
    pub migrations: &'static [&'static str],
}

impl Schema {
    /// The latest version: `1 + migrations.len()`.
    pub fn version(&self) -> u32 {
        1 + self.migrations.len() as u32
    }
}

/// A database file with tables, none of them the harness's `harness_schema`: another
/// application's, which the harness refuses to open rather than add its tables to it and switch
/// it to WAL mode.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ForeignDatabase {
    /// The file.
    pub path: PathBuf,
    /// Its tables (and views), by name.
    pub tables: Vec<String>,
}

impl std::fmt::Display for ForeignDatabase {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        const SHOWN: usize = 5;
        let mut tables = self.tables[..self.tables.len().min(SHOWN)].join(", ");
        if self.tables.len() > SHOWN {
            tables.push_str(", …");
        }
        // The path is in the context of every error opening a database.
        write!(
            f,
            "not a database of this harness: it holds other tables ({tables}) and no \
             harness_schema table; left unchanged (use a new or empty file)"
        )
    }
}

impl std::error::Error for ForeignDatabase {}

/// Fails with [`ForeignDatabase`] if the existing file at `path` has tables but not
/// `harness_schema`. Looks through a read-only connection, so a refused file is not touched (a
/// file that is not SQLite at all fails here too, unchanged).
fn check_ours(path: &Path, options: &SqliteOptions) -> Result<()> {
    if !path.try_exists()? {
        return Ok(());
    }
    let connection = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    // Another process may be setting the file up.
    connection.busy_timeout(options.busy_timeout)?;
    let mut statement = connection.prepare(
        "SELECT name FROM sqlite_schema
         WHERE type IN ('table', 'view') AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\'
         ORDER BY name",
    )?;
    let tables: Vec<String> = statement
        .query_map([], |row| row.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    if tables.is_empty() || tables.iter().any(|t| t == "harness_schema") {
        return Ok(());
    }
    Err(ForeignDatabase {
        path: path.to_owned(),
        tables,
    }
    .into())
}

fn connect(path: &Path, options: &SqliteOptions) -> Result<Connection> {
    let connection = Connection::open(path)?;
    connection.busy_timeout(options.busy_timeout)?;
    // The statements of a scan differ by bound kind and direction; keep them all prepared.
    connection.set_prepared_statement_cache_capacity(32);
    let mode: String =
        connection.pragma_update_and_check(None, "journal_mode", "WAL", |row| row.get(0))?;
    if !mode.eq_ignore_ascii_case("wal") {
        bail!("cannot switch to WAL mode (the journal mode stays `{mode}`)");
    }
    connection.pragma_update(None, "synchronous", options.synchronous.pragma_value())?;
    Ok(connection)
}

fn read_schema_version(connection: &Connection, part: &str) -> rusqlite::Result<Option<u32>> {
    connection
        .query_row(
            "SELECT version FROM harness_schema WHERE part = ?1",
            [part],
            |row| row.get(0),
        )
        .optional()
}

/// [`SqliteStorage`]'s tables (part `kv`).
pub const KV_SCHEMA: Schema = Schema {
    part: "kv",
    create: KV_TABLES,
    migrations: &[],
};

/// Keys and values are BLOBs, compared with `memcmp`: the UTF-8 byte order the storage import
/// specifies, whatever the text encoding or collation. `WITHOUT ROWID` makes the primary key
/// the table itself, so a scan is one range walk of the b-tree. `kv_clock` holds the last
/// version given out, so versions keep growing after deletes and reopening.
const KV_TABLES: &str = "
CREATE TABLE kv (
    key BLOB PRIMARY KEY NOT NULL CHECK (typeof(key) = 'blob'),
    value BLOB NOT NULL CHECK (typeof(value) = 'blob'),
    version INTEGER NOT NULL CHECK (version > 0)
) WITHOUT ROWID;
CREATE TABLE kv_clock (
    id INTEGER PRIMARY KEY CHECK (id = 0),
    last_version INTEGER NOT NULL
);
INSERT INTO kv_clock (id, last_version) VALUES (0, 0);
";

/// A durable [`Storage`]: the storage import on a [`Database`].
///
/// Every `commit` is one `BEGIN IMMEDIATE` transaction: it takes the file's write lock first,
/// so its checks read the latest committed state (also of other processes) and nobody can
/// commit between its checks and its writes. All writes of a commit get one new version from
/// the persisted counter.
#[derive(Debug, Clone)]
pub struct SqliteStorage {
    db: Database,
}

impl SqliteStorage {
    /// Opens (creating if missing) a store at `path` with the default [`SqliteOptions`].
    pub fn open(path: impl AsRef<Path>) -> Result<Self> {
        Self::open_with(path, SqliteOptions::default())
    }

    /// Opens (creating if missing) a store at `path` with `options`.
    pub fn open_with(path: impl AsRef<Path>, options: SqliteOptions) -> Result<Self> {
        Self::on(Database::open_with(path, options)?)
    }

    /// The store on an open database, creating its tables if needed. Fails if the file's `kv`
    /// tables have another schema version.
    pub fn on(db: Database) -> Result<Self> {
        db.ensure_schema(&KV_SCHEMA)?;
        Ok(Self { db })
    }

    /// The database it keeps its tables in, to share with other host modules.
    pub fn database(&self) -> &Database {
        &self.db
    }
}

/// Turns SQLite errors into the storage import's: busy or locked (the busy timeout ran out) is
/// `unavailable`, anything else `failed`.
trait OrStorageError<T> {
    fn or_storage_error(self) -> Result<T, StorageError>;
}

impl<T> OrStorageError<T> for rusqlite::Result<T> {
    fn or_storage_error(self) -> Result<T, StorageError> {
        self.map_err(|e| match e.sqlite_error_code() {
            Some(ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked) => {
                StorageError::Unavailable(format!("sqlite: {e}"))
            }
            _ => StorageError::Failed(format!("sqlite: {e}")),
        })
    }
}

fn version_from_sql(version: i64) -> Result<u64, StorageError> {
    u64::try_from(version)
        .map_err(|_| StorageError::Failed(format!("sqlite: negative version {version}")))
}

/// An entry from a row of `key, value, version`.
fn entry_from_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<(Vec<u8>, Vec<u8>, i64)> {
    Ok((row.get(0)?, row.get(1)?, row.get(2)?))
}

fn to_entry((key, value, version): (Vec<u8>, Vec<u8>, i64)) -> Result<Entry, StorageError> {
    let key = String::from_utf8(key)
        .map_err(|_| StorageError::Failed("sqlite: a stored key is not UTF-8".into()))?;
    Ok(Entry {
        key,
        value,
        version: version_from_sql(version)?,
    })
}

/// The SQL comparison and the key of a scan bound, if bounded.
fn bound_sql<'a>(
    bound: &'a Bound<String>,
    inclusive: &'static str,
    exclusive: &'static str,
) -> Option<(&'static str, &'a [u8])> {
    match bound {
        Bound::Included(key) => Some((inclusive, key.as_bytes())),
        Bound::Excluded(key) => Some((exclusive, key.as_bytes())),
        Bound::Unbounded => None,
    }
}

/// The statement of a scan between two bounds (from [`scan_bounds`]), and the keys to bind
/// before its last parameter, the limit. A range on the primary key (see `KV_TABLES`), walked
/// forwards or backwards: never a walk of the whole table, never a sort.
fn scan_sql<'a>(
    lower: &'a Bound<String>,
    upper: &'a Bound<String>,
    reverse: bool,
) -> (String, Vec<&'a [u8]>) {
    let mut sql = String::from("SELECT key, value, version FROM kv WHERE 1");
    let mut keys = Vec::with_capacity(2);
    let bounds = [bound_sql(lower, ">=", ">"), bound_sql(upper, "<=", "<")];
    for (op, key) in bounds.into_iter().flatten() {
        sql.push_str(" AND key ");
        sql.push_str(op);
        sql.push_str(" ?");
        keys.push(key);
    }
    sql.push_str(if reverse {
        " ORDER BY key DESC LIMIT ?"
    } else {
        " ORDER BY key ASC LIMIT ?"
    });
    (sql, keys)
}

const GET: &str = "SELECT key, value, version FROM kv WHERE key = ?1";

fn get_one(connection: &Connection, key: &str) -> Result<Option<Entry>, StorageError> {
    connection
        .prepare_cached(GET)
        .and_then(|mut stmt| stmt.query_row([key.as_bytes()], entry_from_row).optional())
        .or_storage_error()?
        .map(to_entry)
        .transpose()
}

impl Storage for SqliteStorage {
    fn get(&self, key: &str) -> Result<Option<Entry>, StorageError> {
        get_one(&self.db.lock(), key)
    }

    fn get_many(&self, keys: &[String]) -> Result<Vec<Option<Entry>>, StorageError> {
        let mut connection = self.db.lock();
        // One read transaction: every key is read from the same snapshot, even while other
        // processes commit.
        let tx = connection.transaction().or_storage_error()?;
        keys.iter().map(|key| get_one(&tx, key)).collect()
    }

    fn scan(
        &self,
        prefix: &str,
        start_after: Option<&str>,
        limit: u32,
        reverse: bool,
    ) -> Result<ScanPage, StorageError> {
        let done = ScanPage {
            entries: Vec::new(),
            more: false,
        };
        let Some((lower, upper)) = scan_bounds(prefix, start_after, reverse) else {
            return Ok(done);
        };
        let (sql, keys) = scan_sql(&lower, &upper, reverse);
        // One row more than asked says whether the range goes on.
        let want = limit as usize;
        let limit = i64::from(limit) + 1;
        let mut args: Vec<&dyn ToSql> = keys.iter().map(|k| k as &dyn ToSql).collect();
        args.push(&limit);

        let connection = self.db.lock();
        let rows: Vec<_> = connection
            .prepare_cached(&sql)
            .and_then(|mut stmt| {
                stmt.query_map(args.as_slice(), entry_from_row)?
                    .collect::<rusqlite::Result<_>>()
            })
            .or_storage_error()?;
        let more = rows.len() > want;
        let entries = rows
            .into_iter()
            .take(want)
            .map(to_entry)
            .collect::<Result<_, _>>()?;
        Ok(ScanPage { entries, more })
    }

    fn commit(&self, checks: &[Check], writes: &[Write]) -> Result<(), StorageError> {
        let mut connection = self.db.lock();
        // Dropping `tx` without `commit` (any early return below) rolls everything back.
        let tx = connection
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .or_storage_error()?;
        {
            let mut version_of = tx
                .prepare_cached("SELECT version FROM kv WHERE key = ?1")
                .or_storage_error()?;
            for check in checks {
                let current: Option<i64> = version_of
                    .query_row([check.key.as_bytes()], |row| row.get(0))
                    .optional()
                    .or_storage_error()?;
                let current = current.map(version_from_sql).transpose()?;
                if current != check.version {
                    return Err(StorageError::Conflict(check.key.clone()));
                }
            }
        }
        if writes.is_empty() {
            return Ok(());
        }
        let version: i64 = tx
            .query_row(
                "UPDATE kv_clock SET last_version = last_version + 1 WHERE id = 0 \
                 RETURNING last_version",
                [],
                |row| row.get(0),
            )
            .or_storage_error()?;
        {
            let mut put = tx
                .prepare_cached(
                    "INSERT INTO kv (key, value, version) VALUES (?1, ?2, ?3) \
                     ON CONFLICT (key) DO UPDATE SET value = excluded.value, \
                     version = excluded.version",
                )
                .or_storage_error()?;
            let mut delete = tx
                .prepare_cached("DELETE FROM kv WHERE key = ?1")
                .or_storage_error()?;
            for write in writes {
                match write {
                    Write::Put(p) => put.execute((p.key.as_bytes(), p.value.as_slice(), version)),
                    Write::Delete(key) => delete.execute([key.as_bytes()]),
                }
                .or_storage_error()?;
            }
        }
        tx.commit().or_storage_error()
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;

    #[test]
    fn passes_the_storage_conformance_suite() {
        let dirs = std::sync::Mutex::new(Vec::new());
        order_messages_host::conformance::check_storage(|| {
            let dir = tempfile::tempdir().unwrap();
            let store = SqliteStorage::open(dir.path().join("store.db")).unwrap();
            dirs.lock().unwrap().push(dir);
            store
        });
    }
    use order_messages_host::types::{Check, Put, Write};

    fn put(key: &str, value: &str) -> Write {
        Write::Put(Put {
            key: key.into(),
            value: value.as_bytes().to_vec(),
        })
    }

    fn must(key: &str, version: Option<u64>) -> Check {
        Check {
            key: key.into(),
            version,
        }
    }

    fn temp() -> (tempfile::TempDir, PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("harness.db");
        (dir, path)
    }

    fn version(store: &SqliteStorage, key: &str) -> u64 {
        store.get(key).unwrap().unwrap().version
    }

    /// Adds one to the number stored under `key` with a check on its version, retrying on
    /// conflict; returns how many conflicts it met.
    fn increment(store: &dyn Storage, key: &str) -> u32 {
        let mut conflicts = 0;
        loop {
            let current = store.get(key).unwrap();
            let (n, seen): (u64, _) = match &current {
                Some(e) => (
                    std::str::from_utf8(&e.value).unwrap().parse().unwrap(),
                    Some(e.version),
                ),
                None => (0, None),
            };
            // Let the other threads in between the read and the commit.
            std::thread::yield_now();
            match store.commit(&[must(key, seen)], &[put(key, &(n + 1).to_string())]) {
                Ok(()) => return conflicts,
                Err(StorageError::Conflict(k)) => {
                    assert_eq!(k, key);
                    conflicts += 1;
                }
                Err(e) => panic!("commit failed: {e:?}"),
            }
        }
    }

    fn counter(store: &dyn Storage, key: &str) -> u64 {
        let entry = store.get(key).unwrap().unwrap();
        std::str::from_utf8(&entry.value).unwrap().parse().unwrap()
    }

    #[test]
    fn the_store_can_be_shared_across_threads() {
        fn send_sync<T: Send + Sync>() {}
        send_sync::<Database>();
        send_sync::<SqliteStorage>();
    }

    #[test]
    fn sqlite_storage_exposes_its_database_and_memory_storage_none() {
        let (_dir, path) = temp();
        let storage = crate::SharedStorage::sqlite(&path).unwrap();
        let db = storage.database().expect("an SQLite store has a database");
        assert_eq!(db.path(), path);
        assert_eq!(
            db.schema_version(KV_SCHEMA.part).unwrap(),
            Some(KV_SCHEMA.version())
        );
        assert!(crate::SharedStorage::memory().database().is_none());
    }

    #[test]
    fn reopening_keeps_entries_versions_and_the_version_counter() {
        let (_dir, path) = temp();
        let (before, deleted_version) = {
            let store = SqliteStorage::open(&path).unwrap();
            store
                .commit(&[], &[put("a", "1"), put("b/é", "2")])
                .unwrap();
            store.commit(&[], &[put("gone", "x")]).unwrap();
            let deleted_version = version(&store, "gone");
            store.commit(&[], &[Write::Delete("gone".into())]).unwrap();
            (
                store.scan("", None, u32::MAX, false).unwrap().entries,
                deleted_version,
            )
        };
        let store = SqliteStorage::open(&path).unwrap();
        assert_eq!(
            store.scan("", None, u32::MAX, false).unwrap().entries,
            before
        );
        // The persisted counter: a key written after reopening gets a version above every
        // version given out before, the deleted key's included.
        store
            .commit(&[must("gone", None)], &[put("gone", "back")])
            .unwrap();
        assert!(version(&store, "gone") > deleted_version);
        let va = version(&store, "a");
        store
            .commit(&[must("a", Some(va))], &[put("a", "2")])
            .unwrap();
        assert!(version(&store, "a") > version(&store, "gone"));
    }

    #[test]
    fn a_database_with_a_newer_schema_version_is_refused() {
        let (_dir, path) = temp();
        let db = Database::open(&path).unwrap();
        SqliteStorage::on(db.clone()).unwrap();
        assert_eq!(
            db.schema_version(KV_SCHEMA.part).unwrap(),
            Some(KV_SCHEMA.version())
        );
        db.lock()
            .execute(
                "UPDATE harness_schema SET version = ?1 WHERE part = 'kv'",
                [KV_SCHEMA.version() + 1],
            )
            .unwrap();
        drop(db);

        let err = format!("{:#}", SqliteStorage::open(&path).unwrap_err());
        assert!(
            err.contains("schema version 2, newer than version 1"),
            "{err}"
        );
        assert!(err.contains("use a newer harness"), "{err}");
        assert!(err.contains(&path.display().to_string()), "{err}");
        // Refusing changed nothing.
        let db = Database::open(&path).unwrap();
        assert_eq!(db.schema_version(KV_SCHEMA.part).unwrap(), Some(2));
    }

    #[test]
    fn a_file_that_is_not_a_database_is_refused() {
        let (_dir, path) = temp();
        std::fs::write(&path, vec![b'x'; 4096]).unwrap();
        let err = format!("{:#}", SqliteStorage::open(&path).unwrap_err());
        assert!(err.contains("opening the SQLite database"), "{err}");
        assert!(err.contains("not a database"), "{err}");
    }

    #[test]
    fn the_connection_runs_in_wal_mode_with_the_chosen_durability() {
        let (_dir, path) = temp();
        let pragma = |db: &Database, name: &str| -> i64 {
            db.lock()
                .pragma_query_value(None, name, |row| row.get(0))
                .unwrap()
        };
        let db = Database::open(&path).unwrap();
        let mode: String = db
            .lock()
            .pragma_query_value(None, "journal_mode", |row| row.get(0))
            .unwrap();
        assert_eq!(mode, "wal");
        assert_eq!(pragma(&db, "synchronous"), 1, "NORMAL by default");
        assert_eq!(pragma(&db, "busy_timeout"), 5_000);
        drop(db);

        let options = SqliteOptions::default()
            .with_synchronous(Synchronous::Full)
            .with_busy_timeout(Duration::from_millis(250));
        let db = Database::open_with(&path, options.clone()).unwrap();
        assert_eq!(pragma(&db, "synchronous"), 2, "FULL");
        assert_eq!(pragma(&db, "busy_timeout"), 250);
        assert_eq!(db.options(), &options);
        assert_eq!(db.path(), path);
    }

    #[test]
    fn scans_and_gets_walk_the_primary_key_range() {
        let (_dir, path) = temp();
        let store = SqliteStorage::open(&path).unwrap();
        let plan = |sql: &str, params: usize| -> String {
            let connection = store.database().lock();
            let mut stmt = connection
                .prepare(&format!("EXPLAIN QUERY PLAN {sql}"))
                .unwrap();
            let args: Vec<&dyn ToSql> = vec![&"k"; params];
            let rows = stmt
                .query_map(args.as_slice(), |row| row.get::<_, String>(3))
                .unwrap();
            rows.map(Result::unwrap).collect::<Vec<_>>().join("; ")
        };
        for (prefix, after) in [("k", None), ("k", Some("k2")), ("", None), ("", Some("k"))] {
            for reverse in [false, true] {
                let (lower, upper) = scan_bounds(prefix, after, reverse).unwrap();
                let (sql, keys) = scan_sql(&lower, &upper, reverse);
                let plan = plan(&sql, keys.len() + 1);
                let what = format!("{prefix:?} after {after:?} reverse {reverse}: {plan}");
                assert!(
                    plan.starts_with("SEARCH kv USING PRIMARY KEY (key>"),
                    "{what}"
                );
                assert!(!plan.contains("SCAN"), "{what}");
                assert!(!plan.contains("TEMP B-TREE"), "{what}");
            }
        }
        assert_eq!(plan(GET, 1), "SEARCH kv USING PRIMARY KEY (key=?)");
    }

    const THREADS: u64 = 4;
    const EACH: u64 = 50;

    /// [`THREADS`] threads, started together, each [`increment`]ing `n` [`EACH`] times through
    /// the stores in turn; checks that no increment was lost.
    fn increment_concurrently(stores: &[Arc<SqliteStorage>]) {
        let start = Arc::new(std::sync::Barrier::new(THREADS as usize));
        let handles: Vec<_> = (0..THREADS as usize)
            .map(|i| {
                let store = stores[i % stores.len()].clone();
                let start = start.clone();
                std::thread::spawn(move || {
                    start.wait();
                    (0..EACH).map(|_| increment(&*store, "n")).sum::<u32>()
                })
            })
            .collect();
        let conflicts: u32 = handles.into_iter().map(|h| h.join().unwrap()).sum();
        for store in stores {
            let what = format!("after {conflicts} conflicts");
            assert_eq!(counter(&**store, "n"), THREADS * EACH, "{what}");
            // One new version per successful commit, none skipped by a refused one.
            assert_eq!(version(store, "n"), THREADS * EACH, "{what}");
        }
    }

    #[test]
    fn concurrent_increments_on_one_backend_are_never_lost() {
        let (_dir, path) = temp();
        increment_concurrently(&[Arc::new(SqliteStorage::open(&path).unwrap())]);
    }

    #[test]
    fn concurrent_increments_through_two_connections_are_never_lost() {
        // Two backends on one file: two connections, as two processes would have. Their
        // commits are serialised by SQLite's write lock (BEGIN IMMEDIATE + busy timeout).
        let (_dir, path) = temp();
        increment_concurrently(&[
            Arc::new(SqliteStorage::open(&path).unwrap()),
            Arc::new(SqliteStorage::open(&path).unwrap()),
        ]);
    }

    #[test]
    fn a_commit_that_cannot_get_the_write_lock_is_unavailable_and_applies_nothing() {
        let (_dir, path) = temp();
        let options = SqliteOptions::default().with_busy_timeout(Duration::from_millis(50));
        let store = SqliteStorage::open_with(&path, options).unwrap();
        store.commit(&[], &[put("a", "1")]).unwrap();
        let before = store.scan("", None, u32::MAX, false).unwrap().entries;

        // Another process holds the write lock.
        let other = Connection::open(&path).unwrap();
        other.execute_batch("BEGIN IMMEDIATE").unwrap();
        let err = store.commit(&[], &[put("b", "1")]).unwrap_err();
        assert!(
            matches!(&err, StorageError::Unavailable(m) if m.contains("locked")),
            "{err:?}"
        );
        // Readers are not blocked by a writer in WAL mode.
        assert_eq!(
            store.scan("", None, u32::MAX, false).unwrap().entries,
            before
        );
        other.execute_batch("ROLLBACK").unwrap();

        store.commit(&[], &[put("b", "1")]).unwrap();
        assert_eq!(
            store.scan("", None, u32::MAX, false).unwrap().entries.len(),
            2
        );
    }

    const NOTES_V1: Schema = Schema {
        part: "notes",
        create: "CREATE TABLE notes_sent (id TEXT PRIMARY KEY, body TEXT NOT NULL);",
        migrations: &[],
    };

    #[test]
    fn other_host_modules_keep_versioned_tables_in_the_same_file() {
        let (_dir, path) = temp();
        {
            let db = Database::open(&path).unwrap();
            let storage = crate::SharedStorage::on_database(&db).unwrap();
            db.ensure_schema(&NOTES_V1).unwrap();
            // Again: already there, nothing to do.
            db.ensure_schema(&NOTES_V1).unwrap();
            db.lock()
                .execute(
                    "INSERT INTO notes_sent (id, body) VALUES ('m1', 'hello')",
                    [],
                )
                .unwrap();
            storage.commit(&[], &[put("k", "v")]).unwrap();
        }
        let db = Database::open(&path).unwrap();
        let storage = crate::SharedStorage::on_database(&db).unwrap();
        assert_eq!(storage.get("k").unwrap().unwrap().value, b"v");
        let body: String = db
            .lock()
            .query_row("SELECT body FROM notes_sent WHERE id = 'm1'", [], |r| {
                r.get(0)
            })
            .unwrap();
        assert_eq!(body, "hello");
        assert_eq!(db.schema_version("notes").unwrap(), Some(1));
        assert_eq!(db.schema_version("nothing").unwrap(), None);
    }

    #[test]
    fn older_tables_are_migrated_step_by_step_keeping_their_rows() {
        let (_dir, path) = temp();
        let db = Database::open(&path).unwrap();
        db.ensure_schema(&NOTES_V1).unwrap();
        db.lock()
            .execute(
                "INSERT INTO notes_sent (id, body) VALUES ('m1', 'hello')",
                [],
            )
            .unwrap();
        let v3 = Schema {
            part: "notes",
            create: "CREATE TABLE notes_sent (id TEXT PRIMARY KEY, body TEXT NOT NULL,
                     lang TEXT NOT NULL DEFAULT 'en', seen INTEGER NOT NULL DEFAULT 0);",
            migrations: &[
                "ALTER TABLE notes_sent ADD COLUMN lang TEXT NOT NULL DEFAULT 'en';",
                "ALTER TABLE notes_sent ADD COLUMN seen INTEGER NOT NULL DEFAULT 0;",
            ],
        };
        db.ensure_schema(&v3).unwrap();
        assert_eq!(db.schema_version("notes").unwrap(), Some(3));
        let row: (String, String, i64) = db
            .lock()
            .query_row(
                "SELECT body, lang, seen FROM notes_sent WHERE id = 'm1'",
                [],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .unwrap();
        assert_eq!(row, ("hello".into(), "en".into(), 0));
        // The older harness now refuses the file instead of misreading it.
        let err = format!("{:#}", db.ensure_schema(&NOTES_V1).unwrap_err());
        assert!(
            err.contains("schema version 3, newer than version 1"),
            "{err}"
        );
    }

    #[test]
    fn a_failing_migration_step_changes_nothing() {
        let (_dir, path) = temp();
        let db = Database::open(&path).unwrap();
        db.ensure_schema(&NOTES_V1).unwrap();
        let broken = Schema {
            part: "notes",
            create: NOTES_V1.create,
            migrations: &[
                "ALTER TABLE notes_sent ADD COLUMN lang TEXT;",
                "ALTER TABLE no_such_table ADD COLUMN x TEXT;",
            ],
        };
        let err = format!("{:#}", db.ensure_schema(&broken).unwrap_err());
        assert!(err.contains("from schema version 2 to 3"), "{err}");
        assert_eq!(db.schema_version("notes").unwrap(), Some(1));
        let columns: i64 = db
            .lock()
            .query_row(
                "SELECT count(*) FROM pragma_table_info('notes_sent')",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(columns, 2, "the first step was rolled back with the second");
    }
}
