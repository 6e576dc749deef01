//! The admin's state and how a request runs: the workspace, a pool of sessions of the compiled
//! component, the live event feed, the acting user (a cookie), one-time messages after a form
//! (PRG), and the refusal-or-host-error split of every failure.

use std::collections::{HashMap, VecDeque};
use std::hash::{BuildHasher, Hasher};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use anyhow::Result;
use axum::Form;
use axum::extract::{FromRequestParts, State};
use axum::http::header::{COOKIE, SET_COOKIE};
use axum::http::request::Parts;
use axum::http::{HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use tokio::sync::{broadcast, watch};

use crate::guard::{self, Initiator};
use crate::html::{self, Chrome, Page};
use order_messages_app::ops::Refusal;
use order_messages_app::workspace::Workspace;
use order_messages_host::Runtime;
use order_messages_host::types::{Actor, Error, Role};
use order_messages_platform::Session;
use order_messages_platform::{Directory, Platform, Push};

/// The cookie naming the acting user.
const USER_COOKIE: &str = "om_as";
/// The cookie naming the one-time message for the next page.
const FLASH_COOKIE: &str = "om_flash";
/// Sessions kept for reuse; more run at once only under concurrent requests.
const POOL_SIZE: usize = 8;
/// One-time messages kept until shown; the oldest go first.
const FLASH_CAPACITY: usize = 512;
/// The most one one-time message keeps (see [`Flash::kept_bytes`]): what was typed in a
/// refused form (up to the 2 MB of a request) is cut to fit.
pub(crate) const FLASH_MAX_BYTES: usize = 64 * 1024;
/// The most of its text a one-time message keeps (the addon's and host's are far shorter).
const FLASH_TEXT_MAX_BYTES: usize = 4 * 1024;
/// The most all the one-time messages keep together; the oldest go first.
const FLASH_BUDGET_BYTES: usize = 4 * 1024 * 1024;
/// Added to a one-time message whose echo was cut.
const CUT_NOTE: &str = "(What you typed was long: only its start is kept.)";

/// The web admin over one workspace: cheap to clone (clones share everything). Build it with
/// [`WebApp::new`], route with [`WebApp::router`], run with [`super::serve`].
#[derive(Clone)]
pub struct WebApp(Arc<Inner>);

pub(crate) struct Inner {
    runtime: Runtime<Platform>,
    pub(crate) workspace: Workspace,
    sessions: Mutex<Vec<Session>>,
    /// Every notification the host delivers, for the event streams.
    pub(crate) events: broadcast::Sender<Arc<Push>>,
    /// Set when the server stops: event streams end.
    pub(crate) closing: watch::Sender<bool>,
    flashes: Mutex<Flashes>,
}

impl WebApp {
    /// The admin over `workspace`, running `runtime`'s component. Subscribes to the platform's
    /// notification capture, so the bell follows every push.
    pub fn new(runtime: Runtime<Platform>, workspace: Workspace) -> Self {
        let (events, _) = broadcast::channel(1024);
        let feed = events.clone();
        workspace
            .platform
            .notifications
            .subscribe(move |push: &Push| {
                // No receiver (no page open) is not an error.
                let _ = feed.send(Arc::new(push.clone()));
            });
        let (closing, _) = watch::channel(false);
        Self(Arc::new(Inner {
            runtime,
            workspace,
            sessions: Mutex::new(Vec::new()),
            events,
            closing,
            flashes: Mutex::new(Flashes::default()),
        }))
    }

    /// The host the admin runs over (the workspace's).
    pub fn platform(&self) -> &Platform {
        &self.0.workspace.platform
    }

    /// Ends every open event stream (the server is stopping).
    pub fn close_streams(&self) {
        self.0.closing.send_replace(true);
    }

    pub(crate) fn inner(&self) -> &Inner {
        &self.0
    }

    /// Runs `f` on a blocking thread with a session of the addon, then journals what the addon
    /// delivered meanwhile (the outbox page lists it) and returns the session to the pool.
    pub(crate) async fn blocking<R: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Cx<'_>) -> R + Send + 'static,
    ) -> Result<R> {
        let app = self.clone();
        tokio::task::spawn_blocking(move || {
            let inner = &*app.0;
            let mut session = inner.checkout()?;
            let result = f(&mut Cx {
                inner,
                session: &mut session,
            });
            if let Err(e) = inner.workspace.take_deliveries() {
                tracing::warn!(error = %format!("{e:#}"), "journaling deliveries failed");
            }
            inner.checkin(session);
            Ok(result)
        })
        .await?
    }

    /// A page: runs `f` as the acting user (with the one-time message, for errors shown beside
    /// their form), then the header's bell and user menu (after `f`,
    /// so the bell shows what `f` changed) and the one-time message; renders the page, or the
    /// failure as an error page. Without an acting user, the chooser instead.
    pub(crate) async fn page(
        &self,
        acting: Acting,
        f: impl FnOnce(&mut Cx<'_>, &Actor, Option<&Flash>) -> Result<Page> + Send + 'static,
    ) -> Response {
        let Some(actor) = acting.actor else {
            return html::chooser(self.inner(), &acting.here, false);
        };
        // Showing the one-time message uses it up: only when the user opened the page.
        let flash_id = acting.flash_id.filter(|_| acting.user_opened);
        let flash = flash_id.as_deref().and_then(|id| self.take_flash(id));
        let clear_flash = flash_id.is_some();
        let here = acting.here;
        let rendered = self
            .blocking(move |cx| {
                let flash = flash.filter(|f| f.user == actor.id);
                let page = f(cx, &actor, flash.as_ref())
                    .unwrap_or_else(|e| html::failure_page(cx, &actor, &e));
                let chrome = Chrome::load(cx, actor, here, flash);
                html::render(&chrome, page)
            })
            .await;
        let mut response = match rendered {
            Ok(response) => response,
            Err(e) => html::bare_error(&e),
        };
        if clear_flash {
            set_cookie(
                &mut response,
                &format!("{FLASH_COOKIE}=; Path=/; Max-Age=0"),
            );
        }
        response
    }

    /// A form's action: runs `f` as the acting user, then redirects (303) to where `f` says or
    /// to `back`, with a one-time message saying what happened; a refusal comes back as an
    /// error message naming its kind, with `echo` (the form and what was typed) so the page
    /// can show it beside the form. Without an acting user, nothing runs: 403 and the chooser.
    pub(crate) async fn act(
        &self,
        acting: Acting,
        back: String,
        echo: Echo,
        f: impl FnOnce(&mut Cx<'_>, &Actor) -> Result<Done> + Send + 'static,
    ) -> Response {
        let Some(actor) = acting.actor else {
            return html::chooser(self.inner(), &back, true);
        };
        let user = actor.id.clone();
        let result = self.blocking(move |cx| f(cx, &actor)).await;
        let (to, flash) = match result.and_then(|r| r) {
            Ok(done) => (
                done.to.unwrap_or(back),
                Flash {
                    user,
                    ok: true,
                    text: done.text,
                    kind: None,
                    field: None,
                    echo: Echo::default(),
                },
            ),
            Err(e) => (back, Flash::failure(user, &e, echo)),
        };
        self.redirect(&to, Some(flash))
    }

    /// A 303 redirect to `to`, carrying `flash` for the next page.
    pub(crate) fn redirect(&self, to: &str, flash: Option<Flash>) -> Response {
        let mut response = Redirect::to(to).into_response();
        if let Some(flash) = flash {
            let id = self.store_flash(flash);
            set_cookie(
                &mut response,
                &format!("{FLASH_COOKIE}={id}; Path=/; HttpOnly; SameSite=Strict"),
            );
        }
        response
    }

    fn store_flash(&self, flash: Flash) -> String {
        lock(&self.0.flashes).store(flash)
    }

    fn take_flash(&self, id: &str) -> Option<Flash> {
        lock(&self.0.flashes).take(id)
    }

    /// The bytes the one-time messages waiting for their page keep, counted afresh.
    #[cfg(test)]
    pub(crate) fn kept_flash_bytes(&self) -> usize {
        lock(&self.0.flashes).recount()
    }
}

impl Inner {
    /// The directory.
    pub(crate) fn directory(&self) -> &Directory {
        &self.workspace.platform.directory
    }

    fn checkout(&self) -> Result<Session> {
        let pooled = lock(&self.sessions).pop();
        match pooled {
            Some(session) => Ok(session),
            None => self.workspace.session(&self.runtime),
        }
    }

    fn checkin(&self, session: Session) {
        let mut sessions = lock(&self.sessions);
        if sessions.len() < POOL_SIZE {
            sessions.push(session);
        }
    }
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|p| p.into_inner())
}

/// What a request's blocking part works with: the app and a session of the addon.
pub(crate) struct Cx<'a> {
    /// The app.
    pub(crate) inner: &'a Inner,
    /// A session of the addon over the workspace's host.
    pub(crate) session: &'a mut Session,
}

