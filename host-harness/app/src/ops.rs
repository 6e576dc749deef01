//! Whole operations over the addon's paged exports, shared by the CLI's commands and the
//! scenario runner: fill a page, mark everything matching, deliver until done, verify the whole
//! store. Each returns the addon's typed refusal as a [`Refusal`] error.

use std::fmt;

use anyhow::Result;
use serde::Serialize;

use order_messages_host::types::*;
use order_messages_platform::Session;

/// The addon refused an operation with a typed error (see `types.wit`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Refusal(pub Error);

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "refused: {}", self.0.describe())
    }
}

impl std::error::Error for Refusal {}

impl Refusal {
    /// The refusal in `error`'s chain, if it is one.
    pub fn of(error: &anyhow::Error) -> Option<&Refusal> {
        error.downcast_ref::<Refusal>()
    }
}

/// A command the harness cannot act on as given, before the addon is asked: a user the
/// directory does not know, an order number several orders share. The CLI exits with status 2
/// (kind `usage`), as for a command line it cannot parse.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Usage(pub String);

impl fmt::Display for Usage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Usage {}

impl Usage {
    /// The usage error in `error`'s chain, if it is one.
    pub fn of(error: &anyhow::Error) -> Option<&Usage> {
        error.downcast_ref::<Usage>()
    }
}

/// The value of a call, its typed refusal as a [`Refusal`] error, or the host error.
pub fn accepted<T>(result: Result<Result<T, Error>>) -> Result<T> {
    result?.map_err(|e| Refusal(e).into())
}

/// Stops a loop over an export that keeps returning a cursor.
const MAX_CALLS: u32 = 100_000;

/// The largest page to ask the addon for: the host's `max-page-size` setting (the addon
/// refuses larger ones), within the addon's ceiling of 500.
pub fn page_cap(platform: &order_messages_platform::Platform) -> u32 {
    platform
        .directory
        .settings()
        .limits
        .max_page_size
        .clamp(1, 500)
}

/// Up to `request.limit` inbox rows of `request`'s query from `request.cursor` on, calling
/// `list-threads` (at most `cap` rows a call) until the page is full or the list ends (the
/// addon may return short pages while a cursor remains). Returns the rows and the cursor after
/// the last one.
pub fn inbox_page(
    session: &mut Session,
    actor: &Actor,
    request: &ListRequest,
    cap: u32,
) -> Result<(Vec<ThreadRow>, Option<String>)> {
    let mut rows = Vec::new();
    let mut cursor = request.cursor.clone();
    for _ in 0..MAX_CALLS {
        let want = request.limit.saturating_sub(rows.len() as u32).min(cap);
        if want == 0 {
            break;
        }
        let page = accepted(session.list_threads(
            actor,
            &ListRequest {
                cursor: cursor.clone(),
                limit: want,
                ..request.clone()
            },
        ))?;
        rows.extend(page.rows);
        cursor = page.next_cursor;
        if cursor.is_none() {
            break;
        }
    }
    Ok((rows, cursor))
}

/// How many threads a query matches, as far as a bounded count got.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", content = "threads", rename_all = "kebab-case")]
pub enum ThreadCount {
    /// Exactly this many.
    Exact(u32),
    /// More than this many: the count stopped at its cap.
    MoreThan(u32),
    /// At least this many: the count used up its calls first (a search or filter whose
    /// matches are sparse in the index it walks).
    AtLeast(u32),
}

/// Counts the threads `query` matches for `actor`, with bounded work: `list-threads` from the
/// start, at most `cap` rows a call, until the list ends ([`ThreadCount::Exact`]), more than
/// `most` rows are seen ([`ThreadCount::MoreThan`] `most`) or `calls` calls were made
/// ([`ThreadCount::AtLeast`] the rows seen). Each call's work is bounded by the addon, so a
/// count never walks the whole list.
pub fn count_threads(
    session: &mut Session,
    actor: &Actor,
    query: &Query,
    most: u32,
    calls: u32,
    cap: u32,
) -> Result<ThreadCount> {
    let mut seen: u32 = 0;
    let mut cursor: Option<String> = None;
    for _ in 0..calls {
        // One row past `most` tells "more than" from "exactly".
        let want = (most + 1 - seen).min(cap);
        let page = accepted(session.list_threads(
            actor,
            &ListRequest::new(query.clone(), want).with_cursor(cursor.take()),
        ))?;
        seen += page.rows.len() as u32;
        if seen > most {
            return Ok(ThreadCount::MoreThan(most));
        }
        match page.next_cursor {
            Some(next) => cursor = Some(next),
            None => return Ok(ThreadCount::Exact(seen)),
        }
    }
    Ok(ThreadCount::AtLeast(seen))
}

