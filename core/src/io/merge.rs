//! Merging two copies of a workspace (a teammate's export into mine): records are matched
//! by stable id; the stage-change and forecast-call logs are unioned by event id; a deal
//! edited on both sides keeps, field by field, the newer edit, and every value that lost
//! is listed in a conflict report. The result is in a canonical order, so merging is
//! idempotent (A + B + B = A + B) and symmetric (A + B = B + A).

use crate::domain::activity::Known;
use crate::domain::ids::{head_u64, FxSet, IdIndex, IdKey};
use crate::domain::{Change, Id, Opportunity, Pipeline, StageChange, StageKind, Workspace};
use chrono::{DateTime, Utc};
use std::collections::BTreeMap;

#[derive(Clone, Debug, PartialEq)]
pub struct Conflict {
    pub deal: String,
    pub field: &'static str,
    pub kept: String,
    pub overridden: String,
}

/// Records that share an id but are not copies of one record, and stages kept although
/// the newer pipeline definition had removed them. Every one is reported.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Collision {
    /// Two different events with one id: the one earlier in the log's order is kept.
    Event { id: String },
    /// Two different deals (other pipeline or other creation) with one id: the one created
    /// first is kept with its history; the other and its history are left out.
    Deal { id: String, kept: String, dropped: String },
    /// A stage missing from the newer definition of a pipeline but still used by deals
    /// or history: kept (archived when no deal sits in it).
    StageKept { pipeline: String, stage: String },
}

#[derive(Clone, Debug, PartialEq)]
pub struct MergeResult {
    pub workspace: Workspace,
    pub conflicts: Vec<Conflict>,
    pub collisions: Vec<Collision>,
    pub new_deals: usize,
    pub new_events: usize,
}

/// The newer pipeline definition wins as a whole (stage lists are edited together);
/// equal times fall back to comparing the content so the choice does not depend on order.
fn pick_pipeline(a: &Pipeline, b: &Pipeline) -> Pipeline {
    let key = |p: &Pipeline| (p.updated_at, serde_json::to_string(p).unwrap_or_default());
    if key(a) >= key(b) { a.clone() } else { b.clone() }
}

fn merge_deal(a: &Opportunity, b: &Opportunity, conflicts: &mut Vec<Conflict>) -> Opportunity {
    let mut out = a.clone();
    // Record-level facts by symmetric rules: earliest creation, latest edit and its device.
    out.created_at = a.created_at.min(b.created_at);
    (out.updated_at, out.device) = (a.updated_at, a.device.clone()).max((b.updated_at, b.device.clone()));
    for ((field, va), (_, vb)) in a.fields().into_iter().zip(b.fields()) {
        let (ta, tb) = (a.field_time(field), b.field_time(field));
        // The newer edit wins; equal times are settled by the value itself, so the
        // outcome never depends on which copy is "mine".
        let b_wins = va != vb && (tb, &vb) > (ta, &va);
        if b_wins {
            out.take_field(field, b);
        }
        if a.field_times.contains_key(field) || b.field_times.contains_key(field) {
            out.field_times.insert(field.to_string(), ta.max(tb));
        }
        if va != vb {
            let (kept, overridden) = if b_wins { (vb, va) } else { (va, vb) };
            conflicts.push(Conflict { deal: String::new(), field, kept, overridden });
        }
    }
    for c in conflicts.iter_mut().filter(|c| c.deal.is_empty()) {
        c.deal = out.title.clone();
    }
    // Links to account and contact records follow the text that was kept; where both
    // sides have the same text, the greater link (a link over none), whichever side it is.
    let pick = |kept_text: &str, (ta, la): (&str, &Option<Id>), (tb, lb): (&str, &Option<Id>)| match (kept_text == ta, kept_text == tb) {
        (true, true) => la.clone().max(lb.clone()),
        (true, false) => la.clone(),
        _ => lb.clone(),
    };
    out.account_id = pick(&out.account, (&a.account, &a.account_id), (&b.account, &b.account_id));
    out.contact_id = pick(&out.contact, (&a.contact, &a.contact_id), (&b.contact, &b.contact_id));
    out
}

/// Where a record of the merge comes from: theirs (or mine), at an index of that side's list.
type At = (bool, u32);

fn side<'w>(mine: &'w Workspace, theirs: &'w Workspace, theirs_side: bool) -> &'w Workspace {
    if theirs_side { theirs } else { mine }
}

/// A deal of the merge: one side's record as it is, or two copies merged into a new one.
enum DealSlot {
    At(At),
    Merged(Box<Opportunity>),
}

