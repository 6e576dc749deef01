//! The runtime's promises, against this build's component: an instance answers, a call that
//! runs out of fuel or an instantiation over the memory cap fails alone and the next call gets
//! a fresh instance, storage failures reach the guest as errors (never traps), and WASI is
//! isolated.

use order_messages_host::types::*;
use order_messages_host::{
    Addon, AddonView, Directory, Imports, Mailer, MemoryStorage, Notifier, RunConfig, Runtime,
    Storage,
};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicBool, Ordering};

/// A platform with one order and a storage that fails, or misbehaves, on command.
#[derive(Default)]
struct TestPlatform {
    storage: MemoryStorage,
    storage_down: AtomicBool,
    /// Scans answer with a key outside the prefix asked for, which the contract rules out.
    scan_out_of_prefix: AtomicBool,
}

impl Storage for TestPlatform {
    fn get(&self, key: &str) -> Result<Option<Entry>, StorageError> {
        self.up()?;
        self.storage.get(key)
    }
    fn get_many(&self, keys: &[String]) -> Result<Vec<Option<Entry>>, StorageError> {
        self.up()?;
        self.storage.get_many(keys)
    }
    fn scan(&self, p: &str, a: Option<&str>, l: u32, r: bool) -> Result<ScanPage, StorageError> {
        self.up()?;
        if self.scan_out_of_prefix.load(Ordering::Relaxed) {
            return Ok(ScanPage {
                entries: vec![Entry {
                    key: String::new(),
                    value: Vec::new(),
                    version: 1,
                }],
                more: false,
            });
        }
        self.storage.scan(p, a, l, r)
    }
    fn commit(&self, checks: &[Check], writes: &[Write]) -> Result<(), StorageError> {
        self.up()?;
        self.storage.commit(checks, writes)
    }
}

impl TestPlatform {
    fn up(&self) -> Result<(), StorageError> {
        if self.storage_down.load(Ordering::Relaxed) {
            return Err(StorageError::Unavailable("down for the test".into()));
        }
        Ok(())
    }
}

impl Mailer for TestPlatform {
    fn send(&self, _: &Mail) -> Result<(), MailError> {
        Ok(())
    }
}

impl Notifier for TestPlatform {
    fn push(&self, _: &str, _: &[String], _: &Event) -> Result<(), NotifyError> {
        Ok(())
    }
}

impl Directory for TestPlatform {
    fn order(&self, id: &str) -> Result<Option<Order>, String> {
        Ok((id == "o1").then(|| Order::new("o1", "1001", "alice", "Alice")))
    }
    fn staff_users(&self) -> Result<Vec<String>, String> {
        Ok(vec!["sam".into()])
    }
    fn vendor_users(&self, _: &str) -> Result<Vec<String>, String> {
        Ok(vec![])
    }
    fn settings(&self) -> Result<Settings, String> {
        Ok(Settings::default())
    }
}

impl AddonView for TestPlatform {
    fn imports(&mut self) -> Imports<'_> {
        Imports {
            storage: &*self,
            mailer: &*self,
            notifier: &*self,
            directory: &*self,
        }
    }
}

fn runtime() -> &'static Runtime<TestPlatform> {
    static RUNTIME: OnceLock<Runtime<TestPlatform>> = OnceLock::new();
    RUNTIME.get_or_init(|| {
        let addon = Addon::from_bytes(order_messages_component::WASM).unwrap();
        Runtime::new(&addon).unwrap()
    })
}

fn alice() -> Actor {
    Actor::customer("alice", "Alice")
}

#[test]
fn an_instance_answers_and_reports_its_contract_and_fuel() {
    let mut instance = runtime().instantiate(TestPlatform::default()).unwrap();
    assert_eq!(instance.contract_version().as_str(), "0.2.0-draft");
    let posted = instance
        .post(&alice(), &PostRequest::new("o1", "Hello"))
        .unwrap()
        .unwrap();
    assert_eq!(posted.seq, 1);
    assert!(instance.fuel_consumed() > 0);
    assert_eq!(instance.instantiations(), 1);
    // The platform value is the embedder's: the post is in its storage.
    assert!(!instance.platform().storage.dump().is_empty());
}

#[test]
fn running_out_of_fuel_fails_one_call_and_the_next_gets_a_fresh_instance() {
    let mut instance = runtime().instantiate(TestPlatform::default()).unwrap();
    let normal = instance.config().clone();
    instance.set_config(RunConfig {
        fuel_per_call: 10,
        ..normal.clone()
    });
    let err = instance.bell(&alice()).unwrap_err();
    assert!(format!("{err:#}").contains("ran out of fuel"), "{err:#}");
    assert_eq!(instance.fuel_consumed(), 10);

    instance.set_config(normal);
    assert!(instance.bell(&alice()).unwrap().is_ok());
    assert_eq!(instance.instantiations(), 2);
}

#[test]
fn a_memory_cap_below_the_initial_memory_refuses_instantiation_only() {
    let tiny = runtime().with_config(RunConfig {
        memory_bytes: 64 << 10,
        ..RunConfig::default()
    });
    let err = format!(
        "{:#}",
        tiny.instantiate(TestPlatform::default()).unwrap_err()
    );
    assert!(err.contains("instantiating"), "{err}");
    assert!(err.contains("memory cap of 65536 bytes reached"), "{err}");
    // The runtime it was cloned from is unaffected.
    let mut instance = runtime().instantiate(TestPlatform::default()).unwrap();
    assert!(instance.bell(&alice()).unwrap().is_ok());
}