impl Cx<'_> {
    /// The directory.
    pub(crate) fn directory(&self) -> &Directory {
        self.inner.directory()
    }

    /// The largest page the addon accepts.
    pub(crate) fn page_cap(&self) -> u32 {
        order_messages_app::ops::page_cap(&self.inner.workspace.platform)
    }
}

/// What a form's action did: the message to show, and where to go (else back).
pub(crate) struct Done {
    /// What happened, for the next page.
    pub(crate) text: String,
    /// Where to go instead of back.
    pub(crate) to: Option<String>,
}

impl Done {
    /// Back, saying `text`.
    pub(crate) fn back(text: impl Into<String>) -> Result<Self> {
        Ok(Self {
            text: text.into(),
            to: None,
        })
    }
}

/// A form and what was typed in it, shown again beside the refusal.
#[derive(Clone, Debug, Default)]
pub(crate) struct Echo {
    /// The form's name (`reply`, `open`, `close`, …); empty for none.
    pub(crate) form: &'static str,
    /// The values typed, by field name.
    pub(crate) values: Vec<(String, String)>,
}

impl Echo {
    /// Form `form` with these values.
    pub(crate) fn of(form: &'static str, values: &[(&str, &str)]) -> Self {
        Self {
            form,
            values: values
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
        }
    }

