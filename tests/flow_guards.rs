//! Issue 18, item 8: `publish` checks the stored version again (a version marked validated
//! without a check cannot go in force), and a shipped version that replaces the one in force is
//! audited. Both backends.

use crate::common;

use chrono::{TimeZone, Utc};
use common::TestDb;
use sipas_bot::storage::LifecycleError;

#[tokio::test]
async fn publish_validates_again_and_a_shipped_replacement_is_audited() {
    for test_db in TestDb::all().await {
        let backend = test_db.name;
        let db = test_db.open().await;
        let now = Utc.with_ymd_and_hms(2026, 11, 16, 3, 0, 0).unwrap();
        let current = db.latest_flow("sipas-short").await.unwrap().unwrap();

        // A draft whose Vietnamese title is gone, marked validated by a path that did not
        // check: publish refuses it, and the version in force stays.
        let draft = db
            .create_draft(current.id, None, "admin", now)
            .await
            .unwrap();
        let mut broken = current.flow.clone();
        broken.title.vi = String::new();
        db.save_draft(draft, &broken, "admin", now).await.unwrap();
        db.mark_validated(draft, "admin", now).await.unwrap();
        let refused = db.publish(draft, "admin", now).await;
        assert!(
            matches!(refused, Err(LifecycleError::NotValidated(id)) if id == draft),
            "{backend}: {refused:?}"
        );
        assert_eq!(
            db.latest_flow("sipas-short").await.unwrap().unwrap().id,
            current.id,
            "{backend}"
        );

        // An upgrade ships a newer version: it goes in force, and the audit log says so.
        let mut shipped = current.flow.clone();
        shipped.version = current.flow.version + 10;
        let id = db.store_flow(&shipped, now).await.unwrap();
        assert_eq!(db.latest_flow("sipas-short").await.unwrap().unwrap().id, id);
        let audit = db.audit_log(50).await.unwrap();
        let entry = audit
            .iter()
            .find(|e| e.action == "flow.shipped_in_force")
            .unwrap_or_else(|| panic!("{backend}: {audit:?}"));
        assert_eq!(entry.actor, "sipas-bot");
        assert_eq!(
            entry.target,
            format!("sipas-short v{}", shipped.version),
            "{backend}"
        );
        assert_eq!(
            (entry.before.as_deref(), entry.after.clone()),
            (
                Some(format!("v{}", current.flow.version).as_str()),
                Some(format!("v{}", shipped.version))
            ),
            "{backend}"
        );
        db.close().await;
        test_db.cleanup().await;
    }
}
