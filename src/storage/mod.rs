//! The only place that talks to browser storage.
//!
//! IndexedDB is the store of record. Most records live in segments (`io::segments`: a few
//! thousand records of one kind in the compact encoding, `io::compact`), cut from the whole
//! workspace by an import that replaces it and again once enough changes have piled up; a
//! change is stored loose, one record in its kind's object store keyed by stable id (in the
//! same encoding, `loose_value`), and laid over the segments when the workspace is read.
//! The database version *is* the schema version and every version bump is one entry in
//! `MIGRATIONS`, applied in order from whatever version a browser already has.
//! localStorage (gloo-storage) only holds small preferences.
//!
//! Every change goes through `Store::write`, which checks inside its own read-write
//! transaction that the database is still at the revision the tab's memory reflects
//! (a counter in the `meta` store, bumped by every write). If another tab wrote first, the
//! transaction is abandoned and the caller reloads and re-plans: nothing is ever planned
//! against a stale copy. A cut (`Store::compact`) makes the same check and stores what
//! memory holds in new segments; it changes no content, so the revision stays.

mod prefs;

pub use crate::io::segments::{Dangling, Quarantined};
pub use prefs::{history_text, read_history, save_history, Prefs, SyncSettings};

use crate::domain::{Account, Activity, CategoryChange, Change, Contact, Lead, Opportunity, Owner, Pipeline, Settings, StageChange, Workspace};
use crate::io::segments::{self, Kind};
use idb::{Database, DatabaseEvent, Factory, KeyPath, ObjectStoreParams, TransactionMode, TransactionResult};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::future::IntoFuture;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

const DB_NAME: &str = "funnelscope";
const PIPELINES: &str = "pipelines";
const DEALS: &str = "deals";
const EVENTS: &str = "events";
const CATEGORY_CHANGES: &str = "category_changes";
const ACTIVITIES: &str = "activities";
const OWNERS: &str = "owners";
const LEADS: &str = "leads";
const SETTINGS: &str = "settings";
const ACCOUNTS: &str = "accounts";
const CONTACTS: &str = "contacts";
/// The one record of the settings store.
const SETTINGS_KEY: &str = "settings";
const BACKUPS: &str = "backups";
const META: &str = "meta";
/// Segments: `{id: "<kind's store>/<n>", data: <the records in `io::compact`'s encoding, a
/// Uint8Array>}` (as a v7 build left them: `json`, a JSON array's UTF-8 bytes).
const SEGMENTS: &str = "segments";
/// A segment record's field holding its bytes (`io::compact`); an older build's JSON
/// segments hold theirs in `json`.
const SEGMENT_DATA: &str = "data";
/// Ids deleted from the log since the last cut (a purged deal's history), which may still
/// sit in a segment: `{id: "<store>/<record id>"}`.
const REMOVED: &str = "removed";
const ALL_STORES: [&str; 10] = [PIPELINES, DEALS, EVENTS, CATEGORY_CHANGES, ACTIVITIES, OWNERS, LEADS, SETTINGS, ACCOUNTS, CONTACTS];
const WRITE_STORES: [&str; 14] =
    [PIPELINES, DEALS, EVENTS, CATEGORY_CHANGES, ACTIVITIES, OWNERS, LEADS, SETTINGS, ACCOUNTS, CONTACTS, BACKUPS, META, SEGMENTS, REMOVED];
/// The stores of loose records a cut folds into segments (settings stays loose).
const LOOSE_STORES: [&str; 9] = [PIPELINES, DEALS, EVENTS, CATEGORY_CHANGES, ACTIVITIES, OWNERS, LEADS, ACCOUNTS, CONTACTS];
/// Keys in the `meta` store.
const REV: &str = "rev";
const BACKUP_LIST: &str = "backup_list";
/// Team sync: the documents changed here and not yet on the server (`SyncMarks`), written in
/// the same transaction as the changes; and the sync's own state (checkpoint, revisions),
/// written by the sync alone.
const SYNC_MARKS: &str = "sync_marks";
const SYNC_STATE: &str = "sync_state";
/// The sync's settings (`SyncSettings` as JSON text). In the database, not localStorage:
/// a tab that takes the sync over from another must read what that tab last decided (sync
/// turned off, another server), and only a transaction committed before the other tab let
/// go of the sync lock is sure to be seen; localStorage reaches other tabs in its own time.
const SYNC_SETTINGS: &str = "sync_settings";
/// The server's revision of one document: `syncrev:<document id>` → [id, revision].
const SYNC_REV: &str = "syncrev:";

/// Every `syncrev:` key.
fn sync_revs() -> Result<idb::KeyRange, StoreError> {
    let upper = format!("{SYNC_REV}\u{10ffff}");
    idb::KeyRange::bound(&JsValue::from_str(SYNC_REV), &JsValue::from_str(&upper), None, None).map_err(classify)
}

/// Documents to push: id → the database revision of the write that last changed it, and
/// whether that change removed it. Unmarked only if unchanged since it was sent, so an edit
/// made while a push is under way is not lost.
pub type SyncMarks = std::collections::BTreeMap<String, (u64, bool)>;
/// Backups kept before a replace; older ones are dropped.
pub const KEEP_BACKUPS: usize = 10;

type Migration = fn(&Database) -> Result<(), idb::Error>;

/// Ordered schema migrations. Entry i upgrades version i to version i + 1.
const MIGRATIONS: &[Migration] =
    &[migrate_v0_to_v1, migrate_v1_to_v2, migrate_v2_to_v3, migrate_v3_to_v4, migrate_v4_to_v5, migrate_v5_to_v6, migrate_v6_to_v7, migrate_v7_to_v8, migrate_v8_to_v9, migrate_v9_to_v10];

pub const SCHEMA_VERSION: u32 = MIGRATIONS.len() as u32;

fn store_keyed_by_id(db: &Database, name: &str) -> Result<(), idb::Error> {
    let mut params = ObjectStoreParams::new();
    params.key_path(Some(KeyPath::new_single("id")));
    db.create_object_store(name, params).map(|_| ())
}

fn migrate_v0_to_v1(db: &Database) -> Result<(), idb::Error> {
    [PIPELINES, DEALS, EVENTS].into_iter().try_for_each(|name| store_keyed_by_id(db, name))
}

/// v2: forecast-category calls get their own append-only log.
fn migrate_v1_to_v2(db: &Database) -> Result<(), idb::Error> {
    store_keyed_by_id(db, CATEGORY_CHANGES)
}

/// v3: snapshots of the workspace taken before a destructive import.
fn migrate_v2_to_v3(db: &Database) -> Result<(), idb::Error> {
    store_keyed_by_id(db, BACKUPS)
}

/// v4: a `meta` store (out-of-line keys) for the write revision that keeps tabs in step
/// and for the list of backups (so listing them does not read them). Older events carry
/// no clock stamp: they keep the order (time, id) they have always been read in.
fn migrate_v3_to_v4(db: &Database) -> Result<(), idb::Error> {
    db.create_object_store(META, ObjectStoreParams::new()).map(|_| ())
}

/// v5: activities (calls, meetings, emails, notes, tasks), owners, leads, accounts and
/// contacts, keyed by id and editable (written with `put`); settings as one record with
/// an out-of-line key.
fn migrate_v4_to_v5(db: &Database) -> Result<(), idb::Error> {
    [ACTIVITIES, OWNERS, LEADS, ACCOUNTS, CONTACTS].into_iter().try_for_each(|name| store_keyed_by_id(db, name))?;
    db.create_object_store(SETTINGS, ObjectStoreParams::new()).map(|_| ())
}

/// v6: no new store. Records now carry fields an older build would misread (a trashed
/// deal's `deleted_at`, rates in the settings): the version goes up so that an older build
/// still open in another tab, or cached by the service worker, finds the database newer and
/// stays read-only instead of writing over them.
fn migrate_v5_to_v6(_db: &Database) -> Result<(), idb::Error> {
    Ok(())
}

/// v7: segments, and the ids removed since the last cut. The records already stored stay
/// where they are, read as loose records (nothing is lost if the upgrade is interrupted);
/// the first open with enough of them cuts them into segments (`Store::compact`).
fn migrate_v6_to_v7(db: &Database) -> Result<(), idb::Error> {
    store_keyed_by_id(db, SEGMENTS)?;
    store_keyed_by_id(db, REMOVED)
}

