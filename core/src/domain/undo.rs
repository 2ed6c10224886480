//! Undo and redo, built on the change log.
//!
//! A stored command leaves an `Entry`: for every record it put, the record before and
//! after; for every stage change it appended, the move. Undoing plans *new* changes that
//! take the records back (the log stays append-only: undoing a move appends the move back,
//! so the history shows both). The changes an undo stores are recorded the same way, and
//! undoing those is the redo. Entries are plain data, kept by the UI across reloads.
//!
//! Undo never overwrites what someone changed after the entry (another tab, a merge): a
//! field is taken back only while it still holds the value the entry left, and a move only
//! while the deal is still where the entry put it.

use super::error::{DomainError, Field};
use super::event::{CategoryChange, StageChange};
use super::opportunity::Opportunity;
use super::pipeline::Pipeline;
use super::workspace::{sane_time, Change, Ctx, Rejection, Workspace};
use super::{Activity, Id};
use chrono::Duration;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// How many entries the undo list keeps (the issue: the last 50 changes).
pub const KEEP: usize = 50;
/// A command that changed more deals than this is not kept for undo (a backup covers
/// imports; a bulk edit this big is undone record by record otherwise).
pub const MAX_STEPS: usize = 2_000;

/// What the user did, for the "Undo …" label.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum What {
    CreateDeal,
    EditDeal,
    MoveDeal,
    DeleteDeals,
    RestoreDeals,
    EditDeals,
    SavePipeline,
    RemovePipeline,
    RestorePipeline,
    DuplicatePipeline,
    SetTargets,
    EditTask,
    Undo,
    Redo,
}

