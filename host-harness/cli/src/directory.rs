//! `directory`: show the host's directory, or set one up by hand (saved in the database file).

use anyhow::{Result, bail};
use clap::{Args, Subcommand, ValueEnum};
use serde::Serialize;

use super::{Ctx, report};
use order_messages_app::ops::{delivery_name, mode_name};
use order_messages_app::views::ActorView;
use order_messages_app::workspace::Workspace;
use order_messages_host::types::{Actor, Delivery, Limits, MultivendorMode, Order, Role};

/// The directory commands.
#[derive(Debug, Subcommand)]
pub enum DirectoryCommand {
    /// Print the settings, vendors, users and orders.
    Show(ShowArgs),
    /// Add a staff member (acts as admin).
    AddStaff(UserArgs),
    /// Add a vendor (a shop); add its users with add-vendor-user.
    AddVendor(VendorArgs),
    /// Add a user to a vendor.
    AddVendorUser(VendorUserArgs),
    /// Add a customer.
    AddCustomer(UserArgs),
    /// Add an order (or replace the order with the same id).
    AddOrder(OrderArgs),
    /// Set the multivendor mode.
    SetMode(ModeArgs),
    /// Change limits the addon enforces (it clamps each to its own ceiling).
    SetLimits(LimitsArgs),
    /// Choose who delivers mail and notifications: the addon, inside each call (inline), or
    /// the `outbox deliver` / `maintenance work` commands afterwards (host-drains: one commit
    /// per post).
    SetDelivery(DeliveryArgs),
}

/// `show`.
#[derive(Debug, Args)]
pub struct ShowArgs {
    /// Most orders to list.
    #[arg(long, default_value_t = 50)]
    orders: usize,
}

/// A user id and display name.
#[derive(Debug, Args)]
pub struct UserArgs {
    /// The user id.
    id: String,
    /// The display name.
    name: String,
}

/// A vendor id and name.
#[derive(Debug, Args)]
pub struct VendorArgs {
    /// The vendor id.
    id: String,
    /// The shop's name.
    name: String,
}

/// A vendor's user.
#[derive(Debug, Args)]
pub struct VendorUserArgs {
    /// The vendor id (added before).
    vendor: String,
    /// The user id.
    id: String,
    /// The display name.
    name: String,
}

/// An order.
#[derive(Debug, Args)]
pub struct OrderArgs {
    /// The order id.
    id: String,
    /// The number shown to people, e.g. 1042.
    number: String,
    /// The customer who placed it (added before).
    #[arg(long)]
    customer: String,
    /// The vendor that fulfils it (added before); none: the store sells it itself.
    #[arg(long)]
    vendor: Option<String>,
    /// The order's status.
    #[arg(long, default_value = "processing")]
    status: String,
}

/// A multivendor mode.
#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum ModeArg {
    /// Vendors run separate shops and talk to their customers.
    SeparateShops,
    /// Vendors are suppliers behind one store; staff answer customers.
    Warehouse,
}

/// `set-mode`.
#[derive(Debug, Args)]
pub struct ModeArgs {
    /// The mode.
    #[arg(value_enum)]
    mode: ModeArg,
}

/// A delivery mode.
#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum DeliveryArg {
    /// The addon delivers inside the call that queued the mail (at least once).
    Inline,
    /// The host drains the outbox afterwards; a post is then one commit.
    HostDrains,
}

/// `set-delivery`.
#[derive(Debug, Args)]
pub struct DeliveryArgs {
    /// The mode.
    #[arg(value_enum)]
    delivery: DeliveryArg,
}

/// `set-limits`.
#[derive(Debug, Args)]
pub struct LimitsArgs {
    /// Longest message body, in characters.
    #[arg(long)]
    max_body_chars: Option<u32>,
    /// Longest dispute reason or note, in characters.
    #[arg(long)]
    max_reason_chars: Option<u32>,
    /// Largest page a listing returns.
    #[arg(long)]
    max_page_size: Option<u32>,
    /// Most order ids one call may pass.
    #[arg(long)]
    max_order_ids: Option<u32>,
}

#[derive(Serialize)]
struct LimitsView {
    max_body_chars: u32,
    max_reason_chars: u32,
    max_page_size: u32,
    max_order_ids: u32,
}

