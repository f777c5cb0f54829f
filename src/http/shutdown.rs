//! Graceful shutdown: SIGTERM or SIGINT. The handlers are installed eagerly by [`listen`], so a
//! signal that arrives right after the server announced itself is never lost to the default
//! action (which would kill the process without flushing).

use std::future::Future;

/// Installs the handlers now; the returned future resolves on the first SIGTERM or SIGINT.
#[cfg(unix)]
pub fn listen() -> std::io::Result<impl Future<Output = ()>> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut term = signal(SignalKind::terminate())?;
    let mut int = signal(SignalKind::interrupt())?;
    Ok(async move {
        tokio::select! {
            _ = term.recv() => {},
            _ = int.recv() => {},
        }
    })
}

/// Installs the handler now; the returned future resolves on Ctrl-C.
#[cfg(not(unix))]
pub fn listen() -> std::io::Result<impl Future<Output = ()>> {
    Ok(async {
        let _ = tokio::signal::ctrl_c().await;
    })
}
