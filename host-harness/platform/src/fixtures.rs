//! Quick set-ups of the order directory and the actors of a test.
//!
//! ```no_run
//! use order_messages_platform::fixtures::{Fixtures, marketplace::*};
//!
//! let world = Fixtures::marketplace().build();
//! let alice = world.actor(ALICE);
//! assert_eq!(world.platform.directory.order(ALICE_ACME_ORDER).unwrap().customer_id, alice.id);
//!
//! // Or from scratch:
//! let world = Fixtures::new()
//!     .vendor("v9", "Gadgets")
//!     .vendor_user("v9", "gus", "Gus")
//!     .staff("root", "Ruth")
//!     .customer("cx", "Xavier")
//!     .vendor_order("ox", "9001", "cx", "v9")
//!     .build();
//! ```

use std::collections::BTreeMap;

use anyhow::Result;

use order_messages_host::Runtime;

use crate::{Platform, Session};
use order_messages_host::types::{Actor, Limits, MultivendorMode, Order};

/// The ids of [`Fixtures::marketplace`].
pub mod marketplace {
    /// Vendor "Acme Tools".
    pub const ACME: &str = "v1";
    /// Vendor "Blue Books".
    pub const BLUE: &str = "v2";
    /// Anna, Acme's user.
    pub const ANNA: &str = "v1-anna";
    /// Ben, Blue Books' user.
    pub const BEN: &str = "v2-ben";
    /// Staff member Sam.
    pub const SAM: &str = "s1";
    /// Staff member Sara.
    pub const SARA: &str = "s2";
    /// Customer Alice.
    pub const ALICE: &str = "c1";
    /// Customer Bob.
    pub const BOB: &str = "c2";
    /// Customer Carol.
    pub const CAROL: &str = "c3";
    /// Order 1001: Alice's, from Acme.
    pub const ALICE_ACME_ORDER: &str = "o1";
    /// Order 1002: Alice's, from Blue Books.
    pub const ALICE_BLUE_ORDER: &str = "o2";
    /// Order 1003: Bob's, from Acme.
    pub const BOB_ACME_ORDER: &str = "o3";
    /// Order 1004: Carol's, from Blue Books.
    pub const CAROL_BLUE_ORDER: &str = "o4";
    /// Order 1005: Carol's, sold by the store itself (no vendor).
    pub const CAROL_STORE_ORDER: &str = "o5";
}

/// A builder that fills a [`Platform`]'s directory and remembers the actors.
///
/// Builder methods panic on inconsistent input (an order for an unknown customer, say): they
/// are for tests, where a panic is the clearest report.
#[derive(Debug)]
pub struct Fixtures {
    platform: Platform,
    actors: BTreeMap<String, Actor>,
    vendors: BTreeMap<String, String>,
}

impl Default for Fixtures {
    fn default() -> Self {
        Self::new()
    }
}

impl Fixtures {
    /// Starts from a fresh [`Platform`] (empty storage, pinned clock, default settings).
    pub fn new() -> Self {
        Self::on(Platform::new())
    }

    /// Adds to an existing platform's directory.
    pub fn on(platform: Platform) -> Self {
        Self {
            platform,
            actors: BTreeMap::new(),
            vendors: BTreeMap::new(),
        }
    }

    /// A small marketplace (ids in [`marketplace`]): vendors Acme Tools (user Anna) and Blue
    /// Books (user Ben), staff Sam and Sara, customers Alice, Bob and Carol, and orders
    /// 1001–1005 (see the constants), in separate-shops mode.
    pub fn marketplace() -> Self {
        Self::marketplace_on(Platform::new())
    }

    /// [`Fixtures::marketplace`] on an existing platform.
    pub fn marketplace_on(platform: Platform) -> Self {
        use marketplace::*;
        Self::on(platform)
            .vendor(ACME, "Acme Tools")
            .vendor_user(ACME, ANNA, "Anna")
            .vendor(BLUE, "Blue Books")
            .vendor_user(BLUE, BEN, "Ben")
            .staff(SAM, "Sam")
            .staff(SARA, "Sara")
            .customer(ALICE, "Alice")
            .customer(BOB, "Bob")
            .customer(CAROL, "Carol")
            .vendor_order(ALICE_ACME_ORDER, "1001", ALICE, ACME)
            .vendor_order(ALICE_BLUE_ORDER, "1002", ALICE, BLUE)
            .vendor_order(BOB_ACME_ORDER, "1003", BOB, ACME)
            .vendor_order(CAROL_BLUE_ORDER, "1004", CAROL, BLUE)
            .order(CAROL_STORE_ORDER, "1005", CAROL)
    }

    /// Sets the multivendor mode.
    pub fn mode(self, mode: MultivendorMode) -> Self {
        self.platform.directory.set_mode(mode);
        self
    }

