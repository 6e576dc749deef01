//! Realistic data sets for benchmarks and demos: N orders with threads across vendors and
//! customers, M posted messages with varied bodies (keyword search has something to find),
//! a share of disputes opened and closed, and some threads read. Deterministic from a seed
//! number: the same [`SeedSpec`] always produces the same calls in the same order, at the same
//! (pinned) times, and so the same stored data.
//!
//! Seeding drives the addon's real operations through any [`Operations`]: a [`Session`]
//! (through the component, the honest way) or a [`Native`] baseline (the same domain code
//! compiled into the host, leaving byte-identical storage: see the tests; how much faster it
//! is depends on the build and the store, see BENCHMARKS.md).
//!
//! ```no_run
//! use order_messages_app::seed::{Dataset, SeedSpec};
//! use order_messages_platform::Platform;
//!
//! let platform = Platform::new();
//! let data = Dataset::generate(SeedSpec::new(1_000, 10_000));
//! data.install(&platform);
//! let mut session = platform.session().unwrap();
//! let report = data.run(&mut session, |p| eprint!("\r{}/{}", p.posts, p.total_posts)).unwrap();
//! println!("{report:?}");
//! ```
//!
//! [`Session`]: order_messages_platform::Session
//! [`Native`]: order_messages::native::Native

use std::time::{Duration, Instant};

use anyhow::{Result, bail};

use order_messages::native::Operations;
use order_messages_host::types::{Actor, Error, Order, PostRequest};
use order_messages_platform::{DEFAULT_NOW_MILLIS, Platform};

/// What to generate.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SeedSpec {
    /// Orders, each of which gets a thread.
    pub threads: u32,
    /// Messages posted in all (at least one per thread; dispute events come on top).
    pub messages: u64,
    /// The seed of the pseudo-random choices.
    pub seed: u64,
    /// Percent of threads that get a dispute opened (on average; some get several).
    pub dispute_percent: u32,
    /// Percent of posts after which the other party reads the thread.
    pub read_percent: u32,
    /// Percent of orders sold by the store itself (no vendor: staff answer).
    pub store_order_percent: u32,
    /// Clear the host's mail and notification captures every this many calls, so a big data
    /// set does not keep millions of captured mails in memory (0: never).
    pub clear_deliveries_every: u32,
    /// Vendors, if not one per 100 orders.
    pub vendor_count: Option<u32>,
    /// Customers, if not one per 4 orders.
    pub customer_count: Option<u32>,
    /// Staff users (`s1`, `s2`, …), at least one.
    pub staff_count: u32,
}

impl SeedSpec {
    /// `threads` orders with `messages` messages (raised to one per thread), seed 1, 5 % of
    /// threads disputed, the other party reading after 50 % of posts, 10 % store orders.
    pub fn new(threads: u32, messages: u64) -> Self {
        Self {
            threads,
            messages: messages.max(u64::from(threads)),
            seed: 1,
            dispute_percent: 5,
            read_percent: 50,
            store_order_percent: 10,
            clear_deliveries_every: 10_000,
            vendor_count: None,
            customer_count: None,
            staff_count: 3,
        }
    }

    /// The same spec with another seed.
    pub fn with_seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// Vendors: as set, or one per 100 orders; at least 1.
    pub fn vendors(&self) -> u32 {
        self.vendor_count
            .unwrap_or((self.threads / 100).max(2))
            .max(1)
    }

    /// Customers: as set, or one per 4 orders; at least 1.
    pub fn customers(&self) -> u32 {
        self.customer_count
            .unwrap_or((self.threads / 4).max(2))
            .max(1)
    }
}

/// A vendor (shop) and its users.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Vendor {
    /// The vendor id.
    pub id: String,
    /// The shop's name.
    pub name: String,
    /// Its users (one or two).
    pub users: Vec<Actor>,
}

/// How far seeding has got, reported to the progress callback.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Progress {
    /// Messages posted so far.
    pub posts: u64,
    /// Messages to post in all.
    pub total_posts: u64,
    /// Calls made so far (posts, dispute opens and closes, reads).
    pub calls: u64,
}

/// What a seeding run did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SeedReport {
    /// Messages posted.
    pub posts: u64,
    /// Disputes opened (each adds a system message).
    pub disputes_opened: u64,
    /// Disputes closed (each adds a system message).
    pub disputes_closed: u64,
    /// Threads marked read by a party.
    pub reads: u64,
    /// All calls made.
    pub calls: u64,
    /// Wall time of the run.
    pub elapsed: Duration,
}

