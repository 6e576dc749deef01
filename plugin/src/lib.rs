#[cfg(target_arch = "wasm32")]
mod component {
    wit_bindgen::generate!({ world: "addon", path: "../wit/v0.1.0" });
    use exports::storefront::order_messages::*;
    use storefront::order_messages::types::{Actor, Error, Message};

    struct Addon;
    fn todo<T>() -> Result<T, Error> {
        Err(Error::Storage("not implemented yet".into()))
    }
    impl messaging::Guest for Addon {
        fn post(_: Actor, _: messaging::PostRequest) -> Result<Message, Error> { todo() }
        fn read_thread(_: Actor, _: messaging::ThreadRequest) -> Result<messaging::ThreadPage, Error> { todo() }
        fn unread_count(_: Actor, _: String) -> Result<u32, Error> { todo() }
        fn mark_read(_: Actor, _: String) -> Result<(), Error> { todo() }
        fn mark_unread(_: Actor, _: String) -> Result<(), Error> { todo() }
    }
    impl inbox::Guest for Addon {
        fn list_threads(_: Actor, _: inbox::ListRequest) -> Result<inbox::ListPage, Error> { todo() }
        fn bell(_: Actor) -> Result<storefront::order_messages::types::BellCounts, Error> { todo() }
        fn mark_selected(_: Actor, _: Vec<String>, _: bool) -> Result<inbox::BulkResult, Error> { todo() }
        fn mark_matching(_: Actor, _: inbox::Query, _: bool, _: Option<String>) -> Result<inbox::BulkResult, Error> { todo() }
    }
    impl disputes::Guest for Addon {
        fn open(_: Actor, _: String, _: String) -> Result<disputes::Dispute, Error> { todo() }
        fn close(_: Actor, _: String, _: Option<String>) -> Result<disputes::Dispute, Error> { todo() }
        fn current(_: Actor, _: String) -> Result<Option<disputes::Dispute>, Error> { todo() }
        fn history(_: Actor, _: String) -> Result<Vec<disputes::Dispute>, Error> { todo() }
    }
    impl order_filter::Guest for Addon {
        fn filter(_: Actor, _: Vec<String>, _: order_filter::MessageFilter) -> Result<Vec<String>, Error> { todo() }
        fn list_orders(_: Actor, _: order_filter::MessageFilter, _: Option<String>, _: u32) -> Result<order_filter::OrderPage, Error> { todo() }
    }
    impl maintenance::Guest for Addon {
        fn deliver_pending(_: u32) -> Result<maintenance::DeliveryReport, Error> { todo() }
        fn list_outbox(_: bool, _: Option<String>, _: u32) -> Result<(Vec<maintenance::OutboxEntry>, Option<String>), Error> { todo() }
        fn schema_version() -> Result<u32, Error> {
            let _ = storefront::order_messages::storage::get("meta/schema");
            Ok(1)
        }
    }
    export!(Addon);
}
