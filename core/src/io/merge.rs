//! Merging two copies of a workspace (a teammate's export into mine): records are matched
//! by stable id; the stage-change and forecast-call logs are unioned by event id; a deal
//! edited on both sides keeps, field by field, the newer edit, and every value that lost
//! is listed in a conflict report. The result is in a canonical order, so merging is
//! idempotent (A + B + B = A + B) and symmetric (A + B = B + A).

use crate::domain::{Activity, Change, Id, Opportunity, Pipeline, StageChange, StageKind, Workspace};
use std::collections::{BTreeMap, HashMap, HashSet};

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
fn creations(ws: &Workspace) -> HashMap<&str, &StageChange> {
    let mut out: HashMap<&str, &StageChange> = HashMap::new();
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
    let mut dropped: HashSet<(bool, &str)> = HashSet::new(); // (from theirs?, deal id)
    let mut deals: BTreeMap<&str, Opportunity> = mine.deals.iter().map(|d| (d.id.as_str(), d.clone())).collect();
    for d in &theirs.deals {
        let merged = match deals.get(d.id.as_str()) {
            Some(existing) if existing == d => existing.clone(),
            Some(existing) => {
                let (a, b) = (cm.get(existing.id.as_str()).map(|e| &e.id), ct.get(d.id.as_str()).map(|e| &e.id));
                let same = existing.pipeline == d.pipeline && (a.is_none() || b.is_none() || a == b);
                if same {
                    merge_deal(existing, d, &mut conflicts)
                } else {
                    let rank = |x: &Opportunity, c: Option<&&StageChange>| (x.created_at, c.map(|e| e.id.to_string()), x.pipeline.to_string(), x.title.clone());
                    let keep_mine = rank(existing, cm.get(existing.id.as_str())) <= rank(d, ct.get(d.id.as_str()));
                    let (kept, lost) = if keep_mine { (existing, d) } else { (d, existing) };
                    collisions.push(Collision::Deal { id: d.id.to_string(), kept: kept.title.clone(), dropped: lost.title.clone() });
                    dropped.insert((keep_mine, d.id.as_str()));
                    kept.clone()
                }
            }
            None => d.clone(),
        };
        deals.insert(d.id.as_str(), merged);
    }
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
    let mut last: HashMap<&Id, &StageChange> = HashMap::new();
    for e in events.values() {
        let slot = last.entry(&e.opportunity).or_insert(e);
        if e.key() > slot.key() {
            *slot = e;
        }
    }
    let occupied: HashSet<&Id> =
        deals.values().map(|d| last.get(&d.id).map_or(&d.stage, |e| &e.to)).collect();
    let used: HashSet<&Id> = events.values().flat_map(|e| e.from.iter().chain([&e.to])).collect();
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
    let mine_deals: HashSet<&str> = mine.deals.iter().map(|d| d.id.as_str()).collect();
    let mine_events: HashSet<&str> = mine.events.iter().map(|e| e.id.as_str()).collect();
    let new_deals = deals.keys().filter(|k| !mine_deals.contains(*k)).count();
    let new_events = events.keys().filter(|k| !mine_events.contains(*k)).count();
    let mut workspace = Workspace::from_records(pipelines.into_values().collect(), deals.into_values().collect(), events.into_values().collect());
    workspace.category_changes = calls.into_values().collect();
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
    workspace.order_logs();
    conflicts.sort_by(|a, b| (&a.deal, a.field).cmp(&(&b.deal, b.field)));
    collisions.sort();
    collisions.dedup();
    MergeResult { workspace, conflicts, collisions, new_deals, new_events }
}

/// Of the records sharing an id, the one edited last; equal times are settled by the
/// content itself, so the result does not depend on which side is which. Sorted by id.
fn newest_by_id<'a, T: Clone + serde::Serialize + 'a>(records: impl Iterator<Item = &'a T>, key: impl Fn(&'a T) -> (&'a Id, chrono::DateTime<chrono::Utc>)) -> Vec<T> {
    let mut out: BTreeMap<&str, (chrono::DateTime<chrono::Utc>, &T)> = BTreeMap::new();
    for r in records {
        let (id, at) = key(r);
        match out.get_mut(id.as_str()) {
            // The later edit; at equal times the greater content (as JSON text), worked out
            // only then: writing every record out as JSON to compare was most of merging
            // 100,000 deals' activities and leads.
            Some(slot) => {
                let later = at > slot.0 || (at == slot.0 && serde_json::to_string(r).unwrap_or_default() > serde_json::to_string(slot.1).unwrap_or_default());
                if later {
                    *slot = (at, r);
                }
            }
            None => drop(out.insert(id.as_str(), (at, r))),
        }
    }
    out.into_values().map(|x| x.1.clone()).collect()
}

