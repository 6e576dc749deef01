//! The sent log: which copy of which mail went to whom, recorded once the mail server (or,
//! without one, the capture) accepted it. It is what makes mail at most once per idempotency key
//! and recipient, also across a real SMTP hop and, with a persistent log, across processes.

use std::collections::HashMap;
use std::fmt::Debug;

use anyhow::Result;

/// One accepted copy of a mail: one recipient's.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct SentCopy {
    /// The mail's idempotency key.
    pub key: String,
    /// The recipient.
    pub user_id: String,
    /// The recipient's address as written in `To:`, e.g. `Ann <ann@shop.test>`.
    pub to: String,
    /// The sender as written in `From:`.
    pub from: String,
    /// When it was sent (the `Date:` header), in Unix milliseconds, whole seconds.
    pub sent_at: i64,
    /// The SMTP server that accepted it (`host:port`), or `None` if it was only captured.
    pub via: Option<String>,
}

/// Where sent copies are recorded. The in-memory [`MemorySentLog`] is the default; a durable
/// implementation (a table beside the store's) keeps mail at most once across restarts.
///
/// A copy is recorded after the server accepted it; a failure to record it makes the send
/// report `unavailable`, so that copy may go out again on the retry.
pub trait SentLog: Send + Debug {
    /// The copies of the mail `key` sent so far.
    fn copies(&self, key: &str) -> Result<Vec<SentCopy>>;
    /// Records an accepted copy. Recording the same key and user again replaces it.
    fn record(&mut self, copy: &SentCopy) -> Result<()>;
    /// Every copy, in the order recorded.
    fn all(&self) -> Result<Vec<SentCopy>>;
    /// Forgets every copy.
    fn clear(&mut self) -> Result<()>;
}

/// A [`SentLog`] in memory.
#[derive(Debug, Default)]
pub struct MemorySentLog {
    copies: Vec<SentCopy>,
    /// Key → positions in `copies`.
    by_key: HashMap<String, Vec<usize>>,
}

impl MemorySentLog {
    /// An empty log.
    pub fn new() -> Self {
        Self::default()
    }
}

impl SentLog for MemorySentLog {
    fn copies(&self, key: &str) -> Result<Vec<SentCopy>> {
        let positions = self.by_key.get(key).map(Vec::as_slice).unwrap_or_default();
        Ok(positions.iter().map(|&i| self.copies[i].clone()).collect())
    }

    fn record(&mut self, copy: &SentCopy) -> Result<()> {
        let positions = self.by_key.entry(copy.key.clone()).or_default();
        match positions
            .iter()
            .find(|&&i| self.copies[i].user_id == copy.user_id)
        {
            Some(&i) => self.copies[i] = copy.clone(),
            None => {
                positions.push(self.copies.len());
                self.copies.push(copy.clone());
            }
        }
        Ok(())
    }

    fn all(&self) -> Result<Vec<SentCopy>> {
        Ok(self.copies.clone())
    }

    fn clear(&mut self) -> Result<()> {
        self.copies.clear();
        self.by_key.clear();
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn copy(key: &str, user: &str, at: i64) -> SentCopy {
        SentCopy {
            key: key.into(),
            user_id: user.into(),
            to: format!("{user}@example.test"),
            from: "shop@example.test".into(),
            sent_at: at,
            via: None,
        }
    }

    #[test]
    fn copies_are_kept_per_key_and_user() {
        let mut log = MemorySentLog::new();
        log.record(&copy("k1", "a", 1)).unwrap();
        log.record(&copy("k2", "a", 2)).unwrap();
        log.record(&copy("k1", "b", 3)).unwrap();
        log.record(&copy("k1", "a", 4)).unwrap();
        let k1 = log.copies("k1").unwrap();
        assert_eq!(k1, vec![copy("k1", "a", 4), copy("k1", "b", 3)]);
        assert!(log.copies("k3").unwrap().is_empty());
        assert_eq!(log.all().unwrap().len(), 3);
        log.clear().unwrap();
        assert!(log.all().unwrap().is_empty() && log.copies("k1").unwrap().is_empty());
    }
}
