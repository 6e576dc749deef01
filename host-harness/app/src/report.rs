//! Plain-text rendering for the CLI: aligned tables, short forms of the addon's values, and
//! [`terminal_safe`] text.

use std::borrow::Cow;
use std::fmt::Write as _;

use order_messages_host::types::{Actor, BellCounts, Event, Role, ThreadRow, Timestamp};

/// `text` with every character that could move the cursor, recolour or reorder what a terminal
/// shows written as a visible escape instead: the C0 and C1 controls and DEL but the line feed
/// (`\r`, `\t`, `\u{1b}`, …), the bidirectional formatting characters (`\u{202e}`, …), and
/// the line and paragraph separators. So text from users (a message's lone `\r`, an escape
/// sequence in a name) prints as what it is, and only the line feed starts a line. The escapes
/// are printable, so escaping again changes nothing.
pub fn terminal_safe(text: &str) -> Cow<'_, str> {
    if !text.chars().any(rewrites_the_terminal) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        match c {
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if rewrites_the_terminal(c) => {
                let _ = write!(out, "\\u{{{:x}}}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

fn rewrites_the_terminal(c: char) -> bool {
    (c.is_control() && c != '\n')
        || matches!(
            c,
            // Arabic letter mark, left-to-right and right-to-left marks.
            '\u{61c}' | '\u{200e}' | '\u{200f}'
            // Embeddings and overrides, isolates.
            | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}'
            // Line and paragraph separators.
            | '\u{2028}' | '\u{2029}'
        )
}

/// A table with a header row; columns are padded to their widest cell.
pub struct Table {
    headers: Vec<String>,
    rows: Vec<Vec<String>>,
}

impl Table {
    /// A table with these column headers and no rows.
    pub fn new(headers: &[&str]) -> Self {
        Self {
            headers: headers.iter().map(|h| h.to_string()).collect(),
            rows: Vec::new(),
        }
    }

    /// Adds a row; missing cells at the end are left blank, extra cells are dropped.
    pub fn row(&mut self, cells: Vec<String>) {
        self.rows.push(cells);
    }

    /// Whether the table has no rows.
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// The table, each line prefixed with `indent`, trailing spaces trimmed; cells are
    /// [`terminal_safe`], with any line feed shown as `\n`, so a row is one line.
    pub fn render(&self, indent: &str) -> String {
        let columns = self.headers.len();
        let cell = |text: &str| terminal_safe(text).replace('\n', "\\n");
        let rows: Vec<Vec<String>> = self
            .rows
            .iter()
            .map(|row| row.iter().take(columns).map(|c| cell(c)).collect())
            .collect();
        let mut widths: Vec<usize> = self.headers.iter().map(|h| width(h)).collect();
        for row in &rows {
            for (i, cell) in row.iter().enumerate() {
                widths[i] = widths[i].max(width(cell));
            }
        }
        let line = |cells: &[String]| {
            let mut out = String::from(indent);
            for (i, cell) in cells.iter().enumerate().take(columns) {
                out.push_str(cell);
                out.push_str(&" ".repeat(widths[i] - width(cell) + 2));
            }
            out.trim_end().to_owned()
        };
        let mut out = line(&self.headers);
        out.push('\n');
        let rule: Vec<String> = widths.iter().map(|w| "─".repeat(*w)).collect();
        out.push_str(&line(&rule));
        out.push('\n');
        for row in &rows {
            out.push_str(&line(row));
            out.push('\n');
        }
        out
    }
}

fn width(s: &str) -> usize {
    s.chars().count()
}

/// `s` on one line, cut to `max` characters with an ellipsis.
pub fn excerpt(s: &str, max: usize) -> String {
    let one_line = s.split_whitespace().collect::<Vec<_>>().join(" ");
    if width(&one_line) <= max {
        one_line
    } else {
        let cut: String = one_line.chars().take(max.saturating_sub(1)).collect();
        format!("{}…", cut.trim_end())
    }
}

/// `2026-01-01 09:07` (UTC).
pub fn time(ms: Timestamp) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .map(|t| t.format("%Y-%m-%d %H:%M").to_string())
        .unwrap_or_else(|| format!("@{ms}ms"))
}

/// The bell's two counts as text: (messages, disputes).
/// A thread row's unread marker (`● 3`) and dispute badge, or empty cells.
pub fn row_marks(row: &ThreadRow) -> (String, String) {
    let unread = if row.unread {
        format!("● {}", row.unread_count)
    } else {
        String::new()
    };
    let dispute = if row.dispute_open { "Dispute" } else { "" };
    (unread, dispute.to_string())
}

pub fn bell(counts: &BellCounts) -> (String, String) {
    (
        counts.unread_threads.to_string(),
        counts.open_disputes.to_string(),
    )
}

/// `Alice (customer)`, `Anna (vendor v1)`, `Sam (staff)`.
pub fn party(actor: &Actor) -> String {
    format!("{} ({})", actor.display_name, role(&actor.role))
}

/// `customer`, `vendor v1` or `staff`.
pub fn role(role: &Role) -> String {
    match role {
        Role::Customer => "customer".into(),
        Role::Vendor(v) => format!("vendor {v}"),
        Role::Admin => "staff".into(),
    }
}

/// A one-line description of a notification event.
pub fn event(event: &Event) -> String {
    match event {
        Event::NewMessage(m) => format!(
            "new message #{} on {} by {}: {}",
            m.seq,
            m.order_number,
            m.author_name,
            excerpt(&m.excerpt, 40)
        ),
        Event::DisputeOpened(d) | Event::DisputeClosed(d) => {
            let what = match event {
                Event::DisputeOpened(_) => "opened",
                _ => "closed",
            };
            format!(
                "dispute #{} {what} on {} by {}: {}",
                d.dispute_number,
                d.order_number,
                d.by_name,
                excerpt(&d.note, 40)
            )
        }
        Event::CountsChanged(all) => match all.as_slice() {
            [one] => format!(
                "bell now {} unread, {} open disputes",
                one.counts.unread_threads, one.counts.open_disputes
            ),
            all => format!("new bell counts for {} users", all.len()),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_aligns_columns() {
        let mut t = Table::new(&["A", "Long header"]);
        t.row(vec!["wide cell".into(), "x".into()]);
        let text = t.render("  ");
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], "  A          Long header");
        assert_eq!(lines[2], "  wide cell  x");
    }

    #[test]
    fn terminal_safe_text_shows_controls_and_bidi_characters_as_escapes() {
        let text = "a\rb\tc\u{1b}[2J\u{7f}\u{9b}d\u{202e}e\u{2066}f\u{2028}g\nh é 日";
        let safe = terminal_safe(text);
        assert_eq!(
            safe,
            r"a\rb\tc\u{1b}[2J\u{7f}\u{9b}d\u{202e}e\u{2066}f\u{2028}g".to_owned() + "\nh é 日"
        );
        assert_eq!(terminal_safe(&safe), safe, "escaping again changes nothing");
        assert!(matches!(terminal_safe("plain\ntext"), Cow::Borrowed(_)));
    }

    #[test]
    fn table_cells_are_one_terminal_safe_line_and_stay_aligned() {
        let mut t = Table::new(&["Who", "Said"]);
        t.row(vec!["Eve\u{1b}[2J".into(), "a\rb\nc".into()]);
        t.row(vec!["Bob".into(), "hi".into()]);
        let text = t.render("");
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 4, "{text}");
        assert_eq!(lines[2], r"Eve\u{1b}[2J  a\rb\nc");
        assert_eq!(lines[3], "Bob           hi");
    }

    #[test]
    fn excerpt_cuts_and_flattens() {
        assert_eq!(excerpt("a\nb  c", 10), "a b c");
        assert_eq!(excerpt("abcdefghij", 5), "abcd…");
    }
}
