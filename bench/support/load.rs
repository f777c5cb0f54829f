//! The in-process load generator: keep-alive HTTP/1.1 clients (reqwest), one call at a time
//! with the direct and gateway targets interleaved, N concurrent callers sharing a request
//! budget and a deadline, many streams held open at once, and an RSS sampler for the gateway
//! process. Any non-2xx answer, or a body that is not what the fake upstream sends, is an
//! error: a benchmark that silently measures error pages is worse than none.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use bytes::Bytes;
use futures_util::StreamExt;
use reqwest::header::{AUTHORIZATION, CONTENT_TYPE, HeaderValue};
use tokio::sync::{mpsc, watch};
use tokio::task::JoinSet;

use gateway::proxy::OVERHEAD_HEADER;

/// Bound on any single request of the load phases.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// Where requests go: the upstream directly, or the gateway.
#[derive(Clone)]
pub struct Target {
    pub url: String,
    auth: HeaderValue,
}

impl Target {
    /// Both targets get the same `Authorization` header, so request sizes match.
    pub fn new(url: String, key: &str) -> anyhow::Result<Target> {
        let auth = HeaderValue::from_str(&format!("Bearer {key}")).context("key as a header")?;
        Ok(Target { url, auth })
    }
}

/// A chat-completions request body for `model`.
pub fn chat_body(model: &str, stream: bool) -> Bytes {
    let body = serde_json::json!({
        "model": model,
        "messages": [{"role": "user", "content": "Say hello to the benchmark."}],
        "max_tokens": 16,
        "stream": stream,
    });
    Bytes::from(body.to_string())
}

/// What is measured per call.
#[derive(Debug, Clone, Copy)]
pub enum Call {
    /// Whole JSON response: time until the body is fully read.
    Json,
    /// SSE: time until the first body chunk; the rest is read (and checked) untimed.
    StreamFirstByte,
}

/// One measured call.
#[derive(Debug, Clone, Copy)]
pub struct Sample {
    /// JSON: until the body is read; SSE: until the first chunk.
    pub latency_us: u64,
    /// Until the whole body was read (for SSE, the `[DONE]` event).
    pub total_us: u64,
    /// The gateway's own `x-gateway-overhead-us`, when the target is the gateway.
    pub overhead_us: Option<u64>,
}

/// A keep-alive client with Nagle off, as SDKs use.
pub fn client() -> anyhow::Result<reqwest::Client> {
    gateway::providers::install_crypto_provider();
    reqwest::Client::builder()
        .no_proxy()
        .tcp_nodelay(true)
        .timeout(REQUEST_TIMEOUT)
        .build()
        .context("building the load-generator HTTP client")
}

pub async fn call(
    client: &reqwest::Client,
    target: &Target,
    kind: Call,
    body: &Bytes,
) -> anyhow::Result<Sample> {
    let started = Instant::now();
    let response = client
        .post(&target.url)
        .header(AUTHORIZATION, target.auth.clone())
        .header(CONTENT_TYPE, "application/json")
        .body(body.clone())
        .send()
        .await
        .with_context(|| format!("POST {}", target.url))?;
    let status = response.status();
    if !status.is_success() {
        let text = response.text().await.unwrap_or_default();
        bail!("POST {} answered {status}: {text}", target.url);
    }
    let overhead_us = response
        .headers()
        .get(OVERHEAD_HEADER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok());
    let (latency, total) = match kind {
        Call::Json => {
            let bytes = response.bytes().await.context("reading a JSON body")?;
            let latency = started.elapsed();
            if !bytes.starts_with(b"{\"id\":\"chatcmpl-bench\"") {
                bail!(
                    "unexpected JSON body from {}: {}",
                    target.url,
                    String::from_utf8_lossy(&bytes)
                );
            }
            (latency, latency)
        }
        Call::StreamFirstByte => {
            let mut stream = response.bytes_stream();
            let first = stream
                .next()
                .await
                .context("stream ended before its first chunk")?
                .context("reading the first chunk")?;
            let latency = started.elapsed();
            if !first.starts_with(b"data: ") {
                bail!(
                    "unexpected first SSE chunk: {}",
                    String::from_utf8_lossy(&first)
                );
            }
            let mut tail = first.to_vec();
            while let Some(chunk) = stream.next().await {
                tail.extend_from_slice(&chunk.context("reading the SSE stream")?);
                let keep = tail.len().saturating_sub(64);
                tail.drain(..keep);
            }
            if !tail.ends_with(b"data: [DONE]\n\n") {
                bail!("SSE stream did not end with [DONE]");
            }
            (latency, started.elapsed())
        }
    };
    Ok(Sample {
        latency_us: latency.as_micros() as u64,
        total_us: total.as_micros() as u64,
        overhead_us,
    })
}