/// v8: no new store. Segments are now written in the compact encoding (`io::compact`),
/// under `data`; a v7 build reads only JSON under `json`, and would take every record
/// for unreadable: the version goes up so that such a build, still open or cached, finds the
/// database newer and stays read-only. The JSON segments v7 left are read as they are and
/// cut again, compact, in the background of the first open (`Loaded::legacy`).
fn migrate_v7_to_v8(_db: &Database) -> Result<(), idb::Error> {
    Ok(())
}

/// v9: no new store. Loose records (and the settings record) are now stored as `{id,
/// data}`, the record in the compact encoding (`loose_value`), not as JS objects; a v8 build
/// would take each for unreadable, and its next cut would leave them out: the version goes
/// up so that such a build finds the database newer and stays read-only. The JS objects
/// v8 left are read as they are (by the reader fetched after the board, `FullRead`) and
/// cut into segments in the background of the first open (`Loaded::legacy`).
fn migrate_v8_to_v9(_db: &Database) -> Result<(), idb::Error> {
    Ok(())
}

/// v10: no new store. A time with a fraction of a second (every one the clock stamps) is
/// now written in the compact encoding as nanoseconds (`TIME_NS`), not as its text; a v9
/// build would take such a record for unreadable: the version goes up so that such a build
/// finds the database newer and stays read-only. The texts v9 wrote are read as they are,
/// and written the new way when their segment is next cut.
fn migrate_v9_to_v10(_db: &Database) -> Result<(), idb::Error> {
    Ok(())
}

/// A snapshot of the whole workspace as export JSON.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Backup {
    pub id: String,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub deals: usize,
    pub json: String,
}

/// What the backup list shows, kept apart from the (large) snapshot itself.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BackupInfo {
    pub id: String,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub deals: usize,
    #[serde(default)]
    pub bytes: usize,
}

impl Backup {
    fn info(&self) -> BackupInfo {
        BackupInfo { id: self.id.clone(), created_at: self.created_at, deals: self.deals, bytes: self.json.len() }
    }
}

/// Why storage failed, in terms the UI can translate.
#[derive(Clone, Debug, PartialEq)]
pub enum StoreError {
    /// Another tab wrote since this tab last read: reload and re-plan.
    Stale,
    /// The browser's storage quota is used up.
    Quota,
    /// A newer version of the app opened the database in another tab; this tab let go.
    Closed,
    /// The database was written by a newer version of the app: read-only here.
    ReadOnly,
    /// The browser aborted the transaction for another reason.
    Aborted(String),
    Other(String),
    /// A segment or loose record the first download cannot read (stored as JSON or as a JS
    /// object by an older build, or of a kind it does not know): load again with the whole
    /// reader (`Store::load`'s `full`).
    NeedsReader,
}

fn classify(e: impl std::fmt::Display) -> StoreError {
    let text = e.to_string();
    if text.contains("QuotaExceeded") {
        StoreError::Quota
    } else if text.contains("InvalidStateError") || text.contains("connection is closing") {
        StoreError::Closed
    } else {
        StoreError::Other(text)
    }
}

/// Why the database could not be opened.
#[derive(Clone, Debug, PartialEq)]
pub enum OpenError {
    /// No IndexedDB (some private modes) or it refused to open.
    Unavailable(String),
}

pub struct Loaded {
    pub workspace: Workspace,
    /// Where each log record's deal sits in `workspace`, as checking it found them (for the
    /// analytics index).
    pub places: Option<crate::domain::Places>,
    pub rev: u64,
    pub quarantined: Vec<Quarantined>,
    /// Loose records and removed ids read: from `COMPACT_AT` on, worth a cut.
    pub loose: usize,
    /// Segments stored as JSON and loose records stored as JS objects by an older build:
    /// any is worth a cut (the compact encoding is a quarter of the bytes to read on every
    /// open, and either needs the whole reader before the board can be shown).
    pub legacy: usize,
    /// Many more segments than a cut would make (`segments::crowded`): worth a cut.
    pub crowded: bool,
    /// What the board does not need, read (`segments::RestReader`, after `decode_later`)
    /// once it is shown: `workspace` lacks it until then.
    pub rest: Later,
}

impl Loaded {
    /// What loading a database made by this visit's open (`Store::fresh`) would find.
    pub fn empty() -> Self {
        Loaded { workspace: Workspace::default(), places: None, rev: 0, quarantined: Vec::new(), loose: 0, legacy: 0, crowded: false, rest: Later::default() }
    }
}

/// What a load leaves for after the board is shown: the segments of the kinds in
/// `segments::LATER` as stored (still arriving when the load returns: `arrived`), and
/// their loose records as read, not yet decoded, so that their decoders are not part of the
/// first download (`ui::reading`).
#[derive(Default)]
pub struct Later {
    pub rest: segments::Rest,
    pub activities: Vec<JsValue>,
    pub leads: Vec<JsValue>,
    /// Their segments, still being read when the load returned (`arrived` waits for them).
    arriving: Option<Arriving>,
}

/// The segments of the kinds in `LATER` (key, bytes), or why they could not be read. (Not
/// counted in `Loaded::legacy`: a cut rewrites every kind in one transaction, so they are
/// JSON only if the board's are too.)
type Arriving = futures_channel::oneshot::Receiver<Result<Vec<(String, Vec<u8>)>, StoreError>>;

impl Later {
    pub fn is_empty(&self) -> bool {
        self.rest.is_empty() && self.activities.is_empty() && self.leads.is_empty() && self.arriving.is_none()
    }

    /// Once every segment is in: waits for those still arriving.
    pub async fn arrived(mut self) -> Result<Later, StoreError> {
        if let Some(arriving) = self.arriving.take() {
            // A reader dropped without answering: the page is going away.
            let segments = arriving.await.unwrap_or_else(|_| Err(StoreError::Closed))?;
            self.rest.segments.extend(segments);
        }
        Ok(self)
    }
}

/// The next `READ_BATCH` segments of `span` after the key `after` (from its start: None).
fn segment_batch(store: Option<&idb::ObjectStore>, span: &segments::KeySpan, after: Option<&JsValue>) -> Result<Option<idb::request::GetAllStoreRequest>, StoreError> {
    let Some(store) = store else { return Ok(None) };
    let lower = match after {
        Some(key) => Some((key.clone(), true)),
        None => span.from.map(|f| (JsValue::from_str(f), false)),
    };
    let upper = span.to.map(JsValue::from_str);
    let range = match (lower, upper) {
        (Some((l, open)), Some(u)) => Some(idb::KeyRange::bound(&l, &u, Some(open), Some(true))),
        (Some((l, open)), None) => Some(idb::KeyRange::lower_bound(&l, Some(open))),
        (None, Some(u)) => Some(idb::KeyRange::upper_bound(&u, Some(true))),
        (None, None) => None,
    };
    let query = range.transpose().map_err(classify)?.map(idb::Query::KeyRange);
    store.get_all(query, Some(READ_BATCH as u32)).map(Some).map_err(classify)
}

/// The request after `batch`, which came from `spans[*at]`: that span's next batch if this
/// one was full (the last key read, the value's `id`, the store's key path, as stored:
/// whatever it holds is a key, so the next batch starts right after it), else the next
/// span's first (`at` moves to it); None after the last span.
fn next_batch(store: Option<&idb::ObjectStore>, spans: &[segments::KeySpan], at: &mut usize, batch: &[JsValue]) -> Result<Option<idb::request::GetAllStoreRequest>, StoreError> {
    if let Some(last) = batch.last().filter(|_| batch.len() == READ_BATCH) {
        let after = js_sys::Reflect::get(last, &JsValue::from_str("id")).unwrap_or(JsValue::UNDEFINED);
        return segment_batch(store, &spans[*at], Some(&after));
    }
    match spans.get(*at + 1) {
        Some(span) => {
            *at += 1;
            segment_batch(store, span, None)
        }
        None => Ok(None),
    }
}

