//! The web admin: the addon as store staff, vendors and customers see it, in a browser.
//!
//! A small [axum] server over one [`Workspace`] (the CLI's durable SQLite file, see
//! [`order_messages_app::workspace`]), started by `order-messages-harness serve`. Every page and every form
//! runs through the real component: each request checks a
//! [`Session`](order_messages_platform::Session) out of a pool (instances of the one compiled
//! [`Runtime`](order_messages_host::Runtime)), calls the addon's exports as the acting user, and
//! returns the session. Pages are rendered on the server with [maud], which escapes
//! every interpolated value; a few lines of JavaScript (one static file) open the bell's menu,
//! update the bell from server-sent events, say when the Messages list may be out of date,
//! open a thread from a click anywhere on its row and tick every box of a list. Everything
//! works without it: links stay links, and a stylesheet linked from a `<noscript>` shows the
//! bell's menu links where its button would be.
//!
//! | route | what |
//! |---|---|
//! | `GET /messages` | the Messages section: filters, search, unread-first, paging back and forth (earlier pages' cursors in the address), a bounded count, bulk marking |
//! | `GET /orders` | the orders list with its Messages filter (all / with unread / with messages) |
//! | `GET /orders/{id}` | an order: the Messages tab (thread, reply, disputes; opening it marks the thread read) or its details |
//! | `GET /outbox` | staff only: pending and dead outbox entries, the mails (text and HTML) and notifications sent |
//! | `GET /events` | server-sent events for the acting user: `counts-changed`, `notice` |
//! | `POST /as` | choose or switch the acting user (a cookie) |
//! | `POST /messages/mark`, `/messages/mark-all` | mark a selection, or all matching, read or unread |
//! | `POST /orders/{id}/messages`, `/read-state`, `/dispute/open`, `/dispute/close` | the order page's forms |
//! | `POST /outbox/deliver` | staff only: `maintenance.deliver-pending` until done |
//!
//! Every form posts and redirects (POST, redirect, GET); what it did, or the addon's refusal
//! with its kind, comes back as a one-time message on the next page. The messages wait in
//! memory, bounded: at most 512 and 4 MiB together (the oldest go first), each at most 64 KiB
//! (what was typed in a refused form is given back cut to fit, and the message says so).
//!
//! The admin has no login: who acts is a cookie, set by `POST /as`. Without it, or with one
//! naming no user of the directory, every page is the chooser ("Choose who you are": the
//! directory's users, each a button of the `POST /as` form, which comes back to the page asked
//! for), every form is refused (403, the chooser again) and `GET /events` answers 403. There is
//! no default user: a page another site frames (its cookie withheld) acts as nobody.
//!
//! Every response (pages, error pages, refusals, assets, the event stream) carries a strict
//! `Content-Security-Policy` (only this server's own script and stylesheet, no inline script
//! or style, forms and connections to this server only, `frame-ancestors 'none'`),
//! `X-Frame-Options: DENY`, `X-Content-Type-Options: nosniff` and `Referrer-Policy:
//! same-origin`: no page of any site may frame the admin and click through its forms.
//!
//! A form another site's page makes the browser send is refused (403): each of `Origin`
//! (`null` included), `Sec-Fetch-Site` and `Referer` that the request carries must name this
//! server (same host and port). A form with none of the three is accepted on purpose: every
//! browser sends `Origin` with a POST, so only a client that is not a browser (curl) omits
//! them all. A `Host` other than `localhost` or an IP address is refused (421, DNS rebinding).
//!
//! Showing a page changes something (marks the thread read, uses up the one-time message)
//! only for a GET the user made: not for a HEAD, nor for a request whose headers say a page of
//! another site or port made it (an `<img>` pointing at an order, say).
//!
//! The bell is live: the platform's notification capture tells [`WebApp`] of every push
//! ([`Capture::subscribe`](order_messages_platform::Capture::subscribe)), and each open page's
//! event stream forwards the acting user's `counts-changed` events.
//!
//! ```no_run
//! use order_messages_app::workspace::{Location, OpenOptions, Workspace};
//! use order_messages_platform::Clock;
//! use order_messages_web::WebApp;
//!
//! # async fn run() -> anyhow::Result<()> {
//! let workspace = Workspace::open(OpenOptions {
//!     location: Location::File("order-messages.db".into()),
//!     create: false,
//!     durable_mail: true,
//!     clock: Clock::system(),
//! })?;
//! let app = WebApp::new(order_messages_platform::runtime().clone(), workspace);
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:8080").await?;
//! order_messages_web::serve(listener, app, std::future::pending()).await?;
//! # Ok(())
//! # }
//! ```

mod app;
mod guard;
mod html;
mod live;
mod messages;
mod orders;
mod outbox;
mod pager;
#[cfg(test)]
mod tests;

use std::future::Future;

use anyhow::Result;
use axum::Router;
use axum::routing::{get, post};

pub use app::WebApp;

use order_messages_app::workspace::Workspace;

impl WebApp {
    /// The routes of the admin (see the [module docs](self)), with this app as their state.
    pub fn router(&self) -> Router {
        Router::new()
            .route("/", get(messages::home))
            .route("/messages", get(messages::page))
            .route("/messages/mark", post(messages::mark_selected))
            .route("/messages/mark-all", post(messages::mark_matching))
            .route("/orders", get(orders::list))
            .route("/orders/{id}", get(orders::order))
            .route("/orders/{id}/messages", post(orders::reply))
            .route("/orders/{id}/read-state", post(orders::read_state))
            .route("/orders/{id}/dispute/open", post(orders::open_dispute))
            .route("/orders/{id}/dispute/close", post(orders::close_dispute))
            .route("/outbox", get(outbox::page))
            .route("/outbox/deliver", post(outbox::deliver))
            .route("/as", post(app::switch_user))
            .route("/events", get(live::events))
            .route("/assets/app.css", get(html::stylesheet))
            .route("/assets/nojs.css", get(html::no_script_stylesheet))
            .route("/assets/app.js", get(html::script))
            .fallback(html::not_found)
            .layer(axum::middleware::from_fn(guard::same_site_only))
            // Outermost, so the refusals of `same_site_only` get the headers too.
            .layer(axum::middleware::from_fn(guard::security_headers))
            .with_state(self.clone())
    }
}

/// Serves `app` on `listener` until `shutdown` completes; then closes the open event streams
/// and lets the requests in flight finish.
pub async fn serve(
    listener: tokio::net::TcpListener,
    app: WebApp,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<()> {
    let closing = app.clone();
    axum::serve(listener, app.router())
        .with_graceful_shutdown(async move {
            shutdown.await;
            closing.close_streams();
        })
        .await?;
    Ok(())
}

/// Fills an empty directory (a fresh in-memory store, as the admin's own tests use) with the
/// demo's marketplace, so the admin has users and orders to show; whether it did. (`serve`
/// itself refuses `--memory`: nothing could fill the store while it serves.)
pub fn install_marketplace_if_empty(workspace: &Workspace) -> Result<bool> {
    if !workspace.platform.directory.is_empty() {
        return Ok(false);
    }
    order_messages_app::install_marketplace(&workspace.platform);
    workspace.save_directory()?;
    Ok(true)
}
