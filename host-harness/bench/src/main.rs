//! The addon's cost to a host: component size, compile and instantiate times, and per operation
//! the median, p99 and mean time through the component and natively (the same domain code
//! compiled into the host), their ratio, fuel, and the storage work, at scale tiers of 1k, 10k
//! and 100k threads, over the in-memory and the SQLite store. BENCHMARKS.md has the numbers and
//! what limits them.
//!
//! ```sh
//! cargo run -p order-messages-bench --profile bench                         # 1k, 10k
//! cargo run -p order-messages-bench --profile bench -- --tiers 1k,10k,100k
//! cargo run -p order-messages-bench -- --smoke                              # CI
//! ```
//!
//! A program rather than a `cargo bench` target: `cargo bench` compiles a bench as a test unit,
//! which must unwind, while the workspace's release profile (which `bench` inherits) aborts on
//! panic; cargo then builds the `order-messages` crate twice, and its `cdylib` outputs, which
//! carry no hash in their names, collide and break the build. A program is built once, with
//! the `bench` profile (optimised, no whole-program LTO) when asked. No benchmarking framework:
//! every call is timed on its own, which gives the percentiles directly.

use std::collections::BTreeMap;
use std::io::Write as _;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use clap::Parser;
use indicatif::{ProgressBar, ProgressStyle};
use order_messages::native::{Native, Operations};
use order_messages_app::seed::{Dataset, Progress, Rng, SeedReport, SeedSpec};
use order_messages_component::WASM as COMPONENT;
use order_messages_host::types::*;
use order_messages_host::{MemoryStorage, Storage};
use order_messages_platform::{
    Platform, Session, SharedStorage, SqliteOptions, StorageStats, Synchronous,
};
use serde::Serialize;
use wasmtime::component::{Component, Linker, ResourceTable};
use wasmtime::{Config, Engine, InstanceAllocationStrategy, PoolingAllocationConfig, Store};
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};

/// Benchmarks of the order-messages addon, through the component and natively.
#[derive(Parser, Debug)]
struct Args {
    /// The smallest tier with few iterations: checks that the benchmark works (CI).
    #[arg(long)]
    smoke: bool,
    /// Scale tiers, in threads (`1k`, `10k`, `100k`, or plain numbers).
    #[arg(long, value_delimiter = ',', default_value = "1k,10k", value_parser = parse_count)]
    tiers: Vec<u32>,
    /// Measure with the `host-drains` delivery setting (set after seeding): a post is one
    /// commit and its fan-out waits for `deliver-pending`, which the post's row then leaves out.
    #[arg(long)]
    host_drains: bool,
    /// Staff users in every data set (each post's fan-out reaches all of them).
    #[arg(long, default_value_t = 3)]
    staff: u32,
    /// Messages posted per thread when seeding (10 gives 1M messages at 100k threads).
    #[arg(long, default_value_t = 10)]
    messages_per_thread: u64,
    /// Timed calls per operation and per engine.
    #[arg(long, default_value_t = 200)]
    iterations: usize,
    /// Seed through the component (`wasm`), natively (`native`, identical storage, faster), or
    /// `auto`: through the component up to 100k messages, natively above.
    #[arg(long, default_value = "auto")]
    seed_with: SeedWith,
    /// Storage backends to measure: `memory`, `sqlite` (the SQLite tier is a copy of the
    /// memory tier's data, in a file under target/bench/).
    #[arg(long, value_delimiter = ',', default_value = "memory,sqlite")]
    backends: Vec<Backend>,
    /// Only the operations whose name contains one of these (e.g. `post,inbox staff`), for
    /// focused runs under a profiler.
    #[arg(long, value_delimiter = ',')]
    only: Vec<String>,
    /// Which engines run the operations: `wasm`, `native` (both by default).
    #[arg(long, value_delimiter = ',', default_value = "wasm,native")]
    engines: Vec<Which>,
    /// Also print, for a few operations on a 1k-thread data set, the keys they read, scan,
    /// put and delete, by key family (`kx/s`, `rs`, `t`, …).
    #[arg(long)]
    explain: bool,
    /// Skip the component size, compile and instantiation measurements.
    #[arg(long)]
    no_component: bool,
    /// Where to write the results as JSON (default: target/bench/results.json).
    #[arg(long)]
    json: Option<PathBuf>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
enum Which {
    Wasm,
    Native,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
enum Backend {
    Memory,
    Sqlite,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum, Serialize)]
#[serde(rename_all = "lowercase")]
enum SeedWith {
    Auto,
    Wasm,
    Native,
}

fn parse_count(text: &str) -> Result<u32, String> {
    let text = text.trim().to_ascii_lowercase();
    let (digits, factor) = match text.strip_suffix('k') {
        Some(d) => (d, 1_000),
        None => match text.strip_suffix('m') {
            Some(d) => (d, 1_000_000),
            None => (text.as_str(), 1),
        },
    };
    digits
        .parse::<u32>()
        .ok()
        .and_then(|n| n.checked_mul(factor))
        .filter(|n| *n > 0)
        .ok_or_else(|| format!("`{text}` is not a count like 1k, 10k or 2500"))
}

// ---- Measuring ----

/// One timed operation: wall time and fuel (0 natively).
#[derive(Clone, Copy, Debug, Default)]
struct Sample {
    nanos: u64,
    fuel: u64,
}

/// Percentiles of a set of samples, in microseconds.
#[derive(Clone, Copy, Debug, Default, Serialize)]
struct Stats {
    n: usize,
    median_us: f64,
    p99_us: f64,
    mean_us: f64,
    min_us: f64,
}

impl Stats {
    fn of(nanos: &[u64]) -> Stats {
        if nanos.is_empty() {
            return Stats::default();
        }
        let mut v = nanos.to_vec();
        v.sort_unstable();
        let at = |q: f64| v[((v.len() as f64 * q).ceil() as usize).clamp(1, v.len()) - 1];
        Stats {
            n: v.len(),
            median_us: at(0.5) as f64 / 1e3,
            p99_us: at(0.99) as f64 / 1e3,
            mean_us: v.iter().sum::<u64>() as f64 / v.len() as f64 / 1e3,
            min_us: v[0] as f64 / 1e3,
        }
    }
}

/// Storage work of one operation, on average: calls to the storage and directory imports and
/// what they moved; and the largest commit any one call made.
#[derive(Clone, Copy, Debug, Default, Serialize)]
struct Work {
    calls: f64,
    directory_calls: f64,
    keys_read: f64,
    entries_scanned: f64,
    commits: f64,
    writes: f64,
    /// The most checks + writes one commit carried (a maximum, not an average).
    largest_commit: u64,
    /// The most bytes of keys and values one commit carried (a maximum).
    largest_commit_bytes: u64,
}

impl Work {
    /// Adds one call's work: `call` is the storage counted from zero at the call's start (so
    /// that its largest commit is the call's own), `directory_calls` made during it.
    fn add(&mut self, call: &StorageStats, directory_calls: u64) {
        self.directory_calls += directory_calls as f64;
        self.largest_commit = self.largest_commit.max(call.largest_commit);
        self.largest_commit_bytes = self.largest_commit_bytes.max(call.largest_commit_bytes);
        self.calls += (call.gets + call.get_manys + call.scans + call.commits) as f64;
        self.keys_read += call.keys_read as f64;
        self.entries_scanned += call.entries_scanned as f64;
        self.commits += call.commits as f64;
        self.writes += call.writes as f64;
    }

