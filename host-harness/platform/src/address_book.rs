//! Email addresses of users: the addon mails user ids, the host resolves them here.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};

use anyhow::{Context, Result, bail};
use lettre::message::Mailbox;

/// The placeholder of an address pattern that stands for the user id.
pub const USER_ID_PLACEHOLDER: &str = "{user-id}";

/// The pattern a fresh [`AddressBook`] gives every user without an explicit address.
pub const DEFAULT_ADDRESS_PATTERN: &str = "{user-id}@example.test";

/// User id → email address (optionally with a display name), shared by clones.
///
/// A user's address is, in order: an explicit one ([`AddressBook::set`]), none if the user was
/// marked as having none ([`AddressBook::set_none`]), or the pattern's (by default
/// [`DEFAULT_ADDRESS_PATTERN`], so every fixture user has `{user-id}@example.test`). A user id
/// that does not make a valid address with the pattern has none.
#[derive(Clone, Debug)]
pub struct AddressBook {
    state: Arc<Mutex<Book>>,
}

#[derive(Debug)]
struct Book {
    /// `None`: marked as having no address.
    explicit: HashMap<String, Option<Mailbox>>,
    pattern: Option<String>,
}

impl Default for AddressBook {
    fn default() -> Self {
        Self {
            state: Arc::new(Mutex::new(Book {
                explicit: HashMap::new(),
                pattern: Some(DEFAULT_ADDRESS_PATTERN.to_owned()),
            })),
        }
    }
}

impl AddressBook {
    /// A book with the default pattern and no explicit addresses.
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> MutexGuard<'_, Book> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Gives `user_id` the address `mailbox`: `ann@shop.test` or `Ann <ann@shop.test>`.
    pub fn set(&self, user_id: &str, mailbox: &str) -> Result<()> {
        let mailbox: Mailbox = mailbox
            .parse()
            .with_context(|| format!("`{mailbox}` is not an email address"))?;
        self.lock()
            .explicit
            .insert(user_id.to_owned(), Some(mailbox));
        Ok(())
    }

    /// Marks `user_id` as having no address (whatever the pattern says).
    pub fn set_none(&self, user_id: &str) {
        self.lock().explicit.insert(user_id.to_owned(), None);
    }

    /// Forgets what [`AddressBook::set`] or [`AddressBook::set_none`] said about `user_id`:
    /// the pattern applies again.
    pub fn unset(&self, user_id: &str) {
        self.lock().explicit.remove(user_id);
    }

    /// Replaces the pattern for users without an explicit address; it must contain
    /// [`USER_ID_PLACEHOLDER`] (e.g. `shop+{user-id}@mail.test`). `None`: such users have no
    /// address.
    pub fn set_pattern(&self, pattern: Option<&str>) -> Result<()> {
        if let Some(p) = pattern {
            if !p.contains(USER_ID_PLACEHOLDER) {
                bail!("the address pattern `{p}` lacks `{USER_ID_PLACEHOLDER}`");
            }
            p.replace(USER_ID_PLACEHOLDER, "user")
                .parse::<Mailbox>()
                .with_context(|| format!("the address pattern `{p}` makes no email address"))?;
        }
        self.lock().pattern = pattern.map(str::to_owned);
        Ok(())
    }

    /// The address of `user_id`, if it has one.
    pub fn resolve(&self, user_id: &str) -> Option<Mailbox> {
        let book = self.lock();
        match book.explicit.get(user_id) {
            Some(explicit) => explicit.clone(),
            None => book
                .pattern
                .as_ref()?
                .replace(USER_ID_PLACEHOLDER, user_id)
                .parse()
                .ok(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn explicit_addresses_win_over_the_pattern() {
        let book = AddressBook::new();
        assert_eq!(book.resolve("c1").unwrap().to_string(), "c1@example.test");
        book.set("c1", "Alice <alice@shop.test>").unwrap();
        let alice = book.resolve("c1").unwrap();
        assert_eq!(alice.name.as_deref(), Some("Alice"));
        assert_eq!(alice.email.to_string(), "alice@shop.test");
        book.set_none("c2");
        assert_eq!(book.resolve("c2"), None);
        book.unset("c2");
        assert!(book.resolve("c2").is_some());
        // Clones share the book.
        assert_eq!(
            book.clone().resolve("c1").unwrap().email.to_string(),
            "alice@shop.test"
        );
    }

    #[test]
    fn the_pattern_can_change_or_go() {
        let book = AddressBook::new();
        book.set_pattern(Some("shop+{user-id}@mail.test")).unwrap();
        assert_eq!(
            book.resolve("v1-anna").unwrap().to_string(),
            "shop+v1-anna@mail.test"
        );
        // A user id that makes no valid address has none.
        assert_eq!(book.resolve("no body"), None);
        book.set_pattern(None).unwrap();
        assert_eq!(book.resolve("c1"), None);
        assert!(book.set_pattern(Some("static@mail.test")).is_err());
        assert!(book.set_pattern(Some("{user-id}")).is_err());
        assert!(book.set("c1", "not an address").is_err());
    }
}
