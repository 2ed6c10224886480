//! The one state context. Components read signals from here and send intents; only this
//! file talks to `storage`.
//!
//! **One door.** Every change (commands, demo, imports, merge, replace, restore, and what
//! other tabs committed) is a `Job` on one queue, run one at a time: planned by the domain
//! against memory at revision R, stored in one transaction that first checks the database
//! is still at R (otherwise: reload, re-plan), and only then applied to memory, to the
//! workspace and its analytics index together (`apply_committed`). Committed changes are
//! posted on a BroadcastChannel, so other open tabs apply them within milliseconds.
//!
//! The door's code (`run_job`, and `Workspace::plan` with everything only they reach) is
//! split off the first download and fetched once the board is shown (`job_runner`,
//! `planner`): opening and drawing the board need none of it.

use crate::analytics::model::{ModelBuilder, SlicedApply};
use crate::analytics::{Flow, Model};
use crate::domain::undo::{self, History};
use crate::domain::{stamp, Change, Command, Ctx, Hlc, Id, IdGen, Lang, Rejection, Workspace};
use crate::i18n::{fill, tr, K};
use super::reading::{FullReader, RestSteps};
use crate::storage::{Backup, BackupInfo, Prefs, Quarantined, Store, StoreError, WriteOp};
use leptos::wasm_split::SplitLoaderError;
use chrono::{DateTime, Utc};
use futures_channel::oneshot;
use leptos::prelude::*;
use leptos::task::spawn_local;
use std::collections::VecDeque;
use std::rc::Rc;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

const CHANNEL: &str = "funnelscope-changes";
/// Bigger change sets are announced as "reload" rather than sent whole to other tabs.
const BROADCAST_MAX_CHANGES: usize = 2_000;
/// Records' worth of work per slice when a whole workspace is taken into memory
/// (`ModelBuilder::step`): ≈ 25–40 ms of wasm each.
pub(crate) const MODEL_SLICE: usize = 200_000;
/// Records whose ids are put in order per task before a replace's write (`Cutter::prepare`).
const ORDER_SLICE: usize = 250_000;
/// Change lists this long are applied to memory a slice at a time (`SlicedApply`): at once,
/// a merge of 10,000 deals (98k changes) was one task of ≈ 85–120 ms.
const SLICED_APPLY_AT: usize = 20_000;
/// Changes a task (≈ 0.7 µs each in wasm), or records' worth of the index, when applying
/// one a slice at a time.
const APPLY_SLICE: usize = 40_000;
/// Records a task when working out the changes of a merge (`ChangesFrom`).
const CHANGES_SLICE: usize = 100_000;
/// Changes a task when sorting out which records of a big write are new (`FreshBuilder`):
/// ≈ 0.2–0.4 µs a change and phase in wasm.
const FRESH_SLICE: usize = 20_000;

#[derive(Clone, Debug, PartialEq)]
pub enum StorageStatus {
    Opening,
    /// A tab of an older version keeps the database open; the upgrade waits for it.
    Blocked,
    Saved,
    /// IndexedDB could not be opened or read; the reason is shown to the user.
    MemoryOnly(String),
    /// The database was written by a newer version of the app: shown, never written.
    NewerVersion,
    /// A newer version of the app opened in another tab; this one let go of the database.
    Closed,
    /// What is stored needs the reader of every encoding (`ui::reading`: segments an older
    /// build wrote), whose code did not download: nothing was read, so nothing may be
    /// written; a reload tries again.
    CodeMissing,
}

/// Where the write path's code (and the dialogs, which only change things) stands: it is
/// split off the first download and fetched once the board is shown (`writer_code`).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum WriteCode {
    Fetching,
    Ready,
    /// Its fetch failed (three tries); the next job or dialog tries again.
    Failed,
}

#[derive(Clone, Debug, PartialEq)]
pub struct MoveIntent {
    pub deal: Id,
    pub to: Id,
    /// Where the deal was when the user chose the move: if it has moved since (another
    /// tab), the move is refused instead of recording a second exit from this stage.
    pub from: Option<Id>,
}

#[derive(Clone, Debug, PartialEq)]
pub enum DealFormMode {
    New { stage: Option<Id> },
    Edit(Id),
}

/// The merge of another workspace into this one, as the changes it makes: handed to the
/// write path by the chunk that asks for one (`Job::Merge`, `Job::Pulled`). For an import,
/// (mine, theirs, the merged workspace when it was worked out against `mine` already).
/// The changes come as a `ChangesFrom`, worked out by the write path a slice at a time.
pub type Merge = fn(&Workspace, &Workspace, Option<Workspace>) -> crate::io::merge::ChangesFrom;
/// The same, for what team sync pulled (`sync::changes_for`).
pub type PulledMerge = fn(&Workspace, &crate::domain::lookup::Lookup, &Workspace) -> Vec<Change>;

/// Everything that changes state goes through the queue as one of these.
#[allow(clippy::large_enum_variant)] // a few at a time on the queue
enum Job {
    /// A user's command, and what the undo list does with it, with its changes as planned
    /// when it was checked and the memory revision they were planned against: stored as
    /// they are if memory is still there when its turn comes (planned once, not twice).
    /// None: not planned yet (the write path's code was not in when it was sent).
    Command(Command, UndoTrack, Option<(u64, Vec<Change>)>),
    /// Records of another workspace added as they are (demo, Maven, spreadsheet), with a
    /// backup of the current workspace first when `backup`.
    Add { ws: Workspace, backup: bool },
    /// A teammate's export merged in (per-field newest edit); nothing is ever removed. With
    /// the merge itself (`io::merge`), handed in by the screen that asks for it: its code
    /// then travels in that screen's split-off chunk, not in the first download.
    /// `merged`: the merged workspace the screen showed, worked out when memory was at a
    /// revision; used as is if memory is still there (merging 100,000 deals again held the
    /// page ≈ 3 s more when the user confirmed).
    Merge(Workspace, Option<(u64, Workspace)>, Merge),
    /// Everything replaced (import "replace", restore), after a backup.
    Replace(Workspace),
    /// Records team sync brought from the server, merged at their turn against what is
    /// stored then (not marked to be sent back).
    /// `merged`: what merging them changed when memory was at a revision; used as is if
    /// memory is still there (merging a batch twice froze the page during a first sync).
    /// With the merge (`sync::changes_for`), handed in by sync's split-off chunk, as above.
    Pulled(Workspace, Option<(u64, Vec<Change>)>, PulledMerge),
    /// What another tab posted (a `Broadcast` as JSON), read when its turn comes (by the
    /// reader's code, `reading::posted`): changes it committed, or a reload.
    Posted(String),
    /// Changes another tab committed, which made revision `rev`.
    Remote { rev: u64, changes: Vec<Change> },
    /// Another tab replaced everything, or a message was missed: read the store again.
    Reload,
    /// Enough changes are stored loose: cut the workspace into segments again, so the next
    /// open reads a few large records rather than many small ones.
    Compact,
    /// What the load left for after the board is shown (`Loaded::rest`), read from the
    /// store at revision `rev`. The first job: every write waits behind it.
    Rest(crate::storage::Later, u64),
}

/// How a command relates to the undo list.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum UndoTrack {
    /// Kept for undo when the core says it can be undone.
    Keep,
    /// An undo (its result can be redone) or a redo (its result can be undone again).
    Undo,
    Redo,
}

/// What a finished job did, for the screen that queued it.
#[derive(Clone, Debug, PartialEq)]
pub enum Outcome {
    Stored,
    /// A merge that brought nothing new: nothing written, no backup taken.
    NothingNew,
}

type Done = oneshot::Sender<Result<Outcome, String>>;

/// Read access to the model's workspace, shaped like a signal's (`with`, `with_untracked`).
#[derive(Clone, Copy)]
pub struct WorkspaceView(RwSignal<Model>);

impl WorkspaceView {
    pub fn with<R>(&self, f: impl FnOnce(&Workspace) -> R) -> R {
        self.0.with(|m| f(m.workspace()))
    }

    pub fn with_untracked<R>(&self, f: impl FnOnce(&Workspace) -> R) -> R {
        self.0.with_untracked(|m| f(m.workspace()))
    }