    fn per(self, n: usize) -> Work {
        let n = n.max(1) as f64;
        Work {
            calls: self.calls / n,
            directory_calls: self.directory_calls / n,
            largest_commit: self.largest_commit,
            largest_commit_bytes: self.largest_commit_bytes,
            keys_read: self.keys_read / n,
            entries_scanned: self.entries_scanned / n,
            commits: self.commits / n,
            writes: self.writes / n,
        }
    }
}

/// What the benchmark needs beyond [`Operations`]: a name and the fuel of the last call.
trait Driver: Operations<Platform = Platform> {
    const NAME: &'static str;
    fn fuel(&self) -> u64;
}

impl Driver for Session {
    const NAME: &'static str = "wasm";
    fn fuel(&self) -> u64 {
        self.fuel_consumed()
    }
}

impl Driver for Native<Platform> {
    const NAME: &'static str = "native";
    fn fuel(&self) -> u64 {
        0
    }
}

/// Samples of one operation on one engine, with the storage work they did.
#[derive(Default)]
struct Recorder {
    samples: Vec<Sample>,
    work: Work,
}

impl Recorder {
    /// Times one call (which must succeed), adding its wall time and fuel to `into`, and its
    /// storage work to the recorder's.
    fn call<E: Driver, T>(
        &mut self,
        engine: &mut E,
        into: &mut Sample,
        f: impl FnOnce(&mut E) -> Result<Result<T, Error>>,
    ) -> Result<T> {
        let platform = engine.platform();
        platform.storage.reset_stats();
        platform.directory.reset_calls();
        let started = Instant::now();
        let result = f(engine);
        let elapsed = started.elapsed();
        let platform = engine.platform();
        let after = platform.storage.stats();
        self.work.add(&after, platform.directory.calls());
        into.nanos += elapsed.as_nanos() as u64;
        into.fuel += engine.fuel();
        match result? {
            Ok(value) => Ok(value),
            Err(e) => bail!("{} refused a benchmark call: {}", E::NAME, e.describe()),
        }
    }

    fn push(&mut self, sample: Sample) {
        self.samples.push(sample);
    }
}

/// The result of one operation at one tier.
#[derive(Clone, Debug, Serialize)]
struct OpResult {
    name: String,
    wasm: Stats,
    native: Stats,
    /// wasm median / native median.
    ratio: f64,
    fuel_median: u64,
    /// Per operation, the same through both engines (taken from the component's run).
    storage: Work,
    target: Option<Target>,
}

/// A target from issue 5 that applies to an operation's time.
#[derive(Clone, Copy, Debug, Serialize)]
struct Target {
    max_us: f64,
    /// The tier at which the target is set (its number of threads), if any.
    at_threads: Option<u32>,
}

fn target_of(name: &str) -> Option<Target> {
    let t = |max_us, at_threads| {
        Some(Target {
            max_us,
            at_threads: Some(at_threads),
        })
    };
    if name.starts_with("post") {
        t(30.0, 100_000)
    } else if name.starts_with("inbox") {
        t(1_000.0, 100_000)
    } else if name.starts_with("search") {
        t(5_000.0, 100_000)
    } else if name.starts_with("bell") {
        Some(Target {
            max_us: 20.0,
            at_threads: None,
        })
    } else {
        None
    }
}

/// The people and choices a workload draws from.
struct Workload<'a> {
    data: &'a Dataset,
    iterations: usize,
    warmup: usize,
}

const INBOX_PAGE: u32 = 25;
const THREAD_PAGE: u32 = 25;
const FILTER_IDS: usize = 1_000;
const SEARCH_ONE: &str = "refund";
const SEARCH_TWO: &str = "refund damaged";
const POST_BODIES: &[&str] = &[
    "Any news about the delivery of my parcel?",
    "We shipped the replacement this morning, tracking follows.",
    "The box arrived damaged, can I get a refund or an exchange?",
    "Thanks, the invoice is attached to the order now.",
];

