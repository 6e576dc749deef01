//! The sent log: which copy of which mail went to whom, recorded once the mail server (or,
//! without one, the capture) accepted it. It is what makes mail at most once per idempotency key
//! and recipient, also across a real SMTP hop and, with a persistent log, across processes.

use std::collections::HashMap;
use std::fmt::Debug;

use anyhow::{Context, Result};
use rusqlite::Row;

use super::sqlite::{Database, Schema};

/// One accepted copy of a mail: one recipient's.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct SentCopy {
    /// The mail's idempotency key.
    pub key: String,
    /// The recipient.
    pub user_id: String,
    /// The recipient's address as written in `To:`, e.g. `Ann <ann@shop.test>`.
    pub to: String,
    /// The sender as written in `From:`.
    pub from: String,
    /// When it was sent (the `Date:` header), in Unix milliseconds, whole seconds.
    pub sent_at: i64,
    /// The SMTP server that accepted it (`host:port`), or `None` if it was only captured.
    pub via: Option<String>,
}

/// Where sent copies are recorded. The in-memory [`MemorySentLog`] is the default;
/// [`SqliteSentLog`] keeps them in the store's database file, so mail stays at most once per
/// key and recipient across restarts.
///
/// A copy is recorded after the server accepted it; a failure to record it makes the send
/// report `unavailable`, so that copy may go out again on the retry.
pub trait SentLog: Send + Debug {
    /// The copies of the mail `key` sent so far.
    fn copies(&self, key: &str) -> Result<Vec<SentCopy>>;
    /// Records an accepted copy. Recording the same key and user again replaces it.
    fn record(&mut self, copy: &SentCopy) -> Result<()>;
    /// Every copy, in the order recorded.
    fn all(&self) -> Result<Vec<SentCopy>>;
    /// Forgets every copy.
    fn clear(&mut self) -> Result<()>;
}

/// A [`SentLog`] in memory.
#[derive(Debug, Default)]
pub struct MemorySentLog {
    copies: Vec<SentCopy>,
    /// Key → positions in `copies`.
    by_key: HashMap<String, Vec<usize>>,
}

impl MemorySentLog {
    /// An empty log.
    pub fn new() -> Self {
        Self::default()
    }
}

impl SentLog for MemorySentLog {
    fn copies(&self, key: &str) -> Result<Vec<SentCopy>> {
        let positions = self.by_key.get(key).map(Vec::as_slice).unwrap_or_default();
        Ok(positions.iter().map(|&i| self.copies[i].clone()).collect())
    }

    fn record(&mut self, copy: &SentCopy) -> Result<()> {
        let positions = self.by_key.entry(copy.key.clone()).or_default();
        match positions
            .iter()
            .find(|&&i| self.copies[i].user_id == copy.user_id)
        {
            Some(&i) => self.copies[i] = copy.clone(),
            None => {
                positions.push(self.copies.len());
                self.copies.push(copy.clone());
            }
        }
        Ok(())
    }

    fn all(&self) -> Result<Vec<SentCopy>> {
        Ok(self.copies.clone())
    }

    fn clear(&mut self) -> Result<()> {
        self.copies.clear();
        self.by_key.clear();
        Ok(())
    }
}

/// [`SqliteSentLog`]'s table in a [`Database`] (part `mail`).
pub const MAIL_SCHEMA: Schema = Schema {
    part: "mail",
    create: MAIL_TABLES,
    migrations: &[],
};

/// One row per accepted copy; `id` keeps the order recorded, the unique index finds a key's
/// copies (and makes recording a copy again an update).
const MAIL_TABLES: &str = "
CREATE TABLE mail_sent (
    id INTEGER PRIMARY KEY,
    key TEXT NOT NULL,
    user_id TEXT NOT NULL,
    to_address TEXT NOT NULL,
    from_address TEXT NOT NULL,
    sent_at INTEGER NOT NULL,
    via TEXT,
    UNIQUE (key, user_id)
);";

const COLUMNS: &str = "key, user_id, to_address, from_address, sent_at, via";

/// A [`SentLog`] in a table (`mail_sent`, schema [`MAIL_SCHEMA`]) of the harness's
/// SQLite [`Database`], beside the store's. Each copy is one autocommitted row, written before
/// `send` returns.
#[derive(Clone, Debug)]
pub struct SqliteSentLog {
    db: Database,
}

impl SqliteSentLog {
    /// The log in `db`, creating its table if the file has none (and refusing a file whose
    /// table a newer harness wrote).
    pub fn on(db: &Database) -> Result<Self> {
        db.ensure_schema(&MAIL_SCHEMA)?;
        Ok(Self { db: db.clone() })
    }

