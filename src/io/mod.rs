//! Import and export. Pure: strings in, strings out, validated before anything changes.

pub mod csv_export;
pub mod csv_import;
pub mod envelope;
pub mod json;
pub mod merge;

pub use json::{export_json, import_json, pipeline_only, ImportError, FORMAT, FORMAT_VERSION};