#[allow(clippy::large_enum_variant)]
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Step {
    /// A deal put; `before` None: created.
    Deal { before: Option<Opportunity>, after: Opportunity },
    /// A stage change appended; `from` None: the deal's creation.
    Move { deal: Id, from: Option<Id>, to: Id },
    Pipeline { before: Option<Pipeline>, after: Pipeline },
    /// An activity put (tasks done, rescheduled); `before` None: logged.
    Activity { before: Option<Activity>, after: Activity },
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Entry {
    pub what: What,
    /// The deal's title or pipeline's name, or the number of deals, for the label.
    pub subject: String,
    pub count: usize,
    pub steps: Vec<Step>,
}

impl Entry {
    /// The entry for `changes` about to be applied to `ws` (which still holds the records
    /// as they were). Records that undo leaves alone (accounts and contacts a deal linked
    /// to, owners, leads, settings) are not recorded; None when nothing undoable remains or
    /// the change is too big to keep.
    pub fn record(ws: &Workspace, what: What, changes: &[Change]) -> Option<Entry> {
        let mut steps = Vec::new();
        for c in changes {
            match c {
                Change::PutDeal(d) => steps.push(Step::Deal { before: ws.deal(&d.id).cloned(), after: d.clone() }),
                Change::AppendEvent(e) => steps.push(Step::Move { deal: e.opportunity.clone(), from: e.from.clone(), to: e.to.clone() }),
                Change::PutPipeline(p) => steps.push(Step::Pipeline { before: ws.pipeline(&p.id).cloned(), after: p.clone() }),
                Change::PutActivity(a) => {
                    steps.push(Step::Activity { before: ws.activities.iter().find(|x| x.id == a.id).cloned(), after: a.clone() })
                }
                _ => {}
            }
        }
        if steps.is_empty() || steps.len() > MAX_STEPS {
            return None;
        }
        let deals: Vec<&Opportunity> = steps.iter().filter_map(|s| if let Step::Deal { after, .. } = s { Some(after) } else { None }).collect();
        let subject = match deals.as_slice() {
            [one] => one.title.clone(),
            [] => steps
                .iter()
                .find_map(|s| match s {
                    Step::Pipeline { after, .. } => Some(after.name.clone()),
                    Step::Activity { after, .. } => Some(after.subject.clone()),
                    _ => None,
                })
                .unwrap_or_default(),
            many => many.len().to_string(),
        };
        Some(Entry { what, subject, count: deals.len().max(1), steps })
    }
}

/// The changes that take `entry` back, planned against `ws` now.
pub fn plan_undo(ws: &Workspace, entry: &Entry, ctx: &mut Ctx) -> Result<Vec<Change>, Rejection> {
    let mut out = Vec::new();
    // Where each deal is once the moves undone so far are applied.
    let mut stage_now: HashMap<Id, Id> = HashMap::new();
    let mut deals: Vec<Opportunity> = Vec::new();
    let mut events = Vec::new();
    for step in entry.steps.iter().rev() {
        match step {
            Step::Move { deal, from: Some(from), to } => {
                let Some(d) = ws.deal(deal) else { return Err(vec![(Field::Stage, DomainError::UnknownDeal)]) };
                let current = stage_now.get(deal).unwrap_or(&d.stage);
                if current != to {
                    let stage = ws.pipeline(&d.pipeline).and_then(|p| p.stage(current)).map(|s| s.name.clone()).unwrap_or_default();
                    return Err(vec![(Field::Stage, DomainError::MovedElsewhere { stage })]);
                }
                let Some(p) = ws.pipeline(&d.pipeline) else { return Err(vec![(Field::Stage, DomainError::UnknownPipeline)]) };
                if p.stage(from).is_none_or(|s| s.archived) {
                    return Err(vec![(Field::Stage, DomainError::StageArchived)]);
                }
                // Strictly after the deal's last event, as any move (see `plan_move`).
                // And after the moves this undo has already planned for the deal.
                let earlier: Option<chrono::DateTime<chrono::Utc>> =
                    events.iter().filter(|e: &&StageChange| &e.opportunity == deal).map(|e| e.at).max();
                let at = ws.next_event_at(deal, ctx.now).and_then(|at| match earlier {
                    Some(t) if t >= at => t.checked_add_signed(Duration::milliseconds(1)),
                    _ => Some(at),
                });
                let Some(at) = at.filter(|t| sane_time(*t)) else {
                    return Err(vec![(Field::Stage, DomainError::DateOutOfRange)]);
                };
                events.push(StageChange {
                    id: ctx.ids.next_id(),
                    opportunity: deal.clone(),
                    from: Some(to.clone()),
                    to: from.clone(),
                    at,
                    note: UNDO_NOTE.to_string(),
                    seq: 0,
                    criteria: Vec::new(),
                });
                stage_now.insert(deal.clone(), from.clone());
            }
            // A creation is undone by the deal's own step (to the trash).
            Step::Move { from: None, .. } => {}
            Step::Deal { before, after } => {
                let current = deals.iter().find(|d| d.id == after.id).cloned().or_else(|| ws.deal(&after.id).cloned());
                let Some(current) = current else { return Err(vec![(Field::Title, DomainError::UnknownDeal)]) };
                // Created: the undo puts it in the trash.
                let target = match before {
                    Some(b) => b.clone(),
                    None => Opportunity { deleted_at: Some(ctx.now), ..after.clone() },
                };
                let mut new = current.clone();
                let mut changed = false;
                for (((name, want), (_, left)), (_, now_v)) in target.fields().into_iter().zip(after.fields()).zip(current.fields()) {
                    if want != left && now_v == left {
                        new.take_field(name, &target);
                        new.field_times.insert(name.to_string(), ctx.now);
                        changed = true;
                        if name == "account" {
                            new.account_id = target.account_id.clone();
                        }
                        if name == "contact" {
                            new.contact_id = target.contact_id.clone();
                        }
                    }
                }
                if !changed {
                    continue;
                }
                new.updated_at = ctx.now.max(current.updated_at);
                new.device = ctx.device.to_string();
                if new.forecast_category != current.forecast_category {
                    out.push(Change::AppendCategory(CategoryChange {
                        id: ctx.ids.next_id(),
                        opportunity: new.id.clone(),
                        category: new.forecast_category,
                        at: ctx.now,
                        seq: 0,
                    }));
                }
                deals.retain(|d| d.id != new.id);
                deals.push(new);
            }
            Step::Pipeline { before, after } => {
                let Some(current) = ws.pipeline(&after.id) else { return Err(vec![(Field::PipelineName, DomainError::UnknownPipeline)]) };
                if current != after {
                    return Err(vec![(Field::PipelineName, DomainError::ChangedSince(after.name.clone()))]);
                }
                let restored = match before {
                    None => Pipeline { deleted_at: Some(ctx.now), updated_at: Some(ctx.now), ..after.clone() },
                    Some(b) if b.deleted_at != after.deleted_at => {
                        // Removed or restored: only that flag goes back.
                        Pipeline { deleted_at: b.deleted_at, updated_at: Some(ctx.now), ..after.clone() }
                    }
                    Some(b) if b.targets != after.targets => {
                        // Targets set: only they go back (the stage editor never changes them).
                        Pipeline { targets: b.targets.clone(), updated_at: Some(ctx.now), ..after.clone() }
                    }
                    Some(b) => {
                        // An edit in the stage editor: saved again through its rules, so
                        // a stage that now holds deals is not removed.
                        let mut p = b.clone();
                        p.stages.retain(|s| !s.archived);
                        let planned = ws.plan(super::Command::SavePipeline { pipeline: p, base: None }, ctx)?;
                        match planned.into_iter().next() {
                            Some(Change::PutPipeline(p)) => p,
                            _ => continue,
                        }
                    }
                };
                out.push(Change::PutPipeline(restored));
            }
            Step::Activity { before, after } => {
                let Some(current) = ws.activities.iter().find(|a| a.id == after.id) else {
                    return Err(vec![(Field::Subject, DomainError::UnknownActivity)]);
                };
                let Some(b) = before else { continue };
                if current != after {
                    return Err(vec![(Field::Subject, DomainError::ChangedSince(after.subject.clone()))]);
                }
                out.push(Change::PutActivity(Activity { updated_at: ctx.now.max(current.updated_at), device: ctx.device.to_string(), ..b.clone() }));
            }
        }
    }
    // The stored deal carries the stage the log now gives it.
    for d in deals.iter_mut() {
        if let Some(s) = stage_now.get(&d.id) {
            d.stage = s.clone();
        }
    }
    for (id, s) in &stage_now {
        if !deals.iter().any(|d| &d.id == id) {
            if let Some(d) = ws.deal(id) {
                deals.push(Opportunity { stage: s.clone(), ..d.clone() });
            }
        }
    }
    out.extend(deals.into_iter().map(Change::PutDeal));
    out.extend(events.into_iter().map(Change::AppendEvent));
    if out.is_empty() {
        return Err(vec![(Field::Title, DomainError::NothingToUndo)]);
    }
    Ok(out)
}

/// The note on a stage change that undid a move (shown in the deal's history).
pub const UNDO_NOTE: &str = "↩";

/// Which commands the undo list keeps, and as what. Imports, merges and restores are
/// covered by backups instead; lead and account work is not undone here.
pub fn what_of(cmd: &super::Command) -> Option<What> {
    use super::Command as C;
    Some(match cmd {
        C::CreateDeal { .. } => What::CreateDeal,
        C::UpdateDeal { .. } => What::EditDeal,
        C::MoveDeal { .. } => What::MoveDeal,
        C::DeleteDeals { .. } => What::DeleteDeals,
        C::RestoreDeals { .. } => What::RestoreDeals,
        C::EditDeals { .. } => What::EditDeals,
        C::SavePipeline { .. } => What::SavePipeline,
        C::RemovePipeline { .. } => What::RemovePipeline,
        C::RestorePipeline { .. } => What::RestorePipeline,
        C::DuplicatePipeline { .. } => What::DuplicatePipeline,
        C::SetTargets { .. } => What::SetTargets,
        C::CompleteTask { .. } | C::RescheduleTask { .. } => What::EditTask,
        _ => return None,
    })
}

/// The undo and redo lists, newest last, as kept across reloads.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct History {
    pub undo: Vec<Entry>,
    pub redo: Vec<Entry>,
}

