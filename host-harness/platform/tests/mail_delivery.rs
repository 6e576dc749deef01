//! Real mail: the `mail` import delivering over SMTP to a real server on loopback
//! ([`local_smtp`]), what that server receives parsed with a MIME parser, the mapping of SMTP
//! outcomes to the import's errors, at-most-once per key and recipient across the SMTP hop,
//! `.eml` files, and the whole path through the component: post → outbox → SMTP, with
//! `deliver-pending` after a failure.

mod local_smtp;

use std::time::Duration;

use local_smtp::{LocalSmtp, Received, Reply, Step, dead_port};
use mail_parser::MessageParser;
use order_messages_host::Mailer;
use order_messages_host::types::*;
use order_messages_platform::eml;
use order_messages_platform::fixtures::{Fixtures, World, marketplace::*};
use order_messages_platform::{DEFAULT_FROM, Database, SharedStorage, SmtpConfig, SmtpTls};
use order_messages_platform::{Fault, Platform, Session};

fn mail(key: &str, recipients: &[&str]) -> Mail {
    Mail {
        recipients: recipients.iter().map(|r| r.to_string()).collect(),
        order_id: "o1".into(),
        subject: "New message about order 1001".into(),
        text_body: "Alice (customer) wrote:\n\nWhere is my parcel? Déjà une semaine.\n.\n".into(),
        html_body: "<p><b>Alice</b> (customer) wrote:</p><p>Where is my parcel? &lt;3</p>".into(),
        idempotency_key: key.into(),
    }
}

/// A host relaying to `server`.
fn relaying_host(server: &LocalSmtp) -> Platform {
    let platform = Platform::new();
    platform.mail.relay_via(server.config()).unwrap();
    platform
}

fn parse(data: &[u8]) -> mail_parser::Message<'static> {
    MessageParser::default()
        .parse(data)
        .expect("a MIME message")
        .into_owned()
}

fn header<'a>(message: &'a mail_parser::Message<'_>, name: &str) -> &'a str {
    message
        .headers_raw()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .unwrap_or_else(|| panic!("no {name} header"))
        .1
        .trim()
}

/// The text part with LF line endings (MIME text travels with CRLF).
fn text_of(message: &mail_parser::Message<'_>) -> String {
    message
        .body_text(0)
        .expect("a text part")
        .replace("\r\n", "\n")
}

fn unavailable(result: Result<(), MailError>) -> String {
    match result {
        Err(MailError::Unavailable(m)) => m,
        other => panic!("expected unavailable, got {other:?}"),
    }
}

fn rejected(result: Result<(), MailError>) -> String {
    match result {
        Err(MailError::Rejected(m)) => m,
        other => panic!("expected rejected, got {other:?}"),
    }
}

/// Each message's single envelope recipient, in order.
fn envelope_recipients(received: &[Received]) -> Vec<String> {
    received
        .iter()
        .map(|r| {
            assert_eq!(r.rcpt_to.len(), 1, "one recipient per envelope: {r:?}");
            r.rcpt_to[0].clone()
        })
        .collect()
}

// ---------------------------------------------------------------------------------------------
// The import against the server

