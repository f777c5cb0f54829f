//! The OpenAI-compatible data plane (`/v1/*`): authentication by data-plane credential, model
//! resolution and grants, routing with fallback, SSE relay, usage, and request logging.
//! Hot-path rule: no database access and no password hashing per request.

mod auth;
pub mod error;
mod exchange;
mod forward;
mod request;
pub mod routes;
mod routing;
mod stream;
pub mod streams;
pub mod usage;

/// Response header with the microseconds the gateway itself added.
pub const OVERHEAD_HEADER: &str = "x-gateway-overhead-us";
