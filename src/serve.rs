//! `sipas-bot serve`: one process running the Telegram bot (long polling or webhook), the Zalo
//! OA channel, or both — each only when configured — with the HTTP API and the background
//! workers (outbox sender, reminders, the Zalo inbox). Start-up checks every setting and
//! reaches Telegram once; shutdown stops taking updates, finishes what is in flight, loses nothing.

use crate::channels::telegram::officials::TelegramOfficials;
use crate::channels::telegram::poller::Poller;
use crate::channels::telegram::sender::{self, TelegramTransport};
use crate::channels::telegram::{BotAdmins, Telegram, TelegramSettings};
use crate::channels::zalo::ZaloSettings;
use crate::channels::zalo::runtime::ZaloRunning;
use crate::clock::Clock;
use crate::config::{Secret, SettingError, Settings};
use crate::conversation::Conversations;
use crate::delivery::settings::DeliverySettings;
use crate::delivery::{Worker, WorkerSettings};
use crate::error::AppError;
use crate::http::{self, ApiState};
use crate::i18n::Locales;
use crate::intake::Links;
use crate::officials::{Officials, OfficialsError};
use chrono::Duration;
use std::net::SocketAddr;
use std::sync::Arc;
use teloxide::prelude::*;
use tokio::sync::{Notify, watch};
use tokio::task::JoinSet;

pub const DEFAULT_TELEGRAM_API_URL: &str = "https://api.telegram.org/";
pub const DEFAULT_HTTP_ADDR: &str = "127.0.0.1:8080";
pub const DEFAULT_REMINDER_DELAY_HOURS: i64 = 24;
/// Alerts go out within a minute: the workers look every 30 seconds.
pub const DEFAULT_WORKER_TICK_SECONDS: u64 = 30;

/// The shortest `TELEGRAM_WEBHOOK_SECRET` accepted.
pub const MIN_WEBHOOK_SECRET_LEN: usize = 16;

/// Whether `url` names this machine (127.0.0.0/8, ::1 or `localhost`), where plain http is safe.
fn is_loopback(url: &url::Url) -> bool {
    match url.host() {
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        Some(url::Host::Domain(name)) => name.eq_ignore_ascii_case("localhost"),
        None => false,
    }
}

/// How updates reach us.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Mode {
    Polling,
    /// Telegram posts updates to `url` (our `/telegram/webhook`), with `secret` in a header.
    Webhook {
        url: url::Url,
        secret: Secret,
    },
}

/// The settings of `serve`, on top of the shared ones.
#[derive(Debug, Clone)]
pub struct ServeSettings {
    pub base: Settings,
    /// `None` when only Zalo runs.
    pub telegram_token: Option<Secret>,
    pub telegram_api_url: url::Url,
    pub http_addr: SocketAddr,
    /// `ADMIN_HTTP_ADDR`: the console on a listener of its own (say, internal only) and no
    /// longer on `http_addr`; without it the console shares `http_addr`.
    pub admin_http_addr: Option<SocketAddr>,
    pub intake_token: Secret,
    /// Where the API is reached from outside, for QR code links; default `http://HTTP_ADDR`.
    pub public_base_url: String,
    pub mode: Mode,
    pub reminder_delay: Duration,
    /// How often the reminder, summary and alert workers look for due work.
    pub worker_tick: std::time::Duration,
    /// The Zalo OA channel, when `ZALO_APP_ID` is set.
    pub zalo: Option<ZaloSettings>,
    /// The Telegram outbox's pace, lease and age limit.
    pub delivery: DeliverySettings,
    /// `INTAKE_RATE_PER_SECOND` and `INTAKE_TIMEOUT_SECONDS`: notices a second per client, and
    /// how long one may take.
    pub intake_rate_per_second: u32,
    pub intake_timeout: std::time::Duration,
}

impl ServeSettings {
    pub fn from_env() -> Result<ServeSettings, SettingError> {
        let lookup = crate::config::environment()?;
        ServeSettings::from_lookup(lookup)
    }

