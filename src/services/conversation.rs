//! The citizen's conversation, channel-neutral: open an invitation, feed inputs to the engine,
//! store each step before answering. Every channel (terminal, Telegram, later Zalo) goes through
//! here, so answers are stored the same way whichever app the citizen used.

use crate::core::flow::{Flow, Lang};
use crate::core::survey::{self, EngineError, Input, Reply};
use crate::storage::{
    Db, Effects, Invitation, OpenSession, Progress, Session, SessionOpenError, SessionStatus,
    StorageError,
};
use chrono::{DateTime, Utc};
use std::collections::HashMap;
use std::sync::{Arc, RwLock};

/// Stored flow versions by id. Versions never change, so a cached one is never stale.
#[derive(Debug, Clone, Default)]
pub struct FlowCache {
    flows: Arc<RwLock<HashMap<i64, Arc<Flow>>>>,
}

impl FlowCache {
    pub async fn get(&self, db: &Db, id: i64) -> Result<Arc<Flow>, StorageError> {
        if let Some(flow) = self.flows.read().expect("flow cache lock").get(&id) {
            return Ok(flow.clone());
        }
        let stored = Arc::new(db.flow_version(id).await?.flow);
        self.flows
            .write()
            .expect("flow cache lock")
            .insert(id, stored.clone());
        Ok(stored)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ConversationError {
    #[error(transparent)]
    Storage(#[from] StorageError),
    #[error(transparent)]
    Engine(#[from] EngineError),
    #[error("the session kept changing under us")]
    Contention,
}

/// A step taken: the session as stored after it, the flow it runs on and what to say.
#[derive(Debug, Clone)]
pub struct Turn {
    pub session: Session,
    pub flow: Arc<Flow>,
    pub reply: Reply,
    pub progress: Progress,
}

#[derive(Debug, Clone)]
pub struct Opened {
    pub session: Session,
    pub invitation: Invitation,
    pub flow: Arc<Flow>,
    pub resumed: bool,
}

/// The survey service the channels share.
#[derive(Debug, Clone)]
pub struct Conversations {
    db: Db,
    flows: FlowCache,
}

impl Conversations {
    pub fn new(db: Db) -> Conversations {
        Conversations {
            db,
            flows: FlowCache::default(),
        }
    }

    pub fn db(&self) -> &Db {
        &self.db
    }

    pub async fn flow(&self, flow_version_id: i64) -> Result<Arc<Flow>, StorageError> {
        self.flows.get(&self.db, flow_version_id).await
    }

    /// Opens (or resumes) the survey of an invitation in a chat.
    pub async fn open(
        &self,
        token: &str,
        channel: &str,
        chat_ref: &str,
        lang: Lang,
        now: DateTime<Utc>,
    ) -> Result<Opened, SessionOpenError> {
        self.open_on(token, channel, chat_ref, lang, None, now)
            .await
    }

    /// Like [`Conversations::open`]; a new session answers `flow_version_id` instead of the
    /// invitation's flow (see `services::citizens::rating`).
    pub async fn open_on(
        &self,
        token: &str,
        channel: &str,
        chat_ref: &str,
        lang: Lang,
        flow_version_id: Option<i64>,
        now: DateTime<Utc>,
    ) -> Result<Opened, SessionOpenError> {
        let invitation = self
            .db
            .invitation(token)
            .await?
            .ok_or(SessionOpenError::UnknownToken)?;
        let flow = self
            .flow(flow_version_id.unwrap_or(invitation.flow_version_id))
            .await?;
        let (opened, invitation) = self
            .db
            .open_session_on(token, channel, chat_ref, lang, &flow, flow_version_id, now)
            .await?;
        let resumed = matches!(opened, OpenSession::Resumed(_));
        let session = match opened {
            OpenSession::Fresh(session) | OpenSession::Resumed(session) => session,
        };
        let flow = self.flow(session.flow_version_id).await?;
        Ok(Opened {
            session,
            invitation,
            flow,
            resumed,
        })
    }

    /// Pauses a session: the same link resumes it later.
    pub async fn pause(&self, session: &Session, now: DateTime<Utc>) -> Result<(), StorageError> {
        self.db.pause_session(session.id, now).await
    }

    /// Applies one input to a session and stores the result before returning what to say.
    pub async fn input(
        &self,
        session: &Session,
        input: &Input,
        now: DateTime<Utc>,
    ) -> Result<Turn, ConversationError> {
        self.input_with(session, input, now, |_, _, _| Effects::default())
            .await
    }

    /// Like [`Conversations::input`], and records `effects_for(session after, flow, reply)` (the
    /// inbound message id, the replies to send) in the same transaction as the new state. A
    /// concurrent save of the same session (a double press) is resolved by re-reading the session
    /// and applying the input to what is stored, so nothing counts twice; an inbound message seen
    /// before changes nothing and gives [`Progress::Duplicate`].
    pub async fn input_with<F>(
        &self,
        session: &Session,
        input: &Input,
        now: DateTime<Utc>,
        effects_for: F,
    ) -> Result<Turn, ConversationError>
    where
        F: Fn(&Session, &Flow, &Reply) -> Effects,
    {
        let mut session = session.clone();
        for _ in 0..5 {
            let flow = self.flow(session.flow_version_id).await?;
            let step = survey::step(&flow, &session.state, input)?;
            let mut next = session.clone();
            next.state = step.state.clone();
            if next.state.finished {
                next.status = SessionStatus::Completed;
            }
            let effects = effects_for(&next, &flow, &step.reply);
            if step.state == session.state {
                let fresh = self.db.record_effects(&effects, now).await?;
                return Ok(Turn {
                    session,
                    flow,
                    reply: step.reply,
                    progress: if fresh {
                        Progress::Saved
                    } else {
                        Progress::Duplicate
                    },
                });
            }
            match self
                .db
                .save_progress(&session, &step.state, &flow, now, &effects)
                .await?
            {
                Progress::Conflict => {
                    session = self.db.session(session.id).await?.ok_or_else(|| {
                        StorageError::Corrupt(format!("session {} vanished", session.id))
                    })?;
                }
                Progress::Duplicate => {
                    return Ok(Turn {
                        session,
                        flow,
                        reply: step.reply,
                        progress: Progress::Duplicate,
                    });
                }
                progress => {
                    crate::settings::metrics::answer_stored(&session.channel);
                    next.revision += 1;
                    return Ok(Turn {
                        session: next,
                        flow,
                        reply: step.reply,
                        progress,
                    });
                }
            }
        }
        Err(ConversationError::Contention)
    }
}
