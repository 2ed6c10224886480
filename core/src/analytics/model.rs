//! The app's in-memory model: the workspace and the analytics index of the pipeline on
//! screen, owned together and changed together, only by change lists that have been stored
//! (or, on load, by what was read). The UI holds one of these; nothing else keeps a copy.

use super::Flow;
use crate::domain::{Change, Id, Lookup, Workspace};
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
        let chosen = match wanted {
            Some(id) if self.ws.pipeline(&id).is_some_and(|p| p.deleted_at.is_none()) => Some(id),
            _ => self.ws.live_pipelines().next().map(|p| p.id.clone()),
        };
        self.pipeline = chosen.clone();
        self.rebuild();
        chosen
    }

    /// Everything replaced (a load, a replace, a restore); the shown pipeline stays if it
    /// still exists. Returns what is shown.
    pub fn replace(&mut self, ws: Workspace) -> Option<Id> {
        self.activities_rev += 1;
        self.at = Lookup::of(&ws);
        self.ws = ws;
        self.select(self.pipeline.clone())
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
