//! An indexed, integer-only view of one pipeline's history: the layout every analytics
//! pass reads. Each deal's events are kept in time order as (seconds, stage index); ids,
//! owners, sources, tags and currencies are interned. The index can be built once and
//! then kept current by `apply`ing each stored change, so the app never re-reads the
//! string-keyed workspace on a move.

use crate::domain::{CategoryChange, Change, ForecastCategory, Id, Opportunity, Pipeline, Places, StageChange, StageKind, Workspace};

use crate::domain::ids::{FxMap, FxSet, IdIndex};

/// Which deals take part.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct DealFilter {
    pub owner: Option<String>,
    pub source: Option<String>,
    pub tag: Option<String>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct StageInfo {
    pub id: Id,
    pub name: String,
    pub kind: StageKind,
    pub archived: bool,
    pub stuck_after_days: Option<u32>,
    /// The manager's default win probability, percent.
    pub probability: u8,
    /// Position in the progress order (open stages in board order, then Won). Lost and
    /// archived stages have none: entering them reaches nothing.
    pub rank: Option<usize>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct DealRow {
    pub id: Id,
    pub title: String,
    pub account: String,
    pub amount: Option<i64>,
    pub currency: u32,
    pub owner: u32,
    pub source: u32,
    pub tags: Vec<u32>,
    /// Expected close date as a Unix time (midnight UTC).
    pub expected_close: Option<i64>,
    pub category: crate::domain::ForecastCategory,
    /// The rep's win probability (percent), when set.
    pub probability: Option<u8>,
}

/// Interned strings (owners, sources, tags, currencies share one table).
#[derive(Clone, Debug, Default)]
pub struct Labels {
    names: Vec<String>,
    lookup: FxMap<String, u32>,
}

impl Labels {
    pub fn intern(&mut self, s: &str) -> u32 {
        if let Some(&i) = self.lookup.get(s) {
            return i;
        }
        let i = self.names.len() as u32;
        self.names.push(s.to_string());
        self.lookup.insert(s.to_string(), i);
        i
    }
    pub fn find(&self, s: &str) -> Option<u32> {
        self.lookup.get(s).copied()
    }
    pub fn len(&self) -> usize {
        self.names.len()
    }
    pub fn is_empty(&self) -> bool {
        self.names.is_empty()
    }
    pub fn name(&self, i: u32) -> &str {
        &self.names[i as usize]
    }
}

#[derive(Clone, Debug)]
pub struct Flow {
    pub pipeline: Id,
    pub stages: Vec<StageInfo>,
    /// Number of ranks: open stages + Won.
    pub ranks: usize,
    /// Stage index of each rank.
    pub rank_stage: Vec<usize>,
    pub deals: Vec<DealRow>,
    /// Per deal: (time in seconds, stage index), in time order (ties keep log order).
    pub events: Lists<u16>,
    /// Per deal: forecast-category calls in time order.
    pub categories: Lists<ForecastCategory>,
    pub labels: Labels,
    /// The workspace's reporting currency and rates (money figures convert with them).
    pub rates: crate::domain::rates::ExchangeRates,
    /// Stage ids, numbered in the pipeline's order (`stage_of` maps a number to its index).
    stage_lookup: IdIndex,
    stage_of: Vec<u16>,
    /// Deal ids, numbered as `deals`.
    deal_lookup: IdIndex,
}

impl Flow {
    /// Indexes one pipeline of a workspace.
    pub fn build(ws: &Workspace, pipeline: &Pipeline) -> Flow {
        let mut b = FlowBuilder::new(ws, pipeline);
        while !b.step(ws, usize::MAX) {}
        b.finish()
    }

    /// The pipeline's stages and ranks, no deals yet.
    fn empty(ws: &Workspace, pipeline: &Pipeline) -> Flow {
        let mut ranks = 0;
        let mut rank_stage = Vec::new();
        let mut stages: Vec<StageInfo> = pipeline
            .stages
            .iter()
            .map(|s| StageInfo {
                id: s.id.clone(),
                name: s.name.clone(),
                kind: s.kind,
                archived: s.archived,
                stuck_after_days: s.stuck_after_days,
                probability: s.probability,
                rank: None,
            })
            .collect();
        for (i, s) in stages.iter_mut().enumerate() {
            if !s.archived && s.kind == StageKind::Open {
                s.rank = Some(ranks);
                rank_stage.push(i);
                ranks += 1;
            }
        }
        if let Some((i, s)) = stages.iter_mut().enumerate().find(|(_, s)| !s.archived && s.kind == StageKind::Won) {
            s.rank = Some(ranks);
            rank_stage.push(i);
            ranks += 1;
        }
        let mut stage_lookup = IdIndex::with_capacity(pipeline.stages.len());
        let mut stage_of = Vec::with_capacity(pipeline.stages.len());
        for (i, s) in pipeline.stages.iter().enumerate() {
            match stage_lookup.insert(&s.id) {
                (_, true) => stage_of.push(i as u16),
                // The same id twice: the last one counts, as it did in a map.
                (n, false) => stage_of[n as usize] = i as u16,
            }
        }
        Flow {
            pipeline: pipeline.id.clone(),
            stages,
            ranks,
            rank_stage,
            deals: Vec::new(),
            events: Lists::default(),
            categories: Lists::default(),
            labels: Labels::default(),
            rates: ws.settings.exchange.clone(),
            stage_lookup,
            stage_of,
            deal_lookup: IdIndex::default(),
        }
    }

    /// Adds (or, its id seen before, replaces) a deal's row; returns its number.
    fn put_deal(&mut self, d: &Opportunity) -> u32 {
        let row = self.row(d);
        match self.deal_lookup.insert(&d.id) {
            (i, false) => {
                self.deals[i as usize] = row;
                i
            }
            (i, true) => {
                self.push_row(row);
                i
            }
        }
    }

    /// A new deal's row and (empty) lists, its id already numbered.
    fn push_row(&mut self, row: DealRow) {
        self.deals.push(row);
        self.events.push_list();
        self.categories.push_list();
    }

    fn row(&mut self, d: &Opportunity) -> DealRow {
        DealRow {
            id: d.id.clone(),
            title: d.title.clone(),
            account: d.account.clone(),
            amount: d.amount,
            currency: self.labels.intern(&d.currency),
            owner: self.labels.intern(&d.owner),
            source: self.labels.intern(&d.source),
            tags: d.tags.iter().map(|t| self.labels.intern(t)).collect(),
            expected_close: d.expected_close.and_then(|c| c.and_hms_opt(0, 0, 0)).map(|c| c.and_utc().timestamp()),
            category: d.forecast_category,
            probability: d.probability,
        }
    }

    /// Adds an event at its place in time (usually the end). Events of other pipelines'
    /// deals are ignored.
    fn push_event(&mut self, e: &StageChange) {
        let (Some(d), Some(s)) = (self.deal_lookup.get(&e.opportunity), self.stage(&e.to)) else { return };
        self.events.insert(d as usize, e.at.timestamp(), s);
    }

    fn push_category(&mut self, c: &CategoryChange) {
        let Some(d) = self.deal_lookup.get(&c.opportunity) else { return };
        self.categories.insert(d as usize, c.at.timestamp(), c.category);
    }

    /// The owners, sources and tags of the deals in the index (live deals of its pipeline),
    /// each list sorted and without the empty text: what the board's filters offer. From
    /// the interned labels, so a move (which changes none of them) costs a pass over small
    /// numbers, not over every deal's strings.
    pub fn filter_choices(&self) -> (Vec<String>, Vec<String>, Vec<String>) {
        let n = self.labels.names.len();
        let (mut owners, mut sources, mut tags) = (vec![false; n], vec![false; n], vec![false; n]);
        for d in &self.deals {
            owners[d.owner as usize] = true;
            sources[d.source as usize] = true;
            for &t in &d.tags {
                tags[t as usize] = true;
            }
        }
        let names = |used: Vec<bool>| {
            let mut v: Vec<String> = used.iter().zip(&self.labels.names).filter(|(u, s)| **u && !s.is_empty()).map(|(_, s)| s.clone()).collect();
            v.sort_unstable();
            v
        };
        (names(owners), names(sources), names(tags))
    }

    pub fn has_deal(&self, id: &Id) -> bool {
        self.deal_lookup.contains(id)
    }

    fn stage(&self, id: &Id) -> Option<u16> {
        self.stage_lookup.get(id).map(|n| self.stage_of[n as usize])
    }

    /// Reads the history of some deals again from the workspace's (ordered) logs: for
    /// events that arrived out of time order, or before their deal (team sync lists
    /// documents in the order the server stored them). One pass over the logs, with no
    /// rebuild of the other deals.
    pub fn refresh(&mut self, ws: &Workspace, deals: &FxSet<Id>) {
        let at: FxMap<&Id, u32> = deals.iter().filter_map(|id| self.deal_lookup.get(id).map(|d| (id, d))).collect();
        if at.is_empty() {
            return;
        }
        let mut events: FxMap<u32, Vec<(i64, u16)>> = at.values().map(|&d| (d, Vec::new())).collect();
        let mut calls: FxMap<u32, Vec<(i64, ForecastCategory)>> = at.values().map(|&d| (d, Vec::new())).collect();
        for e in &ws.events {
            if let (Some(d), Some(s)) = (at.get(&e.opportunity), self.stage(&e.to)) {
                events.entry(*d).or_default().push((e.at.timestamp(), s));
            }
        }
        for c in &ws.category_changes {
            if let Some(d) = at.get(&c.opportunity) {
                calls.entry(*d).or_default().push((c.at.timestamp(), c.category));
            }
        }
        for (d, list) in events {
            self.events.set(d as usize, &list);
        }
        for (d, list) in calls {
            self.categories.set(d as usize, &list);
        }
    }

    /// The rep's call on deal `d` at time `t`: the last one made by then. Deals with no
    /// recorded call (data from before calls were logged) keep their current category.
    pub fn category_at(&self, d: usize, t: i64) -> ForecastCategory {
        let calls = &self.categories[d];
        if calls.is_empty() {
            return self.deals[d].category;
        }
        match calls.partition_point(|x| x.0 <= t) {
            0 => ForecastCategory::Pipeline,
            i => calls[i - 1].1,
        }
    }

    /// Keeps the index current after a stored change. Returns false when the change needs
    /// a rebuild instead (this pipeline's stages changed).
    pub fn apply(&mut self, change: &Change) -> bool {
        match change {
            Change::PutPipeline(p) => p.id != self.pipeline,
            Change::PutDeal(d) => {
                if d.pipeline != self.pipeline {
                    return true;
                }
                let known = self.deal_lookup.contains(&d.id);
                // Into the trash: the index drops it by rebuilding.
                if d.deleted_at.is_some() {
                    return !known;
                }
                // Out of the trash: it comes back with its history, which the index no
                // longer holds (a new deal has never had a "deleted" edit).
                if !known && d.field_times.contains_key("deleted") {
                    return false;
                }
                self.put_deal(d);
                true
            }
            // Only trashed deals are purged, and they are not in the index.
            Change::PurgeDeal { .. } => true,
            Change::AppendEvent(e) => {
                self.push_event(e);
                true
            }
            Change::AppendCategory(c) => {
                self.push_category(c);
                true
            }
            Change::PutSettings(s) => {
                self.rates = s.exchange.clone();
                true
            }
            // Activities, owners, leads and accounts are not part of the stage flow.
            Change::PutActivity(_)
            | Change::PutOwner(_)
            | Change::PutLead(_)
            | Change::PutAccount(_)
            | Change::PutContact(_) => true,
        }
    }

    /// How many interned labels there are (owners, sources, tags, currencies).
    pub fn labels_len(&self) -> usize {
        self.labels.len()
    }

    pub fn event_count(&self) -> usize {
        self.events.entries()
    }
}

/// One time-ordered list per deal, all in one buffer: at 100,000 deals a `Vec` per deal
/// was 200,000 allocations for events and calls on every build of the index (and as many
/// frees when it was dropped). A list that grows after the build (a move appends to a
/// deal's history) is copied to the end of the buffer unless it is there already; the
/// copies left behind are dropped in one pass when they outnumber the live entries.
#[derive(Clone, Debug)]
pub struct Lists<V> {
    /// Per deal: where its list starts in `data`, and its length.
    spans: Vec<(u32, u32)>,
    data: Vec<(i64, V)>,
    /// Entries in `data` no list holds any more.
    dead: usize,
}

impl<V> Default for Lists<V> {
    fn default() -> Lists<V> {
        Lists { spans: Vec::new(), data: Vec::new(), dead: 0 }
    }
}

impl<V: Copy> Lists<V> {
    /// Left-behind entries are dropped when there are more of them than this and than
    /// live ones: a move costs a copy of one list, the compaction a pass over all of them
    /// only after as many entries were left behind.
    const COMPACT_AFTER: usize = 1024;

    /// From (deal, time, value) triples in the log's time order (consecutive records belong
    /// to scattered deals; ties keep the log's order). Every list's place is counted first,
    /// then the triples are put there: the lists come out in time order without an
    /// insertion search.
    pub fn by_deal(deals: usize, located: Vec<(u32, i64, V)>) -> Lists<V> {
        let mut counts = vec![0u32; deals];
        for &(d, _, _) in &located {
            counts[d as usize] += 1;
        }
        let Some(&(_, t0, v0)) = located.first() else {
            return Lists { spans: vec![(0, 0); deals], data: Vec::new(), dead: 0 };
        };
        let (mut lists, mut next) = Lists::laid_out(&counts, (t0, v0));
        for (d, t, v) in located {
            lists.put(&mut next, d as usize, t, v);
        }
        lists.sort_each();
        lists
    }

    /// Lists of the lengths `counts`, each entry `fill` until `put` there, and where each
    /// list's next entry goes.
    fn laid_out(counts: &[u32], fill: (i64, V)) -> (Lists<V>, Vec<u32>) {
        let mut spans = Vec::with_capacity(counts.len());
        let mut start = 0u32;
        for &n in counts {
            spans.push((start, n));
            start += n;
        }
        let next = spans.iter().map(|s| s.0).collect();
        (Lists { spans, data: vec![fill; start as usize], dead: 0 }, next)
    }

    /// Puts an entry at deal `d`'s next place of a `laid_out` list.
    fn put(&mut self, next: &mut [u32], d: usize, t: i64, v: V) {
        let Some(at) = next.get_mut(d) else { return };
        if let Some(slot) = self.data.get_mut(*at as usize) {
            *slot = (t, v);
            *at += 1;
        }
    }

    /// A workspace built by hand may list a deal's records out of time order; the log's
    /// order is kept among ties. A list out of order is sorted as (time, position) pairs,
    /// then put in that order: one sort of plain pairs, whatever the lists hold (a stable
    /// sort of each kind of list put a copy of the sort in the first download for each).
    fn sort_each(&mut self) {
        let mut order: Vec<(i64, u32)> = Vec::new();
        let mut sorted: Vec<(i64, V)> = Vec::new();
        for d in 0..self.spans.len() {
            let (s, n) = self.span(d);
            let list = &mut self.data[s..s + n];
            if list.is_sorted_by_key(|x| x.0) {
                continue;
            }
            order.clear();
            order.extend(list.iter().zip(0u32..).map(|(x, i)| (x.0, i)));
            order.sort_unstable();
            sorted.clear();
            sorted.extend(order.iter().map(|&(_, i)| list[i as usize]));
            list.copy_from_slice(&sorted);
        }
    }

    fn span(&self, d: usize) -> (usize, usize) {
        let (s, n) = self.spans[d];
        (s as usize, n as usize)
    }

    /// How many lists (deals) there are.
    pub fn len(&self) -> usize {
        self.spans.len()
    }

    pub fn is_empty(&self) -> bool {
        self.spans.is_empty()
    }

    /// Every list, in deal order.
    pub fn iter(&self) -> impl Iterator<Item = &[(i64, V)]> + '_ {
        (0..self.spans.len()).map(|d| &self[d])
    }

    /// Entries in every list together.
    pub fn entries(&self) -> usize {
        self.data.len() - self.dead
    }

    /// An empty list for a new deal.
    pub fn push_list(&mut self) {
        self.spans.push((self.data.len() as u32, 0));
    }

    /// Adds an entry to deal `d`'s list at its place in time: after every entry at or
    /// before `t` (usually the end).
    pub fn insert(&mut self, d: usize, t: i64, v: V) {
        let (s, n) = self.span(d);
        let at = s + self.data[s..s + n].partition_point(|x| x.0 <= t);
        if s + n == self.data.len() {
            // The last list in the buffer grows where it is.
            self.data.insert(at, (t, v));
        } else {
            let start = self.data.len();
            self.data.extend_from_within(s..at);
            self.data.push((t, v));
            self.data.extend_from_within(at..s + n);
            self.spans[d].0 = start as u32;
            self.dead += n;
        }
        self.spans[d].1 += 1;
        self.compact_if_mostly_dead();
    }

    /// Replaces deal `d`'s list (`list` in time order).
    pub fn set(&mut self, d: usize, list: &[(i64, V)]) {
        self.dead += self.spans[d].1 as usize;
        self.spans[d] = (self.data.len() as u32, list.len() as u32);
        self.data.extend_from_slice(list);
        self.compact_if_mostly_dead();
    }

    fn compact_if_mostly_dead(&mut self) {
        if self.dead <= Self::COMPACT_AFTER || self.dead <= self.data.len() - self.dead {
            return;
        }
        let mut data = Vec::with_capacity(self.data.len() - self.dead);
        for span in self.spans.iter_mut() {
            let (s, n) = (span.0 as usize, span.1 as usize);
            span.0 = data.len() as u32;
            data.extend_from_slice(&self.data[s..s + n]);
        }
        self.data = data;
        self.dead = 0;
    }
}

