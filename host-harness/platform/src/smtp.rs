//! Delivery over SMTP with `lettre`'s blocking transport: the configuration and the mapping of
//! SMTP outcomes to the `mail` import's errors.

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use lettre::message::Mailbox;
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Tls, TlsParameters};
use lettre::{Message, SmtpTransport, Transport};

/// The sender a mail gets when no relay with its own `from` is configured.
pub const DEFAULT_FROM: &str = "Order messages <order-messages@example.test>";

/// How long one SMTP step (connecting, each command and reply) may take by default.
pub const DEFAULT_SMTP_TIMEOUT: Duration = Duration::from_secs(10);

/// How the connection to the SMTP server is secured.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum SmtpTls {
    /// Plain text (for a server on loopback, or a trusted network). Default port 25.
    #[default]
    None,
    /// Plain text upgraded with `STARTTLS`, which the server must offer. Default port 587.
    StartTls,
    /// TLS from the first byte ("implicit TLS", submissions). Default port 465.
    Tls,
}

impl SmtpTls {
    /// The usual port for this mode: 25, 587 or 465.
    pub fn default_port(self) -> u16 {
        match self {
            SmtpTls::None => 25,
            SmtpTls::StartTls => 587,
            SmtpTls::Tls => 465,
        }
    }
}

impl FromStr for SmtpTls {
    type Err = anyhow::Error;

    /// `none`, `starttls` or `tls`.
    fn from_str(s: &str) -> Result<Self> {
        match s.to_ascii_lowercase().as_str() {
            "none" | "plain" => Ok(SmtpTls::None),
            "starttls" => Ok(SmtpTls::StartTls),
            "tls" | "implicit" => Ok(SmtpTls::Tls),
            other => bail!("unknown SMTP TLS mode `{other}` (none, starttls or tls)"),
        }
    }
}

/// A user name and password for SMTP `AUTH` (PLAIN or LOGIN). `Debug` hides the password.
#[derive(Clone, PartialEq, Eq)]
pub struct SmtpCredentials {
    /// The user name.
    pub user: String,
    /// The password.
    pub password: String,
}

impl fmt::Debug for SmtpCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SmtpCredentials")
            .field("user", &self.user)
            .field("password", &"***")
            .finish()
    }
}

/// Where and how to deliver mail over SMTP. Build with [`SmtpConfig::new`] or parse
/// `host[:port]`, then adjust with the `with_…` methods:
///
/// ```
/// use order_messages_platform::{SmtpConfig, SmtpTls};
///
/// let config: SmtpConfig = "127.0.0.1:2525".parse().unwrap();
/// assert_eq!((config.host.as_str(), config.port, config.tls), ("127.0.0.1", 2525, SmtpTls::None));
/// let config = SmtpConfig::new("smtp.example.com", 587)
///     .with_tls(SmtpTls::StartTls)
///     .with_credentials("shop", "secret")
///     .with_from("Shop <shop@example.com>");
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SmtpConfig {
    /// The server's host name or IP address (also the name its TLS certificate must carry).
    pub host: String,
    /// The server's port.
    pub port: u16,
    /// How the connection is secured.
    pub tls: SmtpTls,
    /// Credentials for `AUTH`, if the server wants them.
    pub credentials: Option<SmtpCredentials>,
    /// The sender (`From:` and the envelope's `MAIL FROM`): `addr` or `Name <addr>`.
    pub from: String,
    /// How long connecting, and each command's reply, may take.
    pub timeout: Duration,
}

impl SmtpConfig {
    /// A server at `host:port`, plain text, no credentials, sender [`DEFAULT_FROM`], timeout
    /// [`DEFAULT_SMTP_TIMEOUT`].
    pub fn new(host: impl Into<String>, port: u16) -> Self {
        Self {
            host: host.into(),
            port,
            tls: SmtpTls::None,
            credentials: None,
            from: DEFAULT_FROM.to_owned(),
            timeout: DEFAULT_SMTP_TIMEOUT,
        }
    }

