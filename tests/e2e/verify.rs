//! `maintenance.verify`: a healthy store verifies clean page after page, and each kind of
//! damage to an index or counter is reported with its key.

use order_messages_tests::*;

/// A store exercising every kind of record: threads with several messages, open and closed
/// disputes, read and unread states, marked-unread threads, idempotency keys, search words,
/// pending and dead outbox entries.
fn busy_store() -> (World, Session) {
    let (world, mut s) = marketplace();
    let (alice, anna, sam, bob, carol) = (
        world.actor(ALICE),
        world.actor(ANNA),
        world.actor(SAM),
        world.actor(BOB),
        world.actor(CAROL),
    );
    ok(s.post(
        &alice,
        &PostRequest::new(ALICE_ACME_ORDER, "Drill without battery").with_key("k1"),
    ));
    world.platform.clock.advance_millis(1_000);
    post(&mut s, &anna, ALICE_ACME_ORDER, "Battery ships Monday");
    ok(s.open_dispute(&alice, ALICE_ACME_ORDER, "Monday is too late"));
    world.platform.clock.advance_millis(1_000);
    post(&mut s, &bob, BOB_ACME_ORDER, "Invoice please");
    ok(s.open_dispute(&bob, BOB_ACME_ORDER, "No invoice"));
    ok(s.close_dispute(&sam, BOB_ACME_ORDER, Some("Invoice sent")));
    world.platform.mail.fail_always(Fault::Unavailable);
    post(&mut s, &carol, CAROL_STORE_ORDER, "Gift wrap?");
    world.platform.mail.recover();
    world.platform.notifications.fail_next(1, Fault::Rejected);
    post(&mut s, &carol, CAROL_BLUE_ORDER, "Wrong edition");
    ok(s.mark_read(&sam, ALICE_ACME_ORDER));
    ok(s.mark_unread(&sam, BOB_ACME_ORDER));
    (world, s)
}

/// Writes a record as the addon encodes it, behind the addon's back.
fn put(world: &World, key: &str, value: &impl serde::Serialize) {
    let write = Write::Put(Put {
        key: key.into(),
        value: order_messages::domain::records::encode(value),
    });
    world
        .platform
        .storage
        .backend()
        .commit(&[], &[write])
        .unwrap();
}

fn delete(world: &World, key: &str) {
    let write = Write::Delete(key.into());
    world
        .platform
        .storage
        .backend()
        .commit(&[], &[write])
        .unwrap();
}

fn keys_with_prefix(world: &World, prefix: &str) -> Vec<String> {
    world
        .platform
        .storage
        .dump()
        .into_iter()
        .map(|e| e.key)
        .filter(|k| k.starts_with(prefix))
        .collect()
}

#[test]
fn a_healthy_store_verifies_clean_in_pages_of_any_size() {
    let (world, mut s) = busy_store();
    let total = world.platform.storage.dump().len() as u32;
    let mut checked_counts = Vec::new();
    for limit in [1, 7, 500] {
        let (problems, checked) = verify_all(&mut s, limit);
        assert!(problems.is_empty(), "limit {limit}: {problems:#?}");
        checked_counts.push(checked);
    }
    assert!(checked_counts.iter().all(|c| *c == checked_counts[0]));
    // Everything but the message and dispute records themselves (checked through their
    // threads), the per-thread word records and the schema record is a checked record.
    let own = ["M/", "B/", "D/", "KT/", "meta/"];
    let expected = world
        .platform
        .storage
        .dump()
        .iter()
        .filter(|e| !own.iter().any(|p| e.key.starts_with(p)))
        .count() as u32;
    assert_eq!(checked_counts[0], expected);
    assert!(expected < total);
    refused(s.verify(Some("garbage"), 10));
}

#[test]
fn each_kind_of_damage_is_reported_with_its_key() {
    type Damage = fn(&World) -> String;
    let damages: Vec<(&str, Damage)> = vec![
        ("a missing activity entry", |w| {
            let k = keys_with_prefix(w, "A/s/").remove(0);
            delete(w, &k);
            k
        }),
        ("a stale activity entry", |w| {
            let k = "A/s/0000000000001/o1".to_string();
            put(w, &k, &"o1");
            k
        }),
        ("an unread counter off by one", |w| {
            let k = format!("UC/{SARA}");
            put(w, &k, &99u32);
            k
        }),
        ("a dispute counter off by one", |w| {
            let k = "XC/s".to_string();
            put(w, &k, &5u32);
            k
        }),
        ("an unread thread missing from the unread index", |w| {
            let k = keys_with_prefix(w, &format!("U/{SARA}/")).remove(0);
            delete(w, &k);
            k
        }),
        ("a lost message", |w| {
            delete(w, "M/o1/000000000002");
            "T/o1".to_string()
        }),
        ("a word missing from the keyword index", |w| {
            let k = keys_with_prefix(w, "K/s/battery/").remove(0);
            delete(w, &k);
            k
        }),
        ("an idempotency key whose message is gone", |w| {
            delete(w, "M/o1/000000000001");
            format!("I/{ALICE}/k1")
        }),
    ];
    for (what, damage) in damages {
        let (world, mut s) = busy_store();
        let key = damage(&world);
        let (problems, _) = verify_all(&mut s, 50);
        assert!(
            problems.iter().any(|p| p.key == key),
            "{what}: no problem reported for {key}; got {problems:#?}"
        );
    }
}
