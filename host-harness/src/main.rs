//! `order-messages-harness`: run the order-messages addon component outside a real store.
//! Everything is in the library's [`order_messages_harness::cli`] module.

fn main() -> std::process::ExitCode {
    order_messages_harness::cli::main()
}
