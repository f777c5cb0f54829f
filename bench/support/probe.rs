//! What the bench reads off the machine and its processes: CPU time per phase (`/proc`),
//! the load average, a one-line machine description and the git commit measured.

use std::time::Duration;

use super::process;

/// CPU time used by some processes over a phase.
pub struct CpuMeter<const N: usize> {
    pids: [u32; N],
    start: [Duration; N],
}

impl<const N: usize> CpuMeter<N> {
    pub fn start(pids: &[u32; N]) -> anyhow::Result<CpuMeter<N>> {
        let mut start = [Duration::ZERO; N];
        for (slot, pid) in start.iter_mut().zip(pids) {
            *slot = process::cpu_time(*pid)?;
        }
        Ok(CpuMeter { pids: *pids, start })
    }

    pub fn stop(self) -> anyhow::Result<[Duration; N]> {
        let mut used = [Duration::ZERO; N];
        for ((slot, pid), start) in used.iter_mut().zip(self.pids).zip(self.start) {
            *slot = process::cpu_time(pid)?.saturating_sub(start);
        }
        Ok(used)
    }
}

/// CPU µs per request.
pub fn per_request<const N: usize>(used: [Duration; N], requests: usize) -> [u64; N] {
    used.map(|d| (d.as_micros() / requests.max(1) as u128) as u64)
}

pub fn loadavg() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "unknown".into())
}

pub fn machine() -> String {
    let cpus = std::thread::available_parallelism().map_or(0, |n| n.get());
    let model = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("model name"))
                .map(|v| v.trim_start_matches([' ', '\t', ':']).to_string())
        })
        .unwrap_or_else(|| "unknown CPU".into());
    let kernel = std::fs::read_to_string("/proc/sys/kernel/osrelease")
        .map(|s| s.trim().to_string())
        .unwrap_or_default();
    format!(
        "{cpus} CPUs ({model}), Linux {kernel}; loopback only; the load generator and the fake \
         upstream run in the bench process and share the CPUs with the gateway"
    )
}

pub fn commit() -> String {
    let git = |args: &[&str]| {
        std::process::Command::new("git")
            .args(args)
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .output()
            .ok()
            .filter(|o| o.status.success())
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
    };
    let Some(head) = git(&["rev-parse", "--short", "HEAD"]) else {
        return "unknown".into();
    };
    let dirty =
        git(&["status", "--porcelain", "--untracked-files=no"]).is_some_and(|s| !s.is_empty());
    if dirty {
        format!("{head} + uncommitted changes")
    } else {
        head
    }
}