    /// The same with another TLS mode (the port stays).
    pub fn with_tls(mut self, tls: SmtpTls) -> Self {
        self.tls = tls;
        self
    }

    /// The same with credentials.
    pub fn with_credentials(
        mut self,
        user: impl Into<String>,
        password: impl Into<String>,
    ) -> Self {
        self.credentials = Some(SmtpCredentials {
            user: user.into(),
            password: password.into(),
        });
        self
    }

    /// The same with another sender, `addr` or `Name <addr>` (checked by
    /// [`MailCapture::relay_via`](super::MailCapture::relay_via)).
    pub fn with_from(mut self, from: impl Into<String>) -> Self {
        self.from = from.into();
        self
    }

    /// The same with another timeout.
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// `host:port`, as the sent log records it.
    pub fn server(&self) -> String {
        if self.host.contains(':') {
            format!("[{}]:{}", self.host, self.port)
        } else {
            format!("{}:{}", self.host, self.port)
        }
    }
}

impl FromStr for SmtpConfig {
    type Err = anyhow::Error;

    /// `host`, `host:port`, `[v6-address]` or `[v6-address]:port`; plain text, the port
    /// defaults to 25. See [`SmtpConfig::from_server`] for another TLS mode.
    fn from_str(s: &str) -> Result<Self> {
        Self::from_server(s, SmtpTls::None)
    }
}

impl SmtpConfig {
    /// A server written `host`, `host:port`, `[v6-address]` or `[v6-address]:port` (as on a
    /// command line), secured with `tls`; without a port, the mode's usual one
    /// ([`SmtpTls::default_port`]).
    pub fn from_server(s: &str, tls: SmtpTls) -> Result<Self> {
        let bad = || format!("`{s}` is not an SMTP server (host or host:port)");
        let (host, port) = if let Some(rest) = s.strip_prefix('[') {
            let (host, after) = rest.split_once(']').with_context(bad)?;
            match after.strip_prefix(':') {
                Some(port) => (host, Some(port)),
                None if after.is_empty() => (host, None),
                None => bail!(bad()),
            }
        } else {
            match s.split_once(':') {
                Some((host, port)) => (host, Some(port)),
                None => (s, None),
            }
        };
        if host.is_empty() || host.contains(char::is_whitespace) {
            bail!(bad());
        }
        let port = match port {
            Some(p) => p.parse().with_context(bad)?,
            None => tls.default_port(),
        };
        Ok(Self::new(host, port).with_tls(tls))
    }
}

/// Why the server did not take a message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum SmtpFailure {
    /// Worth retrying later: no connection, a timeout, a 4xx reply, a TLS failure.
    /// `server_wide`: the server could not be talked to at all (not a reply about this
    /// message), so other recipients need not be tried now.
    Temporary { reason: String, server_wide: bool },
    /// A 5xx reply: retrying will not help.
    Permanent(String),
}

/// A configured SMTP transport.
#[derive(Clone, Debug)]
pub(crate) struct SmtpRelay {
    config: SmtpConfig,
    from: Mailbox,
    transport: SmtpTransport,
}

impl SmtpRelay {
    /// Checks the configuration and prepares the transport (no connection is made yet).
    pub(crate) fn new(config: SmtpConfig) -> Result<Self> {
        let from: Mailbox = config.from.parse().with_context(|| {
            format!("the SMTP sender `{}` is not an email address", config.from)
        })?;
        let tls = match config.tls {
            SmtpTls::None => Tls::None,
            SmtpTls::StartTls => Tls::Required(tls_parameters(&config.host)?),
            SmtpTls::Tls => Tls::Wrapper(tls_parameters(&config.host)?),
        };
        let mut builder = SmtpTransport::builder_dangerous(config.host.as_str())
            .port(config.port)
            .tls(tls)
            .timeout(Some(config.timeout));
        if let Some(c) = &config.credentials {
            builder = builder.credentials(Credentials::new(c.user.clone(), c.password.clone()));
        }
        Ok(Self {
            transport: builder.build(),
            from,
            config,
        })
    }

