//! Injected faults: a storage backend that fails gets, scans and commits at random (seeded,
//! reproducible) and mail and notification services that fail at random. A failed operation
//! leaves the store byte for byte as it was and sends nothing; retrying it succeeds; in the end
//! every committed message's mail is delivered exactly once.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use order_messages_host::{MemoryStorage, Storage};
use order_messages_tests::*;

/// A memory backend whose calls fail with probability `percent`/100 while armed.
struct FlakyBackend {
    inner: MemoryStorage,
    rng: Mutex<Rng>,
    percent: u64,
    armed: AtomicBool,
    injected: AtomicU64,
}

impl FlakyBackend {
    fn roll(&self) -> Result<(), StorageError> {
        if !self.armed.load(Ordering::Relaxed) {
            return Ok(());
        }
        let mut rng = self.rng.lock().unwrap();
        if rng.below(100) >= self.percent {
            return Ok(());
        }
        self.injected.fetch_add(1, Ordering::Relaxed);
        Err(if rng.below(2) == 0 {
            StorageError::Unavailable("flaky: unavailable".into())
        } else {
            StorageError::Failed("flaky: failed".into())
        })
    }
}

impl Storage for FlakyBackend {
    fn get(&self, key: &str) -> Result<Option<Entry>, StorageError> {
        self.roll()?;
        self.inner.get(key)
    }

    fn get_many(&self, keys: &[String]) -> Result<Vec<Option<Entry>>, StorageError> {
        self.roll()?;
        self.inner.get_many(keys)
    }

    fn scan(
        &self,
        prefix: &str,
        start_after: Option<&str>,
        limit: u32,
        reverse: bool,
    ) -> Result<ScanPage, StorageError> {
        self.roll()?;
        self.inner.scan(prefix, start_after, limit, reverse)
    }

    fn commit(&self, checks: &[Check], writes: &[Write]) -> Result<(), StorageError> {
        self.roll()?;
        self.inner.commit(checks, writes)
    }
}

#[test]
fn random_faults_lose_nothing_and_deliver_every_mail_once() {
    let seed = std::env::var("FAULT_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(7);
    let operations: u64 = std::env::var("FAULT_OPS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(400);
    let flaky = Arc::new(FlakyBackend {
        inner: MemoryStorage::new(),
        rng: Mutex::new(Rng::new(0x2545_F491_4F6C_DD1D ^ seed)),
        percent: 12,
        armed: AtomicBool::new(true),
        injected: AtomicU64::new(0),
    });
    let platform = Platform::new().with_storage(SharedStorage::with_backend(flaky.clone()));
    let world = Fixtures::marketplace_on(platform).build();
    let mut s = world.session().unwrap();
    let mut rng = Rng::new(seed.wrapping_mul(0x9E37_79B9));
    let orders = [
        ALICE_ACME_ORDER,
        BOB_ACME_ORDER,
        CAROL_STORE_ORDER,
        ALICE_BLUE_ORDER,
    ];
    let customer = |o: &str| match o {
        ALICE_ACME_ORDER | ALICE_BLUE_ORDER => ALICE,
        BOB_ACME_ORDER => BOB,
        _ => CAROL,
    };
    let mut failed = 0u64;
    for i in 0..operations {
        let order = orders[rng.below(4) as usize];
        let writer = world.actor([customer(order), SAM, SARA][rng.below(3) as usize]);
        // Mail and notifications fail now and then too (temporarily: they stay in the outbox).
        if rng.below(5) == 0 {
            world.platform.mail.fail_next(1, Fault::Unavailable);
        }
        if rng.below(5) == 0 {
            world
                .platform
                .notifications
                .fail_next(1, Fault::Unavailable);
        }
        let kind = rng.below(6);
        let key = format!("op-{i}");
        let attempt = |s: &mut Session| -> Result<(), Error> {
            let result = match kind {
                0..=2 => s
                    .post(
                        &writer,
                        &PostRequest::new(order, format!("message {i}")).with_key(&key),
                    )
                    .map(|r| r.map(drop)),
                3 => s.mark_read(&writer, order),
                4 => s
                    .open_dispute(&world.actor(customer(order)), order, "late")
                    .map(|r| r.map(drop)),
                _ => s
                    .close_dispute(&world.actor(SAM), order, None)
                    .map(|r| r.map(drop)),
            };
            result.expect("no trap")
        };
        // Try until it goes through; every failed try must leave no trace.
        loop {
            let before = (
                flaky.inner.dump(),
                world.platform.mail.count(),
                world.platform.notifications.count(),
            );
            match attempt(&mut s) {
                Ok(()) | Err(Error::InvalidState(_)) => break,
                Err(Error::Storage(_)) | Err(Error::Conflict(_)) => {
                    failed += 1;
                    let after = (
                        flaky.inner.dump(),
                        world.platform.mail.count(),
                        world.platform.notifications.count(),
                    );
                    assert!(before == after, "operation {i} failed but left a trace");
                }
                Err(e) => panic!("operation {i}: unexpected refusal {}", e.describe()),
            }
        }
    }
    // Faults off: deliver what is pending; every message's mail goes out exactly once.
    flaky.armed.store(false, Ordering::Relaxed);
    world.platform.mail.recover();
    world.platform.notifications.recover();
    while ok(s.deliver_pending(100)).more {}
    let sam = world.actor(SAM);
    let messages: u64 = orders
        .iter()
        .map(|o| ok(s.read_thread(&sam, &ThreadRequest::new(*o))).message_count)
        .sum();
    assert_eq!(
        world.platform.mail.count() as u64,
        messages,
        "one mail per message"
    );
    assert!(ok(s.list_outbox(false, None, 10)).0.is_empty());
    assert_verified(&mut s);
    println!(
        "seed {seed}: {operations} operations, {} storage faults injected, {} mail and {} notification \
         faults, {failed} failed attempts, each retried until it went through, {messages} messages, all mails delivered once",
        flaky.injected.load(Ordering::Relaxed),
        world.platform.mail.failures(),
        world.platform.notifications.failures(),
    );
}
