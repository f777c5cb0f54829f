//! `gateway serve`: the startup actions (each behind its toggle, in order: migrate,
//! bootstrap-admin, seed-config; then the local demo dataset when `demo.seed_when_new` is set
//! and the SQLite file was new), then the HTTP server (one serving lane per CPU,
//! `http::lanes`) until SIGTERM/SIGINT. After migrations it also seeds missing
//! operational-setting defaults and warns about operational keys in the config file
//! (`cli::settings::on_start`). With `GATEWAY_BOOTSTRAP_LINK` on, it arms the
//! one-time bootstrap link (`cli::bootstrap_link`) before listening.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;

use super::{Failure, bootstrap_admin, demo, load, open, require_current_schema};

use crate::app::App;
use crate::http;
use crate::http::lanes::{self, Lanes};
use crate::store::migrate;

#[derive(Debug, clap::Args)]
pub struct Args {}

pub async fn run(config: &Path, _args: Args) -> Result<(), Failure> {
    let loaded = load(config)?;
    // Checked before opening, which creates the file: the demo seeds only a brand-new one.
    let new_sqlite_file =
        matches!(&loaded.db, crate::config::DbUrl::Sqlite { path } if !path.exists());
    let store = open(&loaded).await?;
    let startup = &loaded.config.startup;

    if startup.run_migrations {
        for m in migrate::apply(&store).await? {
            tracing::info!(migration = %m, "applied migration");
        }
    } else {
        require_current_schema(&store).await?;
    }
    super::settings::on_start(&store, &loaded).await?;
    if startup.bootstrap_admin {
        let line = bootstrap_admin::ensure(&store, &loaded).await?;
        tracing::info!("bootstrap-admin: {line}");
    }
    if startup.seed_config {
        let report = crate::seed::seed(&store, &loaded.config).await?;
        for line in report.render().lines() {
            tracing::info!("seed-config: {line}");
        }
    }
    demo::on_start(&store, &loaded, new_sqlite_file).await?;

    let bind = &loaded.config.server.bind;
    let listener = std::net::TcpListener::bind(bind)
        .and_then(|l| l.set_nonblocking(true).map(|()| l))
        .with_context(|| format!("cannot listen on {bind} (server.bind / GATEWAY_BIND)"))?;
    let addr = listener.local_addr().context("listener has no address")?;
    let grace = Duration::from_secs(loaded.config.server.shutdown_grace_seconds);
    let lane_count = lanes::count(loaded.config.server.workers);
    let app = App::start(store.clone(), Arc::new(loaded.config), lane_count).await?;
    super::bootstrap_link::arm(&store, &app.state.bootstrap_link, &app.state.config).await?;
    let router = http::build_router(app.state.clone());

    let signal = http::shutdown::listen().context("cannot install signal handlers")?;
    let mut lanes = Lanes::start(&listener, router, lane_count)?;
    drop(listener);
    // The one parseable line scripts and tests wait for.
    println!("listening on http://{addr}");
    tracing::info!(%addr, lanes = lane_count, "listening");

    tokio::select! {
        failed = lanes.stopped() => failed?,
        () = signal => {
            tracing::info!("shutdown signal received; finishing in-flight requests");
            lanes.stop();
            if tokio::time::timeout(grace, lanes.stopped()).await.is_err() {
                tracing::warn!(
                    seconds = grace.as_secs(),
                    "in-flight requests did not finish within the grace period; exiting"
                );
            }
        }
    }
    app.state.bootstrap_link.disarm();
    app.shutdown().await;
    store.close().await;
    // Only now: a lane's runtime may own a pooled connection or a timer the flush used.
    lanes.release().await?;
    tracing::info!("stopped");
    Ok(())
}
