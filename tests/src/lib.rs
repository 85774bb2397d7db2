//! Helpers shared by the whole-pipeline tests: a stack per test and a recording webhook receiver.

pub mod receiver;
pub mod signature;
pub mod stack;
