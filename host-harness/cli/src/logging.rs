//! `-v`: guest calls logged to stderr through `tracing` (the spans of `order-messages-host`).
//!
//! `-v` shows one line per guest call (export, actor role, fuel used, time taken) at info
//! level; `-vv` adds debug events (instantiations, the database opened); `-vvv` everything.
//! `RUST_LOG`, when set, replaces these levels with its own directives. Without `-v` nothing
//! is logged.

use std::io::IsTerminal;

use tracing_subscriber::EnvFilter;

/// Installs the stderr logger for `verbosity` (the number of `-v`); none for 0.
pub fn init(verbosity: u8) {
    if verbosity == 0 {
        return;
    }
    let default = match verbosity {
        1 => {
            "order_messages_host=info,order_messages_platform=info,order_messages_app=info,order_messages_harness=info"
        }
        2 => {
            "order_messages_host=debug,order_messages_platform=debug,order_messages_app=debug,order_messages_harness=debug"
        }
        _ => "trace",
    };
    let filter = std::env::var("RUST_LOG")
        .ok()
        .filter(|v| !v.trim().is_empty())
        .and_then(|v| EnvFilter::try_new(v).ok())
        .unwrap_or_else(|| EnvFilter::new(default));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .with_target(false)
        .without_time()
        .try_init();
}