/// Records with one id unioned (a log: `union`) or the newest kept (`newest`): each id
/// numbered where first met, and by number where its record is. Owned, with no borrow of
/// either workspace, so the work can stop after any record and go on later.
#[derive(Default)]
struct ById {
    ids: IdIndex,
    /// The record kept and (for `newest`) its edit time. `None`: an id met only on log
    /// entries left out with their deal (numbered all the same, so the first numbers are
    /// exactly mine's ids, which `finish` counts new entries by).
    at: Vec<Option<(At, DateTime<Utc>)>>,
}

impl ById {
    /// The log's union: the same entry twice is kept once; two different entries with one
    /// id are a collision, and the one that comes first (`before`) is kept, so the choice
    /// does not depend on which side is which. Entries of deals left out are skipped.
    fn union<T: PartialEq>(&mut self, list: (&[T], &[T]), at: At, ids: fn(&T) -> (&Id, &Id), before: fn(&T, &T) -> bool, left_out: bool, collisions: &mut Vec<Collision>) {
        let e = pick(list, at);
        let id = ids(e).0;
        let (n, new) = self.ids.insert(id);
        let n = n as usize;
        if new {
            self.at.push(None);
        }
        if left_out {
            return;
        }
        match self.at[n] {
            Some((x, _)) if pick(list, x) == e => {}
            Some((x, t)) => {
                collisions.push(Collision::Event { id: id.to_string() });
                if before(e, pick(list, x)) {
                    self.at[n] = Some((at, t));
                }
            }
            // A log's union reads no edit time.
            None => self.at[n] = Some((at, DateTime::<Utc>::MIN_UTC)),
        }
    }

    /// Of the records sharing an id, the one edited last; equal times are settled by the
    /// content itself (as JSON text, worked out only then: writing every record out to
    /// compare was most of merging 100,000 deals' activities and leads).
    fn newest<T: serde::Serialize>(&mut self, list: (&[T], &[T]), at: At, key: fn(&T) -> (&Id, DateTime<Utc>)) {
        let r = pick(list, at);
        let (id, time) = key(r);
        let (n, new) = self.ids.insert(id);
        if new {
            self.at.push(Some((at, time)));
            return;
        }
        if let Some((x, t)) = self.at[n as usize] {
            let later = time > t || (time == t && serde_json::to_string(r).unwrap_or_default() > serde_json::to_string(pick(list, x)).unwrap_or_default());
            if later {
                self.at[n as usize] = Some((at, time));
            }
        }
    }

    /// The kept records' places, in their ids' order.
    fn in_id_order<T>(&self, list: (&[T], &[T]), id: fn(&T) -> &Id) -> Vec<At> {
        let mut kept: Vec<(u64, At)> = self.at.iter().flatten().map(|&(at, _)| (head_u64(id(pick(list, at)).as_str()), at)).collect();
        kept.sort_unstable_by(|a, b| a.0.cmp(&b.0).then_with(|| id(pick(list, a.1)).cmp(id(pick(list, b.1)))));
        kept.into_iter().map(|x| x.1).collect()
    }
}

fn deal_in<'w>(deals: &'w [DealSlot], mine: &'w Workspace, theirs: &'w Workspace, n: usize) -> &'w Opportunity {
    match &deals[n] {
        DealSlot::At(at) => pick((&mine.deals, &theirs.deals), *at),
        DealSlot::Merged(d) => d,
    }
}

fn pick<'a, T>((mine, theirs): (&'a [T], &'a [T]), (theirs_side, i): At) -> &'a T {
    if theirs_side { &theirs[i as usize] } else { &mine[i as usize] }
}

/// How many parts `close` goes through before `Part::Done`.
const PARTS: usize = 31;

/// The parts of merging, in order. `bool`: theirs (else mine).
#[derive(Clone, Copy, Debug, PartialEq)]
enum Part {
    Creations(bool),
    Deals(bool),
    Events(bool),
    Calls(bool),
    Activities(bool),
    Owners(bool),
    Leads(bool),
    Accounts(bool),
    Contacts(bool),
    /// Where each deal is now and which stages history passes through (only when a
    /// pipeline was defined on both sides: for the stages a newer definition dropped).
    Used,
    StagesKept,
    Order,
    PutDeals,
    PutEvents,
    PutCalls,
    Stages,
    PutOwners,
    PutLeads,
    PutAccounts,
    PutContacts,
    /// The ids an activity may be about (`Known`), gathered from the merged records a
    /// slice at a time: at 100,000 deals, gathering them at once held the page ≈ 120 ms.
    Known,
    PutActivities,
    Done,
}

