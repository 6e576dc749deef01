//! `seed`: a generated data set ([`crate::seed`]) in a fresh database file, with a progress bar.

use anyhow::{Result, bail};
use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};
use serde::Serialize;

use super::Ctx;
use crate::Clock;
use order_messages_app::seed::{Dataset, Progress, SeedReport, SeedSpec};
use order_messages_app::workspace::{Location, OpenOptions, Workspace, remove_database};

/// `seed`.
#[derive(Debug, Args)]
pub struct SeedArgs {
    /// Orders, each with a thread.
    #[arg(long, alias = "threads", default_value_t = 200)]
    orders: u32,
    /// Vendors (default: one per 100 orders, at least 2).
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..))]
    vendors: Option<u32>,
    /// Customers (default: one per 4 orders, at least 2).
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..))]
    customers: Option<u32>,
    /// Staff users.
    #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u32).range(1..=10_000))]
    staff: u32,
    /// Messages to post in all (at least one per order; dispute events come on top).
    #[arg(long, default_value_t = 2_000)]
    messages: u64,
    /// Percent of threads that get a dispute (some get several).
    #[arg(long, value_name = "PERCENT", default_value_t = 5,
          value_parser = clap::value_parser!(u32).range(0..=100))]
    disputes: u32,
    /// Percent of posts after which the other party reads the thread.
    #[arg(long, value_name = "PERCENT", default_value_t = 50,
          value_parser = clap::value_parser!(u32).range(0..=100))]
    read: u32,
    /// Percent of orders the store sells itself (no vendor; staff answer).
    #[arg(long, value_name = "PERCENT", default_value_t = 10,
          value_parser = clap::value_parser!(u32).range(0..=100))]
    store_orders: u32,
    /// The random seed: the same options and seed always give the same data.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Run the addon's domain code natively instead of through the component; it stores exactly
    /// the same data. Not much faster: the store and the generator take most of the time. In the
    /// debug build (`cargo run`) both take about the same (on SQLite the file's writes
    /// dominate); an optimised build saves about a quarter (BENCHMARKS.md).
    #[arg(long)]
    native: bool,
    /// Replace the database file if it already holds data.
    #[arg(long)]
    reset: bool,
}

#[derive(Serialize)]
struct Seeded {
    database: String,
    orders: u32,
    vendors: usize,
    vendor_users: usize,
    customers: usize,
    staff: usize,
    posts: u64,
    disputes_opened: u64,
    disputes_closed: u64,
    reads: u64,
    calls: u64,
    seconds: f64,
    through: &'static str,
}

/// Seeds the database.
pub fn run(ctx: &Ctx, args: SeedArgs) -> Result<()> {
    let location = ctx.location();
    if let Location::File(path) = &location
        && path.exists()
    {
        let has_data = ctx.open(false)?.has_data()?;
        if has_data && !args.reset {
            bail!(
                "{} already holds data (seeded ids would clash with it); run `seed --reset` \
                     to replace it, or seed another file with --db",
                path.display()
            );
        }
        remove_database(path)?;
    }
    if ctx.global.mail.smtp.is_some() && !ctx.json() {
        eprintln!("note: generated mail is not relayed (--smtp is ignored while seeding)");
    }
    // Seeding clears its mail captures as it goes: keep the sent log in memory, not the file,
    // and no relay.
    let workspace = Workspace::open(OpenOptions {
        location,
        create: true,
        durable_mail: false,
        clock: Clock::default(),
    })?;
    let spec = SeedSpec {
        dispute_percent: args.disputes,
        read_percent: args.read,
        store_order_percent: args.store_orders,
        vendor_count: args.vendors,
        customer_count: args.customers,
        staff_count: args.staff,
        ..SeedSpec::new(args.orders, args.messages).with_seed(args.seed)
    };
    let data = Dataset::generate(spec);
    data.install(&workspace.platform);
    let directory = &workspace.platform.directory;
    for actor in data.staff() {
        directory.register(actor);
    }
    for vendor in data.vendors() {
        directory.add_vendor(&vendor.id, &vendor.name);
        for user in &vendor.users {
            directory.register(user);
        }
    }
    for customer in data.customers() {
        directory.register(customer);
    }
    workspace.save_directory()?;
    workspace.set_meta("origin", "seed")?;

    let bar = if ctx.json() {
        ProgressBar::hidden()
    } else {
        ProgressBar::new(data.spec().messages)
    };
    bar.set_style(
        ProgressStyle::with_template(
            "{spinner} seeding [{bar:40}] {pos}/{len} messages ({per_sec}, eta {eta})",
        )?
        .progress_chars("=> "),
    );
    let progress = |p: Progress| bar.set_position(p.posts);
    let report: SeedReport = if args.native {
        data.run(
            &mut order_messages_app::native(&workspace.platform),
            progress,
        )?
    } else {
        data.run(&mut ctx.session(&workspace)?, progress)?
    };
    bar.finish_and_clear();

    let view = Seeded {
        database: workspace.location.describe(),
        orders: args.orders,
        vendors: data.vendors().len(),
        vendor_users: data.vendors().iter().map(|v| v.users.len()).sum(),
        customers: data.customers().len(),
        staff: data.staff().len(),
        posts: report.posts,
        disputes_opened: report.disputes_opened,
        disputes_closed: report.disputes_closed,
        reads: report.reads,
        calls: report.calls,
        seconds: report.elapsed.as_secs_f64(),
        through: if args.native { "native" } else { "component" },
    };
    ctx.emit(&view, || {
        format!(
            "Seeded {} through the {} (seed {}):\n  \
             {} orders, {} vendors with {} users, {} customers, {} staff\n  \
             {} messages, {} disputes opened and {} closed, {} reads\n  \
             {} calls in {:.1} s ({:.0} calls/s)\n{}",
            view.database,
            if args.native {
                "natively built domain core"
            } else {
                "component"
            },
            args.seed,
            view.orders,
            view.vendors,
            view.vendor_users,
            view.customers,
            view.staff,
            view.posts,
            view.disputes_opened,
            view.disputes_closed,
            view.reads,
            view.calls,
            view.seconds,
            report.calls_per_second(),
            match workspace.location {
                Location::File(_) => format!(
                    "try: cargo run -p order-messages-harness -- inbox --as s1 --filter \
                     disputes{}\n",
                    ctx.db_flag()
                ),
                // Gone with this command: nothing to try.
                Location::Memory => "(--memory: the data set is gone with this command)\n".into(),
            }
        )
    })
}
