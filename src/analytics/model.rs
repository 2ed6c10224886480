//! The app's in-memory model: the workspace and the analytics index of the pipeline on
//! screen, owned together and changed together, only by change lists that have been stored
//! (or, on load, by what was read). The UI holds one of these; nothing else keeps a copy.

use super::Flow;
use crate::domain::{Change, Id, Workspace};

#[derive(Clone, Debug, Default)]
pub struct Model {
    ws: Workspace,
    pipeline: Option<Id>,
    index: Option<Flow>,
}

impl Model {
    pub fn workspace(&self) -> &Workspace {
        &self.ws
    }

    /// The index of the shown pipeline (None without pipelines).
    pub fn index(&self) -> Option<&Flow> {
        self.index.as_ref()
    }

    pub fn pipeline(&self) -> Option<&Id> {
        self.pipeline.as_ref()
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
        let in_order = {
            let last = self.ws.events.last().map(|e| e.key());
            changes.iter().all(|c| match (c, &last) {
                (Change::AppendEvent(e), Some(l)) => e.key() >= *l,
                _ => true,
            })
        };
        // Stops at the first change the index cannot follow: it is rebuilt below anyway.
        let kept = in_order
            && match self.index.as_mut() {
                Some(flow) => changes.iter().all(|c| flow.apply(c)),
                None => false,
            };
        self.ws.commit(changes);
        if new_pipeline.is_some() && (own || self.pipeline.is_none()) {
            return self.select(new_pipeline);
        }
        // The shown pipeline went to the trash (here or in another tab): show another.
        if self.pipeline.as_ref().is_some_and(|id| self.ws.pipeline(id).is_none_or(|p| p.deleted_at.is_some())) {
            return self.select(None);
        }
        if !kept {
            self.rebuild();
        }
        None
    }
}
