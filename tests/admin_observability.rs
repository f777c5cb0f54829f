//! The observability views over HTTP against `gateway serve`: request logs (filters, keyset
//! pages, detail with attempts and payload), spend by key and day (with its SVG chart and
//! unpriced requests counted), the audit log and the model catalogue — each as a page and as
//! `/api/v1/admin/*` JSON with the same data and the same scope: platform admins see
//! everything, team owners their team plus their own usage, members only their own, and only
//! platform admins the audit log.
//!
//! One test binary; the tests live in `tests/admin_observability/`.

#![allow(clippy::expect_used, clippy::unwrap_used)]

mod common;

#[path = "admin_observability/audit.rs"]
mod audit;
#[path = "admin_observability/catalogue.rs"]
mod catalogue;
#[path = "admin_observability/logs.rs"]
mod logs;
#[path = "admin_observability/scope.rs"]
mod scope;
#[path = "admin_observability/spend.rs"]
mod spend;
#[path = "admin_observability/world.rs"]
mod world;
