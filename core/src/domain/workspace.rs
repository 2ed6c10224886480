//! The workspace: pipelines, deals and the event log, and the commands that change them.
//!
//! Commands are *planned* against an immutable workspace, producing a list of `Change`s.
//! The UI persists those changes first and only then `commit`s them to memory, so what
//! the user sees never runs ahead of what is stored.

use super::activity::{Activity, ActivityDraft};
use super::error::{DomainError, Field};
use super::lead::{AssignRule, Lead, LeadDraft, LeadStatus, Owner, Settings};
use super::lookup::Lookup;
use super::event::{CategoryChange, StageChange};
use super::ids::{head_u64, FxMap, FxSet, Hlc, Id, IdGen, IdIndex};
use super::opportunity::{DealDraft, DealFields, Opportunity};
use super::pipeline::{from_template, Lang, Pipeline, StageKind, Template};
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use std::collections::{HashMap, HashSet};

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Workspace {
    pub pipelines: Vec<Pipeline>,
    pub deals: Vec<Opportunity>,
    /// The stage-change log, always sorted by `StageChange::key` (time, clock stamp, id):
    /// one total order that every reader uses and that survives storage, export and merge.
    pub events: Vec<StageChange>,
    /// Forecast-category calls, append-only like `events` and sorted the same way.
    #[serde(default)]
    pub category_changes: Vec<CategoryChange>,
    /// Calls, meetings, emails, notes and tasks on deals and leads, in no particular order.
    #[serde(default)]
    pub activities: Vec<Activity>,
    /// The people who own deals and leads.
    #[serde(default)]
    pub owners: Vec<Owner>,
    #[serde(default)]
    pub leads: Vec<Lead>,
    #[serde(default)]
    pub settings: Settings,
    #[serde(default)]
    pub accounts: Vec<super::account::Account>,
    #[serde(default)]
    pub contacts: Vec<super::account::Contact>,
}

/// Each deal's last event (by `StageChange::key`, so the log need not be in order).
fn last_events_in(events: &[StageChange], deals: usize) -> FxMap<&Id, &StageChange> {
    let mut last: FxMap<&Id, &StageChange> = FxMap::with_capacity_and_hasher(deals, Default::default());
    for e in events {
        match last.get(&e.opportunity) {
            Some(prev) if prev.key() > e.key() => {}
            _ => {
                last.insert(&e.opportunity, e);
            }
        }
    }
    last
}

// Commands and changes live briefly in small lists; boxing the big variants buys nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Clone, Debug, PartialEq)]
pub enum Command {
    CreatePipeline { template: Template, lang: Lang },
    /// The stage editor's result: `pipeline.stages` lists the stages to keep, in board
    /// order. `base` is the pipeline as the editor loaded it: stages added since then
    /// elsewhere (another tab), which the editor never showed, are kept, not removed.
    SavePipeline { pipeline: Pipeline, base: Option<Pipeline> },
    CreateDeal { pipeline: Id, stage: Option<Id>, draft: DealDraft },
    /// `base` is what the form showed when it opened: only the fields the user changed
    /// are written, so an edit never reverts a field someone changed meanwhile. None:
    /// every field of `draft` is written.
    UpdateDeal { deal: Id, draft: DealDraft, base: Option<DealDraft> },
    /// `from` is the stage the user saw the deal in: if it has moved since (another tab
    /// or device), the move is refused rather than recording a second exit from `from`.
    /// `ticked`: the target stage's entry criteria the user ticked (recorded on the event;
    /// all of them are needed when the stage makes its criteria required).
    MoveDeal { deal: Id, from: Option<Id>, to: Id, note: String, lost_reason: String, ticked: Vec<String> },
    /// Logs a call, meeting, email or note, or schedules a task, on a deal, a lead, an
    /// account or a contact.
    LogActivity { on: super::activity::ActivityOn, draft: ActivityDraft },
    /// Marks a task done (or open again).
    CompleteTask { activity: Id, done: bool },
    /// Moves a task's due time.
    RescheduleTask { activity: Id, due: ActivityDraft },
    AddOwner { name: String },
    SetOwnerActive { owner: Id, active: bool },
    /// New leads (quick add, a pasted block, a spreadsheet); the saved assignment rule
    /// gives each one without an owner its owner on arrival.
    AddLeads { drafts: Vec<LeadDraft> },
    /// Assigns open leads by `rule`, which becomes the rule for new leads.
    AssignLeads { leads: Vec<Id>, rule: AssignRule },
    /// Makes a lead a deal in `pipeline` (first open stage unless `stage`), keeping the link.
    QualifyLead { lead: Id, pipeline: Id, stage: Option<Id> },
    DisqualifyLead { lead: Id, reason: String },
    /// `duplicate` is folded into `keep` (blank fields filled, notes kept) and closed as a
    /// duplicate.
    MergeLeads { keep: Id, duplicate: Id },
    /// Links every deal whose account or contact text has no (or an outdated) record to
    /// the matching record, creating it when new: the one-time move of free text into
    /// records, and after imports.
    LinkAccounts,
    /// Renames an account; the deals linked to it take the new name.
    RenameAccount { account: Id, name: String },
    /// Folds `duplicate` into `keep`: its deals, contacts and activities move over and it
    /// leaves the lists (kept as a pointer, so files that still name it link to `keep`).
    MergeAccounts { keep: Id, duplicate: Id },
    /// A contact's name, email and phone; the deals linked to it take a new name.
    UpdateContact { contact: Id, name: String, email: String, phone: String },
    /// Puts deals in the trash (restorable until the trash is emptied).
    DeleteDeals { deals: Vec<Id> },
    RestoreDeals { deals: Vec<Id> },
    /// Removes the trashed deals for good: each leaves a blank tombstone (so a teammate's
    /// older file cannot bring it back) and its history goes.
    EmptyTrash,
    /// The list view's bulk edit: one change to every chosen deal.
    EditDeals { deals: Vec<Id>, edit: BulkEdit },
    /// A pipeline (with its deals) to the trash, or back.
    RemovePipeline { pipeline: Id },
    RestorePipeline { pipeline: Id },
    /// A new pipeline with the same stages, criteria and reasons (new ids), no deals.
    DuplicatePipeline { pipeline: Id },
    /// The pipeline's targets, all at once (the targets editor's list).
    SetTargets { pipeline: Id, targets: Vec<super::target::Target> },
    /// Takes an undo entry back (undo; for an entry an undo made, redo).
    Undo(super::undo::Entry),
    /// The reporting currency ("" turns conversion off). Rates are quoted in it, so a
    /// different one is refused while rates exist unless `clear_rates` removes them.
    SetReportingCurrency { currency: String, clear_rates: bool },
    /// Adds rates (typed or imported); one for the same currency and day replaces it.
    PutRates(Vec<super::rates::Rate>),
    /// Removes the rate of `currency` dated `on`.
    RemoveRate { currency: String, on: chrono::NaiveDate },
}

/// One change applied to many deals at once.
#[derive(Clone, Debug, PartialEq)]
pub enum BulkEdit {
    Owner(String),
    AddTag(String),
    RemoveTag(String),
    /// Moves every chosen deal not already there; a Lost stage takes the reason.
    Stage { to: Id, lost_reason: String },
}

/// One record to persist. Events are only ever appended.
#[allow(clippy::large_enum_variant)]
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Change {
    PutPipeline(Pipeline),
    PutDeal(Opportunity),
    AppendEvent(StageChange),
    AppendCategory(CategoryChange),
    PutActivity(Activity),
    PutOwner(Owner),
    PutLead(Lead),
    PutSettings(Settings),
    PutAccount(super::account::Account),
    PutContact(super::account::Contact),
    /// A trashed deal removed for good: the record becomes `tombstone`; its events,
    /// forecast calls and activities (by id) are deleted.
    PurgeDeal { tombstone: Opportunity, events: Vec<Id>, calls: Vec<Id>, activities: Vec<Id> },
}

/// Gives every appended record that has none its clock stamp, in list order: the write
/// path calls this just before storing, so the stored order is the order things happened
/// in on this device, even within one millisecond.
pub fn stamp(changes: &mut [Change], clock: &mut Hlc, now_ms: i64) {
    for c in changes {
        match c {
            Change::AppendEvent(e) if e.seq == 0 => e.seq = clock.tick(now_ms),
            Change::AppendCategory(c) if c.seq == 0 => c.seq = clock.tick(now_ms),
            _ => {}
        }
    }
}