#[derive(Serialize)]
struct VendorView {
    id: String,
    name: Option<String>,
    users: Vec<String>,
}

#[derive(Serialize)]
struct OrderView {
    id: String,
    number: String,
    customer_id: String,
    customer_name: String,
    vendor_id: Option<String>,
    vendor_name: Option<String>,
    status: String,
}

impl From<&Order> for OrderView {
    fn from(o: &Order) -> Self {
        Self {
            id: o.id.clone(),
            number: o.number.clone(),
            customer_id: o.customer_id.clone(),
            customer_name: o.customer_name.clone(),
            vendor_id: o.vendor_id.clone(),
            vendor_name: o.vendor_name.clone(),
            status: o.status.clone(),
        }
    }
}

#[derive(Serialize)]
struct Show {
    location: String,
    mode: &'static str,
    delivery: &'static str,
    limits: LimitsView,
    vendors: Vec<VendorView>,
    users: Vec<ActorView>,
    order_count: usize,
    orders: Vec<OrderView>,
}

/// Runs a directory command.
pub fn run(ctx: &Ctx, command: DirectoryCommand) -> Result<()> {
    if let DirectoryCommand::Show(args) = command {
        let workspace = ctx.open(false)?;
        return show(ctx, &workspace, &args);
    }
    let workspace = ctx.open(true)?;
    let dir = &workspace.platform.directory;
    let said = match command {
        DirectoryCommand::Show(_) => unreachable!("handled above"),
        DirectoryCommand::AddStaff(a) => {
            new_user(&workspace, &a.id)?;
            dir.register(&Actor::admin(&a.id, &a.name));
            format!("Added staff member {} ({}).", a.name, a.id)
        }
        DirectoryCommand::AddVendor(a) => {
            dir.add_vendor(&a.id, &a.name);
            format!("Added vendor {} ({}).", a.name, a.id)
        }
        DirectoryCommand::AddVendorUser(a) => {
            if dir.vendor_name(&a.vendor).is_none() && dir.vendor_users(&a.vendor).is_empty() {
                bail!(
                    "no vendor `{}`: add it with `directory add-vendor`",
                    a.vendor
                );
            }
            new_user(&workspace, &a.id)?;
            dir.register(&Actor::vendor(&a.id, &a.vendor, &a.name));
            format!("Added {} ({}) to vendor {}.", a.name, a.id, a.vendor)
        }
        DirectoryCommand::AddCustomer(a) => {
            new_user(&workspace, &a.id)?;
            dir.register(&Actor::customer(&a.id, &a.name));
            format!("Added customer {} ({}).", a.name, a.id)
        }
        DirectoryCommand::AddOrder(a) => {
            let customer = match dir.actor(&a.customer) {
                Some(c) if c.role == Role::Customer => c,
                _ => bail!(
                    "no customer `{}`: add them with `directory add-customer`",
                    a.customer
                ),
            };
            let mut order = Order::new(&a.id, &a.number, &customer.id, &customer.display_name)
                .with_status(&a.status);
            if let Some(vendor) = &a.vendor {
                let Some(name) = dir.vendor_name(vendor) else {
                    bail!("no vendor `{vendor}`: add it with `directory add-vendor`");
                };
                order = order.with_vendor(vendor, name);
            }
            dir.add_order(order);
            format!(
                "Added order {} ({}) for {}.",
                a.number, a.id, customer.display_name
            )
        }
        DirectoryCommand::SetMode(a) => {
            let mode = match a.mode {
                ModeArg::SeparateShops => MultivendorMode::SeparateShops,
                ModeArg::Warehouse => MultivendorMode::Warehouse,
            };
            dir.set_mode(mode);
            format!("Multivendor mode: {}.", mode_name(mode))
        }
        DirectoryCommand::SetDelivery(a) => {
            let delivery = match a.delivery {
                DeliveryArg::Inline => Delivery::Inline,
                DeliveryArg::HostDrains => Delivery::HostDrains,
            };
            dir.set_delivery(delivery);
            format!("Delivery: {}.", delivery_name(delivery))
        }
        DirectoryCommand::SetLimits(a) => {
            let old = dir.settings().limits;
            let limits = Limits {
                max_body_chars: a.max_body_chars.unwrap_or(old.max_body_chars),
                max_reason_chars: a.max_reason_chars.unwrap_or(old.max_reason_chars),
                max_page_size: a.max_page_size.unwrap_or(old.max_page_size),
                max_order_ids: a.max_order_ids.unwrap_or(old.max_order_ids),
            };
            dir.set_limits(limits);
            format!("Limits: {}.", limits_text(&limits))
        }
    };
    workspace.save_directory()?;
    if workspace.meta("origin")?.is_none() {
        workspace.set_meta("origin", "manual")?;
    }
    ctx.emit(&serde_json::json!({ "ok": true, "message": said }), || {
        format!("{said}\n")
    })
}

