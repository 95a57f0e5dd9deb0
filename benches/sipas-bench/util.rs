//! Measuring helpers: CPU time (getrusage), resident memory (/proc), percentiles, fresh
//! databases per backend, and the raw write limit of a database (single-row insert commits/s).

use sipas_bot::storage::Db;
use sqlx::Connection;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

static NEXT: AtomicU32 = AtomicU32::new(0);

/// User + system CPU time of this process so far.
pub fn cpu_time() -> Duration {
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: getrusage writes into the struct we own.
    unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut usage) };
    let tv = |t: libc::timeval| Duration::new(t.tv_sec as u64, t.tv_usec as u32 * 1000);
    tv(usage.ru_utime) + tv(usage.ru_stime)
}

/// User + system CPU time of process `pid` so far, all its threads (/proc/<pid>/stat); `None`
/// once it is gone.
pub fn process_cpu(pid: u32) -> Option<Duration> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // After the command name (in parentheses, possibly with spaces): state is field 3, utime
    // field 14 and stime field 15, in clock ticks.
    let fields: Vec<&str> = stat.rsplit_once(") ")?.1.split_whitespace().collect();
    let ticks: u64 = fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?;
    // SAFETY: sysconf only reads a constant of the system.
    let per_second = unsafe { libc::sysconf(libc::_SC_CLK_TCK) }.max(1) as u64;
    Some(Duration::from_nanos(ticks * 1_000_000_000 / per_second))
}

/// The CPU time so far of each PostgreSQL backend connected to database `name` (the server
/// runs on this machine: its processes' /proc entries are read).
pub async fn pg_backends_cpu(name: &str) -> anyhow::Result<HashMap<u32, Duration>> {
    let mut conn = sqlx::PgConnection::connect(&pg_admin_url()).await?;
    let pids: Vec<i32> = sqlx::query_scalar("SELECT pid FROM pg_stat_activity WHERE datname = $1")
        .bind(name)
        .fetch_all(&mut conn)
        .await?;
    conn.close().await?;
    Ok(pids
        .into_iter()
        .filter_map(|pid| Some((pid as u32, process_cpu(pid as u32)?)))
        .collect())
}

/// CPU spent between two readings of [`pg_backends_cpu`] by the backends alive at the second
/// (one that started meanwhile counts from zero; one that ended meanwhile is not counted).
pub fn cpu_between(before: &HashMap<u32, Duration>, after: &HashMap<u32, Duration>) -> Duration {
    after
        .iter()
        .map(|(pid, cpu)| cpu.saturating_sub(before.get(pid).copied().unwrap_or_default()))
        .sum()
}

/// A field of /proc/self/status in MB (VmRSS: now; VmHWM: the peak).
pub fn status_mb(field: &str) -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix(field)?.strip_prefix(':'))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(0.0, |kb| kb / 1024.0)
}

pub fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[index.min(sorted.len() - 1)]
}

pub fn ms(d: Duration) -> String {
    format!("{:.1}", d.as_secs_f64() * 1000.0)
}

/// The PostgreSQL server used (`BENCH_POSTGRES_URL`, default the local one).
pub fn pg_admin_url() -> String {
    std::env::var("BENCH_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_string())
}

/// A fresh database; dropped (PostgreSQL) or deleted (SQLite) on `cleanup`.
pub struct BenchDb {
    pub url: String,
    dir: Option<tempfile::TempDir>,
    pg_name: Option<String>,
}

impl BenchDb {
    pub async fn new(backend: &str) -> anyhow::Result<BenchDb> {
        let n = NEXT.fetch_add(1, Ordering::SeqCst);
        if backend == "sqlite" {
            let dir = tempfile::tempdir()?;
            let url = format!("sqlite://{}/bench.db", dir.path().display());
            return Ok(BenchDb {
                url,
                dir: Some(dir),
                pg_name: None,
            });
        }
        let admin = pg_admin_url();
        let mut conn = sqlx::PgConnection::connect(&admin).await?;
        let name = format!("sipas_bench_{}_{n}", std::process::id());
        sqlx::query(&format!("DROP DATABASE IF EXISTS {name}"))
            .execute(&mut conn)
            .await?;
        sqlx::query(&format!("CREATE DATABASE {name}"))
            .execute(&mut conn)
            .await?;
        let base = admin.rsplit_once('/').map_or(admin.as_str(), |(b, _)| b);
        Ok(BenchDb {
            url: format!("{base}/{name}"),
            dir: None,
            pg_name: Some(name),
        })
    }

    /// The PostgreSQL database's name (`None` on SQLite).
    pub fn pg_name(&self) -> Option<&str> {
        self.pg_name.as_deref()
    }

    pub async fn cleanup(self) {
        if let Some(name) = &self.pg_name
            && let Ok(mut conn) = sqlx::PgConnection::connect(&pg_admin_url()).await
        {
            let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                .execute(&mut conn)
                .await;
        }
        drop(self.dir);
    }
}

/// Single-row insert transactions per second on a fresh database of `backend`, through the same
/// connection settings as the bot (`Db::connect`), one writer, for about `seconds`.
pub async fn raw_insert_tps(backend: &str, seconds: f64) -> anyhow::Result<f64> {
    let bench = BenchDb::new(backend).await?;
    let db = Db::connect(&bench.url).await?;
    let pool = db.pool();
    sqlx::query("CREATE TABLE bench_raw (id BIGINT PRIMARY KEY, body TEXT NOT NULL)")
        .execute(pool)
        .await?;
    let started = Instant::now();
    let mut count: i64 = 0;
    while started.elapsed().as_secs_f64() < seconds {
        let mut tx = pool.begin().await?;
        sqlx::query("INSERT INTO bench_raw (id, body) VALUES ($1, $2)")
            .bind(count)
            .bind("a row of about the size of an answer")
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        count += 1;
    }
    let rate = count as f64 / started.elapsed().as_secs_f64();
    db.close().await;
    bench.cleanup().await;
    Ok(rate)
}

/// Which backends a part runs on: SQLite always, PostgreSQL unless `--no-postgres`.
pub fn backends(postgres: bool) -> Vec<&'static str> {
    if postgres {
        vec!["sqlite", "postgres"]
    } else {
        vec!["sqlite"]
    }
}

