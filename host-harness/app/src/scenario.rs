//! Scenario files: a story told as steps (who acts, which operation, with which arguments) with
//! the results each step must have, run through the real component on a fresh in-memory host
//! with a pinned clock (it moves one minute before every step). `scenario FILE…` runs them;
//! [`Scenario::load`] and [`Scenario::run`] do the same from Rust.
//!
//! # Format (TOML)
//!
//! ```toml
//! name = "Dispute opened twice"        # optional; the file name otherwise
//! description = "…"                    # optional
//! directory = "marketplace"            # the starting directory: "marketplace" (default: the
//!                                      # fixtures' vendors v1/v2, staff s1/s2, customers
//!                                      # c1–c3, orders o1–o5) or "empty"
//! mode = "separate-shops"              # optional: or "warehouse"
//!
//! [[staff]]                            # more people and orders (each list optional)
//! id = "s9"
//! name = "Zed"
//! [[vendors]]
//! id = "v3"
//! name = "Cozy Socks"
//! users = [{ id = "v3-cleo", name = "Cleo" }]
//! [[customers]]
//! id = "c9"
//! name = "Dora"
//! [[orders]]
//! id = "o9"
//! number = "2001"
//! customer = "c9"
//! vendor = "v3"                        # optional: without it the store sells the order
//!
//! [[step]]
//! title = "Alice asks"                 # optional
//! as = "c1"                            # the acting user (a directory user id)
//! do = "post"                          # the operation
//! order = "o1"                         # its arguments
//! body = "Where is my drill?"
//! [step.expect]                        # what must hold (each key optional)
//! seq = 1
//! mail_to = ["v1-anna"]
//! ```
//!
//! Operations (`do`) and their arguments (`as` for all but the last five):
//!
//! | `do` | arguments | observes |
//! |---|---|---|
//! | `post` | `order`, `body`, `key`? | `seq` |
//! | `thread` | `order`, `mark`? (default true), `limit`? | `count` (messages in the thread), `unread` (before reading), `authors` (of the page), `open` (dispute) |
//! | `unread-count` | `order` | `unread` |
//! | `mark-read`, `mark-unread` | `order`, or `orders`, or `matching = true` with `filter`?, `search`? | `changed` (not for one `order`) |
//! | `inbox` | `filter`? (all, unread, disputes), `search`?, `unread_first`?, `limit`? (one page; all pages without) | `orders`, `unread_orders`, `disputed_orders`, `count` |
//! | `bell` | | `unread`, `disputes` |
//! | `open-dispute` | `order`, `reason` | `number` |
//! | `close-dispute` | `order`, `note`? | `number` |
//! | `current-dispute` | `order` | `open`, `number` |
//! | `dispute-history` | `order` | `count`, `number` (the latest) |
//! | `orders` | `with` (messages, unread), `orders`? (filter these; list all without) | `orders`, `count` |
//! | `outbox` | `dead`? | `count` |
//! | `deliver` | | `delivered`, `dead` |
//! | `verify` | | `problems`, `count` (records checked) |
//! | `set-mode` | `mode` | |
//! | `advance` | `minutes` | |
//! | `mail-fault` | `fault` (unavailable, rejected, none) | |
//!
//! `advance` moves the clock by `minutes` (negative moves it back); a step that would take the
//! clock before 1970 or past 2286-11-20 (13-digit milliseconds, the latest time the addon
//! accepts) fails, and the clock stays where it was.
//!
//! Every step also observes what it delivered: `mails` (how many), `mail_to` (their recipients,
//! as a set) and `notify_to` (recipients of notifications other than bell updates, as a set).
//!
//! Expectations: `error = "kind"` (the step must be refused with this kind, e.g. `not-found`;
//! `error_field` adds the field of an `invalid-input`); without `error` the step must succeed.
//! Any other key must equal what the step observes; a key the operation does not observe is a
//! failure, never silently ignored, and unknown keys or arguments an operation does not take
//! make the file invalid.

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use serde::{Deserialize, Serialize};

