//! Merging two copies of a workspace (a teammate's export into mine): records are matched
//! by stable id; the stage-change and forecast-call logs are unioned by event id; a deal
//! edited on both sides keeps, field by field, the newer edit, and every value that lost
//! is listed in a conflict report. The result is in a canonical order, so merging is
//! idempotent (A + B + B = A + B) and symmetric (A + B = B + A).

use crate::domain::ids::{FxMap, FxSet};
use crate::domain::{Activity, Change, Id, Opportunity, Pipeline, StageChange, StageKind, Workspace};
use std::borrow::Cow;
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

/// The id of each deal's creation event (its first event without a `from`), which every
/// copy of one deal shares and two different deals never do.
fn creations(ws: &Workspace) -> FxMap<&str, &StageChange> {
    let mut out: FxMap<&str, &StageChange> = FxMap::default();
    for e in ws.events.iter().filter(|e| e.from.is_none()) {
        let slot = out.entry(e.opportunity.as_str()).or_insert(e);
        if e.key() < slot.key() {
            *slot = e;
        }
    }
    out
}

pub fn merge(mine: &Workspace, theirs: &Workspace) -> MergeResult {
    let mut conflicts = Vec::new();
    let mut collisions = Vec::new();
    // Which side's record stays when two share an id, decided by content alone.
    // Keyed by the inputs' ids (borrowed: an owned key was an allocation per record).
    let mut pipelines: BTreeMap<&str, Pipeline> = BTreeMap::new();
    let mut losers: BTreeMap<&str, Pipeline> = BTreeMap::new();
    for p in mine.pipelines.iter().chain(&theirs.pipelines) {
        let merged = match pipelines.get(p.id.as_str()) {
            Some(existing) => {
                let win = pick_pipeline(existing, p);
                losers.insert(p.id.as_str(), if win == *p { existing.clone() } else { p.clone() });
                win
            }
            None => p.clone(),
        };
        pipelines.insert(p.id.as_str(), merged);
    }
    // Deals: copies of one deal merge field by field; two different deals sharing an id
    // (other pipeline or other creation event) are not mixed into one record.
    let (cm, ct) = (creations(mine), creations(theirs));
    let mut dropped: FxSet<(bool, &str)> = FxSet::default(); // (from theirs?, deal id)
    // Each deal once, where it was first met, borrowed unless two copies were merged into a
    // new record: moving whole records about in a sorted map (and cloning each up front)
    // was most of merging 100,000 deals. Put in id order at the end.
    let mut deals: Vec<Cow<Opportunity>> = Vec::with_capacity(mine.deals.len() + theirs.deals.len());
    let mut at: FxMap<&str, usize> = FxMap::default();
    at.reserve(deals.capacity());
    for d in &mine.deals {
        // One id twice in mine: the later copy, as a map filled in order would keep.
        match at.get(d.id.as_str()) {
            Some(&i) => deals[i] = Cow::Borrowed(d),
            None => {
                at.insert(d.id.as_str(), deals.len());
                deals.push(Cow::Borrowed(d));
            }
        }
    }
    for d in &theirs.deals {
        let Some(&i) = at.get(d.id.as_str()) else {
            at.insert(d.id.as_str(), deals.len());
            deals.push(Cow::Borrowed(d));
            continue;
        };
        let existing: &Opportunity = &deals[i];
        let merged = match existing {
            existing if existing == d => continue,
            existing => {
                let (a, b) = (cm.get(existing.id.as_str()).map(|e| &e.id), ct.get(d.id.as_str()).map(|e| &e.id));
                let same = existing.pipeline == d.pipeline && (a.is_none() || b.is_none() || a == b);
                if same {
                    Cow::Owned(merge_deal(existing, d, &mut conflicts))
                } else {
                    let rank = |x: &Opportunity, c: Option<&&StageChange>| (x.created_at, c.map(|e| e.id.to_string()), x.pipeline.to_string(), x.title.clone());
                    let keep_mine = rank(existing, cm.get(existing.id.as_str())) <= rank(d, ct.get(d.id.as_str()));
                    let (kept, lost) = if keep_mine { (existing, d) } else { (d, existing) };
                    collisions.push(Collision::Deal { id: d.id.to_string(), kept: kept.title.clone(), dropped: lost.title.clone() });
                    dropped.insert((keep_mine, d.id.as_str()));
                    if keep_mine {
                        continue;
                    }
                    Cow::Borrowed(d)
                }
            }
        };
        deals[i] = merged;
    }
    deals.sort_unstable_by(|a, b| a.id.cmp(&b.id));
    let left_out = |theirs_side: bool, deal: &Id| dropped.contains(&(theirs_side, deal.as_str()));
    let events = union_log(
        mine.events.iter().map(|e| (false, e)).chain(theirs.events.iter().map(|e| (true, e))),
        |e| (&e.id, &e.opportunity),
        |a, b| (a.key(), &a.opportunity, &a.to, &a.note) < (b.key(), &b.opportunity, &b.to, &b.note),
        &left_out,
        &mut collisions,
    );
    let calls = union_log(
        mine.category_changes.iter().map(|c| (false, c)).chain(theirs.category_changes.iter().map(|c| (true, c))),
        |c| (&c.id, &c.opportunity),
        |a, b| (a.key(), &a.opportunity) < (b.key(), &b.opportunity),
        &left_out,
        &mut collisions,
    );
    // Activities: copies of one activity (a task marked done on one side, rescheduled on
    // the other) keep the newer edit; equal times are settled by content, so the result
    // does not depend on which side is which. Activities of deals left out go with them.
    let activities = newest_by_id(
        mine.activities.iter().map(|a| (false, a)).chain(theirs.activities.iter().map(|a| (true, a))).filter(|(side, a)| !left_out(*side, &a.deal)).map(|x| x.1),
        |a| (&a.id, a.updated_at),
    );
    // Stages: the newer definition wins, but never drops a stage that deals sit in or
    // history passes through (that would leave records pointing nowhere).
    // Where each deal is now: the target of its last event in the merged log.
    let mut last: FxMap<&Id, &StageChange> = FxMap::default();
    for e in events.iter().copied() {
        let slot = last.entry(&e.opportunity).or_insert(e);
        if e.key() > slot.key() {
            *slot = e;
        }
    }
    let occupied: FxSet<&Id> = deals.iter().map(|d| last.get(&d.id).map_or(&d.stage, |e| &e.to)).collect();
    let used: FxSet<&Id> = events.iter().flat_map(|e| e.from.iter().chain([&e.to])).collect();
    for (id, winner) in pipelines.iter_mut() {
        let Some(loser) = losers.get(id) else { continue };
        for s in &loser.stages {
            if winner.stage(&s.id).is_some() || !(occupied.contains(&s.id) || used.contains(&s.id)) {
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
            collisions.push(Collision::StageKept { pipeline: winner.name.clone(), stage: s.name.clone() });
        }
    }
    let mine_deals: FxSet<&str> = mine.deals.iter().map(|d| d.id.as_str()).collect();
    let mine_events: FxSet<&str> = mine.events.iter().map(|e| e.id.as_str()).collect();
    let new_deals = deals.iter().filter(|d| !mine_deals.contains(d.id.as_str())).count();
    let new_events = events.iter().filter(|e| !mine_events.contains(e.id.as_str())).count();
    let mut workspace = Workspace {
        pipelines: pipelines.into_values().collect(),
        deals: deals.into_iter().map(Cow::into_owned).collect(),
        events: events.into_iter().cloned().collect(),
        category_changes: calls.into_iter().cloned().collect(),
        ..Default::default()
    };
    // Both logs into their total order (each is two sorted runs, mine then theirs: about
    // one pass), then every deal's stage from its history, as `from_records` does.
    workspace.order_logs();
    workspace.derive_stages();
    // Owners, leads and settings: the copy edited later (equal times: by content).
    workspace.owners = newest_by_id(mine.owners.iter().chain(&theirs.owners), |o| (&o.id, o.updated_at));
    workspace.leads = newest_by_id(mine.leads.iter().chain(&theirs.leads), |l| (&l.id, l.updated_at));
    workspace.accounts = newest_by_id(mine.accounts.iter().chain(&theirs.accounts), |a| (&a.id, a.updated_at));
    workspace.contacts = newest_by_id(mine.contacts.iter().chain(&theirs.contacts), |c| (&c.id, c.updated_at));
    // Settings in two parts, each with its own edit time: the lead rule, the rate table.
    let newest = |key: fn(&crate::domain::Settings) -> (Option<chrono::DateTime<chrono::Utc>>, String)| {
        [&mine.settings, &theirs.settings].into_iter().max_by_key(|s| key(s)).cloned().unwrap_or_default()
    };
    let rule = newest(|s| (s.updated_at, serde_json::to_string(&s.lead_rule).unwrap_or_default()));
    let exchange = newest(|s| (s.exchange.updated_at, serde_json::to_string(&s.exchange).unwrap_or_default())).exchange;
    workspace.settings = crate::domain::Settings { exchange, ..rule };
    let known = crate::domain::activity::Known::of(workspace.deals.iter().map(|d| &d.id), &workspace);
    let activities: Vec<Activity> = activities.into_iter().filter(|a| a.target_known(&known)).collect();
    workspace.activities = activities;
    conflicts.sort_by(|a, b| (&a.deal, a.field).cmp(&(&b.deal, b.field)));
    collisions.sort();
    collisions.dedup();
    MergeResult { workspace, conflicts, collisions, new_deals, new_events }
}

/// Of the records sharing an id, the one edited last; equal times are settled by the
/// content itself, so the result does not depend on which side is which. Sorted by id.
fn newest_by_id<'a, T: Clone + serde::Serialize + 'a>(records: impl Iterator<Item = &'a T>, key: impl Fn(&'a T) -> (&'a Id, chrono::DateTime<chrono::Utc>)) -> Vec<T> {
    let mut out: Vec<(&Id, chrono::DateTime<chrono::Utc>, &T)> = Vec::new();
    let mut at: FxMap<&str, usize> = FxMap::default();
    for r in records {
        let (id, time) = key(r);
        match at.get(id.as_str()) {
            // The later edit; at equal times the greater content (as JSON text), worked out
            // only then: writing every record out as JSON to compare was most of merging
            // 100,000 deals' activities and leads.
            Some(&i) => {
                let slot = &mut out[i];
                let later = time > slot.1 || (time == slot.1 && serde_json::to_string(r).unwrap_or_default() > serde_json::to_string(slot.2).unwrap_or_default());
                if later {
                    *slot = (id, time, r);
                }
            }
            None => {
                at.insert(id.as_str(), out.len());
                out.push((id, time, r));
            }
        }
    }
    out.sort_unstable_by(|a, b| a.0.cmp(b.0));
    out.into_iter().map(|x| x.2.clone()).collect()
}

/// Unions a log by id (`entries`: (from theirs?, entry)): the same entry twice is kept
/// once; two different entries with one id are a collision, and the one that comes first
/// (`before`) is kept, so the choice does not depend on which side is which. Entries of deals left out
/// of the merge are skipped. Borrowed, each where its id was first met (so two sorted logs
/// stay two sorted runs, which `order_logs` merges in about one pass).
fn union_log<'a, T: PartialEq + 'a>(
    entries: impl Iterator<Item = (bool, &'a T)>,
    ids: impl Fn(&'a T) -> (&'a Id, &'a Id),
    before: impl Fn(&T, &T) -> bool,
    left_out: &dyn Fn(bool, &Id) -> bool,
    collisions: &mut Vec<Collision>,
) -> Vec<&'a T> {
    let mut out: Vec<&T> = Vec::new();
    let mut at: FxMap<&str, usize> = FxMap::default();
    for (side, e) in entries {
        let (id, deal) = ids(e);
        if left_out(side, deal) {
            continue;
        }
        match at.get(id.as_str()) {
            Some(&i) if out[i] == e => {}
            Some(&i) => {
                collisions.push(Collision::Event { id: id.to_string() });
                if before(e, out[i]) {
                    out[i] = e;
                }
            }
            None => {
                at.insert(id.as_str(), out.len());
                out.push(e);
            }
        }
    }
    out
}

/// What must be written to turn `mine` into `merged`: changed or new pipelines and deals,
/// new log entries. Nothing is removed, so a merge can never delete a record; an empty list
/// means the file brought nothing new (and no backup is taken). `merged`'s records are
/// moved into the changes, not copied (cloning a million records was most of this at
/// 100,000 deals).
pub fn changes_from(mine: &Workspace, merged: Workspace) -> Vec<Change> {
    fn keyed<T: PartialEq>(mine: &[T], id: fn(&T) -> &Id) -> FxMap<&Id, &T> {
        mine.iter().map(|r| (id(r), r)).collect()
    }
    // Those not stored as they are in `mine`.
    fn changed<T: PartialEq>(merged: Vec<T>, mine: &[T], id: fn(&T) -> &Id, put: fn(T) -> Change) -> impl Iterator<Item = Change> + '_ {
        let mine = keyed(mine, id);
        merged.into_iter().filter(move |r| mine.get(id(r)) != Some(&r)).map(put)
    }
    fn new<T>(merged: Vec<T>, mine: &[T], id: fn(&T) -> &Id, put: fn(T) -> Change) -> impl Iterator<Item = Change> + '_ {
        let mine: FxSet<&Id> = mine.iter().map(id).collect();
        merged.into_iter().filter(move |r| !mine.contains(id(r))).map(put)
    }
    let Workspace { pipelines, deals, events, category_changes, activities, owners, leads, accounts, contacts, settings } = merged;
    let mut out: Vec<Change> = Vec::with_capacity(deals.len() + events.len() + category_changes.len() + activities.len() + leads.len());
    // Records before the deals that point at them.
    out.extend(changed(accounts, &mine.accounts, |a| &a.id, Change::PutAccount));
    out.extend(changed(contacts, &mine.contacts, |c| &c.id, Change::PutContact));
    out.extend(changed(pipelines, &mine.pipelines, |p| &p.id, Change::PutPipeline));
    out.extend(changed(deals, &mine.deals, |d| &d.id, Change::PutDeal));
    out.extend(new(events, &mine.events, |e| &e.id, Change::AppendEvent));
    out.extend(new(category_changes, &mine.category_changes, |c| &c.id, Change::AppendCategory));
    out.extend(changed(activities, &mine.activities, |a| &a.id, Change::PutActivity));
    out.extend(changed(owners, &mine.owners, |o| &o.id, Change::PutOwner));
    out.extend(changed(leads, &mine.leads, |l| &l.id, Change::PutLead));
    if settings != mine.settings {
        out.push(Change::PutSettings(settings));
    }
    out
}
