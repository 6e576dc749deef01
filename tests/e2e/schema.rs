//! The stored schema version during a rolling upgrade: once a newer addon has upgraded the data,
//! a running instance of this one refuses every call with `invalid-state` and writes nothing,
//! even when the upgrade lands between its reads and its commit; and an instance keeps no
//! knowledge of the schema between calls, so it may serve another store next.

use std::sync::{Arc, Mutex};

use order_messages_host::{MemoryStorage, Storage};
use order_messages_tests::*;

const SCHEMA_KEY: &str = "meta/schema";

/// The version record a newer addon (layout 3) would leave.
fn upgrade(backend: &dyn Storage) {
    backend
        .commit(
            &[],
            &[Write::Put(Put {
                key: SCHEMA_KEY.into(),
                value: br#"{"version":3}"#.to_vec(),
            })],
        )
        .unwrap();
}

fn is_newer_schema_refusal(error: &Error) -> bool {
    matches!(error, Error::InvalidState(m) if m.contains("schema version 3"))
}

#[test]
fn a_running_instance_refuses_every_call_once_the_data_is_upgraded() {
    let (world, mut s) = marketplace();
    let (alice, sam) = (world.actor(ALICE), world.actor(SAM));
    post(&mut s, &alice, ALICE_ACME_ORDER, "Where is my drill?");
    assert_eq!(ok(s.schema_version()), 2);

    // A newer addon upgrades the store while this instance stays alive.
    upgrade(world.platform.storage.backend().as_ref());
    let platform = &world.platform;
    type Call<'a> = Box<dyn FnOnce(&mut Session) -> anyhow::Result<Result<(), Error>> + 'a>;
    fn done<T>(r: anyhow::Result<Result<T, Error>>) -> anyhow::Result<Result<(), Error>> {
        r.map(|r| r.map(drop))
    }
    let calls: Vec<(&str, Call)> = vec![
        (
            "post",
            Box::new(|s| done(s.post(&alice, &PostRequest::new(ALICE_ACME_ORDER, "More?")))),
        ),
        (
            "open",
            Box::new(|s| done(s.open_dispute(&sam, ALICE_ACME_ORDER, "Late"))),
        ),
        (
            "mark-read",
            Box::new(|s| done(s.mark_read(&sam, ALICE_ACME_ORDER))),
        ),
        (
            "mark-selected",
            Box::new(|s| done(s.mark_selected(&sam, &[ALICE_ACME_ORDER.into()], false, None))),
        ),
        (
            "read-thread",
            Box::new(|s| done(s.read_thread(&sam, &ThreadRequest::new(ALICE_ACME_ORDER)))),
        ),
        ("bell", Box::new(|s| done(s.bell(&sam)))),
        (
            "list-threads",
            Box::new(|s| done(s.list_threads(&sam, &ListRequest::new(Query::all(), 10)))),
        ),
        (
            "list-orders",
            Box::new(|s| done(s.list_orders(&sam, MessageFilter::WithMessages, None, 10))),
        ),
        ("deliver-pending", Box::new(|s| done(s.deliver_pending(10)))),
        (
            "list-outbox",
            Box::new(|s| done(s.list_outbox(false, None, 10))),
        ),
        ("verify", Box::new(|s| done(s.verify(None, 10)))),
        ("schema-version", Box::new(|s| done(s.schema_version()))),
    ];
    for (name, call) in calls {
        let error = refused_without_change(platform, "invalid-state", || call(&mut s));
        assert!(
            is_newer_schema_refusal(&error),
            "{name}: {}",
            error.describe()
        );
    }
    assert_eq!(
        s.instantiations(),
        1,
        "the same instance answered every call"
    );
}

/// A backend that lets a newer addon upgrade the store just before the next commit with
/// writes: the upgrade lands after the post has read everything it needs.
struct UpgradeBeforeCommit {
    inner: MemoryStorage,
    armed: Mutex<bool>,
}

impl Storage for UpgradeBeforeCommit {
    fn get(&self, key: &str) -> Result<Option<Entry>, StorageError> {
        self.inner.get(key)
    }

    fn get_many(&self, keys: &[String]) -> Result<Vec<Option<Entry>>, StorageError> {
        self.inner.get_many(keys)
    }

