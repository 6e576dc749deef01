//! The version of the addon's key layout, so that a later addon can migrate stored data.

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

/// Make sure the stored data uses [`VERSION`]: record it in an empty store, refuse data from
/// a newer addon. (Version 1 is the first layout, so there is nothing to migrate yet.)
pub fn ensure(store: &dyn Store) -> Result<u32> {
    match tx::read::<SchemaRecord>(store, keys::SCHEMA)? {
        Some(r) if r.version > VERSION => Err(Error::InvalidState(format!(
            "the stored data has schema version {}, newer than this addon's {VERSION}; \
             upgrade the addon",
            r.version
        ))),
        Some(r) => Ok(r.version),
        None => {
            let write = Write {
                key: keys::SCHEMA.to_string(),
                value: Some(tx::encode(&SchemaRecord { version: VERSION })),
            };
            let absent = Check {
                key: keys::SCHEMA.to_string(),
                version: None,
            };
            match store.commit(&[absent], &[write]) {
                // Another instance recorded it first: same version.
                Ok(()) | Err(StoreError::Conflict(_)) => Ok(VERSION),
                Err(e) => Err(storage_error(e)),
            }
        }
    }
}
