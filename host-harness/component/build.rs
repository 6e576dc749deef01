//! Builds the addon as the file a marketplace distributes, and the manifest shipped next to it:
//!
//! 1. the plugin (`order-messages`) as a core module for `wasm32-unknown-unknown`, in a nested
//!    `cargo build` with build-machine path prefixes remapped (reproducible bytes);
//! 2. that module encoded as a component with `wit-component` (what `wasm-tools component new`
//!    does): its imports are exactly the world's, since the standard library imports nothing on
//!    this target (on `wasm32-wasip2` it pulled in 15 WASI interfaces the world never mentions);
//! 3. metadata added with `wasm-metadata`: name, version, description, license, source and
//!    homepage from the plugin's Cargo package, revision = the git commit;
//! 4. the manifest, `order_messages.manifest.toml`, which `order-messages-host` checks the
//!    component against before running it (`Manifest`).
//!
//! Both land in `OUT_DIR` (this crate embeds them) and in `target/plugin/dist/`, the files to
//! ship. The nested build is modelled on wasmtime's `test-programs-artifacts` build script: its
//! own `--target-dir` (so it never waits on the outer build's lock), and the outer build's
//! target/flag/wrapper variables removed (they describe the host build, not the wasm one).
//!
//! Set `ORDER_MESSAGES_WASM=/path/to/component.wasm` to embed a prebuilt component instead of
//! building the plugin (a component built elsewhere, or a known-good one while the plugin's
//! source does not compile); its manifest is the `NAME.manifest.toml` beside it, or else one
//! written here from the component itself.

use std::collections::BTreeSet;
use std::env;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

use sha2::{Digest, Sha256};
use wasm_metadata::{AddMetadata, AddMetadataField};

/// The core module's target: no WASI, so no imports but those the bindings declare.
const TARGET: &str = "wasm32-unknown-unknown";
const PACKAGE: &str = "order-messages";
const ARTIFACT: &str = "order_messages.wasm";
const MANIFEST: &str = "order_messages.manifest.toml";
/// Names a prebuilt component to embed instead of building the plugin.
const PREBUILT_ENV: &str = "ORDER_MESSAGES_WASM";
/// The budget per call the manifest states: the host's `RunConfig` defaults
/// (`DEFAULT_FUEL_PER_CALL`, `DEFAULT_MEMORY_BYTES`; a test keeps them equal). The costliest
/// call measured in BENCHMARKS.md, the order filter over 1,000 ids, takes 33 M fuel: 60×
/// headroom.
const FUEL_PER_CALL: u64 = 2_000_000_000;
const MEMORY_BYTES: u64 = 64 << 20;

fn main() {
    let manifest_dir =
        PathBuf::from(env::var_os("CARGO_MANIFEST_DIR").expect("CARGO_MANIFEST_DIR"));
    let workspace = manifest_dir
        .ancestors()
        .nth(2)
        .expect("host-harness/component lives inside the workspace")
        .to_path_buf();
    let out_dir = PathBuf::from(env::var_os("OUT_DIR").expect("OUT_DIR"));

    println!("cargo:rerun-if-env-changed={PREBUILT_ENV}");
    if let Some(prebuilt) = env::var_os(PREBUILT_ENV).filter(|p| !p.is_empty()) {
        let prebuilt = PathBuf::from(prebuilt);
        println!("cargo:rerun-if-changed={}", prebuilt.display());
        println!(
            "cargo:warning=embedding the prebuilt component {} ({PREBUILT_ENV}); plugin/ is not built",
            prebuilt.display()
        );
        let component = read(&prebuilt);
        let beside = prebuilt.with_file_name(manifest_name(&prebuilt));
        println!("cargo:rerun-if-changed={}", beside.display());
        let manifest = match std::fs::read_to_string(&beside) {
            Ok(text) => text,
            Err(_) => manifest(&component, &package(&workspace)),
        };
        write(&out_dir.join(ARTIFACT), &component);
        write(&out_dir.join(MANIFEST), manifest.as_bytes());
        return;
    }

    for path in [
        "build.rs",
        "../../plugin/src",
        "../../plugin/Cargo.toml",
        "../../wit",
        // Dependency versions, the release profile and the package metadata live here.
        "../../Cargo.toml",
        "../../Cargo.lock",
    ] {
        println!("cargo:rerun-if-changed={path}");
    }

    ensure_wasm_target();
    let target_dir = workspace.join("target").join("plugin");
    let core = build_core_module(&workspace, &target_dir);
    let package = package(&workspace);
    let component = encode(&core, &package, revision(&workspace).as_deref());
    let manifest = manifest(&component, &package);

    write(&out_dir.join(ARTIFACT), &component);
    write(&out_dir.join(MANIFEST), manifest.as_bytes());
    let dist = target_dir.join("dist");
    write(&dist.join(ARTIFACT), &component);
    write(&dist.join(MANIFEST), manifest.as_bytes());
}

