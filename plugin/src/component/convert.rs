//! Conversions between wit-bindgen's types of the WIT and the domain's (see [`crate::adapter`]).

crate::adapter::wit_conversions!(
    super::exports::storefront::order_messages,
    super::storefront::order_messages
);
