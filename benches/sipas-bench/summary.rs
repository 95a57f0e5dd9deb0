//! (c) The weekly summary of a province or of the nation, measured in a fresh child process:
//! the real `sipas-bot summary` command, its wall time and its peak RSS (wait4's ru_maxrss).

use crate::bulk;
use crate::util::BenchDb;
use std::time::{Duration, Instant};

pub struct SummaryFigures {
    pub load: bulk::LoadReport,
    pub took: Duration,
    /// A second run, right after (the database's pages now cached).
    pub again: Duration,
    pub peak_mb: f64,
    pub ok: bool,
    /// Disk the loaded database took, in MB.
    pub size_mb: f64,
}

/// [`child_summary`] from a fresh process of this harness (`summary-child`), so the peak RSS
/// is the summary's own: Linux keeps the high-water mark of the process that spawned a child
/// across its exec, and the harness has just loaded millions of rows.
fn fresh_child_summary(url: &str) -> anyhow::Result<(Duration, f64, bool)> {
    let output = std::process::Command::new(std::env::current_exe()?)
        .args(["summary-child", "--child-url", url])
        .stderr(std::process::Stdio::inherit())
        .output()?;
    anyhow::ensure!(output.status.success(), "summary child failed");
    let text = String::from_utf8_lossy(&output.stdout);
    let mut fields = text.lines().last().unwrap_or_default().split_whitespace();
    let mut next = || fields.next().unwrap_or("0").parse::<f64>().unwrap_or(0.0);
    let (nanos, peak_mb, ok) = (next(), next(), next());
    Ok((Duration::from_nanos(nanos as u64), peak_mb, ok == 1.0))
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

/// Loads a fresh database of `backend` (see [`bulk::load`]) and times `sipas-bot summary` of
/// its root over the week [`bulk::WEEK`].
pub async fn summary(
    backend: &str,
    agencies: usize,
    responses: usize,
    answer_rows: bool,
) -> anyhow::Result<SummaryFigures> {
    let bench = BenchDb::new(backend).await?;
    let db = sipas_bot::services::startup::open_store(&bench.url)
        .await
        .map_err(|e| anyhow::anyhow!("{e:?}"))?;
    let load = bulk::load(&db, &bench.url, agencies, responses, answer_rows).await?;
    let size_mb = match db.backend() {
        sipas_bot::storage::Backend::Postgres => {
            let bytes: i64 = sqlx::query_scalar("SELECT pg_database_size(current_database())")
                .fetch_one(db.pool())
                .await?;
            bytes as f64 / 1e6
        }
        sipas_bot::storage::Backend::Sqlite => {
            let path = bench.url.trim_start_matches("sqlite://");
            std::fs::metadata(path).map_or(0.0, |m| m.len() as f64 / 1e6)
        }
    };
    db.close().await;
    let url = bench.url.clone();
    let (took, again, peak_mb, ok) = tokio::task::spawn_blocking(move || {
        let (took, peak_mb, ok) = fresh_child_summary(&url)?;
        let (again, peak_again, ok_again) = fresh_child_summary(&url)?;
        anyhow::Ok((took, again, peak_mb.max(peak_again), ok && ok_again))
    })
    .await??;
    bench.cleanup().await;
    Ok(SummaryFigures {
        load,
        took,
        again,
        peak_mb,
        ok,
        size_mb,
    })
}
