//! `demo`: a scripted conversation with a dispute, printing what each party sees after every
//! step. Written against the WIT contract; refusals and host errors are printed, not fatal.

use std::fmt::Write as _;
use std::time::Duration;

use anyhow::Result;
use order_messages_harness::fixtures::{Fixtures, World, marketplace::*};
use order_messages_harness::types::*;
use order_messages_harness::{Clock, Harness, Host, Session};

use crate::report::{self, Table};

/// The parties whose view is printed after each step.
const PARTIES: [&str; 4] = [ALICE, ANNA, SAM, SARA];

/// One action of the story.
enum Action {
    Post(&'static str, &'static str),
    Open(&'static str),
    Close(&'static str),
}

/// The story: who acts, on which order, doing what.
const STORY: [(&str, &str, Action); 6] = [
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
];

/// Runs the story on a fresh in-memory marketplace and prints it.
pub fn run(harness: &Harness, real_time: bool) -> Result<()> {
    let clock = if real_time {
        Clock::system()
    } else {
        Clock::default()
    };
    let world = Fixtures::marketplace_on(Host::new().with_clock(clock)).build();
    let mut session = world.session_with(harness)?;

    println!("Order messages demo: a marketplace with vendors Acme Tools and Blue Books,");
    println!("staff Sam and Sara, customers Alice, Bob and Carol; in-memory storage,");
    println!(
        "{} clock. The story follows Alice's order 1001 from Acme Tools.\n",
        if real_time { "real-time" } else { "pinned" }
    );
    match session.schema_version() {
        Ok(Ok(v)) => println!("addon schema version: {v}\n"),
        Ok(Err(e)) => println!("addon schema version: refused ({})\n", e.describe()),
        Err(e) => println!("addon schema version: host error: {e:#}\n"),
    }

    for (number, (who, order_id, action)) in STORY.iter().enumerate() {
        if !real_time {
            world.host.clock.advance(Duration::from_secs(7 * 60));
        }
        let actor = world.actor(who);
        let order = world
            .host
            .directory
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
        println!("━━ Step {}: {headline}", number + 1);
        let outcome = perform(&mut session, &actor, order_id, action);
        println!("   {outcome}\n");
        print!("{}", views(&mut session, &world));
        print!("{}", deliveries(&world));
        println!();
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

fn party_label(actor: &Actor) -> String {
    match &actor.role {
        Role::Customer => format!("{} (customer)", actor.display_name),
        Role::Vendor(v) => format!("{} (vendor {v})", actor.display_name),
        Role::Admin => format!("{} (staff)", actor.display_name),
    }
}

/// Each party's inbox and bell.
fn views(session: &mut Session, world: &World) -> String {
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
        let label = party_label(&actor);
        match session.list_threads(&actor, &ListRequest::new(Query::all(), 10)) {
            Ok(Ok(page)) if page.rows.is_empty() => {
                inbox.row(vec![label.clone(), "—".into(), "(no threads)".into()]);
            }
            Ok(Ok(page)) => {
                for (i, row) in page.rows.iter().enumerate() {
                    let party = if i == 0 { label.clone() } else { String::new() };
                    inbox.row(vec![
                        party,
                        row.order_number.clone(),
                        report::excerpt(&row.latest.excerpt, 44),
                        row.latest.author_name.clone(),
                        report::time(row.latest.created_at),
                        if row.unread {
                            format!("● {}", row.unread_count)
                        } else {
                            String::new()
                        },
                        if row.dispute_open {
                            "Dispute".into()
                        } else {
                            String::new()
                        },
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
    out
}

/// The mails and notifications delivered since the previous step.
fn deliveries(world: &World) -> String {
    let name = |id: &String| {
        world
            .actors()
            .find(|a| &a.id == id)
            .map_or_else(|| id.clone(), |a| a.display_name.clone())
    };
    let names = |ids: &[String]| ids.iter().map(name).collect::<Vec<_>>().join(", ");

    let mails = world.host.mail.take_new();
    let mut mail_table = Table::new(&["To", "Order", "Subject"]);
    for mail in &mails {
        let number = world
            .host
            .directory
            .order(&mail.order_id)
            .map_or_else(|| mail.order_id.clone(), |o| o.number);
        mail_table.row(vec![
            names(&mail.recipients),
            number,
            report::excerpt(&mail.subject, 70),
        ]);
    }
    let pushes = world.host.notifications.take_new();
    let mut push_table = Table::new(&["To", "Event"]);
    for push in &pushes {
        push_table.row(vec![names(&push.recipients), report::event(&push.event)]);
    }

    let mut out = String::new();
    let _ = writeln!(out, "\n   Mail sent in this step: {}", mails.len());
    if !mail_table.is_empty() {
        out.push_str(&mail_table.render("   "));
    }
    let _ = writeln!(
        out,
        "   Notifications pushed in this step: {}",
        pushes.len()
    );
    if !push_table.is_empty() {
        out.push_str(&push_table.render("   "));
    }
    out
}

fn first_line(e: &anyhow::Error) -> String {
    format!("{e:#}")
        .lines()
        .next()
        .unwrap_or_default()
        .to_owned()
}