/// `cargo build` of the plugin for [`TARGET`], release profile; returns the core module.
fn build_core_module(workspace: &Path, target_dir: &Path) -> Vec<u8> {
    let mut cmd = Command::new(env::var_os("CARGO").unwrap_or_else(|| "cargo".into()));
    cmd.current_dir(workspace)
        .arg("build")
        .arg("--manifest-path")
        .arg(workspace.join("Cargo.toml"))
        .args(["-p", PACKAGE, "--release", "--target", TARGET])
        .arg("--target-dir")
        .arg(target_dir);
    // These describe the outer (native) build and would leak into the wasm build: flags for
    // another target, another target dir, or clippy-driver wrapping rustc under `cargo clippy`.
    for var in [
        "CARGO_ENCODED_RUSTFLAGS",
        "RUSTFLAGS",
        "CARGO_BUILD_RUSTFLAGS",
        "CARGO_TARGET_DIR",
        "CARGO_BUILD_TARGET",
        "CARGO_BUILD_TARGET_DIR",
        "RUSTC_WORKSPACE_WRAPPER",
        "CLIPPY_ARGS",
        "CARGO_PRIMARY_PACKAGE",
    ] {
        cmd.env_remove(var);
    }
    // Reproducible bytes: panic locations name source files, and those of dependencies are
    // absolute paths in this machine's cargo home. (The workspace's own files are already
    // relative, and the standard library's are `/rustc/<commit>/…`.) Cargo leaves
    // `--remap-path-prefix` out of its hashes, so these flags change no symbol.
    let mut remaps = vec![(workspace.to_path_buf(), "/order-messages")];
    if let Some(home) = cargo_home() {
        remaps.push((home, "/cargo"));
    }
    if let Some(sysroot) = sysroot() {
        remaps.push((sysroot, "/rust"));
    }
    let flags: Vec<String> = remaps
        .iter()
        .map(|(from, to)| format!("--remap-path-prefix={}={to}", from.display()))
        .collect();
    cmd.env("CARGO_ENCODED_RUSTFLAGS", flags.join("\x1f"));

    let output = cmd
        .output()
        .unwrap_or_else(|e| panic!("could not run cargo to build the plugin ({cmd:?}): {e}"));
    if !output.status.success() {
        eprintln!("{}", String::from_utf8_lossy(&output.stdout));
        eprintln!("{}", String::from_utf8_lossy(&output.stderr));
        panic!(
            "building the plugin failed ({}); command: {cmd:?}",
            output.status
        );
    }
    read(&target_dir.join(TARGET).join("release").join(ARTIFACT))
}

/// The plugin's package metadata, as Cargo resolves it (workspace inheritance included).
struct Package {
    name: String,
    version: String,
    description: Option<String>,
    license: Option<String>,
    repository: Option<String>,
    homepage: Option<String>,
}