    /// Sets the limits.
    pub fn limits(self, limits: Limits) -> Self {
        self.platform.directory.set_limits(limits);
        self
    }

    /// Adds a staff member.
    pub fn staff(mut self, id: &str, name: &str) -> Self {
        self.platform.directory.add_staff(id);
        self.add_actor(Actor::admin(id, name));
        self
    }

    /// Adds a vendor (a shop) without users.
    pub fn vendor(mut self, vendor_id: &str, name: &str) -> Self {
        self.vendors.insert(vendor_id.into(), name.into());
        self
    }

    /// Adds a user to a vendor added before.
    pub fn vendor_user(mut self, vendor_id: &str, user_id: &str, name: &str) -> Self {
        assert!(
            self.vendors.contains_key(vendor_id),
            "fixtures: vendor `{vendor_id}` must be added before its user `{user_id}`"
        );
        self.platform.directory.add_vendor_user(vendor_id, user_id);
        self.add_actor(Actor::vendor(user_id, vendor_id, name));
        self
    }

    /// Adds a customer.
    pub fn customer(mut self, id: &str, name: &str) -> Self {
        self.add_actor(Actor::customer(id, name));
        self
    }

    /// Adds an order the store sells itself (no vendor).
    pub fn order(self, id: &str, number: &str, customer_id: &str) -> Self {
        let customer = self.customer_named(customer_id);
        self.platform
            .directory
            .add_order(Order::new(id, number, customer_id, customer));
        self
    }

    /// Adds an order fulfilled by a vendor added before.
    pub fn vendor_order(self, id: &str, number: &str, customer_id: &str, vendor_id: &str) -> Self {
        let customer = self.customer_named(customer_id);
        let vendor = self
            .vendors
            .get(vendor_id)
            .unwrap_or_else(|| panic!("fixtures: order `{id}` names unknown vendor `{vendor_id}`"));
        self.platform.directory.add_order(
            Order::new(id, number, customer_id, customer).with_vendor(vendor_id, vendor.as_str()),
        );
        self
    }

    /// Finishes: the platform and the actors.
    pub fn build(self) -> World {
        World {
            platform: self.platform,
            actors: self.actors,
        }
    }

    fn add_actor(&mut self, actor: Actor) {
        if let Some(old) = self.actors.insert(actor.id.clone(), actor) {
            panic!("fixtures: user id `{}` is used twice", old.id);
        }
    }

    fn customer_named(&self, customer_id: &str) -> String {
        match self.actors.get(customer_id) {
            Some(a) if a.role == order_messages_host::types::Role::Customer => {
                a.display_name.clone()
            }
            _ => {
                panic!("fixtures: `{customer_id}` must be added as a customer before their orders")
            }
        }
    }
}

/// A platform set up by [`Fixtures`], with its actors by user id.
#[derive(Clone, Debug)]
pub struct World {
    /// The platform (directory filled in).
    pub platform: Platform,
    actors: BTreeMap<String, Actor>,
}

impl World {
    /// The actor with this user id.
    ///
    /// # Panics
    /// If no actor has this id (the message lists the known ones).
    pub fn actor(&self, user_id: &str) -> Actor {
        self.actors.get(user_id).cloned().unwrap_or_else(|| {
            let known: Vec<&str> = self.actors.keys().map(String::as_str).collect();
            panic!("fixtures: no actor `{user_id}`; known: {known:?}")
        })
    }

    /// Every actor, by user id.
    pub fn actors(&self) -> impl Iterator<Item = &Actor> {
        self.actors.values()
    }

    /// A session over this platform with the process-wide [`crate::runtime`].
    pub fn session(&self) -> Result<Session> {
        self.platform.session()
    }

    /// A session over this platform with the given runtime.
    pub fn session_with(&self, runtime: &Runtime<Platform>) -> Result<Session> {
        self.platform.session_with(runtime)
    }
}

#[cfg(test)]
mod tests {
    use super::marketplace::*;
    use super::*;
    use order_messages_host::types::Role;

    #[test]
    fn marketplace_fills_the_directory() {
        let world = Fixtures::marketplace().build();
        let dir = &world.platform.directory;
        assert_eq!(dir.staff(), vec![SAM, SARA]);
        assert_eq!(dir.vendor_users(ACME), vec![ANNA]);
        let order = dir.order(ALICE_BLUE_ORDER).unwrap();
        assert_eq!(order.customer_name, "Alice");
        assert_eq!(order.vendor_name.as_deref(), Some("Blue Books"));
        assert_eq!(dir.order(CAROL_STORE_ORDER).unwrap().vendor_id, None);
        assert_eq!(world.actor(BEN).role, Role::Vendor(BLUE.into()));
        assert_eq!(world.actors().count(), 7);
    }

    #[test]
    #[should_panic(expected = "must be added as a customer")]
    fn orders_need_known_customers() {
        let _ = Fixtures::new().order("o", "1", "nobody");
    }
}
