//! Data-plane credentials: service-account and personal API keys (`gw_<public id>_<secret>`),
//! hashed at rest, issued/listed/revoked by domain functions the CLI and the admin UI share,
//! and the in-memory [`cache::KeyCache`] that authenticates `/v1` without touching the database.

pub mod cache;
pub mod grants;
pub mod key;
pub mod lifecycle;
pub mod manage;
pub mod service_accounts;

pub use cache::{AuthError, KeyCache, Principal};
pub use grants::Grants;
pub use key::ApiKey;
