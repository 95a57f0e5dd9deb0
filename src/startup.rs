//! Start-up of the store, the one way every entry point (`serve`, the demo, the commands, the
//! tests) opens it: connect, run the migrations, store the shipped flows. Storing a flow is
//! idempotent, so every start may do it.

use crate::storage::{Db, StorageError};
use chrono::Utc;

/// Opens the database at `database_url`, runs the migrations and stores the shipped flows.
pub async fn open_store(database_url: &str) -> Result<Db, StorageError> {
    let db = Db::open(database_url).await?;
    for flow in crate::flow::builtin() {
        db.store_flow(&flow, Utc::now()).await?;
    }
    Ok(db)
}
