//! The `maintenance` exports: operations for the host itself, each with its input checks.

use super::error::Result;
use super::model::Limits;
use super::outbox::{self, DeliveryReport, Pending};
use super::ports::Env;
use super::validate;
use super::verify::{self, VerifyReport};

/// The largest batch a maintenance call takes.
pub(super) const MAX_BATCH: u32 = Limits::CEILING.max_page_size;

/// Batches of pending work one `deliver-pending` call applies at most (each one commit).
pub const WORK_BATCHES: u32 = 8;

/// Apply up to [`WORK_BATCHES`] batches of pending work, then deliver up to `limit` (1 to
/// 500) pending outbox entries, oldest first.
pub fn deliver_pending(env: &Env, limit: u32) -> Result<DeliveryReport> {
    let limit = validate::limit(limit, MAX_BATCH)?;
    let applied = super::work::apply(env, None, WORK_BATCHES)?;
    let mut report = outbox::deliver_pending(env, limit)?;
    report.applied = applied.batches;
    report.more |= applied.more;
    Ok(report)
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
    let (entries, more) = outbox::list(env, dead, cursor, limit)?;
    let next = more
        .then(|| {
            entries
                .last()
                .map(|e| e.id.clone())
                .or(cursor.map(str::to_string))
        })
        .flatten();
    Ok((entries, next))
}

/// Check up to `limit` (1 to 500) records from `cursor` on.
pub fn verify(env: &Env, cursor: Option<&str>, limit: u32) -> Result<VerifyReport> {
    let limit = validate::limit(limit, MAX_BATCH)?;
    verify::verify(env, cursor, limit)
}

/// What one `migrate` call did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MigrateReport {
    pub from_version: u32,
    pub to_version: u32,
    pub migrated: u32,
    pub next_cursor: Option<String>,
}

pub use super::migrate::migrate;
