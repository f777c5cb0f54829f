//! Data-plane authentication: the key from `Authorization: Bearer` or `x-api-key`, checked
//! against the in-memory key cache. Admin cookies and control-plane tokens never match here.

use std::sync::Arc;

use axum::http::HeaderMap;
use axum::http::header::AUTHORIZATION;

use super::error::ProxyError;
use crate::credentials::KeyCache;
use crate::credentials::cache::CachedCredential;

/// The key the client presented, if any.
fn presented(headers: &HeaderMap) -> Option<&str> {
    if let Some(v) = headers.get(AUTHORIZATION).and_then(|v| v.to_str().ok()) {
        let v = v.trim();
        let (scheme, rest) = v.split_once(' ')?;
        return scheme.eq_ignore_ascii_case("bearer").then_some(rest.trim());
    }
    headers
        .get("x-api-key")
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
}

pub fn authenticate(
    keys: &KeyCache,
    headers: &HeaderMap,
) -> Result<Arc<CachedCredential>, ProxyError> {
    let raw = presented(headers)
        .filter(|k| !k.is_empty())
        .ok_or(ProxyError::MissingKey)?;
    keys.authenticate(raw).map_err(ProxyError::auth)
}
