//! `pagewire dev`'s runtime under faults and abuse: supervised consumers that come back after a panic
//! without losing messages, fairness between tenants, and the bounds of the HTTP front.

mod fairness;
mod http_front;
mod supervision;
