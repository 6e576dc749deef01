//! The durable store end to end: the real component on an SQLite file, closed and reopened;
//! and committed data surviving a `kill -9` of the process that wrote it.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};

use order_messages_host::Storage;
use order_messages_host::types::*;

fn put(key: &str, value: &str) -> Write {
    Write::Put(Put {
        key: key.into(),
        value: value.as_bytes().to_vec(),
    })
}
use order_messages_platform::fixtures::{Fixtures, World, marketplace::*};
use order_messages_platform::{Database, ForeignDatabase, SharedStorage, SqliteStorage};
use order_messages_platform::{Platform, Session};

#[track_caller]
fn ok<T>(result: anyhow::Result<Result<T, Error>>) -> T {
    match result.expect("the call runs without trapping") {
        Ok(value) => value,
        Err(e) => panic!("the addon refused: {}", e.describe()),
    }
}

/// The marketplace on a fresh host whose storage is the SQLite file at `path`.
fn open(path: &Path) -> (World, Session) {
    let storage = SharedStorage::sqlite(path).expect("the database opens");
    let world = Fixtures::marketplace_on(Platform::new().with_storage(storage)).build();
    let session = world.session().expect("the component instantiates");
    (world, session)
}

/// What each party sees of order 1001: unread count and bell (unread threads, open disputes).
fn views(world: &World, s: &mut Session) -> Vec<(String, u32, (u32, u32))> {
    [ALICE, ANNA, SAM, SARA]
        .into_iter()
        .map(|id| {
            let who = world.actor(id);
            let unread = ok(s.unread_count(&who, ALICE_ACME_ORDER));
            let bell = ok(s.bell(&who));
            (
                id.to_owned(),
                unread,
                (bell.unread_threads, bell.open_disputes),
            )
        })
        .collect()
}

fn thread(world: &World, s: &mut Session) -> Vec<(u64, String, String)> {
    let page = ok(s.read_thread(&world.actor(SAM), &ThreadRequest::new(ALICE_ACME_ORDER)));
    page.messages
        .into_iter()
        .map(|m| (m.seq, m.author_id, m.body))
        .collect()
}

#[test]
fn a_conversation_survives_closing_and_reopening_the_database() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("harness.db");

    let (dump, views_before, thread_before) = {
        let (world, mut s) = open(&path);
        let (alice, anna) = (world.actor(ALICE), world.actor(ANNA));
        let order = ALICE_ACME_ORDER;
        ok(s.post(&alice, &PostRequest::new(order, "Where is my parcel?")));
        ok(s.post(&anna, &PostRequest::new(order, "Shipped today.")));
        ok(s.post(&alice, &PostRequest::new(order, "Still nothing, día 5 ✉")));
        ok(s.open_dispute(&alice, order, "It never arrived"));
        ok(s.post(
            &world.actor(BOB),
            &PostRequest::new(BOB_ACME_ORDER, "Hello"),
        ));
        ok(s.mark_read(&world.actor(SARA), order));

        let views = views(&world, &mut s);
        // Sanity: the story left unread messages and an open dispute to carry over.
        assert_eq!(views[1], (ANNA.to_owned(), 2, (2, 1)));
        assert_eq!(views[3], (SARA.to_owned(), 0, (1, 1)));
        (world.platform.storage.dump(), views, thread(&world, &mut s))
    };
    assert_eq!(thread_before.len(), 4);

    // Everything dropped; a new host and session on the same file.
    let (world, mut s) = open(&path);
    assert_eq!(world.platform.storage.dump(), dump);
    assert_eq!(views(&world, &mut s), views_before);
    assert_eq!(thread(&world, &mut s), thread_before);

    // Work goes on where it stopped: the next message is number 5, and reading marks it read.
    let anna = world.actor(ANNA);
    let next = ok(s.post(&anna, &PostRequest::new(ALICE_ACME_ORDER, "Resending now.")));
    assert_eq!(next.seq, 5);
    let page = ok(s.read_thread(&anna, &ThreadRequest::new(ALICE_ACME_ORDER).marking_read()));
    assert_eq!(page.message_count, 5);
    drop((world, s));

    // And that is kept too.
    let (world, mut s) = open(&path);
    let views_after = views(&world, &mut s);
    assert_eq!(views_after[0], (ALICE.to_owned(), 1, (1, 1)));
    assert_eq!(views_after[1], (ANNA.to_owned(), 0, (1, 1)));
    assert_eq!(thread(&world, &mut s).len(), 5);
}