impl SeedReport {
    /// Calls per second.
    pub fn calls_per_second(&self) -> f64 {
        self.calls as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }
}

/// The people and orders of a data set, generated from a [`SeedSpec`]; [`Dataset::install`]
/// puts them in a host's directory and [`Dataset::run`] makes the calls.
#[derive(Clone, Debug)]
pub struct Dataset {
    spec: SeedSpec,
    staff: Vec<Actor>,
    vendors: Vec<Vendor>,
    customers: Vec<Actor>,
    orders: Vec<Order>,
    /// Per order: index into `customers` and into `vendors`.
    order_parties: Vec<(u32, Option<u32>)>,
    /// The vocabulary of message bodies, most common first.
    words: Vec<&'static str>,
}

impl Dataset {
    /// Generates the people and orders (no calls yet).
    pub fn generate(spec: SeedSpec) -> Self {
        let mut rng = Rng::new(spec.seed);
        let (first_names, last_names) = (words(FIRST_NAMES), words(LAST_NAMES));
        let (shop_adjectives, shop_nouns) = (words(SHOP_ADJECTIVES), words(SHOP_NOUNS));
        const NAMES: [&str; 3] = ["Sam Staff", "Sara Staff", "Stan Staff"];
        let staff: Vec<Actor> = (0..spec.staff_count.max(1) as usize)
            .map(|i| match NAMES.get(i) {
                Some(name) => Actor::admin(format!("s{}", i + 1), *name),
                None => Actor::admin(format!("s{}", i + 1), format!("Staff {}", i + 1)),
            })
            .collect();
        let vendors: Vec<Vendor> = (0..spec.vendors())
            .map(|i| {
                let id = format!("v{}", i + 1);
                let name = format!("{} {}", rng.pick(&shop_adjectives), rng.pick(&shop_nouns));
                let users = (0..1 + rng.below(2))
                    .map(|u| {
                        let user_name = format!("{} of {name}", rng.pick(&first_names));
                        Actor::vendor(format!("{id}-u{}", u + 1), &id, user_name)
                    })
                    .collect();
                Vendor { id, name, users }
            })
            .collect();
        let customers: Vec<Actor> = (0..spec.customers())
            .map(|i| {
                let name = format!("{} {}", rng.pick(&first_names), rng.pick(&last_names));
                Actor::customer(format!("c{}", i + 1), name)
            })
            .collect();
        let mut orders = Vec::with_capacity(spec.threads as usize);
        let mut order_parties = Vec::with_capacity(spec.threads as usize);
        for i in 0..spec.threads {
            let customer = rng.below(spec.customers());
            let vendor =
                (rng.below(100) >= spec.store_order_percent).then(|| rng.below(spec.vendors()));
            let c = &customers[customer as usize];
            let mut order = Order::new(
                format!("o{}", i + 1),
                (100_001 + u64::from(i)).to_string(),
                &c.id,
                &c.display_name,
            );
            if let Some(v) = vendor {
                let v = &vendors[v as usize];
                order = order.with_vendor(&v.id, &v.name);
            }
            orders.push(order);
            order_parties.push((customer, vendor));
        }
        Self {
            spec,
            staff,
            vendors,
            customers,
            orders,
            order_parties,
            words: words(WORDS),
        }
    }

    /// The spec this data set was generated from.
    pub fn spec(&self) -> &SeedSpec {
        &self.spec
    }

    /// The staff members.
    pub fn staff(&self) -> &[Actor] {
        &self.staff
    }

    /// The vendors.
    pub fn vendors(&self) -> &[Vendor] {
        &self.vendors
    }

    /// The customers.
    pub fn customers(&self) -> &[Actor] {
        &self.customers
    }

    /// The orders, in creation order (ids `o1`, `o2`, …).
    pub fn orders(&self) -> &[Order] {
        &self.orders
    }

    /// The customer who placed the `i`-th order.
    pub fn customer_of(&self, i: usize) -> &Actor {
        &self.customers[self.order_parties[i].0 as usize]
    }

    /// The vendor of the `i`-th order, if a vendor sells it.
    pub fn vendor_of(&self, i: usize) -> Option<&Vendor> {
        self.order_parties[i].1.map(|v| &self.vendors[v as usize])
    }

