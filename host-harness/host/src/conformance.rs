//! The storage conformance suite: the semantics of the `storage` import (`storage.wit`) as
//! cases every [`Storage`] must pass (feature `conformance`).
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

use std::collections::HashMap;

use serde_json::Value;

use crate::imports::Storage;
use crate::types::{Check, Entry, Put, StorageError, Write};

/// The cases, as shipped with this crate.
pub const CASES_JSON: &str = include_str!("../../conformance/cases.json");

/// One case: its name, the rule it shows, and its steps (JSON, see the format).
#[derive(Clone, Debug)]
pub struct Case {
    /// The case's name, e.g. `scan_limit`.
    pub name: String,
    /// The rule it shows, in prose.
    pub rule: String,
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
            steps: c["steps"].as_array().expect("a case has steps").clone(),
        })
        .collect()
}

/// Runs every case, each on a fresh store from `fresh`.
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
            let got = store
                .scan(
                    &key(&scan["prefix"]),
                    after.as_deref(),
                    limit,
                    scan["reverse"].as_bool().unwrap_or_default(),
                )
                .map_err(|e| format!("scan failed: {e:?}"))?;
            if got.entries.len() > limit as usize {
                return Err(format!(
                    "{} entries for a limit of {limit}",
                    got.entries.len()
                ));
            }
            self.entries(&got.entries, step)
        } else if let Some(pages) = step.get("scan_pages") {
            let prefix = key(&pages["prefix"]);
            let page = pages["page"].as_u64().unwrap_or(1) as u32;
            let reverse = pages["reverse"].as_bool().unwrap_or_default();
            let mut seen: Vec<Entry> = Vec::new();
            let mut cursor: Option<String> = None;
            // Short pages are allowed while `more` is set: keep going until it is not (the
            // bound stops a store that never says so).
            for _ in 0..1_000_000 {
                let got = store
                    .scan(&prefix, cursor.as_deref(), page, reverse)
                    .map_err(|e| format!("scan failed: {e:?}"))?;
                cursor = got.entries.last().map(|e| e.key.clone()).or(cursor);
                seen.extend(got.entries);
                if !got.more {
                    break;
                }
            }
            self.entries(&seen, step)
        } else if let Some(commit) = step.get("commit") {
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
            self.commit_outcome(store.commit(&checks, &writes), &step["expect"])
        } else if step.get("dump").is_some() {
            let all = scan_all(store).map_err(|e| format!("dump failed: {e:?}"))?;
            self.entries(&all, step)?;
            if let Some(name) = step["save_as"].as_str() {
                self.dumps.insert(name.to_owned(), all);
            }
            Ok(())
        } else {
            Err("unknown operation".into())
        }
    }

    fn commit_outcome(&self, outcome: Result<(), StorageError>, expect: &Value) -> Outcome {
        match (outcome, expect.get("conflict")) {
            (Ok(()), None) => Ok(()),
            (Err(StorageError::Conflict(got)), Some(want)) if got == key(want) => Ok(()),
            (got, _) => Err(format!("expected {expect}, got {got:?}")),
        }
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
            Value::Object(o) => Ok(Some(
                self.named(&o["saved"])? + o["plus"].as_u64().unwrap_or_default(),
            )),
            other => self.named(other).map(Some),
        }
    }
}

/// Every entry of the store, in key order, page after page.
fn scan_all(store: &dyn Storage) -> Result<Vec<Entry>, StorageError> {
    let mut all: Vec<Entry> = Vec::new();
    loop {
        let after = all.last().map(|e| e.key.clone());
        let page = store.scan("", after.as_deref(), 1024, false)?;
        all.extend(page.entries);
        if !page.more {
            return Ok(all);
        }
    }
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
    use super::*;
    use crate::MemoryStorage;
    use crate::types::ScanPage;

    /// Every shipped case passes on the in-memory store (one test per case would need a
    /// generator; the failure names the case).
    #[test]
    fn memory_storage_passes_every_case() {
        let cases = cases();
        assert!(cases.len() >= 16, "{} cases", cases.len());
        check_storage(MemoryStorage::new);
    }

    /// A store that breaks a rule fails the suite, naming the case: here versions that repeat
    /// after a delete.
    #[test]
    fn a_store_that_breaks_a_rule_fails_its_case() {
        struct Forgetful(std::sync::Mutex<std::collections::BTreeMap<String, Entry>>);
        impl Storage for Forgetful {
            fn get(&self, key: &str) -> Result<Option<Entry>, StorageError> {
                Ok(self.0.lock().unwrap().get(key).cloned())
            }
            fn scan(
                &self,
                prefix: &str,
                _: Option<&str>,
                limit: u32,
                _: bool,
            ) -> Result<ScanPage, StorageError> {
                let map = self.0.lock().unwrap();
                let all = map.values().filter(|e| e.key.starts_with(prefix)).cloned();
                Ok(ScanPage {
                    entries: all.take(limit as usize).collect(),
                    more: false,
                })
            }
            fn commit(&self, checks: &[Check], writes: &[Write]) -> Result<(), StorageError> {
                let mut map = self.0.lock().unwrap();
                for c in checks {
                    if map.get(&c.key).map(|e| e.version) != c.version {
                        return Err(StorageError::Conflict(c.key.clone()));
                    }
                }
                for w in writes {
                    match w {
                        // Every write gets version 1: versions repeat.
                        Write::Put(p) => {
                            _ = map.insert(
                                p.key.clone(),
                                Entry {
                                    key: p.key.clone(),
                                    value: p.value.clone(),
                                    version: 1,
                                },
                            )
                        }
                        Write::Delete(k) => _ = map.remove(k),
                    }
                }
                Ok(())
            }
        }
        let failed: Vec<String> = cases()
            .iter()
            .filter_map(|case| run_case(case, &Forgetful(Default::default())).err())
            .collect();
        assert!(
            failed
                .iter()
                .any(|f| f.contains("versions_are_never_reused_after_delete")),
            "{failed:#?}"
        );
    }
}
