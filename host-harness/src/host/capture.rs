//! Shared bookkeeping of the mail and notification captures: at-most-once per idempotency key,
//! duplicate and attempt counting, failure injection.

use std::collections::HashSet;
use std::sync::{Arc, Mutex, MutexGuard};

use super::{Fault, FaultSwitch};

/// What became of one delivery attempt.
pub(crate) enum Outcome {
    /// Recorded as delivered.
    Delivered,
    /// The key was delivered before: counted as a duplicate, not recorded again.
    Duplicate,
    /// An injected failure.
    Failed(Fault),
}

/// Delivered items of type `T`, keyed by idempotency key.
#[derive(Debug)]
pub(crate) struct Capture<T> {
    state: Arc<Mutex<State<T>>>,
    pub(crate) faults: FaultSwitch,
}

impl<T> Clone for Capture<T> {
    fn clone(&self) -> Self {
        Self {
            state: self.state.clone(),
            faults: self.faults.clone(),
        }
    }
}

impl<T> Default for Capture<T> {
    fn default() -> Self {
        Self {
            state: Arc::new(Mutex::new(State {
                items: Vec::new(),
                taken: 0,
                keys: HashSet::new(),
                duplicates: Vec::new(),
                attempts: 0,
                failures: 0,
            })),
            faults: FaultSwitch::default(),
        }
    }
}

#[derive(Debug)]
struct State<T> {
    items: Vec<T>,
    /// How many of `items` `take_new` has handed out.
    taken: usize,
    keys: HashSet<String>,
    duplicates: Vec<String>,
    attempts: u64,
    failures: u64,
}

impl<T: Clone> Capture<T> {
    fn lock(&self) -> MutexGuard<'_, State<T>> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub(crate) fn deliver(&self, key: &str, item: T) -> Outcome {
        let mut state = self.lock();
        state.attempts += 1;
        if let Some(fault) = self.faults.trip() {
            state.failures += 1;
            return Outcome::Failed(fault);
        }
        if !state.keys.insert(key.to_owned()) {
            state.duplicates.push(key.to_owned());
            return Outcome::Duplicate;
        }
        state.items.push(item);
        Outcome::Delivered
    }

    pub(crate) fn all(&self) -> Vec<T> {
        self.lock().items.clone()
    }

    pub(crate) fn take_new(&self) -> Vec<T> {
        let mut state = self.lock();
        let new = state.items[state.taken..].to_vec();
        state.taken = state.items.len();
        new
    }

    pub(crate) fn len(&self) -> usize {
        self.lock().items.len()
    }

    pub(crate) fn duplicates(&self) -> Vec<String> {
        self.lock().duplicates.clone()
    }

    pub(crate) fn attempts(&self) -> u64 {
        self.lock().attempts
    }

    pub(crate) fn failures(&self) -> u64 {
        self.lock().failures
    }

    pub(crate) fn clear(&self) {
        let mut state = self.lock();
        state.items.clear();
        state.taken = 0;
        state.keys.clear();
        state.duplicates.clear();
        state.attempts = 0;
        state.failures = 0;
    }
}
