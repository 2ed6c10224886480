//! The app's in-memory model: the workspace and the analytics index of the pipeline on
//! screen, owned together and changed together, only by change lists that have been stored
//! (or, on load, by what was read). The UI holds one of these; nothing else keeps a copy.

use super::flow::FlowBuilder;
use super::Flow;
use crate::domain::lookup::LookupBuilder;
use crate::domain::{Change, Id, Lookup, Places, Workspace};
use crate::domain::ids::FxSet;

#[derive(Clone, Debug, Default)]
pub struct Model {
    ws: Workspace,
    /// Where each keyed record of `ws` sits, kept current with it.
    at: Lookup,
    pipeline: Option<Id>,
    index: Option<Flow>,
    /// Bumped whenever the activities may have changed: what is worked out from them
    /// alone (every deal's next step) is worked out again only then, not on every move.
    activities_rev: u64,
}

impl Model {
    pub fn workspace(&self) -> &Workspace {
        &self.ws
    }

    pub fn lookup(&self) -> &Lookup {
        &self.at
    }

    /// The index of the shown pipeline (None without pipelines).
    pub fn index(&self) -> Option<&Flow> {
        self.index.as_ref()
    }

    pub fn pipeline(&self) -> Option<&Id> {
        self.pipeline.as_ref()
    }

    /// Changes when (and, the write path's property test holds, whenever) the activities
    /// do: equal before and after a change list means the same activities.
    pub fn activities_rev(&self) -> u64 {
        self.activities_rev
    }

    /// Shows `wanted` if it exists, else the first pipeline; returns what is shown.
    pub fn select(&mut self, wanted: Option<Id>) -> Option<Id> {
        let chosen = choose(&self.ws, wanted);
        // The index of the pipeline already shown is current (every change keeps it so):
        // building it again was ≈ 160 ms at 100,000 deals on every start.
        if chosen.is_some() && chosen == self.pipeline && self.index.as_ref().is_some_and(|f| Some(&f.pipeline) == chosen.as_ref()) {
            return chosen;
        }
        self.pipeline = chosen.clone();
        self.rebuild();
        chosen
    }

    /// Everything replaced (a load, a replace, a restore); the shown pipeline stays if it
    /// still exists. Returns what is shown. (`ModelBuilder` does the same a slice at a time.)
    pub fn replace(&mut self, ws: Workspace) -> Option<Id> {
        let mut b = ModelBuilder::new(ws, None, self.pipeline.clone());
        while !b.step(usize::MAX) {}
        b.finish(self)
    }

    /// The activities and leads a load read after the board was shown
    /// (`io::segments::RestReader`), with where each sits (`at`'s `activities` and `leads`):
    /// the workspace is whole again. The index does not read either.
    pub fn complete(&mut self, activities: Vec<crate::domain::Activity>, leads: Vec<crate::domain::Lead>, at: Lookup) {
        self.ws.activities = activities;
        self.ws.leads = leads;
        self.at.activities = at.activities;
        self.at.leads = at.leads;
        self.activities_rev += 1;
    }

    fn rebuild(&mut self) {
        self.index = self.pipeline.as_ref().and_then(|id| self.ws.pipeline(id)).map(|p| Flow::build(&self.ws, p));
    }

