//! Long polling: fetch updates, handle each (stored before it is confirmed), confirm by moving
//! the offset. An update handled but not yet confirmed when the process stops comes again and is
//! recognised by its id, so it never counts twice.

use super::{Handled, Telegram};
use crate::clock::Clock;
use std::sync::Arc;
use teloxide::prelude::*;
use teloxide::types::Update;

/// Seconds one getUpdates call waits for news.
pub const POLL_TIMEOUT_SECONDS: u32 = 25;

#[derive(Debug, Clone)]
pub struct Poller {
    bot: Bot,
    telegram: Telegram,
    clock: Arc<dyn Clock>,
}

impl Poller {
    pub fn new(bot: Bot, telegram: Telegram, clock: Arc<dyn Clock>) -> Poller {
        Poller {
            bot,
            telegram,
            clock,
        }
    }

    /// Handles one update and answers its button press, if any.
    pub async fn process(&self, update: &Update) -> Result<Handled, super::HandleError> {
        if let Some(chat) = update.chat() {
            crate::metrics::tap(&chat.id.0.to_string());
        }
        let handled = self
            .telegram
            .handle_update(update, self.clock.now())
            .await?;
        if let Some((id, text)) = &handled.callback_answer {
            // Every press is answered, a repeated one too (Telegram may refuse a second answer).
            let mut answer = self.bot.answer_callback_query(id.clone());
            if let Some(text) = text {
                answer = answer.text(text.clone());
            }
            // The press is already stored; a lost answer only leaves a spinner for a moment.
            if let Err(err) = answer.await {
                tracing::info!(%err, "answerCallbackQuery failed");
            }
        }
        Ok(handled)
    }

    /// Polls until `shutdown` fires. An update that fails to be handled (the database is down)
    /// is not confirmed: it is fetched and tried again.
    pub async fn run(self, mut shutdown: tokio::sync::watch::Receiver<bool>) {
        let mut offset: Option<i32> = None;
        loop {
            if *shutdown.borrow() {
                return;
            }
            let mut request = self.bot.get_updates().timeout(POLL_TIMEOUT_SECONDS);
            if let Some(offset) = offset {
                request = request.offset(offset);
            }
            let updates = tokio::select! {
                result = request.send() => result,
                _ = shutdown.changed() => return,
            };
            crate::metrics::heartbeat("telegram_poller");
            let updates = match updates {
                Ok(updates) => updates,
                Err(err) => {
                    tracing::warn!(%err, "getUpdates failed");
                    tokio::select! {
                        _ = tokio::time::sleep(std::time::Duration::from_secs(2)) => {}
                        _ = shutdown.changed() => return,
                    }
                    continue;
                }
            };
            for update in &updates {
                // A batch in hand is finished even when shutdown is asked: it is already ours.
                match self.process(update).await {
                    Ok(_) => offset = Some(update.id.0 as i32 + 1),
                    Err(err) => {
                        tracing::error!(%err, update = update.id.0, "cannot handle update; will retry");
                        tokio::select! {
                            _ = tokio::time::sleep(std::time::Duration::from_secs(2)) => {}
                            _ = shutdown.changed() => return,
                        }
                        break;
                    }
                }
            }
        }
    }
}
