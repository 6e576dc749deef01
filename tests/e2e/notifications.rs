//! Mail and real-time notifications: who gets what, never the author, escaped HTML, one-line
//! subjects, and bell updates.

use order_messages_tests::*;

fn sorted(users: &[impl ToString]) -> Vec<String> {
    let mut users: Vec<String> = users.iter().map(ToString::to_string).collect();
    users.sort();
    users
}

#[test]
fn a_new_message_mails_the_other_participants_never_the_author() {
    let (world, mut s) = marketplace();
    let (alice, anna) = (world.actor(ALICE), world.actor(ANNA));
    post(&mut s, &alice, ALICE_ACME_ORDER, "Where is it?");
    let mails = world.platform.mail.take_new();
    assert_eq!(mails.len(), 1);
    let mail = &mails[0];
    assert_eq!(mail.recipients, [ANNA]);
    assert_eq!(mail.order_id, ALICE_ACME_ORDER);
    assert_eq!(mail.subject, "New message about order 1001");
    assert!(
        mail.text_body
            .contains("Alice (customer) wrote about order 1001")
    );
    assert!(mail.text_body.contains("Where is it?"));
    assert!(mail.html_body.contains("Where is it?"));
    assert!(!mail.idempotency_key.is_empty());

    post(&mut s, &anna, ALICE_ACME_ORDER, "On its way");
    let mails = world.platform.mail.take_new();
    assert_eq!(mails[0].recipients, [ALICE]);
    assert!(mails[0].text_body.contains("Anna (vendor)"));

    // Staff posting in a vendor's thread: customer and vendor are told, the author is not.
    post(
        &mut s,
        &world.actor(SAM),
        ALICE_ACME_ORDER,
        "Staff here, checking",
    );
    let mails = world.platform.mail.take_new();
    assert_eq!(sorted(&mails[0].recipients), sorted(&[ALICE, ANNA]));

    // An order the store sells itself: staff answer, so staff get the customer's mail.
    post(&mut s, &world.actor(CAROL), CAROL_STORE_ORDER, "Gift wrap?");
    let mails = world.platform.mail.take_new();
    assert_eq!(sorted(&mails[0].recipients), sorted(&[SAM, SARA]));
    // A staff answer goes to the customer, not to fellow staff (for whom it is only unread).
    post(&mut s, &world.actor(SARA), CAROL_STORE_ORDER, "Sure");
    let mails = world.platform.mail.take_new();
    assert_eq!(mails[0].recipients, [CAROL]);
    assert_eq!(unread(&mut s, &world.actor(SAM), CAROL_STORE_ORDER), 2);

    // Every mail everywhere: never to its own author.
    assert_eq!(world.platform.mail.duplicates().len(), 0);
}

#[test]
fn user_text_is_escaped_in_html_and_subjects_stay_on_one_line() {
    let (world, mut s) = marketplace();
    world.platform.directory.add_order(
        Order::new("ox", "77\r\nBcc: victim@example.com", ALICE, "Alice")
            .with_vendor(ACME, "Acme Tools"),
    );
    let body = "<script>alert('x')</script>\n& <b>bold</b> \"quoted\"";
    post(&mut s, &world.actor(ALICE), "ox", body);
    let mail = world.platform.mail.take_new().remove(0);
    assert!(
        !mail.subject.contains('\n') && !mail.subject.contains('\r'),
        "{:?}",
        mail.subject
    );
    assert_eq!(
        mail.subject,
        "New message about order 77 Bcc: victim@example.com"
    );
    assert!(!mail.html_body.contains("<script>"), "{}", mail.html_body);
    assert!(
        mail.html_body
            .contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;")
    );
    assert!(
        mail.html_body
            .contains("&amp; &lt;b&gt;bold&lt;/b&gt; &quot;quoted&quot;")
    );
    assert!(mail.html_body.contains("<br>"), "line breaks become <br>");
    // The plain-text part carries the text as written.
    assert!(mail.text_body.contains(body));

    // A display name with markup is escaped too.
    let sneaky = Actor::customer(ALICE, "<img src=x onerror=alert(1)>");
    post(&mut s, &sneaky, "ox", "hi");
    let mail = world.platform.mail.take_new().remove(0);
    assert!(!mail.html_body.contains("<img"), "{}", mail.html_body);
    assert!(
        mail.html_body
            .contains("&lt;img src=x onerror=alert(1)&gt;")
    );
}

