//! Team sync with a CouchDB-compatible server (Apache CouchDB, a cluster, pouchdb-server),
//! as pure code: no HTTP and no storage here. Two small state machines say which request
//! to send next and which changes to store; a driver (the browser's, or a test's) sends
//! the requests, stores the changes through the single write path, and hands the answers
//! back. The browser's IndexedDB stays what the app reads from.
//!
//! Mapping: every record is one document with a stable id, `<kind>:<record id>`
//! ("deal:…", "event:…"; the settings are "settings"), its body `{"kind", "data"}`.
//! Appended records (stage changes, forecast calls) are written once and never change.
//! Editable ones carry their edit times (a deal per field), and what comes from the server
//! is merged with what is here by the same per-field newest-edit rule as a file merge
//! (`io::merge`), so every device ends with the same values whatever order the copies
//! arrive in. CouchDB's own revision winner is only a revision to build on: when a document
//! has conflicting revisions, all of them are merged the same way, the result is written
//! over the winner and the losing revisions are deleted.
//!
//! - Pull: the changes feed from the last checkpoint, a batch at a time; each batch is
//!   stored, then the checkpoint moves past it (a stop in between repeats the batch, and a
//!   repeated batch merges to nothing).
//! - Push: the documents changed here (kept in `SyncState::pending` until the server has
//!   them), in batches through `_bulk_docs`, each with the revision last seen; a conflict
//!   means someone wrote first: read theirs, merge, write again.

use crate::domain::{Change, Lookup, Workspace};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// Documents per request, both ways: small enough that merging and storing one batch into
/// a workspace of 10,000 deals stays a short task on the page's thread (500 took up to
/// 130 ms in Chromium on 2 cores), large enough that round trips do not dominate.
pub const BATCH: usize = 250;

/// What a document holds, in the order documents are pushed (what a record points at goes
/// first, so a teammate never receives a stage change before its deal).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Kind {
    Settings,
    Pipeline,
    Owner,
    Account,
    Contact,
    Deal,
    Event,
    Call,
    Activity,
    Lead,
}

impl Kind {
    pub const ALL: [Kind; 10] =
        [Kind::Settings, Kind::Pipeline, Kind::Owner, Kind::Account, Kind::Contact, Kind::Deal, Kind::Event, Kind::Call, Kind::Activity, Kind::Lead];

    pub fn name(self) -> &'static str {
        match self {
            Kind::Settings => "settings",
            Kind::Pipeline => "pipeline",
            Kind::Owner => "owner",
            Kind::Account => "account",
            Kind::Contact => "contact",
            Kind::Deal => "deal",
            Kind::Event => "event",
            Kind::Call => "call",
            Kind::Activity => "activity",
            Kind::Lead => "lead",
        }
    }

    /// The kind a document id names ("deal:…" → Deal).
    pub fn of(doc: &str) -> Option<Kind> {
        let name = doc.split_once(':').map_or(doc, |(k, _)| k);
        Kind::ALL.into_iter().find(|k| k.name() == name)
    }

    /// Written once, never changed: a second write of the same id is the same record.
    pub fn appended(self) -> bool {
        matches!(self, Kind::Event | Kind::Call)
    }
}

pub fn doc_id(kind: Kind, id: &str) -> String {
    match kind {
        Kind::Settings => "settings".into(),
        k => format!("{}:{id}", k.name()),
    }
}

/// A server address sync can use: http(s) with a host, no database part needed.
pub fn valid_server_url(url: &str) -> bool {
    let rest = url.strip_prefix("https://").or_else(|| url.strip_prefix("http://"));
    rest.is_some_and(|r| !r.is_empty() && !r.starts_with('/') && !r.contains(char::is_whitespace))
}

/// CouchDB's rule for database names: a lowercase letter, then lowercase letters, digits
/// and `_$()+-/`.
pub fn valid_db_name(db: &str) -> bool {
    db.chars().next().is_some_and(|c| c.is_ascii_lowercase()) && db.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "_$()+-/".contains(c))
}

/// The documents a stored change writes, and the ones it removes (a purge).
pub fn touched(change: &Change) -> (Vec<String>, Vec<String>) {
    let one = |k, id: &crate::domain::Id| (vec![doc_id(k, id.as_str())], Vec::new());
    match change {
        Change::PutPipeline(p) => one(Kind::Pipeline, &p.id),
        Change::PutDeal(d) => one(Kind::Deal, &d.id),
        Change::AppendEvent(e) => one(Kind::Event, &e.id),
        Change::AppendCategory(c) => one(Kind::Call, &c.id),
        Change::PutActivity(a) => one(Kind::Activity, &a.id),
        Change::PutOwner(o) => one(Kind::Owner, &o.id),
        Change::PutLead(l) => one(Kind::Lead, &l.id),
        Change::PutSettings(_) => (vec![doc_id(Kind::Settings, "")], Vec::new()),
        Change::PutAccount(a) => one(Kind::Account, &a.id),
        Change::PutContact(c) => one(Kind::Contact, &c.id),
        Change::PurgeDeal { tombstone, events, calls, activities } => {
            let gone = events
                .iter()
                .map(|id| doc_id(Kind::Event, id.as_str()))
                .chain(calls.iter().map(|id| doc_id(Kind::Call, id.as_str())))
                .chain(activities.iter().map(|id| doc_id(Kind::Activity, id.as_str())))
                .collect();
            (vec![doc_id(Kind::Deal, tombstone.id.as_str())], gone)
        }
    }
}

/// Every document a workspace holds (to send all of it: sync turned on for the first time).
pub fn all_docs(ws: &Workspace) -> Vec<String> {
    let ids = |k: Kind, v: Vec<&str>| v.into_iter().map(move |id| doc_id(k, id)).collect::<Vec<_>>();
    let mut out = vec![doc_id(Kind::Settings, "")];
    out.extend(ids(Kind::Pipeline, ws.pipelines.iter().map(|r| r.id.as_str()).collect()));
    out.extend(ids(Kind::Owner, ws.owners.iter().map(|r| r.id.as_str()).collect()));
    out.extend(ids(Kind::Account, ws.accounts.iter().map(|r| r.id.as_str()).collect()));
    out.extend(ids(Kind::Contact, ws.contacts.iter().map(|r| r.id.as_str()).collect()));
    out.extend(ids(Kind::Deal, ws.deals.iter().map(|r| r.id.as_str()).collect()));
    out.extend(ids(Kind::Event, ws.events.iter().map(|r| r.id.as_str()).collect()));
    out.extend(ids(Kind::Call, ws.category_changes.iter().map(|r| r.id.as_str()).collect()));
    out.extend(ids(Kind::Activity, ws.activities.iter().map(|r| r.id.as_str()).collect()));
    out.extend(ids(Kind::Lead, ws.leads.iter().map(|r| r.id.as_str()).collect()));
    out
}

