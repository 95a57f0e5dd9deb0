//! (d) Resident memory with many surveys in progress. One survey is opened through the real
//! path; the database is then filled with copies of its open session (other chats, other
//! invitations). A fresh child process runs `serve` on it, a sample of those citizens answer a
//! question (the process loads and caches what it needs), and the child reports its RSS. The same
//! child on the database with the one survey gives the baseline.

use crate::answers::{notice, post_notice, start_serve};
use crate::fake::{Fake, Sent};
use crate::util::{self, BenchDb};
use sqlx::Row;
use std::time::Duration;

pub const FIRST_CHAT: i64 = 600_000;

pub struct MemoryFigures {
    pub surveys: usize,
    pub baseline_mb: f64,
    pub loaded_mb: f64,
    pub peak_mb: f64,
}

async fn next(rx: &mut tokio::sync::mpsc::UnboundedReceiver<Sent>) -> Sent {
    tokio::time::timeout(Duration::from_secs(120), rx.recv())
        .await
        .expect("the bot answers")
        .expect("fake alive")
}

/// Opens one survey for real in chat `FIRST_CHAT`.
async fn open_one(url: &str) -> anyhow::Result<()> {
    let fake = Fake::start(None).await;
    let running = start_serve(&fake, url, "sipas-short").await?;
    let base = format!("http://{}", running.http_addr);
    let token = post_notice(
        &reqwest::Client::new(),
        &base,
        &notice("BENCH-M-0", "T14.H02", None),
    )
    .await;
    let mut rx = fake.citizen(FIRST_CHAT);
    fake.type_text(FIRST_CHAT, &format!("/start {token}"));
    let invitation = next(&mut rx).await;
    fake.press(FIRST_CHAT, &invitation.json, &invitation.buttons[0]);
    next(&mut rx).await;
    // Let the cosmetic edit go out too: a row left mid-send would hold the chat's queue.
    let db = sipas_bot::storage::Db::connect(url).await?;
    for _ in 0..200 {
        if db
            .outbox_count(sipas_bot::storage::OutboxStatus::Pending)
            .await?
            + db.outbox_count(sipas_bot::storage::OutboxStatus::Sending)
                .await?
            == 0
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    db.close().await;
    running.shutdown().await;
    Ok(())
}

/// Copies the open session `copies` times (chats FIRST_CHAT+1 ..), in big transactions.
async fn clone_sessions(url: &str, copies: usize) -> anyhow::Result<()> {
    let db = sipas_bot::storage::Db::connect(url).await?;
    let pool = db.pool();
    let row = sqlx::query(
        "SELECT s.flow_version_id, s.state, s.started_at, i.status, i.created_at, i.expires_at
         FROM survey_sessions s JOIN invitations i ON i.token = s.invitation_token",
    )
    .fetch_one(pool)
    .await?;
    let version: i64 = row.try_get(0)?;
    let state: String = row.try_get::<String, _>(1)?.replace('\'', "''");
    let at: String = row.try_get(2)?;
    let status: String = row.try_get(3)?;
    let (created, expires): (String, String) = (row.try_get(4)?, row.try_get(5)?);
    let mut done = 0;
    while done < copies {
        let chunk = (copies - done).min(1_000);
        let (mut notices, mut invitations, mut sessions) = (Vec::new(), Vec::new(), Vec::new());
        for i in done..done + chunk {
            let chat = FIRST_CHAT + 1 + i as i64;
            let (dossier, token) = (format!("BM{chat}"), format!("{chat:032x}"));
            notices.push(format!("('{dossier}', 'T14.H02', '1.001612', 'Đăng ký khai sinh', 'direct', '{at}', '{at}')"));
            invitations.push(format!(
                "('{token}', '{dossier}', {version}, '{status}', '{created}', '{expires}', '{at}')"
            ));
            sessions.push(format!(
                "('{token}', 'telegram', '{chat}', {version}, '{state}', 'active', '{at}', '{at}')"
            ));
        }
        let mut tx = pool.begin().await?;
        for (head, rows) in [
            (
                "INSERT INTO notices (dossier_code, agency_code, procedure_code, procedure_name, submission_channel, completed_at, received_at)",
                notices,
            ),
            (
                "INSERT INTO invitations (token, dossier_code, flow_version_id, status, created_at, expires_at, updated_at)",
                invitations,
            ),
            (
                "INSERT INTO survey_sessions (invitation_token, channel, chat_ref, flow_version_id, state, status, started_at, updated_at)",
                sessions,
            ),
        ] {
            sqlx::query(&format!("{head} VALUES {}", rows.join(",")))
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        done += chunk;
    }
    db.close().await;
    Ok(())
}

/// In the child: serve on `url`, `sample` citizens answer one question; prints "RSS HWM" in MB.
pub async fn child(url: &str, sample: usize) -> anyhow::Result<()> {
    let fake = Fake::start(None).await;
    let running = start_serve(&fake, url, "sipas-short").await?;
    let mut receivers = Vec::new();
    for i in 0..sample {
        let chat = FIRST_CHAT + i as i64;
        receivers.push(fake.citizen(chat));
        fake.type_text(chat, "Rất hài lòng");
    }
    for rx in &mut receivers {
        next(rx).await;
    }
    println!("{} {}", util::status_mb("VmRSS"), util::status_mb("VmHWM"));
    running.shutdown().await;
    Ok(())
}

fn run_child(url: &str, sample: usize) -> anyhow::Result<(f64, f64)> {
    let output = std::process::Command::new(std::env::current_exe()?)
        .args([
            "memory-child",
            "--child-url",
            url,
            "--sample",
            &sample.to_string(),
        ])
        .output()?;
    anyhow::ensure!(output.status.success(), "memory child failed");
    let text = String::from_utf8_lossy(&output.stdout);
    let mut figures = text
        .lines()
        .last()
        .unwrap_or_default()
        .split_whitespace()
        .map(|v| v.parse::<f64>().unwrap_or(0.0));
    Ok((figures.next().unwrap_or(0.0), figures.next().unwrap_or(0.0)))
}

pub async fn memory(backend: &str, surveys: usize, sample: usize) -> anyhow::Result<MemoryFigures> {
    let bench = BenchDb::new(backend).await?;
    open_one(&bench.url).await?;
    let url = bench.url.clone();
    let (baseline_mb, _) = tokio::task::spawn_blocking(move || run_child(&url, 1)).await??;
    clone_sessions(&bench.url, surveys.saturating_sub(1)).await?;
    let url = bench.url.clone();
    let sample = sample.clamp(1, surveys);
    let (loaded_mb, peak_mb) =
        tokio::task::spawn_blocking(move || run_child(&url, sample)).await??;
    bench.cleanup().await;
    Ok(MemoryFigures {
        surveys,
        baseline_mb,
        loaded_mb,
        peak_mb,
    })
}
