//! Activities: every interaction with a customer (call, meeting, email, note) and every
//! task still to do, on a deal. A deal's **next step** is its earliest open task: the
//! board shows it, flags deals without one, and the Today view is built from them.

use super::error::{DomainError, Field};
use super::ids::{FxSet, Id, IdKey};
use chrono::{DateTime, Duration, NaiveDateTime, Utc};
use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum ActivityKind {
    Call,
    Meeting,
    Email,
    #[default]
    Note,
    /// Something to do by a time; done or not.
    Task,
}

impl ActivityKind {
    pub const ALL: [ActivityKind; 5] = [ActivityKind::Task, ActivityKind::Call, ActivityKind::Meeting, ActivityKind::Email, ActivityKind::Note];

    /// The name used in forms and files.
    pub fn code(self) -> &'static str {
        match self {
            ActivityKind::Call => "call",
            ActivityKind::Meeting => "meeting",
            ActivityKind::Email => "email",
            ActivityKind::Note => "note",
            ActivityKind::Task => "task",
        }
    }

    pub fn from_code(s: &str) -> Option<ActivityKind> {
        ActivityKind::ALL.into_iter().find(|k| k.code() == s)
    }
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Activity {
    pub id: Id,
    pub kind: ActivityKind,
    /// The deal it belongs to (empty when it is on a lead).
    pub deal: Id,
    /// The lead it belongs to, when it is on a lead rather than a deal.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lead: Option<Id>,
    /// The account (company) it belongs to, when it is on one rather than a deal.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account: Option<Id>,
    /// The contact (person) it belongs to, when it is on one rather than a deal.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contact: Option<Id>,
    pub subject: String,
    /// When it happened; for a task, when it is due.
    #[serde(with = "super::time::utc")]
    pub at: DateTime<Utc>,
    /// Minutes, for calls and meetings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration_min: Option<u32>,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub outcome: String,
    /// Who did it (or is to do it).
    #[serde(default)]
    pub owner: String,
    /// Tasks: when it was marked done; None while open.
    #[serde(default, with = "super::time::utc_opt", skip_serializing_if = "Option::is_none")]
    pub done_at: Option<DateTime<Utc>>,
    #[serde(with = "super::time::utc")]
    pub created_at: DateTime<Utc>,
    /// The last edit (done, rescheduled): the newer copy wins a merge.
    #[serde(with = "super::time::utc")]
    pub updated_at: DateTime<Utc>,
    #[serde(default)]
    pub device: String,
    /// Fields written by a newer build of the app, kept as they are through every edit.
    #[serde(flatten)]
    pub extra: super::pipeline::Extra,
}

/// The ids of the records an activity can be on: which activities still have their target
/// after a load or a merge.
/// (Keys hold their text: checking every activity of a large workspace probes these sets
/// once each.)
#[derive(Default)]
pub struct Known {
    pub deals: FxSet<IdKey>,
    pub leads: FxSet<IdKey>,
    pub accounts: FxSet<IdKey>,
    pub contacts: FxSet<IdKey>,
}

impl Known {
    /// `deals`: the deals kept (a loader may have set some aside); the rest from `ws`.
    pub fn of<'a>(deals: impl IntoIterator<Item = &'a Id>, ws: &super::workspace::Workspace) -> Known {
        Known {
            deals: deals.into_iter().map(IdKey::of).collect(),
            leads: ws.leads.iter().map(|l| IdKey::of(&l.id)).collect(),
            accounts: ws.accounts.iter().map(|a| IdKey::of(&a.id)).collect(),
            contacts: ws.contacts.iter().map(|c| IdKey::of(&c.id)).collect(),
        }
    }
}

/// `ActivityOn` without its id.
#[derive(Clone, Copy)]
enum On {
    Deal,
    Lead,
    Account,
    Contact,
}

/// What an activity is about: exactly one deal, lead, account or contact.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum ActivityOn {
    Deal(Id),
    Lead(Id),
    Account(Id),
    Contact(Id),
}

impl Activity {
    /// What it is about. Stored as one filled field of four (older files know only the
    /// deal and the lead); the first filled one after the deal's empty id decides.
    pub fn on(&self) -> ActivityOn {
        let (on, id) = self.target();
        let id = id.clone();
        match on {
            On::Deal => ActivityOn::Deal(id),
            On::Lead => ActivityOn::Lead(id),
            On::Account => ActivityOn::Account(id),
            On::Contact => ActivityOn::Contact(id),
        }
    }

