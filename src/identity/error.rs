//! The identity domain's error: what the control plane maps to statuses (404, 403, 409, 400)
//! and messages. Domain functions return it; HTTP and CLI layers only translate it.

use crate::store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum IdentityError {
    /// The named thing does not exist (or the actor may not know it exists).
    #[error("{0} not found")]
    NotFound(String),
    /// The actor may not do this.
    #[error("you do not have permission to do this")]
    Forbidden,
    /// The request conflicts with the current state (duplicate, last admin, …).
    #[error("{0}")]
    Conflict(String),
    /// The input is not acceptable; the message says which field and why.
    #[error("{0}")]
    Invalid(String),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("internal error: {0}")]
    Internal(String),
}
