//! [`MemoryStorage`]: the `storage` import in memory, and the key-range arithmetic any backend
//! can reuse to turn a `scan` into a range query.

use std::collections::BTreeMap;
use std::ops::Bound;
use std::sync::{Mutex, MutexGuard};

use crate::imports::Storage;
use crate::types::{Check, Entry, ScanPage, StorageError, Write};

/// An in-memory [`Storage`]: a `BTreeMap` behind a mutex and a global version counter. For
/// tests, demos and platforms that keep the addon's data in process.
#[derive(Default)]
pub struct MemoryStorage {
    state: Mutex<MemoryState>,
}

#[derive(Default)]
struct MemoryState {
    entries: BTreeMap<String, (Vec<u8>, u64)>,
    /// The version given to the last commit's writes; each commit takes the next one, so a
    /// version is never reused, even for a key deleted and written again.
    last_version: u64,
}

impl MemoryStorage {
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
pub fn prefix_end(prefix: &str) -> Option<String> {
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
pub fn scan_bounds(
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

impl Storage for MemoryStorage {
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
    ) -> Result<ScanPage, StorageError> {
        let done = |entries| ScanPage {
            entries,
            more: false,
        };
        let Some((lower, upper)) = scan_bounds(prefix, start_after, reverse) else {
            return Ok(done(Vec::new()));
        };
        let bounds = (
            lower.as_ref().map(String::as_str),
            upper.as_ref().map(String::as_str),
        );
        let state = self.lock();
        let range = state.entries.range::<str, _>(bounds);
        let mut keys: Box<dyn Iterator<Item = Entry>> = if reverse {
            Box::new(range.rev().map(|(k, v)| entry(k, v)))
        } else {
            Box::new(range.map(|(k, v)| entry(k, v)))
        };
        let entries: Vec<Entry> = keys.by_ref().take(limit as usize).collect();
        // Exact: whether the range holds another entry after the page.
        let more = keys.next().is_some();
        Ok(ScanPage { entries, more })
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
}

impl MemoryStorage {
    /// Every entry, in key order.
    pub fn dump(&self) -> Vec<Entry> {
        self.lock()
            .entries
            .iter()
            .map(|(k, v)| entry(k, v))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
}
