//! Merging two copies of a workspace (a teammate's export into mine): records are matched
//! by stable id; the stage-change and forecast-call logs are unioned by event id; a deal
//! edited on both sides keeps, field by field, the newer edit, and every value that lost
//! is listed in a conflict report. The result is in a canonical order, so merging is
//! idempotent (A + B + B = A + B) and symmetric (A + B = B + A).

use crate::domain::{Opportunity, Pipeline, Workspace};
use std::collections::BTreeMap;

#[derive(Clone, Debug, PartialEq)]
pub struct Conflict {
    pub deal: String,
    pub field: &'static str,
    pub kept: String,
    pub overridden: String,
}

#[derive(Clone, Debug, PartialEq)]
pub struct MergeResult {
    pub workspace: Workspace,
    pub conflicts: Vec<Conflict>,
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
    out
}

pub fn merge(mine: &Workspace, theirs: &Workspace) -> MergeResult {
    let mut conflicts = Vec::new();
    let mut pipelines: BTreeMap<String, Pipeline> = BTreeMap::new();
    for p in mine.pipelines.iter().chain(&theirs.pipelines) {
        let merged = match pipelines.get(p.id.as_str()) {
            Some(existing) => pick_pipeline(existing, p),
            None => p.clone(),
        };
        pipelines.insert(p.id.to_string(), merged);
    }
    let mut deals: BTreeMap<String, Opportunity> = mine.deals.iter().map(|d| (d.id.to_string(), d.clone())).collect();
    for d in &theirs.deals {
        let merged = match deals.get(d.id.as_str()) {
            Some(existing) if existing != d => merge_deal(existing, d, &mut conflicts),
            Some(existing) => existing.clone(),
            None => d.clone(),
        };
        deals.insert(d.id.to_string(), merged);
    }
    let mut events: BTreeMap<String, crate::domain::StageChange> = BTreeMap::new();
    for e in mine.events.iter().chain(&theirs.events) {
        events.entry(e.id.to_string()).or_insert_with(|| e.clone());
    }
    let mut calls: BTreeMap<String, crate::domain::CategoryChange> = BTreeMap::new();
    for c in mine.category_changes.iter().chain(&theirs.category_changes) {
        calls.entry(c.id.to_string()).or_insert_with(|| c.clone());
    }
    let mine_deals: std::collections::HashSet<&str> = mine.deals.iter().map(|d| d.id.as_str()).collect();
    let mine_events: std::collections::HashSet<&str> = mine.events.iter().map(|e| e.id.as_str()).collect();
    let new_deals = deals.keys().filter(|k| !mine_deals.contains(k.as_str())).count();
    let new_events = events.keys().filter(|k| !mine_events.contains(k.as_str())).count();
    // Canonical order: logs by time then id, records by id.
    let mut events: Vec<_> = events.into_values().collect();
    events.sort_by(|a, b| (a.at, &a.id).cmp(&(b.at, &b.id)));
    let mut calls: Vec<_> = calls.into_values().collect();
    calls.sort_by(|a, b| (a.at, &a.id).cmp(&(b.at, &b.id)));
    let mut workspace = Workspace::from_records(pipelines.into_values().collect(), deals.into_values().collect(), events);
    workspace.category_changes = calls;
    conflicts.sort_by(|a, b| (&a.deal, a.field).cmp(&(&b.deal, b.field)));
    MergeResult { workspace, conflicts, new_deals, new_events }
}