impl History {
    /// A new change: kept for undo; what was undone can no longer be redone.
    pub fn push(&mut self, e: Entry) {
        self.undo.push(e);
        self.redo.clear();
        self.trim();
    }

    /// `done` is the entry an undo (or a redo) of `of` stored: it goes on the other list,
    /// labelled like the entry it takes back.
    pub fn took_back(&mut self, of: &Entry, mut done: Entry, was_redo: bool) {
        done.what = of.what;
        done.subject = of.subject.clone();
        done.count = of.count;
        if was_redo { self.undo.push(done) } else { self.redo.push(done) }
        self.trim();
    }

    /// Puts back the lists kept from an earlier visit (`stored`), read after this visit's
    /// first changes may already be on `self`: those come after the stored ones; and once
    /// anything was changed (or undone) here, the stored redo list no longer applies, as
    /// after `push`.
    pub fn restore(&mut self, mut stored: History) {
        if !self.undo.is_empty() || !self.redo.is_empty() {
            stored.redo = std::mem::take(&mut self.redo);
        }
        stored.undo.append(&mut self.undo);
        *self = stored;
        self.trim();
    }

    fn trim(&mut self) {
        for list in [&mut self.undo, &mut self.redo] {
            if list.len() > KEEP {
                list.drain(..list.len() - KEEP);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(subject: &str) -> Entry {
        Entry { what: What::EditDeal, subject: subject.into(), count: 1, steps: Vec::new() }
    }

    /// A new change clears what could be redone; the lists keep the newest 50; what an undo
    /// stored goes on the redo list under the label of what it took back, and back again.
    #[test]
    fn the_lists_keep_fifty_and_a_new_change_ends_redo() {
        let mut h = History::default();
        for i in 0..60 {
            h.push(entry(&i.to_string()));
        }
        assert_eq!(h.undo.len(), KEEP);
        assert_eq!((h.undo[0].subject.as_str(), h.undo[49].subject.as_str()), ("10", "59"));
        let taken = h.undo.pop().unwrap();
        h.took_back(&taken, Entry { what: What::Undo, ..entry("x") }, false);
        assert_eq!((h.redo.len(), h.redo[0].what, h.redo[0].subject.as_str()), (1, What::EditDeal, "59"));
        let again = h.redo.pop().unwrap();
        h.took_back(&again, Entry { what: What::Redo, ..entry("y") }, true);
        assert_eq!((h.undo.len(), h.undo[49].subject.as_str()), (KEEP, "59"));
        h.took_back(&taken, entry("z"), false);
        h.push(entry("new"));
        assert!(h.redo.is_empty());
    }

    /// Stored lists (undo a, b; redo c) put back: onto nothing, as they were; after a change
    /// made here (d), a, b, d and no redo; after 49 changes here, the oldest stored one
    /// trimmed (2 + 49 = 51 > 50); after an undo made here (of d: redo holds it), that redo
    /// list is kept instead of the stored one.
    #[test]
    fn lists_read_late_go_before_this_visits_changes() {
        let subjects = |l: &[Entry]| l.iter().map(|e| e.subject.clone()).collect::<Vec<_>>();
        let stored = History { undo: vec![entry("a"), entry("b")], redo: vec![entry("c")] };
        let mut h = History::default();
        h.restore(stored.clone());
        assert_eq!(h, stored);

        let mut h = History::default();
        h.push(entry("d"));
        h.restore(stored.clone());
        assert_eq!((subjects(&h.undo), subjects(&h.redo)), (vec!["a".to_string(), "b".into(), "d".into()], vec![]));

        let mut h = History::default();
        for i in 0..49 {
            h.push(entry(&format!("n{i}")));
        }
        h.restore(stored.clone());
        assert_eq!((h.undo.len(), h.undo[0].subject.as_str(), h.undo[1].subject.as_str()), (KEEP, "b", "n0"));

        let mut h = History::default();
        h.push(entry("d"));
        let d = h.undo.pop().unwrap();
        h.took_back(&d, entry("undo of d"), false);
        h.restore(stored);
        assert_eq!((subjects(&h.undo), subjects(&h.redo)), (vec!["a".to_string(), "b".into()], vec!["d".to_string()]));
    }
}
