//! The CLI's world between invocations: one SQLite file (default `./order-messages.db`) holding
//! the addon's data (the storage import's tables), the directory (`directory_*`), the mail sent
//! log (`mail_sent`), and the CLI's own tables (schema part `cli`): a journal of every mail and
//! notification the addon handed over, and a little metadata (who created the file). Or, with
//! `--memory`, the same in memory for one run.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use rusqlite::OptionalExtension;

use super::ops::Usage;
use super::views::{DeliveriesView, MailView, PushView};
use order_messages_host::Runtime;
use order_messages_host::types::{Actor, Mail};
use order_messages_platform::{Clock, Database, Platform, Push, Schema, Session, SharedStorage};

/// The default database file, in the working directory.
pub const DEFAULT_DB: &str = "order-messages.db";

/// The CLI's own tables (part `cli`).
pub const CLI_SCHEMA: Schema = Schema {
    part: "cli",
    create: CLI_TABLES,
    migrations: &[],
};

const CLI_TABLES: &str = "
CREATE TABLE cli_meta (
    key TEXT PRIMARY KEY NOT NULL,
    value TEXT NOT NULL
);
CREATE TABLE cli_mail (
    position INTEGER PRIMARY KEY,
    key TEXT UNIQUE NOT NULL,
    order_id TEXT NOT NULL,
    recipients TEXT NOT NULL,
    subject TEXT NOT NULL,
    text_body TEXT NOT NULL,
    html_body TEXT NOT NULL,
    captured_at INTEGER NOT NULL
);
CREATE TABLE cli_notifications (
    position INTEGER PRIMARY KEY,
    key TEXT UNIQUE NOT NULL,
    recipients TEXT NOT NULL,
    event TEXT NOT NULL,
    summary TEXT NOT NULL,
    captured_at INTEGER NOT NULL
);
";

/// Where the state lives.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Location {
    /// A database file.
    File(PathBuf),
    /// Memory, for this run only.
    Memory,
}

impl Location {
    /// `./order-messages.db`-style text for messages.
    pub fn describe(&self) -> String {
        match self {
            Location::File(p) => p.display().to_string(),
            Location::Memory => "the in-memory store".into(),
        }
    }
}

/// How to open the state.
#[derive(Clone, Debug)]
pub struct OpenOptions {
    /// Where.
    pub location: Location,
    /// Create the file when it does not exist (otherwise that is an error).
    pub create: bool,
    /// Keep the mail sent log in the file (off while seeding, which clears its captures).
    pub durable_mail: bool,
    /// The clock the addon reads.
    pub clock: Clock,
}

/// An order a command line named ([`Workspace::resolve_order`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ResolvedOrder {
    /// The order id to pass to the addon.
    pub id: String,
    /// The order number it was named by, if it was not named by its id.
    pub number: Option<String>,
}

impl ResolvedOrder {
    fn id(id: &str) -> Self {
        Self {
            id: id.to_owned(),
            number: None,
        }
    }

    /// What a command says when the order was named by its number: `order 1001 is o1`.
    pub fn note(&self) -> Option<String> {
        let number = self.number.as_ref()?;
        Some(format!("order {number} is `{}`", self.id))
    }
}

/// The platform of one CLI invocation (or web admin) over its state.
pub struct Workspace {
    /// The platform: storage, directory, mail, notifications, clock.
    pub platform: Platform,
    /// The database file, unless in memory.
    pub db: Option<Database>,
    /// Where the state lives.
    pub location: Location,
}

impl Workspace {
    /// Opens the state at `options.location` and loads the directory.
    pub fn open(options: OpenOptions) -> Result<Self> {
        let platform = Platform::new().with_clock(options.clock);
        let (platform, db) = match &options.location {
            Location::Memory => (platform, None),
            Location::File(path) => {
                if !options.create && !path.exists() {
                    bail!(
                        "{} does not exist: create it with `demo` or `seed`, or add to its \
                         directory with `directory add-…`, or choose another file with --db",
                        path.display()
                    );
                }
                let db = Database::open(path)?;
                let platform = platform.with_storage(SharedStorage::on_database(&db)?);
                db.ensure_schema(&CLI_SCHEMA)?;
                platform.directory.load(&db)?;
                if options.durable_mail {
                    platform.mail.keep_sent_log_in(&db)?;
                }
                tracing::debug!(
                    path = %path.display(),
                    orders = platform.directory.orders().len(),
                    "opened the database"
                );
                (platform, Some(db))
            }
        };
        Ok(Self {
            platform,
            db,
            location: options.location,
        })
    }

