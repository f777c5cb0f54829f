//! Managing people, keys and budgets over HTTP against `gateway serve`, on both backends:
//! service accounts and their credentials (issue → use on `/v1` → revoke → 401 at once,
//! rotation with grace, grant edits), personal credentials, budgets whose edits reach `/v1`
//! without a restart, teams, users and invites with onboarding — through the JSON API and
//! through the pages' forms, with the same permission checks (a team owner cannot touch
//! another team; a member cannot manage service accounts).
//!
//! One test binary; the tests live in `tests/admin_management/`.

#![allow(clippy::expect_used, clippy::unwrap_used)]

mod common;

#[path = "admin_management/budgets.rs"]
mod budgets;
#[path = "admin_management/invites.rs"]
mod invites;
#[path = "admin_management/keys.rs"]
mod keys;
#[path = "admin_management/pages.rs"]
mod pages;
#[path = "admin_management/people.rs"]
mod people;
#[path = "admin_management/world.rs"]
mod world;
