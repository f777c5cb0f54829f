//! The `openai_compat` adapter: any upstream speaking the OpenAI HTTP API.
//!
//! One [`HttpClient`] per provider, whose idle upstream connections are kept per serving lane
//! (`http::lanes`), so a request borrows a connection driven by its own thread. The adapter
//! forwards the body untouched, returns status and content type as they are, and enforces the
//! provider's three deadlines (connect, first byte = response headers, total). It does not
//! retry or fall back; `proxy` does that. The upstream key lives only inside the client's
//! default headers (marked sensitive) and is never printed.

use std::fmt;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use anyhow::{Context as _, anyhow};
use futures_util::{Stream, TryStreamExt};
use hyper::Uri;
use hyper::header::{AUTHORIZATION, HeaderMap, HeaderName, HeaderValue, USER_AGENT};
use tokio::time::{Instant, Sleep};

use super::http_client::{HttpClient, SendError, error_chain};
use super::{TimeoutKind, UpstreamError, UpstreamRequest, UpstreamResponse};
use crate::config::schema;

/// An upstream speaking the OpenAI HTTP API. Cheap to clone; clones share the client.
#[derive(Clone)]
pub struct OpenAiCompatProvider {
    inner: Arc<Inner>,
}

struct Inner {
    id: String,
    /// The base URL without a trailing slash, e.g. `https://api.openai.com/v1`.
    base_url: String,
    /// Upstream paths (origin-form), parsed once.
    chat_path: Uri,
    embeddings_path: Uri,
    /// Holds the default headers, including `authorization`.
    client: HttpClient,
    has_key: bool,
    extra_header_names: Vec<String>,
    first_byte: Duration,
    total: Duration,
}

impl fmt::Debug for OpenAiCompatProvider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let inner = &self.inner;
        f.debug_struct("OpenAiCompatProvider")
            .field("id", &inner.id)
            .field("base_url", &inner.base_url)
            .field(
                "api_key",
                &if inner.has_key { "<redacted>" } else { "unset" },
            )
            .field("headers", &inner.extra_header_names)
            .field("first_byte", &inner.first_byte)
            .field("total", &inner.total)
            .finish_non_exhaustive()
    }
}

impl OpenAiCompatProvider {
    /// Builds the provider and its client for `lanes` serving lanes.
    pub fn from_config(
        config: &schema::Provider,
        lanes: usize,
    ) -> anyhow::Result<OpenAiCompatProvider> {
        let base_url = match config.base_url.as_deref() {
            Some(url) if !url.is_empty() => url.trim_end_matches('/').to_string(),
            _ => return Err(anyhow!("base_url is required for kind openai_compat")),
        };
        let origin = url::Url::parse(&base_url)
            .with_context(|| format!("base_url {base_url:?} is not a URL"))?;
        if origin.query().is_some() || origin.fragment().is_some() {
            return Err(anyhow!(
                "base_url {base_url:?} must not have a query or fragment (the endpoint path is \
                 appended to it)"
            ));
        }
        let mut headers = HeaderMap::new();
        headers.insert(
            USER_AGENT,
            HeaderValue::from_static(concat!("gateway/", env!("CARGO_PKG_VERSION"))),
        );
        let has_key = match config.api_key.expose() {
            Some(key) => {
                let mut value = HeaderValue::from_str(&format!("Bearer {key}"))
                    .map_err(|_| anyhow!("api_key contains characters not allowed in a header"))?;
                value.set_sensitive(true);
                headers.insert(AUTHORIZATION, value);
                true
            }
            None => false,
        };
        // Configured headers come last so they can override anything above (e.g. a custom
        // auth scheme). Their values may be keys too, so they are sensitive as well.
        for (name, value) in &config.headers {
            let name = HeaderName::from_bytes(name.as_bytes())
                .with_context(|| format!("headers: {name:?} is not a valid header name"))?;
            let mut value = HeaderValue::from_str(value)
                .map_err(|_| anyhow!("headers.{name}: value is not a valid header value"))?;
            value.set_sensitive(true);
            headers.insert(name, value);
        }
        let client = HttpClient::new(
            &origin,
            lanes,
            Duration::from_millis(config.timeouts.connect_ms),
            headers,
        )
        .with_context(|| format!("base_url {base_url:?}"))?;
        let base_path = origin.path().trim_end_matches('/');
        let path = |endpoint: super::Endpoint| {
            Uri::try_from(format!("{base_path}{}", endpoint.path()))
                .with_context(|| format!("base_url {base_url:?} does not make a valid path"))
        };
        Ok(OpenAiCompatProvider {
            inner: Arc::new(Inner {
                id: config.id.clone(),
                chat_path: path(super::Endpoint::ChatCompletions)?,
                embeddings_path: path(super::Endpoint::Embeddings)?,
                base_url,
                client,
                has_key,
                extra_header_names: config.headers.keys().cloned().collect(),
                first_byte: Duration::from_millis(config.timeouts.first_byte_ms),
                total: Duration::from_millis(config.timeouts.total_ms),
            }),
        })
    }

