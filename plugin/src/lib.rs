//! The order-messages addon.
//!
//! [`domain`] holds all of the logic and builds natively; `component` (wasm32 only) adapts it
//! to the WIT world `storefront:order-messages/addon`; `native` (feature `native`) runs it over
//! the host library's import traits instead, with the same conversions (`adapter`).

pub mod domain;

#[cfg(any(target_arch = "wasm32", feature = "native"))]
mod adapter;
#[cfg(target_arch = "wasm32")]
mod component;
#[cfg(all(feature = "native", not(target_arch = "wasm32")))]
pub mod native;
