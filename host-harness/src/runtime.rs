//! Running the component: [`Harness`] (engine + compiled component + linked imports, built
//! once) and [`Session`] (one store and instance, reused for many calls, with per-call limits).
//!
//! Every guest call runs in a `tracing` span `guest_call` (fields `op`, the export, and `role`,
//! the actor's role or `-`) that ends with an event giving the fuel used and the time taken;
//! instantiations log at debug level. Nothing is printed unless the program installs a
//! subscriber (the CLI does with `-v`).

use std::path::Path;
use std::sync::{Arc, OnceLock};
use std::time::Instant;

use anyhow::Result;
use wasmtime::component::{Component, HasSelf, Linker, ResourceTable};
use wasmtime::{Config, Engine, Store, StoreLimits, StoreLimitsBuilder, Trap};
use wasmtime_wasi::p2::pipe::MemoryOutputPipe;
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};

use crate::bindings::{Addon, AddonPre};
use crate::host::Host;
use crate::types::*;

/// Default fuel per call: about two billion wasm instructions, seconds of work.
pub const DEFAULT_FUEL_PER_CALL: u64 = 2_000_000_000;
/// Default cap on an instance's linear memories and tables: 64 MiB.
pub const DEFAULT_MEMORY_BYTES: usize = 64 << 20;
/// Captured guest output is kept up to this size per instance; writing past it traps.
const GUEST_OUTPUT_CAPACITY: usize = 16 << 20;
/// Setting this variable to `inherit` sends guest stdout/stderr to the host's by default.
pub const GUEST_OUTPUT_ENV: &str = "HARNESS_GUEST_OUTPUT";

/// Where the guest's stdout and stderr go.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GuestOutput {
    /// Kept in memory: [`Session::guest_output`] returns what the last call printed, and a
    /// failing call's error includes it (a guest panic message, typically).
    Capture,
    /// Written straight to the host process's stdout/stderr (handy with `eprintln!` debugging;
    /// not captured by the test runner).
    Inherit,
}

/// Limits and I/O settings for running the guest.
#[derive(Clone, Debug)]
pub struct RunConfig {
    /// Fuel (roughly, wasm instructions) that one call, or one instantiation, may use.
    /// Running out traps the call.
    pub fuel_per_call: u64,
    /// Cap on the bytes of linear memory (and table elements) of one instance. Growing past
    /// it traps the call.
    pub memory_bytes: usize,
    /// Where guest output goes.
    pub guest_output: GuestOutput,
}

impl Default for RunConfig {
    /// 2 billion fuel, 64 MiB, output captured (or inherited when `HARNESS_GUEST_OUTPUT=inherit`).
    fn default() -> Self {
        let inherit = std::env::var(GUEST_OUTPUT_ENV).is_ok_and(|v| v == "inherit");
        Self {
            fuel_per_call: DEFAULT_FUEL_PER_CALL,
            memory_bytes: DEFAULT_MEMORY_BYTES,
            guest_output: if inherit {
                GuestOutput::Inherit
            } else {
                GuestOutput::Capture
            },
        }
    }
}

/// The state of one store: the shared [`Host`] plus this instance's WASI context and limits.
/// The addon's import traits are implemented on it (see `host/imports.rs`).
pub struct StoreState {
    pub(crate) host: Host,
    wasi: WasiCtx,
    table: ResourceTable,
    limits: StoreLimits,
}

impl StoreState {
    /// The host behind this store.
    pub fn host(&self) -> &Host {
        &self.host
    }
}

impl WasiView for StoreState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.wasi,
            table: &mut self.table,
        }
    }
}

struct Compiled {
    engine: Engine,
    component: Component,
    pre: AddonPre<StoreState>,
    size: usize,
}

/// The compiled addon, ready to instantiate: one engine, one compiled component, its imports
/// linked. Cheap to clone (clones share the compiled code); keep one per process, e.g. with
/// [`Harness::shared`].
#[derive(Clone)]
pub struct Harness {
    compiled: Arc<Compiled>,
    config: RunConfig,
}