    fn scan(
        &self,
        prefix: &str,
        start_after: Option<&str>,
        limit: u32,
        reverse: bool,
    ) -> Result<ScanPage, StorageError> {
        self.inner.scan(prefix, start_after, limit, reverse)
    }

    fn commit(&self, checks: &[Check], writes: &[Write]) -> Result<(), StorageError> {
        let mut armed = self.armed.lock().unwrap();
        if *armed && !writes.is_empty() {
            *armed = false;
            upgrade(&self.inner);
        }
        self.inner.commit(checks, writes)
    }
}

#[test]
fn an_upgrade_between_the_reads_and_the_commit_of_a_post_stops_the_commit() {
    let backend = Arc::new(UpgradeBeforeCommit {
        inner: MemoryStorage::new(),
        armed: Mutex::new(false),
    });
    let platform = Platform::new().with_storage(SharedStorage::with_backend(backend.clone()));
    let world = Fixtures::marketplace_on(platform).build();
    let mut s = world.session().unwrap();
    let (alice, anna) = (world.actor(ALICE), world.actor(ANNA));
    post(&mut s, &alice, ALICE_ACME_ORDER, "Where is my drill?");
    s.deliver_pending(100).unwrap().unwrap();
    let mails = world.platform.mail.count();

    *backend.armed.lock().unwrap() = true;
    let before = world.platform.storage.dump();
    let error = refused(s.post(&anna, &PostRequest::new(ALICE_ACME_ORDER, "On its way")));
    assert!(is_newer_schema_refusal(&error), "{}", error.describe());
    let after = world.platform.storage.dump();
    // Only the upgrade itself changed the store: the post wrote nothing and sent nothing.
    let changed: Vec<&str> = after
        .iter()
        .filter(|e| !before.contains(e))
        .map(|e| e.key.as_str())
        .collect();
    assert_eq!(changed, vec![SCHEMA_KEY]);
    assert_eq!(after.len(), before.len());
    assert_eq!(world.platform.mail.count(), mails);
}

/// A backend whose underlying store the test can swap, as a host that reuses one instance for
/// several stores does.
#[derive(Default)]
struct Switchable {
    current: Mutex<Arc<MemoryStorage>>,
}

impl Switchable {
    fn store(&self) -> Arc<MemoryStorage> {
        self.current.lock().unwrap().clone()
    }
}

impl Storage for Switchable {
    fn get(&self, key: &str) -> Result<Option<Entry>, StorageError> {
        self.store().get(key)
    }

    fn get_many(&self, keys: &[String]) -> Result<Vec<Option<Entry>>, StorageError> {
        self.store().get_many(keys)
    }

    fn scan(
        &self,
        prefix: &str,
        start_after: Option<&str>,
        limit: u32,
        reverse: bool,
    ) -> Result<ScanPage, StorageError> {
        self.store().scan(prefix, start_after, limit, reverse)
    }

    fn commit(&self, checks: &[Check], writes: &[Write]) -> Result<(), StorageError> {
        self.store().commit(checks, writes)
    }
}

#[test]
fn one_instance_may_serve_one_store_after_another() {
    let backend = Arc::new(Switchable::default());
    let platform = Platform::new().with_storage(SharedStorage::with_backend(backend.clone()));
    let world = Fixtures::marketplace_on(platform).build();
    let mut s = world.session().unwrap();
    let alice = world.actor(ALICE);
    post(&mut s, &alice, ALICE_ACME_ORDER, "First store");

    // A fresh store: the first change records the schema version there too.
    let second = Arc::new(MemoryStorage::new());
    *backend.current.lock().unwrap() = second.clone();
    post(&mut s, &alice, ALICE_ACME_ORDER, "Second store");
    assert!(
        second.get(SCHEMA_KEY).unwrap().is_some(),
        "the second store got no schema record"
    );
    assert_verified(&mut s);

    // A store a newer addon wrote: refused, untouched.
    let third = Arc::new(MemoryStorage::new());
    upgrade(third.as_ref());
    *backend.current.lock().unwrap() = third.clone();
    let error = refused_without_change(&world.platform, "invalid-state", || {
        s.post(&alice, &PostRequest::new(ALICE_ACME_ORDER, "Third store"))
    });
    assert!(is_newer_schema_refusal(&error), "{}", error.describe());
    assert_eq!(s.instantiations(), 1);
}
