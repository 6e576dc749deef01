//! The order-messages addon as bytes: `order_messages.wasm`, built from `plugin/` by this
//! crate's build script (a core module for `wasm32-unknown-unknown`, encoded as a component
//! with its metadata), and its manifest, `order_messages.manifest.toml`. Set
//! `ORDER_MESSAGES_WASM=/path/to/file.wasm` to embed a prebuilt component instead.
//!
//! The build also leaves both files in `target/plugin/dist/`: what a marketplace distributes.
//!
//! Tests, the CLI and the benchmark depend on this crate to get the component without a file at
//! run time. An embedder of the addon does not: it loads the distributed `.wasm` with
//! `order-messages-host`.

/// Where the build script put the component (inside this build's `OUT_DIR`).
pub const PATH: &str = concat!(env!("OUT_DIR"), "/order_messages.wasm");

/// The component's bytes.
pub static WASM: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/order_messages.wasm"));

/// Where the build script put the component's manifest (beside [`PATH`]).
pub const MANIFEST_PATH: &str = concat!(env!("OUT_DIR"), "/order_messages.manifest.toml");

/// The component's manifest (TOML): its id, version, digest, contract, imports and budget.
pub static MANIFEST: &str = include_str!(concat!(env!("OUT_DIR"), "/order_messages.manifest.toml"));
