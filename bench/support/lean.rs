//! The reference without a framework (`GATEWAY_BENCH_REFERENCE_SHAPE=hyper`): hyper's
//! HTTP/1.1 server connections used directly (no axum router, no tower layers), forwarding
//! with the gateway's upstream client. "reference − this" is what axum costs per request.

use std::convert::Infallible;

use anyhow::Context as _;
use bytes::Bytes;
use futures_util::TryStreamExt;
use http_body_util::combinators::UnsyncBoxBody;
use http_body_util::{BodyExt, Full, StreamBody};
use hyper::body::{Frame, Incoming};
use hyper::header::{CONTENT_TYPE, HeaderValue};
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;

use super::reference::Forward;

type Answer = UnsyncBoxBody<Bytes, hyper::Error>;

/// Serves on `lanes` lanes until SIGTERM.
pub fn serve(forward: Forward, lanes: usize) -> anyhow::Result<()> {
    super::relay::on_lanes(lanes, move |listener| accept(listener, forward.clone()))
}

async fn accept(listener: TcpListener, forward: Forward) -> anyhow::Result<()> {
    loop {
        let (tcp, _) = listener.accept().await.context("accepting")?;
        let _ = tcp.set_nodelay(true);
        let forward = forward.clone();
        tokio::spawn(async move {
            let service = hyper::service::service_fn(move |req| relay(req, forward.clone()));
            let _ = hyper::server::conn::http1::Builder::new()
                .serve_connection(TokioIo::new(tcp), service)
                .await;
        });
    }
}

async fn relay(req: Request<Incoming>, forward: Forward) -> Result<Response<Answer>, Infallible> {
    Ok(match pass(req, &forward).await {
        Ok(response) => response,
        Err(e) => {
            let mut response = Response::new(full(Bytes::from(e.to_string())));
            *response.status_mut() = StatusCode::BAD_GATEWAY;
            response
        }
    })
}

async fn pass(req: Request<Incoming>, forward: &Forward) -> anyhow::Result<Response<Answer>> {
    let body = req.into_body().collect().await?.to_bytes();
    let answer = forward.send(body).await?;
    let content_type = answer
        .content_type
        .unwrap_or_else(|| "application/json".into());
    // Like the gateway: SSE passes through chunk by chunk, JSON is read whole and sent at once.
    let body = if content_type.starts_with("text/event-stream") {
        BodyExt::boxed_unsync(StreamBody::new(answer.body.map_ok(Frame::data)))
    } else {
        full(super::reference::whole(answer.body).await?)
    };
    let mut response = Response::new(body);
    *response.status_mut() = StatusCode::from_u16(answer.status)?;
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_str(&content_type)?);
    Ok(response)
}

fn full(bytes: Bytes) -> Answer {
    Full::new(bytes)
        .map_err(|never| match never {})
        .boxed_unsync()
}