use order_messages_host::Runtime;
use order_messages_host::types::*;
use order_messages_platform::{Fault, Platform, Session};

use crate::install_marketplace;
use crate::ops::{self, Refusal, parse_filter, parse_message_filter, parse_mode};

/// A parsed scenario file.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    /// Its name.
    pub name: Option<String>,
    /// What it tells.
    pub description: Option<String>,
    /// The starting directory.
    #[serde(default)]
    pub directory: Base,
    /// The multivendor mode (`separate-shops` or `warehouse`).
    pub mode: Option<String>,
    /// More staff.
    #[serde(default)]
    pub staff: Vec<UserSpec>,
    /// More vendors.
    #[serde(default)]
    pub vendors: Vec<VendorSpec>,
    /// More customers.
    #[serde(default)]
    pub customers: Vec<UserSpec>,
    /// More orders.
    #[serde(default)]
    pub orders: Vec<OrderSpec>,
    /// The steps.
    #[serde(default, rename = "step")]
    pub steps: Vec<Step>,
    /// The file it came from.
    #[serde(skip)]
    pub file: Option<PathBuf>,
}

/// The directory a scenario starts from.
#[derive(Clone, Copy, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum Base {
    /// [`Fixtures::marketplace`](crate::fixtures::Fixtures::marketplace).
    #[default]
    Marketplace,
    /// Nothing.
    Empty,
}

/// A user to add.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UserSpec {
    /// The user id.
    pub id: String,
    /// The display name.
    pub name: String,
}

/// A vendor to add, with its users.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VendorSpec {
    /// The vendor id.
    pub id: String,
    /// The shop's name.
    pub name: String,
    /// Its users.
    #[serde(default)]
    pub users: Vec<UserSpec>,
}

/// An order to add.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OrderSpec {
    /// The order id.
    pub id: String,
    /// The number shown to people.
    pub number: String,
    /// The customer's user id.
    pub customer: String,
    /// The vendor's id, if a vendor sells it.
    pub vendor: Option<String>,
}

/// An operation a step performs.
#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
#[allow(missing_docs)]
pub enum Op {
    Post,
    Thread,
    UnreadCount,
    MarkRead,
    MarkUnread,
    Inbox,
    Bell,
    OpenDispute,
    CloseDispute,
    CurrentDispute,
    DisputeHistory,
    Orders,
    Outbox,
    Deliver,
    Verify,
    SetMode,
    Advance,
    MailFault,
}

impl Op {
    /// Its name in scenario files.
    pub fn name(self) -> &'static str {
        match self {
            Op::Post => "post",
            Op::Thread => "thread",
            Op::UnreadCount => "unread-count",
            Op::MarkRead => "mark-read",
            Op::MarkUnread => "mark-unread",
            Op::Inbox => "inbox",
            Op::Bell => "bell",
            Op::OpenDispute => "open-dispute",
            Op::CloseDispute => "close-dispute",
            Op::CurrentDispute => "current-dispute",
            Op::DisputeHistory => "dispute-history",
            Op::Orders => "orders",
            Op::Outbox => "outbox",
            Op::Deliver => "deliver",
            Op::Verify => "verify",
            Op::SetMode => "set-mode",
            Op::Advance => "advance",
            Op::MailFault => "mail-fault",
        }
    }

    /// Whether it acts as a user (`as`).
    fn needs_actor(self) -> bool {
        !matches!(
            self,
            Op::Outbox | Op::Deliver | Op::Verify | Op::SetMode | Op::Advance | Op::MailFault
        )
    }

    /// The arguments it takes (besides `as`, `title`, `expect`).
    fn arguments(self) -> &'static [&'static str] {
        match self {
            Op::Post => &["order", "body", "key"],
            Op::Thread => &["order", "mark", "limit"],
            Op::UnreadCount | Op::CurrentDispute | Op::DisputeHistory => &["order"],
            Op::MarkRead | Op::MarkUnread => &["order", "orders", "matching", "filter", "search"],
            Op::Inbox => &["filter", "search", "unread_first", "limit"],
            Op::Bell | Op::Deliver | Op::Verify => &[],
            Op::OpenDispute => &["order", "reason"],
            Op::CloseDispute => &["order", "note"],
            Op::Orders => &["with", "orders"],
            Op::Outbox => &["dead"],
            Op::SetMode => &["mode"],
            Op::Advance => &["minutes"],
            Op::MailFault => &["fault"],
        }
    }
}

