//! What reading the database needs beyond the board, split off the first download
//! (`wasm_split`, as the screens are) and fetched after the board is shown, when first
//! needed (usually at once, by the first job or the undo lists): the reader of
//! activities and leads (the first job after a load), the reader of every kind of segment
//! in every encoding (segments an older build stored as JSON, which the first download
//! cannot read), the cutter that stores a replace or a compaction as segments, other tabs'
//! messages and the undo lists this browser kept. With them go the decoders of activities
//! and leads in every encoding, and the JSON decoders of every kind of record.
//!
//! Each function hands back what the caller runs (a reader, a stepper, a cutter behind a
//! trait object), made in the chunk, so the code those call stays in the chunk too.

use crate::domain::undo::History;
use crate::domain::{Activity, Change, Lead, Lookup, Workspace};
use crate::io::segments::{Cutter, RestReader};
use crate::storage::{Later, Quarantined};
use leptos::wasm_split::SplitLoaderError;

/// Reads whatever any build stored (`storage::WholeReader`): for `Store::load`'s `full`.
pub type FullReader = Box<dyn crate::storage::FullRead>;

#[allow(improper_ctypes_definitions, improper_ctypes)]
#[leptos::wasm_split::wasm_split(read, wasm_split_path = ::leptos::wasm_split, preload(preload), fallible)]
pub fn full_reader() -> Result<FullReader, SplitLoaderError> {
    Ok(Box::new(crate::storage::WholeReader))
}

/// What `RestReader` does, behind a pointer made in the chunk.
pub trait RestSteps {
    /// About `budget` records' worth of work against the workspace the load made; true
    /// once all is done.
    fn step(&mut self, ws: &Workspace, budget: usize) -> bool;
    /// The activities and leads read, where each sits, and what was set aside.
    fn finish(self: Box<Self>) -> (Vec<Activity>, Vec<Lead>, Lookup, Vec<Quarantined>);
}

/// A `RestReader` with what could not be decoded of the loose records before it.
struct Rest {
    reader: RestReader,
    bad: Vec<Quarantined>,
}

impl RestSteps for Rest {
    fn step(&mut self, ws: &Workspace, budget: usize) -> bool {
        self.reader.step(ws, budget)
    }
    fn finish(self: Box<Self>) -> (Vec<Activity>, Vec<Lead>, Lookup, Vec<Quarantined>) {
        let Rest { reader, mut bad } = *self;
        let (activities, leads, at, more) = reader.finish();
        bad.extend(more);
        (activities, leads, at, bad)
    }
}

/// The reader of what a load left (`Later`): its loose records decoded now, its segments
/// a slice at a time.
#[allow(improper_ctypes_definitions, improper_ctypes)]
#[leptos::wasm_split::wasm_split(read, wasm_split_path = ::leptos::wasm_split, fallible)]
pub fn rest_reader(later: Later) -> Result<Box<dyn RestSteps>, SplitLoaderError> {
    let (rest, bad) = crate::storage::decode_later(later);
    Ok(Box::new(Rest { reader: RestReader::new(rest), bad }))
}

/// What another tab posted on the channel: its tab, the revision its changes made, and
/// the changes (None: too many to send, or everything was replaced).
#[derive(serde::Deserialize)]
struct Posted {
    tab: String,
    rev: u64,
    changes: Option<Vec<Change>>,
}

/// A message from another tab (`ui::state::Broadcast`, as JSON); None if it is not one.
#[allow(improper_ctypes_definitions, improper_ctypes)]
#[leptos::wasm_split::wasm_split(read, wasm_split_path = ::leptos::wasm_split, fallible)]
pub fn posted(text: String) -> Result<Option<(String, u64, Option<Vec<Change>>)>, SplitLoaderError> {
    Ok(serde_json::from_str::<Posted>(&text).ok().map(|p| (p.tab, p.rev, p.changes)))
}

/// The undo and redo lists this browser kept, from their stored text
/// (`storage::history_text`).
#[allow(improper_ctypes_definitions, improper_ctypes)]
#[leptos::wasm_split::wasm_split(read, wasm_split_path = ::leptos::wasm_split, fallible)]
pub fn history(text: String) -> Result<History, SplitLoaderError> {
    Ok(crate::storage::read_history(&text))
}

/// What `Cutter` does, behind a pointer made in the chunk: cuts a workspace into the
/// segments a replace or a compaction stores.
pub trait Cuts {
    /// How many segments the workspace makes.
    fn count(&self, ws: &Workspace) -> usize;
    /// The next segment (key, bytes); None after the last.
    fn next(&mut self, ws: &Workspace) -> Option<(String, Vec<u8>)>;
    /// Orders records ahead of `next`, about `budget` at a time; true once done.
    fn prepare(&mut self, ws: &Workspace, budget: usize) -> bool;
}

impl Cuts for Cutter {
    fn count(&self, ws: &Workspace) -> usize {
        Cutter::count(ws)
    }
    fn next(&mut self, ws: &Workspace) -> Option<(String, Vec<u8>)> {
        Cutter::next(self, ws)
    }
    fn prepare(&mut self, ws: &Workspace, budget: usize) -> bool {
        Cutter::prepare(self, ws, budget)
    }
}

#[allow(improper_ctypes_definitions, improper_ctypes)]
#[leptos::wasm_split::wasm_split(read, wasm_split_path = ::leptos::wasm_split, fallible)]
pub fn cutter() -> Result<Box<dyn Cuts>, SplitLoaderError> {
    Ok(Box::new(Cutter::new()))
}
