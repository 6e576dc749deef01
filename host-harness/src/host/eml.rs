//! The RFC 5322 message of one copy of a mail: what the SMTP relay sends and what `.eml` files
//! hold, byte for byte (the `Date:` and MIME boundary come from the sent log's record and the
//! content, never from the moment of rendering).

use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};
use std::time::{Duration, UNIX_EPOCH};

use anyhow::{Context, Result};
use lettre::Message;
use lettre::message::header::{HeaderName, HeaderValue};
use lettre::message::{Mailbox, MultiPart, SinglePart};

use super::sent_log::SentCopy;
use crate::types::Mail;

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
/// written as `=XX` (its UTF-8 bytes), so any key makes a valid, distinct id.
pub fn message_id(key: &str, domain: &str) -> String {
    format!("<{}@{domain}>", escape(key, |c| c == '-' || c == '/'))
}

/// The `.eml` file name of one copy: `escaped-key.escaped-user.eml`, where `/` becomes `_` and
/// every other character but ASCII letters, digits and `-` is written `=XX`; so names are
/// distinct for distinct keys and users, and safe on any file system.
pub fn file_name(key: &str, user_id: &str) -> String {
    let part = |s: &str| escape(s, |c| c == '-' || c == '/').replace('/', "_");
    format!("{}.{}.eml", part(key), part(user_id))
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
}
