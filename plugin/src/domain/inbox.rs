//! The Messages section: listing the actor's threads with filters, search and paging, the bell,
//! and bulk marking.
//!
//! A listing is a plan of one or two passes, each a reverse scan of one index (newest activity
//! first) with a predicate on each thread. Without search the index already is the filter
//! (activity, unread or open-dispute index), so every entry matches; with a search the index is
//! the keyword index of one word and the predicate checks the rest. Every call examines a
//! bounded number of entries, so no call ever walks all threads.

use super::call::Call;
use super::error::{Error, Result};
use super::keys::{self, Scope};
use super::messaging::{finish_marking, set_read};
use super::model::BellCounts;
use super::ports::Entry;
use super::read_state::UnreadCounters;
use super::records::{Latest, ReadState, ThreadOwner, ThreadRecord, fingerprint_bytes};
use super::search;
use super::tx::{self, transact};
use super::validate;
use super::work;

/// Which threads to list.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Filter {
    All,
    Unread,
    OpenDisputes,
}

/// How to order the list.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Sort {
    NewestFirst,
    UnreadFirst,
}

/// A filter and an optional search.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Query {
    pub filter: Filter,
    pub search: String,
}

/// Which page of the list to return.
#[derive(Clone, Debug)]
pub struct ListRequest {
    pub query: Query,
    pub sort: Sort,
    pub cursor: Option<String>,
    pub limit: u32,
}

/// One thread in the list.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ThreadRow {
    pub order_id: String,
    pub order_number: String,
    pub latest: Latest,
    pub message_count: u64,
    pub unread: bool,
    pub unread_count: u32,
    pub dispute_open: bool,
}

/// A page of the list.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ListPage {
    pub rows: Vec<ThreadRow>,
    pub next_cursor: Option<String>,
}

/// The outcome of a bulk marking call.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BulkResult {
    pub changed: u32,
    pub next_cursor: Option<String>,
}

/// Threads one bulk-marking call marks at most: each costs up to four writes (read state,
/// unread index out and in, counter), and a commit holds at most 64 checks and writes.
pub const MARK_BATCH: usize = 10;
/// Selected ids one bulk-marking call looks up at most (one `get-many`).
pub const MARK_LOOKUP: usize = 100;
/// Index entries one call examines per wanted row, at least.
const EXAMINE_PER_ROW: usize = 8;
const EXAMINE_MIN: usize = 200;

/// One reverse scan of an index, keeping threads whose unread status is `unread` (any if None).
struct Pass {
    prefix: String,
    unread: Option<bool>,
}

/// How to produce a query's threads, in order.
struct Plan {
    passes: Vec<Pass>,
    disputes_only: bool,
    /// Search words the index of the passes does not already guarantee.
    other_words: Vec<String>,
}

impl Plan {
    /// Whether every entry of the plan's one index matches (no search words to check, no filter
    /// the index does not already guarantee), so that a page needs exactly its rows' records.
    fn exact(&self) -> bool {
        let [pass] = self.passes.as_slice() else {
            return false;
        };
        let index_is = |family: &str| pass.prefix.starts_with(family);
        self.other_words.is_empty()
            && (!self.disputes_only || index_is(keys::DISPUTE_INDEXES))
            && (pass.unread.is_none() || index_is(keys::UNREAD_INDEXES))
    }
}

/// Where a listing stopped: the pass and the last examined key after the pass's prefix.
struct Cursor {
    pass: usize,
    after: String,
}

impl Cursor {
    fn encode(&self) -> String {
        format!("{}:{}", self.pass, self.after)
    }

    fn decode(text: &str, passes: usize) -> Result<Cursor> {
        let (pass, after) = text.split_once(':').ok_or_else(validate::bad_cursor)?;
        let pass: usize = pass.parse().map_err(|_| validate::bad_cursor())?;
        if pass >= passes || !keys::is_stamp(after) {
            return Err(validate::bad_cursor());
        }
        Ok(Cursor {
            pass,
            after: after.to_string(),
        })
    }
}

