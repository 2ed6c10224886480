//! The one state context. Components read signals from here and send intents through
//! `dispatch`; only this file talks to `storage`.
//!
//! Writes are serialised through a queue: each command is planned against the latest
//! committed workspace, persisted, and only then committed to the signal, so the screen
//! never shows something the database does not have.

use crate::analytics::Flow;
use crate::domain::{demo, Change, Command, Ctx, Id, IdGen, Lang, Rejection, Workspace};
use crate::i18n::{tr, K};
use crate::storage::{Prefs, Store};
use chrono::{DateTime, Utc};
use leptos::prelude::*;
use leptos::task::spawn_local;
use std::collections::VecDeque;
use std::rc::Rc;

#[derive(Clone, Debug, PartialEq)]
pub enum StorageStatus {
    Opening,
    Saved,
    /// IndexedDB could not be opened or read; the reason is shown to the user.
    MemoryOnly(String),
}

#[derive(Clone, Debug, PartialEq)]
pub struct MoveIntent {
    pub deal: Id,
    pub to: Id,
}

#[derive(Clone, Debug, PartialEq)]
pub enum DealFormMode {
    New { stage: Option<Id> },
    Edit(Id),
}

enum Job {
    Command(Command),
    Bulk(Vec<Change>),
}

#[derive(Clone, Copy)]
pub struct AppState {
    pub ws: RwSignal<Workspace>,
    pub lang: RwSignal<Lang>,
    pub pipeline: RwSignal<Option<Id>>,
    pub storage: RwSignal<StorageStatus>,
    /// A write that failed; shown until dismissed.
    pub write_error: RwSignal<Option<String>>,
    pub dragging: RwSignal<Option<Id>>,
    pub moving: RwSignal<Option<MoveIntent>>,
    pub deal_form: RwSignal<Option<DealFormMode>>,
    /// The page's own path, so links work when the app is served under a sub-path.
    pub base_path: StoredValue<String>,
    /// The analytics index of the selected pipeline, kept current change by change;
    /// `index_rev` changes whenever it does (StoredValue itself is not reactive).
    index: StoredValue<Option<Flow>>,
    pub index_rev: RwSignal<u64>,
    store: StoredValue<Option<Rc<Store>>, LocalStorage>,
    ids: StoredValue<IdGen>,
    queue: StoredValue<VecDeque<Job>>,
    /// performance.now() when the last stored change was applied to memory (for the e2e
    /// harness's recompute-and-render timing).
    pub last_commit_ms: StoredValue<f64>,
    /// This browser's device id (kept in preferences), stamped on the records it edits.
    device: StoredValue<String>,
    draining: StoredValue<bool>,
}

/// Lets the browser paint and handle input before long work continues (a macrotask).
pub async fn yield_to_browser() {
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        if let Some(w) = web_sys::window() {
            let _ = w.set_timeout_with_callback(&resolve);
        }
    });
    let _ = wasm_bindgen_futures::JsFuture::from(promise).await;
}

pub fn now() -> DateTime<Utc> {
    DateTime::from_timestamp_millis(js_sys::Date::now() as i64).unwrap_or_default()
}