/// Samples of one target in a serial phase.
pub struct Series {
    pub samples: Vec<Sample>,
    /// Upstream connections opened while this target's calls ran (keep-alive works: ~0).
    pub upstream_connections: u64,
}

/// `n` rounds of one call to each target, rotating which goes first, so all see the same
/// machine state. `connections` reads the upstream's accepted-connection counter. Returns
/// the series per target, in the order given.
pub async fn serial(
    client: &reqwest::Client,
    targets: &[&Target],
    kind: Call,
    body: &Bytes,
    n: usize,
    connections: &dyn Fn() -> u64,
) -> anyhow::Result<Vec<Series>> {
    let mut out: Vec<Series> = targets
        .iter()
        .map(|_| Series {
            samples: Vec::with_capacity(n),
            upstream_connections: 0,
        })
        .collect();
    for i in 0..n {
        for k in 0..targets.len() {
            let j = (i + k) % targets.len();
            let before = connections();
            out[j]
                .samples
                .push(call(client, targets[j], kind, body).await?);
            out[j].upstream_connections += connections() - before;
        }
    }
    Ok(out)
}

/// The result of a concurrent run.
pub struct Run {
    pub samples: Vec<Sample>,
    pub elapsed: Duration,
}

impl Run {
    pub fn requests_per_second(&self) -> f64 {
        self.samples.len() as f64 / self.elapsed.as_secs_f64()
    }
}

/// `concurrency` callers issue requests back to back until `max_requests` were started or
/// `max_time` passed, whichever comes first.
pub async fn concurrent(
    client: &reqwest::Client,
    target: &Target,
    body: &Bytes,
    concurrency: usize,
    max_requests: usize,
    max_time: Duration,
) -> anyhow::Result<Run> {
    let issued = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let deadline = started + max_time;
    let mut callers = JoinSet::new();
    for _ in 0..concurrency {
        let (client, target, body, issued) =
            (client.clone(), target.clone(), body.clone(), issued.clone());
        callers.spawn(async move {
            let mut samples = Vec::with_capacity(max_requests / concurrency + 1);
            while issued.fetch_add(1, Ordering::Relaxed) < max_requests && Instant::now() < deadline
            {
                samples.push(call(&client, &target, Call::Json, &body).await?);
            }
            anyhow::Ok(samples)
        });
    }
    let mut samples = Vec::with_capacity(max_requests);
    while let Some(joined) = callers.join_next().await {
        samples.extend(joined.context("a load task panicked")??);
    }
    Ok(Run {
        samples,
        elapsed: started.elapsed(),
    })
}

/// Samples a process's RSS in the background; [`RssSampler::finish`] returns the maximum.
pub struct RssSampler {
    stop: Arc<AtomicBool>,
    task: tokio::task::JoinHandle<anyhow::Result<u64>>,
}

