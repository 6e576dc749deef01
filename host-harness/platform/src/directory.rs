//! The `directory` import: the host's orders, staff, vendors' users and addon settings, plus
//! what a tool acting as a user needs besides: customers and everyone's display names.
//!
//! The directory lives in memory. [`Directory::save`] and [`Directory::load`] keep it in tables
//! of its own (`directory_*`, schema [`DIRECTORY_SCHEMA`]) of the harness's SQLite
//! [`Database`], beside the store, so a CLI invocation finds the directory the previous one
//! left.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock, RwLockReadGuard, RwLockWriteGuard};

use anyhow::{Context, Result, bail};
use rusqlite::{Connection, TransactionBehavior};

use super::sqlite::{Database, Schema};
use order_messages_host::types::{Actor, Delivery, Limits, MultivendorMode, Order, Role, Settings};

/// The directory's tables in a [`Database`] (part `directory`). Version 2 adds the settings'
/// delivery mode.
pub const DIRECTORY_SCHEMA: Schema = Schema {
    part: "directory",
    create: DIRECTORY_TABLES,
    migrations: &[
        // 1 → 2: the delivery setting; stores written before it delivered inline.
        "ALTER TABLE directory_settings ADD COLUMN delivery TEXT NOT NULL DEFAULT 'inline'
             CHECK (delivery IN ('inline', 'host-drains'));",
    ],
};

/// Orders; memberships (staff, a vendor's users, customers) in the order they were added;
/// display names of users and vendors; the settings (one row).
const DIRECTORY_TABLES: &str = "
CREATE TABLE directory_orders (
    id TEXT PRIMARY KEY NOT NULL,
    number TEXT NOT NULL,
    customer_id TEXT NOT NULL,
    customer_name TEXT NOT NULL,
    vendor_id TEXT,
    vendor_name TEXT,
    status TEXT NOT NULL
);
CREATE TABLE directory_members (
    position INTEGER PRIMARY KEY,
    role TEXT NOT NULL CHECK (role IN ('admin', 'vendor', 'customer')),
    vendor_id TEXT NOT NULL DEFAULT '',
    user_id TEXT NOT NULL,
    UNIQUE (role, vendor_id, user_id)
);
CREATE TABLE directory_names (
    kind TEXT NOT NULL CHECK (kind IN ('user', 'vendor')),
    id TEXT NOT NULL,
    name TEXT NOT NULL,
    PRIMARY KEY (kind, id)
);
CREATE TABLE directory_settings (
    id INTEGER PRIMARY KEY CHECK (id = 0),
    mode TEXT NOT NULL CHECK (mode IN ('separate-shops', 'warehouse')),
    max_body_chars INTEGER NOT NULL,
    max_reason_chars INTEGER NOT NULL,
    max_page_size INTEGER NOT NULL,
    max_order_ids INTEGER NOT NULL,
    delivery TEXT NOT NULL DEFAULT 'inline' CHECK (delivery IN ('inline', 'host-drains'))
);
";

/// The order directory and settings. Mutable at any time; cheap to clone, clones share it
/// (and its count of import calls).
#[derive(Clone, Debug, Default)]
pub struct Directory {
    state: Arc<RwLock<State>>,
    /// Calls the addon made through the `directory` import, for tests that bound them.
    calls: Arc<AtomicU64>,
}

#[derive(Debug, Default)]
struct State {
    orders: BTreeMap<String, Order>,
    staff: Vec<String>,
    vendors: BTreeMap<String, Vec<String>>,
    customers: Vec<String>,
    /// Display names of users.
    names: BTreeMap<String, String>,
    /// Display names of vendors.
    vendor_names: BTreeMap<String, String>,
    settings: Settings,
}