    pub fn from_lookup(
        lookup: impl Fn(&str) -> Option<String>,
    ) -> Result<ServeSettings, SettingError> {
        let base = Settings::from_lookup(&lookup)?;
        let zalo = ZaloSettings::from_lookup(&lookup)?;
        let get = |name: &str| lookup(name).filter(|v| !v.trim().is_empty());
        let invalid = |name: &'static str, value: String, expected: &'static str| SettingError {
            name,
            value,
            expected,
        };
        // Telegram runs when its token is set; it may be left out only when Zalo runs instead.
        let telegram_token = match get("TELEGRAM_BOT_TOKEN") {
            Some(token) => token,
            None if zalo.is_some() => String::new(),
            None => {
                return Err(invalid(
                    "TELEGRAM_BOT_TOKEN",
                    String::new(),
                    "setting-expect-bot-token",
                ));
            }
        };
        let well_formed = telegram_token.is_empty()
            || telegram_token.split_once(':').is_some_and(|(id, secret)| {
                !id.is_empty()
                    && id.chars().all(|c| c.is_ascii_digit())
                    && !secret.is_empty()
                    && secret
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
            });
        if !well_formed {
            // Never echo a secret, even a malformed one.
            return Err(invalid(
                "TELEGRAM_BOT_TOKEN",
                "***".into(),
                "setting-expect-bot-token",
            ));
        }
        let api_text = get("TELEGRAM_API_URL").unwrap_or_else(|| DEFAULT_TELEGRAM_API_URL.into());
        let telegram_api_url = url::Url::parse(&api_text)
            .ok()
            .filter(|u| matches!(u.scheme(), "http" | "https"))
            .ok_or_else(|| invalid("TELEGRAM_API_URL", api_text.clone(), "setting-expect-url"))?;
        // The bot token travels in every request's path: plain http would send it in clear,
        // which is only acceptable when the server never leaves this machine.
        if telegram_api_url.scheme() != "https" && !is_loopback(&telegram_api_url) {
            return Err(invalid(
                "TELEGRAM_API_URL",
                api_text.clone(),
                "setting-expect-https-url",
            ));
        }
        let addr_text = get("HTTP_ADDR").unwrap_or_else(|| DEFAULT_HTTP_ADDR.into());
        let http_addr: SocketAddr = addr_text.parse().map_err(|_| {
            invalid(
                "HTTP_ADDR",
                addr_text.clone(),
                "setting-expect-socket-address",
            )
        })?;
        let admin_http_addr = match get("ADMIN_HTTP_ADDR") {
            None => None,
            Some(text) => Some(text.trim().parse().map_err(|_| {
                invalid(
                    "ADMIN_HTTP_ADDR",
                    text.clone(),
                    "setting-expect-socket-address",
                )
            })?),
        };
        let intake_token = get("INTAKE_TOKEN")
            .ok_or_else(|| invalid("INTAKE_TOKEN", String::new(), "setting-expect-intake-token"))?;
        if intake_token.chars().count() < 16 {
            return Err(invalid(
                "INTAKE_TOKEN",
                "***".into(),
                "setting-expect-intake-token",
            ));
        }
        let public_base_url = match get("PUBLIC_BASE_URL") {
            Some(text) => url::Url::parse(&text)
                .map(|_| text.trim_end_matches('/').to_string())
                .map_err(|_| invalid("PUBLIC_BASE_URL", text.clone(), "setting-expect-url"))?,
            None => format!("http://{http_addr}"),
        };
        let mode = match get("TELEGRAM_MODE").as_deref().unwrap_or("polling") {
            "polling" => Mode::Polling,
            "webhook" => {
                let url_text = get("TELEGRAM_WEBHOOK_URL").ok_or_else(|| {
                    invalid("TELEGRAM_WEBHOOK_URL", String::new(), "setting-expect-url")
                })?;
                let url = url::Url::parse(&url_text)
                    .ok()
                    .filter(|u| u.scheme() == "https" || u.host_str() == Some("127.0.0.1"))
                    .ok_or_else(|| {
                        invalid(
                            "TELEGRAM_WEBHOOK_URL",
                            url_text.clone(),
                            "setting-expect-url",
                        )
                    })?;
                let secret = get("TELEGRAM_WEBHOOK_SECRET").unwrap_or_default();
                // Telegram accepts one character, but a short secret can be guessed: anyone
                // who guesses it can post updates as any citizen.
                let secret_ok = (MIN_WEBHOOK_SECRET_LEN..=256).contains(&secret.len())
                    && secret
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
                if !secret_ok {
                    return Err(invalid(
                        "TELEGRAM_WEBHOOK_SECRET",
                        "***".into(),
                        "setting-expect-webhook-secret",
                    ));
                }
                Mode::Webhook {
                    url,
                    secret: Secret::new(secret),
                }
            }
            other => {
                return Err(invalid(
                    "TELEGRAM_MODE",
                    other.to_string(),
                    "setting-expect-mode",
                ));
            }
        };
        let reminder_delay = match get("REMINDER_DELAY_HOURS") {
            None => Duration::hours(DEFAULT_REMINDER_DELAY_HOURS),
            Some(text) => text
                .trim()
                .parse::<i64>()
                .ok()
                .filter(|h| *h > 0)
                .map(Duration::hours)
                .ok_or_else(|| {
                    invalid(
                        "REMINDER_DELAY_HOURS",
                        text.clone(),
                        "setting-expect-positive-hours",
                    )
                })?,
        };
        let worker_tick = match get("WORKER_TICK_SECONDS") {
            None => std::time::Duration::from_secs(DEFAULT_WORKER_TICK_SECONDS),
            Some(text) => text
                .trim()
                .parse::<u64>()
                .ok()
                .filter(|s| (1..=86_400).contains(s))
                .map(std::time::Duration::from_secs)
                .ok_or_else(|| {
                    invalid("WORKER_TICK_SECONDS", text.clone(), "setting-expect-tick")
                })?,
        };
        let delivery = DeliverySettings::from_lookup(get)?;
        let positive = |name: &'static str, default: u32| match get(name) {
            None => Ok(default),
            Some(text) => text
                .trim()
                .parse::<u32>()
                .ok()
                .filter(|n| *n >= 1)
                .ok_or_else(|| invalid(name, text.clone(), "setting-expect-positive-count")),
        };
        let intake_rate_per_second = positive(
            "INTAKE_RATE_PER_SECOND",
            crate::http::limits::DEFAULT_RATE_PER_SECOND,
        )?;
        let intake_timeout = std::time::Duration::from_secs(u64::from(positive(
            "INTAKE_TIMEOUT_SECONDS",
            crate::http::limits::DEFAULT_TIMEOUT.as_secs() as u32,
        )?));
        Ok(ServeSettings {
            intake_rate_per_second,
            intake_timeout,
            zalo,
            worker_tick,
            delivery,
            base,
            telegram_token: (!telegram_token.is_empty()).then(|| Secret::new(telegram_token)),
            telegram_api_url,
            http_addr,
            admin_http_addr,
            intake_token: Secret::new(intake_token),
            public_base_url,
            mode,
            reminder_delay,
        })
    }
}

