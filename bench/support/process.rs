//! The gateway under test, as operators run it: a fresh database (SQLite file or a new
//! PostgreSQL database), a config file, `migrate --apply`, `seed-config`, a real
//! service-account credential from `credentials create`, and `gateway serve` as a child
//! process whose address comes from its `listening on http://…` line. Also reads the child's
//! resident memory from `/proc/<pid>/status`.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::{Context, bail};
use sqlx::{Connection, Executor, PgConnection};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

/// Bound on every one-shot CLI command and on startup.
const COMMAND_TIMEOUT: Duration = Duration::from_secs(120);
/// Bound on the graceful shutdown after SIGTERM.
const STOP_TIMEOUT: Duration = Duration::from_secs(60);
/// Keep at most this much of the child's stderr for error messages.
const STDERR_KEEP: usize = 64 * 1024;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub fn name(self) -> &'static str {
        match self {
            Backend::Sqlite => "SQLite",
            Backend::Postgres => "PostgreSQL",
        }
    }
}

/// The PostgreSQL server to create the throwaway database on.
pub fn pg_admin_url() -> String {
    std::env::var("GATEWAY_BENCH_PG_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into())
}

/// A database that exists for one benchmark run.
pub struct Database {
    pub backend: Backend,
    /// What goes into `database.url`.
    pub url: String,
    /// PostgreSQL only: the database to drop afterwards.
    pg_name: Option<String>,
}

impl Database {
    pub async fn create(backend: Backend, dir: &Path) -> anyhow::Result<Database> {
        match backend {
            Backend::Sqlite => Ok(Database {
                backend,
                url: format!("sqlite:{}", dir.join("gateway.db").display()),
                pg_name: None,
            }),
            Backend::Postgres => {
                let admin = pg_admin_url();
                let name = format!("gw_bench_{}", uuid::Uuid::new_v4().simple());
                let mut conn = PgConnection::connect(&admin).await.with_context(|| {
                    format!(
                        "PostgreSQL did not answer at {admin} (set GATEWAY_BENCH_PG_URL, or \
                         GATEWAY_BENCH_BACKENDS=sqlite to skip it)"
                    )
                })?;
                // The name is ours (a fixed prefix and a UUID), never input.
                conn.execute(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
                    .await
                    .with_context(|| format!("creating database {name}"))?;
                let _ = conn.close().await;
                let mut url = url::Url::parse(&admin).context("GATEWAY_BENCH_PG_URL")?;
                url.set_path(&name);
                Ok(Database {
                    backend,
                    url: url.to_string(),
                    pg_name: Some(name),
                })
            }
        }
    }

    /// Drops the PostgreSQL database (the SQLite file goes with the temp dir).
    pub async fn remove(self) -> anyhow::Result<()> {
        let Some(name) = self.pg_name else {
            return Ok(());
        };
        let mut conn = PgConnection::connect(&pg_admin_url())
            .await
            .context("reconnecting to drop the bench database")?;
        conn.execute(sqlx::AssertSqlSafe(format!(
            "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
        )))
        .await
        .with_context(|| format!("dropping database {name}"))?;
        let _ = conn.close().await;
        Ok(())
    }
}

/// The models the config defines.
pub const MODEL: &str = "bench";
pub const SLOW_MODEL: &str = "bench-slow";

/// Writes the gateway config: one `openai_compat` provider pointing at the fake upstream, the
/// fast model `bench` and the held-open model `bench-slow`, one team (with a hard monthly
/// budget when `budget`) and one service account.
pub fn write_config(
    dir: &Path,
    db: &Database,
    upstream_base_url: &str,
    budget: bool,
) -> anyhow::Result<PathBuf> {
    let workers = std::env::var("GATEWAY_BENCH_WORKERS").unwrap_or_else(|_| "0".into());
    let mut yaml = format!(
        r#"server:
  bind: 127.0.0.1:0
  shutdown_grace_seconds: 10
  workers: {workers}
database:
  url: "{db_url}"
auth:
  bootstrap_admin:
    enabled: false
teams:
  - id: bench
    name: Bench
service_accounts:
  - id: sa
    team: bench
    name: Bench load generator
providers:
  - id: upstream
    kind: openai_compat
    base_url: {upstream_base_url}
models:
  - id: {MODEL}
    description: Fast fake upstream
    pricing: {{ input: "0.15", output: "0.60" }}
    routes:
      - {{ provider: upstream, model: fast }}
  - id: {SLOW_MODEL}
    description: Streams that stay open
    pricing: {{ input: "0.15", output: "0.60" }}
    routes:
      - {{ provider: upstream, model: {slow} }}
"#,
        db_url = db.url,
        slow = super::upstream::SLOW_MODEL,
    );
    if budget {
        // Large enough never to run out: it puts the budget gate's hot path in every request.
        yaml.push_str(
            r#"budgets:
  - id: bench-team
    team: bench
    cadence: monthly
    amount_usd: "1000000000"
    hard_limit: true
"#,
        );
    }
    let path = dir.join("gateway.yaml");
    std::fs::write(&path, yaml).with_context(|| format!("writing {}", path.display()))?;
    Ok(path)
}

/// `GATEWAY_BENCH_WORKERS=N` runs the gateway and the reference proxy with N serving lanes
/// (`server.workers` in the gateway's config) and the work-stealing reference with N tokio
/// workers (`TOKIO_WORKER_THREADS`); unset, one per CPU.
fn worker_threads() -> Option<(&'static str, String)> {
    std::env::var("GATEWAY_BENCH_WORKERS")
        .ok()
        .map(|n| ("TOKIO_WORKER_THREADS", n))
}

/// A `gateway` command with a clean environment, so no `GATEWAY_*` variable of the caller
/// changes what is measured.
fn command(config: &Path, args: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_gateway"));
    cmd.env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env(
            "HOME",
            std::env::var("HOME").unwrap_or_else(|_| "/tmp".into()),
        )
        .env("RUST_LOG", "warn")
        .envs(worker_threads())
        .arg("--config")
        .arg(config)
        .args(args)
        .stdin(Stdio::null())
        .kill_on_drop(true);
    cmd
}

/// Runs a one-shot subcommand; its stdout on success.
pub async fn run(config: &Path, args: &[&str]) -> anyhow::Result<String> {
    let mut cmd = command(config, args);
    cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
    let child = cmd.spawn().context("spawning the gateway binary")?;
    let out = tokio::time::timeout(COMMAND_TIMEOUT, child.wait_with_output())
        .await
        .with_context(|| format!("gateway {} timed out", args.join(" ")))?
        .context("waiting for the gateway binary")?;
    if !out.status.success() {
        bail!(
            "gateway {} exited with {}:\n{}{}",
            args.join(" "),
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// Prepares the database and issues the service-account key the load generator presents.
pub async fn prepare(config: &Path) -> anyhow::Result<String> {
    run(config, &["migrate", "--apply"]).await?;
    run(config, &["seed-config"]).await?;
    let out = run(
        config,
        &[
            "credentials",
            "create",
            "--service-account",
            "sa",
            "--name",
            "bench",
            "--json",
        ],
    )
    .await?;
    let json: serde_json::Value = serde_json::from_str(out.trim())
        .with_context(|| format!("credentials create --json printed {out:?}"))?;
    match json["key"].as_str() {
        Some(key) => Ok(key.to_string()),
        None => bail!("credentials create --json has no \"key\""),
    }
}

/// A running child server (`gateway serve` or the reference proxy); killed if dropped
/// without [`Server::stop`].
pub struct Server {
    what: &'static str,
    child: Child,
    pub pid: u32,
    pub addr: String,
    stderr: Arc<Mutex<String>>,
}

impl Server {
    /// `gateway serve` with this config.
    pub async fn gateway(config: &Path) -> anyhow::Result<Server> {
        Server::spawn(command(config, &["serve"]), "gateway serve").await
    }

    /// This bench binary again, as the reference proxy in front of `upstream_chat_url`.
    pub async fn reference(upstream_chat_url: &str) -> anyhow::Result<Server> {
        let exe = std::env::current_exe().context("locating the bench binary")?;
        let mut cmd = Command::new(exe);
        cmd.env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env(super::reference::ROLE_ENV, super::reference::ROLE)
            .envs(worker_threads())
            .env(super::reference::UPSTREAM_ENV, upstream_chat_url)
            .env(
                super::reference::SHAPE_ENV,
                std::env::var(super::reference::SHAPE_ENV).unwrap_or_default(),
            )
            .env(
                super::reference::LANES_ENV,
                std::env::var(super::reference::LANES_ENV).unwrap_or_default(),
            )
            .env(
                super::reference::NODELAY_ENV,
                std::env::var(super::reference::NODELAY_ENV).unwrap_or_default(),
            )
            .stdin(Stdio::null())
            .kill_on_drop(true);
        Server::spawn(cmd, "reference proxy").await
    }

    /// Starts the child and waits for its `listening on http://ADDR` line.
    async fn spawn(mut cmd: Command, what: &'static str) -> anyhow::Result<Server> {
        cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
        let mut child = cmd.spawn().with_context(|| format!("spawning {what}"))?;
        let pid = child.id().with_context(|| format!("{what} has no pid"))?;
        let stderr = Arc::new(Mutex::new(String::new()));
        if let Some(err) = child.stderr.take() {
            let sink = stderr.clone();
            tokio::spawn(async move {
                let mut lines = BufReader::new(err).lines();
                while let Ok(Some(line)) = lines.next_line().await {
                    let mut s = sink.lock().unwrap_or_else(|p| p.into_inner());
                    if s.len() < STDERR_KEEP {
                        s.push_str(&line);
                        s.push('\n');
                    }
                }
            });
        }
        let out = child
            .stdout
            .take()
            .with_context(|| format!("{what} stdout"))?;
        let mut lines = BufReader::new(out).lines();
        let addr = tokio::time::timeout(COMMAND_TIMEOUT, async {
            while let Ok(Some(line)) = lines.next_line().await {
                if let Some(rest) = line.strip_prefix("listening on http://") {
                    return Some(rest.trim().to_string());
                }
            }
            None
        })
        .await
        .ok()
        .flatten();
        let Some(addr) = addr else {
            let _ = child.start_kill();
            bail!(
                "{what} did not print its listening line; stderr:\n{}",
                stderr.lock().unwrap_or_else(|p| p.into_inner())
            );
        };
        // Keep draining stdout so the child never blocks on a full pipe.
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
        Ok(Server {
            what,
            child,
            pid,
            addr,
            stderr,
        })
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// What the child logged so far (the gateway runs at `RUST_LOG=warn`).
    pub fn logs(&self) -> String {
        self.stderr
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// Resident set size now, in bytes.
    pub fn rss_bytes(&self) -> anyhow::Result<u64> {
        rss_bytes(self.pid)
    }

    /// SIGTERM, then waits for a clean exit (request logs flushed); fails on a non-zero exit.
    pub async fn stop(mut self) -> anyhow::Result<Duration> {
        let started = std::time::Instant::now();
        let sent = std::process::Command::new("kill")
            .args(["-TERM", &self.pid.to_string()])
            .status()
            .context("running kill -TERM")?;
        if !sent.success() {
            bail!("kill -TERM {} failed", self.pid);
        }
        let status = tokio::time::timeout(STOP_TIMEOUT, self.child.wait())
            .await
            .with_context(|| format!("{} did not exit within 60 s of SIGTERM", self.what))?
            .with_context(|| format!("waiting for {}", self.what))?;
        if !status.success() {
            bail!(
                "{} exited with {status} after SIGTERM; stderr:\n{}",
                self.what,
                self.logs()
            );
        }
        Ok(started.elapsed())
    }
}

/// `VmRSS` of a process, in bytes.
pub fn rss_bytes(pid: u32) -> anyhow::Result<u64> {
    let path = format!("/proc/{pid}/status");
    let status = std::fs::read_to_string(&path).with_context(|| format!("reading {path}"))?;
    let kib = status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .with_context(|| format!("no VmRSS in {path}"))?;
    Ok(kib * 1024)
}

/// User + system CPU time a process has used so far (all its threads, living or exited).
pub fn cpu_time(pid: u32) -> anyhow::Result<Duration> {
    let path = format!("/proc/{pid}/stat");
    let stat = std::fs::read_to_string(&path).with_context(|| format!("reading {path}"))?;
    // Fields after the parenthesised command name: state is the 3rd field overall, utime the
    // 14th and stime the 15th, in clock ticks (USER_HZ, 100 on Linux).
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .map(|(_, rest)| rest.split_whitespace().collect())
        .unwrap_or_default();
    let ticks = |i: usize| fields.get(i).and_then(|v| v.parse::<u64>().ok());
    match (ticks(11), ticks(12)) {
        (Some(user), Some(system)) => Ok(Duration::from_millis((user + system) * 10)),
        _ => bail!("no utime/stime in {path}"),
    }
}