    /// Applies stored changes to the workspace and the index together: the index follows
    /// change by change when it can (the usual case: a move, an edit, a new deal), and is
    /// rebuilt when it cannot (its pipeline's stages changed, or older events arrived from
    /// another device). A pipeline this tab created (`own`) becomes the shown one; the
    /// return value says when the shown pipeline changed.
    pub fn apply(&mut self, changes: Vec<Change>, own: bool) -> Option<Id> {
        let new_pipeline = changes.iter().find_map(|c| match c {
            Change::PutPipeline(p) if self.ws.pipeline(&p.id).is_none() => Some(p.id.clone()),
            _ => None,
        });
        // Log entries older than the log's newest (a merge, team sync) and deals new to the
        // index (their events may have come in an earlier list) have their deal's history
        // read again from the ordered log once the workspace has them; in the usual case (a
        // move, an edit, a new deal with its first event) the index follows change by change.
        let (mut last_event, mut last_call) =
            (self.ws.events.last().map(|e| e.key()), self.ws.category_changes.last().map(|c| c.key()));
        let mut reread: FxSet<Id> = FxSet::default();
        for c in &changes {
            match c {
                Change::PutActivity(_) | Change::PurgeDeal { .. } => self.activities_rev += 1,
                Change::AppendEvent(e) if last_event.is_some_and(|l| e.key() < l) => drop(reread.insert(e.opportunity.clone())),
                Change::AppendEvent(e) => last_event = Some(e.key()),
                Change::AppendCategory(k) if last_call.is_some_and(|l| k.key() < l) => drop(reread.insert(k.opportunity.clone())),
                Change::AppendCategory(k) => last_call = Some(k.key()),
                _ => {}
            }
        }
        // Stops at the first change the index cannot follow: it is rebuilt below anyway.
        let kept = match self.index.as_mut() {
            Some(flow) => changes.iter().all(|c| {
                if let Change::PutDeal(d) = c {
                    if d.pipeline == flow.pipeline && d.deleted_at.is_none() && !flow.has_deal(&d.id) {
                        reread.insert(d.id.clone());
                    }
                }
                flow.apply(c)
            }),
            None => false,
        };
        self.at.fill(&self.ws);
        self.ws.commit_at(changes, &mut self.at);
        self.at.fill(&self.ws);
        if new_pipeline.is_some() && (own || self.pipeline.is_none()) {
            return self.select(new_pipeline);
        }
        // The shown pipeline went to the trash (here or in another tab): show another.
        if self.pipeline.as_ref().is_some_and(|id| self.ws.pipeline(id).is_none_or(|p| p.deleted_at.is_some())) {
            return self.select(None);
        }
        match (kept, self.index.as_mut()) {
            (true, Some(flow)) if !reread.is_empty() => flow.refresh(&self.ws, &reread),
            (true, _) => {}
            (false, _) => self.rebuild(),
        }
        None
    }
}

/// A long change list (a big merge, an add of thousands of records) applied a slice at a
/// time (`step`), so the app can let the browser in between: the workspace takes the changes
/// a slice at a time, then the shown pipeline's index is built again from it, a slice at a
/// time too. At once (`Model::apply`), a merge of 10,000 deals (98k changes) was one task of
/// ≈ 85–120 ms in wasm and one of 100,000 deals ≈ 1.4 s. The workspace ends as `apply`
/// leaves it (the write path's property test holds for change lists cut anywhere), the
/// index as one built from it.
pub struct SlicedApply {
    rest: std::vec::IntoIter<Change>,
    own: bool,
    /// The first pipeline the list brings that the workspace did not have.
    new_pipeline: Option<Id>,
    /// The pipeline shown once done, and its index under way (after the changes).
    chosen: Option<Option<Id>>,
    index: Option<FlowBuilder>,
    /// What `Model::apply` would have returned: the shown pipeline when it changed.
    shown: Option<Id>,
}

impl SlicedApply {
    /// `own`: this tab made the changes (a new pipeline among them is then shown).
    pub fn new(changes: Vec<Change>, own: bool) -> SlicedApply {
        SlicedApply { rest: changes.into_iter(), own, new_pipeline: None, chosen: None, index: None, shown: None }
    }

    /// Applies up to `budget` more changes, or does about `budget` records' worth of the
    /// index; true once all is done (the model is then whole again).
    pub fn step(&mut self, m: &mut Model, budget: usize) -> bool {
        if self.chosen.is_none() {
            let slice: Vec<Change> = self.rest.by_ref().take(budget.max(1)).collect();
            for c in &slice {
                match c {
                    Change::PutPipeline(p) if self.new_pipeline.is_none() && m.ws.pipeline(&p.id).is_none() => {
                        self.new_pipeline = Some(p.id.clone())
                    }
                    Change::PutActivity(_) | Change::PurgeDeal { .. } => m.activities_rev += 1,
                    _ => {}
                }
            }
            m.at.fill(&m.ws);
            m.ws.commit_at(slice, &mut m.at);
            m.at.fill(&m.ws);
            if self.rest.len() > 0 {
                return false;
            }
            // The pipeline shown after: as `apply` chooses it.
            let trashed = m.pipeline.as_ref().is_some_and(|id| m.ws.pipeline(id).is_none_or(|p| p.deleted_at.is_some()));
            let to_new = self.new_pipeline.is_some() && (self.own || m.pipeline.is_none());
            let chosen = match (to_new, trashed) {
                (true, _) => choose(&m.ws, self.new_pipeline.clone()),
                (false, true) => choose(&m.ws, None),
                (false, false) => m.pipeline.clone(),
            };
            if to_new || trashed {
                self.shown = chosen.clone();
            }
            self.index = chosen.as_ref().and_then(|id| m.ws.pipeline(id)).map(|p| FlowBuilder::new(&m.ws, p));
            self.chosen = Some(chosen);
            return false;
        }
        if let Some(b) = self.index.as_mut() {
            if !b.step(&m.ws, budget) {
                return false;
            }
        }
        m.index = self.index.take().map(FlowBuilder::finish);
        m.pipeline = self.chosen.clone().flatten();
        true
    }

