//! The version of the addon's key layout, so that a later addon can migrate stored data.
//!
//! The version record is written with the first change the addon commits (or by an explicit
//! `schema-version` call), never by a read or a refused call, so that a refused call leaves the
//! store exactly as it was.

use std::sync::atomic::{AtomicBool, Ordering};

use serde::{Deserialize, Serialize};

use super::error::{Error, Result};
use super::keys;
use super::ports::{Check, Store, StoreError, Write};
use super::tx::{self, storage_error};

/// The layout this build reads and writes.
pub const VERSION: u32 = 1;

#[derive(Serialize, Deserialize)]
struct SchemaRecord {
    version: u32,
}

/// What one addon instance has learnt about the stored schema record.
#[derive(Debug, Default)]
pub struct SchemaState {
    checked: AtomicBool,
    recorded: AtomicBool,
}

impl SchemaState {
    pub const fn new() -> Self {
        SchemaState {
            checked: AtomicBool::new(false),
            recorded: AtomicBool::new(false),
        }
    }

    /// Whether the store is known to hold the version record.
    pub fn is_recorded(&self) -> bool {
        self.recorded.load(Ordering::Relaxed)
    }

    pub fn set_recorded(&self) {
        self.recorded.store(true, Ordering::Relaxed);
    }

    /// Refuse data written by a newer addon (once per instance; reads only).
    pub fn check(&self, store: &dyn Store) -> Result<()> {
        if self.checked.load(Ordering::Relaxed) {
            return Ok(());
        }
        if let Some(version) = stored(store)? {
            self.set_recorded();
            if version > VERSION {
                return Err(Error::InvalidState(format!(
                    "the stored data has schema version {version}, newer than this addon's \
                     {VERSION}; upgrade the addon"
                )));
            }
        }
        self.checked.store(true, Ordering::Relaxed);
        Ok(())
    }

    /// Record the version now if it is not recorded yet; returns the stored version.
    /// (Version 1 is the first layout, so there is nothing to migrate yet.)
    pub fn ensure_recorded(&self, store: &dyn Store) -> Result<u32> {
        self.check(store)?;
        if !self.is_recorded() {
            match store.commit(&[absent()], &[record()]) {
                // Another instance recorded it first: the same version.
                Ok(()) | Err(StoreError::Conflict(_)) => self.set_recorded(),
                Err(e) => return Err(storage_error(e)),
            }
        }
        Ok(stored(store)?.unwrap_or(VERSION))
    }
}

fn stored(store: &dyn Store) -> Result<Option<u32>> {
    Ok(tx::read::<SchemaRecord>(store, keys::SCHEMA)?.map(|r| r.version))
}

/// The commit check that the version record is not there yet.
pub fn absent() -> Check {
    Check {
        key: keys::SCHEMA.to_string(),
        version: None,
    }
}

/// The write of the version record.
pub fn record() -> Write {
    Write {
        key: keys::SCHEMA.to_string(),
        value: Some(tx::encode(&SchemaRecord { version: VERSION })),
    }
}