#[test]
fn each_recipient_gets_a_separate_copy_with_subject_parts_and_key() {
    let server = LocalSmtp::start();
    let platform = relaying_host(&server);
    platform
        .mail
        .addresses()
        .set("c1", "Alice Blue <alice@shop.test>")
        .unwrap();
    let sent = mail("k/1", &["c1", "v1-anna"]);
    platform.mail.send(&sent.clone()).unwrap();

    let received = server.received();
    assert_eq!(
        envelope_recipients(&received),
        ["alice@shop.test", "v1-anna@example.test"]
    );
    for (r, to) in received
        .iter()
        .zip(["alice@shop.test", "v1-anna@example.test"])
    {
        assert_eq!(r.mail_from, "order-messages@example.test");
        assert_eq!(r.hello, "[127.0.0.1]");
        let m = parse(&r.data);
        assert_eq!(m.subject(), Some("New message about order 1001"));
        let to_header = m.to().and_then(|a| a.first()).unwrap();
        assert_eq!(to_header.address(), Some(to));
        assert_eq!(
            m.to().unwrap().iter().count(),
            1,
            "recipients never see each other"
        );
        assert!(m.cc().is_none() && m.bcc().is_none());
        let from = m.from().and_then(|a| a.first()).unwrap();
        assert_eq!(
            (from.name(), from.address()),
            (Some("Order messages"), Some("order-messages@example.test"))
        );
        assert_eq!(text_of(&m), sent.text_body);
        let html = m.body_html(0).unwrap();
        assert!(html.contains(&sent.html_body), "{html}");
        assert!(html.starts_with("<!DOCTYPE html>"));
        assert_eq!((m.text_body_count(), m.html_body_count()), (1, 1));
        assert!(header(&m, "Content-Type").starts_with("multipart/alternative"));
        assert_eq!(header(&m, "X-Order-Messages-Key"), "k/1");
        assert_eq!(header(&m, "X-Order-Messages-Order"), "o1");
        assert_eq!(m.message_id(), Some("k/1@example.test"));
    }
    // The Alice copy carries her name.
    let alice = parse(&received[0].data);
    assert_eq!(
        alice.to().and_then(|a| a.first()).unwrap().name(),
        Some("Alice Blue")
    );

    // The capture keeps the mail; the sent log each copy, with the server that took it.
    assert_eq!(platform.mail.all(), vec![sent]);
    let copies = platform.mail.sent_copies().unwrap();
    assert_eq!(copies.len(), 2);
    assert_eq!(copies[0].to, "Alice Blue <alice@shop.test>");
    assert_eq!(copies[1].user_id, "v1-anna");
    let via = format!("127.0.0.1:{}", server.addr().port());
    assert!(
        copies
            .iter()
            .all(|c| c.via.as_deref() == Some(via.as_str()))
    );
    assert!(copies.iter().all(|c| c.from == DEFAULT_FROM));
}

#[test]
fn a_retry_of_a_sent_key_sends_nothing() {
    let server = LocalSmtp::start();
    let platform = relaying_host(&server);
    platform.mail.send(&mail("k", &["c1", "c2"])).unwrap();
    let connections = server.connections();
    assert_eq!(connections, 2, "one SMTP transaction per copy");
    platform.mail.send(&mail("k", &["c1", "c2"])).unwrap();
    assert_eq!(server.connections(), connections, "not even a connection");
    assert_eq!(server.received().len(), 2);
    assert_eq!(platform.mail.count(), 1);
    assert_eq!(platform.mail.duplicates(), ["k"]);
}

#[test]
fn users_without_an_address_are_skipped_and_a_mail_for_none_of_them_is_rejected() {
    let server = LocalSmtp::start();
    let platform = relaying_host(&server);
    platform.mail.addresses().set_none("c2");
    platform.mail.send(&mail("k1", &["c1", "c2"])).unwrap();
    assert_eq!(
        envelope_recipients(&server.take_received()),
        ["c1@example.test"]
    );

    let reason = rejected(platform.mail.send(&mail("k2", &["c2"])));
    assert!(
        reason.contains("no recipient has an email address (c2)"),
        "{reason}"
    );
    platform.mail.addresses().set_pattern(None).unwrap();
    let reason = rejected(platform.mail.send(&mail("k3", &["c3", "c4"])));
    assert!(reason.contains("(c3, c4)"), "{reason}");
    assert_eq!(server.connections(), 1, "nothing was attempted");
    assert_eq!(platform.mail.count(), 1);
}

#[test]
fn a_temporary_refusal_is_unavailable_and_the_retry_delivers_once() {
    let server = LocalSmtp::start();
    let platform = relaying_host(&server);
    for step in [
        Step::Greeting,
        Step::MailFrom,
        Step::RcptTo,
        Step::EndOfData,
    ] {
        server.reply_at(step, Reply::code(451, "4.3.0 Try again later"));
        let reason = unavailable(platform.mail.send(&mail("k", &["c1"])));
        assert!(reason.contains("451"), "{step:?}: {reason}");
        assert!(reason.contains("0 of 1 copies sent"), "{reason}");
        server.answer_normally();
    }
    assert!(server.received().is_empty());
    assert!(platform.mail.sent_copies().unwrap().is_empty());
    assert_eq!(platform.mail.count(), 0);

    platform.mail.send(&mail("k", &["c1"])).unwrap();
    platform.mail.send(&mail("k", &["c1"])).unwrap();
    assert_eq!(envelope_recipients(&server.received()), ["c1@example.test"]);
    assert_eq!(platform.mail.count(), 1);
}

