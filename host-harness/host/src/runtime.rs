//! Running the addon: [`Runtime`] (the compiled addon linked to a platform type, ready to
//! instantiate) and [`Instance`] (one store and instance over one platform value, reused for
//! many calls, each under the [`RunConfig`]'s limits).
//!
//! Every guest call runs in a `tracing` span `guest_call` (fields `op`, the export, and `role`,
//! the actor's role or `-`) that ends with an event giving the fuel used and the time taken.
//! Nothing is printed unless the program installs a subscriber.

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Result;
use wasmtime::component::{Linker, ResourceTable};
use wasmtime::{Store, StoreLimits, StoreLimitsBuilder, Trap};
use wasmtime_wasi::p2::pipe::MemoryOutputPipe;
use wasmtime_wasi::{HostWallClock, WasiCtx, WasiCtxView, WasiView};

use crate::bindings::{v0_1_0, v0_2_0};
use crate::imports::{AddonView, Imports, add_to_linker};
use crate::{Addon, ContractVersion};

/// Default fuel per call: about two billion wasm instructions, seconds of work.
pub const DEFAULT_FUEL_PER_CALL: u64 = 2_000_000_000;
/// Default cap on an instance's linear memories and tables: 64 MiB.
pub const DEFAULT_MEMORY_BYTES: usize = 64 << 20;
/// Captured guest output is kept up to this size per instance; writing past it traps.
const GUEST_OUTPUT_CAPACITY: usize = 16 << 20;

/// Where the guest's stdout and stderr go.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GuestOutput {
    /// Kept in memory: [`Instance::guest_output`] returns what the last call printed, and a
    /// failing call's error includes it (a guest panic message, typically).
    Capture,
    /// Written straight to the host process's stdout/stderr.
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
    /// Epoch ticks a call may run before it traps, if the platform ticks the engine's epoch
    /// ([`wasmtime::Engine::increment_epoch`], from a timer): a wall-time deadline.
    /// `None`: no deadline.
    pub epoch_deadline: Option<u64>,
    /// Where guest output goes.
    pub guest_output: GuestOutput,
}

impl Default for RunConfig {
    /// 2 billion fuel, 64 MiB, no epoch deadline, output captured.
    fn default() -> Self {
        Self {
            fuel_per_call: DEFAULT_FUEL_PER_CALL,
            memory_bytes: DEFAULT_MEMORY_BYTES,
            epoch_deadline: None,
            guest_output: GuestOutput::Capture,
        }
    }
}

/// The time the addon reads (WASI's wall clock): milliseconds since the Unix epoch.
pub trait Clock: Send + Sync + 'static {
    /// Now, in milliseconds since 1970-01-01T00:00:00Z.
    fn now_millis(&self) -> i64;
}

/// The system's real time.
#[derive(Clone, Copy, Debug, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now_millis(&self) -> i64 {
        match std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH) {
            Ok(d) => i64::try_from(d.as_millis()).unwrap_or(i64::MAX),
            Err(e) => -i64::try_from(e.duration().as_millis()).unwrap_or(i64::MAX),
        }
    }
}

/// A [`Clock`] as WASI's wall clock (times before 1970 read as the epoch: WASI's datetime is
/// unsigned).
struct WallClock(Arc<dyn Clock>);

impl HostWallClock for WallClock {
    fn resolution(&self) -> Duration {
        Duration::from_millis(1)
    }

    fn now(&self) -> Duration {
        Duration::from_millis(self.0.now_millis().max(0) as u64)
    }
}

/// A store's data: the platform value and what the runtime keeps beside it (WASI context,
/// resource table, memory limits).
pub struct StoreData<T> {
    platform: T,
    wasi: WasiCtx,
    table: ResourceTable,
    limits: StoreLimits,
}

impl<T> StoreData<T> {
    /// The platform value.
    pub fn platform(&self) -> &T {
        &self.platform
    }

    /// The platform value, mutably.
    pub fn platform_mut(&mut self) -> &mut T {
        &mut self.platform
    }
}

impl<T: AddonView> AddonView for StoreData<T> {
    fn imports(&mut self) -> Imports<'_> {
        self.platform.imports()
    }
}

impl<T: Send> WasiView for StoreData<T> {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.wasi,
            table: &mut self.table,
        }
    }
}

/// The linked component of one contract version, ready to instantiate.
enum Pre<T: 'static> {
    V0_1_0(v0_1_0::AddonPre<StoreData<T>>),
    V0_2_0(v0_2_0::AddonPre<StoreData<T>>),
}

