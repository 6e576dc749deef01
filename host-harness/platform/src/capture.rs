//! Shared bookkeeping of the mail and notification captures: at-most-once per idempotency key,
//! duplicate and attempt counting. (Failures are injected around them, by [`crate::Faulty`].)

use std::collections::HashSet;
use std::sync::{Arc, Mutex, MutexGuard};

/// What became of one delivery attempt.
pub(crate) enum Outcome {
    /// Recorded as delivered.
    Delivered,
    /// The key was delivered before: counted as a duplicate, not recorded again.
    Duplicate,
}

/// Something the addon hands to the host with recipients and an idempotency key.
pub trait Delivered: Clone {
    /// The idempotency key.
    fn key(&self) -> &str;
    /// The users it goes to.
    fn recipients(&self) -> &[String];
}

/// What delivers items beyond recording them, kept in a [`Capture`]: for mail,
/// [`MailDelivery`](super::MailDelivery) (addresses, sent log, optional SMTP relay); `()` when
/// recording is all there is.
pub trait Delivery: Clone + Default + std::fmt::Debug {
    /// Forgets what it remembers, for [`Capture::clear`].
    fn forget(&self);
}

impl Delivery for () {
    fn forget(&self) {}
}

/// Every item of type `T` the addon delivered through an import, at most once per idempotency
/// key (as a real host must), with failure injection; `D` delivers them further (nothing by
/// default). Cheap to clone; clones share the record.
/// See [`MailCapture`](super::MailCapture) and [`NotificationCapture`](super::NotificationCapture).
#[derive(Debug)]
pub struct Capture<T, D = ()> {
    state: Arc<Mutex<State<T>>>,
    pub(crate) delivery: D,
    listeners: Listeners<T>,
}

/// A callback [`Capture::subscribe`] registered.
type Listener<T> = Arc<dyn Fn(&T) + Send + Sync>;

/// The callbacks told of every recorded item, shared by clones of a capture.
struct Listeners<T>(Arc<Mutex<Vec<Listener<T>>>>);

impl<T> Clone for Listeners<T> {
    fn clone(&self) -> Self {
        Self(self.0.clone())
    }
}

impl<T> Default for Listeners<T> {
    fn default() -> Self {
        Self(Arc::new(Mutex::new(Vec::new())))
    }
}

impl<T> std::fmt::Debug for Listeners<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let count = self.0.lock().map(|l| l.len()).unwrap_or_default();
        write!(f, "{count} listener(s)")
    }
}

impl<T, D: Clone> Clone for Capture<T, D> {
    fn clone(&self) -> Self {
        Self {
            state: self.state.clone(),
            delivery: self.delivery.clone(),
            listeners: self.listeners.clone(),
        }
    }
}

