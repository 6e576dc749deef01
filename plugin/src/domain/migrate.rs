//! `migrate`: data of schema 1 (the released 0.1.0 addon's, see `legacy`) upgraded in place
//! to this layout.
//!
//! The first call marks the version record as migrating, which stops every other operation:
//! this addon's are refused until the migration is done, and a 0.1.0 addon reading the record
//! sees a newer version and refuses too. Then each call moves up to `limit` records, one
//! family after the other (the phases), in commits within the storage bounds. A commit writes
//! the converted records, deletes the old ones, and checks that those are still as read and
//! that the version record still says migrating; so an interrupted call leaves each record
//! either old or new, never both or neither, and calling again goes on from what the store
//! holds. The activity and dispute indexes of schema 1 are dropped and rebuilt from the
//! threads. When no old record is left the last commit records version 2.
//!
//! Read states are converted before threads: a read state of schema 2 is relative to its
//! thread's message count, which they read from the thread of schema 1.
//!
//! A 0.1.0 instance checks the version once, at its first call; one that was already running
//! when the migration began must be stopped before it (the README's upgrade steps say so).

use std::collections::BTreeMap;

use serde::Serialize;
use serde::de::DeserializeOwned;

use super::call::{Call, OrderRef};
use super::error::{Error, Result};
use super::keys;
use super::legacy;
use super::maintenance::MigrateReport;
use super::messaging;
use super::model::{Dispute, Message};
use super::outbox::{self, Event, OutboxRecord, Payload, UserCounts};
use super::ports::{Check, Entry, Store, Write};
use super::records::{self, IdempotencyRecord, ReadState, ThreadRecord};
use super::schema::{self, Guard, VERSION};
use super::tx;
use super::validate;

/// The families of schema 1, in the order they are moved.
const PHASES: [&str; 14] = [
    legacy::READ_STATES,
    legacy::UNREAD_INDEXES,
    legacy::UNREAD_COUNTERS,
    legacy::THREAD_WORDS,
    legacy::KEYWORD_INDEXES,
    legacy::IDEMPOTENCY,
    legacy::OUTBOX,
    legacy::DEAD_LETTERS,
    legacy::MESSAGES,
    legacy::DISPUTES,
    legacy::THREADS,
    legacy::ACTIVITY_INDEXES,
    legacy::DISPUTE_INDEXES,
    legacy::DISPUTE_COUNTERS,
];

/// Records read per scan.
const PAGE: u32 = 100;
/// A commit's checks and writes together, at most (the storage contract's bound).
const MAX_OPS: usize = 64;
/// A commit's bytes of keys and values, at most (the storage contract's bound, less a margin
/// for the counters a commit raises).
const MAX_BYTES: usize = 262_144 - 8_192;

