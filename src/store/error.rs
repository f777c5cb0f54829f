//! The one store error type: both engines' failures mapped to the same variants, so that a
//! unique violation is a [`StoreError::Conflict`] whichever database raised it.

/// What can go wrong talking to the database.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A unique or primary-key constraint rejected the write.
    #[error("conflict: {0}")]
    Conflict(String),
    /// The database could not be reached or did not answer in time.
    #[error("database unavailable: {0}")]
    Unavailable(String),
    /// A row held a value this binary cannot interpret.
    #[error("corrupt row: {0}")]
    Corrupt(String),
    /// Any other database error.
    #[error("database error: {0}")]
    Backend(String),
}

impl From<libsql::Error> for StoreError {
    fn from(e: libsql::Error) -> Self {
        let text = e.to_string();
        match &e {
            libsql::Error::SqliteFailure(_, msg) if msg.contains("UNIQUE constraint failed") => {
                StoreError::Conflict(msg.clone())
            }
            libsql::Error::SqliteFailure(_, msg) if msg.contains("PRIMARY KEY") => {
                StoreError::Conflict(msg.clone())
            }
            libsql::Error::ConnectionFailed(_) => StoreError::Unavailable(text),
            _ => StoreError::Backend(text),
        }
    }
}

impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> Self {
        match &e {
            sqlx::Error::Database(db) if db.code().as_deref() == Some("23505") => {
                StoreError::Conflict(db.message().to_string())
            }
            sqlx::Error::Io(_)
            | sqlx::Error::PoolTimedOut
            | sqlx::Error::PoolClosed
            | sqlx::Error::Tls(_) => StoreError::Unavailable(e.to_string()),
            sqlx::Error::Database(db) if db.code().as_deref().is_some_and(is_unavailable) => {
                StoreError::Unavailable(e.to_string())
            }
            _ => StoreError::Backend(e.to_string()),
        }
    }
}

/// SQLSTATE classes that mean "the server is going away or refusing", not "your SQL is wrong".
fn is_unavailable(code: &str) -> bool {
    code.starts_with("08") || code.starts_with("57P")
}
