//! The `notifications` import: captures every push.

use super::Fault;
use super::capture::{Capture, Delivered, Outcome};
use crate::types::{Event, NotifyError};

/// One `push` call that was delivered.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Push {
    /// The push's idempotency key.
    pub key: String,
    /// The users it went to.
    pub recipients: Vec<String>,
    /// What happened.
    pub event: Event,
}

/// Every push the addon made, at most once per idempotency key.
pub type NotificationCapture = Capture<Push>;

impl Delivered for Push {
    fn key(&self) -> &str {
        &self.key
    }

    fn recipients(&self) -> &[String] {
        &self.recipients
    }
}

impl NotificationCapture {
    /// `notifications.push`.
    pub fn push(&self, push: Push) -> Result<(), NotifyError> {
        match self.deliver(push) {
            Outcome::Delivered | Outcome::Duplicate => Ok(()),
            Outcome::Failed(Fault::Unavailable) => Err(NotifyError::Unavailable(
                "injected fault: notification service unavailable".into(),
            )),
            Outcome::Failed(Fault::Rejected) => Err(NotifyError::Rejected(
                "injected fault: notification rejected".into(),
            )),
        }
    }
}
