//! The native baseline: the addon's domain core (crate `order-messages`, the same source the
//! component is built from) compiled into the host and run over the harness's own storage,
//! directory, captures and clock.
//!
//! [`Native`] has the same call surface as [`Session`] for the operations that benchmarks and
//! the data-set generator drive, through the [`Operations`] trait, so one workload runs through
//! the component and natively in the same process, against the same [`Host`]. Both paths make
//! the same storage calls (the native one goes through [`Storage`] too, so its counters and
//! fault injection apply), and for the same inputs they leave identical storage behind.
//!
//! ```no_run
//! use order_messages_harness::fixtures::Fixtures;
//! use order_messages_harness::native::{Native, Operations};
//! use order_messages_harness::types::PostRequest;
//!
//! let world = Fixtures::marketplace().build();
//! let mut native = Native::new(&world.host);
//! let posted = native.post(&world.actor("c1"), &PostRequest::new("o1", "Hello")).unwrap();
//! assert!(posted.is_ok());
//! ```

use anyhow::Result;
use order_messages::domain::{
    self, Call, Env, disputes as ddisputes, inbox as dinbox, messaging as dmsg, model,
    order_filter as dfilter, outbox, ports, schema::Guard,
};

use crate::host::{self, Host, Push, Storage};
use crate::runtime::Session;
use crate::types::*;

/// The operations a workload drives, implemented by the component ([`Session`]) and by the
/// native baseline ([`Native`]). Same signatures as `Session`'s methods: the outer error is a
/// host-side failure (a trap, for the component), the inner one the addon's typed refusal.
pub trait Operations {
    /// The host the calls run against.
    fn host(&self) -> &Host;
    /// `messaging.post`.
    fn post(&mut self, actor: &Actor, request: &PostRequest) -> Result<Result<Message, Error>>;
    /// `messaging.read-thread`.
    fn read_thread(
        &mut self,
        actor: &Actor,
        request: &ThreadRequest,
    ) -> Result<Result<ThreadPage, Error>>;
    /// `messaging.mark-read`.
    fn mark_read(&mut self, actor: &Actor, order_id: &str) -> Result<Result<(), Error>>;
    /// `inbox.list-threads`.
    fn list_threads(
        &mut self,
        actor: &Actor,
        request: &ListRequest,
    ) -> Result<Result<ListPage, Error>>;
    /// `inbox.bell`.
    fn bell(&mut self, actor: &Actor) -> Result<Result<BellCounts, Error>>;
    /// `inbox.mark-matching`: one batch.
    fn mark_matching(
        &mut self,
        actor: &Actor,
        query: &Query,
        read: bool,
        cursor: Option<&str>,
    ) -> Result<Result<BulkResult, Error>>;
    /// `order-filter.filter`.
    fn filter_orders(
        &mut self,
        actor: &Actor,
        order_ids: &[String],
        filter: MessageFilter,
    ) -> Result<Result<Vec<String>, Error>>;
    /// `disputes.open`.
    fn open_dispute(
        &mut self,
        actor: &Actor,
        order_id: &str,
        reason: &str,
    ) -> Result<Result<Dispute, Error>>;
    /// `disputes.close`.
    fn close_dispute(
        &mut self,
        actor: &Actor,
        order_id: &str,
        resolution: Option<&str>,
    ) -> Result<Result<Dispute, Error>>;
}

impl Operations for Session {
    fn host(&self) -> &Host {
        Session::host(self)
    }

    fn post(&mut self, actor: &Actor, request: &PostRequest) -> Result<Result<Message, Error>> {
        Session::post(self, actor, request)
    }

    fn read_thread(
        &mut self,
        actor: &Actor,
        request: &ThreadRequest,
    ) -> Result<Result<ThreadPage, Error>> {
        Session::read_thread(self, actor, request)
    }

    fn mark_read(&mut self, actor: &Actor, order_id: &str) -> Result<Result<(), Error>> {
        Session::mark_read(self, actor, order_id)
    }

