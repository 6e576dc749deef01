//! `order-messages-harness`: run the order-messages addon component outside a real store.

mod demo;
mod report;

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;
use clap::{Parser, Subcommand};
use order_messages_harness::inspect::{self, Item};
use order_messages_harness::runtime::DEFAULT_FUEL_PER_CALL;
use order_messages_harness::{Harness, RunConfig};

/// Host harness for the order-messages addon (a WebAssembly component).
///
/// Plays the hosting platform (storage, mail, notifications, order directory, clock) with
/// in-memory fakes, so the addon can be tried, demonstrated and inspected. The addon built
/// from plugin/ is embedded; commands that take a FILE can load another component instead.
#[derive(Parser)]
#[command(version, about, long_about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run a scripted story (customer, vendor and staff talk on an order; staff open and close
    /// a dispute) and print each party's inbox, bell counts, and the mails and notifications
    /// of every step.
    Demo {
        /// Use the system's real time instead of a clock pinned to 2026-01-01 09:00 UTC that
        /// moves 7 minutes per step.
        #[arg(long)]
        real_time: bool,
        /// Run another component file instead of the embedded one.
        #[arg(long, value_name = "FILE")]
        component: Option<PathBuf>,
        /// Fuel per call (about one unit per wasm instruction).
        #[arg(long, default_value_t = DEFAULT_FUEL_PER_CALL)]
        fuel: u64,
        /// Memory cap per instance, in MiB.
        #[arg(long, default_value_t = 64)]
        memory_mib: usize,
    },
    /// Print a component's size and its imports and exports with their function signatures.
    Inspect {
        /// The component to inspect; the embedded addon when omitted.
        file: Option<PathBuf>,
    },
}

fn main() -> ExitCode {
    match run(Cli::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            // `{:#}` prints the context chain on one line, without anyhow's backtrace.
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> Result<()> {
    match cli.command {
        Command::Demo {
            real_time,
            component,
            fuel,
            memory_mib,
        } => {
            let harness = load(component.as_ref())?.with_config(RunConfig {
                fuel_per_call: fuel,
                memory_bytes: memory_mib << 20,
                ..RunConfig::default()
            });
            demo::run(&harness, real_time)
        }
        Command::Inspect { file } => {
            let harness = load(file.as_ref())?;
            inspect(&harness, file.as_ref());
            Ok(())
        }
    }
}

fn load(file: Option<&PathBuf>) -> Result<Harness> {
    match file {
        Some(path) => Harness::from_file(path),
        None => Harness::new(),
    }
}

fn inspect(harness: &Harness, file: Option<&PathBuf>) {
    let source = file.map_or_else(
        || {
            format!(
                "embedded addon (built from plugin/, {})",
                order_messages_harness::COMPONENT_PATH
            )
        },
        |p| p.display().to_string(),
    );
    let size = harness.component_size();
    println!("component: {source}");
    println!("size:      {size} bytes ({:.1} KiB)", size as f64 / 1024.0);
    let description = inspect::describe(harness.engine(), harness.component());
    print_items("imports", &description.imports);
    print_items("exports", &description.exports);
}

fn print_items(title: &str, items: &[Item]) {
    println!("\n{title} ({}):", items.len());
    for item in items {
        println!("  {} {}", item.kind, item.name);
        let width = item
            .functions
            .iter()
            .map(|f| f.name.len())
            .max()
            .unwrap_or(0);
        for f in &item.functions {
            println!("      {:width$}  {}", f.name, f.signature);
        }
    }
}