impl<T, D: Default> Default for Capture<T, D> {
    fn default() -> Self {
        Self {
            state: Arc::new(Mutex::new(State {
                items: Vec::new(),
                taken: 0,
                keys: HashSet::new(),
                duplicates: Vec::new(),
                attempts: 0,
            })),
            delivery: D::default(),
            listeners: Listeners::default(),
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
}

impl<T: Delivered, D: Delivery> Capture<T, D> {
    fn lock(&self) -> MutexGuard<'_, State<T>> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Record one delivery attempt (the import's implementation calls this): [`Capture::attempt`]
    /// then [`Capture::record`].
    pub(crate) fn deliver(&self, item: T) -> Outcome {
        self.attempt();
        self.record(item)
    }

    /// Counts one call.
    pub(crate) fn attempt(&self) {
        self.lock().attempts += 1;
    }

    /// Records a delivered item, or counts a duplicate if its key was recorded before.
    pub(crate) fn record(&self, item: T) -> Outcome {
        {
            let mut state = self.lock();
            if !state.keys.insert(item.key().to_owned()) {
                state.duplicates.push(item.key().to_owned());
                return Outcome::Duplicate;
            }
            state.items.push(item.clone());
        }
        // Outside the lock, so a listener may read the capture.
        let listeners = self
            .listeners
            .0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone();
        for listener in &listeners {
            listener(&item);
        }
        Outcome::Delivered
    }

    /// Calls `listener` with every item recorded from now on (not repeats of a key, nor failed
    /// attempts), on the delivering thread, right after it is recorded: how a live view (the
    /// web admin's server-sent events) follows deliveries. Keep it quick and non-blocking;
    /// listeners stay for the capture's lifetime.
    pub fn subscribe(&self, listener: impl Fn(&T) + Send + Sync + 'static) {
        self.listeners
            .0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(Arc::new(listener));
    }

    /// Counts a repeat of `key`, delivered before (perhaps by an earlier process, as a durable
    /// sent log knows), without recording anything.
    pub(crate) fn note_duplicate(&self, key: &str) {
        self.lock().duplicates.push(key.to_owned());
    }

    /// Everything delivered so far, in order.
    pub fn all(&self) -> Vec<T> {
        self.lock().items.clone()
    }

    /// What was delivered since the previous `take_new` (or since the start).
    pub fn take_new(&self) -> Vec<T> {
        let mut state = self.lock();
        let new = state.items[state.taken..].to_vec();
        state.taken = state.items.len();
        new
    }

    /// What was delivered so far to `user_id`.
    pub fn to(&self, user_id: &str) -> Vec<T> {
        let mut items = self.all();
        items.retain(|i| i.recipients().iter().any(|r| r == user_id));
        items
    }

    /// How many items were delivered (each key once).
    pub fn count(&self) -> usize {
        self.lock().items.len()
    }

    /// Keys delivered again after they had been delivered (each repeat listed once). The
    /// repeats were acknowledged but not recorded again.
    pub fn duplicates(&self) -> Vec<String> {
        self.lock().duplicates.clone()
    }

    /// Calls that reached the capture, duplicate ones included (not those a [`crate::Faulty`]
    /// around it failed).
    pub fn attempts(&self) -> u64 {
        self.lock().attempts
    }

    /// Forgets everything recorded, including the delivered keys (for mail, the sent log too).
    pub fn clear(&self) {
        self.delivery.forget();
        let mut state = self.lock();
        state.items.clear();
        state.taken = 0;
        state.keys.clear();
        state.duplicates.clear();
        state.attempts = 0;
    }
}

#[cfg(test)]
mod tests {
    use std::sync::mpsc;

    use order_messages_host::Notifier;
    use order_messages_host::types::{BellCounts, Event, NotifyError, UserCounts};

    use crate::{Fault, Faulty, NotificationCapture, Push};

    fn push(to: &impl Notifier, key: &str) -> Result<(), NotifyError> {
        let counts = Event::CountsChanged(vec![UserCounts {
            user: "s1".into(),
            counts: BellCounts {
                unread_threads: 1,
                open_disputes: 0,
            },
        }]);
        to.push(key, &["s1".to_owned()], &counts)
    }

    #[test]
    fn subscribers_hear_each_recorded_item_once() {
        let capture = Faulty::new(NotificationCapture::default());
        push(&capture, "before").unwrap();
        let (tx, rx) = mpsc::channel();
        let tx = std::sync::Mutex::new(tx);
        // Subscribed on a clone: clones share the listeners.
        (*capture).clone().subscribe(move |p: &Push| {
            tx.lock().unwrap().send(p.key.clone()).unwrap();
        });
        push(&capture, "p1").unwrap();
        push(&capture, "p1").unwrap(); // a repeat: not recorded, not heard
        capture.fail_next(1, Fault::Unavailable);
        assert!(push(&capture, "p2").is_err()); // failed: not heard
        push(&capture, "p2").unwrap();
        let heard: Vec<String> = rx.try_iter().collect();
        assert_eq!(heard, ["p1", "p2"]);
    }
}