/// A stored segment's bytes: `data`, compact; `json`, as an older build stored it.
fn segment_bytes(v: &JsValue) -> Option<js_sys::Uint8Array> {
    let field = |name: &str| js_sys::Reflect::get(v, &JsValue::from_str(name)).ok().and_then(|j| j.dyn_into::<js_sys::Uint8Array>().ok());
    field(SEGMENT_DATA).or_else(|| field("json"))
}

/// Reads the segments of `KEY_SPANS` from `KEY_SPANS[at]` on, `first` already asked for, each
/// request made as the one before it is answered (the transaction stays active: nothing
/// else is awaited in between), while the caller goes on; their bytes are handed over when
/// all are in.
fn arrive(store: idb::ObjectStore, at: usize, first: impl std::future::Future<Output = Result<Vec<JsValue>, idb::Error>> + 'static) -> Arriving {
    let (send, arriving) = futures_channel::oneshot::channel();
    wasm_bindgen_futures::spawn_local(async move {
        let read = async {
            let (mut out, mut at) = (Vec::new(), at);
            let mut batch = first.await.map_err(classify)?;
            loop {
                let next = next_batch(Some(&store), &segments::KEY_SPANS, &mut at, &batch)?.map(IntoFuture::into_future);
                for v in &batch {
                    out.push((record_id(v), segment_bytes(v).map(|b| b.to_vec()).unwrap_or_default()));
                }
                match next {
                    Some(request) => batch = request.await.map_err(classify)?,
                    None => return Ok(out),
                }
            }
        };
        // Nobody waiting any more (the page is going away): nothing to hand over.
        let _ = send.send(read.await);
    });
    arriving
}

/// Decodes the loose records a load left (`Later`) into its `Rest`, as this build stores
/// them or as an older one did; those it cannot read are set aside, as at load.
pub fn decode_later(later: Later) -> (segments::Rest, Vec<Quarantined>) {
    let Later { mut rest, activities, leads, .. } = later;
    let mut bad = Vec::new();
    let mut buf = Vec::new();
    for (kind, values) in [(Kind::Activities, activities), (Kind::Leads, leads)] {
        for v in &values {
            match loose_bytes(v) {
                Some(b) => {
                    copy_into(&b, &mut buf);
                    let id = record_id(v);
                    if !segments::read_loose(kind, &id, &buf, &mut rest.loose, &mut bad) {
                        bad.push(not_compact(kind.name(), id));
                    }
                }
                None => WholeReader.object(kind, v, &mut rest.loose, &mut bad),
            }
        }
    }
    (rest, bad)
}

/// A loose record whose bytes are not in the compact encoding (no build wrote such).
fn not_compact(store: &'static str, id: String) -> Quarantined {
    Quarantined { store, id, reason: Dangling::Unreadable("not in the compact encoding".into()) }
}

/// `bytes` copied into wasm memory, into `buf` (reused: no allocation per record).
fn copy_into(bytes: &js_sys::Uint8Array, buf: &mut Vec<u8>) {
    buf.clear();
    buf.resize(bytes.length() as usize, 0);
    bytes.copy_to(buf);
}

/// What the first download cannot read, passed to `Store::load` by code that has it
/// (`ui::reading`, which hands over a `WholeReader`): the first download reads only the
/// compact segments of the kinds the board needs (`segments::read_now`) and loose records
/// as this build stores them (`segments::read_loose_now`).
pub trait FullRead {
    /// Any stored segment, of any kind, in any encoding (`segments::read`).
    fn segment(&self, key: &str, bytes: &[u8], into: &mut Workspace, bad: &mut Vec<Quarantined>);
    /// A loose record of `kind` as a build before v9 stored it: a JS object.
    fn object(&self, kind: Kind, v: &JsValue, into: &mut Workspace, bad: &mut Vec<Quarantined>);
    /// The settings record so stored.
    fn settings(&self, v: &JsValue, bad: &mut Vec<Quarantined>) -> Option<Settings>;
}

/// Reads everything any build stored, with the decoders of JS objects.
pub struct WholeReader;

impl FullRead for WholeReader {
    fn segment(&self, key: &str, bytes: &[u8], into: &mut Workspace, bad: &mut Vec<Quarantined>) {
        segments::read(key, bytes, into, bad);
    }

    fn object(&self, kind: Kind, v: &JsValue, into: &mut Workspace, bad: &mut Vec<Quarantined>) {
        let store = kind.name();
        match kind {
            Kind::Pipelines => into.pipelines.extend(from_js_one::<Pipeline>(store, v, bad)),
            Kind::Deals => into.deals.extend(from_js_one::<Opportunity>(store, v, bad)),
            Kind::Events => into.events.extend(from_js_one::<StageChange>(store, v, bad)),
            Kind::Calls => into.category_changes.extend(from_js_one::<CategoryChange>(store, v, bad)),
            Kind::Activities => into.activities.extend(from_js_one::<Activity>(store, v, bad)),
            Kind::Owners => into.owners.extend(from_js_one::<Owner>(store, v, bad)),
            Kind::Leads => into.leads.extend(from_js_one::<Lead>(store, v, bad)),
            Kind::Accounts => into.accounts.extend(from_js_one::<Account>(store, v, bad)),
            Kind::Contacts => into.contacts.extend(from_js_one::<Contact>(store, v, bad)),
        }
    }

    fn settings(&self, v: &JsValue, bad: &mut Vec<Quarantined>) -> Option<Settings> {
        from_js_one(SETTINGS, v, bad)
    }
}

/// One atomic write.
pub enum WriteOp<'a> {
    /// Records to put and log entries to add.
    Changes(&'a [Change]),
    /// Everything replaced by this workspace (import "replace", restore), stored as the
    /// segments `next` cuts of it (`io::segments::Cutter`, whose code comes with the
    /// reader's, `ui::reading`), `total` of them.
    Replace { ws: &'a Workspace, next: &'a mut dyn FnMut() -> Option<(String, Vec<u8>)>, total: usize },
    /// Changes bringing many new records (`segments::Fresh::of` them): those stored as
    /// segments numbered after the stored ones, the rest loose.
    Append { changes: &'a [Change], fresh: &'a segments::Fresh },
}

pub struct Store {
    db: Database,
    /// A database written by a newer build: read, never written.
    pub read_only: bool,
    /// Made by this open (a first visit): nothing is stored yet, so nothing is read
    /// (`Loaded::empty`), and the reader's code is not fetched before the first screen.
    pub fresh: bool,
}

fn to_js<T: Serialize>(v: &T) -> Result<JsValue, StoreError> {
    v.serialize(&serde_wasm_bindgen::Serializer::json_compatible()).map_err(|e| StoreError::Other(e.to_string()))
}

fn record_id(v: &JsValue) -> String {
    js_sys::Reflect::get(v, &JsValue::from_str("id")).ok().and_then(|id| id.as_string()).unwrap_or_else(|| "?".into())
}

/// Reads each record on its own: one bad record is set aside, the rest load.
fn from_js_each<T: DeserializeOwned>(store: &'static str, values: Vec<JsValue>, bad: &mut Vec<Quarantined>) -> Vec<T> {
    values.iter().filter_map(|v| from_js_one(store, v, bad)).collect()
}

fn from_js_one<T: DeserializeOwned>(store: &'static str, v: &JsValue, bad: &mut Vec<Quarantined>) -> Option<T> {
    match serde_wasm_bindgen::from_value(v.clone()) {
        Ok(r) => Some(r),
        Err(e) => {
            bad.push(Quarantined { store, id: record_id(v), reason: Dangling::Unreadable(e.to_string()) });
            None
        }
    }
}

/// A record as this build stores it loose: `{id, data}`, `data` the record alone in the
/// compact encoding (`segments::encode_loose`), so that opening reads it with the board's
/// own decoders; the settings record (`id` None) as `{data}`, under its fixed key. (Before
/// v9 a loose record was the record itself as a JS object, which only a decoder of JS
/// objects per kind could read: `FullRead::object`.)
fn loose_value<T: Serialize>(id: Option<&crate::domain::Id>, record: &T) -> Result<JsValue, StoreError> {
    let bytes = segments::encode_loose(record).map_err(|e| StoreError::Other(e.to_string()))?;
    let o = js_sys::Object::new();
    if let Some(id) = id {
        let _ = js_sys::Reflect::set(&o, &JsValue::from_str("id"), &JsValue::from_str(id.as_str()));
    }
    let _ = js_sys::Reflect::set(&o, &JsValue::from_str(SEGMENT_DATA), &js_sys::Uint8Array::from(&bytes[..]));
    Ok(o.into())
}

