//! The addon manifest: the one built with this build's component describes it (digest,
//! contract, imports, exports, the host's default budget), and a component that does not match
//! its manifest is refused with the typed error that says why.

use std::sync::OnceLock;

use order_messages_host::{
    Addon, ContractVersion, DEFAULT_FUEL_PER_CALL, DEFAULT_MEMORY_BYTES, Manifest, ManifestError,
    RunConfig,
};

/// The released 0.1.0 component, kept as a fixture.
const RELEASED_0_1_0: &[u8] = include_bytes!("fixtures/order_messages-0.1.0.wasm");

fn addon() -> &'static Addon {
    static ADDON: OnceLock<Addon> = OnceLock::new();
    ADDON.get_or_init(|| Addon::from_bytes(order_messages_component::WASM).unwrap())
}

fn released() -> &'static Addon {
    static ADDON: OnceLock<Addon> = OnceLock::new();
    ADDON.get_or_init(|| Addon::from_bytes(RELEASED_0_1_0).unwrap())
}

/// The manifest built with this build's component.
fn manifest() -> Manifest {
    Manifest::parse(order_messages_component::MANIFEST).expect("the built manifest parses")
}

fn names(addon: &Addon, imports: bool) -> Vec<String> {
    let ty = addon.component().component_type();
    let engine = addon.engine();
    if imports {
        ty.imports(engine).map(|(n, _)| n.to_owned()).collect()
    } else {
        ty.exports(engine).map(|(n, _)| n.to_owned()).collect()
    }
}

#[test]
fn the_built_manifest_describes_the_built_component() {
    let manifest = manifest();
    let addon = addon();
    manifest.check(addon).expect("the component matches");
    manifest
        .check_bytes(order_messages_component::WASM)
        .expect("the bytes match");

    assert_eq!(manifest.component.sha256, addon.sha256());
    assert_eq!(manifest.component.size, addon.size() as u64);
    assert_eq!(manifest.component.file, "order_messages.wasm");
    assert_eq!(manifest.contract.package, "storefront:order-messages");
    assert_eq!(manifest.contract.version, addon.contract_version().as_str());
    assert_eq!(manifest.contract.imports, names(addon, true));
    assert_eq!(manifest.contract.exports, names(addon, false));
    assert_eq!(manifest.addon.id, "order-messages");
    assert_eq!(manifest.addon.version, env!("CARGO_PKG_VERSION"));
    assert_eq!(
        manifest.addon.license.as_deref(),
        Some(env!("CARGO_PKG_LICENSE"))
    );
    assert_eq!(
        manifest.addon.source.as_deref(),
        Some(env!("CARGO_PKG_REPOSITORY"))
    );
    assert_eq!(
        manifest.addon.homepage.as_deref(),
        Some(env!("CARGO_PKG_HOMEPAGE"))
    );

    // The budget is what the host runs calls with by default.
    assert_eq!(manifest.budget.fuel_per_call, DEFAULT_FUEL_PER_CALL);
    assert_eq!(manifest.budget.memory_bytes, DEFAULT_MEMORY_BYTES as u64);
    let config = manifest.run_config(RunConfig::default());
    assert_eq!(config.fuel_per_call, RunConfig::default().fuel_per_call);
    assert_eq!(config.memory_bytes, RunConfig::default().memory_bytes);

    // A pre-release contract is served only as itself.
    let requires = semver::VersionReq::parse(&manifest.contract.requires).unwrap();
    let served: Vec<_> = ContractVersion::ALL
        .into_iter()
        .filter(|v| requires.matches(&v.semver()))
        .collect();
    assert_eq!(served, [addon.contract_version()]);

    let checked = addon.with_manifest(manifest.clone()).unwrap();
    assert_eq!(checked.manifest(), Some(&manifest));
    assert_eq!(addon.manifest(), None, "the unchecked addon is unchanged");
}

#[test]
fn a_component_that_is_not_the_manifests_bytes_is_refused() {
    let mut manifest = manifest();
    manifest.component.sha256 = "0".repeat(64);
    let refused = addon().with_manifest(manifest.clone()).unwrap_err();
    assert!(
        matches!(refused, ManifestError::Sha256Mismatch { .. }),
        "{refused}"
    );
    assert_eq!(
        manifest.check_bytes(order_messages_component::WASM),
        Err(refused.clone())
    );
    assert!(refused.to_string().contains(addon().sha256()), "{refused}");

    // The released 0.1.0 component against this build's manifest: other bytes.
    let refused = released().with_manifest(self::manifest()).unwrap_err();
    assert!(
        matches!(refused, ManifestError::Sha256Mismatch { .. }),
        "{refused}"
    );
}

/// A manifest written for `addon` (its own digest) from this build's manifest.
fn for_addon(addon: &Addon) -> Manifest {
    let mut manifest = manifest();
    manifest.component.sha256 = addon.sha256().to_owned();
    manifest.component.size = addon.size() as u64;
    manifest
}

#[test]
fn a_contract_range_this_host_does_not_serve_is_refused() {
    let mut manifest = for_addon(addon());
    manifest.contract.requires = ">=0.3.0, <0.4.0".into();
    let refused = addon().with_manifest(manifest).unwrap_err();
    assert_eq!(
        refused,
        ManifestError::ContractNotServed {
            requires: ">=0.3.0, <0.4.0".into(),
            served: ContractVersion::ALL.to_vec(),
        }
    );
    assert!(
        refused.to_string().contains("0.1.0, 0.2.0-draft"),
        "{refused}"
    );
}

