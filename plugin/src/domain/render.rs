//! Text shown to people outside the thread: excerpts, system messages and mails.
//!
//! User text is escaped in every HTML body, and a subject is always one line: anything that
//! reaches it goes through [`one_line`].

use chrono::{DateTime, Datelike, Timelike, Utc};

use super::model::{Dispute, Message, Party, Timestamp};

/// Longest excerpt in lists and notifications.
pub const EXCERPT_CHARS: usize = 140;
const SUBJECT_CHARS: usize = 200;

/// `text` on a single line: every run of whitespace or control characters becomes one space,
/// cut to `max` characters (with an ellipsis when cut).
pub fn one_line(text: &str, max: usize) -> String {
    let mut out = String::new();
    let mut count = 0;
    for word in text.split(|c: char| c.is_whitespace() || c.is_control()) {
        if word.is_empty() {
            continue;
        }
        for c in (!out.is_empty())
            .then_some(' ')
            .into_iter()
            .chain(word.chars())
        {
            if count == max {
                out.pop();
                out.push('…');
                return out;
            }
            out.push(c);
            count += 1;
        }
    }
    out
}

pub fn excerpt(body: &str) -> String {
    one_line(body, EXCERPT_CHARS)
}

/// Escape text for HTML element content and attribute values.
pub fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + text.len() / 8);
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Escaped multi-line text as HTML: line breaks become `<br>`.
fn html_paragraph(text: &str) -> String {
    escape_html(&text.replace("\r\n", "\n")).replace('\n', "<br>\n")
}

/// `2026-01-31 09:05 UTC`. (Built from the parts: chrono's `format` would pull its whole
/// strftime machinery into the component for this one pattern.)
fn format_time(at: Timestamp) -> String {
    DateTime::<Utc>::from_timestamp_millis(at)
        .map(|t| {
            format!(
                "{:04}-{:02}-{:02} {:02}:{:02} UTC",
                t.year(),
                t.month(),
                t.day(),
                t.hour(),
                t.minute()
            )
        })
        .unwrap_or_default()
}

/// The body of the system message that records a dispute being opened.
pub fn dispute_opened_text(by: &Party, reason: &str) -> String {
    format!(
        "{} ({}) opened a dispute. Reason: {reason}",
        by.name,
        by.role.label()
    )
}

/// The body of the system message that records a dispute being closed.
pub fn dispute_closed_text(by: &Party, resolution: &str) -> String {
    if resolution.is_empty() {
        format!("{} ({}) closed the dispute.", by.name, by.role.label())
    } else {
        format!(
            "{} ({}) closed the dispute. Resolution: {resolution}",
            by.name,
            by.role.label()
        )
    }
}

/// Subject, plain text and HTML of a mail.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MailContent {
    pub subject: String,
    pub text: String,
    pub html: String,
}

fn mail(subject: String, lead: String, quote: &str, at: Timestamp) -> MailContent {
    let when = format_time(at);
    let footer = "Reply from your account to continue the conversation.";
    MailContent {
        subject: one_line(&subject, SUBJECT_CHARS),
        text: format!("{lead}\n\n{quote}\n\n{when}\n{footer}\n"),
        html: format!(
            "<p>{}</p>\n<blockquote>{}</blockquote>\n<p><small>{}<br>\n{}</small></p>\n",
            escape_html(&lead),
            html_paragraph(quote),
            escape_html(&when),
            escape_html(footer),
        ),
    }
}

/// The mail about a new message.
pub fn new_message_mail(order_number: &str, message: &Message) -> MailContent {
    let number = one_line(order_number, 64);
    mail(
        format!("New message about order {number}"),
        format!(
            "{} ({}) wrote about order {number}:",
            message.author_name,
            message.author_role.label()
        ),
        &message.body,
        message.created_at,
    )
}

/// The mail about a dispute being opened (`opened`) or closed (the dispute as stored now: a
/// mail about its opening is the same whether or not it has closed since).
pub fn dispute_mail(order_number: &str, dispute: &Dispute, opened: bool) -> MailContent {
    let number = one_line(order_number, 64);
    match dispute.closed.as_ref().filter(|_| !opened) {
        None => mail(
            format!("Dispute opened on order {number}"),
            format!(
                "{} ({}) opened a dispute on order {number}. Reason:",
                dispute.opened_by.name,
                dispute.opened_by.role.label()
            ),
            &dispute.reason,
            dispute.opened_at,
        ),
        Some(closure) => mail(
            format!("Dispute closed on order {number}"),
            format!(
                "{} ({}) closed the dispute on order {number}. Resolution:",
                closure.by.name,
                closure.by.role.label()
            ),
            if closure.resolution.is_empty() {
                "(no resolution note)"
            } else {
                &closure.resolution
            },
            closure.at,
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_line_collapses_breaks_and_cuts() {
        assert_eq!(one_line("a\r\n b\tc\u{7}d", 100), "a b c d");
        assert_eq!(one_line("abcdef", 4), "abc…");
        assert_eq!(one_line("abcd", 4), "abcd");
        assert_eq!(one_line("  ", 4), "");
    }

    #[test]
    fn times_read_as_utc_dates() {
        assert_eq!(format_time(1_767_258_300_000), "2026-01-01 09:05 UTC");
    }

    #[test]
    fn html_is_escaped() {
        assert_eq!(
            escape_html("<script>alert('x') & \"y\"</script>"),
            "&lt;script&gt;alert(&#39;x&#39;) &amp; &quot;y&quot;&lt;/script&gt;"
        );
        assert_eq!(html_paragraph("a<b\nc"), "a&lt;b<br>\nc");
    }
}
