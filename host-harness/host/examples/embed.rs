//! A hosting platform embedding the addon: its own ordered store, a mailer that prints, a
//! directory of two orders; then a customer and a vendor talk about an order.
//!
//! `cargo run -p order-messages-host --example embed -- path/to/order_messages.wasm`, with the
//! manifest the build writes beside it (`cargo build` leaves both in `target/plugin/dist/`).

use std::collections::BTreeMap;
use std::sync::Mutex;

use anyhow::{Context, Result};
use order_messages_host::types::*;
use order_messages_host::{
    Addon, AddonView, Directory, Imports, Mailer, Notifier, RunConfig, Runtime,
};
use order_messages_host::{Storage, scan_bounds};

/// Each key's value and version.
type Rows = BTreeMap<String, (Vec<u8>, u64)>;

/// The platform's own store: keys with values and versions, and the last version given; one
/// lock makes commits atomic.
#[derive(Default)]
struct ShopStore(Mutex<(Rows, u64)>);

impl Storage for ShopStore {
    fn get(&self, key: &str) -> Result<Option<Entry>, StorageError> {
        let data = self.0.lock().unwrap();
        Ok(data.0.get(key).map(|(value, version)| Entry {
            key: key.into(),
            value: value.clone(),
            version: *version,
        }))
    }

    fn scan(
        &self,
        prefix: &str,
        after: Option<&str>,
        limit: u32,
        reverse: bool,
    ) -> Result<ScanPage, StorageError> {
        let Some(range) = scan_bounds(prefix, after, reverse) else {
            return Ok(ScanPage {
                entries: vec![],
                more: false,
            });
        };
        let data = self.0.lock().unwrap();
        let entries = data
            .0
            .range::<String, _>(range)
            .map(|(key, (value, version))| Entry {
                key: key.clone(),
                value: value.clone(),
                version: *version,
            });
        let entries: Vec<Entry> = if reverse {
            entries.rev().take(limit as usize).collect()
        } else {
            entries.take(limit as usize).collect()
        };
        // A full page may have more after it (the addon then asks again).
        let more = entries.len() == limit as usize;
        Ok(ScanPage { entries, more })
    }

    fn commit(&self, checks: &[Check], writes: &[Write]) -> Result<(), StorageError> {
        let mut data = self.0.lock().unwrap();
        if let Some(check) = checks
            .iter()
            .find(|c| data.0.get(&c.key).map(|e| e.1) != c.version)
        {
            return Err(StorageError::Conflict(check.key.clone()));
        }
        data.1 += 1;
        let version = data.1;
        for write in writes {
            match write {
                Write::Put(put) => _ = data.0.insert(put.key.clone(), (put.value.clone(), version)),
                Write::Delete(key) => _ = data.0.remove(key),
            }
        }
        Ok(())
    }
}

/// Everything else the addon needs from the shop.
struct Shop {
    store: ShopStore,
}

impl Mailer for Shop {
    fn send(&self, mail: &Mail) -> Result<(), MailError> {
        println!("  mail to {:?}: {}", mail.recipients, mail.subject);
        Ok(())
    }
}

impl Notifier for Shop {
    fn push(&self, _key: &str, recipients: &[String], event: &Event) -> Result<(), NotifyError> {
        if let Event::NewMessage(m) = event {
            println!(
                "  live to {recipients:?}: {} wrote on order {}",
                m.author_name, m.order_number
            );
        }
        Ok(())
    }
}

impl Directory for Shop {
    fn order(&self, id: &str) -> Result<Option<Order>, String> {
        let order =
            |number| Order::new(id, number, "alice", "Alice").with_vendor("acme", "Acme Tools");
        Ok(match id {
            "o1" => Some(order("1001")),
            "o2" => Some(order("1002")),
            _ => None,
        })
    }
    fn staff_users(&self) -> Result<Vec<String>, String> {
        Ok(vec!["sam".into()])
    }
    fn vendor_users(&self, vendor: &str) -> Result<Vec<String>, String> {
        Ok(if vendor == "acme" {
            vec!["anna".into()]
        } else {
            vec![]
        })
    }
    fn settings(&self) -> Result<Settings, String> {
        Ok(Settings::default())
    }
}

impl AddonView for Shop {
    fn imports(&mut self) -> Imports<'_> {
        Imports {
            storage: &self.store,
            mailer: self,
            notifier: self,
            directory: self,
        }
    }
}

fn main() -> Result<()> {
    let path = std::env::args()
        .nth(1)
        .context("usage: embed path/to/order_messages.wasm")?;
    // A distributed component comes with its manifest beside it (`order_messages.manifest.toml`):
    // check the file against it, and run calls with the budget it states.
    let addon = Addon::from_file_with_manifest(&path)?;
    let manifest = addon.manifest().expect("checked against its manifest");
    println!(
        "{path}: {} {} (revision {}), contract {}, {} bytes, sha256 {}",
        manifest.addon.id,
        manifest.addon.version,
        manifest.addon.revision.as_deref().unwrap_or("unknown"),
        addon.contract_version(),
        addon.size(),
        addon.sha256()
    );
    let limits = manifest.run_config(RunConfig::default());
    let mut addon = Runtime::new(&addon)?
        .with_config(limits)
        .instantiate(Shop {
            store: ShopStore::default(),
        })?;

    let alice = Actor::customer("alice", "Alice");
    let anna = Actor::vendor("anna", "acme", "Anna");
    println!("Alice asks about order 1001:");
    addon.post(&alice, &PostRequest::new("o1", "Where is my drill?"))??;
    println!("Anna answers:");
    addon.post(&anna, &PostRequest::new("o1", "Shipped today."))??;

    let bell = addon.bell(&alice)??;
    println!("Alice's bell: {} unread thread(s)", bell.unread_threads);
    let page = addon.read_thread(&alice, &ThreadRequest::new("o1").marking_read())??;
    for m in &page.messages {
        println!(
            "  #{} {} ({}): {}",
            m.seq,
            m.author_name,
            m.author_role.name(),
            m.body
        );
    }
    let refused = addon.read_thread(&alice, &ThreadRequest::new("o3"))?;
    println!(
        "An order she does not have: {}",
        refused.unwrap_err().describe()
    );
    Ok(())
}