    fn list_threads(
        &mut self,
        actor: &Actor,
        request: &ListRequest,
    ) -> Result<Result<ListPage, Error>> {
        Session::list_threads(self, actor, request)
    }

    fn bell(&mut self, actor: &Actor) -> Result<Result<BellCounts, Error>> {
        Session::bell(self, actor)
    }

    fn mark_matching(
        &mut self,
        actor: &Actor,
        query: &Query,
        read: bool,
        cursor: Option<&str>,
    ) -> Result<Result<BulkResult, Error>> {
        Session::mark_matching(self, actor, query, read, cursor)
    }

    fn filter_orders(
        &mut self,
        actor: &Actor,
        order_ids: &[String],
        filter: MessageFilter,
    ) -> Result<Result<Vec<String>, Error>> {
        Session::filter_orders(self, actor, order_ids, filter)
    }

    fn open_dispute(
        &mut self,
        actor: &Actor,
        order_id: &str,
        reason: &str,
    ) -> Result<Result<Dispute, Error>> {
        Session::open_dispute(self, actor, order_id, reason)
    }

    fn close_dispute(
        &mut self,
        actor: &Actor,
        order_id: &str,
        resolution: Option<&str>,
    ) -> Result<Result<Dispute, Error>> {
        Session::close_dispute(self, actor, order_id, resolution)
    }
}

/// The domain core running natively over a [`Host`]: the counterpart of a [`Session`].
///
/// Like a component instance, it keeps nothing between calls; everything lives in the host.
#[derive(Debug)]
pub struct Native {
    host: Host,
}

impl Native {
    /// The domain over `host` (shared with any sessions over the same host).
    pub fn new(host: &Host) -> Self {
        Self { host: host.clone() }
    }

    /// The host this baseline runs against.
    pub fn host(&self) -> &Host {
        &self.host
    }

    /// Runs `op` on behalf of `actor`, as the component's exports do: the store guarded by the
    /// stored schema version, validate the actor and read the settings, then the operation; its
    /// result is converted to the WIT types.
    fn run<T, U: Into<T>>(
        &self,
        actor: &Actor,
        op: impl FnOnce(&Call) -> domain::Result<U>,
    ) -> Result<Result<T, Error>> {
        let store = Guard::new(&self.host.storage);
        let env = Env {
            store: &store,
            directory: &self.host.directory,
            delivery: &self.host,
            clock: &self.host.clock,
        };
        let outcome = Call::begin(&env, to_actor(actor)).and_then(|call| op(&call));
        Ok(outcome.map(Into::into).map_err(error))
    }
}

impl Operations for Native {
    fn host(&self) -> &Host {
        &self.host
    }

    fn post(&mut self, actor: &Actor, request: &PostRequest) -> Result<Result<Message, Error>> {
        let request = dmsg::PostRequest {
            order_id: request.order_id.clone(),
            body: request.body.clone(),
            idempotency_key: request.idempotency_key.clone(),
        };
        self.run(actor, |call| dmsg::post(call, request).map(Wit))
    }

    fn read_thread(
        &mut self,
        actor: &Actor,
        request: &ThreadRequest,
    ) -> Result<Result<ThreadPage, Error>> {
        let request = dmsg::ThreadRequest {
            order_id: request.order_id.clone(),
            direction: match request.direction {
                Direction::OldestFirst => dmsg::Direction::OldestFirst,
                Direction::NewestFirst => dmsg::Direction::NewestFirst,
            },
            cursor: request.cursor.clone(),
            limit: request.limit,
            mark_read: request.mark_read,
        };
        self.run(actor, |call| dmsg::read_thread(call, request).map(Wit))
    }

    fn mark_read(&mut self, actor: &Actor, order_id: &str) -> Result<Result<(), Error>> {
        self.run(actor, |call| dmsg::mark(call, order_id, true))
    }

