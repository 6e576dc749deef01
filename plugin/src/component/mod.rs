//! The WebAssembly component: WIT bindings, the host's imports as the domain's ports
//! ([`host`]), type conversions ([`convert`]), and the exports, each a thin call into the
//! domain.

mod convert;
mod host;

use crate::domain::schema::Guard;
use crate::domain::{self, Call, Env, inbox as dinbox, messaging as dmsg, order_filter as dfilter};

wit_bindgen::generate!({
    world: "addon",
    path: "../wit/v0.2.0",
    // The one WASI interface the world imports.
    with: { "wasi:clocks/wall-clock@0.2.0": generate },
});

use exports::storefront::order_messages::{disputes, inbox, maintenance, messaging, order_filter};
use storefront::order_messages::types::{Actor, BellCounts, Error, Message};

/// Run `op` against the host's services as the domain's ports, the store guarded by the schema
/// version for this call (nothing is kept between calls: an instance may serve several stores).
fn with_env<T>(op: impl FnOnce(&Env) -> domain::Result<T>) -> domain::Result<T> {
    let store = Guard::new(&host::HostStore);
    let env = Env {
        store: &store,
        directory: &host::HostDirectory,
        delivery: &host::HostDelivery,
        clock: &host::WallClock,
    };
    op(&env)
}

/// Run an operation on behalf of `actor`.
fn run<T, U>(actor: Actor, op: impl FnOnce(&Call) -> domain::Result<U>) -> Result<T, Error>
where
    U: Into<T>,
{
    Ok(with_env(|env| op(&Call::begin(env, actor.into())?))?.into())
}

struct Addon;

impl messaging::Guest for Addon {
    fn post(actor: Actor, request: messaging::PostRequest) -> Result<Message, Error> {
        run(actor, |call| dmsg::post(call, request.into()))
    }

    fn read_thread(
        actor: Actor,
        request: messaging::ThreadRequest,
    ) -> Result<messaging::ThreadPage, Error> {
        run(actor, |call| dmsg::read_thread(call, request.into()))
    }

    fn unread_count(actor: Actor, order_id: String) -> Result<u32, Error> {
        run(actor, |call| dmsg::unread_count(call, &order_id))
    }

    fn mark_read(actor: Actor, order_id: String) -> Result<(), Error> {
        run(actor, |call| dmsg::mark(call, &order_id, true))
    }

    fn mark_unread(actor: Actor, order_id: String) -> Result<(), Error> {
        run(actor, |call| dmsg::mark(call, &order_id, false))
    }
}

impl inbox::Guest for Addon {
    fn list_threads(actor: Actor, request: inbox::ListRequest) -> Result<inbox::ListPage, Error> {
        run(actor, |call| dinbox::list(call, request.into()))
    }

    fn bell(actor: Actor) -> Result<BellCounts, Error> {
        run(actor, dinbox::bell)
    }

    fn mark_selected(
        actor: Actor,
        order_ids: Vec<String>,
        read: bool,
        cursor: Option<String>,
    ) -> Result<inbox::BulkResult, Error> {
        run(actor, |call| {
            dinbox::mark_selected(call, &order_ids, read, cursor.as_deref())
        })
    }

    fn mark_matching(
        actor: Actor,
        query: inbox::Query,
        read: bool,
        cursor: Option<String>,
    ) -> Result<inbox::BulkResult, Error> {
        run(actor, |call| {
            dinbox::mark_matching(call, &query.into(), read, cursor.as_deref())
        })
    }
}

impl disputes::Guest for Addon {
    fn open(actor: Actor, order_id: String, reason: String) -> Result<disputes::Dispute, Error> {
        run(actor, |call| {
            domain::disputes::open(call, &order_id, &reason)
        })
    }

    fn close(
        actor: Actor,
        order_id: String,
        resolution: Option<String>,
    ) -> Result<disputes::Dispute, Error> {
        run(actor, |call| {
            domain::disputes::close(call, &order_id, resolution.as_deref())
        })
    }

    fn current(actor: Actor, order_id: String) -> Result<Option<disputes::Dispute>, Error> {
        run(actor, |call| {
            domain::disputes::current(call, &order_id).map(|d| d.map(Into::into))
        })
    }

    fn history(actor: Actor, order_id: String) -> Result<Vec<disputes::Dispute>, Error> {
        run(actor, |call| {
            domain::disputes::history(call, &order_id)
                .map(|list| list.into_iter().map(Into::into).collect::<Vec<_>>())
        })
    }
}

impl order_filter::Guest for Addon {
    fn filter(
        actor: Actor,
        order_ids: Vec<String>,
        filter: order_filter::MessageFilter,
    ) -> Result<Vec<String>, Error> {
        run(actor, |call| {
            dfilter::filter(call, &order_ids, filter.into())
        })
    }

    fn list_orders(
        actor: Actor,
        filter: order_filter::MessageFilter,
        cursor: Option<String>,
        limit: u32,
    ) -> Result<order_filter::OrderPage, Error> {
        run(actor, |call| {
            dfilter::list(call, filter.into(), cursor.as_deref(), limit)
        })
    }
}

impl maintenance::Guest for Addon {
    fn deliver_pending(limit: u32) -> Result<maintenance::DeliveryReport, Error> {
        Ok(with_env(|env| domain::maintenance::deliver_pending(env, limit))?.into())
    }

    fn list_outbox(
        dead: bool,
        cursor: Option<String>,
        limit: u32,
    ) -> Result<(Vec<maintenance::OutboxEntry>, Option<String>), Error> {
        let (entries, next) =
            with_env(|env| domain::maintenance::list_outbox(env, dead, cursor.as_deref(), limit))?;
        Ok((entries.into_iter().map(Into::into).collect(), next))
    }

    fn verify(cursor: Option<String>, limit: u32) -> Result<maintenance::VerifyReport, Error> {
        Ok(with_env(|env| domain::maintenance::verify(env, cursor.as_deref(), limit))?.into())
    }

    fn schema_version() -> Result<u32, Error> {
        Ok(Guard::allowing_older(&host::HostStore).ensure_recorded()?)
    }

    fn migrate(cursor: Option<String>, limit: u32) -> Result<maintenance::MigrateReport, Error> {
        // Unguarded: migrate is the one operation that handles the schema record itself.
        Ok(domain::maintenance::migrate(&host::HostStore, cursor.as_deref(), limit)?.into())
    }
}

export!(Addon);
