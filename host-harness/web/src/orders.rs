//! The orders list (`GET /orders`) with its Messages filter, and an order's page
//! (`GET /orders/{id}`): its Messages tab (the thread, a reply box, opening and closing
//! disputes, the dispute history) and its details; and the forms of the order page.
//!
//! The list is the host's: the directory's orders the acting user may see, newest number
//! first. The Messages filter keeps those the addon's `order-filter.filter` keeps, asked a
//! chunk of ids at a time until a page is full, as a host with its own order table would.

use std::collections::HashSet;

use anyhow::{Result, bail};
use axum::Form;
use axum::extract::{Path, Query as UrlQuery, State};
use axum::response::Response;
use maud::{Markup, html};
use serde::Deserialize;

use crate::app::{Acting, BadRequest, Cx, Done, Echo, Fields, Flash, WebApp, token};
use crate::html::{
    self, Nav, Page, dispute_badge, error_box, order_url, query, role_class, role_text,
};
use order_messages_app::ops::accepted;
use order_messages_host::types::{
    Actor, Dispute, Message, MessageFilter, MessageKind, Order, PostRequest, Role, ThreadRequest,
};

/// Orders per page of the list unless `limit` says otherwise.
const DEFAULT_ORDERS: usize = 20;
/// Messages per page of a thread.
const THREAD_PAGE: u32 = 20;

/// The query of `GET /orders`.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct OrdersParams {
    /// `all` (default), `unread` or `messages`.
    filter: Option<String>,
    /// Start at this position of the host's list.
    after: Option<usize>,
    /// Orders per page.
    limit: Option<usize>,
}

/// `GET /orders`.
pub(crate) async fn list(
    State(app): State<WebApp>,
    acting: Acting,
    UrlQuery(params): UrlQuery<OrdersParams>,
) -> Response {
    app.page(acting, move |cx, actor, _| orders_page(cx, actor, &params))
        .await
}

/// The orders the host lists for `actor`: staff see every order, a vendor's user the vendor's,
/// a customer their own; newest number first.
fn visible_orders(cx: &Cx<'_>, actor: &Actor) -> Vec<Order> {
    let mut orders: Vec<Order> = cx
        .directory()
        .orders()
        .into_iter()
        .filter(|o| match &actor.role {
            Role::Admin => true,
            Role::Vendor(v) => o.vendor_id.as_deref() == Some(v.as_str()),
            Role::Customer => o.customer_id == actor.id,
        })
        .collect();
    let key = |o: &Order| (o.number.parse::<u64>().ok(), o.number.clone());
    orders.sort_by_key(|o| std::cmp::Reverse(key(o)));
    orders
}