#[test]
fn a_contract_the_component_does_not_implement_is_refused() {
    // A range this host serves, but not the component's version.
    let mut manifest = for_addon(addon());
    manifest.contract.requires = "=0.1.0".into();
    let refused = addon().with_manifest(manifest).unwrap_err();
    assert!(
        matches!(
            refused,
            ManifestError::ContractMismatch {
                component: ContractVersion::V0_2_0,
                ..
            }
        ),
        "{refused}"
    );

    // The 0.1.0 component described as this build's 0.2.0-draft one.
    let refused = released().with_manifest(for_addon(released())).unwrap_err();
    assert!(
        matches!(
            refused,
            ManifestError::ContractMismatch {
                component: ContractVersion::V0_1_0,
                ..
            }
        ),
        "{refused}"
    );
}

#[test]
fn imports_or_exports_other_than_the_manifests_are_refused() {
    let mut manifest = for_addon(addon());
    let dropped = manifest.contract.imports.pop().unwrap();
    manifest
        .contract
        .imports
        .push("wasi:filesystem/types@0.2.0".into());
    let refused = addon().with_manifest(manifest).unwrap_err();
    assert_eq!(
        refused,
        ManifestError::InterfacesDiffer {
            kind: "imports",
            undeclared: vec![dropped],
            absent: vec!["wasi:filesystem/types@0.2.0".into()],
        }
    );

    let mut manifest = for_addon(addon());
    manifest
        .contract
        .exports
        .retain(|e| !e.contains("/maintenance@"));
    let refused = addon().with_manifest(manifest).unwrap_err();
    assert!(
        matches!(&refused, ManifestError::InterfacesDiffer { kind: "exports", undeclared, absent }
            if undeclared.len() == 1 && undeclared[0].contains("/maintenance@") && absent.is_empty()),
        "{refused}"
    );

    // The released 0.1.0 component, described with its own contract and the imports its world
    // declares: the WASI interfaces its standard library pulled in are undeclared.
    let mut manifest = for_addon(released());
    manifest.contract.version = "0.1.0".into();
    manifest.contract.requires = ">=0.1.0, <0.2.0".into();
    manifest.contract.imports = names(released(), true)
        .into_iter()
        .filter(|n| n.starts_with("storefront:"))
        .collect();
    manifest.contract.exports = names(released(), false);
    let refused = released().with_manifest(manifest).unwrap_err();
    let ManifestError::InterfacesDiffer {
        kind: "imports",
        undeclared,
        absent,
    } = &refused
    else {
        panic!("{refused}");
    };
    assert!(absent.is_empty(), "{refused}");
    assert!(
        undeclared.iter().all(|n| n.starts_with("wasi:")) && undeclared.len() > 10,
        "{refused}"
    );
}

#[test]
fn malformed_manifests_are_refused() {
    let text = order_messages_component::MANIFEST;
    let sha = manifest().component.sha256;
    for (what, bad) in [
        (
            "another format",
            text.replace("manifest-version = 1", "manifest-version = 2"),
        ),
        ("a short digest", text.replace(&sha, &sha[..40])),
        (
            "an uppercase digest",
            text.replace(&sha, &sha.to_uppercase()),
        ),
        (
            "a requirement that is not semver",
            text.replace("requires = \"", "requires = \"about "),
        ),
        (
            "an unknown field",
            text.replace("[budget]", "[budget]\nthreads = 4"),
        ),
        (
            "a missing section",
            text.replace("[budget]", "[budget-old]"),
        ),
        ("not TOML", "{\"manifest-version\": 1}".to_owned()),
    ] {
        assert_ne!(bad, text, "{what}: the test changes nothing");
        match Manifest::parse(&bad) {
            Err(ManifestError::Invalid(_)) => {}
            other => panic!("{what}: {other:?}"),
        }
    }
}

#[test]
fn a_distributed_file_is_loaded_only_with_a_manifest_that_matches_it() {
    let dir = tempfile::tempdir().unwrap();
    let wasm = dir.path().join("order_messages.wasm");
    let manifest_path = Manifest::path_beside(&wasm);
    assert_eq!(
        manifest_path,
        dir.path().join("order_messages.manifest.toml")
    );

    // No manifest beside it: refused.
    std::fs::write(&wasm, order_messages_component::WASM).unwrap();
    let refused = Addon::from_file_with_manifest(&wasm).unwrap_err();
    assert!(
        matches!(
            refused.downcast_ref::<ManifestError>(),
            Some(ManifestError::Invalid(_))
        ),
        "{refused:#}"
    );

    // Its manifest beside it: loaded and checked.
    std::fs::write(&manifest_path, order_messages_component::MANIFEST).unwrap();
    let addon = Addon::from_file_with_manifest(&wasm).unwrap();
    assert_eq!(addon.manifest(), Some(&manifest()));

    // One byte of the file changed: refused before anything runs.
    let mut tampered = order_messages_component::WASM.to_vec();
    let last = tampered.len() - 1;
    tampered[last] ^= 1;
    std::fs::write(&wasm, &tampered).unwrap();
    let refused = Addon::from_file_with_manifest(&wasm).unwrap_err();
    assert!(
        matches!(
            refused.downcast_ref::<ManifestError>(),
            Some(ManifestError::Sha256Mismatch { .. })
        ),
        "{refused:#}"
    );
    assert!(
        format!("{refused:#}").contains("order_messages.manifest.toml"),
        "{refused:#}"
    );
}
