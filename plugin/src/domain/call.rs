//! The context of one call: who acts, with which settings, and what they may reach.

use super::error::{Error, Result};
use super::keys::Scope;
use super::model::{Actor, Mode, Role, Settings, Timestamp};
use super::ports::Env;
use super::records::ThreadRecord;
use super::validate;

/// One operation in progress on behalf of an actor.
pub struct Call<'a> {
    pub env: &'a Env<'a>,
    pub actor: Actor,
    pub settings: Settings,
    /// The host's clock, read once at the start of the call.
    now: Timestamp,
}

/// An order as far as messaging needs it: taken from its thread when it has one (no directory
/// call), otherwise from the host's directory.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OrderRef {
    pub id: String,
    pub number: String,
    pub customer_id: String,
    pub customer_name: String,
    pub vendor_id: Option<String>,
}

impl From<&ThreadRecord> for OrderRef {
    fn from(t: &ThreadRecord) -> Self {
        OrderRef {
            id: t.order_id.clone(),
            number: t.order_number.clone(),
            customer_id: t.customer_id.clone(),
            customer_name: t.customer_name.clone(),
            vendor_id: t.vendor_id.clone(),
        }
    }
}

impl<'a> Call<'a> {
    /// Validate the actor, read the settings and the clock.
    pub fn begin(env: &'a Env<'a>, actor: Actor) -> Result<Call<'a>> {
        let actor = validate::actor(actor)?;
        let now = validate::clock(env.clock.now())?;
        let mut settings = env.directory.settings().map_err(Error::Directory)?;
        settings.limits = settings.limits.clamped();
        Ok(Call {
            env,
            actor,
            settings,
            now,
        })
    }

    pub fn now(&self) -> Timestamp {
        self.now
    }

    fn vendors_take_part(&self) -> bool {
        self.settings.mode == Mode::SeparateShops
    }

    /// The threads the actor sees. Vendors see none in warehouse mode, which is refused as a
    /// matter of role, before any order is looked at.
    pub fn scope(&self) -> Result<Scope> {
        match &self.actor.role {
            Role::Admin => Ok(Scope::Staff),
            Role::Customer => Ok(Scope::Customer(self.actor.id.clone())),
            Role::Vendor(v) if self.vendors_take_part() => Ok(Scope::Vendor(v.clone())),
            Role::Vendor(_) => Err(Error::Forbidden(
                "vendors take no part in order conversations in warehouse mode".into(),
            )),
        }
    }

    /// Refuse vendors for operations only customers and staff may perform.
    pub fn require_not_vendor(&self, what: &str) -> Result<()> {
        match self.actor.role {
            Role::Vendor(_) => Err(Error::Forbidden(format!("vendors may not {what}"))),
            _ => Ok(()),
        }
    }

    /// Whether the actor reaches an order with this customer and vendor.
    pub fn reaches(&self, customer_id: &str, vendor_id: Option<&str>) -> bool {
        match &self.actor.role {
            Role::Admin => true,
            Role::Customer => customer_id == self.actor.id,
            Role::Vendor(v) => self.vendors_take_part() && vendor_id == Some(v.as_str()),
        }
    }

    /// The order `order_id`, if the actor reaches it; `not-found` otherwise, whether or not it
    /// exists. `thread` is the order's thread record when it has one.
    pub fn resolve(&self, order_id: &str, thread: Option<&ThreadRecord>) -> Result<OrderRef> {
        self.scope()?;
        let order = match thread {
            Some(t) => OrderRef::from(t),
            None => {
                let order = self
                    .env
                    .directory
                    .order(order_id)
                    .map_err(Error::Directory)?
                    .ok_or_else(|| Error::order_not_found(order_id))?;
                OrderRef {
                    id: order.id,
                    number: order.number,
                    customer_id: order.customer_id,
                    customer_name: order.customer_name,
                    vendor_id: order.vendor_id,
                }
            }
        };
        if order.id != order_id || !self.reaches(&order.customer_id, order.vendor_id.as_deref()) {
            return Err(Error::order_not_found(order_id));
        }
        Ok(order)
    }

    /// The scopes whose indexes list the order's thread.
    pub fn scopes_of(order: &OrderRef) -> Vec<Scope> {
        let mut scopes = vec![Scope::Staff, Scope::Customer(order.customer_id.clone())];
        if let Some(v) = &order.vendor_id {
            scopes.push(Scope::Vendor(v.clone()));
        }
        scopes
    }

    /// Everyone who sees the thread, with the scope through which they see it. They get unread
    /// tracking for it. Deduplicated by user id (first scope wins).
    pub fn viewers(&self, order: &OrderRef) -> Result<Vec<(String, Scope)>> {
        let mut out: Vec<(String, Scope)> = Vec::new();
        let mut add = |user: String, scope: &Scope| {
            if !out.iter().any(|(u, _)| *u == user) {
                out.push((user, scope.clone()));
            }
        };
        add(
            order.customer_id.clone(),
            &Scope::Customer(order.customer_id.clone()),
        );
        if let (true, Some(v)) = (self.vendors_take_part(), &order.vendor_id) {
            let scope = Scope::Vendor(v.clone());
            for user in self
                .env
                .directory
                .vendor_users(v)
                .map_err(Error::Directory)?
            {
                add(user, &scope);
            }
        }
        for user in self.env.directory.staff_users().map_err(Error::Directory)? {
            add(user, &Scope::Staff);
        }
        Ok(out)
    }

    /// Whether staff are party to the conversation (and so get its mail and notifications):
    /// always in warehouse mode or for an order without vendor, otherwise while a dispute is
    /// open.
    pub fn staff_take_part(&self, order: &OrderRef, dispute_open: bool) -> bool {
        !self.vendors_take_part() || order.vendor_id.is_none() || dispute_open
    }
}
