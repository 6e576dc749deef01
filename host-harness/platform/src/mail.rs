//! The `mail` import: [`MailCapture`], delivering through [`MailDelivery`].

use std::collections::HashSet;
use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{SystemTime, UNIX_EPOCH};

use anyhow::Result;
use lettre::message::Mailbox;
use order_messages_host::Mailer;

use super::address_book::AddressBook;
use super::capture::{Capture, Delivered, Delivery};
use super::eml;
use super::sent_log::{MemorySentLog, SentCopy, SentLog, SqliteSentLog};
use super::smtp::{DEFAULT_FROM, SmtpConfig, SmtpFailure, SmtpRelay};
use super::sqlite::Database;
use order_messages_host::types::{Mail, MailError};

/// The `mail` import: every mail the addon sent, at most once per idempotency key.
///
/// Each recipient's address comes from the [`AddressBook`] ([`MailCapture::addresses`]); each
/// recipient with one gets a separate copy, over SMTP when a relay is configured
/// ([`MailCapture::relay_via`]), else only into the capture. Either way the capture keeps every
/// mail sent ([`Capture::all`], the harness's outbox view, writable as `.eml` files with
/// [`MailCapture::write_eml`]) and the [`SentLog`] every accepted copy
/// ([`MailCapture::sent_copies`]; durable with [`MailCapture::keep_sent_log_in`]).
///
/// At most once per key and recipient: a copy is recorded in the sent log only after the server
/// accepted it, and a retry sends only the copies not recorded yet. (A connection lost after
/// the message's final dot but before the server's reply leaves it unknown whether the server
/// took it; such a copy is sent again on the retry, as with any SMTP client.) Sends are
/// serialised, so concurrent sessions cannot send one key twice.
///
/// What [`MailCapture::send`] returns, after any injected fault:
/// - `Ok`: every recipient with an address got a copy, now or before; or those whose server
///   refused permanently (5xx) were refused while at least one other got it.
/// - `unavailable`: a copy could not be sent for now (no connection, timeout, 4xx, TLS, or
///   the server refusing the relay's credentials: a configuration to fix, not a reason to drop
///   mail); the copies that did go out are recorded, and the addon's retry sends only the
///   others. After a failure to connect at all, the other copies are not tried.
/// - `rejected`: no recipient has an address, or the server refused every copy (5xx).
///
/// ```no_run
/// use order_messages_platform::{Platform, SmtpConfig};
///
/// let platform = Platform::new();
/// platform.mail.addresses().set("c1", "Alice <alice@shop.test>")?;
/// platform.mail.relay_via("127.0.0.1:2525".parse::<SmtpConfig>()?)?;
/// // … run sessions; then:
/// for copy in platform.mail.sent_copies()? {
///     println!("{} → {} via {:?}", copy.key, copy.to, copy.via);
/// }
/// let export = platform.mail.write_eml("outbox")?;
/// for failure in &export.failures {
///     eprintln!("not written: {failure}");
/// }
/// # anyhow::Ok(())
/// ```
pub type MailCapture = Capture<Mail, MailDelivery>;

impl Delivered for Mail {
    fn key(&self) -> &str {
        &self.idempotency_key
    }

    fn recipients(&self) -> &[String] {
        &self.recipients
    }
}

/// How a [`MailCapture`] delivers: the address book, the sent log and the optional SMTP relay.
/// Shared by clones; reach it through the `MailCapture` methods.
#[derive(Clone, Debug, Default)]
pub struct MailDelivery {
    addresses: AddressBook,
    /// Locked for the whole of a send, so concurrent sends of one key cannot both go out.
    route: Arc<Mutex<Route>>,
}

#[derive(Debug)]
struct Route {
    relay: Option<SmtpRelay>,
    log: Box<dyn SentLog>,
}

impl Default for Route {
    fn default() -> Self {
        Self {
            relay: None,
            log: Box::new(MemorySentLog::new()),
        }
    }
}

impl Delivery for MailDelivery {
    fn forget(&self) {
        // The in-memory log cannot fail; a durable one that does keeps its copies.
        let _ = self.lock().log.clear();
    }
}

/// What a successful transmission did.
enum Transmitted {
    /// At least one copy went out now.
    Now,
    /// Every copy had gone out before: nothing was sent.
    Before,
}