impl std::fmt::Debug for Harness {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Harness")
            .field("component_size", &self.compiled.size)
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl Harness {
    /// Compiles the embedded component ([`crate::COMPONENT`]).
    pub fn new() -> Result<Self> {
        Self::from_bytes(crate::COMPONENT)
    }

    /// A process-wide harness over the embedded component, compiled on first use. Tests share
    /// it so the component is compiled once per test binary.
    ///
    /// # Panics
    /// If the embedded component cannot be compiled or linked.
    pub fn shared() -> &'static Harness {
        static SHARED: OnceLock<Harness> = OnceLock::new();
        SHARED.get_or_init(|| {
            Harness::new()
                .unwrap_or_else(|e| panic!("cannot load the embedded addon component: {e:?}"))
        })
    }

    /// Compiles a component from its bytes (a `.wasm` component binary), or loads its
    /// compiled code from the on-disk cache (see [`CACHE_DIR_ENV`]).
    pub fn from_bytes(bytes: &[u8]) -> Result<Self> {
        let engine = Engine::new(&engine_config()).context("creating the wasmtime engine")?;
        let component = compile_cached(&engine, bytes)?;
        Self::link(engine, component, bytes.len())
    }

    /// Compiles the component in the file at `path`.
    pub fn from_file(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref();
        let bytes = anyhow::Context::with_context(std::fs::read(path), || {
            format!("reading {}", path.display())
        })?;
        anyhow::Context::with_context(Self::from_bytes(&bytes), || {
            format!("loading {}", path.display())
        })
    }

    fn link(engine: Engine, component: Component, size: usize) -> Result<Self> {
        let mut linker = Linker::<StoreState>::new(&engine);
        wasmtime_wasi::p2::add_to_linker_sync(&mut linker).context("linking WASI")?;
        Addon::add_to_linker::<StoreState, HasSelf<StoreState>>(&mut linker, |state| state)
            .context("linking the addon's imports")?;
        let instance_pre = linker
            .instantiate_pre(&component)
            .context("the component's imports do not match what the harness provides")?;
        let pre = AddonPre::new(instance_pre)
            .context("the component does not export the `addon` world")?;
        Ok(Self {
            compiled: Arc::new(Compiled {
                engine,
                component,
                pre,
                size,
            }),
            config: RunConfig::default(),
        })
    }

    /// The same compiled component with other limits for the sessions it starts.
    pub fn with_config(&self, config: RunConfig) -> Self {
        Self {
            compiled: self.compiled.clone(),
            config,
        }
    }

    /// The limits new sessions start with.
    pub fn config(&self) -> &RunConfig {
        &self.config
    }

    /// The engine.
    pub fn engine(&self) -> &Engine {
        &self.compiled.engine
    }

    /// The compiled component.
    pub fn component(&self) -> &Component {
        &self.compiled.component
    }

    /// The size of the component binary, in bytes.
    pub fn component_size(&self) -> usize {
        self.compiled.size
    }

    /// Starts a session (a store with a fresh instance) over `host`.
    pub fn session(&self, host: &Host) -> Result<Session> {
        Session::new(self, host)
    }
}

