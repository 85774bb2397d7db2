//! pagewire's domain: types, port traits, pure policies, and the use cases grouped by capability along a
//! job's flow (see `docs/ARCHITECTURE.md`).
//!
//! Nothing here knows about AWS, SQL or HTTP frameworks. Adapters (`pagewire-aws`, `pagewire-embedded`)
//! implement the traits of [`ports`]; each capability names the ports it needs in its own `*Ports`
//! struct, and a Lambda function's wiring builds exactly the structs of the capabilities it serves.
//!
//! - [`access`]: who is calling (API keys) and how often they may.
//! - [`submission`]: a file and a template in, a job id out.
//! - [`processing`]: a stored file to finished documents, charged credits and queued deliveries.
//! - [`delivery`]: signed webhooks, retries, endpoint state, file clean-up.
//! - [`preview`]: a sample file read and a template run on it, nothing stored.
//! - [`configuration`]: templates, webhook endpoints, tenants.
//! - [`queries`]: a job's status and results.

pub mod access;
pub mod clock;
pub mod configuration;
pub mod delivery;
pub mod error;
#[cfg(feature = "fixtures")]
pub mod fixtures;
pub mod ids;
pub mod model;
pub mod object_keys;
pub mod policy;
pub mod ports;
pub mod preview;
pub mod processing;
pub mod queries;
pub mod settings;
pub mod submission;

pub use access::tenant_buckets::RateLimiter;
pub use clock::{Clock, ManualClock, SystemClock};
pub use error::{CoreError, StoreError};
pub use settings::Settings;
