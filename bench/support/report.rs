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

/// One measurement taken directly and through the gateway.
#[derive(Debug, Clone, Copy, Default)]
pub struct Compared {
    pub direct: Stats,
    pub gateway: Stats,
    /// The gateway's own `x-gateway-overhead-us` over the same calls.
    pub overhead: Stats,
}

impl Compared {
    pub fn of(direct: &[Sample], gateway: &[Sample]) -> Compared {
        Compared {
            direct: Stats::of(direct.iter().map(|s| s.latency_us)),
            gateway: Stats::of(gateway.iter().map(|s| s.latency_us)),
            overhead: Stats::of(gateway.iter().filter_map(|s| s.overhead_us)),
        }
    }

    pub fn added_p50(&self) -> i64 {
        self.gateway.p50 as i64 - self.direct.p50 as i64
    }

    pub fn added_p99(&self) -> i64 {
        self.gateway.p99 as i64 - self.direct.p99 as i64
    }
}

/// Everything measured for one storage backend.
#[derive(Debug, Clone, Default)]
pub struct BackendResult {
    pub backend: &'static str,
    pub c1: Compared,
    pub ttfb: Compared,
    pub c64: Compared,
    pub rps_direct: f64,
    pub rps_gateway: f64,
    pub rss_start: u64,
    pub rss_idle: u64,
    pub rss_load_max: u64,
    pub streams_held: usize,
    pub streams_open_time: Duration,
    pub rss_streams: u64,
    pub rss_after_streams: u64,
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

impl BackendResult {
    fn throughput_share(&self) -> f64 {
        if self.rps_direct > 0.0 {
            self.rps_gateway / self.rps_direct
        } else {
            0.0
        }
    }

    /// (target, value, pass) for the summary.
    fn targets(&self) -> Vec<(String, String, bool)> {
        let streams_ok = self.streams_held >= TARGET_STREAMS && self.rss_streams <= STREAMS_RSS_MAX;
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
                format!("{:.0}%", self.throughput_share() * 100.0),
                self.throughput_share() >= THROUGHPUT_MIN_SHARE,
            ),
            (
                "idle RSS ≤ 30 MB".into(),
                mb(self.rss_idle),
                self.rss_idle <= IDLE_RSS_MAX,
            ),
            (
                "RSS with 1,000 streams open ≤ 150 MB".into(),
                format!("{} ({} streams)", mb(self.rss_streams), self.streams_held),
                streams_ok,
            ),
        ]
    }

    fn details(&self, out: &mut String) {
        let _ = writeln!(out, "\n### {}\n", self.backend);
        let _ = writeln!(out, "| measurement | direct | via gateway | added |");
        let _ = writeln!(out, "|---|--:|--:|--:|");
        let rows: [(&str, &Compared); 3] = [
            ("latency, c=1", &self.c1),
            ("stream time to first byte, c=1", &self.ttfb),
            ("latency, c=64", &self.c64),
        ];
        for (name, c) in rows {
            let _ = writeln!(
                out,
                "| {name} p50 (n={}) | {} | {} | {} |",
                c.gateway.n,
                us(c.direct.p50),
                us(c.gateway.p50),
                signed_us(c.added_p50())
            );
            let _ = writeln!(
                out,
                "| {name} p99 | {} | {} | {} |",
                us(c.direct.p99),
                us(c.gateway.p99),
                signed_us(c.added_p99())
            );
        }
        let _ = writeln!(
            out,
            "| requests/s, c=64 | {:.0} | {:.0} | {:.0}% of direct |",
            self.rps_direct,
            self.rps_gateway,
            self.throughput_share() * 100.0
        );
        for (name, c) in [
            ("c=1", &self.c1),
            ("stream, c=1", &self.ttfb),
            ("c=64", &self.c64),
        ] {
            let _ = writeln!(
                out,
                "| `x-gateway-overhead-us` p50 / p99, {name} | — | {} / {} | |",
                us(c.overhead.p50),
                us(c.overhead.p99)
            );
        }
        let memory = [
            ("RSS after start", self.rss_start),
            ("RSS idle (after warm-up)", self.rss_idle),
            ("RSS max during the c=64 run", self.rss_load_max),
            ("RSS with the streams open", self.rss_streams),
            ("RSS after the streams closed", self.rss_after_streams),
        ];
        for (name, bytes) in memory {
            let _ = writeln!(out, "| {name} | — | {} | |", mb(bytes));
        }
        let _ = writeln!(
            out,
            "| {} streams: time until all delivered a first chunk | — | {} ms | |",
            self.streams_held,
            self.streams_open_time.as_millis()
        );
        let _ = writeln!(
            out,
            "| upstream streams still open after the clients dropped theirs | — | {} | |",
            self.upstream_streams_left
        );
        let _ = writeln!(
            out,
            "| SIGTERM → exit (request log flushed) | — | {} ms | |",
            self.shutdown_time.as_millis()
        );
        let _ = writeln!(
            out,
            "| warning/error lines the gateway logged | — | {} | |",
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
        "QUICK smoke run (GATEWAY_BENCH_QUICK=1; counts ÷10, numbers are rough)"
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
    let _ = writeln!(
        out,
        "- added = gateway percentile − direct percentile, same run, same client, same upstream\n"
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