    fn list_threads(
        &mut self,
        actor: &Actor,
        request: &ListRequest,
    ) -> Result<Result<ListPage, Error>> {
        let request = dinbox::ListRequest {
            query: to_query(&request.query),
            sort: match request.sort {
                Sort::NewestFirst => dinbox::Sort::NewestFirst,
                Sort::UnreadFirst => dinbox::Sort::UnreadFirst,
            },
            cursor: request.cursor.clone(),
            limit: request.limit,
        };
        self.run(actor, |call| dinbox::list(call, request).map(Wit))
    }

    fn bell(&mut self, actor: &Actor) -> Result<Result<BellCounts, Error>> {
        self.run(actor, |call| dinbox::bell(call).map(Wit))
    }

    fn mark_matching(
        &mut self,
        actor: &Actor,
        query: &Query,
        read: bool,
        cursor: Option<&str>,
    ) -> Result<Result<BulkResult, Error>> {
        let query = to_query(query);
        self.run(actor, |call| {
            dinbox::mark_matching(call, &query, read, cursor).map(Wit)
        })
    }

    fn filter_orders(
        &mut self,
        actor: &Actor,
        order_ids: &[String],
        filter: MessageFilter,
    ) -> Result<Result<Vec<String>, Error>> {
        let filter = match filter {
            MessageFilter::WithMessages => dfilter::MessageFilter::WithMessages,
            MessageFilter::WithUnread => dfilter::MessageFilter::WithUnread,
        };
        self.run(actor, |call| dfilter::filter(call, order_ids, filter))
    }

    fn open_dispute(
        &mut self,
        actor: &Actor,
        order_id: &str,
        reason: &str,
    ) -> Result<Result<Dispute, Error>> {
        self.run(actor, |call| {
            ddisputes::open(call, order_id, reason).map(Wit)
        })
    }

    fn close_dispute(
        &mut self,
        actor: &Actor,
        order_id: &str,
        resolution: Option<&str>,
    ) -> Result<Result<Dispute, Error>> {
        self.run(actor, |call| {
            ddisputes::close(call, order_id, resolution).map(Wit)
        })
    }
}

// ---- The harness's services as the domain's ports ----

fn store_error(e: StorageError) -> ports::StoreError {
    match e {
        StorageError::Conflict(key) => ports::StoreError::Conflict(key),
        StorageError::Unavailable(m) => ports::StoreError::Unavailable(m),
        StorageError::Failed(m) => ports::StoreError::Failed(m),
    }
}

fn entry(e: Entry) -> ports::Entry {
    ports::Entry {
        key: e.key,
        value: e.value,
        version: e.version,
    }
}

/// The `storage` import, called directly (through the same counters and faults as the
/// component's calls), with the values copied across as the component's adapter does.
impl ports::Store for Storage {
    fn get(&self, key: &str) -> Result<Option<ports::Entry>, ports::StoreError> {
        Storage::get(self, key)
            .map(|e| e.map(entry))
            .map_err(store_error)
    }

    fn get_many(&self, keys: &[String]) -> Result<Vec<Option<ports::Entry>>, ports::StoreError> {
        Storage::get_many(self, keys)
            .map(|entries| entries.into_iter().map(|e| e.map(entry)).collect())
            .map_err(store_error)
    }

    fn scan(
        &self,
        prefix: &str,
        start_after: Option<&str>,
        limit: u32,
        reverse: bool,
    ) -> Result<Vec<ports::Entry>, ports::StoreError> {
        Storage::scan(self, prefix, start_after, limit, reverse)
            .map(|entries| entries.into_iter().map(entry).collect())
            .map_err(store_error)
    }

    fn commit(
        &self,
        checks: &[ports::Check],
        writes: &[ports::Write],
    ) -> Result<(), ports::StoreError> {
        let checks: Vec<Check> = checks
            .iter()
            .map(|c| Check {
                key: c.key.clone(),
                version: c.version,
            })
            .collect();
        let writes: Vec<Write> = writes
            .iter()
            .map(|w| match &w.value {
                Some(value) => Write::Put(Put {
                    key: w.key.clone(),
                    value: value.clone(),
                }),
                None => Write::Delete(w.key.clone()),
            })
            .collect();
        Storage::commit(self, &checks, &writes).map_err(store_error)
    }
}

