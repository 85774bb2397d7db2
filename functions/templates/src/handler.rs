//! `/templates` and `/templates/{id}`: the fields to extract and their rules.

use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use pagewire_core::access::AccessPorts;
use pagewire_core::configuration::{templates, TemplateInput, TemplatePorts};
use pagewire_lambda_kit::http::{
    dispatch, error_response, json_body, json_response, no_content, respond,
};
use pagewire_lambda_kit::routes::{route, Route};

use pagewire_lambda_kit::wiring::{Adapters, WiringError};

/// What this function serves: access and the templates' configuration.
pub struct App {
    pub access: AccessPorts,
    pub templates: TemplatePorts,
}

/// Its `main` and `pagewire dev` both build it here.
pub fn wire(adapters: &Adapters) -> Result<App, WiringError> {
    Ok(App {
        access: adapters.access()?,
        templates: adapters.template_config()?,
    })
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    List,
    Create,
    Get,
    Replace,
    Delete,
}

pub const ROUTES: &[Route<Action>] = &[
    route("GET", "/templates", Action::List),
    route("POST", "/templates", Action::Create),
    route("GET", "/templates/{id}", Action::Get),
    route("PUT", "/templates/{id}", Action::Replace),
    route("DELETE", "/templates/{id}", Action::Delete),
];

pub async fn handle(app: &App, req: Request) -> Result<Response<Body>, lambda_http::Error> {
    let s = &app.templates;
    Ok(dispatch(
        &app.access,
        ROUTES,
        req,
        |tenant, action, params, req| async move {
            match action {
                Action::List => match templates::list(s, tenant).await {
                    Ok(list) => {
                        json_response(StatusCode::OK, &serde_json::json!({ "templates": list }))
                    }
                    Err(err) => error_response(&err),
                },
                Action::Create => match json_body::<TemplateInput>(&req) {
                    Ok(input) => respond(
                        StatusCode::CREATED,
                        templates::create(s, tenant, input).await,
                    ),
                    Err(err) => error_response(&err),
                },
                Action::Get => respond(StatusCode::OK, templates::get(s, tenant, &params[0]).await),
                Action::Replace => match json_body::<TemplateInput>(&req) {
                    Ok(input) => respond(
                        StatusCode::OK,
                        templates::update(s, tenant, &params[0], input).await,
                    ),
                    Err(err) => error_response(&err),
                },
                Action::Delete => match templates::delete(s, tenant, &params[0]).await {
                    Ok(()) => no_content(),
                    Err(err) => error_response(&err),
                },
            }
        },
    )
    .await)
}
