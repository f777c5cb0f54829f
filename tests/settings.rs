//! Operational settings (the second configuration layer) against `gateway serve`, on both
//! backends: seeded defaults that a restart never overwrites; reading and changing them
//! through `/api/v1/admin/settings` and `/admin/settings` (platform admins only, typed
//! validation naming the key, an audit row); each setting taking effect without a restart —
//! session lifetimes, sign-in throttling, password length, invite links, payload capture,
//! request-log retention, a default budget for new service accounts — on the replica that
//! changed it at once and on another replica within seconds; and `gateway settings
//! import|list`, with the startup warning for operational keys left in the config file.
//!
//! One test binary; the tests live in `tests/settings/`.

#![allow(clippy::expect_used, clippy::unwrap_used)]

mod common;

#[path = "settings/api.rs"]
mod api;
#[path = "settings/cli.rs"]
mod cli;
#[path = "settings/effects.rs"]
mod effects;
#[path = "settings/replicas.rs"]
mod replicas;
#[path = "settings/world.rs"]
mod world;