/// The bodies of the local records `ids` name (records that are gone are left out).
pub fn bodies(ws: &Workspace, at: &Lookup, ids: &BTreeSet<&str>) -> HashMap<String, Value> {
    use crate::domain::ids::FxSet;
    use crate::domain::lookup::pick;
    let mut out = HashMap::new();
    // The record ids asked for, by kind. Serialise only what is asked for: a push of a few
    // deals must not encode 50k events.
    let mut wanted: HashMap<Kind, FxSet<crate::domain::Id>> = HashMap::new();
    for doc in ids {
        if let Some((kind, id)) = doc.split_once(':').and_then(|(k, id)| Some((Kind::of(k)?, id))) {
            wanted.entry(kind).or_default().insert(crate::domain::Id::from(id));
        }
    }
    let mut add = |kind: Kind, id: &crate::domain::Id, record: Value| {
        out.insert(doc_id(kind, id.as_str()), json!({ "kind": kind.name(), "data": record }));
    };
    // Mapped lists by position, the others (pipelines, owners, the logs) by one read.
    macro_rules! each {
        ($kind:expr, $list:expr, $at:expr) => {
            if let Some(want) = wanted.get(&$kind) {
                let want: FxSet<&crate::domain::Id> = want.iter().collect();
                for r in pick($list, $at, &want, |r| &r.id) {
                    add($kind, &r.id, serde_json::to_value(&r).unwrap_or(Value::Null));
                }
            }
        };
    }
    each!(Kind::Pipeline, &ws.pipelines, &None);
    each!(Kind::Owner, &ws.owners, &None);
    each!(Kind::Account, &ws.accounts, &at.accounts);
    each!(Kind::Contact, &ws.contacts, &at.contacts);
    each!(Kind::Deal, &ws.deals, &at.deals);
    each!(Kind::Event, &ws.events, &None);
    each!(Kind::Call, &ws.category_changes, &None);
    each!(Kind::Activity, &ws.activities, &at.activities);
    each!(Kind::Lead, &ws.leads, &at.leads);
    let settings = doc_id(Kind::Settings, "");
    if ids.contains(settings.as_str()) {
        let record = serde_json::to_value(&ws.settings).unwrap_or(Value::Null);
        out.insert(settings, json!({ "kind": Kind::Settings.name(), "data": record }));
    }
    out
}

/// Documents as a (partial) workspace, ready to merge; documents this build cannot read
/// (another kind, a newer shape that fails to parse) are counted and left alone.
pub fn workspace_of<'a>(docs: impl IntoIterator<Item = &'a Value>) -> (Workspace, usize) {
    let mut ws = Workspace::default();
    let mut unreadable = 0;
    for doc in docs {
        let data = doc.get("data").cloned().unwrap_or(Value::Null);
        let kind = doc.get("kind").and_then(Value::as_str).and_then(Kind::of);
        macro_rules! put {
            ($list:expr) => {
                match serde_json::from_value(data) {
                    Ok(r) => $list.push(r),
                    Err(_) => unreadable += 1,
                }
            };
        }
        match kind {
            Some(Kind::Pipeline) => put!(ws.pipelines),
            Some(Kind::Owner) => put!(ws.owners),
            Some(Kind::Account) => put!(ws.accounts),
            Some(Kind::Contact) => put!(ws.contacts),
            Some(Kind::Deal) => put!(ws.deals),
            Some(Kind::Event) => put!(ws.events),
            Some(Kind::Call) => put!(ws.category_changes),
            Some(Kind::Activity) => put!(ws.activities),
            Some(Kind::Lead) => put!(ws.leads),
            Some(Kind::Settings) => match serde_json::from_value(data) {
                Ok(s) => ws.settings = s,
                Err(_) => unreadable += 1,
            },
            None => unreadable += 1,
        }
    }
    ws.order_logs();
    (ws, unreadable)
}

/// What merging documents from the server into `local` changes here, how many could not
/// be read, and the documents that could not be placed yet: an activity whose deal or lead
/// is not here (the feed lists a document at its latest change, so a lead edited after its
/// first call comes after the call). Those wait and are tried again with later batches.
pub fn merge_in<'a>(local: &Workspace, at: &Lookup, docs: impl IntoIterator<Item = &'a Value>) -> (Workspace, Vec<Change>, usize, Vec<Value>) {
    let docs: Vec<&Value> = docs.into_iter().collect();
    let (theirs, unreadable) = workspace_of(docs.iter().copied());
    let changes = changes_for(local, at, &theirs);
    // Placed: written now, or here already.
    let mut placed: std::collections::HashSet<&str> =
        changes.iter().filter_map(|c| if let Change::PutActivity(a) = c { Some(a.id.as_str()) } else { None }).collect();
    placed.extend(theirs.activities.iter().filter(|a| at.activity(local, &a.id).is_some()).map(|a| a.id.as_str()));
    let waiting = docs
        .into_iter()
        .filter(|d| d.get("kind").and_then(Value::as_str) == Some(Kind::Activity.name()))
        .filter(|d| d.get("data").and_then(|x| x.get("id")).and_then(Value::as_str).is_some_and(|id| !placed.contains(id)))
        .cloned()
        .collect();
    (theirs, changes, unreadable, waiting)
}

/// The record a waiting document (an activity) points at: its lead, account or contact,
/// else its deal (as `Activity::on` decides).
fn waits_on(doc: &Value) -> Option<&str> {
    let data = doc.get("data")?;
    ["lead", "account", "contact", "deal"].into_iter().find_map(|k| data.get(k).and_then(Value::as_str).filter(|id| !id.is_empty()))
}