#[test]
fn storage_failures_reach_the_guest_as_errors_without_trapping() {
    let mut instance = runtime().instantiate(TestPlatform::default()).unwrap();
    instance
        .platform()
        .storage_down
        .store(true, Ordering::Relaxed);
    let refused = instance
        .post(&alice(), &PostRequest::new("o1", "Hello"))
        .unwrap()
        .unwrap_err();
    assert_eq!(refused.kind(), "storage", "{}", refused.describe());
    instance
        .platform()
        .storage_down
        .store(false, Ordering::Relaxed);
    assert!(instance.bell(&alice()).unwrap().is_ok());
    assert_eq!(instance.instantiations(), 1, "no trap, no new instance");
}

/// A panic in the guest (here: the outbox listing slicing an entry's key after the prefix it
/// scanned, which a store breaking the contract does not start with) aborts, which on wasm is
/// a trap: the host reports it as that call's error, and the next call gets a fresh instance.
#[test]
fn a_guest_panic_is_a_trap_that_fails_one_call() {
    let mut instance = runtime().instantiate(TestPlatform::default()).unwrap();
    assert!(instance.list_outbox(false, None, 10).unwrap().is_ok());
    instance
        .platform()
        .scan_out_of_prefix
        .store(true, Ordering::Relaxed);
    let err = instance.list_outbox(false, None, 10).unwrap_err();
    let text = format!("{err:#}");
    assert!(text.contains("`maintenance.list-outbox` failed"), "{text}");
    assert!(
        err.chain()
            .any(|e| e.downcast_ref::<wasmtime::Trap>()
                == Some(&wasmtime::Trap::UnreachableCodeReached)),
        "a panic ends in `unreachable`: {text}"
    );
    instance
        .platform()
        .scan_out_of_prefix
        .store(false, Ordering::Relaxed);
    assert!(instance.list_outbox(false, None, 10).unwrap().is_ok());
    assert_eq!(
        instance.instantiations(),
        2,
        "the trapped instance was replaced"
    );
}

#[test]
fn runtimes_and_instances_can_cross_threads() {
    fn send_sync<T: Send + Sync>() {}
    fn send<T: Send>() {}
    send_sync::<Addon>();
    send_sync::<Runtime<TestPlatform>>();
    send::<order_messages_host::Instance<TestPlatform>>();
}

/// The released 0.1.0 component, kept as a fixture: this host must go on serving it.
const RELEASED_0_1_0: &[u8] = include_bytes!("fixtures/order_messages-0.1.0.wasm");

/// A platform whose store answers every scan one entry at a time (short pages, `more` set):
/// allowed by 0.2.0, and something a 0.1.0 component (which read a short page as the end) must
/// never see.
struct ShortPages(TestPlatform);

impl Storage for ShortPages {
    fn get(&self, key: &str) -> Result<Option<Entry>, StorageError> {
        self.0.get(key)
    }
    fn get_many(&self, keys: &[String]) -> Result<Vec<Option<Entry>>, StorageError> {
        self.0.get_many(keys)
    }
    fn scan(&self, p: &str, a: Option<&str>, l: u32, r: bool) -> Result<ScanPage, StorageError> {
        let mut page = self.0.scan(p, a, l.min(1), r)?;
        page.more |= page.entries.len() == 1 && l > 1;
        Ok(page)
    }
    fn commit(&self, checks: &[Check], writes: &[Write]) -> Result<(), StorageError> {
        self.0.commit(checks, writes)
    }
}

impl AddonView for ShortPages {
    fn imports(&mut self) -> Imports<'_> {
        Imports {
            storage: &*self,
            mailer: &self.0,
            notifier: &self.0,
            directory: &self.0,
        }
    }
}

#[test]
fn a_component_of_contract_0_1_0_is_served_in_the_newest_types() {
    let addon = Addon::from_bytes(RELEASED_0_1_0).unwrap();
    assert_eq!(addon.contract_version().as_str(), "0.1.0");
    let runtime = Runtime::<ShortPages>::new(&addon).unwrap();
    let mut instance = runtime
        .instantiate(ShortPages(TestPlatform::default()))
        .unwrap();
    let sam = Actor::admin("sam", "Sam");
    for body in ["Where is my parcel?", "Any news?", "Hello?"] {
        let posted = instance
            .post(&alice(), &PostRequest::new("o1", body))
            .unwrap();
        assert!(posted.is_ok(), "{posted:?}");
    }
    // Read through the short pages: all three messages, in order, as one list.
    let page = instance
        .read_thread(&sam, &ThreadRequest::new("o1"))
        .unwrap()
        .unwrap();
    let seqs: Vec<u64> = page.messages.iter().map(|m| m.seq).collect();
    assert_eq!(seqs, [1, 2, 3]);
    assert_eq!(instance.bell(&sam).unwrap().unwrap().unread_threads, 1);
    let marked = instance
        .mark_selected(&sam, &["o1".into()], true, None)
        .unwrap()
        .unwrap();
    assert_eq!((marked.changed, marked.next_cursor), (1, None));
    let verified = instance.verify(None, 500).unwrap().unwrap();
    assert!(verified.problems.is_empty(), "{:?}", verified.problems);
    let migrated = instance.migrate(None, 10).unwrap().unwrap();
    assert_eq!((migrated.from_version, migrated.next_cursor), (1, None));
}