/// `.context()` for wasmtime's own error type, which is not a `std::error::Error`.
trait WasmtimeContext<T> {
    fn context(self, what: &'static str) -> Result<T>;
}

impl<T> WasmtimeContext<T> for wasmtime::Result<T> {
    fn context(self, what: &'static str) -> Result<T> {
        self.map_err(|e| anyhow::Error::from(e).context(what))
    }
}

/// Where compiled components are cached: a directory, or `off`. Default:
/// `$XDG_CACHE_HOME/order-messages` or `~/.cache/order-messages`.
pub const CACHE_DIR_ENV: &str = "ORDER_MESSAGES_CACHE_DIR";

/// Compiling the component with Cranelift takes most of a second; every CLI command and test
/// binary needs it. The compiled code is kept on disk, keyed by the component's bytes and by
/// what makes compiled code compatible (wasmtime build and engine settings), so only the first
/// run after a change compiles.
fn compile_cached(engine: &Engine, bytes: &[u8]) -> Result<Component> {
    use std::hash::{Hash, Hasher};
    let compile = || Component::new(engine, bytes).context("compiling the component");
    let Some(dir) = cache_dir() else {
        return compile();
    };
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    bytes.hash(&mut hasher);
    engine.precompile_compatibility_hash().hash(&mut hasher);
    let path = dir.join(format!("addon-{:016x}.cwasm", hasher.finish()));
    // SAFETY: the file is one this harness wrote (below) into the user's own cache directory
    // for exactly this engine configuration; wasmtime checks its header (version and settings)
    // and refuses a mismatch, in which case we compile afresh.
    if let Ok(component) = unsafe { Component::deserialize_file(engine, &path) } {
        return Ok(component);
    }
    let component = compile()?;
    // Best effort: a cache that cannot be written only costs the next run a compile.
    if let Ok(code) = component.serialize() {
        let tmp = path.with_extension(format!("tmp{}", std::process::id()));
        if std::fs::create_dir_all(&dir).is_ok() && std::fs::write(&tmp, code).is_ok() {
            let _ = std::fs::rename(&tmp, &path);
        }
    }
    Ok(component)
}

fn cache_dir() -> Option<std::path::PathBuf> {
    match std::env::var_os(CACHE_DIR_ENV) {
        Some(v) if v == "off" => None,
        Some(v) => Some(v.into()),
        None => std::env::var_os("XDG_CACHE_HOME")
            .map(std::path::PathBuf::from)
            .or_else(|| std::env::var_os("HOME").map(|h| Path::new(&h).join(".cache")))
            .map(|base| base.join("order-messages")),
    }
}

fn engine_config() -> Config {
    let mut config = Config::new();
    // Fuel rather than epochs: deterministic, and needs no ticker thread.
    config.consume_fuel(true);
    config
}

/// A live instance in its store.
struct Live {
    store: Store<StoreState>,
    addon: Addon,
    output: Option<MemoryOutputPipe>,
    /// Bytes of `output` that earlier calls printed.
    output_seen: usize,
}

/// One store and instance of the addon over a [`Host`], reused for many calls.
///
/// Every call gets a fresh fuel budget and runs under the memory cap. A call that traps or hits
/// a limit returns an `Err` for that call only; the instance may then be inconsistent, so it is
/// dropped and the next call instantiates the component again (the host's state, including
/// storage, is untouched by that).
///
/// Each export returns `anyhow::Result<Result<T, Error>>`: the outer error is a host-side
/// failure (trap, limit, link error), the inner one the addon's typed refusal.
pub struct Session {
    harness: Harness,
    host: Host,
    config: RunConfig,
    live: Option<Live>,
    last_fuel: u64,
    last_output: String,
    instantiations: u32,
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session")
            .field("config", &self.config)
            .field("live", &self.live.is_some())
            .field("last_fuel", &self.last_fuel)
            .field("instantiations", &self.instantiations)
            .finish_non_exhaustive()
    }
}

impl Session {
    /// Instantiates the component over `host` with the harness's limits.
    pub fn new(harness: &Harness, host: &Host) -> Result<Self> {
        let mut session = Self {
            harness: harness.clone(),
            host: host.clone(),
            config: harness.config.clone(),
            live: None,
            last_fuel: 0,
            last_output: String::new(),
            instantiations: 0,
        };
        session.ensure_live()?;
        Ok(session)
    }

    /// The host this session runs against.
    pub fn host(&self) -> &Host {
        &self.host
    }

    /// The session's limits.
    pub fn config(&self) -> &RunConfig {
        &self.config
    }

    /// Changes the limits: fuel from the next call, the memory cap at once (memory already
    /// grown stays), the output setting from the next instantiation.
    pub fn set_config(&mut self, config: RunConfig) {
        if let Some(live) = &mut self.live {
            live.store.data_mut().limits = store_limits(&config);
        }
        self.config = config;
    }