    /// The time the clock is set to before the first call: early enough that the last call,
    /// at most 2 minutes after the one before, happens before [`DEFAULT_NOW_MILLIS`].
    pub fn start_millis(&self) -> i64 {
        let calls = self.spec.messages.saturating_mul(2) as i64;
        DEFAULT_NOW_MILLIS - calls.saturating_mul(120_000)
    }

    /// Adds the staff, vendors' users and orders to the host's directory and sets its clock
    /// to [`Dataset::start_millis`].
    pub fn install(&self, platform: &Platform) {
        let directory = &platform.directory;
        for s in &self.staff {
            directory.add_staff(&s.id);
        }
        for v in &self.vendors {
            for u in &v.users {
                directory.add_vendor_user(&v.id, &u.id);
            }
        }
        for o in &self.orders {
            directory.add_order(o.clone());
        }
        platform.clock.set(self.start_millis());
    }

    /// Makes the data set's calls through `ops` (a session or the native baseline over a host
    /// where [`Dataset::install`] was called), reporting progress every 1,000 calls and at
    /// the end. The clock moves forward between calls and stays where the last call left it.
    pub fn run(
        &self,
        ops: &mut impl Operations<Platform = Platform>,
        mut progress: impl FnMut(Progress),
    ) -> Result<SeedReport> {
        let started = Instant::now();
        let platform = ops.platform().clone();
        let spec = &self.spec;
        let threads = spec.threads as u64;
        let mut rng = Rng::new(spec.seed ^ 0x5eed_0000_0000_0001);
        let mut report = SeedReport::default();
        let mut created: u64 = 0;
        let mut reported: u64 = 0;
        // Per thread: whether a dispute is open.
        let mut disputed = vec![false; spec.threads as usize];
        let followups = spec.messages.saturating_sub(threads);
        // Chance (per million) that a follow-up step opens a dispute instead of posting.
        let open_ppm = (u64::from(spec.dispute_percent) * 10_000 * threads)
            .checked_div(followups)
            .map_or(0, |ppm| ppm.min(1_000_000));
        let mut now = self.start_millis();
        let mut tick = |rng: &mut Rng, report: &mut SeedReport| {
            now += 1_000 + rng.below(119_000) as i64;
            platform.clock.set(now);
            report.calls += 1;
            if spec.clear_deliveries_every > 0
                && report
                    .calls
                    .is_multiple_of(u64::from(spec.clear_deliveries_every))
            {
                platform.mail.clear();
                platform.notifications.clear();
            }
        };
        while report.posts < spec.messages {
            let remaining_posts = spec.messages - report.posts;
            // Start a new thread with the chance that spreads them evenly over the posts.
            let new_thread = created == 0
                || (created < threads && rng.below_u64(remaining_posts) < threads - created);
            let (i, author) = if new_thread {
                created += 1;
                let i = (created - 1) as usize;
                (i, self.customer_of(i).clone())
            } else {
                // Recent threads are the busiest.
                let back = (created as f64 * rng.unit().powi(3)) as u64;
                let i = (created - 1 - back.min(created - 1)) as usize;
                if !disputed[i] && rng.below(1_000_000) < open_ppm as u32 {
                    tick(&mut rng, &mut report);
                    let reason = self.body(&mut rng, i, 4);
                    expect(ops.open_dispute(self.customer_of(i), &self.orders[i].id, &reason))?;
                    disputed[i] = true;
                    report.disputes_opened += 1;
                    continue;
                }
                if disputed[i] && rng.below(4) == 0 {
                    tick(&mut rng, &mut report);
                    let note = (rng.below(2) == 0).then(|| self.body(&mut rng, i, 3));
                    let staff = rng.pick(&self.staff).clone();
                    expect(ops.close_dispute(&staff, &self.orders[i].id, note.as_deref()))?;
                    disputed[i] = false;
                    report.disputes_closed += 1;
                    continue;
                }
                (i, self.follow_up_author(&mut rng, i, disputed[i]))
            };
            tick(&mut rng, &mut report);
            let body = self.body(&mut rng, i, 0);
            expect(ops.post(&author, &PostRequest::new(&self.orders[i].id, body)))?;
            report.posts += 1;
            if rng.below(100) < spec.read_percent {
                let reader = self.other_party(&mut rng, i, &author);
                tick(&mut rng, &mut report);
                expect(ops.mark_read(&reader, &self.orders[i].id))?;
                report.reads += 1;
            }
            if report.calls >= reported + 1_000 {
                reported = report.calls;
                progress(self.progress(&report));
            }
        }
        // Whatever pending work the calls left (bells, search, mail) is applied before the
        // data set is handed over, so that it is consistent (`verify` clean).
        for _ in 0..1_000_000 {
            if !expect(ops.deliver_pending(500))?.more {
                break;
            }
        }
        progress(self.progress(&report));
        report.elapsed = started.elapsed();
        Ok(report)
    }