/// A merge worked out a slice at a time (`step`), so the page stays responsive while a big
/// export is merged; `merge` runs it at once. Each step is handed both workspaces again;
/// they must not change in between (the page starts over if memory moves on).
pub struct MergeBuilder {
    /// How many records of each kind each side had at the first step: the places kept
    /// index those lists, so if either changed, the merge starts over (rather than read
    /// past a list's end: a wasm panic would end the app).
    shape: Option<[usize; 18]>,
    part: Part,
    /// Parts gone through (of `PARTS`), for `progress`.
    closed: usize,
    pos: usize,
    conflicts: Vec<Conflict>,
    collisions: Vec<Collision>,
    pipelines: BTreeMap<String, Pipeline>,
    losers: BTreeMap<String, Pipeline>,
    /// Each side's deals' creation events (its first event without a `from`), by deal
    /// id: every copy of one deal shares it and two different deals never do.
    creations: [(IdIndex, Vec<u32>); 2],
    deal_ids: IdIndex,
    deals: Vec<DealSlot>,
    /// Mine's deals are numbered first: the first `mine_deals` numbers are ids mine has.
    mine_deals: usize,
    /// By deal number: whether mine's [0] or theirs' [1] history of it is left out (two
    /// different deals shared its id; the other one was kept).
    dropped: Vec<[bool; 2]>,
    events: ById,
    mine_events: usize,
    calls: ById,
    activities: ById,
    owners: ById,
    leads: ById,
    accounts: ById,
    contacts: ById,
    /// By deal number, its last event in the merged log; and every stage the log names.
    last: Vec<Option<At>>,
    used: FxSet<Id>,
    order: Vec<At>,
    deriver: Option<crate::domain::workspace::StageDeriver>,
    known: Known,
    out: Workspace,
}

impl Default for MergeBuilder {
    fn default() -> Self {
        MergeBuilder::new()
    }
}

impl MergeBuilder {
    pub fn new() -> MergeBuilder {
        MergeBuilder {
            shape: None,
            part: Part::Creations(false),
            closed: 0,
            pos: 0,
            conflicts: Vec::new(),
            collisions: Vec::new(),
            pipelines: BTreeMap::new(),
            losers: BTreeMap::new(),
            creations: Default::default(),
            deal_ids: IdIndex::default(),
            deals: Vec::new(),
            mine_deals: 0,
            dropped: Vec::new(),
            events: ById::default(),
            mine_events: 0,
            calls: ById::default(),
            activities: ById::default(),
            owners: ById::default(),
            leads: ById::default(),
            accounts: ById::default(),
            contacts: ById::default(),
            last: Vec::new(),
            used: FxSet::default(),
            order: Vec::new(),
            deriver: None,
            known: Known::default(),
            out: Workspace::default(),
        }
    }

    /// How far along, 0 to 1 (by parts: a rough measure for a progress bar).
    pub fn progress(&self) -> f64 {
        (self.closed as f64 / PARTS as f64).min(1.0)
    }

