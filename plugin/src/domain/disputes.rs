//! Opening and closing disputes on orders.

use super::call::Call;
use super::error::{Error, Result};
use super::keys;
use super::model::{Closure, Dispute, Party};
use super::records::ThreadRecord;
use super::thread::{self, Change};
use super::tx::{self, transact};
use super::validate;
use super::work;

/// Disputes one order may have had, at most. Bounds the history and stops open/close loops.
pub const MAX_DISPUTES_PER_ORDER: u32 = 100;

/// Open a dispute with a reason.
pub fn open(call: &Call, order_id: &str, reason: &str) -> Result<Dispute> {
    call.require_not_vendor("open disputes")?;
    validate::id("order-id", order_id)?;
    let reason = validate::text("reason", reason, call.settings.limits.max_reason_chars)?;
    let (dispute, work) = transact(call.env, |tx| {
        let thread: Option<ThreadRecord> = tx.get(&keys::thread(order_id))?;
        let order = call.resolve(order_id, thread.as_ref())?;
        if thread.as_ref().is_some_and(|t| t.open_dispute.is_some()) {
            return Err(Error::InvalidState(
                "a dispute is already open on this order".into(),
            ));
        }
        let number = thread.as_ref().map_or(0, |t| t.dispute_count) + 1;
        if number > MAX_DISPUTES_PER_ORDER {
            return Err(Error::InvalidState(format!(
                "this order has had {MAX_DISPUTES_PER_ORDER} disputes, the most allowed"
            )));
        }
        let dispute = Dispute {
            order_id: order.id.clone(),
            number,
            opened_by: Party::from(&call.actor),
            reason: reason.clone(),
            opened_at: thread::next_time(call, thread.as_ref()),
            closed: None,
        };
        tx.put(keys::dispute(order_id, number), &dispute);
        let appended = thread::append(
            call,
            tx,
            &order,
            thread,
            Change::DisputeOpened(dispute.clone()),
        )?;
        Ok((dispute, appended.work))
    })?;
    work::follow_up(call, Some(&work), Vec::new());
    Ok(dispute)
}

/// Close the open dispute, with an optional resolution note.
pub fn close(call: &Call, order_id: &str, resolution: Option<&str>) -> Result<Dispute> {
    call.require_not_vendor("close disputes")?;
    validate::id("order-id", order_id)?;
    let resolution = match resolution.map(str::trim).filter(|r| !r.is_empty()) {
        Some(r) => validate::text("resolution", r, call.settings.limits.max_reason_chars)?,
        None => String::new(),
    };
    let (dispute, work) = transact(call.env, |tx| {
        let thread: Option<ThreadRecord> = tx.get(&keys::thread(order_id))?;
        let order = call.resolve(order_id, thread.as_ref())?;
        let Some(number) = thread.as_ref().and_then(|t| t.open_dispute) else {
            return Err(Error::InvalidState(
                "no dispute is open on this order".into(),
            ));
        };
        let key = keys::dispute(order_id, number);
        let mut dispute: Dispute = tx
            .get(&key)?
            .ok_or_else(|| Error::Storage(format!("the open dispute record {key} is missing")))?;
        dispute.closed = Some(Closure {
            by: Party::from(&call.actor),
            resolution: resolution.clone(),
            at: thread::next_time(call, thread.as_ref()),
        });
        tx.put(key, &dispute);
        let appended = thread::append(
            call,
            tx,
            &order,
            thread,
            Change::DisputeClosed(dispute.clone()),
        )?;
        Ok((dispute, appended.work))
    })?;
    work::follow_up(call, Some(&work), Vec::new());
    Ok(dispute)
}

/// The order's open dispute, if any.
pub fn current(call: &Call, order_id: &str) -> Result<Option<Dispute>> {
    validate::id("order-id", order_id)?;
    let store = call.env.store;
    let thread: Option<ThreadRecord> = tx::read(store, &keys::thread(order_id))?;
    call.resolve(order_id, thread.as_ref())?;
    match thread.and_then(|t| t.open_dispute) {
        Some(number) => tx::read(store, &keys::dispute(order_id, number)),
        None => Ok(None),
    }
}

/// Every dispute of the order, oldest first.
pub fn history(call: &Call, order_id: &str) -> Result<Vec<Dispute>> {
    validate::id("order-id", order_id)?;
    let store = call.env.store;
    let thread: Option<ThreadRecord> = tx::read(store, &keys::thread(order_id))?;
    call.resolve(order_id, thread.as_ref())?;
    if thread.is_none() {
        return Ok(Vec::new());
    }
    tx::scan(
        store,
        &keys::disputes(order_id),
        None,
        MAX_DISPUTES_PER_ORDER,
        false,
    )?
    .entries
    .iter()
    .map(tx::decode)
    .collect()
}
