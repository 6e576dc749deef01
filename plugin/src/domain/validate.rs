//! Input validation. Every check names the field and says what is wrong.

use super::error::{Error, Result};
use super::model::{Actor, Role, Timestamp};

const MAX_ID_CHARS: usize = 128;
const MAX_NAME_CHARS: usize = 100;
/// Search text beyond this is refused rather than silently cut.
pub const MAX_SEARCH_CHARS: usize = 200;
/// More search words than this are refused: each costs lookups per candidate.
pub const MAX_SEARCH_WORDS: usize = 8;

fn char_count(s: &str) -> usize {
    s.chars().count()
}

/// An identifier: 1 to 128 characters, no control characters, no surrounding spaces.
pub fn id(field: &str, value: &str) -> Result<()> {
    if value.is_empty() {
        return Err(Error::invalid(field, "must not be empty"));
    }
    // Bulk calls check a thousand ids: plain ASCII (the usual id) is checked byte by byte,
    // without decoding characters or looking each up in Unicode's tables.
    let (chars, control) = if value.is_ascii() {
        (value.len(), value.bytes().any(|b| b.is_ascii_control()))
    } else {
        (char_count(value), value.chars().any(char::is_control))
    };
    if control {
        return Err(Error::invalid(field, "must not contain control characters"));
    }
    if chars > MAX_ID_CHARS {
        return Err(Error::invalid(
            field,
            format!("must be at most {MAX_ID_CHARS} characters"),
        ));
    }
    if value.trim() != value {
        return Err(Error::invalid(field, "must not start or end with spaces"));
    }
    Ok(())
}

/// The acting user. The display name is trimmed.
pub fn actor(mut actor: Actor) -> Result<Actor> {
    id("actor.id", &actor.id)?;
    if let Role::Vendor(v) = &actor.role {
        id("actor.role.vendor", v)?;
    }
    let name = actor.display_name.trim();
    if name.is_empty() {
        return Err(Error::invalid("actor.display-name", "must not be empty"));
    }
    if char_count(name) > MAX_NAME_CHARS {
        return Err(Error::invalid(
            "actor.display-name",
            format!("must be at most {MAX_NAME_CHARS} characters"),
        ));
    }
    if name.chars().any(char::is_control) {
        return Err(Error::invalid(
            "actor.display-name",
            "must not contain control characters",
        ));
    }
    actor.display_name = name.to_string();
    Ok(actor)
}

/// Free text (a message body, a reason): trimmed, not empty, at most `max` characters, and no
/// control characters but line breaks and tabs. Returns the trimmed text.
pub fn text(field: &str, value: &str, max: u32) -> Result<String> {
    let trimmed = value.trim();
    if trimmed.is_empty() {
        return Err(Error::invalid(field, "must not be empty or only spaces"));
    }
    let chars = char_count(trimmed);
    if chars > max as usize {
        return Err(Error::invalid(
            field,
            format!("is {chars} characters long; at most {max} are allowed"),
        ));
    }
    if let Some(c) = trimmed
        .chars()
        .find(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
    {
        return Err(Error::invalid(
            field,
            format!(
                "must not contain control characters (found U+{:04X})",
                c as u32
            ),
        ));
    }
    Ok(trimmed.to_string())
}

/// A page size: 1 to `max`.
pub fn limit(value: u32, max: u32) -> Result<u32> {
    if value == 0 || value > max {
        return Err(Error::invalid(
            "limit",
            format!("must be between 1 and {max}, got {value}"),
        ));
    }
    Ok(value)
}

/// A list of order ids: at most `max`, each a valid id.
pub fn order_ids(ids: &[String], max: u32) -> Result<()> {
    if ids.len() > max as usize {
        return Err(Error::invalid(
            "order-ids",
            format!("at most {max} order ids per call, got {}", ids.len()),
        ));
    }
    ids.iter().try_for_each(|o| id("order-ids", o))
}

/// The latest time the addon's keys can hold: activity stamps and outbox ids order time as
/// 13 decimal digits of milliseconds (up to the year 2286).
pub const MAX_CLOCK_MILLIS: Timestamp = 9_999_999_999_999;

/// The host's clock reading, if the addon's keys can order it (1970 to [`MAX_CLOCK_MILLIS`]).
/// A clock outside that range would write keys that sort out of time order, so the call is
/// refused before anything is written.
pub fn clock(now: Timestamp) -> Result<Timestamp> {
    if (0..=MAX_CLOCK_MILLIS).contains(&now) {
        Ok(now)
    } else {
        Err(Error::InvalidState(format!(
            "the host's clock reads {now} ms since 1970, outside the range 0 to \
             {MAX_CLOCK_MILLIS} the addon can record; fix the host's clock"
        )))
    }
}

pub fn bad_cursor() -> Error {
    Error::invalid(
        "cursor",
        "is not a cursor this listing returned; start again without one",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_trimmed_and_bounded() {
        assert_eq!(text("body", "  hi \n", 10).unwrap(), "hi");
        assert!(text("body", " \n\t ", 10).is_err());
        assert!(text("body", "12345678901", 10).is_err());
        assert!(text("body", "a\u{7}b", 10).is_err());
        assert!(text("body", "a\nb\tc", 10).is_ok());
    }

    #[test]
    fn clocks_outside_what_keys_can_order_are_refused() {
        assert_eq!(clock(0), Ok(0));
        assert_eq!(clock(MAX_CLOCK_MILLIS), Ok(MAX_CLOCK_MILLIS));
        assert!(matches!(clock(-1), Err(Error::InvalidState(_))));
        assert!(matches!(
            clock(MAX_CLOCK_MILLIS + 1),
            Err(Error::InvalidState(_))
        ));
    }

    #[test]
    fn ids_refuse_control_characters_and_padding() {
        assert!(id("order-id", "o-1").is_ok());
        assert!(id("order-id", "").is_err());
        assert!(id("order-id", "a\nb").is_err());
        assert!(id("order-id", " a").is_err());
        assert!(id("order-id", &"x".repeat(129)).is_err());
    }
}
