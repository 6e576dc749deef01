//! `post`, `thread`, `unread`: one order's thread.

use std::fmt::Write as _;

use anyhow::Result;
use clap::Args;
use serde::Serialize;

use super::{AsUser, Ctx, report};
use order_messages_app::ops::accepted;
use order_messages_app::views::{ActorView, MessageView, ThreadView};
use order_messages_host::types::*;

/// `post`.
#[derive(Debug, Args)]
pub struct PostArgs {
    #[command(flatten)]
    who: AsUser,
    /// The order whose thread gets the message: its id (`o1`) or its number (`1001`).
    order: String,
    /// The message text.
    body: String,
    /// An idempotency key: posting again with it returns the first message and adds nothing.
    #[arg(long, value_name = "KEY")]
    key: Option<String>,
}

/// `thread`.
#[derive(Debug, Args)]
pub struct ThreadArgs {
    #[command(flatten)]
    who: AsUser,
    /// The order whose thread to read: its id (`o1`) or its number (`1001`).
    order: String,
    /// Read without marking the thread read.
    #[arg(long)]
    no_mark: bool,
    /// Newest message first.
    #[arg(long)]
    newest_first: bool,
    /// Most messages to show.
    #[arg(long, default_value_t = 100)]
    limit: u32,
    /// Continue after this cursor (printed under a page that has more).
    #[arg(long)]
    cursor: Option<String>,
}

/// `unread`.
#[derive(Debug, Args)]
pub struct UnreadArgs {
    #[command(flatten)]
    who: AsUser,
    /// The order: its id (`o1`) or its number (`1001`).
    order: String,
}

#[derive(Serialize)]
struct Posted {
    actor: ActorView,
    message: MessageView,
}

/// Posts a message.
pub fn post(ctx: &Ctx, args: PostArgs) -> Result<()> {
    let workspace = ctx.open(false)?;
    let actor = workspace.actor(&args.who.user)?;
    let order = ctx.order(&workspace, &args.order)?;
    let mut session = ctx.session(&workspace)?;
    let mut request = PostRequest::new(&order, &args.body);
    request.idempotency_key = args.key;
    let message = accepted(session.post(&actor, &request))?;
    let view = Posted {
        actor: ActorView::from(&actor),
        message: MessageView::from(&message),
    };
    ctx.emit_delivering(&workspace, &view, || {
        format!(
            "{} posted message #{} on order {} at {}.\n",
            report::party(&actor),
            message.seq,
            number(&workspace.platform, &message.order_id),
            report::time(message.created_at)
        )
    })
}

/// The order's number, or its id when the directory does not know it.
pub(super) fn number(platform: &crate::Platform, order_id: &str) -> String {
    platform
        .directory
        .order(order_id)
        .map_or_else(|| order_id.to_owned(), |o| o.number)
}

#[derive(Serialize)]
struct Thread {
    actor: ActorView,
    marked_read: bool,
    #[serde(flatten)]
    page: ThreadView,
}

/// Reads a thread.
pub fn thread(ctx: &Ctx, args: ThreadArgs) -> Result<()> {
    let workspace = ctx.open(false)?;
    let actor = workspace.actor(&args.who.user)?;
    let order = ctx.order(&workspace, &args.order)?;
    let mut session = ctx.session(&workspace)?;
    let mut request = ThreadRequest::new(&order)
        .with_limit(args.limit)
        .with_cursor(args.cursor);
    if args.newest_first {
        request = request.newest_first();
    }
    if !args.no_mark {
        request = request.marking_read();
    }
    let page = accepted(session.read_thread(&actor, &request))?;
    let view = Thread {
        actor: ActorView::from(&actor),
        marked_read: !args.no_mark,
        page: ThreadView::from(&page),
    };
    ctx.emit_delivering(&workspace, &view, || {
        thread_text(&actor, &page, !args.no_mark)
    })
}

fn thread_text(actor: &Actor, page: &ThreadPage, marked: bool) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "Order {} ({}): {} message{}, {} unread for {}{}{}",
        page.order_number,
        page.order_id,
        page.message_count,
        if page.message_count == 1 { "" } else { "s" },
        page.unread_count,
        report::party(actor),
        if page.dispute_open {
            ", dispute open"
        } else {
            ""
        },
        if marked && page.unread_count > 0 {
            " (now marked read)"
        } else {
            ""
        },
    );
    if page.messages.is_empty() {
        out.push_str("\n(no messages)\n");
    }
    for m in &page.messages {
        let new = if m.seq > page.read_up_to && m.author_id != actor.id {
            "  ● new"
        } else {
            ""
        };
        let what = match m.kind {
            MessageKind::Text => String::new(),
            MessageKind::DisputeOpened => " [dispute opened]".into(),
            MessageKind::DisputeClosed => " [dispute closed]".into(),
        };
        let _ = writeln!(
            out,
            "\n#{}  {}  {} ({}){what}{new}",
            m.seq,
            report::time(m.created_at),
            m.author_name,
            report::role(&m.author_role),
        );
        for line in m.body.lines() {
            let _ = writeln!(out, "    {line}");
        }
    }
    if let Some(cursor) = &page.next_cursor {
        let _ = writeln!(out, "\nmore: --cursor {cursor}");
    }
    out
}

#[derive(Serialize)]
struct Unread {
    actor: ActorView,
    order_id: String,
    unread: u32,
}

/// Prints a thread's unread count.
pub fn unread(ctx: &Ctx, args: UnreadArgs) -> Result<()> {
    let workspace = ctx.open(false)?;
    let actor = workspace.actor(&args.who.user)?;
    let order = ctx.order(&workspace, &args.order)?;
    let mut session = ctx.session(&workspace)?;
    let unread = accepted(session.unread_count(&actor, &order))?;
    let view = Unread {
        actor: ActorView::from(&actor),
        order_id: order.clone(),
        unread,
    };
    ctx.emit(&view, || {
        format!(
            "{} unread on order {} for {}\n",
            unread,
            number(&workspace.platform, &order),
            report::party(&actor)
        )
    })
}