/// One step.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(missing_docs)]
pub struct Step {
    /// A title for the report.
    pub title: Option<String>,
    /// The acting user.
    #[serde(rename = "as")]
    pub actor: Option<String>,
    /// The operation.
    #[serde(rename = "do")]
    pub op: Op,
    pub order: Option<String>,
    pub orders: Option<Vec<String>>,
    pub body: Option<String>,
    pub key: Option<String>,
    pub reason: Option<String>,
    pub note: Option<String>,
    pub filter: Option<String>,
    pub search: Option<String>,
    pub unread_first: Option<bool>,
    pub limit: Option<u32>,
    pub mark: Option<bool>,
    pub matching: Option<bool>,
    pub with: Option<String>,
    pub mode: Option<String>,
    pub minutes: Option<i64>,
    pub fault: Option<String>,
    pub dead: Option<bool>,
    /// What must hold after it.
    #[serde(default)]
    pub expect: Expect,
}

impl Step {
    /// The names of the arguments given.
    fn given(&self) -> Vec<&'static str> {
        let mut given = Vec::new();
        let mut add = |name: &'static str, present: bool| {
            if present {
                given.push(name);
            }
        };
        add("order", self.order.is_some());
        add("orders", self.orders.is_some());
        add("body", self.body.is_some());
        add("key", self.key.is_some());
        add("reason", self.reason.is_some());
        add("note", self.note.is_some());
        add("filter", self.filter.is_some());
        add("search", self.search.is_some());
        add("unread_first", self.unread_first.is_some());
        add("limit", self.limit.is_some());
        add("mark", self.mark.is_some());
        add("matching", self.matching.is_some());
        add("with", self.with.is_some());
        add("mode", self.mode.is_some());
        add("minutes", self.minutes.is_some());
        add("fault", self.fault.is_some());
        add("dead", self.dead.is_some());
        given
    }

    /// The title, or `c1 post o1`.
    fn label(&self) -> String {
        if let Some(t) = &self.title {
            return t.clone();
        }
        let mut label = String::new();
        if let Some(a) = &self.actor {
            let _ = write!(label, "{a} ");
        }
        label.push_str(self.op.name());
        if let Some(o) = &self.order {
            let _ = write!(label, " {o}");
        }
        label
    }
}

/// What a step must have done. See the [module docs](self).
#[derive(Clone, Debug, Default, Deserialize, Serialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
#[allow(missing_docs)]
pub struct Expect {
    pub error: Option<String>,
    pub error_field: Option<String>,
    pub seq: Option<u64>,
    pub unread: Option<u64>,
    pub disputes: Option<u64>,
    pub orders: Option<Vec<String>>,
    pub unread_orders: Option<Vec<String>>,
    pub disputed_orders: Option<Vec<String>>,
    pub count: Option<u64>,
    pub number: Option<u64>,
    pub open: Option<bool>,
    pub changed: Option<u64>,
    pub authors: Option<Vec<String>>,
    pub mails: Option<u64>,
    pub mail_to: Option<Vec<String>>,
    pub notify_to: Option<Vec<String>>,
    pub delivered: Option<u64>,
    pub dead: Option<u64>,
    pub problems: Option<u64>,
}

/// What a step did, field by field as [`Expect`] names them.
#[derive(Debug, Default)]
struct Observed {
    refusal: Option<Error>,
    seq: Option<u64>,
    unread: Option<u64>,
    disputes: Option<u64>,
    orders: Option<Vec<String>>,
    unread_orders: Option<Vec<String>>,
    disputed_orders: Option<Vec<String>>,
    count: Option<u64>,
    number: Option<u64>,
    open: Option<bool>,
    changed: Option<u64>,
    authors: Option<Vec<String>>,
    mails: u64,
    mail_to: Vec<String>,
    notify_to: Vec<String>,
    delivered: Option<u64>,
    dead: Option<u64>,
    problems: Option<u64>,
    summary: String,
}

