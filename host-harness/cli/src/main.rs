//! `order-messages-harness`: the addon component run as a developer (or a hosting platform's
//! engineer) would poke at it, on a durable SQLite file by default.
//!
//! One module per command (or group of commands). What they share with the web admin (the
//! workspace, refusals, views, scenario files, the data-set generator) is
//! `order-messages-app`; `serve` runs `order-messages-web`.

mod demo;
mod directory;
mod disputes;
mod inbox;
mod inspect;
mod logging;
mod messages;
mod migrate;
mod orders;
mod outbox;
mod output;
mod scenario;
mod seed;
mod serve;
mod verify;

use std::cell::OnceCell;
use std::fmt::Write as _;
use std::io::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::{Args, Parser, Subcommand};
use serde::Serialize;

use order_messages_app::ops::{Refusal, Usage};
use order_messages_app::report::{self, Table};
use order_messages_app::views::{self, DeliveriesView};
use order_messages_app::workspace::{DEFAULT_DB, Location, OpenOptions, Workspace};
use order_messages_app::{install_marketplace, names};
use order_messages_host::{DEFAULT_FUEL_PER_CALL, DEFAULT_MEMORY_BYTES, RunConfig, Runtime};
use order_messages_platform::{Clock, Directory, Platform, Session, SmtpConfig, SmtpTls};

/// Platform harness for the order-messages addon (a WebAssembly component).
///
/// Plays the hosting platform (storage, mail, notifications, order directory, clock) around the
/// real component. State lives in a SQLite file (./order-messages.db unless --db or --memory),
/// so one command can post and the next read: `demo` fills it with a story, `seed` with a
/// generated data set, `directory` by hand; then act as any user with --as.
///
/// Exit status: 0 on success, 1 when the addon refuses (the error's kind is printed), a check
/// fails (verify, scenario) or the host fails, 2 on a usage error (an unknown option, an --as
/// user the directory does not know, an order number several orders share), 141 (silently)
/// when stdout's reader quits early (`… | head`).
#[derive(Debug, Parser)]
#[command(version, about, long_about, max_term_width = 100)]
pub struct Cli {
    #[command(flatten)]
    global: GlobalArgs,
    #[command(subcommand)]
    command: Command,
}

/// Options every command takes.
#[derive(Debug, Args)]
struct GlobalArgs {
    /// The database file holding the addon's data, the directory and the mail logs.
    #[arg(long, global = true, value_name = "PATH", env = "ORDER_MESSAGES_DB",
          default_value = DEFAULT_DB, help_heading = "State")]
    db: PathBuf,
    /// Keep everything in memory for this one command only (ignores --db): the store starts
    /// empty, as a new file does, and is gone when the command ends.
    #[arg(long, global = true, help_heading = "State")]
    memory: bool,

    /// Print JSON (one document on stdout) instead of tables.
    #[arg(long, global = true, help_heading = "Output")]
    json: bool,
    /// Log each guest call (export, actor role, fuel, time) to stderr; -vv for more.
    #[arg(short, long, global = true, action = clap::ArgAction::Count, help_heading = "Output")]
    verbose: u8,

    /// Run another component file instead of the embedded addon.
    #[arg(long, global = true, value_name = "FILE", help_heading = "Guest")]
    component: Option<PathBuf>,
    /// Fuel per guest call (about one unit per wasm instruction).
    #[arg(long, global = true, default_value_t = DEFAULT_FUEL_PER_CALL, help_heading = "Guest")]
    fuel: u64,
    /// Memory cap per guest instance, in MiB.
    #[arg(long, global = true, alias = "memory-mib", value_name = "MIB",
          default_value_t = DEFAULT_MEMORY_BYTES >> 20, help_heading = "Guest")]
    guest_memory_mib: usize,

    #[command(flatten)]
    mail: MailArgs,
}

