//! Keyword search: how text becomes words, and the keyword index kept in step with threads.
//!
//! For every scope that lists a thread and every word that occurs in the thread (in a message
//! text, an author's name or the order number), `kx/{scope}/{word}/{stamp}` points to the
//! thread, at the stamp of the latest message that carried the word (to within
//! [`RESOLUTION_MS`]); `kt/{order}/{word}` remembers that stamp so the entry can be moved when
//! the word occurs again. A search
//! reverse-scans one word's entries (newest matching activity first) and checks the other
//! words with `kt` lookups.
//!
//! A message adds at most [`MAX_WORDS_PER_MESSAGE`] distinct words of its text to the index (the
//! first ones it uses), so that the work of a post is bounded whatever its length.

use std::collections::BTreeSet;

use super::error::Result;
use super::keys::{self, Scope};
use super::tx::Tx;
use super::work::Work;

/// Longer words are cut to this many characters (in indexing and in queries alike).
const MAX_WORD_CHARS: usize = 40;

/// Distinct words of a message's text indexed at most (its author's name and the order number
/// are indexed besides).
pub const MAX_WORDS_PER_MESSAGE: usize = 200;

/// The words of a text in order of appearance: lowercase runs of letters and digits.
/// Everything else, punctuation and wildcard characters included, separates words.
fn word_runs(text: &str) -> impl Iterator<Item = String> + '_ {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(|w| w.to_lowercase().chars().take(MAX_WORD_CHARS).collect())
}

/// The distinct words of a text.
pub fn words(text: &str) -> BTreeSet<String> {
    word_runs(text).collect()
}

/// The words a message adds to its thread's index: the first [`MAX_WORDS_PER_MESSAGE`]
/// distinct words of its text, and every word of its author's name and of the order number.
pub fn message_words(body: &str, author_name: &str, order_number: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for word in word_runs(body) {
        if out.len() == MAX_WORDS_PER_MESSAGE {
            break;
        }
        out.insert(word);
    }
    out.extend(words(author_name));
    out.extend(words(order_number));
    out
}

/// A word's entry moves to a thread's newer activity only once it is at least this much older:
/// search results are ordered by newest matching activity to within this resolution. Moving
/// every word of every message would cost seven writes per word; with it, a conversation going
/// on within the hour writes only the words that are new to the thread.
pub const RESOLUTION_MS: i64 = 60 * 60 * 1000;

/// Index `words` of the change `work` (a batch of them) at the change's stamp: words new to the
/// thread are added; words indexed at least [`RESOLUTION_MS`] earlier move to the stamp. A word
/// already indexed at a later stamp stays there (changes may be applied out of order).
pub fn index_words(tx: &mut Tx, work: &Work, words: &[String]) -> Result<()> {
    let order_id = &work.order_id;
    let mut scopes = vec![Scope::Staff, Scope::Customer(work.customer_id.clone())];
    if let Some(v) = &work.order_vendor_id {
        scopes.push(Scope::Vendor(v.clone()));
    }
    let stamp = &work.stamp;
    let now = keys::stamp_time(stamp).unwrap_or(0);
    let word_keys: Vec<String> = words
        .iter()
        .map(|w| keys::thread_word(order_id, w))
        .collect();
    let previous: Vec<Option<String>> = tx.get_many(&word_keys)?;
    for ((word, word_key), previous) in words.iter().zip(word_keys).zip(previous) {
        let at = previous.as_deref().and_then(keys::stamp_time);
        if at.is_some_and(|at| now - at < RESOLUTION_MS) {
            continue;
        }
        for scope in &scopes {
            let index = keys::keyword_index(scope, word);
            if let Some(old) = &previous {
                tx.delete(format!("{index}{old}"));
            }
            tx.put(format!("{index}{stamp}"), order_id);
        }
        tx.put(word_key, stamp);
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
    fn a_message_indexes_its_first_distinct_words_up_to_the_cap() {
        let body: Vec<String> = (0..MAX_WORDS_PER_MESSAGE + 50)
            .map(|i| format!("w{i}"))
            .collect();
        // Repeats do not use up the cap.
        let body = format!("w0 w0 w1 {}", body.join(" "));
        let words = message_words(&body, "Alice Smith", "1042");
        assert_eq!(words.len(), MAX_WORDS_PER_MESSAGE + 3);
        assert!(words.contains("w0") && words.contains(&format!("w{}", MAX_WORDS_PER_MESSAGE - 1)));
        assert!(!words.contains(&format!("w{MAX_WORDS_PER_MESSAGE}")));
        assert!(words.contains("alice") && words.contains("smith") && words.contains("1042"));
    }

    #[test]
    fn wildcards_are_separators_not_patterns() {
        assert!(words("%*_?").is_empty());
        assert_eq!(words("a*b").len(), 2);
    }
}
