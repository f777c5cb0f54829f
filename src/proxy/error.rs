//! Every `/v1` failure as an OpenAI-shaped error (`{"error":{"message","type","param","code"}}`)
//! with the status official SDKs map to the right exception. The status match is exhaustive:
//! a new variant forces a decision.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::budgets::gate::BudgetError;
use crate::credentials::AuthError;

/// Why the last upstream attempt failed, when every route failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UpstreamFailure {
    /// Could not connect (or the provider is not configured on this replica).
    Unreachable(String),
    Timeout(String),
    RateLimited(String),
    ServerError {
        status: u16,
        message: String,
    },
}

#[derive(Debug, thiserror::Error)]
pub enum ProxyError {
    #[error("missing API key: send it as `Authorization: Bearer <key>` or `x-api-key`")]
    MissingKey,
    #[error("{0}")]
    Auth(&'static str, AuthError),
    #[error("this API key may not use model {model:?}")]
    ModelNotAllowed { model: String },
    #[error("the model {model:?} does not exist")]
    ModelNotFound { model: String },
    #[error("request body is not valid JSON: {0}")]
    InvalidJson(String),
    #[error("missing required parameter: {param}")]
    MissingParam { param: &'static str },
    #[error("invalid value for {param}: {message}")]
    InvalidParam {
        param: &'static str,
        message: String,
    },
    #[error("request body exceeds the limit of {limit} bytes")]
    PayloadTooLarge { limit: u64 },
    #[error("unknown endpoint {0}")]
    UnknownEndpoint(String),
    #[error("model {model:?} has no route that this gateway can serve")]
    NoRoute { model: String },
    #[error("all routes failed; last: {0:?}")]
    Upstream(UpstreamFailure),
    #[error("{0}")]
    Budget(crate::budgets::gate::BudgetError),
    #[error("internal error")]
    Internal,
}

impl ProxyError {
    pub fn auth(e: AuthError) -> ProxyError {
        let message = match e {
            AuthError::Invalid => "invalid API key",
            AuthError::Revoked => "this API key has been revoked",
            AuthError::Expired => "this API key has expired",
            AuthError::OwnerDisabled => "the owner of this API key is disabled",
        };
        ProxyError::Auth(message, e)
    }

    pub fn status(&self) -> StatusCode {
        match self {
            ProxyError::MissingKey | ProxyError::Auth(..) => StatusCode::UNAUTHORIZED,
            ProxyError::ModelNotAllowed { .. } => StatusCode::FORBIDDEN,
            ProxyError::ModelNotFound { .. } | ProxyError::UnknownEndpoint(_) => {
                StatusCode::NOT_FOUND
            }
            ProxyError::InvalidJson(_)
            | ProxyError::MissingParam { .. }
            | ProxyError::InvalidParam { .. } => StatusCode::BAD_REQUEST,
            ProxyError::PayloadTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            ProxyError::NoRoute { .. } => StatusCode::SERVICE_UNAVAILABLE,
            ProxyError::Upstream(f) => match f {
                UpstreamFailure::Unreachable(_) | UpstreamFailure::RateLimited(_) => {
                    StatusCode::SERVICE_UNAVAILABLE
                }
                UpstreamFailure::Timeout(_) => StatusCode::GATEWAY_TIMEOUT,
                UpstreamFailure::ServerError { .. } => StatusCode::BAD_GATEWAY,
            },
            ProxyError::Budget(b) => match b {
                BudgetError::Exceeded { .. } => StatusCode::TOO_MANY_REQUESTS,
                BudgetError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            },
            ProxyError::Internal => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// OpenAI's `error.code`.
    pub fn code(&self) -> &'static str {
        match self {
            ProxyError::MissingKey => "invalid_api_key",
            ProxyError::Auth(_, e) => match e {
                AuthError::Invalid => "invalid_api_key",
                AuthError::Revoked => "api_key_revoked",
                AuthError::Expired => "api_key_expired",
                AuthError::OwnerDisabled => "api_key_owner_disabled",
            },
            ProxyError::ModelNotAllowed { .. } => "model_not_allowed",
            ProxyError::ModelNotFound { .. } => "model_not_found",
            ProxyError::InvalidJson(_) => "invalid_json",
            ProxyError::MissingParam { .. } => "missing_required_parameter",
            ProxyError::InvalidParam { .. } => "invalid_value",
            ProxyError::PayloadTooLarge { .. } => "request_too_large",
            ProxyError::UnknownEndpoint(_) => "unknown_url",
            ProxyError::NoRoute { .. } => "no_route_available",
            ProxyError::Upstream(f) => match f {
                UpstreamFailure::Unreachable(_) => "upstream_unreachable",
                UpstreamFailure::Timeout(_) => "upstream_timeout",
                UpstreamFailure::RateLimited(_) => "upstream_rate_limited",
                UpstreamFailure::ServerError { .. } => "upstream_error",
            },
            ProxyError::Budget(b) => match b {
                BudgetError::Exceeded { .. } => "budget_exceeded",
                BudgetError::Unavailable(_) => "budget_unavailable",
            },
            ProxyError::Internal => "internal_error",
        }
    }

    fn kind(&self) -> &'static str {
        if matches!(self, ProxyError::Budget(BudgetError::Exceeded { .. })) {
            return "insufficient_quota";
        }
        match self.status().as_u16() {
            401 => "invalid_request_error",
            403 => "permission_error",
            s if s >= 500 => "api_error",
            _ => "invalid_request_error",
        }
    }

    fn param(&self) -> Option<&'static str> {
        match self {
            ProxyError::MissingParam { param } | ProxyError::InvalidParam { param, .. } => {
                Some(param)
            }
            ProxyError::ModelNotFound { .. } | ProxyError::ModelNotAllowed { .. } => Some("model"),
            _ => None,
        }
    }

    fn message(&self) -> String {
        match self {
            ProxyError::Upstream(f) => match f {
                UpstreamFailure::Unreachable(m)
                | UpstreamFailure::Timeout(m)
                | UpstreamFailure::RateLimited(m) => format!("all routes failed; last: {m}"),
                UpstreamFailure::ServerError { status, message } => {
                    format!("all routes failed; last: upstream answered {status}: {message}")
                }
            },
            other => other.to_string(),
        }
    }
}

impl IntoResponse for ProxyError {
    fn into_response(self) -> Response {
        let body = json!({
            "error": {
                "message": self.message(),
                "type": self.kind(),
                "param": self.param(),
                "code": self.code(),
            }
        });
        (self.status(), Json(body)).into_response()
    }
}
