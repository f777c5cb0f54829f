//! Tests for the serving lanes: connections stay on the lane that accepted them, shutdown is
//! graceful, and an upstream client is never shared between lanes.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use axum::routing::{get, post};

use super::*;
use crate::config::schema::ProviderKind;
use crate::providers::openai_compat::OpenAiCompatProvider;
use crate::providers::testutil::{collect, config};
use crate::providers::{Endpoint, UpstreamRequest, install_crypto_provider};

/// Where the handler ran: its lane and its thread.
async fn whereabouts() -> String {
    format!("{:?} {:?}", current(), std::thread::current().name())
}

/// Stops the lanes, waits (at most 5 s) until they have, then releases them.
async fn shut_down(mut lanes: Lanes, what: &str) {
    lanes.stop();
    tokio::time::timeout(Duration::from_secs(5), lanes.stopped())
        .await
        .expect(what)
        .unwrap();
    lanes.release().await.unwrap();
}

fn listener() -> std::net::TcpListener {
    install_crypto_provider();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    listener
}

#[tokio::test]
async fn every_request_of_a_connection_runs_on_the_lane_that_accepted_it() {
    let listener = listener();
    let url = format!("http://{}/where", listener.local_addr().unwrap());
    let lanes = Lanes::start(
        &listener,
        Router::new().route("/where", get(whereabouts)),
        2,
    )
    .unwrap();
    drop(listener);
    assert_eq!(current(), None, "the test's own thread is not a lane");

    for _ in 0..6 {
        // One client, one keep-alive connection, several requests.
        let client = reqwest::Client::new();
        let mut answers = Vec::new();
        for _ in 0..4 {
            answers.push(client.get(&url).send().await.unwrap().text().await.unwrap());
        }
        assert!(answers.iter().all(|a| a == &answers[0]), "{answers:?}");
        let lane = &answers[0];
        assert!(
            lane == "Some(0) Some(\"gateway-lane-0\")"
                || lane == "Some(1) Some(\"gateway-lane-1\")",
            "{lane}"
        );
    }

    shut_down(lanes, "lanes stop once idle").await;
    assert!(
        reqwest::Client::new().get(&url).send().await.is_err(),
        "nothing listens after the lanes stopped"
    );
}

#[tokio::test]
async fn stopping_waits_for_a_request_in_flight() {
    async fn slow() -> &'static str {
        tokio::time::sleep(Duration::from_millis(300)).await;
        "done"
    }
    let listener = listener();
    let url = format!("http://{}/slow", listener.local_addr().unwrap());
    let lanes = Lanes::start(&listener, Router::new().route("/slow", get(slow)), 1).unwrap();
    let request = tokio::spawn(async move { reqwest::get(&url).await?.text().await });
    tokio::time::sleep(Duration::from_millis(100)).await;
    shut_down(lanes, "stopped once the request finished").await;
    assert_eq!(request.await.unwrap().unwrap(), "done");
}

#[test]
fn two_lanes_never_share_an_upstream_connection() {
    // The upstream counts the connections it accepts.
    let accepted = Arc::new(AtomicUsize::new(0));
    let upstream = listener();
    let base_url = format!("http://{}/v1", upstream.local_addr().unwrap());
    let counter = accepted.clone();
    let _upstream = run_as_lane(99, async move {
        let listener = tokio::net::TcpListener::from_std(upstream)
            .unwrap()
            .tap_io(move |_| {
                counter.fetch_add(1, Ordering::SeqCst);
            });
        let app = Router::new().route("/v1/chat/completions", post(|| async { "{}" }));
        axum::serve(listener, app).await.unwrap();
    });

    install_crypto_provider();
    let mut cfg = config("upstream", ProviderKind::OpenaiCompat);
    cfg.base_url = Some(base_url);
    let provider = OpenAiCompatProvider::from_config(&cfg, 2).unwrap();
    let call = |p: OpenAiCompatProvider| async move {
        let request = UpstreamRequest {
            endpoint: Endpoint::ChatCompletions,
            body: bytes::Bytes::from_static(b"{}"),
            stream: false,
        };
        collect(p.send(request).await.unwrap().body).await
    };

    // Lane 0 calls twice and stays alive (its runtime keeps driving its idle connection)
    // while lane 1 calls once in between: a shared pool would hand lane 1 that connection.
    let (first_done, first) = tokio::sync::oneshot::channel();
    let (second_done, second) = tokio::sync::oneshot::channel::<()>();
    let p = provider.clone();
    let lane0 = run_as_lane(0, async move {
        assert_eq!(call(p.clone()).await, b"{}");
        first_done.send(()).unwrap();
        second.await.unwrap();
        assert_eq!(call(p).await, b"{}");
    });
    let p = provider.clone();
    let lane1 = run_as_lane(1, async move {
        first.await.unwrap();
        assert_eq!(call(p).await, b"{}");
        second_done.send(()).unwrap();
    });
    lane1.join().unwrap();
    lane0.join().unwrap();
    assert_eq!(
        accepted.load(Ordering::SeqCst),
        2,
        "one connection per lane, each reused by its own lane only"
    );
}

#[tokio::test]
async fn release_cuts_requests_still_running_past_the_grace_period() {
    async fn stuck() -> &'static str {
        tokio::time::sleep(Duration::from_secs(600)).await;
        "never"
    }
    let listener = listener();
    let url = format!("http://{}/stuck", listener.local_addr().unwrap());
    let mut lanes = Lanes::start(&listener, Router::new().route("/stuck", get(stuck)), 2).unwrap();
    drop(listener);
    let request = tokio::spawn(async move { reqwest::get(&url).await?.text().await });
    tokio::time::sleep(Duration::from_millis(100)).await;
    lanes.stop();
    assert!(
        tokio::time::timeout(Duration::from_millis(300), lanes.stopped())
            .await
            .is_err(),
        "a lane with a request in flight has not stopped"
    );
    tokio::time::timeout(Duration::from_secs(5), lanes.release())
        .await
        .expect("release does not wait for the stuck request")
        .unwrap();
    let answer = tokio::time::timeout(Duration::from_secs(5), request)
        .await
        .unwrap();
    assert!(answer.unwrap().is_err(), "the stuck request was cut");
}

#[test]
fn each_lane_gets_its_own_slot_and_everyone_else_the_last() {
    assert_eq!(slot(3), 2, "off the lanes");
    for (lane, expected) in [(0, 0), (1, 1), (7, 2)] {
        let got = run_as_lane(lane, async move { slot(3) });
        assert_eq!(got.join().unwrap(), expected, "lane {lane}");
    }
}