    /// `on` without the copy: which kind of record, and its id.
    fn target(&self) -> (On, &Id) {
        match (&self.lead, &self.account, &self.contact) {
            (Some(l), _, _) => (On::Lead, l),
            (None, Some(a), _) => (On::Account, a),
            (None, None, Some(c)) => (On::Contact, c),
            (None, None, None) => (On::Deal, &self.deal),
        }
    }

    /// The id of what it is on.
    pub fn target_id(&self) -> &Id {
        self.target().1
    }

    /// Whether what it is on exists, given the ids of the records of each kind.
    pub fn target_known(&self, known: &Known) -> bool {
        let (on, id) = self.target();
        let ids = match on {
            On::Deal => &known.deals,
            On::Lead => &known.leads,
            On::Account => &known.accounts,
            On::Contact => &known.contacts,
        };
        ids.contains(&IdKey::of(id))
    }

    /// An open task: a next step still to take.
    pub fn is_open_task(&self) -> bool {
        self.kind == ActivityKind::Task && self.done_at.is_none()
    }
}

/// What the activity form holds, as typed. `at` is a local date and time
/// ("2026-11-28T14:30", as an `<input type="datetime-local">` gives it, or a bare date),
/// read in the user's time zone: `tz_offset_min` minutes east of UTC. Left empty on a
/// call, meeting, email or note, it means "now" (when logged).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ActivityDraft {
    pub kind: ActivityKind,
    pub subject: String,
    pub at: String,
    pub duration_min: String,
    pub outcome: String,
    pub owner: String,
    pub tz_offset_min: i32,
}

/// The validated content of a draft.
#[derive(Clone, Debug, PartialEq)]
pub struct ActivityFields {
    pub kind: ActivityKind,
    pub subject: String,
    pub at: DateTime<Utc>,
    pub duration_min: Option<u32>,
    pub outcome: String,
    pub owner: String,
}

const SUBJECT_MAX: usize = 200;
const OUTCOME_MAX: usize = 2_000;
/// A day of minutes: longer is a typo.
const DURATION_MAX: u32 = 24 * 60;

