//! The `mail` import: captures every mail instead of sending it.

use super::Fault;
use super::capture::{Capture, Outcome};
use crate::types::{Mail, MailError};

/// Every mail the addon sent, at most once per idempotency key (as a real host must).
/// Cheap to clone; clones share the record.
#[derive(Clone, Debug, Default)]
pub struct MailCapture {
    inner: Capture<Mail>,
}

impl MailCapture {
    /// Every mail delivered so far, in order.
    pub fn sent(&self) -> Vec<Mail> {
        self.inner.all()
    }

    /// The mails delivered since the previous `take_new` (or since the start).
    pub fn take_new(&self) -> Vec<Mail> {
        self.inner.take_new()
    }

    /// The mails delivered so far to `user_id`.
    pub fn sent_to(&self, user_id: &str) -> Vec<Mail> {
        let mut mails = self.sent();
        mails.retain(|m| m.recipients.iter().any(|r| r == user_id));
        mails
    }

    /// How many mails were delivered.
    pub fn count(&self) -> usize {
        self.inner.len()
    }

    /// Idempotency keys sent again after they had been delivered (each repeat listed once).
    /// The repeats were acknowledged but not recorded again.
    pub fn duplicates(&self) -> Vec<String> {
        self.inner.duplicates()
    }

    /// Calls to `send`, including failed and duplicate ones.
    pub fn attempts(&self) -> u64 {
        self.inner.attempts()
    }

    /// Calls to `send` that failed by injection.
    pub fn failures(&self) -> u64 {
        self.inner.failures()
    }

    /// Makes the next `n` sends fail (`unavailable` or `rejected`).
    pub fn fail_next(&self, n: u32, fault: Fault) {
        self.inner.faults.fail_next(n, fault);
    }

    /// Makes every send fail until [`MailCapture::recover`].
    pub fn fail_always(&self, fault: Fault) {
        self.inner.faults.fail_always(fault);
    }

    /// Stops injecting failures.
    pub fn recover(&self) {
        self.inner.faults.clear();
    }

    /// Forgets everything recorded, including the delivered keys.
    pub fn clear(&self) {
        self.inner.clear();
    }

    /// `mail.send`.
    pub fn send(&self, mail: Mail) -> Result<(), MailError> {
        let key = mail.idempotency_key.clone();
        match self.inner.deliver(&key, mail) {
            Outcome::Delivered | Outcome::Duplicate => Ok(()),
            Outcome::Failed(Fault::Unavailable) => Err(MailError::Unavailable(
                "injected fault: mail server unavailable".into(),
            )),
            Outcome::Failed(Fault::Rejected) => {
                Err(MailError::Rejected("injected fault: mail rejected".into()))
            }
        }
    }
}