impl Directory {
    fn read(&self) -> RwLockReadGuard<'_, State> {
        self.state.read().unwrap_or_else(|p| p.into_inner())
    }

    fn write(&self) -> RwLockWriteGuard<'_, State> {
        self.state.write().unwrap_or_else(|p| p.into_inner())
    }

    /// Adds an order, or replaces the order with the same id.
    pub fn add_order(&self, order: Order) {
        self.write().orders.insert(order.id.clone(), order);
    }

    /// Removes an order; returns it if it was there.
    pub fn remove_order(&self, id: &str) -> Option<Order> {
        self.write().orders.remove(id)
    }

    /// The order with this id.
    pub fn order(&self, id: &str) -> Option<Order> {
        self.read().orders.get(id).cloned()
    }

    /// The ids of the orders whose number, as shown to people, is `number` (by id).
    pub fn orders_numbered(&self, number: &str) -> Vec<String> {
        let state = self.read();
        (state.orders.values())
            .filter(|o| o.number == number)
            .map(|o| o.id.clone())
            .collect()
    }

    /// Every order, by id.
    pub fn orders(&self) -> Vec<Order> {
        self.read().orders.values().cloned().collect()
    }

    /// Adds a staff account (no effect if present).
    pub fn add_staff(&self, user_id: &str) {
        let mut state = self.write();
        if !state.staff.iter().any(|s| s == user_id) {
            state.staff.push(user_id.to_owned());
        }
    }

    /// Removes a staff account.
    pub fn remove_staff(&self, user_id: &str) {
        self.write().staff.retain(|s| s != user_id);
    }

    /// The staff accounts.
    pub fn staff(&self) -> Vec<String> {
        self.read().staff.clone()
    }

    /// Adds a user to a vendor (creating the vendor; no effect if present).
    pub fn add_vendor_user(&self, vendor_id: &str, user_id: &str) {
        let mut state = self.write();
        let users = state.vendors.entry(vendor_id.to_owned()).or_default();
        if !users.iter().any(|u| u == user_id) {
            users.push(user_id.to_owned());
        }
    }

    /// Removes a user from a vendor.
    pub fn remove_vendor_user(&self, vendor_id: &str, user_id: &str) {
        if let Some(users) = self.write().vendors.get_mut(vendor_id) {
            users.retain(|u| u != user_id);
        }
    }

    /// The users of a vendor (empty for an unknown vendor).
    pub fn vendor_users(&self, vendor_id: &str) -> Vec<String> {
        self.read()
            .vendors
            .get(vendor_id)
            .cloned()
            .unwrap_or_default()
    }

    /// The current settings.
    pub fn settings(&self) -> Settings {
        self.read().settings
    }

    /// Replaces the settings.
    pub fn set_settings(&self, settings: Settings) {
        self.write().settings = settings;
    }

    /// Changes the multivendor mode.
    pub fn set_mode(&self, mode: MultivendorMode) {
        self.write().settings.mode = mode;
    }

    /// How many calls the addon has made through the `directory` import since the last
    /// [`Directory::reset_calls`].
    pub fn calls(&self) -> u64 {
        self.calls.load(Ordering::Relaxed)
    }

    /// Starts counting import calls from zero.
    pub fn reset_calls(&self) {
        self.calls.store(0, Ordering::Relaxed);
    }

    fn count_call(&self) {
        self.calls.fetch_add(1, Ordering::Relaxed);
    }

    /// Changes who delivers the outbox: the addon inline, or the host's drain.
    pub fn set_delivery(&self, delivery: Delivery) {
        self.write().settings.delivery = delivery;
    }

    /// Replaces the limits.
    pub fn set_limits(&self, limits: Limits) {
        self.write().settings.limits = limits;
    }

    /// Adds a vendor with its display name (or renames it); its users come with
    /// [`Directory::add_vendor_user`].
    pub fn add_vendor(&self, vendor_id: &str, name: &str) {
        let mut state = self.write();
        state.vendors.entry(vendor_id.to_owned()).or_default();
        state
            .vendor_names
            .insert(vendor_id.to_owned(), name.to_owned());
    }

    /// The display name of a vendor, if it has one.
    pub fn vendor_name(&self, vendor_id: &str) -> Option<String> {
        self.read().vendor_names.get(vendor_id).cloned()
    }

    /// Every vendor: its id, display name (if any) and users.
    pub fn vendors(&self) -> Vec<(String, Option<String>, Vec<String>)> {
        let state = self.read();
        state
            .vendors
            .iter()
            .map(|(id, users)| {
                (
                    id.clone(),
                    state.vendor_names.get(id).cloned(),
                    users.clone(),
                )
            })
            .collect()
    }

    /// Adds a customer with their display name (or renames them).
    pub fn add_customer(&self, user_id: &str, name: &str) {
        let mut state = self.write();
        if !state.customers.iter().any(|c| c == user_id) {
            state.customers.push(user_id.to_owned());
        }
        state.names.insert(user_id.to_owned(), name.to_owned());
    }

    /// The customers added with [`Directory::add_customer`].
    pub fn customers(&self) -> Vec<String> {
        self.read().customers.clone()
    }

    /// Sets the display name of a user.
    pub fn set_name(&self, user_id: &str, name: &str) {
        self.write()
            .names
            .insert(user_id.to_owned(), name.to_owned());
    }

    /// The display name set for a user, if any.
    pub fn name(&self, user_id: &str) -> Option<String> {
        self.read().names.get(user_id).cloned()
    }

    /// Adds a user in the role of `actor` (staff, a vendor's user or a customer) with its
    /// display name.
    pub fn register(&self, actor: &Actor) {
        match &actor.role {
            Role::Admin => self.add_staff(&actor.id),
            Role::Vendor(vendor) => self.add_vendor_user(vendor, &actor.id),
            Role::Customer => self.add_customer(&actor.id, &actor.display_name),
        }
        self.set_name(&actor.id, &actor.display_name);
    }

    /// The user `user_id` as an actor: staff act as `admin`, a vendor's user as that vendor,
    /// anyone else who is a customer (added as one, or the customer of an order) as a
    /// customer. The display name is the one set for the user, else the name an order gives
    /// the customer, else the id. `None` for a user the directory does not know.
    pub fn actor(&self, user_id: &str) -> Option<Actor> {
        let state = self.read();
        let name = |fallback: Option<&str>| {
            state
                .names
                .get(user_id)
                .map(String::as_str)
                .or(fallback)
                .unwrap_or(user_id)
                .to_owned()
        };
        if state.staff.iter().any(|s| s == user_id) {
            return Some(Actor::admin(user_id, name(None)));
        }
        if let Some((vendor, _)) = state
            .vendors
            .iter()
            .find(|(_, users)| users.iter().any(|u| u == user_id))
        {
            return Some(Actor::vendor(user_id, vendor, name(None)));
        }
        if state.customers.iter().any(|c| c == user_id) {
            return Some(Actor::customer(user_id, name(None)));
        }
        let order = state.orders.values().find(|o| o.customer_id == user_id)?;
        Some(Actor::customer(user_id, name(Some(&order.customer_name))))
    }

    /// Every user the directory knows, as actors: staff, then vendors' users (by vendor), then
    /// customers (those added, then those only named by orders).
    pub fn users(&self) -> Vec<Actor> {
        let ids: Vec<String> = {
            let state = self.read();
            let mut seen = BTreeSet::new();
            let added = state.customers.iter();
            let from_orders = state.orders.values().map(|o| &o.customer_id);
            state
                .staff
                .iter()
                .chain(state.vendors.values().flatten())
                .chain(added)
                .chain(from_orders)
                .filter(|id| seen.insert(id.as_str()))
                .cloned()
                .collect()
        };
        ids.iter().filter_map(|id| self.actor(id)).collect()
    }

    /// Whether the directory holds no order and no user.
    pub fn is_empty(&self) -> bool {
        let state = self.read();
        state.orders.is_empty()
            && state.staff.is_empty()
            && state.vendors.is_empty()
            && state.customers.is_empty()
    }

    /// Replaces this directory's contents (orders, users, names, settings) with those saved in
    /// `db`, creating the tables if the file has none (then the directory is empty, with
    /// default settings). Every clone sees the loaded contents.
    pub fn load(&self, db: &Database) -> Result<()> {
        db.ensure_schema(&DIRECTORY_SCHEMA)?;
        let loaded = read_state(&db.lock())
            .with_context(|| format!("loading the directory from {}", db.path().display()))?;
        *self.write() = loaded;
        Ok(())
    }

    /// Saves this directory's contents to `db` in one transaction, replacing what was saved
    /// before. (Injected faults are not saved.)
    pub fn save(&self, db: &Database) -> Result<()> {
        db.ensure_schema(&DIRECTORY_SCHEMA)?;
        let mut connection = db.lock();
        let state = self.read();
        write_state(&mut connection, &state)
            .with_context(|| format!("saving the directory to {}", db.path().display()))
    }
}

