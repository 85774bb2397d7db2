//! `/templates` and `/templates/{id}`: the fields to extract and their rules.

use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use pagewire_core::usecases::templates::{self, TemplateInput};
use pagewire_core::Services;
use pagewire_lambda_kit::http::{
    dispatch, error_response, json_body, json_response, no_content, respond,
};
use pagewire_lambda_kit::routes::{route, Route};

/// What this function wires: the stores only. Its `main` and the tests both build it here.
pub fn wire(
    wiring: pagewire_lambda_kit::wiring::Wiring,
) -> Result<pagewire_core::Services, pagewire_lambda_kit::wiring::WiringError> {
    Ok(wiring.services())
}

pub const ROUTES: &[Route] = &[
    route("GET", "/templates"),
    route("POST", "/templates"),
    route("GET", "/templates/{id}"),
    route("PUT", "/templates/{id}"),
    route("DELETE", "/templates/{id}"),
];

pub async fn handle(s: &Services, req: Request) -> Result<Response<Body>, lambda_http::Error> {
    Ok(
        dispatch(s, ROUTES, req, |tenant, route, params, req| async move {
            match (route.method, route.pattern) {
                ("GET", "/templates") => match templates::list(s, tenant).await {
                    Ok(list) => {
                        json_response(StatusCode::OK, &serde_json::json!({ "templates": list }))
                    }
                    Err(err) => error_response(&err),
                },
                ("POST", _) => match json_body::<TemplateInput>(&req) {
                    Ok(input) => respond(
                        StatusCode::CREATED,
                        templates::create(s, tenant, input).await,
                    ),
                    Err(err) => error_response(&err),
                },
                ("GET", _) => respond(StatusCode::OK, templates::get(s, tenant, &params[0]).await),
                ("PUT", _) => match json_body::<TemplateInput>(&req) {
                    Ok(input) => respond(
                        StatusCode::OK,
                        templates::update(s, tenant, &params[0], input).await,
                    ),
                    Err(err) => error_response(&err),
                },
                _ => match templates::delete(s, tenant, &params[0]).await {
                    Ok(()) => no_content(),
                    Err(err) => error_response(&err),
                },
            }
        })
        .await,
    )
}
