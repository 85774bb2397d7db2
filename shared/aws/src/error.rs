//! The one mapping from SDK errors to [`StoreError`]: throttling, timeouts, dispatch failures and 5xx are
//! retryable (`Unavailable`); everything else fails the same way again (`Permanent`). Conditional-check
//! failures are recognised by each call that makes a conditional write.

use aws_sdk_dynamodb::config::http::HttpResponse;
use aws_sdk_dynamodb::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use pagewire_core::StoreError;

/// Error codes the AWS services use for "slow down" or "try again".
const RETRYABLE_CODES: &[&str] = &[
    "ThrottlingException",
    "Throttling",
    "ThrottledException",
    "ProvisionedThroughputExceededException",
    "RequestLimitExceeded",
    "TransactionInProgressException",
    "InternalServerError",
    "InternalFailure",
    "InternalError",
    "ServiceUnavailable",
    "SlowDown",
    "RequestThrottled",
    "KMS.ThrottlingException",
];

/// Every SDK crate shares this response type.
pub(crate) type SdkResult<E> = SdkError<E, HttpResponse>;

pub(crate) fn store_error<E>(operation: &str, err: SdkResult<E>) -> StoreError
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    match &err {
        SdkError::TimeoutError(_) | SdkError::DispatchFailure(_) | SdkError::ResponseError(_) => {
            StoreError::Unavailable(format!("{operation}: {}", describe(&err)))
        }
        SdkError::ServiceError(service) => {
            let code = service.err().code().unwrap_or("unknown");
            let status = service.raw().status().as_u16();
            let message = service.err().message().unwrap_or("");
            let text = format!("{operation}: {code} ({status}) {message}");
            if status >= 500 || RETRYABLE_CODES.contains(&code) {
                StoreError::Unavailable(text)
            } else {
                StoreError::Permanent(text)
            }
        }
        _ => StoreError::Permanent(format!("{operation}: {}", describe(&err))),
    }
}

/// The error code of a service error, if the call got that far.
pub(crate) fn service_code<E: ProvideErrorMetadata, R>(err: &SdkError<E, R>) -> Option<&str> {
    match err {
        SdkError::ServiceError(service) => service.err().code(),
        _ => None,
    }
}

fn describe<E>(err: &SdkResult<E>) -> String
where
    E: std::error::Error + Send + Sync + 'static,
{
    // The SDK's Display says only "dispatch failure"; the context has the cause. Bodies are never part
    // of it, so nothing of a document or a secret reaches the message.
    DisplayErrorContext(err).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_dynamodb::error::{ConnectorError, ErrorMetadata};
    use aws_sdk_dynamodb::operation::put_item::PutItemError;
    use aws_smithy_runtime_api::http::StatusCode;
    use aws_smithy_types::body::SdkBody;

    fn service_error(code: &str, status: u16) -> SdkResult<PutItemError> {
        let err = PutItemError::generic(ErrorMetadata::builder().code(code).build());
        let raw = HttpResponse::new(StatusCode::try_from(status).unwrap(), SdkBody::empty());
        SdkError::service_error(err, raw)
    }

    #[test]
    fn throttling_unavailable_and_5xx_are_retryable_the_rest_permanent() {
        for (code, status) in [
            ("ProvisionedThroughputExceededException", 400),
            ("ThrottlingException", 400),
            ("RequestLimitExceeded", 400),
            ("InternalServerError", 500),
            ("ServiceUnavailable", 503),
        ] {
            let mapped = store_error("PutItem", service_error(code, status));
            assert!(
                matches!(mapped, StoreError::Unavailable(_)),
                "{code}: {mapped:?}"
            );
        }
        let down = SdkError::<PutItemError, HttpResponse>::dispatch_failure(ConnectorError::io(
            "connection refused".into(),
        ));
        assert!(matches!(
            store_error("PutItem", down),
            StoreError::Unavailable(_)
        ));
        let refused = store_error("PutItem", service_error("ValidationException", 400));
        assert!(matches!(refused, StoreError::Permanent(_)), "{refused:?}");
    }
}
