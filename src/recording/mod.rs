//! The bounded asynchronous writer for request logs: handlers hand rows to a channel (no
//! database write on the request path); one task inserts them in batches, each batch in one
//! transaction. A full queue applies back-pressure instead of dropping rows; shutdown drains
//! and flushes everything queued.

use std::time::Duration;

use tokio::sync::mpsc;

use crate::store::rows::RequestLogRow;
use crate::store::{Store, StoreError};

/// Rows queued before senders wait.
pub const QUEUE_CAPACITY: usize = 8192;
/// Rows written per transaction at most.
pub const BATCH: usize = 512;

/// The sending side, cloned into every handler.
#[derive(Clone)]
pub struct Recorder {
    tx: mpsc::Sender<RequestLogRow>,
}

impl Recorder {
    /// Starts the writer task; it ends (after flushing) once every `Recorder` is dropped or
    /// `stop` fires and the queue is drained.
    pub fn start(
        store: Store,
        stop: tokio::sync::watch::Receiver<bool>,
    ) -> (Recorder, tokio::task::JoinHandle<()>) {
        let (tx, rx) = mpsc::channel(QUEUE_CAPACITY);
        let task = tokio::spawn(write_loop(store, rx, stop));
        (Recorder { tx }, task)
    }

    /// Queues a row. Never drops it: when the queue is full the row waits in a task of its
    /// own, so the caller's response is not held up.
    pub fn record(&self, row: RequestLogRow) {
        match self.tx.try_send(row) {
            Ok(()) => {}
            Err(mpsc::error::TrySendError::Full(row)) => {
                let tx = self.tx.clone();
                tokio::spawn(async move {
                    if tx.send(row).await.is_err() {
                        tracing::error!("request log writer stopped; a row could not be queued");
                    }
                });
            }
            Err(mpsc::error::TrySendError::Closed(_)) => {
                tracing::error!("request log writer stopped; a row could not be queued");
            }
        }
    }
}

async fn write_loop(
    store: Store,
    mut rx: mpsc::Receiver<RequestLogRow>,
    mut stop: tokio::sync::watch::Receiver<bool>,
) {
    let mut batch = Vec::with_capacity(BATCH);
    loop {
        tokio::select! {
            n = rx.recv_many(&mut batch, BATCH) => {
                if n == 0 {
                    break;
                }
                write(&store, &mut batch).await;
            }
            () = async { let _ = stop.wait_for(|s| *s).await; } => {
                rx.close();
                while rx.recv_many(&mut batch, BATCH).await > 0 {
                    write(&store, &mut batch).await;
                }
                break;
            }
        }
    }
}

/// Writes one batch, retrying while the database is unavailable so rows are not lost.
async fn write(store: &Store, batch: &mut Vec<RequestLogRow>) {
    let mut delay = Duration::from_millis(50);
    for attempt in 1.. {
        match insert(store, batch).await {
            Ok(()) => break,
            Err(e) if attempt < 20 => {
                tracing::warn!(error = %e, attempt, rows = batch.len(), "request log batch failed; retrying");
                tokio::time::sleep(delay).await;
                delay = (delay * 2).min(Duration::from_secs(2));
            }
            Err(e) => {
                tracing::error!(error = %e, rows = batch.len(), "request log batch dropped after retries");
                break;
            }
        }
    }
    batch.clear();
}

async fn insert(store: &Store, batch: &[RequestLogRow]) -> Result<(), StoreError> {
    let mut tx = store.begin().await?;
    tx.ex().insert_request_logs(batch).await?;
    tx.commit().await
}
