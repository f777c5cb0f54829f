//! Serving lanes: `gateway serve` answers HTTP on one single-threaded tokio runtime per CPU
//! (a *lane*), all accepting from the same listening socket, nginx- or Envoy-style.
//!
//! A connection stays on the lane that accepted it, and so does everything a request does:
//! the tasks it spawns, and the upstream connection it borrows (each `openai_compat` provider
//! keeps idle upstream connections per lane, found with [`slot`]). A request therefore crosses no
//! thread on its way through the gateway. On a work-stealing runtime the handoff between the
//! inbound connection task and the upstream connection task wakes idle workers (futex calls and
//! context switches on every request): on the 2-CPU bench machine a bare proxy on lanes used
//! a quarter less CPU, half the context switches and a third fewer system calls per request
//! than the same proxy on tokio's multi-thread runtime (`bench/README.md`).
//!
//! Shared state (key cache, budget gate, request-log queue) is runtime-agnostic (`Arc`,
//! `std`/`tokio::sync` primitives). A lane's runtime may own sockets (e.g. a pooled PostgreSQL
//! connection first opened by an admin page) and timers (a settlement task) that others use,
//! so lanes keep running until [`Lanes::release`], which `serve` calls only after the final
//! flush.

use std::cell::Cell;
use std::net::SocketAddr;
use std::thread::JoinHandle;
use std::time::Duration;

use anyhow::{Context, anyhow};
use axum::Router;
use axum::serve::ListenerExt;
use tokio::sync::{mpsc, watch};

thread_local! {
    static LANE: Cell<Option<usize>> = const { Cell::new(None) };
}

/// The lane the calling thread serves, `None` off the lanes (startup, background loops,
/// tests that serve the router on their own runtime).
pub fn current() -> Option<usize> {
    LANE.with(Cell::get)
}

/// The calling lane's index into a per-lane list of `len` items (one per lane, then a shared
/// last one): its own, or the last for callers off the lanes or on a lane beyond the list.
/// `len` must not be 0.
pub fn slot(len: usize) -> usize {
    let shared = len - 1;
    current().map_or(shared, |lane| lane.min(shared))
}

/// How many lanes `server.workers` asks for: the number itself, or one per CPU for 0.
pub fn count(workers: usize) -> usize {
    if workers > 0 {
        return workers;
    }
    std::thread::available_parallelism().map_or(1, usize::from)
}

/// The running lanes.
pub struct Lanes {
    threads: Vec<JoinHandle<()>>,
    stop: watch::Sender<bool>,
    release: watch::Sender<bool>,
    stopped: mpsc::Receiver<anyhow::Result<()>>,
    /// Lanes that have not reported stopping yet.
    running: usize,
}

impl Lanes {
    /// Starts `n` lanes serving `router` on `listener` (which must be non-blocking).
    pub fn start(
        listener: &std::net::TcpListener,
        router: Router,
        n: usize,
    ) -> anyhow::Result<Lanes> {
        let (stop, stop_rx) = watch::channel(false);
        let (release, release_rx) = watch::channel(false);
        let (stopped_tx, stopped) = mpsc::channel(n.max(1));
        let mut threads = Vec::with_capacity(n);
        for lane in 0..n {
            let listener = listener
                .try_clone()
                .context("cannot share the listening socket")?;
            let router = router.clone();
            let (stop_rx, release_rx, stopped_tx) =
                (stop_rx.clone(), release_rx.clone(), stopped_tx.clone());
            let thread = std::thread::Builder::new()
                .name(format!("gateway-lane-{lane}"))
                .spawn(move || {
                    LANE.with(|l| l.set(Some(lane)));
                    let runtime = match tokio::runtime::Builder::new_current_thread()
                        .enable_all()
                        .build()
                    {
                        Ok(rt) => rt,
                        Err(e) => {
                            let _ = stopped_tx.blocking_send(Err(anyhow!("lane {lane}: {e}")));
                            return;
                        }
                    };
                    runtime.block_on(async move {
                        let (mut release_rx, mut cut) = (release_rx.clone(), release_rx);
                        tokio::select! {
                            served = serve(listener, router, stop_rx) => {
                                let served = served.with_context(|| format!("lane {lane}"));
                                let _ = stopped_tx.send(served).await;
                                let _ = release_rx.wait_for(|go| *go).await;
                            }
                            // Requests still in flight past the grace period end here.
                            _ = cut.wait_for(|go| *go) => {}
                        }
                    });
                })
                .context("cannot start a serving thread")?;
            threads.push(thread);
        }
        Ok(Lanes {
            threads,
            stop,
            release,
            stopped,
            running: n,
        })
    }

