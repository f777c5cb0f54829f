//! Identity: users, teams, memberships, passwords (argon2id), sessions, invites and the
//! day-0 bootstrap of the first admin. Domain functions only: no axum, no SQL.

pub mod admin_tokens;
pub mod bootstrap;
pub mod bootstrap_link;
pub mod email;
pub mod error;
pub mod invites;
pub mod members;
pub mod onboarding;
pub mod password;
pub mod password_change;
pub mod permissions;
pub mod recovery;
pub mod sessions;
pub mod teams;
pub mod throttle;
pub mod users;

pub use email::Email;
pub use error::IdentityError;
