//! `inbox`, `bell`, `mark`: the Messages section and the bell.

use std::fmt::Write as _;

use anyhow::{Result, bail};
use clap::{Args, ValueEnum};
use serde::Serialize;

use super::{AsUser, Ctx, report};
use order_messages_app::ops::{self, accepted};
use order_messages_app::views::{ActorView, BellView, InboxView, ThreadRowView};
use order_messages_host::types::*;

/// Which threads to list or mark.
#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum FilterArg {
    /// Every thread the user reaches.
    All,
    /// Threads with messages the user has not read.
    Unread,
    /// Threads with an open dispute.
    Disputes,
}

impl From<FilterArg> for Filter {
    fn from(f: FilterArg) -> Self {
        match f {
            FilterArg::All => Filter::All,
            FilterArg::Unread => Filter::Unread,
            FilterArg::Disputes => Filter::OpenDisputes,
        }
    }
}

/// `inbox`.
#[derive(Debug, Args)]
pub struct InboxArgs {
    #[command(flatten)]
    who: AsUser,
    /// Which threads.
    #[arg(long, value_enum, default_value = "all")]
    filter: FilterArg,
    /// Keywords, all of which must match (message text, order number, author names).
    #[arg(long, default_value = "")]
    search: String,
    /// Unread threads first.
    #[arg(long)]
    unread_first: bool,
    /// Most threads to show.
    #[arg(long, default_value_t = 20)]
    limit: u32,
    /// Continue after this cursor (printed under a page that has more).
    #[arg(long)]
    cursor: Option<String>,
}

/// `bell`.
#[derive(Debug, Args)]
pub struct BellArgs {
    #[command(flatten)]
    who: AsUser,
}

/// Read or unread.
#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum ReadState {
    /// Mark read.
    Read,
    /// Mark unread.
    Unread,
}

/// `mark`.
#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("which").required(true).args(["order", "orders", "all_matching"])))]
pub struct MarkArgs {
    /// Mark read or unread.
    #[arg(value_enum)]
    state: ReadState,
    #[command(flatten)]
    who: AsUser,
    /// One order's thread (messaging.mark-read / mark-unread): its id (`o1`) or number (`1001`).
    order: Option<String>,
    /// Several orders' threads, comma-separated ids or numbers, in one step
    /// (inbox.mark-selected).
    #[arg(long, value_delimiter = ',', value_name = "IDS")]
    orders: Vec<String>,
    /// Every thread matching --filter and --search (inbox.mark-matching, batch after batch).
    #[arg(long)]
    all_matching: bool,
    /// With --all-matching: which threads.
    #[arg(long, value_enum, default_value = "all", requires = "all_matching")]
    filter: FilterArg,
    /// With --all-matching: keywords.
    #[arg(long, default_value = "", requires = "all_matching")]
    search: String,
}

/// Lists threads.
pub fn inbox(ctx: &Ctx, args: InboxArgs) -> Result<()> {
    let workspace = ctx.open(false)?;
    let actor = workspace.actor(&args.who.user)?;
    let mut session = ctx.session(&workspace)?;
    let query = Query {
        filter: args.filter.into(),
        search: args.search.clone(),
    };
    let mut request = ListRequest::new(query, args.limit).with_cursor(args.cursor);
    if args.unread_first {
        request = request.unread_first();
    }
    let cap = ops::page_cap(&workspace.platform);
    let (rows, next_cursor) = ops::inbox_page(&mut session, &actor, &request, cap)?;
    let view = InboxView {
        actor: ActorView::from(&actor),
        rows: rows.iter().map(ThreadRowView::from).collect(),
        next_cursor: next_cursor.clone(),
    };
    ctx.emit(&view, || {
        let mut out = format!("Inbox of {}", report::party(&actor));
        let mut what = Vec::new();
        match args.filter {
            FilterArg::All => {}
            FilterArg::Unread => what.push("unread only".to_owned()),
            FilterArg::Disputes => what.push("open disputes only".to_owned()),
        }
        if !args.search.trim().is_empty() {
            what.push(format!("matching \"{}\"", args.search.trim()));
        }
        if args.unread_first {
            what.push("unread first".into());
        }
        if !what.is_empty() {
            let _ = write!(out, " ({})", what.join(", "));
        }
        out.push('\n');
        if rows.is_empty() {
            out.push_str("(no threads)\n");
        } else {
            out.push_str(&rows_table(&rows).render(""));
        }
        if let Some(cursor) = &next_cursor {
            let _ = writeln!(out, "more: --cursor {cursor}");
        }
        out
    })
}