fn orders_page(cx: &mut Cx<'_>, actor: &Actor, params: &OrdersParams) -> Result<Page> {
    let name = params.filter.as_deref().unwrap_or("all");
    let filter = match name {
        "" | "all" => None,
        "unread" => Some(MessageFilter::WithUnread),
        "messages" => Some(MessageFilter::WithMessages),
        other => bail!(BadRequest(format!(
            "unknown orders filter `{other}` (all, unread or messages)"
        ))),
    };
    let limit = params.limit.unwrap_or(DEFAULT_ORDERS).clamp(1, 200);
    let orders = visible_orders(cx, actor);
    let start = params.after.unwrap_or(0).min(orders.len());
    let (page, next) = match filter {
        None => {
            let end = (start + limit).min(orders.len());
            (
                orders[start..end].iter().collect::<Vec<_>>(),
                (end < orders.len()).then_some(end),
            )
        }
        Some(filter) => filtered_page(cx, actor, &orders, start, limit, filter)?,
    };
    // The Messages column: which of the page's orders have messages, which unread ones. Asked
    // even for an empty page, so a user the addon refuses sees its refusal.
    let ids: Vec<String> = page.iter().map(|o| o.id.clone()).collect();
    let with_messages: HashSet<String> = accepted(cx.session.filter_orders(
        actor,
        &ids,
        MessageFilter::WithMessages,
    ))?
    .into_iter()
    .collect();
    let mut unread = Vec::new();
    for id in accepted(
        cx.session
            .filter_orders(actor, &ids, MessageFilter::WithUnread),
    )? {
        let count = accepted(cx.session.unread_count(actor, &id))?;
        unread.push((id, count));
    }
    let tab = |value: &str, label: &str| {
        let href = format!(
            "/orders{}",
            query(&[("filter", Some(value).filter(|v| *v != "all"))])
        );
        html! { a.current[name == value || (value == "all" && name.is_empty())] href=(href) { (label) } }
    };
    let page_url = |after: Option<usize>| {
        let after = after.map(|a| a.to_string());
        let limit = params.limit.map(|l| l.to_string());
        format!(
            "/orders{}",
            query(&[
                ("filter", Some(name).filter(|v| *v != "all")),
                ("limit", limit.as_deref()),
                ("after", after.as_deref()),
            ])
        )
    };
    let body = html! {
        div.page-head {
            h1 { "Orders" }
            p.sub { (orders.len()) " order" @if orders.len() != 1 { "s" } " in your list. "
                "The Messages filter asks the addon which of them to keep." }
        }
        div.toolbar {
            span.label { "Messages:" }
            nav.tabs aria-label="Messages filter" {
                (tab("all", "All orders"))
                (tab("unread", "With unread messages"))
                (tab("messages", "With messages"))
            }
        }
        table.list.orders {
            thead { tr { th { "Order" } th { "Customer" } th { "Vendor" } th { "Status" } th { "Messages" } } }
            tbody {
                @for order in &page {
                    @let unread_count = unread.iter().find(|(id, _)| *id == order.id).map(|(_, n)| *n);
                    tr.unread[unread_count.is_some()] data-order=(order.id) {
                        td.order { a href=(order_url(&order.id)) { "#" (order.number) } }
                        td { (order.customer_name) }
                        td { (order.vendor_name.as_deref().unwrap_or("— the store —")) }
                        td { span.status { (order.status) } }
                        td.messages {
                            @if let Some(n) = unread_count {
                                a.badge.new href=(order_url(&order.id)) { (n) " unread" }
                            } @else if with_messages.contains(&order.id) {
                                a.badge.quiet href=(order_url(&order.id)) { "messages" }
                            } @else {
                                span.none { "—" }
                            }
                        }
                    }
                }
                @if page.is_empty() {
                    tr.empty { td colspan="5" { "No orders match." } }
                }
            }
        }
        div.pager {
            @if start > 0 { a href=(page_url(None)) { "← First page" } }
            @if let Some(next) = next { a.next href=(page_url(Some(next))) { "Next →" } }
        }
    };
    Ok(Page::new("Orders", Nav::Orders, body))
}

/// Up to `limit` of `orders` from `start` on that the addon keeps for `filter`, asking a chunk
/// of ids at a time; and the position to continue from, if more may match.
fn filtered_page<'o>(
    cx: &mut Cx<'_>,
    actor: &Actor,
    orders: &'o [Order],
    start: usize,
    limit: usize,
    filter: MessageFilter,
) -> Result<(Vec<&'o Order>, Option<usize>)> {
    let chunk = (cx.directory().settings().limits.max_order_ids as usize).clamp(1, 500);
    let mut taken = Vec::new();
    let mut position = start;
    while position < orders.len() {
        let end = (position + chunk).min(orders.len());
        let ids: Vec<String> = orders[position..end].iter().map(|o| o.id.clone()).collect();
        let kept: HashSet<String> = accepted(cx.session.filter_orders(actor, &ids, filter))?
            .into_iter()
            .collect();
        for (offset, order) in orders[position..end].iter().enumerate() {
            if kept.contains(&order.id) {
                if taken.len() == limit {
                    return Ok((taken, Some(position + offset)));
                }
                taken.push(order);
            }
        }
        position = end;
    }
    Ok((taken, None))
}

/// The query of `GET /orders/{id}`.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct OrderParams {
    /// `messages` (default) or `details`.
    tab: Option<String>,
    /// Earlier messages: the thread's page after this cursor (newest first).
    cursor: Option<String>,
}

/// `GET /orders/{id}`.
pub(crate) async fn order(
    State(app): State<WebApp>,
    acting: Acting,
    Path(id): Path<String>,
    UrlQuery(params): UrlQuery<OrderParams>,
) -> Response {
    let mark_read = acting.user_opened;
    app.page(acting, move |cx, actor, flash| {
        order_page(cx, actor, &id, &params, flash, mark_read)
    })
    .await
}

