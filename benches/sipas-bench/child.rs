//! The bot as a process of its own: the real `sipas-bot serve` binary of the same build (release
//! under `cargo bench`), so its CPU time can be read apart from the harness's (the fake Bot API
//! and the simulated citizens run in the harness).

use crate::answers::INTAKE_TOKEN;
use crate::fake::{Fake, TOKEN};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub struct BotProcess {
    child: Child,
    /// `http://127.0.0.1:<port>`: the intake and the health check.
    pub base: String,
}

impl BotProcess {
    /// Starts `sipas-bot serve` on `db_url` against `fake`, and waits (60 s at most) until its
    /// health check answers. Its logs go where the harness's go when `RUST_LOG` is set, else
    /// nowhere (it still writes them, at its usual level, as in production).
    pub async fn start(fake: &Fake, db_url: &str, flow: &str) -> anyhow::Result<BotProcess> {
        let raised = fake.limits().is_none();
        BotProcess::start_with(Some(fake), db_url, flow, &[], raised).await
    }

    /// [`BotProcess::start`] with more settings: `telegram` (none: Zalo alone, from `env`),
    /// extra variables, and whether our own pace is raised (1000/s; else the defaults).
    pub async fn start_with(
        telegram: Option<&Fake>,
        db_url: &str,
        flow: &str,
        env: &[(&str, String)],
        raise_pace: bool,
    ) -> anyhow::Result<BotProcess> {
        // A free port now; the bot binds it a moment later.
        let port = std::net::TcpListener::bind("127.0.0.1:0")?
            .local_addr()?
            .port();
        let mut command = Command::new(env!("CARGO_BIN_EXE_sipas-bot"));
        command
            .arg("serve")
            .env_remove("SIPAS_CONFIG")
            .env("HTTP_ADDR", format!("127.0.0.1:{port}"))
            .env("INTAKE_TOKEN", INTAKE_TOKEN)
            .env("DATABASE_URL", db_url)
            .env("SIPAS_FLOW", flow)
            .env("INTAKE_RATE_PER_SECOND", "1000000")
            .stdout(Stdio::null());
        if std::env::var_os("RUST_LOG").is_none() {
            command.stderr(Stdio::null());
        }
        if let Some(fake) = telegram {
            command
                .env("TELEGRAM_BOT_TOKEN", TOKEN)
                .env("TELEGRAM_API_URL", fake.api_url());
        }
        for (name, value) in env {
            command.env(name, value);
        }
        if raise_pace {
            // As in-process (see `answers::start_serve`): our own pace is not measured here.
            command
                .env("TELEGRAM_MESSAGES_PER_SECOND", "1000")
                .env("TELEGRAM_CHAT_MESSAGES_PER_SECOND", "30");
        }
        let mut bot = BotProcess {
            child: command.spawn()?,
            base: format!("http://127.0.0.1:{port}"),
        };
        let http = reqwest::Client::new();
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Some(status) = bot.child.try_wait()? {
                anyhow::bail!("sipas-bot serve exited at start: {status}");
            }
            let health = http.get(format!("{}/healthz", bot.base)).send().await;
            if health.is_ok() {
                return Ok(bot);
            }
            anyhow::ensure!(Instant::now() < deadline, "sipas-bot serve not up in 60 s");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// SIGKILL: no shutdown, nothing released by the bot itself.
    pub fn kill(mut self) -> anyhow::Result<()> {
        self.child.kill()?;
        self.child.wait()?;
        Ok(())
    }

    /// The bot's `/metrics` page.
    pub async fn metrics(&self) -> anyhow::Result<String> {
        Ok(reqwest::get(format!("{}/metrics", self.base))
            .await?
            .text()
            .await?)
    }

    /// Asks it to stop (SIGTERM, as a service manager would) and waits; kills it after 30 s.
    pub async fn stop(mut self) -> anyhow::Result<()> {
        // SAFETY: signals our own child, still unreaped (so its pid is still its own).
        unsafe { libc::kill(self.child.id() as i32, libc::SIGTERM) };
        let deadline = Instant::now() + Duration::from_secs(30);
        while self.child.try_wait()?.is_none() {
            if Instant::now() >= deadline {
                self.child.kill()?;
                self.child.wait()?;
                anyhow::bail!("sipas-bot serve did not stop within 30 s of SIGTERM");
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        Ok(())
    }
}

impl Drop for BotProcess {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}