/// Every inbox row of `query` (pages of `page_size`).
pub fn inbox_all(
    session: &mut Session,
    actor: &Actor,
    query: &Query,
    unread_first: bool,
    page_size: u32,
) -> Result<Vec<ThreadRow>> {
    let mut request = ListRequest::new(query.clone(), page_size);
    if unread_first {
        request = request.unread_first();
    }
    let mut rows = Vec::new();
    for _ in 0..MAX_CALLS {
        let page = accepted(session.list_threads(actor, &request))?;
        rows.extend(page.rows);
        match page.next_cursor {
            Some(c) => request.cursor = Some(c),
            None => break,
        }
    }
    Ok(rows)
}

/// Up to `limit` orders matching `filter` from `cursor` on (`list-orders`, at most `cap` a
/// call, until the page is full or the list ends), and the cursor after them.
pub fn orders_page(
    session: &mut Session,
    actor: &Actor,
    filter: MessageFilter,
    mut cursor: Option<String>,
    limit: u32,
    cap: u32,
) -> Result<(Vec<String>, Option<String>)> {
    let mut ids = Vec::new();
    for _ in 0..MAX_CALLS {
        let want = limit.saturating_sub(ids.len() as u32).min(cap);
        if want == 0 {
            break;
        }
        let page = accepted(session.list_orders(actor, filter, cursor.as_deref(), want))?;
        ids.extend(page.order_ids);
        cursor = page.next_cursor;
        if cursor.is_none() {
            break;
        }
    }
    Ok((ids, cursor))
}

/// What marking every matching thread did.
#[derive(Clone, Copy, Debug, Default, Serialize, PartialEq, Eq)]
pub struct MarkTotals {
    /// Threads whose read state changed.
    pub changed: u32,
    /// `mark-matching` calls made.
    pub calls: u32,
}

/// Marks every thread matching `query` read or unread: `mark-matching` until its cursor ends.
pub fn mark_matching_all(
    session: &mut Session,
    actor: &Actor,
    query: &Query,
    read: bool,
) -> Result<MarkTotals> {
    let mut totals = MarkTotals::default();
    let mut cursor: Option<String> = None;
    for _ in 0..MAX_CALLS {
        let result = accepted(session.mark_matching(actor, query, read, cursor.as_deref()))?;
        totals.changed += result.changed;
        totals.calls += 1;
        cursor = result.next_cursor;
        if cursor.is_none() {
            break;
        }
    }
    Ok(totals)
}

/// Marks the selected orders' threads read or unread: `mark-selected` until its cursor ends.
pub fn mark_selected_all(
    session: &mut Session,
    actor: &Actor,
    order_ids: &[String],
    read: bool,
) -> Result<MarkTotals> {
    let mut totals = MarkTotals::default();
    let mut cursor: Option<String> = None;
    for _ in 0..MAX_CALLS {
        let result = accepted(session.mark_selected(actor, order_ids, read, cursor.as_deref()))?;
        totals.changed += result.changed;
        totals.calls += 1;
        cursor = result.next_cursor;
        if cursor.is_none() {
            break;
        }
    }
    Ok(totals)
}

/// What delivering the outbox did.
#[derive(Clone, Copy, Debug, Default, Serialize, PartialEq, Eq)]
pub struct DeliveryTotals {
    /// Entries delivered and removed.
    pub delivered: u32,
    /// Failed attempts that left an entry pending (an entry tried again counts again).
    pub deferred: u32,
    /// Entries refused permanently, now dead letters.
    pub dead: u32,
    /// `deliver-pending` calls made.
    pub calls: u32,
}

/// Calls `deliver-pending` with `limit` until no entries remain beyond those examined, or a
/// call makes no progress (everything it examined failed for now and stays pending).
pub fn deliver_all(session: &mut Session, limit: u32) -> Result<DeliveryTotals> {
    let mut totals = DeliveryTotals::default();
    for _ in 0..MAX_CALLS {
        let report = accepted(session.deliver_pending(limit))?;
        totals.delivered += report.delivered;
        totals.deferred += report.deferred;
        totals.dead += report.dead;
        totals.calls += 1;
        if !report.more || report.delivered + report.dead == 0 {
            break;
        }
    }
    Ok(totals)
}

