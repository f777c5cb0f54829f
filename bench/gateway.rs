//! `cargo bench --bench gateway` (or `mise run bench`): how much latency, throughput and
//! memory the gateway costs, measured against a direct-to-upstream baseline in the same run.
//!
//! In this process: a fast fake OpenAI-compatible upstream and the load generator. As a child:
//! the real `gateway serve` binary (bench profile), with a real service-account credential,
//! once on SQLite and once on PostgreSQL. Prints a markdown report to stdout and writes it to
//! `bench/results/latest.md`. Misses against the targets are reported, not failed; anything
//! that breaks (a non-2xx answer, a gateway that will not start or stop) exits non-zero.
//!
//! Environment: `GATEWAY_BENCH_QUICK=1` (counts ÷10, a smoke run; `cargo test --all-targets`,
//! which runs this binary without `--bench`, always makes it a smoke run), `GATEWAY_BENCH_PG_URL`
//! (default `postgres://postgres@127.0.0.1:5432/postgres`), `GATEWAY_BENCH_BACKENDS`
//! (default `sqlite,postgres`), `GATEWAY_BENCH_BUDGET=0` (no team budget). See bench/README.md.

#[path = "support/lean.rs"]
mod lean;
#[path = "support/load.rs"]
mod load;
#[path = "support/probe.rs"]
mod probe;
#[path = "support/process.rs"]
mod process;
#[path = "support/reference.rs"]
mod reference;
#[path = "support/relay.rs"]
mod relay;
#[path = "support/report.rs"]
mod report;
#[path = "support/upstream.rs"]
mod upstream;

use std::process::ExitCode;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};

use load::{Call, Target};
use probe::{CpuMeter, commit, loadavg, machine, per_request};
use process::{Backend, Database, Server};
use report::{BackendResult, Compared, Memory};
use upstream::Upstream;

/// How much to do; `GATEWAY_BENCH_QUICK=1` (or running under `cargo test`) divides the request
/// counts by ten.
struct Plan {
    quick: bool,
    warmup: usize,
    c1_calls: usize,
    ttfb_calls: usize,
    concurrency: usize,
    c64_warmup: usize,
    c64_requests: usize,
    c64_time: Duration,
    /// Held streams stay at the target's 1,000 even in quick mode: opening them takes seconds.
    streams: usize,
    /// Give the team a (never exhausted) hard budget, as deployments do.
    budget: bool,
}

impl Plan {
    fn from_env() -> Plan {
        // `cargo test --all-targets` runs this binary without `--bench`: a smoke run then.
        let under_test = !std::env::args().any(|a| a == "--bench");
        let quick = under_test
            || std::env::var("GATEWAY_BENCH_QUICK").is_ok_and(|v| v == "1" || v == "true");
        let div = if quick { 10 } else { 1 };
        Plan {
            quick,
            warmup: 200 / div,
            c1_calls: 2_000 / div,
            ttfb_calls: 1_000 / div,
            concurrency: 64,
            c64_warmup: 2_000 / div,
            c64_requests: 20_000 / div,
            c64_time: Duration::from_secs(10) / div as u32,
            streams: report::TARGET_STREAMS,
            budget: std::env::var("GATEWAY_BENCH_BUDGET").map_or(true, |v| v != "0"),
        }
    }

    fn describe(&self) -> String {
        let budget = if self.budget {
            "a hard monthly budget (never exhausted)"
        } else {
            "none (GATEWAY_BENCH_BUDGET=0)"
        };
        format!(
            "c=1: {} calls per target (interleaved) after {} warm-up; streaming: {} calls per \
             target; c={}: up to {} requests or {} s per target after {} warm-up; {} held \
             streams; team budget: {budget}",
            self.c1_calls,
            self.warmup,
            self.ttfb_calls,
            self.concurrency,
            self.c64_requests,
            self.c64_time.as_secs_f64(),
            self.c64_warmup,
            self.streams,
        )
    }
}

