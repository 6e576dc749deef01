//! `serve`: the web admin ([`crate::web`]) on a local port, over the database file.

use std::net::IpAddr;

use anyhow::{Context, Result, bail};
use clap::Args;

use super::{Ctx, output};
use order_messages_app::ops::Usage;
use order_messages_app::workspace::Location;
use order_messages_web::{self as web, WebApp};

/// `serve`.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// The port to listen on (0: any free port; the address is printed).
    #[arg(long, default_value_t = 8080)]
    port: u16,
    /// The address to listen on. The admin has no login (anyone who reaches it acts as any
    /// user), so keep it on a loopback address.
    #[arg(long, default_value = "127.0.0.1")]
    bind: IpAddr,
}

/// Serves the admin until Ctrl-C or SIGTERM, then lets the requests in flight finish.
pub fn run(ctx: &Ctx, args: ServeArgs) -> Result<()> {
    if ctx.location() == Location::Memory {
        // Nothing could fill it: the admin has no directory forms, and other commands write
        // files.
        bail!(Usage(
            "--memory starts an empty store that lasts one command, and the admin cannot fill \
             it: run `demo` (or `seed`) to fill a database file, then `serve` it"
                .into()
        ));
    }
    let workspace = ctx.open(false)?;
    if !args.bind.is_loopback() {
        eprintln!(
            "warning: listening on {}: the admin has no login, anyone who reaches it can act \
             as any user",
            args.bind
        );
    }
    let harness = ctx.runtime()?.clone();
    let location = workspace.location.describe();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind((args.bind, args.port))
            .await
            .with_context(|| format!("listening on {}:{}", args.bind, args.port))?;
        let address = listener.local_addr()?;
        output::print(&format!(
            "Web admin for {location} on http://{address}/ (Ctrl-C stops it)\n"
        ))?;
        let app = WebApp::new(harness, workspace);
        web::serve(listener, app, stop_signal()).await?;
        eprintln!("Stopped.");
        Ok(())
    })
}

/// Ctrl-C (SIGINT), or SIGTERM as a service manager sends.
async fn stop_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        if let Ok(mut terminate) = signal(SignalKind::terminate()) {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = terminate.recv() => {}
            }
            return;
        }
    }
    let _ = tokio::signal::ctrl_c().await;
}
