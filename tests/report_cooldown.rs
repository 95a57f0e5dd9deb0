//! Issue 18, item 8: `/report` has a cooldown per chat, kept in the database so every instance
//! shares it: the second ask within a minute is told to wait, later ones get nothing, another
//! chat is not held, and after the minute the chat gets a report again. Both backends.

use crate::common;

use chrono::{Duration, TimeZone, Utc};
use common::TestDb;
use sipas_bot::core::flow::Lang;
use sipas_bot::core::i18n::Locales;
use sipas_bot::services::officials::{OfficialMessage, Officials};
use std::sync::Arc;

#[tokio::test]
async fn report_answers_a_chat_at_most_once_a_minute() {
    for test_db in TestDb::all().await {
        let backend = test_db.name;
        let db = test_db.open().await;
        let officials = Officials::new(
            db.clone(),
            Arc::new(Locales::load()),
            Lang::Vi,
            "sipas-short".into(),
        );
        let now = Utc.with_ymd_and_hms(2026, 11, 16, 3, 0, 0).unwrap();
        // Not subscribed: the first ask is answered (None: "not subscribed").
        let first = officials.report("telegram", "-100777", now).await.unwrap();
        assert!(first.is_none(), "{backend}");
        let second = officials
            .report("telegram", "-100777", now + Duration::seconds(5))
            .await
            .unwrap()
            .expect("told to wait");
        assert!(
            matches!(&second[..], [OfficialMessage::Text { text }] if text.contains("60 giây")),
            "{backend}: {second:?}"
        );
        let third = officials
            .report("telegram", "-100777", now + Duration::seconds(10))
            .await
            .unwrap();
        assert_eq!(third.map(|m| m.len()), Some(0), "{backend}: silence");
        let other = officials
            .report("telegram", "-100888", now + Duration::seconds(10))
            .await
            .unwrap();
        assert!(other.is_none(), "{backend}: another chat is not held");
        let later = officials
            .report("telegram", "-100777", now + Duration::seconds(61))
            .await
            .unwrap();
        assert!(
            later.is_none(),
            "{backend}: answered again after the minute"
        );
        db.close().await;
        test_db.cleanup().await;
    }
}