/// The outcome of one step.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct StepReport {
    /// 1 for the first step.
    pub index: usize,
    /// The step's title (or `actor op order`).
    pub title: String,
    /// Whether every expectation held.
    pub passed: bool,
    /// What happened, in a few words.
    pub outcome: String,
    /// The expectations that did not hold.
    pub failures: Vec<String>,
}

/// The outcome of a scenario.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct ScenarioReport {
    /// The file, if it came from one.
    pub file: Option<PathBuf>,
    /// The scenario's name.
    pub name: String,
    /// Whether every step passed.
    pub passed: bool,
    /// Per step.
    pub steps: Vec<StepReport>,
}

impl ScenarioReport {
    /// The steps that failed.
    pub fn failed(&self) -> impl Iterator<Item = &StepReport> {
        self.steps.iter().filter(|s| !s.passed)
    }
}

impl Scenario {
    /// Parses and checks a scenario.
    pub fn parse(text: &str) -> Result<Self> {
        let scenario: Scenario = toml::from_str(text)?;
        scenario.check()?;
        Ok(scenario)
    }

    /// Reads, parses and checks a scenario file.
    pub fn load(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref();
        let text =
            std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        let mut scenario = Self::parse(&text).with_context(|| format!("in {}", path.display()))?;
        scenario.file = Some(path.to_owned());
        Ok(scenario)
    }

    /// Its name: the `name` key, else the file's stem.
    pub fn display_name(&self) -> String {
        self.name.clone().unwrap_or_else(|| {
            self.file
                .as_ref()
                .and_then(|f| f.file_stem())
                .map_or_else(|| "scenario".into(), |s| s.to_string_lossy().into_owned())
        })
    }

    fn check(&self) -> Result<()> {
        if let Some(mode) = &self.mode {
            parse_mode(mode)?;
        }
        if self.steps.is_empty() {
            bail!("the scenario has no steps ([[step]])");
        }
        for (i, step) in self.steps.iter().enumerate() {
            let at = || format!("step {} ({})", i + 1, step.label());
            let op = step.op;
            if op.needs_actor() && step.actor.is_none() {
                bail!("{}: `{}` needs `as` (the acting user)", at(), op.name());
            }
            if !op.needs_actor() && step.actor.is_some() {
                bail!("{}: `{}` takes no `as`", at(), op.name());
            }
            for arg in step.given() {
                if !op.arguments().contains(&arg) {
                    bail!(
                        "{}: `{}` takes no `{arg}` (it takes: {})",
                        at(),
                        op.name(),
                        if op.arguments().is_empty() {
                            "nothing".into()
                        } else {
                            op.arguments().join(", ")
                        }
                    );
                }
            }
            if let Some(f) = &step.filter {
                parse_filter(f).with_context(at)?;
            }
            if let Some(w) = &step.with {
                parse_message_filter(w).with_context(at)?;
            }
            if let Some(m) = &step.mode {
                parse_mode(m).with_context(at)?;
            }
            if step.expect.error_field.is_some() && step.expect.error.is_none() {
                bail!("{}: `error_field` needs `error = \"invalid-input\"`", at());
            }
        }
        Ok(())
    }

