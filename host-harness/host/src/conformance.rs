//! The storage conformance suite: the semantics of the `storage` import
//! (`wit/v0.2.0/storage.wit`) as cases every [`Storage`] must pass (feature `conformance`).
//!
//! The cases are data, `host-harness/conformance/cases.json` (format in the README beside it),
//! shared with the JavaScript host, whose in-memory store runs the very same file; this module
//! is the Rust interpreter of it. Each case starts from a fresh, empty store and fails at the
//! first broken rule. This crate runs the suite against [`MemoryStorage`](crate::MemoryStorage);
//! the harness's platform runs it against SQLite. A platform with a backend of its own runs it
//! the same way:
//!
//! ```
//! use order_messages_host::{MemoryStorage, conformance};
//!
//! conformance::check_storage(MemoryStorage::new); // your backend here
//! ```
//!
//! Cases with a [`Case::scope`] state what only the released 0.1.0 component asked of a store
//! beyond 0.2.0 (longer and non-ASCII keys, versions that grow per key, any scan limit). This
//! host serves 0.1.0 components through the same [`Storage`], so [`check_storage`] runs every
//! case; a backend for 0.2.0 components alone runs the others:
//!
//! ```
//! use order_messages_host::{MemoryStorage, conformance};
//!
//! for case in conformance::cases().iter().filter(|c| c.scope.is_none()) {
//!     conformance::run_case(case, &MemoryStorage::new()).unwrap();
//! }
//! ```

use std::collections::{BTreeMap, HashMap};
use std::sync::Barrier;

use serde_json::Value;

use crate::imports::Storage;
use crate::types::{Check, Entry, Put, StorageError, Write};

/// The cases, as shipped with this crate.
pub const CASES_JSON: &str = include_str!("../../conformance/cases.json");

/// The most scan calls one step makes before it gives up on a store that keeps answering
/// `more` without finishing the range (every range of the cases is far shorter).
const MAX_SCANS: usize = 10_000;

/// One case: its name, the rule it shows, its scope, and its steps (JSON, see the format).
#[derive(Clone, Debug)]
pub struct Case {
    /// The case's name, e.g. `scan_limit`.
    pub name: String,
    /// The rule it shows, in prose.
    pub rule: String,
    /// `None` for what `wit/v0.2.0/storage.wit` asks of every store; `Some("0.1.0")` for what
    /// only the released 0.1.0 component asks beyond it.
    pub scope: Option<String>,
    steps: Vec<Value>,
}

/// Every case of the suite, in file order.
///
/// # Panics
/// If the shipped file is malformed (a bug of this crate).
pub fn cases() -> Vec<Case> {
    let file: Value = serde_json::from_str(CASES_JSON).expect("cases.json is valid JSON");
    file["cases"]
        .as_array()
        .expect("cases.json has a `cases` list")
        .iter()
        .map(|c| Case {
            name: c["name"].as_str().expect("a case has a name").to_owned(),
            rule: c["rule"].as_str().unwrap_or_default().to_owned(),
            scope: c["scope"].as_str().map(str::to_owned),
            steps: c["steps"].as_array().expect("a case has steps").clone(),
        })
        .collect()
}

/// Runs every case (of every scope), each on a fresh store from `fresh`.
///
/// # Panics
/// On the first broken rule, naming the case, the step and what differed.
pub fn check_storage<S: Storage>(fresh: impl Fn() -> S) {
    for case in cases() {
        if let Err(failure) = run_case(&case, &fresh()) {
            panic!("{failure}");
        }
    }
}

/// Runs one case on `store` (fresh and empty): `Err` describes the first broken rule.
pub fn run_case(case: &Case, store: &dyn Storage) -> Result<(), String> {
    let mut run = CaseRun::default();
    for (i, step) in case.steps.iter().enumerate() {
        run.perform(step, store).map_err(|detail| {
            let mut shown = step.to_string();
            shown.truncate(160);
            format!(
                "storage conformance case `{}`, step {} {shown}: {detail}",
                case.name,
                i + 1
            )
        })?;
    }
    Ok(())
}

/// What one case has saved so far: versions and dumps by name.
#[derive(Default)]
struct CaseRun {
    versions: HashMap<String, u64>,
    dumps: HashMap<String, Vec<Entry>>,
}

type Outcome = Result<(), String>;

