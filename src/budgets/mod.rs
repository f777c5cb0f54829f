//! Budgets: how much a team, user or service account may spend per window.
//!
//! For now this holds only the money type ([`money::MicroUsd`]); budget windows, reservations
//! and spend counters arrive here later. SQL does not belong here (see `store/`), nor do HTTP
//! handlers (see this capability's future `routes.rs`).

pub mod money;