    /// Sets up a fresh platform and runs every step (a failing step does not stop the run).
    /// Fails only when the set-up is inconsistent (an order for an unknown customer, say) or
    /// the component cannot be instantiated.
    pub fn run(&self, runtime: &Runtime<Platform>) -> Result<ScenarioReport> {
        let platform = Platform::new();
        self.set_up(&platform)?;
        let mut session = platform.session_with(runtime)?;
        let mut steps = Vec::new();
        for (i, step) in self.steps.iter().enumerate() {
            let observed = platform
                .clock
                .try_advance_millis(60_000)
                .map_err(anyhow::Error::from)
                .and_then(|_| perform(&mut session, &platform, step));
            let (mails, pushes) = (platform.mail.take_new(), platform.notifications.take_new());
            let (outcome, failures) = match observed {
                Ok(mut observed) => {
                    observed.mails = mails.len() as u64;
                    observed.mail_to = union(mails.iter().map(|m| &m.recipients));
                    observed.notify_to = union(
                        pushes
                            .iter()
                            .filter(|p| !matches!(p.event, Event::CountsChanged(_)))
                            .map(|p| &p.recipients),
                    );
                    let failures = compare(&step.expect, &observed, step.op);
                    (observed.summary, failures)
                }
                Err(e) => {
                    let line = format!("{e:#}");
                    (format!("host error: {line}"), vec![line])
                }
            };
            steps.push(StepReport {
                index: i + 1,
                title: step.label(),
                passed: failures.is_empty(),
                outcome,
                failures,
            });
        }
        Ok(ScenarioReport {
            file: self.file.clone(),
            name: self.display_name(),
            passed: steps.iter().all(|s| s.passed),
            steps,
        })
    }

    fn set_up(&self, platform: &Platform) -> Result<()> {
        let dir = &platform.directory;
        if self.directory == Base::Marketplace {
            install_marketplace(platform);
        }
        if let Some(mode) = &self.mode {
            dir.set_mode(parse_mode(mode)?);
        }
        for s in &self.staff {
            dir.register(&Actor::admin(&s.id, &s.name));
        }
        for v in &self.vendors {
            dir.add_vendor(&v.id, &v.name);
            for u in &v.users {
                dir.register(&Actor::vendor(&u.id, &v.id, &u.name));
            }
        }
        for c in &self.customers {
            dir.register(&Actor::customer(&c.id, &c.name));
        }
        for o in &self.orders {
            let customer = match dir.actor(&o.customer) {
                Some(a) if a.role == Role::Customer => a,
                _ => bail!("order `{}`: no customer `{}`", o.id, o.customer),
            };
            let mut order = Order::new(&o.id, &o.number, &customer.id, &customer.display_name);
            if let Some(v) = &o.vendor {
                let Some(name) = dir.vendor_name(v) else {
                    bail!("order `{}`: no vendor `{v}`", o.id);
                };
                order = order.with_vendor(v, name);
            }
            dir.add_order(order);
        }
        Ok(())
    }
}

/// The sorted set of every recipient.
fn union<'a>(lists: impl Iterator<Item = &'a Vec<String>>) -> Vec<String> {
    lists
        .flatten()
        .cloned()
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect()
}

fn need<'a, T>(value: &'a Option<T>, name: &str, op: Op) -> Result<&'a T> {
    value
        .as_ref()
        .with_context(|| format!("`{}` needs `{name}`", op.name()))
}

/// Runs the step; a refusal is observed, not an error.
fn perform(session: &mut Session, platform: &Platform, step: &Step) -> Result<Observed> {
    let mut seen = Observed::default();
    let actor = match &step.actor {
        Some(id) => Some(
            platform
                .directory
                .actor(id)
                .with_context(|| format!("no user `{id}` in the directory"))?,
        ),
        None => None,
    };
    let result = act(session, platform, step, actor.as_ref(), &mut seen);
    match result {
        Ok(()) => Ok(seen),
        Err(e) => match Refusal::of(&e) {
            Some(Refusal(error)) => {
                seen.summary = format!("refused: {}", error.describe());
                seen.refusal = Some(error.clone());
                Ok(seen)
            }
            None => Err(e),
        },
    }
}

