//! Funnelscope: a sales-opportunity funnel that runs entirely in the browser.
//! `domain` and `i18n` are pure and tested natively; `storage` and `ui` are wasm-only.

pub mod analytics;
pub mod domain;
pub mod i18n;
pub mod forecast;
pub mod io;
pub mod sync;

#[cfg(target_arch = "wasm32")]
pub mod storage;
#[cfg(target_arch = "wasm32")]
pub mod ui;
