//! The page shell (header with navigation, bell and user menu; one-time message; footer), the
//! error pages, small pieces every page uses, and the static assets.

use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE};
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use maud::{DOCTYPE, Markup, PreEscaped, html};

use crate::app::{
    AdminRefusal, Cx, Flash, Inner, host_message, is_staff, message, percent_encode, status_of,
};
use order_messages_app::ops::{Refusal, accepted, mode_name};
use order_messages_app::report;
use order_messages_app::workspace::Location;
use order_messages_host::types::{Actor, BellCounts, Error, MultivendorMode, Role, Timestamp};
use order_messages_platform::Directory;

const STYLESHEET: &str = include_str!("assets/app.css");
const SCRIPT: &str = include_str!("assets/app.js");
const NO_SCRIPT_STYLESHEET: &str = include_str!("assets/nojs.css");
/// The bell icon (inline, so it needs no emoji font).
const BELL_ICON: PreEscaped<&str> = PreEscaped(
    r#"<svg class="bell-icon" viewBox="0 0 24 24" width="18" height="18" aria-hidden="true"><path fill="currentColor" d="M12 22a2.5 2.5 0 0 0 2.45-2h-4.9A2.5 2.5 0 0 0 12 22Zm7-6v-5a7 7 0 0 0-5.5-6.84V3.5a1.5 1.5 0 0 0-3 0v.66A7 7 0 0 0 5 11v5l-2 2v1h18v-1Z"/></svg>"#,
);

/// The section of the navigation a page belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Nav {
    Messages,
    Orders,
    Outbox,
    None,
}

/// A page's content.
pub(crate) struct Page {
    /// The `<title>` and heading.
    pub(crate) title: String,
    /// Where it sits in the navigation.
    pub(crate) nav: Nav,
    /// The main content.
    pub(crate) body: Markup,
    /// The HTTP status.
    pub(crate) status: StatusCode,
    /// Whether the body shows the one-time error beside its form (else the shell shows it).
    pub(crate) inline_flash: bool,
}

impl Page {
    /// A 200 page.
    pub(crate) fn new(title: impl Into<String>, nav: Nav, body: Markup) -> Self {
        Self {
            title: title.into(),
            nav,
            body,
            status: StatusCode::OK,
            inline_flash: false,
        }
    }
}

/// The parts of the page shell that depend on the acting user.
pub(crate) struct Chrome {
    /// `None` on the chooser.
    actor: Option<Actor>,
    bell: Option<BellCounts>,
    mode: MultivendorMode,
    /// The acting user's role, as people say it (`Vendor · Acme Tools`).
    role: String,
    menu: Vec<(String, Vec<(String, String)>)>,
    here: String,
    /// The one-time message.
    pub(crate) flash: Option<Flash>,
}

/// Users listed per group of the user menu (the acting user is always listed).
const MENU_GROUP_CAP: usize = 100;

impl Chrome {
    /// The bell of `actor` (none when the addon refuses it, as for a vendor in warehouse mode),
    /// the mode and the user menu. (The chooser's shell has no actor: see [`chooser`].)
    pub(crate) fn load(cx: &mut Cx<'_>, actor: Actor, here: String, flash: Option<Flash>) -> Self {
        let bell = accepted(cx.session.bell(&actor)).ok();
        let directory = cx.directory();
        Self {
            menu: user_menu(directory, Some(&actor)),
            role: role_text(&actor.role, Some(directory)),
            mode: directory.settings().mode,
            actor: Some(actor),
            bell,
            here,
            flash,
        }
    }

    /// The acting user.
    pub(crate) fn actor(&self) -> Option<&Actor> {
        self.actor.as_ref()
    }
}

/// The user menu's groups: staff, each vendor's users, customers; (id, name) each.
fn user_menu(
    directory: &Directory,
    acting: Option<&Actor>,
) -> Vec<(String, Vec<(String, String)>)> {
    let name = |id: &str| directory.name(id).unwrap_or_else(|| id.to_owned());
    let group = |ids: Vec<String>| -> Vec<(String, String)> {
        let mut listed: Vec<(String, String)> = ids
            .into_iter()
            .take(MENU_GROUP_CAP)
            .map(|id| {
                let n = name(&id);
                (id, n)
            })
            .collect();
        if let Some(a) = acting
            && !listed.iter().any(|(id, _)| *id == a.id)
            && listed.len() == MENU_GROUP_CAP
        {
            listed.push((a.id.clone(), a.display_name.clone()));
        }
        listed
    };
    let mut groups = vec![("Staff".to_owned(), group(directory.staff()))];
    for (vendor, vendor_name, users) in directory.vendors() {
        if !users.is_empty() {
            let label = format!("Vendor · {}", vendor_name.unwrap_or(vendor));
            groups.push((label, group(users)));
        }
    }
    let mut customers = directory.customers();
    if customers.is_empty() {
        let mut seen = std::collections::BTreeSet::new();
        customers = directory
            .orders()
            .into_iter()
            .map(|o| o.customer_id)
            .filter(|c| seen.insert(c.clone()))
            .collect();
    }
    groups.push(("Customers".to_owned(), group(customers)));
    groups.retain(|(_, users)| !users.is_empty());
    groups
}