    /// The shown pipeline when it changed (as `Model::apply` returns it); once done.
    pub fn shown(&self) -> Option<&Id> {
        self.shown.as_ref()
    }
}

/// `wanted` if it exists and is not in the trash, else the first live pipeline.
fn choose(ws: &Workspace, wanted: Option<Id>) -> Option<Id> {
    match wanted {
        Some(id) if ws.pipeline(&id).is_some_and(|p| p.deleted_at.is_none()) => Some(id),
        _ => ws.live_pipelines().next().map(|p| p.id.clone()),
    }
}

/// A model for a whole new workspace (a load, a replace, a restore) built a slice at a time
/// (`step`), then put in place at once (`finish`), so the app can let the browser in between:
/// at 100,000 deals the positions and the index were ≈ 400 ms of wasm in one task.
pub struct ModelBuilder {
    ws: Workspace,
    at: LookupBuilder,
    mapped: bool,
    pipeline: Option<Id>,
    index: Option<FlowBuilder>,
}

impl ModelBuilder {
    /// Shows `wanted` if it exists (and is not in the trash), else the first pipeline. With
    /// `places` (where each log record's deal sits, as opening found them), the index takes
    /// each record's deal from them instead of finding it by id.
    pub fn new(ws: Workspace, places: Option<Places>, wanted: Option<Id>) -> ModelBuilder {
        let pipeline = choose(&ws, wanted);
        let index = pipeline.as_ref().and_then(|id| ws.pipeline(id)).map(|p| match places {
            Some(places) => FlowBuilder::with_places(&ws, p, places),
            None => FlowBuilder::new(&ws, p),
        });
        ModelBuilder { ws, at: LookupBuilder::new(), mapped: false, pipeline, index }
    }

    /// Does about `budget` records' worth of work (positions first, then the index; twice
    /// that in the step where the positions end, so a small workspace takes one step); true
    /// once all is done.
    pub fn step(&mut self, budget: usize) -> bool {
        if !self.mapped {
            self.mapped = self.at.step(&self.ws, budget);
            if !self.mapped {
                return false;
            }
        }
        self.index.as_mut().is_none_or(|f| f.step(&self.ws, budget))
    }