#[test]
fn a_permanent_refusal_is_rejected() {
    let server = LocalSmtp::start();
    let platform = relaying_host(&server);
    for step in [Step::MailFrom, Step::RcptTo, Step::Data, Step::EndOfData] {
        server.reply_at(step, Reply::code(550, "5.1.1 No such mailbox"));
        let reason = rejected(platform.mail.send(&mail("k", &["c1"])));
        assert!(reason.contains("550"), "{step:?}: {reason}");
        server.answer_normally();
    }
    assert!(server.received().is_empty());
    assert_eq!(platform.mail.count(), 0);
}

#[test]
fn a_partial_failure_is_retried_only_for_the_copies_not_sent() {
    let server = LocalSmtp::start();
    let platform = relaying_host(&server);
    server.reply_to_rcpt("c2@example.test", Reply::code(452, "4.2.2 Mailbox full"));
    let reason = unavailable(platform.mail.send(&mail("k", &["c1", "c2", "c3"])));
    assert!(
        reason.contains("c2: ") && reason.contains("452"),
        "{reason}"
    );
    assert!(reason.contains("2 of 3 copies sent"), "{reason}");
    assert_eq!(
        envelope_recipients(&server.take_received()),
        ["c1@example.test", "c3@example.test"]
    );
    assert_eq!(platform.mail.count(), 0, "not complete yet");

    // Still full: nothing new goes to c1 or c3.
    unavailable(platform.mail.send(&mail("k", &["c1", "c2", "c3"])));
    assert!(server.take_received().is_empty());

    server.answer_normally();
    platform.mail.send(&mail("k", &["c1", "c2", "c3"])).unwrap();
    assert_eq!(
        envelope_recipients(&server.take_received()),
        ["c2@example.test"]
    );
    assert_eq!(platform.mail.count(), 1);
    assert_eq!(platform.mail.sent_copies().unwrap().len(), 3);
}

#[test]
fn a_recipient_refused_for_good_does_not_hold_back_the_others() {
    let server = LocalSmtp::start();
    let platform = relaying_host(&server);
    server.reply_to_rcpt("c2@example.test", Reply::code(550, "5.1.1 No such user"));
    platform.mail.send(&mail("k", &["c1", "c2"])).unwrap();
    assert_eq!(envelope_recipients(&server.received()), ["c1@example.test"]);
    // Everyone refused for good: rejected.
    let reason = rejected(platform.mail.send(&mail("k2", &["c2"])));
    assert!(
        reason.contains("c2: ") && reason.contains("550"),
        "{reason}"
    );
}

#[test]
fn no_server_a_dropped_connection_or_a_silent_server_is_unavailable() {
    let platform = Platform::new();
    let down = SmtpConfig::new("127.0.0.1", dead_port()).with_timeout(Duration::from_secs(2));
    platform.mail.relay_via(down).unwrap();
    let reason = unavailable(platform.mail.send(&mail("k", &["c1", "c2"])));
    assert!(reason.contains("onnection"), "{reason}");
    assert!(
        reason.contains("not tried: c2"),
        "a dead server is tried once: {reason}"
    );

    let server = LocalSmtp::start();
    platform.mail.relay_via(server.config()).unwrap();
    for step in [Step::Greeting, Step::RcptTo, Step::EndOfData] {
        server.reply_at(step, Reply::Drop);
        unavailable(platform.mail.send(&mail("k", &["c1"])));
    }
    server.answer_normally();

    platform
        .mail
        .relay_via(server.config().with_timeout(Duration::from_millis(300)))
        .unwrap();
    server.reply_at(Step::Greeting, Reply::Silence);
    let started = std::time::Instant::now();
    let reason = unavailable(platform.mail.send(&mail("k", &["c1"])));
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "the timeout holds"
    );
    assert!(reason.contains("SMTP server 127.0.0.1:"), "{reason}");

    server.answer_normally();
    assert!(server.received().is_empty());
    platform.mail.send(&mail("k", &["c1", "c2"])).unwrap();
    assert_eq!(server.received().len(), 2);
}

