//! `scenario`: run scenario files ([`order_messages_app::scenario`]) and report each step.

use std::path::PathBuf;

use anyhow::{Context, Result, bail};
use clap::Args;
use order_messages_app::scenario::{Scenario, report_text, scenario_files};

use super::{Ctx, output, print_json};

/// `scenario`.
#[derive(Debug, Args)]
pub struct ScenarioArgs {
    /// Scenario files (TOML), or folders whose `*.toml` files to run.
    #[arg(required = true, value_name = "FILE")]
    files: Vec<PathBuf>,
}

/// Runs the scenario files and prints pass/fail per step; fails if any step failed.
pub(crate) fn command(ctx: &Ctx, args: ScenarioArgs) -> Result<()> {
    let harness = ctx.runtime()?;
    let mut reports = Vec::new();
    for file in scenario_files(&args.files)? {
        let scenario = Scenario::load(&file)?;
        let report = scenario
            .run(harness)
            .with_context(|| format!("setting up {}", file.display()))?;
        if !ctx.json() {
            output::print(&report_text(&report))?;
        }
        reports.push(report);
    }
    let failed_steps: usize = reports.iter().map(|r| r.failed().count()).sum();
    let failed_files = reports.iter().filter(|r| !r.passed).count();
    if ctx.json() {
        print_json(&reports)?;
    } else {
        let steps: usize = reports.iter().map(|r| r.steps.len()).sum();
        output::print(&format!(
            "{} scenario{}, {} steps: {} passed, {} failed\n",
            reports.len(),
            if reports.len() == 1 { "" } else { "s" },
            steps,
            steps - failed_steps,
            failed_steps
        ))?;
    }
    if failed_steps > 0 {
        bail!(
            "{failed_steps} step{} failed in {failed_files} scenario{}",
            if failed_steps == 1 { "" } else { "s" },
            if failed_files == 1 { "" } else { "s" }
        );
    }
    Ok(())
}