    /// Puts the new workspace, its positions and index in the model's place (what it held
    /// is dropped); returns what is shown. Call once `step` said done.
    pub fn finish(self, into: &mut Model) -> Option<Id> {
        into.activities_rev += 1;
        into.ws = self.ws;
        into.at = self.at.finish();
        into.index = self.index.map(FlowBuilder::finish);
        into.pipeline = self.pipeline.clone();
        self.pipeline
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::demo;

    #[test]
    fn built_a_slice_at_a_time_equals_replaced_at_once() {
        let now = chrono::DateTime::parse_from_rfc3339("2026-11-27T00:00:00Z").map(|t| t.with_timezone(&chrono::Utc)).unwrap_or_default();
        let ws = demo::generate(120, 2, 7, now, crate::domain::Lang::En);
        let mut whole = Model::default();
        let shown = whole.replace(ws.clone());
        // The demo: 120 deals, 416 activities, 155 leads, 24 accounts (715 positions), 398
        // events and 51 forecast calls. A budget of 200 a step: positions ⌈200 / 3⌉ = 67 a
        // step (a position costs 3) for 10 steps (670), then the last 45 and the index's
        // first 40 deals (a deal counts 5); 40 deals, 40 deals; the lists laid out from the
        // places (449 records counted, 56 of the budget: 449 / 8) and 144 events; 200
        // events; the last 54 and the 51 calls: 16 steps. All at once: 1 step. The sliced
        // one takes each record's deal from where opening would have found it.
        let places = Places::find(&ws);
        assert!(places.is_some());
        let mut b = ModelBuilder::new(ws, places, None);
        let mut steps = 1;
        while !b.step(200) {
            steps += 1;
        }
        let w = whole.workspace();
        assert_eq!(
            (w.deals.len(), w.activities.len(), w.leads.len(), w.accounts.len(), w.contacts.len(), w.events.len(), w.category_changes.len()),
            (120, 416, 155, 24, 0, 398, 51)
        );
        assert_eq!(steps, 16);
        assert!(ModelBuilder::new(whole.workspace().clone(), None, None).step(usize::MAX));
        let mut sliced = Model { activities_rev: 7, ..Model::default() };
        assert_eq!(b.finish(&mut sliced), shown);
        assert_eq!(sliced.activities_rev(), 8, "bumped: the activities may all have changed");
        assert_eq!(sliced.workspace(), whole.workspace());
        assert_eq!(sliced.lookup(), whole.lookup());
        assert_eq!(sliced.lookup(), &Lookup::of(whole.workspace()));
        let (a, b) = (sliced.index().unwrap(), whole.index().unwrap());
        assert_eq!((&a.deals, &a.events, &a.categories), (&b.deals, &b.events, &b.categories));
        let labels = |f: &Flow| (0..f.labels.len() as u32).map(|i| f.labels.name(i).to_string()).collect::<Vec<_>>();
        assert_eq!(labels(a), labels(b));
        assert!(a.deals.iter().all(|d| a.has_deal(&d.id)));
        assert!(!a.events.iter().all(<[_]>::is_empty));
    }

    /// A pipeline added with its history (another demo, new ids), an edit of a shown deal
    /// and a move of one (newer than the log), and an older event of another (out of
    /// order): applied in slices of any size, the model is what applying it at once makes
    /// (the index reporting the same), and the same pipeline is shown: the new one when
    /// this tab made the list, the one shown before when another did.
    #[test]
    fn a_long_list_applied_in_slices_equals_it_applied_at_once() {
        use crate::analytics::{report_on, Query};
        let now = chrono::DateTime::parse_from_rfc3339("2026-11-27T00:00:00Z").map(|t| t.with_timezone(&chrono::Utc)).unwrap_or_default();
        let base = demo::generate(40, 2, 7, now, crate::domain::Lang::En);
        let added = demo::generate(60, 5, 9, now, crate::domain::Lang::En);
        let mut changes: Vec<Change> = added.pipelines.iter().cloned().map(Change::PutPipeline).collect();
        changes.extend(added.accounts.iter().cloned().map(Change::PutAccount));
        changes.extend(added.deals.iter().cloned().map(Change::PutDeal));
        changes.extend(added.events.iter().cloned().map(Change::AppendEvent));
        changes.extend(added.category_changes.iter().cloned().map(Change::AppendCategory));
        changes.extend(added.activities.iter().cloned().map(Change::PutActivity));
        changes.extend(added.leads.iter().cloned().map(Change::PutLead));
        let mut edited = base.deals[3].clone();
        edited.title = "Edited".into();
        let mut moved = base.events[0].clone();
        moved.id = Id::from("zz-moved-now");
        moved.at = now;
        moved.to = base.pipelines[0].stages[2].id.clone();
        let mut older = base.events[5].clone();
        older.id = Id::from("zz-older");
        older.at = base.events[5].at - chrono::Duration::days(1);
        changes.extend([Change::PutDeal(edited), Change::AppendEvent(moved), Change::AppendEvent(older)]);
        let q = Query::new(now);
        for own in [true, false] {
            let mut whole = Model::default();
            whole.replace(base.clone());
            let shown = whole.apply(changes.clone(), own);
            assert_eq!(whole.pipeline(), Some(if own { &added.pipelines[0].id } else { &base.pipelines[0].id }));
            for budget in [1, 7, 150, usize::MAX] {
                let mut m = Model::default();
                m.replace(base.clone());
                let mut a = SlicedApply::new(changes.clone(), own);
                let mut steps = 1;
                while !a.step(&mut m, budget) {
                    steps += 1;
                }
                // The changes' slices, one step choosing the pipeline, then the index.
                assert!(steps > changes.len().div_ceil(budget), "own {own}, budget {budget}");
                assert_eq!(a.shown(), shown.as_ref(), "own {own}, budget {budget}");
                assert_eq!(m.workspace(), whole.workspace(), "own {own}, budget {budget}");
                assert_eq!(m.lookup(), whole.lookup());
                assert_eq!(m.pipeline(), whole.pipeline());
                assert_eq!(m.activities_rev(), whole.activities_rev());
                let (a, b) = (m.index().unwrap(), whole.index().unwrap());
                assert_eq!(a.pipeline, b.pipeline);
                assert_eq!(report_on(a, &q), report_on(b, &q), "own {own}, budget {budget}");
            }
        }
    }
}
