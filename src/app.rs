//! Runtime wiring for `gateway serve`: builds the [`AppState`] (key cache, catalogue,
//! providers, budget gate, request-log writer, operational settings), runs the background
//! tasks (epoch watcher, budget flusher and heartbeat, last-use flusher, settings poll,
//! request-log retention), and shuts them down in order so nothing queued is lost and every
//! unused budget lease goes back.

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::budgets::gate::BudgetGate;
use crate::catalog::Catalog;
use crate::config::Config;
use crate::credentials::KeyCache;
use crate::http::{AppState, Services};
use crate::recording::{Recorder, retention};
use crate::settings::LiveSettings;
use crate::store::{Store, spawn_background};

/// How often in-memory "last used" times are written.
const LAST_USED_FLUSH: Duration = Duration::from_secs(15);
/// How often settled budget spend is written and idle leases are returned.
const BUDGET_FLUSH: Duration = Duration::from_millis(100);
/// How often this replica marks its budget leases alive.
const BUDGET_HEARTBEAT: Duration = Duration::from_secs(2);
/// How often replicas check whether credentials or budgets changed.
const EPOCH_POLL: Duration = Duration::from_millis(250);
/// How long shutdown waits for queued request logs and ledger rows to be written.
const WRITER_DRAIN: Duration = Duration::from_secs(30);

/// A started application: its state and background tasks.
pub struct App {
    pub state: AppState,
    stop: watch::Sender<bool>,
    recorder_task: JoinHandle<()>,
    tasks: Vec<JoinHandle<()>>,
}

impl App {
    /// Starts the app for `lanes` serving lanes (`http::lanes`).
    pub async fn start(store: Store, config: Arc<Config>, lanes: usize) -> anyhow::Result<App> {
        let providers = crate::providers::build_all(&config.providers, lanes)
            .context("cannot set up providers")?;
        let catalog = Catalog::load(&store)
            .await
            .context("cannot load the model catalogue")?;
        let keys = KeyCache::load(store.clone())
            .await
            .context("cannot load credentials")?;
        let budgets = BudgetGate::load(store.clone())
            .await
            .context("cannot load budgets")?;
        let settings = LiveSettings::load(&store)
            .await
            .context("cannot load operational settings")?;
        let (stop, stop_rx) = watch::channel(false);
        let (recorder, recorder_task) = Recorder::start(store.clone(), stop_rx.clone());
        let tasks = vec![
            spawn_background(watch_epoch(
                store.clone(),
                keys.clone(),
                budgets.clone(),
                stop_rx.clone(),
            )),
            spawn_background(flush_last_used(keys.clone(), stop_rx.clone())),
            spawn_background(crate::settings::live::watch(
                store.clone(),
                settings.clone(),
                stop_rx.clone(),
            )),
            spawn_background(retention::enforce(
                store.clone(),
                settings.clone(),
                stop_rx.clone(),
            )),
            spawn_background(budget_upkeep(budgets.clone(), stop_rx)),
        ];
        Ok(App {
            state: AppState::new(Services {
                store,
                config,
                keys,
                catalog: Arc::new(catalog),
                providers: Arc::new(providers),
                budgets,
                recorder,
                settings,
                streams: crate::proxy::streams::Streams::new(),
                bootstrap_link: Arc::default(),
            }),
            stop,
            recorder_task,
            tasks,
        })
    }

    /// Stops background work; flushes request logs, ledger rows, budget spend (returning
    /// every unused lease) and last-use times.
    pub async fn shutdown(self) {
        // Streams still open now outlived the grace period: cut them so they are recorded.
        self.state.streams.abort_all(Duration::from_secs(5)).await;
        let _ = self.stop.send(true);
        let keys = self.state.keys.clone();
        let budgets = self.state.budgets.clone();
        drop(self.state);
        for t in self.tasks {
            let _ = t.await;
        }
        // Streams that ended during shutdown settle in tasks of their own; let them land.
        budgets.drain(Duration::from_secs(5)).await;
        budgets.flush(true).await;
        match tokio::time::timeout(WRITER_DRAIN, self.recorder_task).await {
            Ok(Ok(())) => {}
            Ok(Err(e)) => tracing::error!(error = %e, "request log writer failed"),
            Err(_) => tracing::error!("request log writer did not drain in time; rows may be lost"),
        }
        if let Err(e) = keys.flush_last_used().await {
            tracing::warn!(error = %e, "could not record credential last use");
        }
    }
}

async fn flush_last_used(keys: Arc<KeyCache>, mut stop: watch::Receiver<bool>) {
    let mut tick = tokio::time::interval(LAST_USED_FLUSH);
    loop {
        tokio::select! {
            _ = tick.tick() => {
                if let Err(e) = keys.flush_last_used().await {
                    tracing::warn!(error = %e, "could not record credential last use");
                }
            }
            () = async { let _ = stop.wait_for(|s| *s).await; } => return,
        }
    }
}

/// Reloads credentials and budgets whenever the shared epoch moves (another replica or a CLI
/// changed them).
async fn watch_epoch(
    store: Store,
    keys: Arc<KeyCache>,
    budgets: Arc<BudgetGate>,
    mut stop: watch::Receiver<bool>,
) {
    let mut seen = keys.epoch();
    let mut tick = tokio::time::interval(EPOCH_POLL);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            () = async { let _ = stop.wait_for(|s| *s).await; } => return,
        }
        let epoch = match store.conn().await {
            Ok(mut c) => c.ex().auth_epoch().await,
            Err(e) => Err(e),
        };
        match epoch {
            Ok(e) if e != seen => {
                let refreshed = keys.refresh().await.and(budgets.reload().await);
                match refreshed {
                    Ok(()) => seen = e,
                    Err(err) => tracing::warn!(error = %err, "reload after epoch change failed"),
                }
            }
            Ok(_) => {}
            Err(err) => tracing::warn!(error = %err, "epoch poll failed"),
        }
    }
}

/// Flushes settled budget spend often and heartbeats this replica's leases.
async fn budget_upkeep(budgets: Arc<BudgetGate>, mut stop: watch::Receiver<bool>) {
    let mut flush = tokio::time::interval(BUDGET_FLUSH);
    let mut heartbeat = tokio::time::interval(BUDGET_HEARTBEAT);
    loop {
        tokio::select! {
            _ = flush.tick() => budgets.flush(false).await,
            _ = heartbeat.tick() => {
                if let Err(e) = budgets.heartbeat().await {
                    tracing::warn!(error = %e, "budget lease heartbeat failed");
                }
            }
            () = async { let _ = stop.wait_for(|s| *s).await; } => return,
        }
    }
}