/// The `directory` import, with the same fault injection as the component's.
impl ports::Directory for host::Directory {
    fn order(&self, id: &str) -> Result<Option<model::Order>, String> {
        self.injected()?;
        Ok(host::Directory::order(self, id).map(|o| model::Order {
            id: o.id,
            number: o.number,
            customer_id: o.customer_id,
            customer_name: o.customer_name,
            vendor_id: o.vendor_id,
            vendor_name: o.vendor_name,
            status: o.status,
        }))
    }

    fn staff_users(&self) -> Result<Vec<String>, String> {
        self.injected()?;
        Ok(self.staff())
    }

    fn vendor_users(&self, vendor_id: &str) -> Result<Vec<String>, String> {
        self.injected()?;
        Ok(host::Directory::vendor_users(self, vendor_id))
    }

    fn settings(&self) -> Result<model::Settings, String> {
        self.injected()?;
        let s = host::Directory::settings(self);
        Ok(model::Settings {
            mode: match s.mode {
                MultivendorMode::SeparateShops => model::Mode::SeparateShops,
                MultivendorMode::Warehouse => model::Mode::Warehouse,
            },
            limits: model::Limits {
                max_body_chars: s.limits.max_body_chars,
                max_reason_chars: s.limits.max_reason_chars,
                max_page_size: s.limits.max_page_size,
                max_order_ids: s.limits.max_order_ids,
            },
        })
    }
}

/// The `mail` and `notifications` imports: the host's captures.
impl ports::Delivery for Host {
    fn send_mail(&self, m: &outbox::Mail) -> Result<(), ports::DeliveryError> {
        self.mail
            .send(Mail {
                recipients: m.recipients.clone(),
                order_id: m.order_id.clone(),
                subject: m.subject.clone(),
                text_body: m.text_body.clone(),
                html_body: m.html_body.clone(),
                idempotency_key: m.idempotency_key.clone(),
            })
            .map_err(|e| match e {
                MailError::Unavailable(m) => ports::DeliveryError::Unavailable(m),
                MailError::Rejected(m) => ports::DeliveryError::Rejected(m),
            })
    }

    fn push(
        &self,
        key: &str,
        recipients: &[String],
        event: &outbox::Event,
    ) -> Result<(), ports::DeliveryError> {
        self.notifications
            .push(Push {
                key: key.to_owned(),
                recipients: recipients.to_vec(),
                event: to_event(event),
            })
            .map_err(|e| match e {
                NotifyError::Unavailable(m) => ports::DeliveryError::Unavailable(m),
                NotifyError::Rejected(m) => ports::DeliveryError::Rejected(m),
            })
    }
}

/// WASI's wall clock as the component reads it (times before 1970 read as the epoch).
impl ports::Clock for host::Clock {
    fn now(&self) -> model::Timestamp {
        self.now_millis().max(0)
    }
}

// ---- Conversions between the WIT types and the domain's ----

/// A domain value on its way to its WIT type (a local wrapper, so `Into` can be implemented
/// for domain types that the harness does not own).
struct Wit<T>(T);

fn to_role(r: &Role) -> model::Role {
    match r {
        Role::Customer => model::Role::Customer,
        Role::Vendor(v) => model::Role::Vendor(v.clone()),
        Role::Admin => model::Role::Admin,
    }
}

fn role(r: model::Role) -> Role {
    match r {
        model::Role::Customer => Role::Customer,
        model::Role::Vendor(v) => Role::Vendor(v),
        model::Role::Admin => Role::Admin,
    }
}

fn to_actor(a: &Actor) -> model::Actor {
    model::Actor {
        id: a.id.clone(),
        role: to_role(&a.role),
        display_name: a.display_name.clone(),
    }
}

fn to_query(q: &Query) -> dinbox::Query {
    dinbox::Query {
        filter: match q.filter {
            Filter::All => dinbox::Filter::All,
            Filter::Unread => dinbox::Filter::Unread,
            Filter::OpenDisputes => dinbox::Filter::OpenDisputes,
        },
        search: q.search.clone(),
    }
}

