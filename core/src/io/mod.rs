//! Import and export. Pure: strings in, strings out, validated before anything changes.

pub mod compact;
pub mod csv_export;
pub mod csv_import;
pub mod envelope;
pub mod ics;
pub mod json;
pub mod merge;
pub mod segments;
pub mod xlsx;

/// Files larger than this are refused before they are read: a browser tab holding the
/// text, the parsed records and the workspace at once would run out of memory. The compact
/// export of 100,000 demo deals with their ~1M events is far below it (tested), so the app
/// always imports what it exported.
pub const MAX_IMPORT_BYTES: f64 = 400.0 * 1024.0 * 1024.0;

pub use json::{export_json, import_json, pipeline_only, ExportReader, ImportError, FORMAT, FORMAT_VERSION};