/// Times the app accepts, from imports and devices alike: 1970-01-01 up to (not
/// including) 2200-01-01. Anything else is a typo or a crafted file, and date arithmetic
/// near chrono's limits overflows.
pub fn sane_time(t: DateTime<Utc>) -> bool {
    (0..7_258_118_400).contains(&t.timestamp())
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

/// The deal with the validated form content in place of its own.
fn with_fields(d: &Opportunity, f: DealFields) -> Opportunity {
    Opportunity {
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
        probability: f.probability,
        probability_reason: f.probability_reason,
        ..d.clone()
    }
}

impl Workspace {
    /// Builds a workspace from stored records; each deal's stage is re-derived from the log.
    pub fn from_records(pipelines: Vec<Pipeline>, deals: Vec<Opportunity>, events: Vec<StageChange>) -> Self {
        let mut ws = Workspace { pipelines, deals, events, ..Default::default() };
        ws.order_logs();
        ws.derive_stages();
        ws
    }

    /// Sorts both logs into their total order (records come back from IndexedDB in id
    /// order, from files in file order).
    pub fn order_logs(&mut self) {
        // A stable sort merges runs: a sorted log with a batch appended (sync, merge) costs
        // about one pass, not a full sort.
        self.events.sort_by(|a, b| a.key().cmp(&b.key()));
        self.category_changes.sort_by(|a, b| a.key().cmp(&b.key()));
    }

    /// Keyed records in id order (the order storage reads them back in); logs untouched.
    pub fn sort_by_id(&mut self) {
        self.pipelines.sort_by(|a, b| a.id.cmp(&b.id));
        self.deals.sort_by(|a, b| a.id.cmp(&b.id));
        self.activities.sort_by(|a, b| a.id.cmp(&b.id));
        self.owners.sort_by(|a, b| a.id.cmp(&b.id));
        self.leads.sort_by(|a, b| a.id.cmp(&b.id));
        self.accounts.sort_by(|a, b| a.id.cmp(&b.id));
        self.contacts.sort_by(|a, b| a.id.cmp(&b.id));
    }

    /// The highest clock stamp in the logs, for `Hlc::observe` after loading.
    pub fn max_seq(&self) -> u64 {
        let e = self.events.iter().map(|e| e.seq).max().unwrap_or(0);
        e.max(self.category_changes.iter().map(|c| c.seq).max().unwrap_or(0))
    }

    pub fn pipeline(&self, id: &Id) -> Option<&Pipeline> {
        self.pipelines.iter().find(|p| &p.id == id)
    }

    pub fn deal(&self, id: &Id) -> Option<&Opportunity> {
        self.deals.iter().find(|d| &d.id == id)
    }

    /// For every deal: its last event in the log's order.
    pub fn last_events(&self) -> FxMap<&Id, &StageChange> {
        last_events_in(&self.events, self.deals.len())
    }

    /// `derive_stages` for some deals only (the log in order): each one's last event is
    /// the last in the log that names it, found by reading the log from its end.
    pub fn derive_stages_of(&mut self, deals: &FxSet<Id>) {
        let mut current: FxMap<&Id, &Id> = FxMap::default();
        for e in self.events.iter().rev() {
            if current.len() == deals.len() {
                break;
            }
            if deals.contains(&e.opportunity) {
                current.entry(&e.opportunity).or_insert(&e.to);
            }
        }
        let current: FxMap<Id, Id> = current.into_iter().map(|(d, s)| (d.clone(), s.clone())).collect();
        for d in &mut self.deals {
            if let Some(s) = current.get(&d.id) {
                d.stage = s.clone();
            }
        }
    }

    /// The current stage of every deal is the target of its last event.
    pub fn derive_stages(&mut self) {
        let mut d = StageDeriver::new(self);
        d.step(self, usize::MAX);
        d.finish(self);
    }

    /// A deal's events in the order they happened.
    pub fn history(&self, deal: &Id) -> Vec<&StageChange> {
        let mut h: Vec<&StageChange> = self.events.iter().filter(|e| &e.opportunity == deal).collect();
        h.sort_by(|a, b| a.key().cmp(&b.key()));
        h
    }

    /// When a new event of `deal` made at `now` happens: now, or a millisecond after the
    /// deal's last event when that is not before now (another device's clock ahead, or a
    /// second move within the millisecond), so each deal's log stays strictly increasing
    /// and "the last event is the current stage" holds. None past chrono's range.
    pub fn next_event_at(&self, deal: &Id, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        // The log is in time order (every load orders it, `commit` keeps it): when its
        // newest event is before now, so is the deal's, and the log is not searched. The
        // search was most of a move's planning (100,000 events at 10,000 deals, ≈ 1–2 ms
        // of wasm, a CPU profile showed), on the way from the keypress to the board.
        debug_assert!(self.events.is_sorted_by(|a, b| a.key() <= b.key()), "the log is in order");
        if self.events.last().is_none_or(|e| e.at < now) {
            return Some(now);
        }
        match self.events.iter().rev().find(|e| &e.opportunity == deal) {
            Some(e) if e.at >= now => e.at.checked_add_signed(Duration::milliseconds(1)),
            _ => Some(now),
        }
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
        if !sane_time(ctx.now) {
            return reject(Field::Stage, DomainError::DateOutOfRange);
        }
        match cmd {
            Command::CreatePipeline { template, lang } => {
                // Names are unique: a second "B2B sales" becomes "B2B sales (2)".
                let mut p = from_template(template, lang, ctx.ids);
                let base = p.name.clone();
                let mut n = 1;
                while self.pipeline_named(&p.name, None) {
                    n += 1;
                    p.name = format!("{base} ({n})");
                }
                Ok(vec![Change::PutPipeline(p)])
            }
            Command::SavePipeline { pipeline, base } => self.plan_save_pipeline(pipeline, base, ctx.now),
            Command::CreateDeal { pipeline, stage, draft } => self.plan_create_deal(pipeline, stage, draft, ctx),
            Command::UpdateDeal { deal, draft, base } => self.plan_update_deal(deal, draft, base, ctx),
            Command::MoveDeal { deal, from, to, note, lost_reason, ticked } => self.plan_move(deal, from, to, note, lost_reason, ticked, ctx),
            Command::LogActivity { on, draft } => self.plan_log_activity(on, draft, ctx),
            Command::CompleteTask { activity, done } => self.plan_task_edit(activity, ctx, |a, now| {
                a.done_at = if done { Some(a.done_at.unwrap_or(now)) } else { None };
                Ok(())
            }),
            Command::AddOwner { name } => self.plan_add_owner(name, ctx),
            Command::SetOwnerActive { owner, active } => {
                let Some(o) = self.owners.iter().find(|o| o.id == owner) else { return reject(Field::Owner, DomainError::UnknownOwner) };
                if o.active == active {
                    return Ok(Vec::new());
                }
                Ok(vec![Change::PutOwner(Owner { active, updated_at: ctx.now, device: ctx.device.to_string(), ..o.clone() })])
            }
            Command::AddLeads { drafts } => self.plan_add_leads(drafts, ctx),
            Command::AssignLeads { leads, rule } => self.plan_assign(leads, rule, ctx),
            Command::QualifyLead { lead, pipeline, stage } => self.plan_qualify(lead, pipeline, stage, ctx),
            Command::DisqualifyLead { lead, reason } => {
                let reason = reason.trim().to_string();
                if reason.is_empty() {
                    return reject(Field::Notes, DomainError::ReasonRequired);
                }
                let l = self.open_lead(&lead)?;
                Ok(vec![Change::PutLead(Lead {
                    status: LeadStatus::Disqualified,
                    status_at: Some(ctx.now),
                    disqualify_reason: reason,
                    updated_at: ctx.now,
                    device: ctx.device.to_string(),
                    ..l.clone()
                })])
            }
            Command::MergeLeads { keep, duplicate } => self.plan_merge_leads(keep, duplicate, ctx),
            Command::LinkAccounts => {
                let mut linker = super::account::Linker::new(&self.accounts, &self.contacts);
                let mut deals = Vec::new();
                let stale: Vec<&Opportunity> = self.deals.iter().filter(|d| linker.needs_link(d)).collect();
                for d in stale {
                    let mut d = d.clone();
                    if linker.link(&mut d, ctx.now, ctx.ids, ctx.device) {
                        deals.push(Change::PutDeal(d));
                    }
                }
                Ok(linker.records().chain(deals).collect())
            }
            Command::RenameAccount { account, name } => self.plan_rename_account(account, name, ctx),
            Command::MergeAccounts { keep, duplicate } => self.plan_merge_accounts(keep, duplicate, ctx),
            Command::UpdateContact { contact, name, email, phone } => self.plan_update_contact(contact, name, email, phone, ctx),
            Command::DeleteDeals { deals } => self.plan_trash(deals, Some(ctx.now), ctx),
            Command::RestoreDeals { deals } => self.plan_trash(deals, None, ctx),
            Command::EmptyTrash => Ok(self.plan_empty_trash(ctx)),
            Command::EditDeals { deals, edit } => self.plan_bulk(deals, edit, ctx),
            Command::RemovePipeline { pipeline } => self.plan_pipeline_trash(pipeline, Some(ctx.now), ctx),
            Command::RestorePipeline { pipeline } => self.plan_pipeline_trash(pipeline, None, ctx),
            Command::DuplicatePipeline { pipeline } => self.plan_duplicate_pipeline(pipeline, ctx),
            Command::Undo(entry) => super::undo::plan_undo(self, &entry, ctx),
            Command::SetReportingCurrency { currency, clear_rates } => {
                let old = &self.settings.exchange;
                let currency = currency.trim().to_uppercase();
                if currency == old.reporting {
                    return Ok(Vec::new());
                }
                if !old.rates.is_empty() && !clear_rates {
                    return reject(Field::Currency, DomainError::RatesQuotedIn(old.reporting.clone()));
                }
                let rates = if clear_rates { Vec::new() } else { old.rates.clone() };
                self.plan_exchange(super::rates::ExchangeRates { reporting: currency, rates, updated_at: None }, ctx)
            }
            Command::PutRates(rates) => {
                let old = &self.settings.exchange;
                if !old.is_on() {
                    return reject(Field::Currency, DomainError::NoReportingCurrency);
                }
                let mut all = old.rates.clone();
                all.extend(rates);
                self.plan_exchange(super::rates::ExchangeRates { rates: all, ..old.clone() }, ctx)
            }
            Command::RemoveRate { currency, on } => {
                let old = &self.settings.exchange;
                let rates = old.rates.iter().filter(|r| !(r.currency == currency && r.on == on)).cloned().collect();
                self.plan_exchange(super::rates::ExchangeRates { rates, ..old.clone() }, ctx)
            }
            Command::SetTargets { pipeline, targets } => {
                let Some(p) = self.pipeline(&pipeline) else { return reject(Field::PipelineName, DomainError::UnknownPipeline) };
                let mut kept: Vec<super::target::Target> = Vec::new();
                for mut t in targets {
                    t.owner = t.owner.trim().to_string();
                    t.currency = t.currency.trim().to_uppercase();
                    if t.metric != super::target::Metric::WonAmount {
                        t.currency.clear();
                    }
                    t.check().map_err(|e| vec![(Field::Amount, e)])?;
                    // Setting a target again replaces it.
                    kept.retain(|k| !k.same_slot(&t));
                    kept.push(t);
                }
                if kept == p.targets {
                    return Ok(Vec::new());
                }
                Ok(vec![Change::PutPipeline(Pipeline { targets: kept, updated_at: Some(ctx.now), ..p.clone() })])
            }
            Command::RescheduleTask { activity, due } => {
                let at = ActivityDraft { subject: "·".into(), ..due }.validate().map(|f| f.at)?;
                self.plan_task_edit(activity, ctx, |a, _| {
                    a.at = at;
                    Ok(())
                })
            }
        }
    }

    pub fn lead(&self, id: &Id) -> Option<&Lead> {
        self.leads.iter().find(|l| &l.id == id)
    }

    fn open_lead(&self, id: &Id) -> Result<&Lead, Rejection> {
        match self.lead(id) {
            None => reject(Field::Title, DomainError::UnknownLead),
            Some(l) if l.status != LeadStatus::Open => reject(Field::Title, DomainError::LeadClosed),
            Some(l) => Ok(l),
        }
    }

    fn plan_add_owner(&self, name: String, ctx: &mut Ctx) -> Result<Vec<Change>, Rejection> {
        let name = name.trim().to_string();
        if name.is_empty() {
            return reject(Field::Owner, DomainError::OwnerNameRequired);
        }
        if name.chars().count() > 200 {
            return reject(Field::Owner, DomainError::TooLong { field: Field::Owner, max: 200 });
        }
        if self.owners.iter().any(|o| o.name.to_lowercase() == name.to_lowercase()) {
            return reject(Field::Owner, DomainError::DuplicateOwner(name));
        }
        Ok(vec![Change::PutOwner(Owner {
            id: ctx.ids.next_id(),
            name,
            active: true,
            created_at: ctx.now,
            updated_at: ctx.now,
            device: ctx.device.to_string(),
            extra: Default::default(),
        })])
    }

    /// Owner records for names used on deals and leads that have none yet (free text
    /// from before owners were records, or from imports): what the Leads page offers to
    /// create so rules and reports name the same people.
    pub fn missing_owners(&self) -> Vec<String> {
        let known: HashSet<String> = self.owners.iter().map(|o| o.name.to_lowercase()).collect();
        // Each distinct name looked at once: a lower-cased copy per deal and lead (237,000
        // at 100,000 deals) sat in the Leads page's first task.
        let mut distinct: FxSet<&str> = FxSet::default();
        for n in self.deals.iter().map(|d| d.owner.trim()).chain(self.leads.iter().map(|l| l.owner.trim())) {
            if !n.is_empty() {
                distinct.insert(n);
            }
        }
        let mut names: Vec<String> = distinct.into_iter().filter(|n| !known.contains(&n.to_lowercase())).map(str::to_string).collect();
        names.sort();
        names
    }

    fn plan_add_leads(&self, drafts: Vec<LeadDraft>, ctx: &mut Ctx) -> Result<Vec<Change>, Rejection> {
        let mut rule = self.settings.lead_rule.clone();
        let mut out = Vec::with_capacity(drafts.len() + 1);
        for (i, d) in drafts.iter().enumerate() {
            let d = d.validate().map_err(|errs| {
                errs.into_iter().map(|(f, e)| (f, DomainError::LeadLine { line: i + 1, problem: Box::new(e) })).collect::<Rejection>()
            })?;
            // An imported arrival time is kept (never later than now: a lead cannot arrive
            // in the future).
            let created = d.created_time().ok().flatten().map_or(ctx.now, |t| t.min(ctx.now));
            let mut lead = Lead {
                id: ctx.ids.next_id(),
                name: d.name,
                company: d.company,
                email: d.email,
                phone: d.phone,
                source: d.source,
                notes: d.notes,
                owner: d.owner,
                created_at: created,
                updated_at: ctx.now,
                device: ctx.device.to_string(),
                ..Default::default()
            };
            if lead.owner.is_empty() {
                if let Some((owner, how)) = rule.as_mut().and_then(|r| r.pick(&lead)) {
                    lead.owner = owner;
                    lead.assigned_by = how;
                    lead.assigned_at = Some(ctx.now);
                }
            }
            out.push(Change::PutLead(lead));
        }
        if rule != self.settings.lead_rule {
            out.push(Change::PutSettings(Settings { lead_rule: rule, updated_at: Some(ctx.now), ..self.settings.clone() }));
        }
        Ok(out)
    }

    /// Stores a changed rate table (checked and sorted); nothing when it is unchanged.
    fn plan_exchange(&self, new: super::rates::ExchangeRates, ctx: &Ctx) -> Result<Vec<Change>, Rejection> {
        let new = new.normalized().map_err(|e| vec![(Field::Currency, e)])?;
        let old = &self.settings.exchange;
        if (&new.reporting, &new.rates) == (&old.reporting, &old.rates) {
            return Ok(Vec::new());
        }
        let exchange = super::rates::ExchangeRates { updated_at: Some(ctx.now), ..new };
        Ok(vec![Change::PutSettings(Settings { exchange, ..self.settings.clone() })])
    }

    fn plan_assign(&self, ids: Vec<Id>, mut rule: AssignRule, ctx: &mut Ctx) -> Result<Vec<Change>, Rejection> {
        let empty = match &rule {
            AssignRule::RoundRobin { owners, .. } => owners.iter().all(|o| o.trim().is_empty()),
            AssignRule::BySource { map, fallback } | AssignRule::ByField { map, fallback, .. } => {
                map.iter().all(|(v, o)| v.trim().is_empty() || o.trim().is_empty()) && fallback.trim().is_empty()
            }
        };
        if empty {
            return reject(Field::Owner, DomainError::RuleWithoutOwners);
        }
        let mut out = Vec::new();
        for id in &ids {
            let l = self.open_lead(id)?;
            if let Some((owner, how)) = rule.pick(l) {
                out.push(Change::PutLead(Lead {
                    owner,
                    assigned_by: how,
                    assigned_at: Some(ctx.now),
                    updated_at: ctx.now,
                    device: ctx.device.to_string(),
                    ..l.clone()
                }));
            }
        }
        out.push(Change::PutSettings(Settings { lead_rule: Some(rule), updated_at: Some(ctx.now), ..self.settings.clone() }));
        Ok(out)
    }

    fn plan_qualify(&self, id: Id, pipeline: Id, stage: Option<Id>, ctx: &mut Ctx) -> Result<Vec<Change>, Rejection> {
        let l = self.open_lead(&id)?.clone();
        let contact = [&l.name, &l.email, &l.phone].iter().filter(|s| !s.is_empty()).map(|s| s.as_str()).collect::<Vec<_>>().join(" · ");
        let draft = DealDraft {
            title: if l.company.is_empty() { l.name.clone() } else { l.company.clone() },
            account: l.company.clone(),
            contact,
            owner: l.owner.clone(),
            source: l.source.clone(),
            notes: l.notes.clone(),
            ..Default::default()
        };
        let mut changes = self.plan_create_deal(pipeline, stage, draft, ctx)?;
        let deal = changes.iter().find_map(|c| if let Change::PutDeal(d) = c { Some(d.id.clone()) } else { None });
        changes.push(Change::PutLead(Lead {
            status: LeadStatus::Qualified,
            status_at: Some(ctx.now),
            deal,
            updated_at: ctx.now,
            device: ctx.device.to_string(),
            ..l
        }));
        Ok(changes)
    }

    fn plan_merge_leads(&self, keep: Id, duplicate: Id, ctx: &mut Ctx) -> Result<Vec<Change>, Rejection> {
        if keep == duplicate {
            return reject(Field::Title, DomainError::UnknownLead);
        }
        let (k, d) = (self.open_lead(&keep)?, self.open_lead(&duplicate)?);
        let fill = |a: &String, b: &String| if a.is_empty() { b.clone() } else { a.clone() };
        let notes = match (k.notes.is_empty(), d.notes.is_empty()) {
            (_, true) => k.notes.clone(),
            (true, false) => d.notes.clone(),
            (false, false) => format!("{}\n{}", k.notes, d.notes),
        };
        let kept = Lead {
            name: fill(&k.name, &d.name),
            company: fill(&k.company, &d.company),
            email: fill(&k.email, &d.email),
            phone: fill(&k.phone, &d.phone),
            source: fill(&k.source, &d.source),
            owner: fill(&k.owner, &d.owner),
            notes,
            updated_at: ctx.now,
            device: ctx.device.to_string(),
            ..k.clone()
        };
        let closed = Lead {
            status: LeadStatus::Disqualified,
            status_at: Some(ctx.now),
            disqualify_reason: super::lead::DISQUALIFY_REASONS[4].0.to_string(),
            notes: if d.notes.is_empty() { format!("→ {}", k.id) } else { format!("{}\n→ {}", d.notes, k.id) },
            updated_at: ctx.now,
            device: ctx.device.to_string(),
            ..d.clone()
        };
        // The duplicate's activities (a first call) now belong to the lead that stays, so its
        // response time counts them.
        let moved = self.activities.iter().filter(|a| a.lead.as_ref() == Some(&duplicate)).map(|a| {
            Change::PutActivity(Activity { lead: Some(keep.clone()), updated_at: ctx.now.max(a.updated_at), device: ctx.device.to_string(), ..a.clone() })
        });
        Ok([Change::PutLead(kept), Change::PutLead(closed)].into_iter().chain(moved).collect())
    }

    fn live_account(&self, id: &Id) -> Result<&super::account::Account, Rejection> {
        match self.accounts.iter().find(|a| &a.id == id) {
            Some(a) if a.merged_into.is_none() => Ok(a),
            _ => reject(Field::Account, DomainError::UnknownAccount),
        }
    }

    /// A deal whose linked account or contact text becomes `text`, edited now.
    fn relabel(d: &Opportunity, field: &str, text: &str, ctx: &Ctx) -> Opportunity {
        let mut d = d.clone();
        match field {
            "account" => d.account = text.to_string(),
            _ => d.contact = text.to_string(),
        }
        let t = ctx.now.max(d.updated_at);
        d.field_times.insert(field.to_string(), t);
        d.updated_at = t;
        d.device = ctx.device.to_string();
        d
    }

    fn plan_rename_account(&self, account: Id, name: String, ctx: &mut Ctx) -> Result<Vec<Change>, Rejection> {
        let a = self.live_account(&account)?;
        let name = name.trim().to_string();
        if name.is_empty() {
            return reject(Field::Account, DomainError::NameRequired);
        }
        if name.chars().count() > 200 {
            return reject(Field::Account, DomainError::TooLong { field: Field::Account, max: 200 });
        }
        let key = super::account::account_key(&name);
        if let Some(other) = self.accounts.iter().find(|x| x.id != account && x.merged_into.is_none() && super::account::account_key(&x.name) == key) {
            return reject(Field::Account, DomainError::AccountExists(other.name.clone()));
        }
        if name == a.name {
            return Ok(Vec::new());
        }
        let renamed = super::account::Account { name: name.clone(), updated_at: ctx.now.max(a.updated_at), device: ctx.device.to_string(), ..a.clone() };
        let deals = self.deals.iter().filter(|d| d.account_id.as_ref() == Some(&account)).map(|d| Change::PutDeal(Self::relabel(d, "account", &name, ctx)));
        Ok(std::iter::once(Change::PutAccount(renamed)).chain(deals).collect())
    }

    fn plan_merge_accounts(&self, keep: Id, duplicate: Id, ctx: &mut Ctx) -> Result<Vec<Change>, Rejection> {
        if keep == duplicate {
            return reject(Field::Account, DomainError::CannotMergeAccount);
        }
        let (k, d) = (self.live_account(&keep)?, self.live_account(&duplicate)?);
        let gone = super::account::Account { merged_into: Some(keep.clone()), updated_at: ctx.now.max(d.updated_at), device: ctx.device.to_string(), ..d.clone() };
        let mut out = vec![Change::PutAccount(gone)];
        for c in self.contacts.iter().filter(|c| c.account.as_ref() == Some(&duplicate)) {
            out.push(Change::PutContact(super::account::Contact { account: Some(keep.clone()), updated_at: ctx.now.max(c.updated_at), device: ctx.device.to_string(), ..c.clone() }));
        }
        for x in self.deals.iter().filter(|x| x.account_id.as_ref() == Some(&duplicate)) {
            let mut moved = Self::relabel(x, "account", &k.name, ctx);
            moved.account_id = Some(keep.clone());
            out.push(Change::PutDeal(moved));
        }
        for a in self.activities.iter().filter(|a| a.account.as_ref() == Some(&duplicate)) {
            out.push(Change::PutActivity(Activity { account: Some(keep.clone()), updated_at: ctx.now.max(a.updated_at), device: ctx.device.to_string(), ..a.clone() }));
        }
        Ok(out)
    }

    fn plan_update_contact(&self, contact: Id, name: String, email: String, phone: String, ctx: &mut Ctx) -> Result<Vec<Change>, Rejection> {
        let Some(c) = self.contacts.iter().find(|c| c.id == contact) else { return reject(Field::Contact, DomainError::UnknownContact) };
        // The same checks as a lead's contact details.
        let checked = LeadDraft { name: name.clone(), email, phone, ..Default::default() }.validate();
        let mut errors = checked.as_ref().err().cloned().unwrap_or_default();
        if name.trim().is_empty() {
            errors.retain(|e| e.1 != DomainError::LeadNeedsName);
            errors.insert(0, (Field::Title, DomainError::NameRequired));
        }
        let v = match checked {
            Ok(v) if errors.is_empty() => v,
            _ => return Err(errors),
        };
        let updated = super::account::Contact { name: v.name.clone(), email: v.email, phone: v.phone, updated_at: ctx.now.max(c.updated_at), device: ctx.device.to_string(), ..c.clone() };
        if updated.name == c.name && updated.email == c.email && updated.phone == c.phone {
            return Ok(Vec::new());
        }
        let renamed = updated.name != c.name;
        let deals = self.deals.iter().filter(|d| renamed && d.contact_id.as_ref() == Some(&contact)).map(|d| Change::PutDeal(Self::relabel(d, "contact", &v.name, ctx)));
        Ok(std::iter::once(Change::PutContact(updated)).chain(deals).collect())
    }

    pub fn activity(&self, id: &Id) -> Option<&Activity> {
        self.activities.iter().find(|a| &a.id == id)
    }

    /// The name of what an activity is about, as lists show it ("" when it is gone), by a
    /// search of its list: for one or a few (for many, `Lookup::target_name` with the
    /// model's positions).
    pub fn target_name(&self, on: &super::activity::ActivityOn) -> String {
        super::Lookup::default().target_name(self, on)
    }

    /// The activities on one deal, lead, account or contact, newest first.
    pub fn activities_on(&self, on: &super::activity::ActivityOn) -> Vec<&Activity> {
        let mut v: Vec<&Activity> = self.activities.iter().filter(|a| &a.on() == on).collect();
        v.sort_by(|a, b| (b.at, &b.id).cmp(&(a.at, &a.id)));
        v
    }

    /// A deal's activities, newest first.
    pub fn activities_of(&self, deal: &Id) -> Vec<&Activity> {
        let mut v: Vec<&Activity> = self.activities.iter().filter(|a| &a.deal == deal).collect();
        v.sort_by(|a, b| (b.at, &b.id).cmp(&(a.at, &a.id)));
        v
    }

    /// Every deal's next step: its open task due first (ties by id).
    pub fn next_steps(&self) -> HashMap<&Id, &Activity> {
        let mut out: HashMap<&Id, &Activity> = HashMap::new();
        for a in self.activities.iter().filter(|a| a.is_open_task()) {
            match out.get(&a.deal) {
                Some(b) if (b.at, &b.id) <= (a.at, &a.id) => {}
                _ => {
                    out.insert(&a.deal, a);
                }
            }
        }
        out
    }

    fn plan_log_activity(&self, on: super::activity::ActivityOn, draft: ActivityDraft, ctx: &mut Ctx) -> Result<Vec<Change>, Rejection> {
        use super::activity::ActivityOn;
        // The target must exist; who did it defaults to whoever owns the target.
        let default_owner = match &on {
            ActivityOn::Deal(id) => self.deal(id).map(|d| d.owner.clone()).ok_or(DomainError::UnknownDeal),
            ActivityOn::Lead(id) => self.lead(id).map(|l| l.owner.clone()).ok_or(DomainError::UnknownLead),
            ActivityOn::Account(id) => self.accounts.iter().find(|a| &a.id == id).map(|_| String::new()).ok_or(DomainError::UnknownAccount),
            ActivityOn::Contact(id) => self.contacts.iter().find(|c| &c.id == id).map(|_| String::new()).ok_or(DomainError::UnknownContact),
        };
        let default_owner = default_owner.or_else(|e| reject(Field::Subject, e))?;
        let f = activity_fields(draft, ctx)?;
        let (mut deal, mut lead, mut account, mut contact) = (Id::default(), None, None, None);
        match on {
            ActivityOn::Deal(id) => deal = id,
            ActivityOn::Lead(id) => lead = Some(id),
            ActivityOn::Account(id) => account = Some(id),
            ActivityOn::Contact(id) => contact = Some(id),
        }
        Ok(vec![Change::PutActivity(Activity {
            id: ctx.ids.next_id(),
            kind: f.kind,
            deal,
            lead,
            account,
            contact,
            subject: f.subject,
            at: f.at,
            duration_min: f.duration_min,
            outcome: f.outcome,
            owner: if f.owner.is_empty() { default_owner } else { f.owner },
            done_at: None,
            created_at: ctx.now,
            updated_at: ctx.now,
            device: ctx.device.to_string(),
            extra: Default::default(),
        })])
    }

    fn plan_task_edit(
        &self,
        id: Id,
        ctx: &mut Ctx,
        edit: impl FnOnce(&mut Activity, DateTime<Utc>) -> Result<(), Rejection>,
    ) -> Result<Vec<Change>, Rejection> {
        let Some(old) = self.activity(&id) else { return reject(Field::Subject, DomainError::UnknownActivity) };
        if old.kind != super::activity::ActivityKind::Task {
            return reject(Field::Subject, DomainError::NotATask);
        }
        let mut a = old.clone();
        edit(&mut a, ctx.now)?;
        if &a == old {
            return Ok(Vec::new());
        }
        a.updated_at = ctx.now.max(old.updated_at);
        a.device = ctx.device.to_string();
        Ok(vec![Change::PutActivity(a)])
    }

    fn plan_update_deal(&self, deal: Id, draft: DealDraft, base: Option<DealDraft>, ctx: &mut Ctx) -> Result<Vec<Change>, Rejection> {
        let old = self.live_deal(&deal)?;
        let wanted = with_fields(old, draft.validate()?);
        // What the form started from; a field is written only where the user changed it.
        let seen = base.and_then(|b| b.validate().ok()).map(|f| with_fields(old, f));
        let mut updated = old.clone();
        let mut changed = false;
        for ((name, want), (_, was)) in wanted.fields().into_iter().zip(seen.as_ref().unwrap_or(old).fields()) {
            let edited = if seen.is_some() { want != was } else { true };
            let current = old.fields().into_iter().find(|(n, _)| *n == name).map(|(_, v)| v).unwrap_or_default();
            if edited && want != current {
                updated.take_field(name, &wanted);
                updated.field_times.insert(name.to_string(), ctx.now);
                changed = true;
            }
        }
        if !changed {
            return Ok(Vec::new());
        }
        // Account or contact text edited: linked to the record it now names.
        let mut linker = super::account::Linker::new(&self.accounts, &self.contacts);
        if linker.needs_link(&updated) {
            linker.link(&mut updated, ctx.now, ctx.ids, ctx.device);
        }
        let records: Vec<Change> = linker.records().collect();
        updated.updated_at = ctx.now;
        updated.device = ctx.device.to_string();
        let call = (updated.forecast_category != old.forecast_category).then(|| CategoryChange {
            id: ctx.ids.next_id(),
            opportunity: old.id.clone(),
            category: updated.forecast_category,
            at: ctx.now,
            seq: 0,
        });
        Ok(records.into_iter().chain(std::iter::once(Change::PutDeal(updated))).chain(call.map(Change::AppendCategory)).collect())
    }

    /// Applies changes that have been stored: planned here, or received from another tab.
    /// The result equals rebuilding the workspace from the stored records (property-tested).
    pub fn commit(&mut self, changes: Vec<Change>) {
        // Bulk changes (imports, sync batches) find the records they replace in one pass
        // per list instead of a search per record.
        let mut at = Lookup::default();
        if changes.len() > 32 {
            let named = changes.iter().filter_map(|c| match c {
                Change::PutDeal(d) => Some(&d.id),
                Change::PurgeDeal { tombstone, .. } => Some(&tombstone.id),
                Change::AppendEvent(e) => Some(&e.opportunity),
                _ => None,
            });
            // Only the records named are mapped: every change that looks a deal up is here.
            at.deals = Some(positions(&self.deals, |r| &r.id, named));
            macro_rules! named {
                ($variant:ident) => {
                    changes.iter().filter_map(|c| if let Change::$variant(r) = c { Some(&r.id) } else { None })
                };
            }
            at.activities = Some(positions(&self.activities, |r| &r.id, named!(PutActivity)));
            at.leads = Some(positions(&self.leads, |r| &r.id, named!(PutLead)));
            at.accounts = Some(positions(&self.accounts, |r| &r.id, named!(PutAccount)));
            at.contacts = Some(positions(&self.contacts, |r| &r.id, named!(PutContact)));
        }
        self.commit_at(changes, &mut at);
    }

    /// Makes room in the lists for the records `changes` add (or replace): counted as
    /// [deals, events, calls, activities, leads, accounts, contacts], returned.
    pub fn reserve_for<'a>(&mut self, changes: impl IntoIterator<Item = &'a Change>) -> [usize; 7] {
        let mut n = [0usize; 7];
        for c in changes {
            match c {
                Change::PutDeal(_) => n[0] += 1,
                Change::AppendEvent(_) => n[1] += 1,
                Change::AppendCategory(_) => n[2] += 1,
                Change::PutActivity(_) => n[3] += 1,
                Change::PutLead(_) => n[4] += 1,
                Change::PutAccount(_) => n[5] += 1,
                Change::PutContact(_) => n[6] += 1,
                _ => {}
            }
        }
        self.deals.reserve(n[0]);
        self.events.reserve(n[1]);
        self.category_changes.reserve(n[2]);
        self.activities.reserve(n[3]);
        self.leads.reserve(n[4]);
        self.accounts.reserve(n[5]);
        self.contacts.reserve(n[6]);
        n
    }

    /// `commit` with the records' positions (`Lookup::of` this workspace, or some of them),
    /// kept current: records added are added to it; a list a purge shrinks is set to
    /// unknown (`Lookup::fill` maps it again).
    pub fn commit_at(&mut self, changes: Vec<Change>, at: &mut Lookup) {
        let mut events_in_order = true;
        let mut calls_in_order = true;
        // The deals whose events this list appends from the first that came out of order on
        // (their stage is derived again), and deals new here (their events may have come first:
        // team sync lists records in the server's order, and a record's stage is a cache
        // that can be older than the log).
        let mut fresh: FxSet<Id> = FxSet::default();
        // Lists and maps sized up front: growing them change by change was a fifth of
        // applying a merge of 10,000 deals (98k changes) in wasm, a CPU profile showed.
        let n = self.reserve_for(&changes);
        for (map, n) in [(&mut at.deals, n[0]), (&mut at.activities, n[3]), (&mut at.leads, n[4]), (&mut at.accounts, n[5]), (&mut at.contacts, n[6])] {
            if let Some(map) = map {
                map.reserve(n);
            }
        }
        if n[0] > 0 {
            fresh.reserve(n[0]);
        }
        let mut appended: FxSet<Id> = FxSet::default();
        for c in changes {
            match c {
                Change::PutPipeline(p) => match self.pipelines.iter_mut().find(|x| x.id == p.id) {
                    Some(slot) => *slot = p,
                    None => self.pipelines.push(p),
                },
                Change::PutDeal(d) => {
                    let found = match &at.deals {
                        Some(ix) => ix.get(&d.id).copied(),
                        None => self.deals.iter().position(|x| x.id == d.id),
                    };
                    match found {
                        Some(i) => {
                            // The stored stage is a cache; the log decides (below).
                            let stage = std::mem::take(&mut self.deals[i].stage);
                            self.deals[i] = Opportunity { stage, ..d };
                        }
                        None => {
                            if let Some(ix) = at.deals.as_mut() {
                                ix.insert(d.id.clone(), self.deals.len());
                            }
                            fresh.insert(d.id.clone());
                            self.deals.push(d);
                        }
                    }
                }
                Change::AppendEvent(e) => {
                    if self.events.last().is_some_and(|l| l.key() > e.key()) {
                        events_in_order = false;
                    } else if events_in_order {
                        // The newest event of all is its deal's newest: its target is the stage.
                        let found = match &at.deals {
                            Some(ix) => ix.get(&e.opportunity).copied(),
                            None => self.deals.iter().position(|x| x.id == e.opportunity),
                        };
                        if let Some(i) = found {
                            self.deals[i].stage = e.to.clone();
                        }
                    }
                    // Until then each event was the newest of all, so its deal's stage is
                    // its target whatever the sort below does; from the first older one on,
                    // the deals are derived again.
                    if !events_in_order {
                        appended.insert(e.opportunity.clone());
                    }
                    self.events.push(e);
                }
                Change::AppendCategory(c) => {
                    calls_in_order &= self.category_changes.last().is_none_or(|l| l.key() <= c.key());
                    self.category_changes.push(c)
                }
                Change::PutActivity(a) => upsert_at(&mut self.activities, a, |r| &r.id, &mut at.activities),
                Change::PutOwner(o) => upsert(&mut self.owners, o, |x, y| x.id == y.id),
                Change::PutLead(l) => upsert_at(&mut self.leads, l, |r| &r.id, &mut at.leads),
                Change::PutSettings(s) => self.settings = s,
                Change::PutAccount(a) => upsert_at(&mut self.accounts, a, |r| &r.id, &mut at.accounts),
                Change::PutContact(c) => upsert_at(&mut self.contacts, c, |r| &r.id, &mut at.contacts),
                Change::PurgeDeal { tombstone, events, calls, activities } => {
                    let drop: HashSet<&Id> = events.iter().chain(&calls).chain(&activities).collect();
                    self.events.retain(|e| !drop.contains(&e.id));
                    self.category_changes.retain(|c| !drop.contains(&c.id));
                    self.activities.retain(|a| !drop.contains(&a.id));
                    at.activities = None;
                    upsert_at(&mut self.deals, tombstone, |r| &r.id, &mut at.deals);
                }
            }
        }
        if !events_in_order || !calls_in_order {
            // An older event arrived (a merge, another device): re-sort, and re-derive the
            // stages of the deals it can have changed.
            self.order_logs();
        }
        fresh.extend(appended);
        if !fresh.is_empty() {
            self.derive_stages_of(&fresh);
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
        let new = Opportunity {
            id: ctx.ids.next_id(),
            pipeline,
            created_at: ctx.now,
            updated_at: ctx.now,
            stage: stage.clone(),
            device: ctx.device.to_string(),
            ..Default::default()
        };
        let mut deal = with_fields(&new, f);
        let mut linker = super::account::Linker::new(&self.accounts, &self.contacts);
        linker.link(&mut deal, ctx.now, ctx.ids, ctx.device);
        let records: Vec<Change> = linker.records().collect();
        let created = StageChange {
            id: ctx.ids.next_id(),
            opportunity: deal.id.clone(),
            from: None,
            to: stage,
            at: ctx.now,
            note: String::new(),
            seq: 0,
            criteria: Vec::new(),
        };
        let call = (deal.forecast_category != super::opportunity::ForecastCategory::Pipeline).then(|| CategoryChange {
            id: ctx.ids.next_id(),
            opportunity: deal.id.clone(),
            category: deal.forecast_category,
            at: ctx.now,
            seq: 0,
        });
        Ok(records.into_iter().chain([Change::PutDeal(deal), Change::AppendEvent(created)]).chain(call.map(Change::AppendCategory)).collect())
    }

    fn plan_move(
        &self,
        deal: Id,
        from: Option<Id>,
        to: Id,
        note: String,
        lost_reason: String,
        ticked: Vec<String>,
        ctx: &mut Ctx,
    ) -> Result<Vec<Change>, Rejection> {
        let d = self.live_deal(&deal).map_err(|r| r.into_iter().map(|(_, e)| (Field::Stage, e)).collect::<Rejection>())?;
        let Some(p) = self.pipeline(&d.pipeline) else { return reject(Field::Stage, DomainError::UnknownPipeline) };
        let target = match p.stage(&to) {
            None => return reject(Field::Stage, DomainError::UnknownStage),
            Some(s) if s.archived => return reject(Field::Stage, DomainError::StageArchived),
            Some(s) => s,
        };
        if from.as_ref().is_some_and(|f| *f != d.stage) {
            let stage = p.stage(&d.stage).map(|s| s.name.clone()).unwrap_or_default();
            return reject(Field::Stage, DomainError::MovedElsewhere { stage });
        }
        if d.stage == to {
            return reject(Field::Stage, DomainError::AlreadyInStage);
        }
        let Some(at) = self.next_event_at(&deal, ctx.now).filter(|t| sane_time(*t)) else { return reject(Field::Stage, DomainError::DateOutOfRange) };
        let note = note.trim().to_string();
        let lost_reason = lost_reason.trim().to_string();
        if target.kind == StageKind::Lost && p.require_lost_reason && lost_reason.is_empty() {
            return reject(Field::LostReason, DomainError::LostReasonRequired);
        }
        // Only the stage's own criteria are recorded, in its order.
        let ticked: Vec<String> = target.entry_criteria.iter().filter(|c| ticked.iter().any(|t| t.trim() == c.trim())).cloned().collect();
        if target.criteria_required {
            let missing: Vec<String> = target.entry_criteria.iter().filter(|c| !ticked.contains(c)).cloned().collect();
            if !missing.is_empty() {
                return reject(Field::Stage, DomainError::CriteriaNotMet { stage: target.name.clone(), missing: missing.join("; ") });
            }
        }
        let mut updated = d.clone();
        updated.stage = to.clone();
        updated.updated_at = ctx.now;
        updated.lost_reason = if target.kind == StageKind::Lost { lost_reason.clone() } else { String::new() };
        updated.device = ctx.device.to_string();
        if updated.lost_reason != d.lost_reason {
            updated.field_times.insert("lost_reason".into(), at);
        }
        let note = if note.is_empty() { lost_reason } else if lost_reason.is_empty() { note } else { format!("{lost_reason} — {note}") };
        let ev = StageChange { id: ctx.ids.next_id(), opportunity: deal, from: Some(d.stage.clone()), to, at, note, seq: 0, criteria: ticked };
        Ok(vec![Change::PutDeal(updated), Change::AppendEvent(ev)])
    }

    /// Deals not in the trash, in pipelines not in the trash.
    pub fn live_deals(&self) -> impl Iterator<Item = &Opportunity> {
        let gone: HashSet<&Id> = self.pipelines.iter().filter(|p| p.deleted_at.is_some()).map(|p| &p.id).collect();
        self.deals.iter().filter(move |d| d.deleted_at.is_none() && !gone.contains(&d.pipeline))
    }

    /// Pipelines not in the trash, in their stored order.
    pub fn live_pipelines(&self) -> impl Iterator<Item = &Pipeline> {
        self.pipelines.iter().filter(|p| p.deleted_at.is_none())
    }

    /// A live deal, for edits and moves: unknown, or in the trash, is refused.
    fn live_deal(&self, id: &Id) -> Result<&Opportunity, Rejection> {
        match self.deal(id) {
            None => reject(Field::Title, DomainError::UnknownDeal),
            Some(d) if d.deleted_at.is_some() || d.purged => reject(Field::Title, DomainError::DealDeleted),
            Some(d) => Ok(d),
        }
    }

    /// Deals to the trash (`at` Some) or back out of it (None).
    fn plan_trash(&self, ids: Vec<Id>, at: Option<DateTime<Utc>>, ctx: &mut Ctx) -> Result<Vec<Change>, Rejection> {
        if ids.is_empty() {
            return reject(Field::Title, DomainError::NoDealsChosen);
        }
        let mut out = Vec::new();
        for id in &ids {
            let Some(d) = self.deal(id).filter(|d| !d.purged) else { return reject(Field::Title, DomainError::UnknownDeal) };
            if d.deleted_at.is_some() == at.is_some() {
                continue;
            }
            let mut d = d.clone();
            d.deleted_at = at;
            d.field_times.insert("deleted".into(), ctx.now);
            d.updated_at = ctx.now.max(d.updated_at);
            d.device = ctx.device.to_string();
            out.push(Change::PutDeal(d));
        }
        Ok(out)
    }

    /// Every trashed deal (and the deals of trashed pipelines) removed for good.
    fn plan_empty_trash(&self, ctx: &mut Ctx) -> Vec<Change> {
        let gone: HashSet<&Id> = self.pipelines.iter().filter(|p| p.deleted_at.is_some()).map(|p| &p.id).collect();
        let doomed: HashMap<&Id, &Opportunity> =
            self.deals.iter().filter(|d| !d.purged && (d.deleted_at.is_some() || gone.contains(&d.pipeline))).map(|d| (&d.id, d)).collect();
        let mut out = Vec::new();
        let mut events: HashMap<&Id, Vec<Id>> = HashMap::new();
        for e in self.events.iter().filter(|e| doomed.contains_key(&e.opportunity)) {
            events.entry(&e.opportunity).or_default().push(e.id.clone());
        }
        let mut calls: HashMap<&Id, Vec<Id>> = HashMap::new();
        for c in self.category_changes.iter().filter(|c| doomed.contains_key(&c.opportunity)) {
            calls.entry(&c.opportunity).or_default().push(c.id.clone());
        }
        let mut activities: HashMap<&Id, Vec<Id>> = HashMap::new();
        for a in self.activities.iter().filter(|a| doomed.contains_key(&a.deal)) {
            activities.entry(&a.deal).or_default().push(a.id.clone());
        }
        let mut ids: Vec<&&Id> = doomed.keys().collect();
        ids.sort();
        for id in ids {
            let d = doomed[*id];
            let tombstone = Opportunity::tombstone(d, ctx.now, ctx.device);
            out.push(Change::PurgeDeal {
                tombstone,
                events: events.remove(*id).unwrap_or_default(),
                calls: calls.remove(*id).unwrap_or_default(),
                activities: activities.remove(*id).unwrap_or_default(),
            });
        }
        out
    }

    fn plan_bulk(&self, ids: Vec<Id>, edit: BulkEdit, ctx: &mut Ctx) -> Result<Vec<Change>, Rejection> {
        if ids.is_empty() {
            return reject(Field::Title, DomainError::NoDealsChosen);
        }
        let mut out = Vec::new();
        for id in ids {
            let d = self.live_deal(&id)?;
            let mut new = d.clone();
            let field = match &edit {
                BulkEdit::Stage { to, lost_reason } => {
                    if &d.stage == to {
                        continue;
                    }
                    let moved = self.plan_move(id.clone(), Some(d.stage.clone()), to.clone(), String::new(), lost_reason.clone(), Vec::new(), ctx)?;
                    out.extend(moved);
                    continue;
                }
                BulkEdit::Owner(o) => {
                    let o = o.trim();
                    if o.chars().count() > 200 {
                        return reject(Field::Owner, DomainError::TooLong { field: Field::Owner, max: 200 });
                    }
                    new.owner = o.to_string();
                    "owner"
                }
                BulkEdit::AddTag(t) | BulkEdit::RemoveTag(t) => {
                    let t = t.trim();
                    if t.is_empty() {
                        return reject(Field::Tags, DomainError::NameRequired);
                    }
                    if t.chars().count() > 200 {
                        return reject(Field::Tags, DomainError::TooLong { field: Field::Tags, max: 200 });
                    }
                    if matches!(edit, BulkEdit::AddTag(_)) {
                        if !new.tags.iter().any(|x| x == t) {
                            new.tags.push(t.to_string());
                        }
                    } else {
                        new.tags.retain(|x| x != t);
                    }
                    "tags"
                }
            };
            if new == *d {
                continue;
            }
            new.field_times.insert(field.to_string(), ctx.now);
            new.updated_at = ctx.now.max(d.updated_at);
            new.device = ctx.device.to_string();
            out.push(Change::PutDeal(new));
        }
        Ok(out)
    }

    fn plan_pipeline_trash(&self, id: Id, at: Option<DateTime<Utc>>, ctx: &mut Ctx) -> Result<Vec<Change>, Rejection> {
        let Some(p) = self.pipeline(&id) else { return reject(Field::PipelineName, DomainError::UnknownPipeline) };
        if p.deleted_at.is_some() == at.is_some() {
            return Ok(Vec::new());
        }
        // A restored pipeline whose name was taken meanwhile gets a free one.
        let mut name = p.name.clone();
        if at.is_none() {
            let mut n = 1;
            while self.live_pipelines().any(|x| x.id != id && x.name.trim().to_lowercase() == name.trim().to_lowercase()) {
                n += 1;
                name = format!("{} ({n})", p.name);
            }
        }
        Ok(vec![Change::PutPipeline(Pipeline { deleted_at: at, name, updated_at: Some(ctx.now), ..p.clone() })])
    }

    fn plan_duplicate_pipeline(&self, id: Id, ctx: &mut Ctx) -> Result<Vec<Change>, Rejection> {
        let Some(p) = self.pipeline(&id) else { return reject(Field::PipelineName, DomainError::UnknownPipeline) };
        let mut copy = Pipeline { id: ctx.ids.next_id(), updated_at: Some(ctx.now), deleted_at: None, ..p.clone() };
        copy.stages.retain(|s| !s.archived);
        for s in copy.stages.iter_mut() {
            s.id = ctx.ids.next_id();
        }
        let mut n = 1;
        let base = p.name.clone();
        while self.pipeline_named(&copy.name, None) {
            n += 1;
            copy.name = format!("{base} ({n})");
        }
        Ok(vec![Change::PutPipeline(copy)])
    }

    /// Whether another pipeline (not `except`) has this name, ignoring case and blanks.
    fn pipeline_named(&self, name: &str, except: Option<&Id>) -> bool {
        let key = name.trim().to_lowercase();
        self.pipelines.iter().any(|p| Some(&p.id) != except && p.name.trim().to_lowercase() == key)
    }

    fn plan_save_pipeline(&self, mut p: Pipeline, base: Option<Pipeline>, now: DateTime<Utc>) -> Result<Vec<Change>, Rejection> {
        p.updated_at = Some(now);
        let Some(old) = self.pipeline(&p.id) else { return reject(Field::PipelineName, DomainError::UnknownPipeline) };
        p.name = p.name.trim().to_string();
        if p.name.is_empty() {
            return reject(Field::PipelineName, DomainError::PipelineNameRequired);
        }
        if self.pipeline_named(&p.name, Some(&p.id)) {
            return reject(Field::PipelineName, DomainError::DuplicatePipelineName(p.name.clone()));
        }
        p.lost_reasons = tidy_list(&p.lost_reasons);
        // Targets have their own editor (and command): a stage editor opened before they
        // were set must not write its older copy back.
        p.targets = old.targets.clone();
        for s in p.stages.iter_mut() {
            s.name = s.name.trim().to_string();
            s.archived = false;
            s.entry_criteria = tidy_list(&s.entry_criteria);
            s.exit_criteria = tidy_list(&s.exit_criteria);
        }
        // Open stages created elsewhere after the editor loaded: the user never saw them,
        // so not listing them is no decision to remove them.
        if let Some(base) = &base {
            for s in old.active_stages().filter(|s| s.kind == StageKind::Open) {
                if base.stage(&s.id).is_none() && p.stage(&s.id).is_none() {
                    p.insert_open_stage(s.id.clone(), s.name.clone());
                    if let Some(slot) = p.stages.iter_mut().find(|x| x.id == s.id) {
                        *slot = s.clone();
                    }
                }
            }
        }
        let mut errors: Rejection = p.rule_errors().into_iter().map(|e| (Field::Stage, e)).collect();
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

/// Where the records `named` sit in a long list: one pass hashing each record's id (no
/// copy), not a search per change (a sync batch puts ~200 activities and leads into lists
/// of 50,000) nor a map of the whole list. The first of equal ids, as `upsert` finds.
fn positions<'a, T>(list: &[T], id: impl Fn(&T) -> &Id, named: impl Iterator<Item = &'a Id>) -> FxMap<Id, usize> {
    let mut at: FxMap<Id, usize> = named.map(|i| (i.clone(), usize::MAX)).collect();
    if !at.is_empty() {
        for (i, r) in list.iter().enumerate() {
            if let Some(slot) = at.get_mut(id(r)) {
                *slot = (*slot).min(i);
            }
        }
    }
    at.retain(|_, i| *i != usize::MAX);
    at
}

/// `upsert` by id, with the positions `positions` found (kept current as records are
/// added); without them (a single change, or after a purge moved records), a search.
fn upsert_at<T>(v: &mut Vec<T>, x: T, id: impl Fn(&T) -> &Id, at: &mut Option<FxMap<Id, usize>>) {
    let Some(map) = at else { return upsert(v, x, |a, b| id(a) == id(b)) };
    match map.get(id(&x)) {
        Some(&i) => v[i] = x,
        None => {
            map.insert(id(&x).clone(), v.len());
            v.push(x);
        }
    }
}

/// Replaces the record `same` as `x` in `v`, or adds `x`.
fn upsert<T>(v: &mut Vec<T>, x: T, same: impl Fn(&T, &T) -> bool) {
    match v.iter_mut().find(|y| same(y, &x)) {
        Some(slot) => *slot = x,
        None => v.push(x),
    }
}

/// A validated activity form. No time given for something that happened means it happened
/// now (to the millisecond, so a call logged right after creating a deal comes after its
/// creation).
fn activity_fields(draft: ActivityDraft, ctx: &Ctx) -> Result<super::activity::ActivityFields, Rejection> {
    let happened_now = draft.at.trim().is_empty() && draft.kind != super::activity::ActivityKind::Task;
    let draft = if happened_now { ActivityDraft { at: super::activity::to_local_input(ctx.now, draft.tz_offset_min), ..draft } } else { draft };
    let mut f = draft.validate()?;
    if happened_now {
        f.at = ctx.now;
    }
    Ok(f)
}

fn tidy_list(items: &[String]) -> Vec<String> {
    items.iter().map(|s| s.trim().to_string()).filter(|s| !s.is_empty()).collect()
}

/// `Workspace::derive_stages` a slice of the log at a time (`step`), so an import can let
/// the browser in between (100,000 deals' million events were ≈ 150–190 ms of wasm in one
/// task). Each step must be handed the same, unchanged workspace.
pub struct StageDeriver {
    /// Each deal's number, and by number its position (the first deal with the id).
    ids: IdIndex,
    at: Vec<u32>,
    /// Each deal's last event so far, by its position in the log.
    last: Vec<Option<usize>>,
    /// In a log in order (as loaded: `order_logs`) the last event naming a deal is its
    /// last; only out of order are keys compared (reading the earlier event again is a
    /// second cache miss per event).
    ordered: bool,
    next: usize,
}

impl StageDeriver {
    pub fn new(ws: &Workspace) -> StageDeriver {
        let mut ids = IdIndex::with_capacity(ws.deals.len());
        let mut at = Vec::with_capacity(ws.deals.len());
        for (i, d) in ws.deals.iter().enumerate() {
            if ids.insert(&d.id).1 {
                at.push(i as u32);
            }
        }
        let ordered = ws.events.is_sorted_by(|a, b| a.key() <= b.key());
        StageDeriver { ids, at, last: vec![None; ws.deals.len()], ordered, next: 0 }
    }

    /// Reads up to `budget` more events; true once the whole log is read.
    pub fn step(&mut self, ws: &Workspace, budget: usize) -> bool {
        let end = ws.events.len().min(self.next.saturating_add(budget));
        let events = &ws.events[self.next.min(end)..end];
        let (mut k, mut each) = (self.next, events.iter());
        let Self { ids, at, last, ordered, .. } = self;
        ids.each(events.iter().map(|e| &e.opportunity), |n| {
            let Some(e) = each.next() else { return };
            if let Some(slot) = n.and_then(|n| at.get(n as usize)).and_then(|&i| last.get_mut(i as usize)) {
                if *ordered || slot.and_then(|p| ws.events.get(p)).is_none_or(|prev| prev.key() <= e.key()) {
                    *slot = Some(k);
                }
            }
            k += 1;
        });
        self.next = end;
        end >= ws.events.len()
    }

    /// Whether `step` has read the whole log.
    pub fn is_done(&self, ws: &Workspace) -> bool {
        self.next >= ws.events.len()
    }

    /// Sets each deal's stage to its last event's target (once `step` said done).
    pub fn finish(self, ws: &mut Workspace) {
        let Workspace { deals, events, .. } = ws;
        // Ids unique (as checked imports and stored workspaces have them): each deal's own
        // position is its entry, no lookup (100,000 of them were ≈ 60 ms of wasm).
        let unique = self.at.len() == deals.len();
        for (n, d) in deals.iter_mut().enumerate() {
            let at = if unique { Some(n) } else { self.ids.get(&d.id).and_then(|n| self.at.get(n as usize)).map(|&i| i as usize) };
            let found = at.and_then(|i| self.last.get(i).copied().flatten()).and_then(|k| events.get(k));
            // Assigned only when it differs: on a load nearly every stage is already right.
            if let Some(e) = found.filter(|e| e.to != d.stage) {
                d.stage = e.to.clone();
            }
        }
    }
}

/// A pipeline's stage ids, each with its first 8 bytes as a number, to find a stage's
/// position: numbers compared, and `Id`'s equality (a call, not inlined, and a byte
/// compare) only where they match. Opening 100,000 deals finds the stages of a million
/// events (the one entered and the one left): the scan of `Id` compares it replaced was
/// ≈ 90 ms of the open's longest task in wasm (a CPU profile showed).
pub struct StagePositions<'a> {
    ids: Vec<(u64, &'a Id)>,
}

impl<'a> StagePositions<'a> {
    pub fn of(pipeline: &'a Pipeline) -> StagePositions<'a> {
        StagePositions { ids: pipeline.stages.iter().map(|s| (head_u64(s.id.as_str()), &s.id)).collect() }
    }

    /// The position of stage `id`: the first stage with that id (what `Pipeline::stage`
    /// finds).
    pub fn position(&self, id: &Id) -> Option<usize> {
        let head = head_u64(id.as_str());
        self.ids.iter().position(|&(h, s)| h == head && s == id)
    }
}

/// Where each record of a workspace's logs finds its deal: the deal's position in `deals`,
/// record by record (`events`, then `category_changes`). Opening the app must find every
/// record's deal anyway, to set aside those that point at none (`io::segments::finish`);
/// handed on, the analytics index built next does not find each one again by its id (at
/// 100,000 deals and 984,593 events that lookup was ≈ 45–50 ms of the native index's
/// ≈ 85 ms events phase). Opening also finds each event's stage in its deal's pipeline (an
/// event to a stage the pipeline lacks is set aside too), so that is kept as well: the
/// index then reads of each event only its time. And that time too, in seconds, read by
/// the same pass: the index then reads no event at all, only these columns in order (an
/// event is 232 bytes: reading one field of each of a million was a cache miss each,
/// ≈ 40% of the index's events phase natively). Made only where the deals' ids are
/// distinct, and good only for that workspace unchanged: whoever reads them checks `fits`
/// first. With them, the index of the deals' ids opening made to find them (each id
/// numbered by its deal's position): the analytics index, numbering the deals the same
/// way when it holds them all, takes it over rather than adding 100,000 ids to one of its
/// own (≈ 10 ms of wasm).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Places {
    deals: IdIndex,
    events: Vec<u32>,
    /// Per event: the position of the stage it entered in its deal's pipeline's `stages`.
    stages: Vec<u16>,
    /// Per event: its time (`at`) in whole seconds.
    times: Vec<i64>,
    calls: Vec<u32>,
    /// Per forecast call: its time in whole seconds.
    call_times: Vec<i64>,
}

/// Each event's and forecast call's position, and their times in seconds, as opening finds
/// them (`Places::new` checks them against the workspace).
pub struct LogPlaces {
    /// Every deal's id, numbered by its position.
    pub deals: IdIndex,
    pub events: Vec<u32>,
    pub stages: Vec<u16>,
    pub times: Vec<i64>,
    pub calls: Vec<u32>,
    pub call_times: Vec<i64>,
}

impl Places {
    /// Positions and times in the logs' order; `None` unless there is one of each per
    /// record, each position a deal (and one stage per event): see `fits`.
    pub fn new(ws: &Workspace, found: LogPlaces) -> Option<Places> {
        let LogPlaces { deals, events, stages, times, calls, call_times } = found;
        let p = Places { deals, events, stages, times, calls, call_times };
        p.fits(ws).then_some(p)
    }

    /// A stage position as kept: a `u16`; one past that (never: a pipeline holds
    /// `MAX_STAGES`) as `u16::MAX`, which the index reads as "find it by id", as it reads
    /// any position its pipeline has no stage at.
    pub fn stage_number(position: usize) -> u16 {
        u16::try_from(position).unwrap_or(u16::MAX)
    }

    /// Every record's deal found by its id, and every event's stage in the deal's pipeline
    /// (what `io::segments::finish` does on opening, for a workspace from elsewhere). `None` when two deals share an id (a position would
    /// then stand for one of them where an id stands for the last) or a record's deal is
    /// missing.
    pub fn find(ws: &Workspace) -> Option<Places> {
        let mut ids = IdIndex::with_capacity(ws.deals.len());
        for d in &ws.deals {
            if !ids.insert(&d.id).1 {
                return None;
            }
        }
        let found = |ids_of: &mut dyn Iterator<Item = &Id>, n: usize| {
            let mut at = Vec::with_capacity(n);
            ids.each(ids_of, |d| at.push(d.unwrap_or(u32::MAX)));
            at
        };
        let events = found(&mut ws.events.iter().map(|e| &e.opportunity), ws.events.len());
        let calls = found(&mut ws.category_changes.iter().map(|c| &c.opportunity), ws.category_changes.len());
        let pipelines: FxMap<&Id, StagePositions> = ws.pipelines.iter().map(|p| (&p.id, StagePositions::of(p))).collect();
        let pipeline_of: Vec<Option<&StagePositions>> = ws.deals.iter().map(|d| pipelines.get(&d.pipeline)).collect();
        let mut stages = Vec::with_capacity(events.len());
        for (e, &d) in ws.events.iter().zip(&events) {
            let pipeline = pipeline_of.get(d as usize).copied().flatten();
            // A stage the pipeline lacks (opening sets such events aside): left for the index
            // to find by id, which finds none.
            stages.push(pipeline.and_then(|p| p.position(&e.to)).map_or(u16::MAX, Places::stage_number));
        }
        let times = ws.events.iter().map(|e| e.at.timestamp()).collect();
        let call_times = ws.category_changes.iter().map(|c| c.at.timestamp()).collect();
        Places::new(ws, LogPlaces { deals: ids, events, stages, times, calls, call_times })
    }

    /// One position and one time per record, each position within `deals`, and the first
    /// and last record of each log naming the deal at theirs, at its time: a cheap check
    /// that these are this workspace's (they are handed on with it, as `ModelBuilder` takes
    /// them, before anything can change it).
    pub fn fits(&self, ws: &Workspace) -> bool {
        fn ends<T>(at: &[u32], times: &[i64], log: &[T], deals: &[Opportunity], of: impl Fn(&T) -> (&Id, i64)) -> bool {
            at.len() == log.len()
                && times.len() == log.len()
                && at.iter().all(|&p| (p as usize) < deals.len())
                && [log.first().zip(at.first().zip(times.first())), log.last().zip(at.last().zip(times.last()))]
                    .into_iter()
                    .flatten()
                    .all(|(r, (&p, &t))| deals.get(p as usize).is_some_and(|d| of(r) == (&d.id, t)))
        }
        // The first and last event's stage too, in its deal's pipeline.
        let stage_fits = |e: Option<&StageChange>, d: Option<&u32>, s: Option<&u16>| match (e, d, s) {
            (Some(e), Some(&d), Some(&s)) => ws
                .deals
                .get(d as usize)
                .and_then(|d| ws.pipelines.iter().find(|p| p.id == d.pipeline))
                .and_then(|p| p.stages.get(s as usize))
                .is_some_and(|stage| stage.id == e.to),
            _ => true,
        };
        // The deals' ids: one per deal, the first and last where their deals are.
        let n = ws.deals.len();
        self.deals.len() == n
            && [0, n.saturating_sub(1)].iter().all(|&i| ws.deals.get(i).is_none_or(|d| self.deals.numbers(i, &d.id)))
            && ends(&self.events, &self.times, &ws.events, &ws.deals, |e| (&e.opportunity, e.at.timestamp()))
            && self.stages.len() == self.events.len()
            && stage_fits(ws.events.first(), self.events.first(), self.stages.first())
            && stage_fits(ws.events.last(), self.events.last(), self.stages.last())
            && ends(&self.calls, &self.call_times, &ws.category_changes, &ws.deals, |c| (&c.opportunity, c.at.timestamp()))
    }

    /// The deals' ids, each numbered by its deal's position, handed over (the places keep
    /// an empty index, and no longer `fit` a workspace with deals).
    pub fn take_deal_ids(&mut self) -> IdIndex {
        std::mem::take(&mut self.deals)
    }

    /// The position of each event's deal, in the log's order.
    pub fn events(&self) -> &[u32] {
        &self.events
    }

    /// The position of each event's stage in its deal's pipeline, in the log's order.
    pub fn stages(&self) -> &[u16] {
        &self.stages
    }

    /// Each event's time in whole seconds, in the log's order.
    pub fn times(&self) -> &[i64] {
        &self.times
    }

    /// The position of each forecast call's deal, in the log's order.
    pub fn calls(&self) -> &[u32] {
        &self.calls
    }

    /// Each forecast call's time in whole seconds, in the log's order.
    pub fn call_times(&self) -> &[i64] {
        &self.call_times
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stage_positions_find_what_a_scan_of_ids_finds() {
        use crate::domain::pipeline::Stage;
        // Ids sharing their first 8 bytes (and one of exactly them), shorter than 8 bytes,
        // one twice (the first counts), and ids not there, one with a stage's 8 bytes.
        let names = ["stage-00a", "stage-00b", "stage-00", "won", "lost", "stage-00a", "x"];
        let mut p = crate::domain::pipeline::from_template(crate::domain::pipeline::Template::B2b, Lang::En, &mut IdGen::new(1));
        let like = p.stages[0].clone();
        p.stages = names.iter().map(|n| Stage { id: Id::from(*n), ..like.clone() }).collect();
        let at = StagePositions::of(&p);
        for probe in names.iter().chain(&["stage-00c", "stage-0", "", "wo", "wonder"]) {
            let id = Id::from(*probe);
            assert_eq!(at.position(&id), p.stages.iter().position(|s| s.id == id), "{probe}");
        }
        assert_eq!(at.position(&Id::from("stage-00a")), Some(0));
        assert_eq!(at.position(&Id::from("stage-00")), Some(2));
        assert_eq!(at.position(&Id::from("stage-00c")), None);
    }

    /// Names on deals and leads (trimmed) that no owner has, case-insensitively, each once,
    /// sorted by their text: "Ann" is an owner, so " ann " is not missing; "Bo" and "Bo "
    /// are one name; "bo" is another text (listed apart, as typed); "" is no name.
    #[test]
    fn missing_owners_are_the_distinct_names_no_owner_has() {
        let mut ws = Workspace { owners: vec![Owner { name: "Ann".into(), ..Default::default() }], ..Workspace::default() };
        for name in [" ann ", "Bo", "", "Bo "] {
            ws.deals.push(Opportunity { owner: name.into(), ..Default::default() });
        }
        for name in ["Cy", "bo", "  "] {
            ws.leads.push(Lead { owner: name.into(), ..Default::default() });
        }
        assert_eq!(ws.missing_owners(), ["Bo", "Cy", "bo"]);
        assert!(Workspace::default().missing_owners().is_empty());
    }

    #[test]
    fn stages_derived_a_slice_at_a_time_follow_each_deals_last_event() {
        let now = chrono::DateTime::parse_from_rfc3339("2026-11-27T00:00:00Z").map(|t| t.with_timezone(&Utc)).unwrap_or_default();
        let truth = super::super::demo::generate(60, 4, 9, now, Lang::En);
        let first = truth.pipelines[0].stages[0].id.clone();
        assert!(truth.deals.iter().any(|d| d.stage != first), "the demo's deals have moved on");
        // Every stored stage wrong: the log alone must put each back. In order (7 events a
        // step: ceil(events / 7) steps), and with the log reversed (keys compared).
        for reversed in [false, true] {
            let mut ws = truth.clone();
            ws.deals.iter_mut().for_each(|d| d.stage = first.clone());
            if reversed {
                ws.events.reverse();
            }
            let mut d = StageDeriver::new(&ws);
            assert_eq!(d.ordered, !reversed);
            let mut steps = 1;
            while !d.step(&ws, 7) {
                steps += 1;
            }
            assert_eq!(steps, ws.events.len().div_ceil(7));
            d.finish(&mut ws);
            assert_eq!(ws.deals, truth.deals, "reversed: {reversed}");
        }
        // Two deals with one id (not unique: found by lookup): both take the stage of the
        // first one's last event.
        let mut ws = truth.clone();
        let moved = truth.deals.iter().find(|d| d.stage != first).cloned().unwrap_or_default();
        ws.deals.push(Opportunity { title: "Twin".into(), stage: first.clone(), ..moved.clone() });
        ws.derive_stages();
        assert_eq!(ws.deals.last().map(|d| &d.stage), Some(&moved.stage));
        assert_eq!(ws.deals[..truth.deals.len()], truth.deals[..]);
    }
}