fn act(
    session: &mut Session,
    platform: &Platform,
    step: &Step,
    actor: Option<&Actor>,
    seen: &mut Observed,
) -> Result<()> {
    use ops::accepted;
    let op = step.op;
    let actor = || actor.context("no actor");
    let order = || need(&step.order, "order", op);
    match op {
        Op::Post => {
            let mut request = PostRequest::new(order()?, need(&step.body, "body", op)?);
            request.idempotency_key = step.key.clone();
            let m = accepted(session.post(actor()?, &request))?;
            seen.seq = Some(m.seq);
            seen.summary = format!("posted #{}", m.seq);
        }
        Op::Thread => {
            let mut request = ThreadRequest::new(order()?).with_limit(step.limit.unwrap_or(100));
            if step.mark.unwrap_or(true) {
                request = request.marking_read();
            }
            let page = accepted(session.read_thread(actor()?, &request))?;
            seen.count = Some(page.message_count);
            seen.unread = Some(u64::from(page.unread_count));
            seen.open = Some(page.dispute_open);
            seen.authors = Some(page.messages.iter().map(|m| m.author_id.clone()).collect());
            seen.summary = format!(
                "{} messages, {} were unread",
                page.message_count, page.unread_count
            );
        }
        Op::UnreadCount => {
            let n = accepted(session.unread_count(actor()?, order()?))?;
            seen.unread = Some(u64::from(n));
            seen.summary = format!("{n} unread");
        }
        Op::MarkRead | Op::MarkUnread => {
            let read = op == Op::MarkRead;
            let actor = actor()?;
            if step.matching == Some(true) {
                let query = Query {
                    filter: parse_filter(step.filter.as_deref().unwrap_or("all"))?,
                    search: step.search.clone().unwrap_or_default(),
                };
                let totals = ops::mark_matching_all(session, actor, &query, read)?;
                seen.changed = Some(u64::from(totals.changed));
                seen.summary = format!("{} changed in {} calls", totals.changed, totals.calls);
            } else if let Some(orders) = &step.orders {
                let totals = ops::mark_selected_all(session, actor, orders, read)?;
                seen.changed = Some(u64::from(totals.changed));
                seen.summary = format!("{} changed", totals.changed);
            } else {
                let order = order()?;
                if read {
                    accepted(session.mark_read(actor, order))?;
                } else {
                    accepted(session.mark_unread(actor, order))?;
                }
                seen.summary = "marked".into();
            }
        }
        Op::Inbox => {
            let query = Query {
                filter: parse_filter(step.filter.as_deref().unwrap_or("all"))?,
                search: step.search.clone().unwrap_or_default(),
            };
            let unread_first = step.unread_first.unwrap_or(false);
            let rows = match step.limit {
                Some(limit) => {
                    let mut request = ListRequest::new(query, limit);
                    if unread_first {
                        request = request.unread_first();
                    }
                    ops::inbox_page(session, actor()?, &request, ops::page_cap(platform))?.0
                }
                None => ops::inbox_all(
                    session,
                    actor()?,
                    &query,
                    unread_first,
                    ops::page_cap(platform),
                )?,
            };
            let ids = |keep: &dyn Fn(&ThreadRow) -> bool| -> Vec<String> {
                rows.iter()
                    .filter(|r| keep(r))
                    .map(|r| r.order_id.clone())
                    .collect()
            };
            seen.orders = Some(ids(&|_| true));
            seen.unread_orders = Some(ids(&|r| r.unread));
            seen.disputed_orders = Some(ids(&|r| r.dispute_open));
            seen.count = Some(rows.len() as u64);
            seen.summary = format!("{} threads: {}", rows.len(), ids(&|_| true).join(", "));
        }
        Op::Bell => {
            let c = accepted(session.bell(actor()?))?;
            seen.unread = Some(u64::from(c.unread_threads));
            seen.disputes = Some(u64::from(c.open_disputes));
            seen.summary = format!(
                "{} unread threads, {} open disputes",
                c.unread_threads, c.open_disputes
            );
        }
        Op::OpenDispute => {
            let d = accepted(session.open_dispute(
                actor()?,
                order()?,
                need(&step.reason, "reason", op)?,
            ))?;
            seen.number = Some(u64::from(d.number));
            seen.summary = format!("dispute #{} opened", d.number);
        }
        Op::CloseDispute => {
            let d = accepted(session.close_dispute(actor()?, order()?, step.note.as_deref()))?;
            seen.number = Some(u64::from(d.number));
            seen.summary = format!("dispute #{} closed", d.number);
        }
        Op::CurrentDispute => {
            let d = accepted(session.current_dispute(actor()?, order()?))?;
            seen.open = Some(d.is_some());
            seen.number = d.as_ref().map(|d| u64::from(d.number));
            seen.summary = match d {
                Some(d) => format!("dispute #{} open", d.number),
                None => "no open dispute".into(),
            };
        }
        Op::DisputeHistory => {
            let all = accepted(session.dispute_history(actor()?, order()?))?;
            seen.count = Some(all.len() as u64);
            seen.number = all.last().map(|d| u64::from(d.number));
            seen.summary = format!("{} disputes", all.len());
        }
        Op::Orders => {
            let filter = parse_message_filter(need(&step.with, "with", op)?)?;
            let ids = match &step.orders {
                Some(ids) => accepted(session.filter_orders(actor()?, ids, filter))?,
                None => {
                    let cap = ops::page_cap(platform);
                    ops::orders_page(session, actor()?, filter, None, u32::MAX, cap)?.0
                }
            };
            seen.count = Some(ids.len() as u64);
            seen.summary = format!("orders: {}", ids.join(", "));
            seen.orders = Some(ids);
        }
        Op::Outbox => {
            let entries = ops::outbox_all(session, step.dead.unwrap_or(false))?;
            seen.count = Some(entries.len() as u64);
            seen.summary = format!("{} entries", entries.len());
        }
        Op::Deliver => {
            let t = ops::deliver_all(session, 100)?;
            seen.delivered = Some(u64::from(t.delivered));
            seen.dead = Some(u64::from(t.dead));
            seen.summary = format!(
                "{} delivered, {} deferred, {} dead",
                t.delivered, t.deferred, t.dead
            );
        }
        Op::Verify => {
            let t = ops::verify_all(session, 500, 5)?;
            seen.problems = Some(t.total_problems);
            seen.count = Some(t.checked);
            let listed: Vec<String> = t
                .problems
                .iter()
                .map(|p| format!("{}: {}", p.key, p.detail))
                .collect();
            seen.summary = format!(
                "{} records checked, {} problems{}",
                t.checked,
                t.total_problems,
                if listed.is_empty() {
                    String::new()
                } else {
                    format!(" ({})", listed.join("; "))
                }
            );
        }
        Op::SetMode => {
            let mode = parse_mode(need(&step.mode, "mode", op)?)?;
            platform.directory.set_mode(mode);
            seen.summary = format!("mode {}", ops::mode_name(mode));
        }
        Op::Advance => {
            let minutes = *need(&step.minutes, "minutes", op)?;
            platform
                .clock
                .try_advance_millis(i128::from(minutes) * 60_000)?;
            seen.summary = format!("clock moved {minutes} minutes");
        }
        Op::MailFault => {
            match need(&step.fault, "fault", op)?.as_str() {
                "unavailable" => platform.mail.fail_always(Fault::Unavailable),
                "rejected" => platform.mail.fail_always(Fault::Rejected),
                "none" => platform.mail.recover(),
                other => bail!("unknown mail fault `{other}` (unavailable, rejected or none)"),
            }
            seen.summary = "mail fault set".into();
        }
    }
    Ok(())
}

