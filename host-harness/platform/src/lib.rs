//! The simulated hosting platform: what a real platform would give the addon, for tests,
//! demos, the CLI, the web admin and benchmarks.
//!
//! [`Platform`] bundles the four imports and the clock: storage over any backend (memory or
//! [SQLite](SqliteStorage)), mail (captured, optionally relayed over [SMTP](SmtpConfig), with a
//! sent log and [`.eml`](eml) export), notifications (captured, with subscribers), the order
//! [`Directory`] and a pinned or real [`Clock`]. Each import sits behind a [`Faulty`] decorator
//! and storage also behind a [`Counted`] one, so tests can fail any call and count every
//! operation's cost whatever the backend. Each part is a cheap handle (`Arc` inside): clone the
//! platform freely, give it to any number of [`Session`]s, and inspect or change it from the test
//! while they run.
//!
//! ```
//! use order_messages_platform::fixtures::Fixtures;
//! use order_messages_host::types::PostRequest;
//!
//! let world = Fixtures::marketplace().build();
//! let mut session = world.session().unwrap();
//! let alice = world.actor("c1");
//! let posted = session.post(&alice, &PostRequest::new("o1", "Where is my parcel?")).unwrap();
//! assert!(posted.is_ok());
//! assert_eq!(world.platform.mail.count(), 1);
//! ```

#![deny(missing_docs)]

mod address_book;
mod capture;
mod clock;
mod directory;
pub mod eml;
mod faults;
pub mod fixtures;
mod mail;
mod notifications;
mod sent_log;
mod smtp;
mod sqlite;
mod storage;

use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use anyhow::{Context as _, Result};
use order_messages_host::{
    Addon, AddonView, GuestOutput, Imports, Instance, Manifest, RunConfig, Runtime,
};

pub use address_book::{AddressBook, DEFAULT_ADDRESS_PATTERN, USER_ID_PLACEHOLDER};
pub use capture::{Capture, Delivered, Delivery};
pub use clock::{Clock, DEFAULT_NOW_MILLIS, MAX_MILLIS, OutOfRange};
pub use directory::{DIRECTORY_SCHEMA, Directory, delivery_name, mode_name};
pub use faults::{Fault, FaultSwitch, Faulty};
pub use mail::{MailCapture, MailDelivery};
pub use notifications::{NotificationCapture, Push};
pub use sent_log::{MAIL_SCHEMA, MemorySentLog, SentCopy, SentLog, SqliteSentLog};
pub use smtp::{DEFAULT_FROM, DEFAULT_SMTP_TIMEOUT, SmtpConfig, SmtpCredentials, SmtpTls};
pub use sqlite::{
    DEFAULT_BUSY_TIMEOUT, Database, ForeignDatabase, KV_SCHEMA, Schema, SqliteOptions,
    SqliteStorage, Synchronous,
};
pub use storage::{Backend, Counted, SharedStorage, StorageStats};

/// The world behind the addon's imports.
#[derive(Clone, Debug, Default)]
pub struct Platform {
    /// The `storage` import.
    pub storage: SharedStorage,
    /// The `mail` import: every mail sent.
    pub mail: Faulty<MailCapture>,
    /// The `notifications` import: every push.
    pub notifications: Faulty<NotificationCapture>,
    /// The `directory` import: orders, staff, vendors' users, settings.
    pub directory: Faulty<Directory>,
    /// The wall clock the addon reads.
    pub clock: Clock,
}

impl Platform {
    /// A platform with empty in-memory storage, an empty directory with default settings, and
    /// a clock pinned to [`DEFAULT_NOW_MILLIS`].
    pub fn new() -> Self {
        Self::default()
    }

    /// The same platform with another storage (for example over another backend).
    pub fn with_storage(mut self, storage: SharedStorage) -> Self {
        self.storage = storage;
        self
    }

    /// The same platform with another clock (for example [`Clock::system`]).
    pub fn with_clock(mut self, clock: Clock) -> Self {
        self.clock = clock;
        self
    }

    /// A session of the addon over this platform, with the process-wide [`runtime`].
    pub fn session(&self) -> Result<Session> {
        self.session_with(runtime())
    }

