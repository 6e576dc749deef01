//! The shipped scenario files (`host-harness/scenarios/*.toml`), each run through the real
//! component with the library's runner, and the runner's own honesty: a wrong expectation
//! fails its step, and a file that asks for what an operation does not report is refused.

use std::path::PathBuf;

use order_messages_app::scenario::{Scenario, scenario_files};

fn shipped() -> Vec<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../scenarios");
    scenario_files(&[dir]).unwrap()
}

#[test]
fn every_shipped_scenario_passes() {
    let files = shipped();
    let names: Vec<String> = files
        .iter()
        .map(|f| f.file_stem().unwrap().to_string_lossy().into_owned())
        .collect();
    for story in [
        "demo-story",
        "dispute-reopen",
        "warehouse",
        "authorization",
        "search-filter",
    ] {
        assert!(
            names.iter().any(|n| n == story),
            "{story} missing: {names:?}"
        );
    }
    for file in files {
        let scenario = Scenario::load(&file).unwrap();
        let report = scenario.run(order_messages_platform::runtime()).unwrap();
        assert!(report.steps.len() >= 8, "{}: too short", file.display());
        let failed: Vec<String> = report
            .failed()
            .map(|s| format!("step {} ({}): {}", s.index, s.title, s.failures.join("; ")))
            .collect();
        assert!(
            report.passed && failed.is_empty(),
            "{}:\n{}",
            file.display(),
            failed.join("\n")
        );
    }
}

const STORY: &str = r#"
[[step]]
as = "c1"
do = "post"
order = "o1"
body = "Where is my drill?"
[step.expect]
seq = 1
mail_to = ["v1-anna"]

[[step]]
as = "v1-anna"
do = "bell"
[step.expect]
unread = 1
"#;

#[test]
fn a_wrong_expectation_fails_its_step_and_only_it() {
    let right = Scenario::parse(STORY)
        .unwrap()
        .run(order_messages_platform::runtime())
        .unwrap();
    assert!(right.passed, "{right:?}");

    let wrong = STORY.replace("unread = 1", "unread = 2");
    let report = Scenario::parse(&wrong)
        .unwrap()
        .run(order_messages_platform::runtime())
        .unwrap();
    assert!(!report.passed);
    assert!(report.steps[0].passed);
    assert_eq!(report.steps[1].failures, ["expected unread 2, got 1"]);

    let refused = STORY.replace("seq = 1", "error = \"not-found\"");
    let report = Scenario::parse(&refused)
        .unwrap()
        .run(order_messages_platform::runtime())
        .unwrap();
    assert_eq!(
        report.steps[0].failures,
        ["expected a `not-found` refusal, got success"]
    );
}

#[test]
fn an_expectation_the_operation_does_not_report_fails() {
    let text = STORY.replace("unread = 1", "seq = 1");
    let report = Scenario::parse(&text)
        .unwrap()
        .run(order_messages_platform::runtime())
        .unwrap();
    assert_eq!(
        report.steps[1].failures,
        ["expected seq 1, but `bell` does not report `seq`"]
    );
}

#[test]
fn malformed_scenarios_are_refused_before_running() {
    for (change, message) in [
        (("body = ", "bodyy = "), "unknown field `bodyy`"),
        (("do = \"bell\"", "do = \"ring\""), "unknown variant `ring`"),
        (
            ("[step.expect]\nunread", "[step.expect]\nunred"),
            "unknown field `unred`",
        ),
        (
            ("do = \"bell\"", "do = \"bell\"\norder = \"o1\""),
            "`bell` takes no `order`",
        ),
        (("as = \"v1-anna\"\n", ""), "`bell` needs `as`"),
    ] {
        let text = STORY.replace(change.0, change.1);
        let err = format!("{:#}", Scenario::parse(&text).unwrap_err());
        assert!(err.contains(message), "{change:?}: {err}");
    }
    let err = format!("{:#}", Scenario::parse("name = \"empty\"").unwrap_err());
    assert!(err.contains("no steps"), "{err}");
}

#[test]
fn an_advance_out_of_the_clocks_range_fails_its_step_and_leaves_the_clock() {
    // Overflowing milliseconds either way, past 13-digit milliseconds (the addon's limit,
    // in 2286), and before 1970.
    for minutes in [i64::MAX, i64::MIN, 200_000_000, -30_000_000] {
        let text = format!(
            r#"
[[step]]
do = "advance"
minutes = {minutes}

[[step]]
as = "c1"
do = "post"
order = "o1"
body = "Still there?"
[step.expect]
seq = 1
"#
        );
        let report = Scenario::parse(&text)
            .unwrap()
            .run(order_messages_platform::runtime())
            .unwrap();
        let advance = &report.steps[0];
        assert!(!advance.passed, "{minutes}: {advance:?}");
        assert_eq!(advance.failures.len(), 1, "{advance:?}");
        assert!(
            advance.failures[0].contains("outside the clock's range"),
            "{minutes}: {advance:?}"
        );
        // The clock stayed where it was: the next step runs as usual.
        assert!(report.steps[1].passed, "{minutes}: {:?}", report.steps[1]);
    }
}