/// The `directory` import, answered from the directory's state.
impl order_messages_host::Directory for Directory {
    fn order(&self, id: &str) -> Result<Option<Order>, String> {
        self.count_call();
        Ok(Directory::order(self, id))
    }

    fn staff_users(&self) -> Result<Vec<String>, String> {
        self.count_call();
        Ok(self.staff())
    }

    fn vendor_users(&self, vendor_id: &str) -> Result<Vec<String>, String> {
        self.count_call();
        Ok(Directory::vendor_users(self, vendor_id))
    }

    fn settings(&self) -> Result<Settings, String> {
        self.count_call();
        Ok(Directory::settings(self))
    }
}

/// The name of a multivendor mode, as stored and as the CLI spells it.
pub fn mode_name(mode: MultivendorMode) -> &'static str {
    match mode {
        MultivendorMode::SeparateShops => "separate-shops",
        MultivendorMode::Warehouse => "warehouse",
    }
}

/// The name of a delivery mode, as stored and as the CLI spells it.
pub fn delivery_name(delivery: Delivery) -> &'static str {
    match delivery {
        Delivery::Inline => "inline",
        Delivery::HostDrains => "host-drains",
    }
}

fn write_state(connection: &mut Connection, state: &State) -> Result<()> {
    let tx = connection.transaction_with_behavior(TransactionBehavior::Immediate)?;
    tx.execute_batch(
        "DELETE FROM directory_orders; DELETE FROM directory_members;
         DELETE FROM directory_names; DELETE FROM directory_settings;",
    )?;
    {
        let mut order = tx.prepare(
            "INSERT INTO directory_orders (id, number, customer_id, customer_name, vendor_id,
             vendor_name, status) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        )?;
        for o in state.orders.values() {
            order.execute((
                &o.id,
                &o.number,
                &o.customer_id,
                &o.customer_name,
                &o.vendor_id,
                &o.vendor_name,
                &o.status,
            ))?;
        }
        let mut member = tx.prepare(
            "INSERT INTO directory_members (role, vendor_id, user_id) VALUES (?1, ?2, ?3)",
        )?;
        for user in &state.staff {
            member.execute(("admin", "", user))?;
        }
        for (vendor, users) in &state.vendors {
            if users.is_empty() {
                // A vendor without users is kept through its name row (or lost if unnamed).
                continue;
            }
            for user in users {
                member.execute(("vendor", vendor, user))?;
            }
        }
        for user in &state.customers {
            member.execute(("customer", "", user))?;
        }
        let mut name =
            tx.prepare("INSERT INTO directory_names (kind, id, name) VALUES (?1, ?2, ?3)")?;
        for (id, n) in &state.names {
            name.execute(("user", id, n))?;
        }
        for (id, n) in &state.vendor_names {
            name.execute(("vendor", id, n))?;
        }
        let limits = &state.settings.limits;
        tx.execute(
            "INSERT INTO directory_settings (id, mode, max_body_chars, max_reason_chars,
             max_page_size, max_order_ids, delivery) VALUES (0, ?1, ?2, ?3, ?4, ?5, ?6)",
            (
                mode_name(state.settings.mode),
                limits.max_body_chars,
                limits.max_reason_chars,
                limits.max_page_size,
                limits.max_order_ids,
                delivery_name(state.settings.delivery),
            ),
        )?;
    }
    tx.commit()?;
    Ok(())
}