/// A started server: its address, its Telegram side, and the handle to stop it.
pub struct Running {
    pub http_addr: SocketAddr,
    /// Where the console listens: `http_addr` unless `ADMIN_HTTP_ADDR` is set.
    pub admin_addr: SocketAddr,
    /// The bot's username; empty when Telegram does not run.
    pub bot_username: String,
    /// The Telegram channel, when configured.
    pub telegram: Option<Telegram>,
    /// The officials' service (summaries, alerts, reports).
    pub weekly: Officials,
    /// The worker delivering Telegram's outbox, when Telegram runs.
    pub sender: Option<Worker>,
    /// Woken whenever rows are added to the outbox.
    outbox_ready: Arc<Notify>,
    /// The Zalo channel, when configured.
    pub zalo: Option<ZaloRunning>,
    /// The worker delivering Zalo's outbox, when Zalo runs.
    pub zalo_sender: Option<Worker>,
    clock: Arc<dyn Clock>,
    shutdown: watch::Sender<bool>,
    tasks: JoinSet<()>,
}

impl Running {
    /// Sends the reminders due now (the reminder worker does this every minute).
    pub async fn send_due_reminders(
        &self,
    ) -> Result<usize, crate::channels::telegram::HandleError> {
        match &self.telegram {
            Some(telegram) => telegram.send_due_reminders(self.clock.now()).await,
            None => Ok(0),
        }
    }