    fn deal<'w>(&'w self, mine: &'w Workspace, theirs: &'w Workspace, n: usize) -> &'w Opportunity {
        deal_in(&self.deals, mine, theirs, n)
    }

    fn left_out(&self, theirs_side: bool, deal: &Id) -> bool {
        self.deal_ids.get(deal).is_some_and(|n| self.dropped[n as usize][theirs_side as usize])
    }

    /// Goes on for about `budget` records; true once the merge is worked out (`finish`).
    pub fn step(&mut self, mine: &Workspace, theirs: &Workspace, budget: usize) -> bool {
        let shape = |w: &Workspace| [w.pipelines.len(), w.deals.len(), w.events.len(), w.category_changes.len(), w.activities.len(), w.owners.len(), w.leads.len(), w.accounts.len(), w.contacts.len()];
        let (a, b) = (shape(mine), shape(theirs));
        let mut now = [0; 18];
        now[..9].copy_from_slice(&a);
        now[9..].copy_from_slice(&b);
        if self.shape.is_some_and(|s| s != now) {
            *self = MergeBuilder::new();
        }
        self.shape = Some(now);
        let mut left = budget.max(1);
        loop {
            if self.part == Part::Done {
                return true;
            }
            if left == 0 {
                return false;
            }
            // The records of this part, and how many this step takes.
            let len = self.len(mine, theirs);
            let end = len.min(self.pos.saturating_add(left));
            for i in self.pos..end {
                self.one(mine, theirs, i);
            }
            left -= end - self.pos;
            self.pos = end;
            if end == len {
                if !self.close(mine, theirs, &mut left) {
                    return false;
                }
                self.pos = 0;
            }
        }
    }

    /// How many records the current part goes through one by one.
    fn len(&self, mine: &Workspace, theirs: &Workspace) -> usize {
        match self.part {
            Part::Creations(s) | Part::Events(s) => side(mine, theirs, s).events.len(),
            Part::Deals(s) => side(mine, theirs, s).deals.len(),
            Part::Calls(s) => side(mine, theirs, s).category_changes.len(),
            Part::Activities(s) => side(mine, theirs, s).activities.len(),
            Part::Owners(s) => side(mine, theirs, s).owners.len(),
            Part::Leads(s) => side(mine, theirs, s).leads.len(),
            Part::Accounts(s) => side(mine, theirs, s).accounts.len(),
            Part::Contacts(s) => side(mine, theirs, s).contacts.len(),
            Part::Used if self.losers.is_empty() => 0,
            Part::Used => self.events.at.len(),
            Part::StagesKept | Part::Order | Part::Stages | Part::Done => 0,
            Part::PutDeals | Part::PutOwners | Part::PutLeads | Part::PutAccounts | Part::PutContacts => self.order.len(),
            Part::Known => self.out.deals.len() + self.out.leads.len() + self.out.accounts.len() + self.out.contacts.len(),
            Part::PutEvents => self.events.at.len(),
            Part::PutCalls => self.calls.at.len(),
            Part::PutActivities => self.order.len(),
        }
    }

    /// The current part's record `i`.
    fn one(&mut self, mine: &Workspace, theirs: &Workspace, i: usize) {
        let at = |s: bool| (s, i as u32);
        match self.part {
            Part::Creations(s) => {
                let events = &side(mine, theirs, s).events;
                let e = &events[i];
                if e.from.is_none() {
                    let (ids, first) = &mut self.creations[s as usize];
                    match ids.insert(&e.opportunity) {
                        (_, true) => first.push(i as u32),
                        (n, false) => {
                            let slot = &mut first[n as usize];
                            if e.key() < events[*slot as usize].key() {
                                *slot = i as u32;
                            }
                        }
                    }
                }
            }
            Part::Deals(false) => match self.deal_ids.insert(&mine.deals[i].id) {
                // One id twice in mine: the later copy, as a map filled in order keeps.
                (n, false) => self.deals[n as usize] = DealSlot::At(at(false)),
                (_, true) => {
                    self.deals.push(DealSlot::At(at(false)));
                    self.dropped.push([false; 2]);
                }
            },
            Part::Deals(true) => {
                let d = &theirs.deals[i];
                let n = match self.deal_ids.insert(&d.id) {
                    (n, false) => n as usize,
                    (_, true) => {
                        self.deals.push(DealSlot::At(at(true)));
                        self.dropped.push([false; 2]);
                        return;
                    }
                };
                let existing = deal_in(&self.deals, mine, theirs, n);
                if existing == d {
                    return;
                }
                // Copies of one deal merge field by field; two different deals sharing an
                // id (other pipeline or other creation event) are not mixed into one record.
                let creation = |s: bool, id: &Id| {
                    let (ids, first) = &self.creations[s as usize];
                    ids.get(id).map(|n| &side(mine, theirs, s).events[first[n as usize] as usize])
                };
                let (a, b) = (creation(false, &existing.id), creation(true, &d.id));
                let same = existing.pipeline == d.pipeline && (a.is_none() || b.is_none() || a.map(|e| &e.id) == b.map(|e| &e.id));
                if same {
                    let merged = merge_deal(existing, d, &mut self.conflicts);
                    self.deals[n] = DealSlot::Merged(Box::new(merged));
                } else {
                    let rank = |x: &Opportunity, c: Option<&StageChange>| (x.created_at, c.map(|e| e.id.to_string()), x.pipeline.to_string(), x.title.clone());
                    let keep_mine = rank(existing, a) <= rank(d, b);
                    let (kept, lost) = if keep_mine { (existing, d) } else { (d, existing) };
                    self.collisions.push(Collision::Deal { id: d.id.to_string(), kept: kept.title.clone(), dropped: lost.title.clone() });
                    self.dropped[n][keep_mine as usize] = true;
                    if !keep_mine {
                        self.deals[n] = DealSlot::At(at(true));
                    }
                }
            }
            Part::Events(s) => {
                let left_out = self.left_out(s, &side(mine, theirs, s).events[i].opportunity);
                let before = |a: &StageChange, b: &StageChange| (a.key(), &a.opportunity, &a.to, &a.note) < (b.key(), &b.opportunity, &b.to, &b.note);
                self.events.union((&mine.events, &theirs.events), at(s), |e| (&e.id, &e.opportunity), before, left_out, &mut self.collisions);
            }
            Part::Calls(s) => {
                let left_out = self.left_out(s, &side(mine, theirs, s).category_changes[i].opportunity);
                let before = |a: &crate::domain::CategoryChange, b: &crate::domain::CategoryChange| (a.key(), &a.opportunity) < (b.key(), &b.opportunity);
                self.calls.union((&mine.category_changes, &theirs.category_changes), at(s), |c| (&c.id, &c.opportunity), before, left_out, &mut self.collisions);
            }
            // Activities: copies of one activity (a task marked done on one side, rescheduled
            // on the other) keep the newer edit. Activities of deals left out go with them.
            Part::Activities(s) => {
                if !self.left_out(s, &side(mine, theirs, s).activities[i].deal) {
                    self.activities.newest((&mine.activities, &theirs.activities), at(s), |a| (&a.id, a.updated_at));
                }
            }
            // Owners, leads, accounts and contacts: the copy edited later.
            Part::Owners(s) => self.owners.newest((&mine.owners, &theirs.owners), at(s), |o| (&o.id, o.updated_at)),
            Part::Leads(s) => self.leads.newest((&mine.leads, &theirs.leads), at(s), |l| (&l.id, l.updated_at)),
            Part::Accounts(s) => self.accounts.newest((&mine.accounts, &theirs.accounts), at(s), |a| (&a.id, a.updated_at)),
            Part::Contacts(s) => self.contacts.newest((&mine.contacts, &theirs.contacts), at(s), |c| (&c.id, c.updated_at)),
            Part::Used => {
                let Some((x, _)) = self.events.at[i] else { return };
                let list = (&mine.events[..], &theirs.events[..]);
                let e = pick(list, x);
                if let Some(n) = self.deal_ids.get(&e.opportunity) {
                    let slot = &mut self.last[n as usize];
                    if slot.is_none_or(|l| e.key() > pick(list, l).key()) {
                        *slot = Some(x);
                    }
                }
                for s in e.from.iter().chain([&e.to]) {
                    if !self.used.contains(s) {
                        self.used.insert(s.clone());
                    }
                }
            }
            Part::PutDeals => {
                let d = self.deal(mine, theirs, self.order[i].1 as usize).clone();
                self.out.deals.push(d);
            }
            Part::PutEvents => {
                if let Some((x, _)) = self.events.at[i] {
                    self.out.events.push(pick((&mine.events, &theirs.events), x).clone());
                }
            }
            Part::PutCalls => {
                if let Some((x, _)) = self.calls.at[i] {
                    self.out.category_changes.push(pick((&mine.category_changes, &theirs.category_changes), x).clone());
                }
            }
            Part::PutOwners => self.out.owners.push(pick((&mine.owners, &theirs.owners), self.order[i]).clone()),
            Part::PutLeads => self.out.leads.push(pick((&mine.leads, &theirs.leads), self.order[i]).clone()),
            Part::PutAccounts => self.out.accounts.push(pick((&mine.accounts, &theirs.accounts), self.order[i]).clone()),
            Part::PutContacts => self.out.contacts.push(pick((&mine.contacts, &theirs.contacts), self.order[i]).clone()),
            Part::Known => {
                // The merged deals, then leads, accounts and contacts: record `i` of them.
                let (out, known) = (&self.out, &mut self.known);
                let (d, l, a) = (out.deals.len(), out.leads.len(), out.accounts.len());
                if i < d {
                    known.deals.insert(IdKey::of(&out.deals[i].id));
                } else if i < d + l {
                    known.leads.insert(IdKey::of(&out.leads[i - d].id));
                } else if i < d + l + a {
                    known.accounts.insert(IdKey::of(&out.accounts[i - d - l].id));
                } else if let Some(c) = out.contacts.get(i - d - l - a) {
                    known.contacts.insert(IdKey::of(&c.id));
                }
            }
            // An activity about a record the merge does not hold is left out.
            Part::PutActivities => {
                let a = pick((&mine.activities, &theirs.activities), self.order[i]);
                if a.target_known(&self.known) {
                    self.out.activities.push(a.clone());
                }
            }
            Part::Stages | Part::StagesKept | Part::Order | Part::Done => {}
        }
    }

    /// The current part is through its records: what it does once, then the next part.
    /// False when that once-work was cut short by the budget (`Stages`).
    fn close(&mut self, mine: &Workspace, theirs: &Workspace, left: &mut usize) -> bool {
        let before = self.part;
        self.part = match self.part {
            Part::Creations(false) => Part::Creations(true),
            Part::Creations(true) => {
                self.pipelines(mine, theirs);
                Part::Deals(false)
            }
            Part::Deals(false) => {
                self.mine_deals = self.deals.len();
                Part::Deals(true)
            }
            Part::Deals(true) => Part::Events(false),
            Part::Events(false) => {
                self.mine_events = self.events.at.len();
                Part::Events(true)
            }
            Part::Events(true) => Part::Calls(false),
            Part::Calls(false) => Part::Calls(true),
            Part::Calls(true) => Part::Activities(false),
            Part::Activities(false) => Part::Activities(true),
            Part::Activities(true) => Part::Owners(false),
            Part::Owners(false) => Part::Owners(true),
            Part::Owners(true) => Part::Leads(false),
            Part::Leads(false) => Part::Leads(true),
            Part::Leads(true) => Part::Accounts(false),
            Part::Accounts(false) => Part::Accounts(true),
            Part::Accounts(true) => Part::Contacts(false),
            Part::Contacts(false) => Part::Contacts(true),
            Part::Contacts(true) => {
                self.last = vec![None; self.deals.len()];
                Part::Used
            }
            Part::Used => Part::StagesKept,
            Part::StagesKept => {
                self.stages_kept(mine, theirs);
                Part::Order
            }
            Part::Order => {
                // Deals in id order (the order storage reads them back in).
                let mut order: Vec<(u64, At)> = (0..self.deals.len()).map(|n| (head_u64(self.deal(mine, theirs, n).id.as_str()), (false, n as u32))).collect();
                order.sort_unstable_by(|a, b| a.0.cmp(&b.0).then_with(|| self.deal(mine, theirs, a.1 .1 as usize).id.cmp(&self.deal(mine, theirs, b.1 .1 as usize).id)));
                self.order = order.into_iter().map(|x| x.1).collect();
                self.out.deals.reserve(self.order.len());
                Part::PutDeals
            }
            Part::PutDeals => Part::PutEvents,
            Part::PutEvents => Part::PutCalls,
            Part::PutCalls => {
                // Both logs into their total order: mostly mine's run, then theirs'.
                self.out.order_logs();
                self.deriver = Some(crate::domain::workspace::StageDeriver::new(&self.out));
                Part::Stages
            }
            Part::Stages => {
                // Every deal's stage from its history, as `Workspace::from_records` does.
                if let Some(d) = self.deriver.as_mut() {
                    if !d.step(&self.out, *left) {
                        *left = 0;
                        return false;
                    }
                }
                if let Some(d) = self.deriver.take() {
                    d.finish(&mut self.out);
                }
                // Pipelines as decided; owners, leads, accounts and contacts next, each kind
                // copied in id order a slice at a time (at 100,000 deals, copying them all
                // at once held the page ≈ 180 ms).
                self.out.pipelines = std::mem::take(&mut self.pipelines).into_values().collect();
                self.order = self.owners.in_id_order((&mine.owners, &theirs.owners), |o| &o.id);
                Part::PutOwners
            }
            Part::PutOwners => {
                self.order = self.leads.in_id_order((&mine.leads, &theirs.leads), |l| &l.id);
                self.out.leads.reserve(self.order.len());
                Part::PutLeads
            }
            Part::PutLeads => {
                self.order = self.accounts.in_id_order((&mine.accounts, &theirs.accounts), |a| &a.id);
                Part::PutAccounts
            }
            Part::PutAccounts => {
                self.order = self.contacts.in_id_order((&mine.contacts, &theirs.contacts), |c| &c.id);
                Part::PutContacts
            }
            Part::PutContacts => {
                self.settings(mine, theirs);
                Part::Known
            }
            Part::Known => {
                self.order = self.activities.in_id_order((&mine.activities, &theirs.activities), |a| &a.id);
                self.out.activities.reserve(self.order.len());
                Part::PutActivities
            }
            Part::PutActivities => Part::Done,
            Part::Done => Part::Done,
        };
        if self.part != before {
            self.closed += 1;
        }
        true
    }

    /// Pipelines: the newer definition of each wins (decided by content alone).
    fn pipelines(&mut self, mine: &Workspace, theirs: &Workspace) {
        for p in mine.pipelines.iter().chain(&theirs.pipelines) {
            let merged = match self.pipelines.get(p.id.as_str()) {
                Some(existing) => {
                    let win = pick_pipeline(existing, p);
                    self.losers.insert(p.id.to_string(), if win == *p { existing.clone() } else { p.clone() });
                    win
                }
                None => p.clone(),
            };
            self.pipelines.insert(p.id.to_string(), merged);
        }
    }

    /// Stages: the newer definition wins, but never drops a stage that deals sit in or
    /// history passes through (that would leave records pointing nowhere).
    fn stages_kept(&mut self, mine: &Workspace, theirs: &Workspace) {
        if self.losers.is_empty() {
            return;
        }
        // Where each deal is now: the target of its last event in the merged log.
        let list = (&mine.events[..], &theirs.events[..]);
        let occupied: FxSet<&Id> = (0..self.deals.len()).map(|n| self.last[n].map_or(&deal_in(&self.deals, mine, theirs, n).stage, |e| &pick(list, e).to)).collect();
        for (id, winner) in self.pipelines.iter_mut() {
            let Some(loser) = self.losers.get(id) else { continue };
            for s in &loser.stages {
                if winner.stage(&s.id).is_some() || !(occupied.contains(&s.id) || self.used.contains(&s.id)) {
                    continue;
                }
                let mut kept = s.clone();
                let taken = winner.active_stages().any(|x| x.name.trim().eq_ignore_ascii_case(kept.name.trim()));
                if occupied.contains(&s.id) && s.kind == StageKind::Open && !s.archived && !taken {
                    winner.insert_open_stage(s.id.clone(), s.name.clone());
                    if let Some(slot) = winner.stages.iter_mut().find(|x| x.id == s.id) {
                        *slot = kept;
                    }
                } else {
                    kept.archived = true;
                    winner.stages.push(kept);
                }
                self.collisions.push(Collision::StageKept { pipeline: winner.name.clone(), stage: s.name.clone() });
            }
        }
    }

    /// The settings into the merged workspace.
    fn settings(&mut self, mine: &Workspace, theirs: &Workspace) {
        // Settings in two parts, each with its own edit time: the lead rule, the rate table.
        let newest = |key: fn(&crate::domain::Settings) -> (Option<DateTime<Utc>>, String)| {
            [&mine.settings, &theirs.settings].into_iter().max_by_key(|s| key(s)).cloned().unwrap_or_default()
        };
        let rule = newest(|s| (s.updated_at, serde_json::to_string(&s.lead_rule).unwrap_or_default()));
        let exchange = newest(|s| (s.exchange.updated_at, serde_json::to_string(&s.exchange).unwrap_or_default())).exchange;
        self.out.settings = crate::domain::Settings { exchange, ..rule };
    }

    /// The merged workspace and what the merge found.
    pub fn finish(mut self) -> MergeResult {
        let new_deals = self.deals.len() - self.mine_deals;
        let new_events = self.events.at[self.mine_events.min(self.events.at.len())..].iter().flatten().count();
        self.conflicts.sort_by(|a, b| (&a.deal, a.field).cmp(&(&b.deal, b.field)));
        self.collisions.sort();
        self.collisions.dedup();
        MergeResult { workspace: self.out, conflicts: self.conflicts, collisions: self.collisions, new_deals, new_events }
    }
}