    /// The configured provider id.
    pub fn id(&self) -> &str {
        &self.inner.id
    }

    /// POSTs the body to `{base_url}{endpoint}`; resolves when the response headers arrive.
    pub async fn send(&self, req: UpstreamRequest) -> Result<UpstreamResponse, UpstreamError> {
        let inner = &self.inner;
        let start = Instant::now();
        let total_deadline = start + inner.total;
        // Waiting for headers is bounded by whichever deadline comes first.
        let (header_deadline, header_timeout) = if inner.first_byte <= inner.total {
            (start + inner.first_byte, TimeoutKind::FirstByte)
        } else {
            (total_deadline, TimeoutKind::Total)
        };

        let path = match req.endpoint {
            super::Endpoint::ChatCompletions => &inner.chat_path,
            super::Endpoint::Embeddings => &inner.embeddings_path,
        };
        let accept = HeaderValue::from_static(if req.stream {
            "text/event-stream"
        } else {
            "application/json"
        });
        let sending = inner.client.post(path, req.body, accept);
        let answer = match tokio::time::timeout_at(header_deadline, sending).await {
            Err(_elapsed) => return Err(UpstreamError::Timeout(header_timeout)),
            Ok(Err(SendError::ConnectTimeout)) => {
                return Err(UpstreamError::Timeout(TimeoutKind::Connect));
            }
            // Besides connect errors proper, this covers a connection that broke before the
            // upstream answered: nothing reached the client, so the proxy may try elsewhere.
            // The message names at most host and port, never the key (a header holds it).
            Ok(Err(SendError::Failed(why))) => return Err(UpstreamError::Connect(why)),
            Ok(Ok(answer)) => answer,
        };
        // The stream owns the connection: dropping it before the end closes the connection.
        let body = answer
            .body
            .map_err(|e| UpstreamError::Body(error_chain(&e)));
        Ok(UpstreamResponse {
            status: answer.status,
            content_type: answer.content_type,
            body: Box::pin(Deadline::new(body, total_deadline)),
        })
    }
}

/// A body stream that yields `Err(Timeout(Total))` and ends once `deadline` passes.
struct Deadline<S> {
    /// `None` once finished, so the upstream body is dropped (and the connection released)
    /// as soon as the deadline passes rather than when the caller drops us.
    inner: Option<S>,
    sleep: Pin<Box<Sleep>>,
}

impl<S> Deadline<S> {
    fn new(inner: S, deadline: Instant) -> Deadline<S> {
        Deadline {
            inner: Some(inner),
            sleep: Box::pin(tokio::time::sleep_until(deadline)),
        }
    }
}

impl<S> Stream for Deadline<S>
where
    S: Stream<Item = Result<bytes::Bytes, UpstreamError>> + Unpin,
{
    type Item = Result<bytes::Bytes, UpstreamError>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = &mut *self;
        let Some(inner) = this.inner.as_mut() else {
            return Poll::Ready(None);
        };
        if this.sleep.as_mut().poll(cx).is_ready() {
            this.inner = None;
            return Poll::Ready(Some(Err(UpstreamError::Timeout(TimeoutKind::Total))));
        }
        let item = Pin::new(inner).poll_next(cx);
        if matches!(item, Poll::Ready(None) | Poll::Ready(Some(Err(_)))) {
            this.inner = None;
        }
        item
    }
}

#[cfg(test)]
#[path = "openai_compat_tests.rs"]
mod tests;
