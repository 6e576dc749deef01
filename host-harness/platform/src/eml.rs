//! The RFC 5322 message of one copy of a mail: what the SMTP relay sends and what `.eml` files
//! hold, byte for byte (the `Date:` and MIME boundary come from the sent log's record and the
//! content, never from the moment of rendering); and [`write_files`], which writes them.

use std::collections::hash_map::DefaultHasher;
use std::fmt;
use std::fs::{File, OpenOptions};
use std::hash::{Hash, Hasher};
use std::io::{ErrorKind, Read, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, UNIX_EPOCH};

use anyhow::{Context, Result};
use lettre::Message;
use lettre::message::header::{HeaderName, HeaderValue};
use lettre::message::{Mailbox, MultiPart, SinglePart};
use sha2::{Digest, Sha256};

use super::sent_log::SentCopy;
use order_messages_host::types::Mail;

/// The header carrying the mail's idempotency key.
pub const KEY_HEADER: &str = "X-Order-Messages-Key";
/// The header carrying the id of the order the mail is about.
pub const ORDER_HEADER: &str = "X-Order-Messages-Order";

/// The message of `copy` (one recipient's copy) of `mail`: `From`, `To`, `Subject`, `Date`,
/// a `Message-ID` derived from the idempotency key (the same in every copy), the key and order
/// headers, and a `multipart/alternative` body with the text part and the HTML part (the
/// addon's fragment in a minimal HTML document).
pub fn compose(mail: &Mail, copy: &SentCopy) -> Result<Message> {
    let from: Mailbox = copy
        .from
        .parse()
        .with_context(|| format!("sender `{}`", copy.from))?;
    let to: Mailbox = copy
        .to
        .parse()
        .with_context(|| format!("recipient `{}`", copy.to))?;
    let html = format!(
        "<!DOCTYPE html>\r\n<html><head><meta charset=\"utf-8\"></head><body>\r\n{}\r\n</body></html>\r\n",
        mail.html_body
    );
    let body = MultiPart::alternative()
        .boundary(boundary(mail, copy))
        .singlepart(SinglePart::plain(mail.text_body.clone()))
        .singlepart(SinglePart::html(html));
    Message::builder()
        .message_id(Some(message_id(&mail.idempotency_key, from.email.domain())))
        .date(UNIX_EPOCH + Duration::from_millis(copy.sent_at.max(0) as u64))
        .from(from)
        .to(to)
        .subject(mail.subject.as_str())
        .raw_header(HeaderValue::new(
            HeaderName::new_from_ascii_str(KEY_HEADER),
            mail.idempotency_key.clone(),
        ))
        .raw_header(HeaderValue::new(
            HeaderName::new_from_ascii_str(ORDER_HEADER),
            mail.order_id.clone(),
        ))
        .multipart(body)
        .context("composing the mail")
}

/// `<escaped-key@domain>`: the key with every character but ASCII letters, digits, `-` and `/`
/// written as `=XX` (its UTF-8 bytes), so any key makes a valid, distinct id, the same in every
/// copy of the mail; a key longer than [`MAX_ID_LEFT`] once escaped is [shortened](shorten),
/// so the header, which cannot be folded, stays one short line (at most 78 characters with a
/// domain of up to 23).
pub fn message_id(key: &str, domain: &str) -> String {
    let left = shorten(key, escape(key, |c| c == '-' || c == '/'), MAX_ID_LEFT);
    format!("<{left}@{domain}>")
}

/// The `.eml` file name of one copy: `escaped-key.escaped-user.eml`, where `/` becomes `_` and
/// every other character but ASCII letters, digits and `-` is written `=XX`, each part longer
/// than [`MAX_NAME_PART`] [shortened](shorten); so names are distinct for distinct keys and
/// users, at most 245 bytes (file systems allow 255), and safe on any file system.
pub fn file_name(key: &str, user_id: &str) -> String {
    let part = |s: &str| {
        let escaped = escape(s, |c| c == '-' || c == '/').replace('/', "_");
        shorten(s, escaped, MAX_NAME_PART)
    };
    format!("{}.{}.eml", part(key), part(user_id))
}

/// The longest part (key or user id, escaped) of a file name.
const MAX_NAME_PART: usize = 120;
/// The longest left part (the escaped key) of a `Message-ID`; the mail's keys with short order
/// ids (`1767258000000/o1/000000000001/000`) fit whole.
const MAX_ID_LEFT: usize = 40;
/// Hex digits of the hash that ends a shortened id: 128 bits.
const HASH_DIGITS: usize = 32;