/// The expectations of `expect` that `seen` breaks.
fn compare(expect: &Expect, seen: &Observed, op: Op) -> Vec<String> {
    let mut failures = Vec::new();
    match (&expect.error, &seen.refusal) {
        (None, None) => {}
        (None, Some(e)) => failures.push(format!("expected success, got {}", e.describe())),
        (Some(kind), None) => failures.push(format!("expected a `{kind}` refusal, got success")),
        (Some(kind), Some(e)) => {
            if e.kind() != kind {
                failures.push(format!("expected a `{kind}` refusal, got {}", e.describe()));
            }
            if let Some(field) = &expect.error_field {
                match e {
                    Error::InvalidInput(i) if &i.field == field => {}
                    _ => failures.push(format!(
                        "expected invalid input in `{field}`, got {}",
                        e.describe()
                    )),
                }
            }
        }
    }
    let refused = seen.refusal.is_some();
    let mut check = |name: &str, expected: Option<String>, observed: Option<String>| {
        let Some(expected) = expected else { return };
        match observed {
            Some(observed) if observed == expected => {}
            Some(observed) => {
                failures.push(format!("expected {name} {expected}, got {observed}"));
            }
            None if refused => failures.push(format!(
                "expected {name} {expected}, but the step was refused"
            )),
            None => failures.push(format!(
                "expected {name} {expected}, but `{}` does not report `{name}`",
                op.name()
            )),
        }
    };
    let num = |v: &Option<u64>| v.map(|n| n.to_string());
    let list = |v: &Option<Vec<String>>| v.as_ref().map(|l| format!("{l:?}"));
    let set = |v: &Option<Vec<String>>| {
        v.as_ref()
            .map(|l| format!("{:?}", l.iter().collect::<BTreeSet<_>>()))
    };
    check("seq", num(&expect.seq), num(&seen.seq));
    check("unread", num(&expect.unread), num(&seen.unread));
    check("disputes", num(&expect.disputes), num(&seen.disputes));
    check("orders", list(&expect.orders), list(&seen.orders));
    check(
        "unread_orders",
        list(&expect.unread_orders),
        list(&seen.unread_orders),
    );
    check(
        "disputed_orders",
        list(&expect.disputed_orders),
        list(&seen.disputed_orders),
    );
    check("count", num(&expect.count), num(&seen.count));
    check("number", num(&expect.number), num(&seen.number));
    check(
        "open",
        expect.open.map(|b| b.to_string()),
        seen.open.map(|b| b.to_string()),
    );
    check("changed", num(&expect.changed), num(&seen.changed));
    check("authors", list(&expect.authors), list(&seen.authors));
    check("mails", num(&expect.mails), Some(seen.mails.to_string()));
    check(
        "mail_to",
        set(&expect.mail_to),
        set(&Some(seen.mail_to.clone())),
    );
    check(
        "notify_to",
        set(&expect.notify_to),
        set(&Some(seen.notify_to.clone())),
    );
    check("delivered", num(&expect.delivered), num(&seen.delivered));
    check("dead", num(&expect.dead), num(&seen.dead));
    check("problems", num(&expect.problems), num(&seen.problems));
    failures
}

