//! The conversions between the contract's types and the domain's, written once for every set
//! of bindings generated from the same WIT: wit-bindgen's in the component, wasmtime's in the
//! native baseline ([`crate::native`]). Both generators give the same module tree and the same
//! type and field names, so one macro body serves both.

/// `From` impls between the bindings under `$exports` / `$imports` (the generated
/// `exports::storefront::order_messages` and `storefront::order_messages` modules) and the
/// domain's types.
macro_rules! wit_conversions {
    ($($exports:ident)::+, $($imports:ident)::+) => {
        use $($exports)::+::{disputes, inbox, maintenance, messaging, order_filter};
        use $($imports)::+::{directory, mail, notifications, storage, types};
        use $crate::domain::{
            self, inbox as dinbox, messaging as dmsg, model, order_filter as dfilter, outbox,
            ports,
        };

        impl From<types::Role> for model::Role {
            fn from(r: types::Role) -> Self {
                match r {
                    types::Role::Customer => model::Role::Customer,
                    types::Role::Vendor(v) => model::Role::Vendor(v),
                    types::Role::Admin => model::Role::Admin,
                }
            }
        }

        impl From<model::Role> for types::Role {
            fn from(r: model::Role) -> Self {
                match r {
                    model::Role::Customer => types::Role::Customer,
                    model::Role::Vendor(v) => types::Role::Vendor(v),
                    model::Role::Admin => types::Role::Admin,
                }
            }
        }

        impl From<types::Actor> for model::Actor {
            fn from(a: types::Actor) -> Self {
                model::Actor {
                    id: a.id,
                    role: a.role.into(),
                    display_name: a.display_name,
                }
            }
        }

        impl From<domain::Error> for types::Error {
            fn from(e: domain::Error) -> Self {
                use domain::Error as E;
                match e {
                    E::NotFound(m) => types::Error::NotFound(m),
                    E::Forbidden(m) => types::Error::Forbidden(m),
                    E::InvalidInput { field, reason } => {
                        types::Error::InvalidInput(types::InvalidInput { field, reason })
                    }
                    E::InvalidState(m) => types::Error::InvalidState(m),
                    E::Conflict(m) => types::Error::Conflict(m),
                    E::Storage(m) => types::Error::Storage(m),
                    E::Directory(m) => types::Error::Directory(m),
                }
            }
        }

        impl From<model::MessageKind> for types::MessageKind {
            fn from(k: model::MessageKind) -> Self {
                match k {
                    model::MessageKind::Text => types::MessageKind::Text,
                    model::MessageKind::DisputeOpened => types::MessageKind::DisputeOpened,
                    model::MessageKind::DisputeClosed => types::MessageKind::DisputeClosed,
                }
            }
        }

        impl From<model::Message> for types::Message {
            fn from(m: model::Message) -> Self {
                types::Message {
                    order_id: m.order_id,
                    seq: m.seq,
                    kind: m.kind.into(),
                    author_id: m.author_id,
                    author_name: m.author_name,
                    author_role: m.author_role.into(),
                    body: m.body,
                    created_at: m.created_at,
                }
            }
        }

        impl From<model::BellCounts> for types::BellCounts {
            fn from(b: model::BellCounts) -> Self {
                types::BellCounts {
                    unread_threads: b.unread_threads,
                    open_disputes: b.open_disputes,
                }
            }
        }

        impl From<directory::Order> for model::Order {
            fn from(o: directory::Order) -> Self {
                model::Order {
                    id: o.id,
                    number: o.number,
                    customer_id: o.customer_id,
                    customer_name: o.customer_name,
                    vendor_id: o.vendor_id,
                    vendor_name: o.vendor_name,
                    status: o.status,
                }
            }
        }

        impl From<directory::Settings> for model::Settings {
            fn from(s: directory::Settings) -> Self {
                model::Settings {
                    mode: match s.mode {
                        directory::MultivendorMode::SeparateShops => model::Mode::SeparateShops,
                        directory::MultivendorMode::Warehouse => model::Mode::Warehouse,
                    },
                    delivery: match s.delivery {
                        directory::Delivery::Inline => model::DeliveryMode::Inline,
                        directory::Delivery::HostDrains => model::DeliveryMode::HostDrains,
                    },
                    limits: model::Limits {
                        max_body_chars: s.limits.max_body_chars,
                        max_reason_chars: s.limits.max_reason_chars,
                        max_page_size: s.limits.max_page_size,
                        max_order_ids: s.limits.max_order_ids,
                    },
                }
            }
        }

        impl From<outbox::DisputeChange> for notifications::DisputeChange {
            fn from(d: outbox::DisputeChange) -> Self {
                notifications::DisputeChange {
                    order_id: d.order_id,
                    order_number: d.order_number,
                    dispute_number: d.dispute_number,
                    by_name: d.by_name,
                    note: d.note,
                    at: d.at,
                }
            }
        }

        impl From<outbox::Event> for notifications::Event {
            fn from(e: outbox::Event) -> Self {
                match e {
                    outbox::Event::NewMessage(m) => {
                        notifications::Event::NewMessage(notifications::NewMessage {
                            order_id: m.order_id,
                            order_number: m.order_number,
                            seq: m.seq,
                            author_name: m.author_name,
                            author_role: m.author_role.into(),
                            excerpt: m.excerpt,
                            created_at: m.created_at,
                        })
                    }
                    outbox::Event::DisputeOpened(d) => notifications::Event::DisputeOpened(d.into()),
                    outbox::Event::DisputeClosed(d) => notifications::Event::DisputeClosed(d.into()),
                    outbox::Event::CountsChanged(all) => notifications::Event::CountsChanged(
                        all.into_iter()
                            .map(|c| notifications::UserCounts {
                                user: c.user,
                                counts: c.counts.into(),
                            })
                            .collect(),
                    ),
                }
            }
        }

        impl From<messaging::PostRequest> for dmsg::PostRequest {
            fn from(r: messaging::PostRequest) -> Self {
                dmsg::PostRequest {
                    order_id: r.order_id,
                    body: r.body,
                    idempotency_key: r.idempotency_key,
                }
            }
        }

        impl From<messaging::ThreadRequest> for dmsg::ThreadRequest {
            fn from(r: messaging::ThreadRequest) -> Self {
                dmsg::ThreadRequest {
                    order_id: r.order_id,
                    direction: match r.direction {
                        messaging::Direction::OldestFirst => dmsg::Direction::OldestFirst,
                        messaging::Direction::NewestFirst => dmsg::Direction::NewestFirst,
                    },
                    cursor: r.cursor,
                    limit: r.limit,
                    mark_read: r.mark_read,
                }
            }
        }

        impl From<dmsg::ThreadPage> for messaging::ThreadPage {
            fn from(p: dmsg::ThreadPage) -> Self {
                messaging::ThreadPage {
                    order_id: p.order_id,
                    order_number: p.order_number,
                    messages: p.messages.into_iter().map(Into::into).collect(),
                    next_cursor: p.next_cursor,
                    message_count: p.message_count,
                    unread_count: p.unread_count,
                    read_up_to: p.read_up_to,
                    dispute_open: p.dispute_open,
                }
            }
        }

        impl From<inbox::Query> for dinbox::Query {
            fn from(q: inbox::Query) -> Self {
                dinbox::Query {
                    filter: match q.filter {
                        inbox::Filter::All => dinbox::Filter::All,
                        inbox::Filter::Unread => dinbox::Filter::Unread,
                        inbox::Filter::OpenDisputes => dinbox::Filter::OpenDisputes,
                    },
                    search: q.search,
                }
            }
        }

        impl From<inbox::ListRequest> for dinbox::ListRequest {
            fn from(r: inbox::ListRequest) -> Self {
                dinbox::ListRequest {
                    query: r.query.into(),
                    sort: match r.sort {
                        inbox::Sort::NewestFirst => dinbox::Sort::NewestFirst,
                        inbox::Sort::UnreadFirst => dinbox::Sort::UnreadFirst,
                    },
                    cursor: r.cursor,
                    limit: r.limit,
                }
            }
        }

        impl From<dinbox::ThreadRow> for inbox::ThreadRow {
            fn from(r: dinbox::ThreadRow) -> Self {
                inbox::ThreadRow {
                    order_id: r.order_id,
                    order_number: r.order_number,
                    latest: inbox::LatestMessage {
                        seq: r.latest.seq,
                        kind: r.latest.kind.into(),
                        author_name: r.latest.author_name,
                        author_role: r.latest.author_role.into(),
                        excerpt: r.latest.excerpt,
                        created_at: r.latest.created_at,
                    },
                    message_count: r.message_count,
                    unread: r.unread,
                    unread_count: r.unread_count,
                    dispute_open: r.dispute_open,
                }
            }
        }

        impl From<dinbox::ListPage> for inbox::ListPage {
            fn from(p: dinbox::ListPage) -> Self {
                inbox::ListPage {
                    rows: p.rows.into_iter().map(Into::into).collect(),
                    next_cursor: p.next_cursor,
                }
            }
        }

        impl From<dinbox::BulkResult> for inbox::BulkResult {
            fn from(r: dinbox::BulkResult) -> Self {
                inbox::BulkResult {
                    changed: r.changed,
                    next_cursor: r.next_cursor,
                }
            }
        }

        impl From<model::Party> for disputes::Party {
            fn from(p: model::Party) -> Self {
                disputes::Party {
                    id: p.id,
                    name: p.name,
                    role: p.role.into(),
                }
            }
        }

        impl From<model::Dispute> for disputes::Dispute {
            fn from(d: model::Dispute) -> Self {
                disputes::Dispute {
                    order_id: d.order_id,
                    number: d.number,
                    opened_by: d.opened_by.into(),
                    reason: d.reason,
                    opened_at: d.opened_at,
                    closed: d.closed.map(|c| disputes::Closure {
                        by: c.by.into(),
                        resolution: c.resolution,
                        at: c.at,
                    }),
                }
            }
        }

        impl From<order_filter::MessageFilter> for dfilter::MessageFilter {
            fn from(f: order_filter::MessageFilter) -> Self {
                match f {
                    order_filter::MessageFilter::WithMessages => dfilter::MessageFilter::WithMessages,
                    order_filter::MessageFilter::WithUnread => dfilter::MessageFilter::WithUnread,
                }
            }
        }

        impl From<dfilter::OrderPage> for order_filter::OrderPage {
            fn from(p: dfilter::OrderPage) -> Self {
                order_filter::OrderPage {
                    order_ids: p.order_ids,
                    next_cursor: p.next_cursor,
                }
            }
        }

        impl From<outbox::DeliveryReport> for maintenance::DeliveryReport {
            fn from(r: outbox::DeliveryReport) -> Self {
                maintenance::DeliveryReport {
                    applied: r.applied,
                    delivered: r.delivered,
                    deferred: r.deferred,
                    dead: r.dead,
                    more: r.more,
                }
            }
        }

        impl From<outbox::Pending> for maintenance::OutboxEntry {
            fn from(p: outbox::Pending) -> Self {
                maintenance::OutboxEntry {
                    summary: p.record.summary(),
                    recipients: p.record.recipients().to_vec(),
                    key: p.record.idempotency_key(&p.id).to_string(),
                    kind: match p.record.payload {
                        outbox::Payload::Mail { .. } | outbox::Payload::Rendered(_) => {
                            maintenance::OutboxKind::Mail
                        }
                        outbox::Payload::Push { .. } => maintenance::OutboxKind::Notification,
                    },
                    order_id: p.record.order_id,
                    attempts: p.record.attempts,
                    last_error: p.record.last_error,
                    created_at: p.record.created_at,
                }
            }
        }

        impl From<domain::verify::VerifyReport> for maintenance::VerifyReport {
            fn from(r: domain::verify::VerifyReport) -> Self {
                maintenance::VerifyReport {
                    checked: r.checked,
                    problems: r
                        .problems
                        .into_iter()
                        .map(|p| maintenance::Problem {
                            key: p.key,
                            detail: p.detail,
                        })
                        .collect(),
                    more_problems: r.more_problems,
                    next_cursor: r.next_cursor,
                }
            }
        }

        impl From<storage::Entry> for ports::Entry {
            fn from(e: storage::Entry) -> Self {
                ports::Entry {
                    key: e.key,
                    value: e.value,
                    version: e.version,
                }
            }
        }

        impl From<storage::ScanPage> for ports::Page {
            fn from(p: storage::ScanPage) -> Self {
                ports::Page {
                    entries: p.entries.into_iter().map(Into::into).collect(),
                    more: p.more,
                }
            }
        }

        impl From<domain::maintenance::MigrateReport> for maintenance::MigrateReport {
            fn from(r: domain::maintenance::MigrateReport) -> Self {
                maintenance::MigrateReport {
                    from_version: r.from_version,
                    to_version: r.to_version,
                    migrated: r.migrated,
                    next_cursor: r.next_cursor,
                }
            }
        }

        impl From<storage::Error> for ports::StoreError {
            fn from(e: storage::Error) -> Self {
                match e {
                    storage::Error::Conflict(key) => ports::StoreError::Conflict(key),
                    storage::Error::Unavailable(m) => ports::StoreError::Unavailable(m),
                    storage::Error::Failed(m) => ports::StoreError::Failed(m),
                }
            }
        }

        impl From<&ports::Check> for storage::Check {
            fn from(c: &ports::Check) -> Self {
                storage::Check {
                    key: c.key.clone(),
                    version: c.version,
                }
            }
        }

        impl From<&ports::Write> for storage::Write {
            fn from(w: &ports::Write) -> Self {
                match &w.value {
                    Some(value) => storage::Write::Put(storage::Put {
                        key: w.key.clone(),
                        value: value.clone(),
                    }),
                    None => storage::Write::Delete(w.key.clone()),
                }
            }
        }

        impl From<&outbox::Mail> for mail::Message {
            fn from(m: &outbox::Mail) -> Self {
                mail::Message {
                    recipients: m.recipients.clone(),
                    order_id: m.order_id.clone(),
                    subject: m.subject.clone(),
                    text_body: m.text_body.clone(),
                    html_body: m.html_body.clone(),
                    idempotency_key: m.idempotency_key.clone(),
                }
            }
        }

        impl From<mail::Error> for ports::DeliveryError {
            fn from(e: mail::Error) -> Self {
                match e {
                    mail::Error::Unavailable(m) => ports::DeliveryError::Unavailable(m),
                    mail::Error::Rejected(m) => ports::DeliveryError::Rejected(m),
                }
            }
        }

        impl From<notifications::Error> for ports::DeliveryError {
            fn from(e: notifications::Error) -> Self {
                match e {
                    notifications::Error::Unavailable(m) => ports::DeliveryError::Unavailable(m),
                    notifications::Error::Rejected(m) => ports::DeliveryError::Rejected(m),
                }
            }
        }
    };
}

pub(crate) use wit_conversions;
