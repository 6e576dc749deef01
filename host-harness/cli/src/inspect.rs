//! `inspect`: a component's size, WIT packages and versions, imports and exports.

use std::path::PathBuf;

use anyhow::Result;
use clap::Args;
use serde::Serialize;

use super::Ctx;
use order_messages_app::inspect::{self, Item, WitPackage};
use order_messages_host::Addon;

/// `inspect`.
#[derive(Debug, Args)]
pub struct InspectArgs {
    /// The component to inspect; the embedded addon when omitted (or --component's file).
    file: Option<PathBuf>,
}

#[derive(Serialize)]
struct Inspected {
    component: String,
    size: usize,
    packages: Vec<WitPackage>,
    imports: Vec<Item>,
    exports: Vec<Item>,
}

/// Prints the component's description.
pub fn run(ctx: &Ctx, args: InspectArgs) -> Result<()> {
    let (addon, source): (Addon, String) = match &args.file {
        Some(path) => (
            order_messages_platform::load_file(path)?,
            path.display().to_string(),
        ),
        None => (
            ctx.runtime()?.addon().clone(),
            match &ctx.global.component {
                Some(path) => path.display().to_string(),
                None => format!(
                    "embedded addon (built from plugin/, {})",
                    order_messages_component::PATH
                ),
            },
        ),
    };
    let description = inspect::describe(addon.engine(), addon.component());
    let view = Inspected {
        component: source,
        size: addon.size(),
        packages: inspect::packages(&description),
        imports: description.imports,
        exports: description.exports,
    };
    ctx.emit(&view, || text(&view))
}

fn text(view: &Inspected) -> String {
    let mut out = format!("component: {}\n", view.component);
    out.push_str(&format!(
        "size:      {} bytes ({:.1} KiB)\n",
        view.size,
        view.size as f64 / 1024.0
    ));
    if let Some(own) = view.packages.first().filter(|p| !p.exports.is_empty()) {
        out.push_str(&format!("package:   {}\n", own.id()));
    }
    out.push_str("\nWIT packages:\n");
    let width = view
        .packages
        .iter()
        .map(|p| p.id().len())
        .max()
        .unwrap_or(0);
    for p in &view.packages {
        let mut parts = Vec::new();
        if !p.exports.is_empty() {
            parts.push(format!("exports {}", p.exports.join(", ")));
        }
        if !p.imports.is_empty() {
            parts.push(format!("imports {}", p.imports.join(", ")));
        }
        out.push_str(&format!("  {:width$}  {}\n", p.id(), parts.join("; ")));
    }
    items(&mut out, "imports", &view.imports);
    items(&mut out, "exports", &view.exports);
    out
}

fn items(out: &mut String, title: &str, items: &[Item]) {
    out.push_str(&format!("\n{title} ({}):\n", items.len()));
    for item in items {
        out.push_str(&format!("  {} {}\n", item.kind, item.name));
        let width = item
            .functions
            .iter()
            .map(|f| f.name.len())
            .max()
            .unwrap_or(0);
        for f in &item.functions {
            out.push_str(&format!("      {:width$}  {}\n", f.name, f.signature));
        }
    }
}
