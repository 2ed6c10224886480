//! The workspace as the browser stores it: records cut into segments of a few thousand,
//! each one stored value, so that opening 100,000 deals reads a few hundred values instead
//! of a million (read one by one, each record cost ~12 µs to fetch and convert: 98k
//! records, the history of 10,000 deals, took over a second). Changes made since the last
//! cut are stored loose, one record each, and laid over the segments when the workspace is
//! read: a loose record replaces a segment's record with the same id, and a removed id (a
//! purged deal's history) hides it. The kinds the board does not need (`LATER`) are read
//! after it is shown (`Rest`, `RestReader`).
//!
//! Pure: storage decides when to cut (`COMPACT_AT`), this module what a cut holds and how
//! the parts are put back together.
//!
//! A segment is written in the compact encoding (`io::compact`); segments written as JSON
//! arrays (before it existed) are still read, and `is_compact` tells storage to cut them
//! again.

use crate::domain::ids::{FxMap, FxSet, IdIndex, IdKey};
use crate::io::compact;
use crate::io::direct::FromCompact;
use crate::domain::{Account, Activity, CategoryChange, Change, Contact, Id, Lead, LogPlaces, Lookup, Opportunity, Owner, Pipeline, Places, Settings, StageChange, StagePositions, Workspace};
use serde::de::DeserializeOwned;
use serde::Serialize;

/// Records per segment. 4,000 events are ~0.3 MB compact (~1 MB as JSON): read and decoded
/// in a few ms in wasm, so a long write or read can yield between segments and never
/// freeze the page.
pub const SEGMENT_RECORDS: usize = 4_000;

/// Loose records (changes since the last cut) from which storage cuts new segments.
pub const COMPACT_AT: usize = 2_000;

/// The kinds of record kept in segments (settings is one record and stays loose).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Kind {
    Pipelines,
    Deals,
    Events,
    Calls,
    Activities,
    Owners,
    Leads,
    Accounts,
    Contacts,
}

impl Kind {
    pub const ALL: [Kind; 9] =
        [Kind::Pipelines, Kind::Deals, Kind::Events, Kind::Calls, Kind::Activities, Kind::Owners, Kind::Leads, Kind::Accounts, Kind::Contacts];

    /// The name of this kind's records: their section in an export, the store holding them
    /// loose, and the prefix of their segments' keys.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Pipelines => "pipelines",
            Kind::Deals => "deals",
            Kind::Events => "events",
            Kind::Calls => "category_changes",
            Kind::Activities => "activities",
            Kind::Owners => "owners",
            Kind::Leads => "leads",
            Kind::Accounts => "accounts",
            Kind::Contacts => "contacts",
        }
    }

    pub fn named(name: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.name() == name)
    }

    /// Whether the board can be shown without this kind's records: they are read after it
    /// is (`Rest`).
    pub fn later(self) -> bool {
        LATER.contains(&self)
    }

    /// Whether the kind is a log (kept in time order by `Workspace::order_logs`) rather
    /// than records kept in id order.
    fn is_log(self) -> bool {
        matches!(self, Kind::Events | Kind::Calls)
    }

    fn len(self, ws: &Workspace) -> usize {
        match self {
            Kind::Pipelines => ws.pipelines.len(),
            Kind::Deals => ws.deals.len(),
            Kind::Events => ws.events.len(),
            Kind::Calls => ws.category_changes.len(),
            Kind::Activities => ws.activities.len(),
            Kind::Owners => ws.owners.len(),
            Kind::Leads => ws.leads.len(),
            Kind::Accounts => ws.accounts.len(),
            Kind::Contacts => ws.contacts.len(),
        }
    }
}

/// Kinds the board does not need, read once it is shown (`Rest`): of opening 100,000
/// deals, decoding their 938k activities and 100k leads, checking what each activity is on
/// and mapping where each sits was ≈ 0.5 s of a CPU profile's 2.0 s.
pub const LATER: [Kind; 2] = [Kind::Activities, Kind::Leads];

/// A span of segment keys in the database's order: `from` included, `to` not; None:
/// unbounded on that side.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct KeySpan {
    pub from: Option<&'static str>,
    pub to: Option<&'static str>,
}

/// The spans of segment keys, in key order: first (`BOARD_SPANS` of them) those holding what
/// the board needs (every kind not in `LATER`, and any key this build does not know), then
/// those of the `LATER` kinds. Opening reads the first spans and shows the board; the others
/// arrive meanwhile. A kind's keys are `name/…`: they sort from `name/` up to `name0` ('0'
/// follows '/'). Reading every segment in key order before the board had the board wait for
/// 98 MB of activities and leads out of 183 MB, at 100,000 deals. Written out rather than
/// worked out from `LATER` (the code that would is in the first download); a test checks
/// they agree.
pub const KEY_SPANS: [KeySpan; 5] = [
    KeySpan { from: None, to: Some("activities/") },
    KeySpan { from: Some("activities0"), to: Some("leads/") },
    KeySpan { from: Some("leads0"), to: None },
    KeySpan { from: Some("activities/"), to: Some("activities0") },
    KeySpan { from: Some("leads/"), to: Some("leads0") },
];
/// How many of `KEY_SPANS`, from the first, hold what the board needs: opening waits for
/// these and lets the others arrive while the board is put together.
pub const BOARD_SPANS: usize = 3;

/// The positions of records in id order.
fn id_order<'a>(ids: impl Iterator<Item = &'a Id>) -> Vec<usize> {
    id_order_of(&ids.map(Id::as_str).collect::<Vec<_>>())
}

/// The positions of `ids` in their texts' order, positions breaking ties. One sort of
/// (id, position) pairs serves every kind: a sort per record type would compile a copy of
/// the sort for each into the wasm (this one is in the first download: opening lays loose
/// records over the stored ones). Sorted by the text's first 16 bytes as one number, then
/// the whole text (the same order as the text's): two word compares decide nearly every
/// pair of UUIDs, where comparing texts is a byte loop in wasm (938k activities: ≈ 215 ms
/// in one task, a CPU profile showed). A replace orders its records ahead, in slices
/// (`IdOrder`).
fn id_order_of(ids: &[&str]) -> Vec<usize> {
    let prefix = |s: &str| {
        let mut b = [0u8; 16];
        let n = s.len().min(16);
        b[..n].copy_from_slice(&s.as_bytes()[..n]);
        u128::from_be_bytes(b)
    };
    let mut keyed: Vec<(u128, &str, usize)> = ids.iter().enumerate().map(|(n, id)| (prefix(id), *id, n)).collect();
    keyed.sort_unstable_by(|a, b| a.0.cmp(&b.0).then_with(|| a.1.cmp(b.1)).then(a.2.cmp(&b.2)));
    keyed.into_iter().map(|(_, _, n)| n).collect()
}

/// The positions of records in id order (as `id_order`), worked out a part at a time
/// (`step`), so a replace's write can let the browser in between; only a replace uses it
/// (`Cutter::prepare`), so its code is fetched with the reader's, not in the first download.
///
/// (The text's first 8 bytes as one number, position) pairs are put in buckets by their
/// first byte, then each bucket is radix-sorted and each run of equal prefixes in it (for
/// random UUIDs, about a hundred pairs among a million) sorted by the whole text: the order
/// of sorting the texts, positions breaking ties. A comparison sort of the million
/// activities of 100,000 deals was ≈ 100 ms of one task of a replace's write in wasm, and
/// the radix sort of all of them at once ≈ 60 (CPU profiles showed: the write's longest).
pub(crate) struct IdOrder {
    keyed: Vec<(i64, u32)>,
    /// Where each first byte's bucket starts in `keyed` (and, last, where the last ends).
    bounds: Vec<usize>,
    /// The next bucket to sort.
    next: usize,
}

impl IdOrder {
    /// Bucketed by first byte; `id(i)` is record `i`'s id, for `i` below `len`.
    pub(crate) fn new<'a>(len: usize, id: impl Fn(usize) -> &'a str) -> IdOrder {
        // Flipping the top bit keeps the bytes' order as a signed number's.
        let prefix = |s: &str| (crate::domain::ids::head_u64(s) ^ (1 << 63)) as i64;
        let first = |k: i64| ((k as u64) >> 56) as usize ^ 0x80;
        let keys: Vec<(i64, u32)> = (0..len).zip(0u32..).map(|(i, n)| (prefix(id(i)), n)).collect();
        let mut bounds = vec![0usize; 257];
        for k in &keys {
            bounds[first(k.0) + 1] += 1;
        }
        for b in 1..bounds.len() {
            bounds[b] += bounds[b - 1];
        }
        let mut at = bounds.clone();
        let mut keyed = vec![(0, 0); keys.len()];
        for k in keys {
            let slot = &mut at[first(k.0)];
            keyed[*slot] = k;
            *slot += 1;
        }
        IdOrder { keyed, bounds, next: 0 }
    }

    /// Sorts buckets until about `budget` records are sorted (at least one bucket); true
    /// once all are. `id` as given to `new`.
    pub(crate) fn step<'a>(&mut self, id: impl Fn(usize) -> &'a str, budget: usize) -> bool {
        let mut done = 0;
        while self.next < 256 && done < budget.max(1) {
            let bucket = &mut self.keyed[self.bounds[self.next]..self.bounds[self.next + 1]];
            crate::analytics::stats::radix_sort_by_key(bucket, |x| x.0);
            // Runs of one prefix: by the whole text, then position.
            let mut start = 0;
            while start < bucket.len() {
                let end = start + bucket[start..].iter().take_while(|x| x.0 == bucket[start].0).count();
                if end - start > 1 {
                    bucket[start..end].sort_unstable_by(|a, b| id(a.1 as usize).cmp(id(b.1 as usize)).then(a.1.cmp(&b.1)));
                }
                start = end;
            }
            done += bucket.len();
            self.next += 1;
        }
        self.next >= 256
    }

    /// The positions in id order (once `step` said done).
    pub(crate) fn finish(self) -> Vec<usize> {
        self.keyed.into_iter().map(|(_, n)| n as usize).collect()
    }
}

/// Record `i` of a keyed kind's list: its id (None for the logs, or past the end).
fn id_at(kind: Kind, ws: &Workspace, i: usize) -> Option<&Id> {
    match kind {
        Kind::Pipelines => ws.pipelines.get(i).map(|r| &r.id),
        Kind::Deals => ws.deals.get(i).map(|r| &r.id),
        Kind::Activities => ws.activities.get(i).map(|r| &r.id),
        Kind::Owners => ws.owners.get(i).map(|r| &r.id),
        Kind::Leads => ws.leads.get(i).map(|r| &r.id),
        Kind::Accounts => ws.accounts.get(i).map(|r| &r.id),
        Kind::Contacts => ws.contacts.get(i).map(|r| &r.id),
        Kind::Events | Kind::Calls => None,
    }
}

/// Puts `records` in the order `order` lists their positions in.
fn permute<T>(records: &mut Vec<T>, order: Vec<usize>) {
    let mut slots: Vec<Option<T>> = records.drain(..).map(Some).collect();
    records.extend(order.into_iter().filter_map(|i| slots.get_mut(i).and_then(Option::take)));
}

/// A segment's key: its kind's store name and its number, zero-padded so keys sort in
/// the order they were cut ("events/000012").
pub fn key(kind: Kind, n: usize) -> String {
    format!("{}/{n:06}", kind.name())
}

/// Whether a segment holds records of a kind read after the board is shown (`LATER`).
pub fn is_later(key: &str) -> bool {
    kind_of_key(key).is_some_and(Kind::later)
}

/// The kind a segment key names (None: not a key this build wrote).
pub fn kind_of_key(key: &str) -> Option<Kind> {
    key.split_once('/').and_then(|(store, _)| Kind::named(store))
}

/// Cuts a workspace into segments, one per `next` call, serialised only when asked for so
/// a long write can yield between them. It keeps only its place: each call is handed the
/// workspace (the UI lends its model's between awaits; nothing changes it meanwhile, as
/// writes wait their turn). Keyed records go in id order (the order the browser returns
/// loose records in, so a cut changes no list's order); logs in the workspace's own (time)
/// order.
#[derive(Default)]
pub struct Cutter {
    kind: usize,
    /// The current kind's records in the order they are written.
    order: Vec<usize>,
    at: usize,
    n: usize,
    /// Each kind's first segment number (`after`; 0 for a whole workspace).
    first: [usize; Kind::ALL.len()],
    /// Keyed kinds' orders worked out ahead (`prepare`), by kind; the one under way, and
    /// the next kind to order.
    orders: [Option<Vec<usize>>; Kind::ALL.len()],
    ordering: Option<IdOrder>,
    prepared: usize,
}

impl Cutter {
    pub fn new() -> Self {
        Cutter::default()
    }

