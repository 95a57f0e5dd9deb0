//! (g) Zalo at human pace: the real `sipas-bot serve` with Zalo alone, a loopback fake of the
//! Zalo API (token refresh and consultation messages; each message stamped on arrival and
//! handed to its simulated citizen), and citizens who post signed `user_send_text` webhook
//! events as Zalo would, reading each message for about `think` before they answer.
//!
//! End to end is from the webhook post to the next message arriving at the fake; server side is
//! the bot's own `sipas_tap_to_next_seconds{channel="zalo"}` (from the event stored to the reply
//! sent) and its stages.

use crate::child::BotProcess;
use crate::util::{self, BenchDb};
use axum::body::Bytes;
use axum::extract::State;
use axum::http::Uri;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::mpsc;

const APP_ID: &str = "1234567890";
const APP_SECRET: &str = "bench-app-secret";
const OA_ID: &str = "4455667788";
const OA_SECRET_KEY: &str = "bench-oa-secret-key";

/// A message the bot sent a citizen: when it arrived, its text and its buttons' payloads.
struct Sent {
    at: Instant,
    text: String,
    payloads: Vec<String>,
}

type Citizens = Arc<Mutex<HashMap<String, mpsc::UnboundedSender<Sent>>>>;

#[derive(Clone)]
struct FakeZalo {
    addr: SocketAddr,
    citizens: Citizens,
}

impl FakeZalo {
    async fn start() -> FakeZalo {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let citizens: Citizens = Arc::default();
        let app = axum::Router::new()
            .fallback(handle)
            .with_state(citizens.clone());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        FakeZalo { addr, citizens }
    }

    fn env(&self) -> Vec<(&'static str, String)> {
        let url = format!("http://{}", self.addr);
        vec![
            ("ZALO_APP_ID", APP_ID.into()),
            ("ZALO_APP_SECRET", APP_SECRET.into()),
            ("ZALO_OA_ID", OA_ID.into()),
            ("ZALO_OA_SECRET_KEY", OA_SECRET_KEY.into()),
            ("ZALO_REFRESH_TOKEN", "rt-0".into()),
            ("ZALO_API_URL", url.clone()),
            ("ZALO_OAUTH_URL", url.clone()),
            ("ZALO_BUSINESS_API_URL", url),
        ]
    }

    fn citizen(&self, user: &str) -> mpsc::UnboundedReceiver<Sent> {
        let (tx, rx) = mpsc::unbounded_channel();
        self.citizens.lock().unwrap().insert(user.to_string(), tx);
        rx
    }
}

/// The refresh (one token for the whole run) and consultation messages; anything else succeeds.
async fn handle(State(citizens): State<Citizens>, uri: Uri, body: Bytes) -> axum::Json<Value> {
    let at = Instant::now();
    if uri.path().ends_with("/access_token") {
        return axum::Json(
            json!({"access_token": "at-1", "refresh_token": "rt-1", "expires_in": "90000"}),
        );
    }
    let body: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    if uri.path() == "/v3.0/oa/message/cs" {
        let user = body["recipient"]["user_id"].as_str().unwrap_or_default();
        let payloads = body["message"]["attachment"]["payload"]["buttons"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|b| b["payload"].as_str().map(str::to_string))
            .collect();
        if let Some(citizen) = citizens.lock().unwrap().get(user) {
            let _ = citizen.send(Sent {
                at,
                text: body["message"]["text"].as_str().unwrap_or("").to_string(),
                payloads,
            });
        }
        return axum::Json(json!({"error": 0, "message": "Success",
            "data": {"message_id": format!("m-{}", rand::random::<u32>()), "user_id": user}}));
    }
    axum::Json(json!({"error": 0, "message": "Success", "data": {}}))
}

/// Posts one signed webhook event; the instant it was posted.
async fn post_event(http: &reqwest::Client, base: &str, event: Value) -> Instant {
    let body = event.to_string();
    let signature =
        sipas_bot::channels::zalo::signature_header(APP_ID, body.as_bytes(), OA_SECRET_KEY)
            .expect("a signature");
    let posted = Instant::now();
    let response = http
        .post(format!("{base}/zalo/webhook"))
        .header("X-ZEvent-Signature", signature)
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
        .expect("webhook reachable");
    assert!(response.status().is_success(), "{}", response.status());
    posted
}

fn text_event(user: &str, text: &str) -> Value {
    json!({
        "app_id": APP_ID, "sender": {"id": user}, "recipient": {"id": OA_ID},
        "event_name": "user_send_text",
        "message": {"text": text, "msg_id": format!("bench-{}", rand::random::<u64>())},
        "timestamp": chrono::Utc::now().timestamp_millis().to_string(),
    })
}

