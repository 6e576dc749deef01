//! The `maintenance` exports: operations for the host itself, each with its input checks.

use super::error::Result;
use super::model::Limits;
use super::outbox::{self, DeliveryReport, Pending};
use super::ports::Env;
use super::validate;
use super::verify::{self, VerifyReport};

/// The largest batch a maintenance call takes.
const MAX_BATCH: u32 = Limits::CEILING.max_page_size;

/// Deliver up to `limit` (1 to 500) pending outbox entries, oldest first.
pub fn deliver_pending(env: &Env, limit: u32) -> Result<DeliveryReport> {
    let limit = validate::limit(limit, MAX_BATCH)?;
    outbox::deliver_pending(env, limit)
}

/// Pending entries (or dead letters) after `cursor`, at most `limit` (1 to 500), and the cursor
/// of the next page when this one is full.
pub fn list_outbox(
    env: &Env,
    dead: bool,
    cursor: Option<&str>,
    limit: u32,
) -> Result<(Vec<Pending>, Option<String>)> {
    let limit = validate::limit(limit, MAX_BATCH)?;
    let entries = outbox::list(env, dead, cursor, limit)?;
    let next = (entries.len() == limit as usize)
        .then(|| entries.last().map(|e| e.id.clone()))
        .flatten();
    Ok((entries, next))
}

/// Check up to `limit` (1 to 500) records from `cursor` on.
pub fn verify(env: &Env, cursor: Option<&str>, limit: u32) -> Result<VerifyReport> {
    let limit = validate::limit(limit, MAX_BATCH)?;
    verify::verify(env, cursor, limit)
}
