//! Loading the addon: one engine and the compiled component, which every [`Runtime`] and
//! instance share.
//!
//! Compiling with Cranelift takes most of a second; [`Addon::from_bytes_cached`] keeps the
//! compiled code on disk, keyed by the component's bytes and by what makes compiled code
//! compatible (the wasmtime build and the engine's settings), so only the first load after a
//! change compiles.
//!
//! [`Runtime`]: crate::Runtime

use std::hash::{Hash, Hasher};
use std::path::Path;
use std::sync::Arc;

use anyhow::{Context, Result};
use wasmtime::component::Component;
use wasmtime::{Config, Engine};

use crate::{ContractVersion, Manifest, ManifestError};

struct Loaded {
    engine: Engine,
    component: Component,
    version: ContractVersion,
    size: usize,
    /// SHA-256 of the component's bytes, lowercase hex.
    sha256: String,
    /// The manifest it was checked against, if any.
    manifest: Option<Manifest>,
}

/// The compiled addon component and its engine. Cheap to clone (clones share the compiled
/// code); load it once per process.
#[derive(Clone)]
pub struct Addon(Arc<Loaded>);

impl std::fmt::Debug for Addon {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Addon")
            .field("version", &self.0.version)
            .field("size", &self.0.size)
            .field("sha256", &self.0.sha256)
            .finish_non_exhaustive()
    }
}

impl Addon {
    /// The engine settings the addon runs with: fuel metering (each call's budget) and epoch
    /// interruption (an optional deadline). Start from these to change others, e.g. the
    /// pooling allocator, and pass the result to [`Addon::with_config`].
    pub fn engine_config() -> Config {
        let mut config = Config::new();
        config.consume_fuel(true);
        config.epoch_interruption(true);
        config
    }

    /// Compiles a component from its bytes (a `.wasm` component binary).
    pub fn from_bytes(bytes: &[u8]) -> Result<Self> {
        Self::with_config(&Self::engine_config(), bytes, None)
    }

    /// Compiles the component in the file at `path`.
    pub fn from_file(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref();
        let bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
        Self::from_bytes(&bytes).with_context(|| format!("loading {}", path.display()))
    }

    /// Like [`Addon::from_bytes`], keeping the compiled code in `cache_dir` (created if
    /// missing) and loading it from there next time.
    pub fn from_bytes_cached(bytes: &[u8], cache_dir: &Path) -> Result<Self> {
        Self::with_config(&Self::engine_config(), bytes, Some(cache_dir))
    }

    /// Compiles `bytes` with an engine of these settings (which must keep fuel metering and
    /// epoch interruption on; see [`Addon::engine_config`]), cached in `cache_dir` if given.
    pub fn with_config(config: &Config, bytes: &[u8], cache_dir: Option<&Path>) -> Result<Self> {
        let engine = Engine::new(config)
            .map_err(anyhow::Error::from)
            .context("creating the wasmtime engine")?;
        let component = match cache_dir {
            Some(dir) => compile_cached(&engine, bytes, dir)?,
            None => compile(&engine, bytes)?,
        };
        let version = ContractVersion::of(&engine, &component)?;
        Ok(Self(Arc::new(Loaded {
            engine,
            component,
            version,
            size: bytes.len(),
            sha256: sha256_hex(bytes),
            manifest: None,
        })))
    }

    /// Compiles the component at `path` and checks it against its manifest, the
    /// `NAME.manifest.toml` beside it ([`Manifest::path_beside`]), which must exist: how a
    /// platform loads an addon it got from a marketplace. A mismatch is refused with the
    /// [`ManifestError`] as the error (`error.downcast_ref::<ManifestError>()`), before the
    /// component is compiled when its bytes are not the manifest's.
    pub fn from_file_with_manifest(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref();
        let manifest_path = Manifest::path_beside(path);
        let manifest = Manifest::from_file(&manifest_path)?;
        let bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
        manifest.check_bytes(&bytes).with_context(|| {
            format!(
                "checking {} against {}",
                path.display(),
                manifest_path.display()
            )
        })?;
        Self::from_bytes(&bytes)
            .with_context(|| format!("loading {}", path.display()))?
            .with_manifest(manifest)
            .with_context(|| {
                format!(
                    "checking {} against {}",
                    path.display(),
                    manifest_path.display()
                )
            })
    }

    /// This addon, checked against `manifest` ([`Manifest::check`]) and keeping it
    /// ([`Addon::manifest`]); the [`ManifestError`] when they do not match.
    pub fn with_manifest(&self, manifest: Manifest) -> Result<Self, ManifestError> {
        manifest.check(self)?;
        Ok(Self(Arc::new(Loaded {
            engine: self.0.engine.clone(),
            component: self.0.component.clone(),
            version: self.0.version,
            size: self.0.size,
            sha256: self.0.sha256.clone(),
            manifest: Some(manifest),
        })))
    }

    /// The engine.
    pub fn engine(&self) -> &Engine {
        &self.0.engine
    }

    /// The compiled component.
    pub fn component(&self) -> &Component {
        &self.0.component
    }

    /// The contract version the component implements.
    pub fn contract_version(&self) -> ContractVersion {
        self.0.version
    }

    /// The size of the component binary, in bytes.
    pub fn size(&self) -> usize {
        self.0.size
    }

    /// The SHA-256 of the component binary, in lowercase hex.
    pub fn sha256(&self) -> &str {
        &self.0.sha256
    }

    /// The manifest this addon was checked against ([`Addon::with_manifest`]), if any.
    pub fn manifest(&self) -> Option<&Manifest> {
        self.0.manifest.as_ref()
    }
}

/// SHA-256 in lowercase hex.
pub(crate) fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    use std::fmt::Write;
    Sha256::digest(bytes)
        .iter()
        .fold(String::with_capacity(64), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        })
}

fn compile(engine: &Engine, bytes: &[u8]) -> Result<Component> {
    Component::new(engine, bytes)
        .map_err(anyhow::Error::from)
        .context("compiling the component")
}

fn compile_cached(engine: &Engine, bytes: &[u8], dir: &Path) -> Result<Component> {
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    bytes.hash(&mut hasher);
    engine.precompile_compatibility_hash().hash(&mut hasher);
    let path = dir.join(format!("addon-{:016x}.cwasm", hasher.finish()));
    // SAFETY: the file is one this function wrote (below) for exactly this engine
    // configuration into a directory the caller chose for the purpose; wasmtime checks its
    // header (version and settings) and refuses a mismatch, in which case we compile afresh.
    if let Ok(component) = unsafe { Component::deserialize_file(engine, &path) } {
        return Ok(component);
    }
    let component = compile(engine, bytes)?;
    // Best effort: a cache that cannot be written only costs the next load a compile.
    if let Ok(code) = component.serialize() {
        let tmp = path.with_extension(format!("tmp{}", std::process::id()));
        if std::fs::create_dir_all(dir).is_ok() && std::fs::write(&tmp, code).is_ok() {
            let _ = std::fs::rename(&tmp, &path);
        }
    }
    Ok(component)
}
