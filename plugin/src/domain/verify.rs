//! Maintenance: recompute every index and counter from the data it derives from and report
//! each difference. Read-only, and the one operation that walks the whole store, a page of
//! records per call, phase after phase (one phase per key prefix).

use std::collections::{BTreeMap, BTreeSet};

use super::call::{Call, OrderRef};
use super::error::Result;
use super::keys::{self, Scope};
use super::model::{Dispute, Message};
use super::outbox::OutboxRecord;
use super::ports::{Entry, Env};
use super::records::{IdempotencyRecord, ReadState, ThreadRecord};
use super::render;
use super::search;
use super::tx::{self, decode};
use super::validate;

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
}

/// The phases, in order: the prefix each walks.
const PHASES: [&str; 11] = [
    keys::THREADS,
    keys::ACTIVITY_INDEXES,
    keys::DISPUTE_INDEXES,
    keys::DISPUTE_COUNTERS,
    keys::KEYWORD_INDEXES,
    keys::READ_STATES,
    keys::UNREAD_INDEXES,
    keys::UNREAD_COUNTERS,
    keys::IDEMPOTENCY,
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
            checker.check(phase, entry, &mut report)?;
        }
        report.checked += page.entries.len() as u32;
        if let Some(last) = page.entries.last() {
            after = Some(last.key.clone());
        }
        if page.more {
            // The page is full, or the store paged short: continue from here next call.
            if let Some(after) = &after {
                report.next_cursor = Some(format!("{phase}:{after}"));
                return Ok(report);
            }
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

impl Checker<'_> {
    fn store(&self) -> &dyn super::ports::Store {
        self.env.store
    }

    fn thread(&self, order_id: &str) -> Result<Option<Expected>> {
        Ok(
            tx::read::<ThreadRecord>(self.store(), &keys::thread(order_id))?.map(|thread| {
                let scopes = Call::scopes_of(&OrderRef::from(&thread));
                Expected { thread, scopes }
            }),
        )
    }

    /// Scan a whole prefix in chunks.
    fn scan_all(&self, prefix: &str, mut each: impl FnMut(&Entry) -> Result<()>) -> Result<()> {
        let mut after: Option<String> = None;
        loop {
            let page = tx::scan(self.store(), prefix, after.as_deref(), CHUNK, false)?;
            for e in &page.entries {
                each(e)?;
            }
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
                let rest = &key[keys::UNREAD_INDEXES.len()..];
                let (user, stamp) = rest.split_once('/').unwrap_or((rest, ""));
                let state: Option<ReadState> = tx::read(
                    self.store(),
                    &keys::read_state(&keys::unesc(user), &order_id),
                )?;
                match state {
                    Some(s) if s.unread > 0 && s.listed_at.as_deref() == Some(stamp) => {}
                    _ => {
                        report.problem(key, "lists a thread its user has no unread state for here")
                    }
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
            _ => {
                // Outbox and dead letters: each record must be readable.
                if let Err(e) = decode::<OutboxRecord>(entry) {
                    report.problem(key, e.to_string());
                }
                Ok(())
            }
        }
    }

    /// A counter (`dc/{scope}` or `uc/{user}`) against the entries of the index it counts
    /// (`dx/{scope}/` or `ux/{user}/`).
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
        self.scan_all(&format!("{index_family}{owner}/"), |_| {
            listed += 1;
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
        // Messages: 1..=n without gaps, and the latest as recorded.
        let mut seq = 0u64;
        let mut last: Option<Message> = None;
        let mut word_times: BTreeMap<String, i64> = BTreeMap::new();
        self.scan_all(&keys::messages(order), |e| {
            let m: Message = decode(e)?;
            seq += 1;
            if m.seq != seq || m.order_id != *order {
                report.problem(&e.key, format!("expected message {seq} of order {order:?}"));
            }
            for w in search::message_words(&m.body, &m.author_name, &thread.order_number) {
                word_times.insert(w, m.created_at);
            }
            last = Some(m);
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
        self.scan_all(&keys::disputes(order), |e| {
            let d: Dispute = decode(e)?;
            number += 1;
            if d.number != number {
                report.problem(&e.key, format!("expected dispute {number}"));
            }
            if d.closed.is_none() {
                open = Some(d.number);
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
        self.scan_all(&format!("kt/{}/", keys::esc(order)), |e| {
            let word = e.key.rsplit('/').next().unwrap_or_default().to_string();
            let stamp: String = decode(e)?;
            let at = keys::stamp_time(&stamp).unwrap_or(i64::MIN);
            match word_times.get(&word) {
                Some(latest)
                    if keys::stamp(at, order) == stamp
                        && at <= *latest
                        && *latest - at < search::RESOLUTION_MS => {}
                Some(_) => report.problem(&e.key, "is not at the word's latest occurrence"),
                None => report.problem(&e.key, "names a word no message of the thread has"),
            }
            for scope in &expected.scopes {
                must_exist.push(format!("{}{stamp}", keys::keyword_index(scope, &word)));
            }
            indexed_words.insert(word);
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
            let prefix = format!("kx/{}/", scope.key());
            entry.key.strip_prefix(&prefix).is_some_and(|rest| {
                let (word, stamp) = rest.split_once('/').unwrap_or((rest, ""));
                let recorded: Option<String> =
                    tx::read(self.store(), &keys::thread_word(&order_id, word))
                        .ok()
                        .flatten();
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
        let rest = &key[keys::READ_STATES.len()..];
        let (user, order) = rest.split_once('/').unwrap_or((rest, ""));
        let (user, order) = (keys::unesc(user), keys::unesc(order));
        let Some(e) = self.thread(&order)? else {
            report.problem(key, "is for an order without thread");
            return Ok(());
        };
        if state.read_up_to > e.thread.message_count
            || u64::from(state.unread) > e.thread.message_count
        {
            report.problem(key, "counts beyond the thread's messages");
        }
        match (&state.listed_at, state.unread > 0) {
            (Some(stamp), true) => {
                let listed = format!("{}{stamp}", keys::unread_index(&user));
                if !self.exists(&listed)? {
                    report.problem(
                        &listed,
                        format!("is missing from an index ({key} is unread)"),
                    );
                }
            }
            (None, false) => {}
            _ => report.problem(key, "its unread count and unread-index position disagree"),
        }
        Ok(())
    }
}
