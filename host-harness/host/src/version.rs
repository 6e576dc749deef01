//! Which contract a component implements, read from the names of its exports.

use anyhow::{Result, bail};
use wasmtime::Engine;
use wasmtime::component::Component;

/// A released version of the contract `storefront:order-messages`, as this crate serves it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ContractVersion {
    /// `0.1.0` (`wit/v0.1.0`).
    V0_1_0,
    /// `0.2.0-draft` (`wit/v0.2.0`), a pre-release: it may still change until `0.2.0`.
    V0_2_0,
}

impl ContractVersion {
    /// Every version this crate serves, oldest first.
    pub const ALL: [ContractVersion; 2] = [ContractVersion::V0_1_0, ContractVersion::V0_2_0];

    /// The version as written in WIT package names, e.g. `0.1.0`.
    pub fn as_str(self) -> &'static str {
        match self {
            ContractVersion::V0_1_0 => "0.1.0",
            ContractVersion::V0_2_0 => "0.2.0-draft",
        }
    }

    /// The version as a semver [`semver::Version`].
    pub fn semver(self) -> semver::Version {
        semver::Version::parse(self.as_str()).expect("contract versions are semver")
    }

    /// The version `component` implements: the one whose `messaging` interface it exports.
    pub fn of(engine: &Engine, component: &Component) -> Result<Self> {
        let exports: Vec<String> = component
            .component_type()
            .exports(engine)
            .map(|(name, _)| name.to_owned())
            .collect();
        for version in Self::ALL {
            let wanted = format!("storefront:order-messages/messaging@{}", version.as_str());
            if exports.contains(&wanted) {
                return Ok(version);
            }
        }
        bail!(
            "the component implements no version of the order-messages contract this host \
             serves ({}); its exports: {}",
            Self::ALL.map(Self::as_str).join(", "),
            exports.join(", ")
        )
    }
}

impl std::fmt::Display for ContractVersion {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}
