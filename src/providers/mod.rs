//! Upstream adapters: how the gateway talks to a model provider.
//!
//! A [`Provider`] takes an [`UpstreamRequest`] whose JSON body the proxy has already rewritten
//! (upstream model name, `stream_options`) and returns the upstream's status, content type and
//! body as a stream of bytes, as they arrive. Adapters never buffer a whole response, never
//! decide about fallback (a 429 or 5xx is a normal [`UpstreamResponse`]) and never parse usage:
//! routing, fallback, usage extraction and budgets belong to `proxy`. Errors are reduced to the
//! three things the proxy needs to tell apart ([`UpstreamError`]).
//!
//! Kinds: [`mock`] (deterministic, offline, no keys) and [`openai_compat`] (any upstream
//! speaking the OpenAI HTTP API).

pub mod http_client;
pub mod mock;
pub mod openai_compat;

use std::collections::HashMap;
use std::fmt;
use std::pin::Pin;

use anyhow::{Context, bail};
use bytes::Bytes;
use futures_util::Stream;

use crate::config::schema::{self, ProviderKind};

/// The OpenAI API operation a request is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Endpoint {
    ChatCompletions,
    Embeddings,
}

impl Endpoint {
    /// The path below the provider's base URL, e.g. `/chat/completions`.
    pub fn path(&self) -> &'static str {
        match self {
            Endpoint::ChatCompletions => "/chat/completions",
            Endpoint::Embeddings => "/embeddings",
        }
    }
}

/// One request to send upstream.
#[derive(Debug, Clone)]
pub struct UpstreamRequest {
    pub endpoint: Endpoint,
    /// The JSON body, already rewritten by the proxy (upstream model name, `stream_options`).
    pub body: Bytes,
    /// True when the body asks for server-sent events (`"stream": true`).
    pub stream: bool,
}

/// A response body, yielded chunk by chunk as it arrives. Dropping it aborts the exchange.
pub type BodyStream = Pin<Box<dyn Stream<Item = Result<Bytes, UpstreamError>> + Send>>;

/// What the upstream answered: status and content type as they are, and the body as a stream.
pub struct UpstreamResponse {
    pub status: u16,
    pub content_type: Option<String>,
    /// Streamed as it arrives; never buffered whole by the provider.
    pub body: BodyStream,
}

impl fmt::Debug for UpstreamResponse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UpstreamResponse")
            .field("status", &self.status)
            .field("content_type", &self.content_type)
            .finish_non_exhaustive()
    }
}

/// Which deadline ran out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimeoutKind {
    /// The TCP/TLS connection was not established within `timeouts.connect_ms`.
    Connect,
    /// Response headers did not arrive within `timeouts.first_byte_ms`.
    FirstByte,
    /// The whole exchange took longer than `timeouts.total_ms`.
    Total,
}

impl fmt::Display for TimeoutKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            TimeoutKind::Connect => "connect",
            TimeoutKind::FirstByte => "first byte",
            TimeoutKind::Total => "total",
        })
    }
}

/// Why an upstream exchange failed. Upstream 4xx/5xx answers are not errors.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UpstreamError {
    /// No response headers were received: could not connect (DNS, TCP, TLS) or the connection
    /// failed before the upstream answered. Nothing reached the client; safe to try elsewhere.
    #[error("upstream connection failed: {0}")]
    Connect(String),
    /// A deadline from the provider's `timeouts` passed.
    #[error("upstream {0} timeout")]
    Timeout(TimeoutKind),
    /// Reading the body failed after the response headers arrived.
    #[error("upstream body failed: {0}")]
    Body(String),
}

/// A configured upstream, ready to send requests. Cheap to clone (shared internals).
#[derive(Debug, Clone)]
pub enum Provider {
    Mock(mock::MockProvider),
    OpenAiCompat(openai_compat::OpenAiCompatProvider),
}

impl Provider {
    /// Builds the adapter for one configured provider, for `lanes` serving lanes.
    pub fn from_config(config: &schema::Provider, lanes: usize) -> anyhow::Result<Provider> {
        Ok(match config.kind {
            ProviderKind::Mock => Provider::Mock(mock::MockProvider::from_config(config)),
            ProviderKind::OpenaiCompat => Provider::OpenAiCompat(
                openai_compat::OpenAiCompatProvider::from_config(config, lanes)?,
            ),
        })
    }

    /// The configured provider id.
    pub fn id(&self) -> &str {
        match self {
            Provider::Mock(p) => p.id(),
            Provider::OpenAiCompat(p) => p.id(),
        }
    }