#[test]
fn credentials_are_used_and_refused_credentials_are_not_a_dead_letter() {
    let server = LocalSmtp::start();
    server.require_auth("shop", "s3cret");
    let platform = Platform::new();

    // Without credentials (530) or with wrong ones (535): the relay's fault, retried later.
    platform.mail.relay_via(server.config()).unwrap();
    let reason = unavailable(platform.mail.send(&mail("k", &["c1"])));
    assert!(reason.contains("530"), "{reason}");
    platform
        .mail
        .relay_via(server.config().with_credentials("shop", "wrong"))
        .unwrap();
    let reason = unavailable(platform.mail.send(&mail("k", &["c1"])));
    assert!(reason.contains("535"), "{reason}");

    platform
        .mail
        .relay_via(server.config().with_credentials("shop", "s3cret"))
        .unwrap();
    platform.mail.send(&mail("k", &["c1"])).unwrap();
    let received = server.received();
    assert_eq!(received.len(), 1);
    assert_eq!(received[0].authenticated_as.as_deref(), Some("shop"));
}

#[test]
fn starttls_required_by_the_config_never_falls_back_to_plain_text() {
    let server = LocalSmtp::start();
    let platform = Platform::new();
    platform
        .mail
        .relay_via(server.config().with_tls(SmtpTls::StartTls))
        .unwrap();
    // The server does not offer STARTTLS: nothing may be sent in the clear.
    unavailable(platform.mail.send(&mail("k", &["c1"])));
    assert!(server.received().is_empty());
    assert!(
        !server
            .commands()
            .iter()
            .any(|c| c.starts_with("MAIL") || c.starts_with("RCPT")),
        "{:?}",
        server.commands()
    );
}

#[test]
fn the_sender_and_the_relay_can_be_configured() {
    let server = LocalSmtp::start();
    let platform = Platform::new();
    assert!(
        platform
            .mail
            .relay_via(server.config().with_from("nobody"))
            .is_err()
    );
    assert_eq!(platform.mail.relay(), None);
    let config = server.config().with_from("Blue Shop <orders@blue.test>");
    platform.mail.relay_via(config.clone()).unwrap();
    assert_eq!(platform.mail.relay(), Some(config));
    platform.mail.send(&mail("k", &["c1"])).unwrap();
    let received = server.take_received();
    assert_eq!(received[0].mail_from, "orders@blue.test");
    let m = parse(&received[0].data);
    assert_eq!(m.message_id(), Some("k@blue.test"));
    assert_eq!(
        m.from().and_then(|a| a.first()).unwrap().name(),
        Some("Blue Shop")
    );

    // Back to capturing: nothing reaches the server, the sent log says so.
    platform.mail.capture_only();
    platform.mail.send(&mail("k2", &["c1"])).unwrap();
    assert!(server.received().is_empty());
    let copies = platform.mail.sent_copies().unwrap();
    assert_eq!(copies[1].via, None);
    assert_eq!(platform.mail.count(), 2);
}

#[test]
fn injected_faults_still_come_first() {
    let server = LocalSmtp::start();
    let platform = relaying_host(&server);
    platform.mail.fail_next(1, Fault::Rejected);
    rejected(platform.mail.send(&mail("k", &["c1"])));
    assert_eq!(server.connections(), 0);
    platform.mail.send(&mail("k", &["c1"])).unwrap();
    assert_eq!(server.received().len(), 1);
    assert_eq!(platform.mail.failures(), 1);
}

// ---------------------------------------------------------------------------------------------
// .eml files