    /// A session of the addon over this platform, with another runtime (another component
    /// file, other limits).
    pub fn session_with(&self, runtime: &Runtime<Platform>) -> Result<Session> {
        runtime.instantiate_with_clock(self.clone(), Arc::new(self.clock.clone()))
    }
}

impl AddonView for Platform {
    fn imports(&mut self) -> Imports<'_> {
        Imports {
            storage: &self.storage,
            mailer: &self.mail,
            notifier: &self.notifications,
            directory: &self.directory,
        }
    }
}

/// An instance of the addon over a [`Platform`], with one typed method per export.
pub type Session = Instance<Platform>;

/// Where compiled components are cached: a directory, or `off`. Default:
/// `$XDG_CACHE_HOME/order-messages` or `~/.cache/order-messages`.
pub const CACHE_DIR_ENV: &str = "ORDER_MESSAGES_CACHE_DIR";
/// Setting this variable to `inherit` sends guest stdout/stderr to the process's by default.
pub const GUEST_OUTPUT_ENV: &str = "HARNESS_GUEST_OUTPUT";

/// Loads a component from its bytes, with the compiled code cached (see [`CACHE_DIR_ENV`]).
pub fn load(bytes: &[u8]) -> Result<Addon> {
    match cache_dir() {
        Some(dir) => Addon::from_bytes_cached(bytes, &dir),
        None => Addon::from_bytes(bytes),
    }
}

/// Loads the component in the file at `path`, as [`load`] does. When its manifest lies beside
/// it (`NAME.manifest.toml`, [`Manifest::path_beside`]), the component is checked against it
/// and refused on any mismatch ([`order_messages_host::ManifestError`], before compiling when the bytes differ); a
/// component without one (the released 0.1.0 file, say) loads unchecked.
pub fn load_file(path: impl AsRef<Path>) -> Result<Addon> {
    let path = path.as_ref();
    let bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
    let manifest_path = Manifest::path_beside(path);
    let manifest = match manifest_path.try_exists() {
        Ok(true) => Some(Manifest::from_file(&manifest_path)?),
        _ => None,
    };
    let checking = || {
        format!(
            "checking {} against {}",
            path.display(),
            manifest_path.display()
        )
    };
    if let Some(manifest) = &manifest {
        manifest.check_bytes(&bytes).with_context(checking)?;
    }
    let addon = load(&bytes).with_context(|| format!("loading {}", path.display()))?;
    match manifest {
        Some(manifest) => addon.with_manifest(manifest).with_context(checking),
        None => Ok(addon),
    }
}

/// Loads this build's component ([`order_messages_component::WASM`]), checked against the
/// manifest built with it.
pub fn load_embedded() -> Result<Addon> {
    let manifest = Manifest::parse(order_messages_component::MANIFEST)
        .context("the embedded component's manifest")?;
    load(order_messages_component::WASM)?
        .with_manifest(manifest)
        .context("checking the embedded component against its manifest")
}

/// A runtime for platforms over `addon`, with the default limits (output inherited when
/// [`GUEST_OUTPUT_ENV`] says so).
pub fn runtime_of(addon: &Addon) -> Result<Runtime<Platform>> {
    let inherit = std::env::var(GUEST_OUTPUT_ENV).is_ok_and(|v| v == "inherit");
    let config = RunConfig {
        guest_output: if inherit {
            GuestOutput::Inherit
        } else {
            GuestOutput::Capture
        },
        ..RunConfig::default()
    };
    Ok(Runtime::new(addon)?.with_config(config))
}

/// The runtime of this build's component ([`order_messages_component::WASM`]), compiled on
/// first use and shared by the whole process (tests compile it once per binary).
///
/// # Panics
/// If the component cannot be compiled or linked.
pub fn runtime() -> &'static Runtime<Platform> {
    static SHARED: OnceLock<Runtime<Platform>> = OnceLock::new();
    SHARED.get_or_init(|| {
        load_embedded()
            .and_then(|addon| runtime_of(&addon))
            .unwrap_or_else(|e| panic!("cannot load the embedded addon component: {e:?}"))
    })
}