/// Where mail goes. Without --smtp, mail is only captured (listed by `outbox sent`).
#[derive(Debug, Args)]
struct MailArgs {
    /// Deliver mail through this SMTP server (HOST or HOST:PORT; the port defaults to the TLS
    /// mode's usual one).
    #[arg(long, global = true, value_name = "HOST:PORT", help_heading = "Mail")]
    smtp: Option<String>,
    /// How to secure the SMTP connection: none, starttls or tls.
    #[arg(long, global = true, value_name = "MODE", default_value = "none",
          value_parser = ["none", "starttls", "tls"], help_heading = "Mail")]
    smtp_tls: String,
    /// SMTP user name (AUTH PLAIN/LOGIN).
    #[arg(
        long,
        global = true,
        value_name = "USER",
        requires = "smtp_password",
        help_heading = "Mail"
    )]
    smtp_user: Option<String>,
    /// SMTP password.
    #[arg(
        long,
        global = true,
        value_name = "PASSWORD",
        env = "ORDER_MESSAGES_SMTP_PASSWORD",
        hide_env_values = true,
        help_heading = "Mail"
    )]
    smtp_password: Option<String>,
    /// The sender of every mail: ADDRESS or "Name <ADDRESS>".
    #[arg(long, global = true, value_name = "FROM", help_heading = "Mail")]
    mail_from: Option<String>,
    /// Users' addresses: a pattern with {user-id}, e.g. "shop+{user-id}@example.com".
    #[arg(long, global = true, value_name = "PATTERN", help_heading = "Mail")]
    address_pattern: Option<String>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the scripted story (customer, vendor and staff talk about an order; staff open and
    /// close a dispute; then another customer's parcel is lost and disputed, a third asks two
    /// questions), printing every party's inbox, bell, mail and notifications after each step.
    /// Leaves the database for the other commands, and `serve`, to poke at.
    Demo(demo::DemoArgs),
    /// Post a message into an order's thread.
    Post(messages::PostArgs),
    /// Read an order's thread (marking it read, unless --no-mark).
    Thread(messages::ThreadArgs),
    /// The unread count of an order's thread (the order page's Messages tab).
    Unread(messages::UnreadArgs),
    /// List a user's threads (the Messages section): filters, search, paging.
    Inbox(inbox::InboxArgs),
    /// A user's bell counts: threads with unread messages, open disputes.
    Bell(inbox::BellArgs),
    /// Mark threads read or unread: one order, a selection, or all matching a filter/search.
    Mark(inbox::MarkArgs),
    /// Open, close and look at disputes.
    #[command(subcommand)]
    Dispute(disputes::DisputeCommand),
    /// Filter orders by messages (with messages / with unread): given ids, or a paged list.
    Orders(orders::OrdersArgs),
    /// The addon's outbox: pending entries, dead letters, or the mail and notifications sent.
    Outbox(outbox::OutboxArgs),
    /// Deliver pending outbox entries (maintenance.deliver-pending) until none is left.
    Deliver(outbox::DeliverArgs),
    /// Check that every index and counter agrees with the data (maintenance.verify).
    Verify(verify::VerifyArgs),
    /// Upgrade a store written by an older addon to this one's layout (maintenance.migrate).
    Migrate(migrate::MigrateArgs),
    /// Show or change the directory: orders, staff, vendors and their users, customers, mode.
    #[command(subcommand)]
    Directory(directory::DirectoryCommand),
    /// Generate a realistic data set (orders, vendors, customers, messages, disputes).
    Seed(seed::SeedArgs),
    /// Run scenario files (TOML): steps with an actor, an operation and expected results.
    Scenario(scenario::ScenarioArgs),
    /// Print a component's size, WIT package and version, imports and exports.
    Inspect(inspect::InspectArgs),
    /// Serve the web admin on localhost: the Messages section, orders, order pages with their
    /// thread and disputes, the mail outbox, as any user, live bell; all through the addon.
    Serve(serve::ServeArgs),
}

/// Parses the command line, runs the command, prints errors (see [`report_error`]); the
/// process's exit status. Stdout closed by its reader ends the command quietly (see
/// [`output`]).
fn main() -> ExitCode {
    let cli = Cli::parse();
    logging::init(cli.global.verbose);
    let json = cli.global.json;
    let ctx = Ctx::new(cli.global);
    match run(&ctx, cli.command) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) if output::is_closed_stdout(&e) => ExitCode::from(output::CLOSED_PIPE_STATUS),
        Err(e) => {
            report_error(&e, json);
            if Usage::of(&e).is_some() {
                ExitCode::from(USAGE_STATUS)
            } else {
                ExitCode::FAILURE
            }
        }
    }
}

/// The exit status of a usage error (as clap's own).
const USAGE_STATUS: u8 = 2;

