//! Serving components of older contract versions: their types converted to and from the newest
//! ones ([`crate::types`]), which the import traits and [`crate::Instance`] speak. Records that
//! did not change are copied field by field; what changed is adapted here, once.

/// Contract 0.1.0, whose world differs from 0.2.0 in: `scan` returning a bare list (fewer than
/// asked meant "done"), `counts-changed` carrying one user's counts, `settings` without
/// `delivery`, `mark-selected` without a cursor, `delivery-report` without `applied`, and no
/// `migrate`.
pub(crate) mod v0_1_0 {
    use crate::bindings::v0_1_0::exports::storefront::order_messages as old_exports;
    use crate::bindings::v0_1_0::storefront::order_messages as old;
    use crate::types as new;

    // The shared vocabulary (`types`), both ways.
    mod shared {
        use super::{new, old};
        use old::types as o;

        impl From<new::Role> for o::Role {
            fn from(r: new::Role) -> Self {
                match r {
                    new::Role::Customer => Self::Customer,
                    new::Role::Vendor(v) => Self::Vendor(v),
                    new::Role::Admin => Self::Admin,
                }
            }
        }

        impl From<o::Role> for new::Role {
            fn from(r: o::Role) -> Self {
                match r {
                    o::Role::Customer => Self::Customer,
                    o::Role::Vendor(v) => Self::Vendor(v),
                    o::Role::Admin => Self::Admin,
                }
            }
        }

        impl From<new::Actor> for o::Actor {
            fn from(a: new::Actor) -> Self {
                Self {
                    id: a.id,
                    role: a.role.into(),
                    display_name: a.display_name,
                }
            }
        }

        impl From<o::MessageKind> for new::MessageKind {
            fn from(k: o::MessageKind) -> Self {
                match k {
                    o::MessageKind::Text => Self::Text,
                    o::MessageKind::DisputeOpened => Self::DisputeOpened,
                    o::MessageKind::DisputeClosed => Self::DisputeClosed,
                }
            }
        }