    /// A session of `runtime`'s addon over this workspace's platform.
    pub fn session(&self, runtime: &Runtime<Platform>) -> Result<Session> {
        self.platform.session_with(runtime)
    }

    /// The user `user_id` as the directory knows them; a [`Usage`] error naming some users it
    /// knows when it does not know them.
    pub fn actor(&self, user_id: &str) -> Result<Actor> {
        if let Some(actor) = self.platform.directory.actor(user_id) {
            return Ok(actor);
        }
        let known: Vec<String> = (self.platform.directory.users().into_iter())
            .take(12)
            .map(|a| a.id)
            .collect();
        let text = if known.is_empty() {
            format!(
                "no user `{user_id}`: the directory of {} is empty ({})",
                self.location.describe(),
                self.how_to_fill()
            )
        } else {
            format!(
                "no user `{user_id}` in the directory of {} (known: {}{})",
                self.location.describe(),
                known.join(", "),
                if known.len() == 12 { ", …" } else { "" }
            )
        };
        Err(Usage(text).into())
    }

    /// What fills an empty directory here: a command that writes the file, or for an in-memory
    /// store (which starts empty and lasts one command), a file instead.
    pub fn how_to_fill(&self) -> &'static str {
        match self.location {
            Location::File(_) => "run `demo` or `seed`",
            Location::Memory => {
                "an in-memory store starts empty and lasts one command: run `demo` or `seed` \
                 without --memory to fill a database file"
            }
        }
    }

    /// The order a command line names: `given` when it is an order id of the directory, else
    /// the one order whose number (as tables, mail and the demo show it: `1001`) it is. Neither:
    /// `given` unchanged, for the addon to answer (it never tells whether an order exists
    /// that the actor may not reach). A number several orders share is a [`Usage`] error
    /// listing them.
    pub fn resolve_order(&self, given: &str) -> Result<ResolvedOrder> {
        let directory = &self.platform.directory;
        if directory.order(given).is_some() {
            return Ok(ResolvedOrder::id(given));
        }
        let mut ids = directory.orders_numbered(given);
        match ids.len() {
            0 => Ok(ResolvedOrder::id(given)),
            1 => Ok(ResolvedOrder {
                id: ids.remove(0),
                number: Some(given.to_owned()),
            }),
            n => {
                let listed = ids.iter().take(12).cloned().collect::<Vec<_>>().join(", ");
                let more = if n > 12 { ", …" } else { "" };
                Err(Usage(format!(
                    "order number {given} is ambiguous: {n} orders have it ({listed}{more}); \
                     give the order id"
                ))
                .into())
            }
        }
    }

    /// Saves the directory (a no-op in memory).
    pub fn save_directory(&self) -> Result<()> {
        match &self.db {
            Some(db) => self.platform.directory.save(db),
            None => Ok(()),
        }
    }

    /// Whether the state holds anything: addon data or a directory entry.
    pub fn has_data(&self) -> Result<bool> {
        let stored = self
            .platform
            .storage
            .backend()
            .scan("", None, 1, false)
            .map_err(|e| anyhow::anyhow!("reading the store: {e:?}"))?;
        Ok(!stored.entries.is_empty() || !self.platform.directory.is_empty())
    }

    /// A value of the CLI's metadata (e.g. `origin`: `demo`, `seed`, `manual`).
    pub fn meta(&self, key: &str) -> Result<Option<String>> {
        let Some(db) = &self.db else {
            return Ok(None);
        };
        Ok(db
            .lock()
            .query_row("SELECT value FROM cli_meta WHERE key = ?1", [key], |r| {
                r.get(0)
            })
            .optional()?)
    }

    /// Sets a value of the CLI's metadata.
    pub fn set_meta(&self, key: &str, value: &str) -> Result<()> {
        if let Some(db) = &self.db {
            db.lock().execute(
                "INSERT INTO cli_meta (key, value) VALUES (?1, ?2)
                 ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                (key, value),
            )?;
        }
        Ok(())
    }

    /// Takes the mails and notifications delivered since the last call, records them in the
    /// journal (in the file), and returns them.
    pub fn take_deliveries(&self) -> Result<(Vec<Mail>, Vec<Push>)> {
        let mails = self.platform.mail.take_new();
        let pushes = self.platform.notifications.take_new();
        if let Some(db) = &self.db {
            journal(db, self.platform.clock.now_millis(), &mails, &pushes)?;
        }
        Ok((mails, pushes))
    }

    /// [`Workspace::take_deliveries`] as a view.
    pub fn take_deliveries_view(&self) -> Result<DeliveriesView> {
        let (mails, pushes) = self.take_deliveries()?;
        Ok(DeliveriesView {
            mails: mails.iter().map(MailView::from).collect(),
            notifications: pushes.iter().map(PushView::from).collect(),
        })
    }

    /// Every mail in the journal, oldest first, with when it was captured.
    pub fn journal_mails(&self) -> Result<Vec<(Mail, i64)>> {
        let Some(db) = &self.db else {
            let now = self.platform.clock.now_millis();
            return Ok(self
                .platform
                .mail
                .all()
                .into_iter()
                .map(|m| (m, now))
                .collect());
        };
        let connection = db.lock();
        let mut statement = connection.prepare(
            "SELECT key, order_id, recipients, subject, text_body, html_body, captured_at
             FROM cli_mail ORDER BY position",
        )?;
        let rows = statement.query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, String>(3)?,
                r.get::<_, String>(4)?,
                r.get::<_, String>(5)?,
                r.get::<_, i64>(6)?,
            ))
        })?;
        let mut mails = Vec::new();
        for row in rows {
            let (key, order_id, recipients, subject, text_body, html_body, at) = row?;
            let recipients: Vec<String> = serde_json::from_str(&recipients)
                .with_context(|| format!("reading the recipients of mail {key}"))?;
            mails.push((
                Mail {
                    recipients,
                    order_id,
                    subject,
                    text_body,
                    html_body,
                    idempotency_key: key,
                },
                at,
            ));
        }
        Ok(mails)
    }

    /// Every notification in the journal, oldest first: key, recipients, event name, summary,
    /// when captured.
    pub fn journal_notifications(&self) -> Result<Vec<(PushView, i64)>> {
        let Some(db) = &self.db else {
            let now = self.platform.clock.now_millis();
            return Ok(self
                .platform
                .notifications
                .all()
                .iter()
                .map(|p| (PushView::from(p), now))
                .collect());
        };
        let connection = db.lock();
        let mut statement = connection.prepare(
            "SELECT key, recipients, event, summary, captured_at
             FROM cli_notifications ORDER BY position",
        )?;
        let rows = statement.query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, String>(3)?,
                r.get::<_, i64>(4)?,
            ))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (key, recipients, event, summary, at) = row?;
            let recipients: Vec<String> = serde_json::from_str(&recipients)?;
            let event = super::views::EVENT_NAMES
                .iter()
                .find(|e| **e == event)
                .copied()
                .unwrap_or("unknown");
            out.push((
                PushView {
                    key,
                    recipients,
                    event,
                    summary,
                },
                at,
            ));
        }
        Ok(out)
    }
}