/// Plan a query; `None` when it can match nothing (a search without any word). `unread`
/// further restricts every pass (bulk marking only needs threads whose status would change).
fn plan(
    call: &Call,
    scope: &Scope,
    query: &Query,
    sort: Sort,
    unread: Option<bool>,
) -> Result<Option<Plan>> {
    let search = query.search.trim();
    if search.chars().count() > validate::MAX_SEARCH_CHARS {
        return Err(Error::invalid(
            "search",
            format!("must be at most {} characters", validate::MAX_SEARCH_CHARS),
        ));
    }
    let mut words: Vec<String> = search::words(search).into_iter().collect();
    if words.len() > validate::MAX_SEARCH_WORDS {
        return Err(Error::invalid(
            "search",
            format!("must have at most {} words", validate::MAX_SEARCH_WORDS),
        ));
    }
    if !search.is_empty() && words.is_empty() {
        return Ok(None);
    }
    let user = &call.actor.id;
    let unread = match (query.filter, unread) {
        (Filter::Unread, Some(false)) => return Ok(None),
        (Filter::Unread, _) => Some(true),
        (_, requested) => requested,
    };
    // The longest word is likely the rarest: scan its entries and check the others.
    let driver = words
        .iter()
        .enumerate()
        .max_by_key(|(i, w)| (w.chars().count(), std::cmp::Reverse(*i)))
        .map(|(i, _)| i)
        .map(|i| words.remove(i));
    let base = match (&driver, query.filter, unread) {
        (Some(word), _, _) => keys::keyword_index(scope, word),
        (None, Filter::Unread, _) | (None, _, Some(true)) => keys::unread_index(user),
        (None, Filter::OpenDisputes, _) => keys::dispute_index(scope),
        (None, Filter::All, _) => keys::activity_index(scope),
    };
    let passes = if sort == Sort::UnreadFirst && unread.is_none() {
        let first = match driver {
            Some(_) => base.clone(),
            None => keys::unread_index(user),
        };
        vec![
            Pass {
                prefix: first,
                unread: Some(true),
            },
            Pass {
                prefix: base,
                unread: Some(false),
            },
        ]
    } else {
        vec![Pass {
            prefix: base,
            unread,
        }]
    };
    Ok(Some(Plan {
        passes,
        disputes_only: query.filter == Filter::OpenDisputes,
        other_words: words,
    }))
}

/// Visit up to `want` matching threads from `cursor` on, examining at most `budget` index
/// entries. Returns where to continue, or `None` when the plan is exhausted.
fn walk(
    call: &Call,
    plan: &Plan,
    cursor: Option<Cursor>,
    want: usize,
    budget: usize,
    mut visit: impl FnMut(ThreadRecord, ReadState),
) -> Result<Option<Cursor>> {
    let (mut pass, mut after) = match cursor {
        Some(c) => (c.pass, Some(c.after)),
        None => (0, None),
    };
    let chunk = (want * 2).clamp(16, 256);
    let (mut examined, mut matched) = (0, 0);
    while let Some(Pass { prefix, unread }) = plan.passes.get(pass) {
        let start = after.as_ref().map(|a| format!("{prefix}{a}"));
        let page = tx::scan(call.env.store, prefix, start.as_deref(), chunk as u32, true)?;
        let entries = page.entries;
        // Read the records of only as many entries as the page can still take (at least a few
        // when a predicate may reject some): without a search the index is the filter, and a
        // page reads exactly its rows.
        let mut next = 0;
        while next < entries.len() {
            let take = (want - matched).max(if plan.exact() { 1 } else { 8 });
            let batch = &entries[next..(next + take).min(entries.len())];
            for (entry, candidate) in batch.iter().zip(candidates(call, plan, batch)?) {
                examined += 1;
                // The unread filters follow what the bell counts: the threads listed for the
                // actor (a thread waiting for its pending work is listed once it is applied).
                let listed = |state: &ReadState| state.listed_at.is_some();
                if let Some((thread, state)) =
                    candidate.filter(|(_, state)| unread.is_none_or(|u| u == listed(state)))
                {
                    visit(thread, state);
                    matched += 1;
                }
                next += 1;
                if matched == want || examined >= budget {
                    let more_here = next < entries.len() || page.more;
                    let more_later = pass + 1 < plan.passes.len();
                    return Ok((more_here || more_later).then(|| Cursor {
                        pass,
                        after: entry.key[prefix.len()..].to_string(),
                    }));
                }
            }
        }
        if !page.more {
            pass += 1;
            after = None;
        } else if let Some(last) = entries.last() {
            after = Some(last.key[prefix.len()..].to_string());
        } else {
            // The store keeps answering "more" without entries: let the caller come back.
            return match after {
                Some(after) => Ok(Some(Cursor { pass, after })),
                None => Err(Error::Storage(
                    "the store returned no entries yet said more remain".into(),
                )),
            };
        }
    }
    Ok(None)
}