#[test]
fn dispute_mails_name_who_and_why() {
    let (world, mut s) = marketplace();
    let bob = world.actor(BOB);
    ok(s.open_dispute(&bob, BOB_ACME_ORDER, "Parcel <empty>"));
    let mail = world.platform.mail.take_new().remove(0);
    assert_eq!(mail.subject, "Dispute opened on order 1003");
    assert_eq!(sorted(&mail.recipients), sorted(&[ANNA, SAM, SARA]));
    assert!(
        mail.text_body
            .contains("Bob (customer) opened a dispute on order 1003")
    );
    assert!(mail.text_body.contains("Parcel <empty>"));
    assert!(mail.html_body.contains("Parcel &lt;empty&gt;"));

    ok(s.close_dispute(&world.actor(SARA), BOB_ACME_ORDER, Some("Refunded")));
    let mail = world.platform.mail.take_new().remove(0);
    assert_eq!(mail.subject, "Dispute closed on order 1003");
    assert_eq!(sorted(&mail.recipients), sorted(&[ANNA, BOB]));
    assert!(mail.text_body.contains("Sara (staff) closed the dispute"));
    assert!(mail.text_body.contains("Refunded"));
}

#[test]
fn notifications_carry_the_event_and_new_bell_counts() {
    let (world, mut s) = marketplace();
    let pushes = &world.platform.notifications;
    post(
        &mut s,
        &world.actor(ALICE),
        ALICE_ACME_ORDER,
        "Where is my drill?",
    );
    let new = pushes.take_new();
    let message_events: Vec<&Push> = new
        .iter()
        .filter(|p| matches!(p.event, Event::NewMessage(_)))
        .collect();
    assert_eq!(message_events.len(), 1);
    assert_eq!(message_events[0].recipients, [ANNA]);
    let Event::NewMessage(m) = &message_events[0].event else {
        unreachable!()
    };
    assert_eq!(
        (m.order_id.as_str(), m.order_number.as_str(), m.seq),
        (ALICE_ACME_ORDER, "1001", 1)
    );
    assert_eq!(
        (m.author_name.as_str(), &m.author_role),
        ("Alice", &Role::Customer)
    );
    assert_eq!(m.excerpt, "Where is my drill?");

    // Bell updates for everyone whose counts changed (Anna and both staff, supervising), in
    // one push whose recipients are exactly the users it lists.
    let bell_pushes: Vec<&Push> = new
        .iter()
        .filter(|p| matches!(p.event, Event::CountsChanged(_)))
        .collect();
    assert_eq!(bell_pushes.len(), 1, "one push for every bell");
    let Event::CountsChanged(bells) = &bell_pushes[0].event else {
        unreachable!()
    };
    let mut bell_users: Vec<String> = bells.iter().map(|c| c.user.clone()).collect();
    bell_users.sort();
    assert_eq!(bell_users, sorted(&[ANNA, SAM, SARA]));
    assert_eq!(sorted(&bell_pushes[0].recipients), bell_users);
    assert!(
        bells
            .iter()
            .all(|c| c.counts.unread_threads == 1 && c.counts.open_disputes == 0)
    );

    // A second message in the same thread changes no bell (still one unread thread).
    post(&mut s, &world.actor(ALICE), ALICE_ACME_ORDER, "Hello?");
    let new = pushes.take_new();
    assert!(
        new.iter()
            .all(|p| !matches!(p.event, Event::CountsChanged(_)))
    );
    assert_eq!(new.len(), 1);

    // Reading tells the reader's other sessions that their bell changed.
    ok(s.mark_read(&world.actor(ANNA), ALICE_ACME_ORDER));
    let new = pushes.take_new();
    assert_eq!(new.len(), 1);
    assert_eq!(new[0].recipients, [ANNA]);
    assert_eq!(
        new[0].event,
        Event::CountsChanged(vec![UserCounts {
            user: ANNA.into(),
            counts: BellCounts {
                unread_threads: 0,
                open_disputes: 0
            }
        }])
    );

    // A dispute changes everyone's dispute count.
    ok(s.open_dispute(&world.actor(SAM), ALICE_ACME_ORDER, "Checking"));
    let new = pushes.take_new();
    let opened: Vec<&Push> = new
        .iter()
        .filter(|p| matches!(p.event, Event::DisputeOpened(_)))
        .collect();
    assert_eq!(sorted(&opened[0].recipients), sorted(&[ALICE, ANNA]));
    let Event::DisputeOpened(d) = &opened[0].event else {
        unreachable!()
    };
    assert_eq!(
        (d.dispute_number, d.by_name.as_str(), d.note.as_str()),
        (1, "Sam", "Checking")
    );
    let mut told: Vec<String> = new
        .iter()
        .flat_map(|p| match &p.event {
            Event::CountsChanged(all) => all.clone(),
            _ => Vec::new(),
        })
        .filter(|c| c.counts.open_disputes == 1)
        .map(|c| c.user)
        .collect();
    told.sort();
    assert_eq!(told, sorted(&[ALICE, ANNA, SAM, SARA]));
    assert!(pushes.duplicates().is_empty());
}