/// What storing `theirs` (an `Action::Store`) changes in `local` as it is when stored: the
/// same per-field merge as a file merge. Merging at store time, not when the documents
/// arrived, keeps an edit made here in between.
pub fn changes_for(local: &Workspace, at: &Lookup, theirs: &Workspace) -> Vec<Change> {
    // A pipeline's merge keeps stages that any deal's history uses: it needs everything.
    // Otherwise only the records the batch names matter, so the merge runs on those (a
    // first sync of 10,000 deals merges ~200 batches into a growing workspace).
    let mine = if theirs.pipelines.is_empty() { subset(local, at, theirs) } else { local.clone() };
    let merged = crate::io::merge::merge(&mine, theirs);
    crate::io::merge::changes_from(&mine, merged.workspace)
}

/// The part of `local` a merge with `theirs` reads: the records with the same ids, every
/// deal `theirs` touches (its own, its stage changes' and calls' deals, its activities'
/// targets) with all its history (a deal's stage is derived from it), the leads, accounts
/// and contacts activities point at, all pipelines and the settings.
fn subset(local: &Workspace, at: &Lookup, theirs: &Workspace) -> Workspace {
    use crate::domain::lookup::pick;
    use crate::domain::{ActivityOn, Id};
    use crate::domain::ids::FxSet as HashSet;
    let mut deals: HashSet<&Id> = theirs.deals.iter().map(|d| &d.id).collect();
    deals.extend(theirs.events.iter().map(|e| &e.opportunity));
    deals.extend(theirs.category_changes.iter().map(|c| &c.opportunity));
    let (mut leads, mut accounts, mut contacts): (HashSet<Id>, HashSet<Id>, HashSet<Id>) = Default::default();
    leads.extend(theirs.leads.iter().map(|l| l.id.clone()));
    accounts.extend(theirs.accounts.iter().map(|a| a.id.clone()));
    contacts.extend(theirs.contacts.iter().map(|c| c.id.clone()));
    let mut activity_deals: HashSet<Id> = HashSet::default();
    for a in &theirs.activities {
        match a.on() {
            ActivityOn::Deal(id) => drop(activity_deals.insert(id)),
            ActivityOn::Lead(id) => drop(leads.insert(id)),
            ActivityOn::Account(id) => drop(accounts.insert(id)),
            ActivityOn::Contact(id) => drop(contacts.insert(id)),
        }
    }
    deals.extend(activity_deals.iter());
    let acts: HashSet<&Id> = theirs.activities.iter().map(|a| &a.id).collect();
    let owners: HashSet<&Id> = theirs.owners.iter().map(|o| &o.id).collect();
    fn refs(s: &HashSet<Id>) -> HashSet<&Id> {
        s.iter().collect()
    }
    Workspace {
        pipelines: local.pipelines.clone(),
        deals: pick(&local.deals, &at.deals, &deals, |d| &d.id),
        // The logs are not mapped: read once each, for the deals named.
        events: local.events.iter().filter(|e| deals.contains(&e.opportunity)).cloned().collect(),
        category_changes: local.category_changes.iter().filter(|c| deals.contains(&c.opportunity)).cloned().collect(),
        activities: pick(&local.activities, &at.activities, &acts, |a| &a.id),
        owners: local.owners.iter().filter(|o| owners.contains(&o.id)).cloned().collect(),
        leads: pick(&local.leads, &at.leads, &refs(&leads), |l| &l.id),
        settings: local.settings.clone(),
        accounts: pick(&local.accounts, &at.accounts, &refs(&accounts), |a| &a.id),
        contacts: pick(&local.contacts, &at.contacts, &refs(&contacts), |c| &c.id),
    }
}

/// What this device keeps between syncs (in its own storage).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct SyncState {
    /// The changes-feed position up to which everything is stored here ("0": nothing).
    pub since: Value,
    /// The server's revision of each editable document, as last read or written. Stored
    /// one record per document (a first sync learns ~40,000 of them; rewriting them all as
    /// one record at each checkpoint froze the page), so not part of this record's JSON;
    /// read from an older build's record when there.
    #[serde(default, skip_serializing)]
    revs: BTreeMap<String, String>,
    /// Revisions learnt or dropped since the last save (`take_rev_changes`).
    #[serde(skip)]
    rev_changes: BTreeMap<String, Option<String>>,
    /// Documents changed here that the server does not have yet (stored as marks, in the
    /// same transaction as the change).
    #[serde(default, skip_serializing)]
    pub pending: BTreeSet<String>,
    /// Documents removed here (a purge) still to delete on the server.
    #[serde(default, skip_serializing)]
    pub removed: BTreeSet<String>,
    /// Pulled documents that wait for what they point at (see `merge_in`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub waiting: Vec<Value>,
}

impl SyncState {
    /// The state as stored: the record (`since`, `waiting`) and the revisions, one per
    /// document. Revisions an older build kept inside the record are saved per document
    /// at the next save.
    pub fn restore(mut record: SyncState, revs: impl IntoIterator<Item = (String, String)>) -> SyncState {
        record.rev_changes = record.revs.iter().map(|(d, r)| (d.clone(), Some(r.clone()))).collect();
        record.revs.extend(revs);
        record
    }

    pub fn rev(&self, doc: &str) -> Option<&str> {
        self.revs.get(doc).map(String::as_str)
    }

    fn set_rev(&mut self, doc: &str, rev: &str) {
        if self.revs.get(doc).map(String::as_str) != Some(rev) {
            self.revs.insert(doc.to_string(), rev.to_string());
            self.rev_changes.insert(doc.to_string(), Some(rev.to_string()));
        }
    }

    fn forget_rev(&mut self, doc: &str) {
        if self.revs.remove(doc).is_some() {
            self.rev_changes.insert(doc.to_string(), None);
        }
    }

    /// The revisions to store (Some) or delete (None) since the last call.
    pub fn take_rev_changes(&mut self) -> BTreeMap<String, Option<String>> {
        std::mem::take(&mut self.rev_changes)
    }

    /// Gives back changes a save could not store, unless newer ones came meanwhile.
    pub fn untake_rev_changes(&mut self, changes: BTreeMap<String, Option<String>>) {
        for (doc, rev) in changes {
            self.rev_changes.entry(doc).or_insert(rev);
        }
    }

