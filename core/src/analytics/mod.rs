//! Funnel analytics on the stage-change log: pure, no web dependencies, shared by the
//! browser app and the native CLI.

pub mod activity;
pub mod convert;
pub mod flow;
pub mod leads;
pub mod lost;
pub mod model;
pub mod report;
pub mod reps;
pub mod stats;
#[cfg(test)]
pub(crate) mod testkit;

pub use flow::{DealFilter, Flow};
pub use model::Model;
pub use report::*;