/// The order page; `mark_read`: the user opened it, so opening the Messages tab marks the
/// thread read.
fn order_page(
    cx: &mut Cx<'_>,
    actor: &Actor,
    id: &str,
    params: &OrderParams,
    flash: Option<&Flash>,
    mark_read: bool,
) -> Result<Page> {
    let details = match params.tab.as_deref().unwrap_or("messages") {
        "" | "messages" => false,
        "details" => true,
        other => bail!(BadRequest(format!(
            "unknown tab `{other}` (messages or details)"
        ))),
    };
    // Opening the Messages tab opens the thread: the addon marks it read (unless the page was
    // not opened by the user: a HEAD, or a request another site made). The tab's count is
    // what was unread before.
    let (thread, unread) = if details {
        (None, accepted(cx.session.unread_count(actor, id))?)
    } else {
        let mut request = ThreadRequest::new(id)
            .newest_first()
            .with_limit(THREAD_PAGE.min(cx.page_cap()))
            .with_cursor(params.cursor.clone());
        if mark_read {
            request = request.marking_read();
        }
        let page = accepted(cx.session.read_thread(actor, &request))?;
        let unread = page.unread_count;
        (Some(page), unread)
    };
    let current = accepted(cx.session.current_dispute(actor, id))?;
    let history = accepted(cx.session.dispute_history(actor, id))?;
    // Only now, with the addon's word that the actor reaches the order, does the host say what
    // it knows about it.
    let order = cx.directory().order(id);
    let number = thread
        .as_ref()
        .map(|t| t.order_number.clone())
        .or_else(|| order.as_ref().map(|o| o.number.clone()))
        .unwrap_or_else(|| id.to_owned());
    let url = order_url(id);
    let may_manage = !matches!(actor.role, Role::Vendor(_));
    let form_error = |form: &str| flash.filter(|f| f.error_for(form));
    let mut inline_flash = false;
    let body = html! {
        div.page-head.order-head {
            p.crumbs { a href="/orders" { "Orders" } " / " a href="/messages" { "Messages" } }
            h1 { "Order #" (number) @if current.is_some() { " " (dispute_badge()) } }
            @if let Some(o) = &order {
                p.sub {
                    "Customer " strong { (o.customer_name) }
                    " · Vendor " strong { (o.vendor_name.as_deref().unwrap_or("the store itself")) }
                    " · Status " span.status { (o.status) }
                }
            }
        }
        nav.tabs.order-tabs aria-label="Order" {
            a.current[!details] href=(url) {
                "Messages"
                @if unread > 0 { " " span #tab-unread .count title="Unread before you opened the thread" { (unread) } }
            }
            a.current[details] href={ (url) "?tab=details" } { "Details" }
        }
        @if let Some(thread) = &thread {
            div.order-grid {
                section.thread-col {
                    @if thread.message_count == 0 {
                        p.empty-thread { "No messages yet. Write the first one below." }
                    } @else {
                        div.thread-head {
                            span { (thread.message_count) " message" @if thread.message_count != 1 { "s" } }
                            @if thread.unread_count > 0 {
                                span.badge.new { (thread.unread_count) " new since you last looked" }
                            }
                        }
                    }
                    @if let Some(earlier) = &thread.next_cursor {
                        a.earlier href={ (url) (query(&[("cursor", Some(earlier.as_str()))])) } { "↑ Earlier messages" }
                    }
                    ol.thread {
                        @for m in thread.messages.iter().rev() {
                            (message(cx, actor, m, thread.read_up_to))
                        }
                    }
                    @if params.cursor.is_some() {
                        a.later href=(url) { "↓ Latest messages" }
                    }
                    form.card.reply method="post" action={ (url) "/messages" } {
                        h2 { label for="reply-body" { "Reply" } }
                        @if let Some(f) = form_error("reply") {
                            ({ inline_flash = true; error_box(f.kind.as_deref().unwrap_or("error"), &f.text) })
                        }
                        textarea #reply-body .invalid[flash.is_some_and(|f| f.rejects("reply", "body"))]
                            name="body" rows="4"
                            placeholder="Write to the other parties of this order…" {
                            (flash.and_then(|f| f.echo.value("reply", "body")).unwrap_or(""))
                        }
                        input type="hidden" name="key" value=(token());
                        div.actions { button.primary type="submit" { "Send reply" } }
                    }
                }
                aside.side {
                    (dispute_panel(cx, id, current.as_ref(), may_manage, flash, &mut inline_flash))
                    (history_panel(&history))
                    section.card.read-state {
                        form method="post" action={ (url) "/read-state" } {
                            input type="hidden" name="state" value="unread";
                            button.secondary type="submit" { "Mark unread" }
                        }
                        p.hint { "Keeps the latest message unread for you, and goes back to Messages." }
                    }
                }
            }
        } @else {
            @if let Some(o) = &order {
                section.card.details {
                    table.facts {
                        tr { th { "Number" } td { (o.number) } }
                        tr { th { "Order id" } td { code { (o.id) } } }
                        tr { th { "Customer" } td { (o.customer_name) " " code { (o.customer_id) } } }
                        tr { th { "Vendor" } td {
                            @match (&o.vendor_name, &o.vendor_id) {
                                (Some(n), Some(v)) => { (n) " " code { (v) } },
                                (None, Some(v)) => code { (v) },
                                _ => "— the store itself —",
                            }
                        } }
                        tr { th { "Status" } td { (o.status) } }
                        tr { th { "Unread messages" } td { (unread) } }
                        tr { th { "Dispute" } td {
                            @if let Some(d) = &current { (dispute_badge()) " #" (d.number) " open" } @else { "none open" }
                            " · " (history.len()) " in all"
                        } }
                    }
                }
            }
        }
    };
    Ok(Page {
        inline_flash,
        ..Page::new(format!("Order #{number}"), Nav::Orders, body)
    })
}

fn message(cx: &Cx<'_>, actor: &Actor, m: &Message, read_up_to: u64) -> Markup {
    let system = m.kind != MessageKind::Text;
    let mine = m.author_id == actor.id;
    let new = !mine && m.seq > read_up_to;
    html! {
        li.msg.system[system].mine[mine].new[new] #{ "m" (m.seq) } data-seq=(m.seq) {
            div.meta {
                span.author { (m.author_name) }
                span class=(role_class(&m.author_role)) { (role_text(&m.author_role, Some(cx.directory()))) }
                (html::time(m.created_at))
                span.seq { "#" (m.seq) }
                @if new { span.badge.new { "new" } }
            }
            div.body { (m.body) }
        }
    }
}