/// The files to run: each file given, and the `*.toml` files of each folder given, sorted.
pub fn scenario_files(paths: &[PathBuf]) -> Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    for path in paths {
        if path.is_dir() {
            let mut found: Vec<PathBuf> = std::fs::read_dir(path)
                .with_context(|| format!("reading {}", path.display()))?
                .map(|e| e.map(|e| e.path()))
                .collect::<std::io::Result<_>>()?;
            found.retain(|p| p.extension().is_some_and(|e| e == "toml"));
            found.sort();
            if found.is_empty() {
                bail!("{} holds no *.toml scenario files", path.display());
            }
            files.extend(found);
        } else {
            files.push(path.clone());
        }
    }
    Ok(files)
}

/// A report as text: one line per step, the failures under it.
pub fn report_text(report: &ScenarioReport) -> String {
    let mut out = format!(
        "{} {}{}\n",
        if report.passed { "PASS" } else { "FAIL" },
        report.name,
        report
            .file
            .as_ref()
            .map(|f| format!(" ({})", f.display()))
            .unwrap_or_default()
    );
    for step in &report.steps {
        let _ = writeln!(
            out,
            "  {} {:>2}. {} — {}",
            if step.passed { "ok  " } else { "FAIL" },
            step.index,
            step.title,
            step.outcome
        );
        for failure in &step.failures {
            let _ = writeln!(out, "          ✗ {failure}");
        }
    }
    out
}
