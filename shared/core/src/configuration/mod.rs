//! Configuration: what a tenant sets up before submitting (templates, webhook endpoints) and what the
//! operator sets up for a tenant (the tenant, its API keys, its credits).

mod endpoint_input;
pub mod endpoints;
mod template_rules;
pub mod templates;
pub mod tenants;

/// Concurrent writers of one template or endpoint: a few rounds settle them.
const MAX_WRITE_TRIES: usize = 8;

pub use endpoint_input::{EndpointInput, EndpointPatch, EndpointView};
pub use endpoints::EndpointPorts;
pub use template_rules::{validate as validate_template, TemplateInput};
pub use templates::TemplatePorts;
pub use tenants::{CreatedTenant, TenantPorts};