/// Merges `theirs` into `mine` at once (`MergeBuilder` for a slice at a time).
pub fn merge(mine: &Workspace, theirs: &Workspace) -> MergeResult {
    let mut b = MergeBuilder::new();
    b.step(mine, theirs, usize::MAX);
    b.finish()
}

/// What must be written to turn `mine` into `merged`: changed or new pipelines and deals,
/// new log entries. Nothing is removed, so a merge can never delete a record; an empty list
/// means the file brought nothing new (and no backup is taken). `merged`'s records are
/// moved into the changes, not copied (cloning a million records was most of this at
/// 100,000 deals).
pub fn changes_from(mine: &Workspace, merged: Workspace) -> Vec<Change> {
    let mut c = ChangesFrom::new(merged);
    while !c.step(mine, usize::MAX) {}
    c.finish()
}

/// `changes_from` a slice of records at a time (`step`), kind after kind: at once, moving
/// about a million changes of ≈ 650 bytes each was one task of 0.3–0.9 s for a merge of
/// 100,000 deals in wasm. `mine` must be the same workspace at every step.
pub struct ChangesFrom {
    accounts: std::vec::IntoIter<crate::domain::Account>,
    contacts: std::vec::IntoIter<crate::domain::Contact>,
    pipelines: std::vec::IntoIter<Pipeline>,
    deals: std::vec::IntoIter<Opportunity>,
    events: std::vec::IntoIter<StageChange>,
    calls: std::vec::IntoIter<crate::domain::CategoryChange>,
    activities: std::vec::IntoIter<crate::domain::Activity>,
    owners: std::vec::IntoIter<crate::domain::Owner>,
    leads: std::vec::IntoIter<crate::domain::Lead>,
    settings: Option<crate::domain::Settings>,
    /// Mine's ids of the kind being gone through.
    mine: MineIndex,
    out: Vec<Change>,
}

