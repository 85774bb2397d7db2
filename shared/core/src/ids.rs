//! Identifier newtypes. Parsing is the only way in from untrusted text ("parse, don't validate").

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;
use uuid::Uuid;

macro_rules! uuid_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub Uuid);

        impl $name {
            pub fn random() -> Self {
                Self(Uuid::new_v4())
            }

            /// Parses a UUID in its hyphenated form; anything else is refused.
            pub fn parse(text: &str) -> Option<Self> {
                let trimmed = text.trim();
                if trimmed.len() != 36 {
                    return None;
                }
                Uuid::parse_str(trimmed).ok().map(Self)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.hyphenated().fmt(f)
            }
        }

        impl FromStr for $name {
            type Err = ();
            fn from_str(s: &str) -> Result<Self, ()> {
                Self::parse(s).ok_or(())
            }
        }
    };
}

uuid_id!(
    /// A customer account; every stored item belongs to exactly one.
    TenantId
);
uuid_id!(
    /// One submission (a file, or a ZIP of files).
    JobId
);
uuid_id!(
    /// One document of a job: the file itself, or one root-level entry of a ZIP.
    DocumentId
);
uuid_id!(TemplateId);
uuid_id!(
    /// A webhook endpoint; a UUID v4.
    EndpointId
);

/// Namespace for the deterministic ids derived below (a fixed random UUID).
const PAGEWIRE_NAMESPACE: Uuid = Uuid::from_u128(0x6a0f_3c2e_8d1b_4f5a_9e7c_2b4d_1a3f_5c70);

impl DocumentId {
    /// The id of a job's document is derived, not drawn, so a repeated S3/SQS event finds the same document
    /// instead of creating a twin.
    pub fn derive(job: JobId, ordinal: usize, name: &str) -> Self {
        let seed = format!("{job}/{ordinal}/{name}");
        Self(Uuid::new_v5(&PAGEWIRE_NAMESPACE, seed.as_bytes()))
    }
}

impl JobId {
    /// The partition of the deliveries of an event that is not about a document (an endpoint switched
    /// off): derived from the event's own key, so announcing it twice finds the same deliveries. No job
    /// is stored under it; its deliveries expire on their own.
    pub fn of_event(key: &str) -> Self {
        Self(Uuid::new_v5(
            &PAGEWIRE_NAMESPACE,
            format!("event/{key}").as_bytes(),
        ))
    }
}

impl TemplateId {
    /// A `template_id` given by a client (body, form field or query): not a UUID is the same
    /// `invalid_template_id` on every route.
    pub fn parse_given(text: &str) -> Result<Self, crate::error::CoreError> {
        Self::parse(text).ok_or_else(|| {
            crate::error::CoreError::invalid("invalid_template_id", "template_id: expected a UUID")
        })
    }
}
