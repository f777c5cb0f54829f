//! The settings a running server uses: one [`Settings`] snapshot behind an `Arc`, read by
//! request handlers (a read lock held only to clone the `Arc`) and replaced whole when the
//! stored rows change — at once on the replica that made a change ([`LiveSettings::reload`]),
//! and within [`POLL`] on every other replica ([`watch`]).
//!
//! Nothing here validates or writes settings; that is `settings::manage`.

use std::sync::{Arc, RwLock};
use std::time::Duration;

use tokio::sync::watch;

use super::Settings;
use crate::store::settings::SettingRow;
use crate::store::{Store, StoreError};

/// How often each replica re-reads the `settings` table.
pub const POLL: Duration = Duration::from_secs(2);

/// A server's current settings.
#[derive(Debug)]
pub struct LiveSettings {
    current: RwLock<Arc<Settings>>,
    /// The rows the current snapshot was built from, to notice changes cheaply. Held across
    /// read and install, so a poll that read the table before a change cannot install its
    /// older rows after the reload that followed the change.
    rows: tokio::sync::Mutex<Vec<SettingRow>>,
}

impl LiveSettings {
    /// Live settings starting from `settings` (built from no rows yet).
    pub fn new(settings: Settings) -> Arc<LiveSettings> {
        Arc::new(LiveSettings {
            current: RwLock::new(Arc::new(settings)),
            rows: tokio::sync::Mutex::new(Vec::new()),
        })
    }

    /// Live settings loaded from the store.
    pub async fn load(store: &Store) -> Result<Arc<LiveSettings>, StoreError> {
        let live = LiveSettings::new(Settings::default());
        live.reload(store).await?;
        Ok(live)
    }

    /// The snapshot to use for one request or operation.
    pub fn current(&self) -> Arc<Settings> {
        match self.current.read() {
            Ok(guard) => guard.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    /// Re-reads the stored rows and swaps in a new snapshot if they changed; returns the keys
    /// whose effective value changed.
    pub async fn reload(&self, store: &Store) -> Result<Vec<&'static str>, StoreError> {
        let mut seen = self.rows.lock().await;
        let rows = store.conn().await?.ex().setting_rows().await?;
        if *seen == rows {
            return Ok(Vec::new());
        }
        let (next, problems) = Settings::from_rows(&rows);
        for p in problems {
            tracing::warn!("operational settings: {p}");
        }
        let before = self.current();
        let changed: Vec<&'static str> = super::registry::DEFS
            .iter()
            .map(|d| d.key)
            .filter(|k| before.value(k) != next.value(k))
            .collect();
        match self.current.write() {
            Ok(mut g) => *g = Arc::new(next),
            Err(p) => *p.into_inner() = Arc::new(next),
        }
        *seen = rows;
        Ok(changed)
    }
}

/// Keeps `live` current until `stop` turns true: re-reads the table every [`POLL`].
pub async fn watch(store: Store, live: Arc<LiveSettings>, mut stop: watch::Receiver<bool>) {
    let mut tick = tokio::time::interval(POLL);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            () = async { let _ = stop.wait_for(|s| *s).await; } => return,
        }
        match live.reload(&store).await {
            Ok(changed) if !changed.is_empty() => {
                tracing::info!(keys = ?changed, "operational settings changed");
            }
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "operational settings poll failed"),
        }
    }
}