/// Set in the child process of the kill test: the database path it writes to.
const CHILD_DB: &str = "SQLITE_STORE_KILL_TEST_DB";
const CHILD_COMMITS: u64 = 200;

#[test]
fn committed_data_survives_kill_9_of_the_writer() {
    if let Ok(path) = std::env::var(CHILD_DB) {
        write_then_wait_to_be_killed(Path::new(&path));
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("harness.db");

    // This same test, in a child process, commits and then waits to be killed.
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "committed_data_survives_kill_9_of_the_writer",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD_DB, &path)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = BufReader::new(child.stdout.take().unwrap());
    let mut last_version = None;
    for line in stdout.lines() {
        let line = line.unwrap();
        if let Some(at) = line.find("COMMITTED ") {
            last_version = Some(line[at + 10..].trim().parse::<u64>().unwrap());
            break;
        }
    }
    // SIGKILL: no destructors, no checkpoint, no closing of the database.
    child.kill().unwrap();
    let status = child.wait().unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::process::ExitStatusExt;
        assert_eq!(status.signal(), Some(9), "{status}");
    }
    let last_version = last_version.expect("the child reported its commits");
    // The commits are still only in the write-ahead log: reopening has to recover them.
    let wal = std::fs::metadata(dir.path().join("harness.db-wal")).unwrap();
    assert!(wal.len() > 0);

    let store = SqliteStorage::open(&path).unwrap();
    let entries = store.scan("", None, u32::MAX, false).unwrap().entries;
    assert_eq!(entries.len() as u64, CHILD_COMMITS);
    for (i, entry) in entries.iter().enumerate() {
        assert_eq!(entry.key, format!("k{i:04}"));
        assert_eq!(entry.value, i.to_string().as_bytes());
    }
    assert_eq!(entries.last().unwrap().version, last_version);
    // The version counter survived too.
    store.commit(&[], &[put("after", "1")]).unwrap();
    assert!(store.get("after").unwrap().unwrap().version > last_version);
}

/// The child's part: commit one key per commit, report the last version, and hang.
fn write_then_wait_to_be_killed(path: &Path) -> ! {
    let store = SqliteStorage::open(path).unwrap();
    for i in 0..CHILD_COMMITS {
        let key = format!("k{i:04}");
        store.commit(&[], &[put(&key, &i.to_string())]).unwrap();
    }
    let last = store.get(&format!("k{:04}", CHILD_COMMITS - 1)).unwrap();
    println!("\nCOMMITTED {}", last.unwrap().version);
    loop {
        std::thread::sleep(std::time::Duration::from_secs(60));
    }
}

/// The file at `path` and its `-wal` and `-shm` companions, if present.
fn files_of(path: &Path) -> Vec<(String, Vec<u8>)> {
    ["", "-wal", "-shm"]
        .into_iter()
        .filter_map(|suffix| {
            let mut name = path.as_os_str().to_owned();
            name.push(suffix);
            std::fs::read(&name).ok().map(|b| (suffix.to_owned(), b))
        })
        .collect()
}

#[test]
fn a_database_file_of_another_application_is_refused_and_left_as_it_was() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("shop.db");
    rusqlite::Connection::open(&path)
        .unwrap()
        .execute_batch(
            "CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT NOT NULL);
             INSERT INTO customers (name) VALUES ('Dora');",
        )
        .unwrap();
    let before = files_of(&path);
    assert_eq!(before.len(), 1, "only the database file");

    let err = match Database::open(&path) {
        Ok(_) => panic!("opened another application's database"),
        Err(e) => e,
    };
    let foreign = err
        .downcast_ref::<ForeignDatabase>()
        .unwrap_or_else(|| panic!("not a ForeignDatabase: {err:#}"));
    assert_eq!(foreign.tables, ["customers"]);
    assert!(format!("{err:#}").contains("customers"), "{err:#}");
    assert!(SharedStorage::sqlite(&path).is_err());
    assert_eq!(files_of(&path), before, "the file changed");

    // A file that is not SQLite at all is refused too, unchanged.
    let text = dir.path().join("notes.db");
    std::fs::write(
        &text,
        "just some notes, long enough to be read as a header...............",
    )
    .unwrap();
    let before = files_of(&text);
    assert!(Database::open(&text).is_err());
    assert_eq!(files_of(&text), before);

    // An empty file, and a file the harness wrote, open.
    let empty = dir.path().join("empty.db");
    std::fs::write(&empty, "").unwrap();
    drop(SharedStorage::sqlite(&empty).unwrap());
    drop(SharedStorage::sqlite(&empty).unwrap());
}
