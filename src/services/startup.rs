//! Start-up of the store, the one way every entry point (`serve`, the demo, the commands, the
//! tests) opens it: connect, run the migrations, store the shipped flows. Storing a flow is
//! idempotent, so every start may do it.

use crate::core::flow::Flow;
use crate::storage::{Db, StorageError};
use chrono::Utc;

/// Opens the database at `database_url`, runs the migrations and stores the shipped flows.
pub async fn open_store(database_url: &str) -> Result<Db, StorageError> {
    let db = Db::open(database_url).await?;
    store_shipped(&db, &crate::core::flow::builtin()).await?;
    Ok(db)
}

/// Stores the flows shipped with the binary. A shipped version whose number is already taken
/// by different content (a console draft made before an upgrade shipped that version) is
/// reported and skipped: the draft is someone's work, and refusing to start would stop every
/// command, the console included, that could resolve it.
pub async fn store_shipped(db: &Db, flows: &[Flow]) -> Result<(), StorageError> {
    for flow in flows {
        match db.store_flow(flow, Utc::now()).await {
            Ok(_) => {}
            Err(StorageError::PublishedVersionDiffers { flow_id, version }) => {
                tracing::warn!(
                    flow = %flow_id,
                    version,
                    "a stored version differs from the shipped one: the shipped flow is skipped"
                );
            }
            Err(err) => return Err(err),
        }
    }
    Ok(())
}
