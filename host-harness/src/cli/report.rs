//! Plain-text rendering for the CLI: aligned tables and short forms of the addon's values.

use crate::types::{Actor, BellCounts, Event, Role, ThreadRow, Timestamp};

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

    /// The table, each line prefixed with `indent`, trailing spaces trimmed.
    pub fn render(&self, indent: &str) -> String {
        let columns = self.headers.len();
        let mut widths: Vec<usize> = self.headers.iter().map(|h| width(h)).collect();
        for row in &self.rows {
            for (i, cell) in row.iter().enumerate().take(columns) {
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
        for row in &self.rows {
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
        Event::CountsChanged(c) => format!(
            "bell now {} unread, {} open disputes",
            c.unread_threads, c.open_disputes
        ),
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
    fn excerpt_cuts_and_flattens() {
        assert_eq!(excerpt("a\nb  c", 10), "a b c");
        assert_eq!(excerpt("abcdefghij", 5), "abcd…");
    }
}
