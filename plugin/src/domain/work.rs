//! Pending work: what follows a change (a post, a dispute event) besides the change itself,
//! recorded as one [`Work`] item in the change's commit and applied later in bounded batches,
//! so that the change's own commit stays small whatever the number of users and words.
//!
//! A work item does, in order, each step a commit:
//! 1. fan out to the users who see the thread, [`USERS_PER_BATCH`] at a time: the customer, the
//!    vendor's users (when vendors take part), the staff; for each, [`reconcile`] their unread
//!    listing and counter, and gather who gets mail and whose bell changed;
//! 2. with the fan-out's last batch, write the outbox entries (one mail, one notification and
//!    one bell push for everyone, or one set per [`FLUSH_AT`] users);
//! 3. index the message's words for search, [`WORDS_PER_BATCH`] at a time, and with the last
//!    batch delete the item.
//!
//! People come first: bells and mail follow a change before search does.
//!
//! Batches are applied by the call that made the change (inline delivery: a few) and by
//! `deliver-pending`. Each commit checks the item's version, so two processes applying the
//! same item never both apply a batch; a batch that lost the race is simply redone on fresh
//! data. [`reconcile`] depends only on current records, so items applied in any order leave
//! exact counts.
//!
//! [`reconcile`]: super::read_state::reconcile

use serde::{Deserialize, Serialize};

use super::error::{Error, Result};
use super::keys::{self, Scope};
use super::model::Timestamp;
use super::outbox::{About, Event, OutboxWriter, Pending, UserCounts};
use super::ports::Env;
use super::read_state::{self, UnreadCounters};
use super::records::ThreadRecord;
use super::search;
use super::tx::{self, Tx, transact};

/// Words one batch indexes at most: each costs up to seven writes and a check.
pub const WORDS_PER_BATCH: usize = 6;
/// Users one batch fans out to at most: each costs up to two checks and four writes.
pub const USERS_PER_BATCH: usize = 8;
/// Recipients (or bells) gathered before their outbox entries are written out early, which
/// keeps the item and each entry small when many users see a thread.
pub const FLUSH_AT: usize = 128;

/// Which party a user takes part as: mail goes to the other parties, never to the author's.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Party {
    Customer,
    Vendor,
    Staff,
}

/// The fan-out's lists of users, in order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Phase {
    Customer,
    VendorUsers,
    Staff,
    Done,
}

impl Phase {
    fn next(self) -> Phase {
        match self {
            Phase::Customer => Phase::VendorUsers,
            Phase::VendorUsers => Phase::Staff,
            Phase::Staff | Phase::Done => Phase::Done,
        }
    }

    fn party(self) -> Party {
        match self {
            Phase::Customer => Party::Customer,
            Phase::VendorUsers => Party::Vendor,
            Phase::Staff | Phase::Done => Party::Staff,
        }
    }
}

/// The work a change left: stored at `keys::work`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Work {
    pub order_id: String,
    pub order_number: String,
    pub seq: u64,
    pub at: Timestamp,
    /// What happened, for the notification.
    pub event: Event,
    /// What the mail is about.
    pub about: About,
    pub author_id: String,
    pub author_party: Party,
    pub customer_id: String,
    /// The order's vendor (its scope holds the thread).
    pub order_vendor_id: Option<String>,
    /// The vendor whose users take part (none in warehouse mode or for the store's orders).
    pub vendor_id: Option<String>,
    /// Whether staff get the mail and the notification.
    pub staff_take_part: bool,
    /// Whether the open-dispute counts changed: every viewer's bell is pushed.
    pub dispute_changed: bool,
    /// The stamp the words are indexed at.
    pub stamp: String,
    /// Words still to index.
    pub words: Vec<String>,
    /// Where the fan-out is.
    pub phase: Phase,
    pub next: u32,
    /// Recipients and bells gathered, not yet written to the outbox.
    pub mail_to: Vec<String>,
    pub bells: Vec<UserCounts>,
    /// Outbox entries written so far (they number the next ones).
    pub written: u32,
}

impl Work {
    /// The key of the item.
    pub fn key(&self) -> String {
        keys::work(self.at, &self.order_id, self.seq)
    }
}

/// What applying pending work did.
#[derive(Clone, Debug, Default)]
pub struct Applied {
    /// Batches applied (commits).
    pub batches: u32,
    /// Outbox entries written by the items finished, to deliver.
    pub outbox: Vec<Pending>,
    /// Whether work remains.
    pub more: bool,
}

/// Apply up to `max_batches` batches of pending work, oldest items first (or only the item at
/// `only`, the one a call just wrote).
pub fn apply(env: &Env, only: Option<&str>, max_batches: u32) -> Result<Applied> {
    let mut applied = Applied::default();
    let items: Vec<String> = match only {
        Some(key) => vec![key.to_string()],
        None => tx::scan(env.store, keys::WORK, None, 4, false)?
            .entries
            .into_iter()
            .map(|e| e.key)
            .collect(),
    };
    for key in items {
        loop {
            if applied.batches == max_batches {
                applied.more = true;
                return Ok(applied);
            }
            match apply_batch(env, &key)? {
                Step::Gone => break,
                Step::Continues(entries) => {
                    applied.batches += 1;
                    applied.outbox.extend(entries);
                }
                Step::Finished(entries) => {
                    applied.batches += 1;
                    applied.outbox.extend(entries);
                    break;
                }
            }
        }
    }
    if only.is_none() && !applied.more {
        applied.more = !tx::scan(env.store, keys::WORK, None, 1, false)?
            .entries
            .is_empty();
    }
    Ok(applied)
}

/// What one batch did.
enum Step {
    /// The item is gone (applied by another process meanwhile).
    Gone,
    /// The batch is committed (with these outbox entries) and the item goes on.
    Continues(Vec<Pending>),
    /// The item is done; these outbox entries were written with its last batch.
    Finished(Vec<Pending>),
}