fn error(e: domain::Error) -> Error {
    use domain::Error as E;
    match e {
        E::NotFound(m) => Error::NotFound(m),
        E::Forbidden(m) => Error::Forbidden(m),
        E::InvalidInput { field, reason } => Error::InvalidInput(InvalidInput { field, reason }),
        E::InvalidState(m) => Error::InvalidState(m),
        E::Conflict(m) => Error::Conflict(m),
        E::Storage(m) => Error::Storage(m),
        E::Directory(m) => Error::Directory(m),
    }
}

fn kind(k: model::MessageKind) -> MessageKind {
    match k {
        model::MessageKind::Text => MessageKind::Text,
        model::MessageKind::DisputeOpened => MessageKind::DisputeOpened,
        model::MessageKind::DisputeClosed => MessageKind::DisputeClosed,
    }
}

fn message(m: model::Message) -> Message {
    Message {
        order_id: m.order_id,
        seq: m.seq,
        kind: kind(m.kind),
        author_id: m.author_id,
        author_name: m.author_name,
        author_role: role(m.author_role),
        body: m.body,
        created_at: m.created_at,
    }
}

fn bell_counts(b: model::BellCounts) -> BellCounts {
    BellCounts {
        unread_threads: b.unread_threads,
        open_disputes: b.open_disputes,
    }
}

fn party(p: model::Party) -> Party {
    Party {
        id: p.id,
        name: p.name,
        role: role(p.role),
    }
}

fn dispute_change(d: &outbox::DisputeChange) -> DisputeChange {
    DisputeChange {
        order_id: d.order_id.clone(),
        order_number: d.order_number.clone(),
        dispute_number: d.dispute_number,
        by_name: d.by_name.clone(),
        note: d.note.clone(),
        at: d.at,
    }
}

fn to_event(e: &outbox::Event) -> Event {
    match e {
        outbox::Event::NewMessage(m) => Event::NewMessage(NewMessage {
            order_id: m.order_id.clone(),
            order_number: m.order_number.clone(),
            seq: m.seq,
            author_name: m.author_name.clone(),
            author_role: role(m.author_role.clone()),
            excerpt: m.excerpt.clone(),
            created_at: m.created_at,
        }),
        outbox::Event::DisputeOpened(d) => Event::DisputeOpened(dispute_change(d)),
        outbox::Event::DisputeClosed(d) => Event::DisputeClosed(dispute_change(d)),
        outbox::Event::CountsChanged(b) => Event::CountsChanged(bell_counts(*b)),
    }
}

impl From<Wit<model::Message>> for Message {
    fn from(Wit(m): Wit<model::Message>) -> Self {
        message(m)
    }
}

impl From<Wit<model::BellCounts>> for BellCounts {
    fn from(Wit(b): Wit<model::BellCounts>) -> Self {
        bell_counts(b)
    }
}

impl From<Wit<dmsg::ThreadPage>> for ThreadPage {
    fn from(Wit(p): Wit<dmsg::ThreadPage>) -> Self {
        ThreadPage {
            order_id: p.order_id,
            order_number: p.order_number,
            messages: p.messages.into_iter().map(message).collect(),
            next_cursor: p.next_cursor,
            message_count: p.message_count,
            unread_count: p.unread_count,
            read_up_to: p.read_up_to,
            dispute_open: p.dispute_open,
        }
    }
}

impl From<Wit<dinbox::ListPage>> for ListPage {
    fn from(Wit(p): Wit<dinbox::ListPage>) -> Self {
        ListPage {
            rows: p
                .rows
                .into_iter()
                .map(|r| ThreadRow {
                    order_id: r.order_id,
                    order_number: r.order_number,
                    latest: LatestMessage {
                        seq: r.latest.seq,
                        kind: kind(r.latest.kind),
                        author_name: r.latest.author_name,
                        author_role: role(r.latest.author_role),
                        excerpt: r.latest.excerpt,
                        created_at: r.latest.created_at,
                    },
                    message_count: r.message_count,
                    unread: r.unread,
                    unread_count: r.unread_count,
                    dispute_open: r.dispute_open,
                })
                .collect(),
            next_cursor: p.next_cursor,
        }
    }
}