    /// Sends the weekly summaries due now (the scheduler does this every minute).
    pub async fn run_due_summaries(&self) -> Result<usize, OfficialsError> {
        let sent = self.weekly.run_due(self.clock.now()).await?;
        self.outbox_ready.notify_one();
        Ok(sent)
    }

    /// Sends the alerts of new responses (the alert worker does this every 30 seconds).
    pub async fn run_alerts(&self) -> Result<usize, OfficialsError> {
        let sent = self.weekly.run_alerts(self.clock.now()).await?;
        self.outbox_ready.notify_one();
        Ok(sent)
    }

    /// Stops taking updates, lets the workers finish what is in flight, and waits for them.
    /// Wakes the outbox workers (rows were queued outside a channel's own path).
    pub fn notify_outbox(&self) {
        self.outbox_ready.notify_waiters();
        self.outbox_ready.notify_one();
    }

    pub async fn shutdown(mut self) {
        let _ = self.shutdown.send(true);
        while self.tasks.join_next().await.is_some() {}
    }

    /// Runs until SIGINT or SIGTERM, then shuts down gracefully.
    pub async fn until_signal(self) {
        wait_for_signal().await;
        tracing::info!("shutting down");
        self.shutdown().await;
    }
}

async fn bind(addr: SocketAddr) -> Result<tokio::net::TcpListener, AppError> {
    tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|err| AppError::Io {
            path: addr.to_string(),
            reason: err.to_string(),
        })
}

fn local_addr(
    listener: &tokio::net::TcpListener,
    asked: SocketAddr,
) -> Result<SocketAddr, AppError> {
    listener.local_addr().map_err(|err| AppError::Io {
        path: asked.to_string(),
        reason: err.to_string(),
    })
}

/// Serves `router` on `listener` until shutdown. The client's address is kept for the
/// console's sign-in throttling.
async fn serve_http(
    listener: tokio::net::TcpListener,
    router: axum::Router,
    mut shutdown: watch::Receiver<bool>,
) {
    let service = router.into_make_service_with_connect_info::<SocketAddr>();
    let served = axum::serve(listener, service)
        .with_graceful_shutdown(async move {
            let _ = shutdown.wait_for(|stop| *stop).await;
        })
        .await;
    if let Err(err) = served {
        tracing::error!(%err, "HTTP server stopped");
    }
}

