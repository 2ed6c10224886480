//! The only place that talks to browser storage.
//!
//! IndexedDB is the store of record: one object store per record type, keyed by stable
//! id. The database version *is* the schema version and every version bump is one entry
//! in `MIGRATIONS`, applied in order from whatever version a browser already has.
//! localStorage (gloo-storage) only holds small preferences.

mod prefs;

pub use prefs::Prefs;

use crate::domain::{CategoryChange, Change, Opportunity, Pipeline, StageChange, Workspace};
use idb::{Database, DatabaseEvent, Factory, KeyPath, ObjectStoreParams, TransactionMode, TransactionResult};
use serde::de::DeserializeOwned;
use serde::Serialize;
use wasm_bindgen::JsValue;

const DB_NAME: &str = "funnelscope";
const PIPELINES: &str = "pipelines";
const DEALS: &str = "deals";
const EVENTS: &str = "events";
const CATEGORY_CHANGES: &str = "category_changes";
const BACKUPS: &str = "backups";
const ALL_STORES: [&str; 4] = [PIPELINES, DEALS, EVENTS, CATEGORY_CHANGES];
/// Backups kept before a replace; older ones are dropped.
pub const KEEP_BACKUPS: usize = 10;

/// Ordered schema migrations. Entry i upgrades version i to version i + 1.
const MIGRATIONS: &[fn(&Database) -> Result<(), idb::Error>] = &[migrate_v0_to_v1, migrate_v1_to_v2, migrate_v2_to_v3];

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

/// A snapshot of the whole workspace as export JSON.
#[derive(Clone, Debug, PartialEq, Serialize, serde::Deserialize)]
pub struct Backup {
    pub id: String,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub deals: usize,
    pub json: String,
}

pub struct Store {
    db: Database,
}

fn js_err(e: impl std::fmt::Display) -> String {
    e.to_string()
}

fn to_js<T: Serialize>(v: &T) -> Result<JsValue, String> {
    v.serialize(&serde_wasm_bindgen::Serializer::json_compatible()).map_err(js_err)
}

fn from_js_all<T: DeserializeOwned>(store: &str, values: Vec<JsValue>) -> Result<Vec<T>, String> {
    values
        .into_iter()
        .enumerate()
        .map(|(i, v)| serde_wasm_bindgen::from_value(v).map_err(|e| format!("{store} record {}: {e}", i + 1)))
        .collect()
}

impl Store {
    /// Opens (creating or upgrading) the database. Fails in browsers that refuse
    /// IndexedDB, e.g. some private modes; the app then runs in memory.
    pub async fn open() -> Result<Store, String> {
        let factory = Factory::new().map_err(js_err)?;
        let mut request = factory.open(DB_NAME, Some(SCHEMA_VERSION)).map_err(js_err)?;
        request.on_upgrade_needed(|event| {
            let (Ok(db), Ok(old)) = (event.database(), event.old_version()) else { return };
            for migrate in MIGRATIONS.iter().skip(old as usize) {
                if let Err(e) = migrate(&db) {
                    web_sys::console::error_1(&format!("migration failed: {e}").into());
                    return;
                }
            }
        });
        let db = request.await.map_err(js_err)?;
        Ok(Store { db })
    }

    pub async fn load(&self) -> Result<Workspace, String> {
        let tx = self.db.transaction(&ALL_STORES, TransactionMode::ReadOnly).map_err(js_err)?;
        // Issue every request before awaiting any, so the transaction stays active.
        let get = |name: &str| tx.object_store(name).and_then(|s| s.get_all(None, None)).map_err(js_err);
        let (p, d, e, c) = (get(PIPELINES)?, get(DEALS)?, get(EVENTS)?, get(CATEGORY_CHANGES)?);
        let pipelines: Vec<Pipeline> = from_js_all(PIPELINES, p.await.map_err(js_err)?)?;
        let deals: Vec<Opportunity> = from_js_all(DEALS, d.await.map_err(js_err)?)?;
        let mut events: Vec<StageChange> = from_js_all(EVENTS, e.await.map_err(js_err)?)?;
        let mut calls: Vec<CategoryChange> = from_js_all(CATEGORY_CHANGES, c.await.map_err(js_err)?)?;
        // Keyed stores return records in id order; the logs' order is time order.
        events.sort_by(|a, b| a.at.cmp(&b.at));
        calls.sort_by(|a, b| a.at.cmp(&b.at));
        let mut ws = Workspace::from_records(pipelines, deals, events);
        ws.category_changes = calls;
        Ok(ws)
    }

