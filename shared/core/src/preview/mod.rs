//! Template preview: a sample file and a template (a stored one, or an inline one not saved) in, and
//! out at once what a job would extract from it: every page's words with their boxes, and every field.
//!
//! It runs processing's own read and extraction (`processing::reading`), so the fields are the ones a
//! job would deliver. Nothing is stored and no webhook is sent. Previews are free: instead of credits,
//! a tenant may preview `Settings::preview.pages_per_minute` pages a minute ([`page_budget`]), and one
//! preview has at most `Settings::preview.max_pages` pages (a refused sample counts as one page).

pub mod page_budget;

use crate::clock::Clock;
use crate::configuration::templates::unsaved;
use crate::configuration::TemplateInput;
use crate::error::CoreError;
use crate::ids::{TemplateId, TenantId};
use crate::model::{BoundingBox, ExtractedField, Failure, FileKind, Template};
use crate::ports::{DocumentReader, PageText, TemplateRecords, TextSource};
use crate::processing::reading::{extract_fields_of, page_count, read_document};
use crate::settings::Settings;
use bytes::Bytes;
use page_budget::PreviewPageBudget;
use serde::Serialize;
use std::sync::Arc;

/// What a preview touches: the tenant's templates (read only), the document reader, and this
/// process's page budget.
#[derive(Clone)]
pub struct PreviewPorts {
    pub templates: Arc<dyn TemplateRecords>,
    pub reader: Arc<dyn DocumentReader>,
    pub page_budget: Arc<PreviewPageBudget>,
    pub clock: Arc<dyn Clock>,
    pub settings: Settings,
}

/// A preview request as the handler parsed it; nothing is validated yet.
#[derive(Debug, Clone, Default)]
pub struct PreviewRequest {
    pub file: Option<Bytes>,
    /// A stored template of the tenant ...
    pub template_id: Option<String>,
    /// ... or one described inline (exactly one of the two).
    pub template: Option<TemplateInput>,
}

/// What the sample reads as, and what the template extracts from it.
#[derive(Debug, Clone, Serialize)]
pub struct Preview {
    pub file_kind: FileKind,
    pub pages: Vec<PreviewPage>,
    pub fields: Vec<ExtractedField>,
}

#[derive(Debug, Clone, Serialize)]
pub struct PreviewPage {
    /// 1-based.
    pub number: u32,
    /// The page's width divided by its height. Boxes are fractions of the page's width and height, so
    /// this is the page's size in the units every box is given in.
    pub aspect: f32,
    /// `text_layer` (a PDF's own text) or `ocr`.
    pub source: &'static str,
    pub words: Vec<PreviewWord>,
}

#[derive(Debug, Clone, Serialize)]
pub struct PreviewWord {
    pub text: String,
    #[serde(rename = "box")]
    pub bbox: BoundingBox,
    pub confidence: f32,
}

/// Reads the sample and extracts the template's fields from it, as a job would.
pub async fn preview(
    s: &PreviewPorts,
    tenant: TenantId,
    request: PreviewRequest,
) -> Result<Preview, CoreError> {
    let file = request
        .file
        .filter(|f| !f.is_empty())
        .ok_or_else(|| CoreError::invalid_at("missing_field", "file", "is required"))?;
    if file.len() > s.settings.max_inline_file_bytes {
        return Err(CoreError::TooLarge {
            code: "payload_too_large",
            message: format!(
                "a sample is at most {} bytes",
                s.settings.max_inline_file_bytes
            ),
        });
    }
    let template = template_of(s, tenant, request.template_id, request.template).await?;
    s.page_budget.admit(tenant, s.clock.now())?;
    let read = read_document(
        &s.reader,
        tenant.to_string(),
        file,
        s.settings.preview.max_pages,
    )
    .await?;
    // A refused sample was read too (or sniffed): it counts as one page, so refusals are no free reads.
    let pages = read.as_ref().map_or(1, page_count);
    s.page_budget.spend(tenant, pages, s.clock.now());
    let read = read.map_err(refusal)?;
    let read = Arc::new(read);
    let fields = extract_fields_of(template, read.clone()).await?;
    Ok(Preview {
        file_kind: read.kind,
        pages: read.pages.iter().map(page_of).collect(),
        fields,
    })
}

async fn template_of(
    s: &PreviewPorts,
    tenant: TenantId,
    id: Option<String>,
    inline: Option<TemplateInput>,
) -> Result<Template, CoreError> {
    match (id, inline) {
        (Some(id), None) => {
            let not_found =
                || CoreError::not_found("template_not_found", "no template with this id");
            let id = TemplateId::parse(&id).ok_or_else(not_found)?;
            s.templates
                .get_template(tenant, id)
                .await?
                .ok_or_else(not_found)
        }
        (None, Some(input)) => unsaved(tenant, input, s.clock.now()),
        _ => Err(CoreError::invalid_at(
            "missing_field",
            "template",
            "give exactly one of template_id and template",
        )),
    }
}

/// A sample the reader refused, as the 4xx a caller can act on.
fn refusal(failure: Failure) -> CoreError {
    match failure.code.as_str() {
        "unsupported_file_type" | "nested_archive" => CoreError::UnsupportedMedia {
            code: "unsupported_file_type",
            message: failure.message,
        },
        "too_many_pages" => CoreError::TooLarge {
            code: "too_many_pages",
            message: failure.message,
        },
        _ => CoreError::invalid("unreadable_file", failure.message),
    }
}

fn page_of(page: &PageText) -> PreviewPage {
    PreviewPage {
        number: page.number,
        aspect: page.aspect,
        source: match page.source {
            TextSource::TextLayer => "text_layer",
            TextSource::Ocr => "ocr",
        },
        words: page
            .words
            .iter()
            .map(|w| PreviewWord {
                text: w.text.clone(),
                bbox: w.bbox,
                confidence: w.confidence,
            })
            .collect(),
    }
}
