//! The one-time bootstrap link (`GATEWAY_BOOTSTRAP_LINK`) against `gateway serve`, on both
//! backends: the 0600 token file and the log line that names it (never the token); the JSON
//! API and the form creating the first admin and a control-plane token once; 404 for
//! everything once it is closed, even with the right token; the per-address attempt limit and
//! its audit rows; exactly one admin from concurrent requests and from two replicas; 503 and
//! nothing created on a database error.
//!
//! One test binary; the tests live in `tests/bootstrap_link/`.

#![allow(clippy::expect_used, clippy::unwrap_used)]

mod common;

#[path = "bootstrap_link/api.rs"]
mod api;
#[path = "bootstrap_link/file.rs"]
mod file;
#[path = "bootstrap_link/form.rs"]
mod form;
#[path = "bootstrap_link/rules.rs"]
mod rules;
#[path = "bootstrap_link/support.rs"]
mod support;