#[test]
fn eml_files_hold_the_bytes_sent_and_round_trip_through_the_mime_parser() {
    let server = LocalSmtp::start();
    let platform = relaying_host(&server);
    let first = mail("1767258000000/o1/000000000001/000", &["c1", "v1-anna"]);
    let mut second = mail("1767258000000/o1/000000000002/000", &["s1"]);
    second.subject = "Dispute opened on order 1001".into();
    second.text_body = "Sam (admin) opened a dispute: late\n".into();
    platform.mail.send(&first).unwrap();
    platform.mail.send(&second).unwrap();

    let dir = tempfile::tempdir().unwrap();
    let paths = platform
        .mail
        .write_eml(dir.path().join("outbox"))
        .unwrap()
        .files;
    let names: Vec<String> = paths
        .iter()
        .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    assert_eq!(
        names,
        [
            "1767258000000_o1_000000000001_000.c1.eml",
            "1767258000000_o1_000000000001_000.v1-anna.eml",
            "1767258000000_o1_000000000002_000.s1.eml",
        ]
    );
    let received = server.received();
    for ((path, r), sent) in paths.iter().zip(&received).zip([&first, &first, &second]) {
        let bytes = std::fs::read(path).unwrap();
        // The server got exactly these bytes; lettre ends DATA with one more CRLF before the
        // final dot.
        assert_eq!(
            r.data.strip_suffix(b"\r\n").unwrap(),
            &bytes[..],
            "{}",
            path.display()
        );
        let m = parse(&bytes);
        assert_eq!(m.subject(), Some(sent.subject.as_str()));
        assert_eq!(text_of(&m), sent.text_body);
        assert!(m.body_html(0).unwrap().contains(&sent.html_body));
        assert_eq!(
            header(&m, "X-Order-Messages-Key"),
            sent.idempotency_key.as_str()
        );
        assert_eq!(
            m.to().and_then(|a| a.first()).unwrap().address(),
            Some(r.rcpt_to[0].as_str())
        );
    }
    // Also per key, in memory; unknown keys have none.
    assert_eq!(platform.mail.eml(&first.idempotency_key).unwrap().len(), 2);
    assert!(platform.mail.eml("nope").unwrap().is_empty());
    assert_eq!(
        eml::file_name(&second.idempotency_key, "s1"),
        names[2],
        "the name is the key's and the user's"
    );
}

#[test]
fn captured_mail_without_a_relay_is_written_as_eml_too() {
    let platform = Platform::new();
    platform.mail.send(&mail("k", &["c1"])).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let paths = platform.mail.write_eml(dir.path()).unwrap().files;
    assert_eq!(paths.len(), 1);
    let m = parse(&std::fs::read(&paths[0]).unwrap());
    assert_eq!(
        m.to().and_then(|a| a.first()).unwrap().address(),
        Some("c1@example.test")
    );
    assert_eq!(m.subject(), Some("New message about order 1001"));
}

#[test]
fn mail_about_an_order_with_a_long_non_ascii_id_is_written_as_eml() {
    let platform = Platform::new();
    // 128 characters, the most the addon accepts; the key embeds it.
    let order_id = "é".repeat(64) + &"日".repeat(64);
    let mut long = mail(
        &format!("1767258000000/{order_id}/000000000001/000"),
        &["c1", "v1-anna"],
    );
    long.order_id = order_id;
    platform.mail.send(&long).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let export = platform.mail.write_eml(dir.path()).unwrap();
    assert!(export.failures.is_empty(), "{:?}", export.failures);
    let paths = export.files;
    assert_eq!(paths.len(), 2);
    for path in &paths {
        let name = path.file_name().unwrap().len();
        assert!(name <= 255, "{name} bytes: {}", path.display());
        let bytes = std::fs::read(path).unwrap();
        assert_eq!(
            MessageParser::default()
                .header_text(eml::KEY_HEADER)
                .parse(&bytes)
                .unwrap()
                .header(eml::KEY_HEADER)
                .and_then(|h| h.as_text()),
            Some(long.idempotency_key.as_str())
        );
    }
}

