//! Issue 18, item 7 (our part): the SQLite file and the directories created for it are the
//! owner's only (0600 and 0700), and so are SQLite's `-wal` and `-shm` beside it.

use std::os::unix::fs::PermissionsExt;

#[tokio::test]
async fn the_sqlite_file_and_its_new_directory_are_the_owner_s_only() {
    let root = tempfile::tempdir().unwrap();
    let dir = root.path().join("data").join("sipas");
    let file = dir.join("sipas.db");
    let url = format!("sqlite://{}", file.display());
    let db = sipas_bot::services::startup::open_store(&url)
        .await
        .unwrap();
    sqlx::query("CREATE TABLE IF NOT EXISTS probe (x INTEGER)")
        .execute(db.pool())
        .await
        .unwrap();
    let mode =
        |path: &std::path::Path| std::fs::metadata(path).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&dir), 0o700, "{}", dir.display());
    assert_eq!(mode(&root.path().join("data")), 0o700);
    assert_eq!(mode(&file), 0o600);
    for side in ["sipas.db-wal", "sipas.db-shm"] {
        let path = dir.join(side);
        if path.exists() {
            assert_eq!(mode(&path) & 0o077, 0, "{side}");
        }
    }
    db.close().await;
}