impl CaseRun {
    fn perform(&mut self, step: &Value, store: &dyn Storage) -> Outcome {
        if let Some(keys) = step.get("seed") {
            let writes: Vec<Write> = list(keys)
                .iter()
                .map(|k| {
                    let k = key(k);
                    put(&k, k.as_bytes())
                })
                .collect();
            self.commit_outcome(store.commit(&[], &writes), &Value::from("ok"))
        } else if let Some(k) = step.get("get") {
            let got = store
                .get(&key(k))
                .map_err(|e| format!("get failed: {e:?}"))?;
            self.entry(got.as_ref(), &step["expect"], "get")
        } else if let Some(keys) = step.get("get_many") {
            let keys: Vec<String> = list(keys).iter().map(key).collect();
            let got = store
                .get_many(&keys)
                .map_err(|e| format!("get-many failed: {e:?}"))?;
            let want = list(&step["expect"]);
            if got.len() != want.len() {
                return Err(format!(
                    "expected {} elements, got {}",
                    want.len(),
                    got.len()
                ));
            }
            for (i, (got, want)) in got.iter().zip(want).enumerate() {
                self.entry(got.as_ref(), want, &format!("element {i}"))?;
            }
            Ok(())
        } else if let Some(scan) = step.get("scan") {
            let after = (!scan["after"].is_null()).then(|| key(&scan["after"]));
            let limit = u32::try_from(scan["limit"].as_u64().unwrap_or_default())
                .map_err(|_| "a limit beyond u32".to_owned())?;
            let range = Range {
                prefix: key(&scan["prefix"]),
                reverse: scan["reverse"].as_bool().unwrap_or_default(),
            };
            let (got, more, after) = range.read_page(store, after, limit)?;
            self.entries(&got, step)?;
            match step["expect_more"].as_bool() {
                Some(true) if !more => Err(format!(
                    "the range holds more entries after these {}, but the store said `more = false`",
                    got.len()
                )),
                // The page may say `more` at the end of the range (more *may* follow): then the
                // next page must be empty and end the range.
                Some(false) if more => {
                    let rest = range.read_all(store, after, limit.clamp(1, 1024))?;
                    match rest.first() {
                        Some(extra) => Err(format!(
                            "expected the range to end after the page, but it goes on with {:?}",
                            extra.key
                        )),
                        None => Ok(()),
                    }
                }
                _ => Ok(()),
            }
        } else if let Some(pages) = step.get("scan_pages") {
            let range = Range {
                prefix: key(&pages["prefix"]),
                reverse: pages["reverse"].as_bool().unwrap_or_default(),
            };
            let page = u32::try_from(pages["page"].as_u64().unwrap_or(1))
                .map_err(|_| "a page beyond u32".to_owned())?;
            let seen = range.read_all(store, None, page)?;
            self.entries(&seen, step)
        } else if let Some(commit) = step.get("commit") {
            let (checks, writes) = self.commit_of(commit)?;
            self.commit_outcome(store.commit(&checks, &writes), &step["expect"])
        } else if let Some(commits) = step.get("race") {
            self.race(step, list(commits), store)
        } else if step.get("dump").is_some() {
            let all = Range {
                prefix: String::new(),
                reverse: false,
            }
            .read_all(store, None, 1024)
            .map_err(|e| format!("dump: {e}"))?;
            self.entries(&all, step)?;
            if let Some(name) = step["save_as"].as_str() {
                self.dumps.insert(name.to_owned(), all);
            }
            Ok(())
        } else {
            Err("unknown operation".into())
        }
    }

    /// The checks and writes of a COMMIT (`{"checks": [...], "writes": [...]}`).
    fn commit_of(&self, commit: &Value) -> Result<(Vec<Check>, Vec<Write>), String> {
        let checks = list(&commit["checks"])
            .iter()
            .map(|c| {
                Ok(Check {
                    key: key(&c["key"]),
                    version: self.check_version(&c["version"])?,
                })
            })
            .collect::<Result<Vec<_>, String>>()?;
        let writes: Vec<Write> = list(&commit["writes"])
            .iter()
            .map(|w| match w.get("put") {
                Some(k) => put(&key(k), &value(&w["value"])),
                None => Write::Delete(key(&w["delete"])),
            })
            .collect();
        Ok((checks, writes))
    }

    fn commit_outcome(&self, outcome: Result<(), StorageError>, expect: &Value) -> Outcome {
        match (outcome, expect.get("conflict")) {
            (Ok(()), None) => Ok(()),
            (Err(StorageError::Conflict(got)), Some(want)) if got == key(want) => Ok(()),
            (got, _) => Err(format!("expected {expect}, got {got:?}")),
        }
    }