/// The thread and the actor's read state behind each index entry, or `None` for an entry the
/// plan's other conditions (reach, open dispute, the other search words) reject.
fn candidates(
    call: &Call,
    plan: &Plan,
    entries: &[Entry],
) -> Result<Vec<Option<(ThreadRecord, ReadState)>>> {
    let store = call.env.store;
    let order_ids = entries
        .iter()
        .map(tx::decode::<String>)
        .collect::<Result<Vec<_>>>()?;
    let thread_keys: Vec<String> = order_ids.iter().map(|o| keys::thread(o)).collect();
    let state_keys: Vec<String> = order_ids
        .iter()
        .map(|o| keys::read_state(&call.actor.id, o))
        .collect();
    let threads: Vec<Option<ThreadRecord>> = tx::read_many(store, &thread_keys)?;
    let states: Vec<Option<ReadState>> = tx::read_many(store, &state_keys)?;
    let word_keys: Vec<String> = order_ids
        .iter()
        .flat_map(|o| {
            plan.other_words
                .iter()
                .map(move |w| keys::thread_word(o, w))
        })
        .collect();
    let words_present = if word_keys.is_empty() {
        Vec::new()
    } else {
        store.get_many(&word_keys).map_err(tx::storage_error)?
    };
    let per_thread = plan.other_words.len();
    Ok(threads
        .into_iter()
        .zip(states)
        .enumerate()
        .map(|(i, (thread, state))| {
            let has_words = words_present[i * per_thread..(i + 1) * per_thread]
                .iter()
                .all(Option::is_some);
            thread
                .filter(|t| {
                    has_words
                        && call.reaches(&t.customer_id, t.vendor_id.as_deref())
                        && (!plan.disputes_only || t.open_dispute.is_some())
                })
                .map(|t| (t, state.unwrap_or_default()))
        })
        .collect())
}

fn row(thread: ThreadRecord, state: ReadState) -> ThreadRow {
    ThreadRow {
        order_id: thread.order_id,
        order_number: thread.order_number,
        latest: thread.latest,
        message_count: thread.message_count,
        unread: state.unread(thread.message_count) > 0,
        unread_count: state.unread(thread.message_count),
        dispute_open: thread.open_dispute.is_some(),
    }
}

/// List the actor's threads.
pub fn list(call: &Call, request: ListRequest) -> Result<ListPage> {
    let scope = call.scope()?;
    let limit = validate::limit(request.limit, call.settings.limits.max_page_size)? as usize;
    let Some(plan) = plan(call, &scope, &request.query, request.sort, None)? else {
        return Ok(ListPage {
            rows: Vec::new(),
            next_cursor: None,
        });
    };
    let cursor = request
        .cursor
        .as_deref()
        .map(|c| Cursor::decode(c, plan.passes.len()))
        .transpose()?;
    let mut rows = Vec::with_capacity(limit);
    let budget = (limit * EXAMINE_PER_ROW).max(EXAMINE_MIN);
    let next = walk(call, &plan, cursor, limit, budget, |t, s| {
        rows.push(row(t, s))
    })?;
    Ok(ListPage {
        rows,
        next_cursor: next.map(|c| c.encode()),
    })
}

/// The actor's bell counts.
pub fn bell(call: &Call) -> Result<BellCounts> {
    let scope = call.scope()?;
    let counts: Vec<Option<u32>> = tx::read_many(
        call.env.store,
        &[
            keys::unread_counter(&call.actor.id),
            keys::dispute_counter(&scope),
        ],
    )?;
    Ok(BellCounts {
        unread_threads: counts[0].unwrap_or(0),
        open_disputes: counts[1].unwrap_or(0),
    })
}