    /// Fuel used by the last call (or by the instantiation before it, if that failed).
    pub fn fuel_consumed(&self) -> u64 {
        self.last_fuel
    }

    /// What the guest printed to stdout/stderr during the last call (when captured).
    pub fn guest_output(&self) -> &str {
        &self.last_output
    }

    /// How many times this session instantiated the component (1, plus one after each failed
    /// call that needed a fresh instance).
    pub fn instantiations(&self) -> u32 {
        self.instantiations
    }

    /// Drops the instance; the next call starts a fresh one.
    pub fn reset(&mut self) {
        self.live = None;
    }

    fn ensure_live(&mut self) -> Result<&mut Live> {
        if self.live.is_none() {
            self.live = Some(self.instantiate()?);
        }
        Ok(self.live.as_mut().expect("just set"))
    }

    fn instantiate(&mut self) -> Result<Live> {
        let mut wasi = WasiCtx::builder();
        wasi.wall_clock(self.host.clock.clone());
        let output = match self.config.guest_output {
            GuestOutput::Inherit => {
                wasi.inherit_stdout().inherit_stderr();
                None
            }
            GuestOutput::Capture => {
                let pipe = MemoryOutputPipe::new(GUEST_OUTPUT_CAPACITY);
                wasi.stdout(pipe.clone()).stderr(pipe.clone());
                Some(pipe)
            }
        };
        let state = StoreState {
            host: self.host.clone(),
            wasi: wasi.build(),
            table: ResourceTable::new(),
            limits: store_limits(&self.config),
        };
        let mut store = Store::new(&self.harness.compiled.engine, state);
        store.limiter(|state| &mut state.limits);
        store.set_fuel(self.config.fuel_per_call)?;
        self.instantiations += 1;
        let started = Instant::now();
        let result = self.harness.compiled.pre.instantiate(&mut store);
        self.last_fuel = self.config.fuel_per_call - store.get_fuel().unwrap_or(0);
        tracing::debug!(
            fuel = self.last_fuel,
            took = ?started.elapsed(),
            ok = result.is_ok(),
            "instantiated the component"
        );
        let addon = result.map_err(|e| {
            let output = output.as_ref().map(pipe_text).unwrap_or_default();
            explain(e, "instantiating the component", &self.config, &output)
        })?;
        Ok(Live {
            store,
            addon,
            output,
            output_seen: 0,
        })
    }

    /// Runs `f` against the live instance with a fresh fuel budget. On any error the instance
    /// is dropped, so the next call starts from a fresh one. This is what every typed method
    /// uses; call it directly to reach the raw bindings.
    pub fn call_raw<R>(
        &mut self,
        name: &str,
        f: impl FnOnce(&Addon, &mut Store<StoreState>) -> wasmtime::Result<R>,
    ) -> Result<R> {
        self.call_traced(name, name, None, f)
    }

    /// [`Session::call_raw`] in a `guest_call` span naming the export and the actor's role,
    /// closed by an event with the fuel used and the time taken.
    fn call_traced<R>(
        &mut self,
        name: &str,
        export: &str,
        role: Option<&str>,
        f: impl FnOnce(&Addon, &mut Store<StoreState>) -> wasmtime::Result<R>,
    ) -> Result<R> {
        let span = tracing::info_span!(
            "guest_call",
            op = %wit_function_name(export),
            role = %role.unwrap_or("-")
        );
        let _entered = span.enter();
        let started = Instant::now();
        let result = self.call_untraced(name, f);
        let took = started.elapsed();
        match &result {
            Ok(_) => tracing::info!(fuel = self.last_fuel, ?took, "done"),
            Err(e) => {
                tracing::warn!(fuel = self.last_fuel, ?took, error = %format!("{e:#}"), "failed")
            }
        }
        result
    }

