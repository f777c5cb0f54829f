//! The floor: a TCP relay that does no HTTP work at all (`GATEWAY_BENCH_REFERENCE_SHAPE=relay`).
//!
//! Each accepted connection gets its own upstream connection, and the bytes are copied both
//! ways with `tokio::io::copy_bidirectional`: no parsing, no headers, no pool, no allocation per
//! request. It runs like the gateway's serving lanes (one single-threaded runtime per CPU, each
//! accepting on the shared socket, `TCP_NODELAY` on both sides). Whatever this adds over direct
//! is what one extra loopback hop costs on this machine for *any* proxy, so it bounds what the
//! gateway's targets can reach here.

use std::future::Future;
use std::sync::Arc;

use anyhow::Context;
use tokio::net::{TcpListener, TcpStream};

/// Serves until SIGTERM. `upstream_url` is `http://HOST:PORT/…`; only `HOST:PORT` is used.
pub fn serve(upstream_url: &str, lanes: usize) -> anyhow::Result<()> {
    let upstream: Arc<str> = upstream_url
        .strip_prefix("http://")
        .and_then(|rest| rest.split('/').next())
        .with_context(|| format!("upstream URL {upstream_url:?} is not http://HOST:PORT/…"))?
        .into();
    on_lanes(lanes, move |listener| accept(listener, upstream.clone()))
}

/// Binds `127.0.0.1:0`, prints `listening on http://ADDR`, runs `serve` on `lanes` threads
/// (one single-threaded runtime each, all accepting on the one socket) and returns at SIGTERM.
pub fn on_lanes<F, Fut>(lanes: usize, serve: F) -> anyhow::Result<()>
where
    F: Fn(TcpListener) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = anyhow::Result<()>>,
{
    let listener = std::net::TcpListener::bind("127.0.0.1:0").context("binding 127.0.0.1:0")?;
    listener
        .set_nonblocking(true)
        .context("non-blocking listener")?;
    let addr = listener.local_addr().context("no local address")?;
    let serve = Arc::new(serve);
    for lane in 0..lanes {
        let listener = listener.try_clone().context("sharing the listener")?;
        let serve = serve.clone();
        std::thread::Builder::new()
            .name(format!("lane-{lane}"))
            .spawn(move || {
                let served = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .context("a lane's runtime")
                    .and_then(|rt| {
                        rt.block_on(async {
                            serve(TcpListener::from_std(listener).context("the listener")?).await
                        })
                    });
                if let Err(e) = served {
                    eprintln!("lane {lane} stopped: {e:#}");
                }
            })
            .context("starting a lane")?;
    }
    println!("listening on http://{addr}");
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("starting the signal runtime")?
        .block_on(async {
            tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
                .context("installing the SIGTERM handler")?
                .recv()
                .await;
            Ok(())
        })
}

async fn accept(listener: TcpListener, upstream: Arc<str>) -> anyhow::Result<()> {
    loop {
        let (mut client, _) = listener.accept().await.context("accepting")?;
        let upstream = upstream.clone();
        tokio::spawn(async move {
            let _ = client.set_nodelay(true);
            let Ok(mut up) = TcpStream::connect(&*upstream).await else {
                return;
            };
            let _ = up.set_nodelay(true);
            let _ = tokio::io::copy_bidirectional(&mut client, &mut up).await;
        });
    }
}