fn dispute_panel(
    cx: &Cx<'_>,
    id: &str,
    current: Option<&Dispute>,
    may_manage: bool,
    flash: Option<&Flash>,
    inline_flash: &mut bool,
) -> Markup {
    let url = order_url(id);
    let mut inline = |form: &str| -> Option<Markup> {
        let f = flash.filter(|f| f.error_for(form))?;
        *inline_flash = true;
        Some(error_box(f.kind.as_deref().unwrap_or("error"), &f.text))
    };
    let rejected = |form: &str, field: &str| flash.is_some_and(|f| f.rejects(form, field));
    let typed = |form: &str, field: &str| {
        flash
            .and_then(|f| f.echo.value(form, field))
            .unwrap_or("")
            .to_owned()
    };
    html! {
        section.card.dispute-panel.open[current.is_some()] {
            h2 { "Dispute" }
            @match current {
                Some(d) => {
                    p { (dispute_badge()) " " strong { "#" (d.number) " open" } " since " (html::time(d.opened_at)) }
                    p.by { "Opened by " (d.opened_by.name) " (" (role_text(&d.opened_by.role, Some(cx.directory()))) "):" }
                    blockquote.reason { (d.reason) }
                    @if may_manage {
                        form method="post" action={ (url) "/dispute/close" } {
                            @if let Some(e) = inline("close") { (e) }
                            label for="resolution" { "Resolution note " span.optional { "(optional)" } }
                            textarea #resolution .invalid[rejected("close", "resolution")]
                                name="resolution" rows="3" { (typed("close", "resolution")) }
                            div.actions { button.danger type="submit" { "Close dispute" } }
                        }
                    }
                },
                None => {
                    p.quiet { "No open dispute." }
                    @if may_manage {
                        form method="post" action={ (url) "/dispute/open" } {
                            @if let Some(e) = inline("open") { (e) }
                            label for="reason" { "Reason " span.required { "(required)" } }
                            textarea #reason .invalid[rejected("open", "reason")] name="reason" rows="3"
                                placeholder="What went wrong with this order?" { (typed("open", "reason")) }
                            div.actions { button.danger type="submit" { "Open dispute" } }
                        }
                    }
                },
            }
            @if !may_manage {
                p.hint { "Vendors read disputes; the customer and staff open and close them." }
            }
        }
    }
}