/// The full page: shell around `page`, never cached (it is one user's view).
pub(crate) fn render(chrome: &Chrome, page: Page) -> Response {
    let markup = layout(chrome, &page);
    let mut response = (page.status, markup).into_response();
    let headers = response.headers_mut();
    headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

fn layout(chrome: &Chrome, page: &Page) -> Markup {
    let nav = |section: Nav, href: &str, label: &str| {
        html! { a.current[page.nav == section] href=(href) { (label) } }
    };
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (page.title) " · Order messages" }
                link rel="stylesheet" href="/assets/app.css";
                // Without script the bell's button could not open its menu: show the links.
                noscript { link rel="stylesheet" href="/assets/nojs.css"; }
                script src="/assets/app.js" defer {}
            }
            body {
                header.top {
                    a.brand href="/messages" { span.logo { "✉" } " Order messages" small { "admin" } }
                    @if chrome.actor().is_some() {
                        nav.sections {
                            (nav(Nav::Messages, "/messages", "Messages"))
                            (nav(Nav::Orders, "/orders", "Orders"))
                            @if chrome.actor().is_some_and(is_staff) {
                                (nav(Nav::Outbox, "/outbox", "Mail outbox"))
                            }
                        }
                    }
                    div.spacer {}
                    @if let Some(actor) = chrome.actor() {
                        (bell(chrome.bell.as_ref()))
                        (user_form(chrome, actor))
                    }
                }
                @if let Some(actor) = chrome.actor() {
                    div.context {
                        "Acting as " strong { (actor.display_name) } " · " (chrome.role)
                        " · store mode: " span.mode { (mode_label(chrome.mode)) }
                    }
                }
                main {
                    @if let Some(flash) = &chrome.flash {
                        @if flash.ok || !page.inline_flash {
                            (flash_box(flash))
                        }
                    }
                    (page.body)
                }
                footer {
                    "Every page runs through the addon component in the harness. Times are UTC."
                }
            }
        }
    }
}

/// The bell: a button showing the counts that opens a menu of two links, to the unread threads
/// and to the open disputes (`data-messages`, `data-disputes`: the counts the page was drawn
/// with, which the script compares with the live ones). Without script the button hides and
/// the menu's links show in its place (`nojs.css`).
fn bell(counts: Option<&BellCounts>) -> Markup {
    match counts {
        Some(c) => html! {
            div #bell .bell data-messages=(c.unread_threads) data-disputes=(c.open_disputes) {
                button #bell-button .bell-button type="button" aria-expanded="false"
                    aria-controls="bell-menu" title="Notifications (live)" {
                    (BELL_ICON)
                    span.visually-hidden { "Notifications: " }
                    span.bell-count.zero[c.unread_threads == 0] {
                        "Messages " span #bell-messages .n data-bell="messages" { (c.unread_threads) }
                    }
                    span.visually-hidden { ", " }
                    span.bell-count.disputes.zero[c.open_disputes == 0] {
                        "Disputes " span #bell-disputes .n data-bell="disputes" { (c.open_disputes) }
                    }
                }
                div #bell-menu .bell-menu hidden {
                    a.bell-link href="/messages?filter=unread" {
                        span.what { "New messages" }
                        span.n.zero[c.unread_threads == 0] data-bell="messages" { (c.unread_threads) }
                    }
                    a.bell-link.disputes href="/messages?filter=disputes" {
                        span.what { "Open disputes" }
                        span.n.zero[c.open_disputes == 0] data-bell="disputes" { (c.open_disputes) }
                    }
                }
            }
        },
        None => html! {
            div.bell.off title="No bell: the addon refuses this user" {
                (BELL_ICON) "—"
            }
        },
    }
}

fn user_form(chrome: &Chrome, actor: &Actor) -> Markup {
    html! {
        form.who method="post" action="/as" {
            input type="hidden" name="next" value=(chrome.here);
            label for="acting-user" { "Act as" }
            select #acting-user name="user" data-autosubmit {
                @for (group, users) in &chrome.menu {
                    optgroup label=(group) {
                        @for (id, name) in users {
                            option value=(id) selected[*id == actor.id] { (name) " (" (id) ")" }
                        }
                    }
                }
            }
            button.secondary type="submit" { "Switch" }
        }
    }
}