/// `mine`'s ids of one kind, numbered, with where the record of each number sits in its
/// list; the first `indexed` records are in.
#[derive(Default)]
struct MineIndex {
    ids: IdIndex,
    at: Vec<u32>,
    indexed: usize,
}

impl ChangesFrom {
    pub fn new(merged: Workspace) -> ChangesFrom {
        let Workspace { pipelines, deals, events, category_changes, activities, owners, leads, accounts, contacts, settings } = merged;
        // Room for every record at once: a `Change` is ≈ 650 bytes, and growing a list of
        // a million of them copied it again and again (1.7 of 2.2 s at 100,000 deals in wasm).
        let most = pipelines.len() + deals.len() + events.len() + category_changes.len() + activities.len() + owners.len() + leads.len() + accounts.len() + contacts.len() + 1;
        ChangesFrom {
            accounts: accounts.into_iter(),
            contacts: contacts.into_iter(),
            pipelines: pipelines.into_iter(),
            deals: deals.into_iter(),
            events: events.into_iter(),
            calls: category_changes.into_iter(),
            activities: activities.into_iter(),
            owners: owners.into_iter(),
            leads: leads.into_iter(),
            settings: Some(settings),
            mine: MineIndex::default(),
            out: Vec::with_capacity(most),
        }
    }

