//! `outbox` (pending entries, dead letters, mail and notifications sent, `.eml` files) and
//! `deliver`.

use std::path::PathBuf;

use anyhow::{Context, Result, bail};
use clap::{Args, ValueEnum};
use serde::Serialize;

use super::ops::{self, DeliveryTotals};
use super::store::Workspace;
use super::views::{OutboxEntryView, PushView};
use super::{Ctx, names, report};
use crate::host::{Directory, eml};
use crate::types::OutboxEntry;

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
    /// Also write every mail sent so far as `.eml` files (one per recipient) into DIR.
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
    #[serde(skip_serializing_if = "Option::is_none")]
    eml_files: Option<Vec<PathBuf>>,
}

#[derive(Serialize)]
struct Pushed {
    notifications: Vec<PushView>,
}

/// Lists the outbox or what was sent.
pub fn outbox(ctx: &Ctx, args: OutboxArgs) -> Result<()> {
    let workspace = ctx.open(false)?;
    let written = match &args.eml {
        Some(dir) => Some(write_eml(&workspace, dir)?),
        None => None,
    };
    let dir = &workspace.host.directory;
    match args.show {
        OutboxView::Pending | OutboxView::Dead => {
            let dead = matches!(args.show, OutboxView::Dead);
            let mut session = ctx.session(&workspace)?;
            let entries = ops::outbox_all(&mut session, dead)?;
            let view = Entries {
                dead,
                entries: entries.iter().map(OutboxEntryView::from).collect(),
            };
            ctx.emit(&view, || {
                let mut out = entries_text(&workspace.host.directory, &entries, dead);
                out.push_str(&eml_text(written.as_deref()));
                out
            })
        }
        OutboxView::Sent => {
            let copies = workspace.host.mail.sent_copies()?;
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
            let view = Sent {
                mails,
                eml_files: written.clone(),
            };
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
                            super::messages::number(&workspace.host, &m.order_id),
                            names(dir, &m.recipients),
                            report::excerpt(&m.subject, 60),
                            via.join(", "),
                        ]);
                    }
                    out.push_str(&table.render(""));
                }
                out.push_str(&eml_text(written.as_deref()));
                out
            })
        }
        OutboxView::Notifications => {
            let all = workspace.journal_notifications()?;
            let view = Pushed {
                notifications: all.iter().map(|(p, _)| p.clone()).collect(),
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
                out.push_str(&eml_text(written.as_deref()));
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
                super::views::outbox_kind_name(e.kind).into(),
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

fn eml_text(written: Option<&[PathBuf]>) -> String {
    match written {
        None => String::new(),
        Some([]) => "No mail to write as .eml.\n".into(),
        Some(files) => {
            let dir = files[0]
                .parent()
                .map(|p| p.display().to_string())
                .unwrap_or_default();
            format!("Wrote {} .eml file(s) into {dir}.\n", files.len())
        }
    }
}

/// Writes every copy of every mail sent so far (journal + sent log) into `dir`.
fn write_eml(workspace: &Workspace, dir: &std::path::Path) -> Result<Vec<PathBuf>> {
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let copies = workspace.host.mail.sent_copies()?;
    let mut written = Vec::new();
    for (mail, _) in workspace.journal_mails()? {
        for copy in copies.iter().filter(|c| c.key == mail.idempotency_key) {
            let bytes = eml::compose(&mail, copy)?.formatted();
            let path = dir.join(eml::file_name(&copy.key, &copy.user_id));
            std::fs::write(&path, bytes).with_context(|| format!("writing {}", path.display()))?;
            written.push(path);
        }
    }
    Ok(written)
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