/// A local date-time (or a date, read as 09:00) typed in a zone `tz_offset_min` east of
/// UTC, as UTC. None when it is not one.
pub fn parse_local(s: &str, tz_offset_min: i32) -> Option<DateTime<Utc>> {
    let s = s.trim();
    let local = NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M")
        .or_else(|_| NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S"))
        .or_else(|_| NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M"))
        .ok()
        .or_else(|| chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").ok().and_then(|d| d.and_hms_opt(9, 0, 0)))?;
    local.and_utc().checked_sub_signed(Duration::minutes(tz_offset_min as i64))
}

/// The form's value for a time: local "YYYY-MM-DDTHH:MM".
pub fn to_local_input(t: DateTime<Utc>, tz_offset_min: i32) -> String {
    (t + Duration::minutes(tz_offset_min as i64)).format("%Y-%m-%dT%H:%M").to_string()
}

impl ActivityDraft {
    /// All problems at once, each tied to its field.
    pub fn validate(&self) -> Result<ActivityFields, Vec<(Field, DomainError)>> {
        let mut errors = Vec::new();
        let subject = self.subject.trim().to_string();
        errors.extend(subject_problem(&subject));
        let at = match parse_local(&self.at, self.tz_offset_min) {
            Some(t) if super::workspace::sane_time(t) => Some(t),
            Some(_) => {
                errors.push((Field::When, DomainError::DateOutOfRange));
                None
            }
            None => {
                errors.push((Field::When, DomainError::InvalidDate(self.at.trim().to_string())));
                None
            }
        };
        let duration_min = match self.duration_min.trim() {
            "" => None,
            s => match s.parse::<u32>() {
                Ok(m) if m <= DURATION_MAX => Some(m),
                _ => {
                    errors.push((Field::Duration, DomainError::InvalidDuration(s.to_string())));
                    None
                }
            },
        };
        let outcome = self.outcome.trim().to_string();
        let owner = self.owner.trim().to_string();
        errors.extend(text_problems(&outcome, &owner));
        match at {
            Some(at) if errors.is_empty() => Ok(ActivityFields { kind: self.kind, subject, at, duration_min, outcome, owner }),
            _ => Err(errors),
        }
    }
}

fn subject_problem(subject: &str) -> Option<(Field, DomainError)> {
    if subject.is_empty() {
        Some((Field::Subject, DomainError::SubjectRequired))
    } else if subject.chars().count() > SUBJECT_MAX {
        Some((Field::Subject, DomainError::TooLong { field: Field::Subject, max: SUBJECT_MAX }))
    } else {
        None
    }
}

fn text_problems(outcome: &str, owner: &str) -> impl Iterator<Item = (Field, DomainError)> {
    let outcome = (outcome.chars().count() > OUTCOME_MAX).then_some((Field::Outcome, DomainError::TooLong { field: Field::Outcome, max: OUTCOME_MAX }));
    let owner = (owner.chars().count() > SUBJECT_MAX).then_some((Field::Owner, DomainError::TooLong { field: Field::Owner, max: SUBJECT_MAX }));
    outcome.into_iter().chain(owner)
}

impl Activity {
    /// The first thing the activity form would refuse in a stored activity (an import is
    /// held to the form's limits), in the form's order. Its time is checked by the caller
    /// (any time in 1970–2199 is one the form accepts). Checked directly: writing each
    /// time out for the form to parse back was most of an import's activity check (about
    /// a microsecond each, a million activities at 100k deals).
    pub fn form_problem(&self) -> Option<DomainError> {
        let duration = self.duration_min.filter(|&m| m > DURATION_MAX).map(|m| (Field::Duration, DomainError::InvalidDuration(m.to_string())));
        subject_problem(self.subject.trim()).into_iter().chain(duration).chain(text_problems(self.outcome.trim(), self.owner.trim())).next().map(|e| e.1)
    }
}

/// Where a task stands on a given day (in the user's zone).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Due {
    Overdue,
    Today,
    Upcoming,
}

/// `due` against the local day of `now` (zone `tz_offset_min` east of UTC): before today's
/// local midnight is overdue — and so is anything due earlier today that has passed.
pub fn due_state(due: DateTime<Utc>, now: DateTime<Utc>, tz_offset_min: i32) -> Due {
    let shift = Duration::minutes(tz_offset_min as i64);
    let (d, n) = ((due + shift).date_naive(), (now + shift).date_naive());
    if due < now {
        Due::Overdue
    } else if d == n {
        Due::Today
    } else {
        Due::Upcoming
    }
}

/// A rep's day: open tasks by when they are due, and open deals with no next step.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Agenda<'a> {
    pub overdue: Vec<&'a Activity>,
    pub today: Vec<&'a Activity>,
    /// Due after today, within the look-ahead.
    pub upcoming: Vec<&'a Activity>,
    /// Open deals without an open task, oldest change first.
    pub no_next_step: Vec<&'a super::opportunity::Opportunity>,
}

/// The agenda of `owner` (everyone's when None) in `pipeline` (all when None): tasks on
/// open or closed deals alike (a promised call after a win is still promised), deals in an
/// open stage without a next step. Looks `ahead_days` past today. A task's deal is found
/// by position (`at`, which the app's model keeps current): mapping 100,000 deals by id
/// for the few thousand open tasks was a third of the agenda's time. (`AgendaBuilder`
/// does the same a slice at a time.)
pub fn agenda<'a>(
    ws: &'a super::workspace::Workspace,
    at: &super::lookup::Lookup,
    pipeline: Option<&Id>,
    owner: Option<&str>,
    now: DateTime<Utc>,
    tz_offset_min: i32,
    ahead_days: i64,
) -> Agenda<'a> {
    let mut b = AgendaBuilder::new(ws, at, pipeline, owner, now, tz_offset_min, ahead_days);
    while !b.step(ws, at, usize::MAX) {}
    b.finish(ws)
}