impl Workload<'_> {
    fn staff(&self, i: usize) -> &Actor {
        &self.data.staff()[i % self.data.staff().len()]
    }

    fn vendor(&self, i: usize) -> &Actor {
        let vendors = self.data.vendors();
        &vendors[i % vendors.len()].users[0]
    }

    /// A random order (index) and its customer.
    fn order(&self, rng: &mut Rng) -> (usize, &Actor) {
        let i = rng.below_u64(self.data.orders().len() as u64) as usize;
        (i, self.data.customer_of(i))
    }

    fn order_id(&self, i: usize) -> &str {
        &self.data.orders()[i].id
    }

    /// Runs `one` for the warm-up and the timed iterations; `one` records into the recorder
    /// and returns the iteration's sample (several calls may add up to one sample).
    fn repeat<E: Driver>(
        &self,
        engine: &mut E,
        rng: &mut Rng,
        mut one: impl FnMut(&mut E, &mut Recorder, &mut Rng, usize) -> Result<Sample>,
    ) -> Result<Recorder> {
        let mut warm = Recorder::default();
        for i in 0..self.warmup {
            one(engine, &mut warm, rng, i)?;
        }
        let mut rec = Recorder::default();
        for i in 0..self.iterations {
            let sample = one(engine, &mut rec, rng, i)?;
            rec.push(sample);
        }
        Ok(rec)
    }

    /// One operation on one engine: its name(s) and recordings (opening and closing a
    /// dispute are measured together and give two). Each operation draws its random choices
    /// from its own seed, so both engines make the same calls.
    fn run_op<E: Driver>(&self, engine: &mut E, op: Op) -> Result<Vec<Recorder>> {
        let seed = op
            .to_string()
            .bytes()
            .fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
                (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
            });
        let mut rng = Rng::new(seed);
        let rng = &mut rng;
        let one = |rec: Recorder| Ok(vec![rec]);
        match op {
            Op::Post => one(self.repeat(engine, rng, |e, rec, rng, i| {
                let (o, customer) = self.order(rng);
                let request = PostRequest::new(self.order_id(o), POST_BODIES[i % 4]);
                let mut s = Sample::default();
                rec.call(e, &mut s, |e| e.post(customer, &request))?;
                Ok(s)
            })?),
            Op::ReadThread => one(self.repeat(engine, rng, |e, rec, rng, _| {
                let (o, customer) = self.order(rng);
                let request = ThreadRequest::new(self.order_id(o))
                    .newest_first()
                    .with_limit(THREAD_PAGE);
                let mut s = Sample::default();
                rec.call(e, &mut s, |e| e.read_thread(customer, &request))?;
                Ok(s)
            })?),
            Op::Inbox(who, filter) => {
                let query = match filter {
                    Filter::All => Query::all(),
                    Filter::Unread => Query::unread(),
                    Filter::OpenDisputes => Query::open_disputes(),
                };
                let request = ListRequest::new(query, INBOX_PAGE);
                one(self.repeat(engine, rng, |e, rec, rng, i| {
                    let actor = match who {
                        Who::Staff => self.staff(i).clone(),
                        Who::Vendor => self.vendor(i).clone(),
                        Who::Customer => self.order(rng).1.clone(),
                    };
                    let mut s = Sample::default();
                    rec.call(e, &mut s, |e| e.list_threads(&actor, &request))?;
                    Ok(s)
                })?)
            }
            Op::Search(words) => {
                let text = if words == 1 { SEARCH_ONE } else { SEARCH_TWO };
                let request = ListRequest::new(Query::all().with_search(text), INBOX_PAGE);
                one(self.repeat(engine, rng, |e, rec, _, i| {
                    let staff = self.staff(i);
                    let mut s = Sample::default();
                    rec.call(e, &mut s, |e| e.list_threads(staff, &request))?;
                    Ok(s)
                })?)
            }
            Op::Bell(who) => one(self.repeat(engine, rng, |e, rec, rng, i| {
                let actor = match who {
                    Who::Staff => self.staff(i),
                    Who::Vendor => self.vendor(i),
                    Who::Customer => self.order(rng).1,
                };
                let mut s = Sample::default();
                rec.call(e, &mut s, |e| e.bell(actor))?;
                Ok(s)
            })?),
            Op::OrderFilter => {
                let orders = self.data.orders();
                one(self.repeat(engine, rng, |e, rec, rng, i| {
                    let n = FILTER_IDS.min(orders.len());
                    let start = rng.below_u64((orders.len() - n + 1) as u64) as usize;
                    let ids: Vec<String> = orders[start..start + n]
                        .iter()
                        .map(|o| o.id.clone())
                        .collect();
                    let staff = self.staff(i);
                    let mut s = Sample::default();
                    rec.call(e, &mut s, |e| {
                        e.filter_orders(staff, &ids, MessageFilter::WithUnread)
                    })?;
                    Ok(s)
                })?)
            }
            // Mark all of a vendor's threads read, every batch until done; first (untimed)
            // make them unread again so that every iteration has the same work.
            Op::MarkAllRead => one(self.repeat(engine, rng, |e, rec, _, i| {
                let vendor = self.vendor(i);
                let query = Query::all();
                let mut untimed = Recorder::default();
                let mut cursor = None;
                loop {
                    let done = untimed.call(e, &mut Sample::default(), |e| {
                        e.mark_matching(vendor, &query, false, cursor.as_deref())
                    })?;
                    cursor = done.next_cursor;
                    if cursor.is_none() {
                        break;
                    }
                }
                let mut s = Sample::default();
                loop {
                    let done = rec.call(e, &mut s, |e| {
                        e.mark_matching(vendor, &query, true, cursor.as_deref())
                    })?;
                    cursor = done.next_cursor;
                    if cursor.is_none() {
                        break;
                    }
                }
                Ok(s)
            })?),
            // Open a dispute (the order's customer) on an order without one, and close it
            // again (staff): one sample each.
            Op::Disputes => {
                let mut close = Recorder::default();
                let open = self.repeat(engine, rng, |e, rec, rng, i| {
                    let mut untimed = Recorder::default();
                    let (o, customer) = loop {
                        let (o, customer) = self.order(rng);
                        let page = untimed.call(e, &mut Sample::default(), |e| {
                            e.read_thread(
                                customer,
                                &ThreadRequest::new(self.order_id(o)).with_limit(1),
                            )
                        })?;
                        if !page.dispute_open {
                            break (o, customer);
                        }
                    };
                    let mut s = Sample::default();
                    rec.call(e, &mut s, |e| {
                        e.open_dispute(customer, self.order_id(o), "Item never arrived")
                    })?;
                    let mut c = Sample::default();
                    close.call(e, &mut c, |e| {
                        e.close_dispute(self.staff(i), self.order_id(o), Some("Refunded"))
                    })?;
                    close.push(c);
                    Ok(s)
                })?;
                // The warm-up's closes are not samples.
                close.samples.drain(..self.warmup.min(close.samples.len()));
                Ok(vec![open, close])
            }
        }
    }
}

/// Who acts.
#[derive(Clone, Copy, Debug)]
enum Who {
    Staff,
    Vendor,
    Customer,
}

