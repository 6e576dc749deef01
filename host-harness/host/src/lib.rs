//! Embed the order-messages addon — one WebAssembly component — in a Rust host.
//!
//! A hosting platform loads the distributed `order_messages.wasm` once ([`Addon`]), links it to
//! its own services ([`Runtime`]: the four imports as the traits [`Storage`], [`Mailer`],
//! [`Notifier`] and [`Directory`], reached through the platform's [`AddonView`]), and calls the
//! addon through an [`Instance`], one typed method per export, each call under fuel, memory
//! and optional epoch limits ([`RunConfig`]). A trap or a limit fails that call only; the next
//! call gets a fresh instance.
//!
//! The component implements one released version of the contract
//! (`wit/vX.Y.Z/`, [`ContractVersion`]); this crate serves every released version and speaks
//! the newest one's types ([`types`]).
//!
//! A distributed component comes with its [`Manifest`] (`order_messages.manifest.toml` beside
//! `order_messages.wasm`): [`Addon::from_file_with_manifest`] loads the pair and refuses a
//! component the manifest does not describe ([`ManifestError`]: other bytes, a contract version
//! this host does not serve, other imports), and [`Manifest::run_config`] gives the per-call
//! budget it states.
//!
//! ```
//! use order_messages_host::types::*;
//! use order_messages_host::{Addon, AddonView, Directory, Imports, Mailer, MemoryStorage};
//! use order_messages_host::{Notifier, Runtime};
//!
//! /// The platform's services for the addon.
//! struct Shop {
//!     storage: MemoryStorage,
//! }
//!
//! impl Mailer for Shop {
//!     fn send(&self, mail: &Mail) -> Result<(), MailError> {
//!         println!("mail to {:?}: {}", mail.recipients, mail.subject);
//!         Ok(())
//!     }
//! }
//!
//! impl Notifier for Shop {
//!     fn push(&self, _key: &str, to: &[String], event: &Event) -> Result<(), NotifyError> {
//!         println!("push to {to:?}: {event:?}");
//!         Ok(())
//!     }
//! }
//!
//! impl Directory for Shop {
//!     fn order(&self, id: &str) -> Result<Option<Order>, String> {
//!         Ok((id == "o1").then(|| Order::new("o1", "1001", "alice", "Alice")))
//!     }
//!     fn staff_users(&self) -> Result<Vec<String>, String> {
//!         Ok(vec!["sam".into()])
//!     }
//!     fn vendor_users(&self, _vendor: &str) -> Result<Vec<String>, String> {
//!         Ok(vec![])
//!     }
//!     fn settings(&self) -> Result<Settings, String> {
//!         Ok(Settings::default())
//!     }
//! }
//!
//! impl AddonView for Shop {
//!     fn imports(&mut self) -> Imports<'_> {
//!         Imports { storage: &self.storage, mailer: self, notifier: self, directory: self }
//!     }
//! }
//!
//! # fn main() -> anyhow::Result<()> {
//! # let wasm = order_messages_component::WASM;
//! // let wasm = std::fs::read("order_messages.wasm")?;
//! let addon = Addon::from_bytes(&wasm)?; // compile once per process
//! let runtime = Runtime::<Shop>::new(&addon)?;
//! let mut instance = runtime.instantiate(Shop { storage: MemoryStorage::new() })?;
//!
//! let alice = Actor::customer("alice", "Alice");
//! let posted = instance.post(&alice, &PostRequest::new("o1", "Where is my parcel?"))?;
//! assert_eq!(posted.expect("accepted").seq, 1);
//!
//! let sam = Actor::admin("sam", "Sam");
//! let bell = instance.bell(&sam)?.expect("answered");
//! assert_eq!(bell.unread_threads, 1);
//! # Ok(())
//! # }
//! ```
//!
//! `examples/embed.rs` is a complete platform of about a hundred lines.

#![deny(missing_docs)]

mod addon;
pub mod bindings;
mod compat;
#[cfg(feature = "conformance")]
pub mod conformance;
pub mod imports;
pub mod manifest;
mod memory;
mod runtime;
pub mod types;
mod version;

pub use addon::Addon;
pub use imports::{AddonView, Directory, Imports, Mailer, Notifier, Storage, add_to_linker};
pub use manifest::{Manifest, ManifestError};
pub use memory::{MemoryStorage, prefix_end, scan_bounds};
pub use runtime::{
    Clock, DEFAULT_FUEL_PER_CALL, DEFAULT_MEMORY_BYTES, GuestOutput, Instance, RunConfig, Runtime,
    StoreData, SystemClock,
};
pub use version::ContractVersion;
