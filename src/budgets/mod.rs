//! Budgets: how much a team, user or service account may spend per window, enforced without
//! overshoot across concurrent requests and replicas.
//!
//! [`money::MicroUsd`] is the money type; [`window`] does the calendar math; [`gate`] reserves
//! and settles on the hot path from an in-memory lease; [`lease`] is the database side of
//! leases. SQL does not belong here (see `store/`), nor do HTTP handlers.

#[cfg(test)]
mod cost_props;
mod defs;
pub mod gate;
pub mod lease;
pub mod manage;
pub mod money;
mod reservation;
mod upkeep;
pub mod window;