impl Who {
    fn name(self) -> &'static str {
        match self {
            Who::Staff => "staff",
            Who::Vendor => "vendor",
            Who::Customer => "customer",
        }
    }
}

/// The benchmarked operations.
#[derive(Clone, Copy, Debug)]
enum Op {
    Post,
    ReadThread,
    Inbox(Who, Filter),
    /// A search of one or two words.
    Search(u8),
    Bell(Who),
    OrderFilter,
    Disputes,
    MarkAllRead,
}

impl Op {
    /// Every operation, in the order they run: read-only ones first, and the one that changes
    /// the most (marking a vendor's threads all read) last.
    fn all() -> Vec<Op> {
        let mut ops = vec![Op::ReadThread];
        for who in [Who::Staff, Who::Vendor, Who::Customer] {
            for filter in [Filter::All, Filter::Unread, Filter::OpenDisputes] {
                ops.push(Op::Inbox(who, filter));
            }
        }
        ops.extend([
            Op::Search(1),
            Op::Search(2),
            Op::Bell(Who::Staff),
            Op::Bell(Who::Vendor),
            Op::OrderFilter,
            Op::Post,
            Op::Disputes,
            Op::MarkAllRead,
        ]);
        ops
    }
}

impl Op {
    /// The names of the results an operation gives.
    fn names(self) -> Vec<String> {
        match self {
            Op::Post => vec!["post".into()],
            Op::ReadThread => vec![format!("read thread page ({THREAD_PAGE})")],
            Op::Inbox(who, filter) => vec![format!(
                "inbox {} {}",
                who.name(),
                match filter {
                    Filter::All => "all",
                    Filter::Unread => "unread",
                    Filter::OpenDisputes => "disputes",
                }
            )],
            Op::Search(words) => vec![format!(
                "search staff {words} word{}",
                if words == 1 { "" } else { "s" }
            )],
            Op::Bell(who) => vec![format!("bell {}", who.name())],
            Op::OrderFilter => vec![format!("order filter {FILTER_IDS} ids")],
            Op::Disputes => vec!["open dispute".into(), "close dispute".into()],
            Op::MarkAllRead => vec!["mark all read vendor".into()],
        }
    }
}

impl std::fmt::Display for Op {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{self:?}")
    }
}

// ---- Component size, compile and instantiate ----

/// The store data of the instantiation benchmark: just WASI (the addon's own imports are
/// defined as traps, which instantiation never calls; the real ones cost the same to link).
struct Bare {
    wasi: WasiCtx,
    table: ResourceTable,
}

impl WasiView for Bare {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.wasi,
            table: &mut self.table,
        }
    }
}

#[derive(Clone, Debug, Serialize)]
struct ComponentResult {
    size_bytes: usize,
    compile_ms: Stats,
    /// `Store::new` + `InstancePre::instantiate`, default (on-demand) allocator.
    instantiate: Stats,
    /// The same with the pooling allocator.
    instantiate_pooling: Stats,
    /// `Harness::session`: WASI context with captured output, limits, fuel, instantiation.
    session_new: Stats,
    instantiate_fuel: u64,
}

fn engine_config(pooling: bool) -> Config {
    let mut config = Config::new();
    // As the harness: fuel bounds every call.
    config.consume_fuel(true);
    if pooling {
        let mut pool = PoolingAllocationConfig::default();
        pool.total_component_instances(64)
            .total_core_instances(256)
            .total_memories(64)
            .total_tables(256)
            .max_memory_size(64 << 20);
        config.allocation_strategy(InstanceAllocationStrategy::Pooling(pool));
    }
    config
}

fn instantiate_times(pooling: bool, iterations: usize) -> Result<(Vec<u64>, Vec<u64>)> {
    let engine = Engine::new(&engine_config(pooling)).map_err(anyhow::Error::from)?;
    let mut compile = Vec::new();
    let mut component = None;
    for _ in 0..if pooling { 1 } else { 3 } {
        let started = Instant::now();
        component = Some(Component::new(&engine, COMPONENT).map_err(anyhow::Error::from)?);
        compile.push(started.elapsed().as_nanos() as u64);
    }
    let component = component.expect("compiled at least once");
    let mut linker = Linker::<Bare>::new(&engine);
    wasmtime_wasi::p2::add_to_linker_sync(&mut linker).map_err(anyhow::Error::from)?;
    linker
        .define_unknown_imports_as_traps(&component)
        .map_err(anyhow::Error::from)?;
    let pre = linker
        .instantiate_pre(&component)
        .map_err(anyhow::Error::from)?;
    let mut times = Vec::with_capacity(iterations);
    for i in 0..iterations + 10 {
        let data = Bare {
            wasi: WasiCtx::builder().build(),
            table: ResourceTable::new(),
        };
        let started = Instant::now();
        let mut store = Store::new(&engine, data);
        store.set_fuel(u64::MAX).map_err(anyhow::Error::from)?;
        let instance = pre.instantiate(&mut store).map_err(anyhow::Error::from)?;
        let elapsed = started.elapsed();
        drop((instance, store));
        if i >= 10 {
            times.push(elapsed.as_nanos() as u64);
        }
    }
    Ok((compile, times))
}

fn measure_component(iterations: usize) -> Result<ComponentResult> {
    let (compile, instantiate) = instantiate_times(false, iterations)?;
    let (_, pooling) = instantiate_times(true, iterations)?;
    let platform = Platform::new();
    let harness = order_messages_platform::runtime();
    let mut session_new = Vec::new();
    let mut fuel = 0;
    for i in 0..iterations + 10 {
        let started = Instant::now();
        let session = platform.session_with(harness)?;
        let elapsed = started.elapsed();
        fuel = session.fuel_consumed();
        if i >= 10 {
            session_new.push(elapsed.as_nanos() as u64);
        }
    }
    Ok(ComponentResult {
        size_bytes: COMPONENT.len(),
        compile_ms: {
            let s = Stats::of(&compile);
            Stats {
                median_us: s.median_us / 1e3,
                p99_us: s.p99_us / 1e3,
                mean_us: s.mean_us / 1e3,
                min_us: s.min_us / 1e3,
                ..s
            }
        },
        instantiate: Stats::of(&instantiate),
        instantiate_pooling: Stats::of(&pooling),
        session_new: Stats::of(&session_new),
        instantiate_fuel: fuel,
    })
}

