//! Reading what is stored, split off the first download (`wasm_split`, as the screens are):
//! the segments' reader, the decoders of every kind of record (compact, loose records as
//! JS objects, the JSON of older builds and of other tabs' messages) and the rest reader.
//! Their code is a third of the main module, and none of it is needed to draw the page:
//! the app asks for this module first thing (`preload`), while IndexedDB opens, so on a
//! first visit the two overlap, and after it the service worker has it.
//!
//! Each function hands back what the caller runs (a future, a stepper), built in the chunk,
//! so the code those call stays in the chunk too.

use crate::domain::{Change, Workspace};
use crate::domain::undo::History;
use crate::io::segments::{Cutter, Rest, RestReader};
use crate::storage::{Loaded, Quarantined, Store, StoreError};
use leptos::wasm_split::SplitLoaderError;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;

pub type Boxed<T> = Pin<Box<dyn Future<Output = T>>>;

/// `Store::load`, as a future made in the chunk.
#[allow(improper_ctypes_definitions, improper_ctypes)]
#[leptos::wasm_split::wasm_split(read, wasm_split_path = ::leptos::wasm_split, preload(preload), fallible)]
pub fn load(store: Rc<Store>) -> Result<Boxed<Result<Loaded, StoreError>>, SplitLoaderError> {
    Ok(Box::pin(async move { store.load().await }))
}

/// What `RestReader` does, behind a pointer made in the chunk.
pub trait RestSteps {
    /// About `budget` records' worth of work against the workspace the load made; true
    /// once all is done.
    fn step(&mut self, ws: &Workspace, budget: usize) -> bool;
    /// The activities and leads read, where each sits, and what was set aside.
    fn finish(self: Box<Self>) -> (Vec<crate::domain::Activity>, Vec<crate::domain::Lead>, crate::domain::Lookup, Vec<Quarantined>);
}

impl RestSteps for RestReader {
    fn step(&mut self, ws: &Workspace, budget: usize) -> bool {
        RestReader::step(self, ws, budget)
    }
    fn finish(self: Box<Self>) -> (Vec<crate::domain::Activity>, Vec<crate::domain::Lead>, crate::domain::Lookup, Vec<Quarantined>) {
        RestReader::finish(*self)
    }
}

#[allow(improper_ctypes_definitions, improper_ctypes)]
#[leptos::wasm_split::wasm_split(read, wasm_split_path = ::leptos::wasm_split, fallible)]
pub fn rest_reader(rest: Rest) -> Result<Box<dyn RestSteps>, SplitLoaderError> {
    Ok(Box::new(RestReader::new(rest)))
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

/// The undo and redo lists this browser kept (`storage::load_history`: JSON, whose
/// decoders for every change are this module's).
#[allow(improper_ctypes_definitions, improper_ctypes)]
#[leptos::wasm_split::wasm_split(read, wasm_split_path = ::leptos::wasm_split, fallible)]
pub fn history() -> Result<History, SplitLoaderError> {
    Ok(crate::storage::load_history())
}

/// What `Cutter` does, behind a pointer made in the chunk: cuts a workspace into the
/// segments a replace or a compaction stores.
pub trait Cuts {
    /// How many segments the workspace makes.
    fn count(&self, ws: &Workspace) -> usize;
    /// The next segment (key, bytes); None after the last.
    fn next(&mut self, ws: &Workspace) -> Option<(String, Vec<u8>)>;
}

impl Cuts for Cutter {
    fn count(&self, ws: &Workspace) -> usize {
        Cutter::count(ws)
    }
    fn next(&mut self, ws: &Workspace) -> Option<(String, Vec<u8>)> {
        Cutter::next(self, ws)
    }
}

#[allow(improper_ctypes_definitions, improper_ctypes)]
#[leptos::wasm_split::wasm_split(read, wasm_split_path = ::leptos::wasm_split, fallible)]
pub fn cutter() -> Result<Box<dyn Cuts>, SplitLoaderError> {
    Ok(Box::new(Cutter::new()))
}