    /// A cutter whose segments are numbered, kind by kind, after the stored segments with
    /// these keys: for records stored beside them (`Fresh`), not in their place.
    pub fn after<'a>(stored: impl Iterator<Item = &'a str>) -> Self {
        let mut first = [0usize; Kind::ALL.len()];
        for key in stored {
            let Some((name, n)) = key.split_once('/') else { continue };
            let (Some(kind), Ok(n)) = (Kind::named(name), n.parse::<usize>()) else { continue };
            if let Some(f) = Kind::ALL.iter().position(|k| *k == kind).and_then(|i| first.get_mut(i)) {
                *f = (*f).max(n.saturating_add(1));
            }
        }
        Cutter { first, ..Cutter::default() }
    }

    /// How many segments the workspace makes.
    pub fn count(ws: &Workspace) -> usize {
        Kind::ALL.into_iter().map(|k| k.len(ws).div_ceil(SEGMENT_RECORDS)).sum()
    }

    /// Every segment at once (tests, small workspaces).
    pub fn all(ws: &Workspace) -> Vec<(String, Vec<u8>)> {
        Cutter::new().all_of(ws)
    }

    /// Every segment this cutter makes of `ws`, at once.
    pub fn all_of(mut self, ws: &Workspace) -> Vec<(String, Vec<u8>)> {
        std::iter::from_fn(|| self.next(ws)).collect()
    }

    fn encode<T: Serialize>(records: &[T], order: &[usize]) -> Vec<u8> {
        let picked = || order.iter().filter_map(|&i| records.get(i));
        let mut enc = compact::Encoder::new();
        if picked().try_for_each(|r| enc.push(r)).is_ok() {
            return enc.finish();
        }
        // No record type has a field the compact encoding cannot write; were one added, its
        // segments would be stored as JSON (which is still read) rather than lost.
        serde_json::to_vec(&picked().collect::<Vec<&T>>()).unwrap_or_else(|_| b"[]".to_vec())
    }

    /// Works out the order of the keyed kinds' records ahead of `next`, about `budget`
    /// records at a time; true once done. Optional: `next` orders a kind it finds
    /// unprepared at once. A replace's write prepares with yields before its transaction
    /// (which must not wait on anything but the database), so no task of the write sorts.
    pub fn prepare(&mut self, ws: &Workspace, budget: usize) -> bool {
        while let Some(&kind) = Kind::ALL.get(self.prepared) {
            if matches!(kind, Kind::Events | Kind::Calls) || kind.len(ws) == 0 {
                self.prepared += 1;
                continue;
            }
            let id = |i: usize| id_at(kind, ws, i).map_or("", Id::as_str);
            let order = self.ordering.get_or_insert_with(|| IdOrder::new(kind.len(ws), id));
            if !order.step(id, budget) {
                return false;
            }
            if let (Some(order), Some(slot)) = (self.ordering.take(), self.orders.get_mut(self.prepared)) {
                *slot = Some(order.finish());
            }
            self.prepared += 1;
            return self.prepared >= Kind::ALL.len();
        }
        true
    }

    /// The next segment's key and its records in the compact encoding; None when all are cut.
    pub fn next(&mut self, ws: &Workspace) -> Option<(String, Vec<u8>)> {
        loop {
            let kind = *Kind::ALL.get(self.kind)?;
            let len = kind.len(ws);
            if self.at >= len {
                self.kind += 1;
                self.order.clear();
                self.at = 0;
                self.n = 0;
                continue;
            }
            if self.at == 0 && self.order.is_empty() {
                let prepared = self.orders.get_mut(self.kind).and_then(Option::take).filter(|o| o.len() == len);
                self.order = prepared.unwrap_or_else(|| match kind {
                    Kind::Events | Kind::Calls => (0..len).collect(),
                    _ => id_order((0..len).filter_map(|i| id_at(kind, ws, i))),
                });
            }
            let end = (self.at + SEGMENT_RECORDS).min(len).min(self.order.len());
            let order = &self.order[self.at.min(end)..end];
            let bytes = match kind {
                Kind::Pipelines => Self::encode(&ws.pipelines, order),
                Kind::Deals => Self::encode(&ws.deals, order),
                Kind::Events => Self::encode(&ws.events, order),
                Kind::Calls => Self::encode(&ws.category_changes, order),
                Kind::Activities => Self::encode(&ws.activities, order),
                Kind::Owners => Self::encode(&ws.owners, order),
                Kind::Leads => Self::encode(&ws.leads, order),
                Kind::Accounts => Self::encode(&ws.accounts, order),
                Kind::Contacts => Self::encode(&ws.contacts, order),
            };
            let item = (key(kind, self.first.get(self.kind).copied().unwrap_or(0) + self.n), bytes);
            // Past the end if the workspace shrank under the cutter: the kind ends here.
            self.at = if end > self.at { end } else { len };
            self.n += 1;
            return Some(item);
        }
    }
}

/// Whether segments are worth cutting again however few records are loose: `stored`
/// segments where a cut makes `needed`. Records added as segments of their own (`Fresh`)
/// leave part-full ones, each big add up to one per kind, and a keyed kind cut apart is put
/// back in id order on every read; each segment also reserves a whole segment's room when
/// read (`reserve`). Tolerated: a quarter over, and at least one per kind.
pub fn too_many(stored: usize, needed: usize) -> bool {
    stored > needed + (needed / 4).max(Kind::ALL.len())
}

/// `too_many` for the kinds `of` picks: the stored segments' keys against what a cut of
/// `ws` makes of those kinds (on opening, before the kinds read later are in).
pub fn crowded<'a>(keys: impl Iterator<Item = &'a str>, ws: &Workspace, of: impl Fn(Kind) -> bool) -> bool {
    let stored = keys.filter_map(kind_of_key).filter(|k| of(*k)).count();
    let needed = Kind::ALL.into_iter().filter(|k| of(*k)).map(|k| k.len(ws).div_ceil(SEGMENT_RECORDS)).sum();
    too_many(stored, needed)
}

/// Changes bringing at least this many new records store those as segments (`Fresh`).
pub const FRESH_AT: usize = COMPACT_AT;

/// A change list's records the store does not hold yet, to be stored as new segments beside
/// the stored ones (`Cutter::after`), and the rest, stored loose as ever. Adding a pipeline
/// of 8,800 deals stored 32,697 records one by one: ≈ 9.5 s of "Saving…" in Chromium,
/// where its segments are ten values.
#[derive(Debug, Default, PartialEq)]
pub struct Fresh {
    /// The new records (logs in time order); empty when there are fewer than `FRESH_AT`.
    pub ws: Workspace,
    /// Positions in the change list of the changes stored loose, in order.
    pub loose: Vec<usize>,
}

impl Fresh {
    /// Splits `changes`, planned against `stored` (what the store holds, as memory has it;
    /// `at` its positions by id): `FreshBuilder` at once.
    pub fn of(changes: &[Change], stored: &Workspace, at: &Lookup) -> Fresh {
        let mut b = FreshBuilder::new(changes);
        while !b.step(stored, at, usize::MAX) {}
        b.finish()
    }
}

/// `Fresh::of` a slice at a time (`step`), so the browser paints and handles input between
/// slices: for a merge of 10,000 deals (98k changes) it was one task of ≈ 90 ms in wasm.
/// A record is new when nothing stored has its id and the list puts it once (put twice,
/// the later must win: both stay loose, in order); a log entry (ids are never reused) when
/// its deal is new in the same list. Settings and purges stay loose.
pub struct FreshBuilder<'a> {
    changes: &'a [Change],
    /// 0 counting each record's puts, 1 marking the new records, 2 the new deals' log
    /// entries, 3 copying the new records, 4 putting the logs in order, 5 done.
    phase: u8,
    /// The next change of the phase.
    next: usize,
    times: FxMap<(Kind, &'a str), u32>,
    new: Vec<bool>,
    new_deals: FxSet<&'a str>,
    /// The stored ids of kinds `at` has no map for (made when first needed).
    sets: FxMap<Kind, FxSet<Id>>,
    /// The stored lists' lengths, and which have a map in `at`, when the work began: another
    /// write between two steps starts it over (`MergeBuilder` does the same).
    shape: Option<[usize; 12]>,
    /// Fewer new records than `FRESH_AT`: everything stays loose.
    few: bool,
    ws: Workspace,
    loose: Vec<usize>,
}

/// The kind and id of a change that puts a record by id.
fn keyed(c: &Change) -> Option<(Kind, &Id)> {
    Some(match c {
        Change::PutPipeline(r) => (Kind::Pipelines, &r.id),
        Change::PutDeal(r) => (Kind::Deals, &r.id),
        Change::PutActivity(r) => (Kind::Activities, &r.id),
        Change::PutOwner(r) => (Kind::Owners, &r.id),
        Change::PutLead(r) => (Kind::Leads, &r.id),
        Change::PutAccount(r) => (Kind::Accounts, &r.id),
        Change::PutContact(r) => (Kind::Contacts, &r.id),
        _ => return None,
    })
}