fn cache_dir() -> Option<PathBuf> {
    match std::env::var_os(CACHE_DIR_ENV) {
        Some(v) if v == "off" => None,
        Some(v) => Some(v.into()),
        None => std::env::var_os("XDG_CACHE_HOME")
            .map(PathBuf::from)
            .or_else(|| std::env::var_os("HOME").map(|h| Path::new(&h).join(".cache")))
            .map(|base| base.join("order-messages")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use order_messages_host::types::{
        BellCounts, Event, Mail, MailError, MultivendorMode, NotifyError, UserCounts,
    };
    use order_messages_host::{Mailer, Notifier};

    fn mail(key: &str, to: &str) -> Mail {
        Mail {
            recipients: vec![to.into()],
            order_id: "o1".into(),
            subject: "New message".into(),
            text_body: "text".into(),
            html_body: "<p>text</p>".into(),
            idempotency_key: key.into(),
        }
    }

    fn counts() -> Event {
        Event::CountsChanged(vec![UserCounts {
            user: "s1".into(),
            counts: BellCounts {
                unread_threads: 1,
                open_disputes: 0,
            },
        }])
    }

    fn push_to(platform: &Platform, key: &str) -> Result<(), NotifyError> {
        platform
            .notifications
            .push(key, &["s1".to_owned()], &counts())
    }

    #[test]
    fn mail_is_recorded_once_per_key() {
        let platform = Platform::new();
        platform.mail.send(&mail("k1", "u1")).unwrap();
        platform.mail.send(&mail("k1", "u1")).unwrap();
        platform.mail.send(&mail("k2", "u2")).unwrap();
        assert_eq!(platform.mail.count(), 2);
        assert_eq!(platform.mail.duplicates(), vec!["k1"]);
        assert_eq!(platform.mail.attempts(), 3);
        assert_eq!(platform.mail.to("u2").len(), 1);
        assert_eq!(platform.mail.take_new().len(), 2);
        assert!(platform.mail.take_new().is_empty());
        // Taking does not forget the keys.
        platform.mail.send(&mail("k2", "u2")).unwrap();
        assert_eq!(platform.mail.count(), 2);
    }

    #[test]
    fn failed_mail_is_not_recorded_and_its_retry_is() {
        let platform = Platform::new();
        platform.mail.fail_next(1, Fault::Unavailable);
        assert!(matches!(
            platform.mail.send(&mail("k", "u")),
            Err(MailError::Unavailable(_))
        ));
        platform.mail.fail_always(Fault::Rejected);
        assert!(matches!(
            platform.mail.send(&mail("k", "u")),
            Err(MailError::Rejected(_))
        ));
        platform.mail.recover();
        platform.mail.send(&mail("k", "u")).unwrap();
        assert_eq!(platform.mail.count(), 1);
        assert_eq!(platform.mail.failures(), 2);
        assert!(platform.mail.duplicates().is_empty());
    }

    #[test]
    fn pushes_are_recorded_once_per_key() {
        let platform = Platform::new();
        let push = |key: &str| Push {
            key: key.into(),
            recipients: vec!["s1".into()],
            event: counts(),
        };
        push_to(&platform, "p1").unwrap();
        push_to(&platform, "p1").unwrap();
        platform.notifications.fail_next(1, Fault::Rejected);
        assert!(matches!(
            push_to(&platform, "p2"),
            Err(NotifyError::Rejected(_))
        ));
        assert_eq!(platform.notifications.all(), vec![push("p1")]);
        assert_eq!(platform.notifications.to("s1").len(), 1);
        assert_eq!(platform.notifications.duplicates(), vec!["p1"]);
        platform.notifications.clear();
        assert_eq!(platform.notifications.count(), 0);
    }

    #[test]
    fn directory_is_shared_and_mutable() {
        let platform = Platform::new();
        let view = platform.clone();
        platform.directory.set_mode(MultivendorMode::Warehouse);
        assert_eq!(view.directory.settings().mode, MultivendorMode::Warehouse);
        platform.directory.add_vendor_user("v1", "u1");
        platform.directory.add_vendor_user("v1", "u1");
        assert_eq!(view.directory.vendor_users("v1"), vec!["u1"]);
        assert!(view.directory.vendor_users("v2").is_empty());
        platform.directory.fail_next(1, Fault::Unavailable);
        let settings = |p: &Platform| order_messages_host::Directory::settings(&p.directory);
        assert!(settings(&view).is_err());
        assert!(settings(&view).is_ok());
    }
}
