//! Maintenance: recompute every index and counter from the data it derives from and report
//! each difference, and every key and value beyond the storage bounds. Read-only, and the one
//! operation that walks the whole store, a page of records per call, phase after phase (one
//! phase per key prefix).
//!
//! Pending work is a difference too (its effects are not applied yet): run it when
//! `deliver-pending` has nothing left.

use std::collections::{BTreeMap, BTreeSet};

use super::call::{Call, OrderRef};
use super::error::Result;
use super::keys::{self, Scope};
use super::messaging;
use super::model::Dispute;
use super::outbox::OutboxRecord;
use super::ports::{Entry, Env, Store};
use super::records::{IdempotencyRecord, ReadState, ThreadRecord};
use super::render;
use super::search;
use super::tx::{self, decode};
use super::validate;
use super::work::Work;

/// Problems listed per call at most; the rest are only counted.
const MAX_LISTED: usize = 100;
/// Entries read per scan while walking a thread's messages or a counter's index.
const CHUNK: u32 = 500;

/// One disagreement.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    pub key: String,
    pub detail: String,
}

/// What one call checked.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct VerifyReport {
    pub checked: u32,
    pub problems: Vec<Problem>,
    pub more_problems: u32,
    pub next_cursor: Option<String>,
}

impl VerifyReport {
    fn problem(&mut self, key: &str, detail: impl Into<String>) {
        if self.problems.len() < MAX_LISTED {
            self.problems.push(Problem {
                key: key.to_string(),
                detail: detail.into(),
            });
        } else {
            self.more_problems += 1;
        }
    }

    /// Report `entry` if it is beyond the storage bounds.
    fn bounds(&mut self, entry: &Entry) {
        if !keys::within_bounds(&entry.key) {
            self.problem(
                &entry.key,
                format!(
                    "the key is not printable ASCII of at most {} bytes",
                    keys::MAX_KEY_BYTES
                ),
            );
        }
        if entry.value.len() > keys::MAX_VALUE_BYTES {
            self.problem(
                &entry.key,
                format!(
                    "the value holds {} bytes, more than {}",
                    entry.value.len(),
                    keys::MAX_VALUE_BYTES
                ),
            );
        }
    }
}

/// The phases, in order: the prefix each walks.
const PHASES: [&str; 12] = [
    keys::THREADS,
    keys::ACTIVITY_INDEXES,
    keys::DISPUTE_INDEXES,
    keys::DISPUTE_COUNTERS,
    keys::KEYWORD_INDEXES,
    keys::READ_STATES,
    keys::UNREAD_INDEXES,
    keys::UNREAD_COUNTERS,
    keys::IDEMPOTENCY,
    keys::WORK,
    keys::OUTBOX,
    keys::DEAD_LETTERS,
];

/// Check up to `limit` records from `cursor` on.
pub fn verify(env: &Env, cursor: Option<&str>, limit: u32) -> Result<VerifyReport> {
    let (mut phase, mut after) = match cursor {
        None => (0, None),
        Some(c) => {
            let (phase, key) = c.split_once(':').ok_or_else(validate::bad_cursor)?;
            let phase: usize = phase.parse().map_err(|_| validate::bad_cursor())?;
            if phase >= PHASES.len() || !key.starts_with(PHASES[phase]) {
                return Err(validate::bad_cursor());
            }
            (phase, Some(key.to_string()))
        }
    };
    let mut report = VerifyReport::default();
    let checker = Checker { env };
    while phase < PHASES.len() {
        if report.checked == limit {
            // The page is full at a phase's start: the next call begins there.
            let start = after.unwrap_or_else(|| PHASES[phase].to_string());
            report.next_cursor = Some(format!("{phase}:{start}"));
            return Ok(report);
        }
        let want = limit - report.checked;
        let page = tx::scan(env.store, PHASES[phase], after.as_deref(), want, false)?;
        for entry in &page.entries {
            report.bounds(entry);
            checker.check(phase, entry, &mut report)?;
        }
        report.checked += page.entries.len() as u32;
        if let Some(last) = page.entries.last() {
            after = Some(last.key.clone());
        }
        if page.more
            && let Some(after) = &after
        {
            // The page is full, or the store paged short: continue from here next call.
            report.next_cursor = Some(format!("{phase}:{after}"));
            return Ok(report);
        }
        phase += 1;
        after = None;
    }
    Ok(report)
}

