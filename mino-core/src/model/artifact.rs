//! Artifacts: screenshots and other blobs kept with sessions.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::ids::{ArtifactId, JobId, SessionId};

/// Metadata of a stored blob.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Artifact {
    /// Its id.
    pub id: ArtifactId,
    /// The job it belongs to.
    pub job_id: Option<JobId>,
    /// The session it belongs to.
    pub session_id: Option<SessionId>,
    /// What it is, e.g. `screenshot`.
    pub kind: String,
    /// MIME type, e.g. `image/png`.
    pub content_type: String,
    /// Size in bytes.
    pub size: u64,
    /// When it was stored.
    pub created_at: DateTime<Utc>,
}

/// A blob to store.
#[derive(Debug, Clone, PartialEq)]
pub struct NewArtifact {
    /// The job.
    pub job_id: Option<JobId>,
    /// The session.
    pub session_id: Option<SessionId>,
    /// What it is.
    pub kind: String,
    /// MIME type.
    pub content_type: String,
    /// The bytes.
    pub bytes: Vec<u8>,
}