/// A one-time message: a success, or an error with its kind.
pub(crate) fn flash_box(flash: &Flash) -> Markup {
    if flash.ok {
        html! { div.flash.ok role="status" { (flash.text) } }
    } else {
        error_box(flash.kind.as_deref().unwrap_or("error"), &flash.text)
    }
}

/// An error with its kind, as the addon (or the host) named it.
pub(crate) fn error_box(kind: &str, text: &str) -> Markup {
    html! {
        div.flash.error role="alert" {
            span.kind { (kind) } " " (text)
        }
    }
}

/// The page for a failure: the refusal with its kind (and, for a vendor in warehouse mode, what
/// that means), or the host error.
pub(crate) fn failure_page(cx: &Cx<'_>, actor: &Actor, error: &anyhow::Error) -> Page {
    let status = status_of(error);
    let warehouse_vendor = matches!(actor.role, Role::Vendor(_))
        && cx.directory().settings().mode == MultivendorMode::Warehouse;
    let (title, kind, text) = match Refusal::of(error) {
        Some(Refusal(e)) => {
            let title = match e {
                Error::Forbidden(_) if warehouse_vendor => "Vendors take no part here",
                Error::Forbidden(_) => "Not allowed",
                Error::NotFound(_) => "Not found",
                Error::InvalidInput(_) => "Invalid input",
                Error::InvalidState(_) => "Not possible now",
                Error::Conflict(_) => "Conflict",
                Error::Storage(_) | Error::Directory(_) => "Temporarily unavailable",
            };
            (title, e.kind().to_owned(), message(e))
        }
        None => match AdminRefusal::of(error) {
            Some(r) => (r.title, r.kind.to_owned(), r.text),
            None => ("Platform error", "host".to_owned(), host_message(error)),
        },
    };
    let body = html! {
        section.card.refusal {
            h1 { (title) }
            (error_box(&kind, &text))
            @if warehouse_vendor && kind == "forbidden" {
                p {
                    "This store runs in " strong { "warehouse" } " mode: vendors are suppliers "
                    "behind the store and take no part in order conversations; staff answer the "
                    "customers. The addon refuses every call a vendor makes, before it looks at "
                    "any order."
                }
                p { "Switch to a staff member or a customer in the menu above." }
            } @else if kind == "not-found" {
                p { "The addon never tells whether an order exists that you may not reach." }
            }
            p { a href="/messages" { "← Messages" } }
        }
    };
    Page {
        status,
        ..Page::new(title, Nav::None, body)
    }
}

