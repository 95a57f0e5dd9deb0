//! (c) The weekly summary of a province or of the nation, measured in a fresh child process:
//! the real `sipas-bot summary` command, its wall time and its peak RSS (wait4's ru_maxrss).

use crate::bulk;
use crate::util::BenchDb;
use std::time::{Duration, Instant};

pub struct SummaryFigures {
    pub load: Duration,
    pub took: Duration,
    pub peak_mb: f64,
    pub ok: bool,
}

/// Runs `sipas-bot summary` on `url`; returns (wall time, peak RSS in MB, success).
pub fn child_summary(url: &str) -> anyhow::Result<(Duration, f64, bool)> {
    let started = Instant::now();
    let child = std::process::Command::new(env!("CARGO_BIN_EXE_sipas-bot"))
        .args(["summary", "--agency", bulk::ROOT, "--week", bulk::WEEK])
        .args(["--format", "json", "--output", "/dev/null"])
        .env("DATABASE_URL", url)
        .env("SIPAS_FLOW", "sipas-full")
        .env_remove("SIPAS_CONFIG")
        .spawn()?;
    let mut status = 0;
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: waits for our own child and writes into structs we own.
    let pid = unsafe { libc::wait4(child.id() as i32, &mut status, 0, &mut usage) };
    anyhow::ensure!(pid > 0, "wait4 failed");
    let took = started.elapsed();
    let ok = libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0;
    Ok((took, usage.ru_maxrss as f64 / 1024.0, ok))
}

pub async fn summary(
    backend: &str,
    agencies: usize,
    responses: usize,
) -> anyhow::Result<SummaryFigures> {
    let bench = BenchDb::new(backend).await?;
    let db = sipas_bot::startup::open_store(&bench.url)
        .await
        .map_err(|e| anyhow::anyhow!("{e:?}"))?;
    let started = Instant::now();
    bulk::load(&db, agencies, responses).await?;
    // Summaries read the running totals (issue 9 item 3), which the bot keeps as it stores each
    // response; rows loaded in bulk get theirs the way an operator would: `totals rebuild`.
    db.rebuild_totals()
        .await
        .map_err(|e| anyhow::anyhow!("totals rebuild: {e:?}"))?;
    let load = started.elapsed();
    db.close().await;
    let url = bench.url.clone();
    let (took, peak_mb, ok) = tokio::task::spawn_blocking(move || child_summary(&url)).await??;
    bench.cleanup().await;
    Ok(SummaryFigures {
        load,
        took,
        peak_mb,
        ok,
    })
}