/// Upgrade older data, up to `limit` (1 to 500) records per call (see the module docs).
/// `store` is the host's, unguarded: this is the one operation that handles the schema record.
pub fn migrate(store: &dyn Store, cursor: Option<&str>, limit: u32) -> Result<MigrateReport> {
    let limit = validate::limit(limit, super::maintenance::MAX_BATCH)?;
    let first_phase = match cursor {
        None => 0,
        Some(c) => PHASES
            .iter()
            .position(|p| *p == c)
            .ok_or_else(validate::bad_cursor)?,
    };
    let Some(entry) = store.get(keys::SCHEMA).map_err(tx::storage_error)? else {
        // No addon data: record the current version, as `schema-version` does.
        let version = Guard::new(store).ensure_recorded()?;
        return Ok(MigrateReport {
            from_version: version,
            to_version: VERSION,
            migrated: 0,
            next_cursor: None,
        });
    };
    let from = match schema::stored(&entry)? {
        (VERSION, None) => {
            return Ok(MigrateReport {
                from_version: VERSION,
                to_version: VERSION,
                migrated: 0,
                next_cursor: None,
            });
        }
        (VERSION, Some(from)) => from,
        (1, None) => {
            // Mark the store: from now on only `migrate` touches it.
            let check = Check {
                key: keys::SCHEMA.to_string(),
                version: Some(entry.version),
            };
            let write = Write {
                key: keys::SCHEMA.to_string(),
                value: Some(schema::migrating_record_bytes(1)),
            };
            store
                .commit(&[check], &[write])
                .map_err(tx::storage_error)?;
            1
        }
        (version, _) => return Err(schema::other_version(version)),
    };
    if from != 1 {
        return Err(Error::InvalidState(format!(
            "the data is being migrated from schema version {from}, which this addon cannot \
             read; finish with the addon that began it"
        )));
    }
    let marked = store
        .get(keys::SCHEMA)
        .map_err(tx::storage_error)?
        .ok_or_else(|| Error::Storage("the schema record vanished during migrate".into()))?;
    let mut batch = Batch::new(store, marked.version);
    let mut migrated = 0u32;
    for (phase, prefix) in PHASES.iter().enumerate().skip(first_phase) {
        let mut after: Option<String> = None;
        loop {
            if migrated == limit {
                batch.flush()?;
                return Ok(MigrateReport {
                    from_version: from,
                    to_version: VERSION,
                    migrated,
                    next_cursor: Some(PHASES[phase].to_string()),
                });
            }
            let want = (limit - migrated).min(PAGE);
            let page = tx::scan(store, prefix, after.as_deref(), want, false)?;
            for group in convert(store, prefix, &page.entries)? {
                batch.add(group)?;
            }
            migrated += page.entries.len() as u32;
            after = page.entries.last().map(|e| e.key.clone()).or(after);
            if !page.more {
                break;
            }
        }
    }
    batch.flush()?;
    // Anything written in an old family meanwhile (it should not be: see the module docs)
    // is moved by another call before the store is declared upgraded.
    for prefix in PHASES {
        let left = store
            .scan(prefix, None, 1, false)
            .map_err(tx::storage_error)?;
        if !left.entries.is_empty() {
            return Ok(MigrateReport {
                from_version: from,
                to_version: VERSION,
                migrated,
                next_cursor: Some(prefix.to_string()),
            });
        }
    }
    let done = Write {
        key: keys::SCHEMA.to_string(),
        value: Some(schema::record_bytes(VERSION)),
    };
    store
        .commit(&[batch.schema.clone()], &[done])
        .map_err(tx::storage_error)?;
    Ok(MigrateReport {
        from_version: from,
        to_version: VERSION,
        migrated,
        next_cursor: None,
    })
}

/// What one old record becomes: written in one commit.
#[derive(Default)]
struct Group {
    checks: Vec<Check>,
    writes: Vec<Write>,
    /// Counters raised by one.
    increments: Vec<String>,
}

impl Group {
    /// The move of `old` (checked as read, then deleted) to the records `new`.
    fn moving(old: &Entry, new: Vec<(String, Vec<u8>)>) -> Self {
        let mut group = Group::default();
        group.checks.push(Check {
            key: old.key.clone(),
            version: Some(old.version),
        });
        group.writes.push(Write {
            key: old.key.clone(),
            value: None,
        });
        group
            .writes
            .extend(new.into_iter().map(|(key, value)| Write {
                key,
                value: Some(value),
            }));
        group
    }

    fn bytes(&self) -> usize {
        let checks: usize = self.checks.iter().map(|c| c.key.len()).sum();
        let writes: usize = self
            .writes
            .iter()
            .map(|w| w.key.len() + w.value.as_ref().map_or(0, Vec::len))
            .sum();
        checks + writes
    }
}

/// Groups collected for one commit, within the storage bounds.
struct Batch<'a> {
    store: &'a dyn Store,
    /// The check that the version record still says migrating.
    schema: Check,
    checks: Vec<Check>,
    writes: Vec<Write>,
    bytes: usize,
    /// Counters to raise, by how much: read and checked when the batch is committed.
    increments: BTreeMap<String, u32>,
}

impl<'a> Batch<'a> {
    fn new(store: &'a dyn Store, schema_version: u64) -> Self {
        Batch {
            store,
            schema: Check {
                key: keys::SCHEMA.to_string(),
                version: Some(schema_version),
            },
            checks: Vec::new(),
            writes: Vec::new(),
            bytes: 0,
            increments: BTreeMap::new(),
        }
    }

    /// Checks and writes of the commit so far (a counter is one check and one write).
    fn ops(&self) -> usize {
        1 + self.checks.len() + self.writes.len() + 2 * self.increments.len()
    }