fn package(workspace: &Path) -> Package {
    let cargo = env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let output = Command::new(cargo)
        .current_dir(workspace)
        .args([
            "metadata",
            "--format-version",
            "1",
            "--no-deps",
            "--offline",
        ])
        .arg("--manifest-path")
        .arg(workspace.join("Cargo.toml"))
        .output()
        .expect("running cargo metadata");
    assert!(
        output.status.success(),
        "cargo metadata failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let metadata: serde_json::Value =
        serde_json::from_slice(&output.stdout).expect("cargo metadata prints JSON");
    let plugin = metadata["packages"]
        .as_array()
        .and_then(|packages| packages.iter().find(|p| p["name"] == PACKAGE))
        .expect("the workspace has the plugin package");
    let text = |field: &str| plugin[field].as_str().map(str::to_owned);
    Package {
        name: text("name").expect("a package has a name"),
        version: text("version").expect("a package has a version"),
        description: text("description"),
        license: text("license"),
        repository: text("repository"),
        homepage: text("homepage"),
    }
}

/// The git commit the workspace is at, with `-dirty` when the files the component is built
/// from differ from it (so a component never claims a commit it was not built from). `None`
/// outside a git checkout. Rebuilds when HEAD moves.
fn revision(workspace: &Path) -> Option<String> {
    let git = |args: &[&str]| -> Option<String> {
        let output = Command::new("git")
            .current_dir(workspace)
            .args(args)
            .output()
            .ok()
            .filter(|o| o.status.success())?;
        Some(String::from_utf8_lossy(&output.stdout).trim().to_owned())
    };
    let commit = git(&["rev-parse", "--verify", "HEAD"])?;
    // HEAD, and the branch it names, change when a commit is made or checked out.
    let mut watched = vec![git(&["rev-parse", "--git-path", "HEAD"])];
    if let Some(branch) = git(&["symbolic-ref", "-q", "HEAD"]) {
        watched.push(git(&["rev-parse", "--git-path", &branch]));
        watched.push(git(&["rev-parse", "--git-path", "packed-refs"]));
    }
    for path in watched.into_iter().flatten() {
        let path = workspace.join(path);
        if path.exists() {
            println!("cargo:rerun-if-changed={}", path.display());
        }
    }
    let changed = git(&[
        "status",
        "--porcelain",
        "--",
        "plugin",
        "wit",
        "Cargo.toml",
        "Cargo.lock",
        "host-harness/component/build.rs",
        "host-harness/component/Cargo.toml",
    ])?;
    Some(if changed.is_empty() {
        commit
    } else {
        format!("{commit}-dirty")
    })
}

/// The core module as a component, with the package's metadata.
fn encode(core: &[u8], package: &Package, revision: Option<&str>) -> Vec<u8> {
    let component = wit_component::ComponentEncoder::default()
        .module(core)
        .and_then(|encoder| encoder.validate(true).encode())
        .unwrap_or_else(|e| panic!("encoding the plugin as a component failed: {e:?}"));

    let mut metadata = AddMetadata::default();
    metadata.name = AddMetadataField::Set(package.name.clone());
    metadata.version = AddMetadataField::Set(wasm_metadata::Version::new(package.version.clone()));
    if let Some(description) = &package.description {
        metadata.description =
            AddMetadataField::Set(wasm_metadata::Description::new(description.clone()));
    }
    if let Some(license) = &package.license {
        metadata.licenses = AddMetadataField::Set(
            wasm_metadata::Licenses::new(license).expect("the license is an SPDX expression"),
        );
    }
    if let Some(repository) = &package.repository {
        metadata.source = AddMetadataField::Set(
            wasm_metadata::Source::new(repository).expect("the repository is a URL"),
        );
    }
    if let Some(homepage) = &package.homepage {
        metadata.homepage = AddMetadataField::Set(
            wasm_metadata::Homepage::new(homepage).expect("the homepage is a URL"),
        );
    }
    if let Some(revision) = revision {
        metadata.revision =
            AddMetadataField::Set(wasm_metadata::Revision::new(revision.to_owned()));
    }
    metadata
        .to_wasm(&component)
        .unwrap_or_else(|e| panic!("adding metadata to the component failed: {e:?}"))
}

/// The manifest of `component`: read from the component itself (its metadata, its WIT
/// imports and exports, its digest), with `package` filling in what it does not carry.
fn manifest(component: &[u8], package: &Package) -> String {
    let decoded = wit_component::decode(component)
        .unwrap_or_else(|e| panic!("the component does not decode: {e:?}"));
    let wit_component::DecodedWasm::Component(resolve, world) = decoded else {
        panic!("the addon must be a component, not a WIT package");
    };
    let world = &resolve.worlds[world];
    let names = |items: &mut dyn Iterator<Item = &wit_parser::WorldKey>| -> Vec<String> {
        items.map(|key| resolve.name_world_key(key)).collect()
    };
    let imports = names(&mut world.imports.keys());
    let exports = names(&mut world.exports.keys());

    // The contract: the package (and version) of the interfaces it exports.
    let contracts: BTreeSet<(String, Option<String>)> = world
        .exports
        .keys()
        .filter_map(|key| match key {
            wit_parser::WorldKey::Interface(id) => resolve.interfaces[*id].package,
            wit_parser::WorldKey::Name(_) => None,
        })
        .map(|pkg| {
            let name = &resolve.packages[pkg].name;
            (
                format!("{}:{}", name.namespace, name.name),
                name.version.as_ref().map(ToString::to_string),
            )
        })
        .collect();
    let contracts: Vec<_> = contracts.into_iter().collect();
    let [(contract, Some(contract_version))] = contracts.as_slice() else {
        panic!("the component must export interfaces of one versioned WIT package");
    };
    let contract_version =
        semver::Version::parse(contract_version).expect("WIT versions are semver");

    let payload = wasm_metadata::Payload::from_binary(component)
        .unwrap_or_else(|e| panic!("reading the component's metadata failed: {e:?}"));
    let meta = payload.metadata();
    let own = |field: Option<String>, fallback: &Option<String>| field.or_else(|| fallback.clone());
    let digest = Sha256::digest(component);

    let mut out = String::new();
    out.push_str(
        "# The order-messages addon's manifest: what a host checks before it runs the component\n\
         # beside it (order-messages-host: `Manifest`). Generated by\n\
         # host-harness/component/build.rs from the component itself.\n\n",
    );
    out.push_str("manifest-version = 1\n\n[addon]\n");
    field(&mut out, "id", Some(&package.name));
    let version = own(meta.version.as_ref().map(ToString::to_string), &None)
        .unwrap_or_else(|| package.version.clone());
    field(&mut out, "version", Some(&version));
    for (key, value) in [
        (
            "description",
            own(
                meta.description.as_ref().map(ToString::to_string),
                &package.description,
            ),
        ),
        (
            "license",
            own(
                meta.licenses.as_ref().map(ToString::to_string),
                &package.license,
            ),
        ),
        (
            "source",
            own(
                meta.source.as_ref().map(ToString::to_string),
                &package.repository,
            ),
        ),
        (
            "homepage",
            own(
                meta.homepage.as_ref().map(ToString::to_string),
                &package.homepage,
            ),
        ),
        ("revision", meta.revision.as_ref().map(ToString::to_string)),
    ] {
        field(&mut out, key, value.as_deref());
    }

    out.push_str("\n[component]\n");
    field(&mut out, "file", Some(ARTIFACT));
    writeln!(out, "size = {}", component.len()).unwrap();
    field(&mut out, "sha256", Some(&hex(&digest)));

    out.push_str(
        "\n# The contract it implements, and the versions of it a host may serve it under (a\n\
         # semver requirement: a pre-release only as itself, 0.x within its minor version).\n\
         [contract]\n",
    );
    field(&mut out, "package", Some(contract));
    field(&mut out, "version", Some(&contract_version.to_string()));
    field(&mut out, "requires", Some(&requirement(&contract_version)));
    list(&mut out, "imports", &imports);
    list(&mut out, "exports", &exports);

    out.push_str(
        "\n# What one call may use: fuel (about one per wasm instruction) and linear memory. The\n\
         # costliest call in BENCHMARKS.md takes 33 M fuel.\n\
         [budget]\n",
    );
    writeln!(out, "fuel-per-call = {FUEL_PER_CALL}").unwrap();
    writeln!(out, "memory-bytes = {MEMORY_BYTES}").unwrap();
    out
}

/// The contract versions a component built against `v` links with, as a semver requirement:
/// components bind interface names with versions, and hosts link them semver-aware, so a
/// component of `1.2.0` runs where `1.x` (x ≥ 2) is served, `0.2.1` where `0.2.x` (x ≥ 1) is;
/// a pre-release only as itself.
fn requirement(v: &semver::Version) -> String {
    if !v.pre.is_empty() {
        format!("={v}")
    } else if v.major > 0 {
        format!(">={v}, <{}.0.0", v.major + 1)
    } else {
        format!(">={v}, <0.{}.0", v.minor + 1)
    }
}

fn field(out: &mut String, key: &str, value: Option<&str>) {
    if let Some(value) = value {
        writeln!(out, "{key} = {}", toml_string(value)).unwrap();
    }
}

fn list(out: &mut String, key: &str, values: &[String]) {
    writeln!(out, "{key} = [").unwrap();
    for value in values {
        writeln!(out, "    {},", toml_string(value)).unwrap();
    }
    out.push_str("]\n");
}

/// A TOML basic string.
fn toml_string(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if c.is_control() => write!(out, "\\u{:04X}", c as u32).unwrap(),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().fold(String::new(), |mut s, b| {
        write!(s, "{b:02x}").unwrap();
        s
    })
}

/// `order_messages.wasm` → `order_messages.manifest.toml`.
fn manifest_name(wasm: &Path) -> String {
    let stem = wasm
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    format!("{stem}.manifest.toml")
}

fn cargo_home() -> Option<PathBuf> {
    env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| env::var_os("HOME").map(|home| PathBuf::from(home).join(".cargo")))
}

