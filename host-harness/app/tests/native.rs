//! The native baseline (`order_messages::native`, shared with the component's conversions)
//! answers and stores exactly what the component does: the same answers, the same storage calls
//! and the same bytes left behind.

use anyhow::Result;
use order_messages::native::Operations;
use order_messages_host::types::*;
use order_messages_platform::fixtures::{Fixtures, World, marketplace::*};

fn fmt<T: std::fmt::Debug>(r: Result<Result<T, Error>>) -> String {
    match r {
        Ok(answer) => format!("{answer:?}"),
        Err(trap) => format!("trap: {trap:#}"),
    }
}

/// Runs a little story through `ops` and returns every answer, formatted.
fn story(ops: &mut impl Operations, world: &World) -> Vec<String> {
    let (alice, anna, sam) = (world.actor(ALICE), world.actor(ANNA), world.actor(SAM));
    let mut out = Vec::new();
    let mut note = |answer: String| out.push(answer);
    note(fmt(ops.post(
        &alice,
        &PostRequest::new(ALICE_ACME_ORDER, "Where is my parcel?"),
    )));
    note(fmt(ops.post(
        &anna,
        &PostRequest::new(ALICE_ACME_ORDER, "Shipped today"),
    )));
    note(fmt(ops.open_dispute(
        &alice,
        ALICE_ACME_ORDER,
        "Never came",
    )));
    note(fmt(ops.list_threads(
        &sam,
        &ListRequest::new(Query::all().with_search("parcel"), 10),
    )));
    note(fmt(ops.bell(&sam)));
    note(fmt(ops.filter_orders(
        &sam,
        &[ALICE_ACME_ORDER.into(), BOB_ACME_ORDER.into()],
        MessageFilter::WithUnread,
    )));
    note(fmt(ops.mark_matching(&sam, &Query::unread(), true, None)));
    note(fmt(ops.close_dispute(
        &sam,
        ALICE_ACME_ORDER,
        Some("Refunded"),
    )));
    note(fmt(ops.read_thread(
        &alice,
        &ThreadRequest::new(ALICE_ACME_ORDER).marking_read(),
    )));
    note(fmt(ops.mark_read(&anna, ALICE_ACME_ORDER)));
    // Refusals are converted too.
    note(fmt(ops.post(
        &world.actor(BOB),
        &PostRequest::new(ALICE_ACME_ORDER, "hi"),
    )));
    note(fmt(
        ops.post(&alice, &PostRequest::new(ALICE_ACME_ORDER, " "))
    ));
    out
}

#[test]
fn native_answers_and_stores_what_the_component_does() {
    let wasm_world = Fixtures::marketplace().build();
    let mut session = wasm_world.session().unwrap();
    let native_world = Fixtures::marketplace().build();
    let mut native = order_messages_app::native(&native_world.platform);

    let through_wasm = story(&mut session, &wasm_world);
    let natively = story(&mut native, &native_world);
    assert_eq!(through_wasm, natively);
    assert!(
        natively.iter().any(|a| a.contains("NotFound")),
        "{natively:?}"
    );
    assert!(wasm_world.platform.storage.dump() == native_world.platform.storage.dump());
    assert_eq!(
        wasm_world.platform.mail.all(),
        native_world.platform.mail.all()
    );
    assert_eq!(
        wasm_world.platform.notifications.all(),
        native_world.platform.notifications.all()
    );
    assert_eq!(
        wasm_world.platform.storage.stats(),
        native_world.platform.storage.stats()
    );
}