impl<V> std::ops::Index<usize> for Lists<V> {
    type Output = [(i64, V)];
    fn index(&self, d: usize) -> &[(i64, V)] {
        let (s, n) = self.spans[d];
        &self.data[s as usize..(s + n) as usize]
    }
}

/// Equal when every deal's list is: where the lists sit in the buffer is not their content.
impl<V: PartialEq> PartialEq for Lists<V> {
    fn eq(&self, other: &Lists<V>) -> bool {
        self.spans.len() == other.spans.len() && (0..self.spans.len()).all(|d| self[d] == other[d])
    }
}

/// `Flow::build` a slice at a time (`step`), so the app can let the browser in between: at
/// 100,000 deals and a million events the whole build held the page ≈ 130–270 ms in one
/// task. Each step must be handed the same, unchanged workspace.
pub struct FlowBuilder {
    flow: Flow,
    /// The next deal, event and forecast call to read.
    deal: usize,
    event: usize,
    call: usize,
    events: Vec<(u32, i64, u16)>,
    calls: Vec<(u32, i64, ForecastCategory)>,
    /// Where each log record's deal sits in the workspace, when known (`with_places`), and
    /// then by that position each deal's number here (`NONE`: not in this index).
    places: Option<Places>,
    number_at: Vec<u32>,
    /// With places, once every deal is read: the lists laid out (each one's length counted
    /// from the places) and where each one's next entry goes. Each record is then put in
    /// its place as it is read, not gathered as (deal, time, value) and placed at the end:
    /// at a million events that was 24 MB written and read once more.
    laid: Option<Laid>,
    /// Every deal read so far is in this pipeline and none in the trash, and their ids
    /// (distinct) came numbered by position with the places: each deal's number here is
    /// its position, its id already in the index.
    numbered: bool,
}

