//! The `notifications` import: captures every push.

use order_messages_host::Notifier;
use order_messages_host::types::{Event, NotifyError};

use crate::capture::{Capture, Delivered};

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

/// `notifications.push`: recorded once per key.
impl Notifier for NotificationCapture {
    fn push(&self, key: &str, recipients: &[String], event: &Event) -> Result<(), NotifyError> {
        self.deliver(Push {
            key: key.to_owned(),
            recipients: recipients.to_vec(),
            event: event.clone(),
        });
        Ok(())
    }
}