    /// Stops accepting; in-flight requests go on until [`Lanes::stopped`] resolves.
    pub fn stop(&self) {
        let _ = self.stop.send(true);
    }

    /// Resolves once every lane has stopped serving (after [`Lanes::stop`], once its in-flight
    /// requests finished), or with the first lane that failed. Safe to cancel and call again.
    pub async fn stopped(&mut self) -> anyhow::Result<()> {
        while self.running > 0 {
            match self.stopped.recv().await {
                Some(Ok(())) => self.running -= 1,
                Some(Err(e)) => return Err(e),
                None => return Err(anyhow!("a serving thread ended without a word")),
            }
        }
        Ok(())
    }

    /// Ends the lanes' runtimes, cutting whatever still runs on them (requests past the grace
    /// period), and joins their threads (on a blocking thread). Call after the last use of
    /// anything a request may have left behind.
    pub async fn release(self) -> anyhow::Result<()> {
        let _ = self.release.send(true);
        let threads = self.threads;
        tokio::task::spawn_blocking(move || {
            for thread in threads {
                let _ = thread.join();
            }
        })
        .await
        .context("the serving threads did not stop")
    }
}

/// One lane's server: accepts until `stop`, then waits for its connections to finish.
async fn serve(
    listener: std::net::TcpListener,
    router: Router,
    mut stop: watch::Receiver<bool>,
) -> anyhow::Result<()> {
    let listener = tokio::net::TcpListener::from_std(listener)
        .context("cannot register the listening socket")?
        // Small SSE writes must not wait for the client's delayed ACK (Nagle).
        .tap_io(|tcp| {
            let _ = tcp.set_nodelay(true);
        });
    let keeper = tokio::spawn(keep_a_timer());
    let served = axum::serve(
        listener,
        router.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(async move {
        let _ = stop.wait_for(|stop| *stop).await;
    })
    .await
    .context("server failed");
    keeper.abort();
    served
}

/// How often [`keep_a_timer`] wakes its lane.
const KEEPER_PERIOD: Duration = Duration::from_secs(1);

/// Keeps a timer on the lane's timer wheel that is due sooner than any request's deadline
/// (upstream timeouts are seconds long). Tokio wakes its driver, through an `eventfd` write
/// and an extra turn of `epoll_wait`, whenever a new timer is due before every other one: on
/// an idle wheel, that was each request's first upstream deadline. Costs one wake-up of the
/// lane per [`KEEPER_PERIOD`].
async fn keep_a_timer() {
    loop {
        tokio::time::sleep(KEEPER_PERIOD).await;
    }
}

/// Runs `fut` to completion on a fresh thread that counts as serving `lane`, on a runtime of
/// its own, as a lane's requests run.
#[cfg(test)]
pub(crate) fn run_as_lane<F>(lane: usize, fut: F) -> std::thread::JoinHandle<F::Output>
where
    F: std::future::Future + Send + 'static,
    F::Output: Send + 'static,
{
    std::thread::spawn(move || {
        LANE.with(|l| l.set(Some(lane)));
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
            .block_on(fut)
    })
}

#[cfg(test)]
#[path = "lanes_tests.rs"]
mod tests;
