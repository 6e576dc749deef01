//! The Messages section (`GET /messages`): the acting user's threads with filters, search,
//! unread-first sort and cursor paging (`inbox.list-threads`), and its bulk marking of a
//! selection (`inbox.mark-selected`) or of everything matching (`inbox.mark-matching`).

use anyhow::{Result, bail};
use axum::Form;
use axum::extract::{Query as UrlQuery, State};
use axum::response::{Redirect, Response};
use maud::{Markup, html};
use serde::Deserialize;

use crate::app::{Acting, BadRequest, Cx, Done, Echo, Fields, WebApp, local_path};
use crate::html::{self, Nav, Page, dispute_badge, order_url, query, role_class, role_text};
use order_messages_app::ops::{self, parse_filter};
use order_messages_host::types::{Actor, Filter, ListRequest, MessageKind, Query, ThreadRow};

/// Rows per page unless `limit` says otherwise.
const DEFAULT_ROWS: u32 = 20;

/// The query of `GET /messages`.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct InboxParams {
    /// `all` (default), `unread` or `disputes`.
    filter: Option<String>,
    /// Keywords.
    q: Option<String>,
    /// `newest` (default) or `unread`.
    sort: Option<String>,
    /// The page after this cursor.
    cursor: Option<String>,
    /// Rows per page.
    limit: Option<u32>,
}

/// What the list shows: filter, search, sort, page size (everything but the cursor).
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

    fn url(&self, cursor: Option<&str>) -> String {
        let limit = self.limit.map(|l| l.to_string());
        format!(
            "/messages{}",
            query(&[
                (
                    "filter",
                    Some(filter_name(self.filter)).filter(|f| *f != "all")
                ),
                ("q", Some(self.search.as_str())),
                ("sort", self.unread_first.then_some("unread")),
                ("limit", limit.as_deref()),
                ("cursor", cursor),
            ])
        )
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
    UrlQuery(params): UrlQuery<InboxParams>,
) -> Response {
    app.page(acting, move |cx, actor, _| inbox(cx, actor, &params))
        .await
}

fn inbox(cx: &mut Cx<'_>, actor: &Actor, params: &InboxParams) -> Result<Page> {
    let view = View::parse(params)?;
    let limit = view.limit.unwrap_or(DEFAULT_ROWS).clamp(1, 500);
    let mut request = ListRequest::new(
        Query {
            filter: view.filter,
            search: view.search.clone(),
        },
        limit,
    )
    .with_cursor(params.cursor.clone());
    if view.unread_first {
        request = request.unread_first();
    }
    let cap = cx.page_cap();
    let (rows, next) = ops::inbox_page(cx.session, actor, &request, cap)?;
    let here = view.url(params.cursor.as_deref());
    let tab = |filter: Filter, label: &str| {
        html! {
            a.current[view.filter == filter] href=(view.with_filter(filter).url(None)) { (label) }
        }
    };
    let empty_text = match (view.filter, view.search.trim().is_empty()) {
        (_, false) => "No thread matches this search.",
        (Filter::Unread, true) => "Nothing unread.",
        (Filter::OpenDisputes, true) => "No open disputes.",
        (Filter::All, true) => "No conversations yet.",
    };
    let body = html! {
        div.page-head {
            h1 { "Messages" }
            p.sub { "Conversations about orders, newest activity first." }
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
                    a.clear href=(View { search: String::new(), ..view.clone() }.url(None)) { "Clear" }
                }
            }
            div.sort {
                "Sort: "
                a.current[!view.unread_first] href=(view.with_sort(false).url(None)) { "Newest first" }
                a.current[view.unread_first] href=(view.with_sort(true).url(None)) { "Unread first" }
            }
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
        div.pager {
            @if params.cursor.is_some() {
                a href=(view.url(None)) { "← First page" }
            }
            @if let Some(next) = &next {
                a.next href=(view.url(Some(next))) { "Next →" }
            }
        }
        form.mark-all method="post" action="/messages/mark-all" {
            input type="hidden" name="filter" value=(filter_name(view.filter));
            input type="hidden" name="q" value=(view.search);
            input type="hidden" name="back" value=(view.url(None));
            span.hint { "Every thread matching this view, on all pages:" }
            button.secondary type="submit" name="state" value="read" { "Mark all read" }
            button.secondary type="submit" name="state" value="unread" { "Mark all unread" }
        }
    };
    Ok(Page::new("Messages", Nav::Messages, body))
}

fn thread_row(cx: &Cx<'_>, row: &ThreadRow) -> Markup {
    let url = order_url(&row.order_id);
    let system = row.latest.kind != MessageKind::Text;
    html! {
        tr.unread[row.unread] data-order=(row.order_id) {
            td.check {
                input type="checkbox" name="order" value=(row.order_id)
                    aria-label={ "Select order " (row.order_number) };
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

    #[test]
    fn views_round_trip_through_their_urls() {
        let params = InboxParams {
            filter: Some("disputes".into()),
            q: Some("late & lost".into()),
            sort: Some("unread".into()),
            cursor: None,
            limit: Some(5),
        };
        let view = View::parse(&params).unwrap();
        assert_eq!(
            view.url(Some("c1")),
            "/messages?filter=disputes&q=late+%26+lost&sort=unread&limit=5&cursor=c1"
        );
        assert_eq!(
            View::parse(&InboxParams::default()).unwrap().url(None),
            "/messages"
        );
        assert!(
            View::parse(&InboxParams {
                sort: Some("oldest".into()),
                ..InboxParams::default()
            })
            .is_err()
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