    fn add(&mut self, group: Group) -> Result<()> {
        let new_counters = group
            .increments
            .iter()
            .filter(|k| !self.increments.contains_key(*k))
            .count();
        let ops = group.checks.len() + group.writes.len() + 2 * new_counters;
        let bytes = group.bytes();
        if self.ops() + ops > MAX_OPS || self.bytes + bytes > MAX_BYTES {
            self.flush()?;
        }
        debug_assert!(self.ops() + ops <= MAX_OPS && bytes <= MAX_BYTES);
        self.bytes += bytes;
        self.checks.extend(group.checks);
        self.writes.extend(group.writes);
        for key in group.increments {
            *self.increments.entry(key).or_default() += 1;
        }
        Ok(())
    }

    fn flush(&mut self) -> Result<()> {
        if self.writes.is_empty() && self.increments.is_empty() {
            return Ok(());
        }
        let mut checks = std::mem::take(&mut self.checks);
        let mut writes = std::mem::take(&mut self.writes);
        let increments = std::mem::take(&mut self.increments);
        self.bytes = 0;
        let counter_keys: Vec<String> = increments.keys().cloned().collect();
        let current = if counter_keys.is_empty() {
            Vec::new()
        } else {
            self.store
                .get_many(&counter_keys)
                .map_err(tx::storage_error)?
        };
        for ((key, by), entry) in increments.into_iter().zip(current) {
            let value = match &entry {
                Some(e) => tx::decode::<u32>(e)?,
                None => 0,
            };
            checks.push(Check {
                key: key.clone(),
                version: entry.as_ref().map(|e| e.version),
            });
            writes.push(Write {
                key,
                value: Some(records::encode(&(value + by))),
            });
        }
        checks.push(self.schema.clone());
        self.store
            .commit(&checks, &writes)
            .map_err(tx::storage_error)
    }
}

/// A schema-1 record (JSON).
fn json<T: DeserializeOwned>(entry: &Entry) -> Result<T> {
    serde_json::from_slice(&entry.value)
        .map_err(|e| Error::Storage(format!("cannot migrate {}: {e}", entry.key)))
}

/// The refusal for a schema-1 key that does not have its family's shape.
fn malformed(entry: &Entry) -> Error {
    Error::Storage(format!(
        "cannot migrate {}: not a key of schema 1",
        entry.key
    ))
}

fn record<T: Serialize>(key: String, value: &T) -> (String, Vec<u8>) {
    (key, records::encode(value))
}

/// A schema-1 stamp converted, or the refusal naming `entry`.
fn stamp(entry: &Entry, old: &str) -> Result<String> {
    legacy::stamp(old).ok_or_else(|| malformed(entry))
}

/// The two components of `rest` around its first `/`.
fn two(entry: &Entry, rest: &str) -> Result<(String, String)> {
    rest.split_once('/')
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .ok_or_else(|| malformed(entry))
}

