//! Identity: users, teams, memberships, passwords (argon2id), sessions, invites and the
//! day-0 bootstrap of the first admin. Domain functions only: no axum, no SQL.

pub mod bootstrap;
pub mod email;
pub mod error;
pub mod password;
pub mod permissions;
pub mod sessions;

pub use email::Email;
pub use error::IdentityError;
