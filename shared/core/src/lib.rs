//! pagewire's domain: types, port traits, pure policies and use cases.
//!
//! Nothing here knows about AWS, SQL or HTTP frameworks. Adapters (`pagewire-aws`, `pagewire-embedded`)
//! implement the traits of [`ports`]; Lambda handlers translate events into calls of [`usecases`].

pub mod auth_tokens;
pub mod clock;
pub mod error;
#[cfg(feature = "fixtures")]
pub mod fixtures;
pub mod ids;
pub mod model;
pub mod policy;
pub mod ports;
pub mod rate_limiter;
pub mod services;
pub mod settings;
pub mod usecases;

pub use clock::{Clock, ManualClock, SystemClock};
pub use error::{CoreError, StoreError};
pub use rate_limiter::RateLimiter;
pub use services::Services;
pub use settings::Settings;