    /// The record to store: the feed position and the documents that wait.
    pub fn checkpoint(&self) -> Value {
        let mut v = json!({ "since": self.since });
        if !self.waiting.is_empty() {
            v["waiting"] = Value::Array(self.waiting.clone());
        }
        v
    }

    /// Notes stored changes for the next push.
    pub fn changed(&mut self, changes: &[Change]) {
        for c in changes {
            let (put, gone) = touched(c);
            self.pending.extend(put);
            for g in gone {
                self.pending.remove(&g);
                self.removed.insert(g);
            }
        }
    }
}

/// Why a sync stopped, in words the user can act on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SyncError {
    /// 401: wrong user name or password.
    Unauthorized,
    /// 403: the user may not read or write this database.
    Forbidden,
    /// 404 on the database.
    DatabaseMissing,
    /// No answer (offline, server down, refused by CORS).
    Unreachable,
    /// Any other status, with the server's reason.
    Server(u16, String),
    /// An answer that is not what the protocol says.
    BadAnswer(String),
}

/// The reason for a failed answer (for requests made outside the two halves).
pub fn failure_of(status: u16, body: &str) -> SyncError {
    failure(status, body)
}

fn failure(status: u16, body: &str) -> SyncError {
    let reason = serde_json::from_str::<Value>(body).ok().and_then(|v| v.get("reason").and_then(Value::as_str).map(str::to_string)).unwrap_or_default();
    match status {
        0 => SyncError::Unreachable,
        401 => SyncError::Unauthorized,
        403 => SyncError::Forbidden,
        404 => SyncError::DatabaseMissing,
        s => SyncError::Server(s, reason),
    }
}

/// One HTTP request, relative to the database's URL ("" is the database itself). Always
/// JSON both ways.
#[derive(Clone, Debug, PartialEq)]
pub struct Request {
    pub method: &'static str,
    pub path: String,
    pub body: Option<Value>,
}

impl Request {
    fn get(path: String) -> Request {
        Request { method: "GET", path, body: None }
    }
    fn post(path: &str, body: Value) -> Request {
        Request { method: "POST", path: path.into(), body: Some(body) }
    }
}

// Actions are made one at a time and handled at once; boxing the workspace buys nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Clone, Debug, PartialEq)]
pub enum Action {
    /// Send this request, then hand its status and body to `answer` (status 0: no answer).
    Send(Request),
    /// Store what merging these records into the workspace changes (`changes`: as merged
    /// into the workspace `next` was given; merge again with `changes_for` if it has
    /// changed since), through the write path, then call `next` again.
    Store { theirs: Workspace, changes: Vec<Change> },
    /// Nothing to do until something changes (push) or the feed is polled again (pull).
    Idle,
    Failed(SyncError),
}

/// Percent-encodes a document id for a URL path ("deal:1" → "deal%3A1").
fn path_of(doc: &str) -> String {
    doc.bytes()
        .map(|b| if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) { (b as char).to_string() } else { format!("%{b:02X}") })
        .collect()
}

fn seq_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => "0".into(),
        other => other.to_string(),
    }
}

/// The pull half: the changes feed into the local workspace, conflicts resolved on the way.
/// Call `next` with the workspace as stored now, do what it says, and for `Send` pass the
/// answer to `answer`; after a `Store`, call `next` again once the changes are stored (the
/// checkpoint moves only then).
#[derive(Debug, Default)]
pub struct Pull {
    /// Long-poll the feed (live sync) instead of going idle when it is up to date.
    pub live: bool,
    step: PullStep,
    /// Documents read and not yet stored (`{_id, _rev, body}`), the checkpoint after them,
    /// and whether more follow.
    batch: Vec<Value>,
    next_since: Value,
    more: bool,
    /// Documents with conflicting revisions to resolve: (id, winning revision).
    conflicted: Vec<(String, String)>,
    still_waiting: Vec<Value>,
    /// Documents pulled so far, and ones this build could not read.
    pub pulled: usize,
    /// Documents in the database when the pull began (its info's `doc_count`), for a
    /// progress bar while catching up.
    pub total: Option<usize>,
    pub unreadable: usize,
}

#[derive(Clone, Debug, Default, PartialEq)]
enum PullStep {
    /// Check the database is there and readable.
    #[default]
    Check,
    Feed,
    /// A batch was read: store it.
    Read,
    /// The batch is stored: move the checkpoint.
    Stored,
    Resolve,
    /// The leaves of the first conflicted document were read: store them merged.
    Leaves(Vec<Value>),
    /// Stored: write the merged document over the winner and delete the other leaves.
    Write(Vec<Value>),
    /// Written: the next conflicted document.
    Written,
    Done,
}

impl Pull {
    /// A pull that long-polls the feed once up to date (live sync while a tab is open).
    pub fn live() -> Pull {
        Pull { live: true, ..Default::default() }
    }

