//! The credential lifecycle through the library, on both backends: who may manage service
//! accounts and credentials (the role × action matrix), service-account deactivation reaching
//! the key cache, rotation with and without a grace period, grant edits, listings that never
//! show a secret, and the audit trail of every change.
//!
//! One test binary; the tests live in `tests/credential_lifecycle/`.

#![allow(clippy::expect_used, clippy::unwrap_used)]

mod common;

#[path = "credential_lifecycle/keys.rs"]
mod keys;
#[path = "credential_lifecycle/permissions.rs"]
mod permissions;
#[path = "credential_lifecycle/world.rs"]
mod world;
