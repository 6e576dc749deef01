//! `inspect`: a component's size, digest, metadata, the contract version it targets, its
//! manifest, WIT packages and versions, imports and exports.

use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::Args;
use serde::Serialize;

use super::Ctx;
use order_messages_app::inspect::{self, Item, Metadata, WitPackage};
use order_messages_host::{Addon, Manifest};

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
    sha256: String,
    /// The contract version it implements, e.g. `0.2.0-draft`.
    contract: String,
    metadata: Metadata,
    /// The manifest it was checked against (and matched), if it has one.
    manifest: Option<ManifestView>,
    packages: Vec<WitPackage>,
    imports: Vec<Item>,
    exports: Vec<Item>,
}

#[derive(Serialize)]
struct ManifestView {
    /// Where it is.
    path: String,
    /// The addon's id and version it states.
    id: String,
    version: String,
    /// The contract versions it may be served under.
    requires: String,
    fuel_per_call: u64,
    memory_bytes: u64,
}

impl ManifestView {
    fn new(path: String, m: &Manifest) -> Self {
        Self {
            path,
            id: m.addon.id.clone(),
            version: m.addon.version.clone(),
            requires: m.contract.requires.clone(),
            fuel_per_call: m.budget.fuel_per_call,
            memory_bytes: m.budget.memory_bytes,
        }
    }
}

/// Prints the component's description. A component whose manifest (beside it, or built with
/// the embedded one) does not match it is refused, as every command refuses it.
pub fn run(ctx: &Ctx, args: InspectArgs) -> Result<()> {
    let file = args.file.as_ref().or(ctx.global.component.as_ref());
    let (addon, source, bytes, manifest_path): (Addon, String, Vec<u8>, String) = match file {
        Some(path) => (
            match &args.file {
                Some(_) => order_messages_platform::load_file(path)?,
                None => ctx.runtime()?.addon().clone(),
            },
            path.display().to_string(),
            std::fs::read(path).with_context(|| format!("reading {}", path.display()))?,
            Manifest::path_beside(path).display().to_string(),
        ),
        None => (
            ctx.runtime()?.addon().clone(),
            format!(
                "embedded addon (built from plugin/, {})",
                order_messages_component::PATH
            ),
            order_messages_component::WASM.to_vec(),
            order_messages_component::MANIFEST_PATH.to_owned(),
        ),
    };
    let description = inspect::describe(addon.engine(), addon.component());
    let view = Inspected {
        component: source,
        size: addon.size(),
        sha256: addon.sha256().to_owned(),
        contract: addon.contract_version().to_string(),
        metadata: inspect::metadata(&bytes)?,
        manifest: addon
            .manifest()
            .map(|m| ManifestView::new(manifest_path, m)),
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
    out.push_str(&format!("sha256:    {}\n", view.sha256));
    if let Some(own) = view.packages.first().filter(|p| !p.exports.is_empty()) {
        out.push_str(&format!("package:   {}\n", own.id()));
    }
    out.push_str(&format!(
        "contract:  {} (the version of storefront:order-messages it implements)\n",
        view.contract
    ));
    match &view.manifest {
        Some(m) => out.push_str(&format!(
            "manifest:  {} matches: {} {}, contract {}, {} fuel and {} MiB per call\n",
            m.path,
            m.id,
            m.version,
            m.requires,
            m.fuel_per_call,
            m.memory_bytes >> 20
        )),
        None => out.push_str("manifest:  none (the component was not checked against one)\n"),
    }
    out.push_str("\nmetadata:\n");
    for (name, value) in view.metadata.fields() {
        out.push_str(&format!("  {name:12} {}\n", value.unwrap_or("-")));
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
