//! Crashes: a process writing to the SQLite store through the component is killed with
//! SIGKILL at random moments, many times. On reopening, the store passes `verify` and holds
//! every message whose post returned success.

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::Duration;

use order_messages_tests::*;

#[test]
fn killed_writers_lose_no_acknowledged_message() {
    let rounds: u64 = std::env::var("CRASH_ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(12);
    let path = std::env::temp_dir().join(format!("order-messages-crash-{}.db", std::process::id()));
    let mut acknowledged = BTreeSet::new();
    let mut next = 0u64;
    let mut rng = Rng::new(0x0005_DEEC_E66D);
    for round in 0..rounds {
        let mut child = Command::new(env!("CARGO_BIN_EXE_crash-writer"))
            .arg(&path)
            .arg(next.to_string())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("starts the writer");
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = std::sync::mpsc::channel::<String>();
        let reader = std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                let _ = tx.send(line);
            }
        });
        // Kill it at a random moment while it writes, once it is up.
        let first = rx
            .recv_timeout(Duration::from_secs(60))
            .expect("the writer starts");
        assert_eq!(first, "ready", "round {round}");
        std::thread::sleep(Duration::from_millis(20 + rng.below(200)));
        assert!(
            child.try_wait().unwrap().is_none(),
            "round {round}: the writer stopped on its own"
        );
        child.kill().expect("SIGKILL");
        child.wait().unwrap();
        reader.join().unwrap();
        for line in rx.try_iter() {
            let n: u64 = line.strip_prefix("ok ").unwrap().parse().unwrap();
            acknowledged.insert(n);
            next = next.max(n + 1);
        }
        // The next writer starts after the last acknowledged post, plus one in case the killed
        // one committed a post it had no time to acknowledge.
        next += 1;
    }
    assert!(
        acknowledged.len() as u64 >= rounds,
        "the writers did post: {}",
        acknowledged.len()
    );

    // Reopen: verify is clean and every acknowledged message is there, once.
    let platform = Platform::new().with_storage(SharedStorage::sqlite(&path).unwrap());
    let world = Fixtures::marketplace_on(platform).build();
    let mut s = world.session().unwrap();
    assert_verified(&mut s);
    let sam = world.actor(SAM);
    let mut stored = Vec::new();
    for order in [ALICE_ACME_ORDER, BOB_ACME_ORDER, CAROL_STORE_ORDER] {
        stored.extend(
            thread_messages(&mut s, &sam, order)
                .into_iter()
                .map(|m| m.body),
        );
    }
    let stored_ns: BTreeSet<u64> = stored
        .iter()
        .map(|b| b.strip_prefix("crash message ").unwrap().parse().unwrap())
        .collect();
    assert_eq!(stored_ns.len(), stored.len(), "no message stored twice");
    let lost: Vec<&u64> = acknowledged.difference(&stored_ns).collect();
    assert!(lost.is_empty(), "acknowledged but lost: {lost:?}");
    println!(
        "{rounds} writers killed; {} acknowledged posts, {} stored (the rest were committed but \
         not yet acknowledged when killed); verify clean",
        acknowledged.len(),
        stored.len()
    );
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
    }
}