#[cfg(unix)]
#[test]
fn eml_files_never_follow_a_symlink_nor_replace_a_file_the_export_did_not_write() {
    let platform = Platform::new();
    platform
        .mail
        .send(&mail("k1", &["c1", "v1-anna", "s1"]))
        .unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("outbox");
    std::fs::create_dir(&dir).unwrap();
    // Planted where the first two copies go: a link to a file elsewhere, and a file.
    let victim = tmp.path().join("victim.txt");
    std::fs::write(&victim, "precious").unwrap();
    let link = dir.join(eml::file_name("k1", "c1"));
    std::os::unix::fs::symlink(&victim, &link).unwrap();
    let planted = dir.join(eml::file_name("k1", "v1-anna"));
    std::fs::write(&planted, "someone else's").unwrap();

    let export = platform.mail.write_eml(&dir).unwrap();
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "precious");
    assert!(std::fs::symlink_metadata(&link).unwrap().is_symlink());
    assert_eq!(std::fs::read_to_string(&planted).unwrap(), "someone else's");
    let written = dir.join(eml::file_name("k1", "s1"));
    let m = parse(&std::fs::read(&written).unwrap());
    assert_eq!(
        m.to().and_then(|a| a.first()).unwrap().address(),
        Some("s1@example.test")
    );
    // Each refusal is reported with its file.
    let refused = |export: &eml::EmlExport| -> Vec<(std::path::PathBuf, String)> {
        export
            .failures
            .iter()
            .map(|f| (f.path.clone(), f.reason.to_string()))
            .collect()
    };
    let expected_refusals = vec![
        (
            link.clone(),
            "a symbolic link is in the way; left alone".to_owned(),
        ),
        (
            planted.clone(),
            "a file with other contents is in the way; left alone".to_owned(),
        ),
    ];
    assert_eq!(refused(&export), expected_refusals);
    assert_eq!(
        (export.files.clone(), export.unchanged),
        (vec![written.clone()], 0)
    );

    // Again: the file it wrote is found as it left it; the others are refused again.
    let before = std::fs::read(&written).unwrap();
    let again = platform.mail.write_eml(&dir).unwrap();
    assert_eq!((&again.files, again.unchanged), (&vec![written.clone()], 1));
    assert_eq!(refused(&again), expected_refusals);
    assert_eq!(std::fs::read(&written).unwrap(), before);
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "precious");
}

// ---------------------------------------------------------------------------------------------
// Through the component

fn world_relaying_to(server: &LocalSmtp) -> (World, Session) {
    let world = Fixtures::marketplace().build();
    world.platform.mail.relay_via(server.config()).unwrap();
    world
        .platform
        .mail
        .addresses()
        .set(ANNA, "Anna <anna@acme.test>")
        .unwrap();
    let session = world.session().expect("the component instantiates");
    (world, session)
}

#[track_caller]
fn ok<T>(result: anyhow::Result<Result<T, Error>>) -> T {
    match result.expect("the call runs without trapping") {
        Ok(value) => value,
        Err(e) => panic!("the addon refused: {}", e.describe()),
    }
}

fn post(session: &mut Session, world: &World, author: &str, order: &str, body: &str) {
    ok(session.post(&world.actor(author), &PostRequest::new(order, body)));
}

fn pending_mail(session: &mut Session, dead: bool) -> Vec<OutboxEntry> {
    let (entries, _) = ok(session.list_outbox(dead, None, 100));
    entries
        .into_iter()
        .filter(|e| e.kind == OutboxKind::Mail)
        .collect()
}

#[test]
fn a_post_mails_the_other_parties_through_the_smtp_server() {
    let server = LocalSmtp::start();
    let (world, mut s) = world_relaying_to(&server);

    post(
        &mut s,
        &world,
        ALICE,
        ALICE_ACME_ORDER,
        "Where is <my> parcel?",
    );
    let received = server.take_received();
    assert_eq!(envelope_recipients(&received), ["anna@acme.test"]);
    let m = parse(&received[0].data);
    assert_eq!(m.subject(), Some("New message about order 1001"));
    assert!(m.body_text(0).unwrap().contains("Where is <my> parcel?"));
    assert!(
        m.body_html(0)
            .unwrap()
            .contains("Where is &lt;my&gt; parcel?")
    );
    let key = header(&m, "X-Order-Messages-Key").to_owned();
    assert_eq!(header(&m, "X-Order-Messages-Order"), ALICE_ACME_ORDER);
    assert_eq!(world.platform.mail.all()[0].idempotency_key, key);

    // Staff step in: the customer and the vendor each get their own copy of one mail.
    post(
        &mut s,
        &world,
        SAM,
        ALICE_ACME_ORDER,
        "Staff here, checking",
    );
    let received = server.take_received();
    let mut to = envelope_recipients(&received);
    to.sort();
    assert_eq!(to, ["anna@acme.test", "c1@example.test"]);
    let keys: Vec<String> = received
        .iter()
        .map(|r| header(&parse(&r.data), "X-Order-Messages-Key").to_owned())
        .collect();
    assert_eq!(keys[0], keys[1]);
    assert_ne!(keys[0], key);
    assert!(pending_mail(&mut s, false).is_empty());
}

