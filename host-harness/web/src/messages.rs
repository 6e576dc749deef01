//! The Messages section (`GET /messages`): the acting user's threads with filters, search,
//! unread-first sort and cursor paging (`inbox.list-threads`), and its bulk marking of a
//! selection (`inbox.mark-selected`) or of everything matching (`inbox.mark-matching`).

use anyhow::{Result, bail};
use axum::Form;
use axum::extract::{Query as UrlQuery, State};
use axum::response::{Redirect, Response};
use maud::{Markup, html};

use crate::app::{Acting, BadRequest, Cx, Done, Echo, Fields, WebApp, local_path};
use crate::html::{self, Nav, Page, dispute_badge, order_url, query, role_class, role_text};
use crate::pager::Trail;
use order_messages_app::ops::{self, ThreadCount, parse_filter};
use order_messages_host::types::{Actor, Filter, ListRequest, MessageKind, Query, ThreadRow};

/// Rows per page unless `limit` says otherwise.
const DEFAULT_ROWS: u32 = 20;
/// The most threads a page load counts: past it the page says "more than 1,000".
const COUNT_MOST: u32 = 1_000;
/// The most `list-threads` calls a page load's count makes (each call's work is bounded by
/// the addon): a search whose matches are sparse stops there and says "at least".
const COUNT_CALLS: u32 = 20;

/// The query of `GET /messages`.
#[derive(Debug, Default)]
pub(crate) struct InboxParams {
    /// `all` (default), `unread` or `disputes`.
    filter: Option<String>,
    /// Keywords.
    q: Option<String>,
    /// `newest` (default) or `unread`.
    sort: Option<String>,
    /// Where the page starts, and the pages before it (`cursor`, `prev`…).
    trail: Trail,
    /// Rows per page.
    limit: Option<u32>,
}

impl InboxParams {
    /// The parameters of a query string's pairs (`prev` may repeat: see [`Trail`]).
    fn from_pairs(pairs: &[(String, String)]) -> Result<Self> {
        let get = |name: &str| {
            pairs
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.clone())
        };
        let limit =
            match get("limit").filter(|l| !l.is_empty()) {
                None => None,
                Some(l) => Some(l.parse::<u32>().map_err(|_| {
                    BadRequest(format!("`limit` must be a number of rows, not `{l}`"))
                })?),
            };
        Ok(Self {
            filter: get("filter"),
            q: get("q"),
            sort: get("sort"),
            trail: Trail::from_pairs(pairs),
            limit,
        })
    }
}

/// What the list shows: filter, search, sort, page size (everything but the page).
#[derive(Clone, Debug)]
struct View {
    filter: Filter,
    search: String,
    unread_first: bool,
    limit: Option<u32>,
}

impl View {
    fn parse(params: &InboxParams) -> Result<Self> {
        let filter = parse_filter(params.filter.as_deref().unwrap_or("all"))
            .map_err(|e| BadRequest(e.to_string()))?;
        let unread_first = match params.sort.as_deref().unwrap_or("newest") {
            "" | "newest" => false,
            "unread" => true,
            other => bail!(BadRequest(format!(
                "unknown sort `{other}` (newest or unread)"
            ))),
        };
        Ok(Self {
            filter,
            search: params.q.clone().unwrap_or_default(),
            unread_first,
            limit: params.limit,
        })
    }

    fn with_filter(&self, filter: Filter) -> Self {
        Self {
            filter,
            ..self.clone()
        }
    }

    fn with_sort(&self, unread_first: bool) -> Self {
        Self {
            unread_first,
            ..self.clone()
        }
    }

    /// The first page of this view.
    fn first_url(&self) -> String {
        self.url(&Trail::first())
    }

    /// The page of this view that `trail` names.
    fn url(&self, trail: &Trail) -> String {
        let limit = self.limit.map(|l| l.to_string());
        let base = query(&[
            (
                "filter",
                Some(filter_name(self.filter)).filter(|f| *f != "all"),
            ),
            ("q", Some(self.search.as_str())),
            ("sort", self.unread_first.then_some("unread")),
            ("limit", limit.as_deref()),
        ]);
        let tail = trail.query_tail(!base.is_empty());
        format!("/messages{base}{tail}")
    }
}

