//! End-to-end tests: every behaviour of the addon, driven through the real `.wasm` component
//! by the wasmtime harness, the way a hosting platform drives it. One binary, so the component
//! is compiled once (`Harness::shared`).

mod authorization;
mod bad_input;
mod concurrency;
mod cost;
mod crash;
mod disputes;
mod faults;
mod guest_faults;
mod inbox;
mod messaging;
mod migrate;
mod model;
mod modes;
mod notifications;
mod order_filter;
mod outbox;
mod schema;
mod verify;