// ---- Tiers ----

#[derive(Clone, Debug, Serialize)]
struct TierResult {
    backend: String,
    threads: u32,
    messages: u64,
    seeded_with: String,
    seed_seconds: f64,
    seed_calls: u64,
    seed_calls_per_second: f64,
    disputes_opened: u64,
    disputes_closed: u64,
    reads: u64,
    stored_keys: usize,
    ops: Vec<OpResult>,
    /// SQLite only: posting one after the other with each `synchronous` setting.
    durable_posts: Vec<DurablePosts>,
    /// SQLite only: write 4 KiB + fdatasync on the disk holding the file, measured just
    /// before the durable posts.
    fsync: Option<Stats>,
}

fn seed_tier(
    platform: &Platform,
    spec: SeedSpec,
    with: SeedWith,
) -> Result<(Dataset, SeedReport, SeedWith)> {
    let data = Dataset::generate(spec.clone());
    data.install(platform);
    let with = match with {
        SeedWith::Auto if spec.messages <= 100_000 => SeedWith::Wasm,
        SeedWith::Auto => SeedWith::Native,
        other => other,
    };
    let bar = ProgressBar::new(spec.messages);
    bar.set_style(
        ProgressStyle::with_template(
            "  seeding {msg} [{bar:30}] {pos}/{len} messages, {per_sec}, eta {eta}",
        )
        .expect("a valid template")
        .progress_chars("=> "),
    );
    bar.set_message(format!("{} threads ({with:?})", spec.threads));
    let progress = |p: Progress| bar.set_position(p.posts);
    let report = match with {
        SeedWith::Native => data.run(&mut order_messages_app::native(platform), progress)?,
        _ => data.run(&mut platform.session()?, progress)?,
    };
    bar.finish_and_clear();
    Ok((data, report, with))
}

/// Every operation through both engines over `host`, each operation's calls through the
/// component and natively back to back (same state, same choices).
fn run_ops(args: &Args, workload: &Workload, platform: &Platform) -> Result<Vec<OpResult>> {
    let mut session = platform.session()?;
    let mut native = order_messages_app::native(platform);
    let mut ops = Vec::new();
    for op in Op::all() {
        if !args.only.is_empty()
            && !op
                .names()
                .iter()
                .any(|n| args.only.iter().any(|o| n.contains(o.as_str())))
        {
            continue;
        }
        let wasm = if args.engines.contains(&Which::Wasm) {
            workload
                .run_op(&mut session, op)
                .with_context(|| format!("{op} (wasm)"))?
        } else {
            Vec::new()
        };
        let native_runs = if args.engines.contains(&Which::Native) {
            workload
                .run_op(&mut native, op)
                .with_context(|| format!("{op} (native)"))?
        } else {
            Vec::new()
        };
        for (i, name) in op.names().into_iter().enumerate() {
            let (w, n) = (wasm.get(i), native_runs.get(i));
            let nanos = |r: Option<&Recorder>| {
                r.map(|r| r.samples.iter().map(|s| s.nanos).collect::<Vec<_>>())
                    .unwrap_or_default()
            };
            let (wasm, native) = (Stats::of(&nanos(w)), Stats::of(&nanos(n)));
            let mut fuel: Vec<u64> = w
                .map(|r| r.samples.iter().map(|s| s.fuel).collect())
                .unwrap_or_default();
            fuel.sort_unstable();
            let work = w
                .or(n)
                .map(|r| r.work.per(r.samples.len()))
                .unwrap_or_default();
            ops.push(OpResult {
                target: target_of(&name),
                ratio: if wasm.n > 0 && native.n > 0 {
                    wasm.median_us / native.median_us.max(1e-3)
                } else {
                    0.0
                },
                fuel_median: fuel.get(fuel.len() / 2).copied().unwrap_or(0),
                storage: work,
                name,
                wasm,
                native,
            });
        }
    }
    Ok(ops)
}

/// Posting through a SQLite store, one post after the other, with each `synchronous` setting.
#[derive(Clone, Debug, Serialize)]
struct DurablePosts {
    synchronous: String,
    engine: String,
    posts: usize,
    posts_per_second: f64,
    post: Stats,
}

fn durable_posts(
    platform: &Platform,
    path: &std::path::Path,
    data: &Dataset,
    posts: usize,
) -> Result<Vec<DurablePosts>> {
    let mut out = Vec::new();
    for synchronous in [Synchronous::Normal, Synchronous::Full] {
        let storage = SharedStorage::sqlite_with(
            path,
            SqliteOptions::default().with_synchronous(synchronous),
        )?;
        let platform = platform.clone().with_storage(storage);
        let mut rng = Rng::new(7);
        let mut run =
            |engine: &mut dyn Operations<Platform = Platform>, name: &str| -> Result<()> {
                let mut nanos = Vec::with_capacity(posts);
                for i in 0..posts {
                    let o = rng.below_u64(data.orders().len() as u64) as usize;
                    let request = PostRequest::new(&data.orders()[o].id, POST_BODIES[i % 4]);
                    let started = Instant::now();
                    let result = engine.post(data.customer_of(o), &request)?;
                    nanos.push(started.elapsed().as_nanos() as u64);
                    if let Err(e) = result {
                        bail!("a durable post was refused: {}", e.describe());
                    }
                }
                let total: u64 = nanos.iter().sum();
                out.push(DurablePosts {
                    synchronous: format!("{synchronous:?}").to_uppercase(),
                    engine: name.into(),
                    posts,
                    posts_per_second: posts as f64 / (total as f64 / 1e9),
                    post: Stats::of(&nanos),
                });
                Ok(())
            };
        run(&mut platform.session()?, "wasm")?;
        run(&mut order_messages_app::native(&platform), "native")?;
    }
    Ok(out)
}

/// How long writing 4 KiB and `fdatasync` take on the disk holding `dir`: the floor under any
/// durable commit there.
fn fsync_latency(dir: &std::path::Path, n: usize) -> Result<Stats> {
    let path = dir.join("fsync-probe.bin");
    let mut file = std::fs::File::create(&path)?;
    let block = vec![7u8; 4096];
    let mut nanos = Vec::with_capacity(n);
    for _ in 0..n {
        let started = Instant::now();
        file.write_all(&block)?;
        file.sync_data()?;
        nanos.push(started.elapsed().as_nanos() as u64);
    }
    drop(file);
    std::fs::remove_file(&path).ok();
    Ok(Stats::of(&nanos))
}