fn read_state(connection: &Connection) -> Result<State> {
    let mut state = State::default();
    let mut orders = connection.prepare(
        "SELECT id, number, customer_id, customer_name, vendor_id, vendor_name, status
         FROM directory_orders",
    )?;
    let rows = orders.query_map([], |row| {
        Ok(Order {
            id: row.get(0)?,
            number: row.get(1)?,
            customer_id: row.get(2)?,
            customer_name: row.get(3)?,
            vendor_id: row.get(4)?,
            vendor_name: row.get(5)?,
            status: row.get(6)?,
        })
    })?;
    for order in rows {
        let order = order?;
        state.orders.insert(order.id.clone(), order);
    }
    let mut members = connection
        .prepare("SELECT role, vendor_id, user_id FROM directory_members ORDER BY position")?;
    let rows = members.query_map([], |row| {
        Ok((
            row.get::<_, String>(0)?,
            row.get::<_, String>(1)?,
            row.get::<_, String>(2)?,
        ))
    })?;
    for row in rows {
        let (role, vendor, user) = row?;
        match role.as_str() {
            "admin" => state.staff.push(user),
            "vendor" => state.vendors.entry(vendor).or_default().push(user),
            _ => state.customers.push(user),
        }
    }
    let mut names = connection.prepare("SELECT kind, id, name FROM directory_names")?;
    let rows = names.query_map([], |row| {
        Ok((
            row.get::<_, String>(0)?,
            row.get::<_, String>(1)?,
            row.get::<_, String>(2)?,
        ))
    })?;
    for row in rows {
        let (kind, id, name) = row?;
        if kind == "vendor" {
            state.vendors.entry(id.clone()).or_default();
            state.vendor_names.insert(id, name);
        } else {
            state.names.insert(id, name);
        }
    }
    let settings = connection.query_row(
        "SELECT mode, max_body_chars, max_reason_chars, max_page_size, max_order_ids, delivery
         FROM directory_settings WHERE id = 0",
        [],
        |row| {
            Ok((
                row.get::<_, String>(0)?,
                Limits {
                    max_body_chars: row.get(1)?,
                    max_reason_chars: row.get(2)?,
                    max_page_size: row.get(3)?,
                    max_order_ids: row.get(4)?,
                },
                row.get::<_, String>(5)?,
            ))
        },
    );
    match settings {
        Ok((mode, limits, delivery)) => {
            let mode = match mode.as_str() {
                "separate-shops" => MultivendorMode::SeparateShops,
                "warehouse" => MultivendorMode::Warehouse,
                other => bail!("unknown multivendor mode `{other}`"),
            };
            let delivery = match delivery.as_str() {
                "inline" => Delivery::Inline,
                "host-drains" => Delivery::HostDrains,
                other => bail!("unknown delivery mode `{other}`"),
            };
            state.settings = Settings {
                mode,
                limits,
                delivery,
            };
        }
        Err(rusqlite::Error::QueryReturnedNoRows) => {}
        Err(e) => return Err(e.into()),
    }
    Ok(state)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Directory {
        let dir = Directory::default();
        dir.add_vendor("v1", "Acme Tools");
        dir.register(&Actor::vendor("anna", "v1", "Anna"));
        dir.register(&Actor::admin("sam", "Sam"));
        dir.add_staff("sara");
        dir.register(&Actor::customer("alice", "Alice"));
        dir.add_order(Order::new("o1", "1001", "alice", "Alice").with_vendor("v1", "Acme Tools"));
        dir.add_order(Order::new("o2", "1002", "bob", "Bob B.").with_status("shipped"));
        dir.add_vendor_user("v2", "ben");
        dir.set_mode(MultivendorMode::Warehouse);
        dir.set_delivery(Delivery::HostDrains);
        dir.set_limits(Limits {
            max_page_size: 7,
            ..Limits::default()
        });
        dir
    }

    #[test]
    fn users_resolve_to_actors_with_their_role_and_name() {
        let dir = sample();
        assert_eq!(dir.actor("sam"), Some(Actor::admin("sam", "Sam")));
        assert_eq!(dir.actor("sara"), Some(Actor::admin("sara", "sara")));
        assert_eq!(dir.actor("anna"), Some(Actor::vendor("anna", "v1", "Anna")));
        assert_eq!(dir.actor("alice"), Some(Actor::customer("alice", "Alice")));
        // Known only as an order's customer: the order's name for them.
        assert_eq!(dir.actor("bob"), Some(Actor::customer("bob", "Bob B.")));
        assert_eq!(dir.actor("nobody"), None);
        let ids: Vec<String> = dir.users().into_iter().map(|a| a.id).collect();
        assert_eq!(ids, ["sam", "sara", "anna", "ben", "alice", "bob"]);
        assert_eq!(dir.vendor_name("v1").as_deref(), Some("Acme Tools"));
        assert!(!dir.is_empty() && Directory::default().is_empty());
    }

    #[test]
    fn saving_and_loading_round_trips_everything() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("harness.db");
        let dir = sample();
        {
            let db = Database::open(&path).unwrap();
            // An empty file loads as an empty directory with default settings.
            let fresh = Directory::default();
            fresh.load(&db).unwrap();
            assert!(fresh.is_empty());
            assert_eq!(fresh.settings(), Settings::default());
            dir.save(&db).unwrap();
        }
        let db = Database::open(&path).unwrap();
        let loaded = Directory::default();
        loaded.add_order(Order::new("stale", "1", "x", "X"));
        loaded.load(&db).unwrap();
        assert_eq!(loaded.orders(), dir.orders());
        assert_eq!(loaded.staff(), dir.staff());
        assert_eq!(loaded.vendors(), dir.vendors());
        assert_eq!(loaded.customers(), dir.customers());
        assert_eq!(loaded.users(), dir.users());
        assert_eq!(loaded.settings(), dir.settings());
        assert_eq!(
            db.schema_version(DIRECTORY_SCHEMA.part).unwrap(),
            Some(DIRECTORY_SCHEMA.version())
        );

        // Saving again replaces, not appends.
        loaded.remove_staff("sara");
        loaded.save(&db).unwrap();
        let again = Directory::default();
        again.load(&db).unwrap();
        assert_eq!(again.staff(), ["sam"]);
        assert_eq!(again.orders().len(), 2);
    }
}