    /// Commits prepared from the same state, run at the same time (one thread each, released
    /// together): exactly `expect_ok` succeed, every other one is a conflict (naming
    /// `expect_conflict` when given), and afterwards each key they write holds what the
    /// succeeding commit wrote, or what it held before when only failed commits wrote it.
    fn race(&self, step: &Value, commits: &[Value], store: &dyn Storage) -> Outcome {
        let commits = commits
            .iter()
            .map(|c| self.commit_of(c))
            .collect::<Result<Vec<_>, String>>()?;
        // Every key written, with what it holds before the race.
        let mut before: BTreeMap<String, Option<Entry>> = BTreeMap::new();
        for (_, writes) in &commits {
            for write in writes {
                let k = written_key(write);
                if !before.contains_key(k) {
                    let now = store.get(k).map_err(|e| format!("get failed: {e:?}"))?;
                    before.insert(k.to_owned(), now);
                }
            }
        }
        let start = Barrier::new(commits.len());
        let outcomes: Vec<Result<(), StorageError>> = std::thread::scope(|scope| {
            let runs: Vec<_> = commits
                .iter()
                .map(|(checks, writes)| {
                    let start = &start;
                    scope.spawn(move || {
                        start.wait();
                        store.commit(checks, writes)
                    })
                })
                .collect();
            runs.into_iter()
                .map(|run| {
                    run.join()
                        .unwrap_or_else(|_| Err(StorageError::Failed("commit panicked".into())))
                })
                .collect()
        });
        let winners: Vec<usize> = (0..outcomes.len())
            .filter(|&i| outcomes[i].is_ok())
            .collect();
        let want_ok = step["expect_ok"].as_u64().unwrap_or(1) as usize;
        if winners.len() != want_ok {
            return Err(format!(
                "expected {want_ok} commit(s) to succeed, got {outcomes:?}"
            ));
        }
        for outcome in &outcomes {
            match (outcome, step.get("expect_conflict")) {
                (Ok(()), _) | (Err(StorageError::Conflict(_)), None) => {}
                (Err(StorageError::Conflict(got)), Some(want)) if *got == key(want) => {}
                (other, _) => {
                    return Err(format!(
                        "a losing commit must be a conflict{}, got {other:?}",
                        step.get("expect_conflict")
                            .map(|k| format!(" naming {k}"))
                            .unwrap_or_default()
                    ));
                }
            }
        }
        for (k, held) in before {
            let by_winners: Vec<Option<&[u8]>> = winners
                .iter()
                .filter_map(|&i| last_write_of(&commits[i].1, &k))
                .collect();
            let now = store.get(&k).map_err(|e| format!("get failed: {e:?}"))?;
            let fine = match by_winners.as_slice() {
                // Written by losers only: untouched, version included.
                [] => now == held,
                [wanted] => now.as_ref().map(|e| e.value.as_slice()) == *wanted,
                // Written by several winners: any of their writes may be last.
                _ => true,
            };
            if !fine {
                return Err(format!(
                    "after the race {k:?} holds {:?}, which is not what the succeeding commit left",
                    now.map(|e| String::from_utf8_lossy(&e.value).into_owned())
                ));
            }
        }
        Ok(())
    }

    fn entries(&mut self, got: &[Entry], step: &Value) -> Outcome {
        if let Some(want) = step.get("expect_keys") {
            let keys: Vec<&str> = got.iter().map(|e| e.key.as_str()).collect();
            let want: Vec<String> = list(want).iter().map(key).collect();
            if keys != want {
                return Err(format!("expected keys {want:?}, got {keys:?}"));
            }
        }
        if let Some(count) = step["expect_count"].as_u64()
            && got.len() as u64 != count
        {
            return Err(format!("expected {count} entries, got {}", got.len()));
        }
        if let Some(want) = step.get("expect") {
            let want = list(want);
            if got.len() != want.len() {
                return Err(format!(
                    "expected {} entries, got {}",
                    want.len(),
                    got.len()
                ));
            }
            for (i, (got, want)) in got.iter().zip(want).enumerate() {
                self.entry(Some(got), want, &format!("entry {i}"))?;
            }
        }
        if let Some(name) = step["expect_same_as"].as_str() {
            let saved = self
                .dumps
                .get(name)
                .ok_or_else(|| format!("no dump saved as {name}"))?;
            if saved.as_slice() != got {
                return Err(format!("the entries differ from those saved as {name}"));
            }
        }
        Ok(())
    }

