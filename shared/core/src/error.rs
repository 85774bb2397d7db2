//! The two error layers of the domain: what a port reports ([`StoreError`]) and what a use case reports
//! ([`CoreError`]). The HTTP status and the retry decision are derived from `CoreError` in one place each.

use thiserror::Error;

/// What an adapter (DynamoDB, S3, SQS, SQLite, filesystem) reports through a port.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum StoreError {
    /// A conditional write found the item in another state than expected.
    #[error("conditional write rejected")]
    Conflict,
    /// Throttling, a timeout or a 5xx from the service: the same call may succeed later.
    #[error("backend temporarily unavailable: {0}")]
    Unavailable(String),
    /// Anything that will fail the same way again (bad request, access denied, corrupt row).
    #[error("backend error: {0}")]
    Permanent(String),
}

impl StoreError {
    pub fn is_retryable(&self) -> bool {
        matches!(self, StoreError::Unavailable(_))
    }
}

/// What a use case reports. Every variant carries a stable, machine-readable `code` for clients.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum CoreError {
    #[error("{message}")]
    Invalid { code: &'static str, message: String },
    #[error("{message}")]
    Unauthenticated { code: &'static str, message: String },
    #[error("{message}")]
    InsufficientCredits { message: String },
    /// Authenticated by something other than an API key (a signed upload URL) that does not grant this.
    #[error("{message}")]
    Forbidden { code: &'static str, message: String },
    #[error("{message}")]
    NotFound { code: &'static str, message: String },
    #[error("{message}")]
    Gone { code: &'static str, message: String },
    #[error("{message}")]
    Conflict { code: &'static str, message: String },
    #[error("{message}")]
    TooLarge { code: &'static str, message: String },
    #[error("{message}")]
    UnsupportedMedia { code: &'static str, message: String },
    #[error("too many requests")]
    RateLimited { retry_after_secs: u64 },
    /// A dependency is down or throttling; retrying later is the right answer.
    #[error("temporarily unavailable: {0}")]
    Unavailable(String),
    /// A bug or corrupt state; the detail is logged, never sent to a client.
    #[error("internal error: {0}")]
    Internal(String),
}

impl CoreError {
    pub fn invalid(code: &'static str, message: impl Into<String>) -> Self {
        CoreError::Invalid {
            code,
            message: message.into(),
        }
    }

    /// A request refused for one field: the message starts with the field's path (`fields[2].name`), as
    /// the API's JSON shape errors do, so every 4xx names what to fix.
    pub fn invalid_at(
        code: &'static str,
        path: impl std::fmt::Display,
        message: impl std::fmt::Display,
    ) -> Self {
        Self::invalid(code, format!("{path}: {message}"))
    }

    /// The same refusal, its message prefixed with the path of the field it is about (a lookup made for
    /// `webhook_ids[2]` says so). Other errors are left as they are.
    pub fn at(self, path: impl std::fmt::Display) -> Self {
        match self {
            CoreError::Invalid { code, message } => Self::invalid_at(code, path, message),
            CoreError::NotFound { code, message } => {
                Self::not_found(code, format!("{path}: {message}"))
            }
            other => other,
        }
    }

    pub fn not_found(code: &'static str, message: impl Into<String>) -> Self {
        CoreError::NotFound {
            code,
            message: message.into(),
        }
    }

    pub fn code(&self) -> &'static str {
        match self {
            CoreError::Invalid { code, .. }
            | CoreError::Unauthenticated { code, .. }
            | CoreError::Forbidden { code, .. }
            | CoreError::NotFound { code, .. }
            | CoreError::Gone { code, .. }
            | CoreError::Conflict { code, .. }
            | CoreError::TooLarge { code, .. }
            | CoreError::UnsupportedMedia { code, .. } => code,
            CoreError::InsufficientCredits { .. } => "insufficient_credits",
            CoreError::RateLimited { .. } => "rate_limited",
            CoreError::Unavailable(_) => "service_unavailable",
            CoreError::Internal(_) => "internal_error",
        }
    }

    /// Whether an event that failed with this error should be redelivered by the queue.
    pub fn is_retryable(&self) -> bool {
        matches!(self, CoreError::Unavailable(_))
    }

    /// The message a client may see: internal details stay in the logs.
    pub fn public_message(&self) -> String {
        match self {
            CoreError::Internal(_) => "an internal error occurred".to_string(),
            CoreError::Unavailable(_) => {
                "the service is temporarily unavailable, retry later".to_string()
            }
            other => other.to_string(),
        }
    }
}

impl From<StoreError> for CoreError {
    fn from(err: StoreError) -> Self {
        match err {
            StoreError::Unavailable(detail) => CoreError::Unavailable(detail),
            StoreError::Conflict => CoreError::Unavailable("concurrent update, retry".to_string()),
            StoreError::Permanent(detail) => CoreError::Internal(detail),
        }
    }
}