/// Refuses a user id the directory already has.
fn new_user(workspace: &Workspace, id: &str) -> Result<()> {
    if let Some(a) = workspace.platform.directory.actor(id) {
        bail!(
            "user `{id}` is already in the directory (as {})",
            report::party(&a)
        );
    }
    Ok(())
}

fn limits_text(l: &Limits) -> String {
    format!(
        "body {} chars, reason {} chars, page {} rows, {} order ids a call",
        l.max_body_chars, l.max_reason_chars, l.max_page_size, l.max_order_ids
    )
}

fn show(ctx: &Ctx, workspace: &Workspace, args: &ShowArgs) -> Result<()> {
    let dir = &workspace.platform.directory;
    let settings = dir.settings();
    let orders = dir.orders();
    let users = dir.users();
    let view = Show {
        location: workspace.location.describe(),
        mode: mode_name(settings.mode),
        delivery: delivery_name(settings.delivery),
        limits: LimitsView {
            max_body_chars: settings.limits.max_body_chars,
            max_reason_chars: settings.limits.max_reason_chars,
            max_page_size: settings.limits.max_page_size,
            max_order_ids: settings.limits.max_order_ids,
        },
        vendors: dir
            .vendors()
            .into_iter()
            .map(|(id, name, users)| VendorView { id, name, users })
            .collect(),
        users: users.iter().map(ActorView::from).collect(),
        order_count: orders.len(),
        orders: orders
            .iter()
            .take(args.orders)
            .map(OrderView::from)
            .collect(),
    };
    ctx.emit(&view, || {
        let mut out = format!(
            "Directory of {}\nMode: {}\nDelivery: {}\nLimits: {}\n",
            view.location,
            view.mode,
            view.delivery,
            limits_text(&settings.limits)
        );
        out.push_str(&format!("\nVendors: {}\n", view.vendors.len()));
        if !view.vendors.is_empty() {
            let mut t = report::Table::new(&["Id", "Name", "Users"]);
            for v in &view.vendors {
                t.row(vec![
                    v.id.clone(),
                    v.name.clone().unwrap_or_default(),
                    v.users.join(", "),
                ]);
            }
            out.push_str(&t.render(""));
        }
        out.push_str(&format!("\nUsers: {}\n", users.len()));
        if !users.is_empty() {
            let mut t = report::Table::new(&["Id", "Name", "Role"]);
            for u in &users {
                t.row(vec![
                    u.id.clone(),
                    u.display_name.clone(),
                    report::role(&u.role),
                ]);
            }
            out.push_str(&t.render(""));
        }
        out.push_str(&format!("\nOrders: {}\n", orders.len()));
        if !orders.is_empty() {
            let mut t = report::Table::new(&["Id", "Number", "Customer", "Vendor", "Status"]);
            for o in orders.iter().take(args.orders) {
                t.row(vec![
                    o.id.clone(),
                    o.number.clone(),
                    format!("{} ({})", o.customer_name, o.customer_id),
                    match (&o.vendor_name, &o.vendor_id) {
                        (Some(n), Some(id)) => format!("{n} ({id})"),
                        (None, Some(id)) => id.clone(),
                        _ => "(store)".into(),
                    },
                    o.status.clone(),
                ]);
            }
            out.push_str(&t.render(""));
            if orders.len() > args.orders {
                out.push_str(&format!(
                    "… and {} more (--orders N)\n",
                    orders.len() - args.orders
                ));
            }
        }
        out
    })
}
