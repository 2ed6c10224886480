//! An indexed, integer-only view of one pipeline's history: the layout every analytics
//! pass reads. Each deal's events are kept in time order as (seconds, stage index); ids,
//! owners, sources, tags and currencies are interned. The index can be built once and
//! then kept current by `apply`ing each stored change, so the app never re-reads the
//! string-keyed workspace on a move.

use crate::domain::{CategoryChange, Change, ForecastCategory, Id, Opportunity, Pipeline, StageChange, StageKind, Workspace};

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
    pub events: Vec<Vec<(i64, u16)>>,
    /// Per deal: forecast-category calls in time order.
    pub categories: Vec<Vec<(i64, ForecastCategory)>>,
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
            events: Vec::new(),
            categories: Vec::new(),
            labels: Labels::default(),
            rates: ws.settings.exchange.clone(),
            stage_lookup,
            stage_of,
            deal_lookup: IdIndex::default(),
        }
    }

    fn put_deal(&mut self, d: &Opportunity) {
        let row = DealRow {
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
        };
        match self.deal_lookup.insert(&d.id) {
            (i, false) => self.deals[i as usize] = row,
            (_, true) => {
                self.deals.push(row);
                self.events.push(Vec::new());
                self.categories.push(Vec::new());
            }
        }
    }

    /// Adds an event at its place in time (usually the end). Events of other pipelines'
    /// deals are ignored.
    fn push_event(&mut self, e: &StageChange) {
        let (Some(d), Some(s)) = (self.deal_lookup.get(&e.opportunity), self.stage(&e.to)) else { return };
        let t = e.at.timestamp();
        let evs = &mut self.events[d as usize];
        let at = evs.partition_point(|x| x.0 <= t);
        evs.insert(at, (t, s));
    }

    fn push_category(&mut self, c: &CategoryChange) {
        let Some(d) = self.deal_lookup.get(&c.opportunity) else { return };
        let t = c.at.timestamp();
        let calls = &mut self.categories[d as usize];
        let at = calls.partition_point(|x| x.0 <= t);
        calls.insert(at, (t, c.category));
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
        for &d in at.values() {
            self.events[d as usize].clear();
            self.categories[d as usize].clear();
        }
        for e in &ws.events {
            if let (Some(&d), Some(s)) = (at.get(&e.opportunity), self.stage(&e.to)) {
                self.events[d as usize].push((e.at.timestamp(), s));
            }
        }
        for c in &ws.category_changes {
            if let Some(&d) = at.get(&c.opportunity) {
                self.categories[d as usize].push((c.at.timestamp(), c.category));
            }
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
        self.events.iter().map(Vec::len).sum()
    }
}

/// One list per deal, in time order, from (deal, time, value) triples in the log's time
/// order (consecutive records belong to scattered deals; ties keep the log's order). Every
/// list is sized exactly (allocated in deal order, so the report walks memory in order),
/// then appended to: the lists come out in time order without an insertion search.
fn by_deal<V: Copy>(deals: usize, located: Vec<(u32, i64, V)>) -> Vec<Vec<(i64, V)>> {
    let mut counts = vec![0usize; deals];
    for &(d, _, _) in &located {
        counts[d as usize] += 1;
    }
    let mut lists: Vec<Vec<(i64, V)>> = counts.into_iter().map(Vec::with_capacity).collect();
    for (d, t, v) in located {
        lists[d as usize].push((t, v));
    }
    // A workspace built by hand may list a deal's records out of time order; a stable
    // sort keeps the log's order among ties.
    for list in lists.iter_mut().filter(|l| !l.is_sorted_by_key(|x| x.0)) {
        list.sort_by_key(|x| x.0);
    }
    lists
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
}

impl FlowBuilder {
    pub fn new(ws: &Workspace, pipeline: &Pipeline) -> FlowBuilder {
        let mut flow = Flow::empty(ws, pipeline);
        // Trashed deals take no part until restored (the dashboard says how many).
        let n = ws.deals.iter().filter(|d| d.pipeline == pipeline.id && d.deleted_at.is_none()).count();
        flow.deal_lookup = IdIndex::with_capacity(n);
        flow.deals.reserve_exact(n);
        // Sized once for every record of the logs (other pipelines' too: an upper bound),
        // not grown by doubling and copying as they are read.
        let (events, calls) = (Vec::with_capacity(ws.events.len()), Vec::with_capacity(ws.category_changes.len()));
        FlowBuilder { flow, deal: 0, event: 0, call: 0, events, calls }
    }

    /// Reads up to `budget` more records (a deal counts as 5: its labels are interned and
    /// its texts copied); true once every deal, event and call is read. Deals come first, so
    /// every event finds its deal.
    pub fn step(&mut self, ws: &Workspace, budget: usize) -> bool {
        let mut left = budget;
        let flow = &mut self.flow;
        while left > 0 && self.deal < ws.deals.len() {
            let d = &ws.deals[self.deal];
            if d.pipeline == flow.pipeline && d.deleted_at.is_none() {
                flow.put_deal(d);
            }
            self.deal += 1;
            left = left.saturating_sub(5);
        }
        let upto = |at: usize, len: usize, left: usize| len.min(at.saturating_add(left));
        let end = upto(self.event, ws.events.len(), left);
        let events = &ws.events[self.event..end];
        let mut each = events.iter();
        flow.deal_lookup.each(events.iter().map(|e| &e.opportunity), |d| {
            let Some(e) = each.next() else { return };
            if let (Some(d), Some(s)) = (d, flow.stage(&e.to)) {
                self.events.push((d, e.at.timestamp(), s));
            }
        });
        left -= end - self.event;
        self.event = end;
        let end = upto(self.call, ws.category_changes.len(), left);
        let calls = &ws.category_changes[self.call..end];
        let mut each = calls.iter();
        flow.deal_lookup.each(calls.iter().map(|c| &c.opportunity), |d| {
            let (Some(d), Some(c)) = (d, each.next()) else { return };
            self.calls.push((d, c.at.timestamp(), c.category));
        });
        self.call = end;
        self.deal >= ws.deals.len() && self.event >= ws.events.len() && self.call >= ws.category_changes.len()
    }

    /// The index (complete once `step` said so).
    pub fn finish(self) -> Flow {
        let mut flow = self.flow;
        let n = flow.deals.len();
        flow.events = by_deal(n, self.events);
        flow.categories = by_deal(n, self.calls);
        flow
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analytics::testkit::Timed;
    use crate::domain::{Command, DealDraft};

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