/// An instance's exports, of its contract version.
enum Bound {
    V0_1_0(v0_1_0::Addon),
    V0_2_0(v0_2_0::Addon),
}

struct Linked<T: 'static> {
    addon: Addon,
    pre: Pre<T>,
}

/// The addon linked to a platform type `T` (its imports through `T`'s [`AddonView`], WASI
/// isolated: no environment, no arguments, no stdin, no files or network; output captured;
/// the wall clock from a [`Clock`]). Cheap to clone.
pub struct Runtime<T: 'static> {
    linked: Arc<Linked<T>>,
    config: RunConfig,
}

impl<T> Clone for Runtime<T> {
    fn clone(&self) -> Self {
        Self {
            linked: self.linked.clone(),
            config: self.config.clone(),
        }
    }
}

impl<T: AddonView + 'static> Runtime<T> {
    /// Links `addon` for platforms of type `T`, with the default [`RunConfig`].
    pub fn new(addon: &Addon) -> Result<Self> {
        let mut linker = Linker::<StoreData<T>>::new(addon.engine());
        wasmtime_wasi::p2::add_to_linker_sync(&mut linker)
            .map_err(|e| anyhow::Error::from(e).context("linking WASI"))?;
        add_to_linker(&mut linker).map_err(|e| e.context("linking the addon's imports"))?;
        let instance_pre = linker.instantiate_pre(addon.component()).map_err(|e| {
            anyhow::Error::from(e).context("the component imports something this host lacks")
        })?;
        let exports = |e: wasmtime::Error| {
            anyhow::Error::from(e).context("the component does not export the addon")
        };
        let pre = match addon.contract_version() {
            ContractVersion::V0_1_0 => {
                Pre::V0_1_0(v0_1_0::AddonPre::new(instance_pre).map_err(exports)?)
            }
            ContractVersion::V0_2_0 => {
                Pre::V0_2_0(v0_2_0::AddonPre::new(instance_pre).map_err(exports)?)
            }
        };
        Ok(Self {
            linked: Arc::new(Linked {
                addon: addon.clone(),
                pre,
            }),
            config: RunConfig::default(),
        })
    }

    /// The same runtime with other limits for the instances it starts.
    pub fn with_config(&self, config: RunConfig) -> Self {
        Self {
            linked: self.linked.clone(),
            config,
        }
    }

    /// The limits new instances start with.
    pub fn config(&self) -> &RunConfig {
        &self.config
    }

    /// The addon.
    pub fn addon(&self) -> &Addon {
        &self.linked.addon
    }

    /// An instance over `platform`, reading the system's time.
    pub fn instantiate(&self, platform: T) -> Result<Instance<T>> {
        self.instantiate_with_clock(platform, Arc::new(SystemClock))
    }

    /// An instance over `platform`, reading `clock`.
    pub fn instantiate_with_clock(
        &self,
        platform: T,
        clock: Arc<dyn Clock>,
    ) -> Result<Instance<T>> {
        let mut instance = Instance {
            runtime: self.clone(),
            config: self.config.clone(),
            clock,
            slot: Slot::Parked(platform),
            last_fuel: 0,
            last_output: String::new(),
            instantiations: 0,
        };
        instance.ensure_live()?;
        Ok(instance)
    }
}

/// A live instance in its store.
struct Live<T: 'static> {
    store: Store<StoreData<T>>,
    bound: Bound,
    output: Option<MemoryOutputPipe>,
    /// Bytes of `output` that earlier calls printed.
    output_seen: usize,
}

/// Where an instance's platform value is.
enum Slot<T: 'static> {
    /// In a live store (boxed: a store is large, a parked value may be small).
    Live(Box<Live<T>>),
    /// Waiting for the next instantiation (after a failed call, or before the first).
    Parked(T),
    /// Only while moving between the two.
    Moving,
}

/// One store and instance of the addon over a platform value, reused for many calls.
///
/// Every call gets a fresh fuel budget (and epoch deadline) and runs under the memory cap. A
/// call that traps or hits a limit returns an `Err` for that call only; the instance may then
/// be inconsistent, so it is dropped and the next call instantiates the component again over
/// the same platform value.
///
/// Each export returns `anyhow::Result<Result<T, Error>>`: the outer error is a host-side
/// failure (trap, limit), the inner one the addon's typed refusal.
pub struct Instance<T: 'static> {
    runtime: Runtime<T>,
    config: RunConfig,
    clock: Arc<dyn Clock>,
    slot: Slot<T>,
    last_fuel: u64,
    last_output: String,
    instantiations: u32,
}