    pub fn next(&mut self, ws: &Workspace, at: &Lookup, state: &mut SyncState) -> Action {
        match std::mem::take(&mut self.step) {
            PullStep::Check => {
                self.step = PullStep::Check;
                Action::Send(Request::get(String::new()))
            }
            PullStep::Feed => self.feed(state, false),
            PullStep::Done if self.live => self.feed(state, true),
            PullStep::Done => {
                self.step = PullStep::Done;
                Action::Idle
            }
            PullStep::Read => {
                // Documents that wait are tried again when what they point at arrives, and
                // with the last batch of a catch-up (not with every batch: a feed listing
                // thousands of lead activities before their leads would merge them all
                // again each time).
                let arrived: BTreeSet<&str> = self.batch.iter().filter_map(|d| d.get("body")?.get("data")?.get("id")?.as_str()).collect();
                let (retry, keep): (Vec<&Value>, Vec<&Value>) =
                    state.waiting.iter().partition(|w| !self.more || waits_on(w).is_some_and(|t| arrived.contains(t)));
                let (theirs, changes, unreadable, mut still) = merge_in(ws, at, self.batch.iter().filter_map(|d| d.get("body")).chain(retry));
                still.extend(keep.into_iter().cloned());
                self.unreadable += unreadable;
                // Kept with the checkpoint, once the batch is stored.
                self.still_waiting = still;
                self.step = PullStep::Stored;
                if changes.is_empty() { self.next(ws, at, state) } else { Action::Store { theirs, changes } }
            }
            PullStep::Stored => {
                self.pulled += self.batch.len();
                let batch = std::mem::take(&mut self.batch);
                // Log entries never change: only editable records can have won fields here.
                let ids: BTreeSet<&str> = batch
                    .iter()
                    .filter_map(|d| d.get("_id").and_then(Value::as_str))
                    .filter(|id| Kind::of(id).is_some_and(|k| !k.appended()))
                    .collect();
                let here = bodies(ws, at, &ids);
                for d in &batch {
                    let (Some(id), Some(rev)) = (d.get("_id").and_then(Value::as_str), d.get("_rev").and_then(Value::as_str)) else { continue };
                    if Kind::of(id).is_some_and(|k| !k.appended()) {
                        state.set_rev(id, rev);
                    }
                    // Edits made here that won some fields: the server needs the merged copy.
                    if here.get(id).and_then(|h| h.get("data")) != d.get("body").and_then(|b| b.get("data")) && here.contains_key(id) {
                        state.pending.insert(id.to_string());
                    }
                }
                state.since = std::mem::take(&mut self.next_since);
                state.waiting = std::mem::take(&mut self.still_waiting);
                self.step = if self.more { PullStep::Feed } else { PullStep::Resolve };
                self.next(ws, at, state)
            }
            PullStep::Resolve => match self.conflicted.first() {
                Some((doc, _)) => {
                    let path = format!("{}?open_revs=all", path_of(doc));
                    self.step = PullStep::Resolve;
                    Action::Send(Request::get(path))
                }
                None => {
                    self.step = PullStep::Done;
                    Action::Idle
                }
            },
            PullStep::Leaves(leaves) => {
                let (theirs, changes, _, _) = merge_in(ws, at, leaves.iter());
                self.step = PullStep::Write(leaves);
                if changes.is_empty() { self.next(ws, at, state) } else { Action::Store { theirs, changes } }
            }
            PullStep::Write(leaves) => {
                let Some((doc, winner)) = self.conflicted.first().cloned() else {
                    self.step = PullStep::Resolve;
                    return self.next(ws, at, state);
                };
                let Some(body) = bodies(ws, at, &BTreeSet::from([doc.as_str()])).remove(&doc) else {
                    self.conflicted.remove(0);
                    self.step = PullStep::Resolve;
                    return self.next(ws, at, state);
                };
                let mut docs = vec![with_meta(body, &doc, Some(&winner))];
                docs.extend(
                    leaves
                        .iter()
                        .filter_map(|l| l.get("_rev").and_then(Value::as_str))
                        .filter(|r| *r != winner)
                        .map(|r| json!({ "_id": doc, "_rev": r, "_deleted": true })),
                );
                self.step = PullStep::Written;
                Action::Send(Request::post("_bulk_docs", json!({ "docs": docs })))
            }
            PullStep::Written => {
                self.step = PullStep::Written;
                Action::Idle
            }
        }
    }

    fn feed(&mut self, state: &SyncState, long: bool) -> Action {
        let since = if state.since.is_null() { "0".to_string() } else { seq_text(&state.since) };
        let mut path = format!("_changes?style=all_docs&include_docs=true&conflicts=true&limit={BATCH}&since={}", path_of(&since));
        if long {
            path.push_str("&feed=longpoll&timeout=25000");
        }
        self.step = PullStep::Feed;
        Action::Send(Request::get(path))
    }

    /// The answer to the last request `next` asked for (status 0: none came).
    pub fn answer(&mut self, status: u16, body: &str, state: &mut SyncState) -> Result<(), SyncError> {
        if !(200..300).contains(&status) {
            // Start again from the checkpoint next time.
            self.step = PullStep::Check;
            self.batch.clear();
            return Err(failure(status, body));
        }
        let v: Value = serde_json::from_str(body).map_err(|e| SyncError::BadAnswer(e.to_string()))?;
        match std::mem::take(&mut self.step) {
            PullStep::Check => {
                self.total = v.get("doc_count").and_then(Value::as_u64).map(|n| n as usize);
                self.step = PullStep::Feed;
            }
            PullStep::Feed => {
                let results = v.get("results").and_then(Value::as_array).ok_or_else(|| SyncError::BadAnswer("no results".into()))?;
                self.more = results.len() >= BATCH;
                self.next_since = v.get("last_seq").cloned().unwrap_or(Value::Null);
                for r in results {
                    let Some(doc) = r.get("doc") else { continue };
                    let id = doc.get("_id").and_then(Value::as_str).unwrap_or_default();
                    if doc.get("_deleted") == Some(&Value::Bool(true)) || Kind::of(id).is_none() {
                        continue;
                    }
                    let rev = doc.get("_rev").and_then(Value::as_str).unwrap_or_default();
                    if doc.get("_conflicts").and_then(Value::as_array).is_some_and(|c| !c.is_empty()) && !self.conflicted.iter().any(|(d, _)| d == id) {
                        self.conflicted.push((id.to_string(), rev.to_string()));
                    }
                    self.batch.push(json!({ "_id": id, "_rev": rev, "body": strip_meta(doc) }));
                }
                self.step = PullStep::Read;
            }
            PullStep::Resolve => {
                let leaves: Vec<Value> = v
                    .as_array()
                    .map(|a| a.iter().filter_map(|x| x.get("ok").cloned()).filter(|d| d.get("_deleted") != Some(&Value::Bool(true))).collect())
                    .unwrap_or_default();
                self.step = PullStep::Leaves(leaves);
            }
            PullStep::Written => {
                // The first result is the merged document's new revision.
                if let (Some((doc, _)), Some(rev)) = (self.conflicted.first(), v.get(0).and_then(|r| r.get("rev")).and_then(Value::as_str)) {
                    state.set_rev(doc, rev);
                }
                self.conflicted.remove(0);
                self.step = PullStep::Resolve;
            }
            other => self.step = other,
        }
        Ok(())
    }

    /// Up to date and, unless live, nothing more to do.
    pub fn is_done(&self) -> bool {
        self.step == PullStep::Done
    }
}

