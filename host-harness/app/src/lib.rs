//! What the harness's command line and web admin share, so neither imports the other: the
//! [`workspace`] (a store file with its directory, mail sent log and journal), the loops over
//! paged exports and the split of refusals from host failures ([`ops`]), the shapes `--json`
//! and the admin print ([`views`], [`report`]), [`scenario`] files, the data-set generator
//! ([`seed`]) and component inspection ([`inspect`]).

pub mod inspect;
pub mod ops;
pub mod report;
pub mod scenario;
pub mod seed;
pub mod views;
pub mod workspace;

use order_messages_platform::fixtures::{Fixtures, World};
use order_messages_platform::{Directory, Platform};

/// Fills `platform`'s directory with [`Fixtures::marketplace`], users' display names and
/// vendors' names included (as the CLI and the admin show them), and returns its world.
pub fn install_marketplace(platform: &Platform) -> World {
    let world = Fixtures::marketplace_on(platform.clone()).build();
    let directory = &platform.directory;
    for actor in world.actors() {
        directory.register(actor);
    }
    for order in directory.orders() {
        if let (Some(id), Some(name)) = (&order.vendor_id, &order.vendor_name) {
            directory.add_vendor(id, name);
        }
    }
    world
}

/// Display names of users, comma-separated (the id for users the directory does not know).
pub fn names(directory: &Directory, ids: &[String]) -> String {
    ids.iter()
        .map(|id| {
            directory
                .actor(id)
                .map_or_else(|| id.clone(), |a| a.display_name)
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// The addon's domain run natively over `platform` (sharing its state and clock): what
/// `seed --native` and the benchmark's baseline use.
pub fn native(platform: &Platform) -> order_messages::native::Native<Platform> {
    order_messages::native::Native::with_clock(
        platform.clone(),
        std::sync::Arc::new(platform.clock.clone()),
    )
}
