//! `outbox` (pending entries, dead letters, mail and notifications sent, `.eml` files) and
//! `deliver`.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use anyhow::{Result, bail};
use clap::{Args, ValueEnum};
use serde::Serialize;

use super::{Ctx, names, report};
use order_messages_app::ops::{self, DeliveryTotals};
use order_messages_app::views::{OutboxEntryView, PushView};
use order_messages_app::workspace::Workspace;
use order_messages_host::types::OutboxEntry;
use order_messages_platform::Directory;
use order_messages_platform::eml::{self, EmlExport, NotWritten};

/// What `outbox` lists.
#[derive(Clone, Copy, Debug, Default, ValueEnum)]
pub enum OutboxView {
    /// Entries waiting for delivery (the addon's outbox).
    #[default]
    Pending,
    /// Entries refused for good (the addon's dead letters).
    Dead,
    /// Mail sent so far: recipients, subject, the server that took each copy.
    Sent,
    /// Notifications pushed so far.
    Notifications,
}

/// `outbox`.
#[derive(Debug, Args)]
pub struct OutboxArgs {
    /// What to list.
    #[arg(value_enum, default_value = "pending")]
    show: OutboxView,
    /// Also write every mail sent so far as `.eml` files (one per recipient) into DIR. Files
    /// are only created, never replaced or written through a link; a file already holding its
    /// mail is kept; each file that cannot be written is reported, and the command then fails.
    #[arg(long, value_name = "DIR")]
    eml: Option<PathBuf>,
}

/// `deliver`.
#[derive(Debug, Args)]
pub struct DeliverArgs {
    /// Entries per deliver-pending call (1 to 500).
    #[arg(long, default_value_t = 100)]
    batch: u32,
}

#[derive(Serialize)]
struct Entries {
    dead: bool,
    entries: Vec<OutboxEntryView>,
    #[serde(flatten)]
    eml: Option<EmlView>,
}

/// What `--eml` did, as JSON.
#[derive(Serialize)]
struct EmlView {
    /// The files holding their mail: written now or already.
    eml_files: Vec<PathBuf>,
    /// How many of them were already written.
    eml_unchanged: usize,
    eml_failures: Vec<EmlFailureView>,
}

#[derive(Serialize)]
struct EmlFailureView {
    file: PathBuf,
    /// `occupied` (something else is at the file's name), `compose` or `io`.
    kind: &'static str,
    reason: String,
}

impl From<&EmlExport> for EmlView {
    fn from(export: &EmlExport) -> Self {
        Self {
            eml_files: export.files.clone(),
            eml_unchanged: export.unchanged,
            eml_failures: export
                .failures
                .iter()
                .map(|f| EmlFailureView {
                    file: f.path.clone(),
                    kind: match f.reason {
                        NotWritten::Occupied(_) => "occupied",
                        NotWritten::Compose(_) => "compose",
                        NotWritten::Io(_) => "io",
                    },
                    reason: f.reason.to_string(),
                })
                .collect(),
        }
    }
}

#[derive(Serialize)]
struct SentMail {
    key: String,
    order_id: String,
    recipients: Vec<String>,
    subject: String,
    captured_at: i64,
    copies: Vec<SentCopyView>,
}

#[derive(Serialize)]
struct SentCopyView {
    user_id: String,
    to: String,
    via: Option<String>,
}

#[derive(Serialize)]
struct Sent {
    mails: Vec<SentMail>,
    #[serde(flatten)]
    eml: Option<EmlView>,
}

#[derive(Serialize)]
struct Pushed {
    notifications: Vec<PushView>,
    #[serde(flatten)]
    eml: Option<EmlView>,
}

/// Lists the outbox or what was sent (writing `.eml` files first with `--eml`); fails after
/// the listing if some `.eml` file could not be written.
pub fn outbox(ctx: &Ctx, args: OutboxArgs) -> Result<()> {
    let workspace = ctx.open(false)?;
    let export = match &args.eml {
        Some(dir) => Some((dir.as_path(), write_eml(&workspace, dir)?)),
        None => None,
    };
    list(ctx, &workspace, args.show, export.as_ref())?;
    match export {
        Some((_, export)) if !export.failures.is_empty() => bail!(
            "{} of {} .eml files could not be written (listed above); the others were",
            export.failures.len(),
            export.failures.len() + export.files.len()
        ),
        _ => Ok(()),
    }
}

