//! The `order-messages-harness` binary as a user runs it: each test invokes the built binary in
//! a temporary directory and checks what it prints, its exit status and what the next
//! invocation finds in the database file.
//!
//! Every invocation that calls the addon compiles the component (most of its run time), so the
//! tests share one demo database (copied for those that change it) and keep invocations few.

#[path = "../../platform/tests/local_smtp/mod.rs"]
mod local_smtp;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use local_smtp::{LocalSmtp, dead_port};
use order_messages_platform::eml;
use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_order-messages-harness");
const DB: &str = "order-messages.db";

/// What one invocation did.
struct Run {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

impl Run {
    fn describe(&self) -> String {
        format!(
            "exit {:?}\n--- stdout\n{}\n--- stderr\n{}",
            self.code, self.stdout, self.stderr
        )
    }
}

/// Runs the binary in `dir` with `args`, the environment cleared of variables it reads.
fn invoke(dir: &Path, args: &[&str]) -> Run {
    let output = Command::new(BIN)
        .args(args)
        .current_dir(dir)
        .env_remove("ORDER_MESSAGES_DB")
        .env_remove("ORDER_MESSAGES_SMTP_PASSWORD")
        .env_remove("RUST_LOG")
        .output()
        .expect("run the harness binary");
    Run {
        code: output.status.code(),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

/// Runs and asserts success; the run.
fn ok(dir: &Path, args: &[&str]) -> Run {
    let run = invoke(dir, args);
    assert_eq!(run.code, Some(0), "{args:?} failed: {}", run.describe());
    run
}

/// Runs with `--json`, asserts success, parses stdout.
fn json(dir: &Path, args: &[&str]) -> Value {
    let mut args = args.to_vec();
    args.push("--json");
    let run = ok(dir, &args);
    serde_json::from_str(&run.stdout)
        .unwrap_or_else(|e| panic!("{args:?} printed no JSON ({e}): {}", run.describe()))
}

/// Runs and asserts it fails with exit status 1; the run.
fn fails(dir: &Path, args: &[&str]) -> Run {
    let run = invoke(dir, args);
    assert_eq!(
        run.code,
        Some(1),
        "{args:?} should fail: {}",
        run.describe()
    );
    run
}

/// Runs and asserts it fails with exit status 2, a usage error; the run.
fn usage_error(dir: &Path, args: &[&str]) -> Run {
    let run = invoke(dir, args);
    assert_eq!(
        run.code,
        Some(2),
        "{args:?} should be a usage error: {}",
        run.describe()
    );
    run
}

/// The folder of the demo database every test may read (made once per test binary, under
/// Cargo's temporary folder for tests, since a static is never dropped).
fn demo_dir() -> &'static Path {
    static DEMO: OnceLock<tempfile::TempDir> = OnceLock::new();
    DEMO.get_or_init(|| {
        let dir = tempfile::Builder::new()
            .prefix("cli-demo-")
            .tempdir_in(env!("CARGO_TARGET_TMPDIR"))
            .unwrap();
        let run = ok(dir.path(), &["demo"]);
        assert!(
            run.stdout
                .contains("try: cargo run -p order-messages-harness -- inbox --as s1"),
            "{}",
            run.describe()
        );
        dir
    })
    .path()
}

/// A fresh folder holding a copy of the demo database, for a test that changes it.
fn demo_copy() -> tempfile::TempDir {
    let from = demo_dir();
    let dir = tempfile::tempdir().unwrap();
    for suffix in ["", "-wal", "-shm"] {
        let name = format!("{DB}{suffix}");
        if from.join(&name).exists() {
            std::fs::copy(from.join(&name), dir.path().join(&name)).unwrap();
        }
    }
    dir
}

fn ids(rows: &Value, field: &str) -> Vec<String> {
    rows.as_array()
        .unwrap_or_else(|| panic!("not a list: {rows}"))
        .iter()
        .map(|r| r[field].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn the_demo_leaves_a_database_that_later_invocations_read() {
    let dir = demo_dir();
    // With -v, each guest call is logged to stderr; stdout stays one JSON document.
    let run = ok(dir, &["inbox", "--as", "s1", "--json", "-v"]);
    let line = run
        .stderr
        .lines()
        .find(|l| l.contains("guest_call"))
        .unwrap_or_else(|| panic!("no guest call logged: {}", run.describe()));
    for part in ["op=inbox.list-threads", "role=admin", "fuel=", "took="] {
        assert!(line.contains(part), "{part} missing in {line}");
    }
    let inbox: Value = serde_json::from_str(&run.stdout).unwrap();
    // The store as the README's screenshots show it: Sam, staff, mid-dispute on 1003, with
    // Carol's two questions unread and Alice's settled thread below.
    assert_eq!(ids(&inbox["rows"], "order_id"), ["o3", "o5", "o4", "o1"]);
    let unread: Vec<bool> = inbox["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["unread"].as_bool().unwrap())
        .collect();
    assert_eq!(unread, [false, true, true, false]);
    let disputed: Vec<bool> = inbox["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["dispute_open"].as_bool().unwrap())
        .collect();
    assert_eq!(disputed, [true, false, false, false]);
    assert_eq!(inbox["rows"][0]["message_count"], 4);
    assert_eq!(inbox["rows"][3]["message_count"], 6);
    assert_eq!(inbox["actor"]["role"], "admin");
    assert_eq!(inbox["actor"]["name"], "Sam");
    let sam = json(dir, &["bell", "--as", "s1"]);
    assert_eq!(
        (&sam["unread_threads"], &sam["open_disputes"]),
        (&2.into(), &1.into())
    );

    // Sara never read a thread; Alice has the closing message unread.
    let sara = invoke(dir, &["bell", "--as", "s2", "--json"]);
    assert_eq!(sara.code, Some(0), "{}", sara.describe());
    assert_eq!(sara.stderr, "", "nothing is logged without -v");
    let sara: Value = serde_json::from_str(&sara.stdout).unwrap();
    assert_eq!(
        (&sara["unread_threads"], &sara["open_disputes"]),
        (&4.into(), &1.into())
    );
    let alice = ok(dir, &["bell", "--as", "c1"]).stdout;
    assert!(alice.contains("Alice (customer)  1         0"), "{alice}");
}

#[test]
fn with_host_drains_delivery_a_post_waits_for_deliver_and_the_setting_persists() {
    let tmp = demo_copy();
    let dir = tmp.path();
    ok(dir, &["directory", "set-delivery", "host-drains"]);
    let shown = ok(dir, &["directory", "show"]).stdout;
    assert!(shown.contains("Delivery: host-drains"), "{shown}");
    let before = json(dir, &["outbox", "sent"])["mails"]
        .as_array()
        .unwrap()
        .len();

    let posted = json(dir, &["post", "--as", "v1-anna", "o1", "Shipped today."]);
    // Nothing delivered inside the post (the report leaves out empty deliveries).
    let mails = posted["deliveries"]["mails"].as_array().map_or(0, Vec::len);
    assert_eq!(mails, 0, "{posted}");
    let sent = json(dir, &["outbox", "sent"]);
    assert_eq!(sent["mails"].as_array().unwrap().len(), before, "{sent}");

    ok(dir, &["deliver"]);
    let sent = json(dir, &["outbox", "sent"]);
    let mails = sent["mails"].as_array().unwrap();
    assert_eq!(mails.len(), before + 1, "{sent}");
    assert_eq!(mails[before]["recipients"], serde_json::json!(["c1"]));

    ok(dir, &["directory", "set-delivery", "inline"]);
    let posted = json(dir, &["post", "--as", "v1-anna", "o1", "And here it is."]);
    assert_eq!(
        posted["deliveries"]["mails"][0]["recipients"],
        serde_json::json!(["c1"])
    );
}

#[test]
fn a_post_is_read_back_by_the_next_invocation() {
    let tmp = demo_copy();
    let dir = tmp.path();
    let mailed_before = json(dir, &["outbox", "sent"])["mails"]
        .as_array()
        .unwrap()
        .len();
    let posted = json(
        dir,
        &["post", "--as", "v1-anna", "o1", "Glad it arrived, Alice!"],
    );
    assert_eq!(posted["message"]["seq"], 7);
    assert_eq!(posted["actor"]["vendor_id"], "v1");
    let mails = &posted["deliveries"]["mails"];
    assert_eq!(mails.as_array().unwrap().len(), 1, "{posted}");
    assert_eq!(mails[0]["recipients"], serde_json::json!(["c1"]));

    let thread = json(dir, &["thread", "--as", "c1", "o1"]);
    let messages = thread["messages"].as_array().unwrap();
    assert_eq!(messages.len(), 7);
    assert_eq!(messages[6]["body"], "Glad it arrived, Alice!");
    assert_eq!(messages[6]["author_name"], "Anna");
    // Before this read, the dispute's messages, Anna's reply in it and her new message were
    // new to Alice.
    assert_eq!(thread["unread_count"], 4);
    // Reading marked the thread read, and that stuck.
    let again = ok(dir, &["thread", "--as", "c1", "o1", "--no-mark"]).stdout;
    assert!(again.contains("7 messages, 0 unread"), "{again}");

    // The mail journal outlives the invocations: the demo's mails and the new one.
    assert!(mailed_before >= 6, "{mailed_before}");
    let sent = json(dir, &["outbox", "sent"]);
    let subjects = sent["mails"].as_array().unwrap();
    assert_eq!(subjects.len(), mailed_before + 1, "{sent}");
    assert_eq!(
        subjects[mailed_before]["recipients"],
        serde_json::json!(["c1"])
    );
}

#[test]
fn refusals_exit_non_zero_and_name_their_kind() {
    let dir = demo_dir();
    let run = fails(dir, &["dispute", "open", "--as", "v1-anna", "o1", "Mine"]);
    assert!(
        run.stderr.starts_with("error: refused: forbidden: "),
        "{}",
        run.describe()
    );
    assert_eq!(
        run.stderr.lines().count(),
        1,
        "one line: {}",
        run.describe()
    );

    let run = fails(dir, &["thread", "--as", "c2", "o1", "--json"]);
    let error: Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(error["error"]["kind"], "not-found", "{}", run.describe());

    let run = fails(dir, &["post", "--as", "c1", "o1", " ", "--json"]);
    let error: Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(error["error"]["kind"], "invalid-input");
    assert_eq!(error["error"]["field"], "body");

    // An unknown --as user is a mistake in the command line, not the host's failure.
    let run = usage_error(dir, &["bell", "--as", "nobody"]);
    assert!(
        run.stderr.contains("no user `nobody`"),
        "{}",
        run.describe()
    );
    assert!(run.stderr.contains("known: s1, s2"), "{}", run.describe());
    let run = usage_error(dir, &["post", "--as", "nobody", "o1", "Hi", "--json"]);
    let error: Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(error["error"]["kind"], "usage", "{}", run.describe());
    assert!(
        error["error"]["message"]
            .as_str()
            .unwrap()
            .contains("no user `nobody`"),
        "{}",
        run.describe()
    );

    let usage = invoke(dir, &["bell"]);
    assert_eq!(usage.code, Some(2), "{}", usage.describe());
}

#[test]
fn verify_finds_no_problem_in_the_demo_database() {
    let verified = json(demo_dir(), &["verify"]);
    assert_eq!(verified["problems"], 0, "{verified}");
    assert!(verified["checked"].as_u64().unwrap() > 50, "{verified}");
}

#[test]
fn read_commands_print_json_that_parses() {
    let dir = demo_dir();
    let history = json(dir, &["dispute", "history", "--as", "s2", "o1"]);
    assert_eq!(history["disputes"][0]["number"], 1);
    assert_eq!(history["disputes"][0]["closed"]["by"]["id"], "s1");

    let orders = json(dir, &["orders", "--as", "c1", "--with", "messages"]);
    assert_eq!(orders["order_ids"], serde_json::json!(["o1"]));

    let pushes = json(dir, &["outbox", "notifications"]);
    assert!(pushes["notifications"].as_array().unwrap().len() > 6);

    let directory = json(dir, &["directory", "show"]);
    assert_eq!(directory["mode"], "separate-shops");
    assert_eq!(directory["order_count"], 5);
    assert_eq!(ids(&directory["users"], "id")[..2], ["s1", "s2"]);

    let inspected = json(dir, &["inspect"]);
    assert_eq!(
        inspected["packages"][0]["name"],
        "storefront:order-messages"
    );
    assert_eq!(inspected["packages"][0]["version"], "0.2.0-draft");
}

#[test]
fn a_store_set_up_by_hand_survives_between_invocations() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let db = ["--db", "shop.db"];
    let with_db = |args: &[&'static str]| [args, &db[..]].concat();
    // Commands that read need an existing file.
    let run = fails(dir, &with_db(&["inbox", "--as", "c9"]));
    assert!(
        run.stderr.contains("shop.db does not exist"),
        "{}",
        run.describe()
    );

    ok(dir, &with_db(&["directory", "add-customer", "c9", "Dora"]));
    ok(
        dir,
        &with_db(&["directory", "add-vendor", "v9", "Cozy Socks"]),
    );
    ok(
        dir,
        &with_db(&["directory", "add-vendor-user", "v9", "v9-cleo", "Cleo"]),
    );
    ok(dir, &with_db(&["directory", "add-staff", "s9", "Zed"]));
    ok(
        dir,
        &with_db(&[
            "directory",
            "add-order",
            "o9",
            "2001",
            "--customer",
            "c9",
            "--vendor",
            "v9",
        ]),
    );
    let run = fails(dir, &with_db(&["directory", "add-staff", "c9", "Again"]));
    assert!(
        run.stderr.contains("already in the directory"),
        "{}",
        run.describe()
    );

    let posted = json(
        dir,
        &with_db(&["post", "--as", "c9", "o9", "Do these come in blue?"]),
    );
    assert_eq!(
        posted["deliveries"]["mails"][0]["recipients"],
        serde_json::json!(["v9-cleo"])
    );
    let inbox = json(
        dir,
        &with_db(&["inbox", "--as", "v9-cleo", "--filter", "unread"]),
    );
    assert_eq!(ids(&inbox["rows"], "order_id"), ["o9"]);
    assert_eq!(inbox["rows"][0]["order_number"], "2001");
    assert_eq!(inbox["rows"][0]["latest"]["author_name"], "Dora");

    // In warehouse mode the vendor is refused, staff take over.
    ok(dir, &with_db(&["directory", "set-mode", "warehouse"]));
    let run = fails(dir, &with_db(&["bell", "--as", "v9-cleo"]));
    assert!(
        run.stderr.contains("refused: forbidden"),
        "{}",
        run.describe()
    );
    // The demo will not overwrite a file it did not write.
    let run = fails(dir, &with_db(&["demo"]));
    assert!(
        run.stderr.contains("already holds data"),
        "{}",
        run.describe()
    );
}

#[test]
fn demo_replaces_an_earlier_demo_and_with_reset_anything() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    ok(dir, &["directory", "add-customer", "c1", "Someone else"]);
    let run = fails(dir, &["demo", "--json"]);
    assert!(run.stderr.contains("demo --reset"), "{}", run.describe());
    let demo: Value =
        serde_json::from_str(&ok(dir, &["demo", "--reset", "--json"]).stdout).unwrap();
    let steps = demo["steps"].as_array().unwrap();
    assert_eq!(steps.len(), 12);
    // Alice's thread settled after six steps; the day ends with staff mid-dispute on 1003.
    assert_eq!(steps[5]["bells"]["s2"]["unread_threads"], 1);
    assert_eq!(steps[5]["bells"]["s1"]["open_disputes"], 0);
    assert!(
        steps[11]["headline"]
            .as_str()
            .unwrap()
            .contains("order 1003")
    );
    assert_eq!(
        steps[11]["bells"]["s1"],
        serde_json::json!({"unread_threads": 2, "open_disputes": 1})
    );
    // Running the demo again (as `cargo demo` twice does) starts it over.
    let again = ok(dir, &["demo"]).stdout;
    assert!(
        again.starts_with("Replacing order-messages.db (it held an earlier demo)."),
        "{again}"
    );
    let users = json(dir, &["directory", "show"]);
    assert_eq!(users["users"].as_array().unwrap().len(), 7);
}

#[test]
fn seed_generates_a_consistent_data_set() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let seeded = json(
        dir,
        &[
            "seed",
            "--orders",
            "12",
            "--messages",
            "60",
            "--disputes",
            "30",
            "--vendors",
            "3",
            "--customers",
            "5",
            "--native",
        ],
    );
    assert_eq!(seeded["orders"], 12);
    assert_eq!(seeded["posts"], 60);
    assert_eq!(seeded["vendors"], 3);
    assert_eq!(seeded["customers"], 5);
    let inbox = json(dir, &["inbox", "--as", "s1", "--limit", "5"]);
    assert_eq!(inbox["rows"].as_array().unwrap().len(), 5);
    assert!(inbox["next_cursor"].is_string(), "{inbox}");
    let verified = json(dir, &["verify"]);
    assert_eq!(verified["problems"], 0, "{verified}");
    let run = fails(dir, &["seed"]);
    assert!(run.stderr.contains("seed --reset"), "{}", run.describe());
}

#[test]
fn a_failing_scenario_step_fails_the_command() {
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("wrong.toml");
    std::fs::write(
        &file,
        r#"
name = "Wrong expectations"
[[step]]
as = "c1"
do = "post"
order = "o1"
body = "Hello"
[step.expect]
seq = 2
mail_to = ["s1"]
[[step]]
as = "c1"
do = "bell"
"#,
    )
    .unwrap();
    let run = fails(tmp.path(), &["scenario", file.to_str().unwrap()]);
    assert!(
        run.stdout.contains("FAIL Wrong expectations"),
        "{}",
        run.describe()
    );
    assert!(
        run.stdout.contains("expected seq 2, got 1"),
        "{}",
        run.describe()
    );
    assert!(
        run.stdout
            .contains(r#"expected mail_to {"s1"}, got {"v1-anna"}"#),
        "{}",
        run.describe()
    );
    assert!(
        run.stdout.contains("1 passed, 1 failed"),
        "{}",
        run.describe()
    );
    assert!(run.stderr.contains("1 step failed"), "{}", run.describe());
}

#[test]
fn shipped_scenarios_pass_through_the_command() {
    let scenarios = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../scenarios");
    let reports = json(demo_dir(), &["scenario", scenarios.to_str().unwrap()]);
    let reports = reports.as_array().unwrap();
    assert!(reports.len() >= 5, "{reports:?}");
    for report in reports {
        assert_eq!(report["passed"], true, "{report:#}");
    }
}

#[test]
fn mail_goes_over_smtp_and_a_failed_send_waits_for_deliver() {
    let server = LocalSmtp::start();
    let smtp = server.addr().to_string();
    let tmp = demo_copy();
    let dir = tmp.path();

    ok(
        dir,
        &[
            "post",
            "--as",
            "c1",
            "o1",
            "Thank you all!",
            "--smtp",
            &smtp,
        ],
    );
    let received = server.take_received();
    assert_eq!(received.len(), 1);
    assert_eq!(received[0].rcpt_to, ["v1-anna@example.test"]);
    assert!(String::from_utf8_lossy(&received[0].data).contains("Subject: New message"));

    // The server is unreachable: the post succeeds, its mail stays pending.
    let down = format!("127.0.0.1:{}", dead_port());
    ok(
        dir,
        &[
            "post",
            "--as",
            "v1-anna",
            "o1",
            "You are welcome.",
            "--smtp",
            &down,
        ],
    );
    let pending = json(dir, &["outbox"]);
    let entries = pending["entries"].as_array().unwrap();
    assert_eq!(entries.len(), 1, "{pending}");
    assert_eq!(entries[0]["kind"], "mail");
    assert!(entries[0]["last_error"].is_string(), "{pending}");
    let run = fails(dir, &["deliver", "--smtp", &down]);
    assert!(run.stderr.contains("stay pending"), "{}", run.describe());

    let delivered = json(dir, &["deliver", "--smtp", &smtp]);
    assert_eq!(delivered["delivered"], 1, "{delivered}");
    assert_eq!(delivered["pending"], 0);
    let received = server.take_received();
    assert_eq!(received.len(), 1);
    assert_eq!(received[0].rcpt_to, ["c1@example.test"]);

    // Every mail sent, as .eml files.
    let eml = dir.join("eml");
    let sent = json(dir, &["outbox", "sent", "--eml", eml.to_str().unwrap()]);
    let files = sent["eml_files"].as_array().unwrap();
    assert_eq!(files.len(), std::fs::read_dir(&eml).unwrap().count());
    assert!(files.len() >= 8, "{sent}");
    let via: Vec<&Value> = sent["mails"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|m| m["copies"].as_array().unwrap())
        .map(|c| &c["via"])
        .collect();
    assert_eq!(
        via.iter()
            .filter(|v| **v == &Value::from(smtp.clone()))
            .count(),
        2
    );
}

/// The `.eml` file names of every copy `outbox sent --json` lists, in its order.
fn eml_names(sent: &Value) -> Vec<String> {
    let mut names = Vec::new();
    for mail in sent["mails"].as_array().unwrap() {
        for copy in mail["copies"].as_array().unwrap() {
            let key = mail["key"].as_str().unwrap();
            names.push(eml::file_name(key, copy["user_id"].as_str().unwrap()));
        }
    }
    names
}

/// Every JSON document on `stdout`, in order (a failed command prints its view, then the error).
fn documents(stdout: &str) -> Vec<Value> {
    serde_json::Deserializer::from_str(stdout)
        .into_iter::<Value>()
        .collect::<Result<_, _>>()
        .unwrap_or_else(|e| panic!("not JSON documents ({e}): {stdout}"))
}

#[test]
fn an_eml_file_that_cannot_be_written_is_reported_and_the_others_are_written() {
    let dir = demo_dir();
    let names = eml_names(&json(dir, &["outbox", "sent"]));
    assert!(names.len() >= 3, "{names:?}");
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    // A folder where the first file goes.
    std::fs::create_dir_all(out.join(&names[0])).unwrap();
    let out_arg = out.to_str().unwrap();

    let run = fails(dir, &["outbox", "sent", "--eml", out_arg]);
    for name in &names[1..] {
        assert!(
            out.join(name).is_file(),
            "{name} missing: {}",
            run.describe()
        );
    }
    let refusal = format!(
        "{}: something that is not a file is in the way; left alone",
        out.join(&names[0]).display()
    );
    assert!(run.stdout.contains(&refusal), "{}", run.describe());
    let summary = format!("1 of {} .eml files could not be written", names.len());
    assert!(run.stderr.contains(&summary), "{}", run.describe());
    assert_eq!(run.stderr.lines().count(), 1, "{}", run.describe());

    // Again, as JSON: the files written before are found as they were left, the folder is
    // reported again.
    let run = fails(dir, &["outbox", "sent", "--eml", out_arg, "--json"]);
    let docs = documents(&run.stdout);
    let view = &docs[0];
    assert_eq!(
        view["eml_files"].as_array().unwrap().len(),
        names.len() - 1,
        "{view}"
    );
    assert_eq!(view["eml_unchanged"], names.len() - 1, "{view}");
    let failures = view["eml_failures"].as_array().unwrap();
    assert_eq!(failures.len(), 1, "{view}");
    assert_eq!(failures[0]["file"], out.join(&names[0]).to_str().unwrap());
    assert_eq!(failures[0]["kind"], "occupied");
    assert_eq!(docs[1]["error"]["kind"], "host", "{}", run.describe());
}

#[test]
fn another_applications_database_is_refused_and_left_byte_identical() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let path = dir.join("shop.db");
    rusqlite::Connection::open(&path)
        .unwrap()
        .execute_batch(
            "CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT NOT NULL);
             INSERT INTO customers (name) VALUES ('Dora');",
        )
        .unwrap();
    let before = std::fs::read(&path).unwrap();
    // Reading, writing, and replacing commands alike.
    for args in [
        &["inbox", "--as", "s1"][..],
        &["directory", "add-customer", "c9", "Dora"],
        &["demo", "--reset"],
        &["seed", "--orders", "5", "--reset"],
    ] {
        let run = fails(dir, &[args, &["--db", "shop.db"]].concat());
        assert!(
            run.stderr
                .contains("shop.db: not a database of this harness"),
            "{args:?}: {}",
            run.describe()
        );
        assert_eq!(std::fs::read(&path).unwrap(), before, "{args:?} changed it");
        for companion in ["shop.db-wal", "shop.db-shm", "shop.db-journal"] {
            assert!(!dir.join(companion).exists(), "{args:?} left {companion}");
        }
    }
}

/// Runs the binary in `dir` with `args`, its stdout a pipe nobody reads (closed before it
/// starts), as when piped into `head` that already quit; its exit code and stderr.
fn invoke_into_closed_pipe(dir: &Path, args: &[&str]) -> (Option<i32>, String) {
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    let output = Command::new(BIN)
        .args(args)
        .current_dir(dir)
        .env_remove("ORDER_MESSAGES_DB")
        .env_remove("RUST_LOG")
        .stdout(writer)
        .output()
        .expect("run the harness binary");
    (
        output.status.code(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn output_into_a_closed_pipe_ends_quietly_with_the_sigpipe_status() {
    let dir = demo_dir();
    for args in [
        &["outbox", "sent"][..],
        &["outbox", "sent", "--json"],
        &["inbox", "--as", "s1"],
    ] {
        let (code, stderr) = invoke_into_closed_pipe(dir, args);
        // 141 = 128 + SIGPIPE: what a shell reports for `yes | head -1`'s `yes`.
        assert_eq!((code, stderr.as_str()), (Some(141), ""), "{args:?}");
    }
}

/// Characters that move the cursor or reorder text on a terminal: controls but the line feed,
/// bidirectional formatting characters, line and paragraph separators.
fn rewrites_the_terminal(c: char) -> bool {
    (c.is_control() && c != '\n')
        || matches!(
            c,
            '\u{61c}' | '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}'
        )
        || matches!(c, '\u{2066}'..='\u{2069}' | '\u{2028}' | '\u{2029}')
}

#[track_caller]
fn assert_terminal_safe(what: &str, text: &str) {
    let found: Vec<char> = text.chars().filter(|c| rewrites_the_terminal(*c)).collect();
    assert!(found.is_empty(), "{what} printed {found:?}:\n{text}");
}

#[test]
fn control_characters_in_user_strings_cannot_rewrite_the_terminal() {
    let tmp = demo_copy();
    let dir = tmp.path();
    // A lone carriage return would print the rest over the line's start: a staff header forged
    // in Alice's message; then a right-to-left override.
    let body = "Thanks!\r#8  2026-01-01 09:50  Sam (staff)\t\u{202e}gnp.exe";
    ok(dir, &["post", "--as", "c1", "o1", body]);
    let thread = ok(dir, &["thread", "--as", "s1", "o1", "--no-mark"]).stdout;
    assert_terminal_safe("thread", &thread);
    assert!(
        thread.contains(r"    Thanks!\r#8  2026-01-01 09:50  Sam (staff)\t\u{202e}gnp.exe"),
        "{thread}"
    );
    // Table cells: the inbox's excerpt of the latest message.
    assert_terminal_safe("inbox", &ok(dir, &["inbox", "--as", "s1"]).stdout);
    // The directory takes any name; an escape sequence in one is shown, not run.
    let name = "Eve\u{1b}[2J\u{9b}1A";
    ok(dir, &["directory", "add-customer", "c9", name]);
    assert_terminal_safe("directory", &ok(dir, &["directory", "show"]).stdout);
    // Errors quoting what was typed.
    let run = usage_error(dir, &["bell", "--as", "nobody\u{1b}[2J"]);
    assert_terminal_safe("an error", &run.stderr);
    assert!(
        run.stderr.contains(r"nobody\u{1b}[2J"),
        "{}",
        run.describe()
    );

    // JSON stays exact.
    let thread = json(dir, &["thread", "--as", "s1", "o1", "--no-mark"]);
    assert_eq!(thread["messages"][6]["body"], body);
    let directory = json(dir, &["directory", "show"]);
    let users = directory["users"].as_array().unwrap();
    assert!(users.iter().any(|u| u["name"] == name), "{directory}");
}

#[test]
fn orders_are_named_by_id_or_by_number_and_the_command_says_which() {
    let tmp = demo_copy();
    let dir = tmp.path();
    // The number every table, mail and the demo show: 1001 is o1, and the note says so.
    let run = ok(
        dir,
        &["thread", "--as", "c1", "1001", "--no-mark", "--json"],
    );
    let thread: Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(thread["order_id"], "o1", "{}", run.describe());
    assert_eq!(thread["order_number"], "1001");
    assert_eq!(
        run.stderr,
        "note: order 1001 is `o1`\n",
        "{}",
        run.describe()
    );
    let posted = ok(dir, &["post", "--as", "v1-anna", "1001", "Anything else?"]);
    assert!(
        posted.stdout.contains("on order 1001"),
        "{}",
        posted.describe()
    );
    let unread = json(dir, &["unread", "--as", "c1", "1001"]);
    assert_eq!(unread["order_id"], "o1");
    assert_eq!(
        unread["unread"].as_u64(),
        thread["unread_count"].as_u64().map(|n| n + 1),
        "Anna's message is one more unread for Alice"
    );
    let history = json(dir, &["dispute", "history", "--as", "s1", "1001"]);
    assert_eq!(history["order_id"], "o1");
    let marked = ok(
        dir,
        &["mark", "unread", "--as", "s1", "--orders", "1004,o5"],
    );
    assert!(
        marked.stderr.contains("order 1004 is `o4`"),
        "{}",
        marked.describe()
    );
    let filtered = json(
        dir,
        &["orders", "--as", "c1", "--with", "messages", "1001", "1002"],
    );
    assert_eq!(filtered["order_ids"], serde_json::json!(["o1"]));
    // An id is taken as an id, even when it looks like another order's number; no note.
    ok(
        dir,
        &[
            "directory",
            "add-order",
            "1005",
            "3001",
            "--customer",
            "c3",
            "--vendor",
            "v1",
        ],
    );
    let run = ok(dir, &["thread", "--as", "s1", "1005", "--json"]);
    let thread: Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(thread["order_id"], "1005", "{}", run.describe());
    assert_eq!(run.stderr, "", "{}", run.describe());

    // A number two orders share: a usage error listing both, nothing done.
    ok(
        dir,
        &[
            "directory",
            "add-order",
            "o9",
            "1001",
            "--customer",
            "c1",
            "--vendor",
            "v1",
        ],
    );
    let run = usage_error(dir, &["post", "--as", "c1", "1001", "Which one?"]);
    assert!(
        run.stderr.contains("order number 1001 is ambiguous") && run.stderr.contains("o1, o9"),
        "{}",
        run.describe()
    );
    let run = usage_error(dir, &["thread", "--as", "c1", "1001", "--json"]);
    let error: Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(error["error"]["kind"], "usage", "{}", run.describe());
    let thread = json(dir, &["thread", "--as", "c1", "o1", "--no-mark"]);
    assert_eq!(
        thread["message_count"], 7,
        "the ambiguous post posted nothing"
    );
    // Neither an id nor a number: the addon answers, as for any order the user cannot reach.
    let run = fails(dir, &["thread", "--as", "c1", "9999", "--json"]);
    let error: Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(error["error"]["kind"], "not-found", "{}", run.describe());
}

#[test]
fn a_scenario_file_error_is_shown_whole_also_in_json() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    std::fs::write(
        dir.join("broken.toml"),
        "name = \"Broken\"\n[[step]]\nas = c1\ndo = \"bell\"\n",
    )
    .unwrap();
    // What the TOML parser says about the file, every line of it.
    let run = fails(dir, &["scenario", "broken.toml"]);
    let lines: Vec<&str> = run.stderr.lines().collect();
    assert!(
        lines[0].starts_with("error: in broken.toml: TOML parse error at line 3, column 6"),
        "{}",
        run.describe()
    );
    assert!(lines.len() >= 4, "only the first line: {}", run.describe());
    assert!(
        lines.iter().any(|l| l.contains("3 | as = c1")),
        "no quoted line: {}",
        run.describe()
    );
    assert!(
        lines.iter().any(|l| l.trim_end().ends_with('^')),
        "no caret: {}",
        run.describe()
    );
    assert!(
        lines[1..].iter().all(|l| l.starts_with("  ")),
        "continuation lines are indented: {}",
        run.describe()
    );

    let run = fails(dir, &["scenario", "broken.toml", "--json"]);
    let error: Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(error["error"]["kind"], "host");
    let message = error["error"]["message"].as_str().unwrap();
    // The same text as on stderr, unindented.
    let shown: Vec<String> = run
        .stderr
        .lines()
        .enumerate()
        .map(|(i, l)| {
            if i == 0 {
                l.strip_prefix("error: ").unwrap().to_owned()
            } else {
                l.strip_prefix("  ").unwrap().to_owned()
            }
        })
        .collect();
    assert_eq!(
        message.lines().collect::<Vec<_>>(),
        shown,
        "{}",
        run.describe()
    );
}

#[test]
fn memory_means_an_empty_store_for_one_command_everywhere() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    // Empty, whichever command: no user to act as, and no advice to fill it that cannot work.
    let run = usage_error(dir, &["--memory", "inbox", "--as", "s1"]);
    assert!(
        run.stderr.contains("the in-memory store is empty")
            && run.stderr.contains("without --memory"),
        "{}",
        run.describe()
    );
    // A data set seeded in memory is gone with the command: no hint to look at it.
    let run = ok(
        dir,
        &[
            "--memory",
            "seed",
            "--orders",
            "4",
            "--messages",
            "8",
            "--native",
        ],
    );
    assert!(!run.stdout.contains("try:"), "{}", run.describe());
    assert!(
        run.stdout.contains("gone with this command"),
        "{}",
        run.describe()
    );
    let run = ok(dir, &["--memory", "demo"]);
    assert!(!run.stdout.contains("try:"), "{}", run.describe());
    // The admin cannot fill an empty store: `serve --memory` says so rather than serving one.
    let run = usage_error(dir, &["--memory", "serve", "--port", "0"]);
    assert!(run.stderr.contains("then `serve` it"), "{}", run.describe());
    let run = usage_error(dir, &["serve", "--memory", "--port", "0", "--json"]);
    let error: Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(error["error"]["kind"], "usage");
    assert!(
        std::fs::read_dir(dir).unwrap().next().is_none(),
        "--memory wrote a file"
    );
}

#[test]
fn inspect_names_the_contract_and_a_manifest_that_does_not_match_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    std::fs::write(
        dir.join("order_messages.wasm"),
        order_messages_component::WASM,
    )
    .unwrap();
    std::fs::write(
        dir.join("order_messages.manifest.toml"),
        order_messages_component::MANIFEST,
    )
    .unwrap();
    std::fs::write(
        dir.join("released.wasm"),
        include_bytes!("../../host/tests/fixtures/order_messages-0.1.0.wasm"),
    )
    .unwrap();

    // The distributed pair: checked, and described with its digest, metadata and contract.
    let inspected = json(dir, &["inspect", "order_messages.wasm", "--memory"]);
    let manifest =
        order_messages_host::Manifest::parse(order_messages_component::MANIFEST).unwrap();
    assert_eq!(inspected["contract"], "0.2.0-draft");
    assert_eq!(inspected["sha256"], manifest.component.sha256);
    assert_eq!(inspected["size"], order_messages_component::WASM.len());
    assert_eq!(inspected["metadata"]["name"], "order-messages");
    assert_eq!(inspected["metadata"]["version"], manifest.addon.version);
    assert_eq!(
        inspected["manifest"]["requires"],
        manifest.contract.requires
    );
    let text = ok(dir, &["inspect", "order_messages.wasm", "--memory"]).stdout;
    assert!(text.contains("contract:  0.2.0-draft"), "{text}");
    assert!(
        text.contains("order_messages.manifest.toml matches"),
        "{text}"
    );

    // The released 0.1.0 file has no manifest: it loads, and says which contract it targets.
    let released = json(dir, &["inspect", "released.wasm", "--memory"]);
    assert_eq!(released["contract"], "0.1.0");
    assert_eq!(released["manifest"], Value::Null);

    // A manifest that does not match the file beside it: every command refuses the file.
    let tampered = order_messages_component::MANIFEST
        .replace(manifest.component.sha256.as_str(), &"0".repeat(64));
    std::fs::write(dir.join("order_messages.manifest.toml"), tampered).unwrap();
    for args in [
        &["inspect", "order_messages.wasm", "--memory"][..],
        &["--component", "order_messages.wasm", "demo", "--memory"],
    ] {
        let refused = fails(dir, args);
        assert!(
            refused
                .stderr
                .contains("the component is not the one its manifest describes"),
            "{args:?}: {}",
            refused.describe()
        );
    }
}
