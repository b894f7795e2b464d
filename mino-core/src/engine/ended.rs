//! What happens once when an execution ends: its metrics snapshot is taken.

use tracing::{debug, warn};

use crate::metrics::snapshot_execution_end;
use crate::model::Execution;
use crate::store::DynStore;

/// Takes the end snapshot of an execution that just ended, on its own task so that the
/// caller (a worker slot, an HTTP request) does not wait for metrics over many jobs.
///
/// Every process that sees the end may call this: the store keeps one end snapshot per
/// execution. A failure is logged; the snapshot can always be taken again by hand.
pub(crate) fn on_execution_end(store: DynStore, execution: Execution) {
    if execution.status.is_active() {
        return;
    }
    tokio::spawn(async move {
        match snapshot_execution_end(store.as_ref(), &execution).await {
            Ok(snapshot) => debug!(
                execution = %execution.id,
                snapshot = %snapshot.id,
                "end-of-execution snapshot taken"
            ),
            Err(err) => warn!(
                execution = %execution.id,
                error = ?err,
                "taking the end-of-execution snapshot failed"
            ),
        }
    });
}
