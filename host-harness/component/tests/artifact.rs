//! The built component is a file any component host can take as it is: it imports exactly what
//! its WIT world declares (no WASI beyond the world's wall clock), carries its package's
//! metadata and the commit it was built from, and holds no path of the machine that built it.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use order_messages_component::WASM;
use wit_parser::{Resolve, WorldKey};

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .nth(2)
        .unwrap()
        .to_path_buf()
}

/// The names of a world's imports and exports, as components name them.
fn names(resolve: &Resolve, keys: &mut dyn Iterator<Item = &WorldKey>) -> BTreeSet<String> {
    keys.map(|key| resolve.name_world_key(key)).collect()
}

#[test]
fn imports_and_exports_are_exactly_the_worlds() {
    // The world as the contract declares it (wit-parser adds the interfaces its imports use,
    // `types`).
    let mut contract = Resolve::default();
    let (package, _) = contract
        .push_dir(workspace().join("wit/v0.2.0"))
        .expect("wit/v0.2.0 parses");
    let world = contract.select_world(&[package], Some("addon")).unwrap();
    let world = &contract.worlds[world];
    let declared_imports = names(&contract, &mut world.imports.keys());
    let declared_exports = names(&contract, &mut world.exports.keys());

    // The world the component carries.
    let wit_component::DecodedWasm::Component(resolve, built) =
        wit_component::decode(WASM).expect("the component decodes")
    else {
        panic!("the artifact is a WIT package, not a component");
    };
    let built = &resolve.worlds[built];
    let imports = names(&resolve, &mut built.imports.keys());
    let exports = names(&resolve, &mut built.exports.keys());

    assert_eq!(imports, declared_imports);
    assert_eq!(exports, declared_exports);
    // The one WASI import, under WASI 0.2.0's name so that every 0.2 host links it.
    let wasi: Vec<&String> = imports.iter().filter(|n| n.starts_with("wasi:")).collect();
    assert_eq!(wasi, ["wasi:clocks/wall-clock@0.2.0"]);
}

/// The plugin package's metadata, as Cargo resolves it.
fn plugin_package() -> serde_json::Value {
    let output = Command::new(env!("CARGO"))
        .current_dir(workspace())
        .args([
            "metadata",
            "--format-version",
            "1",
            "--no-deps",
            "--offline",
        ])
        .output()
        .unwrap();
    assert!(output.status.success());
    let metadata: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    metadata["packages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "order-messages")
        .unwrap()
        .clone()
}

#[test]
fn the_component_carries_its_packages_metadata_and_commit() {
    let payload = wasm_metadata::Payload::from_binary(WASM).unwrap();
    let wasm_metadata::Payload::Component { metadata, .. } = &payload else {
        panic!("not a component");
    };
    let package = plugin_package();
    let text = |v: Option<String>| v.unwrap_or_else(|| "(missing)".into());
    assert_eq!(text(metadata.name.clone()), package["name"]);
    assert_eq!(
        text(metadata.version.as_ref().map(|v| v.to_string())),
        package["version"]
    );
    assert_eq!(
        text(metadata.description.as_ref().map(|v| v.to_string())),
        package["description"]
    );
    assert_eq!(
        text(metadata.licenses.as_ref().map(|v| v.to_string())),
        package["license"]
    );
    assert_eq!(
        text(metadata.source.as_ref().map(|v| v.to_string())),
        package["repository"]
    );
    assert_eq!(
        text(metadata.homepage.as_ref().map(|v| v.to_string())),
        package["homepage"]
    );

    // The revision is a commit of this repository (when built inside a git checkout).
    let revision = metadata.revision.as_ref().map(|v| v.to_string());
    let in_git = Command::new("git")
        .current_dir(workspace())
        .args(["rev-parse", "--verify", "HEAD"])
        .output()
        .is_ok_and(|o| o.status.success());
    if in_git {
        let revision = revision.expect("a revision");
        let commit = revision.strip_suffix("-dirty").unwrap_or(&revision);
        assert_eq!(commit.len(), 40, "{revision}");
        let known = Command::new("git")
            .current_dir(workspace())
            .args(["cat-file", "-e", &format!("{commit}^{{commit}}")])
            .status()
            .unwrap();
        assert!(known.success(), "{revision} is not a commit here");
    }
}

#[test]
fn no_path_of_the_build_machine_is_inside() {
    let mut paths: Vec<PathBuf> = vec![workspace()];
    if let Some(home) = std::env::var_os("CARGO_HOME") {
        paths.push(home.into());
    }
    if let Some(home) = std::env::var_os("HOME") {
        paths.push(PathBuf::from(&home).join(".cargo"));
        paths.push(PathBuf::from(home).join(".rustup"));
    }
    let sysroot = Command::new("rustc")
        .args(["--print", "sysroot"])
        .output()
        .unwrap();
    paths.push(PathBuf::from(
        String::from_utf8_lossy(&sysroot.stdout).trim().to_owned(),
    ));
    for path in paths {
        let needle = path.to_string_lossy();
        assert!(
            !WASM.windows(needle.len()).any(|w| w == needle.as_bytes()),
            "the component contains the build machine's path {needle}"
        );
    }
}
