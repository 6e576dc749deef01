//! The addon's logic, over small ports to its host (see [`ports`]). Nothing here knows about
//! WIT bindings, so it builds and runs natively as well as in the component.
//!
//! Layout: [`call`] authorizes each operation; [`messaging`], [`inbox`], [`disputes`] and
//! [`order_filter`] are the exported operations; [`thread`] is the single write path for new
//! messages; [`read_state`], [`search`] and [`outbox`] keep indexes, counters and pending
//! deliveries in the same commits; [`keys`] is the storage layout; [`tx`] the optimistic
//! transactions over it; [`legacy`] and [`migrate`] upgrade the data of the released 0.1.0
//! addon.

pub mod call;
pub mod disputes;
pub mod error;
pub mod inbox;
pub mod keys;
pub mod legacy;
pub mod maintenance;
pub mod messaging;
pub mod migrate;
pub mod model;
pub mod order_filter;
pub mod outbox;
pub mod ports;
pub mod read_state;
pub mod records;
pub mod render;
pub mod schema;
pub mod search;
pub mod thread;
pub mod tx;
pub mod validate;
pub mod verify;
pub mod work;

pub use call::Call;
pub use error::{Error, Result};
pub use ports::Env;