struct Laid {
    events: Lists<u16>,
    next_event: Vec<u32>,
    calls: Lists<ForecastCategory>,
    next_call: Vec<u32>,
}

const NONE: u32 = u32::MAX;

/// Counting a record's list (a position read, no record) against reading one.
const COUNT_WEIGHT: usize = 8;

impl FlowBuilder {
    pub fn new(ws: &Workspace, pipeline: &Pipeline) -> FlowBuilder {
        let mut flow = Flow::empty(ws, pipeline);
        // Trashed deals take no part until restored (the dashboard says how many).
        let n = ws.deals.iter().filter(|d| d.pipeline == pipeline.id && d.deleted_at.is_none()).count();
        flow.deal_lookup = IdIndex::with_capacity(n);
        flow.deals.reserve_exact(n);
        FlowBuilder { flow, deal: 0, event: 0, call: 0, events: Vec::new(), calls: Vec::new(), places: None, number_at: Vec::new(), laid: None, numbered: false }
    }

    /// `new`, each record's deal (and each event's stage) taken from `places` rather than
    /// found by its id (when they fit `ws`; else by id as `new` does).
    pub fn with_places(ws: &Workspace, pipeline: &Pipeline, mut places: Places) -> FlowBuilder {
        if !places.fits(ws) {
            return FlowBuilder::new(ws, pipeline);
        }
        // Every deal taken to be in the index, numbered by position with the ids opening
        // numbered, until one is not (`step`). Not counted first: that pass over every
        // deal read each one's record once more (≈ 5 ms of wasm at 100,000 deals).
        let mut flow = Flow::empty(ws, pipeline);
        flow.deals.reserve_exact(ws.deals.len());
        flow.deal_lookup = places.take_deal_ids();
        let number_at = vec![NONE; ws.deals.len()];
        FlowBuilder { flow, deal: 0, event: 0, call: 0, events: Vec::new(), calls: Vec::new(), places: Some(places), number_at, laid: None, numbered: true }
    }