fn journal(db: &Database, now: i64, mails: &[Mail], pushes: &[Push]) -> Result<()> {
    if mails.is_empty() && pushes.is_empty() {
        return Ok(());
    }
    let mut connection = db.lock();
    let tx = connection.transaction()?;
    {
        let mut mail = tx.prepare(
            "INSERT OR IGNORE INTO cli_mail (key, order_id, recipients, subject, text_body,
             html_body, captured_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        )?;
        for m in mails {
            mail.execute((
                &m.idempotency_key,
                &m.order_id,
                serde_json::to_string(&m.recipients)?,
                &m.subject,
                &m.text_body,
                &m.html_body,
                now,
            ))?;
        }
        let mut push = tx.prepare(
            "INSERT OR IGNORE INTO cli_notifications (key, recipients, event, summary,
             captured_at) VALUES (?1, ?2, ?3, ?4, ?5)",
        )?;
        for p in pushes {
            let view = PushView::from(p);
            push.execute((
                &view.key,
                serde_json::to_string(&view.recipients)?,
                view.event,
                &view.summary,
                now,
            ))?;
        }
    }
    tx.commit()?;
    Ok(())
}

/// Deletes the database file at `path` and its WAL and shared-memory files, if present.
pub fn remove_database(path: &Path) -> Result<()> {
    for suffix in ["", "-wal", "-shm"] {
        let mut name = path.as_os_str().to_owned();
        name.push(suffix);
        let file = PathBuf::from(name);
        match std::fs::remove_file(&file) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(e).with_context(|| format!("removing {}", file.display())),
        }
    }
    Ok(())
}