    /// The configured kind, as written in YAML (`mock`, `openai_compat`).
    pub fn kind(&self) -> &'static str {
        match self {
            Provider::Mock(_) => ProviderKind::Mock.as_str(),
            Provider::OpenAiCompat(_) => ProviderKind::OpenaiCompat.as_str(),
        }
    }

    /// Sends one request; resolves once the response headers are in.
    pub async fn send(&self, req: UpstreamRequest) -> Result<UpstreamResponse, UpstreamError> {
        match self {
            Provider::Mock(p) => Ok(p.send(req).await),
            Provider::OpenAiCompat(p) => p.send(req).await,
        }
    }
}

/// Installs rustls' ring crypto provider as the process default. reqwest is built with
/// `rustls-no-provider`, so this must run before the first `reqwest::Client` is built
/// (reqwest panics otherwise). Idempotent: "already installed" is not an error.
pub fn install_crypto_provider() {
    // Err means a provider is already installed (by us or by another caller); either way one is.
    let _ = rustls::crypto::ring::default_provider().install_default();
}

/// Builds every configured provider for `lanes` serving lanes (`http::lanes`), keyed by id.
/// Fails on a duplicate id or on a provider that cannot be built (e.g. `openai_compat` without
/// `base_url`, an invalid header).
pub fn build_all(
    providers: &[schema::Provider],
    lanes: usize,
) -> anyhow::Result<HashMap<String, Provider>> {
    install_crypto_provider();
    let mut built = HashMap::with_capacity(providers.len());
    for (i, config) in providers.iter().enumerate() {
        let provider = Provider::from_config(config, lanes)
            .with_context(|| format!("providers[{i}] {:?}", config.id))?;
        if built.insert(config.id.clone(), provider).is_some() {
            bail!("providers[{i}]: duplicate provider id {:?}", config.id);
        }
    }
    Ok(built)
}

#[cfg(test)]
pub(crate) mod testutil {
    use futures_util::StreamExt;

    use super::*;

    /// A provider config with defaults, for tests.
    pub fn config(id: &str, kind: ProviderKind) -> schema::Provider {
        schema::Provider {
            id: id.into(),
            kind,
            base_url: None,
            api_key: Default::default(),
            headers: Default::default(),
            timeouts: Default::default(),
            latency_ms: 0,
        }
    }

    /// Reads a body to the end, returning every chunk or item in order.
    pub async fn items(body: BodyStream) -> Vec<Result<Bytes, UpstreamError>> {
        body.collect().await
    }

    /// Reads a body to the end; panics on an error item.
    pub async fn collect(body: BodyStream) -> Vec<u8> {
        let mut out = Vec::new();
        for item in items(body).await {
            out.extend_from_slice(&item.unwrap());
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::testutil::config;
    use super::*;

    #[test]
    fn endpoint_paths_are_the_openai_ones() {
        assert_eq!(Endpoint::ChatCompletions.path(), "/chat/completions");
        assert_eq!(Endpoint::Embeddings.path(), "/embeddings");
    }

    #[test]
    fn build_all_builds_every_kind_keyed_by_id() {
        let mut upstream = config("openai", ProviderKind::OpenaiCompat);
        upstream.base_url = Some("http://127.0.0.1:9/v1".into());
        let built = build_all(&[config("mock", ProviderKind::Mock), upstream], 2).unwrap();
        assert_eq!(built.len(), 2);
        assert_eq!(built["mock"].kind(), "mock");
        assert_eq!(built["mock"].id(), "mock");
        assert_eq!(built["openai"].kind(), "openai_compat");
        assert_eq!(built["openai"].id(), "openai");
    }

    #[test]
    fn build_all_rejects_duplicate_ids() {
        let err = build_all(
            &[
                config("a", ProviderKind::Mock),
                config("a", ProviderKind::Mock),
            ],
            1,
        )
        .unwrap_err();
        assert!(
            format!("{err:#}").contains("duplicate provider id"),
            "{err:#}"
        );
    }

    #[test]
    fn build_all_rejects_openai_compat_without_base_url() {
        let err = build_all(&[config("up", ProviderKind::OpenaiCompat)], 1).unwrap_err();
        let msg = format!("{err:#}");
        assert!(
            msg.contains("providers[0]") && msg.contains("base_url"),
            "{msg}"
        );
    }

    #[test]
    fn installing_the_crypto_provider_twice_is_fine() {
        install_crypto_provider();
        install_crypto_provider();
        assert!(rustls::crypto::CryptoProvider::get_default().is_some());
    }
}
