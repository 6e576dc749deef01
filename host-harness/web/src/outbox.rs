//! The mail outbox (`GET /outbox`): the addon's pending outbox entries and dead letters
//! (`maintenance.list-outbox`), and what the host was handed, from the CLI's journal: every
//! mail with its subject, recipients, text body and HTML body (shown in a sandboxed frame, so
//! it can neither run scripts nor reach this page), and every notification.
//! `POST /outbox/deliver` runs `maintenance.deliver-pending` until nothing is left.
//!
//! Staff only: the mails are every user's, so anyone else gets a 403 page (and no nav link).

use anyhow::{Result, bail};
use axum::extract::State;
use axum::response::Response;
use maud::{Markup, html};

use crate::app::{Acting, Cx, Done, Echo, StaffOnly, WebApp, is_staff};
use crate::html::{self, Nav, Page, order_url};
use order_messages_app::ops;
use order_messages_app::views::outbox_kind_name;
use order_messages_host::types::{Mail, OutboxEntry};
use order_messages_platform::Directory;

/// Mails and notifications shown, newest first.
const RECENT: usize = 50;

/// `GET /outbox`: staff only (403 for anyone else).
pub(crate) async fn page(State(app): State<WebApp>, acting: Acting) -> Response {
    app.page(acting, |cx, actor, _| {
        if !is_staff(actor) {
            bail!(StaffOnly);
        }
        outbox(cx)
    })
    .await
}

fn outbox(cx: &mut Cx<'_>) -> Result<Page> {
    let pending = ops::outbox_all(cx.session, false)?;
    let dead = ops::outbox_all(cx.session, true)?;
    let workspace = &cx.inner.workspace;
    workspace.take_deliveries()?;
    let mails = workspace.journal_mails()?;
    let notifications = workspace.journal_notifications()?;
    let directory = cx.directory();
    let names = |ids: &[String]| order_messages_app::names(directory, ids);
    let body = html! {
        div.page-head {
            h1 { "Mail outbox" }
            p.sub {
                "What the addon hands to the host's mail and notification imports. Entries stay "
                "in the addon's outbox until delivered; a permanent refusal makes a dead letter."
            }
        }
        div.outbox-summary {
            div.stat { span.n { (pending.len()) } " pending" }
            div.stat.bad[!dead.is_empty()] { span.n { (dead.len()) } " dead letters" }
            div.stat { span.n { (mails.len()) } " mails sent" }
            div.stat { span.n { (notifications.len()) } " notifications pushed" }
            form method="post" action="/outbox/deliver" {
                button.secondary type="submit" { "Deliver pending now" }
            }
        }
        section.card {
            h2 { "Pending" }
            (entries(directory, &pending, "Nothing waits for delivery."))
        }
        section.card {
            h2 { "Dead letters" }
            (entries(directory, &dead, "No dead letters."))
        }
        section.card {
            h2 { "Mails sent " span.quiet { "(latest " (RECENT) ", newest first)" } }
            @if mails.is_empty() { p.quiet { "No mail sent yet." } }
            @for (i, (mail, at)) in mails.iter().rev().take(RECENT).enumerate() {
                (mail_view(directory, mail, *at, i == 0))
            }
        }
        section.card {
            h2 { "Notifications pushed " span.quiet { "(latest " (RECENT) ", newest first)" } }
            @if notifications.is_empty() {
                p.quiet { "No notification pushed yet." }
            } @else {
                table.list.compact {
                    thead { tr { th.when { "When" } th { "To" } th { "Event" } th { "What" } } }
                    tbody {
                        @for (push, at) in notifications.iter().rev().take(RECENT) {
                            tr {
                                td.when { (html::time(*at)) }
                                td { (names(&push.recipients)) }
                                td { span.event { (push.event) } }
                                td { (push.summary) }
                            }
                        }
                    }
                }
            }
        }
    };
    Ok(Page::new("Mail outbox", Nav::Outbox, body))
}

fn entries(directory: &Directory, entries: &[OutboxEntry], none: &str) -> Markup {
    html! {
        @if entries.is_empty() {
            p.quiet { (none) }
        } @else {
            table.list.compact {
                thead { tr { th.when { "Written" } th { "Kind" } th { "Order" } th { "To" } th { "Summary" } th.num { "Attempts" } th { "Last error" } } }
                tbody {
                    @for e in entries {
                        tr {
                            td.when { (html::time(e.created_at)) }
                            td { (outbox_kind_name(e.kind)) }
                            td { a href=(order_url(&e.order_id)) { (order_number(directory, &e.order_id)) } }
                            td { (order_messages_app::names(directory, &e.recipients)) }
                            td { (e.summary) }
                            td.num { (e.attempts) }
                            td.error-text { (e.last_error.as_deref().unwrap_or("")) }
                        }
                    }
                }
            }
        }
    }
}

fn mail_view(directory: &Directory, mail: &Mail, at: i64, open: bool) -> Markup {
    html! {
        details.mail open[open] {
            summary {
                span.when { (html::time(at)) }
                span.order { "#" (order_number(directory, &mail.order_id)) }
                span.subject { (mail.subject) }
                span.to { "to " (order_messages_app::names(directory, &mail.recipients)) }
            }
            div.mail-bodies {
                div {
                    h3 { "Text body" }
                    pre.text-body { (mail.text_body) }
                }
                div {
                    h3 { "HTML body" }
                    // `sandbox` without tokens: no scripts, no forms, a unique origin.
                    iframe.html-body sandbox="" srcdoc=(mail.html_body) title="HTML body" {}
                }
            }
        }
    }
}

fn order_number(directory: &Directory, order_id: &str) -> String {
    directory
        .order(order_id)
        .map_or_else(|| order_id.to_owned(), |o| o.number)
}

/// `POST /outbox/deliver`: staff only (the 403 page for anyone else, delivering nothing).
pub(crate) async fn deliver(State(app): State<WebApp>, mut acting: Acting) -> Response {
    if acting.actor.as_ref().is_some_and(|a| !is_staff(a)) {
        // The page's "back here" (the user menu's) is the outbox, not this form's address.
        acting.here = "/outbox".into();
        return app.page(acting, |_, _, _| bail!(StaffOnly)).await;
    }
    app.act(acting, "/outbox".into(), Echo::default(), |cx, _| {
        let totals = ops::deliver_all(cx.session, 100)?;
        Done::back(format!(
            "Delivered {}, deferred {}, dead {} ({} deliver-pending call{}).",
            totals.delivered,
            totals.deferred,
            totals.dead,
            totals.calls,
            if totals.calls == 1 { "" } else { "s" }
        ))
    })
    .await
}