impl RssSampler {
    /// Samples every `every`, for at most `limit` (a bound, in case `finish` is never called).
    pub fn start(pid: u32, every: Duration, limit: Duration) -> RssSampler {
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        let task = tokio::spawn(async move {
            let mut max = super::process::rss_bytes(pid)?;
            let mut tick = tokio::time::interval(every);
            let rounds = (limit.as_micros() / every.as_micros().max(1)) as usize;
            for _ in 0..rounds {
                tick.tick().await;
                max = max.max(super::process::rss_bytes(pid)?);
                if flag.load(Ordering::Relaxed) {
                    break;
                }
            }
            Ok(max)
        });
        RssSampler { stop, task }
    }

    pub async fn finish(self) -> anyhow::Result<u64> {
        self.stop.store(true, Ordering::Relaxed);
        self.task.await.context("RSS sampler panicked")?
    }
}

/// Streams opened and parked: each has delivered its first chunk and is not read further.
pub struct HeldStreams {
    pub opened: usize,
    pub open_time: Duration,
    release: watch::Sender<bool>,
    holders: JoinSet<()>,
}

/// Opens `n` streaming requests at once and waits until each delivered its first chunk.
/// Uses its own client so these connections are not reused by later phases.
pub async fn open_streams(
    target: &Target,
    body: &Bytes,
    n: usize,
    within: Duration,
) -> anyhow::Result<HeldStreams> {
    gateway::providers::install_crypto_provider();
    let client = reqwest::Client::builder()
        .no_proxy()
        .tcp_nodelay(true)
        .connect_timeout(Duration::from_secs(10))
        .build()
        .context("building the stream-holding client")?;
    let started = Instant::now();
    let (ready_tx, mut ready_rx) = mpsc::channel::<anyhow::Result<()>>(n.max(1));
    let (release, release_rx) = watch::channel(false);
    let mut holders = JoinSet::new();
    for _ in 0..n {
        let (client, target, body) = (client.clone(), target.clone(), body.clone());
        let (ready_tx, mut release_rx) = (ready_tx.clone(), release_rx.clone());
        holders.spawn(async move {
            let opened = async {
                let response = client
                    .post(&target.url)
                    .header(AUTHORIZATION, target.auth.clone())
                    .header(CONTENT_TYPE, "application/json")
                    .body(body)
                    .send()
                    .await
                    .context("opening a held stream")?;
                let status = response.status();
                if !status.is_success() {
                    bail!("held stream answered {status}");
                }
                let mut stream = response.bytes_stream();
                match stream.next().await {
                    Some(Ok(first)) if first.starts_with(b"data: ") => Ok(stream),
                    Some(Ok(other)) => {
                        bail!("held stream began with {}", String::from_utf8_lossy(&other))
                    }
                    Some(Err(e)) => Err(e).context("reading a held stream's first chunk"),
                    None => bail!("held stream ended before its first chunk"),
                }
            }
            .await;
            match opened {
                Ok(stream) => {
                    let _ = ready_tx.send(Ok(())).await;
                    let _ = release_rx.wait_for(|go| *go).await;
                    drop(stream);
                }
                Err(e) => {
                    let _ = ready_tx.send(Err(e)).await;
                }
            }
        });
    }
    drop(ready_tx);
    let deadline = tokio::time::Instant::now() + within;
    let mut opened = 0;
    while opened < n {
        match tokio::time::timeout_at(deadline, ready_rx.recv()).await {
            Err(_) => bail!("only {opened} of {n} streams delivered a first chunk in {within:?}"),
            Ok(None) => bail!("stream holders ended early ({opened} of {n} opened)"),
            Ok(Some(Err(e))) => return Err(e.context(format!("after {opened} of {n} streams"))),
            Ok(Some(Ok(()))) => opened += 1,
        }
    }
    Ok(HeldStreams {
        opened,
        open_time: started.elapsed(),
        release,
        holders,
    })
}

impl HeldStreams {
    /// Drops every held stream (closing its connection) and waits for the holders to end.
    pub async fn close(mut self) -> anyhow::Result<()> {
        let _ = self.release.send(true);
        tokio::time::timeout(Duration::from_secs(30), async {
            while self.holders.join_next().await.is_some() {}
        })
        .await
        .context("held streams did not close within 30 s")
    }
}
