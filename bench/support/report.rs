//! Turning samples into the published numbers: percentiles (nearest rank), added latency
//! (gateway percentile − direct percentile, both from the same run), PASS/MISS against the
//! targets of issue 3, and the markdown report.

use std::fmt::Write as _;
use std::time::Duration;

use super::load::Sample;

/// Latency distribution of one series, in microseconds.
#[derive(Debug, Clone, Copy, Default)]
pub struct Stats {
    pub n: usize,
    pub p50: u64,
    pub p99: u64,
}

impl Stats {
    pub fn of(values: impl IntoIterator<Item = u64>) -> Stats {
        let mut v: Vec<u64> = values.into_iter().collect();
        v.sort_unstable();
        Stats {
            n: v.len(),
            p50: percentile(&v, 50.0),
            p99: percentile(&v, 99.0),
        }
    }
}

/// Nearest-rank percentile of sorted values (0 for none).
fn percentile(sorted: &[u64], p: f64) -> u64 {
    if sorted.is_empty() {
        return 0;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

/// One measurement taken directly, through the reference proxy and through the gateway.
#[derive(Debug, Clone, Copy, Default)]
pub struct Compared {
    pub direct: Stats,
    pub reference: Stats,
    pub gateway: Stats,
    /// The gateway's own `x-gateway-overhead-us` over the same calls.
    pub overhead: Stats,
    /// Gateway calls whose `x-gateway-overhead-us` exceeded 1 ms (a stall inside the gateway).
    pub overhead_over_1ms: usize,
}

impl Compared {
    pub fn of(
        direct: &[Sample],
        reference: &[Sample],
        gateway: &[Sample],
        pick: fn(&Sample) -> u64,
    ) -> Compared {
        Compared {
            direct: Stats::of(direct.iter().map(pick)),
            reference: Stats::of(reference.iter().map(pick)),
            gateway: Stats::of(gateway.iter().map(pick)),
            overhead: Stats::of(gateway.iter().filter_map(|s| s.overhead_us)),
            overhead_over_1ms: gateway
                .iter()
                .filter(|s| s.overhead_us.is_some_and(|o| o > 1000))
                .count(),
        }
    }

    pub fn added_p50(&self) -> i64 {
        self.gateway.p50 as i64 - self.direct.p50 as i64
    }

    pub fn added_p99(&self) -> i64 {
        self.gateway.p99 as i64 - self.direct.p99 as i64
    }
}

/// Resident memory of one child process at the measured moments, in bytes.
#[derive(Debug, Clone, Copy, Default)]
pub struct Memory {
    pub start: u64,
    pub idle: u64,
    pub load_max: u64,
    pub streams: u64,
    pub after_streams: u64,
}

/// Everything measured for one storage backend.
#[derive(Debug, Clone, Default)]
pub struct BackendResult {
    pub backend: &'static str,
    pub c1: Compared,
    pub ttfb: Compared,
    pub stream_total: Compared,
    pub c64: Compared,
    pub rps_direct: f64,
    pub rps_reference: f64,
    pub rps_gateway: f64,
    pub gateway_rss: Memory,
    pub reference_rss: Memory,
    /// CPU µs per request of the proxy processes: [reference, gateway].
    pub cpu_c1: [u64; 2],
    /// CPU ms per second while idle (background tasks): [reference, gateway].
    pub idle_cpu: [u64; 2],
    pub cpu_stream: [u64; 2],
    pub cpu_c64: [u64; 2],
    /// CPU µs per request of this bench process (client + upstream) in the c=64 runs:
    /// [direct, reference, gateway].
    pub bench_cpu_c64: [u64; 3],
    /// Upstream connections opened per target (direct, reference, gateway) in each phase.
    pub conns_c1: [u64; 3],
    pub conns_stream: [u64; 3],
    pub conns_c64: [u64; 3],
    pub streams_held: usize,
    pub streams_open_time: Duration,
    /// Upstream streams still open after the clients dropped theirs (0: all cancelled).
    pub upstream_streams_left: usize,
    pub shutdown_time: Duration,
    /// Warning/error lines the gateway logged (it runs at `RUST_LOG=warn`).
    pub gateway_log_lines: usize,
}

/// Targets from issue 3.
const ADDED_P50_MAX_US: i64 = 100;
const ADDED_P99_MAX_US: i64 = 500;
const THROUGHPUT_MIN_SHARE: f64 = 0.5;
const IDLE_RSS_MAX: u64 = 30_000_000;
const STREAMS_RSS_MAX: u64 = 150_000_000;
pub const TARGET_STREAMS: usize = 1000;

fn verdict(ok: bool) -> &'static str {
    if ok { "PASS" } else { "MISS" }
}

fn us(v: u64) -> String {
    if v < 10_000 {
        format!("{v} µs")
    } else {
        format!("{:.1} ms", v as f64 / 1000.0)
    }
}

fn signed_us(v: i64) -> String {
    let sign = if v < 0 { "−" } else { "+" };
    format!("{sign}{}", us(v.unsigned_abs()))
}

fn mb(bytes: u64) -> String {
    format!("{:.1} MB", bytes as f64 / 1e6)
}

fn signed_mb(bytes: i64) -> String {
    let sign = if bytes < 0 { "−" } else { "+" };
    format!("{sign}{}", mb(bytes.unsigned_abs()))
}

impl BackendResult {
    fn share(rps: f64, of: f64) -> f64 {
        if of > 0.0 { rps / of } else { 0.0 }
    }

    /// (target, value, pass) for the summary.
    fn targets(&self) -> Vec<(String, String, bool)> {
        let share = Self::share(self.rps_gateway, self.rps_direct);
        let rss = &self.gateway_rss;
        let streams_ok = self.streams_held >= TARGET_STREAMS && rss.streams <= STREAMS_RSS_MAX;
        vec![
            (
                "added latency p50, c=1 ≤ 100 µs".into(),
                signed_us(self.c1.added_p50()),
                self.c1.added_p50() <= ADDED_P50_MAX_US,
            ),
            (
                "added latency p99, c=1 ≤ 500 µs".into(),
                signed_us(self.c1.added_p99()),
                self.c1.added_p99() <= ADDED_P99_MAX_US,
            ),
            (
                "throughput, c=64 ≥ 50% of direct".into(),
                format!("{:.0}%", share * 100.0),
                share >= THROUGHPUT_MIN_SHARE,
            ),
            (
                "idle RSS ≤ 30 MB".into(),
                mb(rss.idle),
                rss.idle <= IDLE_RSS_MAX,
            ),
            (
                "RSS with 1,000 streams open ≤ 150 MB".into(),
                format!("{} ({} streams)", mb(rss.streams), self.streams_held),
                streams_ok,
            ),
        ]
    }

    fn details(&self, out: &mut String) {
        let _ = writeln!(out, "\n### {}\n", self.backend);
        let _ = writeln!(
            out,
            "| measurement | direct | reference proxy | gateway | gateway − direct | gateway − reference |"
        );
        let _ = writeln!(out, "|---|--:|--:|--:|--:|--:|");
        let rows: [(&str, &Compared); 4] = [
            ("latency, c=1", &self.c1),
            ("stream time to first byte, c=1", &self.ttfb),
            ("stream time to [DONE], c=1", &self.stream_total),
            ("latency, c=64", &self.c64),
        ];
        for (name, c) in rows {
            for (p, direct, reference, gateway) in [
                ("p50", c.direct.p50, c.reference.p50, c.gateway.p50),
                ("p99", c.direct.p99, c.reference.p99, c.gateway.p99),
            ] {
                let _ = writeln!(
                    out,
                    "| {name} {p} (n={}) | {} | {} | {} | {} | {} |",
                    c.gateway.n,
                    us(direct),
                    us(reference),
                    us(gateway),
                    signed_us(gateway as i64 - direct as i64),
                    signed_us(gateway as i64 - reference as i64),
                );
            }
        }
        let _ = writeln!(
            out,
            "| requests/s, c=64 | {:.0} | {:.0} | {:.0} | {:.0}% of direct | {:.0}% of reference |",
            self.rps_direct,
            self.rps_reference,
            self.rps_gateway,
            Self::share(self.rps_gateway, self.rps_direct) * 100.0,
            Self::share(self.rps_gateway, self.rps_reference) * 100.0,
        );
        for (name, c) in [
            ("c=1", &self.c1),
            ("stream, c=1", &self.ttfb),
            ("c=64", &self.c64),
        ] {
            let _ = writeln!(
                out,
                "| `x-gateway-overhead-us` p50 / p99 (calls > 1 ms), {name} | | | {} / {} ({} of {}) | | |",
                us(c.overhead.p50),
                us(c.overhead.p99),
                c.overhead_over_1ms,
                c.overhead.n
            );
        }
        for (name, [reference, gateway]) in [
            ("c=1", self.cpu_c1),
            ("stream, c=1", self.cpu_stream),
            ("c=64", self.cpu_c64),
        ] {
            let _ = writeln!(
                out,
                "| proxy process CPU per request, {name} | | {} | {} | | {} |",
                us(reference),
                us(gateway),
                signed_us(gateway as i64 - reference as i64)
            );
        }
        let [r, g] = self.idle_cpu;
        let _ = writeln!(
            out,
            "| proxy process CPU while idle (background tasks), ms per s | | {r} | {g} | | |"
        );
        let [d, r, g] = self.bench_cpu_c64;
        let _ = writeln!(
            out,
            "| bench process CPU per request (client + upstream), c=64 | {} | {} | {} | | |",
            us(d),
            us(r),
            us(g)
        );
        for (name, [d, r, g]) in [
            ("c=1", self.conns_c1),
            ("stream, c=1", self.conns_stream),
            ("c=64", self.conns_c64),
        ] {
            let _ = writeln!(
                out,
                "| upstream connections opened, {name} | {d} | {r} | {g} | | |"
            );
        }
        let (g, r) = (&self.gateway_rss, &self.reference_rss);
        let memory = [
            ("RSS after start", g.start, r.start),
            ("RSS idle (after warm-up)", g.idle, r.idle),
            ("RSS max during the c=64 run", g.load_max, r.load_max),
            ("RSS with the streams open", g.streams, r.streams),
            (
                "RSS after the streams closed",
                g.after_streams,
                r.after_streams,
            ),
        ];
        for (name, gateway, reference) in memory {
            let _ = writeln!(
                out,
                "| {name} | | {} | {} | | {} |",
                mb(reference),
                mb(gateway),
                signed_mb(gateway as i64 - reference as i64)
            );
        }
        let _ = writeln!(
            out,
            "| {} streams through the gateway: all first chunks in | | | {} ms | | |",
            self.streams_held,
            self.streams_open_time.as_millis()
        );
        let _ = writeln!(
            out,
            "| upstream streams still open after the clients dropped theirs | | | {} | | |",
            self.upstream_streams_left
        );
        let _ = writeln!(
            out,
            "| gateway SIGTERM → exit (request log flushed) | | | {} ms | | |",
            self.shutdown_time.as_millis()
        );
        let _ = writeln!(
            out,
            "| warning/error lines the gateway logged | | | {} | | |",
            self.gateway_log_lines
        );
    }
}

/// How the run was set up, for the report header.
pub struct Setup {
    pub date: String,
    pub commit: String,
    pub quick: bool,
    pub machine: String,
    pub load_before: String,
    pub load_after: String,
    pub counts: String,
}

pub fn render(setup: &Setup, results: &[BackendResult]) -> String {
    let mut out = String::new();
    let mode = if setup.quick {
        "QUICK smoke run (GATEWAY_BENCH_QUICK=1 or cargo test; counts ÷10, numbers are rough)"
    } else {
        "full run"
    };
    let _ = writeln!(out, "## Gateway benchmark — {} ({mode})\n", setup.date);
    let _ = writeln!(out, "- commit: `{}`", setup.commit);
    let _ = writeln!(out, "- machine: {}", setup.machine);
    let _ = writeln!(
        out,
        "- load average (1/5/15 min) before: {}; after: {}",
        setup.load_before, setup.load_after
    );
    let _ = writeln!(out, "- counts: {}", setup.counts);
    let shape = match std::env::var(super::reference::SHAPE_ENV).ok().as_deref() {
        Some("work-stealing") => "axum on tokio's multi-thread runtime, the gateway's client",
        Some("hyper") => "hyper's server connections (no router) on lanes, the gateway's client",
        Some("relay") => "a TCP relay with no HTTP work at all, on lanes",
        _ => "axum on the gateway's serving lanes, the gateway's upstream client",
    };
    let _ = writeln!(
        out,
        "- added = gateway percentile − direct percentile, same run, same client, same upstream; \
         the reference proxy is a minimal pass-through process: {shape}\n"
    );

    let _ = write!(out, "| target |");
    for r in results {
        let _ = write!(out, " {} |", r.backend);
    }
    let _ = write!(out, "\n|---|");
    for _ in results {
        let _ = write!(out, "---|");
    }
    let _ = writeln!(out);
    let per_backend: Vec<_> = results.iter().map(BackendResult::targets).collect();
    if let Some(first) = per_backend.first() {
        for (i, (name, _, _)) in first.iter().enumerate() {
            let _ = write!(out, "| {name} |");
            for targets in &per_backend {
                let (_, value, ok) = &targets[i];
                let _ = write!(out, " {value} **{}** |", verdict(*ok));
            }
            let _ = writeln!(out);
        }
    }
    for r in results {
        r.details(&mut out);
    }
    out
}