/// Every pending outbox entry (`dead` = false) or dead letter (`dead` = true), oldest first.
pub fn outbox_all(session: &mut Session, dead: bool) -> Result<Vec<OutboxEntry>> {
    let mut entries = Vec::new();
    let mut cursor: Option<String> = None;
    for _ in 0..MAX_CALLS {
        let (page, next) = accepted(session.list_outbox(dead, cursor.as_deref(), 500))?;
        entries.extend(page);
        cursor = next;
        if cursor.is_none() {
            break;
        }
    }
    Ok(entries)
}

/// What verifying the whole store found.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct VerifyTotals {
    /// Records examined.
    pub checked: u64,
    /// The problems listed by the addon (at most `keep`).
    pub problems: Vec<Problem>,
    /// Problems found in all, listed or not.
    pub total_problems: u64,
    /// `verify` calls made.
    pub calls: u32,
}

/// Runs `maintenance.verify` over the whole store, `page` records a call, keeping the first
/// `keep` problems.
pub fn verify_all(session: &mut Session, page: u32, keep: usize) -> Result<VerifyTotals> {
    let mut totals = VerifyTotals::default();
    let mut cursor: Option<String> = None;
    for _ in 0..MAX_CALLS {
        let report = accepted(session.verify(cursor.as_deref(), page))?;
        totals.checked += u64::from(report.checked);
        totals.total_problems += report.problems.len() as u64 + u64::from(report.more_problems);
        let room = keep.saturating_sub(totals.problems.len());
        totals
            .problems
            .extend(report.problems.into_iter().take(room));
        totals.calls += 1;
        cursor = report.next_cursor;
        if cursor.is_none() {
            break;
        }
    }
    Ok(totals)
}

/// What migrating the whole store did.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct MigrateTotals {
    /// The schema version the data had.
    pub from_version: u32,
    /// The schema version it has now.
    pub to_version: u32,
    /// Records moved.
    pub migrated: u64,
    /// `migrate` calls made.
    pub calls: u32,
}

/// Runs `maintenance.migrate` until the store is upgraded, `page` records a call.
pub fn migrate_all(session: &mut Session, page: u32) -> Result<MigrateTotals> {
    let mut totals = MigrateTotals::default();
    let mut cursor: Option<String> = None;
    for _ in 0..MAX_CALLS {
        let report = accepted(session.migrate(cursor.as_deref(), page))?;
        totals.from_version = report.from_version;
        totals.to_version = report.to_version;
        totals.migrated += u64::from(report.migrated);
        totals.calls += 1;
        cursor = report.next_cursor;
        if cursor.is_none() {
            return Ok(totals);
        }
    }
    anyhow::bail!("migrate was still not done after {MAX_CALLS} calls")
}

/// Parses `all`, `unread` or `disputes` (also `open-disputes`).
pub fn parse_filter(s: &str) -> Result<Filter> {
    match s {
        "all" => Ok(Filter::All),
        "unread" => Ok(Filter::Unread),
        "disputes" | "open-disputes" => Ok(Filter::OpenDisputes),
        other => anyhow::bail!("unknown inbox filter `{other}` (all, unread or disputes)"),
    }
}

/// Parses `separate-shops` or `warehouse`.
pub fn parse_mode(s: &str) -> Result<MultivendorMode> {
    match s {
        "separate-shops" => Ok(MultivendorMode::SeparateShops),
        "warehouse" => Ok(MultivendorMode::Warehouse),
        other => anyhow::bail!("unknown multivendor mode `{other}` (separate-shops or warehouse)"),
    }
}

pub use order_messages_platform::{delivery_name, mode_name};

/// Parses `messages` or `unread` (also `with-messages`, `with-unread`).
pub fn parse_message_filter(s: &str) -> Result<MessageFilter> {
    match s {
        "messages" | "with-messages" => Ok(MessageFilter::WithMessages),
        "unread" | "with-unread" => Ok(MessageFilter::WithUnread),
        other => anyhow::bail!("unknown order filter `{other}` (messages or unread)"),
    }
}