    fn entry(&mut self, got: Option<&Entry>, want: &Value, what: &str) -> Outcome {
        let Some(got) = got else {
            return match want.is_null() {
                true => Ok(()),
                false => Err(format!("{what}: expected an entry, got none")),
            };
        };
        if want.is_null() {
            return Err(format!("{what}: expected no entry, got {}", got.key));
        }
        let want_key = key(&want["key"]);
        if got.key != want_key {
            return Err(format!(
                "{what}: expected key {want_key:?}, got {:?}",
                got.key
            ));
        }
        if !want["value"].is_null() && got.value != value(&want["value"]) {
            return Err(format!(
                "{what}: the value of {} differs ({} bytes)",
                got.key,
                got.value.len()
            ));
        }
        if !want["version"].is_null() {
            self.version(
                got.version,
                &want["version"],
                &format!("{what}: {}", got.key),
            )?;
        }
        Ok(())
    }

    fn version(&mut self, got: u64, pattern: &Value, what: &str) -> Outcome {
        if got == 0 {
            return Err(format!("{what}: version 0"));
        }
        if !pattern["above"].is_null() {
            let bound = self.named(&pattern["above"])?;
            if got <= bound {
                return Err(format!("{what}: version {got}, not above {bound}"));
            }
        }
        if !pattern["equals"].is_null() {
            let other = self.named(&pattern["equals"])?;
            if got != other {
                return Err(format!("{what}: version {got}, not {other}"));
            }
        }
        let not = &pattern["not"];
        for reference in not
            .as_array()
            .map_or(std::slice::from_ref(not), Vec::as_slice)
        {
            if reference.is_null() {
                continue;
            }
            if got == self.named(reference)? {
                return Err(format!(
                    "{what}: version {got} again, the same as {reference} (a write must give a \
                     version the key never had)"
                ));
            }
        }
        if let Some(name) = pattern["save"].as_str()
            && self.versions.insert(name.to_owned(), got).is_some()
        {
            return Err(format!("the version name {name} is saved twice"));
        }
        Ok(())
    }

    fn named(&self, reference: &Value) -> Result<u64, String> {
        match reference {
            Value::Number(n) => n.as_u64().ok_or_else(|| format!("bad version {n}")),
            Value::String(name) => self
                .versions
                .get(name)
                .copied()
                .ok_or_else(|| format!("no version saved as {name}")),
            other => Err(format!("bad version reference {other}")),
        }
    }

    fn check_version(&self, version: &Value) -> Result<Option<u64>, String> {
        match version {
            Value::Null => Ok(None),
            // A version the key does not have: a saved one (the key's current one) moved on.
            Value::Object(o) => Ok(Some(
                self.named(&o["saved"])?
                    .wrapping_add(o["plus"].as_u64().unwrap_or_default()),
            )),
            other => self.named(other).map(Some),
        }
    }
}

/// The keys of a prefix, in one direction: what a client pages through.
struct Range {
    prefix: String,
    reverse: bool,
}

impl Range {
    /// One page of `limit` entries after `after`, read as a client reads it: asking again after
    /// the last key returned while a page is short and says `more`, until there are `limit`
    /// entries or `more` is false. Returns the entries, the last `more`, and the cursor to go on
    /// from.
    fn read_page(
        &self,
        store: &dyn Storage,
        mut after: Option<String>,
        limit: u32,
    ) -> Result<(Vec<Entry>, bool, Option<String>), String> {
        let mut entries: Vec<Entry> = Vec::new();
        for _ in 0..MAX_SCANS {
            let want = limit - entries.len() as u32;
            let (page, more) = self.scan(store, after.as_deref(), want)?;
            if let Some(last) = page.last() {
                after = Some(last.key.clone());
            }
            entries.extend(page);
            if !more || entries.len() as u32 >= limit {
                return Ok((entries, more, after));
            }
        }
        Err(format!(
            "the store kept answering `more` for {MAX_SCANS} scans without filling the page"
        ))
    }

    /// Every entry after `after`, in pages of `page`, until a scan says `more = false`.
    fn read_all(
        &self,
        store: &dyn Storage,
        mut after: Option<String>,
        page: u32,
    ) -> Result<Vec<Entry>, String> {
        let mut all: Vec<Entry> = Vec::new();
        for _ in 0..MAX_SCANS {
            let (entries, more) = self.scan(store, after.as_deref(), page)?;
            if let Some(last) = entries.last() {
                after = Some(last.key.clone());
            }
            all.extend(entries);
            if !more {
                return Ok(all);
            }
        }
        Err(format!(
            "the store kept answering `more` for {MAX_SCANS} scans: the range never ended"
        ))
    }

    /// One scan, checked to return at most `limit` entries.
    fn scan(
        &self,
        store: &dyn Storage,
        after: Option<&str>,
        limit: u32,
    ) -> Result<(Vec<Entry>, bool), String> {
        let page = store
            .scan(&self.prefix, after, limit, self.reverse)
            .map_err(|e| format!("scan failed: {e:?}"))?;
        if page.entries.len() > limit as usize {
            return Err(format!(
                "{} entries for a limit of {limit}",
                page.entries.len()
            ));
        }
        Ok((page.entries, page.more))
    }
}