/// Apply one batch of the item at `key`, in one commit.
fn apply_batch(env: &Env, key: &str) -> Result<Step> {
    transact(env, |tx| {
        let Some(mut work) = tx.get::<Work>(key)? else {
            return Ok(Step::Gone);
        };
        if work.phase == Phase::Done {
            let take = work.words.len().min(WORDS_PER_BATCH);
            let words: Vec<String> = work.words.drain(..take).collect();
            search::index_words(tx, &work, &words)?;
            return Ok(if work.words.is_empty() {
                tx.delete(key.to_string());
                Step::Finished(Vec::new())
            } else {
                tx.put(key.to_string(), &work);
                Step::Continues(Vec::new())
            });
        }
        let thread: ThreadRecord = tx
            .get(&keys::thread(&work.order_id))?
            .ok_or_else(|| Error::Storage(format!("the thread of {key} is missing")))?;
        fan_out(env, tx, &mut work, &thread)?;
        let mut outbox = OutboxWriter::new(
            work.at,
            &format!("{}/{:012}", keys::id(&work.order_id), work.seq),
            &work.order_id,
        )
        .numbered_from(work.written as usize);
        let fanned_out = work.phase == Phase::Done;
        if fanned_out || work.mail_to.len() >= FLUSH_AT || work.bells.len() >= FLUSH_AT {
            let mail_to = std::mem::take(&mut work.mail_to);
            outbox.mail(tx, mail_to.clone(), work.about.clone());
            outbox.push(tx, mail_to, work.event.clone());
            outbox.counts(tx, std::mem::take(&mut work.bells));
        }
        let entries = outbox.into_entries();
        work.written += entries.len() as u32;
        if fanned_out && work.words.is_empty() {
            tx.delete(key.to_string());
            Ok(Step::Finished(entries))
        } else {
            tx.put(key.to_string(), &work);
            Ok(Step::Continues(entries))
        }
    })
}

/// The users of the fan-out's current phase, from the directory.
fn phase_users(env: &Env, work: &Work) -> Result<Vec<String>> {
    Ok(match work.phase {
        Phase::Customer => vec![work.customer_id.clone()],
        Phase::VendorUsers => match &work.vendor_id {
            Some(v) => env.directory.vendor_users(v).map_err(Error::Directory)?,
            None => Vec::new(),
        },
        Phase::Staff => env.directory.staff_users().map_err(Error::Directory)?,
        Phase::Done => Vec::new(),
    })
}

/// Fan out to the next users (at most [`USERS_PER_BATCH`] of them), moving to the next phase
/// when one is done.
fn fan_out(env: &Env, tx: &mut Tx, work: &mut Work, thread: &ThreadRecord) -> Result<()> {
    let mut counters = UnreadCounters::default();
    let mut seen: Vec<(String, Party)> = Vec::new();
    while work.phase != Phase::Done && seen.len() < USERS_PER_BATCH {
        let users = phase_users(env, work)?;
        // Users of an earlier phase (a staff member who is also the customer, say) are served
        // there only.
        let mut earlier = vec![work.customer_id.clone()];
        if work.phase == Phase::Staff
            && let Some(v) = &work.vendor_id
        {
            earlier.extend(env.directory.vendor_users(v).map_err(Error::Directory)?);
        }
        let start = work.next as usize;
        let room = USERS_PER_BATCH - seen.len();
        let batch: Vec<String> = users.iter().skip(start).take(room).cloned().collect();
        for user in &batch {
            let served_before = work.phase != Phase::Customer && earlier.contains(user);
            if *user != work.author_id && !served_before {
                read_state::reconcile(tx, user, thread, &mut counters)?;
                seen.push((user.clone(), work.phase.party()));
            }
        }
        work.next += batch.len() as u32;
        if work.next as usize >= users.len() {
            work.phase = work.phase.next();
            work.next = 0;
        }
    }
    let changed: Vec<(String, u32)> = counters.apply(tx)?;
    for (user, party) in &seen {
        let takes_part = *party != Party::Staff || work.staff_take_part;
        if *party != work.author_party && takes_part {
            work.mail_to.push(user.clone());
        }
        let unread = match changed.iter().find(|(u, _)| u == user) {
            Some((_, count)) => *count,
            None if work.dispute_changed => tx.peek(&keys::unread_counter(user))?.unwrap_or(0),
            None => continue,
        };
        let scope = match party {
            Party::Customer => Scope::Customer(user.clone()),
            Party::Vendor => Scope::Vendor(work.vendor_id.clone().unwrap_or_default()),
            Party::Staff => Scope::Staff,
        };
        work.bells.push(UserCounts {
            user: user.clone(),
            counts: read_state::bell(tx, &scope, unread)?,
        });
    }
    Ok(())
}

/// Batches a call applies of the work it just left, when delivery is inline: enough for a
/// small store (the words of a message and a few users), bounded for any.
pub const INLINE_BATCHES: u32 = 8;

/// What a call does after its commit, as the store's delivery setting says: inline, apply (a
/// few batches of) the work it left, then deliver the outbox entries that produced and the
/// call's own (`entries`); when the host drains, nothing (all of it waits for
/// `deliver-pending`). Best effort: whatever fails stays pending.
pub fn follow_up(call: &super::call::Call, work: Option<&str>, mut entries: Vec<Pending>) {
    if call.settings.delivery != super::model::DeliveryMode::Inline {
        return;
    }
    if let Some(key) = work
        && let Ok(applied) = apply(call.env, Some(key), INLINE_BATCHES)
    {
        entries.extend(applied.outbox);
    }
    super::outbox::deliver(call.env, entries);
}
