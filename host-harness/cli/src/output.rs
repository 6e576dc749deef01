//! The CLI's stdout. Text for people goes through [`print`], which makes it
//! [`terminal_safe`]; JSON through [`print_exact`], so `--json` keeps every string as it is
//! (JSON escapes control characters itself).
//!
//! A reader that quits early (`… | head`) closes the pipe; writing then fails with
//! [`ClosedStdout`], which ends the command quietly with [`CLOSED_PIPE_STATUS`], as a program
//! stopped by SIGPIPE would (Rust ignores the signal, so writes fail instead).

use std::io::{ErrorKind, Write};

use anyhow::{Context, Result};

use order_messages_app::report::terminal_safe;

/// The exit status after stdout was closed: 128 + SIGPIPE (13), what a shell reports for a
/// program a closed pipe stopped (`yes | head -1`).
pub const CLOSED_PIPE_STATUS: u8 = 141;

/// Stdout's reader closed it: nothing more can be printed.
#[derive(Debug)]
pub struct ClosedStdout;

impl std::fmt::Display for ClosedStdout {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("stdout was closed")
    }
}

impl std::error::Error for ClosedStdout {}

/// Whether `error` is, or was caused by, [`ClosedStdout`].
pub fn is_closed_stdout(error: &anyhow::Error) -> bool {
    error.chain().any(|cause| cause.is::<ClosedStdout>())
}

/// Writes `text`, [`terminal_safe`], to stdout.
pub fn print(text: &str) -> Result<()> {
    print_exact(&terminal_safe(text))
}

/// Writes `text` as it is to stdout and flushes it.
pub fn print_exact(text: &str) -> Result<()> {
    let mut stdout = std::io::stdout().lock();
    match stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush())
    {
        Err(e) if e.kind() == ErrorKind::BrokenPipe => Err(ClosedStdout.into()),
        other => other.context("writing to stdout"),
    }
}