/// `escaped` (the escaped form of `original`) if it has at most `max` characters; else its
/// start, `~` and the first 128 bits of the SHA-256 of `original` in hex, in `max` characters.
/// Escaping never writes `~`, so a shortened id cannot equal a whole one; and SHA-256 gives the
/// same name with any build of the harness, so re-exporting finds the files it wrote before.
fn shorten(original: &str, escaped: String, max: usize) -> String {
    if escaped.len() <= max {
        return escaped;
    }
    let digest: String = Sha256::digest(original.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    // Escaped text is ASCII: any byte index is a character boundary.
    let start = &escaped[..max - 1 - HASH_DIGITS];
    format!("{start}~{}", &digest[..HASH_DIGITS])
}

/// What [`write_files`] did.
#[derive(Debug, Default)]
pub struct EmlExport {
    /// The files now holding their copy, in the order given: written now, or found holding
    /// exactly its bytes (an earlier export's).
    pub files: Vec<PathBuf>,
    /// How many of `files` were found already written.
    pub unchanged: usize,
    /// The copies not written, each with why; the others were written all the same.
    pub failures: Vec<EmlFailure>,
}

/// A copy [`write_files`] did not write.
#[derive(Debug)]
pub struct EmlFailure {
    /// Its file.
    pub path: PathBuf,
    /// Why.
    pub reason: NotWritten,
}

impl fmt::Display for EmlFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.path.display(), self.reason)
    }
}

/// Why a copy's file was not written.
#[derive(Debug)]
pub enum NotWritten {
    /// Something the export did not write is at the path; it is left alone.
    Occupied(Occupant),
    /// The copy could not be composed (an address the mail library refuses).
    Compose(String),
    /// Creating, writing or reading the file failed.
    Io(std::io::Error),
}

/// What is in the way of a copy's file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Occupant {
    /// A symbolic link (never followed).
    Symlink,
    /// Something other than a file, e.g. a folder.
    NotAFile,
    /// A file with other bytes than the copy's.
    OtherFile,
}

impl fmt::Display for NotWritten {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let what = match self {
            NotWritten::Occupied(Occupant::Symlink) => "a symbolic link",
            NotWritten::Occupied(Occupant::NotAFile) => "something that is not a file",
            NotWritten::Occupied(Occupant::OtherFile) => "a file with other contents",
            NotWritten::Compose(e) => return write!(f, "composing the mail: {e}"),
            NotWritten::Io(e) => return write!(f, "{e}"),
        };
        write!(f, "{what} is in the way; left alone")
    }
}

/// Writes each copy of `copies` (a mail and one of its sent copies) into `dir` (created if
/// missing) as an `.eml` file named [`file_name`], and reports what it did. A copy that cannot
/// be written is reported and the others are still written; only a `dir` that cannot be
/// created fails the whole.
///
/// Files are created, never replaced, and a symbolic link in the way is never followed; so
/// the export cannot overwrite anything, in `dir` or through it. Writing again is idempotent
/// for the files the export wrote: a copy always renders the same bytes, and a file that holds
/// exactly them counts as written ([`EmlExport::unchanged`]). Anything else at a copy's name (a
/// link, a folder, a file with other bytes) is left as it is and reported.
pub fn write_files<'a>(
    dir: &Path,
    copies: impl IntoIterator<Item = (&'a Mail, &'a SentCopy)>,
) -> Result<EmlExport> {
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let mut export = EmlExport::default();
    for (mail, copy) in copies {
        let path = dir.join(file_name(&copy.key, &copy.user_id));
        let written = match compose(mail, copy) {
            Ok(message) => write_new(&path, &message.formatted()),
            Err(e) => Err(NotWritten::Compose(format!("{e:#}"))),
        };
        match written {
            Ok(new) => {
                export.unchanged += usize::from(!new);
                export.files.push(path);
            }
            Err(reason) => export.failures.push(EmlFailure { path, reason }),
        }
    }
    Ok(export)
}

/// Writes `bytes` into a new file at `path`: `Ok(true)`; or finds a file there holding exactly
/// `bytes`: `Ok(false)`.
fn write_new(path: &Path, bytes: &[u8]) -> Result<bool, NotWritten> {
    // `create_new` (O_CREAT | O_EXCL) fails on anything at `path`, a dangling link included,
    // instead of following or replacing it.
    match OpenOptions::new().write(true).create_new(true).open(path) {
        Ok(mut file) => match file.write_all(bytes) {
            Ok(()) => Ok(true),
            Err(e) => {
                // Our own partial file: a later export would take it for someone else's.
                drop(file);
                let _ = std::fs::remove_file(path);
                Err(NotWritten::Io(e))
            }
        },
        Err(e) if e.kind() == ErrorKind::AlreadyExists => match occupant(path, bytes) {
            Ok(None) => Ok(false),
            Ok(Some(occupant)) => Err(NotWritten::Occupied(occupant)),
            Err(e) => Err(NotWritten::Io(e)),
        },
        Err(e) => Err(NotWritten::Io(e)),
    }
}