/// A loose record's bytes as this build stores it (`loose_value`); None for an older
/// build's JS object.
fn loose_bytes(v: &JsValue) -> Option<js_sys::Uint8Array> {
    js_sys::Reflect::get(v, &JsValue::from_str(SEGMENT_DATA)).ok().and_then(|d| d.dyn_into::<js_sys::Uint8Array>().ok())
}

async fn commit(tx: idb::Transaction) -> Result<(), StoreError> {
    let raw: web_sys::IdbTransaction = tx.into();
    let tx = idb::Transaction::from(raw.clone());
    let outcome = tx.commit().map_err(classify)?.await;
    let reason = || raw.error().map(|e| format!("{}: {}", e.name(), e.message()));
    match outcome {
        Ok(TransactionResult::Committed) => Ok(()),
        Ok(TransactionResult::Aborted) | Err(_) => match reason() {
            Some(r) if r.starts_with("QuotaExceededError") => Err(StoreError::Quota),
            Some(r) => Err(StoreError::Aborted(r)),
            None => Err(outcome.err().map(classify).unwrap_or(StoreError::Aborted(String::new()))),
        },
    }
}

fn abort(tx: idb::Transaction, e: StoreError) -> StoreError {
    let _ = tx.abort();
    e
}

impl Store {
    /// Opens (creating or upgrading) the database. Fails in browsers that refuse
    /// IndexedDB, e.g. some private modes; the app then runs in memory.
    ///
    /// `on_blocked` runs when a tab of an older version keeps the database open and the
    /// upgrade must wait; `on_newer` when, later, another tab opens a newer version: this
    /// connection is then closed at once so that tab can upgrade.
    pub async fn open(on_blocked: impl FnOnce() + 'static, on_newer: impl FnOnce() + 'static) -> Result<Store, OpenError> {
        let unavailable = |e: idb::Error| OpenError::Unavailable(e.to_string());
        let factory = Factory::new().map_err(unavailable)?;
        let mut request = factory.open(DB_NAME, Some(SCHEMA_VERSION)).map_err(unavailable)?;
        let fresh = std::rc::Rc::new(std::cell::Cell::new(false));
        let made = fresh.clone();
        request.on_upgrade_needed(move |event| {
            let (Ok(db), Ok(old)) = (event.database(), event.old_version()) else { return };
            // Only the migrations run in this upgrade: they create stores, and write none.
            made.set(old == 0);
            for migrate in MIGRATIONS.iter().skip(old as usize) {
                if let Err(e) = migrate(&db) {
                    web_sys::console::error_1(&format!("migration failed: {e}").into());
                    return;
                }
            }
        });
        request.on_blocked(move |_| on_blocked());
        let (db, read_only) = match request.await {
            Ok(db) => (db, false),
            Err(e) if e.to_string().contains("VersionError") => {
                // A newer build upgraded this database: open it as it is, to read only.
                let request = factory.open(DB_NAME, None).map_err(unavailable)?;
                (request.await.map_err(unavailable)?, true)
            }
            Err(e) => return Err(unavailable(e)),
        };
        let raw: web_sys::IdbDatabase = db.into();
        let conn = raw.clone();
        let on_change = Closure::once_into_js(move |_: web_sys::Event| {
            conn.close();
            on_newer();
        });
        raw.set_onversionchange(Some(on_change.unchecked_ref()));
        Ok(Store { db: Database::from(raw), read_only, fresh: fresh.get() })
    }

    /// Everything stored, with the revision it is at. Records that cannot be read are
    /// quarantined (listed, left in the database), not fatal. Activities and leads are left
    /// as stored (`Loaded::rest`), their segments read after the board's, in the same
    /// transaction, while the caller goes on. Without `full`, only what this build writes is
    /// read (the board's kinds and settings, compact): anything else is
    /// `StoreError::NeedsReader`.
    pub async fn load(&self, full: Option<&dyn FullRead>) -> Result<Loaded, StoreError> {
        let names: Vec<&str> = ALL_STORES.iter().chain(&[SEGMENTS, REMOVED]).copied().filter(|n| self.has_store(n)).chain(self.meta()).collect();
        let tx = self.db.transaction(&names, TransactionMode::ReadOnly).map_err(classify)?;
        // Issue every request before awaiting any, so the transaction stays active.
        let get = |name: &str| -> Result<Option<_>, StoreError> {
            if !names.contains(&name) {
                return Ok(None);
            }
            tx.object_store(name).and_then(|s| s.get_all(None, None)).map(Some).map_err(classify)
        };
        let (p, d, e, c, a) = (get(PIPELINES)?, get(DEALS)?, get(EVENTS)?, get(CATEGORY_CHANGES)?, get(ACTIVITIES)?);
        let (o, l, st, ac, co) = (get(OWNERS)?, get(LEADS)?, get(SETTINGS)?, get(ACCOUNTS)?, get(CONTACTS)?);
        // The segments in batches, the first asked for now with the rest (see below): those
        // the board needs first, then the others (`segments::KEY_SPANS`).
        let segment_store = match names.contains(&SEGMENTS) {
            true => Some(tx.object_store(SEGMENTS).map_err(classify)?),
            false => None,
        };
        let spans = &segments::KEY_SPANS;
        let (sg, rm) = (segment_batch(segment_store.as_ref(), &spans[0], None)?, get(REMOVED)?);
        let rev = match self.meta() {
            Some(_) => Some(tx.object_store(META).and_then(|s| s.get(JsValue::from_str(REV))).map_err(classify)?),
            None => None,
        };
        // Every segment's key (a few hundred short strings): how much room each list needs.
        // Awaited in the order asked for, as every request here: a request's callbacks are
        // set when it is awaited, and its result event, dispatched in that order, would
        // find none if it came before.
        let segment_keys = match names.contains(&SEGMENTS) {
            true => Some(tx.object_store(SEGMENTS).and_then(|s| s.get_all_keys(None, None)).map_err(classify)?),
            false => None,
        };
        let mut bad = Vec::new();
        let all = |r: Option<idb::request::GetAllStoreRequest>| async move {
            match r {
                Some(r) => r.await.map_err(classify),
                None => Ok(Vec::new()),
            }
        };
        let (p, d, e, c, a) = (all(p).await?, all(d).await?, all(e).await?, all(c).await?, all(a).await?);
        let (o, l, st, ac, co) = (all(o).await?, all(l).await?, all(st).await?, all(ac).await?, all(co).await?);
        let (mut batch, rm) = (all(sg).await?, all(rm).await?);
        let rev = match rev {
            Some(r) => rev_of(&r.await.map_err(classify)?),
            None => 0,
        };
        let segment_keys: Vec<String> = match segment_keys {
            Some(k) => k.await.map_err(classify)?.iter().filter_map(JsValue::as_string).collect(),
            None => Vec::new(),
        };
        mark("fs:read");
        // Loose records as this build stores them (compact, read by the board's own
        // decoders) or as an older one did (JS objects: only `full` reads those, and a
        // cut follows, `legacy`). Activities and leads are decoded after the board is
        // shown (`Later`).
        let mut loose_ws = Workspace::default();
        let mut buf: Vec<u8> = Vec::new();
        let mut legacy = 0;
        let board_kinds = [(Kind::Pipelines, p), (Kind::Deals, d), (Kind::Events, e), (Kind::Calls, c), (Kind::Owners, o), (Kind::Accounts, ac), (Kind::Contacts, co)];
        let loose_len: usize = board_kinds.iter().map(|(_, v)| v.len()).sum();
        for (kind, values) in &board_kinds {
            for v in values {
                match (loose_bytes(v), full) {
                    (Some(b), _) => {
                        copy_into(&b, &mut buf);
                        let id = record_id(v);
                        if !segments::read_loose_now(*kind, &id, &buf, &mut loose_ws, &mut bad) {
                            bad.push(not_compact(kind.name(), id));
                        }
                    }
                    (None, Some(full)) => {
                        legacy += 1;
                        full.object(*kind, v, &mut loose_ws, &mut bad);
                    }
                    (None, None) => return Err(StoreError::NeedsReader),
                }
            }
        }
        drop(board_kinds);
        for v in &st {
            let settings = match (loose_bytes(v), full) {
                (Some(b), _) => {
                    copy_into(&b, &mut buf);
                    match segments::read_settings(&buf) {
                        Some(Ok(s)) => Some(s),
                        Some(Err(why)) => {
                            bad.push(Quarantined { store: SETTINGS, id: record_id(v), reason: Dangling::Unreadable(why) });
                            None
                        }
                        None => {
                            bad.push(not_compact(SETTINGS, record_id(v)));
                            None
                        }
                    }
                }
                (None, Some(full)) => {
                    legacy += 1;
                    full.settings(v, &mut bad)
                }
                (None, None) => return Err(StoreError::NeedsReader),
            };
            if let Some(s) = settings {
                loose_ws.settings = s;
            }
        }
        let mut removed: Vec<(Kind, crate::domain::Id)> = rm
            .iter()
            .filter_map(|v| {
                let (store, id) = record_id(v).split_once('/').map(|(s, i)| (s.to_string(), i.to_string()))?;
                Some((Kind::named(&store)?, crate::domain::Id::from(id)))
            })
            .collect();
        let loose = loose_len + a.len() + l.len() + removed.len();
        // The later kinds' older JS objects are read by the reader fetched after the board
        // (`decode_later`), and cut away too.
        legacy += a.iter().chain(&l).filter(|v| loose_bytes(v).is_none()).count();
        let mut rest = Later { activities: a, leads: l, ..Default::default() };
        rest.rest.take_loose(&mut loose_ws, &mut removed);
        mark("fs:loose");
        // Each batch of segments asked for before the one before it is decoded, so the
        // database reads the next while this one is decoded (one request for all of them had
        // every segment read before the first was decoded). Each request is made and its
        // callbacks set (`into_future`) in the same turn, right after the previous result:
        // the transaction is active then, and the result's event cannot be dispatched
        // before its callbacks are there. Each segment's UTF-8 bytes are copied
        // into one buffer in wasm memory and read from there: the memory is reused (copying
        // all of them first grew it by the whole store, 315 MB at 100,000 deals).
        let mut ws = Workspace::default();
        segments::reserve(&mut ws, segment_keys.iter().map(String::as_str).filter(|k| !segments::is_later(k)));
        // The span `batch` came from.
        let mut at = 0;
        loop {
            let next = next_batch(segment_store.as_ref(), spans, &mut at, &batch)?.map(IntoFuture::into_future);
            for v in batch.iter() {
                let key = record_id(v);
                buf.clear();
                if let Some(b) = segment_bytes(v) {
                    copy_into(&b, &mut buf);
                }
                if !segments::is_compact(&buf) {
                    legacy += 1;
                }
                if let Some(full) = full {
                    full.segment(&key, &buf, &mut ws, &mut bad);
                } else if !segments::read_now(&key, &buf, &mut ws, &mut bad) {
                    // The request asked for meanwhile is awaited and let go: dropped, its
                    // callbacks would be gone when the browser calls them (a page error).
                    if let Some(request) = next {
                        wasm_bindgen_futures::spawn_local(async move {
                            let _ = request.await;
                        });
                    }
                    return Err(StoreError::NeedsReader);
                }
            }
            match next {
                Some(request) if at < segments::BOARD_SPANS => batch = request.await.map_err(classify)?,
                // The board's segments are read; the others go on arriving in this same
                // transaction (so of the revision read here) while the board is put
                // together and shown.
                Some(request) => {
                    if let Some(store) = segment_store {
                        rest.arriving = Some(arrive(store, at, request));
                    }
                    break;
                }
                None => break,
            }
        }
        let (ws, places) = segments::finish(ws, loose_ws, &removed, &mut bad);
        // Of the board's kinds (the rest are not in yet): `Store::compact` checks all.
        let crowded = segments::crowded(segment_keys.iter().map(String::as_str), &ws, |k| !k.later());
        mark("fs:loaded");
        Ok(Loaded { workspace: ws, places, rev, quarantined: bad, loose, legacy, crowded, rest })
    }