    /// Reads up to `budget` more records (a deal counts as 5: its labels are interned and
    /// its texts copied; with places, laying the lists out counts an eighth of the logs'
    /// records); true once every deal, event and call is read. Deals come first, so every
    /// event finds its deal.
    pub fn step(&mut self, ws: &Workspace, budget: usize) -> bool {
        let mut left = budget;
        let flow = &mut self.flow;
        while left > 0 && self.deal < ws.deals.len() {
            let d = &ws.deals[self.deal];
            // Trashed deals take no part until restored (the dashboard says how many).
            let inside = d.pipeline == flow.pipeline && d.deleted_at.is_none();
            if self.numbered && !inside {
                // Numbers are positions no more from here: the deals so far get an index of
                // their own ids, and the rest are numbered as they come.
                flow.deal_lookup = IdIndex::with_capacity(ws.deals.len());
                for row in &flow.deals {
                    flow.deal_lookup.insert(&row.id);
                }
                self.numbered = false;
            }
            if self.numbered {
                let row = flow.row(d);
                flow.push_row(row);
                if let Some(at) = self.number_at.get_mut(self.deal) {
                    *at = self.deal as u32;
                }
            } else if inside {
                let n = flow.put_deal(d);
                if let Some(at) = self.number_at.get_mut(self.deal) {
                    *at = n;
                }
            }
            self.deal += 1;
            left = left.saturating_sub(5);
        }
        if self.deal < ws.deals.len() {
            return false;
        }
        match self.places.take() {
            Some(places) => {
                if left > 0 {
                    self.read_placed(ws, &places, &mut left);
                }
                self.places = Some(places);
            }
            None => self.read_by_id(ws, &mut left),
        }
        self.event >= ws.events.len() && self.call >= ws.category_changes.len()
    }