    /// Backups, newest first.
    pub async fn backups(&self) -> Result<Vec<Backup>, String> {
        let tx = self.db.transaction(&[BACKUPS], TransactionMode::ReadOnly).map_err(js_err)?;
        let all = tx.object_store(BACKUPS).and_then(|s| s.get_all(None, None)).map_err(js_err)?;
        let mut list: Vec<Backup> = from_js_all(BACKUPS, all.await.map_err(js_err)?)?;
        list.sort_by(|a, b| b.created_at.cmp(&a.created_at));
        Ok(list)
    }

    /// Replaces everything with `ws` after saving `backup`, in one transaction: either the
    /// new workspace and the backup are both stored, or nothing changed. Keeps the newest
    /// `KEEP_BACKUPS` backups.
    pub async fn replace_all(&self, ws: &Workspace, backup: &Backup) -> Result<(), String> {
        let old = self.backups().await?;
        let mut names: Vec<&str> = ALL_STORES.to_vec();
        names.push(BACKUPS);
        let tx = self.db.transaction(&names, TransactionMode::ReadWrite).map_err(js_err)?;
        let result = (|| -> Result<(), String> {
            let backups = tx.object_store(BACKUPS).map_err(js_err)?;
            backups.add(&to_js(backup)?, None).map_err(js_err)?;
            for b in old.iter().skip(KEEP_BACKUPS - 1) {
                backups.delete(JsValue::from_str(&b.id)).map_err(js_err)?;
            }
            for name in ALL_STORES {
                tx.object_store(name).and_then(|s| s.clear()).map_err(js_err)?;
            }
            let put_all = |name: &str, values: Vec<JsValue>| -> Result<(), String> {
                let store = tx.object_store(name).map_err(js_err)?;
                values.iter().try_for_each(|v| store.put(v, None).map(|_| ()).map_err(js_err))
            };
            put_all(PIPELINES, ws.pipelines.iter().map(to_js).collect::<Result<_, _>>()?)?;
            put_all(DEALS, ws.deals.iter().map(to_js).collect::<Result<_, _>>()?)?;
            put_all(EVENTS, ws.events.iter().map(to_js).collect::<Result<_, _>>()?)?;
            put_all(CATEGORY_CHANGES, ws.category_changes.iter().map(to_js).collect::<Result<_, _>>()?)
        })();
        if let Err(e) = result {
            let _ = tx.abort();
            return Err(e);
        }
        match tx.commit().map_err(js_err)?.await.map_err(js_err)? {
            TransactionResult::Committed => Ok(()),
            TransactionResult::Aborted => Err("the browser aborted the write".to_string()),
        }
    }

    /// Writes all changes of one command in a single transaction: all or nothing.
    pub async fn apply(&self, changes: &[Change]) -> Result<(), String> {
        let tx = self.db.transaction(&ALL_STORES, TransactionMode::ReadWrite).map_err(js_err)?;
        for c in changes {
            let (store, value) = match c {
                Change::PutPipeline(p) => (PIPELINES, to_js(p)?),
                Change::PutDeal(d) => (DEALS, to_js(d)?),
                Change::AppendEvent(e) => (EVENTS, to_js(e)?),
                Change::AppendCategory(c) => (CATEGORY_CHANGES, to_js(c)?),
            };
            let store = tx.object_store(store).map_err(js_err)?;
            // `add` for events: the log is append-only, an existing id is an error.
            let issued = match c {
                Change::AppendEvent(_) | Change::AppendCategory(_) => store.add(&value, None).map(|_| ()),
                _ => store.put(&value, None).map(|_| ()),
            };
            if let Err(e) = issued {
                let _ = tx.abort();
                return Err(js_err(e));
            }
        }
        match tx.commit().map_err(js_err)?.await.map_err(js_err)? {
            TransactionResult::Committed => Ok(()),
            TransactionResult::Aborted => Err("the browser aborted the write".to_string()),
        }
    }
}