/// What is at `path` if it is not a file holding exactly `bytes`. It looks without following
/// a link; a link swapped in before the read is only read (at most `bytes.len() + 1` bytes),
/// never written.
fn occupant(path: &Path, bytes: &[u8]) -> std::io::Result<Option<Occupant>> {
    let meta = std::fs::symlink_metadata(path)?;
    if meta.file_type().is_symlink() {
        return Ok(Some(Occupant::Symlink));
    }
    if !meta.is_file() {
        return Ok(Some(Occupant::NotAFile));
    }
    if meta.len() != bytes.len() as u64 {
        return Ok(Some(Occupant::OtherFile));
    }
    let mut held = Vec::with_capacity(bytes.len());
    File::open(path)?
        .take(bytes.len() as u64 + 1)
        .read_to_end(&mut held)?;
    Ok((held != bytes).then_some(Occupant::OtherFile))
}

/// Keeps ASCII letters and digits and the characters `keep` accepts; writes the others as
/// `=XX` per UTF-8 byte.
fn escape(s: &str, keep: impl Fn(char) -> bool) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if c.is_ascii_alphanumeric() || keep(c) {
            out.push(c);
        } else {
            let mut buf = [0; 4];
            for b in c.encode_utf8(&mut buf).bytes() {
                out.push_str(&format!("={b:02X}"));
            }
        }
    }
    out
}