/// A histogram of the bot's `/metrics` page: its observations, mean, and p50/p95 read from the
/// buckets (linear within a bucket, as Prometheus's `histogram_quantile` does).
#[derive(Debug, Clone, Copy, Default)]
pub struct Histogram {
    pub count: f64,
    pub mean: Duration,
    pub p50: Duration,
    pub p95: Duration,
}

/// Reads the histogram `name` whose labels include every pair of `labels` from a Prometheus page.
pub fn histogram(page: &str, name: &str, labels: &[(&str, &str)]) -> Histogram {
    let matches = |line: &str, suffix: &str| -> Option<(HashMap<String, String>, f64)> {
        let rest = line.strip_prefix(name)?.strip_prefix(suffix)?;
        let (label_text, value) = match rest.strip_prefix('{') {
            Some(rest) => rest.split_once("} ")?,
            None => ("", rest.trim_start()),
        };
        let found: HashMap<String, String> = label_text
            .split(',')
            .filter_map(|pair| pair.split_once('='))
            .map(|(k, v)| (k.to_string(), v.trim_matches('"').to_string()))
            .collect();
        labels
            .iter()
            .all(|(k, v)| found.get(*k).is_some_and(|f| f == v))
            .then(|| Some((found, value.trim().parse::<f64>().ok()?)))
            .flatten()
    };
    let mut buckets: Vec<(f64, f64)> = Vec::new();
    let (mut sum, mut count) = (0.0, 0.0);
    for line in page.lines() {
        if let Some((found, value)) = matches(line, "_bucket") {
            let le = found.get("le").map_or(f64::INFINITY, |le| {
                le.parse::<f64>().unwrap_or(f64::INFINITY)
            });
            buckets.push((le, value));
        } else if let Some((_, value)) = matches(line, "_sum") {
            sum += value;
        } else if let Some((_, value)) = matches(line, "_count") {
            count += value;
        }
    }
    buckets.sort_by(|a, b| a.0.total_cmp(&b.0));
    let quantile = |q: f64| -> Duration {
        let rank = q * count;
        let mut below = (0.0, 0.0);
        for (le, cumulative) in &buckets {
            if *cumulative >= rank && *cumulative > below.1 {
                let upper = if le.is_finite() { *le } else { below.0 };
                let share = (rank - below.1) / (cumulative - below.1);
                return Duration::from_secs_f64(
                    below.0 + (upper - below.0) * share.clamp(0.0, 1.0),
                );
            }
            below = (*le, *cumulative);
        }
        Duration::ZERO
    };
    Histogram {
        count,
        mean: Duration::from_secs_f64(if count > 0.0 { sum / count } else { 0.0 }),
        p50: quantile(0.5),
        p95: quantile(0.95),
    }
}

/// One histogram in a table cell: `p50 3 ms, p95 9 ms, mean 4.1 ms (n 300)`.
pub fn show(h: &Histogram) -> String {
    format!(
        "p50 {:.1} ms, p95 {:.1} ms, mean {:.1} ms (n {})",
        h.p50.as_secs_f64() * 1000.0,
        h.p95.as_secs_f64() * 1000.0,
        h.mean.as_secs_f64() * 1000.0,
        h.count
    )
}
