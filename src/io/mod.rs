//! Import and export. Pure: strings in, strings out, validated before anything changes.

pub mod csv_export;
pub mod csv_import;
pub mod envelope;
pub mod json;
pub mod merge;

/// Files larger than this are refused before they are read: a browser tab holding the
/// text, the parsed records and the workspace at once would run out of memory.
pub const MAX_IMPORT_BYTES: f64 = 50.0 * 1024.0 * 1024.0;

pub use json::{export_json, import_json, pipeline_only, ImportError, FORMAT, FORMAT_VERSION};