pub struct ZaloFigures {
    pub answers: usize,
    pub p50: Duration,
    pub p95: Duration,
    pub stalled: usize,
    /// The bot's own figures: stored → sent (tap to next), and its stages.
    pub server: Vec<(&'static str, util::Histogram)>,
}

/// (g) `citizens` Zalo citizens at human pace against the real binary with Zalo alone.
pub async fn run(backend: &str, citizens: usize, think: Duration) -> anyhow::Result<ZaloFigures> {
    let bench = BenchDb::new(backend).await?;
    let fake = FakeZalo::start().await;
    let mut env = fake.env();
    env.push(("INTAKE_TOKEN", crate::answers::INTAKE_TOKEN.into()));
    let bot = BotProcess::start_with(None, &bench.url, "sipas-short", &env, false).await?;
    let http = reqwest::Client::new();
    let tasks: Vec<_> = (0..citizens)
        .map(|i| {
            let (fake, http, base) = (fake.clone(), http.clone(), bot.base.clone());
            tokio::spawn(async move {
                tokio::time::sleep(think.mul_f64(rand::random::<f64>())).await;
                survey(fake, http, base, format!("{}", 5_000_000 + i), think).await
            })
        })
        .collect();
    let (mut latencies, mut stalled) = (Vec::new(), 0);
    for task in tasks {
        let (l, s) = task.await?;
        latencies.extend(l);
        stalled += usize::from(s);
    }
    let page = bot.metrics().await?;
    let stage = |stage| {
        util::histogram(
            &page,
            "sipas_reply_stage_seconds",
            &[("channel", "zalo"), ("stage", stage)],
        )
    };
    let server = vec![
        (
            "stored→sent",
            util::histogram(&page, "sipas_tap_to_next_seconds", &[("channel", "zalo")]),
        ),
        ("stored→claimed", stage("claimed")),
        ("claimed→sent", stage("sent")),
    ];
    bot.stop().await?;
    bench.cleanup().await;
    let answers = latencies.len();
    latencies.sort();
    Ok(ZaloFigures {
        answers,
        p50: util::percentile(&latencies, 0.5),
        p95: util::percentile(&latencies, 0.95),
        stalled,
        server,
    })
}

/// One Zalo citizen: follows, is invited by a notice, starts, answers every question (the first
/// answer button; a typed comment where there is none) and stops at the thank-you. Returns the
/// latencies from each post (the start press, then each answer) to the next message, and
/// whether it was left waiting.
async fn survey(
    fake: FakeZalo,
    http: reqwest::Client,
    base: String,
    user: String,
    think: Duration,
) -> (Vec<Duration>, bool) {
    let patience = Duration::from_secs(30);
    let mut rx = fake.citizen(&user);
    let next = async |rx: &mut mpsc::UnboundedReceiver<Sent>| {
        tokio::time::timeout(patience, rx.recv())
            .await
            .ok()
            .flatten()
    };
    let follow = json!({"oa_id": OA_ID, "follower": {"id": user}, "event_name": "follow",
        "app_id": APP_ID, "source": "qr",
        "timestamp": chrono::Utc::now().timestamp_millis().to_string()});
    post_event(&http, &base, follow).await;
    if next(&mut rx).await.is_none() {
        return (Vec::new(), true);
    }
    let mut notice = crate::answers::notice(&format!("BENCH-Z-{user}"), "T14.H02", None);
    notice["recipient"] = json!({"zalo_user_id": user});
    crate::answers::post_notice(&http, &base, &notice).await;
    let Some(mut message) = next(&mut rx).await else {
        return (Vec::new(), true);
    };
    let mut latencies = Vec::new();
    loop {
        let answer = message
            .payloads
            .iter()
            .find(|p| p.contains("[start|") || (p.contains("[a|") && !p.ends_with("|back]")))
            .cloned();
        let text = match answer {
            Some(payload) => payload,
            None if message.text.starts_with("Cảm ơn") => return (latencies, false),
            None => "Cán bộ rất nhiệt tình, cảm ơn.".to_string(),
        };
        tokio::time::sleep(think.mul_f64(0.75 + rand::random::<f64>() * 0.5)).await;
        let posted = post_event(&http, &base, text_event(&user, &text)).await;
        message = match next(&mut rx).await {
            Some(message) => message,
            None => return (latencies, true),
        };
        latencies.push(message.at.saturating_duration_since(posted));
    }
}
