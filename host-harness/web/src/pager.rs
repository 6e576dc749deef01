//! Paging back as well as forward over a list that only pages forward (the addon's cursors):
//! the page's address carries the cursors of the pages before it (a back-stack), so "Previous"
//! needs no state on the server and survives a reload, a bookmark or a second tab.
//!
//! `cursor` is where the page starts (none: the first page); each `prev` is where an earlier
//! page starts, oldest first, the first page written as an empty value. The stack keeps at
//! most [`TRAIL_CAP`] entries (the oldest go first), so an address stays short however far one
//! pages: past that, "Previous" reaches back [`TRAIL_CAP`] pages and "First page" the rest.

use crate::html::encode_query;

/// Earlier pages an address remembers.
pub(crate) const TRAIL_CAP: usize = 50;

/// Where a page of a list starts, and where the pages before it start.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Trail {
    /// Where this page starts: `None` on the first page.
    pub(crate) cursor: Option<String>,
    /// Where the earlier pages start, oldest first; `""` is the first page.
    earlier: Vec<String>,
}

impl Trail {
    /// The trail of a request's query pairs (`cursor`, `prev` repeated; others ignored).
    pub(crate) fn from_pairs(pairs: &[(String, String)]) -> Self {
        let cursor = pairs
            .iter()
            .find(|(k, _)| k == "cursor")
            .map(|(_, v)| v.clone())
            .filter(|v| !v.is_empty());
        let mut earlier: Vec<String> = pairs
            .iter()
            .filter(|(k, _)| k == "prev")
            .map(|(_, v)| v.clone())
            .collect();
        if cursor.is_none() {
            // The first page has nothing before it, whatever the address says.
            earlier.clear();
        }
        let excess = earlier.len().saturating_sub(TRAIL_CAP);
        earlier.drain(..excess);
        Self { cursor, earlier }
    }

    /// The first page.
    pub(crate) fn first() -> Self {
        Self::default()
    }

    /// Whether this is the first page.
    pub(crate) fn is_first(&self) -> bool {
        self.cursor.is_none()
    }

    /// The page after this one, starting at `next`: this page's start joins the stack.
    pub(crate) fn next(&self, next: &str) -> Self {
        let mut earlier = self.earlier.clone();
        earlier.push(self.cursor.clone().unwrap_or_default());
        let excess = earlier.len().saturating_sub(TRAIL_CAP);
        earlier.drain(..excess);
        Self {
            cursor: Some(next.to_owned()),
            earlier,
        }
    }

    /// The page before this one, if the address remembers it (not on the first page, nor
    /// past [`TRAIL_CAP`] pages back).
    pub(crate) fn previous(&self) -> Option<Self> {
        let mut earlier = self.earlier.clone();
        let start = earlier.pop()?;
        Some(Self {
            cursor: Some(start).filter(|s| !s.is_empty()),
            earlier,
        })
    }

    /// This page's number (1 for the first), if the stack reaches back to the first page.
    pub(crate) fn number(&self) -> Option<usize> {
        match (&self.cursor, self.earlier.first()) {
            (None, _) => Some(1),
            (Some(_), Some(first)) if first.is_empty() => Some(self.earlier.len() + 1),
            _ => None,
        }
    }

    /// `&cursor=…&prev=…` (or nothing on the first page), to follow a query string that has
    /// `?` already (`with_query`: whether one has started).
    pub(crate) fn query_tail(&self, with_query: bool) -> String {
        let Some(cursor) = &self.cursor else {
            return String::new();
        };
        let mut pairs: Vec<(&str, &str)> = vec![("cursor", cursor)];
        pairs.extend(self.earlier.iter().map(|e| ("prev", e.as_str())));
        format!(
            "{}{}",
            if with_query { '&' } else { '?' },
            encode_query(&pairs)
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(query: &str) -> Vec<(String, String)> {
        serde_urlencoded::from_str(query).unwrap()
    }

    #[test]
    fn next_and_previous_walk_the_stack_and_round_trip_through_the_address() {
        let first = Trail::first();
        assert_eq!(first.number(), Some(1));
        assert_eq!(first.previous(), None);
        assert_eq!(first.query_tail(false), "");
        let second = first.next("a:1");
        let third = second.next("b&2");
        assert_eq!(third.number(), Some(3));
        assert_eq!(third.query_tail(false), "?cursor=b%262&prev=&prev=a%3A1");
        let parsed = Trail::from_pairs(&pairs(&third.query_tail(false)[1..]));
        assert_eq!(parsed, third);
        assert_eq!(parsed.previous(), Some(second.clone()));
        assert_eq!(second.previous(), Some(Trail::first()));
        assert_eq!(second.query_tail(true), "&cursor=a%3A1&prev=");
    }

    #[test]
    fn the_stack_is_bounded_and_a_cut_stack_has_no_page_number() {
        let mut trail = Trail::first();
        for i in 0..TRAIL_CAP + 7 {
            trail = trail.next(&format!("c{i}"));
        }
        assert_eq!(trail.earlier.len(), TRAIL_CAP);
        assert_eq!(trail.number(), None);
        let mut back = 0;
        while let Some(previous) = trail.previous() {
            trail = previous;
            back += 1;
        }
        assert_eq!(back, TRAIL_CAP);
        assert!(!trail.is_first(), "the cut part is out of reach");
        // An address with a longer stack (written by hand) is cut the same way.
        let long: String = (0..TRAIL_CAP * 2).map(|i| format!("&prev=p{i}")).collect();
        let parsed = Trail::from_pairs(&pairs(&format!("cursor=x{long}")));
        assert_eq!(parsed.earlier.len(), TRAIL_CAP);
        assert_eq!(parsed.earlier[0], format!("p{TRAIL_CAP}"));
        // The first page has no stack.
        assert_eq!(Trail::from_pairs(&pairs("prev=a&prev=b")), Trail::first());
    }
}
