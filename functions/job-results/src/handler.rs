//! Results of a job, as JSON or CSV, and redelivery of its webhooks.

use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use pagewire_core::ids::TenantId;
use pagewire_core::usecases::jobs::{job_results, redeliver, results_csv};
use pagewire_core::{CoreError, Services};
use pagewire_lambda_kit::http::{
    dispatch, error_response, json_body, json_response, query_param, respond, text_response,
};
use pagewire_lambda_kit::routes::{route, Route};
use serde::Deserialize;

/// What this function wires: the stores and the delivery queue (a redelivery goes on it). Its `main`
/// and the tests both build it here.
pub fn wire(
    wiring: pagewire_lambda_kit::wiring::Wiring,
) -> Result<pagewire_core::Services, pagewire_lambda_kit::wiring::WiringError> {
    Ok(wiring.with_delivery_queue()?.services())
}

pub const ROUTES: &[Route] = &[
    route("POST", "/v1/job-results"),
    route("GET", "/jobs/{id}/results"),
    route("POST", "/jobs/{id}/redeliver"),
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

pub async fn handle(s: &Services, req: Request) -> Result<Response<Body>, lambda_http::Error> {
    Ok(
        dispatch(s, ROUTES, req, |tenant, route, params, req| async move {
            match route.pattern {
                "/v1/job-results" => match json_body::<ResultsRequest>(&req) {
                    Ok(body) => {
                        results(s, tenant, &body.job_id, body.result_format.as_deref()).await
                    }
                    Err(err) => error_response(&err),
                },
                "/jobs/{id}/results" => {
                    results(
                        s,
                        tenant,
                        &params[0],
                        query_param(&req, "format").as_deref(),
                    )
                    .await
                }
                _ => {
                    let body: Result<RedeliverRequest, CoreError> =
                        if req.body().as_ref().iter().all(u8::is_ascii_whitespace) {
                            Ok(RedeliverRequest::default())
                        } else {
                            json_body(&req)
                        };
                    match body {
                        Ok(body) => respond(
                            StatusCode::ACCEPTED,
                            redeliver(s, tenant, &params[0], body.webhook_ids)
                                .await
                                .map(|queued| serde_json::json!({ "queued": queued })),
                        ),
                        Err(err) => error_response(&err),
                    }
                }
            }
        })
        .await,
    )
}

async fn results(
    s: &Services,
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