/// The push half: documents changed here to the server, a batch at a time.
#[derive(Debug, Default)]
pub struct Push {
    step: PushStep,
    /// The documents of the request in flight.
    sent: Vec<String>,
    /// Documents someone else wrote first: read theirs, merge, write again.
    behind: Vec<String>,
    /// The server's revision of a document read, taken as known only once its merge is
    /// stored (writing over it before would overwrite what it holds).
    read_rev: Option<(String, String)>,
    /// Documents the server accepted from here.
    pub pushed: usize,
}

#[derive(Clone, Debug, Default, PartialEq)]
enum PushStep {
    #[default]
    Ready,
    /// A batch was sent.
    Sent,
    /// The server's copy of `behind[0]` was asked for.
    Reading,
    /// It was read: store it merged.
    Read(Value),
}

impl Push {
    pub fn next(&mut self, ws: &Workspace, at: &Lookup, state: &mut SyncState) -> Action {
        // Called again: what was read is merged and stored here.
        if let Some((id, rev)) = self.read_rev.take() {
            if !matches!(self.step, PushStep::Read(_)) {
                state.set_rev(&id, &rev);
            } else {
                self.read_rev = Some((id, rev));
            }
        }
        match std::mem::take(&mut self.step) {
            PushStep::Read(doc) => {
                let id = self.behind.remove(0);
                self.read_rev = doc.get("_rev").and_then(Value::as_str).map(|rev| (id, rev.to_string()));
                let (theirs, changes, _, _) = merge_in(ws, at, [&strip_meta(&doc)]);
                if changes.is_empty() { self.next(ws, at, state) } else { Action::Store { theirs, changes } }
            }
            PushStep::Ready if !self.behind.is_empty() => {
                self.step = PushStep::Reading;
                Action::Send(Request::get(path_of(&self.behind[0])))
            }
            PushStep::Ready => {
                // Deletions first (a purge), then documents in dependency order.
                let mut batch: Vec<String> = state.removed.iter().take(BATCH).cloned().collect();
                let mut rest: Vec<&String> = state.pending.iter().collect();
                rest.sort_by_key(|d| (Kind::of(d), d.as_str()));
                batch.extend(rest.into_iter().take(BATCH - batch.len()).cloned());
                if batch.is_empty() {
                    return Action::Idle;
                }
                let ids: BTreeSet<&str> = batch.iter().map(String::as_str).collect();
                let mut here = bodies(ws, at, &ids);
                let mut docs = Vec::new();
                self.sent.clear();
                for id in batch {
                    let rev = state.rev(&id);
                    let doc = if state.removed.contains(&id) {
                        match rev {
                            Some(r) => json!({ "_id": id, "_rev": r, "_deleted": true }),
                            // Never seen on the server: nothing to delete there.
                            None => {
                                state.removed.remove(&id);
                                continue;
                            }
                        }
                    } else {
                        match here.remove(&id) {
                            Some(body) => with_meta(body, &id, rev),
                            None => {
                                state.pending.remove(&id);
                                continue;
                            }
                        }
                    };
                    docs.push(doc);
                    self.sent.push(id);
                }
                if docs.is_empty() {
                    return self.next(ws, at, state);
                }
                self.step = PushStep::Sent;
                Action::Send(Request::post("_bulk_docs", json!({ "docs": docs })))
            }
            other => {
                self.step = other;
                Action::Idle
            }
        }
    }

    pub fn answer(&mut self, status: u16, body: &str, state: &mut SyncState) -> Result<(), SyncError> {
        let step = std::mem::take(&mut self.step);
        if !(200..300).contains(&status) {
            self.sent.clear();
            if step == PushStep::Reading && status == 404 {
                // Deleted on the server meanwhile: write ours as new.
                let id = self.behind.remove(0);
                state.forget_rev(&id);
                return Ok(());
            }
            return Err(failure(status, body));
        }
        let v: Value = serde_json::from_str(body).map_err(|e| SyncError::BadAnswer(e.to_string()))?;
        match step {
            PushStep::Sent => {
                let results = v.as_array().ok_or_else(|| SyncError::BadAnswer("_bulk_docs".into()))?;
                for (id, r) in std::mem::take(&mut self.sent).into_iter().zip(results) {
                    let ok = r.get("ok") == Some(&Value::Bool(true)) || r.get("rev").is_some() && r.get("error").is_none();
                    let appended = Kind::of(&id).is_some_and(Kind::appended);
                    if ok {
                        self.pushed += 1;
                        if state.removed.remove(&id) {
                            state.forget_rev(&id);
                        } else {
                            state.pending.remove(&id);
                            if let (false, Some(rev)) = (appended, r.get("rev").and_then(Value::as_str)) {
                                state.set_rev(&id, rev);
                            }
                        }
                    } else if r.get("error").and_then(Value::as_str) == Some("conflict") {
                        if appended {
                            // Written once, so the server's copy is this one.
                            state.pending.remove(&id);
                        } else if state.removed.contains(&id) {
                            state.removed.remove(&id);
                        } else {
                            self.behind.push(id);
                        }
                    } else {
                        let why = r.get("reason").and_then(Value::as_str).unwrap_or_default().to_string();
                        return Err(match r.get("error").and_then(Value::as_str) {
                            Some("forbidden") => SyncError::Forbidden,
                            Some("unauthorized") => SyncError::Unauthorized,
                            _ => SyncError::Server(status, why),
                        });
                    }
                }
            }
            PushStep::Reading => self.step = PushStep::Read(v),
            other => self.step = other,
        }
        Ok(())
    }
}

fn strip_meta(doc: &Value) -> Value {
    json!({ "kind": doc.get("kind"), "data": doc.get("data") })
}

fn with_meta(mut body: Value, id: &str, rev: Option<&str>) -> Value {
    if let Value::Object(m) = &mut body {
        m.insert("_id".into(), json!(id));
        if let Some(r) = rev {
            m.insert("_rev".into(), json!(r));
        }
    }
    body
}

/// End-to-end encryption happens around the protocol, in the driver: before a request
/// leaves, each document's `data` becomes `enc` (ciphertext, base64, sealed in the browser);
/// when an answer arrives, `enc` becomes `data` again. The server keeps ids, revisions, the
/// record kind and ciphertext. These helpers find and replace the document bodies; the
/// driver does the (asynchronous) cryptography in between.
pub mod seal {
    use serde_json::Value;

