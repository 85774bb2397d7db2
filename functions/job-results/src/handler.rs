//! Results of a job, as JSON or CSV, and redelivery of its webhooks.

use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use pagewire_core::access::AccessPorts;
use pagewire_core::delivery::{redeliver, RedeliveryPorts};
use pagewire_core::ids::TenantId;
use pagewire_core::queries::{job_results, results_csv, QueryPorts};
use pagewire_core::CoreError;
use pagewire_lambda_kit::http::{
    dispatch, error_response, json_body, json_response, query_param, respond, text_response,
};
use pagewire_lambda_kit::routes::{route, Route};
use pagewire_lambda_kit::wiring::{Adapters, WiringError};
use serde::Deserialize;

/// What this function serves: access, queries, and redelivery (which puts deliveries on the queue).
pub struct App {
    pub access: AccessPorts,
    pub queries: QueryPorts,
    pub redelivery: RedeliveryPorts,
}

/// Its `main` and `pagewire dev` both build it here.
pub fn wire(adapters: &Adapters) -> Result<App, WiringError> {
    Ok(App {
        access: adapters.access()?,
        queries: adapters.queries()?,
        redelivery: adapters.redelivery()?,
    })
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// The established form: the job id and format in a JSON body.
    ResultsByBody,
    Results,
    Redeliver,
}

pub const ROUTES: &[Route<Action>] = &[
    route("POST", "/v1/job-results", Action::ResultsByBody),
    route("GET", "/jobs/{id}/results", Action::Results),
    route("POST", "/jobs/{id}/redeliver", Action::Redeliver),
];

#[derive(Deserialize)]
struct ResultsRequest {
    job_id: String,
    #[serde(default)]
    result_format: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RedeliverRequest {
    #[serde(default)]
    webhook_ids: Option<Vec<String>>,
}

pub async fn handle(app: &App, req: Request) -> Result<Response<Body>, lambda_http::Error> {
    let s = &app.queries;
    Ok(dispatch(
        &app.access,
        ROUTES,
        req,
        |tenant, action, params, req| async move {
            match action {
                Action::ResultsByBody => match json_body::<ResultsRequest>(&req) {
                    Ok(body) => {
                        results(s, tenant, &body.job_id, body.result_format.as_deref()).await
                    }
                    Err(err) => error_response(&err),
                },
                Action::Results => {
                    results(
                        s,
                        tenant,
                        &params[0],
                        query_param(&req, "format").as_deref(),
                    )
                    .await
                }
                Action::Redeliver => {
                    let body: Result<RedeliverRequest, CoreError> =
                        if req.body().as_ref().iter().all(u8::is_ascii_whitespace) {
                            Ok(RedeliverRequest::default())
                        } else {
                            json_body(&req)
                        };
                    match body {
                        Ok(body) => respond(
                            StatusCode::ACCEPTED,
                            redeliver(&app.redelivery, tenant, &params[0], body.webhook_ids)
                                .await
                                .map(|queued| serde_json::json!({ "queued": queued })),
                        ),
                        Err(err) => error_response(&err),
                    }
                }
            }
        },
    )
    .await)
}

async fn results(
    s: &QueryPorts,
    tenant: TenantId,
    job_id: &str,
    format: Option<&str>,
) -> Response<Body> {
    let csv = match format.map(str::to_ascii_lowercase).as_deref() {
        None | Some("json") => false,
        Some("csv") => true,
        Some(_) => {
            return error_response(&CoreError::invalid(
                "invalid_field",
                "result_format must be json or csv",
            ));
        }
    };
    let results = match job_results(s, tenant, job_id).await {
        Ok(r) => r,
        Err(err) => return error_response(&err),
    };
    if !csv {
        return json_response(StatusCode::OK, &results);
    }
    match results_csv(&results) {
        Ok(text) => text_response(StatusCode::OK, "text/csv; charset=utf-8", text),
        Err(err) => error_response(&err),
    }
}