/// Unions a log by id (`entries`: (from theirs?, entry)): the same entry twice is kept
/// once; two different entries with one id are a collision, and the one that comes first
/// (`before`) is kept, so the choice does not depend on which side is which. Entries of deals left out
/// of the merge are skipped.
fn union_log<'a, T: Clone + PartialEq + 'a>(
    entries: impl Iterator<Item = (bool, &'a T)>,
    ids: impl Fn(&'a T) -> (&'a Id, &'a Id),
    before: impl Fn(&T, &T) -> bool,
    left_out: &dyn Fn(bool, &Id) -> bool,
    collisions: &mut Vec<Collision>,
) -> BTreeMap<&'a str, T> {
    let mut out: BTreeMap<&str, T> = BTreeMap::new();
    for (side, e) in entries {
        let (id, deal) = ids(e);
        if left_out(side, deal) {
            continue;
        }
        match out.get(id.as_str()) {
            Some(existing) if existing == e => {}
            Some(existing) => {
                collisions.push(Collision::Event { id: id.to_string() });
                if before(e, existing) {
                    out.insert(id.as_str(), e.clone());
                }
            }
            None => drop(out.insert(id.as_str(), e.clone())),
        }
    }
    out
}

/// What must be written to turn `mine` into `merged`: changed or new pipelines and deals,
/// new log entries. Nothing is removed, so a merge can never delete a record; an empty list
/// means the file brought nothing new (and no backup is taken).
pub fn changes_from(mine: &Workspace, merged: &Workspace) -> Vec<Change> {
    let pipes: HashMap<&Id, &Pipeline> = mine.pipelines.iter().map(|p| (&p.id, p)).collect();
    let deals: HashMap<&Id, &Opportunity> = mine.deals.iter().map(|d| (&d.id, d)).collect();
    let events: HashSet<&Id> = mine.events.iter().map(|e| &e.id).collect();
    let calls: HashSet<&Id> = mine.category_changes.iter().map(|c| &c.id).collect();
    let mut out: Vec<Change> = merged.pipelines.iter().filter(|p| pipes.get(&p.id) != Some(p)).cloned().map(Change::PutPipeline).collect();
    out.extend(merged.deals.iter().filter(|d| deals.get(&d.id) != Some(d)).cloned().map(Change::PutDeal));
    out.extend(merged.events.iter().filter(|e| !events.contains(&e.id)).cloned().map(Change::AppendEvent));
    out.extend(merged.category_changes.iter().filter(|c| !calls.contains(&c.id)).cloned().map(Change::AppendCategory));
    let acts: HashMap<&Id, &Activity> = mine.activities.iter().map(|a| (&a.id, a)).collect();
    out.extend(merged.activities.iter().filter(|a| acts.get(&a.id) != Some(a)).cloned().map(Change::PutActivity));
    let owners: HashMap<&Id, &crate::domain::Owner> = mine.owners.iter().map(|o| (&o.id, o)).collect();
    out.extend(merged.owners.iter().filter(|o| owners.get(&o.id) != Some(o)).cloned().map(Change::PutOwner));
    let leads: HashMap<&Id, &crate::domain::Lead> = mine.leads.iter().map(|l| (&l.id, l)).collect();
    out.extend(merged.leads.iter().filter(|l| leads.get(&l.id) != Some(l)).cloned().map(Change::PutLead));
    let accounts: HashMap<&Id, &crate::domain::Account> = mine.accounts.iter().map(|a| (&a.id, a)).collect();
    let contacts: HashMap<&Id, &crate::domain::Contact> = mine.contacts.iter().map(|c| (&c.id, c)).collect();
    // Records before the deals that point at them.
    let records: Vec<Change> = merged
        .accounts
        .iter()
        .filter(|a| accounts.get(&a.id) != Some(a))
        .cloned()
        .map(Change::PutAccount)
        .chain(merged.contacts.iter().filter(|c| contacts.get(&c.id) != Some(c)).cloned().map(Change::PutContact))
        .collect();
    out.splice(0..0, records);
    if merged.settings != mine.settings {
        out.push(Change::PutSettings(merged.settings.clone()));
    }
    out
}