fn history_panel(history: &[Dispute]) -> Markup {
    html! {
        section.card.history {
            h2 { "Dispute history" }
            @if history.is_empty() {
                p.quiet { "This order was never disputed." }
            } @else {
                ol.disputes {
                    @for d in history.iter().rev() {
                        li.open[d.closed.is_none()] {
                            div { strong { "#" (d.number) } " opened by " (d.opened_by.name) " · " (html::time(d.opened_at)) }
                            div.reason { (d.reason) }
                            @match &d.closed {
                                Some(c) => {
                                    div.closed {
                                        "Closed by " (c.by.name) " · " (html::time(c.at))
                                        @if !c.resolution.is_empty() { ": " span.resolution { (c.resolution) } }
                                    }
                                },
                                None => div { (dispute_badge()) " still open" },
                            }
                        }
                    }
                }
            }
        }
    }
}

/// `POST /orders/{id}/messages`: post `body` (with the form's idempotency `key`, so a form sent
/// twice posts once).
pub(crate) async fn reply(
    State(app): State<WebApp>,
    acting: Acting,
    Path(id): Path<String>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Response {
    let fields = Fields(fields);
    let body = fields.get("body").to_owned();
    let key = fields.get("key").to_owned();
    let back = order_url(&id);
    let echo = Echo::of("reply", &[("body", &body)]);
    app.act(acting, back.clone(), echo, move |cx, actor| {
        let mut request = PostRequest::new(&id, body);
        if !key.is_empty() {
            request = request.with_key(key);
        }
        let posted = accepted(cx.session.post(actor, &request))?;
        Ok(Done {
            text: format!("Message #{} sent.", posted.seq),
            to: Some(format!("{back}#m{}", posted.seq)),
        })
    })
    .await
}

/// `POST /orders/{id}/read-state`: mark the thread read or unread (`state`); unread goes back
/// to the Messages section (opening the order again would mark it read).
pub(crate) async fn read_state(
    State(app): State<WebApp>,
    acting: Acting,
    Path(id): Path<String>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Response {
    let state = Fields(fields).get("state").to_owned();
    let back = order_url(&id);
    app.act(acting, back, Echo::default(), move |cx, actor| {
        let number = cx.directory().order(&id).map_or(id.clone(), |o| o.number);
        match state.as_str() {
            "read" => {
                accepted(cx.session.mark_read(actor, &id))?;
                Done::back(format!("Order #{number} marked read."))
            }
            "unread" => {
                accepted(cx.session.mark_unread(actor, &id))?;
                Ok(Done {
                    text: format!("Order #{number} marked unread."),
                    to: Some("/messages".into()),
                })
            }
            other => bail!(BadRequest(format!(
                "unknown state `{other}` (read or unread)"
            ))),
        }
    })
    .await
}

/// `POST /orders/{id}/dispute/open`: open a dispute with `reason` (the addon requires one).
pub(crate) async fn open_dispute(
    State(app): State<WebApp>,
    acting: Acting,
    Path(id): Path<String>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Response {
    let reason = Fields(fields).get("reason").to_owned();
    let echo = Echo::of("open", &[("reason", &reason)]);
    app.act(acting, order_url(&id), echo, move |cx, actor| {
        let dispute = accepted(cx.session.open_dispute(actor, &id, &reason))?;
        Done::back(format!("Dispute #{} opened.", dispute.number))
    })
    .await
}

/// `POST /orders/{id}/dispute/close`: close the open dispute, with `resolution` if given.
pub(crate) async fn close_dispute(
    State(app): State<WebApp>,
    acting: Acting,
    Path(id): Path<String>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Response {
    let resolution = Fields(fields).get("resolution").to_owned();
    let echo = Echo::of("close", &[("resolution", &resolution)]);
    app.act(acting, order_url(&id), echo, move |cx, actor| {
        let note = Some(resolution.as_str()).filter(|r| !r.trim().is_empty());
        let dispute = accepted(cx.session.close_dispute(actor, &id, note))?;
        Done::back(format!("Dispute #{} closed.", dispute.number))
    })
    .await
}
