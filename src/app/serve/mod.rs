//! `sipas-bot serve`: one process running the Telegram bot (long polling or webhook), the Zalo
//! OA channel, or both — each only when configured — with the HTTP API and the background
//! workers (outbox sender, reminders, the Zalo inbox). Start-up checks every setting and
//! reaches Telegram once; shutdown stops taking updates, finishes what is in flight, loses nothing.
//!
//! The settings live in [`settings`], the reminder and officials loops in [`workers`].

mod settings;
mod workers;

pub use settings::{
    DEFAULT_HTTP_ADDR, DEFAULT_REMINDER_DELAY_HOURS, DEFAULT_TELEGRAM_API_URL,
    DEFAULT_WORKER_TICK_SECONDS, MIN_WEBHOOK_SECRET_LEN, Mode, ServeSettings,
};

use crate::app::error::AppError;
use crate::channels::telegram::officials::TelegramOfficials;
use crate::channels::telegram::poller::Poller;
use crate::channels::telegram::sender::{self, TelegramTransport};
use crate::channels::telegram::{BotAdmins, Telegram, TelegramSettings};
use crate::channels::zalo::runtime::ZaloRunning;
use crate::core::clock::Clock;
use crate::core::i18n::Locales;
use crate::services::conversation::Conversations;
use crate::services::delivery::{Worker, WorkerSettings};
use crate::services::intake::Links;
use crate::services::officials::{Officials, OfficialsError};
use crate::settings::config::Secret;
use crate::settings::health::{Heartbeats, supervise};
use crate::web::{self, ApiState};
use chrono::Duration;
use std::net::SocketAddr;
use std::sync::Arc;
use teloxide::prelude::*;
use tokio::sync::{Notify, watch};
use tokio::task::JoinSet;

/// The outbox workers' wake signals, one per transport: whatever queues a row for a channel
/// wakes that channel's worker at once (a `Notify` has one waiter each: two workers sharing one
/// would take turns at its wake-ups).
#[derive(Debug, Clone, Default)]
pub struct Wakes {
    pub telegram: Arc<Notify>,
    pub zalo: Arc<Notify>,
}

impl Wakes {
    /// Wakes every transport's worker (rows may have been queued for any channel).
    pub fn all(&self) {
        self.telegram.notify_one();
        self.zalo.notify_one();
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
    /// The outbox workers' wake signals, one per transport.
    pub wakes: Wakes,
    /// The Zalo channel, when configured.
    pub zalo: Option<ZaloRunning>,
    /// The worker delivering Zalo's outbox, when Zalo runs.
    pub zalo_sender: Option<Worker>,
    /// The workers' heartbeats, as `/healthz` reads them.
    pub heartbeats: Heartbeats,
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
        self.wakes.all();
        Ok(sent)
    }

    /// Sends the alerts of new responses (the alert worker does this every 30 seconds).
    pub async fn run_alerts(&self) -> Result<usize, OfficialsError> {
        let sent = self.weekly.run_alerts(self.clock.now()).await?;
        self.wakes.all();
        Ok(sent)
    }

    /// Wakes every outbox worker (rows were queued outside a channel's own path).
    pub fn notify_outbox(&self) {
        self.wakes.all();
    }

