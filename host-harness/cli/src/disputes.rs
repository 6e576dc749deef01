//! `dispute open|close|current|history`.

use anyhow::Result;
use clap::{Args, Subcommand};
use serde::Serialize;

use super::messages::number;
use super::{AsUser, Ctx, report};
use order_messages_app::ops::accepted;
use order_messages_app::views::{ActorView, DisputeView};
use order_messages_host::types::*;

/// The dispute commands.
#[derive(Debug, Subcommand)]
pub enum DisputeCommand {
    /// Open a dispute on an order (customers on their own orders, staff on any).
    Open(OpenArgs),
    /// Close the open dispute of an order (staff or the customer).
    Close(CloseArgs),
    /// The open dispute of an order, if any.
    Current(OrderArgs),
    /// Every dispute of an order, oldest first.
    History(OrderArgs),
}

/// `dispute open`.
#[derive(Debug, Args)]
pub struct OpenArgs {
    #[command(flatten)]
    who: AsUser,
    /// The order: its id (`o1`) or its number (`1001`).
    order: String,
    /// Why (required).
    reason: String,
}

/// `dispute close`.
#[derive(Debug, Args)]
pub struct CloseArgs {
    #[command(flatten)]
    who: AsUser,
    /// The order: its id (`o1`) or its number (`1001`).
    order: String,
    /// The resolution note (optional).
    note: Option<String>,
}

/// `dispute current` and `dispute history`.
#[derive(Debug, Args)]
pub struct OrderArgs {
    #[command(flatten)]
    who: AsUser,
    /// The order: its id (`o1`) or its number (`1001`).
    order: String,
}

#[derive(Serialize)]
struct One {
    actor: ActorView,
    dispute: Option<DisputeView>,
}

#[derive(Serialize)]
struct Many {
    actor: ActorView,
    order_id: String,
    disputes: Vec<DisputeView>,
}

/// Runs a dispute command.
pub fn run(ctx: &Ctx, command: DisputeCommand) -> Result<()> {
    let workspace = ctx.open(false)?;
    let user = match &command {
        DisputeCommand::Open(a) => &a.who.user,
        DisputeCommand::Close(a) => &a.who.user,
        DisputeCommand::Current(a) | DisputeCommand::History(a) => &a.who.user,
    };
    let actor = workspace.actor(user)?;
    let order = match &command {
        DisputeCommand::Open(a) => &a.order,
        DisputeCommand::Close(a) => &a.order,
        DisputeCommand::Current(a) | DisputeCommand::History(a) => &a.order,
    };
    let order = ctx.order(&workspace, order)?;
    let mut session = ctx.session(&workspace)?;
    let number = |order: &str| number(&workspace.platform, order);
    match command {
        DisputeCommand::Open(args) => {
            let d = accepted(session.open_dispute(&actor, &order, &args.reason))?;
            let view = One {
                actor: ActorView::from(&actor),
                dispute: Some(DisputeView::from(&d)),
            };
            ctx.emit_delivering(&workspace, &view, || {
                format!(
                    "{} opened dispute #{} on order {}.\n",
                    report::party(&actor),
                    d.number,
                    number(&d.order_id)
                )
            })
        }
        DisputeCommand::Close(args) => {
            let d = accepted(session.close_dispute(&actor, &order, args.note.as_deref()))?;
            let view = One {
                actor: ActorView::from(&actor),
                dispute: Some(DisputeView::from(&d)),
            };
            ctx.emit_delivering(&workspace, &view, || {
                format!(
                    "{} closed dispute #{} on order {}.\n",
                    report::party(&actor),
                    d.number,
                    number(&d.order_id)
                )
            })
        }
        DisputeCommand::Current(_) => {
            let d = accepted(session.current_dispute(&actor, &order))?;
            let view = One {
                actor: ActorView::from(&actor),
                dispute: d.as_ref().map(DisputeView::from),
            };
            ctx.emit(&view, || match &d {
                None => format!("No open dispute on order {}.\n", number(&order)),
                Some(d) => table(std::slice::from_ref(d)),
            })
        }
        DisputeCommand::History(_) => {
            let all = accepted(session.dispute_history(&actor, &order))?;
            let view = Many {
                actor: ActorView::from(&actor),
                order_id: order.clone(),
                disputes: all.iter().map(DisputeView::from).collect(),
            };
            ctx.emit(&view, || {
                if all.is_empty() {
                    format!("No disputes on order {}.\n", number(&order))
                } else {
                    table(&all)
                }
            })
        }
    }
}

fn table(disputes: &[Dispute]) -> String {
    let mut t = report::Table::new(&["#", "Opened", "By", "Reason", "Closed", "By", "Resolution"]);
    for d in disputes {
        let (closed, by, resolution) = match &d.closed {
            Some(c) => (
                report::time(c.at),
                c.by.name.clone(),
                report::excerpt(&c.resolution, 40),
            ),
            None => ("open".into(), String::new(), String::new()),
        };
        t.row(vec![
            d.number.to_string(),
            report::time(d.opened_at),
            d.opened_by.name.clone(),
            report::excerpt(&d.reason, 40),
            closed,
            by,
            resolution,
        ]);
    }
    t.render("")
}
