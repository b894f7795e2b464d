//! Live frames from the CDP screencast (`Page.startScreencast`).

use std::time::{Duration, Instant};

use chromiumoxide::cdp::browser_protocol::page::{
    EventScreencastFrame, ScreencastFrameAckParams, StartScreencastFormat, StartScreencastParams,
    StopScreencastParams,
};
use chromiumoxide::error::CdpError;
use chromiumoxide::Page;
use futures::StreamExt;
use mino_core::browser::Frame;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use crate::decode_base64;

/// Frames buffered for a slow receiver before new ones are dropped. Small on purpose: a viewer
/// wants the latest picture, not a backlog.
pub(crate) const BUFFER: usize = 2;

/// Starts the screencast of `page` (frames at most the viewport's size) and a task that
/// forwards at most `max_fps` frames a second to `tx`.
///
/// Chromium sends the next frame only after the previous one is acknowledged, so every frame
/// is acknowledged at once, including the ones dropped by the fps cap or a full channel. The
/// task stops the screencast and ends when the receiver is dropped, and ends with the tab.
pub(crate) async fn start(
    page: Page,
    tx: mpsc::Sender<Frame>,
    session_started: Instant,
    (width, height): (u32, u32),
    max_fps: u32,
    quality: u8,
) -> Result<JoinHandle<()>, CdpError> {
    let mut events = page.event_listener::<EventScreencastFrame>().await?;
    page.execute(StartScreencastParams {
        format: Some(StartScreencastFormat::Jpeg),
        quality: Some(i64::from(quality.clamp(1, 100))),
        max_width: Some(i64::from(width)),
        max_height: Some(i64::from(height)),
        every_nth_frame: Some(1),
    })
    .await?;
    let min_gap = Duration::from_secs(1) / max_fps.max(1);
    let task = tokio::spawn(async move {
        let mut last_sent: Option<Instant> = None;
        loop {
            let event = tokio::select! {
                event = events.next() => event,
                _ = tx.closed() => break,
            };
            let Some(event) = event else { return };
            if page
                .execute(ScreencastFrameAckParams::new(event.session_id))
                .await
                .is_err()
            {
                return;
            }
            let now = Instant::now();
            if last_sent.is_some_and(|at| now.duration_since(at) < min_gap) {
                continue;
            }
            let jpeg = match decode_base64(event.data.as_ref(), "frames") {
                Ok(jpeg) => jpeg,
                Err(err) => {
                    tracing::debug!(error = %err, "skipping a screencast frame");
                    continue;
                }
            };
            let at_ms =
                u64::try_from(now.duration_since(session_started).as_millis()).unwrap_or(u64::MAX);
            match tx.try_send(Frame { jpeg, at_ms }) {
                Ok(()) => last_sent = Some(now),
                Err(mpsc::error::TrySendError::Full(_)) => {}
                Err(mpsc::error::TrySendError::Closed(_)) => break,
            }
        }
        let _ = page.execute(StopScreencastParams::default()).await;
    });
    Ok(task)
}