    fn progress(&self, report: &SeedReport) -> Progress {
        Progress {
            posts: report.posts,
            total_posts: self.spec.messages,
            calls: report.calls,
        }
    }

    /// Who answers in thread `i`: the customer or the vendor's user most of the time, staff
    /// sometimes (always while a dispute is open, half of the time on store orders).
    fn follow_up_author(&self, rng: &mut Rng, i: usize, disputed: bool) -> Actor {
        let roll = rng.below(100);
        match self.vendor_of(i) {
            _ if disputed && roll < 30 => rng.pick(&self.staff).clone(),
            Some(v) if roll < 55 => rng.pick(&v.users).clone(),
            Some(_) if roll >= 92 => rng.pick(&self.staff).clone(),
            None if roll >= 50 => rng.pick(&self.staff).clone(),
            _ => self.customer_of(i).clone(),
        }
    }

    /// Who reads thread `i` after `author` posted: the customer when the shop or staff wrote,
    /// otherwise the vendor's user (staff on store orders).
    fn other_party(&self, rng: &mut Rng, i: usize, author: &Actor) -> Actor {
        let customer = self.customer_of(i);
        if author.id != customer.id {
            return customer.clone();
        }
        match self.vendor_of(i) {
            Some(v) => rng.pick(&v.users).clone(),
            None => rng.pick(&self.staff).clone(),
        }
    }

    /// A message body: 4 to 18 words, common words more often than rare ones, sometimes the
    /// order number or a tracking code. `min_words` raises the shortest length.
    fn body(&self, rng: &mut Rng, i: usize, min_words: u32) -> String {
        let words = 4 + rng.below(15).max(min_words);
        let mut out = String::with_capacity(words as usize * 8);
        for w in 0..words {
            if w > 0 {
                out.push(' ');
            }
            // Squaring a uniform number favours the start of the list (the common words).
            let word = self.words[(self.words.len() as f64 * rng.unit().powi(2)) as usize];
            if w == 0 {
                let mut chars = word.chars();
                if let Some(first) = chars.next() {
                    out.extend(first.to_uppercase());
                    out.push_str(chars.as_str());
                }
            } else {
                out.push_str(word);
            }
        }
        match rng.below(20) {
            0 => {
                out.push_str(" about order #");
                out.push_str(&self.orders[i].number);
            }
            1 => out.push_str(&format!(" tracking TRK{:04}", rng.below(2_000))),
            _ => {}
        }
        out.push(if rng.below(3) == 0 { '?' } else { '.' });
        out
    }
}

/// Generates `spec`'s data set, installs it on `ops`'s host and makes its calls.
pub fn seed(
    spec: SeedSpec,
    ops: &mut impl Operations<Platform = Platform>,
    progress: impl FnMut(Progress),
) -> Result<(Dataset, SeedReport)> {
    let data = Dataset::generate(spec);
    data.install(ops.platform());
    let report = data.run(ops, progress)?;
    Ok((data, report))
}

/// The value of a seeding call, or an error saying why the addon refused it (a bug in the
/// generator or the addon: every generated call is allowed).
fn expect<T>(result: Result<Result<T, Error>>) -> Result<T> {
    match result? {
        Ok(value) => Ok(value),
        Err(e) => bail!("the addon refused a seeding call: {}", e.describe()),
    }
}

/// The words of a list written as one string.
fn words(list: &'static str) -> Vec<&'static str> {
    list.split_whitespace().collect()
}

/// Deterministic pseudo-random numbers (SplitMix64: small, fast and the same on every
/// platform), for workloads that must make the same choices on every run.
#[derive(Clone, Debug)]
pub struct Rng(u64);

impl Rng {
    /// A generator starting from `seed`.
    pub fn new(seed: u64) -> Self {
        Self(seed)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (`n` > 0).
    pub fn below_u64(&mut self, n: u64) -> u64 {
        ((u128::from(self.next_u64()) * u128::from(n)) >> 64) as u64
    }

    /// Uniform in `0..n` (`n` > 0).
    pub fn below(&mut self, n: u32) -> u32 {
        self.below_u64(u64::from(n)) as u32
    }

    /// Uniform in `[0, 1)`.
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// One of `items` (not empty), uniformly.
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below_u64(items.len() as u64) as usize]
    }
}

