//! The `directory` import: the host's orders, staff, vendors' users and addon settings.

use std::collections::BTreeMap;
use std::sync::{Arc, RwLock, RwLockReadGuard, RwLockWriteGuard};

use super::{Fault, FaultSwitch};
use crate::types::{Limits, MultivendorMode, Order, Settings};

/// The order directory and settings. Mutable at any time; cheap to clone, clones share it.
#[derive(Clone, Debug, Default)]
pub struct Directory {
    state: Arc<RwLock<State>>,
    faults: FaultSwitch,
}

#[derive(Debug, Default)]
struct State {
    orders: BTreeMap<String, Order>,
    staff: Vec<String>,
    vendors: BTreeMap<String, Vec<String>>,
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

    /// Replaces the limits.
    pub fn set_limits(&self, limits: Limits) {
        self.write().settings.limits = limits;
    }

    /// Makes the next `n` directory calls fail.
    pub fn fail_next(&self, n: u32, fault: Fault) {
        self.faults.fail_next(n, fault);
    }

    /// Makes every directory call fail until [`Directory::recover`].
    pub fn fail_always(&self, fault: Fault) {
        self.faults.fail_always(fault);
    }

    /// Stops injecting failures.
    pub fn recover(&self) {
        self.faults.clear();
    }

    pub(crate) fn injected(&self) -> Result<(), String> {
        match self.faults.trip() {
            None => Ok(()),
            Some(Fault::Unavailable) => Err("injected fault: directory unavailable".into()),
            Some(Fault::Rejected) => Err("injected fault: directory failed".into()),
        }
    }
}
