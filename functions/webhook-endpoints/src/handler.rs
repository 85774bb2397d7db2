//! `/webhooks`: endpoints per template, their secrets, test events and attempt logs.

use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use pagewire_core::usecases::endpoints::{self, EndpointInput, EndpointPatch, EndpointView};
use pagewire_core::Services;
use pagewire_lambda_kit::http::{
    dispatch, error_response, json_body, json_response, no_content, query_param,
};
use pagewire_lambda_kit::routes::{route, Route};

/// What this function wires: the stores and the webhook client (`POST /webhooks/{id}/test` sends a
/// test event). Its `main` and the tests both build it here.
pub fn wire(
    wiring: pagewire_lambda_kit::wiring::Wiring,
) -> Result<pagewire_core::Services, pagewire_lambda_kit::wiring::WiringError> {
    Ok(wiring.with_webhook_client()?.services())
}

pub const ROUTES: &[Route] = &[
    route("GET", "/webhooks"),
    route("POST", "/webhooks"),
    route("GET", "/webhooks/{id}"),
    route("PUT", "/webhooks/{id}"),
    route("PATCH", "/webhooks/{id}"),
    route("DELETE", "/webhooks/{id}"),
    route("POST", "/webhooks/{id}/rotate-secret"),
    route("POST", "/webhooks/{id}/test"),
    route("GET", "/webhooks/{id}/deliveries"),
];

/// Secrets are shown on creation, on rotation and when one endpoint is read, never in lists.
fn view(
    result: Result<pagewire_core::model::WebhookEndpoint, pagewire_core::CoreError>,
    ok: StatusCode,
) -> Response<Body> {
    match result {
        Ok(endpoint) => json_response(ok, &EndpointView::new(&endpoint, true)),
        Err(err) => error_response(&err),
    }
}

pub async fn handle(s: &Services, req: Request) -> Result<Response<Body>, lambda_http::Error> {
    Ok(
        dispatch(s, ROUTES, req, |tenant, route, params, req| async move {
            let id = params.first().map(String::as_str).unwrap_or("");
            match (route.method, route.pattern) {
                ("GET", "/webhooks") => {
                    match endpoints::list(s, tenant, query_param(&req, "template_id").as_deref())
                        .await
                    {
                        Ok(list) => {
                            let views: Vec<EndpointView> =
                                list.iter().map(|e| EndpointView::new(e, false)).collect();
                            json_response(StatusCode::OK, &serde_json::json!({ "webhooks": views }))
                        }
                        Err(err) => error_response(&err),
                    }
                }
                ("POST", "/webhooks") => match json_body::<EndpointInput>(&req) {
                    Ok(input) => view(
                        endpoints::create(s, tenant, input).await,
                        StatusCode::CREATED,
                    ),
                    Err(err) => error_response(&err),
                },
                ("GET", "/webhooks/{id}") => {
                    view(endpoints::get(s, tenant, id).await, StatusCode::OK)
                }
                ("PUT" | "PATCH", _) => match json_body::<EndpointPatch>(&req) {
                    Ok(patch) => view(
                        endpoints::update(s, tenant, id, patch).await,
                        StatusCode::OK,
                    ),
                    Err(err) => error_response(&err),
                },
                ("DELETE", _) => match endpoints::delete(s, tenant, id).await {
                    Ok(()) => no_content(),
                    Err(err) => error_response(&err),
                },
                (_, "/webhooks/{id}/rotate-secret") => view(
                    endpoints::rotate_secret(s, tenant, id).await,
                    StatusCode::OK,
                ),
                (_, "/webhooks/{id}/test") => match endpoints::send_test(s, tenant, id).await {
                    Ok(attempt) => json_response(StatusCode::OK, &attempt),
                    Err(err) => error_response(&err),
                },
                _ => {
                    let limit = query_param(&req, "limit")
                        .and_then(|l| l.parse().ok())
                        .unwrap_or(100);
                    match endpoints::attempts(s, tenant, id, limit).await {
                        Ok(list) => json_response(
                            StatusCode::OK,
                            &serde_json::json!({ "deliveries": list }),
                        ),
                        Err(err) => error_response(&err),
                    }
                }
            }
        })
        .await,
    )
}