/// What the records of one page of `family` become.
fn convert(store: &dyn Store, family: &str, entries: &[Entry]) -> Result<Vec<Group>> {
    if family == legacy::READ_STATES {
        return read_states(store, entries);
    }
    let mut groups = Vec::with_capacity(entries.len());
    for entry in entries {
        let rest = &entry.key[family.len()..];
        match family {
            legacy::UNREAD_INDEXES => {
                let (user, old_stamp) = two(entry, rest)?;
                let order_id: String = json(entry)?;
                let key = format!(
                    "{}{}",
                    keys::unread_index(&legacy::unesc(&user)),
                    stamp(entry, &old_stamp)?
                );
                groups.push(Group::moving(entry, vec![record(key, &order_id)]));
            }
            legacy::UNREAD_COUNTERS => {
                let count: u32 = json(entry)?;
                let key = keys::unread_counter(&legacy::unesc(rest));
                groups.push(Group::moving(entry, vec![record(key, &count)]));
            }
            legacy::THREAD_WORDS => {
                let (order, word) = two(entry, rest)?;
                let old_stamp: String = json(entry)?;
                let key = keys::thread_word(&legacy::unesc(&order), &word);
                let value = stamp(entry, &old_stamp)?;
                groups.push(Group::moving(entry, vec![record(key, &value)]));
            }
            legacy::KEYWORD_INDEXES => {
                let (scope, rest) = legacy::scope(rest).ok_or_else(|| malformed(entry))?;
                let (word, old_stamp) = two(entry, rest)?;
                let order_id: String = json(entry)?;
                let key = format!(
                    "{}{}",
                    keys::keyword_index(&scope, &word),
                    stamp(entry, &old_stamp)?
                );
                groups.push(Group::moving(entry, vec![record(key, &order_id)]));
            }
            legacy::IDEMPOTENCY => {
                let (user, key) = two(entry, rest)?;
                let value: IdempotencyRecord = json(entry)?;
                let key = keys::idempotency(&legacy::unesc(&user), &legacy::unesc(&key));
                groups.push(Group::moving(entry, vec![record(key, &value)]));
            }
            legacy::OUTBOX | legacy::DEAD_LETTERS => {
                let new_family = if family == legacy::OUTBOX {
                    keys::OUTBOX
                } else {
                    keys::DEAD_LETTERS
                };
                let key = format!("{new_family}{}", outbox_id(rest));
                let value = outbox_record(json(entry)?);
                groups.push(Group::moving(entry, vec![record(key, &value)]));
            }
            legacy::MESSAGES => groups.extend(message(entry)?),
            legacy::DISPUTES => {
                let dispute: Dispute = json(entry)?;
                let key = keys::dispute(&dispute.order_id, dispute.number);
                groups.push(Group::moving(entry, vec![record(key, &dispute)]));
            }
            legacy::THREADS => groups.push(thread(entry)?),
            // Rebuilt from the threads.
            _ => groups.push(Group::moving(entry, Vec::new())),
        }
    }
    Ok(groups)
}

/// Read states, relative to their threads' message counts (read in one call per page).
fn read_states(store: &dyn Store, entries: &[Entry]) -> Result<Vec<Group>> {
    let mut parsed = Vec::with_capacity(entries.len());
    for entry in entries {
        let rest = &entry.key[legacy::READ_STATES.len()..];
        let (user, order) = two(entry, rest)?;
        let state: legacy::ReadState = json(entry)?;
        parsed.push((entry, user, order, state));
    }
    let thread_keys: Vec<String> = parsed
        .iter()
        .map(|(_, _, order, _)| format!("{}{order}", legacy::THREADS))
        .collect();
    let threads = if thread_keys.is_empty() {
        Vec::new()
    } else {
        store.get_many(&thread_keys).map_err(tx::storage_error)?
    };
    let mut groups = Vec::with_capacity(parsed.len());
    for ((entry, user, order, old), thread) in parsed.into_iter().zip(threads) {
        let count = match &thread {
            Some(t) => json::<legacy::Thread>(t)?.message_count,
            // An orphan read state (verify reports it either way): kept as it reads.
            None => old.read_up_to + u64::from(old.unread),
        };
        let listed_at = match (&old.listed_at, old.unread) {
            (Some(at), 1..) => Some(stamp(entry, at)?),
            _ => None,
        };
        let state = ReadState {
            // Schema 2 counts what lies beyond the mark as unread.
            read_up_to: count.saturating_sub(u64::from(old.unread)),
            listed_at,
        };
        let key = keys::read_state(&legacy::unesc(&user), &legacy::unesc(&order));
        groups.push(Group::moving(entry, vec![record(key, &state)]));
    }
    Ok(groups)
}

/// A message, and before it the chunks of a long body, each in a group of its own (a body of
/// schema 1 may be longer than one commit carries; chunks written ahead of their message are
/// invisible until it is, and written again if the call is repeated).
fn message(entry: &Entry) -> Result<Vec<Group>> {
    let message: Message = json(entry)?;
    let (stored, chunks) = messaging::stored_form(&message);
    let mut groups: Vec<Group> = chunks
        .into_iter()
        .enumerate()
        .map(|(n, chunk)| Group {
            writes: vec![Write {
                key: keys::body_chunk(&message.order_id, message.seq, n),
                value: Some(records::encode(&chunk)),
            }],
            ..Group::default()
        })
        .collect();
    let key = keys::message(&message.order_id, message.seq);
    groups.push(Group::moving(entry, vec![record(key, &stored)]));
    Ok(groups)
}