fn tier_result(
    backend: &str,
    spec: &SeedSpec,
    seeded_with: String,
    report: &SeedReport,
    stored_keys: usize,
    ops: Vec<OpResult>,
) -> TierResult {
    TierResult {
        backend: backend.into(),
        threads: spec.threads,
        messages: spec.messages,
        seeded_with,
        seed_seconds: report.elapsed.as_secs_f64(),
        seed_calls: report.calls,
        seed_calls_per_second: report.calls_per_second(),
        disputes_opened: report.disputes_opened,
        disputes_closed: report.disputes_closed,
        reads: report.reads,
        stored_keys,
        ops,
        durable_posts: Vec::new(),
        fsync: None,
    }
}

/// One tier: seeded in memory and measured there, then (when asked) copied into a SQLite file
/// and measured again, with durable posting.
fn run_tier(args: &Args, threads: u32, iterations: usize, out: &mut Vec<TierResult>) -> Result<()> {
    let spec = SeedSpec {
        staff_count: args.staff,
        ..SeedSpec::new(threads, u64::from(threads) * args.messages_per_thread)
    };
    let platform = Platform::new();
    let (data, report, seeded_with) = seed_tier(&platform, spec.clone(), args.seed_with)?;
    eprintln!(
        "  seeded {} threads, {} messages ({} calls) with {seeded_with:?} in {:.1} s: {:.0} calls/s",
        threads,
        spec.messages,
        report.calls,
        report.elapsed.as_secs_f64(),
        report.calls_per_second()
    );
    // Time moves on after seeding, as it would.
    platform.clock.advance(Duration::from_secs(3_600));
    if args.host_drains {
        platform.directory.set_delivery(Delivery::HostDrains);
    }
    let dump = platform.storage.dump();
    let stored_keys = dump.len();
    let workload = Workload {
        data: &data,
        iterations,
        warmup: (iterations / 10).clamp(2, 20),
    };

    // The SQLite copy is taken before the memory run changes anything, so both start alike.
    let sqlite = if args.backends.contains(&Backend::Sqlite) {
        let dir = bench_dir(args);
        std::fs::create_dir_all(&dir)?;
        let path = dir.join(format!("sqlite-{threads}.db"));
        for suffix in ["", "-wal", "-shm"] {
            std::fs::remove_file(format!("{}{suffix}", path.display())).ok();
        }
        let started = Instant::now();
        let storage = SharedStorage::sqlite(&path)?;
        let writes: Vec<Write> = dump
            .into_iter()
            .map(|e| {
                Write::Put(Put {
                    key: e.key,
                    value: e.value,
                })
            })
            .collect();
        for chunk in writes.chunks(100_000) {
            storage.commit(&[], chunk)?;
        }
        let on_disk: u64 = ["", "-wal"]
            .iter()
            .filter_map(|suffix| std::fs::metadata(format!("{}{suffix}", path.display())).ok())
            .map(|m| m.len())
            .sum();
        eprintln!(
            "  copied {stored_keys} keys into {} in {:.1} s: {on_disk} bytes on disk, {:.0} per message",
            path.display(),
            started.elapsed().as_secs_f64(),
            on_disk as f64 / spec.messages.max(1) as f64
        );
        Some((path, platform.clone().with_storage(storage)))
    } else {
        drop(dump);
        None
    };

    if args.backends.contains(&Backend::Memory) {
        let ops = run_ops(args, &workload, &platform)?;
        out.push(tier_result(
            "memory",
            &spec,
            format!("{seeded_with:?}").to_lowercase(),
            &report,
            stored_keys,
            ops,
        ));
        print_tier(out.last().expect("just pushed"));
    }
    if let Some((path, sqlite_host)) = sqlite {
        let ops = run_ops(args, &workload, &sqlite_host)?;
        let mut tier = tier_result(
            "sqlite",
            &spec,
            "copied from the memory tier".into(),
            &report,
            stored_keys,
            ops,
        );
        let dir = path.parent().unwrap_or(std::path::Path::new("."));
        tier.fsync = Some(fsync_latency(dir, if args.smoke { 10 } else { 200 })?);
        tier.durable_posts = durable_posts(&sqlite_host, &path, &data, iterations)?;
        out.push(tier);
        print_tier(out.last().expect("just pushed"));
    }
    Ok(())
}

/// Where the benchmark keeps its files (SQLite databases, results).
fn bench_dir(args: &Args) -> PathBuf {
    match &args.json {
        Some(json) => json
            .parent()
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from(".")),
        None => PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../target/bench")),
    }
}

// ---- Storage work by key family ----

/// Keys read, entries scanned, keys put and keys deleted.
type Counts = [u64; 4];

/// A memory store that, while recording, counts each call's keys by key family.
#[derive(Default)]
struct Recording {
    inner: MemoryStorage,
    log: Mutex<Option<BTreeMap<String, Counts>>>,
}

/// A key's family: its first component, and the scope kind for the per-scope indexes.
fn family(key: &str) -> String {
    let mut parts = key.split('/');
    let first = parts.next().unwrap_or_default();
    match (first, parts.next()) {
        ("kx" | "ax" | "dx", Some(scope)) => format!("{first}/{scope}"),
        _ => first.to_string(),
    }
}

impl Recording {
    fn note(&self, key: &str, what: usize) {
        if let Some(log) = self.log.lock().unwrap_or_else(|p| p.into_inner()).as_mut() {
            log.entry(family(key)).or_default()[what] += 1;
        }
    }

    fn start(&self) {
        *self.log.lock().unwrap_or_else(|p| p.into_inner()) = Some(BTreeMap::new());
    }

    fn stop(&self) -> BTreeMap<String, Counts> {
        self.log
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .take()
            .unwrap_or_default()
    }
}

impl Storage for Recording {
    fn get(&self, key: &str) -> Result<Option<Entry>, StorageError> {
        self.note(key, 0);
        self.inner.get(key)
    }