    /// The next events and calls, each one's deal found by its id.
    fn read_by_id(&mut self, ws: &Workspace, left: &mut usize) {
        let flow = &self.flow;
        if self.events.capacity() == 0 {
            // Sized once for every record of the logs (other pipelines' too: an upper
            // bound), not grown by doubling and copying as they are read.
            self.events.reserve_exact(ws.events.len());
            self.calls.reserve_exact(ws.category_changes.len());
        }
        let end = upto(self.event, ws.events.len(), *left);
        let events = &ws.events[self.event..end];
        let mut each = events.iter();
        flow.deal_lookup.each(events.iter().map(|e| &e.opportunity), |d| {
            let Some(e) = each.next() else { return };
            if let (Some(d), Some(s)) = (d, flow.stage(&e.to)) {
                self.events.push((d, e.at.timestamp(), s));
            }
        });
        *left -= end - self.event;
        self.event = end;
        let end = upto(self.call, ws.category_changes.len(), *left);
        let calls = &ws.category_changes[self.call..end];
        let mut each = calls.iter();
        flow.deal_lookup.each(calls.iter().map(|c| &c.opportunity), |d| {
            let (Some(d), Some(c)) = (d, each.next()) else { return };
            self.calls.push((d, c.at.timestamp(), c.category));
        });
        self.call = end;
    }

