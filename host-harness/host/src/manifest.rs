//! The addon manifest: the TOML file shipped next to the component
//! (`order_messages.wasm` → `order_messages.manifest.toml`) that says what the component is
//! and what it needs, so a platform can refuse a file that is not what it claims before
//! running it.
//!
//! ```toml
//! manifest-version = 1
//!
//! [addon]
//! id = "order-messages"
//! version = "0.1.0"
//! description = "…"              # optional, like license, source, homepage, revision
//!
//! [component]
//! file = "order_messages.wasm"
//! size = 641215
//! sha256 = "0b50dc…"
//!
//! [contract]
//! package = "storefront:order-messages"
//! version = "0.2.0-draft"        # the version it implements
//! requires = "=0.2.0-draft"      # the versions a host may serve it under (semver)
//! imports = ["storefront:order-messages/storage@0.2.0-draft", …, "wasi:clocks/wall-clock@0.2.0"]
//! exports = ["storefront:order-messages/messaging@0.2.0-draft", …]
//!
//! [budget]                       # what one call may use
//! fuel-per-call = 2000000000
//! memory-bytes = 67108864
//! ```
//!
//! The component crate's build script writes it. [`Addon::with_manifest`] and
//! [`Addon::from_file_with_manifest`] check a component against it and refuse a mismatch with
//! a [`ManifestError`].

use std::fmt;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::{Addon, ContractVersion, RunConfig};

/// The one manifest format this crate reads.
pub const MANIFEST_VERSION: u32 = 1;

/// An addon manifest (see the [module documentation](self)).
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct Manifest {
    /// The format's version: [`MANIFEST_VERSION`].
    pub manifest_version: u32,
    /// What the addon is.
    pub addon: AddonInfo,
    /// The component file.
    pub component: ComponentFile,
    /// The contract it implements and what it imports.
    pub contract: Contract,
    /// What one call may use.
    pub budget: Budget,
}

/// `[addon]`: the addon's identity and provenance (the component's embedded metadata).
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct AddonInfo {
    /// A stable identifier, e.g. `order-messages`.
    pub id: String,
    /// The addon's version (semver).
    pub version: String,
    /// What it does.
    pub description: Option<String>,
    /// Its license, as an SPDX expression.
    pub license: Option<String>,
    /// Where its source is.
    pub source: Option<String>,
    /// Where to learn more.
    pub homepage: Option<String>,
    /// The source revision (git commit) it was built from.
    pub revision: Option<String>,
}

/// `[component]`: the file the manifest describes.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct ComponentFile {
    /// Its file name, next to the manifest.
    pub file: String,
    /// Its size in bytes.
    pub size: u64,
    /// The SHA-256 of its bytes, in lowercase hex.
    pub sha256: String,
}

/// `[contract]`: the WIT contract the component implements.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct Contract {
    /// The WIT package, `storefront:order-messages`.
    pub package: String,
    /// The version it was built against, e.g. `0.2.0-draft`.
    pub version: String,
    /// The versions a host may serve it under, as a semver requirement (`=0.2.0-draft`,
    /// `>=0.2.0, <0.3.0`).
    pub requires: String,
    /// Every import of the component, by its full name
    /// (`storefront:order-messages/storage@0.2.0-draft`, `wasi:clocks/wall-clock@0.2.0`).
    pub imports: Vec<String>,
    /// Every export of the component, by its full name.
    pub exports: Vec<String>,
}

/// `[budget]`: the limits one call runs under.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct Budget {
    /// Fuel per call ([`RunConfig::fuel_per_call`]).
    pub fuel_per_call: u64,
    /// Linear memory cap per instance ([`RunConfig::memory_bytes`]).
    pub memory_bytes: u64,
}

/// Why a manifest was refused, or a component refused against its manifest.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ManifestError {
    /// The manifest could not be read or parsed, or says something this crate cannot use
    /// (another format version, a malformed digest or version requirement).
    Invalid(String),
    /// The component's bytes are not the ones the manifest describes.
    Sha256Mismatch {
        /// The manifest's digest and size.
        expected: String,
        /// The component's.
        actual: String,
    },
    /// No contract version this host serves is in the manifest's `requires`.
    ContractNotServed {
        /// The manifest's requirement.
        requires: String,
        /// What this host serves.
        served: Vec<ContractVersion>,
    },
    /// The component implements another contract version than the manifest says.
    ContractMismatch {
        /// The manifest's version and requirement.
        manifest: String,
        /// The version the component implements (read from its exports).
        component: ContractVersion,
    },
    /// The component's imports (or exports) are not the ones the manifest lists.
    InterfacesDiffer {
        /// `imports` or `exports`.
        kind: &'static str,
        /// What the component has and the manifest does not list.
        undeclared: Vec<String>,
        /// What the manifest lists and the component does not have.
        absent: Vec<String>,
    },
}

impl fmt::Display for ManifestError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ManifestError::Invalid(why) => write!(f, "invalid addon manifest: {why}"),
            ManifestError::Sha256Mismatch { expected, actual } => write!(
                f,
                "the component is not the one its manifest describes: manifest {expected}, \
                 component {actual}"
            ),
            ManifestError::ContractNotServed { requires, served } => write!(
                f,
                "the manifest requires contract {requires}; this host serves {}",
                served
                    .iter()
                    .copied()
                    .map(ContractVersion::as_str)
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            ManifestError::ContractMismatch {
                manifest,
                component,
            } => write!(
                f,
                "the manifest says contract {manifest}, but the component implements {component}"
            ),
            ManifestError::InterfacesDiffer {
                kind,
                undeclared,
                absent,
            } => {
                write!(f, "the component's {kind} differ from its manifest's:")?;
                if !undeclared.is_empty() {
                    write!(f, " not in the manifest: {}", undeclared.join(", "))?;
                }
                if !undeclared.is_empty() && !absent.is_empty() {
                    f.write_str(";")?;
                }
                if !absent.is_empty() {
                    write!(f, " not in the component: {}", absent.join(", "))?;
                }
                Ok(())
            }
        }
    }
}