    fn get_many(&self, keys: &[String]) -> Result<Vec<Option<Entry>>, StorageError> {
        keys.iter().for_each(|k| self.note(k, 0));
        self.inner.get_many(keys)
    }

    fn scan(
        &self,
        prefix: &str,
        start_after: Option<&str>,
        limit: u32,
        reverse: bool,
    ) -> Result<order_messages_host::types::ScanPage, StorageError> {
        let entries = self.inner.scan(prefix, start_after, limit, reverse)?;
        entries.entries.iter().for_each(|e| self.note(&e.key, 1));
        Ok(entries)
    }

    fn commit(&self, checks: &[Check], writes: &[Write]) -> Result<(), StorageError> {
        for w in writes {
            match w {
                Write::Put(put) => self.note(&put.key, 2),
                Write::Delete(key) => self.note(key, 3),
            }
        }
        self.inner.commit(checks, writes)
    }
}

/// The storage work of one operation, by key family.
#[derive(Clone, Debug, Serialize)]
struct Explained {
    name: String,
    /// Family → [keys read, entries scanned, puts, deletes].
    families: BTreeMap<String, Counts>,
}

/// Seeds a 1k-thread data set natively over a recording store, then records one call of a few
/// operations (the counts do not depend on the tier: see the storage columns of each tier).
fn explain() -> Result<Vec<Explained>> {
    let recording = Arc::new(Recording::default());
    let platform = Platform::new().with_storage(SharedStorage::with_backend(recording.clone()));
    let data = Dataset::generate(SeedSpec::new(1_000, 10_000));
    data.install(&platform);
    let mut native = order_messages_app::native(&platform);
    data.run(&mut native, |_| {})?;
    let staff = data.staff()[0].clone();
    let (o, customer) = (&data.orders()[16].id, data.customer_of(16).clone());
    let all_ids: Vec<String> = data.orders().iter().map(|o| o.id.clone()).collect();
    let mut out = Vec::new();
    let mut record =
        |name: &str, run: &mut dyn FnMut(&mut Native<Platform>) -> Result<()>| -> Result<()> {
            recording.start();
            run(&mut native)?;
            out.push(Explained {
                name: name.into(),
                families: recording.stop(),
            });
            Ok(())
        };
    fn ok<T>(r: Result<Result<T, Error>>) -> Result<()> {
        match r? {
            Ok(_) => Ok(()),
            Err(e) => bail!("refused: {}", e.describe()),
        }
    }
    record("post", &mut |n| {
        ok(n.post(&customer, &PostRequest::new(o, POST_BODIES[2])))
    })?;
    record("open dispute", &mut |n| {
        ok(n.open_dispute(&customer, o, "Item never arrived"))
    })?;
    record("close dispute", &mut |n| {
        ok(n.close_dispute(&staff, o, Some("Refunded")))
    })?;
    record("inbox staff all", &mut |n| {
        ok(n.list_threads(&staff, &ListRequest::new(Query::all(), INBOX_PAGE)))
    })?;
    record("search staff 2 words", &mut |n| {
        let query = Query::all().with_search(SEARCH_TWO);
        ok(n.list_threads(&staff, &ListRequest::new(query, INBOX_PAGE)))
    })?;
    record("order filter 1000 ids", &mut |n| {
        ok(n.filter_orders(&staff, &all_ids, MessageFilter::WithUnread))
    })?;
    Ok(out)
}

fn print_explained(explained: &[Explained]) {
    if explained.is_empty() {
        return;
    }
    println!("\n## storage work by key family (1k threads; keys read / scanned / put / deleted)");
    for e in explained {
        println!("\n{}:", e.name);
        let mut total = [0; 4];
        for (family, c) in &e.families {
            println!(
                "  {family:<8} {:>6} {:>6} {:>6} {:>6}",
                c[0], c[1], c[2], c[3]
            );
            for (t, v) in total.iter_mut().zip(c) {
                *t += v;
            }
        }
        println!(
            "  {:<8} {:>6} {:>6} {:>6} {:>6}",
            "total", total[0], total[1], total[2], total[3]
        );
    }
}

// ---- Report ----

#[derive(Clone, Debug, Serialize)]
struct Machine {
    cpus: usize,
    cpu_model: String,
    memory_gib: f64,
    profile: &'static str,
}

