//! Issue 18, item 8: every listener closes a connection that sends half its headers within
//! `HTTP_HEADER_TIMEOUT_SECONDS`, and serves at most `HTTP_MAX_CONNECTIONS` at once. Real
//! sockets against the in-process `serve`.

use crate::common;

use common::TestDb;
use common::server::Harness;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Opens a connection to `harness` and sends the first half of a request's headers.
async fn half_headers(harness: &Harness) -> TcpStream {
    let addr = harness.base.trim_start_matches("http://");
    let mut stream = TcpStream::connect(addr).await.unwrap();
    stream
        .write_all(b"POST /api/v1/notices HTTP/1.1\r\nHost: sipas\r\nContent-Type: appl")
        .await
        .unwrap();
    stream
}

#[tokio::test]
async fn a_half_header_connection_is_closed_within_the_timeout() {
    let harness =
        Harness::start_with(TestDb::sqlite(), &[("HTTP_HEADER_TIMEOUT_SECONDS", "1")]).await;
    let mut stream = half_headers(&harness).await;
    let started = Instant::now();
    let mut rest = Vec::new();
    // The server ends the connection (EOF, perhaps after a 408): the read returns.
    let read = tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut rest)).await;
    assert!(read.is_ok(), "the connection is still open after 10 s");
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "closed after {:?}",
        started.elapsed()
    );
    // A whole request on a new connection is served as before.
    let response = harness
        .http
        .get(format!("{}/healthz", harness.base))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    harness.finish().await;
}

#[tokio::test]
async fn connections_past_the_cap_wait_to_be_served() {
    let harness = Harness::start_with(
        TestDb::sqlite(),
        &[
            ("HTTP_MAX_CONNECTIONS", "2"),
            ("HTTP_HEADER_TIMEOUT_SECONDS", "60"),
        ],
    )
    .await;
    let held = [half_headers(&harness).await, half_headers(&harness).await];
    let url = format!("{}/healthz", harness.base);
    let waiting = harness
        .http
        .get(&url)
        .timeout(Duration::from_secs(1))
        .send()
        .await;
    assert!(
        waiting.is_err(),
        "a third connection is not served while two are open: {waiting:?}"
    );
    drop(held);
    let served = tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            if let Ok(response) = reqwest::Client::new().get(&url).send().await {
                return response.status().as_u16();
            }
        }
    })
    .await
    .expect("served once the holders are gone");
    assert_eq!(served, 200);
    harness.finish().await;
}