fn filter_name(filter: Filter) -> &'static str {
    match filter {
        Filter::All => "all",
        Filter::Unread => "unread",
        Filter::OpenDisputes => "disputes",
    }
}

/// `GET /`: the Messages section.
pub(crate) async fn home() -> Redirect {
    Redirect::to("/messages")
}

/// `GET /messages`.
pub(crate) async fn page(
    State(app): State<WebApp>,
    acting: Acting,
    UrlQuery(pairs): UrlQuery<Vec<(String, String)>>,
) -> Response {
    app.page(acting, move |cx, actor, _| {
        inbox(cx, actor, &InboxParams::from_pairs(&pairs)?)
    })
    .await
}

fn inbox(cx: &mut Cx<'_>, actor: &Actor, params: &InboxParams) -> Result<Page> {
    let view = View::parse(params)?;
    let limit = view.limit.unwrap_or(DEFAULT_ROWS).clamp(1, 500);
    let list_query = Query {
        filter: view.filter,
        search: view.search.clone(),
    };
    let trail = &params.trail;
    let mut request = ListRequest::new(list_query.clone(), limit).with_cursor(trail.cursor.clone());
    if view.unread_first {
        request = request.unread_first();
    }
    let cap = cx.page_cap();
    let (rows, next) = ops::inbox_page(cx.session, actor, &request, cap)?;
    let count = ops::count_threads(cx.session, actor, &list_query, COUNT_MOST, COUNT_CALLS, cap)?;
    let here = view.url(trail);
    let tab = |filter: Filter, label: &str| {
        html! {
            a.current[view.filter == filter] href=(view.with_filter(filter).first_url()) { (label) }
        }
    };
    let empty_text = match (view.filter, view.search.trim().is_empty()) {
        (_, false) => "No thread matches this search.",
        (Filter::Unread, true) => "Nothing unread.",
        (Filter::OpenDisputes, true) => "No open disputes.",
        (Filter::All, true) => "No conversations yet.",
    };
    let previous = trail.previous();
    // "First page" only where it differs from "Previous".
    let first_link = !trail.is_first() && previous.as_ref().is_none_or(|p| !p.is_first());
    let body = html! {
        div.page-head {
            h1 { "Messages" }
            p.sub {
                "Conversations about orders, newest activity first. "
                span #thread-count .count { (count_text(count)) }
            }
        }
        div.toolbar {
            nav.tabs aria-label="Filter" {
                (tab(Filter::All, "All"))
                (tab(Filter::Unread, "Unread"))
                (tab(Filter::OpenDisputes, "Open disputes"))
            }
            form.search method="get" action="/messages" role="search" {
                @if view.filter != Filter::All {
                    input type="hidden" name="filter" value=(filter_name(view.filter));
                }
                @if view.unread_first { input type="hidden" name="sort" value="unread"; }
                @if let Some(l) = view.limit { input type="hidden" name="limit" value=(l); }
                input #search type="search" name="q" value=(view.search)
                    placeholder="Search text, order number, author" aria-label="Search";
                button type="submit" { "Search" }
                @if !view.search.is_empty() {
                    a.clear href=(View { search: String::new(), ..view.clone() }.first_url()) { "Clear" }
                }
            }
            div.sort {
                "Sort: "
                a.current[!view.unread_first] href=(view.with_sort(false).first_url()) { "Newest first" }
                a.current[view.unread_first] href=(view.with_sort(true).first_url()) { "Unread first" }
            }
        }
        // Shown by the page's script when the bell moves or a notice arrives: the rows below
        // may be out of date.
        div #list-stale .flash.stale role="status" hidden {
            "New activity since this list was shown — "
            a href=(here) { "reload" }
            " to see it."
        }
        form #threads method="post" action="/messages/mark" {
            input type="hidden" name="back" value=(here);
            div.bulk {
                span.hint { "Selected threads:" }
                button.secondary type="submit" name="state" value="read" { "Mark read" }
                button.secondary type="submit" name="state" value="unread" { "Mark unread" }
            }
            table.list.threads {
                thead {
                    tr {
                        th.check { input type="checkbox" data-select-all aria-label="Select every thread on this page"; }
                        th { "Order" }
                        th { "Latest message" }
                        th {}
                        th.num { "Messages" }
                        th.when { "Date" }
                    }
                }
                tbody {
                    @for row in &rows { (thread_row(cx, row)) }
                    @if rows.is_empty() {
                        tr.empty { td colspan="6" { (empty_text) } }
                    }
                }
            }
        }
        nav.pager aria-label="Pages" {
            div.back {
                @if first_link {
                    a.first href=(view.first_url()) { "« First page" }
                }
                @if let Some(previous) = &previous {
                    a.prev rel="prev" href=(view.url(previous)) { "← Previous" }
                }
            }
            span.position { (position_text(trail, limit, rows.len(), count)) }
            @if let Some(next) = &next {
                a.next rel="next" href=(view.url(&trail.next(next))) { "Next →" }
            }
        }
        form.mark-all method="post" action="/messages/mark-all" {
            input type="hidden" name="filter" value=(filter_name(view.filter));
            input type="hidden" name="q" value=(view.search);
            input type="hidden" name="back" value=(view.first_url());
            span.hint { "Every thread matching this view, on all pages:" }
            button.secondary type="submit" name="state" value="read" { "Mark all read" }
            button.secondary type="submit" name="state" value="unread" { "Mark all unread" }
        }
    };
    Ok(Page::new("Messages", Nav::Messages, body))
}

