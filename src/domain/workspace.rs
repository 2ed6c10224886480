//! The workspace: pipelines, deals and the event log, and the commands that change them.
//!
//! Commands are *planned* against an immutable workspace, producing a list of `Change`s.
//! The UI persists those changes first and only then `commit`s them to memory, so what
//! the user sees never runs ahead of what is stored.

use super::error::{DomainError, Field};
use super::event::{CategoryChange, StageChange};
use super::ids::{Id, IdGen};
use super::opportunity::{DealDraft, Opportunity};
use super::pipeline::{from_template, Lang, Pipeline, StageKind, Template};
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use std::collections::{HashMap, HashSet};

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Workspace {
    pub pipelines: Vec<Pipeline>,
    pub deals: Vec<Opportunity>,
    /// Append order. Readers order a deal's events by (`at`, position in this list).
    pub events: Vec<StageChange>,
    /// Forecast-category calls, append-only like `events`.
    #[serde(default)]
    pub category_changes: Vec<CategoryChange>,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Command {
    CreatePipeline { template: Template, lang: Lang },
    /// The stage editor's result: `stages` lists the stages to keep, in board order.
    SavePipeline(Pipeline),
    CreateDeal { pipeline: Id, stage: Option<Id>, draft: DealDraft },
    UpdateDeal { deal: Id, draft: DealDraft },
    MoveDeal { deal: Id, to: Id, note: String, lost_reason: String },
}

/// One record to persist. Events are only ever appended.
#[derive(Clone, Debug, PartialEq)]
pub enum Change {
    PutPipeline(Pipeline),
    PutDeal(Opportunity),
    AppendEvent(StageChange),
    AppendCategory(CategoryChange),
}

pub type Rejection = Vec<(Field, DomainError)>;

fn reject<T>(field: Field, e: DomainError) -> Result<T, Rejection> {
    Err(vec![(field, e)])
}

/// What a command needs from the outside world: the clock and fresh ids.
pub struct Ctx<'a> {
    pub now: DateTime<Utc>,
    pub ids: &'a mut IdGen,
    /// This device's id, stamped on the records it edits.
    pub device: &'a str,
}

impl Workspace {
    /// Builds a workspace from stored records; each deal's stage is re-derived from the log.
    pub fn from_records(pipelines: Vec<Pipeline>, deals: Vec<Opportunity>, events: Vec<StageChange>) -> Self {
        let mut ws = Workspace { pipelines, deals, events, category_changes: Vec::new() };
        ws.derive_stages();
        ws
    }

    pub fn pipeline(&self, id: &Id) -> Option<&Pipeline> {
        self.pipelines.iter().find(|p| &p.id == id)
    }

    pub fn deal(&self, id: &Id) -> Option<&Opportunity> {
        self.deals.iter().find(|d| &d.id == id)
    }

    /// For every deal: its last event (by time, then log position).
    pub fn last_events(&self) -> HashMap<&Id, &StageChange> {
        let mut last: HashMap<&Id, &StageChange> = HashMap::with_capacity(self.deals.len());
        for e in &self.events {
            match last.get(&e.opportunity) {
                Some(prev) if prev.at > e.at => {}
                _ => {
                    last.insert(&e.opportunity, e);
                }
            }
        }
        last
    }

    /// The current stage of every deal is the target of its last event.
    pub fn derive_stages(&mut self) {
        let current: HashMap<Id, Id> =
            self.last_events().into_iter().map(|(d, e)| (d.clone(), e.to.clone())).collect();
        for d in &mut self.deals {
            if let Some(s) = current.get(&d.id) {
                d.stage = s.clone();
            }
        }
    }

    /// A deal's events in the order they happened.
    pub fn history(&self, deal: &Id) -> Vec<&StageChange> {
        let mut h: Vec<&StageChange> = self.events.iter().filter(|e| &e.opportunity == deal).collect();
        h.sort_by_key(|e| e.at); // stable: ties keep log order
        h
    }

    /// Deals currently in each stage.
    pub fn deals_by_stage(&self) -> HashMap<&Id, Vec<&Opportunity>> {
        let mut m: HashMap<&Id, Vec<&Opportunity>> = HashMap::new();
        for d in &self.deals {
            m.entry(&d.stage).or_default().push(d);
        }
        m
    }