    fn call_untraced<R>(
        &mut self,
        name: &str,
        f: impl FnOnce(&Addon, &mut Store<StoreState>) -> wasmtime::Result<R>,
    ) -> Result<R> {
        self.last_output.clear();
        let fuel = self.config.fuel_per_call;
        let live = self.ensure_live()?;
        live.store.set_fuel(fuel)?;
        let result = f(&live.addon, &mut live.store);
        let remaining = live.store.get_fuel().unwrap_or(0);
        let output = match &live.output {
            Some(pipe) => {
                let all = pipe.contents();
                let new =
                    String::from_utf8_lossy(&all[live.output_seen.min(all.len())..]).into_owned();
                live.output_seen = all.len();
                new
            }
            None => String::new(),
        };
        self.last_fuel = fuel - remaining;
        self.last_output = output;
        match result {
            Ok(value) => Ok(value),
            Err(e) => {
                // A trap can leave the instance mid-update (and wasmtime refuses to re-enter
                // it); start over on the next call.
                self.live = None;
                Err(explain(
                    e,
                    &format!("calling `{name}`"),
                    &self.config,
                    &self.last_output,
                ))
            }
        }
    }
}

fn store_limits(config: &RunConfig) -> StoreLimits {
    StoreLimitsBuilder::new()
        .memory_size(config.memory_bytes)
        .table_elements(config.memory_bytes)
        // A trap names the limit; without it the guest just sees a failed allocation and
        // aborts with a less helpful message.
        .trap_on_grow_failure(true)
        .build()
}

fn pipe_text(pipe: &MemoryOutputPipe) -> String {
    String::from_utf8_lossy(&pipe.contents()).into_owned()
}

/// Turns a wasmtime error into an `anyhow::Error` that says what was running, which limit was
/// hit if any, and what the guest printed.
fn explain(error: wasmtime::Error, what: &str, config: &RunConfig, output: &str) -> anyhow::Error {
    let text = format!("{error:?}");
    // `StoreLimits` with `trap_on_grow_failure` reports "forcing trap when growing memory to
    // N bytes"; an initial memory over the cap fails instantiation the same way.
    let memory_cap_hit = ["growing memory", "growing table", "memory growth failure"]
        .iter()
        .any(|needle| text.contains(needle));
    let hint = match error.downcast_ref::<Trap>() {
        Some(Trap::OutOfFuel) => format!(
            " (ran out of fuel: budget {} per call)",
            config.fuel_per_call
        ),
        _ if memory_cap_hit => format!(" (memory cap of {} bytes reached)", config.memory_bytes),
        _ => String::new(),
    };
    let output = output.trim_end();
    let output = if output.is_empty() {
        String::new()
    } else {
        format!("; guest output:\n{output}")
    };
    anyhow::Error::from(error).context(format!("{what} failed{hint}{output}"))
}

/// `inbox.list-threads` for the binding's `storefront_order_messages_inbox.call_list_threads`
/// (other names come back as they are, `_` written `-`).
fn wit_function_name(export: &str) -> String {
    let (interface, function) = export.split_once('.').unwrap_or(("", export));
    let interface = interface
        .strip_prefix("storefront_order_messages_")
        .unwrap_or(interface);
    let function = function.strip_prefix("call_").unwrap_or(function);
    let name = if interface.is_empty() {
        function.to_owned()
    } else {
        format!("{interface}.{function}")
    };
    name.replace('_', "-")
}

/// The role of an argument named `actor` (for the `guest_call` span); `None` for others.
/// (The argument comes twice: once to match the name, once to refer to the variable.)
macro_rules! role_of {
    (actor, $actor:ident) => {
        Some($actor.role.name())
    };
    ($other:ident, $_same:ident) => {
        None
    };
}

