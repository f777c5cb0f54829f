//! Open SSE relays (and JSON exchanges still finishing): how many there are, and a way to
//! end them all. At shutdown, streams that outlive the grace period are cut by the gateway
//! itself (not by process exit), so each one still settles its budget and writes its request
//! log and ledger row before the writer stops.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use tokio::sync::{Notify, watch};

/// Shared by every relay of one gateway.
#[derive(Debug)]
pub struct Streams {
    open: AtomicUsize,
    closed: Notify,
    abort: watch::Sender<bool>,
}

/// Held by one relay; dropping it marks the stream closed.
#[derive(Debug)]
pub struct Ticket {
    streams: Arc<Streams>,
}

impl Drop for Ticket {
    fn drop(&mut self) {
        self.streams.open.fetch_sub(1, Ordering::SeqCst);
        self.streams.closed.notify_waiters();
    }
}

impl Streams {
    pub fn new() -> Arc<Streams> {
        Arc::new(Streams {
            open: AtomicUsize::new(0),
            closed: Notify::new(),
            abort: watch::channel(false).0,
        })
    }

    /// Registers a stream: its ticket, and a future that resolves when streams are cut.
    pub fn open(self: &Arc<Self>) -> (Ticket, Pin<Box<dyn Future<Output = ()> + Send>>) {
        self.open.fetch_add(1, Ordering::SeqCst);
        let mut rx = self.abort.subscribe();
        let aborted = Box::pin(async move {
            let _ = rx.wait_for(|a| *a).await;
        });
        (
            Ticket {
                streams: self.clone(),
            },
            aborted,
        )
    }

    /// Registers work that cannot be cut but must end before shutdown's final flush (a JSON
    /// exchange still settling and recording after its answer went out).
    pub fn hold(self: &Arc<Self>) -> Ticket {
        self.open.fetch_add(1, Ordering::SeqCst);
        Ticket {
            streams: self.clone(),
        }
    }

    pub fn open_count(&self) -> usize {
        self.open.load(Ordering::SeqCst)
    }

    /// Cuts every open stream and waits (at most `limit`) until they have all finished.
    pub async fn abort_all(&self, limit: Duration) {
        self.abort.send_replace(true);
        let deadline = tokio::time::Instant::now() + limit;
        while self.open_count() > 0 {
            let closed = self.closed.notified();
            if self.open_count() == 0 {
                break;
            }
            if tokio::time::timeout_at(deadline, closed).await.is_err() {
                tracing::warn!(
                    open = self.open_count(),
                    "streams still open after being cut"
                );
                break;
            }
        }
    }
}
