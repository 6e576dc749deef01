//! Concurrency: several component instances (one per thread, each its own store) over one
//! shared storage backend post into the same orders, open and close the same disputes and mark
//! threads read, all at once. Optimistic commits conflict and retry. Afterwards nothing is lost
//! or doubled: every accepted message is there exactly once, seqs have no gaps, no dispute was
//! opened twice, `verify` finds every counter and index equal to a recomputation, and exactly
//! one mail per message goes out.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use order_messages_tests::*;

const THREADS: u64 = 4;
const OPS_PER_THREAD: u64 = 150;
const HOT_ORDERS: [&str; 3] = [ALICE_ACME_ORDER, BOB_ACME_ORDER, CAROL_STORE_ORDER];

/// What the threads got accepted, per order.
#[derive(Default, Debug)]
struct Accepted {
    posts: BTreeMap<&'static str, u64>,
    opens: BTreeMap<&'static str, u64>,
    closes: BTreeMap<&'static str, u64>,
    conflicts: u64,
}

fn hammer(world: &World) -> Accepted {
    let accepted = Arc::new(Mutex::new(Accepted::default()));
    std::thread::scope(|scope| {
        for t in 0..THREADS {
            let (world, accepted) = (world.clone(), accepted.clone());
            scope.spawn(move || {
                let mut s = world.session().expect("instantiates");
                let mut rng = Rng::new(0x9E37_79B9_7F4A_7C15 ^ (t + 1));
                for i in 0..OPS_PER_THREAD {
                    let order = HOT_ORDERS[rng.below(3) as usize];
                    let customer = world.actor(match order {
                        ALICE_ACME_ORDER => ALICE,
                        BOB_ACME_ORDER => BOB,
                        _ => CAROL,
                    });
                    let staff = world.actor(if t % 2 == 0 { SAM } else { SARA });
                    let writer = match rng.below(3) {
                        0 => customer.clone(),
                        1 if order != CAROL_STORE_ORDER => world.actor(ANNA),
                        _ => staff.clone(),
                    };
                    let outcome = match rng.below(10) {
                        0..=5 => {
                            let body = format!("thread {t} message {i}");
                            s.post(&writer, &PostRequest::new(order, body))
                                .map(|r| r.map(|_| "post"))
                        }
                        6 => s
                            .open_dispute(&customer, order, "taking too long")
                            .map(|r| r.map(|_| "open")),
                        7 => s
                            .close_dispute(&staff, order, Some("settled"))
                            .map(|r| r.map(|_| "close")),
                        _ => s.mark_read(&writer, order).map(|r| r.map(|_| "read")),
                    };
                    let mut acc = accepted.lock().unwrap();
                    match outcome.expect("no trap") {
                        Ok("post") => *acc.posts.entry(order).or_default() += 1,
                        Ok("open") => *acc.opens.entry(order).or_default() += 1,
                        Ok("close") => *acc.closes.entry(order).or_default() += 1,
                        Ok(_) => {}
                        Err(Error::Conflict(_)) => acc.conflicts += 1,
                        Err(Error::InvalidState(_)) => {} // open while open, close while closed
                        Err(e) => panic!("unexpected refusal: {}", e.describe()),
                    }
                }
            });
        }
    });
    Arc::try_unwrap(accepted).unwrap().into_inner().unwrap()
}

fn check_nothing_lost(world: &World) {
    let accepted = hammer(world);
    let mut s = world.session().unwrap();
    let sam = world.actor(SAM);
    let mut messages = 0;
    for order in HOT_ORDERS {
        let get = |m: &BTreeMap<&str, u64>| m.get(order).copied().unwrap_or(0);
        let (posts, opens, closes) = (
            get(&accepted.posts),
            get(&accepted.opens),
            get(&accepted.closes),
        );
        let page = ok(s.read_thread(&sam, &ThreadRequest::new(order).with_limit(1)));
        let seqs: Vec<u64> = thread_messages(&mut s, &sam, order)
            .iter()
            .map(|m| m.seq)
            .collect();
        assert_eq!(
            seqs,
            (1..=page.message_count).collect::<Vec<_>>(),
            "{order}: gaps or repeats"
        );
        assert_eq!(
            page.message_count,
            posts + opens + closes,
            "{order}: {accepted:?}"
        );
        let history = ok(s.dispute_history(&sam, order));
        assert_eq!(
            history.len() as u64,
            opens,
            "{order}: a dispute opened twice or lost"
        );
        assert!(history.iter().rev().skip(1).all(|d| d.closed.is_some()));
        assert_eq!(
            closes,
            history.iter().filter(|d| d.closed.is_some()).count() as u64
        );
        messages += page.message_count;
    }
    // Every counter and index agrees with a recomputation from the data.
    assert_verified(&mut s);
    // Exactly one mail per message, each delivered once.
    while ok(s.deliver_pending(100)).more {}
    assert_eq!(world.platform.mail.count() as u64, messages);
    assert!(ok(s.list_outbox(false, None, 10)).0.is_empty());
    println!(
        "{THREADS} instances x {OPS_PER_THREAD} operations: {messages} messages; {} commits \
         conflicted and were retried; {} operations gave up with `conflict`",
        world.platform.storage.stats().conflicts,
        accepted.conflicts
    );
}

#[test]
fn concurrent_instances_over_one_memory_store_lose_nothing() {
    check_nothing_lost(&Fixtures::marketplace().build());
}

#[test]
fn concurrent_instances_over_one_sqlite_store_lose_nothing() {
    let path = std::env::temp_dir().join(format!(
        "order-messages-concurrency-{}-{}.db",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos()
    ));
    let storage = SharedStorage::sqlite(&path).expect("opens");
    check_nothing_lost(&Fixtures::marketplace_on(Platform::new().with_storage(storage)).build());
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
    }
}
