//! The `mail` import: captures every mail instead of sending it.

use super::Fault;
use super::capture::{Capture, Delivered, Outcome};
use crate::types::{Mail, MailError};

/// Every mail the addon sent, at most once per idempotency key.
pub type MailCapture = Capture<Mail>;

impl Delivered for Mail {
    fn key(&self) -> &str {
        &self.idempotency_key
    }

    fn recipients(&self) -> &[String] {
        &self.recipients
    }
}

impl MailCapture {
    /// `mail.send`.
    pub fn send(&self, mail: Mail) -> Result<(), MailError> {
        match self.deliver(mail) {
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