    pub fn plan(&self, cmd: Command, ctx: &mut Ctx) -> Result<Vec<Change>, Rejection> {
        match cmd {
            Command::CreatePipeline { template, lang } => {
                Ok(vec![Change::PutPipeline(from_template(template, lang, ctx.ids))])
            }
            Command::SavePipeline(p) => self.plan_save_pipeline(p, ctx.now),
            Command::CreateDeal { pipeline, stage, draft } => self.plan_create_deal(pipeline, stage, draft, ctx),
            Command::UpdateDeal { deal, draft } => {
                let Some(old) = self.deal(&deal) else { return reject(Field::Title, DomainError::UnknownDeal) };
                let f = draft.validate()?;
                let call = (f.forecast_category != old.forecast_category).then(|| CategoryChange {
                    id: ctx.ids.next_id(),
                    opportunity: old.id.clone(),
                    category: f.forecast_category,
                    at: ctx.now,
                });
                let mut updated = Opportunity {
                    title: f.title,
                    account: f.account,
                    contact: f.contact,
                    amount: f.amount,
                    currency: f.currency,
                    owner: f.owner,
                    source: f.source,
                    expected_close: f.expected_close,
                    notes: f.notes,
                    tags: f.tags,
                    forecast_category: f.forecast_category,
                    updated_at: ctx.now,
                    device: ctx.device.to_string(),
                    ..old.clone()
                };
                for ((name, new), (_, before)) in updated.fields().into_iter().zip(old.fields()) {
                    if new != before {
                        updated.field_times.insert(name.to_string(), ctx.now);
                    }
                }
                Ok(std::iter::once(Change::PutDeal(updated)).chain(call.map(Change::AppendCategory)).collect())
            }
            Command::MoveDeal { deal, to, note, lost_reason } => self.plan_move(deal, to, note, lost_reason, ctx),
        }
    }

    /// Applies changes that were planned against this workspace (and have been stored).
    pub fn commit(&mut self, changes: Vec<Change>) {
        for c in changes {
            match c {
                Change::PutPipeline(p) => match self.pipelines.iter_mut().find(|x| x.id == p.id) {
                    Some(slot) => *slot = p,
                    None => self.pipelines.push(p),
                },
                Change::PutDeal(d) => match self.deals.iter_mut().find(|x| x.id == d.id) {
                    Some(slot) => *slot = d,
                    None => self.deals.push(d),
                },
                Change::AppendEvent(e) => {
                    if let Some(d) = self.deals.iter_mut().find(|d| d.id == e.opportunity) {
                        d.stage = e.to.clone();
                    }
                    self.events.push(e);
                }
                Change::AppendCategory(c) => self.category_changes.push(c),
            }
        }
    }

    fn plan_create_deal(
        &self,
        pipeline: Id,
        stage: Option<Id>,
        draft: DealDraft,
        ctx: &mut Ctx,
    ) -> Result<Vec<Change>, Rejection> {
        let Some(p) = self.pipeline(&pipeline) else { return reject(Field::Stage, DomainError::UnknownPipeline) };
        let stage = match stage {
            Some(s) => match p.stage(&s) {
                Some(st) if st.archived => return reject(Field::Stage, DomainError::StageArchived),
                Some(st) => st.id.clone(),
                None => return reject(Field::Stage, DomainError::UnknownStage),
            },
            None => match p.first_open_stage() {
                Some(s) => s.id.clone(),
                None => return reject(Field::Stage, DomainError::NeedsOpenStage),
            },
        };
        let f = draft.validate()?;
        let deal = Opportunity {
            id: ctx.ids.next_id(),
            pipeline,
            title: f.title,
            account: f.account,
            contact: f.contact,
            amount: f.amount,
            currency: f.currency,
            owner: f.owner,
            source: f.source,
            created_at: ctx.now,
            updated_at: ctx.now,
            expected_close: f.expected_close,
            stage: stage.clone(),
            lost_reason: String::new(),
            notes: f.notes,
            tags: f.tags,
            forecast_category: f.forecast_category,
            field_times: Default::default(),
            device: ctx.device.to_string(),
        };
        let created = StageChange {
            id: ctx.ids.next_id(),
            opportunity: deal.id.clone(),
            from: None,
            to: stage,
            at: ctx.now,
            note: String::new(),
        };
        let call = (deal.forecast_category != super::opportunity::ForecastCategory::Pipeline).then(|| CategoryChange {
            id: ctx.ids.next_id(),
            opportunity: deal.id.clone(),
            category: deal.forecast_category,
            at: ctx.now,
        });
        Ok([Change::PutDeal(deal), Change::AppendEvent(created)].into_iter().chain(call.map(Change::AppendCategory)).collect())
    }

