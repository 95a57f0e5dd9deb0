-- Issue 16, the citizens' service.
-- The recipient a notice names on Zalo: a follower's user id, or "by phone" (the number itself is
-- not kept here: it travels only in the invitation's outbox payload). With `recipient_chat_id`
-- (Telegram) these bind the invitation: only the named recipient may open it.
ALTER TABLE notices ADD COLUMN recipient_zalo_user_id TEXT;
ALTER TABLE notices ADD COLUMN recipient_by_phone INTEGER NOT NULL DEFAULT 0;
-- The message that shows a session's live question (Telegram), when known: a question drawn on
-- a new message takes the keyboard off this one, and a press on any other is superseded.
ALTER TABLE survey_sessions ADD COLUMN live_message_id TEXT;
