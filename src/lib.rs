//! gateway: an LLM gateway in one binary. See `docs/ARCHITECTURE.md` for the house.
//!
//! The library exposes what the binary and the integration tests share: the CLI entry point,
//! [`http::build_router`] and [`http::AppState`], the [`store::Store`], and the domain modules.

pub mod admin;
pub mod app;
pub mod budgets;
pub mod catalog;
pub mod cli;
pub mod client;
pub mod config;
pub mod credentials;
pub mod demo;
pub mod http;
pub mod identity;
pub mod providers;
pub mod proxy;
pub mod recording;
pub mod seed;
pub mod settings;
pub mod store;
pub mod telemetry;