/// A thread, with its entries in the activity and dispute indexes of every scope that sees it.
fn thread(entry: &Entry) -> Result<Group> {
    let old: legacy::Thread = json(entry)?;
    let stamp = stamp(entry, &old.stamp)?;
    let thread = ThreadRecord {
        order_id: old.order_id,
        customer_id: old.customer_id,
        vendor_id: old.vendor_id,
        message_count: old.message_count,
        order_number: old.order_number,
        customer_name: old.customer_name,
        created_at: old.created_at,
        latest: old.latest,
        stamp: stamp.clone(),
        open_dispute: old.open_dispute,
        dispute_count: old.dispute_count,
    };
    let scopes = Call::scopes_of(&OrderRef::from(&thread));
    let mut new = vec![record(keys::thread(&thread.order_id), &thread)];
    let mut increments = Vec::new();
    for scope in &scopes {
        let key = format!("{}{stamp}", keys::activity_index(scope));
        new.push(record(key, &thread.order_id));
        if thread.open_dispute.is_some() {
            let key = format!("{}{stamp}", keys::dispute_index(scope));
            new.push(record(key, &thread.order_id));
            increments.push(keys::dispute_counter(scope));
        }
    }
    Ok(Group {
        increments,
        ..Group::moving(entry, new)
    })
}

/// An outbox id of schema 1 as this layout keys it: as it was when it fits (so a push keeps
/// its idempotency key), otherwise its time and a hash of the rest. (A mail carries its own
/// idempotency key, which stays the old id.)
fn outbox_id(old: &str) -> String {
    if outbox::is_entry_id(old) && keys::within_bounds(&format!("{}{old}", keys::DEAD_LETTERS)) {
        return old.to_string();
    }
    let time = old
        .get(..13)
        .filter(|t| t.bytes().all(|b| b.is_ascii_digit()))
        .unwrap_or("0000000000000");
    format!("{time}/{}/000", keys::id(old))
}

/// An outbox record of schema 1: its mail kept rendered, bell counts listed per recipient.
fn outbox_record(old: legacy::OutboxRecord) -> OutboxRecord {
    let payload = match old.payload {
        legacy::Payload::Mail(mail) => Payload::Rendered(mail),
        legacy::Payload::Push { recipients, event } => {
            let event = match event {
                legacy::Event::NewMessage(e) => Event::NewMessage(e),
                legacy::Event::DisputeOpened(e) => Event::DisputeOpened(e),
                legacy::Event::DisputeClosed(e) => Event::DisputeClosed(e),
                legacy::Event::CountsChanged(counts) => Event::CountsChanged(
                    recipients
                        .iter()
                        .map(|user| UserCounts {
                            user: user.clone(),
                            counts,
                        })
                        .collect(),
                ),
            };
            Payload::Push { recipients, event }
        }
    };
    OutboxRecord {
        order_id: old.order_id,
        created_at: old.created_at,
        attempts: old.attempts,
        last_error: old.last_error,
        payload,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outbox_ids_are_kept_when_they_fit() {
        let plain = "1767258300000/o1/000000000003/001";
        assert_eq!(outbox_id(plain), plain);
        let wide = "1767258300000/Zoë Ørder/000000000003/001";
        let converted = outbox_id(wide);
        assert!(outbox::is_entry_id(&converted), "{converted}");
        assert!(converted.starts_with("1767258300000/~"));
        assert!(keys::within_bounds(&converted));
        assert_ne!(
            outbox_id(wide),
            outbox_id("1767258300000/Zoë Ørder/000000000003/002")
        );
    }

    #[test]
    fn a_group_is_within_the_bounds_alone() {
        let body = "ü".repeat(100_000);
        let message = Message {
            order_id: "o1".into(),
            seq: 1,
            kind: super::super::model::MessageKind::Text,
            author_id: "a".into(),
            author_name: "A".into(),
            author_role: super::super::model::Role::Customer,
            body,
            created_at: 5,
        };
        let entry = Entry {
            key: "m/o1/000000000001".into(),
            value: serde_json::to_vec(&message).unwrap(),
            version: 1,
        };
        let groups = message_groups(&entry);
        assert_eq!(groups.len(), 5, "four chunks and the message");
        for group in &groups {
            assert!(group.bytes() <= MAX_BYTES);
            assert!(group.writes.len() + group.checks.len() < MAX_OPS);
        }
    }

    fn message_groups(entry: &Entry) -> Vec<Group> {
        message(entry).unwrap()
    }
}
