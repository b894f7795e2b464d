//! Typed identifiers. Every id is a UUID v7, so ids sort by creation time; lists page on them.

use std::fmt;
use std::str::FromStr;

use uuid::Uuid;

use crate::error::{Error, Result};

macro_rules! define_id {
    ($(#[$meta:meta])* $name:ident, $entity:literal) => {
        $(#[$meta])*
        #[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
        #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
        #[serde(transparent)]
        pub struct $name(pub Uuid);

        impl $name {
            /// A new, time-ordered id.
            pub fn new() -> Self {
                $name(Uuid::now_v7())
            }

            /// The underlying UUID.
            pub fn as_uuid(&self) -> Uuid {
                self.0
            }

            /// Parses an id, with a validation error naming the entity on bad input.
            pub fn parse(s: &str) -> Result<Self> {
                Uuid::parse_str(s.trim()).map($name).map_err(|_| {
                    Error::validation(format!("{} id {:?} is not a valid UUID", $entity, s))
                        .with_context("field", concat!($entity, "_id"))
                })
            }
        }

        impl Default for $name {
            fn default() -> Self {
                Self::new()
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Display::fmt(&self.0, f)
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({})", stringify!($name), self.0)
            }
        }

        impl FromStr for $name {
            type Err = Error;
            fn from_str(s: &str) -> Result<Self> {
                Self::parse(s)
            }
        }

        impl From<Uuid> for $name {
            fn from(u: Uuid) -> Self {
                $name(u)
            }
        }
    };
}

define_id!(
    /// Identifies a project.
    ProjectId, "project"
);
define_id!(
    /// Identifies a batch (one uploaded CSV).
    BatchId, "batch"
);
define_id!(
    /// Identifies a job (one CSV row).
    JobId, "job"
);
define_id!(
    /// Identifies a session (one attempt at a job).
    SessionId, "session"
);
define_id!(
    /// Identifies an execution (one run over a batch).
    ExecutionId, "execution"
);
define_id!(
    /// Identifies a metrics snapshot.
    SnapshotId, "snapshot"
);
define_id!(
    /// Identifies an artifact (screenshot or other blob).
    ArtifactId, "artifact"
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_time_ordered_and_parse_back() {
        let a = JobId::new();
        let b = JobId::new();
        assert!(a < b);
        assert_eq!(JobId::parse(&a.to_string()).ok(), Some(a));
        let err = JobId::parse("nope").err().map(|e| e.kind());
        assert_eq!(err, Some(crate::ErrorKind::Validation));
    }
}
define_id!(
    /// Identifies one recorded ground-truth change.
    ChangeId, "change"
);