fn list(
    ctx: &Ctx,
    workspace: &Workspace,
    show: OutboxView,
    export: Option<&(&Path, EmlExport)>,
) -> Result<()> {
    let eml = || export.map(|(_, e)| EmlView::from(e));
    let eml_text = || export.map(|(dir, e)| eml_text(dir, e)).unwrap_or_default();
    let dir = &workspace.platform.directory;
    match show {
        OutboxView::Pending | OutboxView::Dead => {
            let dead = matches!(show, OutboxView::Dead);
            let mut session = ctx.session(workspace)?;
            let entries = ops::outbox_all(&mut session, dead)?;
            let view = Entries {
                dead,
                entries: entries.iter().map(OutboxEntryView::from).collect(),
                eml: eml(),
            };
            ctx.emit(&view, || {
                let mut out = entries_text(&workspace.platform.directory, &entries, dead);
                out.push_str(&eml_text());
                out
            })
        }
        OutboxView::Sent => {
            let copies = workspace.platform.mail.sent_copies()?;
            let mails: Vec<SentMail> = workspace
                .journal_mails()?
                .into_iter()
                .map(|(mail, at)| SentMail {
                    copies: copies
                        .iter()
                        .filter(|c| c.key == mail.idempotency_key)
                        .map(|c| SentCopyView {
                            user_id: c.user_id.clone(),
                            to: c.to.clone(),
                            via: c.via.clone(),
                        })
                        .collect(),
                    key: mail.idempotency_key,
                    order_id: mail.order_id,
                    recipients: mail.recipients,
                    subject: mail.subject,
                    captured_at: at,
                })
                .collect();
            let view = Sent { mails, eml: eml() };
            ctx.emit(&view, || {
                let mut out = format!("Mail sent: {}\n", view.mails.len());
                if !view.mails.is_empty() {
                    let mut table = report::Table::new(&["When", "Order", "To", "Subject", "Via"]);
                    for m in &view.mails {
                        let via: Vec<&str> = m
                            .copies
                            .iter()
                            .map(|c| c.via.as_deref().unwrap_or("captured"))
                            .collect::<std::collections::BTreeSet<_>>()
                            .into_iter()
                            .collect();
                        table.row(vec![
                            report::time(m.captured_at),
                            super::messages::number(&workspace.platform, &m.order_id),
                            names(dir, &m.recipients),
                            report::excerpt(&m.subject, 60),
                            via.join(", "),
                        ]);
                    }
                    out.push_str(&table.render(""));
                }
                out.push_str(&eml_text());
                out
            })
        }
        OutboxView::Notifications => {
            let all = workspace.journal_notifications()?;
            let view = Pushed {
                notifications: all.iter().map(|(p, _)| p.clone()).collect(),
                eml: eml(),
            };
            ctx.emit(&view, || {
                let mut out = format!("Notifications pushed: {}\n", all.len());
                if !all.is_empty() {
                    let mut table = report::Table::new(&["When", "To", "Event"]);
                    for (p, at) in &all {
                        table.row(vec![
                            report::time(*at),
                            names(dir, &p.recipients),
                            p.summary.clone(),
                        ]);
                    }
                    out.push_str(&table.render(""));
                }
                out.push_str(&eml_text());
                out
            })
        }
    }
}

fn entries_text(dir: &Directory, entries: &[OutboxEntry], dead: bool) -> String {
    let title = if dead {
        "Dead letters"
    } else {
        "Pending outbox entries"
    };
    let mut out = format!("{title}: {}\n", entries.len());
    if !entries.is_empty() {
        let mut table = report::Table::new(&[
            "Written",
            "Kind",
            "Order",
            "To",
            "Summary",
            "Attempts",
            "Last error",
        ]);
        for e in entries {
            table.row(vec![
                report::time(e.created_at),
                order_messages_app::views::outbox_kind_name(e.kind).into(),
                e.order_id.clone(),
                report::excerpt(&names(dir, &e.recipients), 30),
                report::excerpt(&e.summary, 50),
                e.attempts.to_string(),
                e.last_error
                    .as_deref()
                    .map(|s| report::excerpt(s, 50))
                    .unwrap_or_default(),
            ]);
        }
        out.push_str(&table.render(""));
    }
    out
}

/// What `--eml` did into `dir`, and each file it could not write.
fn eml_text(dir: &Path, export: &EmlExport) -> String {
    let mut out = String::new();
    let (files, unchanged) = (export.files.len(), export.unchanged);
    if files == 0 && export.failures.is_empty() {
        out.push_str("No mail to write as .eml.\n");
    } else if unchanged == 0 {
        let _ = writeln!(out, "Wrote {files} .eml file(s) into {}.", dir.display());
    } else {
        let _ = writeln!(
            out,
            "Wrote {} .eml file(s) into {}; {unchanged} were already there.",
            files - unchanged,
            dir.display()
        );
    }
    if !export.failures.is_empty() {
        let _ = writeln!(out, "Not written: {}", export.failures.len());
        for failure in &export.failures {
            let _ = writeln!(out, "  {failure}");
        }
    }
    out
}

/// Writes every copy of every mail sent so far (journal + sent log) into `dir`.
fn write_eml(workspace: &Workspace, dir: &Path) -> Result<EmlExport> {
    let copies = workspace.platform.mail.sent_copies()?;
    let mails = workspace.journal_mails()?;
    let pairs = mails.iter().flat_map(|(mail, _)| {
        copies
            .iter()
            .filter(|c| c.key == mail.idempotency_key)
            .map(move |copy| (mail, copy))
    });
    eml::write_files(dir, pairs)
}

#[derive(Serialize)]
struct Delivered {
    #[serde(flatten)]
    totals: DeliveryTotals,
    pending: usize,
    dead_letters: usize,
}

/// Delivers pending entries until none is left; fails if some stay pending.
pub fn deliver(ctx: &Ctx, args: DeliverArgs) -> Result<()> {
    let workspace = ctx.open(false)?;
    let mut session = ctx.session(&workspace)?;
    let totals = ops::deliver_all(&mut session, args.batch)?;
    let pending = ops::outbox_all(&mut session, false)?;
    let dead = ops::outbox_all(&mut session, true)?;
    let view = Delivered {
        totals,
        pending: pending.len(),
        dead_letters: dead.len(),
    };
    ctx.emit_delivering(&workspace, &view, || {
        format!(
            "Delivered {}, deferred {}, dead {} in {} call{}; {} pending, {} dead letters.\n",
            totals.delivered,
            totals.deferred,
            totals.dead,
            totals.calls,
            if totals.calls == 1 { "" } else { "s" },
            pending.len(),
            dead.len()
        )
    })?;
    if let Some(first) = pending.first() {
        bail!(
            "{} outbox entr{} could not be delivered and stay pending (last error: {})",
            pending.len(),
            if pending.len() == 1 { "y" } else { "ies" },
            first.last_error.as_deref().unwrap_or("none")
        );
    }
    Ok(())
}