    /// Stops taking updates, lets the workers finish what is in flight, and waits for them.
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

/// Serves `router` on `listener` until shutdown, with the header-read timeout and the
/// connection cap of every listener (`crate::web::listener`). The client's address is kept for
/// the console's sign-in throttling.
async fn serve_http(
    listener: tokio::net::TcpListener,
    router: axum::Router,
    limits: crate::web::listener::ListenerLimits,
    shutdown: watch::Receiver<bool>,
) {
    crate::web::listener::serve(listener, router, limits, shutdown).await;
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
    crate::settings::metrics::install();
    let integrity = crate::storage::Integrity {
        max_dossiers_per_chat: settings.base.integrity_max_dossiers_per_chat,
        ..crate::storage::Integrity::default()
    };
    let db = crate::services::startup::open_store(settings.base.database_url.expose())
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

    let wakes = Wakes::default();
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
            wakes.telegram.clone(),
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
                answers_input: sender::answers_input,
                ..settings.delivery.telegram_worker()
            },
        )
    });
    // Every background loop ticks here; `/healthz` answers 503 naming a loop that stopped.
    let heartbeats = Heartbeats::new();
    let poller = bot
        .as_ref()
        .zip(telegram.as_ref())
        .map(|((bot, _), telegram)| {
            Poller::new(bot.clone(), telegram.clone(), clock.clone(), &heartbeats)
        });
    let (shutdown, shutdown_rx) = watch::channel(false);
    let mut tasks = JoinSet::new();

    let listener = bind(settings.http_addr).await?;
    let http_addr = local_addr(&listener, settings.http_addr)?;
    let public_base_url = if settings.http_addr.port() == 0 {
        format!("http://{http_addr}")
    } else {
        settings.public_base_url.clone()
    };
    if settings.intake_token.is_none() {
        tracing::info!("INTAKE_TOKEN is not set: only named intake clients can post notices");
    }
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
        heartbeats: heartbeats.clone(),
        intake_limits: Arc::new(crate::web::limits::IntakeLimits::new(
            settings.intake_rate_per_second,
            settings.intake_timeout,
        )),
    };
    let zalo = settings.zalo.as_ref().map(|zalo_settings| {
        ZaloRunning::new(
            &db,
            &locales,
            settings.base.lang,
            zalo_settings,
            &clock,
            wakes.zalo.clone(),
            settings.reminder_delay,
        )
    });
    let state = ApiState {
        zalo: zalo.as_ref().map(|z| z.inbox.clone()),
        ..state
    };
    let console = crate::web::console::Console {
        db: db.clone(),
        locales: locales.clone(),
        lang: settings.base.lang,
        clock: clock.clone(),
        default_flow: settings.base.flow.clone(),
        secure_cookies: settings.public_base_url.starts_with("https://"),
        throttle: Default::default(),
        session_idle: chrono::Duration::minutes(settings.base.admin_session_idle_minutes),
        officials: weekly.clone(),
        zalo_banner: Default::default(),
    };
    let console = crate::web::console::router(console);
    let limits = crate::web::listener::ListenerLimits {
        header_read_timeout: std::time::Duration::from_secs(
            settings.base.http_header_timeout_seconds,
        ),
        max_connections: settings.base.http_max_connections,
    };
    let admin_addr = match settings.admin_http_addr {
        Some(addr) => {
            let admin_listener = bind(addr).await?;
            let admin_addr = local_addr(&admin_listener, addr)?;
            tasks.spawn(serve_http(
                admin_listener,
                console,
                limits,
                shutdown_rx.clone(),
            ));
            tasks.spawn(serve_http(
                listener,
                web::router(state),
                limits,
                shutdown_rx.clone(),
            ));
            admin_addr
        }
        None => {
            let router = web::router(state).merge(console);
            tasks.spawn(serve_http(listener, router, limits, shutdown_rx.clone()));
            http_addr
        }
    };
    if let (Mode::Polling, Some(poller)) = (&settings.mode, &poller) {
        let (poller, stop, beats) = (poller.clone(), shutdown_rx.clone(), heartbeats.clone());
        supervise(
            &mut tasks,
            crate::channels::telegram::poller::HEARTBEAT_NAME,
            shutdown_rx.clone(),
            &heartbeats,
            move || poller.clone().run(stop.clone(), beats.clone()),
        );
    }
    if let Some(sender) = &sender {
        supervise_sender(
            &mut tasks,
            sender,
            &wakes.telegram,
            &shutdown_rx,
            &heartbeats,
        );
    }
    workers::spawn(
        &mut tasks,
        workers::Loops {
            telegram: telegram.clone(),
            weekly: weekly.clone(),
            clock: clock.clone(),
            wakes: wakes.clone(),
            tick: settings.worker_tick,
            db: db.clone(),
            retention: settings.retention,
            heartbeats: heartbeats.clone(),
        },
        &shutdown_rx,
    );
    // Zalo's outbox goes through the same delivery core, at Zalo's own pace, woken by its own
    // signal.
    let zalo_sender = zalo.as_ref().map(|zalo| {
        zalo.spawn(
            &mut tasks,
            settings.worker_tick,
            shutdown_rx.clone(),
            &heartbeats,
        );
        let worker = Worker::new(
            db.clone(),
            Arc::new(zalo.transport.clone()),
            clock.clone(),
            settings.delivery.zalo_worker(),
        );
        supervise_sender(&mut tasks, &worker, &wakes.zalo, &shutdown_rx, &heartbeats);
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
        wakes,
        heartbeats,
        clock,
        shutdown,
        tasks,
    })
}

/// Runs an outbox worker supervised: started again if it panics (its rows in flight keep their
/// lease, and the new run takes them over once it runs out).
fn supervise_sender(
    tasks: &mut JoinSet<()>,
    worker: &Worker,
    ready: &Arc<Notify>,
    shutdown: &watch::Receiver<bool>,
    heartbeats: &Heartbeats,
) {
    let (run, ready, stop, beats) = (
        worker.clone(),
        ready.clone(),
        shutdown.clone(),
        heartbeats.clone(),
    );
    supervise(
        tasks,
        worker.heartbeat_name(),
        shutdown.clone(),
        heartbeats,
        move || run.clone().run(ready.clone(), stop.clone(), beats.clone()),
    );
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
