//! `demo`: a scripted conversation with a dispute, then the rest of the store's day (another
//! customer's lost parcel, disputed; a third customer's questions), printing what each party
//! sees after every step. Written against the WIT contract; refusals and host errors are
//! printed, not fatal. Runs on the database file (replacing an earlier demo's), so the other
//! commands and `serve` find the store the story left, the one the README's screenshots show.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::time::Duration;

use anyhow::{Result, bail};
use clap::Args;
use serde::Serialize;

use super::{Ctx, deliveries_text, install_marketplace, output, print_json};
use order_messages_app::report::{self, Table};
use order_messages_app::views::{BellView, DeliveriesView};
use order_messages_app::workspace::{Location, remove_database};
use order_messages_host::types::*;
use order_messages_platform::fixtures::{World, marketplace::*};
use order_messages_platform::{Clock, Session};

/// The parties whose view is printed after each step.
const PARTIES: [&str; 4] = [ALICE, ANNA, SAM, SARA];

/// One action of the story.
enum Action {
    Post(&'static str, &'static str),
    Open(&'static str),
    Close(&'static str),
}

/// The story: who acts, on which order, doing what. Alice's order 1001 first (steps 1 to 6),
/// then the rest of the store's day ([`SECOND_ACT`] on): Bob's parcel for 1003 goes missing
/// and staff open a dispute on it, Carol asks about 1004 and 1005. It leaves the store as
/// the README's screenshots show it: staff mid-dispute, two threads unread.
const STORY: [(&str, &str, Action); 12] = [
    (
        ALICE,
        ALICE_ACME_ORDER,
        Action::Post(
            "Hi! My cordless drill arrived without its battery. Could you send it?",
            "a1",
        ),
    ),
    (
        ANNA,
        ALICE_ACME_ORDER,
        Action::Post(
            "Sorry about that, Alice. We will ship the battery tomorrow.",
            "a2",
        ),
    ),
    (
        ALICE,
        ALICE_ACME_ORDER,
        Action::Post(
            "It has been a week and still no battery. Tracking shows nothing.",
            "a3",
        ),
    ),
    (
        SAM,
        ALICE_ACME_ORDER,
        Action::Open("Customer reports a missing part not shipped after a week."),
    ),
    (
        ANNA,
        ALICE_ACME_ORDER,
        Action::Post(
            "The battery left our warehouse today, tracking 1Z999AA10123456784.",
            "a4",
        ),
    ),
    (
        SAM,
        ALICE_ACME_ORDER,
        Action::Close("Vendor shipped the missing battery; customer confirmed delivery."),
    ),
    (
        BOB,
        BOB_ACME_ORDER,
        Action::Post(
            "Hello, the parcel for order 1003 never came. Tracking has been stuck for days.",
            "b1",
        ),
    ),
    (
        ANNA,
        BOB_ACME_ORDER,
        Action::Post(
            "Sorry Bob, we are asking the carrier and will get back to you.",
            "b2",
        ),
    ),
    (
        CAROL,
        CAROL_BLUE_ORDER,
        Action::Post(
            "Which edition of the atlas did you send? I ordered the 2025 one.",
            "c1",
        ),
    ),
    (
        CAROL,
        CAROL_STORE_ORDER,
        Action::Post(
            "Can I still change the delivery address to my office?",
            "c2",
        ),
    ),
    (
        BOB,
        BOB_ACME_ORDER,
        Action::Post("Still nothing. I would like a refund, please.", "b3"),
    ),
    (
        SAM,
        BOB_ACME_ORDER,
        Action::Open("Parcel lost in transit; the customer asks for a refund."),
    ),
];

/// Where the story leaves order 1001 for the rest of the store (an index of [`STORY`]).
const SECOND_ACT: usize = 6;

/// `demo`.
#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Use the system's real time instead of a clock pinned to 2026-01-01 09:00 UTC that
    /// moves 7 minutes per step.
    #[arg(long)]
    real_time: bool,
    /// Replace the database file even if it holds data that an earlier demo did not write
    /// (from `seed` or `directory`). A file an earlier demo wrote is always replaced.
    #[arg(long)]
    reset: bool,
}

#[derive(Serialize)]
struct StepView {
    step: usize,
    headline: String,
    outcome: String,
    bells: BTreeMap<String, BellView>,
    deliveries: DeliveriesView,
}

#[derive(Serialize)]
struct DemoView {
    database: String,
    steps: Vec<StepView>,
}

/// Runs the story on a fresh marketplace in the database file (replacing an earlier demo's)
/// and prints it.
pub fn run(ctx: &Ctx, args: DemoArgs) -> Result<()> {
    let location = ctx.location();
    let mut notes = String::new();
    if let Location::File(path) = &location
        && path.exists()
    {
        let (has_data, origin) = {
            let existing = ctx.open(false)?;
            (existing.has_data()?, existing.meta("origin")?)
        };
        if has_data && origin.as_deref() != Some("demo") && !args.reset {
            bail!(
                "{} already holds data{}; run `demo --reset` to replace it, or give the \
                     demo another file with --db",
                path.display(),
                origin.map(|o| format!(" (from {o})")).unwrap_or_default()
            );
        }
        remove_database(path)?;
        if has_data {
            let _ = writeln!(
                notes,
                "Replacing {} (it held {}).",
                path.display(),
                if origin.as_deref() == Some("demo") {
                    "an earlier demo"
                } else {
                    "other data, --reset"
                }
            );
        }
    }
    let clock = if args.real_time {
        Clock::system()
    } else {
        Clock::default()
    };
    let workspace = ctx.open_with(true, clock, true)?;
    let world = install_marketplace(&workspace.platform);
    let directory = &workspace.platform.directory;
    workspace.save_directory()?;
    workspace.set_meta("origin", "demo")?;
    let mut session = ctx.session(&workspace)?;
    let json = ctx.json();
    let say = |text: &str| if json { Ok(()) } else { output::print(text) };

    say(&notes)?;
    say(&format!(
        "Order messages demo: a marketplace with vendors Acme Tools and Blue Books,\n\
         staff Sam and Sara, customers Alice, Bob and Carol; storage in {}, {} clock.\n\
         The story follows Alice's order 1001 from Acme Tools, then the rest of the\n\
         store's day: Bob's order 1003, Carol's 1004 and 1005.\n\n",
        workspace.location.describe(),
        if args.real_time {
            "real-time"
        } else {
            "pinned"
        }
    ))?;
    match session.schema_version() {
        Ok(Ok(v)) => say(&format!("addon schema version: {v}\n\n")),
        Ok(Err(e)) => say(&format!(
            "addon schema version: refused ({})\n\n",
            e.describe()
        )),
        Err(e) => say(&format!("addon schema version: host error: {e:#}\n\n")),
    }?;
    // The schema record's commit delivers nothing; start the journal clean all the same.
    workspace.take_deliveries()?;

    let mut steps = Vec::new();
    for (number, (who, order_id, action)) in STORY.iter().enumerate() {
        if !args.real_time {
            workspace
                .platform
                .clock
                .advance(Duration::from_secs(7 * 60));
        }
        if number == SECOND_ACT {
            say(
                "━━ Meanwhile, the rest of the store's day: Bob's parcel for 1003 goes missing, \
                 Carol asks about 1004 and 1005.\n\n",
            )?;
        }
        let actor = world.actor(who);
        let order = directory
            .order(order_id)
            .expect("story orders are in the fixtures");
        let headline = match action {
            Action::Post(..) => format!("{} writes on order {}", actor.display_name, order.number),
            Action::Open(_) => format!(
                "{} opens a dispute on order {}",
                actor.display_name, order.number
            ),
            Action::Close(_) => format!(
                "{} closes the dispute on order {}",
                actor.display_name, order.number
            ),
        };
        say(&format!("━━ Step {}: {headline}\n", number + 1))?;
        let outcome = perform(&mut session, &actor, order_id, action);
        say(&format!("   {outcome}\n\n"))?;
        let (text, bells) = views(&mut session, &world);
        let deliveries = workspace.take_deliveries_view()?;
        say(&text)?;
        say(&deliveries_text(directory, &deliveries, "   "))?;
        say("\n")?;
        steps.push(StepView {
            step: number + 1,
            headline,
            outcome,
            bells,
            deliveries,
        });
    }
    let database = workspace.location.describe();
    if json {
        print_json(&DemoView { database, steps })?;
    } else if let Location::File(_) = workspace.location {
        let db = ctx.db_flag();
        let mut text =
            format!("The demo's state is saved in {database}. Poke at it as any party:\n");
        let tries = [
            ("inbox --as s1", ""),
            ("thread --as c1 1001", ""),
            ("post --as v1-anna 1003 \"The carrier found it!\"", ""),
            ("bell --as v1-anna", ""),
            ("verify", ""),
            (
                "serve",
                "# the web admin: the store as the README's screenshots show it",
            ),
        ];
        for (i, (args, comment)) in tries.iter().enumerate() {
            let lead = if i == 0 { "  try:" } else { "      " };
            let line = format!("{lead} cargo run -p order-messages-harness -- {args}{db}");
            let _ = writeln!(text, "{}", format!("{line}  {comment}").trim_end());
        }
        output::print(&text)?;
    }
    Ok(())
}

fn perform(session: &mut Session, actor: &Actor, order_id: &str, action: &Action) -> String {
    let quote = |s: &str| format!("\"{}\"", report::excerpt(s, 70));
    match action {
        Action::Post(body, key) => {
            let request = PostRequest::new(order_id, *body).with_key(*key);
            let said = quote(body);
            match session.post(actor, &request) {
                Ok(Ok(m)) => format!(
                    "{said}\n   → posted as message #{} at {}",
                    m.seq,
                    report::time(m.created_at)
                ),
                Ok(Err(e)) => format!("{said}\n   → refused: {}", e.describe()),
                Err(e) => format!("{said}\n   → host error: {e:#}"),
            }
        }
        Action::Open(reason) => match session.open_dispute(actor, order_id, reason) {
            Ok(Ok(d)) => format!(
                "reason {}\n   → dispute #{} opened",
                quote(reason),
                d.number
            ),
            Ok(Err(e)) => format!("reason {}\n   → refused: {}", quote(reason), e.describe()),
            Err(e) => format!("reason {}\n   → host error: {e:#}", quote(reason)),
        },
        Action::Close(resolution) => {
            match session.close_dispute(actor, order_id, Some(resolution)) {
                Ok(Ok(d)) => format!(
                    "resolution {}\n   → dispute #{} closed",
                    quote(resolution),
                    d.number
                ),
                Ok(Err(e)) => format!(
                    "resolution {}\n   → refused: {}",
                    quote(resolution),
                    e.describe()
                ),
                Err(e) => format!("resolution {}\n   → host error: {e:#}", quote(resolution)),
            }
        }
    }
}

/// Each party's inbox and bell, as text, and the bells by user id.
fn views(session: &mut Session, world: &World) -> (String, BTreeMap<String, BellView>) {
    let mut bell_views = BTreeMap::new();
    let mut inbox = Table::new(&[
        "Party",
        "Order",
        "Latest message",
        "Author",
        "When",
        "Unread",
        "Dispute",
    ]);
    let mut bells = Table::new(&["Party", "Messages", "Disputes"]);
    for id in PARTIES {
        let actor = world.actor(id);
        let label = report::party(&actor);
        match session.list_threads(&actor, &ListRequest::new(Query::all(), 10)) {
            Ok(Ok(page)) if page.rows.is_empty() => {
                inbox.row(vec![label.clone(), "—".into(), "(no threads)".into()]);
            }
            Ok(Ok(page)) => {
                for (i, row) in page.rows.iter().enumerate() {
                    let party = if i == 0 { label.clone() } else { String::new() };
                    let (unread, dispute) = report::row_marks(row);
                    inbox.row(vec![
                        party,
                        row.order_number.clone(),
                        report::excerpt(&row.latest.excerpt, 44),
                        row.latest.author_name.clone(),
                        report::time(row.latest.created_at),
                        unread,
                        dispute,
                    ]);
                }
            }
            Ok(Err(e)) => inbox.row(vec![
                label.clone(),
                "—".into(),
                format!("refused: {}", e.describe()),
            ]),
            Err(e) => inbox.row(vec![
                label.clone(),
                "—".into(),
                format!("host error: {}", first_line(&e)),
            ]),
        }
        match session.bell(&actor) {
            Ok(Ok(counts)) => {
                bell_views.insert(id.to_owned(), BellView::from(&counts));
                let (messages, disputes) = report::bell(&counts);
                bells.row(vec![label, messages, disputes]);
            }
            Ok(Err(e)) => bells.row(vec![label, format!("refused: {}", e.describe())]),
            Err(e) => bells.row(vec![label, format!("host error: {}", first_line(&e))]),
        }
    }
    let mut out = String::new();
    let _ = writeln!(out, "   Inboxes");
    out.push_str(&inbox.render("   "));
    let _ = writeln!(out, "\n   Bells");
    out.push_str(&bells.render("   "));
    (out, bell_views)
}

fn first_line(e: &anyhow::Error) -> String {
    format!("{e:#}")
        .lines()
        .next()
        .unwrap_or_default()
        .to_owned()
}
