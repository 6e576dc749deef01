//! `verify`: the plugin's `maintenance.verify` over the whole store.

use anyhow::{Result, bail};
use clap::Args;
use serde::Serialize;

use super::Ctx;
use order_messages_app::views::ProblemView;
use order_messages_app::{ops, report};

/// `verify`.
#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// Records to check per call.
    #[arg(long, default_value_t = 500)]
    page: u32,
    /// Most problems to list.
    #[arg(long, default_value_t = 100)]
    show: usize,
}

#[derive(Serialize)]
struct Verified {
    checked: u64,
    problems: u64,
    listed: Vec<ProblemView>,
    calls: u32,
}

/// Verifies the store; fails when there are problems.
pub fn run(ctx: &Ctx, args: VerifyArgs) -> Result<()> {
    let workspace = ctx.open(false)?;
    let mut session = ctx.session(&workspace)?;
    let totals = ops::verify_all(&mut session, args.page, args.show)?;
    let view = Verified {
        checked: totals.checked,
        problems: totals.total_problems,
        listed: totals
            .problems
            .iter()
            .map(|p| ProblemView {
                key: p.key.clone(),
                detail: p.detail.clone(),
            })
            .collect(),
        calls: totals.calls,
    };
    ctx.emit(&view, || {
        let mut out = format!(
            "Checked {} records of {} in {} call{}: ",
            totals.checked,
            workspace.location.describe(),
            totals.calls,
            if totals.calls == 1 { "" } else { "s" }
        );
        if totals.total_problems == 0 {
            out.push_str("no problems.\n");
        } else {
            out.push_str(&format!("{} problems.\n", totals.total_problems));
            let mut table = report::Table::new(&["Key", "Problem"]);
            for p in &totals.problems {
                table.row(vec![p.key.clone(), p.detail.clone()]);
            }
            out.push_str(&table.render(""));
            let hidden = totals.total_problems - totals.problems.len() as u64;
            if hidden > 0 {
                out.push_str(&format!("… and {hidden} more\n"));
            }
        }
        out
    })?;
    if totals.total_problems > 0 {
        bail!(
            "verify found {} problem{}",
            totals.total_problems,
            if totals.total_problems == 1 { "" } else { "s" }
        );
    }
    Ok(())
}