impl<'a> FreshBuilder<'a> {
    pub fn new(changes: &'a [Change]) -> FreshBuilder<'a> {
        FreshBuilder {
            changes,
            phase: 0,
            next: 0,
            // Sized up front: growing it was a quarter of this for a merge of 10,000 deals.
            times: FxMap::with_capacity_and_hasher(changes.len(), Default::default()),
            new: vec![false; changes.len()],
            new_deals: FxSet::default(),
            sets: FxMap::default(),
            shape: None,
            few: false,
            ws: Workspace::default(),
            loose: Vec::new(),
        }
    }

    fn shape_of(stored: &Workspace, at: &Lookup) -> [usize; 12] {
        let w = stored;
        [
            w.pipelines.len(),
            w.owners.len(),
            w.deals.len(),
            w.activities.len(),
            w.leads.len(),
            w.accounts.len(),
            w.contacts.len(),
            at.deals.is_some() as usize,
            at.activities.is_some() as usize,
            at.leads.is_some() as usize,
            at.accounts.is_some() as usize,
            at.contacts.is_some() as usize,
        ]
    }

    /// Whether `stored` holds a record of this kind and id.
    fn held(&mut self, stored: &Workspace, at: &Lookup, kind: Kind, id: &Id) -> bool {
        let map = match kind {
            // Two short lists, and few of their records in any change list.
            Kind::Pipelines => return stored.pipelines.iter().any(|p| p.id == *id),
            Kind::Owners => return stored.owners.iter().any(|o| o.id == *id),
            Kind::Events | Kind::Calls => return false,
            Kind::Deals => &at.deals,
            Kind::Activities => &at.activities,
            Kind::Leads => &at.leads,
            Kind::Accounts => &at.accounts,
            Kind::Contacts => &at.contacts,
        };
        if let Some(m) = map {
            return m.contains_key(id);
        }
        fn ids<T>(list: &[T], id: impl Fn(&T) -> &Id) -> FxSet<Id> {
            list.iter().map(|r| id(r).clone()).collect()
        }
        self.sets
            .entry(kind)
            .or_insert_with(|| match kind {
                Kind::Deals => ids(&stored.deals, |r: &Opportunity| &r.id),
                Kind::Activities => ids(&stored.activities, |r: &Activity| &r.id),
                Kind::Leads => ids(&stored.leads, |r: &Lead| &r.id),
                Kind::Accounts => ids(&stored.accounts, |r: &Account| &r.id),
                _ => ids(&stored.contacts, |r: &Contact| &r.id),
            })
            .contains(id)
    }

    /// Goes through up to `budget` more changes (putting the logs in order is one step of
    /// its own); true once all is done.
    pub fn step(&mut self, stored: &Workspace, at: &Lookup, budget: usize) -> bool {
        let shape = Self::shape_of(stored, at);
        if self.shape.is_some_and(|s| s != shape) {
            *self = FreshBuilder::new(self.changes);
        }
        self.shape = Some(shape);
        let changes = self.changes;
        let (from, to) = (self.next, self.next.saturating_add(budget).min(changes.len()));
        match self.phase {
            0 => {
                for (kind, id) in changes[from..to].iter().filter_map(keyed) {
                    *self.times.entry((kind, id.as_str())).or_default() += 1;
                }
            }
            1 => {
                for (i, c) in changes.iter().enumerate().take(to).skip(from) {
                    if let Some((kind, id)) = keyed(c) {
                        if self.times.get(&(kind, id.as_str())) == Some(&1) && !self.held(stored, at, kind, id) {
                            self.new[i] = true;
                            if kind == Kind::Deals {
                                self.new_deals.insert(id.as_str());
                            }
                        }
                    }
                }
            }
            2 => {
                for (i, c) in changes.iter().enumerate().take(to).skip(from) {
                    let deal = match c {
                        Change::AppendEvent(e) => &e.opportunity,
                        Change::AppendCategory(c) => &c.opportunity,
                        _ => continue,
                    };
                    self.new[i] = self.new_deals.contains(deal.as_str());
                }
            }
            3 => {
                if from == 0 {
                    if self.new.iter().filter(|&&n| n).count() < FRESH_AT {
                        self.few = true;
                        self.phase = 5;
                        return true;
                    }
                    // Sized up front (moving each whole change to copy its record was
                    // another quarter of this before).
                    let new = &self.new;
                    self.ws.reserve_for(changes.iter().zip(new).filter(|(_, n)| **n).map(|(c, _)| c));
                }
                let ws = &mut self.ws;
                for (i, c) in changes.iter().enumerate().take(to).skip(from) {
                    if !self.new[i] {
                        self.loose.push(i);
                        continue;
                    }
                    match c {
                        Change::PutPipeline(r) => ws.pipelines.push(r.clone()),
                        Change::PutDeal(r) => ws.deals.push(r.clone()),
                        Change::AppendEvent(r) => ws.events.push(r.clone()),
                        Change::AppendCategory(r) => ws.category_changes.push(r.clone()),
                        Change::PutActivity(r) => ws.activities.push(r.clone()),
                        Change::PutOwner(r) => ws.owners.push(r.clone()),
                        Change::PutLead(r) => ws.leads.push(r.clone()),
                        Change::PutAccount(r) => ws.accounts.push(r.clone()),
                        Change::PutContact(r) => ws.contacts.push(r.clone()),
                        Change::PutSettings(_) | Change::PurgeDeal { .. } => self.loose.push(i),
                    }
                }
            }
            4 => {
                self.ws.order_logs();
                self.phase = 5;
                return true;
            }
            _ => return true,
        }
        if to == changes.len() {
            self.phase += 1;
            self.next = 0;
        } else {
            self.next = to;
        }
        false
    }

    /// The split; call once `step` said done.
    pub fn finish(self) -> Fresh {
        if self.few {
            return Fresh { ws: Workspace::default(), loose: (0..self.changes.len()).collect() };
        }
        Fresh { ws: self.ws, loose: self.loose }
    }
}

/// A stored record that could not be read or points nowhere: left in the database as it
/// is, kept out of the app, and listed for the user.
#[derive(Clone, Debug, PartialEq)]
pub struct Quarantined {
    pub store: &'static str,
    pub id: String,
    pub reason: Dangling,
}

/// Why a stored record was set aside (the UI words it in the user's language).
#[derive(Clone, Debug, PartialEq)]
pub enum Dangling {
    /// Not a record this build can read (the decoder's own words, as a detail).
    Unreadable(String),
    UnknownPipeline(String),
    UnknownDeal(String),
    UnknownStage(String),
}


/// Sets aside records that point at nothing this workspace has, so the rest stays valid.
pub fn set_aside_dangling(ws: &mut Workspace, bad: &mut Vec<Quarantined>) {
    set_aside(ws, bad, false);
}

/// `set_aside_dangling`; with `derive` (the logs in time order), also each deal's stage
/// from its last event, in the same pass over the events (`derive_stages` finds every
/// event's deal again: 130 ms of opening 100,000 deals natively), and where each kept
/// record's deal sits, each kept event's stage and each kept record's time in seconds
/// (`Places`, for the analytics index). `None` when it could not derive (two deals with one
/// id: `derive_stages` decides).
fn set_aside(ws: &mut Workspace, bad: &mut Vec<Quarantined>, derive: bool) -> Option<LogPlaces> {
    // In place (`retain`): the records kept, nearly all of them, are not moved.
    let Workspace { pipelines, deals, events, category_changes, activities, leads, accounts, contacts, .. } = ws;
    let pipeline_of: FxMap<&str, usize> = pipelines.iter().enumerate().map(|(i, p)| (p.id.as_str(), i)).collect();
    let stages_of: Vec<StagePositions> = pipelines.iter().map(StagePositions::of).collect();
    deals.retain(|d| {
        let known = pipeline_of.contains_key(d.pipeline.as_str());
        if !known {
            bad.push(Quarantined { store: Kind::Deals.name(), id: d.id.to_string(), reason: Dangling::UnknownPipeline(d.pipeline.to_string()) });
        }
        known
    });
    // Each deal's number (as a map: the last of two deals with one id counts), with its
    // position and pipeline.
    let mut deal_ids = IdIndex::with_capacity(deals.len());
    let mut deal_at: Vec<(usize, &StagePositions)> = Vec::with_capacity(deals.len());
    for (i, d) in deals.iter().enumerate() {
        let Some(p) = pipeline_of.get(d.pipeline.as_str()).and_then(|&p| stages_of.get(p)) else { continue };
        match deal_ids.insert(&d.id) {
            (_, true) => deal_at.push((i, p)),
            (n, false) => deal_at[n as usize] = (i, p),
        }
    }
    let derive = derive && deal_at.len() == deals.len();
    // Each deal's last event kept, by its position among the kept ones.
    let mut last: Vec<Option<usize>> = if derive { vec![None; deals.len()] } else { Vec::new() };
    let mut kept = 0;
    let room = |n: usize| if derive { n } else { 0 };
    let mut places = LogPlaces {
        deals: IdIndex::default(),
        events: Vec::with_capacity(room(events.len())),
        stages: Vec::with_capacity(room(events.len())),
        times: Vec::with_capacity(room(events.len())),
        calls: Vec::with_capacity(room(category_changes.len())),
        call_times: Vec::with_capacity(room(category_changes.len())),
    };
    // Every event's deal first, in batches (`IdIndex::each`), then the log kept in place.
    let mut found = Vec::with_capacity(events.len());
    deal_ids.each(events.iter().map(|e| &e.opportunity), |n| found.push(n.unwrap_or(u32::MAX)));
    let mut found_each = found.iter();
    events.retain(|e| {
        let at = found_each.next().and_then(|&n| deal_at.get(n as usize));
        let reason = match at {
            None => Some(Dangling::UnknownDeal(e.opportunity.to_string())),
            Some((i, p)) => {
                // The stage entered is found by position: the index reads it as that.
                let to = p.position(&e.to);
                let unknown = e.from.as_ref().filter(|s| p.position(s).is_none()).or(to.is_none().then_some(&e.to));
                let reason = unknown.map(|s| Dangling::UnknownStage(s.to_string()));
                if let (None, Some(to)) = (&reason, to) {
                    if let Some(slot) = last.get_mut(*i) {
                        *slot = Some(kept);
                        places.events.push(*i as u32);
                        places.stages.push(Places::stage_number(to));
                        places.times.push(e.at.timestamp());
                    }
                    kept += 1;
                }
                reason
            }
        };
        let keep = reason.is_none();
        if let Some(reason) = reason {
            bad.push(Quarantined { store: Kind::Events.name(), id: e.id.to_string(), reason });
        }
        keep
    });
    found.clear();
    deal_ids.each(category_changes.iter().map(|c| &c.opportunity), |n| found.push(n.unwrap_or(u32::MAX)));
    let mut found_each = found.iter();
    category_changes.retain(|c| {
        let at = found_each.next().and_then(|&n| deal_at.get(n as usize));
        let keep = at.is_some();
        if let Some((i, _)) = at.filter(|_| derive) {
            places.calls.push(*i as u32);
            places.call_times.push(c.at.timestamp());
        }
        if !keep {
            bad.push(Quarantined { store: Kind::Calls.name(), id: c.id.to_string(), reason: Dangling::UnknownDeal(c.opportunity.to_string()) });
        }
        keep
    });
    if !activities.is_empty() {
        let known = crate::domain::activity::Known {
            deals: deals.iter().map(|d| IdKey::of(&d.id)).collect(),
            leads: leads.iter().map(|l| IdKey::of(&l.id)).collect(),
            accounts: accounts.iter().map(|a| IdKey::of(&a.id)).collect(),
            contacts: contacts.iter().map(|c| IdKey::of(&c.id)).collect(),
        };
        let keep: Vec<bool> = activities.iter().map(|a| a.target_known(&known)).collect();
        keep_marked(activities, &keep, bad);
    }
    for (d, at) in deals.iter_mut().zip(&last) {
        // Assigned only when it differs: on a load nearly every stage is already right.
        if let Some(e) = at.and_then(|k| events.get(k)).filter(|e| e.to != d.stage) {
            d.stage = e.to.clone();
        }
    }
    // Numbered by position: with `derive` every deal's id is distinct and every deal has
    // a known pipeline (the others were set aside above).
    places.deals = deal_ids;
    derive.then_some(places)
}

/// Keeps the activities marked in `keep` (one mark each, in order); the others are set
/// aside as on nothing this workspace has.
fn keep_marked(activities: &mut Vec<Activity>, keep: &[bool], bad: &mut Vec<Quarantined>) {
    let mut marks = keep.iter();
    activities.retain(|a| {
        let keep = marks.next().copied().unwrap_or(true);
        if !keep {
            bad.push(Quarantined { store: Kind::Activities.name(), id: a.id.to_string(), reason: Dangling::UnknownDeal(a.target_id().to_string()) });
        }
        keep
    });
}

/// Appends a JSON array's records to a vector as they are read: no array of its own
/// (grown by doubling, then copied over: reallocations were a tenth of reading 100,000
/// deals in wasm).
struct AppendTo<'a, T>(&'a mut Vec<T>);

impl<'de, T: serde::Deserialize<'de>> serde::de::DeserializeSeed<'de> for AppendTo<'_, T> {
    type Value = ();

    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de, T: serde::Deserialize<'de>> serde::de::Visitor<'de> for AppendTo<'_, T> {
    type Value = ();

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("an array of records")
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while let Some(record) = seq.next_element()? {
            self.0.push(record);
        }
        Ok(())
    }
}

/// Makes room in `into` for the records of the segments with these keys (each holds at
/// most `SEGMENT_RECORDS`), before they are read: each list then grows once, where growing
/// by doubling as segments came copied every list about twice over (≈ 0.1 s of opening
/// 100,000 deals in wasm, a CPU profile showed).
pub fn reserve<'a>(into: &mut Workspace, keys: impl Iterator<Item = &'a str>) {
    let mut segments = [0usize; Kind::ALL.len()];
    for kind in keys.filter_map(kind_of_key) {
        if let Some(n) = Kind::ALL.iter().position(|k| *k == kind).and_then(|i| segments.get_mut(i)) {
            *n += 1;
        }
    }
    for (kind, n) in Kind::ALL.into_iter().zip(segments) {
        let room = n * SEGMENT_RECORDS;
        match kind {
            Kind::Pipelines => into.pipelines.reserve(room),
            Kind::Deals => into.deals.reserve(room),
            Kind::Events => into.events.reserve(room),
            Kind::Calls => into.category_changes.reserve(room),
            Kind::Activities => into.activities.reserve(room),
            Kind::Owners => into.owners.reserve(room),
            Kind::Leads => into.leads.reserve(room),
            Kind::Accounts => into.accounts.reserve(room),
            Kind::Contacts => into.contacts.reserve(room),
        }
    }
}

/// Whether a stored segment is in the compact encoding (one that is not, a JSON array
/// from an older build, is read as well, and is worth cutting again).
pub fn is_compact(bytes: &[u8]) -> bool {
    bytes.starts_with(compact::MAGIC)
}

fn read_into<T: FromCompact>(kind: Kind, key: &str, bytes: &[u8], into: &mut Vec<T>, bad: &mut Vec<Quarantined>) {
    match compact::Decoder::new(bytes) {
        Some(dec) => read_compact(kind, ("segments", key), dec, bytes.len(), into, bad),
        None => read_json(kind, key, bytes, into, bad),
    }
}