/// `agenda` a slice at a time (`step`), so the app can let the browser in between: at
/// 100,000 deals the agenda reads ≈ 940,000 activities for ≈ 14,000 open tasks, and in
/// one task it held the page ≈ 50 ms of wasm. What it has found is kept as positions, so
/// each step borrows the workspace anew; each must be handed the same, unchanged one.
pub struct AgendaBuilder {
    pipeline: Option<Id>,
    owner: Option<String>,
    now: DateTime<Utc>,
    tz_offset_min: i32,
    horizon: DateTime<Utc>,
    /// Trashed pipelines: their deals are out of scope.
    gone: super::ids::FxSet<Id>,
    /// The deals in scope by id, when the caller's lookup does not map deals.
    unmapped: Option<super::ids::FxSet<Id>>,
    /// Each pipeline's open stages: two probes a deal instead of a search of the pipelines
    /// and their stages (at 100,000 deals that was most of the agenda's time). As those
    /// searches do, the first pipeline and the first stage with an id count.
    open: super::ids::FxMap<Id, super::ids::FxSet<Id>>,
    activity: usize,
    /// Open tasks in scope (positions in the activities), in time order once all are read.
    tasks: Vec<usize>,
    sorted: bool,
    overdue: Vec<usize>,
    today: Vec<usize>,
    upcoming: Vec<usize>,
    /// Deals with an open task in scope, whoever's it is.
    with_task: super::ids::FxSet<Id>,
    deal: usize,
    idle: Vec<usize>,
}

impl AgendaBuilder {
    pub fn new(
        ws: &super::workspace::Workspace,
        at: &super::lookup::Lookup,
        pipeline: Option<&Id>,
        owner: Option<&str>,
        now: DateTime<Utc>,
        tz_offset_min: i32,
        ahead_days: i64,
    ) -> AgendaBuilder {
        use super::ids::FxSet;
        let gone: FxSet<Id> = ws.pipelines.iter().filter(|p| p.deleted_at.is_some()).map(|p| p.id.clone()).collect();
        let mut seen: FxSet<(&Id, &Id)> = FxSet::default();
        let mut pipelines: FxSet<&Id> = FxSet::default();
        let mut open: super::ids::FxMap<Id, FxSet<Id>> = Default::default();
        for p in ws.pipelines.iter().filter(|p| pipelines.insert(&p.id)) {
            let stages = open.entry(p.id.clone()).or_default();
            for s in p.stages.iter().filter(|s| seen.insert((&p.id, &s.id))) {
                if s.kind == super::pipeline::StageKind::Open {
                    stages.insert(s.id.clone());
                }
            }
        }
        let mut b = AgendaBuilder {
            pipeline: pipeline.cloned(),
            owner: owner.map(str::to_string),
            now,
            tz_offset_min,
            horizon: now + Duration::days(ahead_days.max(0) + 1),
            gone,
            unmapped: None,
            open,
            activity: 0,
            tasks: Vec::new(),
            sorted: false,
            overdue: Vec::new(),
            today: Vec::new(),
            upcoming: Vec::new(),
            with_task: FxSet::default(),
            deal: 0,
            idle: Vec::new(),
        };
        // Unmapped deals (a lookup the caller has not filled) are mapped here, once.
        if at.deals.is_none() {
            b.unmapped = Some(ws.deals.iter().filter(|d| b.in_scope(d)).map(|d| d.id.clone()).collect());
        }
        b
    }

    /// Live (neither trashed nor in a trashed pipeline) and of the pipeline asked for.
    fn in_scope(&self, d: &super::opportunity::Opportunity) -> bool {
        d.deleted_at.is_none() && !self.gone.contains(&d.pipeline) && self.pipeline.as_ref().is_none_or(|p| &d.pipeline == p)
    }

    fn deal_in_scope(&self, ws: &super::workspace::Workspace, at: &super::lookup::Lookup, id: &Id) -> bool {
        match &self.unmapped {
            Some(ids) => ids.contains(id),
            None => at.deal(ws, id).is_some_and(|d| self.in_scope(d)),
        }
    }

