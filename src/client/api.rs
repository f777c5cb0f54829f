//! A small JSON client for `/api/v1/admin/*`: the saved `gwa_` token as
//! `Authorization: Bearer`, JSON in and out, the server's `{"error":{"code","message"}}`
//! turned into [`ClientError::Api`], and no redirects followed (an API that redirects is on
//! the wrong URL, and a bearer token must not travel to wherever a redirect points).

use std::time::Duration;

use reqwest::{Method, RequestBuilder, Response};
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::{ClientError, ServerUrl};

const TIMEOUT: Duration = Duration::from_secs(30);
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// Calls one gateway's admin API. No `Debug`: it holds the token.
pub struct Api {
    http: reqwest::Client,
    server: ServerUrl,
    token: Option<String>,
}

/// Percent-encodes one path segment (ids typed by people may hold anything).
pub fn segment(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

impl Api {
    /// A client for `server`, authenticated with `token` when given.
    pub fn new(server: &ServerUrl, token: Option<&str>) -> Result<Api, ClientError> {
        crate::providers::install_crypto_provider();
        let http = reqwest::Client::builder()
            .timeout(TIMEOUT)
            .connect_timeout(CONNECT_TIMEOUT)
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("gateway-cli/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| ClientError::Local(anyhow::anyhow!("cannot build an HTTP client: {e}")))?;
        Ok(Api {
            http,
            server: server.clone(),
            token: token.map(str::to_string),
        })
    }

    pub fn server(&self) -> &ServerUrl {
        &self.server
    }

    fn request(&self, method: Method, path: &str) -> RequestBuilder {
        let req = self
            .http
            .request(method, format!("{}{path}", self.server.as_str()));
        match &self.token {
            Some(t) => req.bearer_auth(t),
            None => req,
        }
    }

    pub async fn get<T: DeserializeOwned>(&self, path: &str) -> Result<T, ClientError> {
        self.send(self.request(Method::GET, path)).await
    }

    pub async fn post<B: Serialize, T: DeserializeOwned>(
        &self,
        path: &str,
        body: &B,
    ) -> Result<T, ClientError> {
        self.send(self.request(Method::POST, path).json(body)).await
    }

    pub async fn delete<T: DeserializeOwned>(&self, path: &str) -> Result<T, ClientError> {
        self.send(self.request(Method::DELETE, path)).await
    }

    async fn send<T: DeserializeOwned>(&self, req: RequestBuilder) -> Result<T, ClientError> {
        let resp = req.send().await.map_err(|e| ClientError::Unreachable {
            server: self.server.to_string(),
            detail: error_chain(&e),
        })?;
        let status = resp.status();
        if status.is_redirection() {
            let to = resp
                .headers()
                .get(reqwest::header::LOCATION)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("?")
                .to_string();
            return Err(ClientError::Usage(format!(
                "{} answered with a redirect ({status}) to {to}: use the gateway's own URL \
                 as --server",
                self.server
            )));
        }
        if !status.is_success() {
            return Err(self.failure(resp).await);
        }
        let bytes = resp.bytes().await.map_err(|e| ClientError::Unreachable {
            server: self.server.to_string(),
            detail: error_chain(&e),
        })?;
        serde_json::from_slice(&bytes).map_err(|e| {
            ClientError::Local(anyhow::anyhow!(
                "{} sent an answer this client does not understand: {e}",
                self.server
            ))
        })
    }

    async fn failure(&self, resp: Response) -> ClientError {
        let status = resp.status().as_u16();
        let text = resp.text().await.unwrap_or_default();
        let parsed: Option<(String, String)> = serde_json::from_str::<serde_json::Value>(&text)
            .ok()
            .and_then(|v| {
                let e = v.get("error")?;
                Some((
                    e.get("code")?.as_str()?.to_string(),
                    e.get("message")?.as_str()?.to_string(),
                ))
            });
        match parsed {
            Some((code, message)) => ClientError::Api {
                status,
                code,
                message,
            },
            None => ClientError::Api {
                status,
                code: "http_error".into(),
                message: format!(
                    "{} answered {status} without the admin API's error body (is this a \
                     gateway?): {}",
                    self.server,
                    text.chars().take(200).collect::<String>()
                ),
            },
        }
    }
}

/// The error and its causes on one line (reqwest's top-level message alone says little).
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut parts = vec![e.to_string()];
    let mut source = e.source();
    while let Some(s) = source {
        parts.push(s.to_string());
        source = s.source();
    }
    parts.join(": ")
}

#[cfg(test)]
mod tests {
    use super::segment;

    #[test]
    fn path_segments_are_percent_encoded() {
        assert_eq!(segment("ci-bot_1.x~"), "ci-bot_1.x~");
        assert_eq!(segment("a/b c?#"), "a%2Fb%20c%3F%23");
    }
}