const FIRST_NAMES: &str = "\
    Alice Bob Carol Dave Erin Frank Grace Heidi Ivan Judy Karl Laura Mallory Nina Oscar Peggy \
    Quentin Rita Steve Trudy Ursula Victor Wendy Xavier Yvonne Zoe Amir Bea Chen Dara Emil \
    Fatima Gita Hugo Ines Jonas Kenji Lena Marta Noor";

const LAST_NAMES: &str = "\
    Smith Jones Garcia Müller Rossi Dubois Novak Kowalski Silva Nguyen Kim Patel Cohen Larsen \
    Horvat Ivanova Moreau Fischer Santos Yilmaz Tanaka Okafor Haddad Berg Costa Weber Lopez \
    Virtanen";

const SHOP_ADJECTIVES: &str = "\
    Acme Blue Bright Golden Green Happy Northern Red Silver Sunny Urban Wild";

const SHOP_NOUNS: &str = "\
    Books Tools Garden Outfitters Electronics Kitchen Toys Bikes Crafts Pets Audio Home";

/// The vocabulary of message bodies, most common first.
const WORDS: &str = "\
    the my order is and to a please it for you i thanks we not have was can with when hello will \
    on this your delivery parcel package today yet still arrived shipped tracking number update \
    soon sorry delay check send item refund return size colour wrong damaged box missing invoice \
    address change courier warehouse stock replacement exchange photo receipt payment card \
    charged twice discount coupon price label postage weekend monday friday morning afternoon \
    week days hours quickly tomorrow broken scratched works perfectly quality manual battery \
    charger cable screen button handle lid strap zip sleeve cover spare part model version \
    edition signed gift wrapping note message customer service support team manager complaint \
    dispute claim investigate confirm cancel cancelled resend reship lost transit customs duty \
    fee insurance express standard pickup locker neighbour doorstep signature photo evidence \
    assembled instructions screws missing leaking smell fabric leather wooden ceramic glass \
    steel cotton organic vegan allergy gluten expiry fresh frozen melted cold warm loud quiet \
    gearbox pedal saddle chain wheel tyre brake lamp bulb plug adapter voltage warranty \
    guarantee lifetime repair service technician appointment voucher loyalty points subscription \
    renewal backorder preorder restock bundle sample swatch catalogue brochure";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generation_is_deterministic() {
        let a = Dataset::generate(SeedSpec::new(50, 200));
        let b = Dataset::generate(SeedSpec::new(50, 200));
        assert_eq!(a.orders(), b.orders());
        assert_eq!(a.customers(), b.customers());
        let c = Dataset::generate(SeedSpec::new(50, 200).with_seed(2));
        assert_ne!(a.orders(), c.orders());
        assert_eq!(a.vendors().len(), 2);
        assert_eq!(a.customers().len(), 12);
    }

    /// Seeding natively is a faithful shortcut: it leaves byte-identical storage (keys,
    /// values and versions) to seeding through the component, for the same spec.
    #[test]
    fn native_seeding_stores_exactly_what_component_seeding_stores() {
        let spec = SeedSpec {
            dispute_percent: 40,
            ..SeedSpec::new(40, 400).with_seed(7)
        };
        let through_wasm = Platform::new();
        let mut session = through_wasm.session().unwrap();
        let (_, wasm_report) = seed(spec.clone(), &mut session, |_| {}).unwrap();

        let native_host = Platform::new();
        let mut native = crate::native(&native_host);
        let (_, native_report) = seed(spec, &mut native, |_| {}).unwrap();

        assert_eq!(wasm_report.calls, native_report.calls);
        assert!(wasm_report.disputes_opened > 0 && wasm_report.disputes_closed > 0);
        assert!(wasm_report.reads > 0);
        let (wasm_dump, native_dump) = (through_wasm.storage.dump(), native_host.storage.dump());
        assert!(wasm_dump.len() > 1_000, "{} keys", wasm_dump.len());
        assert!(
            wasm_dump == native_dump,
            "the stores differ ({} and {} keys)",
            wasm_dump.len(),
            native_dump.len()
        );
        assert_eq!(
            through_wasm.notifications.count(),
            native_host.notifications.count()
        );
    }
}
