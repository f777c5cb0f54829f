//! Running the real `gateway` binary: one-shot commands with captured output, and a
//! `gateway serve` child whose address is read from its `listening on http://…` line.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

use super::TestDb;

/// What a finished command printed, and how it exited.
#[derive(Debug)]
pub struct Output {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Output {
    pub fn all(&self) -> String {
        format!("{}\n{}", self.stdout, self.stderr)
    }

    #[track_caller]
    pub fn assert_code(&self, code: i32) -> &Self {
        assert_eq!(
            self.code, code,
            "expected exit {code}, got {}\nstdout:\n{}\nstderr:\n{}",
            self.code, self.stdout, self.stderr
        );
        self
    }
}

/// A config file plus environment for running the binary against one test database.
pub struct Gateway {
    pub config_path: PathBuf,
    pub env: Vec<(String, String)>,
}

impl Gateway {
    /// Writes `yaml` as the config (with `database.url` appended unless `yaml` sets one)
    /// into the test database's temp dir.
    pub fn new(db: &TestDb, yaml: &str) -> Gateway {
        let path = db
            .dir
            .path()
            .join(format!("gateway-{}.yaml", uuid::Uuid::new_v4().simple()));
        let mut text = yaml.to_string();
        if !yaml.contains("database:") {
            text.push_str(&format!("\ndatabase:\n  url: \"{}\"\n", db.url));
        }
        if !yaml.contains("server:") {
            text.push_str("\nserver:\n  bind: 127.0.0.1:0\n  shutdown_grace_seconds: 5\n");
        }
        std::fs::write(&path, text).expect("write config");
        Gateway {
            config_path: path,
            env: Vec::new(),
        }
    }

    pub fn env(mut self, key: &str, value: &str) -> Gateway {
        self.env.push((key.into(), value.into()));
        self
    }

    pub fn command(&self, args: &[&str]) -> Command {
        command(&self.config_path, &self.env, args)
    }

    /// Runs a one-shot subcommand to completion.
    pub async fn run(&self, args: &[&str]) -> Output {
        run_with_stdin(self.command(args), None).await
    }

    /// Migrates the database and copies the operational settings in this gateway's config
    /// file (e.g. `request_logs.capture`) into it, as an operator does with
    /// `gateway settings import`.
    pub async fn import_settings(&self) {
        self.run(&["migrate", "--apply"]).await.assert_code(0);
        let path = self.config_path.to_str().expect("utf-8 config path");
        self.run(&["settings", "import", "--from", path])
            .await
            .assert_code(0);
    }

    /// Starts `gateway serve` and waits for its listening line.
    pub async fn serve(&self) -> Server {
        Server::start(self.command(&["serve"])).await
    }
}

/// A `gateway` command with a clean environment: only PATH/HOME and what the test sets.
pub fn command(config: &Path, env: &[(String, String)], args: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_gateway"));
    cmd.env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env(
            "HOME",
            std::env::var("HOME").unwrap_or_else(|_| "/tmp".into()),
        )
        .arg("--config")
        .arg(config)
        .args(args)
        .kill_on_drop(true);
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd
}

pub async fn run_with_stdin(mut cmd: Command, stdin: Option<&str>) -> Output {
    cmd.stdin(if stdin.is_some() {
        Stdio::piped()
    } else {
        Stdio::null()
    })
    .stdout(Stdio::piped())
    .stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("spawn gateway");
    if let Some(input) = stdin {
        use tokio::io::AsyncWriteExt;
        let mut pipe = child.stdin.take().expect("stdin");
        pipe.write_all(input.as_bytes()).await.expect("write stdin");
    }
    let out = tokio::time::timeout(Duration::from_secs(120), child.wait_with_output())
        .await
        .expect("gateway command timed out")
        .expect("wait");
    Output {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// A running `gateway serve`. Killed on drop.
pub struct Server {
    pub child: Child,
    pub addr: String,
    pub stderr: std::sync::Arc<std::sync::Mutex<String>>,
    stderr_task: Option<tokio::task::JoinHandle<()>>,
}

impl Server {
    pub async fn start(mut cmd: Command) -> Server {
        cmd.stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = cmd.spawn().expect("spawn gateway serve");
        let stderr_buf = std::sync::Arc::new(std::sync::Mutex::new(String::new()));
        let err = child.stderr.take().expect("stderr");
        let sink = stderr_buf.clone();
        let stderr_task = tokio::spawn(async move {
            let mut lines = BufReader::new(err).lines();
            while let Ok(Some(line)) = lines.next_line().await {
                sink.lock().expect("lock").push_str(&(line + "\n"));
            }
        });
        let out = child.stdout.take().expect("stdout");
        let mut lines = BufReader::new(out).lines();
        let addr = tokio::time::timeout(Duration::from_secs(60), async {
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
            let status = child.wait().await.ok();
            panic!(
                "gateway serve did not print its listening line (exit {status:?})\nstderr:\n{}",
                stderr_buf.lock().expect("lock")
            );
        };
        // Keep draining stdout so the child never blocks on a full pipe.
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
        Server {
            child,
            addr,
            stderr: stderr_buf,
            stderr_task: Some(stderr_task),
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    pub fn logs(&self) -> String {
        self.stderr.lock().expect("lock").clone()
    }

    /// Sends SIGTERM and waits for the exit code (and for its stderr to be fully read).
    pub async fn terminate(mut self) -> i32 {
        let pid = self.child.id().expect("pid");
        let _ = std::process::Command::new("kill")
            .args(["-TERM", &pid.to_string()])
            .status();
        let status = tokio::time::timeout(Duration::from_secs(30), self.child.wait())
            .await
            .expect("gateway did not exit after SIGTERM")
            .expect("wait");
        if let Some(task) = self.stderr_task.take() {
            let _ = tokio::time::timeout(Duration::from_secs(5), task).await;
        }
        status.code().unwrap_or(-1)
    }
}

impl Server {
    /// Sends SIGTERM, waits for exit, and returns everything the server logged.
    pub async fn terminate_and_logs(self) -> String {
        let stderr = self.stderr.clone();
        let code = self.terminate().await;
        assert_eq!(code, 0, "gateway serve exited with {code}");
        stderr.lock().expect("lock").clone()
    }
}