#[test]
fn a_server_answering_451_leaves_the_mail_pending_until_deliver_pending_sends_it_once() {
    let server = LocalSmtp::start();
    let (world, mut s) = world_relaying_to(&server);
    server.reply_at(Step::EndOfData, Reply::code(451, "4.3.0 Queue full"));

    post(&mut s, &world, ALICE, ALICE_ACME_ORDER, "Hello?");
    let pending = pending_mail(&mut s, false);
    assert_eq!(pending.len(), 1, "the post succeeded, its mail waits");
    assert!(
        pending[0].last_error.as_deref().unwrap().contains("451"),
        "{:?}",
        pending[0].last_error
    );
    assert!(server.received().is_empty());

    let report = ok(s.deliver_pending(100));
    assert_eq!((report.delivered, report.deferred), (0, 1));
    assert_eq!(pending_mail(&mut s, false)[0].attempts, 2);

    server.answer_normally();
    let report = ok(s.deliver_pending(100));
    assert_eq!((report.delivered, report.deferred, report.dead), (1, 0, 0));
    assert_eq!(envelope_recipients(&server.received()), ["anna@acme.test"]);
    assert!(pending_mail(&mut s, false).is_empty());

    let connections = server.connections();
    let report = ok(s.deliver_pending(100));
    assert_eq!(report.delivered, 0);
    assert_eq!(server.connections(), connections, "nothing is sent again");
    assert_eq!(server.received().len(), 1);
    assert_eq!(world.platform.mail.count(), 1);
}

#[test]
fn a_server_that_is_down_leaves_the_mail_pending_until_it_is_back() {
    let world = Fixtures::marketplace().build();
    let down = SmtpConfig::new("127.0.0.1", dead_port()).with_timeout(Duration::from_secs(2));
    world.platform.mail.relay_via(down).unwrap();
    let mut s = world.session().unwrap();

    // Staff post: two recipients, neither reachable.
    post(&mut s, &world, SAM, ALICE_ACME_ORDER, "Staff here");
    let pending = pending_mail(&mut s, false);
    assert_eq!(pending.len(), 1);
    assert!(
        pending[0]
            .last_error
            .as_deref()
            .unwrap()
            .contains("onnection")
    );

    let server = LocalSmtp::start();
    world.platform.mail.relay_via(server.config()).unwrap();
    let report = ok(s.deliver_pending(100));
    assert_eq!(report.delivered, 1);
    let mut to = envelope_recipients(&server.received());
    to.sort();
    assert_eq!(to, ["c1@example.test", "v1-anna@example.test"]);
    ok(s.deliver_pending(100));
    assert_eq!(server.received().len(), 2);
}

#[test]
fn a_copy_refused_for_now_is_sent_later_without_repeating_the_others() {
    let server = LocalSmtp::start();
    let (world, mut s) = world_relaying_to(&server);
    server.reply_to_rcpt("anna@acme.test", Reply::code(450, "4.2.1 Try later"));

    post(&mut s, &world, SAM, ALICE_ACME_ORDER, "Staff here");
    assert_eq!(
        envelope_recipients(&server.take_received()),
        ["c1@example.test"]
    );
    assert_eq!(pending_mail(&mut s, false).len(), 1);

    server.answer_normally();
    assert_eq!(ok(s.deliver_pending(100)).delivered, 1);
    assert_eq!(
        envelope_recipients(&server.take_received()),
        ["anna@acme.test"]
    );
    ok(s.deliver_pending(100));
    assert!(server.received().is_empty());
}