    /// `with`, and where each keyed record sits (for work on many records by id).
    pub fn with_lookup<R>(&self, f: impl FnOnce(&Workspace, &crate::domain::Lookup) -> R) -> R {
        self.0.with(|m| f(m.workspace(), m.lookup()))
    }

    /// With where each keyed record sits (for work on a batch of records by id).
    pub fn with_lookup_untracked<R>(&self, f: impl FnOnce(&Workspace, &crate::domain::Lookup) -> R) -> R {
        self.0.with_untracked(|m| f(m.workspace(), m.lookup()))
    }

    /// Runs `step` (a slice of work on the workspace; true once all is done) a task at a
    /// time, the browser let in between, as long as the workspace still `fits` what the
    /// work began on (it keeps positions: a purge since means it is stale) and `current`
    /// says it is still wanted (asked again, or the page was left). True once `step` said done.
    pub async fn in_slices(&self, fits: impl Fn(&Workspace) -> bool, mut step: impl FnMut(&Workspace, &crate::domain::Lookup) -> bool, current: impl Fn() -> bool) -> bool {
        loop {
            match self.with_lookup_untracked(|ws, at| fits(ws).then(|| step(ws, at))) {
                None => return false,
                Some(true) => return true,
                Some(false) => {
                    yield_to_browser().await;
                    if !current() {
                        return false;
                    }
                }
            }
        }
    }
}

/// Posted to other tabs; read there by `reading::posted`.
#[derive(serde::Serialize)]
struct Broadcast {
    tab: String,
    rev: u64,
    /// None: too many to send, or everything was replaced; receivers reload.
    changes: Option<Vec<Change>>,
}

#[derive(Clone, Copy)]
pub struct AppState {
    /// The workspace, read-only for components: memory changes only through the queue.
    pub ws: WorkspaceView,
    /// The one in-memory model: the workspace and the index of the shown pipeline.
    model: RwSignal<Model>,
    pub lang: RwSignal<Lang>,
    pub pipeline: RwSignal<Option<Id>>,
    pub storage: RwSignal<StorageStatus>,
    /// A write that failed; shown until dismissed.
    pub write_error: RwSignal<Option<String>>,
    /// Stored records that could not be read and were set aside (left in the database).
    pub quarantined: RwSignal<Vec<Quarantined>>,
    /// Memory holds everything stored: false from the start until the load's last part
    /// (`Job::Rest`: activities and leads, read after the board is shown) is in.
    pub whole: RwSignal<bool>,
    /// Records being written by a long job (an import, a replace): the screen says so.
    pub saving: RwSignal<Option<(usize, usize)>>,
    pub dragging: RwSignal<Option<Id>>,
    pub moving: RwSignal<Option<MoveIntent>>,
    pub deal_form: RwSignal<Option<DealFormMode>>,
    /// The deal whose "log activity" dialog is open (from a board card, or "schedule a
    /// next step" on Today), and the kind the form starts with.
    pub logging: RwSignal<Option<(Id, crate::domain::ActivityKind)>>,
    /// The write path's code: the dialogs are drawn once it is in (`ui::dialogs`).
    pub write_code: RwSignal<WriteCode>,
    /// The board's code and the store's reader (`board_code`): the board is drawn once it
    /// is in.
    pub(crate) board_code: RwSignal<super::Chunks>,
    /// The page's own path, so links work when the app is served under a sub-path.
    pub base_path: StoredValue<String>,
    store: StoredValue<Option<Rc<Store>>, LocalStorage>,
    /// The database revision memory reflects.
    rev: StoredValue<u64>,
    /// Segments were read that an older build stored as JSON: the next cut happens
    /// whatever is loose.
    legacy_segments: StoredValue<bool>,
    ids: StoredValue<IdGen>,
    clock: StoredValue<Hlc>,
    queue: StoredValue<VecDeque<(Job, Option<Done>)>, LocalStorage>,
    channel: StoredValue<Option<web_sys::BroadcastChannel>, LocalStorage>,
    /// This tab's id, so it ignores its own broadcasts.
    tab: StoredValue<String>,
    /// What can be undone and redone (newest last), kept across reloads.
    pub history: RwSignal<History>,
    /// Whether the lists kept from an earlier visit still apply when they are read (a
    /// replace of everything before that makes them void).
    history_kept: StoredValue<bool>,
    /// The lists kept from an earlier visit are back (or there were none, or they could
    /// not be read): until then an undo or redo press is held (`UndoButtons`), not lost.
    pub history_ready: RwSignal<bool>,
    /// The lists changed before their saver's code came (`save_history`): saved when it does.
    history_unsaved: StoredValue<bool>,
    /// performance.now() when the last stored change was applied to memory (for the e2e
    /// harness's recompute-and-render timing).
    pub last_commit_ms: StoredValue<f64>,
    /// This browser's device id (kept in preferences), stamped on the records it edits.
    device: StoredValue<String>,
    draining: StoredValue<bool>,
    /// Team sync is on: stored changes are marked for the next push, and the push is woken.
    pub sync_on: StoredValue<bool>,
    sync_kick: StoredValue<Option<futures_channel::oneshot::Sender<()>>, LocalStorage>,
}

/// Lets the browser paint and handle input before long work continues (a macrotask).
pub async fn yield_to_browser() {
    sleep(0).await
}

/// Frees `x` in a task of its own. What a big write leaves behind (a merged export, the
/// new records copied for their segments) took ≈ 40 ms to free at 10,000 deals, in the
/// task that also puts the change in memory and on screen.
fn drop_later<T: 'static>(x: T) {
    spawn_local(async move {
        yield_to_browser().await;
        drop(x);
    });
}

/// Deals linked to (or given) account and contact records, `LINK_SLICE` at a time with a
/// yield between: 100,000 imported deals took ≈ 67 ms in one task of a replace (a CPU
/// profile of wasm showed: the names lower-cased and hashed for each), before any write.
async fn link_sliced(linker: &mut crate::domain::account::Linker, deals: &mut [crate::domain::Opportunity], ids: &mut IdGen, device: &str) {
    const LINK_SLICE: usize = 10_000;
    for (n, d) in deals.iter_mut().enumerate() {
        if n > 0 && n % LINK_SLICE == 0 {
            yield_to_browser().await;
        }
        if linker.needs_link(d) {
            linker.link(d, now(), ids, device);
        }
    }
}

/// How a report computed in slices ended.
pub enum Sliced {
    /// No index to report on (no pipeline).
    NoIndex,
    /// Given up: asked again (`current` said no), or the index went away mid-way.
    Abandoned,
    /// One report per query, in the queries' order.
    Done(Vec<crate::analytics::Report>),
}

/// Reports on the kept index, computed `slice` deals at a time with the browser let in
/// between, so a big pipeline's report never holds the page in one task (at 100,000 deals
/// a report was ≈ 60–100 ms of wasm). `progress` hears the first report's share done after
/// each slice; `current` is asked after each yield, and a false abandons the run (a newer
/// query, a move, or a page left).
pub async fn reports_in_slices(app: AppState, queries: &[crate::analytics::Query], slice: usize, progress: impl Fn(f64), current: impl Fn() -> bool) -> Sliced {
    use crate::analytics::ReportBuilder;
    let Some(mut builders) = app.with_index_untracked(|f| queries.iter().map(|q| ReportBuilder::new(f, q)).collect::<Vec<_>>()) else {
        return Sliced::NoIndex;
    };
    loop {
        let step = app.with_index_untracked(|f| {
            // Every builder steps (no short-circuit), each by one slice.
            let done = builders.iter_mut().fold(true, |all, b| b.step(f, slice) & all);
            (done, builders.first().map_or(1.0, |b| b.progress(f)))
        });
        match step {
            None => return Sliced::Abandoned,
            Some((true, _)) => break,
            Some((false, p)) => {
                progress(p);
                yield_to_browser().await;
                if !current() {
                    return Sliced::Abandoned;
                }
            }
        }
    }
    match app.with_index_untracked(|f| builders.into_iter().map(|b| b.finish(f)).collect()) {
        Some(reports) => Sliced::Done(reports),
        None => Sliced::Abandoned,
    }
}

/// Reads what a load left (`Loaded::rest`), `step` a slice at a time, the browser let in
/// between.
async fn read_rest(rest: crate::storage::Later, mut step: impl FnMut(&mut dyn RestSteps) -> bool) -> Result<Box<dyn RestSteps>, SplitLoaderError> {
    // Tried again as the load's reader is (its argument cannot be handed over twice).
    reader_code().await;
    let mut reader = super::reading::rest_reader(rest).await?;
    while !step(reader.as_mut()) {
        yield_to_browser().await;
    }
    Ok(reader)
}