fn machine() -> Machine {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let cpu_model = cpuinfo
        .lines()
        .find_map(|l| l.strip_prefix("model name"))
        .and_then(|l| l.split_once(':'))
        .map(|(_, m)| m.trim().to_string())
        .unwrap_or_else(|| "unknown".into());
    let meminfo = std::fs::read_to_string("/proc/meminfo").unwrap_or_default();
    let memory_kib: f64 = meminfo
        .lines()
        .find_map(|l| l.strip_prefix("MemTotal:"))
        .and_then(|l| l.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .unwrap_or(0.0);
    Machine {
        cpus: std::thread::available_parallelism().map_or(1, |n| n.get()),
        cpu_model,
        memory_gib: (memory_kib / (1024.0 * 1024.0) * 10.0).round() / 10.0,
        profile: if cfg!(debug_assertions) {
            "dev (unoptimised harness: smoke only)"
        } else {
            "bench (optimised)"
        },
    }
}

#[derive(Clone, Debug, Serialize)]
struct Growth {
    backend: String,
    name: String,
    from_threads: u32,
    to_threads: u32,
    wasm: f64,
    native: f64,
}

#[derive(Clone, Debug, Serialize)]
struct Results {
    command: String,
    machine: Machine,
    iterations: usize,
    messages_per_thread: u64,
    component: Option<ComponentResult>,
    tiers: Vec<TierResult>,
    growth: Vec<Growth>,
    explained: Vec<Explained>,
}

fn us(v: f64) -> String {
    if v >= 10_000.0 {
        format!("{:.1} ms", v / 1e3)
    } else if v >= 1_000.0 {
        format!("{:.2} ms", v / 1e3)
    } else if v >= 100.0 {
        format!("{v:.0} µs")
    } else {
        format!("{v:.1} µs")
    }
}

fn print_tier(t: &TierResult) {
    println!(
        "\n## {} threads, {} messages, {} backend (seeded with {} in {:.1} s, {:.0} calls/s; {} keys)\n",
        t.threads,
        t.messages,
        t.backend,
        t.seeded_with,
        t.seed_seconds,
        t.seed_calls_per_second,
        t.stored_keys
    );
    println!(
        "{:<24} {:>9} {:>9} {:>9} | {:>9} {:>9} {:>9} | {:>5} {:>10} | {:>6} {:>4} {:>7} {:>7} {:>6} {:>4} {:>7} | target",
        "operation",
        "wasm p50",
        "p99",
        "mean",
        "native",
        "p99",
        "mean",
        "w/n",
        "fuel",
        "calls",
        "dir",
        "keys",
        "scanned",
        "writes",
        "max",
        "bytes"
    );
    for op in &t.ops {
        let target = match op.target {
            Some(Target {
                max_us,
                at_threads: Some(at),
            }) => format!("≤ {} at {}k", us(max_us), at / 1_000),
            Some(Target { max_us, .. }) => format!("≤ {}", us(max_us)),
            None => String::new(),
        };
        println!(
            "{:<24} {:>9} {:>9} {:>9} | {:>9} {:>9} {:>9} | {:>5.2} {:>10} | {:>6.1} {:>4.1} {:>7.1} {:>7.1} {:>6.1} {:>4} {:>7} | {}",
            op.name,
            us(op.wasm.median_us),
            us(op.wasm.p99_us),
            us(op.wasm.mean_us),
            us(op.native.median_us),
            us(op.native.p99_us),
            us(op.native.mean_us),
            op.ratio,
            op.fuel_median,
            op.storage.calls,
            op.storage.directory_calls,
            op.storage.keys_read,
            op.storage.entries_scanned,
            op.storage.writes,
            op.storage.largest_commit,
            op.storage.largest_commit_bytes,
            target
        );
    }
    if let Some(f) = &t.fsync {
        println!(
            "fsync floor on this disk now: write 4 KiB + fdatasync p50 {} (p99 {}), so at most {:.0} durable commits/s one after the other",
            us(f.median_us),
            us(f.p99_us),
            1e6 / f.median_us.max(1e-3)
        );
    }
    for d in &t.durable_posts {
        println!(
            "posts one after the other, synchronous={} ({}): {:.0} posts/s (p50 {}, p99 {}){}",
            d.synchronous,
            d.engine,
            d.posts_per_second,
            us(d.post.median_us),
            us(d.post.p99_us),
            if d.synchronous == "FULL" {
                " (durable; target ≥ 5,000 posts/s)"
            } else {
                ""
            }
        );
    }
}

fn growth(tiers: &[TierResult]) -> Vec<Growth> {
    let mut out = Vec::new();
    for backend in ["memory", "sqlite"] {
        let of_backend: Vec<&TierResult> = tiers.iter().filter(|t| t.backend == backend).collect();
        let (Some(first), Some(last)) = (of_backend.first(), of_backend.last()) else {
            continue;
        };
        if first.threads == last.threads {
            continue;
        }
        out.extend(first.ops.iter().zip(&last.ops).map(|(a, b)| Growth {
            backend: backend.into(),
            name: a.name.clone(),
            from_threads: first.threads,
            to_threads: last.threads,
            wasm: b.wasm.median_us / a.wasm.median_us.max(1e-3),
            native: b.native.median_us / a.native.median_us.max(1e-3),
        }));
    }
    out
}

fn main() -> Result<()> {
    let mut args = Args::parse();
    if args.smoke {
        args.tiers = vec![*args.tiers.iter().min().unwrap_or(&1_000)];
        args.messages_per_thread = args.messages_per_thread.min(3);
        args.iterations = args.iterations.min(5);
        args.explain = true;
    }
    let iterations = args.iterations.max(1);
    let command = std::env::args().collect::<Vec<_>>().join(" ");
    let machine = machine();
    println!(
        "# order-messages benchmarks\n\n{} × {}, {} GiB; {} build; {} iterations per operation",
        machine.cpus, machine.cpu_model, machine.memory_gib, machine.profile, iterations
    );

    let component = if args.no_component {
        None
    } else {
        let c = measure_component(if args.smoke { 20 } else { 500 })?;
        println!(
            "\ncomponent: {} bytes (target ≤ 150 KB); compile (Component::new) {:.0} ms; \
             instantiate p50 {} (p99 {}), pooling allocator p50 {} (p99 {}) (target ≤ 50 µs); \
             Harness::session p50 {}; instantiation fuel {}",
            c.size_bytes,
            c.compile_ms.median_us,
            us(c.instantiate.median_us),
            us(c.instantiate.p99_us),
            us(c.instantiate_pooling.median_us),
            us(c.instantiate_pooling.p99_us),
            us(c.session_new.median_us),
            c.instantiate_fuel,
        );
        Some(c)
    };

    let explained = if args.explain { explain()? } else { Vec::new() };
    print_explained(&explained);

    let mut tiers = Vec::new();
    for &threads in &args.tiers {
        eprintln!("tier: {threads} threads");
        run_tier(&args, threads, iterations, &mut tiers)
            .with_context(|| format!("the {threads}-thread tier"))?;
    }
    let growth = growth(&tiers);
    for backend in ["memory", "sqlite"] {
        let rows: Vec<&Growth> = growth.iter().filter(|g| g.backend == backend).collect();
        let Some(first) = rows.first() else { continue };
        println!(
            "\n## growth {} → {} threads, {backend} (median at the larger / at the smaller; target ≤ 2)\n",
            first.from_threads, first.to_threads
        );
        println!("{:<24} {:>6} {:>7}", "operation", "wasm", "native");
        for g in rows {
            println!("{:<24} {:>6.2} {:>7.2}", g.name, g.wasm, g.native);
        }
    }
    let results = Results {
        command,
        machine,
        iterations,
        messages_per_thread: args.messages_per_thread,
        component,
        tiers,
        growth,
        explained,
    };
    let path = args.json.clone().unwrap_or_else(|| {
        PathBuf::from(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../target/bench/results.json"
        ))
    });
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    std::fs::write(&path, serde_json::to_string_pretty(&results)?)
        .with_context(|| format!("writing {}", path.display()))?;
    println!("\nresults: {}", path.display());
    Ok(())
}