/// The key a write writes.
fn written_key(write: &Write) -> &str {
    match write {
        Write::Put(p) => &p.key,
        Write::Delete(k) => k,
    }
}

/// What the last write of `key` among `writes` leaves: `Some(Some(value))` for a put,
/// `Some(None)` for a delete, `None` when none writes it.
fn last_write_of<'a>(writes: &'a [Write], key: &str) -> Option<Option<&'a [u8]>> {
    writes.iter().rev().find_map(|w| match w {
        Write::Put(p) if p.key == key => Some(Some(p.value.as_slice())),
        Write::Delete(k) if k == key => Some(None),
        _ => None,
    })
}

fn list(value: &Value) -> &[Value] {
    value.as_array().map(Vec::as_slice).unwrap_or_default()
}

/// A KEY: a string, or `{"repeat": S, "times": N}`.
fn key(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        _ => value["repeat"]
            .as_str()
            .unwrap_or_default()
            .repeat(value["times"].as_u64().unwrap_or_default() as usize),
    }
}

/// A VALUE: a string (its UTF-8), `{"bytes": [...]}` or `{"cycle": C, "len": N}`.
fn value(value: &Value) -> Vec<u8> {
    match value {
        Value::String(s) => s.as_bytes().to_vec(),
        _ if value.get("bytes").is_some() => list(&value["bytes"])
            .iter()
            .map(|b| b.as_u64().unwrap_or_default() as u8)
            .collect(),
        _ => {
            let cycle = value["cycle"].as_u64().unwrap_or(1).max(1);
            (0..value["len"].as_u64().unwrap_or_default())
                .map(|i| (i % cycle) as u8)
                .collect()
        }
    }
}

fn put(key: &str, value: &[u8]) -> Write {
    Write::Put(Put {
        key: key.to_owned(),
        value: value.to_vec(),
    })
}

#[cfg(test)]
mod tests {
    use std::collections::{BTreeSet, HashMap};
    use std::sync::{Condvar, Mutex};
    use std::time::Duration;

    use super::*;
    use crate::types::ScanPage;
    use crate::{MemoryStorage, scan_bounds};

    /// Every shipped case passes on the in-memory store (one test per case would need a
    /// generator; the failure names the case).
    #[test]
    fn memory_storage_passes_every_case() {
        let cases = cases();
        assert!(cases.len() >= 25, "{} cases", cases.len());
        check_storage(MemoryStorage::new);
    }

    /// How a [`Toy`] store gives versions.
    #[derive(Clone, Copy, Debug)]
    enum Versions {
        /// One counter for the store (what MemoryStorage and SQLite do).
        Global,
        /// A counter per key, kept across deletes: different keys share versions.
        PerKeyKept,
        /// A global counter counting down: unique, but never growing.
        Descending,
        /// 64 random bits.
        Random,
        /// Wrong: a counter per key that starts again at 1 after a delete.
        PerKeyReset,
        /// Wrong: a hash of the value, so writing a value again gives an old version.
        ContentHash,
    }

    /// How a [`Toy`] store scans.
    #[derive(Clone, Copy, Debug)]
    enum Scans {
        /// A key range, exact `more`.
        Exact,
        /// At most this many entries a page, `more` set when the range goes on.
        Capped(usize),
        /// Every other call an empty page with `more` set, as a store bounding its work may.
        EmptyEveryOtherCall,
        /// Wrong: at most this many entries a page, claiming the end (`more = false`).
        CappedClaimingTheEnd(usize),
        /// Wrong: `more` always set, so the range never ends.
        EndlessMore,
        /// Wrong: `key LIKE prefix || '%'`, without escaping.
        Like,
        /// Wrong: LIKE escaping `%` and `_` with `\` but not `\` itself.
        LikeEscapingWildcardsOnly,
        /// Wrong: `key GLOB prefix || '*'`.
        Glob,
    }

    /// How a [`Toy`] store commits.
    #[derive(Clone, Copy, Debug)]
    enum Commits {
        /// Checks and writes under one lock.
        Atomic,
        /// Wrong: a check that the key is absent always passes.
        BlindToAbsentChecks,
        /// Wrong: checks under the lock, then (after waiting a moment for another commit to
        /// check too) writes under the lock again: two commits may both pass their checks.
        CheckThenWrite,
    }

    /// A toy store with configurable rules, right and wrong, to show which cases catch what.
    struct Toy {
        versions: Versions,
        scans: Scans,
        commits: Commits,
        state: Mutex<ToyState>,
        checked: (Mutex<usize>, Condvar),
    }

