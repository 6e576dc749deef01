//! The version of the addon's key layout, so that a later addon can migrate stored data, and
//! the guard that keeps this addon off data a newer one has written.
//!
//! The version record is written with the first change the addon commits (or by an explicit
//! `schema-version` call), never by a read or a refused call, so that a refused call leaves the
//! store exactly as it was.
//!
//! [`Guard`] wraps the host's store for the length of one call. It learns the stored version
//! from the call's first read (the record's key rides along with the first `get-many`, so this
//! costs no extra host call in most operations), refuses the call with `invalid-state` if the
//! data is newer than this addon, and adds a check on the version record to every commit. So
//! during a rolling upgrade an instance of the older addon cannot write into upgraded data even
//! if the upgrade lands between its reads and its commit: the commit's check fails, the retry
//! reads the new version and is refused. Nothing is remembered between calls, so one instance
//! may serve several stores.

use std::cell::Cell;

use serde::{Deserialize, Serialize};

use super::error::{Error, Result};
use super::keys;
use super::ports::{Check, Entry, Page, Store, StoreError, Write};
use super::tx;

/// The layout this build reads and writes.
pub const VERSION: u32 = 2;

/// The stored version record: JSON, whatever the layout, so that every version of the addon
/// can read it.
#[derive(Serialize, Deserialize)]
struct SchemaRecord {
    version: u32,
    /// Set while `migrate` upgrades data of this older version (see `migrate`): the store
    /// holds both layouts, and only `migrate` and `schema-version` may touch it. (An addon that
    /// predates the field reads the record as `version`, newer than itself, and refuses.)
    #[serde(default, skip_serializing_if = "Option::is_none")]
    migrating_from: Option<u32>,
}

/// The refusal for data written by another version of the addon: a newer one, or an older one
/// until `migrate` has upgraded it.
pub fn other_version(stored: u32) -> Error {
    if stored > VERSION {
        Error::InvalidState(format!(
            "the stored data has schema version {stored}, newer than this addon's {VERSION}; \
             upgrade the addon"
        ))
    } else {
        Error::InvalidState(format!(
            "the stored data has schema version {stored}, older than this addon's {VERSION}; \
             run maintenance.migrate until it is done"
        ))
    }
}

/// The version record's bytes for data of `version`.
pub fn record_bytes(version: u32) -> Vec<u8> {
    encode_record(SchemaRecord {
        version,
        migrating_from: None,
    })
}

/// The version record's bytes while data of version `from` is being migrated to this one.
pub fn migrating_record_bytes(from: u32) -> Vec<u8> {
    encode_record(SchemaRecord {
        version: VERSION,
        migrating_from: Some(from),
    })
}

fn encode_record(record: SchemaRecord) -> Vec<u8> {
    serde_json::to_vec(&record).expect("a record always serializes")
}

/// The stored record's layout version, and the version being migrated from if a migration is
/// under way.
pub fn stored(entry: &Entry) -> Result<(u32, Option<u32>)> {
    serde_json::from_slice::<SchemaRecord>(&entry.value)
        .map(|r| (r.version, r.migrating_from))
        .map_err(|e| Error::Storage(format!("corrupt schema record: {e}")))
}

/// The version of the data a stored record describes: while a migration is under way, the
/// version it started from (the data is not upgraded until it is done).
pub fn version_of(entry: &Entry) -> Result<u32> {
    stored(entry).map(|(version, from)| from.unwrap_or(version))
}

/// What a [`Guard`] has seen of the version record during its call.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Seen {
    /// Not read yet (or read before a commit that may have changed it).
    Unknown,
    /// Absent: the store holds no addon data yet.
    Absent,
    /// Present at this storage version, recording a layout this addon reads.
    Present(u64),
}

/// The host's store for one call, guarded by the stored schema version (see the module docs).
pub struct Guard<'a> {
    inner: &'a dyn Store,
    seen: Cell<Seen>,
    /// Whether data of an older layout is let through (for `migrate` and `schema-version`).
    allow_older: bool,
}

impl<'a> Guard<'a> {
    /// Guard `inner` for one call.
    pub fn new(inner: &'a dyn Store) -> Self {
        Guard {
            inner,
            seen: Cell::new(Seen::Unknown),
            allow_older: false,
        }
    }

