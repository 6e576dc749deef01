//! The typed errors every operation returns (mirrors the WIT `error` variant).

use std::fmt;

/// Why an operation was refused. A refused operation changed nothing.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Error {
    NotFound(String),
    Forbidden(String),
    InvalidInput { field: String, reason: String },
    InvalidState(String),
    Conflict(String),
    Storage(String),
    Directory(String),
}

impl Error {
    pub fn invalid(field: &str, reason: impl Into<String>) -> Error {
        Error::InvalidInput {
            field: field.to_string(),
            reason: reason.into(),
        }
    }

    /// The one refusal for an order the actor does not reach, identical whether or not the
    /// order exists.
    pub fn order_not_found(order_id: &str) -> Error {
        Error::NotFound(format!("order {order_id:?} was not found"))
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::NotFound(m) => write!(f, "not found: {m}"),
            Error::Forbidden(m) => write!(f, "forbidden: {m}"),
            Error::InvalidInput { field, reason } => write!(f, "invalid {field}: {reason}"),
            Error::InvalidState(m) => write!(f, "invalid state: {m}"),
            Error::Conflict(m) => write!(f, "conflict: {m}"),
            Error::Storage(m) => write!(f, "storage: {m}"),
            Error::Directory(m) => write!(f, "directory: {m}"),
        }
    }
}

impl std::error::Error for Error {}

pub type Result<T, E = Error> = std::result::Result<T, E>;
