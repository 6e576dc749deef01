//! `migrate`: the plugin's `maintenance.migrate` until the store is upgraded.

use anyhow::Result;
use clap::Args;

use super::Ctx;
use order_messages_app::ops;

/// `migrate`.
#[derive(Debug, Args)]
pub struct MigrateArgs {
    /// Records to move per call (1 to 500).
    #[arg(long, default_value_t = 500)]
    page: u32,
}

/// Upgrades the store's data to the running component's layout.
pub fn run(ctx: &Ctx, args: MigrateArgs) -> Result<()> {
    let workspace = ctx.open(false)?;
    let mut session = ctx.session(&workspace)?;
    let totals = ops::migrate_all(&mut session, args.page)?;
    ctx.emit(&totals, || {
        if totals.from_version == totals.to_version && totals.migrated == 0 {
            format!(
                "{} is at schema version {}: nothing to migrate.\n",
                workspace.location.describe(),
                totals.to_version
            )
        } else {
            format!(
                "Migrated {} from schema version {} to {}: {} records in {} call{}.\n",
                workspace.location.describe(),
                totals.from_version,
                totals.to_version,
                totals.migrated,
                totals.calls,
                if totals.calls == 1 { "" } else { "s" }
            )
        }
    })
}