/// `12 threads`, `more than 1,000 threads`, `at least 57 threads`.
fn count_text(count: ThreadCount) -> String {
    match count {
        ThreadCount::Exact(n) => format!("{} thread{}", thousands(n), plural(n as usize)),
        ThreadCount::MoreThan(n) => format!("more than {} threads", thousands(n)),
        ThreadCount::AtLeast(n) => format!("at least {} threads", thousands(n)),
    }
}

/// Where the page's rows sit in the list: `Page 2 · threads 21–40 of 123` (the position only
/// while the address reaches back to the first page).
fn position_text(trail: &Trail, limit: u32, rows: usize, count: ThreadCount) -> String {
    let of = match count {
        ThreadCount::Exact(n) => thousands(n),
        ThreadCount::MoreThan(n) => format!("more than {}", thousands(n)),
        ThreadCount::AtLeast(n) => format!("at least {}", thousands(n)),
    };
    match trail.number() {
        Some(page) if rows > 0 => {
            // Every page before this one was full (`inbox_page` fills a page while the list
            // goes on).
            let first = (page - 1) * limit as usize + 1;
            let last = first + rows - 1;
            format!("Page {page} · threads {first}–{last} of {of}")
        }
        Some(page) => format!("Page {page} · {of} threads"),
        None => format!("{rows} threads on this page, of {of}"),
    }
}

/// `1,000`.
fn thousands(n: u32) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn thread_row(cx: &Cx<'_>, row: &ThreadRow) -> Markup {
    let url = order_url(&row.order_id);
    let system = row.latest.kind != MessageKind::Text;
    // `data-href`: the page's script opens the conversation on a click anywhere on the row
    // (but on its links, box and forms, which keep their own behaviour).
    html! {
        tr.unread[row.unread] data-order=(row.order_id) data-href=(url) {
            td.check {
                label.tick {
                    input type="checkbox" name="order" value=(row.order_id)
                        aria-label={ "Select order " (row.order_number) };
                }
            }
            td.order { a href=(url) { "#" (row.order_number) } }
            td.latest {
                a.thread-link href=(url) {
                    @if row.unread { span.dot title="Unread" {} }
                    span.author { (row.latest.author_name) }
                    span class=(role_class(&row.latest.author_role)) { (role_text(&row.latest.author_role, Some(cx.directory()))) }
                    span.excerpt.system[system] { (row.latest.excerpt) }
                }
            }
            td.badges { @if row.dispute_open { (dispute_badge()) } }
            td.num {
                (row.message_count)
                @if row.unread_count > 0 { " " span.badge.new { (row.unread_count) " new" } }
            }
            td.when { (html::time(row.latest.created_at)) }
        }
    }
}

