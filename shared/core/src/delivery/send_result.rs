//! How one request to a receiver went, classified for the retry policy and the attempt log.

use crate::ids::{DocumentId, JobId};
use crate::model::{DeliveryAttempt, ErrorClass, EventType, WebhookEndpoint};
use crate::policy::retry::{parse_retry_after, FailedAttempt};
use crate::ports::{OutboundResponse, TransportError};
use chrono::{DateTime, Utc};

/// What an attempt-log entry is about: which webhook of which endpoint, for which document.
#[derive(Debug, Clone, Copy)]
pub struct AttemptSubject<'a> {
    pub webhook_id: &'a str,
    pub endpoint: &'a WebhookEndpoint,
    pub job: Option<JobId>,
    pub document: Option<DocumentId>,
    pub event_type: EventType,
}

/// How one attempt went.
#[derive(Debug, Clone)]
pub struct SendResult {
    pub status_code: Option<u16>,
    pub latency_ms: u64,
    pub error_class: Option<ErrorClass>,
    /// A short reason for the attempt log: never a body, a token or a secret.
    pub error: Option<String>,
    /// `None` when the receiver answered 2xx.
    pub failure: Option<FailedAttempt>,
}

impl SendResult {
    pub fn refused(why: String) -> Self {
        Self {
            status_code: None,
            latency_ms: 0,
            error_class: Some(ErrorClass::Refused),
            error: Some(why),
            failure: Some(FailedAttempt::Permanent),
        }
    }

    pub(super) fn auth_failed(why: String, latency_ms: u64, failure: FailedAttempt) -> Self {
        Self {
            status_code: None,
            latency_ms,
            error_class: Some(ErrorClass::Auth),
            error: Some(why),
            failure: Some(failure),
        }
    }

    pub(super) fn from_response(resp: &OutboundResponse, latency_ms: u64) -> Self {
        let status = resp.status;
        if (200..300).contains(&status) {
            return Self {
                status_code: Some(status),
                latency_ms,
                error_class: None,
                error: None,
                failure: None,
            };
        }
        let redirect = (300..400).contains(&status);
        Self {
            status_code: Some(status),
            latency_ms,
            error_class: Some(if redirect {
                ErrorClass::Redirect
            } else {
                ErrorClass::HttpStatus
            }),
            error: Some(if redirect {
                format!("redirect {status} not followed")
            } else {
                format!("receiver answered {status}")
            }),
            failure: Some(if redirect {
                FailedAttempt::Transient
            } else {
                FailedAttempt::Status {
                    code: status,
                    retry_after: resp.header("retry-after").and_then(parse_retry_after),
                }
            }),
        }
    }

    pub(super) fn from_transport_error(err: TransportError, latency_ms: u64) -> Self {
        let (class, failure) = match &err {
            TransportError::Timeout => (ErrorClass::Timeout, FailedAttempt::Timeout),
            TransportError::Connect(_) => (ErrorClass::Connect, FailedAttempt::Transient),
            TransportError::Refused(_) => (ErrorClass::Refused, FailedAttempt::Permanent),
        };
        Self {
            status_code: None,
            latency_ms,
            error_class: Some(class),
            error: Some(err.to_string()),
            failure: Some(failure),
        }
    }

    /// The attempt-log entry of this result: the `attempt`-th of `subject`, made `at`, kept for
    /// `retention`.
    pub fn into_attempt(
        self,
        subject: AttemptSubject<'_>,
        attempt: u32,
        at: DateTime<Utc>,
        retention: chrono::Duration,
    ) -> DeliveryAttempt {
        DeliveryAttempt {
            webhook_id: subject.webhook_id.to_string(),
            tenant_id: subject.endpoint.tenant_id,
            endpoint_id: subject.endpoint.id,
            job_id: subject.job,
            document_id: subject.document,
            event_type: subject.event_type,
            attempt,
            attempted_at: at,
            status_code: self.status_code,
            latency_ms: self.latency_ms,
            error_class: self.error_class,
            error: self.error,
            expires_at: at + retention,
        }
    }
}
