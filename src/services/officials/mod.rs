//! The officials' service: weekly summaries on schedule ([`schedule`]), alerts on poor ratings
//! ([`alerts`]) and `/report` on demand ([`report`]). It reads through storage, computes with
//! [`crate::core::summary`] and says what to send as channel-neutral [`OfficialMessage`]s: a text, a
//! chart, an attachment. It knows no channel.
//!
//! Scheduled summaries and alerts are recorded together with their outbox rows in one
//! transaction, so a summary goes out once per subscription and week across restarts and
//! instances. Outbox rows are in a channel's own vocabulary, so each channel that carries
//! officials' messages gives an [`OfficialsRenderer`] at start-up; the service renders each
//! message for the subscription's channel before it writes the transaction.

pub mod alerts;
pub mod report;
pub mod schedule;

pub use alerts::ALERT_WINDOW_HOURS;
pub use schedule::{next_run, next_weekly};

use crate::core::flow::{Flow, Lang};
use crate::core::i18n::Locales;
use crate::settings::config::SummarySettings;
use crate::storage::{Db, Outgoing, StorageError};
use std::sync::Arc;

/// One message for officials, in no channel's format.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OfficialMessage {
    /// Plain text (a summary, an alert, a reply to a command).
    Text { text: String },
    /// A picture (the summary chart) with a short caption.
    Chart { png: Vec<u8>, caption: String },
    /// A file (the week's XLSX) with a caption.
    Attachment {
        file_name: String,
        bytes: Vec<u8>,
        caption: String,
    },
}

/// How one channel turns officials' messages into its outbox rows.
pub trait OfficialsRenderer: Send + Sync + std::fmt::Debug {
    /// The channel's name, as stored with subscriptions and outbox rows.
    fn channel(&self) -> &str;

    /// The outbox rows that carry `messages` to `chat_id`, in order; none when `chat_id` is not
    /// an address of this channel.
    fn render(&self, chat_id: &str, messages: &[OfficialMessage]) -> Vec<Outgoing>;
}

#[derive(Debug, thiserror::Error)]
pub enum OfficialsError {
    #[error(transparent)]
    Storage(#[from] StorageError),
    #[error("unknown agency {0}")]
    UnknownAgency(String),
    #[error("unknown flow {0}")]
    UnknownFlow(String),
}

#[derive(Debug, Clone)]
pub struct Officials {
    db: Db,
    locales: Arc<Locales>,
    lang: Lang,
    flow_id: String,
    summary: SummarySettings,
    renderers: Vec<Arc<dyn OfficialsRenderer>>,
    /// The comment themes: `THEMES_FILE` when set and valid, else the shipped `themes/vi.toml`.
    themes: Arc<crate::core::summary::themes::Lexicon>,
}

/// The lexicon `THEMES_FILE` names, or the shipped one. A file that cannot be read or is
/// refused is logged and the shipped lexicon used (`sipas-bot themes check FILE` says why).
fn themes_from_env() -> crate::core::summary::themes::Lexicon {
    use crate::core::summary::themes::Lexicon;
    let Some(path) = std::env::var_os("THEMES_FILE") else {
        return Lexicon::shipped();
    };
    match std::fs::read_to_string(&path).map(|text| Lexicon::parse(&text)) {
        Ok(Ok(lexicon)) => lexicon,
        Ok(Err(err)) => {
            tracing::error!(path = %path.to_string_lossy(), line = err.line, problem = ?err.problem,
                "THEMES_FILE refused; using the shipped themes");
            Lexicon::shipped()
        }
        Err(err) => {
            tracing::error!(path = %path.to_string_lossy(), %err,
                "THEMES_FILE unreadable; using the shipped themes");
            Lexicon::shipped()
        }
    }
}

impl Officials {
    /// Uses `lexicon` for the comment themes instead of `THEMES_FILE` or the shipped one.
    pub fn with_themes(mut self, lexicon: crate::core::summary::themes::Lexicon) -> Officials {
        self.themes = Arc::new(lexicon);
        self
    }

    /// A service that computes summaries; it sends nothing until channels are added with
    /// [`Officials::with_renderer`].
    pub fn new(db: Db, locales: Arc<Locales>, lang: Lang, flow_id: String) -> Officials {
        Officials {
            db,
            locales,
            lang,
            flow_id,
            summary: SummarySettings::default(),
            renderers: Vec::new(),
            themes: Arc::new(themes_from_env()),
        }
    }

    /// Computes summaries with `settings` (the chart's target, the minimum sample of a listed
    /// procedure) instead of the defaults.
    pub fn with_summary_settings(mut self, settings: SummarySettings) -> Officials {
        self.summary = settings;
        self
    }

    /// Lets subscriptions of `renderer`'s channel receive summaries and alerts.
    pub fn with_renderer(mut self, renderer: Arc<dyn OfficialsRenderer>) -> Officials {
        self.renderers.push(renderer);
        self
    }

    pub fn db(&self) -> &Db {
        &self.db
    }

    fn text(&self, id: &str, args: &[(&str, String)]) -> String {
        self.locales.text(self.lang, id, args)
    }

    async fn flow(&self) -> Result<Flow, OfficialsError> {
        Ok(self
            .db
            .latest_flow(&self.flow_id)
            .await?
            .ok_or_else(|| OfficialsError::UnknownFlow(self.flow_id.clone()))?
            .flow)
    }

    /// `messages` as outbox rows of `channel` for `chat_id`; none when no renderer carries
    /// that channel (a subscription left from a channel no longer configured).
    fn render(&self, channel: &str, chat_id: &str, messages: &[OfficialMessage]) -> Vec<Outgoing> {
        match self.renderers.iter().find(|r| r.channel() == channel) {
            Some(renderer) => renderer.render(chat_id, messages),
            None => {
                tracing::warn!(%channel, "no renderer for officials' messages on this channel");
                Vec::new()
            }
        }
    }
}