struct Checker<'a> {
    env: &'a Env<'a>,
}

/// The index keys a thread should have, derived from the thread record alone.
struct Expected {
    thread: ThreadRecord,
    scopes: Vec<Scope>,
}

impl Expected {
    fn activity_keys(&self) -> Vec<String> {
        self.scopes
            .iter()
            .map(|s| format!("{}{}", keys::activity_index(s), self.thread.stamp))
            .collect()
    }

    fn dispute_keys(&self) -> Vec<String> {
        self.scopes
            .iter()
            .map(|s| format!("{}{}", keys::dispute_index(s), self.thread.stamp))
            .collect()
    }
}

/// The component of a key after `family` and up to the next `/` (an encoded id), and the rest.
fn split_component<'k>(key: &'k str, family: &str) -> (&'k str, &'k str) {
    let rest = &key[family.len().min(key.len())..];
    rest.split_once('/').unwrap_or((rest, ""))
}

impl Checker<'_> {
    fn store(&self) -> &dyn Store {
        self.env.store
    }

    /// The thread at `T/{component}` (an encoded order id).
    fn thread_at(&self, order_component: &str) -> Result<Option<Expected>> {
        let key = format!("{}{order_component}", keys::THREADS);
        Ok(tx::read::<ThreadRecord>(self.store(), &key)?.map(|thread| {
            let scopes = Call::scopes_of(&OrderRef::from(&thread));
            Expected { thread, scopes }
        }))
    }

    fn thread(&self, order_id: &str) -> Result<Option<Expected>> {
        self.thread_at(&keys::id(order_id))
    }

    /// Scan a whole prefix, a page at a time.
    fn scan_pages(&self, prefix: &str, mut each: impl FnMut(&[Entry]) -> Result<()>) -> Result<()> {
        let mut after: Option<String> = None;
        loop {
            let page = tx::scan(self.store(), prefix, after.as_deref(), CHUNK, false)?;
            each(&page.entries)?;
            match page.entries.last() {
                Some(last) if page.more => after = Some(last.key.clone()),
                _ => return Ok(()),
            }
        }
    }

    fn exists(&self, key: &str) -> Result<bool> {
        Ok(self.store().get(key).map_err(tx::storage_error)?.is_some())
    }

    fn check(&self, phase: usize, entry: &Entry, report: &mut VerifyReport) -> Result<()> {
        let key = entry.key.as_str();
        match PHASES[phase] {
            keys::THREADS => self.check_thread(entry, report),
            keys::ACTIVITY_INDEXES => self.check_index_entry(entry, report, |e| e.activity_keys()),
            keys::DISPUTE_INDEXES => self.check_index_entry(entry, report, |e| {
                if e.thread.open_dispute.is_some() {
                    e.dispute_keys()
                } else {
                    Vec::new()
                }
            }),
            keys::DISPUTE_COUNTERS => {
                self.check_counter(entry, keys::DISPUTE_INDEXES, "open disputes", report)
            }
            keys::KEYWORD_INDEXES => self.check_keyword_entry(entry, report),
            keys::READ_STATES => self.check_read_state(entry, report),
            keys::UNREAD_INDEXES => {
                let order_id: String = decode(entry)?;
                let (user, stamp) = split_component(key, keys::UNREAD_INDEXES);
                let state_key = format!("{}{user}/{}", keys::READ_STATES, keys::id(&order_id));
                let state: Option<ReadState> = tx::read(self.store(), &state_key)?;
                match state {
                    Some(s) if s.listed_at.as_deref() == Some(stamp) => {}
                    _ => report.problem(key, "lists a thread its user's read state does not"),
                }
                Ok(())
            }
            keys::UNREAD_COUNTERS => {
                self.check_counter(entry, keys::UNREAD_INDEXES, "unread threads", report)
            }
            keys::IDEMPOTENCY => {
                let record: IdempotencyRecord = decode(entry)?;
                if !self.exists(&keys::message(&record.order_id, record.seq))? {
                    report.problem(
                        key,
                        format!(
                            "names message {} of order {:?}, which is missing",
                            record.seq, record.order_id
                        ),
                    );
                }
                Ok(())
            }
            keys::WORK => {
                match decode::<Work>(entry) {
                    Ok(_) => report.problem(
                        key,
                        "pending work is not applied yet (run deliver-pending until done)",
                    ),
                    Err(e) => report.problem(key, e.to_string()),
                }
                Ok(())
            }
            _ => {
                // Outbox and dead letters: each record must be readable.
                if let Err(e) = decode::<OutboxRecord>(entry) {
                    report.problem(key, e.to_string());
                }
                Ok(())
            }
        }
    }

    /// A counter (`XC/{scope}` or `UC/{user}`) against the entries of the index it counts
    /// (`X/{scope}/` or `U/{user}/`).
    fn check_counter(
        &self,
        entry: &Entry,
        index_family: &str,
        what: &str,
        report: &mut VerifyReport,
    ) -> Result<()> {
        let owner = entry.key.split_once('/').map_or("", |(_, rest)| rest);
        let counted = decode::<u32>(entry)?;
        let mut listed = 0u32;
        self.scan_pages(&format!("{index_family}{owner}/"), |page| {
            listed += page.len() as u32;
            Ok(())
        })?;
        if counted != listed {
            report.problem(
                &entry.key,
                format!("counts {counted} {what}, the index lists {listed}"),
            );
        }
        Ok(())
    }

    /// A thread against its messages, disputes, index entries and keyword entries.
    fn check_thread(&self, entry: &Entry, report: &mut VerifyReport) -> Result<()> {
        let key = entry.key.as_str();
        let thread: ThreadRecord = decode(entry)?;
        let order = &thread.order_id.clone();
        if keys::thread(order) != key {
            report.problem(key, format!("holds the thread of order {order:?}"));
        }
        // Messages: 1..=n without gaps, whole (chunks included), and the latest as recorded.
        let mut seq = 0u64;
        let mut last = None;
        // Where each word the thread indexes last occurred; and each word of its texts at
        // all, beyond a message's first words too, which the 0.1.0 addon indexed (its data,
        // migrated, keeps them).
        let mut word_times: BTreeMap<String, i64> = BTreeMap::new();
        let mut any_word_times: BTreeMap<String, i64> = BTreeMap::new();
        self.scan_pages(&keys::messages(order), |page| {
            for e in page {
                report.bounds(e);
            }
            let messages = match messaging::load_messages(self.store(), order, page) {
                Ok(messages) => messages,
                Err(e) => {
                    report.problem(key, e.to_string());
                    return Ok(());
                }
            };
            for m in messages {
                seq += 1;
                if m.seq != seq {
                    report.problem(
                        &keys::message(order, m.seq),
                        format!("expected message {seq} of order {order:?}"),
                    );
                }
                for w in search::message_words(&m.body, &m.author_name, &thread.order_number) {
                    word_times.insert(keys::word(&w).into_owned(), m.created_at);
                }
                for w in search::words(&m.body) {
                    any_word_times.insert(keys::word(&w).into_owned(), m.created_at);
                }
                last = Some(m);
            }
            Ok(())
        })?;
        if seq != thread.message_count {
            report.problem(
                key,
                format!(
                    "records {} messages, the thread holds {seq}",
                    thread.message_count
                ),
            );
        }
        if let Some(m) = &last {
            if thread.latest.seq != m.seq || thread.latest.excerpt != render::excerpt(&m.body) {
                report.problem(
                    key,
                    "its latest-message summary differs from the latest message",
                );
            }
            if thread.stamp != keys::stamp(m.created_at, order) {
                report.problem(
                    key,
                    "its activity stamp is not the time of its latest message",
                );
            }
        }
        // Disputes: numbered 1..=count, only the last may be open, and it is the one recorded.
        let mut number = 0u32;
        let mut open = None;
        self.scan_pages(&keys::disputes(order), |page| {
            for e in page {
                report.bounds(e);
                let d: Dispute = decode(e)?;
                number += 1;
                if d.number != number {
                    report.problem(&e.key, format!("expected dispute {number}"));
                }
                if d.closed.is_none() {
                    open = Some(d.number);
                }
            }
            Ok(())
        })?;
        if number != thread.dispute_count || open != thread.open_dispute {
            report.problem(
                key,
                format!(
                    "records {} disputes (open: {:?}), the order has {number} (open: {open:?})",
                    thread.dispute_count, thread.open_dispute
                ),
            );
        }
        // Index entries this thread must have.
        let expected = Expected {
            scopes: Call::scopes_of(&OrderRef::from(&thread)),
            thread,
        };
        let mut must_exist = expected.activity_keys();
        if expected.thread.open_dispute.is_some() {
            must_exist.extend(expected.dispute_keys());
        }
        // Keywords: every word of the thread, at the stamp of its latest occurrence (to within
        // the index's resolution).
        let mut indexed_words = BTreeSet::new();
        let words_prefix = keys::thread_words(order);
        self.scan_pages(&words_prefix, |page| {
            for e in page {
                report.bounds(e);
                let word = e.key[words_prefix.len()..].to_string();
                let stamp: String = decode(e)?;
                let at = keys::stamp_time(&stamp).unwrap_or(i64::MIN);
                let indexed = word_times.get(&word);
                match indexed.max(any_word_times.get(&word)) {
                    Some(latest)
                        if keys::stamp(at, order) == stamp
                            && at <= *latest
                            && indexed.is_none_or(|i| *i - at < search::RESOLUTION_MS) => {}
                    Some(_) => report.problem(&e.key, "is not at the word's latest occurrence"),
                    None => report.problem(&e.key, "names a word no message of the thread has"),
                }
                for scope in &expected.scopes {
                    must_exist.push(format!("K/{}/{word}/{stamp}", scope.key()));
                }
                indexed_words.insert(word);
            }
            Ok(())
        })?;
        for word in word_times.keys().filter(|w| !indexed_words.contains(*w)) {
            report.problem(key, format!("the word {word:?} is not indexed"));
        }
        for k in must_exist {
            if !self.exists(&k)? {
                report.problem(&k, "is missing from an index");
            }
        }
        Ok(())
    }

    /// An activity or dispute index entry must be one its thread implies.
    fn check_index_entry(
        &self,
        entry: &Entry,
        report: &mut VerifyReport,
        implied: impl Fn(&Expected) -> Vec<String>,
    ) -> Result<()> {
        let order_id: String = decode(entry)?;
        match self.thread(&order_id)? {
            Some(e) if implied(&e).contains(&entry.key) => {}
            Some(_) => report.problem(&entry.key, "is stale: its thread does not imply it"),
            None => report.problem(
                &entry.key,
                format!("names order {order_id:?}, which has no thread"),
            ),
        }
        Ok(())
    }

    fn check_keyword_entry(&self, entry: &Entry, report: &mut VerifyReport) -> Result<()> {
        let order_id: String = decode(entry)?;
        let Some(e) = self.thread(&order_id)? else {
            report.problem(
                &entry.key,
                format!("names order {order_id:?}, which has no thread"),
            );
            return Ok(());
        };
        let implied = e.scopes.iter().any(|scope| {
            let prefix = format!("K/{}/", scope.key());
            entry.key.strip_prefix(&prefix).is_some_and(|rest| {
                let (word, stamp) = rest.split_once('/').unwrap_or((rest, ""));
                let word_key = format!("{}{word}", keys::thread_words(&order_id));
                let recorded: Option<String> = tx::read(self.store(), &word_key).ok().flatten();
                recorded.as_deref() == Some(stamp)
            })
        });
        if !implied {
            report.problem(
                &entry.key,
                "is stale: its thread's keyword record does not point here",
            );
        }
        Ok(())
    }

    fn check_read_state(&self, entry: &Entry, report: &mut VerifyReport) -> Result<()> {
        let key = entry.key.as_str();
        let state: ReadState = decode(entry)?;
        let (user, order) = split_component(key, keys::READ_STATES);
        let Some(e) = self.thread_at(order)? else {
            report.problem(key, "is for an order without thread");
            return Ok(());
        };
        let count = e.thread.message_count;
        if state.read_up_to > count {
            report.problem(key, "reads beyond the thread's messages");
        }
        match (&state.listed_at, state.unread(count) > 0) {
            (Some(stamp), true) => {
                let listed = format!("{}{user}/{stamp}", keys::UNREAD_INDEXES);
                if !self.exists(&listed)? {
                    report.problem(
                        &listed,
                        format!("is missing from an index ({key} is unread)"),
                    );
                }
            }
            (None, false) => {}
            (Some(_), false) => report.problem(key, "is listed as unread, yet all is read"),
            (None, true) => report.problem(key, "has unread messages, yet is not listed"),
        }
        Ok(())
    }
}