macro_rules! export_calls {
    ($(
        $(#[$doc:meta])*
        fn $method:ident($($arg:ident: $ty:ty),*) -> $ret:ty
            = $iface:ident . $call:ident ($($pass:expr),*);
    )*) => {
        impl Session {
            $(
                $(#[$doc])*
                pub fn $method(&mut self, $($arg: $ty),*) -> Result<$ret> {
                    let role: Option<&'static str> = None $(.or(role_of!($arg, $arg)))*;
                    self.call_traced(
                        concat!(stringify!($iface), ".", stringify!($method)),
                        concat!(stringify!($iface), ".", stringify!($call)),
                        role,
                        |addon, store| addon.$iface().$call(store, $($pass),*),
                    )
                }
            )*
        }
    };
}

export_calls! {
    /// `messaging.post`: post into an order's thread.
    fn post(actor: &Actor, request: &PostRequest) -> Result<Message, Error>
        = storefront_order_messages_messaging.call_post(actor, request);
    /// `messaging.read-thread`: a page of an order's thread.
    fn read_thread(actor: &Actor, request: &ThreadRequest) -> Result<ThreadPage, Error>
        = storefront_order_messages_messaging.call_read_thread(actor, request);
    /// `messaging.unread-count`: unread messages of an order's thread for the actor.
    fn unread_count(actor: &Actor, order_id: &str) -> Result<u32, Error>
        = storefront_order_messages_messaging.call_unread_count(actor, &order_id.to_owned());
    /// `messaging.mark-read`.
    fn mark_read(actor: &Actor, order_id: &str) -> Result<(), Error>
        = storefront_order_messages_messaging.call_mark_read(actor, &order_id.to_owned());
    /// `messaging.mark-unread`.
    fn mark_unread(actor: &Actor, order_id: &str) -> Result<(), Error>
        = storefront_order_messages_messaging.call_mark_unread(actor, &order_id.to_owned());

    /// `inbox.list-threads`: a page of the actor's threads.
    fn list_threads(actor: &Actor, request: &ListRequest) -> Result<ListPage, Error>
        = storefront_order_messages_inbox.call_list_threads(actor, request);
    /// `inbox.bell`: the actor's bell counts.
    fn bell(actor: &Actor) -> Result<BellCounts, Error>
        = storefront_order_messages_inbox.call_bell(actor);
    /// `inbox.mark-selected`: mark the given orders' threads read or unread.
    fn mark_selected(actor: &Actor, order_ids: &[String], read: bool) -> Result<BulkResult, Error>
        = storefront_order_messages_inbox.call_mark_selected(actor, order_ids, read);
    /// `inbox.mark-matching`: mark one batch of the threads matching `query`.
    fn mark_matching(actor: &Actor, query: &Query, read: bool, cursor: Option<&str>) -> Result<BulkResult, Error>
        = storefront_order_messages_inbox.call_mark_matching(actor, query, read, cursor);

    /// `disputes.open`.
    fn open_dispute(actor: &Actor, order_id: &str, reason: &str) -> Result<Dispute, Error>
        = storefront_order_messages_disputes.call_open(actor, &order_id.to_owned(), reason);
    /// `disputes.close`.
    fn close_dispute(actor: &Actor, order_id: &str, resolution: Option<&str>) -> Result<Dispute, Error>
        = storefront_order_messages_disputes.call_close(actor, &order_id.to_owned(), resolution);
    /// `disputes.current`: the order's open dispute.
    fn current_dispute(actor: &Actor, order_id: &str) -> Result<Option<Dispute>, Error>
        = storefront_order_messages_disputes.call_current(actor, &order_id.to_owned());
    /// `disputes.history`: every dispute of the order, oldest first.
    fn dispute_history(actor: &Actor, order_id: &str) -> Result<Vec<Dispute>, Error>
        = storefront_order_messages_disputes.call_history(actor, &order_id.to_owned());

    /// `order-filter.filter`: keep the matching ones of `order_ids`.
    fn filter_orders(actor: &Actor, order_ids: &[String], filter: MessageFilter) -> Result<Vec<String>, Error>
        = storefront_order_messages_order_filter.call_filter(actor, order_ids, filter);
    /// `order-filter.list-orders`: a page of matching orders.
    fn list_orders(actor: &Actor, filter: MessageFilter, cursor: Option<&str>, limit: u32) -> Result<OrderPage, Error>
        = storefront_order_messages_order_filter.call_list_orders(actor, filter, cursor, limit);

    /// `maintenance.deliver-pending`: retry up to `limit` outbox entries.
    fn deliver_pending(limit: u32) -> Result<DeliveryReport, Error>
        = storefront_order_messages_maintenance.call_deliver_pending(limit);
    /// `maintenance.list-outbox`: pending entries (or dead letters) and the next cursor.
    fn list_outbox(dead: bool, cursor: Option<&str>, limit: u32) -> Result<(Vec<OutboxEntry>, Option<String>), Error>
        = storefront_order_messages_maintenance.call_list_outbox(dead, cursor, limit);
    /// `maintenance.verify`: recompute indexes and counters for a page of records.
    fn verify(cursor: Option<&str>, limit: u32) -> Result<VerifyReport, Error>
        = storefront_order_messages_maintenance.call_verify(cursor, limit);
    /// `maintenance.schema-version`: the stored data's schema version, after any upgrade.
    fn schema_version() -> Result<u32, Error>
        = storefront_order_messages_maintenance.call_schema_version();
}

#[cfg(test)]
mod tests {
    //! The harness machinery against the embedded component; only `schema-version`, which
    //! every build of the addon answers, is called.

    use super::*;

    fn schema_ok(session: &mut Session) -> u32 {
        match session.schema_version() {
            Ok(Ok(v)) => v,
            other => panic!("schema-version failed: {other:?}"),
        }
    }

    #[test]
    fn spans_name_exports_as_the_wit_does() {
        assert_eq!(
            wit_function_name("storefront_order_messages_order_filter.call_list_orders"),
            "order-filter.list-orders"
        );
        assert_eq!(
            wit_function_name("storefront_order_messages_disputes.call_open"),
            "disputes.open"
        );
        assert_eq!(wit_function_name("custom_name"), "custom-name");
    }

    #[test]
    fn harness_and_host_can_be_shared_across_threads() {
        fn send_sync<T: Send + Sync>() {}
        fn send<T: Send>() {}
        send_sync::<Harness>();
        send_sync::<Host>();
        send::<Session>();
    }

    #[test]
    fn a_session_instantiates_and_calls() {
        let host = Host::new();
        let mut session = Harness::shared().session(&host).unwrap();
        assert!(schema_ok(&mut session) >= 1);
        assert!(session.fuel_consumed() > 0);
        assert_eq!(session.instantiations(), 1);
    }

    #[test]
    fn running_out_of_fuel_fails_one_call_and_the_next_gets_a_fresh_instance() {
        let host = Host::new();
        let mut session = Harness::shared().session(&host).unwrap();
        let normal = session.config().clone();
        session.set_config(RunConfig {
            fuel_per_call: 10,
            ..normal.clone()
        });
        let err = session.schema_version().unwrap_err();
        assert!(format!("{err:#}").contains("ran out of fuel"), "{err:#}");
        assert_eq!(session.fuel_consumed(), 10);

        session.set_config(normal);
        assert!(schema_ok(&mut session) >= 1);
        assert_eq!(session.instantiations(), 2);
    }

    #[test]
    fn a_memory_cap_below_the_initial_memory_refuses_instantiation_only() {
        let host = Host::new();
        let tiny = Harness::shared().with_config(RunConfig {
            memory_bytes: 64 << 10,
            ..RunConfig::default()
        });
        let err = format!("{:#}", tiny.session(&host).unwrap_err());
        assert!(err.contains("instantiating"), "{err}");
        assert!(err.contains("memory cap of 65536 bytes reached"), "{err}");
        // The shared harness is unaffected.
        let mut session = Harness::shared().session(&host).unwrap();
        assert!(schema_ok(&mut session) >= 1);
    }

    #[test]
    fn storage_faults_reach_the_guest_without_trapping() {
        let host = Host::new();
        let mut session = Harness::shared().session(&host).unwrap();
        host.storage.fail_always(crate::Fault::Unavailable);
        // Whatever the addon makes of it, the call itself completes (no trap).
        let _ = session.schema_version().unwrap();
        host.storage.recover();
        assert!(schema_ok(&mut session) >= 1);
        assert_eq!(session.instantiations(), 1);
    }
}