    /// The next events and calls, each one's deal (and stage) where `places` says, put
    /// straight into its list (laid out first, on the first call).
    fn read_placed(&mut self, ws: &Workspace, places: &Places, left: &mut usize) {
        let flow = &self.flow;
        let number_at = &self.number_at;
        // An event's stage by its position in the pipeline, which is its number here when
        // the pipeline's stage ids are distinct (else, as for a position it lacks, by id).
        let by_position = flow.stage_lookup.len() == flow.stages.len();
        let stage = |i: usize| -> Option<u16> {
            let s = places.stages().get(i).copied().unwrap_or(u16::MAX);
            if by_position && (s as usize) < flow.stages.len() {
                Some(s)
            } else {
                ws.events.get(i).and_then(|e| flow.stage(&e.to))
            }
        };
        let deal = |p: u32| number_at.get(p as usize).copied().filter(|&d| d != NONE);
        let laid = match &mut self.laid {
            Some(laid) => laid,
            None => {
                let mut counts = vec![0u32; flow.deals.len()];
                for (i, &p) in places.events().iter().enumerate() {
                    if let (Some(d), Some(_)) = (deal(p), stage(i)) {
                        counts[d as usize] += 1;
                    }
                }
                let (events, next_event) = Lists::laid_out(&counts, (0, 0));
                counts.fill(0);
                for &p in places.calls() {
                    if let Some(d) = deal(p) {
                        counts[d as usize] += 1;
                    }
                }
                let (calls, next_call) = Lists::laid_out(&counts, (0, ForecastCategory::default()));
                *left = left.saturating_sub((places.events().len() + places.calls().len()) / COUNT_WEIGHT).max(1);
                self.laid.insert(Laid { events, next_event, calls, next_call })
            }
        };
        // Each event's time from the places too (`fits` checked there is one per event): the
        // events themselves are not read.
        let (times, call_times) = (places.times(), places.call_times());
        let end = upto(self.event, ws.events.len(), *left);
        for i in self.event..end {
            let (Some(d), Some(s), Some(&t)) = (places.events().get(i).and_then(|&p| deal(p)), stage(i), times.get(i)) else { continue };
            laid.events.put(&mut laid.next_event, d as usize, t, s);
        }
        *left -= end - self.event;
        self.event = end;
        let end = upto(self.call, ws.category_changes.len(), *left);
        for i in self.call..end {
            let (Some(d), Some(&t)) = (places.calls().get(i).and_then(|&p| deal(p)), call_times.get(i)) else { continue };
            laid.calls.put(&mut laid.next_call, d as usize, t, ws.category_changes[i].category);
        }
        self.call = end;
    }

    /// The index (complete once `step` said so).
    pub fn finish(self) -> Flow {
        let mut flow = self.flow;
        match self.laid {
            Some(Laid { mut events, mut calls, .. }) => {
                events.sort_each();
                calls.sort_each();
                flow.events = events;
                flow.categories = calls;
            }
            None => {
                let n = flow.deals.len();
                flow.events = Lists::by_deal(n, self.events);
                flow.categories = Lists::by_deal(n, self.calls);
            }
        }
        flow
    }
}