    fn plan_move(
        &self,
        deal: Id,
        to: Id,
        note: String,
        lost_reason: String,
        ctx: &mut Ctx,
    ) -> Result<Vec<Change>, Rejection> {
        let Some(d) = self.deal(&deal) else { return reject(Field::Stage, DomainError::UnknownDeal) };
        let Some(p) = self.pipeline(&d.pipeline) else { return reject(Field::Stage, DomainError::UnknownPipeline) };
        let target = match p.stage(&to) {
            None => return reject(Field::Stage, DomainError::UnknownStage),
            Some(s) if s.archived => return reject(Field::Stage, DomainError::StageArchived),
            Some(s) => s,
        };
        if d.stage == to {
            return reject(Field::Stage, DomainError::AlreadyInStage);
        }
        // Another device's clock may be ahead: keep each deal's log strictly increasing in
        // time so "the last event is the current stage" always holds.
        let last_at = self.history(&deal).last().map(|e| e.at);
        let at = match last_at {
            Some(t) if t >= ctx.now => t + Duration::milliseconds(1),
            _ => ctx.now,
        };
        let note = note.trim().to_string();
        let lost_reason = lost_reason.trim().to_string();
        let mut updated = d.clone();
        updated.stage = to.clone();
        updated.updated_at = ctx.now;
        updated.lost_reason = if target.kind == StageKind::Lost { lost_reason.clone() } else { String::new() };
        updated.device = ctx.device.to_string();
        if updated.lost_reason != d.lost_reason {
            updated.field_times.insert("lost_reason".into(), at);
        }
        let note = if note.is_empty() { lost_reason } else if lost_reason.is_empty() { note } else { format!("{lost_reason} — {note}") };
        let ev = StageChange { id: ctx.ids.next_id(), opportunity: deal, from: Some(d.stage.clone()), to, at, note };
        Ok(vec![Change::PutDeal(updated), Change::AppendEvent(ev)])
    }

    fn plan_save_pipeline(&self, mut p: Pipeline, now: DateTime<Utc>) -> Result<Vec<Change>, Rejection> {
        p.updated_at = Some(now);
        let Some(old) = self.pipeline(&p.id) else { return reject(Field::PipelineName, DomainError::UnknownPipeline) };
        p.name = p.name.trim().to_string();
        if p.name.is_empty() {
            return reject(Field::PipelineName, DomainError::PipelineNameRequired);
        }
        let mut errors = Vec::new();
        let mut names = HashSet::new();
        for (i, s) in p.stages.iter_mut().enumerate() {
            s.name = s.name.trim().to_string();
            s.archived = false;
            s.entry_criteria = tidy_list(&s.entry_criteria);
            s.exit_criteria = tidy_list(&s.exit_criteria);
            if s.name.is_empty() {
                errors.push((Field::Stage, DomainError::StageNameRequired { position: i + 1 }));
            } else if !names.insert(s.name.to_lowercase()) {
                errors.push((Field::Stage, DomainError::DuplicateStageName(s.name.clone())));
            }
            if s.probability > 100 {
                errors.push((Field::Stage, DomainError::ProbabilityOutOfRange { stage: s.name.clone() }));
            }
        }
        let count = |k: StageKind| p.stages.iter().filter(|s| s.kind == k).count();
        if count(StageKind::Open) == 0 {
            errors.push((Field::Stage, DomainError::NeedsOpenStage));
        }
        if count(StageKind::Won) != 1 {
            errors.push((Field::Stage, DomainError::NeedsOneWonStage));
        }
        if count(StageKind::Lost) != 1 {
            errors.push((Field::Stage, DomainError::NeedsOneLostStage));
        }
        let first_terminal = p.stages.iter().position(|s| s.kind.is_terminal()).unwrap_or(p.stages.len());
        if p.stages[first_terminal..].iter().any(|s| s.kind == StageKind::Open) {
            errors.push((Field::Stage, DomainError::TerminalStagesLast));
        }
        let occupancy = self.deals_by_stage();
        let in_stage = |id: &Id| occupancy.get(id).map_or(0, |v| v.len());
        for s in &p.stages {
            if let Some(prev) = old.stage(&s.id) {
                if prev.kind != s.kind && in_stage(&s.id) > 0 {
                    errors.push((Field::Stage, DomainError::StageKindChangedWithDeals { stage: s.name.clone() }));
                }
            }
        }
        // Removed stages: refuse while deals sit there; keep (archived) when history mentions them.
        let referenced: HashSet<&Id> =
            self.events.iter().flat_map(|e| e.from.iter().chain(std::iter::once(&e.to))).collect();
        let mut archived = Vec::new();
        for s in &old.stages {
            if p.stage(&s.id).is_some() {
                continue;
            }
            let n = in_stage(&s.id);
            if n > 0 {
                errors.push((Field::Stage, DomainError::StageHasDeals { stage: s.name.clone(), deals: n }));
            } else if referenced.contains(&s.id) {
                archived.push(super::pipeline::Stage { archived: true, ..s.clone() });
            }
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        p.stages.extend(archived);
        Ok(vec![Change::PutPipeline(p)])
    }
}

fn tidy_list(items: &[String]) -> Vec<String> {
    items.iter().map(|s| s.trim().to_string()).filter(|s| !s.is_empty()).collect()
}