async fn wait_for_signal() {
    #[cfg(unix)]
    {
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
            .expect("SIGTERM handler");
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

/// Starts everything; returns once the HTTP listener is bound and Telegram answered `getMe`.
pub async fn start(settings: ServeSettings, clock: Arc<dyn Clock>) -> Result<Running, AppError> {
    crate::metrics::install();
    let integrity = crate::storage::Integrity {
        max_dossiers_per_chat: settings.base.integrity_max_dossiers_per_chat,
        ..crate::storage::Integrity::default()
    };
    let db = crate::startup::open_store(settings.base.database_url.expose())
        .await?
        .with_integrity(integrity);
    let locales = Arc::new(Locales::load());
    let bot = match &settings.telegram_token {
        Some(token) => Some(connect_bot(&settings, token).await?),
        None => None,
    };
    let bot_username = bot
        .as_ref()
        .map(|(_, username)| username.clone())
        .unwrap_or_default();

    let outbox_ready = Arc::new(Notify::new());
    let weekly = Officials::new(
        db.clone(),
        locales.clone(),
        settings.base.lang,
        settings.base.flow.clone(),
    )
    .with_summary_settings(settings.base.summary)
    .with_renderer(Arc::new(TelegramOfficials));
    let telegram = bot.as_ref().map(|(bot, username)| {
        Telegram::new(
            Conversations::new(db.clone()),
            weekly.clone(),
            Arc::new(BotAdmins(bot.clone())),
            locales.clone(),
            TelegramSettings {
                lang: settings.base.lang,
                reminder_delay: settings.reminder_delay,
                bot_username: username.clone(),
            },
            outbox_ready.clone(),
        )
    });
    let sender = bot.as_ref().map(|(bot, _)| {
        Worker::new(
            db.clone(),
            Arc::new(TelegramTransport::new(bot.clone())),
            clock.clone(),
            WorkerSettings {
                counts_per_chat: sender::counts_per_chat,
                slower_chat: sender::slower_chat,
                ..settings.delivery.worker()
            },
        )
    });
    let poller = bot
        .as_ref()
        .zip(telegram.as_ref())
        .map(|((bot, _), telegram)| Poller::new(bot.clone(), telegram.clone(), clock.clone()));
    let (shutdown, shutdown_rx) = watch::channel(false);
    let mut tasks = JoinSet::new();

    let listener = bind(settings.http_addr).await?;
    let http_addr = local_addr(&listener, settings.http_addr)?;
    let public_base_url = if settings.http_addr.port() == 0 {
        format!("http://{http_addr}")
    } else {
        settings.public_base_url.clone()
    };
    let state = ApiState {
        db: db.clone(),
        locales: locales.clone(),
        lang: settings.base.lang,
        intake_token: settings.intake_token.clone(),
        links: Links {
            bot_username: bot_username.clone(),
            public_base_url,
        },
        flow: settings.base.flow.clone(),
        invitation_ttl: Duration::days(settings.base.invitation_ttl_days),
        telegram: telegram.clone(),
        clock: clock.clone(),
        webhook: match (&settings.mode, &poller) {
            (Mode::Webhook { secret, .. }, Some(poller)) => Some((poller.clone(), secret.clone())),
            _ => None,
        },
        zalo: None,
        intake_limits: Arc::new(crate::http::limits::IntakeLimits::new(
            settings.intake_rate_per_second,
            settings.intake_timeout,
        )),
    };
    let zalo = settings.zalo.as_ref().map(|zalo_settings| {
        ZaloRunning::new(&db, &locales, settings.base.lang, zalo_settings, &clock)
    });
    let state = ApiState {
        zalo: zalo.as_ref().map(|z| z.inbox.clone()),
        ..state
    };
    let console = crate::admin::web::Console {
        db: db.clone(),
        locales: locales.clone(),
        lang: settings.base.lang,
        clock: clock.clone(),
        default_flow: settings.base.flow.clone(),
        secure_cookies: settings.public_base_url.starts_with("https://"),
        throttle: Default::default(),
        officials: weekly.clone(),
    };
    let console = crate::admin::web::router(console);
    let admin_addr = match settings.admin_http_addr {
        Some(addr) => {
            let admin_listener = bind(addr).await?;
            let admin_addr = local_addr(&admin_listener, addr)?;
            tasks.spawn(serve_http(admin_listener, console, shutdown_rx.clone()));
            tasks.spawn(serve_http(
                listener,
                http::router(state),
                shutdown_rx.clone(),
            ));
            admin_addr
        }
        None => {
            let router = http::router(state).merge(console);
            tasks.spawn(serve_http(listener, router, shutdown_rx.clone()));
            http_addr
        }
    };
    if let (Mode::Polling, Some(poller)) = (&settings.mode, &poller) {
        tasks.spawn(poller.clone().run(shutdown_rx.clone()));
    }
    if let Some(sender) = &sender {
        tasks.spawn(
            sender
                .clone()
                .run(outbox_ready.clone(), shutdown_rx.clone()),
        );
    }
    let reminder_tick = settings.worker_tick;
    let officials_tick = settings.worker_tick;
    let reminder_clock = clock.clone();
    let mut reminder_shutdown = shutdown_rx.clone();
    if let Some(reminders) = telegram.clone() {
        tasks.spawn(async move {
            let period = reminder_tick;
            let mut tick = tokio::time::interval_at(tokio::time::Instant::now() + period, period);
            loop {
                tokio::select! {
                    _ = tick.tick() => {
                        if let Err(err) = reminders.send_due_reminders(reminder_clock.now()).await {
                            tracing::error!(%err, "reminder pass failed");
                        }
                        crate::metrics::heartbeat("reminders");
                    }
                    _ = reminder_shutdown.changed() => return,
                }
            }
        });
    }
    // Weekly summaries (checked every minute) and alerts (every 30 seconds).
    let officials = weekly.clone();
    let officials_clock = clock.clone();
    let officials_ready = outbox_ready.clone();
    let mut officials_shutdown = shutdown_rx.clone();
    tasks.spawn(async move {
        let period = officials_tick;
        let mut tick = tokio::time::interval_at(tokio::time::Instant::now() + period, period);
        let mut round: u64 = 0;
        loop {
            tokio::select! {
                _ = tick.tick() => {
                    let now = officials_clock.now();
                    if let Err(err) = officials.run_alerts(now).await {
                        tracing::error!(%err, "alert pass failed");
                    }
                    if round.is_multiple_of(2)
                        && let Err(err) = officials.run_due(now).await {
                            tracing::error!(%err, "summary pass failed");
                        }
                    round += 1;
                    crate::metrics::heartbeat("officials");
                    officials_ready.notify_one();
                }
                _ = officials_shutdown.changed() => return,
            }
        }
    });
    // Zalo's outbox goes through the same delivery core, at the same pace settings.
    let zalo_sender = zalo.as_ref().map(|zalo| {
        zalo.spawn(&mut tasks, settings.worker_tick, shutdown_rx.clone());
        let worker = Worker::new(
            db.clone(),
            Arc::new(zalo.transport.clone()),
            clock.clone(),
            settings.delivery.worker(),
        );
        tasks.spawn(
            worker
                .clone()
                .run(outbox_ready.clone(), shutdown_rx.clone()),
        );
        worker
    });
    tracing::info!(%http_addr, bot = %bot_username, zalo = zalo.is_some(), "serving");
    Ok(Running {
        zalo,
        zalo_sender,
        http_addr,
        admin_addr,
        bot_username,
        telegram,
        weekly,
        sender,
        outbox_ready,
        clock,
        shutdown,
        tasks,
    })
}

/// Reaches Telegram once (`getMe`) and sets how updates come: the bot and its username.
async fn connect_bot(settings: &ServeSettings, token: &Secret) -> Result<(Bot, String), AppError> {
    let bot = Bot::new(token.expose()).set_api_url(settings.telegram_api_url.clone());
    let me = bot
        .get_me()
        .await
        .map_err(|err| AppError::Telegram(err.to_string()))?;
    match &settings.mode {
        Mode::Polling => bot.delete_webhook().await,
        Mode::Webhook { url, secret } => {
            bot.set_webhook(url.clone())
                .secret_token(secret.expose().to_string())
                .await
        }
    }
    .map_err(|err| AppError::Telegram(err.to_string()))?;
    Ok((bot, me.username().to_string()))
}

#[cfg(test)]
mod tests {
    use super::is_loopback;

    #[test]
    fn plain_http_is_only_for_this_machine() {
        for (url, loopback) in [
            ("http://127.0.0.1:8081/", true),
            ("http://127.5.0.1/", true),
            ("http://[::1]:8081/", true),
            ("http://localhost:8081/", true),
            ("http://api.telegram.org/", false),
            ("http://192.168.1.10/", false),
            ("http://localhost.example.com/", false),
        ] {
            assert_eq!(
                is_loopback(&url::Url::parse(url).unwrap()),
                loopback,
                "{url}"
            );
        }
    }
}
