//! Optimistic transactions over the host's store.
//!
//! A [`Tx`] remembers the version of every key it reads with [`Tx::get`] and buffers its
//! writes; [`transact`] commits them with one check per read key, so the commit applies only if
//! nothing it depended on changed meanwhile. On a conflict the whole closure runs again on fresh
//! data, a bounded number of times.

use std::collections::BTreeMap;

use serde::Serialize;
use serde::de::DeserializeOwned;

use super::error::{Error, Result};
use super::ports::{Check, Entry, Env, Page, Store, StoreError, Write};
use super::records;
use super::schema;

/// How many times an operation is attempted before giving up with `conflict`.
pub const MAX_ATTEMPTS: u32 = 12;

pub fn storage_error(e: StoreError) -> Error {
    match e {
        StoreError::Conflict(key) => Error::Conflict(format!("concurrent update of {key}")),
        StoreError::Unavailable(m) => Error::Storage(format!("storage unavailable: {m}")),
        StoreError::Failed(m) => Error::Storage(m),
        StoreError::OtherSchema(version) => schema::other_version(version),
    }
}

pub fn decode<T: DeserializeOwned>(entry: &Entry) -> Result<T> {
    records::decode(&entry.key, &entry.value)
}

pub fn encode<T: Serialize>(value: &T) -> Vec<u8> {
    records::encode(value)
}

/// Read one record outside a transaction.
pub fn read<T: DeserializeOwned>(store: &dyn Store, key: &str) -> Result<Option<T>> {
    store
        .get(key)
        .map_err(storage_error)?
        .map(|e| decode(&e))
        .transpose()
}

/// Read several records outside a transaction.
pub fn read_many<T: DeserializeOwned>(
    store: &dyn Store,
    keys: &[String],
) -> Result<Vec<Option<T>>> {
    if keys.is_empty() {
        return Ok(Vec::new());
    }
    let entries = store.get_many(keys).map_err(storage_error)?;
    entries
        .iter()
        .map(|e| e.as_ref().map(decode).transpose())
        .collect()
}

/// Scan calls one [`scan`] makes at most to fill a page (a store may return short pages).
const SCAN_CALLS: u32 = 4;

/// Scan outside a transaction: up to `limit` entries, asking again while the store returns
/// short pages with `more` set (at most [`SCAN_CALLS`] calls); `more` says whether the range
/// may hold more after the last entry returned.
pub fn scan(
    store: &dyn Store,
    prefix: &str,
    start_after: Option<&str>,
    limit: u32,
    reverse: bool,
) -> Result<Page> {
    let mut page = Page::default();
    let mut after = start_after.map(str::to_string);
    for _ in 0..SCAN_CALLS {
        let want = limit - page.entries.len() as u32;
        let got = store
            .scan(prefix, after.as_deref(), want, reverse)
            .map_err(storage_error)?;
        if got.entries.len() > want as usize {
            return Err(Error::Storage(format!(
                "the store returned {} entries for a scan of {want}",
                got.entries.len()
            )));
        }
        after = got.entries.last().map(|e| e.key.clone()).or(after);
        page.entries.extend(got.entries);
        page.more = got.more;
        if !page.more || page.entries.len() == limit as usize {
            break;
        }
    }
    Ok(page)
}

/// A transaction in progress: tracked reads and buffered writes.
pub struct Tx<'a> {
    store: &'a dyn Store,
    /// Every key read, as it was (None: absent); each becomes a commit check on its version.
    reads: BTreeMap<String, Option<Entry>>,
    /// Pending writes in order of keys (None: delete). Later writes replace earlier ones.
    writes: BTreeMap<String, Option<Vec<u8>>>,
}

impl<'a> Tx<'a> {
    fn new(store: &'a dyn Store) -> Self {
        Tx {
            store,
            reads: BTreeMap::new(),
            writes: BTreeMap::new(),
        }
    }

    pub fn store(&self) -> &'a dyn Store {
        self.store
    }

    /// Read a record; the commit will fail if it changes before then. Sees this
    /// transaction's own writes.
    pub fn get<T: DeserializeOwned>(&mut self, key: &str) -> Result<Option<T>> {
        Ok(self.get_many::<T>(&[key.to_string()])?.pop().flatten())
    }

    /// Read these keys now, in one call, tracked as [`Tx::get`] tracks them: for an operation
    /// that knows upfront what it will read.
    pub fn prefetch(&mut self, keys: &[String]) -> Result<()> {
        let missing: Vec<String> = keys
            .iter()
            .filter(|k| !self.writes.contains_key(*k) && !self.reads.contains_key(*k))
            .cloned()
            .collect();
        if !missing.is_empty() {
            let entries = self.store.get_many(&missing).map_err(storage_error)?;
            for (key, entry) in missing.into_iter().zip(entries) {
                self.reads.insert(key, entry);
            }
        }
        Ok(())
    }

    /// Read several records at once (tracked like [`Tx::get`]).
    pub fn get_many<T: DeserializeOwned>(&mut self, keys: &[String]) -> Result<Vec<Option<T>>> {
        self.prefetch(keys)?;
        keys.iter()
            .map(|key| {
                let bytes = match self.writes.get(key) {
                    Some(pending) => pending.as_deref(),
                    None => self.reads[key].as_ref().map(|e| e.value.as_slice()),
                };
                bytes.map(|b| records::decode(key, b)).transpose()
            })
            .collect()
    }

    /// Read a record without making the commit depend on it (it still sees this
    /// transaction's own writes). For values that are only reported, never acted upon.
    pub fn peek<T: DeserializeOwned>(&mut self, key: &str) -> Result<Option<T>> {
        if self.writes.contains_key(key) || self.reads.contains_key(key) {
            return Ok(self.get_many::<T>(&[key.to_string()])?.pop().flatten());
        }
        read(self.store, key)
    }

    /// The version at which this transaction read `key` (0 if it was absent or not read).
    pub fn version_read(&self, key: &str) -> u64 {
        self.reads
            .get(key)
            .and_then(|e| e.as_ref().map(|e| e.version))
            .unwrap_or(0)
    }

    pub fn put<T: Serialize>(&mut self, key: String, value: &T) {
        self.writes.insert(key, Some(encode(value)));
    }

    pub fn delete(&mut self, key: String) {
        self.writes.insert(key, None);
    }

    pub fn is_empty(&self) -> bool {
        self.writes.is_empty()
    }

    fn commit(self) -> std::result::Result<(), StoreError> {
        if self.writes.is_empty() {
            return Ok(());
        }
        let checks: Vec<Check> = self
            .reads
            .into_iter()
            .map(|(key, entry)| Check {
                key,
                version: entry.map(|e| e.version),
            })
            .collect();
        let writes: Vec<Write> = self
            .writes
            .into_iter()
            .map(|(key, value)| Write { key, value })
            .collect();
        self.store.commit(&checks, &writes)
    }
}

/// Run `body` in a transaction and commit it, retrying on conflicts. An error from `body`
/// aborts without writing anything. (The store's [`schema::Guard`] adds the schema checks.)
pub fn transact<T>(env: &Env, mut body: impl FnMut(&mut Tx) -> Result<T>) -> Result<T> {
    for _ in 0..MAX_ATTEMPTS {
        let mut tx = Tx::new(env.store);
        let out = body(&mut tx)?;
        match tx.commit() {
            Ok(()) => return Ok(out),
            Err(StoreError::Conflict(_)) => {}
            Err(e) => return Err(storage_error(e)),
        }
    }
    Err(Error::Conflict(format!(
        "the data kept changing under concurrent updates ({MAX_ATTEMPTS} attempts); try again"
    )))
}