/// Fetches the reader's code (`ui::reading`): false if it never came. Once true, its
/// functions are ready.
async fn reader_code() -> bool {
    fetch_code(super::reading::preload).await
}

/// Fetches a split-off module through one of its loaders (`preload`), tried again twice, a
/// second and two apart, before giving up: false if it never came.
async fn fetch_code<F: std::future::Future<Output = Result<(), SplitLoaderError>>>(preload: impl Fn() -> F) -> bool {
    for wait in [1_000, 2_000, 0] {
        match preload().await {
            Ok(()) => return true,
            Err(_) if wait > 0 => sleep(wait).await,
            Err(_) => {}
        }
    }
    false
}

/// `Store::load`, run by the board's chunk (`ui::board_screen`'s `board` module), so that
/// the reader of the store (the segments' decoders, the opening's sorts) and the board are
/// not part of a first visit's first download, whose first screen is the welcome page
/// (first load 453 → 268 KB gzip). The future is made here, in the chunk, so the code it
/// runs stays in the chunk.
type Loading = std::pin::Pin<Box<dyn std::future::Future<Output = Result<crate::storage::Loaded, StoreError>>>>;

#[allow(improper_ctypes_definitions, improper_ctypes)]
#[leptos::wasm_split::wasm_split(board, wasm_split_path = ::leptos::wasm_split, preload(preload_loader), fallible)]
fn loader(store: Rc<Store>, full: Option<FullReader>) -> Result<Loading, SplitLoaderError> {
    Ok(Box::pin(async move { store.load(full.as_deref()).await }))
}

/// Fetches the board's code (`ui::board_screen`, `loader`): false if it never came. Once
/// true, both are ready on their first poll.
async fn board_code() -> bool {
    fetch_code(preload_loader).await && super::preload_board().await.is_ok()
}

/// Reads the store with the board's chunk's `loader`, whose code is in (`board_code`); a
/// segment the board's reader cannot read (an older build's JSON) has it read again with
/// the whole reader, fetched for it. None if code it needs never came.
async fn load(store: &Rc<Store>) -> Option<Result<crate::storage::Loaded, StoreError>> {
    match loader(store.clone(), None).await.ok()?.await {
        Err(StoreError::NeedsReader) => Some(loader(store.clone(), Some(fetch_full_reader().await?)).await.ok()?.await),
        other => Some(other),
    }
}

/// The reader of whatever any build stored (`reading::full_reader`); None if its code
/// never came.
async fn fetch_full_reader() -> Option<FullReader> {
    match reader_code().await {
        true => super::reading::full_reader().await.ok(),
        false => None,
    }
}

/// The write path: a job planned again if memory moved on, stored, put in memory and
/// announced (`AppState::run_job`), and with it what only that reaches (the encoders of
/// every record, the backup's export, the account linker, the model's update) is split off
/// the first download (`wasm_split`, as the screens are): opening and drawing the board
/// need none of it. Fetched once the board is shown (`AppState::init`), or by the first
/// job. The future is made here, in the chunk, so the code it runs stays in the chunk.
#[allow(improper_ctypes_definitions, improper_ctypes)]
#[leptos::wasm_split::wasm_split(write, wasm_split_path = ::leptos::wasm_split, preload(preload_writer), fallible)]
fn job_runner(app: AppState, job: Job) -> Result<std::pin::Pin<Box<dyn std::future::Future<Output = Result<Outcome, String>>>>, SplitLoaderError> {
    Ok(Box::pin(app.run_job(job)))
}

/// `Workspace::plan`, as a pointer: called by `dispatch` to plan a command at once (so a
/// form shows a refusal as it is sent) once the write path's chunk is in.
type Planner = fn(&Workspace, Command, &mut Ctx) -> Result<Vec<Change>, Rejection>;

thread_local! {
    /// `Workspace::plan`, handed over by the write path's chunk once fetched (`writer_code`).
    static PLANNER: std::cell::Cell<Option<Planner>> = const { std::cell::Cell::new(None) };
}

#[allow(improper_ctypes_definitions, improper_ctypes)]
#[leptos::wasm_split::wasm_split(write, wasm_split_path = ::leptos::wasm_split, fallible)]
fn planner() -> Result<Planner, SplitLoaderError> {
    Ok(Workspace::plan)
}

/// Keeps the undo lists in this browser (`storage::save_history`). Their encoders (every
/// command and record as JSON) travel with the write path: the lists only change with a
/// change, which needs it, or with an undo, which does too.
type HistorySaver = fn(&History);

thread_local! {
    /// `storage::save_history`, handed over with `PLANNER`.
    static HISTORY_SAVER: std::cell::Cell<Option<HistorySaver>> = const { std::cell::Cell::new(None) };
}

#[allow(improper_ctypes_definitions, improper_ctypes)]
#[leptos::wasm_split::wasm_split(write, wasm_split_path = ::leptos::wasm_split, fallible)]
fn history_saver() -> Result<HistorySaver, SplitLoaderError> {
    Ok(crate::storage::save_history)
}

/// Fetches the write path's code (`job_runner`, `planner`, the dialogs): false if it never
/// came (a job then fails, saying why, and changes nothing; the next job tries again).
/// Once true, `job_runner` and the dialogs are ready and `PLANNER` and `HISTORY_SAVER` set.
async fn writer_code() -> bool {
    if !fetch_code(preload_writer).await {
        return false;
    }
    if PLANNER.get().is_none() {
        if let Ok(plan) = planner().await {
            PLANNER.set(Some(plan));
        }
    }
    if HISTORY_SAVER.get().is_none() {
        if let Ok(save) = history_saver().await {
            HISTORY_SAVER.set(Some(save));
        }
    }
    super::preload_dialogs().await.is_ok()
}

/// What to say when a job is dropped because the write path's code never came: a change
/// was not saved; what was stored or posted was not read (as when the reader's code never
/// came). None for a cut, which says nothing when it fails (it is tried on a later open).
fn job_without_code(job: &Job) -> Option<K> {
    match job {
        Job::Compact => None,
        Job::Rest(..) | Job::Posted(_) | Job::Remote { .. } | Job::Reload => Some(K::ReaderMissing),
        Job::Command(..) | Job::Add { .. } | Job::Merge(..) | Job::Replace(_) | Job::Pulled(..) => Some(K::WriterMissing),
    }
}

/// Resumes after `ms` milliseconds (a timer task).
pub async fn sleep(ms: i32) {
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        if let Some(w) = web_sys::window() {
            let _ = w.set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, ms);
        }
    });
    let _ = wasm_bindgen_futures::JsFuture::from(promise).await;
}

pub fn now() -> DateTime<Utc> {
    DateTime::from_timestamp_millis(js_sys::Date::now() as i64).unwrap_or_default()
}

pub fn random_seed() -> u64 {
    let mut buf = [0u8; 8];
    let filled = web_sys::window()
        .and_then(|w| w.crypto().ok())
        .map(|c| c.get_random_values_with_u8_array(&mut buf).is_ok())
        .unwrap_or(false);
    if filled {
        u64::from_le_bytes(buf)
    } else {
        (js_sys::Math::random() * u64::MAX as f64) as u64 ^ js_sys::Date::now() as u64
    }
}

/// Keeps the user's choice of language for the next visit.
pub fn save_lang(lang: Lang) {
    let mut prefs = Prefs::load();
    prefs.lang = Some(lang);
    prefs.save();
}

/// The language the user chose, else the browser's.
pub fn wanted_lang() -> Lang {
    Prefs::load().lang.unwrap_or_else(browser_lang)
}

fn browser_lang() -> Lang {
    let lang = web_sys::window().and_then(|w| w.navigator().language()).unwrap_or_default();
    if lang.to_lowercase().starts_with("zh") {
        Lang::Zh
    } else {
        Lang::En
    }
}

pub fn use_app() -> AppState {
    expect_context::<AppState>()
}

