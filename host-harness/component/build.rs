//! Builds the plugin component (`order-messages` for `wasm32-wasip2`) and copies it into
//! `OUT_DIR`, so this crate can embed it with `include_bytes!`.
//!
//! Modelled on wasmtime's `test-programs-artifacts` build script: a nested `cargo build` with
//! its own `--target-dir` (so it never waits on the outer build's lock) and with the outer
//! build's target/flag/wrapper variables removed (they describe the host build, not the wasm
//! one).
//!
//! Set `ORDER_MESSAGES_WASM=/path/to/component.wasm` to embed a prebuilt component instead of
//! building the plugin (a component built elsewhere, or a known-good one while the plugin's
//! source does not compile).

use std::env;
use std::path::{Path, PathBuf};
use std::process::Command;

const TARGET: &str = "wasm32-wasip2";
const PACKAGE: &str = "order-messages";
const ARTIFACT: &str = "order_messages.wasm";
/// Names a prebuilt component to embed instead of building the plugin.
const PREBUILT_ENV: &str = "ORDER_MESSAGES_WASM";

fn main() {
    let manifest_dir =
        PathBuf::from(env::var_os("CARGO_MANIFEST_DIR").expect("CARGO_MANIFEST_DIR"));
    let workspace = manifest_dir
        .ancestors()
        .nth(2)
        .expect("host-harness/component lives inside the workspace")
        .to_path_buf();
    let out_dir = PathBuf::from(env::var_os("OUT_DIR").expect("OUT_DIR"));

    let dest = out_dir.join(ARTIFACT);
    println!("cargo:rerun-if-env-changed={PREBUILT_ENV}");
    if let Some(prebuilt) = env::var_os(PREBUILT_ENV).filter(|p| !p.is_empty()) {
        let prebuilt = PathBuf::from(prebuilt);
        println!("cargo:rerun-if-changed={}", prebuilt.display());
        println!(
            "cargo:warning=embedding the prebuilt component {} ({PREBUILT_ENV}); plugin/ is not built",
            prebuilt.display()
        );
        copy(&prebuilt, &dest);
        return;
    }

    for path in [
        "build.rs",
        "../../plugin/src",
        "../../plugin/Cargo.toml",
        "../../wit",
        // Dependency versions and the release profile of the plugin live here.
        "../../Cargo.toml",
        "../../Cargo.lock",
    ] {
        println!("cargo:rerun-if-changed={path}");
    }

    ensure_wasm_target();

    let target_dir = workspace.join("target").join("plugin");
    let mut cmd = Command::new(env::var_os("CARGO").unwrap_or_else(|| "cargo".into()));
    cmd.current_dir(&workspace)
        .arg("build")
        .arg("--manifest-path")
        .arg(workspace.join("Cargo.toml"))
        .args(["-p", PACKAGE, "--release", "--target", TARGET])
        .arg("--target-dir")
        .arg(&target_dir);
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

    let output = cmd
        .output()
        .unwrap_or_else(|e| panic!("could not run cargo to build the plugin ({cmd:?}): {e}"));
    if !output.status.success() {
        eprintln!("{}", String::from_utf8_lossy(&output.stdout));
        eprintln!("{}", String::from_utf8_lossy(&output.stderr));
        panic!(
            "building the plugin component failed ({}); command: {cmd:?}",
            output.status
        );
    }

    let built = target_dir.join(TARGET).join("release").join(ARTIFACT);
    copy(&built, &dest);
}

/// Makes sure the standard library for `wasm32-wasip2` is installed, installing it with rustup
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

fn copy(from: &Path, to: &Path) {
    std::fs::copy(from, to).unwrap_or_else(|e| {
        panic!(
            "the plugin build succeeded but {} could not be copied to {}: {e}",
            from.display(),
            to.display()
        )
    });
}