/// `whole`: the store and key the bytes are set aside under if they are damaged (a segment's,
/// or a loose record's own).
fn read_compact<T: FromCompact>(kind: Kind, whole: (&'static str, &str), mut dec: compact::Decoder, len: usize, into: &mut Vec<T>, bad: &mut Vec<Quarantined>) {
    // Room for the segment's records (no record is under 16 bytes), as for JSON below.
    into.reserve(SEGMENT_RECORDS.min(len / 16));
    while !dec.done() {
        let mark = dec.mark();
        let e = match T::read(&mut dec) {
            Ok(r) => {
                into.push(r);
                continue;
            }
            Err(e) => e,
        };
        // A record this build cannot read: read again as a plain value, for its id and
        // so that the next record starts after it; the others are read as usual.
        dec.rewind(mark);
        match dec.value() {
            Ok(v) => {
                let id = v.get("id").and_then(|i| i.as_str()).unwrap_or("?").to_string();
                bad.push(Quarantined { store: kind.name(), id, reason: Dangling::Unreadable(e.to_string()) });
            }
            // The bytes themselves are damaged: where the next record starts is unknown.
            Err(e) => return bad.push(Quarantined { store: whole.0, id: whole.1.to_string(), reason: Dangling::Unreadable(e.to_string()) }),
        }
    }
}

fn read_json<T: DeserializeOwned>(kind: Kind, key: &str, json: &[u8], into: &mut Vec<T>, bad: &mut Vec<Quarantined>) {
    // Read as text (`from_str`), as imports are: the same deserialisers serve both, where
    // `from_slice` would compile a second copy of each into the wasm (+86 KB).
    let text = match std::str::from_utf8(json) {
        Ok(t) => t,
        Err(e) => return bad.push(Quarantined { store: "segments", id: key.to_string(), reason: Dangling::Unreadable(e.to_string()) }),
    };
    // Room for the segment's records, so the vector grows at most once per segment: at
    // most `SEGMENT_RECORDS`, and no more than its text could hold (no record is under 64
    // bytes), so a small workspace keeps no room it will not use.
    into.reserve(SEGMENT_RECORDS.min(text.len() / 64));
    let before = into.len();
    let mut de = serde_json::Deserializer::from_str(text);
    let whole = serde::de::DeserializeSeed::deserialize(AppendTo(&mut *into), &mut de).and_then(|()| de.end());
    if whole.is_ok() {
        return;
    }
    // One record this build cannot read: read the others one by one, so only it is set
    // aside (as the loose stores do).
    into.truncate(before);
    match serde_json::from_str::<Vec<serde_json::Value>>(text) {
        Ok(values) => {
            for v in values {
                let id = v.get("id").and_then(|i| i.as_str()).unwrap_or("?").to_string();
                match serde_json::from_str::<T>(&v.to_string()) {
                    Ok(r) => into.push(r),
                    Err(e) => bad.push(Quarantined { store: kind.name(), id, reason: Dangling::Unreadable(e.to_string()) }),
                }
            }
        }
        Err(e) => bad.push(Quarantined { store: "segments", id: key.to_string(), reason: Dangling::Unreadable(e.to_string()) }),
    }
}

/// Adds one stored segment's records to `into` (which collects every segment's). `bytes`:
/// the segment as stored, compact or (from an older build) JSON text as UTF-8.
pub fn read(key: &str, bytes: &[u8], into: &mut Workspace, bad: &mut Vec<Quarantined>) {
    let Some(kind) = kind_of_key(key) else {
        bad.push(Quarantined { store: "segments", id: key.to_string(), reason: Dangling::Unreadable("unknown segment".into()) });
        return;
    };
    match kind {
        Kind::Pipelines => read_into(kind, key, bytes, &mut into.pipelines, bad),
        Kind::Deals => read_into(kind, key, bytes, &mut into.deals, bad),
        Kind::Events => read_into(kind, key, bytes, &mut into.events, bad),
        Kind::Calls => read_into(kind, key, bytes, &mut into.category_changes, bad),
        Kind::Activities => read_into(kind, key, bytes, &mut into.activities, bad),
        Kind::Owners => read_into(kind, key, bytes, &mut into.owners, bad),
        Kind::Leads => read_into(kind, key, bytes, &mut into.leads, bad),
        Kind::Accounts => read_into(kind, key, bytes, &mut into.accounts, bad),
        Kind::Contacts => read_into(kind, key, bytes, &mut into.contacts, bad),
    }
}

/// `read` for what the board needs, as this build stores it: a compact segment of a kind
/// not in `LATER`. False, nothing read, for any other (JSON from an older build, a later
/// kind, an unknown key): `read` takes those. Apart so that the app's first download holds
/// only these kinds' compact decoders (`read` reaches every decoder of every kind).
pub fn read_now(key: &str, bytes: &[u8], into: &mut Workspace, bad: &mut Vec<Quarantined>) -> bool {
    let (Some(kind), Some(dec)) = (kind_of_key(key), compact::Decoder::new(bytes)) else { return false };
    read_now_of(kind, ("segments", key), dec, bytes.len(), into, bad)
}

/// The body of `read_now` and `read_loose_now`: a board kind's records from `dec`; false
/// for a later kind.
fn read_now_of(kind: Kind, whole: (&'static str, &str), dec: compact::Decoder, len: usize, into: &mut Workspace, bad: &mut Vec<Quarantined>) -> bool {
    match kind {
        Kind::Pipelines => read_compact(kind, whole, dec, len, &mut into.pipelines, bad),
        Kind::Deals => read_compact(kind, whole, dec, len, &mut into.deals, bad),
        Kind::Events => read_compact(kind, whole, dec, len, &mut into.events, bad),
        Kind::Calls => read_compact(kind, whole, dec, len, &mut into.category_changes, bad),
        Kind::Owners => read_compact(kind, whole, dec, len, &mut into.owners, bad),
        Kind::Accounts => read_compact(kind, whole, dec, len, &mut into.accounts, bad),
        Kind::Contacts => read_compact(kind, whole, dec, len, &mut into.contacts, bad),
        Kind::Activities | Kind::Leads => return false,
    }
    true
}

/// `read_now` by serde's visitors, for deals, stage and forecast changes (other kinds are
/// passed over): what `io::direct` replaced, kept as the benchmarks' alternative (`funnel
/// open-bench`, the wasm decode bench). Stops at the first record it cannot read.
pub fn read_by_serde(key: &str, bytes: &[u8], into: &mut Workspace) {
    fn all<T: DeserializeOwned>(bytes: &[u8], out: &mut Vec<T>) {
        let Some(mut dec) = compact::Decoder::new(bytes) else { return };
        // Room made first, as `read_compact` makes it.
        out.reserve(SEGMENT_RECORDS.min(bytes.len() / 16));
        while !dec.done() {
            match dec.record::<T>() {
                Ok(r) => out.push(r),
                Err(_) => break,
            }
        }
    }
    match kind_of_key(key) {
        Some(Kind::Deals) => all(bytes, &mut into.deals),
        Some(Kind::Events) => all(bytes, &mut into.events),
        Some(Kind::Calls) => all(bytes, &mut into.category_changes),
        _ => {}
    }
}

/// A record as this build stores it loose (in its kind's store, beside its id): the
/// compact encoding of it alone, a segment of one, so that opening reads it with the
/// board's own decoders (`read_loose_now`). The settings record is stored so too.
pub fn encode_loose<T: Serialize + ?Sized>(record: &T) -> Result<Vec<u8>, compact::Error> {
    let mut enc = compact::Encoder::new();
    enc.push(record)?;
    Ok(enc.finish())
}

/// `read_now` for one loose record (`encode_loose`'s bytes) of kind `kind`, stored under
/// `id`: false, nothing read, if the bytes are not compact or the kind is in `LATER`
/// (`read_loose` takes those). A record that cannot be read is set aside under its store
/// and id, as a segment's.
pub fn read_loose_now(kind: Kind, id: &str, bytes: &[u8], into: &mut Workspace, bad: &mut Vec<Quarantined>) -> bool {
    let Some(dec) = compact::Decoder::new(bytes) else { return false };
    read_now_of(kind, (kind.name(), id), dec, bytes.len(), into, bad)
}

/// `read_loose_now` for a loose record of any kind (the later kinds' too). False, nothing
/// read, if the bytes are not compact.
pub fn read_loose(kind: Kind, id: &str, bytes: &[u8], into: &mut Workspace, bad: &mut Vec<Quarantined>) -> bool {
    let Some(dec) = compact::Decoder::new(bytes) else { return false };
    let (whole, len) = ((kind.name(), id), bytes.len());
    match kind {
        Kind::Activities => read_compact(kind, whole, dec, len, &mut into.activities, bad),
        Kind::Leads => read_compact(kind, whole, dec, len, &mut into.leads, bad),
        _ => return read_now_of(kind, whole, dec, len, into, bad),
    }
    true
}

/// The settings record as this build stores it (`encode_loose`); None if the bytes are
/// not compact. Read field by field (`io::direct`): serde's decoding of it, at the core's
/// optimisation level, took ~65 KB of the first download's wasm.
pub fn read_settings(bytes: &[u8]) -> Option<Result<Settings, String>> {
    let mut dec = compact::Decoder::new(bytes)?;
    Some(Settings::read(&mut dec).map_err(|e| e.to_string()))
}

fn lay<T>(kind: Kind, base: &mut Vec<T>, loose: Vec<T>, removed: &FxSet<(Kind, &str)>, id: impl Fn(&T) -> &Id) {
    let hides = removed.iter().any(|(k, _)| *k == kind);
    if loose.is_empty() && !hides {
        // One cut's segments are in id order together; new records stored beside them
        // (`Fresh`) are in order among themselves only.
        if !kind.is_log() && !base.windows(2).all(|w| id(&w[0]) <= id(&w[1])) {
            let order = id_order(base.iter().map(&id));
            permute(base, order);
        }
        return;
    }
    if kind.is_log() {
        let replaced: FxSet<&str> = loose.iter().map(|r| id(r).as_str()).collect();
        base.retain(|r| {
            let i = id(r).as_str();
            !replaced.contains(i) && !removed.contains(&(kind, i))
        });
        base.extend(loose);
        return;
    }
    // Which records stay and in what order is worked out from their ids alone, by one
    // function for every kind (`laid_order`: a copy per record type of the work would be in
    // the first download), then the records are put so.
    let stored = base.len();
    base.extend(loose);
    let order = laid_order(kind, &base.iter().map(|r| id(r).as_str()).collect::<Vec<_>>(), stored, removed);
    permute(base, order);
}

/// `lay`'s order for a keyed kind: `ids` the stored records' (the first `stored`) then the
/// loose ones'; the positions kept, in id order: a stored record with a loose one's id, or
/// removed, left out. Stored records in id order (one cut's) get the loose ones, put in
/// order among themselves, merged in; sorting them all again, after a set lookup for each,
/// made a step of reading the activities of 100,000 deals (938k) cost ≈ 100 ms in wasm
/// whenever a single activity was stored loose.
fn laid_order(kind: Kind, ids: &[&str], stored: usize, removed: &FxSet<(Kind, &str)>) -> Vec<usize> {
    let (base, loose) = ids.split_at(stored.min(ids.len()));
    if !base.windows(2).all(|w| w[0] <= w[1]) {
        return laid_order_by_sorting(kind, ids, stored, removed);
    }
    let mut gone: Vec<&str> = removed.iter().filter(|(k, _)| *k == kind).map(|(_, i)| *i).collect();
    gone.sort_unstable();
    let mut out = Vec::with_capacity(ids.len());
    let mut loose = id_order_of(loose).into_iter().map(|p| stored + p).peekable();
    let mut gone = gone.into_iter().peekable();
    for (p, &i) in base.iter().enumerate() {
        while let Some(l) = loose.next_if(|&l| ids[l] < i) {
            out.push(l);
        }
        while gone.next_if(|&g| g < i).is_some() {}
        let replaced = loose.peek().is_some_and(|&l| ids[l] == i);
        let hidden = gone.peek().is_some_and(|&g| g == i);
        if !replaced && !hidden {
            out.push(p);
        }
    }
    out.extend(loose);
    out
}

/// `laid_order` by sorting: the stored records kept (no loose one's id, not removed) and
/// the loose ones, all sorted by id.
fn laid_order_by_sorting(kind: Kind, ids: &[&str], stored: usize, removed: &FxSet<(Kind, &str)>) -> Vec<usize> {
    let replaced: FxSet<&str> = ids[stored.min(ids.len())..].iter().copied().collect();
    let kept: Vec<usize> = (0..ids.len()).filter(|&p| p >= stored || (!replaced.contains(ids[p]) && !removed.contains(&(kind, ids[p])))).collect();
    let order = id_order_of(&kept.iter().map(|&p| ids[p]).collect::<Vec<_>>());
    order.into_iter().map(|k| kept[k]).collect()
}

/// The stored workspace: the segments' records (`base`) with the loose records laid over
/// them. A loose record replaces the segment record with its id; `removed` (kind and id)
/// hides segment records deleted since the cut; settings are only ever loose. Logs are left
/// for `Workspace::order_logs`; keyed records end in id order.
pub fn overlay(base: &mut Workspace, loose: Workspace, removed: &[(Kind, Id)]) {
    let removed: FxSet<(Kind, &str)> = removed.iter().map(|(k, i)| (*k, i.as_str())).collect();
    let Workspace { pipelines, deals, events, category_changes, activities, owners, leads, settings, accounts, contacts } = loose;
    lay(Kind::Pipelines, &mut base.pipelines, pipelines, &removed, |r: &Pipeline| &r.id);
    lay(Kind::Deals, &mut base.deals, deals, &removed, |r: &Opportunity| &r.id);
    lay(Kind::Events, &mut base.events, events, &removed, |r: &StageChange| &r.id);
    lay(Kind::Calls, &mut base.category_changes, category_changes, &removed, |r: &CategoryChange| &r.id);
    lay(Kind::Activities, &mut base.activities, activities, &removed, |r: &Activity| &r.id);
    lay(Kind::Owners, &mut base.owners, owners, &removed, |r: &Owner| &r.id);
    lay(Kind::Leads, &mut base.leads, leads, &removed, |r: &Lead| &r.id);
    lay(Kind::Accounts, &mut base.accounts, accounts, &removed, |r: &Account| &r.id);
    lay(Kind::Contacts, &mut base.contacts, contacts, &removed, |r: &Contact| &r.id);
    base.settings = settings;
}

/// The workspace as stored, once every segment was read into `ws` (`read`, one by one:
/// storage reads each as it copies it, through one buffer): the loose records laid over
/// them, records that point at nothing set aside, logs in time order and each deal's stage
/// what its history says; with it, where each log record's deal sits (`Places`, found by
/// the same pass; none when two deals share an id). `bad` lists what was set aside, with
/// what the loose stores could not read.
pub fn finish(mut ws: Workspace, loose: Workspace, removed: &[(Kind, Id)], bad: &mut Vec<Quarantined>) -> (Workspace, Option<Places>) {
    overlay(&mut ws, loose, removed);
    // Segments keep the log's order, loose entries come in id order: a stable sort of the
    // two runs.
    ws.order_logs();
    match set_aside(&mut ws, bad, true) {
        Some(found) => {
            let places = Places::new(&ws, found);
            (ws, places)
        }
        None => {
            ws.derive_stages();
            (ws, None)
        }
    }
}

/// What a load leaves for after the board is shown: the stored segments of the kinds in
/// `LATER`, as stored, with their loose records and removed ids. Read by `RestReader`
/// against the workspace the rest of the load made.
#[derive(Debug, Default)]
pub struct Rest {
    pub segments: Vec<(String, Vec<u8>)>,
    /// Loose records of the kinds in `LATER` (the other lists empty).
    pub loose: Workspace,
    pub removed: Vec<(Kind, Id)>,
}

impl Rest {
    /// Takes the records of the kinds in `LATER` out of what was read loose.
    pub fn take_loose(&mut self, loose: &mut Workspace, removed: &mut Vec<(Kind, Id)>) {
        self.loose.activities.append(&mut loose.activities);
        self.loose.leads.append(&mut loose.leads);
        let (later, now): (Vec<_>, Vec<_>) = std::mem::take(removed).into_iter().partition(|(k, _)| k.later());
        self.removed.extend(later);
        *removed = now;
    }

    pub fn is_empty(&self) -> bool {
        self.segments.is_empty() && self.loose.activities.is_empty() && self.loose.leads.is_empty() && self.removed.is_empty()
    }
}

/// A decoded record counts this many in a `RestReader::step`'s budget (checking one
/// activity or mapping one record counts 1): decoding is the slow part.
const DECODE_WEIGHT: usize = 8;

/// Reads a `Rest` a slice at a time, so the browser draws and takes input in between: the
/// segments decoded, the loose records laid over them, activities on nothing the workspace
/// has set aside, and where each record sits mapped. Each `step` must be handed the same,
/// unchanged workspace: the one the load made, which the rest completes (the app runs it as
/// the first job, so no write comes in between).
pub struct RestReader {
    segments: std::vec::IntoIter<(String, Vec<u8>)>,
    loose: Option<(Workspace, Vec<(Kind, Id)>)>,
    read: Workspace,
    bad: Vec<Quarantined>,
    /// The loose records laid over the segments' (the next step builds `known`).
    laid: bool,
    known: Option<crate::domain::activity::Known>,
    keep: Vec<bool>,
    at: crate::domain::lookup::LookupBuilder,
    mapped: bool,
}

impl RestReader {
    pub fn new(rest: Rest) -> RestReader {
        let mut read = Workspace::default();
        reserve(&mut read, rest.segments.iter().map(|(k, _)| k.as_str()));
        RestReader {
            segments: rest.segments.into_iter(),
            loose: Some((rest.loose, rest.removed)),
            read,
            bad: Vec::new(),
            laid: false,
            known: None,
            keep: Vec::new(),
            at: crate::domain::lookup::LookupBuilder::new(),
            mapped: false,
        }
    }

    /// Does about `budget` records' worth of work; true once all is done.
    pub fn step(&mut self, ws: &Workspace, budget: usize) -> bool {
        let mut left = budget;
        while left > 0 {
            let before = self.read.activities.len() + self.read.leads.len();
            let Some((key, bytes)) = self.segments.next() else { break };
            read(&key, &bytes, &mut self.read, &mut self.bad);
            let decoded = self.read.activities.len() + self.read.leads.len() - before;
            left = left.saturating_sub(decoded.max(1) * DECODE_WEIGHT);
        }
        if left == 0 {
            return false;
        }
        if let Some((loose, removed)) = self.loose.take() {
            overlay(&mut self.read, loose, &removed);
            // A step of its own: it passes over every activity and lead (their order checked,
            // loose ones laid in), and with the sets below it made a task of ≈ 75 ms at
            // 100,000 deals in wasm (a CPU profile of opening showed).
            self.laid = true;
            return false;
        }
        if std::mem::take(&mut self.laid) {
            // As `finish` sets aside: on a deal kept, a lead read here, an account or contact.
            self.known = Some(crate::domain::activity::Known {
                deals: ws.deals.iter().map(|d| IdKey::of(&d.id)).collect(),
                leads: self.read.leads.iter().map(|l| IdKey::of(&l.id)).collect(),
                accounts: ws.accounts.iter().map(|a| IdKey::of(&a.id)).collect(),
                contacts: ws.contacts.iter().map(|c| IdKey::of(&c.id)).collect(),
            });
            left = left.saturating_sub(ws.deals.len() + self.read.leads.len() + ws.accounts.len() + ws.contacts.len());
        }
        if let Some(known) = &self.known {
            let from = self.keep.len();
            let upto = self.read.activities.len().min(from.saturating_add(left));
            self.keep.extend(self.read.activities[from..upto].iter().map(|a| a.target_known(known)));
            left -= upto - from;
            if upto < self.read.activities.len() {
                return false;
            }
            keep_marked(&mut self.read.activities, &self.keep, &mut self.bad);
            self.known = None;
        }
        if !self.mapped {
            self.mapped = self.at.step(&self.read, left.max(1));
        }
        self.mapped
    }

    /// The activities and leads read, where each sits (`Lookup`'s `activities` and `leads`)
    /// and what was set aside. Call once `step` said done.
    pub fn finish(self) -> (Vec<Activity>, Vec<Lead>, crate::domain::Lookup, Vec<Quarantined>) {
        let Workspace { activities, leads, .. } = self.read;
        (activities, leads, self.at.finish(), self.bad)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::demo;

    fn demo_ws(deals: usize) -> Workspace {
        let now = chrono::DateTime::parse_from_rfc3339("2026-11-27T00:00:00Z").map(|t| t.with_timezone(&chrono::Utc)).ok();
        let now = now.unwrap_or_default();
        let mut ws = demo::generate(deals, 7, 7, now, crate::domain::Lang::En);
        // The demo links no contacts: a few, in reverse id order.
        ws.contacts = (0..5)
            .rev()
            .map(|i| Contact {
                id: Id::from(format!("ct{i}")),
                name: format!("Contact {i}"),
                account: ws.accounts.first().map(|a| a.id.clone()),
                email: format!("c{i}@example.com"),
                phone: String::new(),
                created_at: now,
                updated_at: now,
                device: String::new(),
                extra: Default::default(),
            })
            .collect();
        ws
    }

    /// What the browser hands back for loose stores: each kind in id order, logs in time order.
    fn by_id(mut ws: Workspace) -> Workspace {
        ws.sort_by_id();
        ws.order_logs();
        ws
    }

    fn read_all(segments: &[(String, Vec<u8>)]) -> (Workspace, Vec<Quarantined>) {
        let mut ws = Workspace::default();
        let mut bad = Vec::new();
        for (k, j) in segments {
            read(k, j, &mut ws, &mut bad);
        }
        (ws, bad)
    }

    #[test]
    fn id_order_is_the_texts_order() {
        // Shorter than the 16-byte prefix, equal in it, a NUL byte, a repeated id (first
        // stays first): the order of sorting the texts, positions breaking ties.
        let ids: Vec<Id> = ["b", "a\u{0}", "a", "ab", "0123456789abcdefZ", "0123456789abcdefA", "a", "0123456789abcdef"].into_iter().map(Id::from).collect();
        let mut expected: Vec<(&str, usize)> = ids.iter().enumerate().map(|(n, id)| (id.as_str(), n)).collect();
        expected.sort();
        assert_eq!(id_order(ids.iter()), expected.into_iter().map(|(_, n)| n).collect::<Vec<_>>());
        assert_eq!(id_order(ids.iter()), vec![7, 5, 4, 2, 6, 1, 3, 0]);
    }

    proptest::proptest! {
        /// The texts' order, positions breaking ties, by `id_order` and by `IdOrder` (256 ids
        /// or more: its radix sort, not the small sort it falls back to),
        /// over ids that share 8-byte prefixes (and differ after them), are shorter than 8
        /// bytes, hold NUL bytes, are longer than an inline id, are not ASCII, or repeat.
        #[test]
        fn id_order_is_the_texts_order_at_any_size(
            picks in proptest::collection::vec((0usize..7, 0u32..40, 0u32..3), 256..1200),
        ) {
            let ids: Vec<Id> = picks
                .iter()
                .map(|&(shape, a, b)| {
                    Id::from(match shape {
                        0 => format!("{a:08x}-{b:04x}-4000-8000-000000000000"),
                        1 => format!("prefix00{a}{b}"),
                        2 => format!("{}", a % 7),
                        3 => format!("{}\u{0}{b}", a % 5),
                        4 => format!("{}{a}", "x".repeat(40)),
                        // Bytes of 0x80 and up (UTF-8 past ASCII) sort after every ASCII one.
                        5 => format!("商机{a}"),
                        _ => format!("prefix00{a}"),
                    })
                })
                .collect();
            let mut expected: Vec<(&str, usize)> = ids.iter().enumerate().map(|(n, id)| (id.as_str(), n)).collect();
            expected.sort();
            let expected: Vec<usize> = expected.into_iter().map(|(_, n)| n).collect();
            proptest::prop_assert_eq!(&id_order(ids.iter()), &expected);
            // And a bucket at a time, as a replace works it out ahead.
            let mut order = IdOrder::new(ids.len(), |i| ids[i].as_str());
            while !order.step(|i| ids[i].as_str(), 100) {}
            proptest::prop_assert_eq!(order.finish(), expected);
        }
    }

    #[test]
    fn prepared_a_part_at_a_time_the_cut_is_the_same() {
        let ws = demo_ws(1_500);
        let mut cutter = Cutter::new();
        let mut steps = 1;
        while !cutter.prepare(&ws, 100) {
            steps += 1;
        }
        // Every keyed kind of the demo ordered ahead, each over several steps (a step sorts
        // at least one first-byte bucket; UUIDs start with 16 different bytes).
        let keyed = Kind::ALL.into_iter().filter(|k| !matches!(k, Kind::Events | Kind::Calls)).count();
        assert_eq!(cutter.orders.iter().filter(|o| o.is_some()).count(), keyed);
        assert!(steps > 2 * keyed, "{steps} steps");
        assert!(cutter.prepare(&ws, 100), "done stays done");
        assert_eq!(cutter.all_of(&ws), Cutter::all(&ws));
        // An order prepared for other records (the workspace changed since) is not used.
        let mut cutter = Cutter::new();
        while !cutter.prepare(&ws, usize::MAX) {}
        let mut fewer = ws.clone();
        fewer.activities.truncate(10);
        assert_eq!(cutter.all_of(&fewer), Cutter::all(&fewer));
    }

    proptest::proptest! {
        /// Loose records merged into stored ones in id order give what putting them all
        /// together and sorting gives: each stored record with a loose one's id left out,
        /// removed ones too (of this kind only), equal ids in their order.
        #[test]
        fn merged_in_as_sorted(
            stored in proptest::collection::vec(0u8..60, 0..80),
            loose in proptest::collection::vec(0u8..60, 0..20),
            removed in proptest::collection::vec((0u8..60, proptest::bool::ANY), 0..10),
        ) {
            let mut stored = stored;
            stored.sort_unstable();
            let texts: Vec<String> = stored.iter().chain(&loose).map(|n| format!("{n:02}")).collect();
            let ids: Vec<&str> = texts.iter().map(String::as_str).collect();
            let removed: Vec<(Kind, String)> = removed.iter().map(|&(n, mine)| (if mine { Kind::Leads } else { Kind::Deals }, format!("{n:02}"))).collect();
            let removed: FxSet<(Kind, &str)> = removed.iter().map(|(k, i)| (*k, i.as_str())).collect();
            proptest::prop_assert_eq!(
                laid_order(Kind::Leads, &ids, stored.len(), &removed),
                laid_order_by_sorting(Kind::Leads, &ids, stored.len(), &removed)
            );
        }
    }

    #[test]
    fn a_cut_reads_back_as_the_workspace_in_id_order() {
        let ws = demo_ws(1_500);
        let empty: Vec<Kind> = Kind::ALL.into_iter().filter(|k| k.len(&ws) == 0).collect();
        assert!(empty.is_empty(), "the demo has every kind of record: {empty:?} missing");
        let segments = Cutter::all(&ws);
        // Segment counts by hand: ceil(len / 4,000) per kind, e.g. events.
        assert_eq!(segments.len(), Cutter::count(&ws));
        let events = segments.iter().filter(|(k, _)| k.starts_with("events/")).count();
        assert_eq!(events, ws.events.len().div_ceil(SEGMENT_RECORDS));
        assert!(ws.events.len() > SEGMENT_RECORDS, "the demo spans several event segments");
        assert_eq!(segments.iter().find(|(k, _)| k.starts_with("events/")).map(|(k, _)| k.as_str()), Some("events/000000"));
        let (back, mut bad) = read_all(&segments);
        assert!(bad.is_empty());
        // Room made from the keys holds every record: reading them grows no list.
        let mut room = Workspace::default();
        reserve(&mut room, segments.iter().map(|(k, _)| k.as_str()));
        assert!(room.events.capacity() >= events * SEGMENT_RECORDS && room.deals.capacity() >= SEGMENT_RECORDS);
        let capacity = |w: &Workspace| [w.events.capacity(), w.deals.capacity(), w.activities.capacity(), w.leads.capacity(), w.pipelines.capacity()];
        let before = capacity(&room);
        segments.iter().for_each(|(k, j)| read(k, j, &mut room, &mut bad));
        assert_eq!(capacity(&room), before);
        assert_eq!(room.events.len(), ws.events.len());
        let (back, places) = finish(back, Workspace { settings: ws.settings.clone(), ..Workspace::default() }, &[], &mut bad);
        assert!(bad.is_empty());
        // Each record's deal as checking found it is where its id is.
        assert!(places.is_some());
        assert_eq!(places, Places::find(&back));
        assert_eq!(back, by_id(ws));
    }

    #[test]
    fn loose_records_replace_theirs_and_removed_ids_hide_segment_records() {
        let ws = demo_ws(300);
        let segments = Cutter::all(&ws);
        let (mut back, _) = read_all(&segments);
        // Loose: one edited deal, one new deal, one new event; removed: the first event.
        let mut edited = ws.deals[5].clone();
        edited.title = "Edited after the cut".into();
        let mut new_deal = ws.deals[6].clone();
        new_deal.id = Id::from("zz-new");
        let mut new_event = ws.events[0].clone();
        new_event.id = Id::from("zz-ev");
        new_event.opportunity = new_deal.id.clone();
        let gone = ws.events[1].id.clone();
        let loose = Workspace { deals: vec![edited.clone(), new_deal.clone()], events: vec![new_event.clone()], ..Workspace::default() };
        overlay(&mut back, loose, &[(Kind::Events, gone.clone())]);
        back.order_logs();

        let mut expected = ws.clone();
        expected.deals[5] = edited;
        expected.deals.push(new_deal);
        expected.events.retain(|e| e.id != gone);
        expected.events.push(new_event);
        let expected = by_id(expected);
        assert_eq!(back.deals.len(), ws.deals.len() + 1);
        assert_eq!(back.events.len(), ws.events.len());
        assert_eq!(back, expected);
        // The removed id hides an event only: a deal with that id would stay.
        assert!(back.deals.iter().all(|d| d.id != gone) && !back.events.iter().any(|e| e.id == gone));
    }

    #[test]
    fn an_unreadable_record_is_set_aside_and_the_rest_of_its_segment_read() {
        let ws = demo_ws(50);
        let mut values: Vec<serde_json::Value> = ws.deals.iter().filter_map(|d| serde_json::to_value(d).ok()).collect();
        let victim = values[3]["id"].as_str().unwrap_or_default().to_string();
        values[3]["amount"] = serde_json::json!("lots");
        // Compact (its times as text, as a value holds them: read as well) and, as an older
        // build stored them, JSON.
        let mut enc = compact::Encoder::new();
        values.iter().for_each(|v| assert_eq!(enc.push(v), Ok(())));
        for damaged in [enc.finish(), serde_json::to_vec(&values).unwrap_or_default()] {
            assert_eq!(is_compact(&damaged), damaged.starts_with(b"FSB1"));
            let mut back = Workspace::default();
            let mut bad = Vec::new();
            read("deals/000000", &damaged, &mut back, &mut bad);
            assert_eq!(back.deals.len(), ws.deals.len() - 1);
            let mut expected = ws.deals.clone();
            expected.remove(3);
            assert_eq!(back.deals, expected);
            assert_eq!(bad.len(), 1);
            assert_eq!((bad[0].store, bad[0].id.as_str()), ("deals", victim.as_str()));
            assert!(matches!(&bad[0].reason, Dangling::Unreadable(why) if why.contains("lots")), "{:?}", bad[0].reason);
        }
        let mut back = Workspace::default();
        let mut bad = Vec::new();
        // Text that is no array at all, compact bytes cut short: the whole segment, by key
        // (records before the damage are kept).
        read("events/000000", b"{not json", &mut back, &mut bad);
        assert_eq!((bad[0].store, bad[0].id.as_str()), ("segments", "events/000000"));
        let (key, events) = Cutter::all(&ws).into_iter().find(|(k, _)| k.starts_with("events/")).unwrap_or_default();
        let Some(first_end) = (1..events.len()).find(|&n| {
            let mut one = Workspace::default();
            read(&key, &events[..n], &mut one, &mut Vec::new());
            one.events.len() == 1
        }) else {
            panic!("no prefix holds exactly the first event")
        };
        read(&key, &events[..first_end + 3], &mut back, &mut bad);
        assert_eq!(back.events, ws.events[..1].to_vec());
        assert_eq!((bad[1].store, bad[1].id.as_str()), ("segments", key.as_str()));
        read("mystery/000000", b"[]", &mut back, &mut bad);
        assert_eq!(bad.len(), 3);
    }

    #[test]
    fn json_segments_of_an_older_build_read_as_the_compact_ones() {
        let ws = demo_ws(300);
        let compact = Cutter::all(&ws);
        assert!(compact.iter().all(|(_, b)| is_compact(b)));
        // Each segment as JSON: its own records, read back, written as an older build did.
        let json: Vec<(String, Vec<u8>)> = compact
            .iter()
            .map(|(k, bytes)| {
                let mut one = Workspace::default();
                read(k, bytes, &mut one, &mut Vec::new());
                let text = match kind_of_key(k) {
                    Some(Kind::Pipelines) => serde_json::to_vec(&one.pipelines),
                    Some(Kind::Deals) => serde_json::to_vec(&one.deals),
                    Some(Kind::Events) => serde_json::to_vec(&one.events),
                    Some(Kind::Calls) => serde_json::to_vec(&one.category_changes),
                    Some(Kind::Activities) => serde_json::to_vec(&one.activities),
                    Some(Kind::Owners) => serde_json::to_vec(&one.owners),
                    Some(Kind::Leads) => serde_json::to_vec(&one.leads),
                    Some(Kind::Accounts) => serde_json::to_vec(&one.accounts),
                    Some(Kind::Contacts) => serde_json::to_vec(&one.contacts),
                    None => Ok(Vec::new()),
                };
                (k.clone(), text.unwrap_or_default())
            })
            .collect();
        assert!(json.iter().all(|(_, b)| b.first() == Some(&b'[')));
        let settings = || Workspace { settings: ws.settings.clone(), ..Workspace::default() };
        let (a, mut bad) = read_all(&compact);
        let (b, _) = read_all(&json);
        let (a, b) = (finish(a, settings(), &[], &mut bad).0, finish(b, settings(), &[], &mut bad).0);
        assert!(bad.is_empty());
        assert!(a == b, "the JSON segments read as the compact ones");
        assert!(a == by_id(ws), "both read as the workspace cut");
        // Compact is about a quarter of JSON's size here (each kind by hand would be long;
        // the whole is checked loosely so a new field does not break it).
        let size = |s: &[(String, Vec<u8>)]| s.iter().map(|(_, b)| b.len()).sum::<usize>();
        assert!(size(&compact) * 2 < size(&json), "{} vs {}", size(&compact), size(&json));
    }

    /// `read_now` reads the board's kinds exactly as `read` does, and nothing else: a later
    /// kind, a JSON segment of an older build and an unknown key are left to `read`
    /// (false, nothing read). The demo has every kind; 9 kinds, 2 of them later.
    #[test]
    fn read_now_reads_the_boards_compact_segments_as_read_does_and_leaves_the_rest() {
        let ws = demo_ws(1_500);
        let segments = Cutter::all(&ws);
        let (mut now, mut by_read) = (Workspace::default(), Workspace::default());
        let (mut bad, mut left) = (Vec::new(), Vec::new());
        for (k, bytes) in &segments {
            match read_now(k, bytes, &mut now, &mut bad) {
                true => read(k, bytes, &mut by_read, &mut bad),
                false => left.push(kind_of_key(k)),
            }
        }
        assert!(bad.is_empty());
        assert!(now == by_read, "what read_now took it read as read does");
        // The benchmarks' alternative reads the same deals, stage and forecast changes.
        let mut by_serde = Workspace::default();
        segments.iter().for_each(|(k, bytes)| read_by_serde(k, bytes, &mut by_serde));
        assert!(!by_serde.category_changes.is_empty());
        assert!((&by_serde.deals, &by_serde.events, &by_serde.category_changes) == (&now.deals, &now.events, &now.category_changes));
        assert!(by_serde.pipelines.is_empty() && by_serde.accounts.is_empty());
        assert!(!now.deals.is_empty() && !now.events.is_empty() && !now.pipelines.is_empty() && !now.accounts.is_empty());
        assert!(now.activities.is_empty() && now.leads.is_empty());
        let later = segments.iter().filter(|(k, _)| is_later(k)).count();
        assert!(later > 0 && left.len() == later && left.iter().all(|k| k.is_some_and(Kind::later)));
        // A deals segment as an older build wrote it (JSON), and a key this build never wrote.
        let json = serde_json::to_vec(&ws.deals[..3]).unwrap_or_default();
        assert!(!read_now("deals/000000", &json, &mut now, &mut bad));
        let deals = segments.iter().find(|(k, _)| k.starts_with("deals/")).map(|(_, b)| b.clone()).unwrap_or_default();
        assert!(!read_now("forecasts/000000", &deals, &mut now, &mut bad));
        assert!(now == by_read && bad.is_empty(), "nothing read, nothing set aside");
    }

    /// Each record of every kind encoded loose, one by one, in `encode_loose`'s bytes.
    fn loose_records(ws: &Workspace) -> Vec<(Kind, String, Vec<u8>)> {
        fn each<T: Serialize>(kind: Kind, records: &[T], id: impl Fn(&T) -> &Id, out: &mut Vec<(Kind, String, Vec<u8>)>) {
            for r in records {
                out.push((kind, id(r).as_str().to_string(), encode_loose(r).unwrap_or_default()));
            }
        }
        let mut out = Vec::new();
        each(Kind::Pipelines, &ws.pipelines, |r| &r.id, &mut out);
        each(Kind::Deals, &ws.deals, |r| &r.id, &mut out);
        each(Kind::Events, &ws.events, |r| &r.id, &mut out);
        each(Kind::Calls, &ws.category_changes, |r| &r.id, &mut out);
        each(Kind::Activities, &ws.activities, |r| &r.id, &mut out);
        each(Kind::Owners, &ws.owners, |r| &r.id, &mut out);
        each(Kind::Leads, &ws.leads, |r| &r.id, &mut out);
        each(Kind::Accounts, &ws.accounts, |r| &r.id, &mut out);
        each(Kind::Contacts, &ws.contacts, |r| &r.id, &mut out);
        out
    }

    #[test]
    fn loose_records_read_back_one_by_one_the_boards_kinds_by_the_boards_reader() {
        let mut ws = demo_ws(300);
        ws.settings = Settings::default();
        let records = loose_records(&ws);
        assert_eq!(records.len(), Kind::ALL.iter().map(|k| k.len(&ws)).sum::<usize>());
        assert!(Kind::ALL.iter().all(|k| k.len(&ws) > 0), "the demo has every kind");
        let (mut all, mut now) = (Workspace::default(), Workspace::default());
        let (mut bad, mut left) = (Vec::new(), 0);
        for (kind, id, bytes) in &records {
            assert!(is_compact(bytes));
            assert!(read_loose(*kind, id, bytes, &mut all, &mut bad));
            match read_loose_now(*kind, id, bytes, &mut now, &mut bad) {
                true => assert!(!kind.later()),
                false => {
                    assert!(kind.later());
                    left += 1;
                }
            }
        }
        assert!(bad.is_empty(), "{bad:?}");
        // Each kind's records in the order written: the workspace itself.
        assert!(all == ws, "every record read back as it was");
        assert_eq!(left, ws.activities.len() + ws.leads.len());
        let mut board = ws.clone();
        board.activities.clear();
        board.leads.clear();
        assert!(now == board, "the board's kinds read by read_loose_now, the later ones left");
        // A record as an older build stored it (here its JSON text): not this encoding,
        // nothing read, nothing set aside.
        let json = serde_json::to_vec(&ws.deals[0]).unwrap_or_default();
        assert!(!read_loose_now(Kind::Deals, ws.deals[0].id.as_str(), &json, &mut now, &mut bad));
        assert!(!read_loose(Kind::Deals, ws.deals[0].id.as_str(), &json, &mut now, &mut bad));
        assert!(now == board && bad.is_empty());
    }

    #[test]
    fn a_loose_record_that_cannot_be_read_is_set_aside_under_its_store_and_id() {
        let ws = demo_ws(20);
        let deal = &ws.deals[2];
        let bytes = encode_loose(deal).unwrap_or_default();
        let mut back = Workspace::default();
        let mut bad = Vec::new();
        // Cut short: the record's own store and key, not a segment's.
        assert!(read_loose_now(Kind::Deals, deal.id.as_str(), &bytes[..bytes.len() - 4], &mut back, &mut bad));
        // A stage change stored where a deal belongs: read as a value, named by its own id.
        let event = &ws.events[0];
        assert!(read_loose_now(Kind::Deals, "some-key", &encode_loose(event).unwrap_or_default(), &mut back, &mut bad));
        assert!(back.deals.is_empty());
        assert_eq!(bad.len(), 2);
        assert_eq!((bad[0].store, bad[0].id.as_str()), ("deals", deal.id.as_str()));
        assert_eq!((bad[1].store, bad[1].id.as_str()), ("deals", event.id.as_str()));
        assert!(matches!(&bad[1].reason, Dangling::Unreadable(why) if why.contains("missing field")), "{:?}", bad[1].reason);
    }

    #[test]
    fn the_settings_record_reads_back_with_its_rule_and_rates() {
        let at = |s: &str| chrono::DateTime::parse_from_rfc3339(s).map(|t| t.with_timezone(&chrono::Utc)).ok();
        let rate = |c: &str, on: &str, r: &str| crate::domain::rates::Rate {
            currency: c.into(),
            on: chrono::NaiveDate::parse_from_str(on, "%Y-%m-%d").unwrap_or_default(),
            rate: crate::domain::rates::RateValue::parse(r).unwrap_or_else(|_| panic!("{r} is a rate")),
        };
        let rules = [
            crate::domain::AssignRule::RoundRobin { owners: vec!["Ana".into(), "李雷".into()], next: 1 },
            crate::domain::AssignRule::BySource { map: vec![("web".into(), "Ana".into())], fallback: String::new() },
            crate::domain::AssignRule::ByField { field: crate::domain::LeadField::EmailDomain, map: vec![(".edu".into(), "Bo".into())], fallback: "Ana".into() },
        ];
        let mut all = vec![Settings::default()];
        for rule in rules {
            all.push(Settings {
                lead_rule: Some(rule),
                updated_at: at("2026-11-02T08:30:00Z"),
                exchange: crate::domain::rates::ExchangeRates {
                    reporting: "USD".into(),
                    rates: vec![rate("CNY", "2026-10-01", "0.1402"), rate("EUR", "2026-10-01", "1.0832")],
                    updated_at: at("2026-10-02T00:00:00Z"),
                },
            });
        }
        for settings in all {
            let bytes = encode_loose(&settings).unwrap_or_default();
            assert_eq!(read_settings(&bytes), Some(Ok(settings)));
        }
        assert_eq!(read_settings(b"{}"), None, "an older build's (a JS object's) is not this encoding");
        assert!(matches!(read_settings(&encode_loose(&7u8).unwrap_or_default()), Some(Err(_))));
    }

    #[test]
    fn records_pointing_nowhere_are_set_aside_with_their_reason_and_the_rest_kept() {
        let mut ws = demo_ws(40);
        let (deals, events, activities) = (ws.deals.len(), ws.events.len(), ws.activities.len());
        // A deal in a pipeline that is not there, with its own events; an event naming a
        // stage its pipeline lacks; an activity on a lead that is not there.
        let orphan = ws.deals[0].id.clone();
        let orphan_events = ws.events.iter().filter(|e| e.opportunity == orphan).count();
        let orphan_calls = ws.category_changes.iter().filter(|c| c.opportunity == orphan).count();
        ws.deals[0].pipeline = Id::from("gone");
        let bad_stage = ws.events.iter().position(|e| e.opportunity != orphan).unwrap_or_default();
        ws.events[bad_stage].to = Id::from("no-such-stage");
        let lost = ws.activities.iter().position(|a| a.lead.is_none() && a.deal != orphan).unwrap_or_default();
        ws.activities[lost].lead = Some(Id::from("no-such-lead"));
        let orphan_activities = ws.activities.iter().filter(|a| a.lead.is_none() && a.account.is_none() && a.contact.is_none() && a.deal == orphan).count();
        let mut bad = Vec::new();
        set_aside_dangling(&mut ws, &mut bad);
        assert_eq!(ws.deals.len(), deals - 1);
        assert_eq!(ws.events.len(), events - orphan_events - 1);
        assert_eq!(ws.activities.len(), activities - orphan_activities - 1);
        assert_eq!(bad[0], Quarantined { store: "deals", id: orphan.to_string(), reason: Dangling::UnknownPipeline("gone".into()) });
        assert!(bad.iter().any(|q| q.store == "events" && q.reason == Dangling::UnknownStage("no-such-stage".into())));
        assert_eq!(bad.iter().filter(|q| q.reason == Dangling::UnknownDeal(orphan.to_string())).count(), orphan_events + orphan_calls + orphan_activities);
        assert!(bad.iter().any(|q| q.store == "activities" && q.reason == Dangling::UnknownDeal("no-such-lead".into())));
        assert_eq!(bad.len(), 1 + orphan_events + 1 + orphan_calls + orphan_activities + 1);
    }

    /// `finish` derives stages in its pass over the events: the same workspace and the
    /// same records set aside as setting aside, ordering and deriving one after another
    /// (stale stage caches, a dangling event, loose events out of order; then two deals
    /// with one id, where `derive_stages` decides).
    #[test]
    fn finishing_derives_stages_as_derive_stages_does() {
        for twin in [false, true] {
            let ws = demo_ws(200);
            let (mut base, _) = read_all(&Cutter::all(&ws));
            // Stale caches: every tenth deal's stage is another stage's id.
            let other = ws.pipelines[0].stages[0].id.clone();
            base.deals.iter_mut().step_by(10).for_each(|d| d.stage = other.clone());
            let mut late = ws.events[3].clone();
            late.id = Id::from("zz-late");
            late.at = ws.events.iter().map(|e| e.at).max().unwrap_or_default();
            late.seq = u64::MAX;
            let mut early = ws.events[7].clone();
            early.id = Id::from("zz-early");
            early.at = ws.events.iter().map(|e| e.at).min().unwrap_or_default();
            let mut lost = ws.events[5].clone();
            lost.id = Id::from("zz-lost");
            lost.opportunity = Id::from("no-such-deal");
            if twin {
                // Stored twice (as no write makes, but a damaged store might hold).
                let mut copy = base.deals[1].clone();
                copy.id = base.deals[0].id.clone();
                base.deals.push(copy);
            }
            let loose = Workspace { events: vec![late.clone(), lost, early], ..Workspace::default() };

            let (mut bad_a, mut bad_b) = (Vec::new(), Vec::new());
            let ours = finish(base.clone(), loose.clone(), &[], &mut bad_a).0;
            let mut theirs = base;
            overlay(&mut theirs, loose, &[]);
            set_aside_dangling(&mut theirs, &mut bad_b);
            theirs.order_logs();
            theirs.derive_stages();
            assert_eq!(ours, theirs, "twin: {twin}");
            assert_eq!(bad_a, bad_b);
            assert_eq!(bad_a.len(), 1);
            // The late event decides its deal's stage; no stale cache is left.
            let deal = ours.deals.iter().find(|d| d.id == late.opportunity);
            assert_eq!(deal.map(|d| &d.stage), Some(&late.to));
            let mut fresh = ours.clone();
            fresh.derive_stages();
            assert_eq!(fresh, ours);
        }
    }

    #[test]
    fn the_rest_read_after_the_board_completes_the_same_workspace() {
        // A stored workspace: segments, loose edits of every kind laid over them (a lead and
        // an activity among them), a removed lead, an activity on a deal whose pipeline is
        // gone and one on a lead that is not there. Read the app's way (the board's kinds,
        // then the rest a slice at a time against that workspace) it must equal reading
        // every segment at once, with the same records set aside.
        let mut ws = demo_ws(60);
        let orphan = ws.deals[0].id.clone();
        ws.deals[0].pipeline = Id::from("gone");
        let lost = ws.activities.iter().position(|a| a.lead.is_none() && a.deal != orphan).unwrap_or_default();
        ws.activities[lost].lead = Some(Id::from("no-such-lead"));
        let segments = Cutter::all(&ws);
        let mut loose = Workspace::default();
        let kept = ws.activities.iter().position(|a| a.lead.is_none() && a.account.is_none() && a.deal != orphan).unwrap_or_default();
        assert_ne!(kept, lost);
        let mut edited = ws.activities[kept].clone();
        edited.subject = "edited loose".into();
        loose.activities.push(edited);
        loose.leads.push(Lead { id: Id::from("zz-new-lead"), name: "New".into(), ..Default::default() });
        loose.deals.push(Opportunity { title: "edited deal".into(), ..ws.deals[5].clone() });
        let removed_lead = ws.leads[1].id.clone();
        let removed = vec![(Kind::Leads, removed_lead.clone()), (Kind::Events, ws.events[2].id.clone())];
        let loose = by_id(loose);

        let (all, mut bad_all) = read_all(&segments);
        let whole = finish(all, loose.clone(), &removed, &mut bad_all).0;

        let (board_segments, later): (Vec<_>, Vec<_>) = segments.into_iter().partition(|(k, _)| !is_later(k));
        assert!(later.iter().any(|(k, _)| k.starts_with("activities/")) && later.iter().any(|(k, _)| k.starts_with("leads/")));
        let (first, mut bad) = read_all(&board_segments);
        let mut rest = Rest { segments: later, ..Rest::default() };
        let (mut loose, mut removed) = (loose, removed);
        rest.take_loose(&mut loose, &mut removed);
        assert_eq!((loose.activities.len(), loose.leads.len(), loose.deals.len()), (0, 0, 1));
        assert_eq!((rest.loose.activities.len(), rest.loose.leads.len(), rest.removed.len(), removed.len()), (1, 1, 1, 1));
        let first = finish(first, loose, &removed, &mut bad).0;
        assert!(first.activities.is_empty() && first.leads.is_empty());
        let mut reader = RestReader::new(rest);
        // 40 units a step: a few records decoded (8 units each) or checked or mapped.
        let mut steps = 1;
        while !reader.step(&first, 40) {
            steps += 1;
        }
        assert!(steps > 10, "{steps} steps");
        let (activities, leads, at, rest_bad) = reader.finish();
        bad.extend(rest_bad);
        let mut model = crate::analytics::Model::default();
        model.replace(first);
        let rev = model.activities_rev();
        model.complete(activities, leads, at);
        assert_eq!(model.activities_rev(), rev + 1, "what is worked out from activities is worked out again");
        assert_eq!(*model.workspace(), whole);
        assert_eq!(*model.lookup(), crate::domain::Lookup::of(&whole));
        assert!(whole.activities.iter().any(|a| a.subject == "edited loose"));
        assert!(whole.leads.iter().any(|l| l.id.as_str() == "zz-new-lead") && !whole.leads.iter().any(|l| l.id == removed_lead));
        // Set aside alike: the deal, its events, calls and activities, the lost activity.
        let key = |q: &Quarantined| (q.store, q.id.clone(), format!("{:?}", q.reason));
        let (mut a, mut b): (Vec<_>, Vec<_>) = (bad_all.iter().map(key).collect(), bad.iter().map(key).collect());
        a.sort();
        b.sort();
        assert_eq!(a, b);
        assert!(bad.iter().any(|q| q.store == "activities" && q.reason == Dangling::UnknownDeal("no-such-lead".into())));
        assert!(bad.iter().any(|q| q.store == "activities" && q.reason == Dangling::UnknownDeal(orphan.to_string())));
    }

    #[test]
    fn an_empty_workspace_makes_no_segments() {
        assert!(Cutter::all(&Workspace::default()).is_empty());
        assert_eq!(Cutter::count(&Workspace::default()), 0);
        assert_eq!(key(Kind::Calls, 12), "category_changes/000012");
        assert_eq!(kind_of_key("category_changes/000012"), Some(Kind::Calls));
    }

    /// What a loose store holds after these changes: a put replaces its id's record, a log
    /// entry is added, settings are one record.
    fn loose_of(changes: &[Change]) -> Workspace {
        fn put<T>(list: &mut Vec<T>, r: T, id: impl Fn(&T) -> &Id) {
            match list.iter().position(|x| id(x) == id(&r)) {
                Some(i) => list[i] = r,
                None => list.push(r),
            }
        }
        let mut ws = Workspace::default();
        for c in changes.iter().cloned() {
            match c {
                Change::PutPipeline(r) => put(&mut ws.pipelines, r, |r| &r.id),
                Change::PutDeal(r) => put(&mut ws.deals, r, |r| &r.id),
                Change::AppendEvent(r) => ws.events.push(r),
                Change::AppendCategory(r) => ws.category_changes.push(r),
                Change::PutActivity(r) => put(&mut ws.activities, r, |r| &r.id),
                Change::PutOwner(r) => put(&mut ws.owners, r, |r| &r.id),
                Change::PutLead(r) => put(&mut ws.leads, r, |r| &r.id),
                Change::PutAccount(r) => put(&mut ws.accounts, r, |r| &r.id),
                Change::PutContact(r) => put(&mut ws.contacts, r, |r| &r.id),
                Change::PutSettings(x) => ws.settings = x,
                Change::PurgeDeal { .. } => {}
            }
        }
        by_id(ws)
    }

    #[test]
    fn key_spans_put_every_key_in_one_span_the_later_kinds_in_the_later_ones() {
        // Whether `key` is in the span, compared as the database compares these keys (by
        // character; every key this build makes is ASCII).
        let holds = |s: &KeySpan, key: &str| s.from.is_none_or(|f| key >= f) && s.to.is_none_or(|t| key < t);
        let (board, later) = KEY_SPANS.split_at(BOARD_SPANS);
        // Each later kind's span is `name/` to `name0`, in name order.
        let mut names: Vec<&str> = LATER.iter().map(|k| k.name()).collect();
        names.sort_unstable();
        let spans: Vec<(Option<String>, Option<String>)> = later.iter().map(|s| (s.from.map(String::from), s.to.map(String::from))).collect();
        assert_eq!(spans, names.iter().map(|n| (Some(format!("{n}/")), Some(format!("{n}0")))).collect::<Vec<_>>());
        let mut keys: Vec<String> = Kind::ALL.iter().flat_map(|k| [format!("{}/0", k.name()), format!("{}/000123", k.name()), format!("{}/9", k.name())]).collect();
        // Keys no kind makes: read with the board's, where an unknown one is set aside.
        keys.extend(["", "a", "activities", "activitiesX/1", "activities.x", "lead", "leads", "leadsZ", "zzz/1", "\u{e9}/1"].map(String::from));
        // And each span's edges: a gap or an overlap between spans shows there.
        keys.extend(["activities/", "activities0", "activities0x", "leads/", "leads0", "leads0x"].map(String::from));
        for key in &keys {
            let in_board = board.iter().filter(|s| holds(s, key)).count();
            let in_later = later.iter().filter(|s| holds(s, key)).count();
            assert_eq!(in_board + in_later, 1, "{key:?} in exactly one span");
            assert_eq!(in_later == 1, is_later(key), "{key:?}");
        }
        // Each list in key order, the later spans between the board's.
        for spans in [board, later] {
            assert!(spans.windows(2).all(|w| w[0].to.is_some() && w[0].to <= w[1].from));
        }
    }

    #[test]
    fn segments_are_cut_again_once_a_quarter_and_one_per_kind_over() {
        // Tolerance max(needed / 4, 9 kinds): needed 10 → 9 over → 19 fine, 20 cut;
        // needed 400 → 100 over → 500 fine, 501 cut; needed 0 → 9.
        assert!(!too_many(19, 10));
        assert!(too_many(20, 10));
        assert!(!too_many(500, 400));
        assert!(too_many(501, 400));
        assert!(!too_many(9, 0));
        assert!(too_many(10, 0));
        // A demo of 300 deals: every kind under 4,000 records (1 pipeline, 300 deals, 1,019
        // events, 157 calls, 1,122 activities, 5 owners, 400 leads, 24 accounts, 5
        // contacts), one segment each: 9. The same records added beside them, as `Fresh`
        // stores a big add, twice: each kind is still under 4,000 (3 × 1,122 activities =
        // 3,366), so a cut would make 9; stored after one add 18 ≤ 9 + 9, after two 27 > 18.
        let ws = demo_ws(300);
        assert_eq!(Kind::ALL.map(|k| k.len(&ws)), [1, 300, 1019, 157, 1122, 5, 400, 24, 5]);
        let mut keys: Vec<String> = Cutter::all(&ws).into_iter().map(|(k, _)| k).collect();
        let mut grown = ws.clone();
        let mut add = |keys: &mut Vec<String>| {
            let more = Cutter::after(keys.iter().map(String::as_str)).all_of(&ws);
            keys.extend(more.into_iter().map(|(k, _)| k));
            grown.pipelines.extend(ws.pipelines.iter().cloned());
            grown.deals.extend(ws.deals.iter().cloned());
            grown.events.extend(ws.events.iter().cloned());
            grown.category_changes.extend(ws.category_changes.iter().cloned());
            grown.activities.extend(ws.activities.iter().cloned());
            grown.owners.extend(ws.owners.iter().cloned());
            grown.leads.extend(ws.leads.iter().cloned());
            grown.accounts.extend(ws.accounts.iter().cloned());
            grown.contacts.extend(ws.contacts.iter().cloned());
            grown.clone()
        };
        let after_one = add(&mut keys);
        assert_eq!((keys.len(), Cutter::count(&after_one)), (18, 9));
        assert!(!crowded(keys.iter().map(String::as_str), &after_one, |_| true));
        let after_two = add(&mut keys);
        assert_eq!((keys.len(), Cutter::count(&after_two)), (27, 9));
        assert!(crowded(keys.iter().map(String::as_str), &after_two, |_| true));
        // Only the kinds asked about count: on opening, those the board needs (7 of 9 kinds:
        // 21 stored, 7 needed, 21 > 7 + 9).
        assert!(crowded(keys.iter().map(String::as_str), &after_two, |k| !k.later()));
        assert!(!crowded(keys.iter().map(String::as_str), &after_two, |k| k == Kind::Deals));
    }

    /// A pipeline added with its history (another demo, new ids), with a few changes that
    /// must stay loose: an edit of a stored deal, an event on one, a new deal put twice (the
    /// later wins) and the settings. The new records stored as segments numbered after the
    /// stored ones, the rest loose: read back, the workspace memory has after the changes.
    #[test]
    fn new_records_stored_as_segments_beside_the_stored_read_back_as_memory_has_them() {
        let stored = demo_ws(300);
        let stored_segments = Cutter::all(&stored);
        let now = stored.deals[0].created_at;
        let added = demo::generate(700, 8, 9, now, crate::domain::Lang::En);
        let Workspace { pipelines, deals, events, category_changes, activities, owners, leads, accounts, contacts, .. } = added.clone();
        let mut changes: Vec<Change> = pipelines.into_iter().map(Change::PutPipeline).collect();
        changes.extend(accounts.into_iter().map(Change::PutAccount));
        changes.extend(contacts.into_iter().map(Change::PutContact));
        changes.extend(deals.into_iter().map(Change::PutDeal));
        changes.extend(events.into_iter().map(Change::AppendEvent));
        changes.extend(category_changes.into_iter().map(Change::AppendCategory));
        changes.extend(activities.into_iter().map(Change::PutActivity));
        changes.extend(owners.into_iter().map(Change::PutOwner));
        changes.extend(leads.into_iter().map(Change::PutLead));
        let mut edited = stored.deals[5].clone();
        edited.title = "Edited with the import".into();
        let mut on_stored = stored.events[0].clone();
        on_stored.id = Id::from("zz-event-on-a-stored-deal");
        on_stored.at = now;
        let mut twice = added.deals[0].clone();
        twice.id = Id::from("zz-twice");
        let mut later = twice.clone();
        later.title = "The later put".into();
        let mut settings = stored.settings.clone();
        settings.updated_at = Some(now);
        let stay_loose = [Change::PutDeal(edited), Change::AppendEvent(on_stored), Change::PutDeal(twice), Change::PutDeal(later), Change::PutSettings(settings)];
        let first_loose = changes.len();
        changes.extend(stay_loose);

        let fresh = Fresh::of(&changes, &stored, &Lookup::of(&stored));
        // A slice at a time, with the positions and without (the stored ids of each kind
        // are then gathered): the same split, in more steps the smaller the slice. The list
        // has 700 + 1 + 2 deals, 9 owners, 5 others: 5 phases go through it.
        let n = changes.len();
        for (budget, at) in [(1, Lookup::of(&stored)), (997, Lookup::default()), (n, Lookup::of(&stored))] {
            let mut b = FreshBuilder::new(&changes);
            let mut steps = 1;
            while !b.step(&stored, &at, budget) {
                steps += 1;
            }
            // Four phases of ⌈n / budget⌉ steps each, and the logs' sort.
            assert_eq!(steps, 4 * n.div_ceil(budget) + 1, "budget {budget}");
            assert_eq!(b.finish(), fresh, "budget {budget}");
        }
        // Another write between two steps (one of the new deals stored meanwhile): the
        // records marked new against the workspace before are marked again, from the start.
        let mut then = stored.clone();
        then.commit(vec![Change::PutDeal(added.deals[1].clone())]);
        let mut b = FreshBuilder::new(&changes);
        assert!(!b.step(&stored, &Lookup::of(&stored), n));
        assert!(!b.step(&stored, &Lookup::of(&stored), n));
        while !b.step(&then, &Lookup::of(&then), n) {}
        let again = b.finish();
        assert_eq!(again, Fresh::of(&changes, &then, &Lookup::of(&then)));
        assert_eq!(again.ws.deals.len(), fresh.ws.deals.len() - 1);
        // Loose: the five above, and the added owners the stored demo has already (same ids).
        let held_owners: Vec<usize> = (0..first_loose).filter(|&i| matches!(&changes[i], Change::PutOwner(o) if stored.owners.iter().any(|s| s.id == o.id))).collect();
        let mut expected_loose = held_owners.clone();
        expected_loose.extend(first_loose..changes.len());
        assert_eq!(fresh.loose, expected_loose);
        assert_eq!(fresh.ws.deals.len(), 700);
        assert_eq!(fresh.ws.events.len(), added.events.len());
        assert_eq!(fresh.ws.activities.len(), added.activities.len());
        assert_eq!(fresh.ws.owners.len(), added.owners.len() - held_owners.len());
        assert!(fresh.ws.events.windows(2).all(|w| w[0].key() <= w[1].key()), "logs in time order");

        let new_segments = Cutter::after(stored_segments.iter().map(|(k, _)| k.as_str())).all_of(&fresh.ws);
        // Numbered after the stored ones, kind by kind: 300 deals made deals/000000, so the
        // new deals start at deals/000001; no key is taken twice.
        assert_eq!(new_segments.iter().find(|(k, _)| k.starts_with("deals/")).map(|(k, _)| k.as_str()), Some("deals/000001"));
        let stored_events = stored_segments.iter().filter(|(k, _)| k.starts_with("events/")).count();
        assert_eq!(new_segments.iter().find(|(k, _)| k.starts_with("events/")).map(|(k, _)| k.clone()), Some(key(Kind::Events, stored_events)));
        let keys: FxSet<&str> = stored_segments.iter().chain(&new_segments).map(|(k, _)| k.as_str()).collect();
        assert_eq!(keys.len(), stored_segments.len() + new_segments.len());

        let loose: Vec<Change> = fresh.loose.iter().map(|&i| changes[i].clone()).collect();
        let mut all = stored_segments.clone();
        all.extend(new_segments);
        all.sort_by(|a, b| a.0.cmp(&b.0));
        let (base, mut bad) = read_all(&all);
        let (back, _) = finish(base, loose_of(&loose), &[], &mut bad);
        assert!(bad.is_empty(), "{bad:?}");
        let mut memory = stored.clone();
        memory.commit(changes);
        let memory = by_id(memory);
        assert_eq!(back.deals.len(), 300 + 700 + 1);
        assert_eq!(back.deals.iter().find(|d| d.id.as_str() == "zz-twice").map(|d| d.title.as_str()), Some("The later put"));
        assert_eq!(back, memory);
    }

    /// Fewer than `FRESH_AT` new records: everything is stored loose, as before.
    #[test]
    fn a_few_new_records_stay_loose() {
        let stored = demo_ws(50);
        let added = demo::generate(20, 8, 9, stored.deals[0].created_at, crate::domain::Lang::En);
        let changes: Vec<Change> = added.deals.into_iter().map(Change::PutDeal).chain(added.events.into_iter().map(Change::AppendEvent)).collect();
        assert!(changes.len() < FRESH_AT);
        let fresh = Fresh::of(&changes, &stored, &Lookup::default());
        assert_eq!(fresh, Fresh { ws: Workspace::default(), loose: (0..changes.len()).collect() });
    }
}
