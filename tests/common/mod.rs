//! Shared test harness: a fresh database per test (SQLite file or PostgreSQL database), config
//! files written into a temp dir, the real `gateway` binary run as a child process, and a
//! running `gateway serve` with its parsed `listening on` address.
//!
//! PostgreSQL comes from `GATEWAY_TEST_PG_URL` (default `postgres://postgres@127.0.0.1:5432/postgres`);
//! `scripts/test.sh` starts a server when none answers. A missing server fails the test loudly.

#![allow(dead_code, unused_imports)]

pub mod admin;
pub mod client;
pub mod db;
pub mod plane;
pub mod process;
pub mod spend;
pub mod upstream;

pub use db::{Backend, TestDb};
pub use process::{Gateway, Output, Server};

/// Generates one test per backend from `async fn name(backend: Backend)`.
#[macro_export]
macro_rules! both_backends {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name($crate::common::Backend::Sqlite).await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name($crate::common::Backend::Postgres).await;
                }
            )*
        }
    };
}

/// Polls `f` until it returns `Some`, for at most `timeout`; panics with `what` otherwise.
pub async fn eventually<T, F, Fut>(timeout: std::time::Duration, what: &str, mut f: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let deadline = tokio::time::Instant::now() + timeout;
    loop {
        if let Some(v) = f().await {
            return v;
        }
        if tokio::time::Instant::now() > deadline {
            panic!("timed out after {timeout:?} waiting for {what}");
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
}

/// An HTTP client for tests (installs the process's TLS crypto provider first).
pub fn http() -> reqwest::Client {
    gateway::providers::install_crypto_provider();
    reqwest::Client::new()
}