impl std::error::Error for ManifestError {}

impl Manifest {
    /// Parses a manifest's text.
    pub fn parse(text: &str) -> Result<Self, ManifestError> {
        let manifest: Manifest =
            toml::from_str(text).map_err(|e| ManifestError::Invalid(e.to_string()))?;
        if manifest.manifest_version != MANIFEST_VERSION {
            return Err(ManifestError::Invalid(format!(
                "manifest-version {} (this host reads {MANIFEST_VERSION})",
                manifest.manifest_version
            )));
        }
        let digest = &manifest.component.sha256;
        if digest.len() != 64
            || !digest
                .bytes()
                .all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
        {
            return Err(ManifestError::Invalid(format!(
                "sha256 {digest:?} is not 64 lowercase hex digits"
            )));
        }
        manifest.requirement()?;
        Ok(manifest)
    }

    /// Reads and parses the manifest at `path`.
    pub fn from_file(path: impl AsRef<Path>) -> Result<Self, ManifestError> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path)
            .map_err(|e| ManifestError::Invalid(format!("reading {}: {e}", path.display())))?;
        Self::parse(&text)
    }

    /// Where the manifest of the component at `wasm` is: beside it, named after it
    /// (`dist/order_messages.wasm` → `dist/order_messages.manifest.toml`).
    pub fn path_beside(wasm: impl AsRef<Path>) -> PathBuf {
        let wasm = wasm.as_ref();
        let stem = wasm
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        wasm.with_file_name(format!("{stem}.manifest.toml"))
    }

    /// The limits its budget sets, on top of `base` (whose other settings it keeps).
    pub fn run_config(&self, base: RunConfig) -> RunConfig {
        RunConfig {
            fuel_per_call: self.budget.fuel_per_call,
            memory_bytes: usize::try_from(self.budget.memory_bytes).unwrap_or(usize::MAX),
            ..base
        }
    }

    /// Checks that `bytes` are the component this manifest describes (SHA-256 and size):
    /// the first of [`Manifest::check`]'s checks, which needs nothing compiled.
    pub fn check_bytes(&self, bytes: &[u8]) -> Result<(), ManifestError> {
        self.check_digest(&crate::addon::sha256_hex(bytes), bytes.len())
    }

    fn check_digest(&self, sha256: &str, size: usize) -> Result<(), ManifestError> {
        if sha256 == self.component.sha256 && size as u64 == self.component.size {
            return Ok(());
        }
        Err(ManifestError::Sha256Mismatch {
            expected: format!(
                "sha256 {} ({} bytes)",
                self.component.sha256, self.component.size
            ),
            actual: format!("sha256 {sha256} ({size} bytes)"),
        })
    }

    /// Checks `addon` against this manifest: the same bytes (SHA-256 and size), a contract
    /// version this host serves within `requires` and the one the component implements, and
    /// exactly the imports and exports listed.
    pub fn check(&self, addon: &Addon) -> Result<(), ManifestError> {
        self.check_digest(addon.sha256(), addon.size())?;

        let requires = self.requirement()?;
        let served: Vec<ContractVersion> = ContractVersion::ALL
            .into_iter()
            .filter(|v| requires.matches(&v.semver()))
            .collect();
        if served.is_empty() {
            return Err(ManifestError::ContractNotServed {
                requires: self.contract.requires.clone(),
                served: ContractVersion::ALL.to_vec(),
            });
        }
        let component = addon.contract_version();
        if !served.contains(&component) || self.contract.version != component.as_str() {
            return Err(ManifestError::ContractMismatch {
                manifest: format!(
                    "{} (requires {})",
                    self.contract.version, self.contract.requires
                ),
                component,
            });
        }

        let ty = addon.component().component_type();
        let engine = addon.engine();
        let imports: Vec<String> = ty.imports(engine).map(|(n, _)| n.to_owned()).collect();
        let exports: Vec<String> = ty.exports(engine).map(|(n, _)| n.to_owned()).collect();
        same("imports", &imports, &self.contract.imports)?;
        same("exports", &exports, &self.contract.exports)
    }

    fn requirement(&self) -> Result<semver::VersionReq, ManifestError> {
        semver::VersionReq::parse(&self.contract.requires).map_err(|e| {
            ManifestError::Invalid(format!(
                "contract requires {:?}: {e}",
                self.contract.requires
            ))
        })
    }
}

/// The same names, in any order.
fn same(
    kind: &'static str,
    component: &[String],
    manifest: &[String],
) -> Result<(), ManifestError> {
    let undeclared: Vec<String> = component
        .iter()
        .filter(|n| !manifest.contains(n))
        .cloned()
        .collect();
    let absent: Vec<String> = manifest
        .iter()
        .filter(|n| !component.contains(n))
        .cloned()
        .collect();
    if undeclared.is_empty() && absent.is_empty() {
        Ok(())
    } else {
        Err(ManifestError::InterfacesDiffer {
            kind,
            undeclared,
            absent,
        })
    }
}