    /// Reads up to `budget` more activities or deals (the open tasks' sort counts one a
    /// task); true once the agenda is complete.
    pub fn step(&mut self, ws: &super::workspace::Workspace, at: &super::lookup::Lookup, budget: usize) -> bool {
        let mut left = budget;
        while left > 0 && self.activity < ws.activities.len() {
            let a = &ws.activities[self.activity];
            // Tasks on a lead, an account or a contact belong to no pipeline: always on the
            // agenda.
            if a.is_open_task() && (!matches!(a.on(), ActivityOn::Deal(_)) || self.deal_in_scope(ws, at, &a.deal)) {
                self.tasks.push(self.activity);
            }
            self.activity += 1;
            left -= 1;
        }
        if self.activity < ws.activities.len() {
            return false;
        }
        if !self.sorted {
            let acts = &ws.activities;
            self.tasks.sort_by(|&x, &y| (acts[x].at, &acts[x].id).cmp(&(acts[y].at, &acts[y].id)));
            for &i in &self.tasks {
                let t = &acts[i];
                if matches!(t.on(), ActivityOn::Deal(_)) {
                    self.with_task.insert(t.deal.clone());
                }
                if self.owner.as_ref().is_some_and(|o| *o != t.owner) {
                    continue;
                }
                match due_state(t.at, self.now, self.tz_offset_min) {
                    Due::Overdue => self.overdue.push(i),
                    Due::Today => self.today.push(i),
                    Due::Upcoming if t.at < self.horizon => self.upcoming.push(i),
                    Due::Upcoming => {}
                }
            }
            self.sorted = true;
            left = left.saturating_sub(self.tasks.len());
        }
        while left > 0 && self.deal < ws.deals.len() {
            let d = &ws.deals[self.deal];
            if self.owner.as_ref().is_none_or(|o| *o == d.owner)
                && self.in_scope(d)
                && self.open.get(&d.pipeline).is_some_and(|stages| stages.contains(&d.stage))
                && !self.with_task.contains(&d.id)
            {
                self.idle.push(self.deal);
            }
            self.deal += 1;
            left -= 1;
        }
        self.deal >= ws.deals.len()
    }