impl AppState {
    pub fn new() -> Self {
        let mut prefs = Prefs::load();
        if prefs.device.is_none() {
            prefs.device = Some(IdGen::new(random_seed()).next_id().to_string());
            prefs.save();
        }
        let base_path = web_sys::window().and_then(|w| w.location().pathname().ok()).unwrap_or_else(|| "/".into());
        let model = RwSignal::new(Model::default());
        // Chinese asked for, but its texts could not be fetched (`ui::mount`): English,
        // saying why (in both languages); the choice stays saved for the next visit. Still
        // on their way: English until they arrive, saying nothing unless they never do.
        let wanted = prefs.lang.unwrap_or_else(browser_lang);
        let zh_missing = wanted == Lang::Zh && !crate::i18n::zh_ready();
        let coming = super::texts::still_coming().filter(|_| zh_missing);
        let app = AppState {
            ws: WorkspaceView(model),
            model,
            lang: RwSignal::new(if zh_missing { Lang::En } else { wanted }),
            pipeline: RwSignal::new(prefs.pipeline.map(Id::from)),
            storage: RwSignal::new(StorageStatus::Opening),
            write_error: RwSignal::new((zh_missing && coming.is_none()).then(|| tr(Lang::En, K::ZhUnavailable).to_string())),
            quarantined: RwSignal::new(Vec::new()),
            whole: RwSignal::new(false),
            saving: RwSignal::new(None),
            dragging: RwSignal::new(None),
            moving: RwSignal::new(None),
            deal_form: RwSignal::new(None),
            logging: RwSignal::new(None),
            write_code: RwSignal::new(WriteCode::Fetching),
            board_code: RwSignal::new(super::Chunks::Loading),
            base_path: StoredValue::new(base_path),
            store: StoredValue::new_local(None),
            rev: StoredValue::new(0),
            legacy_segments: StoredValue::new(false),
            ids: StoredValue::new(IdGen::new(random_seed())),
            clock: StoredValue::new(Hlc::default()),
            queue: StoredValue::new_local(VecDeque::new()),
            channel: StoredValue::new_local(None),
            tab: StoredValue::new(IdGen::new(random_seed()).next_id().to_string()),
            last_commit_ms: StoredValue::new(0.0),
            // The kept lists are put back once the board is shown (`restore_history`).
            history: RwSignal::new(Default::default()),
            history_kept: StoredValue::new(true),
            history_ready: RwSignal::new(false),
            history_unsaved: StoredValue::new(false),
            device: StoredValue::new(prefs.device.clone().unwrap_or_default()),
            draining: StoredValue::new(false),
            sync_on: StoredValue::new(false),
            sync_kick: StoredValue::new_local(None),
        };
        if let Some(coming) = coming {
            wasm_bindgen_futures::spawn_local(async move {
                let arrived = coming.await;
                // Unless English was chosen meanwhile.
                if wanted_lang() != Lang::Zh {
                    return;
                }
                match arrived {
                    true => app.lang.set(Lang::Zh),
                    false => app.write_error.set(Some(tr(Lang::En, K::ZhUnavailable).to_string())),
                }
            });
        }
        app
    }

