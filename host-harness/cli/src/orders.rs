//! `orders`: the orders list's Messages filter.

use anyhow::Result;
use clap::{Args, ValueEnum};
use serde::Serialize;

use super::{AsUser, Ctx, report};
use order_messages_app::ops::{self, accepted};
use order_messages_app::views::ActorView;
use order_messages_host::types::MessageFilter;

/// Which orders to keep.
#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum WithArg {
    /// Orders whose thread has messages.
    Messages,
    /// Orders whose thread has messages the user has not read.
    Unread,
}

/// `orders`.
#[derive(Debug, Args)]
pub struct OrdersArgs {
    #[command(flatten)]
    who: AsUser,
    /// Which orders to keep.
    #[arg(long = "with", value_enum, value_name = "WHAT")]
    with: WithArg,
    /// Keep those of these orders (ids or numbers) that match (order-filter.filter); without
    /// any, list every matching order the user reaches, newest activity first
    /// (order-filter.list-orders).
    ids: Vec<String>,
    /// Without ids: most orders to list.
    #[arg(long, default_value_t = 50, conflicts_with = "ids")]
    limit: u32,
    /// Without ids: continue after this cursor.
    #[arg(long, conflicts_with = "ids")]
    cursor: Option<String>,
}

#[derive(Serialize)]
struct Orders {
    actor: ActorView,
    filter: &'static str,
    order_ids: Vec<String>,
    next_cursor: Option<String>,
}

/// Filters or lists orders.
pub fn run(ctx: &Ctx, args: OrdersArgs) -> Result<()> {
    let workspace = ctx.open(false)?;
    let actor = workspace.actor(&args.who.user)?;
    let given = ctx.orders(&workspace, &args.ids)?;
    let mut session = ctx.session(&workspace)?;
    let (filter, name) = match args.with {
        WithArg::Messages => (MessageFilter::WithMessages, "with-messages"),
        WithArg::Unread => (MessageFilter::WithUnread, "with-unread"),
    };
    let (ids, next_cursor) = if args.ids.is_empty() {
        ops::orders_page(
            &mut session,
            &actor,
            filter,
            args.cursor,
            args.limit,
            ops::page_cap(&workspace.platform),
        )?
    } else {
        (
            accepted(session.filter_orders(&actor, &given, filter))?,
            None,
        )
    };
    let view = Orders {
        actor: ActorView::from(&actor),
        filter: name,
        order_ids: ids.clone(),
        next_cursor: next_cursor.clone(),
    };
    ctx.emit(&view, || {
        let mut out = format!(
            "Orders {} for {}: {}\n",
            name.replace('-', " "),
            report::party(&actor),
            ids.len()
        );
        if !ids.is_empty() {
            let mut table = report::Table::new(&["Order", "Id", "Customer", "Vendor", "Status"]);
            for id in &ids {
                match workspace.platform.directory.order(id) {
                    Some(o) => table.row(vec![
                        o.number,
                        o.id,
                        o.customer_name,
                        o.vendor_name.unwrap_or_default(),
                        o.status,
                    ]),
                    None => table.row(vec![String::new(), id.clone()]),
                }
            }
            out.push_str(&table.render(""));
        }
        if let Some(cursor) = &next_cursor {
            out.push_str(&format!("more: --cursor {cursor}\n"));
        }
        out
    })
}
