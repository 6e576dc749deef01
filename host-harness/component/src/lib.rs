//! The order-messages addon as bytes: `order_messages.wasm`, built from `plugin/` for
//! `wasm32-wasip2` by this crate's build script (set `ORDER_MESSAGES_WASM=/path/to/file.wasm` to
//! embed a prebuilt component instead).
//!
//! Tests, the CLI and the benchmark depend on this crate to get the component without a file at
//! run time. An embedder of the addon does not: it loads the distributed `.wasm` with
//! `order-messages-host`.

/// Where the build script put the component (inside this build's `OUT_DIR`).
pub const PATH: &str = concat!(env!("OUT_DIR"), "/order_messages.wasm");

/// The component's bytes.
pub static WASM: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/order_messages.wasm"));