    /// Translated UI text; reactive on the language.
    pub fn t(&self, k: K) -> &'static str {
        tr(self.lang.get(), k)
    }

    fn lang_now(&self) -> Lang {
        self.lang.get_untracked()
    }

    /// Opens the database and loads the workspace. Without IndexedDB the app still
    /// works, in memory, and says so.
    pub async fn init(self) {
        let on_blocked = move || self.storage.set(StorageStatus::Blocked);
        let on_newer = move || {
            self.store.set_value(None);
            self.storage.set(StorageStatus::Closed);
        };
        // The kept undo lists as text, read before anything this visit saves over them;
        // decoded once the reader's code is in (below).
        let mut history = crate::storage::history_text();
        let mut restoring = false;
        match Store::open(on_blocked, on_newer).await {
            Ok(store) => {
                let read_only = store.read_only;
                let store = Rc::new(store);
                self.store.set_value(Some(store.clone()));
                crate::storage::mark("fs:opened");
                let code_missing = || {
                    self.store.set_value(None);
                    self.storage.set(StorageStatus::CodeMissing);
                    self.history_ready.set(true);
                };
                let loaded = match store.fresh {
                    // A first visit: nothing stored, nothing to read (nor its code to fetch).
                    true => Ok(crate::storage::Loaded::empty()),
                    false if !self.fetch_board().await => return code_missing(),
                    false => match load(&store).await {
                        Some(loaded) => loaded,
                        None => return code_missing(),
                    },
                };
                match loaded {
                    Ok(loaded) => {
                        let cut = (loaded.loose >= crate::io::segments::COMPACT_AT || loaded.legacy > 0 || loaded.crowded) && loaded.quarantined.is_empty();
                        self.legacy_segments.set_value(loaded.legacy > 0);
                        // Cannot fail: the board's part is put in and the rest queued.
                        let _ = self.take_loaded(loaded, true).await;
                        crate::storage::mark("fs:model");
                        self.storage.set(if read_only { StorageStatus::NewerVersion } else { StorageStatus::Saved });
                        self.listen();
                        if cut && !read_only {
                            // After the board is shown: the cut runs in the background.
                            self.enqueue(Job::Compact, None);
                        }
                        if let Some(text) = history.take() {
                            self.restore_history(text);
                            restoring = true;
                        }
                        if !read_only {
                            // Ask once per visit; browsers decide silently (Chromium by engagement).
                            spawn_local(async {
                                let _ = crate::storage::request_persistence().await;
                            });
                        }
                    }
                    Err(e) => {
                        self.store.set_value(None);
                        self.storage.set(StorageStatus::MemoryOnly(self.store_error(&e)));
                        self.whole.set(true);
                    }
                }
            }
            Err(crate::storage::OpenError::Unavailable(e)) => {
                self.storage.set(StorageStatus::MemoryOnly(e));
                self.whole.set(true);
            }
        }
        if !restoring {
            // None kept, or the store could not be read: nothing will come back.
            self.history_ready.set(true);
        }
        self.ensure_pipeline_selected();
        // The write path's code, fetched now that the board is shown, so the first change
        // does not wait for it (a job queued meanwhile fetches it itself).
        spawn_local(async move {
            self.fetch_writer().await;
        });
    }

    /// Memory becomes what was read from the store: all of it at once, or (`board_first`,
    /// opening the app) the board's part, with the rest the first job in the queue, read
    /// while the board is shown.
    async fn take_loaded(&self, mut loaded: crate::storage::Loaded, board_first: bool) -> Result<(), String> {
        let rest = std::mem::take(&mut loaded.rest);
        let mut ws = loaded.workspace;
        let rest = match rest.is_empty() || board_first {
            true => Some(rest).filter(|r| !r.is_empty()),
            false => {
                // Read again after another tab's write: all of it before memory changes, so
                // nothing on screen goes missing meanwhile.
                let rest = rest.arrived().await.map_err(|e| self.store_error(&e))?;
                match read_rest(rest, |r| r.step(&ws, MODEL_SLICE)).await {
                    Ok(reader) => {
                        let (activities, leads, _, bad) = reader.finish();
                        (ws.activities, ws.leads) = (activities, leads);
                        loaded.quarantined.extend(bad);
                        None
                    }
                    // Its code is in the module the load came from, so this is not
                    // expected; memory stays as it was.
                    Err(_) => return Err(tr(self.lang_now(), K::ReaderMissing).into()),
                }
            }
        };
        self.clock.update_value(|c| c.observe(ws.max_seq()));
        let wanted = self.pipeline.get_untracked();
        let shown = self.install(ws, loaded.places, wanted).await;
        self.quarantined.set(loaded.quarantined);
        self.show_pipeline(shown);
        match rest {
            None => {
                // Memory is at the revision read only now: a plan made meanwhile (against
                // what memory held) is planned again.
                self.rev.set_value(loaded.rev);
                self.whole.set(true);
            }
            Some(rest) => {
                // At no stored revision until the rest is in: a command planned meanwhile
                // (its turn comes after) is planned again against the whole workspace.
                self.rev.set_value(u64::MAX);
                self.whole.set(false);
                self.queue.update_value(|q| q.push_front((Job::Rest(rest, loaded.rev), None)));
                self.drain_soon();
            }
        }
        Ok(())
    }

    /// Reads what a load left (`Job::Rest`) a slice at a time against the model's
    /// workspace (unchanged meanwhile: writes wait behind this job), then puts it in.
    async fn take_rest(&self, rest: crate::storage::Later, rev: u64) -> Result<(), String> {
        let rest = rest.arrived().await.map_err(|e| self.store_error(&e))?;
        let reader = read_rest(rest, |r| self.model.with_untracked(|m| r.step(m.workspace(), MODEL_SLICE))).await;
        let (activities, leads, at, bad) = reader.map_err(|_| tr(self.lang_now(), K::ReaderMissing).to_string())?.finish();
        self.model.update(|m| m.complete(activities, leads, at));
        if !bad.is_empty() {
            self.quarantined.update(|q| q.extend(bad));
        }
        self.rev.set_value(rev);
        self.whole.set(true);
        crate::storage::mark("fs:whole");
        Ok(())
    }

    /// Waits until memory holds everything stored (`whole`), for what reads all of it
    /// outside the queue (an export, team sync).
    pub async fn wait_whole(&self) {
        while !self.whole.get_untracked() {
            sleep(20).await;
        }
    }

    /// Memory becomes a whole new workspace: its positions and index are built a slice at a
    /// time, the browser let in between (a load or a replace of 100,000 deals built them in
    /// one task of ≈ 400–650 ms), and put in place at once. Returns the pipeline shown:
    /// `wanted` if it exists, else the first. `places`: where each log record's deal sits,
    /// when the load found them.
    async fn install(&self, ws: Workspace, places: Option<crate::domain::Places>, wanted: Option<Id>) -> Option<Id> {
        let mut b = ModelBuilder::new(ws, places, wanted);
        while !b.step(MODEL_SLICE) {
            yield_to_browser().await;
        }
        self.model.try_update(|m| b.finish(m)).flatten()
    }

    /// Hears what other tabs commit.
    fn listen(&self) {
        let Ok(channel) = web_sys::BroadcastChannel::new(CHANNEL) else { return };
        let this = *self;
        let on_message = Closure::<dyn FnMut(web_sys::MessageEvent)>::new(move |ev: web_sys::MessageEvent| {
            let Some(text) = ev.data().as_string() else { return };
            this.enqueue(Job::Posted(text), None);
        });
        channel.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        // The page lives as long as the app: the listener does too.
        on_message.forget();
        self.channel.set_value(Some(channel));
    }

    /// Puts back the undo lists kept from an earlier visit (their stored text, read at
    /// start) once the reader's code is in: before whatever was done here meanwhile.
    fn restore_history(&self, text: String) {
        let this = *self;
        spawn_local(async move {
            if let Ok(stored) = super::reading::history(text).await {
                if this.history_kept.get_value() {
                    this.history.update(|h| h.restore(stored));
                    this.save_history();
                }
            }
            this.history_ready.set(true);
        });
    }

    /// Keeps the undo lists for a reload, once the write path's code (which has their
    /// encoders) is in; until then, when it comes (`fetch_writer`).
    fn save_history(&self) {
        match HISTORY_SAVER.get() {
            Some(save) => {
                self.history.try_with_untracked(save);
            }
            None => self.history_unsaved.set_value(true),
        }
    }

    fn ensure_pipeline_selected(&self) {
        self.select_pipeline(self.pipeline.get_untracked());
    }

    /// Reads the kept analytics index (tracking its changes). None without a pipeline.
    pub fn with_index<R>(&self, f: impl FnOnce(&Flow) -> R) -> Option<R> {
        self.model.with(|m| m.index().map(f))
    }

    /// The model's activities revision (`Model::activities_rev`), tracked.
    pub fn activities_rev(&self) -> u64 {
        self.model.with(Model::activities_rev)
    }

    /// The index without tracking, for code that already tracks `track_index`.
    pub fn with_index_untracked<R>(&self, f: impl FnOnce(&Flow) -> R) -> Option<R> {
        self.model.with_untracked(|m| m.index().map(f))
    }

    /// Subscribes the running effect to changes of the model (workspace and index).
    pub fn track_index(&self) {
        self.model.track();
    }

    /// Replaces the whole workspace in memory without storing it: benchmark builds only.
    #[cfg(feature = "bench")]
    pub fn replace_workspace(&self, ws: Workspace) {
        let first = ws.pipelines.first().map(|p| p.id.clone());
        let shown = self.model.try_update(|m| {
            m.replace(ws);
            m.select(first)
        });
        self.show_pipeline(shown.flatten());
    }

    pub fn select_pipeline(&self, id: Option<Id>) {
        let shown = self.model.try_update(|m| m.select(id)).flatten();
        self.show_pipeline(shown);
    }

    /// The header's choice follows what the model shows, and is remembered.
    fn show_pipeline(&self, id: Option<Id>) {
        if self.pipeline.get_untracked() != id {
            self.pipeline.set(id.clone());
        }
        let mut prefs = Prefs::load();
        prefs.pipeline = id.map(|i| i.to_string());
        prefs.save();
    }

    pub fn set_lang(&self, lang: Lang) {
        self.lang.set(lang);
        save_lang(lang);
    }

    /// A move the user is about to confirm, remembering where the deal is now.
    pub fn move_intent(&self, deal: Id, to: Id) -> MoveIntent {
        let from = self.ws.with_untracked(|ws| ws.deal(&deal).map(|d| d.stage.clone()));
        MoveIntent { deal, to, from }
    }

    /// A fresh stable id, e.g. for a stage added in the editor.
    pub fn new_id(&self) -> Id {
        let mut ids = self.ids.get_value();
        let id = ids.next_id();
        self.ids.set_value(ids);
        id
    }

    /// Plans a command against memory with `plan` (`Workspace::plan`, from the write
    /// path's chunk: `PLANNER`, or called there).
    fn plan_with(&self, cmd: Command, plan: Planner) -> Result<Vec<Change>, Rejection> {
        let now = now();
        let mut ids = self.ids.get_value();
        let device = self.device.get_value();
        let planned = self.ws.with_untracked(|ws| plan(ws, cmd, &mut Ctx { now, ids: &mut ids, device: &device }));
        self.ids.set_value(ids);
        planned
    }

    /// Why this tab cannot write at all right now, if it cannot.
    fn cannot_write(&self) -> Option<String> {
        match self.storage.get_untracked() {
            StorageStatus::NewerVersion => Some(tr(self.lang_now(), K::StorageNewerVersion).into()),
            StorageStatus::Closed => Some(tr(self.lang_now(), K::StorageClosed).into()),
            StorageStatus::Opening | StorageStatus::Blocked => Some(tr(self.lang_now(), K::StorageNotReady).into()),
            StorageStatus::CodeMissing => Some(tr(self.lang_now(), K::ReaderMissing).into()),
            _ => None,
        }
    }

    /// Plans the command now (so forms can show errors at once) and queues it with that
    /// plan, which is stored if nothing reached memory in between; otherwise it is planned
    /// again when its turn comes, against what is stored then.
    pub fn dispatch(&self, cmd: Command) -> Result<(), Rejection> {
        self.dispatch_as(cmd, UndoTrack::Keep, None)
    }

    /// `dispatch`, and the future it gives resolves once the change is stored and in
    /// memory, or has failed (said in the banner, as for `dispatch`). For a dialog that
    /// closes in the same frame as the change is drawn.
    pub fn dispatch_stored(&self, cmd: Command) -> Result<impl std::future::Future<Output = ()>, Rejection> {
        let (tx, rx) = oneshot::channel();
        self.dispatch_as(cmd, UndoTrack::Keep, Some(tx))?;
        let this = *self;
        Ok(async move {
            if let Ok(Err(msg)) = rx.await {
                this.write_error.set(Some(msg));
            }
        })
    }

    fn dispatch_as(&self, cmd: Command, track: UndoTrack, done: Option<Done>) -> Result<(), Rejection> {
        // Without the write path's code (only in the first moments after opening, or if
        // its fetch failed) the command is planned when its turn comes, after the code is
        // fetched: a refusal is then said in the banner rather than by the form.
        let planned = match PLANNER.get() {
            Some(plan) => Some(self.plan_with(cmd.clone(), plan)?),
            None => None,
        };
        if let Some(why) = self.cannot_write() {
            self.write_error.set(Some(why));
            return Ok(());
        }
        let at = self.rev.get_value();
        self.enqueue(Job::Command(cmd, track, planned.map(|p| (at, p))), done);
        Ok(())
    }

    /// Takes back the newest change on the undo list (`redo`: on the redo list). The entry
    /// leaves its list at once, so pressing again takes back the one before; if the core
    /// refuses it (changed since), the reason is shown and the entry is dropped.
    pub fn undo(&self, redo: bool) {
        let entry = self.history.try_update(|h| if redo { h.redo.pop() } else { h.undo.pop() }).flatten();
        let Some(entry) = entry else { return };
        self.save_history();
        let track = if redo { UndoTrack::Redo } else { UndoTrack::Undo };
        if let Err(r) = self.dispatch_as(Command::Undo(entry), track, None) {
            self.write_error.set(Some(crate::i18n::rejection(self.lang_now(), &r)));
        }
    }

    /// Adds a demo pipeline with its deals and history (`ui::welcome` generates it).
    pub fn add_demo(&self, ws: Workspace) {
        self.enqueue(Job::Add { ws, backup: false }, None);
    }

    /// The whole workspace as the versioned JSON export.
    pub fn export_json(&self) -> String {
        self.ws.with_untracked(|ws| crate::io::export_json(ws, now()))
    }

    /// Backups kept before imports, newest first (none without IndexedDB), listed without
    /// reading the snapshots.
    pub async fn backups(&self) -> Result<Vec<BackupInfo>, String> {
        match self.store.get_value() {
            Some(s) => s.backups().await.map_err(|e| self.store_error(&e)),
            None => Ok(Vec::new()),
        }
    }

    pub async fn delete_backup(&self, id: &str) -> Result<(), String> {
        match self.store.get_value() {
            Some(s) => s.delete_backup(id).await.map_err(|e| self.store_error(&e)),
            None => Ok(()),
        }
    }

    /// Replaces the workspace with a stored backup (after backing up the current one).
    pub async fn restore(&self, id: &str) -> Result<Outcome, String> {
        let Some(store) = self.store.get_value() else { return Ok(Outcome::NothingNew) };
        let lang = self.lang_now();
        let backup = store.backup(id).await.map_err(|e| self.store_error(&e))?;
        let Some(backup) = backup else { return Err(tr(lang, K::BackupMissing).into()) };
        let ws = crate::io::import_json(&backup.json).map_err(|e| crate::i18n::import_error(lang, &e))?;
        self.run(Job::Replace(ws)).await
    }

    /// Replaces the workspace with `ws`, after storing a backup of the current one. On a
    /// failed write nothing changes, in the database or on screen.
    pub async fn replace_with(&self, ws: Workspace) -> Result<Outcome, String> {
        self.run(Job::Replace(ws)).await
    }

    /// Merges another workspace in (after a backup); nothing is written if it brings
    /// nothing new. `merged`: the merge already worked out against memory at a revision.
    pub async fn merge_in(&self, theirs: Workspace, merged: Option<(u64, Workspace)>, merge: Merge) -> Result<Outcome, String> {
        self.run(Job::Merge(theirs, merged, merge)).await
    }

    /// Adds the records of another workspace (new pipelines with their deals) after a
    /// backup, stored in one transaction like any command.
    pub async fn add_records(&self, ws: Workspace) -> Result<Outcome, String> {
        self.run(Job::Add { ws, backup: true }).await
    }

    async fn run(&self, job: Job) -> Result<Outcome, String> {
        if let Some(why) = self.cannot_write() {
            return Err(why);
        }
        let (tx, rx) = oneshot::channel();
        self.enqueue(job, Some(tx));
        rx.await.unwrap_or_else(|_| Err(tr(self.lang_now(), K::WriteFailed).into()))
    }

    fn enqueue(&self, job: Job, done: Option<Done>) {
        self.queue.update_value(|q| q.push_back((job, done)));
        self.drain_soon();
    }

    /// Starts working through the queue unless it is being worked through.
    fn drain_soon(&self) {
        if !self.draining.get_value() {
            self.draining.set_value(true);
            let this = *self;
            spawn_local(async move { this.drain().await });
        }
    }

    /// Fetches the board's code (`board_code`), and sets `board_code` by its outcome.
    pub async fn fetch_board(&self) -> bool {
        let ok = board_code().await;
        self.board_code.set(if ok { super::Chunks::Ready } else { super::Chunks::Failed });
        ok
    }

    /// `writer_code`, and `write_code` set by its outcome.
    pub async fn fetch_writer(&self) -> bool {
        let ok = writer_code().await;
        if ok && self.history_unsaved.try_update_value(std::mem::take) == Some(true) {
            self.save_history();
        }
        let now = if ok { WriteCode::Ready } else { WriteCode::Failed };
        // Set only when it changes: the dialogs are drawn again on every set (an open one
        // would lose its state), and every job passes here.
        if self.write_code.get_untracked() != now {
            self.write_code.set(now);
        }
        ok
    }

    async fn drain(self) {
        while let Some((job, done)) = self.queue.try_update_value(|q| q.pop_front()).flatten() {
            let background = done.is_none();
            // The job's result if the write path's code never comes (the job is dropped).
            let missing = job_without_code(&job).map_or(Ok(Outcome::Stored), |k| Err(tr(self.lang_now(), k).to_string()));
            let result = match self.fetch_writer().await {
                true => match job_runner(self, job).await {
                    Ok(run) => run.await,
                    Err(_) => missing,
                },
                false => missing,
            };
            if let Err(msg) = &result {
                if background {
                    self.write_error.set(Some(msg.clone()));
                }
            }
            if let Some(done) = done {
                let _ = done.send(result);
            }
        }
        self.draining.set_value(false);
    }

    /// A storage failure in the user's words.
    pub fn store_error(&self, e: &StoreError) -> String {
        let lang = self.lang_now();
        match e {
            StoreError::Quota => tr(lang, K::StorageFull).into(),
            StoreError::Closed => tr(lang, K::StorageClosed).into(),
            StoreError::ReadOnly => tr(lang, K::StorageNewerVersion).into(),
            StoreError::Stale => tr(lang, K::ChangeConflicted).into(),
            StoreError::Aborted(why) => fill(tr(lang, K::StorageAborted), &[("why", why.clone())]),
            StoreError::Other(why) => format!("{} ({why})", tr(lang, K::WriteFailed)),
            StoreError::NeedsReader => tr(lang, K::ReaderMissing).into(),
        }
    }

    /// Asks for a cut in the background, done if enough records are stored loose.
    pub fn request_cut(&self) {
        if self.store.get_value().is_some() && self.cannot_write().is_none() {
            self.enqueue(Job::Compact, None);
        }
    }

    /// Cuts what memory holds into segments (`Store::compact`), unless something stored
    /// could not be read (it stays where it is, so memory is not all that is stored). A cut
    /// that fails leaves everything as it was: it is tried again on a later open.
    async fn compact(&self) {
        let Some(store) = self.store.get_value() else { return };
        if self.cannot_write().is_some() || !self.quarantined.with_untracked(|q| q.is_empty()) {
            return;
        }
        let Ok(mut cutter) = super::reading::cutter().await else { return };
        let rev = self.rev.get_value();
        let total = self.ws.with_untracked(|ws| cutter.count(ws));
        let mut next = || self.ws.with_untracked(|ws| cutter.next(ws));
        // Segments an older build stored as JSON are cut again however few records are loose.
        let min_loose = if self.legacy_segments.get_value() { 0 } else { crate::io::segments::COMPACT_AT };
        let settings = self.ws.with_untracked(|ws| ws.settings.clone());
        match store.compact(rev, min_loose, &mut next, total, &settings, &|_, _| {}).await {
            Ok(true) => self.legacy_segments.set_value(false),
            Ok(false) => {}
            Err(e) => web_sys::console::warn_1(&format!("segments not cut: {e:?}").into()),
        }
    }

    /// Reads the store again after another tab changed it.
    async fn reload(&self) -> Result<(), String> {
        let Some(store) = self.store.get_value() else { return Ok(()) };
        let full = super::reading::full_reader().await.map_err(|_| tr(self.lang_now(), K::ReaderMissing).to_string())?;
        let loaded = store.load(Some(&*full)).await.map_err(|e| self.store_error(&e))?;
        self.take_loaded(loaded, false).await
    }

    async fn run_job(self, mut job: Job) -> Result<Outcome, String> {
        let lang = self.lang_now();
        if let Job::Posted(text) = job {
            let posted = super::reading::posted(text).await.map_err(|_| tr(lang, K::ReaderMissing).to_string())?;
            // Not a message of ours, or this tab's own: nothing to do.
            let Some((_, rev, changes)) = posted.filter(|(tab, ..)| *tab != self.tab.get_value()) else {
                return Ok(Outcome::Stored);
            };
            job = match changes {
                Some(changes) => Job::Remote { rev, changes },
                None => Job::Reload,
            };
        }
        match job {
            Job::Posted(_) => return Ok(Outcome::Stored),
            Job::Remote { rev, changes } => {
                let mine = self.rev.get_value();
                if rev == mine + 1 {
                    self.rev.set_value(rev);
                    self.clock.update_value(|c| {
                        changes.iter().for_each(|ch| match ch {
                            Change::AppendEvent(e) => c.observe(e.seq),
                            Change::AppendCategory(x) => c.observe(x.seq),
                            _ => {}
                        })
                    });
                    self.apply_committed(changes, false);
                } else if rev > mine {
                    self.reload().await?;
                }
                // Another tab's changes are marked to send; this tab may be the one syncing.
                self.kick_sync();
                return Ok(Outcome::Stored);
            }
            Job::Reload => {
                self.reload().await?;
                self.kick_sync();
                return Ok(Outcome::Stored);
            }
            Job::Compact => {
                self.compact().await;
                return Ok(Outcome::Stored);
            }
            Job::Rest(rest, rev) => {
                self.take_rest(rest, rev).await?;
                return Ok(Outcome::Stored);
            }
            _ => {}
        }
        if let Some(why) = self.cannot_write() {
            return Err(why);
        }
        // Planned against memory at revision R; stored only if the database is still at R.
        // Another tab may have written first: then reload and plan again (a few times).
        for _ in 0..5 {
            let rev = self.rev.get_value();
            let mut replace = None;
            let mut backup = None;
            let mut changes = match &mut job {
                Job::Command(_, _, Some((at, changes))) if *at == rev => changes.clone(),
                Job::Command(cmd, _, _) => self.plan_with(cmd.clone(), Workspace::plan).map_err(|r| crate::i18n::rejection(lang, &r))?,
                Job::Add { ws, backup: b } => {
                    if *b {
                        backup = Some(self.snapshot());
                    }
                    let ws = ws.clone();
                    // A pipeline already stored keeps its stored definition, plus any stages
                    // the import added; never the importer's (possibly older) copy.
                    let pipelines: Vec<_> = self.ws.with_untracked(|mine| {
                        ws.pipelines
                            .into_iter()
                            .filter_map(|p| match mine.pipeline(&p.id) {
                                Some(current) => current.with_stages_from(&p),
                                None => Some(p),
                            })
                            .collect()
                    });
                    // Imported deals' account and contact text matched to (or made into) records.
                    let mut deals = ws.deals;
                    let (mut accounts, mut contacts) = self.ws.with_untracked(|mine| (mine.accounts.clone(), mine.contacts.clone()));
                    accounts.extend(ws.accounts.iter().cloned());
                    contacts.extend(ws.contacts.iter().cloned());
                    let mut ids = self.ids.get_value();
                    let mut linker = crate::domain::account::Linker::new(&accounts, &contacts);
                    link_sliced(&mut linker, &mut deals, &mut ids, &self.device.get_value()).await;
                    let records = linker.records().collect::<Vec<_>>();
                    self.ids.set_value(ids);
                    let mut c: Vec<Change> = pipelines.into_iter().map(Change::PutPipeline).collect();
                    c.extend(ws.accounts.into_iter().map(Change::PutAccount));
                    c.extend(ws.contacts.into_iter().map(Change::PutContact));
                    c.extend(records);
                    c.extend(deals.into_iter().map(Change::PutDeal));
                    c.extend(ws.events.into_iter().map(Change::AppendEvent));
                    c.extend(ws.category_changes.into_iter().map(Change::AppendCategory));
                    c.extend(ws.activities.into_iter().map(Change::PutActivity));
                    c.extend(ws.owners.into_iter().map(Change::PutOwner));
                    c.extend(ws.leads.into_iter().map(Change::PutLead));
                    c
                }
                Job::Pulled(theirs, merged, merge) => match merged {
                    Some((at, changes)) if *at == rev => changes.clone(),
                    _ => self.ws.with_lookup_untracked(|mine, at| merge(mine, at, theirs)),
                },
                Job::Merge(theirs, merged, merge) => {
                    // Taken, not copied: at another revision it is of no use any more, now or on a retry.
                    let current = merged.take().filter(|(at, _)| *at == rev).map(|(_, ws)| ws);
                    let mut from = self.ws.with_untracked(|mine| merge(mine, theirs, current));
                    // A slice a task: at once, the changes of a merge of 100,000 deals were
                    // one task of 0.3–0.9 s. Memory changes only through this queue.
                    while !self.ws.with_untracked(|mine| from.step(mine, CHANGES_SLICE)) {
                        yield_to_browser().await;
                    }
                    let changes = from.finish();
                    if changes.is_empty() {
                        return Ok(Outcome::NothingNew);
                    }
                    backup = Some(self.snapshot());
                    changes
                }
                Job::Replace(ws) => {
                    backup = Some(self.snapshot());
                    // Taken from the job, not copied (≈ 300 ms at 100,000 deals); put back
                    // below if another tab wrote first and this is tried again.
                    let mut ws = std::mem::take(ws);
                    // The file's deals linked to its own (or new) account and contact records.
                    let mut ids = self.ids.get_value();
                    let (accounts, contacts) = (ws.accounts.clone(), ws.contacts.clone());
                    let mut linker = crate::domain::account::Linker::new(&accounts, &contacts);
                    link_sliced(&mut linker, &mut ws.deals, &mut ids, &self.device.get_value()).await;
                    ws.accounts.extend(linker.created_accounts);
                    ws.contacts.extend(linker.created_contacts);
                    self.ids.set_value(ids);
                    replace = Some(ws);
                    Vec::new()
                }
                Job::Posted(_) | Job::Remote { .. } | Job::Reload | Job::Compact | Job::Rest(..) => return Ok(Outcome::Stored),
            };
            if changes.is_empty() && replace.is_none() {
                return Ok(Outcome::Stored);
            }
            // A replace is stored as the segments the reader's code cuts: fetched before
            // anything shows as saving (a failed fetch stores and changes nothing).
            let mut cutter = match (&replace, self.store.get_value()) {
                (Some(_), Some(_)) => Some(super::reading::cutter().await.map_err(|_| tr(lang, K::ReaderMissing).to_string())?),
                _ => None,
            };
            let now_ms = js_sys::Date::now() as i64;
            self.clock.update_value(|c| stamp(&mut changes, c, now_ms));
            let big = changes.len() + replace.as_ref().map_or(0, |w| w.deals.len() + w.events.len());
            if big > 1_000 {
                self.saving.set(Some((0, big)));
                // Let the "saving" state paint before the long write.
                yield_to_browser().await;
            }
            if let (Some(ws), Some(cutter)) = (&replace, &mut cutter) {
                // The records' order in their segments worked out before the transaction (in
                // it, only the database may be waited on), a slice a task: sorting the ids of
                // 938k activities at once was the write's longest task (≈ 60 ms in wasm).
                while !cutter.prepare(ws, ORDER_SLICE) {
                    yield_to_browser().await;
                }
            }
            let stored = match self.store.get_value() {
                Some(store) => {
                    let mut next;
                    // Many new records (a pipeline imported, a first sync's batch) are stored
                    // as segments of their own rather than one by one.
                    // Found a slice a task: at once it was one task of ≈ 90 ms for a merge
                    // of 10,000 deals. Memory changes only through this queue, which waits
                    // for this job (and the builder starts over if it finds it changed).
                    let fresh = if replace.is_none() && changes.len() >= crate::io::segments::FRESH_AT {
                        let mut b = crate::io::segments::FreshBuilder::new(&changes);
                        while !self.ws.with_lookup_untracked(|ws, at| b.step(ws, at, FRESH_SLICE)) {
                            yield_to_browser().await;
                        }
                        Some(b.finish()).filter(|f| f.loose.len() < changes.len())
                    } else {
                        None
                    };
                    let op = match (&replace, &mut cutter, &fresh) {
                        (Some(ws), Some(cutter), _) => {
                            let total = cutter.count(ws);
                            next = || cutter.next(ws);
                            WriteOp::Replace { ws, next: &mut next, total }
                        }
                        (_, _, Some(fresh)) => WriteOp::Append { changes: &changes, fresh },
                        _ => WriteOp::Changes(&changes),
                    };
                    // `total` counts changes, or segments for a replace: shown as records.
                    let progress = |done: usize, total: usize| {
                        if big > 1_000 && total > 0 {
                            self.saving.set(Some((done * big / total, big)));
                        }
                    };
                    // What came from the server is not sent back to it.
                    let mark = self.sync_on.get_value() && !matches!(job, Job::Pulled(..));
                    let stored = store.write(rev, op, backup.as_ref(), mark, &progress).await;
                    drop_later(fresh);
                    stored
                }
                None => Ok(rev + 1),
            };
            self.saving.set(None);
            match stored {
                Ok(new_rev) => {
                    // A replaced workspace reaches memory a slice at a time (below): memory
                    // is at the new revision only once it is in place, so a command planned
                    // meanwhile, against the old one, is planned again.
                    if replace.is_none() {
                        self.rev.set_value(new_rev);
                    }
                    if !matches!(job, Job::Pulled(..)) {
                        self.kick_sync();
                    }
                    match replace {
                        Some(ws) => {
                            // Everything was replaced: the undo list no longer describes it
                            // (nor do the lists kept from before, if not read yet).
                            self.history_kept.set_value(false);
                            self.history.set(History::default());
                            self.save_history();
                            self.clock.update_value(|c| c.observe(ws.max_seq()));
                            let first = ws.pipelines.first().map(|p| p.id.clone());
                            let shown = self.install(ws, None, first).await;
                            self.rev.set_value(new_rev);
                            self.show_pipeline(shown);
                            self.announce(new_rev, None);
                        }
                        None => {
                            // Not after a batch team sync pulled: a first sync brings
                            // thousands per batch, and cutting the growing workspace after
                            // each made the first sync of 10,000 deals 55 s instead of 46,
                            // with tasks up to 81 ms. The sync asks for one cut once caught up.
                            if changes.len() >= crate::io::segments::COMPACT_AT && !matches!(job, Job::Pulled(..)) {
                                self.enqueue(Job::Compact, None);
                            }
                            let sent = (changes.len() <= BROADCAST_MAX_CHANGES).then(|| changes.clone());
                            // A confirmed move's dialog goes before the board is redrawn:
                            // taking its focused button away from the page as last drawn is
                            // cheap; from a page with the moved card already redrawn the
                            // browser restyled all of it (≈ 3 ms at 10,000 deals, a CPU
                            // profile showed). The dialog moves the focus on once its wait ends.
                            if let Job::Command(Command::MoveDeal { deal, .. }, ..) = &job {
                                if self.moving.with_untracked(|m| m.as_ref().is_some_and(|i| &i.deal == deal)) {
                                    self.moving.set(None);
                                }
                            }
                            if let Job::Command(cmd, track, _) = &job {
                                // Recorded against memory before the changes reach it.
                                self.ws.with_untracked(|ws| self.remember(ws, cmd, *track, &changes));
                            }
                            if changes.len() >= SLICED_APPLY_AT {
                                self.apply_sliced(changes).await;
                            } else {
                                self.apply_committed(changes, true);
                            }
                            self.announce(new_rev, sent);
                        }
                    }
                    drop_later((job, backup));
                    return Ok(Outcome::Stored);
                }
                Err(StoreError::Stale) => {
                    if let (Job::Replace(slot), Some(ws)) = (&mut job, replace) {
                        *slot = ws;
                    }
                    self.reload().await?
                }
                Err(e) => return Err(self.store_error(&e)),
            }
        }
        Err(tr(lang, K::ChangeConflicted).into())
    }

    /// Stores what team sync pulled, merged against what is stored when its turn comes
    /// (`changes`: the merge into memory at revision `merged_at`, kept if still current).
    pub async fn store_pulled(&self, theirs: Workspace, changes: Vec<Change>, merged_at: u64, merge: PulledMerge) -> Result<Outcome, String> {
        self.run(Job::Pulled(theirs, Some((merged_at, changes)), merge)).await
    }

    /// The revision memory is at (a merge computed against memory names it).
    pub fn memory_rev(&self) -> u64 {
        self.rev.get_value()
    }

    /// The database, for team sync's own state.
    pub fn store_handle(&self) -> Option<Rc<Store>> {
        self.store.get_value()
    }

    /// Waits until a change is stored here (the push loop sleeps on it).
    pub fn next_local_change(&self) -> futures_channel::oneshot::Receiver<()> {
        let (tx, rx) = futures_channel::oneshot::channel();
        self.sync_kick.set_value(Some(tx));
        rx
    }

    /// Wakes the push (a change is stored, or a pull merged edits made here).
    pub fn kick_sync(&self) {
        if let Some(tx) = self.sync_kick.try_update_value(Option::take).flatten() {
            let _ = tx.send(());
        }
    }

    /// Puts what a stored command did on the undo (or redo) list.
    fn remember(&self, ws: &Workspace, cmd: &Command, track: UndoTrack, changes: &[Change]) {
        let (what, of) = match (track, cmd) {
            (UndoTrack::Keep, c) => match undo::what_of(c) {
                Some(w) => (w, None),
                None => return,
            },
            (UndoTrack::Undo, Command::Undo(e)) => (undo::What::Undo, Some(e.clone())),
            (UndoTrack::Redo, Command::Undo(e)) => (undo::What::Redo, Some(e.clone())),
            _ => return,
        };
        let Some(entry) = undo::Entry::record(ws, what, changes) else { return };
        self.history.update(|h| match of {
            None => h.push(entry),
            Some(of) => h.took_back(&of, entry, track == UndoTrack::Redo),
        });
        // Kept for a reload in a task of its own, after the change is drawn: the list
        // (up to `undo::KEEP` entries with their deals) is written whole each time. It
        // writes the list as it is when it runs.
        let this = *self;
        set_timeout(move || this.save_history(), std::time::Duration::ZERO);
    }

    /// A backup of what memory (verified current by the write's revision check) holds.
    fn snapshot(&self) -> Backup {
        Backup {
            id: self.new_id().to_string(),
            created_at: now(),
            deals: self.ws.with_untracked(|w| w.deals.len()),
            json: self.export_json(),
        }
    }

    fn announce(&self, rev: u64, changes: Option<Vec<Change>>) {
        let msg = Broadcast { tab: self.tab.get_value(), rev, changes };
        let Ok(text) = serde_json::to_string(&msg) else { return };
        self.channel.with_value(|c| {
            if let Some(c) = c {
                let _ = c.post_message(&JsValue::from_str(&text));
            }
        });
    }

    /// When memory last took a write (`last_commit_ms`).
    fn stamp_commit(&self) {
        let at = web_sys::window().and_then(|w| w.performance()).map(|p| p.now()).unwrap_or(0.0);
        self.last_commit_ms.set_value(at);
    }

    /// `apply_committed` for a long list (a big merge), a slice a task (`SlicedApply`):
    /// the page is told once, when the model is whole again. Memory changes only through
    /// the job queue, which waits for this job.
    async fn apply_sliced(&self, changes: Vec<Change>) {
        // Still shown as saving until then: the page shows the workspace from before.
        let n = changes.len();
        self.saving.set(Some((n, n)));
        let mut a = SlicedApply::new(changes, true);
        while !self.model.try_update_untracked(|m| a.step(m, APPLY_SLICE)).unwrap_or(true) {
            yield_to_browser().await;
        }
        self.stamp_commit();
        self.saving.set(None);
        self.model.notify();
        if let Some(shown) = a.shown().cloned() {
            self.show_pipeline(Some(shown));
        }
    }

    /// The one place memory changes after a write: the model applies the changes to the
    /// workspace and the analytics index together.
    /// `own`: this tab made the change (a new pipeline it created is then shown).
    fn apply_committed(&self, changes: Vec<Change>, own: bool) {
        self.stamp_commit();
        if let Some(shown) = self.model.try_update(|m| m.apply(changes, own)).flatten() {
            self.show_pipeline(Some(shown));
        }
    }
}