    fn query(&self, sql: &str, key: Option<&str>) -> Result<Vec<SentCopy>> {
        let connection = self.db.lock();
        let mut statement = connection.prepare_cached(sql)?;
        let rows = match key {
            Some(key) => statement.query_map([key], copy_from_row)?,
            None => statement.query_map([], copy_from_row)?,
        };
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }
}

fn copy_from_row(row: &Row<'_>) -> rusqlite::Result<SentCopy> {
    Ok(SentCopy {
        key: row.get(0)?,
        user_id: row.get(1)?,
        to: row.get(2)?,
        from: row.get(3)?,
        sent_at: row.get(4)?,
        via: row.get(5)?,
    })
}

impl SentLog for SqliteSentLog {
    fn copies(&self, key: &str) -> Result<Vec<SentCopy>> {
        self.query(
            &format!("SELECT {COLUMNS} FROM mail_sent WHERE key = ?1 ORDER BY id"),
            Some(key),
        )
        .context("reading the mail sent log")
    }

    fn record(&mut self, copy: &SentCopy) -> Result<()> {
        self.db
            .lock()
            .prepare_cached(&format!(
                "INSERT INTO mail_sent ({COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6)
                 ON CONFLICT (key, user_id) DO UPDATE SET to_address = excluded.to_address,
                   from_address = excluded.from_address, sent_at = excluded.sent_at,
                   via = excluded.via"
            ))?
            .execute((
                &copy.key,
                &copy.user_id,
                &copy.to,
                &copy.from,
                copy.sent_at,
                &copy.via,
            ))
            .context("recording a copy in the mail sent log")?;
        Ok(())
    }

    fn all(&self) -> Result<Vec<SentCopy>> {
        self.query(
            &format!("SELECT {COLUMNS} FROM mail_sent ORDER BY id"),
            None,
        )
        .context("reading the mail sent log")
    }

    fn clear(&mut self) -> Result<()> {
        self.db
            .lock()
            .execute("DELETE FROM mail_sent", [])
            .context("clearing the mail sent log")?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn copy(key: &str, user: &str, at: i64) -> SentCopy {
        SentCopy {
            key: key.into(),
            user_id: user.into(),
            to: format!("{user}@example.test"),
            from: "shop@example.test".into(),
            sent_at: at,
            via: (at % 2 == 0).then(|| "127.0.0.1:25".to_owned()),
        }
    }

    fn copies_are_kept_per_key_and_user(log: &mut dyn SentLog) {
        log.record(&copy("k1", "a", 1)).unwrap();
        log.record(&copy("k2", "a", 2)).unwrap();
        log.record(&copy("k1", "b", 3)).unwrap();
        log.record(&copy("k1", "a", 4)).unwrap();
        let k1 = log.copies("k1").unwrap();
        assert_eq!(k1, vec![copy("k1", "a", 4), copy("k1", "b", 3)]);
        assert!(log.copies("k3").unwrap().is_empty());
        assert_eq!(
            log.all().unwrap(),
            vec![copy("k1", "a", 4), copy("k2", "a", 2), copy("k1", "b", 3)]
        );
        log.clear().unwrap();
        assert!(log.all().unwrap().is_empty() && log.copies("k1").unwrap().is_empty());
    }

    #[test]
    fn memory_log_keeps_copies_per_key_and_user() {
        copies_are_kept_per_key_and_user(&mut MemorySentLog::new());
    }

    #[test]
    fn sqlite_log_keeps_copies_per_key_and_user() {
        let dir = tempfile::tempdir().unwrap();
        let db = Database::open(dir.path().join("harness.db")).unwrap();
        copies_are_kept_per_key_and_user(&mut SqliteSentLog::on(&db).unwrap());
    }

    #[test]
    fn sqlite_log_survives_reopening_beside_the_store() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("harness.db");
        {
            let db = Database::open(&path).unwrap();
            let _storage = crate::SharedStorage::on_database(&db).unwrap();
            let mut log = SqliteSentLog::on(&db).unwrap();
            log.record(&copy("k1", "a", 1)).unwrap();
            log.record(&copy("k1", "b", 2)).unwrap();
        }
        let db = Database::open(&path).unwrap();
        let log = SqliteSentLog::on(&db).unwrap();
        assert_eq!(
            log.copies("k1").unwrap(),
            vec![copy("k1", "a", 1), copy("k1", "b", 2)]
        );
        assert_eq!(
            db.schema_version(MAIL_SCHEMA.part).unwrap(),
            Some(MAIL_SCHEMA.version())
        );
    }
}