fn random_seed() -> u64 {
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
            prefs.device = Some(IdGen::new(random_seed()).next_id().0);
            prefs.save();
        }
        let base_path = web_sys::window().and_then(|w| w.location().pathname().ok()).unwrap_or_else(|| "/".into());
        AppState {
            ws: RwSignal::new(Workspace::default()),
            lang: RwSignal::new(prefs.lang.unwrap_or_else(browser_lang)),
            pipeline: RwSignal::new(prefs.pipeline.map(Id)),
            storage: RwSignal::new(StorageStatus::Opening),
            write_error: RwSignal::new(None),
            dragging: RwSignal::new(None),
            moving: RwSignal::new(None),
            deal_form: RwSignal::new(None),
            base_path: StoredValue::new(base_path),
            index: StoredValue::new(None),
            index_rev: RwSignal::new(0),
            store: StoredValue::new_local(None),
            ids: StoredValue::new(IdGen::new(random_seed())),
            queue: StoredValue::new(VecDeque::new()),
            last_commit_ms: StoredValue::new(0.0),
            device: StoredValue::new(prefs.device.clone().unwrap_or_default()),
            draining: StoredValue::new(false),
        }
    }

    /// Translated UI text; reactive on the language.
    pub fn t(&self, k: K) -> &'static str {
        tr(self.lang.get(), k)
    }

    /// Opens the database and loads the workspace. Without IndexedDB the app still
    /// works, in memory, and says so.
    pub async fn init(self) {
        match Store::open().await {
            Ok(store) => match store.load().await {
                Ok(ws) => {
                    self.store.set_value(Some(Rc::new(store)));
                    self.ws.set(ws);
                    self.storage.set(StorageStatus::Saved);
                }
                Err(e) => self.storage.set(StorageStatus::MemoryOnly(e)),
            },
            Err(e) => self.storage.set(StorageStatus::MemoryOnly(e)),
        }
        self.ensure_pipeline_selected();
    }

    fn ensure_pipeline_selected(&self) {
        let valid = self.ws.with_untracked(|ws| {
            let cur = self.pipeline.get_untracked();
            match cur {
                Some(id) if ws.pipeline(&id).is_some() => Some(id),
                _ => ws.pipelines.first().map(|p| p.id.clone()),
            }
        });
        self.select_pipeline(valid);
    }

    /// Reads the kept analytics index (tracking its changes). None without a pipeline.
    pub fn with_index<R>(&self, f: impl FnOnce(&Flow) -> R) -> Option<R> {
        self.index_rev.track();
        self.index.with_value(|i| i.as_ref().map(f))
    }

    /// The index without tracking, for code that already tracks `index_rev`.
    pub fn with_index_untracked<R>(&self, f: impl FnOnce(&Flow) -> R) -> Option<R> {
        self.index.with_value(|i| i.as_ref().map(f))
    }

    fn rebuild_index(&self) {
        let pid = self.pipeline.get_untracked();
        let flow = self.ws.with_untracked(|ws| pid.and_then(|id| ws.pipeline(&id)).map(|p| Flow::build(ws, p)));
        self.index.set_value(flow);
        self.index_rev.update(|r| *r += 1);
    }

    /// Replaces the whole workspace in memory (after storing it, or for benchmarks).
    pub fn replace_workspace(&self, ws: Workspace) {
        let first = ws.pipelines.first().map(|p| p.id.clone());
        self.ws.set(ws);
        self.select_pipeline(first);
    }

    pub fn select_pipeline(&self, id: Option<Id>) {
        self.pipeline.set(id.clone());
        self.rebuild_index();
        let mut prefs = Prefs::load();
        prefs.pipeline = id.map(|i| i.0);
        prefs.save();
    }

    pub fn set_lang(&self, lang: Lang) {
        self.lang.set(lang);
        let mut prefs = Prefs::load();
        prefs.lang = Some(lang);
        prefs.save();
    }

    /// A fresh stable id, e.g. for a stage added in the editor.
    pub fn new_id(&self) -> Id {
        let mut ids = self.ids.get_value();
        let id = ids.next_id();
        self.ids.set_value(ids);
        id
    }

    fn plan(&self, cmd: Command) -> Result<Vec<Change>, Rejection> {
        let now = now();
        let mut ids = self.ids.get_value();
        let device = self.device.get_value();
        let planned = self.ws.with_untracked(|ws| ws.plan(cmd, &mut Ctx { now, ids: &mut ids, device: &device }));
        self.ids.set_value(ids);
        planned
    }

    /// Checks the command now (so forms can show errors at once) and queues it.
    pub fn dispatch(&self, cmd: Command) -> Result<(), Rejection> {
        self.plan(cmd.clone())?;
        self.enqueue(Job::Command(cmd));
        Ok(())
    }

    /// Adds a freshly generated demo pipeline with its deals and history.
    pub fn load_demo(&self) {
        self.add_records(demo::generate(300, demo::DEMO_SEED, random_seed(), now(), self.lang.get_untracked()));
    }

    /// The whole workspace as the versioned JSON export.
    pub fn export_json(&self) -> String {
        self.ws.with_untracked(|ws| crate::io::export_json(ws, now()))
    }

    /// Backups kept before replacing imports, newest first (none without IndexedDB).
    pub async fn backups(&self) -> Result<Vec<crate::storage::Backup>, String> {
        match self.store.get_value() {
            Some(s) => s.backups().await,
            None => Ok(Vec::new()),
        }
    }

    /// Replaces the workspace with `ws`, after storing a backup of the current one. On a
    /// failed write nothing changes, in the database or on screen.
    pub async fn replace_with(&self, ws: Workspace) -> Result<(), String> {
        let backup = crate::storage::Backup {
            id: self.new_id().0,
            created_at: now(),
            deals: self.ws.with_untracked(|w| w.deals.len()),
            json: self.export_json(),
        };
        if let Some(store) = self.store.get_value() {
            store.replace_all(&ws, &backup).await?;
        }
        self.replace_workspace(ws);
        Ok(())
    }

    /// Adds the records of another workspace (new pipelines with their deals), stored in
    /// one transaction like any command.
    pub fn add_records(&self, ws: Workspace) {
        let mut changes: Vec<Change> = ws.pipelines.into_iter().map(Change::PutPipeline).collect();
        changes.extend(ws.deals.into_iter().map(Change::PutDeal));
        changes.extend(ws.events.into_iter().map(Change::AppendEvent));
        changes.extend(ws.category_changes.into_iter().map(Change::AppendCategory));
        self.enqueue(Job::Bulk(changes));
    }

    fn enqueue(&self, job: Job) {
        self.queue.update_value(|q| q.push_back(job));
        if !self.draining.get_value() {
            self.draining.set_value(true);
            let this = *self;
            spawn_local(async move { this.drain().await });
        }
    }

    async fn drain(self) {
        while let Some(job) = self.queue.try_update_value(|q| q.pop_front()).flatten() {
            let changes = match job {
                Job::Bulk(c) => c,
                Job::Command(cmd) => match self.plan(cmd) {
                    Ok(c) => c,
                    Err(_) => {
                        // Valid when queued, refused now: an earlier queued change conflicts.
                        self.write_error.set(Some(tr(self.lang.get_untracked(), K::ChangeConflicted).into()));
                        continue;
                    }
                },
            };
            let store = self.store.get_value();
            let stored = match store {
                Some(s) => s.apply(&changes).await,
                None => Ok(()),
            };
            match stored {
                Ok(()) => {
                    let new_pipeline = changes.iter().find_map(|c| match c {
                        Change::PutPipeline(p) if self.ws.with_untracked(|ws| ws.pipeline(&p.id).is_none()) => {
                            Some(p.id.clone())
                        }
                        _ => None,
                    });
                    let at = web_sys::window().and_then(|w| w.performance()).map(|p| p.now()).unwrap_or(0.0);
                    self.last_commit_ms.set_value(at);
                    let kept = self.index.try_update_value(|i| match i {
                        Some(flow) => changes.iter().fold(true, |ok, c| flow.apply(c) && ok),
                        None => false,
                    });
                    self.ws.update(|ws| ws.commit(changes));
                    if new_pipeline.is_some() {
                        self.select_pipeline(new_pipeline);
                    } else if kept == Some(true) {
                        self.index_rev.update(|r| *r += 1);
                    } else {
                        self.rebuild_index();
                    }
                }
                Err(e) => {
                    let msg = format!("{} ({e})", tr(self.lang.get_untracked(), K::WriteFailed));
                    self.write_error.set(Some(msg));
                }
            }
        }
        self.draining.set_value(false);
    }
}