    /// Guard `inner` for a call that handles data of an older layout itself (`migrate`).
    pub fn allowing_older(inner: &'a dyn Store) -> Self {
        Guard {
            allow_older: true,
            ..Guard::new(inner)
        }
    }

    /// Take in the version record as read (`None`: absent).
    fn observe(&self, entry: Option<&Entry>) -> Result<(), StoreError> {
        let seen = match entry {
            None => Seen::Absent,
            Some(entry) => {
                let version = version_of(entry).map_err(|e| StoreError::Failed(e.to_string()))?;
                if version != VERSION && !(self.allow_older && version < VERSION) {
                    return Err(StoreError::OtherSchema(version));
                }
                Seen::Present(entry.version)
            }
        };
        self.seen.set(seen);
        Ok(())
    }

    /// Read the version record now if this call has not.
    fn ensure_seen(&self) -> Result<Seen, StoreError> {
        if self.seen.get() == Seen::Unknown {
            let entry = self.inner.get(keys::SCHEMA)?;
            self.observe(entry.as_ref())?;
        }
        Ok(self.seen.get())
    }

    /// The schema version of the stored data, recording the current one in a store without
    /// addon data (older data is reported as it is: `migrate` upgrades it).
    pub fn ensure_recorded(&self) -> Result<u32> {
        if self.ensure_seen().map_err(tx::storage_error)? == Seen::Absent {
            match self.commit(&[], &[]) {
                // Another instance recorded it first: the same version, or the retry below
                // finds a newer one.
                Ok(()) | Err(StoreError::Conflict(_)) => {}
                Err(e) => return Err(tx::storage_error(e)),
            }
        }
        let entry = self.inner.get(keys::SCHEMA).map_err(tx::storage_error)?;
        self.observe(entry.as_ref()).map_err(tx::storage_error)?;
        entry.as_ref().map_or(Ok(VERSION), version_of)
    }
}

impl Store for Guard<'_> {
    fn get(&self, key: &str) -> Result<Option<Entry>, StoreError> {
        Ok(self.get_many(&[key.to_string()])?.pop().flatten())
    }

    fn get_many(&self, keys: &[String]) -> Result<Vec<Option<Entry>>, StoreError> {
        if self.seen.get() != Seen::Unknown {
            return self.inner.get_many(keys);
        }
        let mut with_schema = keys.to_vec();
        with_schema.push(keys::SCHEMA.to_string());
        let mut entries = self.inner.get_many(&with_schema)?;
        let schema = entries.pop().flatten();
        self.observe(schema.as_ref())?;
        Ok(entries)
    }

    fn scan(
        &self,
        prefix: &str,
        start_after: Option<&str>,
        limit: u32,
        reverse: bool,
    ) -> Result<Page, StoreError> {
        self.ensure_seen()?;
        self.inner.scan(prefix, start_after, limit, reverse)
    }

    /// Commit with a check that the version record is as this call saw it; the first commit
    /// into a store without addon data also writes the record. An empty commit of a store that
    /// has the record is not sent.
    fn commit(&self, checks: &[Check], writes: &[Write]) -> Result<(), StoreError> {
        let seen = self.ensure_seen()?;
        if writes.is_empty() && seen != Seen::Absent {
            return Ok(());
        }
        let mut checks = checks.to_vec();
        let mut writes = writes.to_vec();
        checks.retain(|c| c.key != keys::SCHEMA);
        writes.retain(|w| w.key != keys::SCHEMA);
        match seen {
            Seen::Present(version) => checks.push(Check {
                key: keys::SCHEMA.to_string(),
                version: Some(version),
            }),
            Seen::Absent | Seen::Unknown => {
                checks.push(Check {
                    key: keys::SCHEMA.to_string(),
                    version: None,
                });
                writes.push(Write {
                    key: keys::SCHEMA.to_string(),
                    value: Some(record_bytes(VERSION)),
                });
            }
        }
        let result = self.inner.commit(&checks, &writes);
        if result.is_err() || seen == Seen::Absent {
            // A conflict may be the record itself changing, and a commit that wrote the record
            // gave it a version we do not know: read it again before the next commit.
            self.seen.set(Seen::Unknown);
        }
        result
    }
}