impl From<Wit<dinbox::BulkResult>> for BulkResult {
    fn from(Wit(r): Wit<dinbox::BulkResult>) -> Self {
        BulkResult {
            changed: r.changed,
            next_cursor: r.next_cursor,
        }
    }
}

impl From<Wit<model::Dispute>> for Dispute {
    fn from(Wit(d): Wit<model::Dispute>) -> Self {
        Dispute {
            order_id: d.order_id,
            number: d.number,
            opened_by: party(d.opened_by),
            reason: d.reason,
            opened_at: d.opened_at,
            closed: d.closed.map(|c| Closure {
                by: party(c.by),
                resolution: c.resolution,
                at: c.at,
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixtures::{Fixtures, marketplace::*};
    use crate::runtime::Harness;

    fn fmt<T: std::fmt::Debug>(r: Result<Result<T, Error>>) -> String {
        match r {
            Ok(answer) => format!("{answer:?}"),
            Err(trap) => format!("trap: {trap:#}"),
        }
    }

    /// Runs a little story through `ops` and returns every answer, formatted.
    fn story(ops: &mut impl Operations, world: &crate::fixtures::World) -> Vec<String> {
        let (alice, anna, sam) = (world.actor(ALICE), world.actor(ANNA), world.actor(SAM));
        let mut out = Vec::new();
        let mut note = |answer: String| out.push(answer);
        note(fmt(ops.post(
            &alice,
            &PostRequest::new(ALICE_ACME_ORDER, "Where is my parcel?"),
        )));
        note(fmt(ops.post(
            &anna,
            &PostRequest::new(ALICE_ACME_ORDER, "Shipped today"),
        )));
        note(fmt(ops.open_dispute(
            &alice,
            ALICE_ACME_ORDER,
            "Never came",
        )));
        note(fmt(ops.list_threads(
            &sam,
            &ListRequest::new(Query::all().with_search("parcel"), 10),
        )));
        note(fmt(ops.bell(&sam)));
        note(fmt(ops.filter_orders(
            &sam,
            &[ALICE_ACME_ORDER.into(), BOB_ACME_ORDER.into()],
            MessageFilter::WithUnread,
        )));
        note(fmt(ops.mark_matching(&sam, &Query::unread(), true, None)));
        note(fmt(ops.close_dispute(
            &sam,
            ALICE_ACME_ORDER,
            Some("Refunded"),
        )));
        note(fmt(ops.read_thread(
            &alice,
            &ThreadRequest::new(ALICE_ACME_ORDER).marking_read(),
        )));
        note(fmt(ops.mark_read(&anna, ALICE_ACME_ORDER)));
        // Refusals are converted too.
        note(fmt(ops.post(
            &world.actor(BOB),
            &PostRequest::new(ALICE_ACME_ORDER, "hi"),
        )));
        note(fmt(
            ops.post(&alice, &PostRequest::new(ALICE_ACME_ORDER, " "))
        ));
        out
    }

    #[test]
    fn native_answers_and_stores_what_the_component_does() {
        let wasm_world = Fixtures::marketplace().build();
        let mut session = Harness::shared().session(&wasm_world.host).unwrap();
        let native_world = Fixtures::marketplace().build();
        let mut native = Native::new(&native_world.host);

        let through_wasm = story(&mut session, &wasm_world);
        let natively = story(&mut native, &native_world);
        assert_eq!(through_wasm, natively);
        assert!(
            natively.iter().any(|a| a.contains("NotFound")),
            "{natively:?}"
        );
        assert!(wasm_world.host.storage.dump() == native_world.host.storage.dump());
        assert_eq!(wasm_world.host.mail.all(), native_world.host.mail.all());
        assert_eq!(
            wasm_world.host.notifications.all(),
            native_world.host.notifications.all()
        );
        assert_eq!(
            wasm_world.host.storage.stats(),
            native_world.host.storage.stats()
        );
    }
}
