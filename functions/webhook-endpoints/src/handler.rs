//! `/webhooks`: endpoints per template, their secrets, test events and attempt logs.

use chrono::{DateTime, Utc};
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use pagewire_core::access::AccessPorts;
use pagewire_core::configuration::endpoints;
use pagewire_core::configuration::{EndpointInput, EndpointPatch, EndpointPorts, EndpointView};
use pagewire_core::delivery::{recover_endpoint, RecoveryPorts};
use pagewire_lambda_kit::http::{
    dispatch, error_response, json_body, json_response, no_content, query_param, respond,
};
use pagewire_lambda_kit::routes::{route, Route};
use pagewire_lambda_kit::wiring::{Adapters, WiringError};

/// What this function serves: access and the endpoints' configuration (with the webhook sender:
/// `POST /webhooks/{id}/test` sends a test event), and the recovery of an endpoint's failed deliveries.
pub struct App {
    pub access: AccessPorts,
    pub endpoints: EndpointPorts,
    pub recovery: RecoveryPorts,
}

/// Its `main` and `pagewire dev` both build it here.
pub fn wire(adapters: &Adapters) -> Result<App, WiringError> {
    Ok(App {
        access: adapters.access()?,
        endpoints: adapters.endpoint_config()?,
        recovery: adapters.recovery()?,
    })
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    List,
    Create,
    Get,
    /// `PUT` and `PATCH` alike: only the given fields change.
    Update,
    Delete,
    RotateSecret,
    SendTest,
    Attempts,
    Recover,
}

/// The body of `POST /webhooks/{id}/recover`.
#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct RecoverRequest {
    since: DateTime<Utc>,
}

pub const ROUTES: &[Route<Action>] = &[
    route("GET", "/webhooks", Action::List),
    route("POST", "/webhooks", Action::Create),
    route("GET", "/webhooks/{id}", Action::Get),
    route("PUT", "/webhooks/{id}", Action::Update),
    route("PATCH", "/webhooks/{id}", Action::Update),
    route("DELETE", "/webhooks/{id}", Action::Delete),
    route("POST", "/webhooks/{id}/rotate-secret", Action::RotateSecret),
    route("POST", "/webhooks/{id}/test", Action::SendTest),
    route("GET", "/webhooks/{id}/deliveries", Action::Attempts),
    route("POST", "/webhooks/{id}/recover", Action::Recover),
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

pub async fn handle(app: &App, req: Request) -> Result<Response<Body>, lambda_http::Error> {
    let s = &app.endpoints;
    Ok(dispatch(
        &app.access,
        ROUTES,
        req,
        |tenant, action, params, req| async move {
            let id = params.first().map(String::as_str).unwrap_or("");
            match action {
                Action::List => {
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
                Action::Create => match json_body::<EndpointInput>(&req) {
                    Ok(input) => view(
                        endpoints::create(s, tenant, input).await,
                        StatusCode::CREATED,
                    ),
                    Err(err) => error_response(&err),
                },
                Action::Get => view(endpoints::get(s, tenant, id).await, StatusCode::OK),
                Action::Update => match json_body::<EndpointPatch>(&req) {
                    Ok(patch) => view(
                        endpoints::update(s, tenant, id, patch).await,
                        StatusCode::OK,
                    ),
                    Err(err) => error_response(&err),
                },
                Action::Delete => match endpoints::delete(s, tenant, id).await {
                    Ok(()) => no_content(),
                    Err(err) => error_response(&err),
                },
                Action::RotateSecret => view(
                    endpoints::rotate_secret(s, tenant, id).await,
                    StatusCode::OK,
                ),
                Action::SendTest => match endpoints::send_test(s, tenant, id).await {
                    Ok(attempt) => json_response(StatusCode::OK, &attempt),
                    Err(err) => error_response(&err),
                },
                Action::Attempts => {
                    let limit = query_param(&req, "limit");
                    match endpoints::attempts(s, tenant, id, limit.as_deref()).await {
                        Ok(list) => json_response(
                            StatusCode::OK,
                            &serde_json::json!({ "deliveries": list }),
                        ),
                        Err(err) => error_response(&err),
                    }
                }
                Action::Recover => match json_body::<RecoverRequest>(&req) {
                    Ok(body) => respond(
                        StatusCode::ACCEPTED,
                        recover_endpoint(&app.recovery, tenant, id, body.since).await,
                    ),
                    Err(err) => error_response(&err),
                },
            }
        },
    )
    .await)
}
