//! Wasmtime host for the order-messages addon: plays the hosting platform (storage, mail,
//! notifications, order directory, clock) so the real `.wasm` component can be run in tests,
//! demos and benchmarks.
//!
//! - [`Harness`]: the compiled component with its imports linked, built once and shared.
//! - [`Host`]: the simulated platform; inspect and steer it from tests.
//! - [`Session`]: an instance over a host, with one typed method per export and per-call limits.
//! - [`types`]: the WIT types under short names; [`fixtures`]: quick directory set-ups.
//! - [`cli`]: the `order-messages-harness` command line, and its scenario runner
//!   ([`cli::scenario`]).
//! - [`web`]: the web admin (`order-messages-harness serve`).
//!
//! ```no_run
//! use order_messages_harness::{Harness, fixtures::Fixtures, types::*};
//!
//! let world = Fixtures::marketplace().build();
//! let mut session = Harness::shared().session(&world.host).unwrap();
//! let alice = world.actor("c1");
//! let posted = session.post(&alice, &PostRequest::new("o1", "Where is my parcel?")).unwrap();
//! println!("{posted:?}, mails: {:?}", world.host.mail.all());
//! ```

pub mod bindings;
pub mod cli;
pub mod fixtures;
pub mod host;
pub mod inspect;
pub mod native;
pub mod runtime;
pub mod seed;
pub mod types;
pub mod web;

pub use host::{Clock, Fault, Host};
pub use runtime::{GuestOutput, Harness, RunConfig, Session};

/// Where the build script put the addon component (inside this build's `OUT_DIR`).
pub const COMPONENT_PATH: &str = concat!(env!("OUT_DIR"), "/order_messages.wasm");

/// The addon component (`order_messages.wasm`, built from `plugin/` for `wasm32-wasip2` by the
/// build script), embedded so the CLI and tests need no file at run time.
pub static COMPONENT: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/order_messages.wasm"));