/// `POST /messages/mark`: the ticked threads (`order`, repeated) read or unread (`state`).
pub(crate) async fn mark_selected(
    State(app): State<WebApp>,
    acting: Acting,
    Form(fields): Form<Vec<(String, String)>>,
) -> Response {
    let fields = Fields(fields);
    let back = back_to_messages(fields.get("back"));
    let orders = fields.all("order");
    let state = fields.get("state").to_owned();
    app.act(acting, back, Echo::default(), move |cx, actor| {
        let read = read_state(&state)?;
        if orders.is_empty() {
            bail!(BadRequest("Tick at least one thread first.".into()));
        }
        let result = ops::mark_selected_all(cx.session, actor, &orders, read)?;
        Done::back(format!(
            "Marked {} selected thread{} {state} ({} changed).",
            orders.len(),
            plural(orders.len()),
            result.changed
        ))
    })
    .await
}

/// `POST /messages/mark-all`: every thread matching `filter` and `q`, read or unread.
pub(crate) async fn mark_matching(
    State(app): State<WebApp>,
    acting: Acting,
    Form(fields): Form<Vec<(String, String)>>,
) -> Response {
    let fields = Fields(fields);
    let back = back_to_messages(fields.get("back"));
    let filter = fields.get("filter").to_owned();
    let search = fields.get("q").to_owned();
    let state = fields.get("state").to_owned();
    app.act(acting, back, Echo::default(), move |cx, actor| {
        let read = read_state(&state)?;
        let filter = parse_filter(&filter).map_err(|e| BadRequest(e.to_string()))?;
        let query = Query { filter, search };
        let totals = ops::mark_matching_all(cx.session, actor, &query, read)?;
        Done::back(format!(
            "Marked every matching thread {state}: {} changed.",
            totals.changed
        ))
    })
    .await
}

fn read_state(state: &str) -> Result<bool> {
    match state {
        "read" => Ok(true),
        "unread" => Ok(false),
        other => bail!(BadRequest(format!(
            "unknown state `{other}` (read or unread)"
        ))),
    }
}

fn back_to_messages(back: &str) -> String {
    let back = local_path(back);
    if back.starts_with("/messages") {
        back
    } else {
        "/messages".into()
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(query: &str) -> InboxParams {
        InboxParams::from_pairs(
            &serde_urlencoded::from_str::<Vec<(String, String)>>(query).unwrap(),
        )
        .unwrap()
    }

    #[test]
    fn views_round_trip_through_their_urls() {
        let params = params("filter=disputes&q=late+%26+lost&sort=unread&limit=5");
        let view = View::parse(&params).unwrap();
        let second = Trail::first().next("c1");
        assert_eq!(
            view.url(&second),
            "/messages?filter=disputes&q=late+%26+lost&sort=unread&limit=5&cursor=c1&prev="
        );
        let back = self::params(&view.url(&second)["/messages?".len()..]);
        assert_eq!(back.trail, second);
        assert_eq!(View::parse(&back).unwrap().url(&second), view.url(&second));
        let plain = View::parse(&InboxParams::default()).unwrap();
        assert_eq!(plain.first_url(), "/messages");
        assert_eq!(plain.url(&second), "/messages?cursor=c1&prev=");
        assert!(View::parse(&self::params("sort=oldest")).is_err());
        assert!(InboxParams::from_pairs(&[("limit".into(), "many".into())]).is_err());
    }

    #[test]
    fn counts_and_positions_read_as_people_say_them() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1000), "1,000");
        assert_eq!(thousands(1234567), "1,234,567");
        assert_eq!(count_text(ThreadCount::Exact(1)), "1 thread");
        assert_eq!(count_text(ThreadCount::Exact(12)), "12 threads");
        assert_eq!(
            count_text(ThreadCount::MoreThan(1000)),
            "more than 1,000 threads"
        );
        assert_eq!(count_text(ThreadCount::AtLeast(57)), "at least 57 threads");
        let third = Trail::first().next("a").next("b");
        assert_eq!(
            position_text(&third, 20, 3, ThreadCount::Exact(43)),
            "Page 3 · threads 41–43 of 43"
        );
        assert_eq!(
            position_text(&Trail::first(), 20, 20, ThreadCount::MoreThan(1000)),
            "Page 1 · threads 1–20 of more than 1,000"
        );
    }

    #[test]
    fn marking_goes_back_to_the_messages_section_only() {
        assert_eq!(
            back_to_messages("/messages?filter=unread"),
            "/messages?filter=unread"
        );
        assert_eq!(back_to_messages("/orders"), "/messages");
        assert_eq!(back_to_messages("https://elsewhere.example/"), "/messages");
    }
}