    #[derive(Default)]
    struct ToyState {
        rows: BTreeMap<String, (Vec<u8>, u64)>,
        up: u64,
        down: u64,
        per_key: HashMap<String, u64>,
        random: u64,
        calls: u64,
    }

    impl Toy {
        fn new(versions: Versions, scans: Scans, commits: Commits) -> Self {
            Self {
                versions,
                scans,
                commits,
                state: Mutex::new(ToyState {
                    down: u64::MAX,
                    random: 0x9E37_79B9_7F4A_7C15,
                    ..ToyState::default()
                }),
                checked: (Mutex::new(0), Condvar::new()),
            }
        }

        fn lock(&self) -> std::sync::MutexGuard<'_, ToyState> {
            self.state.lock().unwrap()
        }
    }

    /// Whether `key` matches the SQL LIKE `pattern` (`%` any run, `_` any one byte; after
    /// `escape`, the next byte is literal).
    fn like(key: &[u8], pattern: &[u8], escape: Option<u8>) -> bool {
        match pattern.split_first() {
            None => key.is_empty(),
            Some((&c, rest)) if Some(c) == escape && !rest.is_empty() => {
                key.first() == Some(&rest[0]) && like(&key[1..], &rest[1..], escape)
            }
            Some((b'%', rest)) => (0..=key.len()).any(|i| like(&key[i..], rest, escape)),
            Some((b'_', rest)) => !key.is_empty() && like(&key[1..], rest, escape),
            Some((&c, rest)) => key.first() == Some(&c) && like(&key[1..], rest, escape),
        }
    }

    /// Whether `key` matches the GLOB `pattern` (`*`, `?`, `[set]`; an open `[` matches nothing).
    fn glob(key: &[u8], pattern: &[u8]) -> bool {
        match pattern.split_first() {
            None => key.is_empty(),
            Some((b'*', rest)) => (0..=key.len()).any(|i| glob(&key[i..], rest)),
            Some((b'?', rest)) => !key.is_empty() && glob(&key[1..], rest),
            Some((b'[', rest)) => match rest.iter().position(|&b| b == b']') {
                Some(end) => {
                    key.first().is_some_and(|k| rest[..end].contains(k))
                        && glob(&key[1..], &rest[end + 1..])
                }
                None => false,
            },
            Some((&c, rest)) => key.first() == Some(&c) && glob(&key[1..], rest),
        }
    }

    impl Storage for Toy {
        fn get(&self, key: &str) -> Result<Option<Entry>, StorageError> {
            Ok(self.lock().rows.get(key).map(|(value, version)| Entry {
                key: key.to_owned(),
                value: value.clone(),
                version: *version,
            }))
        }

        fn scan(
            &self,
            prefix: &str,
            start_after: Option<&str>,
            limit: u32,
            reverse: bool,
        ) -> Result<ScanPage, StorageError> {
            let mut state = self.lock();
            state.calls += 1;
            let calls = state.calls;
            let entry = |(k, (v, version)): (&String, &(Vec<u8>, u64))| Entry {
                key: k.clone(),
                value: v.clone(),
                version: *version,
            };
            let matches = |k: &str| -> bool {
                let pattern = |escaped: bool| {
                    let mut p = Vec::new();
                    for &b in prefix.as_bytes() {
                        if escaped && (b == b'%' || b == b'_') {
                            p.push(b'\\');
                        }
                        p.push(b);
                    }
                    p
                };
                match self.scans {
                    Scans::Like => like(
                        k.as_bytes(),
                        &[pattern(false), b"%".to_vec()].concat(),
                        None,
                    ),
                    Scans::LikeEscapingWildcardsOnly => like(
                        k.as_bytes(),
                        &[pattern(true), b"%".to_vec()].concat(),
                        Some(b'\\'),
                    ),
                    Scans::Glob => glob(k.as_bytes(), &[prefix.as_bytes(), b"*"].concat()),
                    _ => k.starts_with(prefix),
                }
            };
            let after = |k: &str| match start_after {
                None => true,
                Some(s) if reverse => k < s,
                Some(s) => k > s,
            };
            let mut range: Vec<Entry> = state
                .rows
                .iter()
                .filter(|(k, _)| matches(k) && after(k))
                .map(entry)
                .collect();
            if reverse {
                range.reverse();
            }
            // The right stores' ranges agree with the key-range arithmetic every backend uses.
            if matches!(self.scans, Scans::Exact)
                && let Some(bounds) = scan_bounds(prefix, start_after, reverse)
            {
                assert_eq!(range.len(), state.rows.range::<String, _>(bounds).count());
            }
            let cap = match self.scans {
                Scans::Capped(n) | Scans::CappedClaimingTheEnd(n) => n,
                Scans::EmptyEveryOtherCall if calls % 2 == 1 => 0,
                _ => usize::MAX,
            };
            let take = (limit as usize).min(cap);
            let more = match self.scans {
                Scans::CappedClaimingTheEnd(_) => false,
                Scans::EndlessMore => true,
                _ => range.len() > take,
            };
            range.truncate(take);
            Ok(ScanPage {
                entries: range,
                more,
            })
        }

        fn commit(&self, checks: &[Check], writes: &[Write]) -> Result<(), StorageError> {
            let check = |state: &ToyState| {
                for c in checks {
                    let current = state.rows.get(&c.key).map(|(_, v)| *v);
                    let blind = matches!(self.commits, Commits::BlindToAbsentChecks);
                    if current != c.version && !(blind && c.version.is_none()) {
                        return Err(StorageError::Conflict(c.key.clone()));
                    }
                }
                Ok(())
            };
            let mut state = self.lock();
            check(&state)?;
            if matches!(self.commits, Commits::CheckThenWrite) {
                drop(state);
                // Wait (a moment at most) for another commit to have checked too.
                let (count, arrived) = &self.checked;
                let mut n = count.lock().unwrap();
                *n += 1;
                arrived.notify_all();
                let _ = arrived
                    .wait_timeout_while(n, Duration::from_secs(2), |n| *n < 2)
                    .unwrap();
                state = self.lock();
            }
            for write in writes {
                let k = written_key(write).to_owned();
                let version = match self.versions {
                    Versions::Global => {
                        state.up += 1;
                        state.up
                    }
                    Versions::Descending => {
                        state.down -= 1;
                        state.down
                    }
                    Versions::PerKeyKept => {
                        let n = state.per_key.entry(k.clone()).or_default();
                        *n += 1;
                        *n
                    }
                    Versions::PerKeyReset => state.rows.get(&k).map_or(1, |(_, v)| v + 1),
                    Versions::ContentHash => match write {
                        Write::Put(p) => {
                            p.value.iter().fold(1469598103934665603u64, |h, &b| {
                                (h ^ u64::from(b)).wrapping_mul(1099511628211)
                            }) | 1
                        }
                        Write::Delete(_) => 0,
                    },
                    Versions::Random => {
                        let mut x = state.random;
                        x ^= x << 13;
                        x ^= x >> 7;
                        x ^= x << 17;
                        state.random = x;
                        x | 1
                    }
                };
                match write {
                    Write::Put(p) => _ = state.rows.insert(k, (p.value.clone(), version)),
                    Write::Delete(_) => _ = state.rows.remove(&k),
                }
            }
            Ok(())
        }
    }

    /// The names of the cases `store()` fails (each on a fresh one), with the first failure's
    /// text.
    fn failures(store: impl Fn() -> Toy) -> (BTreeSet<String>, String) {
        let mut failed = BTreeSet::new();
        let mut first = String::new();
        for case in cases() {
            if let Err(e) = run_case(&case, &store()) {
                if first.is_empty() {
                    first = e;
                }
                failed.insert(case.name.clone());
            }
        }
        (failed, first)
    }

    fn names(list: &[&str]) -> BTreeSet<String> {
        list.iter().map(|s| (*s).to_owned()).collect()
    }

    const GROWTH: &str = "versions_grow_per_key_as_0_1_0_promised";

    /// Whatever a store's versions (unique per key: a counter per key, one counting down, random
    /// tokens) and however short its pages, a store within storage.wit's rules passes every
    /// 0.2.0 case: the cases ask only what the contract asks.
    #[test]
    fn stores_within_the_rules_pass_every_0_2_0_case() {
        for versions in [
            Versions::Global,
            Versions::PerKeyKept,
            Versions::Descending,
            Versions::Random,
        ] {
            for scans in [
                Scans::Exact,
                Scans::Capped(1),
                Scans::Capped(2),
                Scans::EmptyEveryOtherCall,
            ] {
                let (failed, first) = failures(|| Toy::new(versions, scans, Commits::Atomic));
                let beyond: BTreeSet<String> = failed
                    .into_iter()
                    .filter(|name| cases().iter().any(|c| &c.name == name && c.scope.is_none()))
                    .collect();
                assert!(beyond.is_empty(), "{versions:?} {scans:?}: {first}");
            }
        }
    }

    /// Versions that only differ pass the 0.2.0 cases but not the growth 0.1.0 promised; the
    /// 0.1.0 cases are the only ones they fail.
    #[test]
    fn versions_that_never_grow_fail_only_the_0_1_0_growth_case() {
        for versions in [Versions::Global, Versions::PerKeyKept] {
            let (failed, first) =
                failures(|| Toy::new(versions, Scans::Capped(2), Commits::Atomic));
            assert!(failed.is_empty(), "{versions:?}: {first}");
        }
        let (failed, first) =
            failures(|| Toy::new(Versions::Descending, Scans::Exact, Commits::Atomic));
        assert_eq!(failed, names(&[GROWTH]), "{first}");
    }

    #[test]
    fn a_prefix_matched_with_like_fails_the_literal_prefix_cases() {
        let (failed, first) = failures(|| Toy::new(Versions::Global, Scans::Like, Commits::Atomic));
        assert_eq!(
            failed,
            names(&[
                "scan_prefix_percent_and_underscore_are_literal",
                "scan_prefix_other_pattern_characters_are_literal",
                "scan_start_after_with_percent_and_underscore_prefixes",
            ]),
            "{first}"
        );
        assert!(first.contains("expected keys"), "{first}");
        for scans in [Scans::LikeEscapingWildcardsOnly, Scans::Glob] {
            let (failed, first) = failures(|| Toy::new(Versions::Global, scans, Commits::Atomic));
            assert_eq!(
                failed,
                names(&["scan_prefix_other_pattern_characters_are_literal"]),
                "{scans:?}: {first}"
            );
        }
    }

    #[test]
    fn reused_versions_fail_the_version_cases() {
        let (failed, first) =
            failures(|| Toy::new(Versions::PerKeyReset, Scans::Exact, Commits::Atomic));
        assert_eq!(
            failed,
            names(&[
                "versions_are_never_reused_after_delete",
                "every_write_gives_the_key_a_version_it_never_had",
                "checks_of_an_absent_key_let_exactly_one_writer_in",
                GROWTH,
            ]),
            "{first}"
        );
        let (failed, first) =
            failures(|| Toy::new(Versions::ContentHash, Scans::Exact, Commits::Atomic));
        assert!(
            failed.contains("every_write_gives_the_key_a_version_it_never_had"),
            "{failed:?}: {first}"
        );
    }

    #[test]
    fn short_pages_claiming_the_end_or_an_endless_range_fail() {
        let (failed, _) = failures(|| {
            Toy::new(
                Versions::Global,
                Scans::CappedClaimingTheEnd(2),
                Commits::Atomic,
            )
        });
        assert!(
            failed.contains("short_pages_say_more_and_paging_sees_every_entry_once"),
            "{failed:?}"
        );
        let endless = Toy::new(Versions::Global, Scans::EndlessMore, Commits::Atomic);
        let case = cases()
            .into_iter()
            .find(|c| c.name == "short_pages_say_more_and_paging_sees_every_entry_once")
            .unwrap();
        let failure = run_case(&case, &endless).unwrap_err();
        assert!(failure.contains("kept answering `more`"), "{failure}");
    }

    #[test]
    fn absent_checks_that_always_pass_fail_the_race_case() {
        let (failed, first) =
            failures(|| Toy::new(Versions::Global, Scans::Exact, Commits::BlindToAbsentChecks));
        assert!(
            failed.contains("checks_of_an_absent_key_let_exactly_one_writer_in"),
            "{failed:?}: {first}"
        );
    }

    /// The race step runs its commits at the same time: a store that checks and writes under
    /// separate locks lets two writers in, which commits one after the other would never show.
    #[test]
    fn races_run_at_once_and_catch_a_commit_that_is_not_atomic() {
        let case = cases()
            .into_iter()
            .find(|c| c.name == "checks_of_an_absent_key_let_exactly_one_writer_in")
            .unwrap();
        let store = Toy::new(Versions::Global, Scans::Exact, Commits::CheckThenWrite);
        let failure = run_case(&case, &store).unwrap_err();
        assert!(
            failure.contains("expected 1 commit(s) to succeed, got [Ok(()), Ok(())]"),
            "{failure}"
        );
    }

    #[test]
    fn like_and_glob_match_as_sql_does() {
        assert!(like(b"abc", b"a_%", None));
        assert!(!like(b"a", b"a_%", None));
        assert!(like(b"a%x", b"a\\%%", Some(b'\\')));
        assert!(!like(b"abx", b"a\\%%", Some(b'\\')));
        assert!(glob(b"a[b]", b"a[[]*"));
        assert!(!glob(b"a[b]", b"a[*"));
        assert!(glob(b"axyz", b"a?*"));
    }
}