    fn has_store(&self, name: &str) -> bool {
        self.db.store_names().iter().any(|n| n == name)
    }

    fn meta(&self) -> Option<&'static str> {
        self.has_store(META).then_some(META)
    }

    /// The backup list, newest first, without reading the snapshots themselves (except
    /// once, for a database from before the list existed).
    pub async fn backups(&self) -> Result<Vec<BackupInfo>, StoreError> {
        if !self.has_store(BACKUPS) {
            return Ok(Vec::new());
        }
        let names: Vec<&str> = std::iter::once(BACKUPS).chain(self.meta()).collect();
        let tx = self.db.transaction(&names, TransactionMode::ReadOnly).map_err(classify)?;
        let list = self.backup_list(&tx).await?;
        Ok(list)
    }

    async fn backup_list(&self, tx: &idb::Transaction) -> Result<Vec<BackupInfo>, StoreError> {
        if self.meta().is_some() {
            let stored = tx.object_store(META).and_then(|s| s.get(JsValue::from_str(BACKUP_LIST))).map_err(classify)?.await.map_err(classify)?;
            if let Some(v) = stored {
                let mut list: Vec<BackupInfo> = serde_wasm_bindgen::from_value(v).unwrap_or_default();
                list.sort_by_key(|b| std::cmp::Reverse(b.created_at));
                return Ok(list);
            }
        }
        let all = tx.object_store(BACKUPS).and_then(|s| s.get_all(None, None)).map_err(classify)?.await.map_err(classify)?;
        let mut list: Vec<BackupInfo> = from_js_each::<Backup>(BACKUPS, all, &mut Vec::new()).iter().map(Backup::info).collect();
        list.sort_by_key(|b| std::cmp::Reverse(b.created_at));
        Ok(list)
    }

    /// The sync's state and the documents marked for the next push.
    pub async fn sync_load(&self) -> Result<(crate::sync::SyncState, SyncMarks), StoreError> {
        let tx = self.db.transaction(&[META], TransactionMode::ReadOnly).map_err(classify)?;
        let meta = tx.object_store(META).map_err(classify)?;
        // Issue every request before awaiting any, so the transaction stays active.
        let (a, b, c) = (
            meta.get(JsValue::from_str(SYNC_STATE)).map_err(classify)?,
            meta.get(JsValue::from_str(SYNC_MARKS)).map_err(classify)?,
            meta.get_all(Some(sync_revs()?.into()), None).map_err(classify)?,
        );
        let record = a.await.map_err(classify)?.and_then(|v| v.as_string()).and_then(|t| serde_json::from_str(&t).ok()).unwrap_or_default();
        let marks = b.await.map_err(classify)?.and_then(|v| serde_wasm_bindgen::from_value(v).ok()).unwrap_or_default();
        let revs = c.await.map_err(classify)?.into_iter().filter_map(|v| serde_wasm_bindgen::from_value::<(String, String)>(v).ok());
        Ok((crate::sync::SyncState::restore(record, revs), marks))
    }

    /// The documents marked to send (the push reads them before each round).
    pub async fn sync_marks(&self) -> Result<SyncMarks, StoreError> {
        let tx = self.db.transaction(&[META], TransactionMode::ReadOnly).map_err(classify)?;
        let stored = tx.object_store(META).and_then(|m| m.get(JsValue::from_str(SYNC_MARKS))).map_err(classify)?.await.map_err(classify)?;
        Ok(stored.and_then(|v| serde_wasm_bindgen::from_value(v).ok()).unwrap_or_default())
    }

    /// Saves the sync's checkpoint record (as JSON text: checkpoints may be numbers or
    /// strings) and the revisions learnt since the last save (`revs`: one record each, so
    /// a save writes what changed, not every document's), drops the marks of documents the
    /// server now has (`sent`: id and the mark's revision, kept if changed again since) and
    /// adds `more` (merged here, to send back).
    pub async fn sync_save(
        &self,
        checkpoint: &serde_json::Value,
        revs: &std::collections::BTreeMap<String, Option<String>>,
        sent: &[(String, u64)],
        more: &[String],
    ) -> Result<(), StoreError> {
        if self.read_only {
            return Err(StoreError::ReadOnly);
        }
        let tx = self.db.transaction(&[META], TransactionMode::ReadWrite).map_err(classify)?;
        let meta = tx.object_store(META).map_err(classify)?;
        let marks = if sent.is_empty() && more.is_empty() {
            None
        } else {
            let stored = meta.get(JsValue::from_str(SYNC_MARKS)).map_err(classify)?.await.map_err(classify)?;
            let mut marks: SyncMarks = stored.and_then(|v| serde_wasm_bindgen::from_value(v).ok()).unwrap_or_default();
            for (id, at) in sent {
                if marks.get(id).is_some_and(|m| m.0 == *at) {
                    marks.remove(id);
                }
            }
            for id in more {
                marks.entry(id.clone()).or_insert((0, false));
            }
            Some(marks)
        };
        let issued = (|| {
            if let Some(marks) = &marks {
                meta.put(&to_js(marks)?, Some(&JsValue::from_str(SYNC_MARKS))).map_err(classify)?;
            }
            meta.put(&JsValue::from_str(&checkpoint.to_string()), Some(&JsValue::from_str(SYNC_STATE))).map_err(classify)?;
            for (doc, rev) in revs {
                let key = JsValue::from_str(&format!("{SYNC_REV}{doc}"));
                match rev {
                    Some(rev) => drop(meta.put(&to_js(&(doc, rev))?, Some(&key)).map_err(classify)?),
                    None => drop(meta.delete(key).map_err(classify)?),
                }
            }
            Ok::<_, StoreError>(())
        })();
        if let Err(e) = issued {
            return Err(abort(tx, e));
        }
        commit(tx).await
    }

    /// The sync's settings; until they are first stored here, those an older build kept in
    /// localStorage (no write here: it would bring the JSON writer and a write transaction
    /// into the first download for a one-time move that the next save does anyway).
    pub async fn sync_settings(&self) -> Result<SyncSettings, StoreError> {
        if self.meta().is_none() {
            return Ok(SyncSettings::legacy().unwrap_or_default());
        }
        let tx = self.db.transaction(&[META], TransactionMode::ReadOnly).map_err(classify)?;
        let stored = tx.object_store(META).and_then(|m| m.get(JsValue::from_str(SYNC_SETTINGS))).map_err(classify)?.await.map_err(classify)?;
        Ok(match stored.and_then(|v| v.as_string()) {
            Some(text) => serde_json::from_str(&text).unwrap_or_default(),
            None => SyncSettings::legacy().unwrap_or_default(),
        })
    }

    /// Stores the sync's settings (the password and passphrase only if remembered), and
    /// removes an older build's copy in localStorage once they are; done when committed.
    pub async fn save_sync_settings(&self, s: &SyncSettings) -> Result<(), StoreError> {
        if self.read_only {
            return Err(StoreError::ReadOnly);
        }
        let text = serde_json::to_string(&s.to_keep()).map_err(|e| StoreError::Other(e.to_string()))?;
        let tx = self.db.transaction(&[META], TransactionMode::ReadWrite).map_err(classify)?;
        let meta = tx.object_store(META).map_err(classify)?;
        if let Err(e) = meta.put(&JsValue::from_str(&text), Some(&JsValue::from_str(SYNC_SETTINGS))).map_err(classify) {
            return Err(abort(tx, e));
        }
        commit(tx).await?;
        SyncSettings::forget_legacy();
        Ok(())
    }

    /// Forgets the sync's state and marks (sync turned off, or pointed at another database).
    pub async fn sync_forget(&self) -> Result<(), StoreError> {
        let tx = self.db.transaction(&[META], TransactionMode::ReadWrite).map_err(classify)?;
        let meta = tx.object_store(META).map_err(classify)?;
        let issued = (|| {
            meta.delete(JsValue::from_str(SYNC_MARKS)).map_err(classify)?;
            meta.delete(JsValue::from_str(SYNC_STATE)).map_err(classify)?;
            meta.delete(sync_revs()?).map_err(classify)?;
            Ok::<_, StoreError>(())
        })();
        if let Err(e) = issued {
            return Err(abort(tx, e));
        }
        commit(tx).await
    }

    /// One backup's snapshot (for restoring it).
    pub async fn backup(&self, id: &str) -> Result<Option<Backup>, StoreError> {
        let tx = self.db.transaction(&[BACKUPS], TransactionMode::ReadOnly).map_err(classify)?;
        let v = tx.object_store(BACKUPS).and_then(|s| s.get(JsValue::from_str(id))).map_err(classify)?.await.map_err(classify)?;
        Ok(v.and_then(|v| serde_wasm_bindgen::from_value(v).ok()))
    }

    pub async fn delete_backup(&self, id: &str) -> Result<(), StoreError> {
        if self.read_only {
            return Err(StoreError::ReadOnly);
        }
        let tx = self.db.transaction(&[BACKUPS, META], TransactionMode::ReadWrite).map_err(classify)?;
        let mut list = self.backup_list(&tx).await?;
        list.retain(|b| b.id != id);
        let issued = (|| {
            tx.object_store(BACKUPS).and_then(|s| s.delete(JsValue::from_str(id))).map_err(classify)?;
            let meta = tx.object_store(META).map_err(classify)?;
            meta.put(&to_js(&list)?, Some(&JsValue::from_str(BACKUP_LIST))).map_err(classify)?;
            Ok::<_, StoreError>(())
        })();
        if let Err(e) = issued {
            return Err(abort(tx, e));
        }
        commit(tx).await
    }

    /// Cuts the workspace this tab holds into new segments, in place of the stored segments
    /// and loose records, if the database is still at `expected_rev` (so memory is what is
    /// stored) and still has `min_loose` loose records (another tab may have cut them
    /// already; 0 to cut segments of an older build again) or far more segments than the
    /// cut makes (`io::segments::too_many`). `next` cuts the next segment
    /// (`io::segments::Cutter`), `total` of them.
    /// The revision stays: what is stored means the same. Returns whether it cut.
    pub async fn compact(
        &self,
        expected_rev: u64,
        min_loose: usize,
        next: &mut dyn FnMut() -> Option<(String, Vec<u8>)>,
        total: usize,
        settings: &Settings,
        progress: &dyn Fn(usize, usize),
    ) -> Result<bool, StoreError> {
        if self.read_only {
            return Err(StoreError::ReadOnly);
        }
        let tx = self.db.transaction(&WRITE_STORES, TransactionMode::ReadWrite).map_err(classify)?;
        let meta = tx.object_store(META).map_err(classify)?;
        let stored = meta.get(JsValue::from_str(REV)).map_err(classify)?.await.map_err(classify)?;
        if rev_of(&stored) != expected_rev {
            return Err(abort(tx, StoreError::Stale));
        }
        // Issue every request before awaiting any, so the transaction stays active.
        // The segments' count last.
        let counts: Result<Vec<_>, StoreError> =
            LOOSE_STORES.iter().chain(&[REMOVED, SEGMENTS]).map(|n| tx.object_store(n).and_then(|s| s.count(None)).map_err(classify)).collect();
        let counts = match counts {
            Ok(c) => c,
            Err(e) => return Err(abort(tx, e)),
        };
        let mut read = Vec::with_capacity(counts.len());
        for c in counts {
            match c.await {
                Ok(n) => read.push(n as usize),
                Err(e) => return Err(abort(tx, classify(e))),
            }
        }
        let stored_segments = read.pop().unwrap_or(0);
        let loose: usize = read.iter().sum();
        // `total`: the segments this cut makes. Part-full segments left by big adds
        // (`segments::Fresh`) are cut again once there are many more than that.
        if loose < min_loose && !segments::too_many(stored_segments, total) {
            let _ = tx.abort();
            return Ok(false);
        }
        let cleared = LOOSE_STORES.iter().chain(&[SEGMENTS, REMOVED]).try_for_each(|n| tx.object_store(n).and_then(|s| s.clear()).map(|_| ()).map_err(classify));
        // Settings stays loose: put again as this build stores it (an older build's JS
        // object would need the whole reader on every open).
        let settings = tx.object_store(SETTINGS).map_err(classify).and_then(|s| {
            let value = loose_value(None, settings)?;
            s.put(&value, Some(&JsValue::from_str(SETTINGS_KEY))).map_err(classify)
        });
        if let Err(e) = cleared.and(settings.map(|_| ())) {
            return Err(abort(tx, e));
        }
        if let Err(e) = put_segments(&tx, next, total, progress).await {
            return Err(abort(tx, e));
        }
        commit(tx).await?;
        Ok(true)
    }

    /// Writes one change set atomically, if and only if the database is still at
    /// `expected_rev`; returns the new revision. A backup, when given, is stored in the
    /// same transaction (the newest `KEEP_BACKUPS` are kept).
    /// `progress(done, total)` is called between chunks of a long write.
    /// With `mark` (team sync is on) the documents the changes touch are marked for the
    /// next push in the same transaction: a change stored is a change that will be sent.
    pub async fn write(
        &self,
        expected_rev: u64,
        op: WriteOp<'_>,
        backup: Option<&Backup>,
        mark: bool,
        progress: &dyn Fn(usize, usize),
    ) -> Result<u64, StoreError> {
        if self.read_only {
            return Err(StoreError::ReadOnly);
        }
        let tx = self.db.transaction(&WRITE_STORES, TransactionMode::ReadWrite).map_err(classify)?;
        let meta = tx.object_store(META).map_err(classify)?;
        let check = meta.get(JsValue::from_str(REV)).map_err(classify)?.into_future();
        // A plain change list (a move, an edit) does not wait for the revision before
        // writing: its records are issued at once and the revision read (issued first, so
        // answered first) is checked before the commit; if another tab wrote meanwhile the
        // transaction is aborted and nothing of it stays. One round trip instead of two.
        // Anything else reads more before writing, so it waits for the check here.
        // Awaiting a request keeps the transaction alive: its continuation runs before the
        // browser would auto-commit (as the `idb` crate's futures are designed to).
        let rev = expected_rev;
        let check = if matches!(op, WriteOp::Changes(_)) && backup.is_none() && !mark {
            Some(check)
        } else {
            match check.await {
                Ok(stored) if rev_of(&stored) == rev => None,
                Ok(_) => return Err(abort(tx, StoreError::Stale)),
                Err(e) => return Err(abort(tx, classify(e))),
            }
        };
        let list = match backup {
            Some(_) => Some(self.backup_list(&tx).await?),
            None => None,
        };
        let marks = if mark {
            let stored = meta.get(JsValue::from_str(SYNC_MARKS)).map_err(classify)?.await.map_err(classify)?;
            let mut marks: SyncMarks = stored.and_then(|v| serde_wasm_bindgen::from_value(v).ok()).unwrap_or_default();
            let mut st = crate::sync::SyncState::default();
            match &op {
                WriteOp::Changes(changes) | WriteOp::Append { changes, .. } => st.changed(changes),
                WriteOp::Replace { ws, .. } => st.pending.extend(crate::sync::all_docs(ws)),
            }
            marks.extend(st.pending.into_iter().map(|d| (d, (rev + 1, false))));
            marks.extend(st.removed.into_iter().map(|d| (d, (rev + 1, true))));
            Some(marks)
        } else {
            None
        };
        let issued = (|| -> Result<(), StoreError> {
            if let (Some(b), Some(mut list)) = (backup, list) {
                let backups = tx.object_store(BACKUPS).map_err(classify)?;
                backups.add(&to_js(b)?, None).map_err(classify)?;
                for old in list.iter().skip(KEEP_BACKUPS - 1) {
                    backups.delete(JsValue::from_str(&old.id)).map_err(classify)?;
                }
                list.truncate(KEEP_BACKUPS - 1);
                list.insert(0, b.info());
                meta.put(&to_js(&list)?, Some(&JsValue::from_str(BACKUP_LIST))).map_err(classify)?;
            }
            if let WriteOp::Replace { .. } = op {
                for name in ALL_STORES.iter().chain(&[SEGMENTS, REMOVED]) {
                    tx.object_store(name).and_then(|s| s.clear()).map_err(classify)?;
                }
            }
            meta.put(&JsValue::from_f64((rev + 1) as f64), Some(&JsValue::from_str(REV))).map_err(classify)?;
            if let Some(m) = &marks {
                meta.put(&to_js(m)?, Some(&JsValue::from_str(SYNC_MARKS))).map_err(classify)?;
            }
            Ok(())
        })();
        // A pending request's future must be awaited, never dropped (its callbacks would
        // outlive it): a failure after the revision read was issued waits for its answer,
        // which the abort hastens.
        macro_rules! fail {
            ($e:expr) => {{
                let e = abort(tx, $e);
                if let Some(check) = check {
                    let _ = check.await;
                }
                return Err(e);
            }};
        }
        if let Err(e) = issued {
            fail!(e);
        }
        let (changes, loose) = match op {
            WriteOp::Changes(changes) => (changes, None),
            WriteOp::Append { changes, fresh } => {
                // The stored segments' keys, so the new ones take the numbers after them.
                let keys = match tx.object_store(SEGMENTS).and_then(|s| s.get_all_keys(None, None)).map_err(classify) {
                    Ok(request) => request.await.map_err(classify),
                    Err(e) => Err(e),
                };
                let keys: Vec<String> = match keys {
                    Ok(k) => k.iter().filter_map(JsValue::as_string).collect(),
                    Err(e) => return Err(abort(tx, e)),
                };
                let mut cutter = segments::Cutter::after(keys.iter().map(String::as_str));
                let mut next = || cutter.next(&fresh.ws);
                // Progress over the segments and then the loose records' chunks.
                let cut = segments::Cutter::count(&fresh.ws);
                let steps = cut + fresh.loose.len().div_ceil(WRITE_CHUNK);
                if let Err(e) = put_segments(&tx, &mut next, cut, &|done, _| progress(done, steps)).await {
                    return Err(abort(tx, e));
                }
                (changes, Some((&fresh.loose, cut, steps)))
            }
            WriteOp::Replace { ws, next, total } => {
                // Everything as segments, and the settings record.
                let settings = tx.object_store(SETTINGS).map_err(classify).and_then(|s| {
                    let value = loose_value(None, &ws.settings)?;
                    s.put(&value, Some(&JsValue::from_str(SETTINGS_KEY))).map_err(classify)
                });
                if let Err(e) = settings {
                    return Err(abort(tx, e));
                }
                if let Err(e) = put_segments(&tx, next, total, progress).await {
                    return Err(abort(tx, e));
                }
                commit(tx).await?;
                return Ok(rev + 1);
            }
        };
        // The records, in chunks: after each chunk wait for its last request. The success
        // event is a task of its own, so the page paints and handles input between chunks,
        // and the transaction is active again in its callback for the next chunk.
        let picked: Vec<&Change> = match loose {
            Some((at, ..)) => at.iter().filter_map(|&i| changes.get(i)).collect(),
            None => changes.iter().collect(),
        };
        let total = picked.len();
        let records = picked.iter().copied().flat_map(Record::of);
        let mut stores: HashMap<&'static str, idb::ObjectStore> = HashMap::new();
        for (i, record) in records.enumerate() {
            let (name, value) = match record.to_js() {
                Ok(v) => v,
                Err(e) => fail!(e),
            };
            let store = match stores.get(name) {
                Some(s) => s,
                None => match tx.object_store(name) {
                    Ok(s) => stores.entry(name).or_insert(s),
                    Err(e) => fail!(classify(e)),
                },
            };
            // Only the request closing a chunk becomes a future: a future registers
            // callbacks, which must outlive the request (so it is awaited, never dropped).
            let last = (i + 1) % WRITE_CHUNK == 0;
            // `add` for log entries: the log is append-only, an existing id is an error.
            // Settings is one record under a fixed key; the other stores key by `id`.
            let key = matches!(record, Record::Settings(_)).then(|| JsValue::from_str(SETTINGS_KEY));
            let request: Result<Option<Pending>, idb::Error> = match (&record, record.appends(), last) {
                // A purged deal's log entries: the one place records leave the log. One
                // may sit in a segment too: remembered as removed until the next cut.
                (Record::Delete(name, id), _, _) => store
                    .delete(value)
                    .and_then(|_| tx.object_store(REMOVED))
                    .and_then(|removed| removed.put(&removed_record(name, id), None))
                    .map(|r| last.then(|| Box::pin(r.into_future()) as Pending)),
                (_, true, true) => store.add(&value, None).map(|r| Some(Box::pin(r.into_future()) as Pending)),
                (_, true, false) => store.add(&value, None).map(|_| None),
                (_, false, true) => store.put(&value, key.as_ref()).map(|r| Some(Box::pin(r.into_future()) as Pending)),
                (_, false, false) => store.put(&value, key.as_ref()).map(|_| None),
            };
            match request {
                Err(e) => fail!(classify(e)),
                Ok(Some(pending)) => {
                    if let Err(e) = pending.await {
                        fail!(classify(e));
                    }
                    match loose {
                        Some((_, cut, steps)) => progress(cut + (i + 1) / WRITE_CHUNK, steps),
                        None => progress(i + 1, total),
                    }
                }
                Ok(None) => {}
            }
        }
        drop(stores);
        if let Some(check) = check {
            match check.await {
                Ok(stored) if rev_of(&stored) == rev => {}
                Ok(_) => return Err(abort(tx, StoreError::Stale)),
                Err(e) => return Err(abort(tx, classify(e))),
            }
        }
        commit(tx).await?;
        Ok(rev + 1)
    }
}