        impl From<o::Message> for new::Message {
            fn from(m: o::Message) -> Self {
                Self {
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

        impl From<o::BellCounts> for new::BellCounts {
            fn from(b: o::BellCounts) -> Self {
                Self {
                    unread_threads: b.unread_threads,
                    open_disputes: b.open_disputes,
                }
            }
        }

        impl From<o::Error> for new::Error {
            fn from(e: o::Error) -> Self {
                match e {
                    o::Error::NotFound(m) => Self::NotFound(m),
                    o::Error::Forbidden(m) => Self::Forbidden(m),
                    o::Error::InvalidInput(i) => Self::InvalidInput(new::InvalidInput {
                        field: i.field,
                        reason: i.reason,
                    }),
                    o::Error::InvalidState(m) => Self::InvalidState(m),
                    o::Error::Conflict(m) => Self::Conflict(m),
                    o::Error::Storage(m) => Self::Storage(m),
                    o::Error::Directory(m) => Self::Directory(m),
                }
            }
        }
    }

    // What the host hands to the component's imports.
    mod imports {
        use super::{new, old};
        use old::{directory as d, mail as m, notifications as n, storage as s};

        impl From<new::Entry> for s::Entry {
            fn from(e: new::Entry) -> Self {
                Self {
                    key: e.key,
                    value: e.value,
                    version: e.version,
                }
            }
        }

        impl From<s::Check> for new::Check {
            fn from(c: s::Check) -> Self {
                Self {
                    key: c.key,
                    version: c.version,
                }
            }
        }

        impl From<s::Write> for new::Write {
            fn from(w: s::Write) -> Self {
                match w {
                    s::Write::Put(p) => Self::Put(new::Put {
                        key: p.key,
                        value: p.value,
                    }),
                    s::Write::Delete(k) => Self::Delete(k),
                }
            }
        }

        impl From<new::StorageError> for s::Error {
            fn from(e: new::StorageError) -> Self {
                match e {
                    new::StorageError::Conflict(k) => Self::Conflict(k),
                    new::StorageError::Unavailable(m) => Self::Unavailable(m),
                    new::StorageError::Failed(m) => Self::Failed(m),
                }
            }
        }

        impl From<m::Message> for new::Mail {
            fn from(x: m::Message) -> Self {
                Self {
                    recipients: x.recipients,
                    order_id: x.order_id,
                    subject: x.subject,
                    text_body: x.text_body,
                    html_body: x.html_body,
                    idempotency_key: x.idempotency_key,
                }
            }
        }

        impl From<new::MailError> for m::Error {
            fn from(e: new::MailError) -> Self {
                match e {
                    new::MailError::Unavailable(x) => Self::Unavailable(x),
                    new::MailError::Rejected(x) => Self::Rejected(x),
                }
            }
        }

        impl From<new::NotifyError> for n::Error {
            fn from(e: new::NotifyError) -> Self {
                match e {
                    new::NotifyError::Unavailable(x) => Self::Unavailable(x),
                    new::NotifyError::Rejected(x) => Self::Rejected(x),
                }
            }
        }

        impl From<n::DisputeChange> for new::DisputeChange {
            fn from(d: n::DisputeChange) -> Self {
                Self {
                    order_id: d.order_id,
                    order_number: d.order_number,
                    dispute_number: d.dispute_number,
                    by_name: d.by_name,
                    note: d.note,
                    at: d.at,
                }
            }
        }

        /// A 0.1.0 event to the newest shape; `recipients` are the push's (a 0.1.0
        /// `counts-changed` carries the one recipient's counts).
        pub(crate) fn event(event: n::Event, recipients: &[String]) -> new::Event {
            match event {
                n::Event::NewMessage(m) => new::Event::NewMessage(new::NewMessage {
                    order_id: m.order_id,
                    order_number: m.order_number,
                    seq: m.seq,
                    author_name: m.author_name,
                    author_role: m.author_role.into(),
                    excerpt: m.excerpt,
                    created_at: m.created_at,
                }),
                n::Event::DisputeOpened(d) => new::Event::DisputeOpened(d.into()),
                n::Event::DisputeClosed(d) => new::Event::DisputeClosed(d.into()),
                n::Event::CountsChanged(counts) => new::Event::CountsChanged(
                    recipients
                        .iter()
                        .map(|user| new::UserCounts {
                            user: user.clone(),
                            counts: counts.into(),
                        })
                        .collect(),
                ),
            }
        }

        impl From<new::Order> for d::Order {
            fn from(o: new::Order) -> Self {
                Self {
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

        impl From<new::Settings> for d::Settings {
            fn from(s: new::Settings) -> Self {
                Self {
                    mode: match s.mode {
                        new::MultivendorMode::SeparateShops => d::MultivendorMode::SeparateShops,
                        new::MultivendorMode::Warehouse => d::MultivendorMode::Warehouse,
                    },
                    limits: d::Limits {
                        max_body_chars: s.limits.max_body_chars,
                        max_reason_chars: s.limits.max_reason_chars,
                        max_page_size: s.limits.max_page_size,
                        max_order_ids: s.limits.max_order_ids,
                    },
                }
            }
        }
    }

    // What the host passes to the component's exports, and what comes back.
    mod exports {
        use super::{new, old_exports};
        use old_exports::{
            disputes as di, inbox as ib, maintenance as mt, messaging as ms, order_filter as of,
        };

        impl From<new::PostRequest> for ms::PostRequest {
            fn from(r: new::PostRequest) -> Self {
                Self {
                    order_id: r.order_id,
                    body: r.body,
                    idempotency_key: r.idempotency_key,
                }
            }
        }

        impl From<new::ThreadRequest> for ms::ThreadRequest {
            fn from(r: new::ThreadRequest) -> Self {
                Self {
                    order_id: r.order_id,
                    direction: match r.direction {
                        new::Direction::OldestFirst => ms::Direction::OldestFirst,
                        new::Direction::NewestFirst => ms::Direction::NewestFirst,
                    },
                    cursor: r.cursor,
                    limit: r.limit,
                    mark_read: r.mark_read,
                }
            }
        }

        impl From<ms::ThreadPage> for new::ThreadPage {
            fn from(p: ms::ThreadPage) -> Self {
                Self {
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

        impl From<new::Query> for ib::Query {
            fn from(q: new::Query) -> Self {
                Self {
                    filter: match q.filter {
                        new::Filter::All => ib::Filter::All,
                        new::Filter::Unread => ib::Filter::Unread,
                        new::Filter::OpenDisputes => ib::Filter::OpenDisputes,
                    },
                    search: q.search,
                }
            }
        }

        impl From<new::ListRequest> for ib::ListRequest {
            fn from(r: new::ListRequest) -> Self {
                Self {
                    query: r.query.into(),
                    sort: match r.sort {
                        new::Sort::NewestFirst => ib::Sort::NewestFirst,
                        new::Sort::UnreadFirst => ib::Sort::UnreadFirst,
                    },
                    cursor: r.cursor,
                    limit: r.limit,
                }
            }
        }

        impl From<ib::ListPage> for new::ListPage {
            fn from(p: ib::ListPage) -> Self {
                Self {
                    rows: p
                        .rows
                        .into_iter()
                        .map(|r| new::ThreadRow {
                            order_id: r.order_id,
                            order_number: r.order_number,
                            latest: new::LatestMessage {
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
                        })
                        .collect(),
                    next_cursor: p.next_cursor,
                }
            }
        }

        impl From<ib::BulkResult> for new::BulkResult {
            fn from(r: ib::BulkResult) -> Self {
                Self {
                    changed: r.changed,
                    next_cursor: r.next_cursor,
                }
            }
        }

        impl From<di::Party> for new::Party {
            fn from(p: di::Party) -> Self {
                Self {
                    id: p.id,
                    name: p.name,
                    role: p.role.into(),
                }
            }
        }

        impl From<di::Dispute> for new::Dispute {
            fn from(d: di::Dispute) -> Self {
                Self {
                    order_id: d.order_id,
                    number: d.number,
                    opened_by: d.opened_by.into(),
                    reason: d.reason,
                    opened_at: d.opened_at,
                    closed: d.closed.map(|c| new::Closure {
                        by: c.by.into(),
                        resolution: c.resolution,
                        at: c.at,
                    }),
                }
            }
        }

        impl From<new::MessageFilter> for of::MessageFilter {
            fn from(f: new::MessageFilter) -> Self {
                match f {
                    new::MessageFilter::WithMessages => Self::WithMessages,
                    new::MessageFilter::WithUnread => Self::WithUnread,
                }
            }
        }

        impl From<of::OrderPage> for new::OrderPage {
            fn from(p: of::OrderPage) -> Self {
                Self {
                    order_ids: p.order_ids,
                    next_cursor: p.next_cursor,
                }
            }
        }

        impl From<mt::DeliveryReport> for new::DeliveryReport {
            fn from(r: mt::DeliveryReport) -> Self {
                Self {
                    applied: 0,
                    delivered: r.delivered,
                    deferred: r.deferred,
                    dead: r.dead,
                    more: r.more,
                }
            }
        }

        impl From<mt::OutboxEntry> for new::OutboxEntry {
            fn from(e: mt::OutboxEntry) -> Self {
                Self {
                    key: e.key,
                    kind: match e.kind {
                        mt::OutboxKind::Mail => new::OutboxKind::Mail,
                        mt::OutboxKind::Notification => new::OutboxKind::Notification,
                    },
                    order_id: e.order_id,
                    recipients: e.recipients,
                    summary: e.summary,
                    attempts: e.attempts,
                    last_error: e.last_error,
                    created_at: e.created_at,
                }
            }
        }

        impl From<mt::VerifyReport> for new::VerifyReport {
            fn from(r: mt::VerifyReport) -> Self {
                Self {
                    checked: r.checked,
                    problems: r
                        .problems
                        .into_iter()
                        .map(|p| new::Problem {
                            key: p.key,
                            detail: p.detail,
                        })
                        .collect(),
                    more_problems: r.more_problems,
                    next_cursor: r.next_cursor,
                }
            }
        }
    }

    pub(crate) use imports::event;
}
