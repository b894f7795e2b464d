//! The in-process event sink.

use std::sync::Arc;

use tokio::sync::broadcast;

use super::{Event, EventReceiver, EventSink};

/// Fans events out to every subscriber in this process.
#[derive(Debug, Clone)]
pub struct BroadcastSink {
    sender: broadcast::Sender<Arc<Event>>,
}

impl BroadcastSink {
    /// A sink whose subscribers may fall `capacity` events behind before they lose events.
    pub fn new(capacity: usize) -> Self {
        let (sender, _) = broadcast::channel(capacity.max(16));
        BroadcastSink { sender }
    }
}

impl Default for BroadcastSink {
    fn default() -> Self {
        Self::new(8192)
    }
}

impl EventSink for BroadcastSink {
    fn publish(&self, event: Event) {
        // No subscriber is not an error: nobody is watching.
        let _ = self.sender.send(Arc::new(event));
    }

    fn subscribe(&self) -> EventReceiver {
        self.sender.subscribe()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{BatchId, ExecutionId, ExecutionStatus};

    fn status_event() -> Event {
        Event::ExecutionStatus {
            execution_id: ExecutionId::new(),
            batch_id: BatchId::new(),
            status: ExecutionStatus::Running,
            at: chrono::Utc::now(),
        }
    }

    #[tokio::test]
    async fn subscribers_see_later_events_and_laggers_skip() {
        let sink = BroadcastSink::new(16);
        let mut fast = sink.subscribe();
        let mut slow = sink.subscribe();
        let first = status_event();
        sink.publish(first.clone());
        assert_eq!(fast.recv().await.ok().as_deref(), Some(&first));
        for _ in 0..40 {
            sink.publish(status_event());
        }
        // The slow receiver lost the oldest events but still receives the newest.
        assert!(matches!(
            slow.recv().await,
            Err(broadcast::error::RecvError::Lagged(_))
        ));
        assert!(slow.recv().await.is_ok());
    }

    #[test]
    fn events_round_trip_as_json() {
        let e = status_event();
        let json = serde_json::to_string(&e).unwrap_or_default();
        assert!(json.contains("\"type\":\"execution_status\""));
        let back: Event = serde_json::from_str(&json).unwrap_or_else(|_| status_event());
        assert_eq!(back, e);
    }
}