#[test]
fn a_server_answering_550_makes_a_dead_letter() {
    let server = LocalSmtp::start();
    let (world, mut s) = world_relaying_to(&server);
    server.reply_at(Step::RcptTo, Reply::code(550, "5.1.1 No such user"));

    post(&mut s, &world, ALICE, ALICE_ACME_ORDER, "Hello?");
    assert!(pending_mail(&mut s, false).is_empty());
    let dead = pending_mail(&mut s, true);
    assert_eq!(dead.len(), 1);
    assert!(dead[0].last_error.as_deref().unwrap().contains("550"));

    server.answer_normally();
    let connections = server.connections();
    assert_eq!(ok(s.deliver_pending(100)).delivered, 0);
    assert_eq!(
        server.connections(),
        connections,
        "dead letters are not retried"
    );
    assert!(server.received().is_empty());
}

// ---------------------------------------------------------------------------------------------
// A durable sent log: processes one after another on one database file

/// A "process": a fresh host on the database file at `path` (storage and sent log), relaying
/// to `server`, with the marketplace directory.
fn process_on(path: &std::path::Path, server: &LocalSmtp) -> World {
    let db = Database::open(path).unwrap();
    let platform = Platform::new().with_storage(SharedStorage::on_database(&db).unwrap());
    platform.mail.keep_sent_log_in(&db).unwrap();
    platform.mail.relay_via(server.config()).unwrap();
    Fixtures::marketplace_on(platform).build()
}

#[test]
fn a_durable_sent_log_keeps_each_copy_at_most_once_across_processes() {
    let server = LocalSmtp::start();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("harness.db");
    let sent = mail("k", &["c1", "c2"]);

    server.reply_to_rcpt("c2@example.test", Reply::code(451, "4.3.0 Later"));
    let first = process_on(&path, &server);
    unavailable(first.platform.mail.send(&sent.clone()));
    drop(first);
    assert_eq!(
        envelope_recipients(&server.take_received()),
        ["c1@example.test"]
    );

    server.answer_normally();
    let second = process_on(&path, &server);
    second.platform.mail.send(&sent.clone()).unwrap();
    assert_eq!(
        envelope_recipients(&server.take_received()),
        ["c2@example.test"]
    );
    drop(second);

    let third = process_on(&path, &server);
    let connections = server.connections();
    third.platform.mail.send(&sent).unwrap();
    assert_eq!(server.connections(), connections);
    assert_eq!(third.platform.mail.duplicates(), ["k"]);
    let copies = third.platform.mail.sent_copies().unwrap();
    let users: Vec<&str> = copies.iter().map(|c| c.user_id.as_str()).collect();
    assert_eq!(users, ["c1", "c2"]);
}

#[test]
fn mail_sent_before_a_crash_is_not_sent_again_by_the_next_process() {
    // How many storage calls a post makes; the last one records the deliveries.
    let calls = {
        let world = Fixtures::marketplace().build();
        let mut s = world.session().unwrap();
        world.platform.storage.reset_stats();
        post(&mut s, &world, ALICE, ALICE_ACME_ORDER, "Hello?");
        let st = world.platform.storage.stats();
        (st.gets + st.get_manys + st.scans + st.commits) as u32
    };
    let server = LocalSmtp::start();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("harness.db");

    // The mail goes out, then recording that fails: the entry stays pending.
    let first = process_on(&path, &server);
    let mut s = first.session().unwrap();
    first
        .platform
        .storage
        .fail_after(calls - 1, 1, Fault::Unavailable);
    post(&mut s, &first, ALICE, ALICE_ACME_ORDER, "Hello?");
    assert_eq!(
        envelope_recipients(&server.received()),
        ["v1-anna@example.test"]
    );
    assert_eq!(
        pending_mail(&mut s, false).len(),
        1,
        "its delivery was not recorded"
    );
    drop((s, first));

    // The next process retries the entry under the same key: the sent log answers.
    let second = process_on(&path, &server);
    let mut s = second.session().unwrap();
    let report = ok(s.deliver_pending(100));
    assert!(report.delivered >= 1, "{report:?}");
    assert!(pending_mail(&mut s, false).is_empty());
    assert_eq!(server.received().len(), 1, "Anna got it once");
    assert_eq!(second.platform.mail.duplicates().len(), 1);
}