impl MailDelivery {
    fn lock(&self) -> MutexGuard<'_, Route> {
        self.route.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn transmit(&self, mail: &Mail) -> Result<Transmitted, MailError> {
        let mut route = self.lock();
        let key = &mail.idempotency_key;
        let served: HashSet<String> = route
            .log
            .copies(key)
            .map_err(|e| MailError::Unavailable(format!("reading the sent log: {e:#}")))?
            .into_iter()
            .map(|c| c.user_id)
            .collect();

        let mut seen = HashSet::new();
        let mut targets: Vec<(&str, Mailbox)> = Vec::new();
        let mut unaddressed = Vec::new();
        for user in &mail.recipients {
            if !seen.insert(user.as_str()) || served.contains(user) {
                continue;
            }
            match self.addresses.resolve(user) {
                Some(mailbox) => targets.push((user, mailbox)),
                None => unaddressed.push(user.as_str()),
            }
        }
        if targets.is_empty() {
            return if served.is_empty() {
                Err(MailError::Rejected(format!(
                    "no recipient has an email address ({})",
                    unaddressed.join(", ")
                )))
            } else {
                Ok(Transmitted::Before)
            };
        }

        let from = match &route.relay {
            Some(relay) => relay.from().to_string(),
            None => DEFAULT_FROM.to_owned(),
        };
        let via = route.relay.as_ref().map(|r| r.config().server());
        let sent_at = whole_seconds_now();
        let total = targets.len();
        let mut sent = 0;
        let mut temporary: Vec<String> = Vec::new();
        let mut permanent: Vec<String> = Vec::new();
        let mut server_down = false;
        let mut not_tried: Vec<&str> = Vec::new();
        for (user, to) in targets {
            if server_down {
                not_tried.push(user);
                continue;
            }
            let copy = SentCopy {
                key: key.clone(),
                user_id: user.to_owned(),
                to: to.to_string(),
                from: from.clone(),
                sent_at,
                via: via.clone(),
            };
            let message = eml::compose(mail, &copy)
                .map_err(|e| MailError::Rejected(format!("for {user}: {e:#}")))?;
            let outcome = match &route.relay {
                Some(relay) => relay.send(&message),
                None => Ok(()),
            };
            match outcome {
                Ok(()) => {
                    route.log.record(&copy).map_err(|e| {
                        MailError::Unavailable(format!(
                            "sent to {user} but not recorded in the sent log: {e:#}"
                        ))
                    })?;
                    sent += 1;
                }
                Err(SmtpFailure::Temporary {
                    reason,
                    server_wide,
                }) => {
                    temporary.push(format!("{user}: {reason}"));
                    // The server cannot be talked to: the other copies wait for the retry.
                    server_down = server_wide;
                }
                Err(SmtpFailure::Permanent(reason)) => permanent.push(format!("{user}: {reason}")),
            }
        }

        if !temporary.is_empty() {
            let mut message = temporary.join("; ");
            if !not_tried.is_empty() {
                message.push_str(&format!("; not tried: {}", not_tried.join(", ")));
            }
            message.push_str(&format!("; {sent} of {total} copies sent"));
            Err(MailError::Unavailable(message))
        } else if sent > 0 {
            Ok(Transmitted::Now)
        } else if !served.is_empty() {
            Ok(Transmitted::Before)
        } else {
            Err(MailError::Rejected(permanent.join("; ")))
        }
    }
}

fn whole_seconds_now() -> i64 {
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    secs as i64 * 1000
}

/// `mail.send`: a copy to each recipient with an address that has not had one (see
/// [`MailCapture`] for the outcomes). The mail is recorded in the capture once every copy is
/// out.
impl Mailer for MailCapture {
    fn send(&self, mail: &Mail) -> Result<(), MailError> {
        self.attempt();
        match self.delivery.transmit(mail)? {
            Transmitted::Now => {
                self.record(mail.clone());
            }
            Transmitted::Before => self.note_duplicate(&mail.idempotency_key),
        }
        Ok(())
    }
}

impl MailCapture {
    /// Delivers from now on through the SMTP server of `config` (checked here; no connection
    /// is made until a mail is sent).
    pub fn relay_via(&self, config: SmtpConfig) -> Result<()> {
        let relay = SmtpRelay::new(config)?;
        self.delivery.lock().relay = Some(relay);
        Ok(())
    }

    /// Stops relaying: mail is only captured again (the default).
    pub fn capture_only(&self) {
        self.delivery.lock().relay = None;
    }

    /// The SMTP relay's configuration, if mail is relayed.
    pub fn relay(&self) -> Option<SmtpConfig> {
        self.delivery
            .lock()
            .relay
            .as_ref()
            .map(|r| r.config().clone())
    }

    /// The users' addresses (shared: changes apply to later sends).
    pub fn addresses(&self) -> &AddressBook {
        &self.delivery.addresses
    }

    /// Keeps the sent log in `log` from now on (e.g. a durable one); the copies recorded in the
    /// previous log are not carried over.
    pub fn set_sent_log(&self, log: impl SentLog + 'static) {
        self.delivery.lock().log = Box::new(log);
    }

    /// Keeps the sent log in a table of `db` from now on (see [`SqliteSentLog`]), typically the
    /// database of the host's storage ([`SharedStorage::database`](crate::SharedStorage::database)), so a
    /// mail sent by an earlier process is not sent again.
    pub fn keep_sent_log_in(&self, db: &Database) -> Result<()> {
        self.set_sent_log(SqliteSentLog::on(db)?);
        Ok(())
    }

    /// Every copy sent so far, in the order sent.
    pub fn sent_copies(&self) -> Result<Vec<SentCopy>> {
        self.delivery.lock().log.all()
    }

    /// The `.eml` bytes (RFC 5322, exactly what went over SMTP) of each copy of the captured
    /// mail `key`, with the copy. Empty if no mail of that key was captured.
    pub fn eml(&self, key: &str) -> Result<Vec<(SentCopy, Vec<u8>)>> {
        let Some(mail) = self.all().into_iter().find(|m| m.idempotency_key == key) else {
            return Ok(Vec::new());
        };
        let copies = self.delivery.lock().log.copies(key)?;
        copies
            .into_iter()
            .map(|copy| {
                let bytes = eml::compose(&mail, &copy)?.formatted();
                Ok((copy, bytes))
            })
            .collect()
    }

    /// Writes each copy of each captured mail into `dir` (created if missing) as an `.eml`
    /// file, in the order the mails were sent, and reports what it did; see
    /// [`eml::write_files`]: nothing is overwritten or written through a link, a copy that
    /// cannot be written does not stop the others, and writing again finds the files it wrote.
    pub fn write_eml(&self, dir: impl AsRef<Path>) -> Result<eml::EmlExport> {
        let mails = self.all();
        let mut copies = Vec::new();
        for mail in &mails {
            for copy in self.delivery.lock().log.copies(&mail.idempotency_key)? {
                copies.push((mail, copy));
            }
        }
        eml::write_files(dir.as_ref(), copies.iter().map(|(m, c)| (*m, c)))
    }
}
