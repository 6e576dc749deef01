//! The web admin (`serve`) in a real browser: Debian's Chromium, headless, driven through
//! WebDriver (`chromedriver`) against the admin started in-process on `127.0.0.1:0`, over a
//! temporary database that the `demo` command filled (the marketplace and Alice's story on
//! order 1001). Everything the browser sees went through the real component.
//!
//! The browser tests need `/usr/bin/chromium` and `/usr/bin/chromedriver` (Debian's `chromium`
//! and `chromium-driver`), so they are ignored by a plain `cargo test` (which runs only the
//! first test here, of the `serve` command over plain HTTP); `.ci/browser` installs both
//! and runs them (`cargo test -p order-messages-harness --test browser -- --ignored`).
//! `CHROMIUM` and `CHROMEDRIVER` name other binaries. With `UPDATE_SCREENSHOTS=1`, the
//! screenshot test also writes its PNGs into `docs/screenshots/` (they always go to Cargo's
//! temporary folder for tests).

use std::net::TcpListener as StdListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, ensure};
use fantoccini::{Client, ClientBuilder, Locator};
use order_messages_app::workspace::{Location, OpenOptions, Workspace};
use order_messages_host::types::MultivendorMode;
use order_messages_platform::Clock;
use order_messages_web::{self as web, WebApp};
use serde_json::json;
use tempfile::TempDir;

const BIN: &str = env!("CARGO_BIN_EXE_order-messages-harness");
/// How long a condition may take to come true in the browser.
const PATIENCE: Duration = Duration::from_secs(10);
/// The browser's window.
const WIDTH: u32 = 1280;
const HEIGHT: u32 = 900;

// ---------------------------------------------------------------------------------------------
// The admin, the driver, the browsers

/// The admin served in-process over a fresh copy of the demo's database.
struct Admin {
    base: String,
    _dir: TempDir,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
}

impl Admin {
    /// Runs `demo` into a temporary database, lets `setup` change the workspace (the mode,
    /// say), and serves it on a free loopback port.
    async fn start(setup: impl FnOnce(&Workspace)) -> Result<Self> {
        Self::start_after(&["demo"], setup).await
    }

    /// Runs the harness's `command` (`demo`, `seed …`) into a temporary database, lets `setup`
    /// change the workspace, and serves it on a free loopback port.
    async fn start_after(command: &[&str], setup: impl FnOnce(&Workspace)) -> Result<Self> {
        let dir = tempfile::Builder::new()
            .prefix("browser-")
            .tempdir_in(env!("CARGO_TARGET_TMPDIR"))?;
        let db = dir.path().join("order-messages.db");
        let run = Command::new(BIN)
            .args(command)
            .args(["--json", "--db"])
            .arg(&db)
            .env_remove("ORDER_MESSAGES_DB")
            .stdout(Stdio::null())
            .output()
            .with_context(|| format!("running {command:?}"))?;
        ensure!(
            run.status.success(),
            "{command:?} failed: {}",
            String::from_utf8_lossy(&run.stderr)
        );
        let workspace = Workspace::open(OpenOptions {
            location: Location::File(db),
            create: false,
            durable_mail: true,
            clock: Clock::system(),
        })?;
        setup(&workspace);
        let app = WebApp::new(order_messages_platform::runtime().clone(), workspace);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let base = format!("http://{}", listener.local_addr()?);
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        tokio::spawn(web::serve(listener, app, async {
            let _ = stopped.await;
        }));
        Ok(Self {
            base,
            _dir: dir,
            stop: Some(stop),
        })
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }
}