    /// The value typed in `field` of form `form`, if this is that form.
    pub(crate) fn value(&self, form: &str, field: &str) -> Option<&str> {
        (self.form == form)
            .then(|| self.values.iter().find(|(k, _)| k == field))
            .flatten()
            .map(|(_, v)| v.as_str())
    }
}

/// A one-time message for the acting user's next page.
#[derive(Clone, Debug)]
pub(crate) struct Flash {
    /// Whom it is for (another user's page does not show it).
    pub(crate) user: String,
    /// Success (else an error).
    pub(crate) ok: bool,
    /// The message.
    pub(crate) text: String,
    /// The refusal's kind (`invalid-input`, …), or `host` for a host error.
    pub(crate) kind: Option<String>,
    /// For `invalid-input`: the rejected field.
    pub(crate) field: Option<String>,
    /// The form it is about.
    pub(crate) echo: Echo,
}

impl Flash {
    fn failure(user: String, error: &anyhow::Error, echo: Echo) -> Self {
        let (kind, text, field) = match Refusal::of(error) {
            Some(Refusal(e)) => (e.kind().to_owned(), message(e), field(e)),
            None => match AdminRefusal::of(error) {
                Some(r) => (r.kind.to_owned(), r.text, None),
                None => ("host".to_owned(), host_message(error), None),
            },
        };
        Self {
            user,
            ok: false,
            text,
            kind: Some(kind),
            field,
            echo,
        }
    }

    /// The bytes this message keeps: the allocations of all its strings.
    fn kept_bytes(&self) -> usize {
        let optional = |s: &Option<String>| s.as_ref().map_or(0, String::capacity);
        let echo: usize = (self.echo.values.iter())
            .map(|(k, v)| k.capacity() + v.capacity())
            .sum();
        self.user.capacity()
            + self.text.capacity()
            + optional(&self.kind)
            + optional(&self.field)
            + echo
    }

    /// This message cut to keep at most [`FLASH_MAX_BYTES`] (unless the names in it alone are
    /// longer): its text to [`FLASH_TEXT_MAX_BYTES`], what was typed to the room left, and
    /// then the text says so.
    fn cut_to_size(mut self) -> Self {
        cut(&mut self.text, FLASH_TEXT_MAX_BYTES);
        let typed: usize = self.echo.values.iter().map(|(_, v)| v.capacity()).sum();
        let rest = self.kept_bytes() - typed + " ".len() + CUT_NOTE.len();
        let mut room = FLASH_MAX_BYTES.saturating_sub(rest);
        let mut was_cut = false;
        for (_, value) in &mut self.echo.values {
            was_cut |= cut(value, room);
            room -= value.capacity();
        }
        if was_cut {
            self.text = format!("{} {CUT_NOTE}", self.text);
            self.text.shrink_to_fit();
        }
        self
    }

    /// Whether this is an error about form `form`.
    pub(crate) fn error_for(&self, form: &str) -> bool {
        !self.ok && self.echo.form == form
    }

