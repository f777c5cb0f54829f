//! The bounded asynchronous writer for request logs and the usage ledger: handlers hand
//! records to a channel (no database write on the request path); one task inserts them in
//! batches, each batch — log rows and ledger rows together — in one transaction. Spend is never
//! dropped: a full queue applies back-pressure (the record waits in a task of its own); only
//! captured payloads are shed then, and counted. Shutdown drains and flushes everything queued.

pub mod capture;
pub mod retention;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use tokio::sync::mpsc;

use crate::store::rows::{LedgerRow, RequestLogRow};
use crate::store::{Store, StoreError};

/// What one request leaves behind.
#[derive(Debug, Clone)]
pub struct Record {
    pub log: RequestLogRow,
    /// Spend of record; `None` when no provider served the request.
    pub ledger: Option<LedgerRow>,
}

/// Rows queued before senders wait.
pub const QUEUE_CAPACITY: usize = 8192;
/// Rows written per transaction at most.
pub const BATCH: usize = 512;
/// After the first row of a batch arrives, how long the writer waits for more before it
/// writes: one transaction per few milliseconds rather than one per request at low load.
const LINGER: Duration = Duration::from_millis(20);

/// The sending side, cloned into every handler.
#[derive(Clone)]
pub struct Recorder {
    tx: mpsc::Sender<Record>,
    shed_payloads: Arc<AtomicU64>,
}

impl Recorder {
    /// Starts the writer task; it ends (after flushing) once every `Recorder` is dropped or
    /// `stop` fires and the queue is drained.
    pub fn start(
        store: Store,
        stop: tokio::sync::watch::Receiver<bool>,
    ) -> (Recorder, tokio::task::JoinHandle<()>) {
        let (tx, rx) = mpsc::channel(QUEUE_CAPACITY);
        let task = crate::store::spawn_background(write_loop(store, rx, stop));
        let recorder = Recorder {
            tx,
            shed_payloads: Arc::new(AtomicU64::new(0)),
        };
        (recorder, task)
    }

    /// Payloads dropped because the queue was full.
    pub fn shed_payloads(&self) -> u64 {
        self.shed_payloads.load(Ordering::Relaxed)
    }

    /// Queues a record. Never drops it: when the queue is full it waits in a task of its own
    /// (without its captured payload), so the caller's response is not held up.
    pub fn record(&self, record: Record) {
        match self.tx.try_send(record) {
            Ok(()) => {}
            Err(mpsc::error::TrySendError::Full(mut record)) => {
                if record.log.payload.take().is_some() {
                    let n = self.shed_payloads.fetch_add(1, Ordering::Relaxed) + 1;
                    if n.is_power_of_two() {
                        tracing::warn!(
                            shed = n,
                            "request log queue full; shedding captured payloads"
                        );
                    }
                }
                let tx = self.tx.clone();
                tokio::spawn(async move {
                    if tx.send(record).await.is_err() {
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
    mut rx: mpsc::Receiver<Record>,
    mut stop: tokio::sync::watch::Receiver<bool>,
) {
    let mut batch = Vec::with_capacity(BATCH);
    loop {
        tokio::select! {
            n = rx.recv_many(&mut batch, BATCH) => {
                if n == 0 {
                    break;
                }
                linger(&mut rx, &mut batch).await;
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

/// Tops a batch that is not full yet up with what arrives within [`LINGER`]. It sleeps
/// rather than waiting on the queue, so rows queued meanwhile do not wake this thread one by
/// one (a cross-thread wake-up per request); then it takes what is there without waiting.
async fn linger(rx: &mut mpsc::Receiver<Record>, batch: &mut Vec<Record>) {
    if batch.len() >= BATCH {
        return;
    }
    tokio::time::sleep(LINGER).await;
    while batch.len() < BATCH {
        match rx.try_recv() {
            Ok(record) => batch.push(record),
            Err(_) => break,
        }
    }
}

/// Writes one batch, retrying until the database takes it: spend is never dropped. (At
/// shutdown, `App::shutdown` bounds how long it waits for this.)
async fn write(store: &Store, batch: &mut Vec<Record>) {
    // Moved out of the batch once (no copy per attempt); they stay here until written.
    let mut ledger = Vec::with_capacity(batch.len());
    let logs: Vec<RequestLogRow> = batch
        .drain(..)
        .map(|r| {
            ledger.extend(r.ledger);
            r.log
        })
        .collect();
    let mut delay = Duration::from_millis(50);
    let mut attempt = 0u32;
    while let Err(e) = insert(store, &logs, &ledger).await {
        attempt += 1;
        tracing::warn!(error = %e, attempt, rows = logs.len(), "request log batch failed; retrying");
        tokio::time::sleep(delay).await;
        delay = (delay * 2).min(Duration::from_secs(2));
    }
}

async fn insert(
    store: &Store,
    logs: &[RequestLogRow],
    ledger: &[LedgerRow],
) -> Result<(), StoreError> {
    let mut tx = store.begin().await?;
    tx.ex().insert_request_logs(logs).await?;
    if !ledger.is_empty() {
        tx.ex().insert_ledger(ledger).await?;
    }
    tx.commit().await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(id: &str) -> Record {
        Record {
            log: RequestLogRow {
                request_id: id.into(),
                client_request_id: None,
                at: crate::store::now(),
                credential_id: None,
                user_id: None,
                service_account_id: None,
                team_id: None,
                endpoint: "chat.completions".into(),
                model_requested: None,
                model_served: None,
                provider_id: None,
                attempts: "[]".into(),
                status: 200,
                error_code: None,
                latency_us: 1,
                upstream_latency_us: None,
                input_tokens: None,
                output_tokens: None,
                cost_micros: None,
                flags: None,
                payload: None,
            },
            ledger: None,
        }
    }

    #[tokio::test]
    async fn lingering_tops_the_batch_up_with_rows_queued_meanwhile() {
        let (tx, mut rx) = mpsc::channel(QUEUE_CAPACITY);
        let sender = tokio::spawn(async move {
            for i in 0..3 {
                tokio::time::sleep(Duration::from_millis(2)).await;
                tx.send(record(&format!("later-{i}"))).await.unwrap();
            }
        });
        let mut batch = vec![record("first")];
        let started = tokio::time::Instant::now();
        linger(&mut rx, &mut batch).await;
        assert!(started.elapsed() >= LINGER, "it waited the linger out");
        sender.await.unwrap();
        let ids: Vec<&str> = batch.iter().map(|r| r.log.request_id.as_str()).collect();
        assert_eq!(ids, ["first", "later-0", "later-1", "later-2"]);
    }

    #[tokio::test]
    async fn a_full_batch_is_written_without_lingering_and_the_rest_stays_queued() {
        let (tx, mut rx) = mpsc::channel(QUEUE_CAPACITY);
        tx.send(record("next batch")).await.unwrap();
        let mut batch = vec![record("full"); BATCH];
        let started = tokio::time::Instant::now();
        linger(&mut rx, &mut batch).await;
        assert!(started.elapsed() < LINGER, "no wait for a full batch");
        assert_eq!(batch.len(), BATCH);
        assert_eq!(rx.try_recv().unwrap().log.request_id, "next batch");
    }
}