/// Mark a batch of the selected orders' threads read or unread; returns a cursor while more
/// remain. The first call (no cursor) checks that the actor reaches every selected order
/// before marking any. A batch is the next ids in the given order, at most [`MARK_LOOKUP`] of
/// them (one `get-many`) and at most [`MARK_BATCH`] with a thread (one commit); ids without a
/// thread cost nothing more than their lookup.
pub fn mark_selected(
    call: &Call,
    order_ids: &[String],
    read: bool,
    cursor: Option<&str>,
) -> Result<BulkResult> {
    call.scope()?;
    validate::order_ids(order_ids, call.settings.limits.max_order_ids)?;
    // The cursor is where the next batch starts in the selection, with a fingerprint of the
    // selection so that a cursor of another selection is refused.
    let selection = fingerprint_ids(order_ids);
    // Where the batch starts, and its ids' threads when the first call has read them already.
    let (start, checked) = match cursor {
        None => {
            let mut threads: Vec<Option<ThreadOwner>> = tx::read_many(
                call.env.store,
                &order_ids
                    .iter()
                    .map(|o| keys::thread(o))
                    .collect::<Vec<_>>(),
            )?;
            for (id, thread) in order_ids.iter().zip(&threads) {
                match thread {
                    Some(t)
                        if t.order_id == *id
                            && call.reaches(&t.customer_id, t.vendor_id.as_deref()) => {}
                    Some(_) => return Err(Error::order_not_found(id)),
                    // No thread: the directory says whether the actor reaches the order.
                    None => drop(call.resolve(id, None)?),
                }
            }
            threads.truncate(MARK_LOOKUP);
            (0, Some(threads))
        }
        Some(text) => {
            let (at, of) = text.split_once(':').ok_or_else(validate::bad_cursor)?;
            let at: usize = at.parse().map_err(|_| validate::bad_cursor())?;
            if of != format!("{selection:016x}") || at == 0 || at >= order_ids.len() {
                return Err(validate::bad_cursor());
            }
            (at, None)
        }
    };
    // Which of the next ids have threads: read outside the commit, so that only the threads
    // marked are checked in it.
    let lookup = &order_ids[start..(start + MARK_LOOKUP).min(order_ids.len())];
    let owners: Vec<Option<ThreadOwner>> = match checked {
        Some(owners) => owners,
        None => tx::read_many(
            call.env.store,
            &lookup.iter().map(|o| keys::thread(o)).collect::<Vec<_>>(),
        )?,
    };
    let mut batch: Vec<&String> = Vec::new();
    let mut end = start;
    for (i, (id, owner)) in lookup.iter().zip(&owners).enumerate() {
        if owner.is_some() {
            if batch.len() == MARK_BATCH {
                break;
            }
            // An id selected twice in one batch is marked once.
            if !batch.contains(&id) {
                batch.push(id);
            }
        }
        end = start + i + 1;
    }
    let thread_keys: Vec<String> = batch.iter().map(|o| keys::thread(o)).collect();
    let (changed, pending) = transact(call.env, |tx| {
        let threads: Vec<Option<ThreadRecord>> = tx.get_many(&thread_keys)?;
        let mut counters = UnreadCounters::default();
        let mut changed = 0;
        for (id, thread) in batch.iter().zip(&threads) {
            // Reached when the selection was checked; checked again against the record (a
            // thread gone since is not the actor's to mark).
            if let Some(thread) = thread {
                call.resolve(id, Some(thread))?;
                changed += u32::from(set_read(tx, &call.actor.id, thread, read, &mut counters)?);
            }
        }
        let anchor_order = batch.first().map_or("", |o| o.as_str());
        Ok((changed, finish_marking(call, tx, anchor_order, counters)?))
    })?;
    work::follow_up(call, None, pending);
    Ok(BulkResult {
        changed,
        next_cursor: (end < order_ids.len()).then(|| format!("{end}:{selection:016x}")),
    })
}

/// The fingerprint of the ids in order, each followed by a newline (which no id contains).
fn fingerprint_ids(ids: &[String]) -> u64 {
    fingerprint_bytes(ids.iter().flat_map(|id| id.bytes().chain([b'\n'])))
}

/// Mark a batch of the threads matching `query`; returns a cursor while more remain.
pub fn mark_matching(
    call: &Call,
    query: &Query,
    read: bool,
    cursor: Option<&str>,
) -> Result<BulkResult> {
    let scope = call.scope()?;
    // Only threads whose status would change need visiting.
    let Some(plan) = plan(call, &scope, query, Sort::NewestFirst, Some(read))? else {
        return Ok(BulkResult {
            changed: 0,
            next_cursor: None,
        });
    };
    let cursor_text = cursor.map(str::to_string);
    let (changed, next, pending) = transact(call.env, |tx| {
        let cursor = cursor_text
            .as_deref()
            .map(|c| Cursor::decode(c, plan.passes.len()))
            .transpose()?;
        let mut targets = Vec::new();
        let budget = MARK_BATCH * EXAMINE_PER_ROW;
        let next = walk(call, &plan, cursor, MARK_BATCH, budget, |t, _| {
            targets.push(t)
        })?;
        let mut counters = UnreadCounters::default();
        let mut changed = 0;
        for thread in &targets {
            changed += u32::from(set_read(tx, &call.actor.id, thread, read, &mut counters)?);
        }
        let anchor_order = targets.first().map_or("", |t| t.order_id.as_str());
        let pending = finish_marking(call, tx, anchor_order, counters)?;
        Ok((changed, next.map(|c| c.encode()), pending))
    })?;
    work::follow_up(call, None, pending);
    Ok(BulkResult {
        changed,
        next_cursor: next,
    })
}
