//! The order-messages addon.
//!
//! [`domain`] holds all of the logic and builds natively; `component` (wasm32 only) adapts it
//! to the WIT world `storefront:order-messages/addon`.

pub mod domain;

#[cfg(target_arch = "wasm32")]
mod component;