/// The end of the next slice of a log of `len` records, `left` of them from `at`.
fn upto(at: usize, len: usize, left: usize) -> usize {
    len.min(at.saturating_add(left))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analytics::testkit::Timed;
    use crate::domain::{Command, DealDraft};

    /// `Lists` against a `Vec` per deal under random builds, inserts (at the end, in the
    /// middle, on the last list and on earlier ones), replacements and new deals: every
    /// list equal after each step, and the left-behind copies dropped along the way
    /// (enough steps that the buffer is compacted several times).
    #[test]
    fn lists_in_one_buffer_hold_what_a_vec_per_deal_holds() {
        for seed in 0..6u64 {
            let mut r = crate::domain::Rng::new(seed);
            let deals = 1 + r.below(40) as usize;
            let located: Vec<(u32, i64, u16)> = (0..r.below(400)).map(|i| (r.below(deals as u64) as u32, (i / 3) as i64, i as u16)).collect();
            let mut model: Vec<Vec<(i64, u16)>> = vec![Vec::new(); deals];
            for &(d, t, v) in &located {
                model[d as usize].push((t, v));
            }
            let mut lists = Lists::by_deal(deals, located);
            let (mut compactions, mut dead) = (0, 0);
            for step in 0..6_000 {
                let d = r.below(model.len() as u64) as usize;
                match r.below(10) {
                    0 => {
                        lists.push_list();
                        model.push(Vec::new());
                    }
                    1 => {
                        let list: Vec<(i64, u16)> = (0..r.below(5)).map(|i| (i as i64 * 10, step as u16)).collect();
                        lists.set(d, &list);
                        model[d] = list;
                    }
                    _ => {
                        let t = r.below(200) as i64;
                        lists.insert(d, t, step as u16);
                        let at = model[d].partition_point(|x| x.0 <= t);
                        model[d].insert(at, (t, step as u16));
                    }
                }
                if lists.dead < dead {
                    compactions += 1;
                }
                dead = lists.dead;
                assert_eq!(lists.len(), model.len());
                assert!(lists.iter().zip(&model).all(|(a, b)| a == b.as_slice()), "seed {seed}, step {step}");
                assert_eq!(lists.entries(), model.iter().map(Vec::len).sum::<usize>());
            }
            assert!(compactions >= 2, "seed {seed}: compacted {compactions} times");
        }
    }

    /// Built with each record's deal (and event's stage) taken from `Places`, the index is
    /// the one built by ids, for every pipeline of a workspace whose deals are in three
    /// pipelines, some in the trash, with an event to a stage no pipeline has (such records
    /// land nowhere either way), a pipeline listing one stage id twice (a position then
    /// says less than the id: the later stage counts) and one deal's events out of time
    /// order in the log. Places that do not fit the workspace (one event fewer) are not used;
    /// nor are places of a log whose last record's time moved.
    #[test]
    fn built_from_places_equals_built_from_ids() {
        let now = chrono::DateTime::parse_from_rfc3339("2026-11-27T00:00:00Z").map(|t| t.with_timezone(&chrono::Utc)).unwrap_or_default();
        let mut ws = crate::domain::demo::generate(150, 3, 9, now, crate::domain::Lang::En);
        let mut other = ws.pipelines[0].clone();
        other.id = Id::from("second-pipeline");
        let second = other.id.clone();
        let mut doubled = ws.pipelines[0].clone();
        doubled.id = Id::from("third-pipeline");
        let third = doubled.id.clone();
        let twice = doubled.stages[1].id.clone();
        doubled.stages[2].id = twice.clone();
        ws.pipelines.extend([other, doubled]);
        for (i, d) in ws.deals.iter_mut().enumerate() {
            match i % 7 {
                0 => d.pipeline = second.clone(),
                3 => d.deleted_at = Some(now),
                5 => d.pipeline = third.clone(),
                _ => {}
            }
        }
        ws.events[10].to = Id::from("no-such-stage");
        // A deal of the third pipeline with two events, the later one first in the log.
        let Some(d) = ws.deals.iter().find(|d| d.pipeline == third && ws.events.iter().filter(|e| e.opportunity == d.id).count() > 1) else { panic!("a deal with a history") };
        let (Some(a), Some(b)) = (ws.events.iter().position(|e| e.opportunity == d.id), ws.events.iter().rposition(|e| e.opportunity == d.id)) else { panic!("its events") };
        ws.events.swap(a, b);
        assert!(ws.events.iter().any(|e| e.to == twice && ws.deals.iter().any(|d| d.id == e.opportunity && d.pipeline == third)));
        let Some(places) = Places::find(&ws) else { panic!("the demo's deals have distinct ids") };
        let mut fewer = ws.clone();
        fewer.events.pop();
        let Some(stale) = Places::find(&fewer) else { panic!("one event fewer still has places of its own") };
        // Places carry each record's time (the index reads no event): the last event or
        // forecast call a second later and places found before do not fit.
        let (mut later, mut later_call) = (ws.clone(), ws.clone());
        if let (Some(e), Some(c)) = (later.events.last_mut(), later_call.category_changes.last_mut()) {
            e.at += chrono::Duration::seconds(1);
            c.at += chrono::Duration::seconds(1);
        }
        assert!(!stale.fits(&ws) && places.fits(&ws) && !places.fits(&later) && !places.fits(&later_call));
        // Two deals with one id, or an event of no deal: no places (an id stands for the last).
        let mut twice = ws.clone();
        twice.deals.push(twice.deals[1].clone());
        let mut orphan = ws.clone();
        orphan.events[5].opportunity = Id::from("no-such-deal");
        assert_eq!((Places::find(&twice), Places::find(&orphan)), (None, None));
        for p in &ws.pipelines {
            let by_id = Flow::build(&ws, p);
            for given in [places.clone(), stale.clone()] {
                let mut b = FlowBuilder::with_places(&ws, p, given);
                while !b.step(&ws, 97) {}
                let f = b.finish();
                assert_eq!((&f.deals, &f.events, &f.categories), (&by_id.deals, &by_id.events, &by_id.categories), "{}", p.id);
            }
            assert!(by_id.deals.len() > 20 && by_id.events.entries() > 60 && by_id.categories.entries() > 0, "{}", p.id);
        }
    }

    /// Every deal in the pipeline and none in the trash: the index takes over the deals'
    /// ids numbered with the places (no id added one by one), and equals the index built
    /// by id, its id lookup included; a new deal and its event are then followed on both
    /// alike. One deal in the trash (the 8th or the last: numbered by position up to it),
    /// or the places' ids not the workspace's (one id changed since), and it numbers its
    /// own, still equal.
    #[test]
    fn the_places_deal_ids_serve_an_index_of_every_deal() {
        let now = chrono::DateTime::parse_from_rfc3339("2026-11-27T00:00:00Z").map(|t| t.with_timezone(&chrono::Utc)).unwrap_or_default();
        let ws = crate::domain::demo::generate(120, 3, 9, now, crate::domain::Lang::En);
        assert_eq!(ws.pipelines.len(), 1);
        let p = &ws.pipelines[0];
        let Some(places) = Places::find(&ws) else { panic!("the demo's deals have distinct ids") };
        let mut trashed = ws.clone();
        trashed.deals[7].deleted_at = Some(now);
        // The last deal in the trash: every other one numbered by position before it.
        let mut last_trashed = ws.clone();
        if let Some(d) = last_trashed.deals.last_mut() {
            d.deleted_at = Some(now);
        }
        let mut renamed = ws.clone();
        renamed.deals[0].id = Id::from("renamed");
        // The first and last deal's ids are checked: either changed, the places do not fit.
        let mut renamed_last = ws.clone();
        if let Some(d) = renamed_last.deals.last_mut() {
            d.id = Id::from("renamed-last");
        }
        assert!(places.fits(&ws) && !places.fits(&renamed) && !places.fits(&renamed_last));
        for (ws, numbered) in [(&ws, true), (&trashed, false), (&last_trashed, false), (&renamed, false)] {
            let mut b = FlowBuilder::with_places(ws, p, places.clone());
            while !b.step(ws, 53) {}
            assert_eq!(b.numbered, numbered);
            let mut placed = b.finish();
            let mut by_id = Flow::build(ws, p);
            assert_eq!(placed.deal_lookup, by_id.deal_lookup);
            assert_eq!((&placed.deals, &placed.events, &placed.categories), (&by_id.deals, &by_id.events, &by_id.categories));
            let deal = Opportunity { id: Id::from("new-deal"), pipeline: p.id.clone(), title: "New".into(), ..ws.deals[0].clone() };
            let event = StageChange { id: Id::from("new-event"), opportunity: deal.id.clone(), from: None, to: p.stages[1].id.clone(), ..ws.events[0].clone() };
            for flow in [&mut placed, &mut by_id] {
                assert!(flow.apply(&Change::PutDeal(deal.clone())) && flow.apply(&Change::AppendEvent(event.clone())));
            }
            let n = ws.deals.len() - usize::from(!numbered && ws.deals.iter().any(|d| d.deleted_at.is_some()));
            assert_eq!((placed.deal_lookup.get(&deal.id), placed.events[n].len()), (Some(n as u32), 1));
            assert_eq!((&placed.deals, &placed.events, &placed.deal_lookup), (&by_id.deals, &by_id.events, &by_id.deal_lookup));
        }
    }

    /// Out-of-order records of one deal come out in time order, ties in the log's order.
    #[test]
    fn lists_by_deal_sort_each_list_stably() {
        let lists = Lists::by_deal(3, vec![(1, 5, 'a'), (0, 2, 'b'), (1, 3, 'c'), (1, 5, 'd'), (1, 1, 'e')]);
        assert_eq!((&lists[0], &lists[1], &lists[2]), (&[(2, 'b')][..], &[(1, 'e'), (3, 'c'), (5, 'a'), (5, 'd')][..], &[][..]));
        assert_eq!(Lists::<char>::by_deal(2, Vec::new()).iter().map(<[_]>::len).collect::<Vec<_>>(), [0, 0]);
    }

    /// Four deals: Ann/web/[b, a], Bo/""/[a], no owner/referral/[], Zed/fair/[z]; one in a
    /// second pipeline (Xi/expo/[x]) is in neither list. Bo's deal is handed to Cy, followed
    /// by an index kept change by change ("Bo" stays among its labels, unused): owners Ann,
    /// Cy, Zed; sources fair, referral, web; tags a, b, z. Then Zed's deal goes to the
    /// trash: owners Ann, Cy; sources referral, web; tags a, b.
    #[test]
    fn filter_choices_are_the_live_deals_labels_sorted_without_empty() {
        let mut t = Timed::b2b(4);
        let p = t.pipeline();
        t.run(0, Command::CreatePipeline { template: crate::domain::Template::B2b, lang: crate::domain::Lang::En });
        let other = t.ws.pipelines[1].id.clone();
        let deal = |title: &str, owner: &str, source: &str, tags: &str| DealDraft { title: title.into(), owner: owner.into(), source: source.into(), tags: tags.into(), ..Default::default() };
        for (title, owner, source, tags) in [("A", "Ann", "web", "b, a"), ("B", "Bo", "", "a"), ("C", "", "referral", ""), ("Z", "Zed", "fair", "z")] {
            t.run(0, Command::CreateDeal { pipeline: p.id.clone(), stage: None, draft: deal(title, owner, source, tags) });
        }
        t.run(0, Command::CreateDeal { pipeline: other, stage: None, draft: deal("X", "Xi", "expo", "x") });
        let id = |title: &str| t.ws.deals.iter().find(|d| d.title == title).unwrap().id.clone();
        let (b, z) = (id("B"), id("Z"));
        let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        let mut flow = Flow::build(&t.ws, &p);
        let base = DealDraft::from_deal(t.ws.deal(&b).unwrap());
        t.run(1, Command::UpdateDeal { deal: b.clone(), draft: DealDraft { owner: "Cy".into(), ..base.clone() }, base: Some(base) });
        assert!(flow.apply(&Change::PutDeal(t.ws.deal(&b).unwrap().clone())), "an edit is followed, not rebuilt");
        assert_eq!(flow.filter_choices(), (s(&["Ann", "Cy", "Zed"]), s(&["fair", "referral", "web"]), s(&["a", "b", "z"])));
        t.run(1, Command::DeleteDeals { deals: vec![z] });
        assert_eq!(Flow::build(&t.ws, &p).filter_choices(), (s(&["Ann", "Cy"]), s(&["referral", "web"]), s(&["a", "b"])));
    }
}