    /// The id of the document that holds the team's key salt and a check value.
    pub const KEY_DOC: &str = "crypto";
    /// What the check value decrypts to with the right passphrase.
    pub const CHECK: &str = "funnelscope team key";

    fn visit(v: &mut Value, from: &str, f: &mut dyn FnMut(&mut serde_json::Map<String, Value>)) {
        match v {
            Value::Object(m) => {
                if m.contains_key("_id") && m.contains_key(from) {
                    f(m);
                } else {
                    m.values_mut().for_each(|x| visit(x, from, f));
                }
            }
            Value::Array(a) => a.iter_mut().for_each(|x| visit(x, from, f)),
            _ => {}
        }
    }

    /// The plaintexts a request would send (each document's data as JSON text), in order.
    pub fn outgoing(body: &mut Value) -> Vec<String> {
        let mut out = Vec::new();
        visit(body, "data", &mut |m| out.push(m.get("data").map(Value::to_string).unwrap_or_default()));
        out
    }

    /// The request body with each document's data replaced by its ciphertext (same order).
    pub fn seal(body: &mut Value, sealed: Vec<String>) {
        let mut it = sealed.into_iter();
        visit(body, "data", &mut |m| {
            m.remove("data");
            m.insert("enc".into(), Value::String(it.next().unwrap_or_default()));
        });
    }

    /// The ciphertexts an answer carries (feed results, conflicting leaves, one document).
    pub fn incoming(answer: &mut Value) -> Vec<String> {
        let mut out = Vec::new();
        visit(answer, "enc", &mut |m| out.push(m.get("enc").and_then(Value::as_str).unwrap_or_default().to_string()));
        out
    }

