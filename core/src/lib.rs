//! Funnelscope's pure core: everything that decides or computes, with no web dependency.
//! It is its own crate so that the release build can optimise it for speed (the analytics
//! and forecast hot loops) while the Leptos UI around it is optimised for size.

pub mod analytics;
pub mod domain;
pub mod i18n;
pub mod forecast;
pub mod io;
pub mod sync;