    pub(crate) fn config(&self) -> &SmtpConfig {
        &self.config
    }

    /// The sender of every message through this relay.
    pub(crate) fn from(&self) -> &Mailbox {
        &self.from
    }

    /// Sends one message (its envelope: its `From` and `To`) in one SMTP transaction on a
    /// fresh connection; `Ok` once the server accepted it after `DATA`.
    pub(crate) fn send(&self, message: &Message) -> Result<(), SmtpFailure> {
        let server = self.config.server();
        self.transport.send(message).map(drop).map_err(|e| {
            let reason = format!("SMTP server {server}: {e}");
            let code = e.status().map(u16::from);
            if e.is_permanent() && !code.is_some_and(refuses_the_client) {
                SmtpFailure::Permanent(reason)
            } else {
                SmtpFailure::Temporary {
                    reason,
                    // No reply (no connection, timeout, TLS), a server closing down (421), or a
                    // refusal of our credentials: no use trying the other recipients now.
                    server_wide: code.is_none_or(|c| c == 421 || refuses_the_client(c)),
                }
            }
        })
    }
}

/// 5xx replies that refuse the client, not the message: authentication required (530), too
/// weak (534), credentials invalid (535), encryption required (538). A misconfigured relay
/// must not turn the outbox into dead letters, so these count as temporary: the mail is sent
/// once the configuration is fixed.
fn refuses_the_client(code: u16) -> bool {
    matches!(code, 530 | 534 | 535 | 538)
}

fn tls_parameters(host: &str) -> Result<TlsParameters> {
    TlsParameters::new(host.to_owned())
        .with_context(|| format!("TLS settings for the SMTP server {host}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn servers_parse_with_and_without_port() {
        let c: SmtpConfig = "mail.test:2525".parse().unwrap();
        assert_eq!((c.host.as_str(), c.port), ("mail.test", 2525));
        assert_eq!(c.server(), "mail.test:2525");
        let c: SmtpConfig = "mail.test".parse().unwrap();
        assert_eq!(c.port, 25);
        let c: SmtpConfig = "[::1]:2525".parse().unwrap();
        assert_eq!((c.host.as_str(), c.port), ("::1", 2525));
        assert_eq!(c.server(), "[::1]:2525");
        for bad in ["", ":25", "mail.test:port", "[::1", "[::1]x", "a b:25"] {
            assert!(bad.parse::<SmtpConfig>().is_err(), "{bad:?}");
        }
        let c = SmtpConfig::from_server("smtp.example.com", SmtpTls::Tls).unwrap();
        assert_eq!((c.port, c.tls), (465, SmtpTls::Tls));
        let c = SmtpConfig::from_server("smtp.example.com:2465", SmtpTls::Tls).unwrap();
        assert_eq!((c.port, c.tls), (2465, SmtpTls::Tls));
        assert_eq!("STARTTLS".parse::<SmtpTls>().unwrap(), SmtpTls::StartTls);
        assert!("ssl3".parse::<SmtpTls>().is_err());
        assert_eq!(SmtpTls::Tls.default_port(), 465);
    }

    #[test]
    fn a_relay_checks_its_sender_and_hides_the_password() {
        let bad = SmtpConfig::new("127.0.0.1", 25).with_from("nobody");
        let err = SmtpRelay::new(bad).unwrap_err();
        assert!(format!("{err:#}").contains("`nobody` is not an email address"));
        let config = SmtpConfig::new("mail.test", 465)
            .with_tls(SmtpTls::Tls)
            .with_credentials("shop", "hunter2");
        assert!(!format!("{config:?}").contains("hunter2"));
        let relay = SmtpRelay::new(config).unwrap();
        assert_eq!(relay.from().to_string(), DEFAULT_FROM);
    }
}