impl Drop for Admin {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

/// A `chromedriver` on a free loopback port, ended when dropped; each browser it starts gets a
/// fresh profile folder.
struct Driver {
    child: Child,
    url: String,
    profiles: TempDir,
}

impl Driver {
    fn start() -> Result<Self> {
        let binary =
            std::env::var("CHROMEDRIVER").unwrap_or_else(|_| "/usr/bin/chromedriver".into());
        let port = StdListener::bind("127.0.0.1:0")?.local_addr()?.port();
        let child = Command::new(&binary)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .with_context(|| {
                format!("starting {binary} (install Debian's chromium-driver, or run .ci/browser)")
            })?;
        let driver = Self {
            child,
            url: format!("http://127.0.0.1:{port}"),
            profiles: tempfile::Builder::new()
                .prefix("chromium-")
                .tempdir_in(env!("CARGO_TARGET_TMPDIR"))?,
        };
        let started = Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            ensure!(
                started.elapsed() < PATIENCE,
                "chromedriver did not start listening"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        Ok(driver)
    }

    /// A new headless Chromium, with script on or off (`script`), with its own profile (so its
    /// own cookies: its own acting user).
    async fn browser_with(&self, name: &str, script: bool) -> Result<Client> {
        let chromium = std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
        let profile = self.profiles.path().join(name);
        // The network here is closed: without these, Chromium stalls on connections it tries
        // to make on its own.
        let args = [
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-dev-shm-usage",
            "--hide-scrollbars",
            &format!("--window-size={WIDTH},{HEIGHT}"),
            &format!("--user-data-dir={}", profile.display()),
        ];
        // 2: block, as a user who turned JavaScript off in the settings.
        let prefs = if script {
            json!({})
        } else {
            json!({ "profile.managed_default_content_settings.javascript": 2 })
        };
        let capabilities = json!({
            "goog:chromeOptions": { "binary": chromium, "args": args, "prefs": prefs },
        });
        let serde_json::Value::Object(capabilities) = capabilities else {
            unreachable!()
        };
        let client = ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
            .capabilities(capabilities)
            .connect(&self.url)
            .await
            .with_context(|| format!("starting {chromium} through chromedriver"))?;
        Ok(client)
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Runs `flow` with `count` browsers, closes them whatever happened, and fails the test with
/// the flow's error (after at most a minute and a half).
async fn with_browsers<F>(count: usize, flow: F)
where
    F: AsyncFnOnce(&[Client]) -> Result<()>,
{
    with_browsers_scripted(&vec![true; count], flow).await
}

/// [`with_browsers`], one browser per entry of `scripts`: with script on (`true`) or off.
async fn with_browsers_scripted<F>(scripts: &[bool], flow: F)
where
    F: AsyncFnOnce(&[Client]) -> Result<()>,
{
    let driver = Driver::start().expect("chromedriver");
    let mut browsers = Vec::new();
    for (i, script) in scripts.iter().enumerate() {
        let browser = driver.browser_with(&format!("b{i}"), *script).await;
        browsers.push(browser.expect("a browser"));
    }
    let outcome = tokio::time::timeout(Duration::from_secs(90), flow(&browsers)).await;
    for browser in browsers {
        let _ = browser.close().await;
    }
    match outcome {
        Ok(Ok(())) => {}
        Ok(Err(e)) => panic!("{e:#}"),
        Err(_) => panic!("the browser flow took longer than 90 s"),
    }
}

// ---------------------------------------------------------------------------------------------
// Looking at pages

async fn goto(b: &Client, admin: &Admin, path: &str) -> Result<()> {
    b.goto(&admin.url(path))
        .await
        .with_context(|| format!("opening {path}"))
}

async fn text(b: &Client, css: &str) -> Result<String> {
    match b.find(Locator::Css(css)).await {
        Ok(element) => Ok(element.text().await?),
        Err(e) => {
            let url = b
                .current_url()
                .await
                .map(|u| u.to_string())
                .unwrap_or_default();
            Err(e).with_context(|| format!("no `{css}` on {url}"))
        }
    }
}

async fn texts(b: &Client, css: &str) -> Result<Vec<String>> {
    let mut out = Vec::new();
    for element in b.find_all(Locator::Css(css)).await? {
        out.push(element.text().await?);
    }
    Ok(out)
}

async fn exists(b: &Client, css: &str) -> Result<bool> {
    Ok(!b.find_all(Locator::Css(css)).await?.is_empty())
}

async fn click(b: &Client, css: &str) -> Result<()> {
    b.find(Locator::Css(css))
        .await
        .with_context(|| format!("no `{css}` to click"))?
        .click()
        .await?;
    Ok(())
}

async fn type_into(b: &Client, css: &str, text: &str) -> Result<()> {
    let field = b
        .find(Locator::Css(css))
        .await
        .with_context(|| format!("no `{css}`"))?;
    field.clear().await?;
    field.send_keys(text).await?;
    Ok(())
}

/// The order ids of the list's rows, top to bottom.
async fn rows(b: &Client) -> Result<Vec<String>> {
    let mut ids = Vec::new();
    for row in b.find_all(Locator::Css("tr[data-order]")).await? {
        ids.push(row.attr("data-order").await?.unwrap_or_default());
    }
    Ok(ids)
}

/// The order ids of the rows marked unread.
async fn unread_rows(b: &Client) -> Result<Vec<String>> {
    let mut ids = Vec::new();
    for row in b.find_all(Locator::Css("tr.unread[data-order]")).await? {
        ids.push(row.attr("data-order").await?.unwrap_or_default());
    }
    Ok(ids)
}

/// The bell's (messages, disputes) counts as the page shows them now.
async fn bell(b: &Client) -> Result<(u32, u32)> {
    let messages = text(b, "#bell-messages").await?.trim().parse()?;
    let disputes = text(b, "#bell-disputes").await?.trim().parse()?;
    Ok((messages, disputes))
}

/// Polls `check` until it holds (or fails after [`PATIENCE`], saying `what`). An error counts
/// as "not yet" (the page may be changing under the check) until time is up.
async fn eventually(what: &str, mut check: impl AsyncFnMut() -> Result<bool>) -> Result<()> {
    let started = Instant::now();
    loop {
        let error = match check().await {
            Ok(true) => return Ok(()),
            Ok(false) => None,
            Err(e) => Some(e),
        };
        if started.elapsed() > PATIENCE {
            return Err(match error {
                Some(e) => e.context(format!("timed out waiting until {what}")),
                None => anyhow::anyhow!("timed out waiting until {what}"),
            });
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Switches the acting user with the header's menu (it submits on change).
async fn act_as(b: &Client, user: &str, name: &str) -> Result<()> {
    b.find(Locator::Css("#acting-user"))
        .await?
        .select_by_value(user)
        .await?;
    eventually(&format!("the header says {name} acts"), async || {
        Ok(text(b, ".context strong").await.ok().as_deref() == Some(name))
    })
    .await
}

/// Picks the acting user on the chooser, the page a browser without the cookie gets.
async fn choose(b: &Client, user: &str, name: &str) -> Result<()> {
    click(b, &format!(".chooser button[name=user][value='{user}']")).await?;
    eventually(&format!("the header says {name} acts"), async || {
        Ok(text(b, ".context strong").await.ok().as_deref() == Some(name))
    })
    .await
}

/// The one-time message of the page (success or error).
async fn flash(b: &Client) -> Result<String> {
    text(b, ".flash").await
}

/// Clicks what `css` names and waits for the next page: the document the click leaves is
/// marked, and a page without the mark is the new one.
async fn navigate(b: &Client, css: &str) -> Result<()> {
    b.execute("window.leftBehind = true;", vec![]).await?;
    click(b, css).await?;
    eventually(
        &format!("a new page follows a click on `{css}`"),
        async || {
            let fresh = b
                .execute(
                    "return window.leftBehind === undefined && document.readyState === 'complete';",
                    vec![],
                )
                .await?;
            Ok(fresh == json!(true))
        },
    )
    .await
}

/// Submits with the button `css`; every form redirects to a page saying what it did.
async fn submit(b: &Client, css: &str) -> Result<()> {
    navigate(b, css).await?;
    ensure!(exists(b, ".flash").await?, "no message after `{css}`");
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// The `serve` command, without a browser

/// A child process, killed when dropped.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Runs `serve` with `args` on port 0 and returns the process and the address it printed.
fn serve(args: &[&str]) -> (Running, String) {
    use std::io::BufRead;
    let mut child = Command::new(BIN)
        .args(["serve", "--port", "0"])
        .args(args)
        .env_remove("ORDER_MESSAGES_DB")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start serve");
    let stdout = child.stdout.take().unwrap();
    let running = Running(child);
    let mut line = String::new();
    std::io::BufReader::new(stdout)
        .read_line(&mut line)
        .unwrap();
    let address = line
        .split_whitespace()
        .find_map(|w| w.strip_prefix("http://"))
        .and_then(|a| a.strip_suffix('/'))
        .unwrap_or_else(|| panic!("no address in {line:?}"))
        .to_owned();
    (running, address)
}

/// A plain HTTP/1.1 GET of `path` as `user`; the whole response.
fn http_get(address: &str, path: &str, user: &str) -> String {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(address).unwrap();
    stream.set_read_timeout(Some(PATIENCE)).unwrap();
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {address}\r\nCookie: om_as={user}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    response
}

#[test]
fn serve_prints_its_address_and_serves_the_database() {
    let dir = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).unwrap();
    let db = dir.path().join("demo.db");
    let db = db.to_str().unwrap();
    let demo = Command::new(BIN)
        .args(["demo", "--json", "--db", db])
        .output()
        .unwrap();
    assert!(demo.status.success());
    let (mut server, address) = serve(&["--db", db]);
    assert!(address.starts_with("127.0.0.1:"), "{address}");
    let page = http_get(&address, "/messages", "c1");
    assert!(page.starts_with("HTTP/1.1 200"), "{page}");
    assert!(page.contains("Acting as <strong>Alice</strong>"), "{page}");
    assert!(
        page.contains(r#"data-order="o1""#),
        "the demo's thread is listed"
    );

    // SIGTERM stops it cleanly, even with a page's event stream open.
    use std::io::{BufRead, Write};
    let mut events = std::net::TcpStream::connect(&address).unwrap();
    events.set_read_timeout(Some(PATIENCE)).unwrap();
    write!(
        events,
        "GET /events HTTP/1.1\r\nHost: {address}\r\nCookie: om_as=s1\r\n\r\n"
    )
    .unwrap();
    let mut reader = std::io::BufReader::new(events);
    let mut received = String::new();
    while !received.contains("event: counts-changed") {
        assert!(reader.read_line(&mut received).unwrap() > 0, "{received}");
    }
    let pid = server.0.id().to_string();
    assert!(
        Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .unwrap()
            .success()
    );
    let started = Instant::now();
    let status = loop {
        if let Some(status) = server.0.try_wait().unwrap() {
            break status;
        }
        assert!(
            started.elapsed() < PATIENCE,
            "serve did not stop on SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(20));
    };
    assert!(status.success(), "{status:?}");
}

// ---------------------------------------------------------------------------------------------
// The flows

/// Staff watch their bell while a customer writes; they open the thread, open a dispute (an
/// empty reason is refused by the addon and shown as a form error), the vendor replies, staff
/// close the dispute; and a `<script>` in a message stays text.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs Chromium: run .ci/browser"]
async fn dispute_story_with_a_live_bell() {
    let admin = Admin::start(|_| {}).await.expect("the admin");
    with_browsers(2, async |b: &[Client]| {
        let (staff, other) = (&b[0], &b[1]);

        // Sam, staff, on the Messages section.
        goto(staff, &admin, "/messages").await?;
        choose(staff, "s1", "Sam").await?;
        let (messages_before, disputes_before) = bell(staff).await?;
        staff
            .execute("window.stillTheSamePage = true;", vec![])
            .await?;

        // Alice, a customer, writes on her order 1002 (from Blue Books), quiet until now.
        goto(other, &admin, "/orders/o2").await?;
        choose(other, "c1", "Alice").await?;
        ensure!(text(other, "h1").await?.contains("Order #1002"));
        type_into(
            other,
            "#reply-body",
            "Hello, the book for order 1002 never came.",
        )
        .await?;
        submit(other, "form.reply button[type=submit]").await?;
        ensure!(
            flash(other).await?.contains("Message #1 sent"),
            "{}",
            flash(other).await?
        );

        // Sam's bell rises by itself (server-sent events), the page was not reloaded.
        eventually("Sam's bell counts one more unread thread", async || {
            Ok(bell(staff).await?.0 == messages_before + 1)
        })
        .await?;
        let same_page = staff
            .execute("return window.stillTheSamePage === true;", vec![])
            .await?;
        ensure!(same_page == json!(true), "the staff page reloaded");

        // Sam opens the thread: the tab counts the new message, the bell falls back.
        staff.refresh().await?;
        ensure!(rows(staff).await?.first().map(String::as_str) == Some("o2"));
        ensure!(unread_rows(staff).await?.contains(&"o2".to_owned()));
        navigate(staff, "tr[data-order=o2] td.order a").await?;
        eventually("the order page opens", async || {
            Ok(text(staff, "h1").await?.contains("#1002"))
        })
        .await?;
        ensure!(text(staff, "#tab-unread").await? == "1");
        ensure!(
            exists(staff, "li.msg.new").await?,
            "the new message is not marked new"
        );
        ensure!(
            bell(staff).await?.0 == messages_before,
            "the bell did not fall"
        );

        // An empty reason: the addon's invalid-input, shown beside the form; nothing opened.
        submit(staff, ".dispute-panel button.danger").await?;
        let error = text(staff, ".dispute-panel .flash.error").await?;
        ensure!(
            error.contains("invalid-input") && error.contains("reason"),
            "{error}"
        );
        ensure!(exists(staff, "#reason.invalid").await?);
        ensure!(!exists(staff, "h1 .badge.dispute").await?);

        // With a reason, the dispute opens.
        type_into(
            staff,
            "#reason",
            "Parcel lost in transit; vendor unresponsive.",
        )
        .await?;
        submit(staff, ".dispute-panel button.danger").await?;
        ensure!(
            flash(staff).await?.contains("Dispute #1 opened"),
            "{}",
            flash(staff).await?
        );
        ensure!(text(staff, "h1 .badge.dispute").await? == "Dispute");
        ensure!(
            text(staff, ".dispute-panel blockquote.reason")
                .await?
                .contains("Parcel lost")
        );
        ensure!(bell(staff).await?.1 == disputes_before + 1);

        // Ben (Blue Books) replies; vendors get no dispute controls.
        act_as(other, "v2-ben", "Ben").await?;
        goto(other, &admin, "/orders/o2").await?;
        ensure!(exists(other, "h1 .badge.dispute").await?);
        ensure!(!exists(other, ".dispute-panel form").await?);
        type_into(other, "#reply-body", "Sorry! A replacement ships today.").await?;
        submit(other, "form.reply button[type=submit]").await?;
        ensure!(flash(other).await?.contains("sent"));

        // While the dispute is open staff take part: Sam's open page shows a notice of it.
        eventually("Sam's page shows a notice of Ben's reply", async || {
            Ok(text(staff, ".toast").await?.contains("by Ben"))
        })
        .await?;

        // Sam sees her reply and closes the dispute with a resolution.
        staff.refresh().await?;
        let bodies = texts(staff, "li.msg .body").await?;
        ensure!(
            bodies.last().map(String::as_str) == Some("Sorry! A replacement ships today."),
            "{bodies:?}"
        );
        type_into(staff, "#resolution", "Replacement shipped by Blue Books.").await?;
        submit(staff, ".dispute-panel button.danger").await?;
        ensure!(flash(staff).await?.contains("Dispute #1 closed"));
        ensure!(!exists(staff, "h1 .badge.dispute").await?);
        let history = text(staff, ".history li").await?;
        ensure!(
            history.contains("Closed by Sam") && history.contains("Replacement shipped"),
            "{history}"
        );
        ensure!(bell(staff).await?.1 == disputes_before);

        // A script in a message is shown as text, never run, in the thread and in the list.
        act_as(other, "c1", "Alice").await?;
        goto(other, &admin, "/orders/o2").await?;
        let hostile = "<script>window.pwned = 1</script><b>bold?</b>";
        type_into(other, "#reply-body", hostile).await?;
        submit(other, "form.reply button[type=submit]").await?;
        let bodies = texts(other, "li.msg .body").await?;
        ensure!(
            bodies.last().map(String::as_str) == Some(hostile),
            "{bodies:?}"
        );
        ensure!(!exists(other, "li.msg .body b").await?);
        let pwned = other.execute("return typeof window.pwned;", vec![]).await?;
        ensure!(pwned == json!("undefined"), "the script ran");
        goto(staff, &admin, "/messages").await?;
        ensure!(
            text(staff, "tr[data-order=o2] .excerpt")
                .await?
                .contains("<script>")
        );
        let pwned = staff.execute("return typeof window.pwned;", vec![]).await?;
        ensure!(pwned == json!("undefined"), "the script ran in the list");
        Ok(())
    })
    .await;
}

/// A browser without the acting-user cookie sees no one's data: the first visit asks who you
/// are, and the choice comes back to the page asked for.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs Chromium: run .ci/browser"]
async fn the_first_visit_asks_who_you_are() {
    let admin = Admin::start(|_| {}).await.expect("the admin");
    with_browsers(1, async |b: &[Client]| {
        let b = &b[0];
        goto(b, &admin, "/orders/o1").await?;
        ensure!(text(b, "h1").await? == "Choose who you are");
        for absent in [
            "#bell",
            ".context",
            "li.msg",
            "nav.sections",
            "#acting-user",
        ] {
            ensure!(!exists(b, absent).await?, "the chooser shows `{absent}`");
        }
        let users = texts(b, ".chooser button[name=user]").await?;
        ensure!(users.len() == 7, "{users:?}");
        ensure!(users.iter().any(|u| u.contains("Alice")), "{users:?}");
        choose(b, "c1", "Alice").await?;
        ensure!(b.current_url().await?.path() == "/orders/o1");
        ensure!(text(b, "h1").await?.contains("Order #1001"));
        ensure!(texts(b, "li.msg").await?.len() == 6);
        Ok(())
    })
    .await;
}

/// Serves a page of another site on a free loopback port: `/` frames `target` and a page of its
/// own (`/own`), and counts in `window.loads` the frames that finished loading. Its address.
async fn framing_site(target: String) -> Result<String> {
    use axum::response::Html;
    let page = format!(
        r#"<!DOCTYPE html><title>Another site</title>
<iframe id="own" src="/own" onload="window.loads = (window.loads || 0) + 1"></iframe>
<iframe id="admin" src="{target}" onload="window.loads = (window.loads || 0) + 1"></iframe>"#
    );
    let site = axum::Router::new()
        .route("/", axum::routing::get(async move || Html(page)))
        .route(
            "/own",
            axum::routing::get(async || Html(r#"<p id="own">its own page</p>"#)),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let port = listener.local_addr()?.port();
    tokio::spawn(async move { axum::serve(listener, site).await });
    Ok(format!("{port}"))
}

/// The address of the document in frame `css`, and whether it shows the admin's header.
async fn framed(b: &Client, css: &str) -> Result<(String, bool)> {
    b.find(Locator::Css(css)).await?.enter_frame().await?;
    let href = b.execute("return location.href;", vec![]).await;
    let admin = exists(b, "header.top").await;
    b.enter_parent_frame().await?;
    let href = href?.as_str().unwrap_or_default().to_owned();
    Ok((href, admin?))
}

/// No page may frame the admin (clickjacking: a framed form clicked through by the site around
/// it): Chromium refuses the frame, from another site (no cookie) or from another port of the
/// same host (the cookie would be sent), while the framing page's own frame loads.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs Chromium: run .ci/browser"]
async fn no_page_may_frame_the_admin() {
    let admin = Admin::start(|_| {}).await.expect("the admin");
    let port = framing_site(admin.url("/orders/o1"))
        .await
        .expect("the framing site");
    with_browsers(1, async |b: &[Client]| {
        let b = &b[0];
        goto(b, &admin, "/orders/o1").await?;
        choose(b, "s1", "Sam").await?;
        // `localhost` is another site than `127.0.0.1`; another port of the same IP is not.
        for framer in [
            format!("http://localhost:{port}/"),
            format!("http://127.0.0.1:{port}/"),
        ] {
            b.goto(&framer).await?;
            eventually(&format!("both frames of {framer} loaded"), async || {
                Ok(b.execute("return window.loads;", vec![]).await? == json!(2))
            })
            .await?;
            let (own, _) = framed(b, "#own").await?;
            ensure!(own == format!("{framer}own"), "{own}");
            let (href, shows_admin) = framed(b, "#admin").await?;
            ensure!(!shows_admin, "{framer} frames the admin ({href})");
            ensure!(!href.starts_with(&admin.base), "{framer} frames {href}");
        }
        Ok(())
    })
    .await;
}

/// The Messages section: filters, search, unread-first, paging, ticking threads and marking
/// them, marking everything matching.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs Chromium: run .ci/browser"]
async fn messages_section_filters_search_paging_and_marking() {
    let admin = Admin::start(|_| {}).await.expect("the admin");
    with_browsers(1, async |b: &[Client]| {
        let staff = &b[0];
        // The demo left Sam mid-dispute on 1003 (which he opened, so read), with Carol's two
        // questions on 1004 and 1005 unread, and 1001 settled and read.
        goto(staff, &admin, "/messages").await?;
        choose(staff, "s1", "Sam").await?;
        ensure!(
            rows(staff).await? == ["o3", "o5", "o4", "o1"],
            "{:?}",
            rows(staff).await?
        );
        ensure!(unread_rows(staff).await? == ["o5", "o4"]);
        ensure!(bell(staff).await?.0 == 2);

        // Filters.
        navigate(staff, "nav.tabs a[href='/messages?filter=unread']").await?;
        eventually("the unread filter applies", async || {
            Ok(rows(staff).await? == ["o5", "o4"])
        })
        .await?;
        navigate(staff, "nav.tabs a[href='/messages?filter=disputes']").await?;
        eventually("the disputes filter applies", async || {
            Ok(rows(staff).await? == ["o3"])
        })
        .await?;
        ensure!(exists(staff, "tr[data-order=o3] .badge.dispute").await?);
        navigate(staff, "nav.tabs a[href='/messages']").await?;

        // Search (message text, author names, order numbers).
        type_into(staff, "#search", "battery").await?;
        navigate(staff, "form.search button").await?;
        eventually("the search applies", async || {
            Ok(rows(staff).await? == ["o1"])
        })
        .await?;
        ensure!(staff.current_url().await?.as_str().contains("q=battery"));
        type_into(staff, "#search", "carol").await?;
        navigate(staff, "form.search button").await?;
        eventually("a search by author applies", async || {
            Ok(rows(staff).await? == ["o5", "o4"])
        })
        .await?;
        type_into(staff, "#search", "1004").await?;
        navigate(staff, "form.search button").await?;
        eventually("a search by order number applies", async || {
            Ok(rows(staff).await? == ["o4"])
        })
        .await?;
        navigate(staff, "form.search a.clear").await?;
        eventually("the search is cleared", async || {
            Ok(rows(staff).await?.len() == 4)
        })
        .await?;

        // Paging: two rows a page, then Next.
        goto(staff, &admin, "/messages?limit=2").await?;
        ensure!(rows(staff).await? == ["o3", "o5"]);
        navigate(staff, ".pager a.next").await?;
        eventually("the next page shows", async || {
            Ok(rows(staff).await? == ["o4", "o1"])
        })
        .await?;
        ensure!(!exists(staff, ".pager a.next").await?);

        // Tick 1001 and mark it unread; unread first puts it before the read ones.
        goto(staff, &admin, "/messages").await?;
        click(staff, "tr[data-order=o1] input[name=order]").await?;
        submit(staff, "#threads button[value=unread]").await?;
        ensure!(
            flash(staff).await?.contains("1 changed"),
            "{}",
            flash(staff).await?
        );
        ensure!(unread_rows(staff).await? == ["o5", "o4", "o1"]);
        ensure!(bell(staff).await?.0 == 3);

        // Tick two and mark them read.
        click(staff, "tr[data-order=o5] input[name=order]").await?;
        click(staff, "tr[data-order=o1] input[name=order]").await?;
        submit(staff, "#threads button[value=read]").await?;
        ensure!(
            unread_rows(staff).await? == ["o4"],
            "{:?}",
            unread_rows(staff).await?
        );
        goto(staff, &admin, "/messages?sort=unread").await?;
        ensure!(rows(staff).await?.first().map(String::as_str) == Some("o4"));

        // The header box ticks every row; mark them read.
        goto(staff, &admin, "/messages").await?;
        click(staff, "input[data-select-all]").await?;
        submit(staff, "#threads button[value=read]").await?;
        ensure!(unread_rows(staff).await?.is_empty());
        ensure!(bell(staff).await?.0 == 0);

        // Everything matching a search, unread again.
        goto(staff, &admin, "/messages?q=carol").await?;
        submit(staff, "form.mark-all button[value=unread]").await?;
        ensure!(
            flash(staff).await?.contains("2 changed"),
            "{}",
            flash(staff).await?
        );
        ensure!(staff.current_url().await?.as_str().contains("q=carol"));
        goto(staff, &admin, "/messages").await?;
        ensure!(unread_rows(staff).await? == ["o5", "o4"]);

        // Nothing ticked: the admin says so.
        submit(staff, "#threads button[value=read]").await?;
        ensure!(
            text(staff, ".flash.error")
                .await?
                .contains("Tick at least one thread")
        );
        Ok(())
    })
    .await;
}

/// Whether the element `css` names is shown (laid out and visible).
async fn shown(b: &Client, css: &str) -> Result<bool> {
    Ok(b.find(Locator::Css(css)).await?.is_displayed().await?)
}

/// The address the browser shows, path and query.
async fn here(b: &Client) -> Result<String> {
    let url = b.current_url().await?;
    Ok(match url.query() {
        Some(q) => format!("{}?{q}", url.path()),
        None => url.path().to_owned(),
    })
}

/// The id of the element that has the keyboard focus.
async fn focused(b: &Client) -> Result<String> {
    let id = b
        .execute(
            "return document.activeElement && document.activeElement.id;",
            vec![],
        )
        .await?;
    Ok(id.as_str().unwrap_or_default().to_owned())
}

/// Presses `key` (a WebDriver key code) on the element `css` names.
async fn press(b: &Client, css: &str, key: &str) -> Result<()> {
    b.find(Locator::Css(css)).await?.send_keys(key).await?;
    Ok(())
}

const ENTER: &str = "\u{E007}";
const ESCAPE: &str = "\u{E00C}";
const ARROW_DOWN: &str = "\u{E015}";

/// The bell opens a menu, as the reference's does: its button says whether the menu is open,
/// the mouse and the keyboard open and close it, and its links go to the new messages and to
/// the open disputes. With script off, the links stand in the header instead.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs Chromium: run .ci/browser"]
async fn the_bell_menu_links_to_new_messages_and_disputes() {
    let admin = Admin::start(|_| {}).await.expect("the admin");
    with_browsers_scripted(&[true, false], async |b: &[Client]| {
        let (b, plain) = (&b[0], &b[1]);
        goto(b, &admin, "/orders").await?;
        choose(b, "s1", "Sam").await?;
        let expanded = async || -> Result<String> {
            let button = b.find(Locator::Css("#bell-button")).await?;
            Ok(button.attr("aria-expanded").await?.unwrap_or_default())
        };
        ensure!(expanded().await? == "false");
        ensure!(!shown(b, "#bell-menu").await?, "the menu starts closed");

        // A click opens it: a link to the new messages and one to the open disputes, counted.
        click(b, "#bell-button").await?;
        ensure!(expanded().await? == "true");
        ensure!(shown(b, "#bell-menu").await?);
        let links = texts(b, "#bell-menu a").await?;
        ensure!(links.len() == 2, "{links:?}");
        ensure!(
            links[0].contains("New messages") && links[0].contains('2'),
            "{links:?}"
        );
        ensure!(
            links[1].contains("Open disputes") && links[1].contains('1'),
            "{links:?}"
        );
        // A click elsewhere closes it.
        click(b, "h1").await?;
        ensure!(expanded().await? == "false" && !shown(b, "#bell-menu").await?);

        // The keyboard: Enter opens, Escape closes and gives the focus back to the button,
        // Arrow down opens and goes to the first link, Enter follows it.
        press(b, "#bell-button", ENTER).await?;
        ensure!(expanded().await? == "true", "Enter did not open the menu");
        press(b, "#bell-button", ESCAPE).await?;
        ensure!(
            expanded().await? == "false",
            "Escape did not close the menu"
        );
        ensure!(focused(b).await? == "bell-button");
        press(b, "#bell-button", ARROW_DOWN).await?;
        ensure!(expanded().await? == "true");
        let first_link = b
            .execute(
                "return document.activeElement.getAttribute('href');",
                vec![],
            )
            .await?;
        ensure!(
            first_link == json!("/messages?filter=unread"),
            "{first_link}"
        );
        b.execute("window.leftBehind = true;", vec![]).await?;
        b.active_element().await?.send_keys(ENTER).await?;
        eventually("the new messages open", async || {
            Ok(here(b).await? == "/messages?filter=unread"
                && b.execute("return window.leftBehind === undefined;", vec![])
                    .await?
                    == json!(true))
        })
        .await?;
        ensure!(rows(b).await? == ["o5", "o4"], "{:?}", rows(b).await?);

        // The disputes link, by mouse.
        click(b, "#bell-button").await?;
        navigate(b, "#bell-menu a[href='/messages?filter=disputes']").await?;
        ensure!(here(b).await? == "/messages?filter=disputes");
        ensure!(rows(b).await? == ["o3"]);

        // No script: no button that could not work; the two links in the header instead.
        goto(plain, &admin, "/orders").await?;
        choose(plain, "s1", "Sam").await?;
        ensure!(!shown(plain, "#bell-button").await?, "a dead button shows");
        ensure!(shown(plain, "#bell-menu").await?, "the links are hidden");
        navigate(plain, "#bell-menu a[href='/messages?filter=disputes']").await?;
        ensure!(here(plain).await? == "/messages?filter=disputes");
        ensure!(rows(plain).await? == ["o3"]);
        Ok(())
    })
    .await;
}

/// A click anywhere on a thread's line opens the conversation, as in the reference; its box
/// still ticks (the form still marks), and its links are still links.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs Chromium: run .ci/browser"]
async fn a_click_anywhere_on_a_thread_row_opens_it() {
    let admin = Admin::start(|_| {}).await.expect("the admin");
    with_browsers(1, async |b: &[Client]| {
        let b = &b[0];
        goto(b, &admin, "/messages").await?;
        choose(b, "s1", "Sam").await?;
        // Cells that hold no link: the date, the count, the badge.
        for (cell, order, number) in [
            ("tr[data-order=o4] td.when", "o4", "#1004"),
            ("tr[data-order=o5] td.num", "o5", "#1005"),
            ("tr[data-order=o3] td.badges", "o3", "#1003"),
        ] {
            goto(b, &admin, "/messages").await?;
            navigate(b, cell).await?;
            ensure!(
                here(b).await? == format!("/orders/{order}"),
                "{cell}: {}",
                here(b).await?
            );
            ensure!(text(b, "h1").await?.contains(number));
        }
        // Opening 1004 and 1005 read them.
        goto(b, &admin, "/messages").await?;
        ensure!(unread_rows(b).await?.is_empty());

        // The box's cell ticks the box and stays on the list; the form marks what is ticked.
        b.execute("window.stillTheSamePage = true;", vec![]).await?;
        click(b, "tr[data-order=o4] td.check label").await?;
        click(b, "tr[data-order=o1] input[name=order]").await?;
        tokio::time::sleep(Duration::from_millis(300)).await;
        ensure!(
            b.execute("return window.stillTheSamePage === true;", vec![])
                .await?
                == json!(true),
            "ticking a box left the page"
        );
        ensure!(here(b).await? == "/messages");
        let ticked = b
            .execute(
                "return [...document.querySelectorAll('input[name=order]:checked')].map(b => b.value);",
                vec![],
            )
            .await?;
        ensure!(ticked == json!(["o4", "o1"]), "{ticked}");
        submit(b, "#threads button[value=unread]").await?;
        ensure!(
            flash(b).await?.contains("2 selected threads"),
            "{}",
            flash(b).await?
        );
        ensure!(unread_rows(b).await? == ["o4", "o1"]);

        // The links stay links: the order number's, the latest message's.
        let links: Vec<String> = {
            let mut hrefs = Vec::new();
            for a in b
                .find_all(Locator::Css("tr[data-order=o5] a[href]"))
                .await?
            {
                hrefs.push(a.attr("href").await?.unwrap_or_default());
            }
            hrefs
        };
        ensure!(links == ["/orders/o5", "/orders/o5"], "{links:?}");
        navigate(b, "tr[data-order=o5] td.order a").await?;
        ensure!(here(b).await? == "/orders/o5");
        Ok(())
    })
    .await;
}

/// The Messages list follows the bell: when the bell moves (another user wrote) the list says
/// it may be out of date, and its reload shows the new activity.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs Chromium: run .ci/browser"]
async fn the_message_list_says_when_the_bell_moved_and_reloads() {
    let admin = Admin::start(|_| {}).await.expect("the admin");
    with_browsers(2, async |b: &[Client]| {
        let (staff, customer) = (&b[0], &b[1]);
        goto(staff, &admin, "/messages").await?;
        choose(staff, "s1", "Sam").await?;
        goto(customer, &admin, "/orders/o2").await?;
        choose(customer, "c1", "Alice").await?;
        let (before, _) = bell(staff).await?;
        // Nothing has happened since the list was drawn.
        tokio::time::sleep(Duration::from_millis(500)).await;
        ensure!(!shown(staff, "#list-stale").await?, "stale from the start");
        ensure!(!rows(staff).await?.contains(&"o2".to_owned()));

        type_into(customer, "#reply-body", "Is the book on its way?").await?;
        submit(customer, "form.reply button[type=submit]").await?;
        eventually("Sam's bell rises", async || {
            Ok(bell(staff).await?.0 == before + 1)
        })
        .await?;
        eventually("the list says it is out of date", async || {
            shown(staff, "#list-stale").await
        })
        .await?;
        ensure!(
            text(staff, "#list-stale").await?.contains("New activity"),
            "{}",
            text(staff, "#list-stale").await?
        );
        navigate(staff, "#list-stale a").await?;
        ensure!(here(staff).await? == "/messages");
        ensure!(rows(staff).await?.first().map(String::as_str) == Some("o2"));
        ensure!(unread_rows(staff).await?.contains(&"o2".to_owned()));
        tokio::time::sleep(Duration::from_millis(500)).await;
        ensure!(
            !shown(staff, "#list-stale").await?,
            "still stale after reload"
        );
        Ok(())
    })
    .await;
}

/// Paging goes forward and back (the earlier pages ride in the address, so the browser's own
/// back and a reload agree), and the list says how many threads there are, up to a bound.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs Chromium: run .ci/browser"]
async fn paging_goes_back_and_forth_with_a_bounded_count() {
    let admin = Admin::start(|_| {}).await.expect("the admin");
    with_browsers(1, async |b: &[Client]| {
        let b = &b[0];
        goto(b, &admin, "/messages?limit=1").await?;
        choose(b, "s1", "Sam").await?;
        ensure!(text(b, "#thread-count").await? == "4 threads");
        let position = async || text(b, ".pager .position").await;
        ensure!(position().await? == "Page 1 · threads 1–1 of 4");
        ensure!(!exists(b, ".pager a.prev").await?);
        let mut seen = vec![rows(b).await?];
        for page in 2..=4 {
            navigate(b, ".pager a.next").await?;
            ensure!(position().await? == format!("Page {page} · threads {page}–{page} of 4"));
            seen.push(rows(b).await?);
        }
        ensure!(seen.concat() == ["o3", "o5", "o4", "o1"], "{seen:?}");
        ensure!(!exists(b, ".pager a.next").await?, "a page after the last");
        // Back, page by page, through the same rows.
        for page in (1..=3).rev() {
            navigate(b, ".pager a.prev").await?;
            ensure!(position().await?.starts_with(&format!("Page {page} ·")));
            ensure!(rows(b).await? == seen[page - 1], "page {page}");
        }
        ensure!(
            !exists(b, ".pager a.prev").await?,
            "a page before the first"
        );
        // The first-page link, from far in; a reload keeps the page.
        goto(b, &admin, "/messages?limit=1").await?;
        navigate(b, ".pager a.next").await?;
        navigate(b, ".pager a.next").await?;
        b.refresh().await?;
        ensure!(rows(b).await? == seen[2]);
        navigate(b, ".pager a.first").await?;
        ensure!(rows(b).await? == seen[0]);
        // The count follows the filter.
        goto(b, &admin, "/messages?filter=unread").await?;
        ensure!(text(b, "#thread-count").await? == "2 threads");
        Ok(())
    })
    .await;

    // A bigger store: the count stops past 1,000 and says so.
    let seeded = [
        "seed",
        "--orders",
        "1010",
        "--messages",
        "1010",
        "--staff",
        "1",
        "--native",
    ];
    let admin = Admin::start_after(&seeded, |_| {})
        .await
        .expect("the seeded admin");
    with_browsers(1, async |b: &[Client]| {
        let b = &b[0];
        goto(b, &admin, "/messages").await?;
        choose(b, "s1", "Sam Staff").await?;
        ensure!(
            text(b, "#thread-count").await? == "more than 1,000 threads",
            "{}",
            text(b, "#thread-count").await?
        );
        ensure!(text(b, ".pager .position").await? == "Page 1 · threads 1–20 of more than 1,000");
        navigate(b, ".pager a.next").await?;
        ensure!(text(b, ".pager .position").await? == "Page 2 · threads 21–40 of more than 1,000");
        ensure!(rows(b).await?.len() == 20);
        Ok(())
    })
    .await;
}

/// The orders list's Messages filter, a customer's and a vendor's view of the same store, and
/// the outbox's mails (staff only; their HTML bodies in a sandboxed frame).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs Chromium: run .ci/browser"]
async fn orders_filter_views_per_role_and_the_outbox() {
    let admin = Admin::start(|_| {}).await.expect("the admin");
    with_browsers(1, async |b: &[Client]| {
        let b = &b[0];
        goto(b, &admin, "/orders").await?;
        choose(b, "s1", "Sam").await?;
        ensure!(
            rows(b).await? == ["o5", "o4", "o3", "o2", "o1"],
            "{:?}",
            rows(b).await?
        );
        navigate(b, "nav.tabs a[href='/orders?filter=messages']").await?;
        eventually("only orders with messages", async || {
            Ok(rows(b).await? == ["o5", "o4", "o3", "o1"])
        })
        .await?;
        navigate(b, "nav.tabs a[href='/orders?filter=unread']").await?;
        eventually("Carol's questions are unread for Sam", async || {
            Ok(rows(b).await? == ["o5", "o4"])
        })
        .await?;
        // Alice's reply makes 1001 unread for Sam too.
        act_as(b, "c1", "Alice").await?;
        goto(b, &admin, "/orders").await?;
        ensure!(
            rows(b).await? == ["o2", "o1"],
            "a customer lists only her orders"
        );
        goto(b, &admin, "/orders/o1").await?;
        type_into(b, "#reply-body", "Battery arrived, thank you!").await?;
        submit(b, "form.reply button[type=submit]").await?;
        goto(b, &admin, "/orders/o3").await?;
        ensure!(
            text(b, ".flash.error .kind").await? == "not-found",
            "another customer's order"
        );
        act_as(b, "s1", "Sam").await?;
        goto(b, &admin, "/orders?filter=unread").await?;
        ensure!(rows(b).await? == ["o5", "o4", "o1"]);
        ensure!(text(b, "tr[data-order=o1] .badge.new").await? == "1 unread");
        // Paging the host's list.
        goto(b, &admin, "/orders?limit=2").await?;
        ensure!(rows(b).await? == ["o5", "o4"]);
        navigate(b, ".pager a.next").await?;
        eventually("the next page of orders", async || {
            Ok(rows(b).await? == ["o3", "o2"])
        })
        .await?;

        // Ben (Blue Books) lists his vendor's orders only.
        act_as(b, "v2-ben", "Ben").await?;
        goto(b, &admin, "/orders").await?;
        ensure!(rows(b).await? == ["o4", "o2"]);

        // The outbox is for staff: Ben has no link to it, and gets a refusal with no mail.
        ensure!(!exists(b, "nav.sections a[href='/outbox']").await?);
        goto(b, &admin, "/outbox").await?;
        ensure!(text(b, "h1").await? == "Staff only");
        ensure!(text(b, ".flash.error .kind").await? == "staff-only");
        ensure!(!exists(b, "details.mail").await?);

        // Sam's outbox: the demo's mails and Alice's, with both bodies.
        act_as(b, "s1", "Sam").await?;
        navigate(b, "nav.sections a[href='/outbox']").await?;
        let subjects = texts(b, "details.mail summary .subject").await?;
        ensure!(subjects.len() >= 7, "{subjects:?}");
        ensure!(subjects[0].contains("1001"), "{subjects:?}");
        ensure!(
            text(b, "details.mail[open] pre.text-body")
                .await?
                .contains("Battery arrived")
        );
        let frame = b
            .find(Locator::Css("details.mail[open] iframe.html-body"))
            .await?;
        ensure!(
            frame.attr("sandbox").await? == Some(String::new()),
            "the frame is not sandboxed"
        );
        ensure!(
            frame
                .attr("srcdoc")
                .await?
                .unwrap_or_default()
                .contains("Battery arrived")
        );
        // The admin's policy (no page may frame it) still lets the mail show in its frame.
        frame.enter_frame().await?;
        let shown = text(b, "blockquote").await;
        b.enter_parent_frame().await?;
        ensure!(
            shown?.contains("Battery arrived"),
            "the mail's frame is empty"
        );
        ensure!(
            !texts(b, "table.list td span.event").await?.is_empty(),
            "no notifications listed"
        );
        submit(b, "form[action='/outbox/deliver'] button").await?;
        ensure!(
            flash(b).await?.contains("Delivered 0"),
            "{}",
            flash(b).await?
        );
        Ok(())
    })
    .await;
}

/// In warehouse mode a vendor's user gets the addon's `forbidden` as a clear page, while staff
/// and customers carry on.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs Chromium: run .ci/browser"]
async fn warehouse_mode_shows_vendors_the_addons_refusal() {
    let admin = Admin::start(|w| w.platform.directory.set_mode(MultivendorMode::Warehouse))
        .await
        .expect("the admin");
    with_browsers(1, async |b: &[Client]| {
        let b = &b[0];
        goto(b, &admin, "/messages").await?;
        choose(b, "s1", "Sam").await?;
        ensure!(text(b, ".context .mode").await? == "warehouse");
        act_as(b, "v1-anna", "Anna").await?;
        ensure!(text(b, "h1").await? == "Vendors take no part here");
        ensure!(text(b, ".flash.error .kind").await? == "forbidden");
        ensure!(text(b, ".refusal").await?.contains("warehouse"));
        ensure!(exists(b, ".bell.off").await?, "a refused user has no bell");
        goto(b, &admin, "/orders/o1").await?;
        ensure!(text(b, ".flash.error .kind").await? == "forbidden");
        act_as(b, "s1", "Sam").await?;
        goto(b, &admin, "/orders/o1").await?;
        ensure!(texts(b, "li.msg").await?.len() == 6);
        Ok(())
    })
    .await;
}

/// Screenshots of the main pages, as staff see them mid-dispute, of exactly the store `demo`
/// leaves (so `cargo demo` then `serve` shows what the README shows): into Cargo's temporary
/// folder, and into `docs/screenshots/` with `UPDATE_SCREENSHOTS=1`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs Chromium: run .ci/browser"]
async fn screenshots_of_the_main_pages() {
    let admin = Admin::start(|_| {}).await.expect("the admin");
    let out = Path::new(env!("CARGO_TARGET_TMPDIR")).join("screenshots");
    let docs = std::env::var("UPDATE_SCREENSHOTS")
        .is_ok_and(|v| v == "1")
        .then(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/screenshots"));
    with_browsers(1, async |b: &[Client]| {
        let b = &b[0];
        goto(b, &admin, "/messages").await?;
        choose(b, "s1", "Sam").await?;
        // What the README says the pictures show: nothing is posted here, the demo did it all.
        ensure!(rows(b).await? == ["o3", "o5", "o4", "o1"]);
        ensure!(unread_rows(b).await? == ["o5", "o4"]);
        ensure!(exists(b, "tr[data-order=o3] .badge.dispute").await?);
        ensure!(bell(b).await? == (2, 1));
        shoot(b, "messages.png", &out, docs.as_deref()).await?;
        // With the bell's menu open, for a look (not for the docs).
        click(b, "#bell-button").await?;
        shoot(b, "bell-menu.png", &out, None).await?;
        goto(b, &admin, "/orders/o3").await?;
        ensure!(texts(b, "li.msg").await?.len() == 4);
        shoot(b, "order.png", &out, docs.as_deref()).await?;
        goto(b, &admin, "/orders?filter=messages").await?;
        shoot(b, "orders.png", &out, docs.as_deref()).await?;
        goto(b, &admin, "/outbox").await?;
        shoot(b, "outbox.png", &out, docs.as_deref()).await?;
        // Two more for a look, not for the docs: a refused form, and the vendor's view.
        goto(b, &admin, "/orders/o4").await?;
        submit(b, ".dispute-panel button.danger").await?;
        shoot(b, "order-refused.png", &out, None).await?;
        act_as(b, "v1-anna", "Anna").await?;
        goto(b, &admin, "/orders/o3").await?;
        shoot(b, "order-vendor.png", &out, None).await?;
        Ok(())
    })
    .await;
}

/// A screenshot of the whole page (the window grown to its height, at most 1,600 pixels) into
/// `out` and `docs`.
async fn shoot(b: &Client, name: &str, out: &Path, docs: Option<&Path>) -> Result<PathBuf> {
    // The window's height less the page's viewport: what to add to show the whole page.
    let sizes = b
        .execute(
            "return [document.documentElement.scrollHeight, window.outerHeight - window.innerHeight];",
            vec![],
        )
        .await?;
    let number = |i: usize| {
        sizes
            .get(i)
            .and_then(serde_json::Value::as_u64)
            .unwrap_or(0) as u32
    };
    let height = (number(0) + number(1)).clamp(HEIGHT, 1600);
    b.set_window_size(WIDTH, height).await?;
    let png = b.screenshot().await?;
    b.set_window_size(WIDTH, HEIGHT).await?;
    ensure!(png.starts_with(b"\x89PNG\r\n\x1a\n"), "{name} is not a PNG");
    ensure!(
        png.len() > 10_000,
        "{name} is suspiciously small ({} bytes)",
        png.len()
    );
    std::fs::create_dir_all(out)?;
    let path = out.join(name);
    std::fs::write(&path, &png)?;
    if let Some(docs) = docs {
        std::fs::create_dir_all(docs)?;
        std::fs::write(docs.join(name), &png)?;
    }
    Ok(path)
}