    /// Whether the addon rejected `field` of form `form` (`invalid-input` naming it).
    pub(crate) fn rejects(&self, form: &str, field: &str) -> bool {
        self.error_for(form) && self.field.as_deref() == Some(field)
    }
}

/// The human part of a refusal (without its kind).
pub(crate) fn message(error: &Error) -> String {
    match error {
        Error::InvalidInput(i) => format!("{}: {}", i.field, i.reason),
        Error::NotFound(m)
        | Error::Forbidden(m)
        | Error::InvalidState(m)
        | Error::Conflict(m)
        | Error::Storage(m)
        | Error::Directory(m) => m.clone(),
    }
}

fn field(error: &Error) -> Option<String> {
    match error {
        Error::InvalidInput(i) => Some(i.field.clone()),
        _ => None,
    }
}

/// The first line of a host error.
pub(crate) fn host_message(error: &anyhow::Error) -> String {
    format!("{error:#}")
        .lines()
        .next()
        .unwrap_or_default()
        .to_owned()
}

/// A request the admin cannot make sense of (an unknown filter, say): shown with status 400.
#[derive(Debug)]
pub(crate) struct BadRequest(pub(crate) String);

impl std::fmt::Display for BadRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for BadRequest {}

/// A part of the admin for staff only (the mail outbox), asked for by someone else.
#[derive(Debug)]
pub(crate) struct StaffOnly;

impl std::fmt::Display for StaffOnly {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("the mail outbox is for staff only: it holds every mail the store sent")
    }
}

impl std::error::Error for StaffOnly {}

/// Whether `actor` is one of the store's staff.
pub(crate) fn is_staff(actor: &Actor) -> bool {
    matches!(actor.role, Role::Admin)
}

/// A refusal of the admin itself, not the addon's ([`BadRequest`], [`StaffOnly`]): its page
/// title, kind, text and status.
pub(crate) struct AdminRefusal {
    pub(crate) title: &'static str,
    pub(crate) kind: &'static str,
    pub(crate) text: String,
    pub(crate) status: StatusCode,
}

impl AdminRefusal {
    /// `error` as one, if it is one.
    pub(crate) fn of(error: &anyhow::Error) -> Option<Self> {
        if let Some(BadRequest(text)) = error.downcast_ref::<BadRequest>() {
            return Some(Self {
                title: "Bad request",
                kind: "bad-request",
                text: text.clone(),
                status: StatusCode::BAD_REQUEST,
            });
        }
        let staff_only = error.downcast_ref::<StaffOnly>()?;
        Some(Self {
            title: "Staff only",
            kind: "staff-only",
            text: staff_only.to_string(),
            status: StatusCode::FORBIDDEN,
        })
    }
}

/// The HTTP status for a failure: the refusal's kind decides, a host error is 500.
pub(crate) fn status_of(error: &anyhow::Error) -> StatusCode {
    match Refusal::of(error) {
        Some(Refusal(e)) => match e {
            Error::NotFound(_) => StatusCode::NOT_FOUND,
            Error::Forbidden(_) => StatusCode::FORBIDDEN,
            Error::InvalidInput(_) => StatusCode::BAD_REQUEST,
            Error::InvalidState(_) | Error::Conflict(_) => StatusCode::CONFLICT,
            Error::Storage(_) | Error::Directory(_) => StatusCode::SERVICE_UNAVAILABLE,
        },
        None => AdminRefusal::of(error).map_or(StatusCode::INTERNAL_SERVER_ERROR, |r| r.status),
    }
}

/// Cuts `s` to at most `max` bytes (at a character boundary) and lets the rest of its
/// allocation go; whether any text was cut.
fn cut(s: &mut String, max: usize) -> bool {
    if s.capacity() <= max {
        return false;
    }
    let mut end = max.min(s.len());
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    let was_cut = end < s.len();
    *s = s[..end].to_owned();
    was_cut
}

/// The one-time messages waiting for their page, by id, bounded in count
/// ([`FLASH_CAPACITY`]) and bytes ([`FLASH_BUDGET_BYTES`], each message cut to
/// [`FLASH_MAX_BYTES`]): a flood of refused forms cannot pin memory. The oldest go first.
#[derive(Default)]
struct Flashes {
    by_id: HashMap<String, Flash>,
    /// Ids, oldest first.
    order: VecDeque<String>,
    /// What the messages keep, [`Flash::kept_bytes`] summed.
    bytes: usize,
}