    /// The agenda (complete once `step` said so), of the workspace it was stepped through.
    pub fn finish(mut self, ws: &super::workspace::Workspace) -> Agenda<'_> {
        let deals = &ws.deals;
        self.idle.sort_by(|&x, &y| (deals[x].updated_at, &deals[x].id).cmp(&(deals[y].updated_at, &deals[y].id)));
        let tasks = |v: Vec<usize>| v.into_iter().map(|i| &ws.activities[i]).collect();
        Agenda {
            overdue: tasks(self.overdue),
            today: tasks(self.today),
            upcoming: tasks(self.upcoming),
            no_next_step: self.idle.into_iter().map(|i| &deals[i]).collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn local_times_are_read_in_the_users_zone() {
        // Beijing is UTC+8 (480 minutes east): 09:30 there is 01:30 UTC.
        let t = parse_local("2026-11-28T09:30", 480).unwrap();
        assert_eq!(t, Utc.with_ymd_and_hms(2026, 11, 28, 1, 30, 0).unwrap());
        assert_eq!(to_local_input(t, 480), "2026-11-28T09:30");
        // A bare date is 09:00 local.
        assert_eq!(parse_local("2026-11-28", -300).unwrap(), Utc.with_ymd_and_hms(2026, 11, 28, 14, 0, 0).unwrap());
        assert_eq!(parse_local("28/11/2026", 0), None);
    }

    #[test]
    fn a_stored_activity_is_refused_for_what_the_form_refuses_first() {
        // Every combination of a subject (fine, blank, 201 characters), a duration (none,
        // 0, 1,440, 1,441 minutes), an outcome (fine, 2,001 characters) and an owner (fine,
        // 201 characters): the stored record's first problem is the form's first error on
        // the same values written out as the form would hold them.
        let at = Utc.with_ymd_and_hms(2026, 11, 28, 10, 0, 0).unwrap();
        let (long_subject, long_outcome) = ("s".repeat(201), "o".repeat(2_001));
        let mut refused = 0;
        for subject in ["Intro call", "  ", long_subject.as_str()] {
            for duration_min in [None, Some(0), Some(1_440), Some(1_441)] {
                for outcome in ["", long_outcome.as_str()] {
                    for owner in ["Mia", long_subject.as_str()] {
                        let a = Activity { subject: subject.into(), at, duration_min, outcome: outcome.into(), owner: owner.into(), ..Default::default() };
                        let draft = ActivityDraft {
                            kind: a.kind,
                            subject: a.subject.clone(),
                            at: to_local_input(a.at, 0),
                            duration_min: a.duration_min.map(|m| m.to_string()).unwrap_or_default(),
                            outcome: a.outcome.clone(),
                            owner: a.owner.clone(),
                            tz_offset_min: 0,
                        };
                        let form = draft.validate().err().and_then(|e| e.into_iter().next()).map(|e| e.1);
                        assert_eq!(a.form_problem(), form, "{subject:.10} {duration_min:?} {:?} {:?}", outcome.len(), owner.len());
                        refused += usize::from(form.is_some());
                    }
                }
            }
        }
        // Only (fine subject, duration ≤ 1,440, short outcome, short owner) passes: 1 × 3 × 1 × 1.
        assert_eq!(refused, 3 * 4 * 2 * 2 - 3);
    }

    #[test]
    fn every_problem_is_reported_against_its_field() {
        let d = ActivityDraft { subject: " ".into(), at: "tomorrow".into(), duration_min: "-5".into(), ..Default::default() };
        let errs = d.validate().unwrap_err();
        assert_eq!(errs.len(), 3, "{errs:?}");
        assert!(errs.contains(&(Field::Subject, DomainError::SubjectRequired)));
        assert!(errs.contains(&(Field::When, DomainError::InvalidDate("tomorrow".into()))));
        assert!(errs.contains(&(Field::Duration, DomainError::InvalidDuration("-5".into()))));
        let far = ActivityDraft { subject: "x".into(), at: "2400-01-01T00:00".into(), ..Default::default() };
        assert_eq!(far.validate().unwrap_err(), vec![(Field::When, DomainError::DateOutOfRange)]);
        let ok = ActivityDraft { kind: ActivityKind::Call, subject: " Intro call ".into(), at: "2026-11-28T10:00".into(), duration_min: "30".into(), ..Default::default() };
        let f = ok.validate().unwrap();
        assert_eq!((f.subject.as_str(), f.duration_min), ("Intro call", Some(30)));
    }

    /// Hand-built: three open deals, one won. Tasks due yesterday, this afternoon, in
    /// three days and in thirty; one done. With a week's look-ahead: 1 overdue, 1 today,
    /// 1 upcoming; the deal with no open task is listed; the won deal is not.
    #[test]
    fn the_agenda_sorts_tasks_and_finds_deals_without_a_next_step() {
        use crate::domain::{Command, Ctx, IdGen, Lang, Template, Workspace};
        let now = Utc.with_ymd_and_hms(2026, 11, 28, 9, 0, 0).unwrap();
        let mut ws = Workspace::default();
        let mut ids = IdGen::new(3);
        let mut run = |ws: &mut Workspace, cmd| {
            let mut ctx = Ctx { now, ids: &mut ids, device: "t" };
            let c = ws.plan(cmd, &mut ctx).unwrap();
            ws.commit(c);
        };
        run(&mut ws, Command::CreatePipeline { template: Template::B2b, lang: Lang::En });
        let p = ws.pipelines[0].clone();
        for (title, owner) in [("A", "ann"), ("B", "bo"), ("C", "ann"), ("W", "ann")] {
            let draft = crate::domain::DealDraft { title: title.into(), owner: owner.into(), ..Default::default() };
            run(&mut ws, Command::CreateDeal { pipeline: p.id.clone(), stage: None, draft });
        }
        let id = |t: &str| ws.deals.iter().find(|d| d.title == t).unwrap().id.clone();
        let (a, b, c, w) = (id("A"), id("B"), id("C"), id("W"));
        let won = p.stages.iter().find(|s| s.kind == crate::domain::StageKind::Won).unwrap().id.clone();
        run(&mut ws, Command::MoveDeal { deal: w.clone(), from: None, to: won, note: String::new(), lost_reason: String::new(), ticked: Vec::new() });
        let task = |deal: &Id, at: &str, subject: &str| Command::LogActivity {
            on: crate::domain::ActivityOn::Deal(deal.clone()),
            draft: ActivityDraft { kind: ActivityKind::Task, subject: subject.into(), at: at.into(), ..Default::default() },
        };
        run(&mut ws, task(&a, "2026-11-27T10:00", "yesterday"));
        run(&mut ws, task(&a, "2026-11-28T15:00", "this afternoon"));
        run(&mut ws, task(&b, "2026-12-01T10:00", "in three days"));
        run(&mut ws, task(&b, "2026-12-28T10:00", "in a month"));
        run(&mut ws, task(&c, "2026-11-20T10:00", "done long ago"));
        let done = ws.activities.iter().find(|x| x.subject == "done long ago").unwrap().id.clone();
        run(&mut ws, Command::CompleteTask { activity: done, done: true });
        let g = agenda_both(&ws, None, None, now);
        let subjects = |v: &[&Activity]| v.iter().map(|x| x.subject.clone()).collect::<Vec<_>>();
        assert_eq!(subjects(&g.overdue), ["yesterday"]);
        assert_eq!(subjects(&g.today), ["this afternoon"]);
        assert_eq!(subjects(&g.upcoming), ["in three days"]);
        assert_eq!(g.no_next_step.iter().map(|d| d.title.as_str()).collect::<Vec<_>>(), ["C"]);
        // Ann's day: her tasks, her deals.
        let g = agenda_both(&ws, None, Some("ann"), now);
        assert_eq!((g.overdue.len(), g.today.len(), g.upcoming.len(), g.no_next_step.len()), (1, 1, 0, 1));
        // The next step of A is its earliest open task, even if overdue.
        assert_eq!(ws.next_steps()[&a].subject, "yesterday");

        // A lead's call-back and an account's task join the same day (whatever the
        // pipeline), named by their lead and account; a task on a missing account is refused.
        run(&mut ws, Command::AddLeads { drafts: vec![crate::domain::LeadDraft::from_line("Dee Wu, Acme")] });
        let lead = ws.leads[0].id.clone();
        let on_lead = Command::LogActivity {
            on: ActivityOn::Lead(lead.clone()),
            draft: ActivityDraft { kind: ActivityKind::Task, subject: "call back".into(), at: "2026-11-28T16:00".into(), ..Default::default() },
        };
        run(&mut ws, on_lead);
        let g = agenda_both(&ws, Some(&p.id), None, now);
        assert_eq!(subjects(&g.today), ["this afternoon", "call back"]);
        assert_eq!(ws.target_name(&g.today[1].on()), "Dee Wu · Acme");
        assert_eq!(g.no_next_step.len(), 1, "a lead's task is no deal's next step");
        // B in the trash: its task in three days leaves the agenda with it.
        assert_eq!(subjects(&g.upcoming), ["in three days"]);
        run(&mut ws, Command::DeleteDeals { deals: vec![b.clone()] });
        let g = agenda_both(&ws, Some(&p.id), None, now);
        assert_eq!((subjects(&g.upcoming), subjects(&g.today)), (Vec::<String>::new(), vec!["this afternoon".to_string(), "call back".into()]));
        let mut ctx_ids = IdGen::new(9);
        let mut ctx = Ctx { now, ids: &mut ctx_ids, device: "t" };
        let missing = Command::LogActivity { on: ActivityOn::Account(Id::from("nope")), draft: ActivityDraft { subject: "x".into(), ..Default::default() } };
        assert_eq!(ws.plan(missing, &mut ctx).unwrap_err(), vec![(Field::Subject, DomainError::UnknownAccount)]);
    }

    /// The agenda with the deals mapped by position (as the app's model keeps them) and
    /// with them unmapped (mapped by the agenda itself): the same. And built a slice at a
    /// time, as the app does (1, 2 or 5 records a step: every phase cut somewhere): the same.
    fn agenda_both<'a>(ws: &'a crate::domain::Workspace, p: Option<&Id>, owner: Option<&str>, now: DateTime<Utc>) -> Agenda<'a> {
        use crate::domain::Lookup;
        let at = Lookup::of(ws);
        let g = agenda(ws, &at, p, owner, now, 0, 7);
        assert_eq!(g, agenda(ws, &Lookup::default(), p, owner, now, 0, 7));
        for budget in [1, 2, 5] {
            let mut b = AgendaBuilder::new(ws, &at, p, owner, now, 0, 7);
            let mut steps = 1;
            while !b.step(ws, &at, budget) {
                steps += 1;
            }
            assert!(steps > 1 || ws.activities.len() + ws.deals.len() <= budget, "sliced in {steps} steps");
            assert_eq!(b.finish(ws), g, "a step {budget} records");
        }
        g
    }

    #[test]
    fn due_state_follows_the_local_day() {
        // 23:30 UTC on the 27th is 07:30 on the 28th in Beijing.
        let now = Utc.with_ymd_and_hms(2026, 11, 27, 23, 30, 0).unwrap();
        let at = |d, h| Utc.with_ymd_and_hms(2026, 11, d, h, 0, 0).unwrap();
        assert_eq!(due_state(at(28, 2), now, 480), Due::Today); // 10:00 Beijing on the 28th
        assert_eq!(due_state(at(28, 2), now, 0), Due::Upcoming); // the 28th is tomorrow in UTC
        assert_eq!(due_state(at(27, 20), now, 480), Due::Overdue);
        assert_eq!(due_state(at(28, 17), now, 480), Due::Upcoming); // 01:00 on the 29th there
    }
}