    /// Goes through up to `budget` more records, `mine`'s of each kind counted too (their
    /// ids are indexed once, a slice at a time, then the merged records checked against
    /// them); true once all are.
    pub fn step(&mut self, mine: &Workspace, budget: usize) -> bool {
        // The records of one kind not stored as they are in `mine` (`whole`: a record of
        // mine with its id is compared; else, log entries, only its presence counts).
        fn kind<T: PartialEq>(rest: &mut std::vec::IntoIter<T>, mine: &[T], id: fn(&T) -> &Id, put: fn(T) -> Change, whole: bool, ix: &mut MineIndex, out: &mut Vec<Change>, budget: &mut usize) -> bool {
            if rest.len() == 0 {
                return true;
            }
            // Mine's ids first (a set made again at each step cost a pass over all of
            // mine's records per step: ten passes over a million events at 100,000 deals).
            // Read with `get`: `mine` is the same at every step (the write queue holds
            // other changes back), but one that shrank would leave records out, not panic.
            let end = mine.len().min(ix.indexed.saturating_add(*budget)).max(ix.indexed);
            for (k, r) in mine.get(ix.indexed..end).unwrap_or_default().iter().enumerate() {
                match ix.ids.insert(id(r)) {
                    (_, true) => ix.at.push((ix.indexed + k) as u32),
                    // One id twice in mine: the later record, as a map filled in order keeps.
                    (n, false) => ix.at[n as usize] = (ix.indexed + k) as u32,
                }
            }
            *budget -= end - ix.indexed;
            ix.indexed = end;
            if ix.indexed < mine.len() || *budget == 0 {
                return false;
            }
            let n = rest.len().min(*budget);
            *budget -= n;
            let stored = |r: &T| ix.ids.get(id(r)).and_then(|n| ix.at.get(n as usize)).and_then(|&at| mine.get(at as usize));
            out.extend(rest.by_ref().take(n).filter(|r| if whole { stored(r) != Some(r) } else { stored(r).is_none() }).map(put));
            if rest.len() > 0 {
                return false;
            }
            *ix = MineIndex::default();
            true
        }
        let mut b = budget.max(1);
        let (out, ix) = (&mut self.out, &mut self.mine);
        // Records before the deals that point at them; then the logs' new entries.
        let done = kind(&mut self.accounts, &mine.accounts, |a| &a.id, Change::PutAccount, true, ix, out, &mut b)
            && kind(&mut self.contacts, &mine.contacts, |c| &c.id, Change::PutContact, true, ix, out, &mut b)
            && kind(&mut self.pipelines, &mine.pipelines, |p| &p.id, Change::PutPipeline, true, ix, out, &mut b)
            && kind(&mut self.deals, &mine.deals, |d| &d.id, Change::PutDeal, true, ix, out, &mut b)
            && kind(&mut self.events, &mine.events, |e| &e.id, Change::AppendEvent, false, ix, out, &mut b)
            && kind(&mut self.calls, &mine.category_changes, |c| &c.id, Change::AppendCategory, false, ix, out, &mut b)
            && kind(&mut self.activities, &mine.activities, |a| &a.id, Change::PutActivity, true, ix, out, &mut b)
            && kind(&mut self.owners, &mine.owners, |o| &o.id, Change::PutOwner, true, ix, out, &mut b)
            && kind(&mut self.leads, &mine.leads, |l| &l.id, Change::PutLead, true, ix, out, &mut b);
        if done {
            if let Some(settings) = self.settings.take().filter(|s| *s != mine.settings) {
                out.push(Change::PutSettings(settings));
            }
        }
        done
    }

    /// The changes; call once `step` said done.
    pub fn finish(self) -> Vec<Change> {
        self.out
    }
}