fn main() -> ExitCode {
    if let Some(code) = reference::run_if_requested() {
        return code;
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("bench: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("bench FAILED: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run() -> anyhow::Result<()> {
    let plan = Plan::from_env();
    let backends = backends_from_env()?;
    let load_before = loadavg();
    let upstream = Upstream::start().await?;
    let client = load::client()?;
    let mut results = Vec::new();
    for backend in backends {
        eprintln!("bench: {} …", backend.name());
        let result = bench_backend(backend, &plan, &upstream, &client)
            .await
            .with_context(|| format!("{} run", backend.name()))?;
        results.push(result);
    }
    let setup = report::Setup {
        date: chrono::Utc::now().format("%Y-%m-%d %H:%M UTC").to_string(),
        commit: commit(),
        quick: plan.quick,
        machine: machine(),
        load_before,
        load_after: loadavg(),
        counts: plan.describe(),
    };
    let text = report::render(&setup, &results);
    println!("{text}");
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("bench/results");
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    let path = dir.join("latest.md");
    std::fs::write(&path, &text).with_context(|| format!("writing {}", path.display()))?;
    eprintln!("bench: report written to {}", path.display());
    Ok(())
}

fn backends_from_env() -> anyhow::Result<Vec<Backend>> {
    let raw = std::env::var("GATEWAY_BENCH_BACKENDS").unwrap_or_else(|_| "sqlite,postgres".into());
    raw.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| match s {
            "sqlite" => Ok(Backend::Sqlite),
            "postgres" | "postgresql" => Ok(Backend::Postgres),
            other => bail!("GATEWAY_BENCH_BACKENDS: unknown backend {other:?} (sqlite, postgres)"),
        })
        .collect()
}

/// One backend: a fresh database, measured, then removed whatever happened.
async fn bench_backend(
    backend: Backend,
    plan: &Plan,
    upstream: &Upstream,
    client: &reqwest::Client,
) -> anyhow::Result<BackendResult> {
    let dir = tempfile::tempdir().context("creating a temp dir")?;
    let db = Database::create(backend, dir.path()).await?;
    let result = measure(&db, dir.path(), plan, upstream, client).await;
    let removed = db.remove().await;
    let result = result?;
    removed?;
    Ok(result)
}

async fn measure(
    db: &Database,
    dir: &std::path::Path,
    plan: &Plan,
    upstream: &Upstream,
    client: &reqwest::Client,
) -> anyhow::Result<BackendResult> {
    let config = process::write_config(dir, db, &upstream.base_url(), plan.budget)?;
    let key = process::prepare(&config).await?;
    let gateway = Server::gateway(&config).await?;
    let reference = Server::reference(&upstream.chat_url()).await?;
    let mut r = BackendResult {
        backend: db.backend.name(),
        gateway_rss: Memory {
            start: gateway.rss_bytes()?,
            ..Memory::default()
        },
        reference_rss: Memory {
            start: reference.rss_bytes()?,
            ..Memory::default()
        },
        ..BackendResult::default()
    };
    let direct = Target::new(upstream.chat_url(), &key)?;
    let via_reference = Target::new(reference.url("/v1/chat/completions"), &key)?;
    let via_gateway = Target::new(gateway.url("/v1/chat/completions"), &key)?;
    let targets = [&direct, &via_reference, &via_gateway];
    let json = load::chat_body(process::MODEL, false);
    let stream = load::chat_body(process::MODEL, true);

    let conns = || upstream.connections();
    step("warm-up, c=1");
    load::serial(client, &targets, Call::Json, &json, plan.warmup, &conns).await?;
    let kind = Call::StreamFirstByte;
    load::serial(client, &targets, kind, &stream, plan.warmup, &conns).await?;
    let proxies = [reference.pid, gateway.pid];
    let (cpu, started) = (CpuMeter::start(&proxies)?, Instant::now());
    r.gateway_rss.idle = settled_rss(&gateway).await?;
    r.reference_rss.idle = settled_rss(&reference).await?;
    let idle = cpu.stop()?;
    r.idle_cpu =
        idle.map(|used| (used.as_secs_f64() / started.elapsed().as_secs_f64() * 1000.0) as u64);

    step("latency, c=1");
    let cpu = CpuMeter::start(&proxies)?;
    let s = load::serial(client, &targets, Call::Json, &json, plan.c1_calls, &conns).await?;
    r.cpu_c1 = per_request(cpu.stop()?, plan.c1_calls);
    r.c1 = Compared::of(&s[0].samples, &s[1].samples, &s[2].samples, |x| {
        x.latency_us
    });
    r.conns_c1 = [0, 1, 2].map(|i| s[i].upstream_connections);
    step("streams, c=1");
    let cpu = CpuMeter::start(&proxies)?;
    let s = load::serial(client, &targets, kind, &stream, plan.ttfb_calls, &conns).await?;
    r.cpu_stream = per_request(cpu.stop()?, plan.ttfb_calls);
    let [d, f, g] = [&s[0].samples, &s[1].samples, &s[2].samples];
    r.ttfb = Compared::of(d, f, g, |x| x.latency_us);
    r.stream_total = Compared::of(d, f, g, |x| x.total_us);
    r.conns_stream = [0, 1, 2].map(|i| s[i].upstream_connections);

    step("throughput, c=64");
    let warm = Duration::from_secs(5);
    for t in targets {
        load::concurrent(client, t, &json, plan.concurrency, plan.c64_warmup, warm).await?;
    }
    let d = loaded(client, &direct, &json, plan, None, upstream).await?;
    let f = loaded(
        client,
        &via_reference,
        &json,
        plan,
        Some(&reference),
        upstream,
    )
    .await?;
    let g = loaded(client, &via_gateway, &json, plan, Some(&gateway), upstream).await?;
    if g.forwarded != g.run.samples.len() as u64 {
        bail!(
            "the gateway answered {} requests but the upstream saw {}",
            g.run.samples.len(),
            g.forwarded
        );
    }
    r.c64 = Compared::of(&d.run.samples, &f.run.samples, &g.run.samples, |x| {
        x.latency_us
    });
    [r.rps_direct, r.rps_reference, r.rps_gateway] =
        [&d, &f, &g].map(|x| x.run.requests_per_second());
    r.cpu_c64 = [f.server_cpu, g.server_cpu];
    r.bench_cpu_c64 = [&d, &f, &g].map(|x| x.bench_cpu);
    r.conns_c64 = [&d, &f, &g].map(|x| x.connections);
    (r.reference_rss.load_max, r.gateway_rss.load_max) = (f.rss_max, g.rss_max);

    step("held streams");
    let slow = load::chat_body(process::SLOW_MODEL, true);
    let held = hold_streams(&via_gateway, &slow, plan, &gateway, upstream).await?;
    (r.streams_held, r.streams_open_time) = (held.opened, held.open_time);
    (r.gateway_rss.streams, r.gateway_rss.after_streams) = (held.rss, held.rss_after);
    r.upstream_streams_left = held.upstream_left;
    let held = hold_streams(&via_reference, &slow, plan, &reference, upstream).await?;
    (r.reference_rss.streams, r.reference_rss.after_streams) = (held.rss, held.rss_after);

    let logs = gateway.logs();
    r.gateway_log_lines = logs.lines().count();
    for line in logs.lines().take(20) {
        eprintln!("bench: gateway logged: {line}");
    }
    step("shutdown");
    r.shutdown_time = gateway.stop().await?;
    reference.stop().await?;
    Ok(r)
}

/// One measured c=64 run and what it cost.
struct Loaded {
    run: load::Run,
    /// Maximum RSS of the server in front of the upstream (0 for the direct run).
    rss_max: u64,
    /// CPU µs per request of that server, and of this bench process (client + upstream).
    server_cpu: u64,
    bench_cpu: u64,
    /// Requests the upstream saw, and connections it accepted, during the run.
    forwarded: u64,
    connections: u64,
}

async fn loaded(
    client: &reqwest::Client,
    target: &Target,
    body: &bytes::Bytes,
    plan: &Plan,
    server: Option<&Server>,
    upstream: &Upstream,
) -> anyhow::Result<Loaded> {
    let limit = plan.c64_time + Duration::from_secs(60);
    let every = Duration::from_millis(20);
    let sampler = server.map(|s| load::RssSampler::start(s.pid, every, limit));
    let me = std::process::id();
    let cpu = CpuMeter::start(&[me, server.map_or(me, |s| s.pid)])?;
    let (requests, connections) = (upstream.requests(), upstream.connections());
    let (c, n, time) = (plan.concurrency, plan.c64_requests, plan.c64_time);
    let run = load::concurrent(client, target, body, c, n, time).await?;
    let [bench_cpu, server_cpu] = per_request(cpu.stop()?, run.samples.len());
    let rss_max = match sampler {
        Some(s) => s.finish().await?,
        None => 0,
    };
    Ok(Loaded {
        run,
        rss_max,
        server_cpu: if server.is_some() { server_cpu } else { 0 },
        bench_cpu,
        forwarded: upstream.requests() - requests,
        connections: upstream.connections() - connections,
    })
}

struct Held {
    opened: usize,
    open_time: Duration,
    rss: u64,
    rss_after: u64,
    upstream_left: usize,
}

/// Opens the plan's number of slow streams through `target`, samples `server`'s RSS, drops
/// them, and checks the upstream saw them closed.
async fn hold_streams(
    target: &Target,
    body: &bytes::Bytes,
    plan: &Plan,
    server: &Server,
    upstream: &Upstream,
) -> anyhow::Result<Held> {
    let held = load::open_streams(target, body, plan.streams, Duration::from_secs(60)).await?;
    let (opened, open_time) = (held.opened, held.open_time);
    let rss = settled_rss(server).await?;
    held.close().await?;
    let upstream_left = upstream_streams_after_close(upstream).await;
    Ok(Held {
        opened,
        open_time,
        rss,
        rss_after: server.rss_bytes()?,
        upstream_left,
    })
}

fn step(what: &str) {
    eprintln!("bench:   {what}");
}

/// The largest of ten RSS samples 100 ms apart: what the process holds once settled.
async fn settled_rss(server: &Server) -> anyhow::Result<u64> {
    let mut max = 0;
    for _ in 0..10 {
        max = max.max(server.rss_bytes()?);
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    Ok(max)
}

/// Polls (bounded, 10 s) until the upstream saw every abandoned stream closed; what is left.
async fn upstream_streams_after_close(upstream: &Upstream) -> usize {
    let deadline = Instant::now() + Duration::from_secs(10);
    while upstream.open_slow_streams() > 0 && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    upstream.open_slow_streams()
}