impl Flashes {
    /// Keeps `flash` (cut to size), letting the oldest go to stay within bounds; its id.
    fn store(&mut self, flash: Flash) -> String {
        let flash = flash.cut_to_size();
        let size = flash.kept_bytes();
        while self.order.len() >= FLASH_CAPACITY || self.bytes + size > FLASH_BUDGET_BYTES {
            let Some(oldest) = self.order.pop_front() else {
                break;
            };
            if let Some(gone) = self.by_id.remove(&oldest) {
                self.bytes -= gone.kept_bytes();
            }
        }
        let id = token();
        self.order.push_back(id.clone());
        self.by_id.insert(id.clone(), flash);
        self.bytes += size;
        id
    }

    /// The message `id`, no longer kept.
    fn take(&mut self, id: &str) -> Option<Flash> {
        let flash = self.by_id.remove(id)?;
        self.order.retain(|i| i != id);
        self.bytes -= flash.kept_bytes();
        Some(flash)
    }

    /// What the messages keep, counted afresh (not from `bytes`).
    #[cfg(test)]
    fn recount(&self) -> usize {
        self.by_id.values().map(Flash::kept_bytes).sum()
    }
}

/// An unpredictable token (one-time message ids, idempotency keys of forms).
pub(crate) fn token() -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    // `RandomState` is seeded from the OS's randomness; two hashers give 128 bits.
    let half = |salt: u64| {
        let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
        hasher.write_u64(n ^ salt);
        hasher.write_u128(nanos);
        hasher.finish()
    };
    format!("{:016x}{:016x}", half(0), half(u64::MAX))
}

fn set_cookie(response: &mut Response, cookie: &str) {
    if let Ok(value) = HeaderValue::from_str(cookie) {
        response.headers_mut().append(SET_COOKIE, value);
    }
}

fn cookie<'a>(parts: &'a Parts, name: &str) -> Option<&'a str> {
    parts
        .headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

/// Who the request acts as (the user the cookie names, if the directory knows them), the
/// one-time message's id, and the request's path and query (for "back here" links).
///
/// There is no default user: without a valid cookie pages show the chooser and forms are
/// refused, so a page another site frames or a request that lost its cookie acts as nobody.
pub(crate) struct Acting {
    /// The acting user: `None` without a cookie, or with one naming no user of the directory.
    pub(crate) actor: Option<Actor>,
    flash_id: Option<String>,
    /// The request's path and query.
    pub(crate) here: String,
    /// Whether the user opened the page in the admin: a GET (not a HEAD) that no page of
    /// another site or port made the browser send (see [`guard::initiator`]). Only then may
    /// showing a page change something (mark a thread read, use up the one-time message).
    pub(crate) user_opened: bool,
}

impl FromRequestParts<WebApp> for Acting {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, app: &WebApp) -> Result<Self, Self::Rejection> {
        let directory = app.inner().directory();
        let actor = cookie(parts, USER_COOKIE)
            .map(percent_decode)
            .and_then(|id| directory.actor(&id));
        // The router is not nested, so this is the URI the browser asked for.
        let here = &parts.uri;
        let user_opened =
            parts.method == Method::GET && guard::initiator(&parts.headers) != Initiator::Elsewhere;
        Ok(Self {
            user_opened,
            actor,
            flash_id: cookie(parts, FLASH_COOKIE)
                .filter(|v| !v.is_empty())
                .map(str::to_owned),
            here: here
                .path_and_query()
                .map_or_else(|| "/".to_owned(), |p| p.as_str().to_owned()),
        })
    }
}