/// The revision a `meta` read found (0 for a database no write has stamped yet).
fn rev_of(stored: &Option<JsValue>) -> u64 {
    stored.as_ref().and_then(|v| v.as_f64()).unwrap_or(0.0) as u64
}

/// `{id: "<store>/<record id>"}`: an id removed since the last cut.
fn removed_record(store: &str, id: &crate::domain::Id) -> JsValue {
    let o = js_sys::Object::new();
    let _ = js_sys::Reflect::set(&o, &JsValue::from_str("id"), &JsValue::from_str(&format!("{store}/{}", id.as_str())));
    o.into()
}

/// Puts segments as `next` cuts them, each awaited before the next is cut: the success
/// event is a task of its own, so the page paints and handles input between segments and
/// the transaction stays active.
async fn put_segments(
    tx: &idb::Transaction,
    next: &mut dyn FnMut() -> Option<(String, Vec<u8>)>,
    total: usize,
    progress: &dyn Fn(usize, usize),
) -> Result<(), StoreError> {
    let store = tx.object_store(SEGMENTS).map_err(classify)?;
    let mut done = 0;
    while let Some((key, bytes)) = next() {
        let o = js_sys::Object::new();
        let _ = js_sys::Reflect::set(&o, &JsValue::from_str("id"), &JsValue::from_str(&key));
        let _ = js_sys::Reflect::set(&o, &JsValue::from_str(SEGMENT_DATA), &js_sys::Uint8Array::from(&bytes[..]));
        store.put(&o, None).map_err(classify)?.await.map_err(classify)?;
        done += 1;
        progress(done, total);
    }
    Ok(())
}

