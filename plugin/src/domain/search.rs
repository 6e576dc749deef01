//! Keyword search: how text becomes words, and the keyword index kept in step with threads.
//!
//! For every scope that lists a thread and every word that occurs in the thread (in a message
//! text, an author's name or the order number), `kx/{scope}/{word}/{stamp}` points to the
//! thread, at the stamp of the latest message that carried the word (to within
//! [`RESOLUTION_MS`]); `kt/{order}/{word}` remembers that stamp so the entry can be moved when
//! the word occurs again. A search
//! reverse-scans one word's entries (newest matching activity first) and checks the other
//! words with `kt` lookups.

use std::collections::BTreeSet;

use super::error::Result;
use super::keys::{self, Scope};
use super::tx::Tx;

/// Longer words are cut to this many characters (in indexing and in queries alike).
const MAX_WORD_CHARS: usize = 40;

/// The distinct words of a text: lowercase runs of letters and digits. Everything else,
/// punctuation and wildcard characters included, separates words.
pub fn words(text: &str) -> BTreeSet<String> {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(|w| w.to_lowercase().chars().take(MAX_WORD_CHARS).collect())
        .collect()
}

/// A word's entry moves to a thread's newer activity only once it is at least this much older:
/// search results are ordered by newest matching activity to within this resolution. Moving
/// every word of every message costs 7 writes per word (3 scopes × delete + put, and its
/// position), three quarters of a post's writes; with it, a conversation going on within the
/// hour writes only the words that are new to the thread.
pub const RESOLUTION_MS: i64 = 60 * 60 * 1000;

/// Index the thread's `words` at `stamp` (the time of the message that carries them): words new
/// to the thread are added; words indexed at least [`RESOLUTION_MS`] earlier move to `stamp`.
pub fn index_words(
    tx: &mut Tx,
    order_id: &str,
    scopes: &[Scope],
    words: &BTreeSet<String>,
    stamp: &str,
) -> Result<()> {
    let now = keys::stamp_time(stamp).unwrap_or(0);
    let word_keys: Vec<String> = words
        .iter()
        .map(|w| keys::thread_word(order_id, w))
        .collect();
    // Only appends to this thread write these keys, and they all check the thread record,
    // so reading them untracked is safe.
    let previous: Vec<Option<String>> = super::tx::read_many(tx.store(), &word_keys)?;
    for ((word, word_key), previous) in words.iter().zip(word_keys).zip(previous) {
        let recent = previous
            .as_deref()
            .and_then(keys::stamp_time)
            .is_some_and(|at| now - at < RESOLUTION_MS);
        if recent {
            continue;
        }
        for scope in scopes {
            let index = keys::keyword_index(scope, word);
            if let Some(old) = &previous {
                tx.delete(format!("{index}{old}"));
            }
            tx.put(format!("{index}{stamp}"), &order_id);
        }
        tx.put(word_key, &stamp);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_are_lowercase_alphanumeric_runs() {
        let w = words("Refund for #1042, please! 50% off? Ünïcode");
        let expected: BTreeSet<String> =
            ["refund", "for", "1042", "please", "50", "off", "ünïcode"]
                .into_iter()
                .map(String::from)
                .collect();
        assert_eq!(w, expected);
    }

    #[test]
    fn wildcards_are_separators_not_patterns() {
        assert!(words("%*_?").is_empty());
        assert_eq!(words("a*b").len(), 2);
    }
}