/// `POST /as`: act as `user` from now on (a cookie), back to `next`.
pub(crate) async fn switch_user(
    State(app): State<WebApp>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Response {
    let get = |name: &str| {
        fields
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    };
    let next = local_path(get("next").unwrap_or("/"));
    let Some(actor) = get("user").and_then(|id| app.inner().directory().actor(id)) else {
        return (StatusCode::BAD_REQUEST, "no such user in the directory").into_response();
    };
    let mut response = app.redirect(&next, None);
    set_cookie(
        &mut response,
        &format!(
            "{USER_COOKIE}={}; Path=/; HttpOnly; SameSite=Strict",
            percent_encode(&actor.id)
        ),
    );
    response
}

/// `path` if it is a clean path on this server, else `/`: redirects never leave the admin.
///
/// Clean: it starts with `/`, and holds only visible ASCII (no control character, space or
/// non-ASCII letter: a browser drops tabs and line breaks, strips spaces, and may read
/// look-alikes), no backslash (a browser reads it as `/`) and no `//` (which, first, names
/// another host). The admin's own addresses are percent-encoded, so they always pass.
pub(crate) fn local_path(path: &str) -> String {
    let clean = path.starts_with('/')
        && path.bytes().all(|b| b.is_ascii_graphic() && b != b'\\')
        && !path.contains("//");
    if clean {
        path.to_owned()
    } else {
        "/".to_owned()
    }
}

/// Percent-encodes everything but unreserved characters (for URL paths and cookie values).
pub(crate) fn percent_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Decodes `%XX` escapes (invalid ones are kept as they are).
pub(crate) fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        match (
            bytes[i],
            bytes.get(i + 1).copied().and_then(hex),
            bytes.get(i + 2).copied().and_then(hex),
        ) {
            (b'%', Some(hi), Some(lo)) => {
                out.push((hi * 16 + lo) as u8);
                i += 3;
            }
            (b, _, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The values of a submitted form, by name (a name may come more than once).
pub(crate) struct Fields(pub(crate) Vec<(String, String)>);

impl Fields {
    /// The first value of `name`, or `""`.
    pub(crate) fn get(&self, name: &str) -> &str {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map_or("", |(_, v)| v.as_str())
    }

    /// Every value of `name`.
    pub(crate) fn all(&self, name: &str) -> Vec<String> {
        self.0
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percent_encoding_round_trips() {
        for s in ["o1", "v1-anna", "a b/c?d=é&<>", ""] {
            assert_eq!(percent_decode(&percent_encode(s)), s);
        }
        assert_eq!(percent_encode("a b/é"), "a%20b%2F%C3%A9");
        assert_eq!(percent_decode("100%"), "100%");
    }

    #[test]
    fn the_kept_notices_are_bounded_in_count_and_bytes() {
        let notice = |text: String, typed: &str| Flash {
            user: "c1".into(),
            ok: false,
            text,
            kind: Some("invalid-input".into()),
            field: Some("body".into()),
            echo: Echo::of("reply", &[("body", typed)]),
        };
        let mut flashes = Flashes::default();
        let ids: Vec<String> = (0..FLASH_CAPACITY + 5)
            .map(|i| flashes.store(notice(format!("no {i}"), "short")))
            .collect();
        assert_eq!(flashes.by_id.len(), FLASH_CAPACITY);
        assert!(flashes.take(&ids[0]).is_none(), "the oldest went");
        let newest = flashes.take(&ids[FLASH_CAPACITY + 4]).expect("the newest");
        assert_eq!(newest.text, format!("no {}", FLASH_CAPACITY + 4));
        assert_eq!(
            newest.echo.value("reply", "body"),
            Some("short"),
            "kept whole"
        );

        // Long text and typing (two-byte characters, so cuts fall inside one).
        let typed = "é".repeat(100_000);
        let text = "ü".repeat(10_000);
        let last = (0..FLASH_CAPACITY)
            .map(|_| flashes.store(notice(text.clone(), &typed)))
            .last()
            .unwrap();
        let kept = flashes.recount();
        assert_eq!(kept, flashes.bytes);
        assert!(kept <= FLASH_BUDGET_BYTES, "{kept} bytes kept");
        assert!(
            flashes
                .by_id
                .values()
                .all(|f| f.kept_bytes() <= FLASH_MAX_BYTES)
        );
        let cut = flashes.take(&last).expect("the newest");
        let echoed = cut.echo.value("reply", "body").unwrap();
        assert!(echoed.len() > FLASH_MAX_BYTES / 2, "{}", echoed.len());
        assert!(typed.starts_with(echoed));
        assert!(cut.text.starts_with(&"ü".repeat(FLASH_TEXT_MAX_BYTES / 2)));
        assert!(cut.text.ends_with(CUT_NOTE));
    }

    #[test]
    fn tokens_differ() {
        let a = token();
        assert_eq!(a.len(), 32);
        assert_ne!(a, token());
    }

    #[test]
    fn echo_gives_back_the_value_of_its_own_form_only() {
        let echo = Echo::of("open", &[("reason", "late")]);
        assert_eq!(echo.value("open", "reason"), Some("late"));
        assert_eq!(echo.value("close", "reason"), None);
        assert_eq!(echo.value("open", "other"), None);
    }
}