/// What a visitor acting as nobody (no cookie, or one naming no user of the directory) gets
/// instead of a page, or of a refused form (`refused_form`: 403, saying why): who they can
/// be, each user a button of the `POST /as` form that comes back to `next`. No one's data.
pub(crate) fn chooser(inner: &Inner, next: &str, refused_form: bool) -> Response {
    let directory = inner.directory();
    let page = if directory.is_empty() {
        empty_directory(inner)
    } else {
        let body = html! {
            section.card.chooser {
                h1 { "Choose who you are" }
                @if refused_form {
                    (error_box("no-user", "A form acts as a user: choose one, then send it again."))
                }
                p {
                    "The admin has no login: it shows the store as the user you pick. Your "
                    "choice is kept in a cookie of this browser; the menu at the top switches later."
                }
                form method="post" action="/as" {
                    input type="hidden" name="next" value=(next);
                    @for (group, users) in user_menu(directory, None) {
                        h2 { (group) }
                        ul.users {
                            @for (id, name) in users {
                                li {
                                    button.secondary type="submit" name="user" value=(id) {
                                        (name) " " code { (id) }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        };
        Page::new("Choose who you are", Nav::None, body)
    };
    let chrome = Chrome {
        actor: None,
        bell: None,
        mode: directory.settings().mode,
        role: String::new(),
        menu: Vec::new(),
        here: next.to_owned(),
        flash: None,
    };
    let status = if refused_form {
        StatusCode::FORBIDDEN
    } else {
        page.status
    };
    render(&chrome, Page { status, ..page })
}

/// The page shown while the directory knows nobody.
fn empty_directory(inner: &Inner) -> Page {
    let location = inner.workspace.location.describe();
    Page::new(
        "No users yet",
        Nav::None,
        html! {
            section.card {
                h1 { "The directory is empty" }
                @if inner.workspace.location == Location::Memory {
                    p { "The store in " code { (location) } " has no users or orders: "
                        (inner.workspace.how_to_fill()) "." }
                } @else {
                    p { "The store in " code { (location) } " has no users or orders yet. Fill it, then reload:" }
                    pre { "cargo run -p order-messages-harness -- demo      # the demo's marketplace and story\n"
                          "cargo run -p order-messages-harness -- seed      # a generated data set" }
                }
            }
        },
    )
}

/// A page for an error that happened outside the addon's calls (no session, say).
pub(crate) fn bare_error(error: &anyhow::Error) -> Response {
    let text = host_message(error);
    bare(StatusCode::INTERNAL_SERVER_ERROR, "Platform error", &text)
}

fn bare(status: StatusCode, title: &str, text: &str) -> Response {
    let markup = html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                title { (title) " · Order messages" }
                link rel="stylesheet" href="/assets/app.css";
            }
            body { main { section.card { h1 { (title) } p { (text) } p { a href="/messages" { "← Messages" } } } } }
        }
    };
    (status, markup).into_response()
}

/// Any other path.
pub(crate) async fn not_found() -> Response {
    bare(
        StatusCode::NOT_FOUND,
        "No such page",
        "This address is not part of the admin.",
    )
}

/// `GET /assets/app.css`.
pub(crate) async fn stylesheet() -> Response {
    asset("text/css; charset=utf-8", STYLESHEET)
}

/// `GET /assets/nojs.css`: what a page needs when script is off.
pub(crate) async fn no_script_stylesheet() -> Response {
    asset("text/css; charset=utf-8", NO_SCRIPT_STYLESHEET)
}

/// `GET /assets/app.js`.
pub(crate) async fn script() -> Response {
    asset("text/javascript; charset=utf-8", SCRIPT)
}

fn asset(content_type: &'static str, body: &'static str) -> Response {
    let mut response = body.into_response();
    let headers = response.headers_mut();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    response
}

/// A time, UTC, with the full instant on hover.
pub(crate) fn time(ms: Timestamp) -> Markup {
    let full = chrono::DateTime::from_timestamp_millis(ms)
        .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
        .unwrap_or_default();
    html! { time datetime=(full) title=(full) { (report::time(ms)) } }
}

/// `Customer`, `Vendor · Acme Tools`, `Staff`.
pub(crate) fn role_text(role: &Role, directory: Option<&Directory>) -> String {
    match role {
        Role::Customer => "Customer".into(),
        Role::Vendor(v) => {
            let name = directory
                .and_then(|d| d.vendor_name(v))
                .unwrap_or_else(|| v.clone());
            format!("Vendor · {name}")
        }
        Role::Admin => "Staff".into(),
    }
}

/// The CSS class of a role's tag.
pub(crate) fn role_class(role: &Role) -> &'static str {
    match role {
        Role::Customer => "role customer",
        Role::Vendor(_) => "role vendor",
        Role::Admin => "role staff",
    }
}

/// `separate shops` or `warehouse`.
pub(crate) fn mode_label(mode: MultivendorMode) -> &'static str {
    match mode_name(mode) {
        "separate-shops" => "separate shops",
        other => other,
    }
}

/// The order page's address.
pub(crate) fn order_url(order_id: &str) -> String {
    format!("/orders/{}", percent_encode(order_id))
}

/// `a=1&b=2`: the pairs, every one of them (empty values too), form-encoded.
pub(crate) fn encode_query(pairs: &[(&str, &str)]) -> String {
    serde_urlencoded::to_string(pairs).unwrap_or_default()
}

/// A query string (`?a=1&b=2`, or empty) from the pairs with a value.
pub(crate) fn query(pairs: &[(&str, Option<&str>)]) -> String {
    let kept: Vec<(&str, &str)> = pairs
        .iter()
        .filter_map(|(k, v)| v.filter(|v| !v.is_empty()).map(|v| (*k, v)))
        .collect();
    if kept.is_empty() {
        String::new()
    } else {
        format!("?{}", serde_urlencoded::to_string(kept).unwrap_or_default())
    }
}

/// The red "Dispute" badge.
pub(crate) fn dispute_badge() -> Markup {
    html! { span.badge.dispute title="An open dispute" { "Dispute" } }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_strings_encode_and_skip_empty_values() {
        assert_eq!(query(&[("a", None), ("b", Some(""))]), "");
        assert_eq!(
            query(&[("filter", Some("unread")), ("q", Some("a&b <c>"))]),
            "?filter=unread&q=a%26b+%3Cc%3E"
        );
    }

    #[test]
    fn interpolated_text_is_escaped() {
        let markup = error_box("invalid-input", "<script>alert(1)</script>").into_string();
        assert!(
            markup.contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
            "{markup}"
        );
        assert!(!markup.contains("<script>"), "{markup}");
    }

    #[test]
    fn roles_read_as_people_say_them() {
        let directory = Directory::default();
        directory.add_vendor("v1", "Acme Tools");
        assert_eq!(
            role_text(&Role::Vendor("v1".into()), Some(&directory)),
            "Vendor · Acme Tools"
        );
        assert_eq!(role_text(&Role::Admin, None), "Staff");
    }
}