/// Records issued between two waits in a long write: 2,000 made tasks of up to ~140 ms
/// (each record is converted to a JS object and put); 500 keep each near 30 ms.
const WRITE_CHUNK: usize = 500;
/// Segments asked for at once on opening (≈ 10 MB): small enough that the database reads
/// the next batch while one is decoded, large enough that asking costs little.
const READ_BATCH: usize = 8;

type Pending = std::pin::Pin<Box<dyn std::future::Future<Output = Result<JsValue, idb::Error>>>>;

/// One record of a write, serialised only when its turn comes.
enum Record<'a> {
    Pipeline(&'a Pipeline),
    Deal(&'a Opportunity),
    Event(&'a StageChange),
    Call(&'a CategoryChange),
    Activity(&'a Activity),
    Owner(&'a Owner),
    Lead(&'a Lead),
    Settings(&'a Settings),
    Account(&'a Account),
    Contact(&'a Contact),
    /// A record removed from a store by id (emptying the trash).
    Delete(&'static str, &'a crate::domain::Id),
}

impl<'a> Record<'a> {
    /// The records one change writes: one, or for a purge the tombstone and the deletes.
    fn of(c: &'a Change) -> impl Iterator<Item = Record<'a>> {
        let deletes = match c {
            Change::PurgeDeal { events, calls, activities, .. } => Some(
                events
                    .iter()
                    .map(|i| Record::Delete(EVENTS, i))
                    .chain(calls.iter().map(|i| Record::Delete(CATEGORY_CHANGES, i)))
                    .chain(activities.iter().map(|i| Record::Delete(ACTIVITIES, i))),
            ),
            _ => None,
        };
        std::iter::once(Record::one(c)).chain(deletes.into_iter().flatten())
    }

    fn one(c: &'a Change) -> Record<'a> {
        match c {
            Change::PutPipeline(p) => Record::Pipeline(p),
            Change::PutDeal(d) => Record::Deal(d),
            Change::AppendEvent(e) => Record::Event(e),
            Change::AppendCategory(c) => Record::Call(c),
            Change::PutActivity(a) => Record::Activity(a),
            Change::PutOwner(o) => Record::Owner(o),
            Change::PutLead(l) => Record::Lead(l),
            Change::PutSettings(x) => Record::Settings(x),
            Change::PutAccount(a) => Record::Account(a),
            Change::PutContact(c) => Record::Contact(c),
            Change::PurgeDeal { tombstone, .. } => Record::Deal(tombstone),
        }
    }

    fn appends(&self) -> bool {
        matches!(self, Record::Event(_) | Record::Call(_))
    }

    /// The store and the value to put there (`loose_value`).
    fn to_js(&self) -> Result<(&'static str, JsValue), StoreError> {
        Ok(match self {
            Record::Pipeline(p) => (PIPELINES, loose_value(Some(&p.id), p)?),
            Record::Deal(d) => (DEALS, loose_value(Some(&d.id), d)?),
            Record::Event(e) => (EVENTS, loose_value(Some(&e.id), e)?),
            Record::Call(c) => (CATEGORY_CHANGES, loose_value(Some(&c.id), c)?),
            Record::Activity(a) => (ACTIVITIES, loose_value(Some(&a.id), a)?),
            Record::Owner(o) => (OWNERS, loose_value(Some(&o.id), o)?),
            Record::Lead(l) => (LEADS, loose_value(Some(&l.id), l)?),
            Record::Settings(x) => (SETTINGS, loose_value(None, x)?),
            Record::Account(a) => (ACCOUNTS, loose_value(Some(&a.id), a)?),
            Record::Contact(c) => (CONTACTS, loose_value(Some(&c.id), c)?),
            Record::Delete(store, id) => (store, JsValue::from_str(id.as_str())),
        })
    }
}

/// A User Timing mark (shown in the browser's performance panel; the perf tests print the
/// open's phases from them).
pub fn mark(name: &str) {
    if let Some(p) = web_sys::window().and_then(|w| w.performance()) {
        let _ = p.mark(name);
    }
}

/// Asks the browser to keep this origin's data when space runs low (without it, the only
/// copy of the pipeline is evictable). Returns whether storage is persistent.
pub async fn request_persistence() -> Option<bool> {
    let storage = web_sys::window()?.navigator().storage();
    let granted = wasm_bindgen_futures::JsFuture::from(storage.persist().ok()?).await.ok()?;
    granted.as_bool()
}

/// Bytes used and available to this origin, and whether storage is persistent.
pub async fn usage() -> Option<(f64, f64, bool)> {
    let storage = web_sys::window()?.navigator().storage();
    let estimate = wasm_bindgen_futures::JsFuture::from(storage.estimate().ok()?).await.ok()?;
    let num = |k: &str| js_sys::Reflect::get(&estimate, &JsValue::from_str(k)).ok().and_then(|v| v.as_f64()).unwrap_or(0.0);
    let persisted = wasm_bindgen_futures::JsFuture::from(storage.persisted().ok()?).await.ok()?.as_bool().unwrap_or(false);
    Some((num("usage"), num("quota"), persisted))
}
