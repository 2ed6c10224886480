//! Funnelscope: a sales-opportunity funnel that runs entirely in the browser.
//! The pure core (`domain`, `analytics`, `forecast`, `io`, `sync`, `i18n`) is the
//! `funnelscope-core` crate, re-exported here under the same paths; `storage` and `ui` are
//! wasm-only.

pub use funnelscope_core::{analytics, domain, forecast, i18n, io, sync};

#[cfg(target_arch = "wasm32")]
pub mod storage;
#[cfg(target_arch = "wasm32")]
pub mod ui;