fn sysroot() -> Option<PathBuf> {
    let rustc = env::var_os("RUSTC").unwrap_or_else(|| "rustc".into());
    let output = Command::new(rustc)
        .args(["--print", "sysroot"])
        .output()
        .ok()?;
    output
        .status
        .success()
        .then(|| PathBuf::from(String::from_utf8_lossy(&output.stdout).trim()))
}

/// Makes sure the standard library for [`TARGET`] is installed, installing it with rustup
/// when it is missing.
fn ensure_wasm_target() {
    let rustc = env::var_os("RUSTC").unwrap_or_else(|| "rustc".into());
    let installed = || {
        Command::new(&rustc)
            .args(["--print", "target-libdir", "--target", TARGET])
            .output()
            .ok()
            .filter(|o| o.status.success())
            .map(|o| PathBuf::from(String::from_utf8_lossy(&o.stdout).trim()))
            .is_some_and(|dir| dir.is_dir())
    };
    if installed() {
        return;
    }
    let added = Command::new("rustup")
        .args(["target", "add", TARGET])
        .status()
        .is_ok_and(|s| s.success());
    if !added || !installed() {
        panic!(
            "the Rust target `{TARGET}` is not installed and could not be added automatically; \
             run `rustup target add {TARGET}` and build again"
        );
    }
}

fn read(path: &Path) -> Vec<u8> {
    std::fs::read(path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()))
}

/// Writes through a temporary file and a rename, so a reader never sees half a file.
fn write(path: &Path, bytes: &[u8]) {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).unwrap_or_else(|e| panic!("creating {}: {e}", dir.display()));
    }
    let tmp = path.with_extension(format!("tmp{}", std::process::id()));
    std::fs::write(&tmp, bytes)
        .and_then(|()| std::fs::rename(&tmp, path))
        .unwrap_or_else(|e| panic!("writing {}: {e}", path.display()));
}
