//! `GET /job-status?job_id=` and `GET /jobs/{id}`: where a job and each of its documents stand.

use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use pagewire_core::access::AccessPorts;
use pagewire_core::queries::{job_status, QueryPorts};
use pagewire_core::CoreError;
use pagewire_lambda_kit::http::{dispatch, error_response, query_param, respond};
use pagewire_lambda_kit::routes::{route, Route};
use pagewire_lambda_kit::wiring::{Adapters, WiringError};

/// What this function serves: access and queries.
pub struct App {
    pub access: AccessPorts,
    pub queries: QueryPorts,
}

/// Its `main` and `pagewire dev` both build it here.
pub fn wire(adapters: &Adapters) -> Result<App, WiringError> {
    Ok(App {
        access: adapters.access()?,
        queries: adapters.queries()?,
    })
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// The established form, by query parameter, without attempts.
    StatusByQuery,
    /// With every delivery attempt.
    Status,
}

pub const ROUTES: &[Route<Action>] = &[
    route("GET", "/job-status", Action::StatusByQuery),
    route("GET", "/jobs/{id}", Action::Status),
];

pub async fn handle(app: &App, req: Request) -> Result<Response<Body>, lambda_http::Error> {
    let s = &app.queries;
    Ok(dispatch(
        &app.access,
        ROUTES,
        req,
        |tenant, action, params, req| async move {
            match action {
                Action::StatusByQuery => {
                    let Some(job_id) = query_param(&req, "job_id") else {
                        return error_response(&CoreError::invalid_at(
                            "missing_field",
                            "job_id",
                            "is required (a query parameter)",
                        ));
                    };
                    respond(StatusCode::OK, job_status(s, tenant, &job_id, false).await)
                }
                Action::Status => respond(
                    StatusCode::OK,
                    job_status(s, tenant, &params[0], true).await,
                ),
            }
        },
    )
    .await)
}
