//! `POST /templates/preview`: a sample file read and a template run on it, answered at once with the
//! pages' words and the fields a job would extract. Nothing is stored and no webhook is sent.

use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use pagewire_core::access::AccessPorts;
use pagewire_core::configuration::TemplateInput;
use pagewire_core::preview::{preview, PreviewPorts, PreviewRequest};
use pagewire_core::CoreError;
use pagewire_lambda_kit::file_field::decode_base64_file;
use pagewire_lambda_kit::http::{dispatch, error_response, json_body, respond};
use pagewire_lambda_kit::routes::{route, Route};
use pagewire_lambda_kit::wiring::{Adapters, WiringError};
use serde::Deserialize;

/// What this function serves: access and the preview (templates read, the document reader).
pub struct App {
    pub access: AccessPorts,
    pub preview: PreviewPorts,
}

/// Its `main` and `pagewire dev` both build it here.
pub fn wire(adapters: &Adapters) -> Result<App, WiringError> {
    Ok(App {
        access: adapters.access()?,
        preview: adapters.preview()?,
    })
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Preview,
}

pub const ROUTES: &[Route<Action>] = &[route("POST", "/templates/preview", Action::Preview)];

/// The JSON body: the sample as base64, and a stored template's id or an inline template.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PreviewBody {
    file: Option<String>,
    template_id: Option<String>,
    template: Option<TemplateInput>,
}

fn preview_request(req: &Request) -> Result<PreviewRequest, CoreError> {
    let body: PreviewBody = json_body(req)?;
    Ok(PreviewRequest {
        file: body
            .file
            .map(|text| decode_base64_file(&text, "file"))
            .transpose()?,
        template_id: body.template_id,
        template: body.template,
    })
}

pub async fn handle(app: &App, req: Request) -> Result<Response<Body>, lambda_http::Error> {
    let s = &app.preview;
    Ok(dispatch(
        &app.access,
        ROUTES,
        req,
        |tenant, Action::Preview, _, req| async move {
            match preview_request(&req) {
                Ok(request) => respond(StatusCode::OK, preview(s, tenant, request).await),
                Err(err) => error_response(&err),
            }
        },
    )
    .await)
}
