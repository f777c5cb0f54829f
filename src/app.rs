//! Runtime wiring for `gateway serve`: builds the [`AppState`] (key cache, catalogue,
//! providers, request-log writer), runs the background tasks, and shuts them down in order so
//! nothing queued is lost.

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::catalog::Catalog;
use crate::config::Config;
use crate::credentials::KeyCache;
use crate::http::AppState;
use crate::recording::Recorder;
use crate::store::Store;

/// How often in-memory "last used" times are written.
const LAST_USED_FLUSH: Duration = Duration::from_secs(15);

/// A started application: its state and background tasks.
pub struct App {
    pub state: AppState,
    stop: watch::Sender<bool>,
    recorder_task: JoinHandle<()>,
    tasks: Vec<JoinHandle<()>>,
}

impl App {
    pub async fn start(store: Store, config: Arc<Config>) -> anyhow::Result<App> {
        let providers =
            crate::providers::build_all(&config.providers).context("cannot set up providers")?;
        let catalog = Catalog::load(&store)
            .await
            .context("cannot load the model catalogue")?;
        let keys = KeyCache::load(store.clone())
            .await
            .context("cannot load credentials")?;
        let (stop, stop_rx) = watch::channel(false);
        let (recorder, recorder_task) = Recorder::start(store.clone(), stop_rx.clone());
        let tasks = vec![
            tokio::spawn(keys.clone().poll(stop_rx.clone())),
            tokio::spawn(flush_last_used(keys.clone(), stop_rx)),
        ];
        Ok(App {
            state: AppState {
                store,
                config,
                keys,
                catalog: Arc::new(catalog),
                providers: Arc::new(providers),
                recorder,
            },
            stop,
            recorder_task,
            tasks,
        })
    }

    /// Stops background work and flushes request logs and last-use times.
    pub async fn shutdown(self) {
        let _ = self.stop.send(true);
        let keys = self.state.keys.clone();
        drop(self.state);
        if let Err(e) = self.recorder_task.await {
            tracing::error!(error = %e, "request log writer failed");
        }
        for t in self.tasks {
            let _ = t.await;
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