/// A MIME boundary that depends only on the copy's content, so rendering again gives the same
/// bytes; it cannot occur in the parts, which would have to contain a hash of themselves.
fn boundary(mail: &Mail, copy: &SentCopy) -> String {
    let mut digest = String::from("om-");
    for salt in [0u8, 1] {
        let mut h = DefaultHasher::new();
        let Mail {
            recipients,
            order_id,
            subject,
            text_body,
            html_body,
            idempotency_key,
        } = mail;
        let content = (recipients, order_id, subject, text_body, html_body);
        (salt, content, idempotency_key, copy).hash(&mut h);
        digest.push_str(&format!("{:016x}", h.finish()));
    }
    digest
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) fn mail() -> Mail {
        Mail {
            recipients: vec!["c1".into()],
            order_id: "o1".into(),
            subject: "New message about order 1001".into(),
            text_body: "Anna (vendor) wrote:\n\nIt ships today.".into(),
            html_body: "<p>It ships <b>today</b> &amp; tomorrow.</p>".into(),
            idempotency_key: "1767258000000/o1/000000000001/000".into(),
        }
    }

    fn copy() -> SentCopy {
        SentCopy {
            key: mail().idempotency_key,
            user_id: "c1".into(),
            to: "Alice <alice@shop.test>".into(),
            from: "Shop <shop@shop.test>".into(),
            sent_at: 1_767_258_000_000,
            via: None,
        }
    }

    #[test]
    fn a_copy_renders_the_same_bytes_every_time() {
        let one = compose(&mail(), &copy()).unwrap().formatted();
        let two = compose(&mail(), &copy()).unwrap().formatted();
        assert_eq!(one, two);
        let text = String::from_utf8(one).unwrap();
        for line in [
            "From: Shop <shop@shop.test>\r\n",
            "To: Alice <alice@shop.test>\r\n",
            "Subject: New message about order 1001\r\n",
            "Date: Thu, 01 Jan 2026 09:00:00 +0000\r\n",
            "Message-ID: <1767258000000/o1/000000000001/000@shop.test>\r\n",
            "X-Order-Messages-Key: 1767258000000/o1/000000000001/000\r\n",
            "X-Order-Messages-Order: o1\r\n",
            "Content-Type: multipart/alternative;",
        ] {
            assert!(text.contains(line), "{line:?} missing in:\n{text}");
        }
        // Another recipient, another boundary; the same Message-ID.
        let other = SentCopy {
            user_id: "c2".into(),
            to: "c2@shop.test".into(),
            ..copy()
        };
        let other = String::from_utf8(compose(&mail(), &other).unwrap().formatted()).unwrap();
        assert!(other.contains("Message-ID: <1767258000000/o1/000000000001/000@shop.test>"));
        assert_ne!(
            boundary(&mail(), &copy()),
            boundary(&mail(), &copy_for("c2"))
        );
    }

    fn copy_for(user: &str) -> SentCopy {
        SentCopy {
            user_id: user.into(),
            ..copy()
        }
    }

    #[test]
    fn header_values_cannot_inject_headers() {
        let mut evil = mail();
        evil.order_id = "o1\r\nBcc: victim@else.test".into();
        evil.subject = "Hi\r\nBcc: victim@else.test".into();
        let text = String::from_utf8(compose(&evil, &copy()).unwrap().formatted()).unwrap();
        assert!(!text.contains("\r\nBcc:"), "{text}");
    }

    #[test]
    fn ids_and_file_names_escape_what_is_not_safe() {
        assert_eq!(message_id("a/b-c", "x.test"), "<a/b-c@x.test>");
        assert_eq!(
            message_id("a.b c_é", "x.test"),
            "<a=2Eb=20c=5F=C3=A9@x.test>"
        );
        assert_eq!(
            file_name("1767/o1/000", "v1-anna"),
            "1767_o1_000.v1-anna.eml"
        );
        assert_eq!(file_name("../x", "a.b"), "=2E=2E_x.a=2Eb.eml");
        assert_ne!(file_name("a_b", "c"), file_name("a/b", "c"));
    }

    /// A mail about the order `order_id`, as its key embeds it.
    fn mail_about(order_id: &str) -> Mail {
        Mail {
            idempotency_key: format!("1767258000000/{order_id}/000000000001/000"),
            order_id: order_id.into(),
            ..mail()
        }
    }

    /// Order ids of 128 characters, the most the addon accepts: non-ASCII, and ASCII.
    fn longest_order_ids() -> [String; 2] {
        ["é".repeat(64) + &"日".repeat(64), "x".repeat(128)]
    }

    /// The value of the header `name` of `message` (RFC 2047 encoded words decoded).
    fn header_text(message: &[u8], name: &'static str) -> String {
        let parsed = mail_parser::MessageParser::default()
            .header_text(name)
            .parse(message)
            .unwrap();
        let value = parsed.header(name).and_then(|h| h.as_text());
        value.unwrap_or_else(|| panic!("no {name}")).to_owned()
    }

    #[test]
    fn every_header_line_fits_the_line_limit_and_the_message_id_stays_short() {
        for order_id in longest_order_ids() {
            let long = mail_about(&order_id);
            let copy = SentCopy {
                key: long.idempotency_key.clone(),
                ..copy()
            };
            let bytes = compose(&long, &copy).unwrap().formatted();
            let text = String::from_utf8(bytes.clone()).unwrap();
            for line in text.split("\r\n") {
                // RFC 5322 §2.1.1: at most 998 characters before the CRLF.
                assert!(line.len() <= 998, "{} characters: {line}", line.len());
            }
            let id_line = text
                .split("\r\n")
                .find(|l| l.starts_with("Message-ID: "))
                .unwrap();
            assert!(id_line.len() <= 78, "{id_line}");
            // A valid msg-id: `<`, dot-atom text, `@domain>`.
            let left = id_line["Message-ID: <".len()..].split('@').next().unwrap();
            assert!(
                left.chars()
                    .all(|c| c.is_ascii_alphanumeric() || "=/-~".contains(c)),
                "{id_line}"
            );
            // The full key and order id still travel in their headers.
            assert_eq!(header_text(&bytes, KEY_HEADER), long.idempotency_key);
            assert_eq!(header_text(&bytes, ORDER_HEADER), long.order_id);

            // The same in every copy; another key, another id.
            let other_copy = SentCopy {
                user_id: "c2".into(),
                to: "c2@shop.test".into(),
                ..copy.clone()
            };
            let other = compose(&long, &other_copy).unwrap().formatted();
            let other = String::from_utf8(other).unwrap();
            assert!(other.split("\r\n").any(|l| l == id_line), "{other}");
            let next_key = long
                .idempotency_key
                .replace("/000000000001/", "/000000000002/");
            assert_ne!(
                message_id(&next_key, "shop.test"),
                id_line["Message-ID: ".len()..]
            );
        }
    }

    #[test]
    fn file_names_fit_every_file_system_whatever_the_ids() {
        let long = mail_about(&longest_order_ids()[0]).idempotency_key;
        let user = "ü".repeat(128);
        let name = file_name(&long, &user);
        assert!(name.len() <= 255, "{} bytes: {name}", name.len());
        assert!(name.ends_with(".eml"));
        // Shortened names stay distinct: ids that differ only at their very end.
        let other_key = format!("{long}x");
        let other_user = format!("{user}x");
        let names = [
            name.clone(),
            file_name(&other_key, &user),
            file_name(&long, &other_user),
        ];
        assert_eq!(
            names.iter().collect::<std::collections::HashSet<_>>().len(),
            3,
            "{names:?}"
        );
        // And cannot collide with a short name.
        assert!(!file_name("a", "b").contains('~'));
    }
}
