//! `GET /job-status?job_id=` and `GET /jobs/{id}`: where a job and each of its documents stand.

use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use pagewire_core::usecases::jobs::job_status;
use pagewire_core::{CoreError, Services};
use pagewire_lambda_kit::http::{dispatch, error_response, query_param, respond};
use pagewire_lambda_kit::routes::{route, Route};

/// What this function wires: the stores only. Its `main` and the tests both build it here.
pub fn wire(
    wiring: pagewire_lambda_kit::wiring::Wiring,
) -> Result<pagewire_core::Services, pagewire_lambda_kit::wiring::WiringError> {
    Ok(wiring.services())
}

pub const ROUTES: &[Route] = &[route("GET", "/job-status"), route("GET", "/jobs/{id}")];

pub async fn handle(s: &Services, req: Request) -> Result<Response<Body>, lambda_http::Error> {
    Ok(
        dispatch(s, ROUTES, req, |tenant, route, params, req| async move {
            if route.pattern == "/job-status" {
                let Some(job_id) = query_param(&req, "job_id") else {
                    return error_response(&CoreError::invalid(
                        "missing_field",
                        "the job_id query parameter is required",
                    ));
                };
                respond(StatusCode::OK, job_status(s, tenant, &job_id, false).await)
            } else {
                respond(
                    StatusCode::OK,
                    job_status(s, tenant, &params[0], true).await,
                )
            }
        })
        .await,
    )
}