/// Inbox rows as a table.
pub(super) fn rows_table(rows: &[ThreadRow]) -> report::Table {
    let mut table = report::Table::new(&[
        "Order",
        "Id",
        "Latest message",
        "Author",
        "When",
        "Msgs",
        "Unread",
        "Dispute",
    ]);
    for row in rows {
        let (unread, dispute) = report::row_marks(row);
        table.row(vec![
            row.order_number.clone(),
            row.order_id.clone(),
            report::excerpt(&row.latest.excerpt, 48),
            row.latest.author_name.clone(),
            report::time(row.latest.created_at),
            row.message_count.to_string(),
            unread,
            dispute,
        ]);
    }
    table
}

#[derive(Serialize)]
struct Bell {
    actor: ActorView,
    #[serde(flatten)]
    counts: BellView,
}

/// Prints the bell counts.
pub fn bell(ctx: &Ctx, args: BellArgs) -> Result<()> {
    let workspace = ctx.open(false)?;
    let actor = workspace.actor(&args.who.user)?;
    let mut session = ctx.session(&workspace)?;
    let counts = accepted(session.bell(&actor))?;
    let view = Bell {
        actor: ActorView::from(&actor),
        counts: BellView::from(&counts),
    };
    ctx.emit(&view, || {
        let (messages, disputes) = report::bell(&counts);
        let mut table = report::Table::new(&["User", "Messages", "Disputes"]);
        table.row(vec![report::party(&actor), messages, disputes]);
        table.render("")
    })
}

#[derive(Serialize)]
struct Marked {
    actor: ActorView,
    read: bool,
    /// Threads whose read state changed (not reported for a single order).
    changed: Option<u32>,
    calls: u32,
}

/// Marks threads read or unread.
pub fn mark(ctx: &Ctx, args: MarkArgs) -> Result<()> {
    let workspace = ctx.open(false)?;
    let actor = workspace.actor(&args.who.user)?;
    let order = args
        .order
        .as_deref()
        .map(|o| ctx.order(&workspace, o))
        .transpose()?;
    let orders = ctx.orders(&workspace, &args.orders)?;
    let mut session = ctx.session(&workspace)?;
    let read = matches!(args.state, ReadState::Read);
    let (changed, calls, what) = match (&order, orders.is_empty(), args.all_matching) {
        (Some(order), true, false) => {
            if read {
                accepted(session.mark_read(&actor, order))?;
            } else {
                accepted(session.mark_unread(&actor, order))?;
            }
            (None, 1, format!("order {order}"))
        }
        (None, false, false) => {
            let totals = ops::mark_selected_all(&mut session, &actor, &orders, read)?;
            (
                Some(totals.changed),
                totals.calls,
                format!("orders {}", orders.join(", ")),
            )
        }
        (None, true, true) => {
            let query = Query {
                filter: args.filter.into(),
                search: args.search.clone(),
            };
            let totals = ops::mark_matching_all(&mut session, &actor, &query, read)?;
            (
                Some(totals.changed),
                totals.calls,
                "every matching thread".into(),
            )
        }
        _ => bail!("give one of: an ORDER, --orders or --all-matching"),
    };
    let view = Marked {
        actor: ActorView::from(&actor),
        read,
        changed,
        calls,
    };
    ctx.emit_delivering(&workspace, &view, || {
        let state = if read { "read" } else { "unread" };
        match changed {
            Some(n) => format!(
                "Marked {what} {state} for {}: {n} thread{} changed.\n",
                report::party(&actor),
                if n == 1 { "" } else { "s" }
            ),
            None => format!("Marked {what} {state} for {}.\n", report::party(&actor)),
        }
    })
}