impl<T> std::fmt::Debug for Instance<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Instance")
            .field("config", &self.config)
            .field("live", &matches!(self.slot, Slot::Live(_)))
            .field("last_fuel", &self.last_fuel)
            .field("instantiations", &self.instantiations)
            .finish_non_exhaustive()
    }
}

impl<T: AddonView + 'static> Instance<T> {
    /// The platform value.
    pub fn platform(&self) -> &T {
        match &self.slot {
            Slot::Live(live) => &live.store.data().platform,
            Slot::Parked(platform) => platform,
            Slot::Moving => unreachable!("an instance is never observed mid-move"),
        }
    }

    /// The platform value, mutably.
    pub fn platform_mut(&mut self) -> &mut T {
        match &mut self.slot {
            Slot::Live(live) => &mut live.store.data_mut().platform,
            Slot::Parked(platform) => platform,
            Slot::Moving => unreachable!("an instance is never observed mid-move"),
        }
    }

    /// The contract version of the instance's component.
    pub fn contract_version(&self) -> ContractVersion {
        self.runtime.addon().contract_version()
    }

    /// The instance's limits.
    pub fn config(&self) -> &RunConfig {
        &self.config
    }

    /// Changes the limits: fuel and deadline from the next call, the memory cap at once
    /// (memory already grown stays), the output setting from the next instantiation.
    pub fn set_config(&mut self, config: RunConfig) {
        if let Slot::Live(live) = &mut self.slot {
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

    /// How many times this instance instantiated the component (1, plus one after each
    /// failed call that needed a fresh instance).
    pub fn instantiations(&self) -> u32 {
        self.instantiations
    }

    /// Drops the live instance; the next call starts a fresh one.
    pub fn reset(&mut self) {
        self.park();
    }

    /// Moves the platform value out of a live store, dropping the store.
    fn park(&mut self) {
        if let Slot::Live(_) = self.slot
            && let Slot::Live(live) = std::mem::replace(&mut self.slot, Slot::Moving)
        {
            self.slot = Slot::Parked(live.store.into_data().platform);
        }
    }

    fn ensure_live(&mut self) -> Result<&mut Live<T>> {
        if let Slot::Parked(_) = self.slot {
            let Slot::Parked(platform) = std::mem::replace(&mut self.slot, Slot::Moving) else {
                unreachable!()
            };
            match self.instantiate(platform) {
                Ok(live) => self.slot = Slot::Live(Box::new(live)),
                Err((platform, e)) => {
                    self.slot = Slot::Parked(platform);
                    return Err(e);
                }
            }
        }
        match &mut self.slot {
            Slot::Live(live) => Ok(live),
            _ => unreachable!("just instantiated"),
        }
    }

    fn instantiate(&mut self, platform: T) -> Result<Live<T>, (T, anyhow::Error)> {
        let mut wasi = WasiCtx::builder();
        wasi.wall_clock(WallClock(self.clock.clone()));
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
        let data = StoreData {
            platform,
            wasi: wasi.build(),
            table: ResourceTable::new(),
            limits: store_limits(&self.config),
        };
        let mut store = Store::new(self.runtime.addon().engine(), data);
        store.limiter(|data| &mut data.limits);
        self.instantiations += 1;
        let started = Instant::now();
        let result = arm(&mut store, &self.config).and_then(|()| {
            match &self.runtime.linked.pre {
                Pre::V0_1_0(pre) => pre.instantiate(&mut store).map(Bound::V0_1_0),
                Pre::V0_2_0(pre) => pre.instantiate(&mut store).map(Bound::V0_2_0),
            }
            .map_err(anyhow::Error::from)
        });
        self.last_fuel = self.config.fuel_per_call - store.get_fuel().unwrap_or(0);
        tracing::debug!(
            fuel = self.last_fuel,
            took = ?started.elapsed(),
            ok = result.is_ok(),
            "instantiated the component"
        );
        match result {
            Ok(bound) => Ok(Live {
                store,
                bound,
                output,
                output_seen: 0,
            }),
            Err(e) => {
                let printed = output.as_ref().map(pipe_text).unwrap_or_default();
                let error = explain(e, "instantiating the component", &self.config, &printed);
                Err((store.into_data().platform, error))
            }
        }
    }

    /// Runs `f` against the live instance with a fresh fuel budget, in a `guest_call` span. On
    /// any error the instance is dropped, so the next call starts from a fresh one.
    fn call<R>(
        &mut self,
        export: &str,
        role: Option<&str>,
        f: impl FnOnce(&Bound, &mut Store<StoreData<T>>) -> wasmtime::Result<R>,
    ) -> Result<R> {
        let span = tracing::info_span!("guest_call", op = %export, role = %role.unwrap_or("-"));
        let _entered = span.enter();
        let started = Instant::now();
        let result = self.call_untraced(export, f);
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
        export: &str,
        f: impl FnOnce(&Bound, &mut Store<StoreData<T>>) -> wasmtime::Result<R>,
    ) -> Result<R> {
        self.last_output.clear();
        let config = self.config.clone();
        let live = self.ensure_live()?;
        let result = arm(&mut live.store, &config)
            .and_then(|()| f(&live.bound, &mut live.store).map_err(anyhow::Error::from));
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
        self.last_fuel = config.fuel_per_call - remaining;
        self.last_output = output;
        result.map_err(|e| {
            // A trap can leave the instance mid-update (and wasmtime refuses to re-enter it);
            // start over on the next call.
            self.park();
            explain(
                e,
                &format!("calling `{export}`"),
                &config,
                &self.last_output,
            )
        })
    }
}

/// Gives a store a fresh budget for one call (or instantiation).
fn arm<T>(store: &mut Store<T>, config: &RunConfig) -> Result<()> {
    store.set_fuel(config.fuel_per_call)?;
    // Without a deadline the epoch check must never fire.
    store.set_epoch_deadline(config.epoch_deadline.unwrap_or(u64::MAX >> 1));
    Ok(())
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

/// Turns an error into one that says what was running, which limit was hit if any, and what
/// the guest printed.
fn explain(error: anyhow::Error, what: &str, config: &RunConfig, output: &str) -> anyhow::Error {
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
        Some(Trap::Interrupt) => " (epoch deadline reached)".to_owned(),
        _ if memory_cap_hit => format!(" (memory cap of {} bytes reached)", config.memory_bytes),
        _ => String::new(),
    };
    let output = output.trim_end();
    let output = if output.is_empty() {
        String::new()
    } else {
        format!("; guest output:\n{output}")
    };
    error.context(format!("{what} failed{hint}{output}"))
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

/// One typed method per export: its WIT name, and the generated call of each contract version
/// (for 0.1.0, with the arguments converted to its types and `$back` turning its answer into
/// the newest types).
macro_rules! export_calls {
    ($(
        $(#[$doc:meta])*
        fn $method:ident($($arg:ident: $ty:ty),*) -> $ret:ty
            = $wit:literal, $iface:ident . $call:ident ($($pass:expr),*);
            v0_1_0: $old_call:expr => $back:expr;
    )*) => {
        impl<T: AddonView + 'static> Instance<T> {
            $(
                $(#[$doc])*
                pub fn $method(&mut self, $($arg: $ty),*) -> Result<$ret> {
                    let role: Option<&'static str> = None $(.or(role_of!($arg, $arg)))*;
                    self.call($wit, role, |bound, store| match bound {
                        Bound::V0_2_0(addon) => addon.$iface().$call(store, $($pass),*),
                        #[allow(clippy::redundant_closure_call)]
                        Bound::V0_1_0(addon) => {
                            let old = ($old_call)(addon, store);
                            old.map(|r| r.map($back).map_err(Into::into))
                        }
                    })
                }
            )*
        }
    };
}

use crate::types::*;

/// A newest-version value as 0.1.0's.
fn old<A: Clone + Into<B>, B>(value: &A) -> B {
    value.clone().into()
}

type V01 = v0_1_0::Addon;
type S<'a, T> = &'a mut Store<StoreData<T>>;

export_calls! {
    /// `messaging.post`: post into an order's thread.
    fn post(actor: &Actor, request: &PostRequest) -> Result<Message, Error>
        = "messaging.post", storefront_order_messages_messaging.call_post(actor, request);
        v0_1_0: |a: &V01, s: S<T>| a.storefront_order_messages_messaging()
            .call_post(s, &old(actor), &old(request)) => Into::into;
    /// `messaging.read-thread`: a page of an order's thread.
    fn read_thread(actor: &Actor, request: &ThreadRequest) -> Result<ThreadPage, Error>
        = "messaging.read-thread",
          storefront_order_messages_messaging.call_read_thread(actor, request);
        v0_1_0: |a: &V01, s: S<T>| a.storefront_order_messages_messaging()
            .call_read_thread(s, &old(actor), &old(request)) => Into::into;
    /// `messaging.unread-count`: unread messages of an order's thread for the actor.
    fn unread_count(actor: &Actor, order_id: &str) -> Result<u32, Error>
        = "messaging.unread-count",
          storefront_order_messages_messaging.call_unread_count(actor, &order_id.to_owned());
        v0_1_0: |a: &V01, s: S<T>| a.storefront_order_messages_messaging()
            .call_unread_count(s, &old(actor), &order_id.to_owned()) => |n| n;
    /// `messaging.mark-read`.
    fn mark_read(actor: &Actor, order_id: &str) -> Result<(), Error>
        = "messaging.mark-read",
          storefront_order_messages_messaging.call_mark_read(actor, &order_id.to_owned());
        v0_1_0: |a: &V01, s: S<T>| a.storefront_order_messages_messaging()
            .call_mark_read(s, &old(actor), &order_id.to_owned()) => |n| n;
    /// `messaging.mark-unread`.
    fn mark_unread(actor: &Actor, order_id: &str) -> Result<(), Error>
        = "messaging.mark-unread",
          storefront_order_messages_messaging.call_mark_unread(actor, &order_id.to_owned());
        v0_1_0: |a: &V01, s: S<T>| a.storefront_order_messages_messaging()
            .call_mark_unread(s, &old(actor), &order_id.to_owned()) => |n| n;

    /// `inbox.list-threads`: a page of the actor's threads.
    fn list_threads(actor: &Actor, request: &ListRequest) -> Result<ListPage, Error>
        = "inbox.list-threads", storefront_order_messages_inbox.call_list_threads(actor, request);
        v0_1_0: |a: &V01, s: S<T>| a.storefront_order_messages_inbox()
            .call_list_threads(s, &old(actor), &old(request)) => Into::into;
    /// `inbox.bell`: the actor's bell counts.
    fn bell(actor: &Actor) -> Result<BellCounts, Error>
        = "inbox.bell", storefront_order_messages_inbox.call_bell(actor);
        v0_1_0: |a: &V01, s: S<T>| a.storefront_order_messages_inbox()
            .call_bell(s, &old(actor)) => Into::into;
    /// `inbox.mark-selected`: mark (a batch of) the given orders' threads read or unread.
    fn mark_selected(actor: &Actor, order_ids: &[String], read: bool, cursor: Option<&str>) -> Result<BulkResult, Error>
        = "inbox.mark-selected",
          storefront_order_messages_inbox.call_mark_selected(actor, order_ids, read, cursor);
        // 0.1.0 marks every selected thread in one call and never returns a cursor.
        v0_1_0: |a: &V01, s: S<T>| a.storefront_order_messages_inbox()
            .call_mark_selected(s, &old(actor), order_ids, read) => Into::into;
    /// `inbox.mark-matching`: mark one batch of the threads matching `query`.
    fn mark_matching(actor: &Actor, query: &Query, read: bool, cursor: Option<&str>) -> Result<BulkResult, Error>
        = "inbox.mark-matching",
          storefront_order_messages_inbox.call_mark_matching(actor, query, read, cursor);
        v0_1_0: |a: &V01, s: S<T>| a.storefront_order_messages_inbox()
            .call_mark_matching(s, &old(actor), &old(query), read, cursor) => Into::into;

    /// `disputes.open`.
    fn open_dispute(actor: &Actor, order_id: &str, reason: &str) -> Result<Dispute, Error>
        = "disputes.open",
          storefront_order_messages_disputes.call_open(actor, &order_id.to_owned(), reason);
        v0_1_0: |a: &V01, s: S<T>| a.storefront_order_messages_disputes()
            .call_open(s, &old(actor), &order_id.to_owned(), reason) => Into::into;
    /// `disputes.close`.
    fn close_dispute(actor: &Actor, order_id: &str, resolution: Option<&str>) -> Result<Dispute, Error>
        = "disputes.close",
          storefront_order_messages_disputes.call_close(actor, &order_id.to_owned(), resolution);
        v0_1_0: |a: &V01, s: S<T>| a.storefront_order_messages_disputes()
            .call_close(s, &old(actor), &order_id.to_owned(), resolution) => Into::into;
    /// `disputes.current`: the order's open dispute.
    fn current_dispute(actor: &Actor, order_id: &str) -> Result<Option<Dispute>, Error>
        = "disputes.current",
          storefront_order_messages_disputes.call_current(actor, &order_id.to_owned());
        v0_1_0: |a: &V01, s: S<T>| a.storefront_order_messages_disputes()
            .call_current(s, &old(actor), &order_id.to_owned())
            => |d: Option<_>| d.map(Into::into);
    /// `disputes.history`: every dispute of the order, oldest first.
    fn dispute_history(actor: &Actor, order_id: &str) -> Result<Vec<Dispute>, Error>
        = "disputes.history",
          storefront_order_messages_disputes.call_history(actor, &order_id.to_owned());
        v0_1_0: |a: &V01, s: S<T>| a.storefront_order_messages_disputes()
            .call_history(s, &old(actor), &order_id.to_owned())
            => |all: Vec<_>| all.into_iter().map(Into::into).collect();

    /// `order-filter.filter`: keep the matching ones of `order_ids`.
    fn filter_orders(actor: &Actor, order_ids: &[String], filter: MessageFilter) -> Result<Vec<String>, Error>
        = "order-filter.filter",
          storefront_order_messages_order_filter.call_filter(actor, order_ids, filter);
        v0_1_0: |a: &V01, s: S<T>| a.storefront_order_messages_order_filter()
            .call_filter(s, &old(actor), order_ids, filter.into()) => |ids| ids;
    /// `order-filter.list-orders`: a page of matching orders.
    fn list_orders(actor: &Actor, filter: MessageFilter, cursor: Option<&str>, limit: u32) -> Result<OrderPage, Error>
        = "order-filter.list-orders",
          storefront_order_messages_order_filter.call_list_orders(actor, filter, cursor, limit);
        v0_1_0: |a: &V01, s: S<T>| a.storefront_order_messages_order_filter()
            .call_list_orders(s, &old(actor), filter.into(), cursor, limit) => Into::into;

    /// `maintenance.deliver-pending`: apply pending work, then deliver up to `limit` outbox
    /// entries.
    fn deliver_pending(limit: u32) -> Result<DeliveryReport, Error>
        = "maintenance.deliver-pending",
          storefront_order_messages_maintenance.call_deliver_pending(limit);
        v0_1_0: |a: &V01, s: S<T>| a.storefront_order_messages_maintenance()
            .call_deliver_pending(s, limit) => Into::into;
    /// `maintenance.list-outbox`: pending entries (or dead letters) and the next cursor.
    fn list_outbox(dead: bool, cursor: Option<&str>, limit: u32) -> Result<(Vec<OutboxEntry>, Option<String>), Error>
        = "maintenance.list-outbox",
          storefront_order_messages_maintenance.call_list_outbox(dead, cursor, limit);
        v0_1_0: |a: &V01, s: S<T>| a.storefront_order_messages_maintenance()
            .call_list_outbox(s, dead, cursor, limit)
            => |(page, next): (Vec<_>, _)| (page.into_iter().map(Into::into).collect(), next);
    /// `maintenance.verify`: recompute indexes and counters for a page of records.
    fn verify(cursor: Option<&str>, limit: u32) -> Result<VerifyReport, Error>
        = "maintenance.verify", storefront_order_messages_maintenance.call_verify(cursor, limit);
        v0_1_0: |a: &V01, s: S<T>| a.storefront_order_messages_maintenance()
            .call_verify(s, cursor, limit) => Into::into;
    /// `maintenance.schema-version`: the stored data's schema version.
    fn schema_version() -> Result<u32, Error>
        = "maintenance.schema-version",
          storefront_order_messages_maintenance.call_schema_version();
        v0_1_0: |a: &V01, s: S<T>| a.storefront_order_messages_maintenance()
            .call_schema_version(s) => |v| v;
    /// `maintenance.migrate`: upgrade older data, a batch per call. (A 0.1.0 component has no
    /// older layout to upgrade: it answers that there is nothing to do.)
    fn migrate(cursor: Option<&str>, limit: u32) -> Result<MigrateReport, Error>
        = "maintenance.migrate", storefront_order_messages_maintenance.call_migrate(cursor, limit);
        v0_1_0: |a: &V01, s: S<T>| a.storefront_order_messages_maintenance()
            .call_schema_version(s) => |v| MigrateReport {
                from_version: v,
                to_version: v,
                migrated: 0,
                next_cursor: None,
            };
}