/// Prints `error` on stderr, the whole of it (a scenario file's TOML parse error spans lines:
/// where, the line with a caret, what was expected): `error: ` and its first line, each further
/// line indented, all terminal-safe. With `--json`, also one JSON document on stdout:
/// `{"error": {"kind": …, "message": …}}`, the kind the addon's for a refusal, `usage` for a
/// command the harness cannot act on as given, `host` for anything else; the message whole.
/// Nothing is left to report a failure to print to, so such failures are ignored.
fn report_error(error: &anyhow::Error, json: bool) {
    // `{:#}` prints the context chain (joined by `: `), without anyhow's backtrace.
    let text = format!("{error:#}");
    let text = text.trim_end();
    let mut lines = text.lines();
    let mut out = format!(
        "error: {}\n",
        report::terminal_safe(lines.next().unwrap_or_default())
    );
    for line in lines {
        let _ = writeln!(out, "  {}", report::terminal_safe(line));
    }
    let _ = std::io::stderr().write_all(out.as_bytes());
    if json {
        let value = match (Refusal::of(error), Usage::of(error)) {
            (Some(Refusal(e)), _) => serde_json::json!({ "error": views::error_view(e) }),
            (None, Some(_)) => serde_json::json!({ "error": { "kind": "usage", "message": text } }),
            (None, None) => serde_json::json!({ "error": { "kind": "host", "message": text } }),
        };
        let _ = output::print_exact(&format!("{value}\n"));
    }
}

fn run(ctx: &Ctx, command: Command) -> Result<()> {
    match command {
        Command::Demo(args) => demo::run(ctx, args),
        Command::Post(args) => messages::post(ctx, args),
        Command::Thread(args) => messages::thread(ctx, args),
        Command::Unread(args) => messages::unread(ctx, args),
        Command::Inbox(args) => inbox::inbox(ctx, args),
        Command::Bell(args) => inbox::bell(ctx, args),
        Command::Mark(args) => inbox::mark(ctx, args),
        Command::Dispute(command) => disputes::run(ctx, command),
        Command::Orders(args) => orders::run(ctx, args),
        Command::Outbox(args) => outbox::outbox(ctx, args),
        Command::Deliver(args) => outbox::deliver(ctx, args),
        Command::Verify(args) => verify::run(ctx, args),
        Command::Migrate(args) => migrate::run(ctx, args),
        Command::Directory(command) => directory::run(ctx, command),
        Command::Seed(args) => seed::run(ctx, args),
        Command::Scenario(args) => scenario::command(ctx, args),
        Command::Inspect(args) => inspect::run(ctx, args),
        Command::Serve(args) => serve::run(ctx, args),
    }
}

/// The acting user: `--as USER_ID`, resolved in the directory.
#[derive(Debug, Args)]
struct AsUser {
    /// The user to act as (a user id from the directory; `directory show` lists them).
    #[arg(long = "as", value_name = "USER_ID")]
    user: String,
}

/// What one invocation shares between its parts: the options, the runtime (the component
/// compiled once).
pub(crate) struct Ctx {
    global: GlobalArgs,
    runtime: OnceCell<Runtime<Platform>>,
}

impl Ctx {
    fn new(global: GlobalArgs) -> Self {
        Self {
            global,
            runtime: OnceCell::new(),
        }
    }

    /// Whether to print JSON.
    fn json(&self) -> bool {
        self.global.json
    }

    /// The limits of guest calls.
    fn run_config(&self) -> RunConfig {
        RunConfig {
            fuel_per_call: self.global.fuel,
            memory_bytes: self.global.guest_memory_mib << 20,
            ..RunConfig::default()
        }
    }

    /// The compiled component (`--component` or the embedded one) with the limits.
    fn runtime(&self) -> Result<&Runtime<Platform>> {
        if let Some(r) = self.runtime.get() {
            return Ok(r);
        }
        let addon = match &self.global.component {
            Some(path) => order_messages_platform::load_file(path)?,
            None => order_messages_platform::load_embedded()?,
        };
        let runtime = order_messages_platform::runtime_of(&addon)?.with_config(self.run_config());
        Ok(self.runtime.get_or_init(|| runtime))
    }

    /// Where the state lives.
    fn location(&self) -> Location {
        if self.global.memory {
            Location::Memory
        } else {
            Location::File(self.global.db.clone())
        }
    }

    /// ` --db PATH` when the file is not the default one (for the hints the CLI prints).
    fn db_flag(&self) -> String {
        if self.global.memory || self.global.db == std::path::Path::new(DEFAULT_DB) {
            String::new()
        } else {
            format!(" --db {}", self.global.db.display())
        }
    }

    /// Opens the state with the real clock, mail configured from the options. `create`:
    /// whether a missing file may be created.
    fn open(&self, create: bool) -> Result<Workspace> {
        self.open_with(create, Clock::system(), true)
    }

    fn open_with(&self, create: bool, clock: Clock, durable_mail: bool) -> Result<Workspace> {
        let workspace = Workspace::open(OpenOptions {
            location: self.location(),
            create,
            durable_mail,
            clock,
        })?;
        self.configure_mail(&workspace)?;
        Ok(workspace)
    }