    /// The answer with the plaintexts put back; a document that cannot be opened (another
    /// passphrase, altered) keeps no data, so it is counted unreadable and left alone.
    pub fn open(answer: &mut Value, opened: Vec<Option<String>>) {
        let mut it = opened.into_iter();
        visit(answer, "enc", &mut |m| {
            m.remove("enc");
            if let Some(data) = it.next().flatten().and_then(|t| serde_json::from_str::<Value>(&t).ok()) {
                m.insert("data".into(), data);
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{Id, Opportunity};

    #[test]
    fn documents_are_named_by_kind_and_record_id() {
        assert_eq!(doc_id(Kind::Deal, "d1"), "deal:d1");
        assert_eq!(doc_id(Kind::Settings, "ignored"), "settings");
        assert_eq!(Kind::of("event:e1"), Some(Kind::Event));
        assert_eq!(Kind::of("settings"), Some(Kind::Settings));
        assert_eq!(Kind::of("_design/x"), None);
        assert!(Kind::Event.appended() && Kind::Call.appended() && !Kind::Deal.appended());
        assert_eq!(path_of("deal:ab-1"), "deal%3Aab-1");
        // What points at something is pushed after it.
        assert!(Kind::Pipeline < Kind::Deal && Kind::Deal < Kind::Event && Kind::Deal < Kind::Activity && Kind::Account < Kind::Deal);
    }

    /// A purge rewrites the deal as a blank record and removes its history documents: they
    /// leave the push list and go on the list of documents to delete on the server.
    #[test]
    fn a_purge_deletes_the_history_documents_on_the_server() {
        let mut st = SyncState::default();
        let tombstone = Opportunity { id: Id::from("d1"), ..Default::default() };
        st.pending.insert("event:e1".into());
        st.changed(&[Change::PurgeDeal { tombstone, events: vec![Id::from("e1")], calls: vec![Id::from("c1")], activities: vec![] }]);
        assert_eq!(st.pending.iter().collect::<Vec<_>>(), ["deal:d1"]);
        assert_eq!(st.removed.iter().collect::<Vec<_>>(), ["call:c1", "event:e1"]);
    }

    /// Sealing replaces every document's data in a bulk write, and opening restores it in a
    /// feed answer; with a stand-in cipher (reversed text) the round trip is exact and
    /// nothing of the record is left in clear.
    #[test]
    fn sealing_replaces_every_body_and_opening_restores_it() {
        let rev = |t: &str| t.chars().rev().collect::<String>();
        let mut body = json!({ "docs": [
            { "_id": "deal:1", "_rev": "1-a", "kind": "deal", "data": { "title": "Secret deal", "amount": 123 } },
            { "_id": "event:2", "_deleted": true, "_rev": "1-b" },
        ]});
        let plain = seal::outgoing(&mut body);
        assert_eq!(plain.len(), 1);
        seal::seal(&mut body, plain.iter().map(|p| rev(p)).collect());
        let text = body.to_string();
        assert!(!text.contains("Secret deal") && !text.contains("\"amount\":123") && text.contains("\"enc\""));
        // As the feed would return it.
        let mut answer = json!({ "results": [{ "id": "deal:1", "doc": body["docs"][0].clone() }], "last_seq": 3 });
        let sealed = seal::incoming(&mut answer);
        seal::open(&mut answer, sealed.iter().map(|c| Some(rev(c))).collect());
        assert_eq!(answer["results"][0]["doc"]["data"], json!({ "title": "Secret deal", "amount": 123 }));
        assert!(answer["results"][0]["doc"].get("enc").is_none());
        // A wrong key opens nothing: no data, so the document is not read.
        let mut again = json!({ "results": [{ "doc": body["docs"][0].clone() }] });
        seal::open(&mut again, vec![None]);
        assert!(again["results"][0]["doc"].get("data").is_none());
    }

    /// Merging a batch on just the records it touches gives exactly what merging it into
    /// the whole workspace gives: a demo workspace arrives in shuffled batches of 300
    /// documents (with edits made here in between) and both ways end in the same records.
    #[test]
    fn merging_a_batch_on_its_records_equals_merging_into_everything() {
        use crate::domain::{demo, Lang};
        let now = chrono::TimeZone::with_ymd_and_hms(&chrono::Utc, 2026, 11, 27, 0, 0, 0).unwrap();
        let theirs = demo::generate(150, 4, 4, now, Lang::En);
        let mut docs: Vec<Value> = Vec::new();
        let all = all_docs(&theirs);
        let ids: BTreeSet<&str> = all.iter().map(String::as_str).collect();
        let mut b = bodies(&theirs, &Lookup::of(&theirs), &ids);
        assert_eq!(b, bodies(&theirs, &Lookup::default(), &ids), "by position or by search, the same");
        let mut rng = crate::domain::Rng::new(7);
        let mut order: Vec<String> = all.clone();
        for i in (1..order.len()).rev() {
            order.swap(i, rng.below(i as u64 + 1) as usize);
        }
        for id in order {
            if let Some(x) = b.remove(&id) {
                docs.push(x);
            }
        }
        // Here: a few of the same deals already, edited later.
        let mut local = Workspace { pipelines: theirs.pipelines.clone(), ..Default::default() };
        for d in theirs.deals.iter().take(10) {
            let mut mine = d.clone();
            mine.notes = "edited here".into();
            mine.field_times.insert("notes".into(), now);
            local.deals.push(mine);
        }
        local.events = theirs.events.iter().filter(|e| local.deals.iter().any(|d| d.id == e.opportunity)).cloned().collect();
        local.order_logs();
        let (mut fast, mut full) = (local.clone(), local.clone());
        // The records' positions kept current across batches, as the app's model keeps them.
        let mut at = Lookup::of(&fast);
        for batch in docs.chunks(300) {
            let (part, _) = workspace_of(batch.iter());
            let c = changes_for(&fast, &at, &part);
            assert_eq!(c, changes_for(&fast, &Lookup::default(), &part), "by position or by search, the same");
            fast.commit_at(c, &mut at);
            at.fill(&fast);
            assert_eq!(at, Lookup::of(&fast));
            let merged = crate::io::merge::merge(&full, &part);
            let c = crate::io::merge::changes_from(&full, merged.workspace);
            full.commit(c);
        }
        let key = |w: &Workspace| {
            let mut v = serde_json::to_value(w).unwrap();
            for k in ["pipelines", "deals", "events", "category_changes", "activities", "owners", "leads", "accounts", "contacts"] {
                if let Some(Value::Array(a)) = v.get_mut(k) {
                    a.sort_by_key(|x| x["id"].as_str().unwrap_or_default().to_string());
                }
            }
            v
        };
        assert!(key(&fast) == key(&full));
        assert_eq!(fast.deals.len(), theirs.deals.len());
        assert!(fast.deals.iter().filter(|d| d.notes == "edited here").count() == 10);
    }

    #[test]
    fn revisions_are_saved_as_they_change_and_read_back_from_either_shape() {
        let mut st = SyncState::default();
        st.set_rev("deal:a", "1-x");
        st.set_rev("deal:b", "1-y");
        st.set_rev("deal:a", "2-x");
        st.set_rev("deal:b", "1-y"); // the same again: nothing to write
        st.forget_rev("lead:gone"); // never known: nothing to delete
        let first = st.take_rev_changes();
        assert_eq!(first, BTreeMap::from([("deal:a".into(), Some("2-x".into())), ("deal:b".into(), Some("1-y".into()))]));
        assert!(st.take_rev_changes().is_empty(), "taken once");
        st.forget_rev("deal:b");
        let second = st.take_rev_changes();
        assert_eq!(second, BTreeMap::from([("deal:b".into(), None)]));
        // A save that failed gives its changes back; a newer change to the same document wins.
        st.set_rev("deal:b", "2-y");
        st.untake_rev_changes(second);
        assert_eq!(st.take_rev_changes(), BTreeMap::from([("deal:b".into(), Some("2-y".into()))]));
        // The record holds the feed position and what waits, never the revisions.
        st.since = json!("42-abc");
        assert_eq!(st.checkpoint(), json!({ "since": "42-abc" }));
        // Read back: the record plus one stored revision per document ...
        let record: SyncState = serde_json::from_value(st.checkpoint()).unwrap();
        let back = SyncState::restore(record, [("deal:a".to_string(), "2-x".to_string())]);
        assert_eq!((back.since.clone(), back.rev("deal:a"), back.rev("deal:b")), (json!("42-abc"), Some("2-x"), None));
        // ... or an older build's record with every revision inside: those are written
        // per document at the next save.
        let mut old: SyncState = serde_json::from_value(json!({ "since": 7, "revs": { "deal:c": "3-z" }, "pending": [], "removed": [] })).unwrap();
        old = SyncState::restore(old, []);
        assert_eq!(old.rev("deal:c"), Some("3-z"));
        assert_eq!(old.take_rev_changes(), BTreeMap::from([("deal:c".into(), Some("3-z".into()))]));
    }

    #[test]
    fn a_waiting_activity_waits_on_what_it_is_about() {
        let on = |data: Value| waits_on(&json!({ "kind": "activity", "data": data })).map(str::to_string);
        assert_eq!(on(json!({ "id": "a1", "deal": "", "lead": "l1" })), Some("l1".into()));
        assert_eq!(on(json!({ "id": "a2", "deal": "d1" })), Some("d1".into()));
        assert_eq!(on(json!({ "id": "a3", "deal": "", "contact": "c1" })), Some("c1".into()));
        assert_eq!(on(json!({ "id": "a4", "deal": "" })), None);
    }

    #[test]
    fn settings_are_checked_before_any_request() {
        assert!(valid_server_url("https://couch.example.com") && valid_server_url("http://127.0.0.1:5984"));
        assert!(!valid_server_url("couch.example.com") && !valid_server_url("https://") && !valid_server_url("ftp://x") && !valid_server_url("http://a b"));
        assert!(valid_db_name("team") && valid_db_name("funnel-team_2026") && valid_db_name("a/b"));
        assert!(!valid_db_name("Team") && !valid_db_name("1team") && !valid_db_name("") && !valid_db_name("团队"));
    }

    #[test]
    fn answers_map_to_reasons_in_words() {
        assert_eq!(failure(0, ""), SyncError::Unreachable);
        assert_eq!(failure(401, r#"{"error":"unauthorized","reason":"Name or password is incorrect."}"#), SyncError::Unauthorized);
        assert_eq!(failure(403, ""), SyncError::Forbidden);
        assert_eq!(failure(404, r#"{"error":"not_found","reason":"Database does not exist."}"#), SyncError::DatabaseMissing);
        assert_eq!(failure(500, r#"{"reason":"disk full"}"#), SyncError::Server(500, "disk full".into()));
    }
}