    /// Applies the mail options to the workspace's mail import.
    fn configure_mail(&self, workspace: &Workspace) -> Result<()> {
        let mail = &self.global.mail;
        if let Some(pattern) = &mail.address_pattern {
            workspace
                .platform
                .mail
                .addresses()
                .set_pattern(Some(pattern))?;
        }
        if let Some(server) = &mail.smtp {
            let tls: SmtpTls = mail.smtp_tls.parse()?;
            let mut config = SmtpConfig::from_server(server, tls)?;
            if let Some(from) = &mail.mail_from {
                config = config.with_from(from);
            }
            if let (Some(user), Some(password)) = (&mail.smtp_user, &mail.smtp_password) {
                config = config.with_credentials(user, password);
            }
            workspace
                .platform
                .mail
                .relay_via(config)
                .context("configuring the SMTP relay")?;
        } else if mail.mail_from.is_some() || mail.smtp_user.is_some() {
            anyhow::bail!("--mail-from and --smtp-user need --smtp");
        }
        Ok(())
    }

    /// The order id a command line's `given` names (an id, else a unique order number: see
    /// [`Workspace::resolve_order`]); when it was a number, a note on stderr says which order
    /// that is (stdout keeps only the command's output).
    fn order(&self, workspace: &Workspace, given: &str) -> Result<String> {
        let resolved = workspace.resolve_order(given)?;
        if let Some(note) = resolved.note() {
            let _ = writeln!(std::io::stderr(), "note: {}", report::terminal_safe(&note));
        }
        Ok(resolved.id)
    }

    /// Every order id `given` names (see [`Ctx::order`]).
    fn orders(&self, workspace: &Workspace, given: &[String]) -> Result<Vec<String>> {
        given.iter().map(|g| self.order(workspace, g)).collect()
    }

    /// A session of the addon (compiled on first use) over `workspace`'s platform.
    fn session(&self, workspace: &Workspace) -> Result<Session> {
        workspace.session(self.runtime()?)
    }

    /// Prints `value` as JSON, or `human` as text.
    fn emit<T: Serialize>(&self, value: &T, human: impl FnOnce() -> String) -> Result<()> {
        if self.json() {
            print_json(value)
        } else {
            output::print(&human())
        }
    }

    /// Prints `value` and what the command delivered: JSON gets a `deliveries` member (when
    /// something was delivered), text a section after `human`.
    fn emit_delivering<T: Serialize>(
        &self,
        workspace: &Workspace,
        value: &T,
        human: impl FnOnce() -> String,
    ) -> Result<()> {
        let deliveries = workspace.take_deliveries_view()?;
        if self.json() {
            let mut json = serde_json::to_value(value)?;
            if let (serde_json::Value::Object(map), false) = (&mut json, deliveries.is_empty()) {
                map.insert("deliveries".into(), serde_json::to_value(&deliveries)?);
            }
            print_json(&json)
        } else {
            let mut text = human();
            text.push_str(&deliveries_text(
                &workspace.platform.directory,
                &deliveries,
                "",
            ));
            output::print(&text)
        }
    }
}

/// Prints `value` as one pretty JSON document.
pub(crate) fn print_json<T: Serialize>(value: &T) -> Result<()> {
    let mut text = serde_json::to_string_pretty(value)?;
    text.push('\n');
    output::print_exact(&text)
}

/// The mails and notifications of `deliveries` as tables (each only when there are some),
/// recipients by display name.
pub(crate) fn deliveries_text(
    directory: &Directory,
    deliveries: &DeliveriesView,
    indent: &str,
) -> String {
    let mut out = String::new();
    if deliveries.is_empty() {
        return out;
    }
    let names = |ids: &[String]| names(directory, ids);
    let number = |order_id: &str| {
        directory
            .order(order_id)
            .map_or_else(|| order_id.to_owned(), |o| o.number)
    };
    out.push('\n');
    if !deliveries.mails.is_empty() {
        let _ = writeln!(out, "{indent}Mail sent: {}", deliveries.mails.len());
        let mut table = Table::new(&["To", "Order", "Subject"]);
        for m in &deliveries.mails {
            table.row(vec![
                names(&m.recipients),
                number(&m.order_id),
                report::excerpt(&m.subject, 70),
            ]);
        }
        out.push_str(&table.render(indent));
    }
    if !deliveries.notifications.is_empty() {
        let _ = writeln!(
            out,
            "{indent}Notifications pushed: {}",
            deliveries.notifications.len()
        );
        let mut table = Table::new(&["To", "Event"]);
        for p in &deliveries.notifications {
            table.row(vec![names(&p.recipients), p.summary.clone()]);
        }
        out.push_str(&table.render(indent));
    }
    out
}
