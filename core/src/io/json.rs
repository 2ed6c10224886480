//! The workspace as one versioned JSON document (documented in docs/export-format.md).

use crate::domain::{Activity, CategoryChange, Lead, Opportunity, Owner, Pipeline, Settings, StageChange, Workspace};
use super::segments::Kind;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use crate::domain::ids::{FxMap, FxSet, IdKey};
use crate::domain::workspace::StageDeriver;
use std::collections::HashSet;
use std::fmt;

pub const FORMAT: &str = "funnelscope";
pub const FORMAT_VERSION: u32 = 5;

/// Ordered migrations of older export documents, like the storage's: entry i upgrades
/// version i + 1 to i + 2, so a file of any older version is brought forward step by step.
const EXPORT_MIGRATIONS: &[fn(&mut serde_json::Value)] = &[export_v1_to_v2, export_v2_to_v3, export_v3_to_v4, export_v4_to_v5];

/// v2 added the forecast-call log, per-field edit times, the editing device and forecast
/// categories: a v1 file has none, which is what the defaults below say explicitly.
fn export_v1_to_v2(doc: &mut serde_json::Value) {
    use serde_json::{json, Value};
    if let Value::Object(root) = doc {
        root.entry("category_changes").or_insert_with(|| json!([]));
        if let Some(Value::Array(deals)) = root.get_mut("deals") {
            for d in deals.iter_mut().filter_map(Value::as_object_mut) {
                d.entry("forecast_category").or_insert_with(|| json!("Pipeline"));
                d.entry("field_times").or_insert_with(|| json!({}));
                d.entry("device").or_insert_with(|| json!(""));
                d.entry("tags").or_insert_with(|| json!([]));
            }
        }
        root.insert("version".into(), json!(2));
    }
}

/// v3 stores the log's tie-breaker (`seq`). Older files listed each log in its append
/// order, which is what the tie-breaker must keep: their position becomes their stamp.
fn export_v2_to_v3(doc: &mut serde_json::Value) {
    use serde_json::{json, Value};
    if let Value::Object(root) = doc {
        for log in ["events", "category_changes"] {
            if let Some(Value::Array(items)) = root.get_mut(log) {
                for (i, e) in items.iter_mut().filter_map(Value::as_object_mut).enumerate() {
                    e.entry("seq").or_insert_with(|| json!(i as u64 + 1));
                }
            }
        }
        root.insert("version".into(), json!(3));
    }
}

/// v4 adds activities (calls, meetings, emails, notes, tasks), owners, leads and settings.
/// A v3 file has none. The version goes up so that an older build refuses such a file
/// ("newer than this app understands") instead of dropping them without a word.
fn export_v3_to_v4(doc: &mut serde_json::Value) {
    use serde_json::{json, Value};
    if let Value::Object(root) = doc {
        root.entry("activities").or_insert_with(|| json!([]));
        root.entry("owners").or_insert_with(|| json!([]));
        root.entry("leads").or_insert_with(|| json!([]));
        root.entry("settings").or_insert_with(|| json!({}));
        root.entry("accounts").or_insert_with(|| json!([]));
        root.entry("contacts").or_insert_with(|| json!([]));
        root.insert("version".into(), json!(4));
    }
}

/// v5 adds fields an older build must not read past: deals in the trash (`deleted_at`,
/// `purged`), a deal's own probability, pipeline targets and required criteria, ticked
/// criteria on moves, and the reporting currency with its rates (`settings.exchange`). A
/// v4 file has none of them and reads as it is; the version goes up so that a v4 build
/// refuses a v5 file instead of showing trashed deals as live and ignoring the rates.
fn export_v4_to_v5(doc: &mut serde_json::Value) {
    if let serde_json::Value::Object(root) = doc {
        root.insert("version".into(), serde_json::json!(5));
    }
}

#[derive(Serialize)]
struct ExportRef<'a> {
    format: &'static str,
    version: u32,
    exported_at: DateTime<Utc>,
    pipelines: &'a [Pipeline],
    deals: &'a [Opportunity],
    events: &'a [StageChange],
    category_changes: &'a [CategoryChange],
    activities: &'a [Activity],
    owners: &'a [Owner],
    leads: &'a [Lead],
    settings: &'a Settings,
    accounts: &'a [crate::domain::Account],
    contacts: &'a [crate::domain::Contact],
}

#[derive(Deserialize)]
struct Header {
    format: Option<String>,
    version: Option<u32>,
}

#[derive(Deserialize)]
struct Export {
    pipelines: Vec<Pipeline>,
    deals: Vec<Opportunity>,
    events: Vec<StageChange>,
    /// Absent in files written before forecast calls were logged.
    #[serde(default)]
    category_changes: Vec<CategoryChange>,
    // Each added by version 4 (the migration writes them into older files); optional
    // within version 4 too, so a file from an early build of it still reads.
    #[serde(default)]
    activities: Vec<Activity>,
    #[serde(default)]
    owners: Vec<Owner>,
    #[serde(default)]
    leads: Vec<Lead>,
    #[serde(default)]
    settings: Settings,
    #[serde(default)]
    accounts: Vec<crate::domain::Account>,
    #[serde(default)]
    contacts: Vec<crate::domain::Contact>,
}

pub fn export_json(ws: &Workspace, exported_at: DateTime<Utc>) -> String {
    let doc = ExportRef {
        format: FORMAT,
        version: FORMAT_VERSION,
        exported_at,
        pipelines: &ws.pipelines,
        deals: &ws.deals,
        events: &ws.events,
        category_changes: &ws.category_changes,
        activities: &ws.activities,
        owners: &ws.owners,
        leads: &ws.leads,
        settings: &ws.settings,
        accounts: &ws.accounts,
        contacts: &ws.contacts,
    };
    // Compact: pretty-printing made 50,000 deals 83 MB, more than the import accepted.
    serde_json::to_string(&doc).unwrap_or_default()
}

/// One pipeline with its deals and their logs, as a workspace of its own (same format).
pub fn pipeline_only(ws: &Workspace, pipeline: &crate::domain::Id) -> Workspace {
    let deals: Vec<Opportunity> = ws.deals.iter().filter(|d| &d.pipeline == pipeline).cloned().collect();
    let ids: HashSet<&crate::domain::Id> = deals.iter().map(|d| &d.id).collect();
    let mut out = Workspace {
        pipelines: ws.pipelines.iter().filter(|p| &p.id == pipeline).cloned().collect(),
        events: ws.events.iter().filter(|e| ids.contains(&e.opportunity)).cloned().collect(),
        category_changes: ws.category_changes.iter().filter(|c| ids.contains(&c.opportunity)).cloned().collect(),
        activities: ws.activities.iter().filter(|a| ids.contains(&a.deal)).cloned().collect(),
        // The people, and the leads that became this pipeline's deals.
        owners: ws.owners.clone(),
        leads: ws.leads.iter().filter(|l| l.deal.as_ref().is_some_and(|d| ids.contains(d))).cloned().collect(),
        settings: Default::default(),
        accounts: {
            let used: HashSet<&crate::domain::Id> = deals.iter().filter_map(|d| d.account_id.as_ref()).collect();
            ws.accounts.iter().filter(|a| used.contains(&a.id)).cloned().collect()
        },
        contacts: {
            let used: HashSet<&crate::domain::Id> = deals.iter().filter_map(|d| d.contact_id.as_ref()).collect();
            ws.contacts.iter().filter(|c| used.contains(&c.id)).cloned().collect()
        },
        deals: Vec::new(),
    };
    out.deals = deals;
    out
}

#[derive(Clone, Debug, PartialEq)]
pub enum ImportError {
    /// Not JSON at all, or cut short: with line and column.
    Syntax { line: usize, column: usize, message: String },
    NotOurs,
    FutureVersion(u32),
    /// Valid JSON of ours with a wrong field: serde's path and message.
    Invalid { line: usize, column: usize, message: String },
    DuplicateId { what: &'static str, id: String },
    BadAmount { deal: String, amount: i64 },
    UnknownReference { event: String, what: &'static str, id: String },
    /// A pipeline that breaks the stage editor's rules (the first problem found).
    InvalidPipeline { pipeline: String, problem: crate::domain::DomainError },
    /// A deal whose pipeline, or current stage within it, does not exist.
    DealOutsidePipeline { deal: String },
    /// An event moving a deal into (or out of) a stage of another pipeline.
    ForeignStage { event: String, stage: String },
    /// A time outside 1970–2199 (`what` names the record kind).
    DateOutOfRange { what: &'static str, id: String, value: String },
    /// An activity the activity form would refuse (the first problem found).
    InvalidActivity { activity: String, problem: crate::domain::DomainError },
    /// A lead the lead form would refuse, or an owner without a (unique) name.
    InvalidLead { lead: String, problem: crate::domain::DomainError },
}

impl fmt::Display for ImportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ImportError::Syntax { line, column, message } => write!(f, "not valid JSON at line {line}, column {column}: {message}"),
            ImportError::NotOurs => write!(f, "this JSON is not a Funnelscope export (no \"format\": \"funnelscope\")"),
            ImportError::FutureVersion(v) => write!(f, "export version {v} is newer than this app understands ({FORMAT_VERSION})"),
            ImportError::Invalid { line, column, message } => write!(f, "line {line}, column {column}: {message}"),
            ImportError::DuplicateId { what, id } => write!(f, "two {what} have the id {id}"),
            ImportError::BadAmount { deal, amount } => write!(
                f,
                "deal {deal} has the amount {amount} (minor units): amounts must be between 0 and {}",
                crate::domain::money::MAX_AMOUNT_MINOR
            ),
            ImportError::UnknownReference { event, what, id } => write!(f, "event {event} points to an unknown {what} {id}"),
            ImportError::InvalidPipeline { pipeline, problem } => write!(
                f,
                "pipeline \"{pipeline}\" breaks the stage rules: {}",
                crate::i18n::error_message(crate::domain::Lang::En, problem)
            ),
            ImportError::DealOutsidePipeline { deal } => write!(f, "deal {deal} is not in an existing pipeline and stage"),
            ImportError::ForeignStage { event, stage } => write!(f, "event {event} moves a deal into stage {stage} of another pipeline"),
            ImportError::InvalidLead { lead, problem } => {
                write!(f, "lead or owner {lead}: {}", crate::i18n::error_message(crate::domain::Lang::En, problem))
            }
            ImportError::InvalidActivity { activity, problem } => {
                write!(f, "activity {activity}: {}", crate::i18n::error_message(crate::domain::Lang::En, problem))
            }
            ImportError::DateOutOfRange { what, id, value } => write!(f, "{what} {id} has the date {value}, outside 1970–2199"),
        }
    }
}

pub fn import_json(text: &str) -> Result<Workspace, ImportError> {
    let header: Header = serde_json::from_str(text).map_err(|e| {
        if e.is_syntax() || e.is_eof() {
            ImportError::Syntax { line: e.line(), column: e.column(), message: e.to_string() }
        } else {
            ImportError::NotOurs
        }
    })?;
    if header.format.as_deref() != Some(FORMAT) {
        return Err(ImportError::NotOurs);
    }
    let version = match header.version {
        Some(v) if v > FORMAT_VERSION => return Err(ImportError::FutureVersion(v)),
        Some(v) if v >= 1 => v,
        _ => return Err(ImportError::NotOurs),
    };
    let doc: Export = if version == FORMAT_VERSION {
        // Parsed from the text itself, so errors carry line and column.
        serde_json::from_str(text).map_err(|e| ImportError::Invalid { line: e.line(), column: e.column(), message: e.to_string() })?
    } else {
        let mut value: serde_json::Value =
            serde_json::from_str(text).map_err(|e| ImportError::Invalid { line: e.line(), column: e.column(), message: e.to_string() })?;
        for migrate in EXPORT_MIGRATIONS.iter().skip(version as usize - 1) {
            migrate(&mut value);
        }
        serde_json::from_value(value).map_err(|e| ImportError::Invalid { line: 0, column: 0, message: e.to_string() })?
    };
    assemble(doc)
}

/// Checks a parsed export (unique ids, amounts, references, dates, limits) and makes it a
/// workspace with its logs in order.
fn assemble(doc: Export) -> Result<Workspace, ImportError> {
    let mut mapped = Mapped::default();
    for phase in 0..checks(&doc, CHECK_SLICE) {
        check(&doc, phase, CHECK_SLICE, &mut mapped)?;
    }
    Ok(build(doc))
}

/// Events, activities or leads checked per step of a reader (each deal's pipeline mapped
/// once, in a check of its own): at 100,000 deals the million events in one step held the
/// page ≈ 200 ms; 200,000 a step, with the 137,000 leads and their 363,000 activities'
/// references in one step each, still made steps of 40–60 ms natively.
const CHECK_SLICE: usize = 100_000;

/// One check of an export; `checks` lists them in the order they are made.
#[derive(Clone, Copy)]
enum Check {
    /// The ids of one kind of record (in `Kind::ALL`'s order) are unique.
    Ids(usize),
    Amounts,
    /// Pipelines and deals (mapping each deal's pipeline for the checks after).
    Deals,
    /// One slice of the events, of the activities.
    Events(usize),
    Calls,
    Activities(usize),
    /// The owners, then one slice of the leads.
    Leads(usize),
    /// One slice of the activities, for the leads they name.
    ActivityLeads(usize),
    Accounts,
}

/// What one check maps for the checks after it, made once.
#[derive(Default)]
struct Mapped {
    /// Each deal's pipeline (the `Deals` check).
    deals: Option<DealPipelines>,
    /// The leads' ids (the first `ActivityLeads` check).
    leads: Option<FxSet<IdKey>>,
}

/// The checks of an export, in order, each one step of a reader: the first problem found
/// is the one a pass over each list whole finds (records in the same order), with `size`
/// events, activities or leads a slice.
fn check_list(doc: &Export, size: usize) -> Vec<Check> {
    check_list_of(doc.events.len(), doc.activities.len(), doc.leads.len(), size)
}

/// `check_list` of an export with so many events, activities and leads.
fn check_list_of(events: usize, activities: usize, leads: usize, size: usize) -> Vec<Check> {
    let mut list: Vec<Check> = (0..Kind::ALL.len()).map(Check::Ids).collect();
    list.extend([Check::Amounts, Check::Deals]);
    list.extend((0..events.div_ceil(size)).map(Check::Events));
    list.push(Check::Calls);
    list.extend((0..activities.div_ceil(size)).map(Check::Activities));
    // Slice 0 of the leads checks the owners when there are no leads.
    list.extend((0..leads.div_ceil(size).max(1)).map(Check::Leads));
    list.extend((0..activities.div_ceil(size)).map(Check::ActivityLeads));
    list.push(Check::Accounts);
    list
}

impl Mapped {
    /// The deals' pipelines as mapped by the `Deals` check (mapped here if not yet).
    fn deals(&mut self, doc: &Export) -> Result<&DealPipelines, ImportError> {
        if self.deals.is_none() {
            self.deals = Some(check_deals(&doc.pipelines, &doc.deals)?);
        }
        Ok(self.deals.get_or_insert_default())
    }

    fn leads(&mut self, doc: &Export) -> &FxSet<IdKey> {
        self.leads.get_or_insert_with(|| {
            let mut ids = FxSet::with_capacity_and_hasher(doc.leads.len(), Default::default());
            ids.extend(doc.leads.iter().map(|l| IdKey::of(&l.id)));
            ids
        })
    }
}

fn checks(doc: &Export, size: usize) -> usize {
    check_list(doc, size).len()
}

/// Check number `phase` of `check_list`; `mapped`: what earlier checks mapped.
fn check(doc: &Export, phase: usize, size: usize, mapped: &mut Mapped) -> Result<(), ImportError> {
    let slice = |len: usize, n: usize| (n * size).min(len)..len.min((n + 1) * size);
    match check_list(doc, size).get(phase).copied() {
        None => Ok(()),
        Some(Check::Ids(k)) => {
            let (what, ids): (&'static str, Vec<&crate::domain::Id>) = match Kind::ALL[k] {
                Kind::Pipelines => ("pipelines", doc.pipelines.iter().map(|p| &p.id).collect()),
                Kind::Deals => ("deals", doc.deals.iter().map(|d| &d.id).collect()),
                Kind::Events => ("events", doc.events.iter().map(|e| &e.id).collect()),
                Kind::Calls => ("category changes", doc.category_changes.iter().map(|e| &e.id).collect()),
                Kind::Activities => ("activities", doc.activities.iter().map(|a| &a.id).collect()),
                Kind::Owners => ("owners", doc.owners.iter().map(|o| &o.id).collect()),
                Kind::Leads => ("leads", doc.leads.iter().map(|l| &l.id).collect()),
                Kind::Accounts => ("accounts", doc.accounts.iter().map(|a| &a.id).collect()),
                Kind::Contacts => ("contacts", doc.contacts.iter().map(|c| &c.id).collect()),
            };
            match first_repeat(&ids) {
                Some(i) => Err(ImportError::DuplicateId { what, id: ids[i].to_string() }),
                None => Ok(()),
            }
        }
        Some(Check::Amounts) => match doc.deals.iter().find(|d| d.amount.is_some_and(|a| !(0..=crate::domain::money::MAX_AMOUNT_MINOR).contains(&a))) {
            Some(d) => Err(ImportError::BadAmount { deal: d.id.to_string(), amount: d.amount.unwrap_or(0) }),
            None => Ok(()),
        },
        Some(Check::Deals) => {
            mapped.deals = Some(check_deals(&doc.pipelines, &doc.deals)?);
            Ok(())
        }
        Some(Check::Events(n)) => check_references(&doc.pipelines, mapped.deals(doc)?, &doc.events[slice(doc.events.len(), n)], &[], &[]),
        Some(Check::Calls) => check_references(&doc.pipelines, mapped.deals(doc)?, &[], &doc.category_changes, &[]),
        Some(Check::Activities(n)) => check_references(&doc.pipelines, mapped.deals(doc)?, &[], &[], &doc.activities[slice(doc.activities.len(), n)]),
        Some(Check::Leads(n)) => {
            if n == 0 {
                check_owners(&doc.owners)?;
            }
            check_leads(mapped.deals(doc)?, &doc.leads[slice(doc.leads.len(), n)])
        }
        Some(Check::ActivityLeads(n)) => check_activity_leads(mapped.leads(doc), &doc.activities[slice(doc.activities.len(), n)]),
        Some(Check::Accounts) => check_accounts(&doc.deals, &doc.accounts, &doc.contacts, &doc.activities),
    }
}

/// Where the first id that repeats an earlier one is (what a scan with a set finds first).
/// The ids are hashed, sorted by hash (a stable radix sort, so equal hashes keep their
/// order) and only equal neighbours compared: a few linear passes, where a set of two
/// million ids (every record of a 100k-deal export) took 0.8 s of random writes.
fn first_repeat(ids: &[&crate::domain::Id]) -> Option<usize> {
    use std::hash::BuildHasher;
    let hasher = std::hash::BuildHasherDefault::<crate::domain::ids::Fx>::default();
    let mut keyed: Vec<(u64, u32)> = ids.iter().enumerate().map(|(i, id)| (hasher.hash_one(id.as_str()), i as u32)).collect();
    crate::analytics::stats::radix_sort_by_key(&mut keyed, |k| k.0 as i64);
    let mut first: Option<usize> = None;
    for group in keyed.chunk_by(|a, b| a.0 == b.0).filter(|g| g.len() > 1) {
        // Positions ascend within a group: the first one equal to an earlier one is the
        // group's first repeat.
        let repeat = group.iter().enumerate().find(|&(j, &(_, i))| group[..j].iter().any(|&(_, k)| ids[k as usize] == ids[i as usize]));
        if let Some((_, &(_, i))) = repeat {
            first = Some(first.map_or(i as usize, |f| f.min(i as usize)));
        }
    }
    first
}

fn build(doc: Export) -> Workspace {
    let mut ws = make(doc);
    ws.derive_stages();
    ws
}

/// The export's records as a workspace with both logs in order (each sorted once), each
/// deal's stage not yet derived from its history.
fn make(doc: Export) -> Workspace {
    let Export { pipelines, deals, events, category_changes, activities, owners, leads, settings, accounts, contacts, .. } = doc;
    let mut ws = Workspace { pipelines, deals, events, category_changes, activities, owners, leads, settings, accounts, contacts };
    ws.order_logs();
    ws
}

/// An export read a slice at a time, so that a large file never holds the page for long:
/// `step` reads records until it has gone through about `budget` more bytes of the text,
/// then makes one of the checks (or builds the workspace) per call, and says when all is
/// done; `finish` gives the workspace (doing what is left in one go).
///
/// The answer is always `import_json`'s (a property test holds them equal on damaged
/// files): only a well-formed export of the current version, whose "format" and
/// "version" come before its records (as this app writes them), is read in slices; the
/// moment anything else shows (an older version, a syntax or type error, a missing or
/// repeated section, text after the end), the reader gives the whole text to
/// `import_json`, in one go, for the exact message with its line and column.
pub struct ExportReader<'a> {
    text: &'a str,
    pos: usize,
    at: ReadAt,
    parts: Parts,
    /// The steps made since everything was read (checks, then making the workspace), and
    /// how many there are (0 until then).
    done: usize,
    total: usize,
    /// Events or activities per check, records per step joining the long lists, and log
    /// entries per step deriving the stages.
    slice: usize,
    /// Records per block of a long list as read, and the steps made joining them (the
    /// first of the `done` steps).
    block: usize,
    joins: usize,
    /// What one check maps for the checks after it (each deal's pipeline, the leads' ids).
    mapped: Mapped,
    /// Once every check passed: the workspace made, then each deal's stage derived from its
    /// history a slice of the log a step (`derive_stages` in one task was ≈ 150–190 ms at
    /// 100,000 deals).
    made: Option<(Workspace, Option<StageDeriver>)>,
    /// Whether the text went to `import_json` whole.
    handed_on: bool,
    /// The answer, once known (also when the whole text went to `import_json`).
    outcome: Option<Result<Workspace, ImportError>>,
}

#[derive(Clone, Copy, PartialEq, Debug)]
enum ReadAt {
    Start,
    /// Before a key of the top-level object.
    Key,
    /// Inside one of the record arrays, before an element.
    Records(Kind),
    /// After the top-level object.
    End,
    Done,
}

#[derive(Default)]
struct Parts {
    format: Option<String>,
    version: Option<u32>,
    /// The keys met so far (a repeated one is an error for `import_json` to word).
    keys: HashSet<String>,
    doc: Option<Export>,
    /// The long lists as read, joined into `doc` once all is read.
    lists: ReadLists,
}

/// Records per block of a long list as read (`Blocks`).
const READ_BLOCK: usize = 16_384;

/// Records of one kind as read, in blocks of a fixed size: no record read copies all the
/// records before it, as pushing onto one `Vec` does whenever it doubles (in the browser a
/// copy of a list past 50 MB, with the fresh memory it touches, was a task of ≈ 50 ms).
struct Blocks<T> {
    full: std::collections::VecDeque<Vec<T>>,
    last: Vec<T>,
}

impl<T> Default for Blocks<T> {
    fn default() -> Self {
        Blocks { full: Default::default(), last: Vec::new() }
    }
}

impl<T> Blocks<T> {
    fn len(&self) -> usize {
        self.full.iter().map(Vec::len).sum::<usize>() + self.last.len()
    }

    /// What `join` copies: every record, unless none filled a block.
    fn to_copy(&self) -> usize {
        if self.full.is_empty() {
            0
        } else {
            self.len()
        }
    }

    fn push(&mut self, record: T, block: usize) {
        if self.last.len() >= block {
            let next = Vec::with_capacity(block);
            self.full.push_back(std::mem::replace(&mut self.last, next));
        }
        self.last.push(record);
    }

    /// Moves whole blocks into `into` (sized once for all of them) until `left` records
    /// have been moved or all are in (then true). A list that never filled a block is
    /// handed over as it is, copying nothing.
    fn join(&mut self, into: &mut Vec<T>, left: &mut usize) -> bool {
        if self.full.is_empty() {
            if into.is_empty() {
                *into = std::mem::take(&mut self.last);
            } else {
                into.append(&mut self.last);
            }
            return true;
        }
        if into.is_empty() {
            into.reserve_exact(self.len());
        }
        while *left > 0 {
            let Some(mut block) = self.full.pop_front() else { break };
            *left = left.saturating_sub(block.len());
            into.append(&mut block);
        }
        if self.full.is_empty() {
            into.append(&mut self.last);
            return true;
        }
        false
    }
}

/// The lists long enough to matter, as read (the others go straight into the export).
#[derive(Default)]
struct ReadLists {
    deals: Blocks<Opportunity>,
    events: Blocks<StageChange>,
    calls: Blocks<CategoryChange>,
    activities: Blocks<Activity>,
    leads: Blocks<Lead>,
    joined: bool,
}

impl ReadLists {
    /// The records joining copies (a list that never filled a block is not copied).
    fn to_copy(&self) -> usize {
        [self.deals.to_copy(), self.events.to_copy(), self.calls.to_copy(), self.activities.to_copy(), self.leads.to_copy()].iter().sum()
    }

    /// Joins about `budget` more records into `doc`'s lists; true when that copied any (a
    /// step of its own), false when there was nothing to copy.
    fn join(&mut self, doc: &mut Export, budget: usize) -> bool {
        let copies = self.to_copy() > 0;
        let mut left = budget.max(1);
        self.joined = self.deals.join(&mut doc.deals, &mut left)
            && self.events.join(&mut doc.events, &mut left)
            && self.calls.join(&mut doc.category_changes, &mut left)
            && self.activities.join(&mut doc.activities, &mut left)
            && self.leads.join(&mut doc.leads, &mut left);
        copies
    }
}

impl<'a> ExportReader<'a> {
    pub fn new(text: &'a str) -> Self {
        ExportReader { text, pos: 0, at: ReadAt::Start, parts: Parts::default(), done: 0, total: 0, slice: CHECK_SLICE, block: READ_BLOCK, joins: 0, mapped: Mapped::default(), made: None, handed_on: false, outcome: None }
    }

    /// A reader checking `slice` events or activities a step (tests: several slices in a small file).
    #[cfg(test)]
    fn with_slice(text: &'a str, slice: usize) -> Self {
        ExportReader { slice, ..ExportReader::new(text) }
    }

    /// The same, reading the long lists in blocks of `block` records (tests: several blocks
    /// to join in a small file).
    #[cfg(test)]
    fn with_blocks(text: &'a str, slice: usize, block: usize) -> Self {
        ExportReader { block, ..ExportReader::with_slice(text, slice) }
    }

    /// Reads on until about `budget` more bytes are behind, or joins the next slice of the
    /// long lists, or makes the next check; true when the outcome is known.
    pub fn step(&mut self, budget: usize) -> bool {
        let stop = self.pos.saturating_add(budget.max(1));
        while self.outcome.is_none() && self.at != ReadAt::Done {
            if self.pos >= stop {
                return false;
            }
            if self.advance().is_none() {
                self.handed_on = true;
                self.outcome = Some(import_json(self.text));
            }
        }
        if self.outcome.is_none() {
            // Each check a step; then the workspace made, the deals mapped, and the log read
            // a slice a step for each deal's stage.
            if self.made.is_none() {
                let size = self.slice;
                if self.total == 0 {
                    // The steps to come, for the progress: joining the long lists (about),
                    // the checks, making the workspace, deriving the stages.
                    let lists = &self.parts.lists;
                    let doc = self.parts.doc.get_or_insert_with(empty_export);
                    let events = doc.events.len() + lists.events.len();
                    let n = check_list_of(events, doc.activities.len() + lists.activities.len(), doc.leads.len() + lists.leads.len(), size).len();
                    self.total = lists.to_copy().div_ceil(size) + n + 3 + events.div_ceil(size);
                }
                // The long lists joined first, a slice a step (no step where there was
                // nothing to copy).
                if !self.parts.lists.joined {
                    let doc = self.parts.doc.get_or_insert_with(empty_export);
                    if self.parts.lists.join(doc, size) {
                        self.done += 1;
                        self.joins += 1;
                        return false;
                    }
                }
                let n = checks(self.doc(), size);
                let done = self.done - self.joins;
                if done < n {
                    let doc = self.parts.doc.get_or_insert_with(empty_export);
                    match check(doc, done, size, &mut self.mapped) {
                        Err(e) => self.outcome = Some(Err(e)),
                        Ok(()) => self.done += 1,
                    }
                    return self.outcome.is_some();
                }
            }
            self.done += 1;
            match self.made.take() {
                None => self.made = Some((make(self.parts.doc.take().unwrap_or_else(empty_export)), None)),
                Some((ws, None)) => {
                    let deriver = StageDeriver::new(&ws);
                    self.made = Some((ws, Some(deriver)));
                }
                // The stages set in a step of their own once the whole log is read.
                Some((mut ws, Some(deriver))) if deriver.is_done(&ws) => {
                    deriver.finish(&mut ws);
                    self.outcome = Some(Ok(ws));
                }
                Some((ws, Some(mut deriver))) => {
                    deriver.step(&ws, self.slice);
                    self.made = Some((ws, Some(deriver)));
                }
            }
            return self.outcome.is_some();
        }
        true
    }

    /// How far, 0 to 1: reading the text counts 0.7, the steps after it (joining the long
    /// lists, the checks, making the workspace) the rest (about what they take of the time).
    pub fn progress(&self) -> f64 {
        if self.outcome.is_some() {
            1.0
        } else if self.at == ReadAt::Done || self.text.is_empty() {
            0.7 + 0.3 * self.done as f64 / self.total.max(1) as f64
        } else {
            0.7 * self.pos as f64 / self.text.len() as f64
        }
    }

    /// The workspace, checked (what `step` has not yet done is done in one go).
    pub fn finish(mut self) -> Result<Workspace, ImportError> {
        while !self.step(usize::MAX) {}
        self.outcome.take().unwrap_or_else(|| import_json(self.text))
    }

    fn skip_ws(&mut self) {
        let b = self.text.as_bytes();
        while self.pos < b.len() && matches!(b[self.pos], b' ' | b'\t' | b'\n' | b'\r') {
            self.pos += 1;
        }
    }

    fn eat(&mut self, byte: u8) -> Option<()> {
        self.skip_ws();
        (self.text.as_bytes().get(self.pos) == Some(&byte)).then(|| self.pos += 1)
    }

    /// The next value's text (not checked: serde reads it), the position moved past it.
    fn value(&mut self) -> Option<&'a str> {
        self.skip_ws();
        let start = self.pos;
        let end = value_end(self.text.as_bytes(), start)?;
        self.pos = end;
        self.text.get(start..end)
    }

    /// One key with its value, one record, or the end: None when `import_json` must answer.
    fn advance(&mut self) -> Option<()> {
        match self.at {
            ReadAt::Start => {
                self.eat(b'{')?;
                self.skip_ws();
                if self.eat(b'}').is_some() {
                    self.at = ReadAt::End;
                } else {
                    self.at = ReadAt::Key;
                }
            }
            ReadAt::Key => {
                let key: String = serde_json::from_str(self.value()?).ok()?;
                self.eat(b':')?;
                if !self.parts.keys.insert(key.clone()) {
                    return None;
                }
                match (key.as_str(), Kind::named(&key)) {
                    (_, Some(section)) => {
                        // Records before the header: not what this app writes.
                        if self.parts.format.as_deref() != Some(FORMAT) || self.parts.version != Some(FORMAT_VERSION) {
                            return None;
                        }
                        self.eat(b'[')?;
                        self.skip_ws();
                        if self.eat(b']').is_some() {
                            self.after_value()?;
                        } else {
                            self.at = ReadAt::Records(section);
                        }
                    }
                    ("format", _) => {
                        let format: String = serde_json::from_str(self.value()?).ok()?;
                        (format == FORMAT).then_some(())?;
                        self.parts.format = Some(format);
                        self.after_value()?;
                    }
                    ("version", _) => {
                        let version: u32 = serde_json::from_str(self.value()?).ok()?;
                        (version == FORMAT_VERSION).then_some(())?;
                        self.parts.version = Some(version);
                        self.after_value()?;
                    }
                    ("settings", _) => {
                        let settings: Settings = serde_json::from_str(self.value()?).ok()?;
                        self.doc().settings = settings;
                        self.after_value()?;
                    }
                    _ => {
                        // Other keys are ignored, as `import_json` ignores them (once they
                        // are read as JSON).
                        serde_json::from_str::<serde::de::IgnoredAny>(self.value()?).ok()?;
                        self.after_value()?;
                    }
                }
            }
            ReadAt::Records(section) => {
                let text = self.value()?;
                // The long lists into their blocks, the others straight into the export.
                let (block, lists) = (self.block, &mut self.parts.lists);
                let doc = self.parts.doc.get_or_insert_with(empty_export);
                match section {
                    Kind::Deals => lists.deals.push(serde_json::from_str(text).ok()?, block),
                    Kind::Events => lists.events.push(serde_json::from_str(text).ok()?, block),
                    Kind::Calls => lists.calls.push(serde_json::from_str(text).ok()?, block),
                    Kind::Activities => lists.activities.push(serde_json::from_str(text).ok()?, block),
                    Kind::Leads => lists.leads.push(serde_json::from_str(text).ok()?, block),
                    Kind::Pipelines => doc.pipelines.push(serde_json::from_str(text).ok()?),
                    Kind::Owners => doc.owners.push(serde_json::from_str(text).ok()?),
                    Kind::Accounts => doc.accounts.push(serde_json::from_str(text).ok()?),
                    Kind::Contacts => doc.contacts.push(serde_json::from_str(text).ok()?),
                }
                self.skip_ws();
                if self.eat(b',').is_none() {
                    self.eat(b']')?;
                    self.after_value()?;
                }
            }
            ReadAt::End => {
                self.skip_ws();
                let complete = ["pipelines", "deals", "events"].iter().all(|k| self.parts.keys.contains(*k));
                (self.pos == self.text.len() && complete && self.parts.version == Some(FORMAT_VERSION)).then_some(())?;
                self.at = ReadAt::Done;
            }
            ReadAt::Done => {}
        }
        Some(())
    }

    /// After a top-level value: another key, or the end of the object.
    fn after_value(&mut self) -> Option<()> {
        if self.eat(b',').is_some() {
            self.at = ReadAt::Key;
        } else {
            self.eat(b'}')?;
            self.at = ReadAt::End;
        }
        Some(())
    }

    fn doc(&mut self) -> &mut Export {
        self.parts.doc.get_or_insert_with(empty_export)
    }
}

fn empty_export() -> Export {
    Export {
        pipelines: Vec::new(),
        deals: Vec::new(),
        events: Vec::new(),
        category_changes: Vec::new(),
        activities: Vec::new(),
        owners: Vec::new(),
        leads: Vec::new(),
        settings: Settings::default(),
        accounts: Vec::new(),
        contacts: Vec::new(),
    }
}

/// Where the JSON value starting at `start` ends: strings to their closing quote (escapes
/// skipped), objects and arrays to their matching bracket, anything else to the next
/// delimiter. Only finds the extent; serde checks the value.
fn value_end(b: &[u8], start: usize) -> Option<usize> {
    let string_end = |mut i: usize| -> Option<usize> {
        i += 1;
        while i < b.len() {
            match b[i] {
                b'\\' => i += 2,
                b'"' => return Some(i + 1),
                _ => i += 1,
            }
        }
        None
    };
    match *b.get(start)? {
        b'"' => string_end(start),
        b'{' | b'[' => {
            let mut depth = 0usize;
            let mut i = start;
            while i < b.len() {
                match b[i] {
                    b'"' => {
                        i = string_end(i)?;
                        continue;
                    }
                    b'{' | b'[' => depth += 1,
                    b'}' | b']' => {
                        depth -= 1;
                        if depth == 0 {
                            return Some(i + 1);
                        }
                    }
                    _ => {}
                }
                i += 1;
            }
            None
        }
        _ => {
            let n = b[start..].iter().position(|c| matches!(c, b',' | b']' | b'}' | b' ' | b'\t' | b'\n' | b'\r')).unwrap_or(b.len() - start);
            (n > 0).then_some(start + n)
        }
    }
}

/// What every stored workspace satisfies, whatever file it came from: pipelines that the
/// stage editor would accept, deals in an existing pipeline and stage, events between
/// stages of their deal's own pipeline, calls and activities on existing deals, times
/// within 1970–2199, activity texts within the form's limits.
pub fn check_records(
    pipelines: &[Pipeline],
    deals: &[Opportunity],
    events: &[StageChange],
    calls: &[CategoryChange],
    activities: &[Activity],
) -> Result<(), ImportError> {
    let deal_pipeline = check_deals(pipelines, deals)?;
    check_references(pipelines, &deal_pipeline, events, calls, activities)
}

/// Each deal's pipeline (its position among the pipelines), by the deal's id.
type DealPipelines = FxMap<IdKey, u32>;

fn date(what: &'static str, id: &crate::domain::Id, t: DateTime<Utc>) -> Result<(), ImportError> {
    if crate::domain::sane_time(t) { Ok(()) } else { Err(ImportError::DateOutOfRange { what, id: id.to_string(), value: t.to_rfc3339() }) }
}

/// `check_records`' pipelines and deals, giving each deal's pipeline for the rest (made
/// once: a reader checking the logs a slice a step mapped 100,000 deals for every slice).
fn check_deals(pipelines: &[Pipeline], deals: &[Opportunity]) -> Result<DealPipelines, ImportError> {
    use std::collections::HashMap;
    for p in pipelines {
        if let Some(problem) = p.rule_errors().into_iter().next() {
            return Err(ImportError::InvalidPipeline { pipeline: p.name.clone(), problem });
        }
    }
    let by_id: HashMap<&crate::domain::Id, (u32, &Pipeline)> = pipelines.iter().enumerate().map(|(i, p)| (&p.id, (i as u32, p))).collect();
    let mut deal_pipeline: DealPipelines = FxMap::with_capacity_and_hasher(deals.len(), Default::default());
    for d in deals {
        let Some(&(i, _)) = by_id.get(&d.pipeline).filter(|(_, p)| p.stage(&d.stage).is_some()) else {
            return Err(ImportError::DealOutsidePipeline { deal: d.id.to_string() });
        };
        deal_pipeline.insert(IdKey::of(&d.id), i);
        date("deal", &d.id, d.created_at)?;
        date("deal", &d.id, d.updated_at)?;
        for t in d.field_times.values() {
            date("deal", &d.id, *t)?;
        }
        if let Some(c) = d.expected_close.and_then(|c| c.and_hms_opt(0, 0, 0)) {
            date("deal", &d.id, c.and_utc())?;
        }
    }
    Ok(deal_pipeline)
}

/// `check_records`' events, calls and activities, against the deals `check_deals` mapped.
fn check_references(
    pipelines: &[Pipeline],
    deal_pipeline: &DealPipelines,
    events: &[StageChange],
    calls: &[CategoryChange],
    activities: &[Activity],
) -> Result<(), ImportError> {
    let all_stages: FxSet<&crate::domain::Id> = pipelines.iter().flat_map(|p| p.stages.iter().map(|s| &s.id)).collect();
    for e in events {
        let Some(p) = deal_pipeline.get(&IdKey::of(&e.opportunity)).and_then(|&i| pipelines.get(i as usize)) else {
            return Err(ImportError::UnknownReference { event: e.id.to_string(), what: "deal", id: e.opportunity.to_string() });
        };
        for s in e.from.iter().chain([&e.to]) {
            if !all_stages.contains(s) {
                return Err(ImportError::UnknownReference { event: e.id.to_string(), what: "stage", id: s.to_string() });
            }
            if p.stage(s).is_none() {
                return Err(ImportError::ForeignStage { event: e.id.to_string(), stage: s.to_string() });
            }
        }
        date("event", &e.id, e.at)?;
    }
    for c in calls {
        if !deal_pipeline.contains_key(&IdKey::of(&c.opportunity)) {
            return Err(ImportError::UnknownReference { event: c.id.to_string(), what: "deal", id: c.opportunity.to_string() });
        }
        date("category change", &c.id, c.at)?;
    }
    for a in activities {
        // On a lead, an account or a contact: checked with those (`check_activity_leads`,
        // `check_accounts`).
        if matches!(a.on(), crate::domain::ActivityOn::Deal(_)) && !deal_pipeline.contains_key(&IdKey::of(&a.deal)) {
            return Err(ImportError::UnknownReference { event: a.id.to_string(), what: "deal", id: a.deal.to_string() });
        }
        for t in [Some(a.at), Some(a.created_at), Some(a.updated_at), a.done_at].into_iter().flatten() {
            date("activity", &a.id, t)?;
        }
        // The same limits as the activity form, so a crafted file cannot store what the
        // app itself would refuse.
        if let Some(problem) = a.form_problem() {
            return Err(ImportError::InvalidActivity { activity: a.id.to_string(), problem });
        }
    }
    Ok(())
}

/// Accounts and contacts with names, deals and contacts pointing at existing ones.
pub fn check_accounts(
    deals: &[Opportunity],
    accounts: &[crate::domain::Account],
    contacts: &[crate::domain::Contact],
    activities: &[Activity],
) -> Result<(), ImportError> {
    let a: HashSet<&crate::domain::Id> = accounts.iter().map(|x| &x.id).collect();
    let c: HashSet<&crate::domain::Id> = contacts.iter().map(|x| &x.id).collect();
    for x in accounts {
        if x.name.trim().is_empty() || x.name.chars().count() > 200 {
            return Err(ImportError::InvalidLead { lead: x.id.to_string(), problem: crate::domain::DomainError::TitleRequired });
        }
    }
    for x in contacts {
        if x.name.trim().is_empty() || x.name.chars().count() > 200 {
            return Err(ImportError::InvalidLead { lead: x.id.to_string(), problem: crate::domain::DomainError::TitleRequired });
        }
        if let Some(acc) = x.account.as_ref().filter(|id| !a.contains(id)) {
            return Err(ImportError::UnknownReference { event: x.id.to_string(), what: "account", id: acc.to_string() });
        }
    }
    for d in deals {
        if let Some(acc) = d.account_id.as_ref().filter(|id| !a.contains(id)) {
            return Err(ImportError::UnknownReference { event: d.id.to_string(), what: "account", id: acc.to_string() });
        }
        if let Some(con) = d.contact_id.as_ref().filter(|id| !c.contains(id)) {
            return Err(ImportError::UnknownReference { event: d.id.to_string(), what: "contact", id: con.to_string() });
        }
    }
    for x in activities {
        match x.on() {
            crate::domain::ActivityOn::Account(id) if !a.contains(&id) => {
                return Err(ImportError::UnknownReference { event: x.id.to_string(), what: "account", id: id.to_string() })
            }
            crate::domain::ActivityOn::Contact(id) if !c.contains(&id) => {
                return Err(ImportError::UnknownReference { event: x.id.to_string(), what: "contact", id: id.to_string() })
            }
            _ => {}
        }
    }
    Ok(())
}

/// Owners with names, unique.
fn check_owners(owners: &[Owner]) -> Result<(), ImportError> {
    let mut names = HashSet::new();
    for o in owners {
        let name = o.name.trim().to_lowercase();
        if name.is_empty() || !names.insert(name) {
            let problem = if o.name.trim().is_empty() { crate::domain::DomainError::OwnerNameRequired } else { crate::domain::DomainError::DuplicateOwner(o.name.clone()) };
            return Err(ImportError::InvalidLead { lead: o.id.to_string(), problem });
        }
    }
    Ok(())
}

/// Leads the lead form would accept, pointing at existing deals (every deal's id is in
/// `deals`, mapped by the checks before), with times within 1970–2199.
fn check_leads(deals: &DealPipelines, leads: &[Lead]) -> Result<(), ImportError> {
    use crate::domain::sane_time;
    for l in leads {
        // What the lead form would refuse (its arrival time is a time here, checked below).
        if let Some((_, problem)) = crate::domain::lead::lead_problems(&l.name, &l.company, &l.email, &l.phone, &l.source, &l.owner, "").into_iter().next() {
            return Err(ImportError::InvalidLead { lead: l.id.to_string(), problem });
        }
        if let Some(d) = l.deal.as_ref().filter(|d| !deals.contains_key(&IdKey::of(d))) {
            return Err(ImportError::UnknownReference { event: l.id.to_string(), what: "deal", id: d.to_string() });
        }
        for t in [Some(l.created_at), Some(l.updated_at), l.status_at, l.assigned_at].into_iter().flatten() {
            if !sane_time(t) {
                return Err(ImportError::DateOutOfRange { what: "lead", id: l.id.to_string(), value: t.to_rfc3339() });
            }
        }
    }
    Ok(())
}

/// Activities on a lead name one the export has (`lead_ids`: all of them).
fn check_activity_leads(lead_ids: &FxSet<IdKey>, activities: &[Activity]) -> Result<(), ImportError> {
    for a in activities {
        if let Some(l) = a.lead.as_ref().filter(|l| !lead_ids.contains(&IdKey::of(l))) {
            return Err(ImportError::UnknownReference { event: a.id.to_string(), what: "lead", id: l.to_string() });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{demo, Lang};
    use chrono::TimeZone;

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 1, 0, 0, 0).unwrap()
    }

    #[test]
    fn a_single_pipeline_exports_with_only_its_own_records() {
        let mut ws = demo::generate(20, 1, 1, now(), Lang::En);
        let other = demo::generate(5, 2, 2, now(), Lang::En);
        ws.pipelines.extend(other.pipelines.clone());
        ws.deals.extend(other.deals.clone());
        ws.events.extend(other.events.clone());
        ws.accounts.extend(other.accounts.clone());
        let only = pipeline_only(&ws, &other.pipelines[0].id);
        assert_eq!(only.accounts.len(), other.accounts.len(), "the accounts its deals are linked to");
        assert_eq!(only.pipelines.len(), 1);
        assert_eq!(only.deals.len(), 5);
        assert_eq!(only.events.len(), other.events.len());
        let back = import_json(&export_json(&only, now())).unwrap();
        assert_eq!(back.deals, other.deals);
    }

    #[test]
    fn a_version_1_file_imports_through_the_migrations() {
        let ws = demo::generate(5, 1, 1, now(), Lang::En);
        let mut v: serde_json::Value = serde_json::from_str(&export_json(&ws, now())).unwrap();
        // What a version-1 export looked like: no call log, no per-field times, no device.
        v["version"] = 1.into();
        v.as_object_mut().unwrap().remove("category_changes");
        v.as_object_mut().unwrap().remove("activities");
        for d in v["deals"].as_array_mut().unwrap() {
            let d = d.as_object_mut().unwrap();
            for k in ["forecast_category", "field_times", "device", "tags"] {
                d.remove(k);
            }
        }
        let back = import_json(&v.to_string()).unwrap();
        assert_eq!(back.deals.len(), 5);
        assert!(back.category_changes.is_empty() && back.activities.is_empty());
        assert!(back.deals.iter().all(|d| d.tags.is_empty() && d.device.is_empty()));
        assert_eq!(back.events, ws.events);
    }

    #[test]
    fn the_first_repeated_id_is_the_one_a_scan_with_a_set_finds() {
        // Ids drawn from a small alphabet (many repeats), a large one (few or none) and
        // above the radix sort's cut-over; the answer must be the earliest position whose
        // id appeared before, as inserting into a set in order finds it.
        let mut r = crate::domain::Rng::new(3);
        for (n, distinct) in [(0usize, 1u64), (1, 1), (2, 1), (10, 4), (300, 50), (300, 100_000), (5_000, 3_000), (5_000, 1 << 40)] {
            for _ in 0..20 {
                let ids: Vec<crate::domain::Id> = (0..n).map(|_| crate::domain::Id::from(format!("id-{}", r.below(distinct)))).collect();
                let refs: Vec<&crate::domain::Id> = ids.iter().collect();
                let mut seen = HashSet::new();
                let expected = refs.iter().position(|id| !seen.insert(*id));
                assert_eq!(first_repeat(&refs), expected, "{n} ids of {distinct}");
            }
        }
    }

    /// Issue 10: activities travel in the file (v4) and are held to the form's rules.
    #[test]
    fn activities_round_trip_and_bad_ones_are_refused() {
        let ws = demo::generate(30, 1, 1, now(), Lang::Zh);
        assert!(ws.activities.len() > 30, "the demo has a trail of activities");
        let text = export_json(&ws, now());
        assert_eq!(import_json(&text).unwrap().activities, ws.activities);
        let mut v: serde_json::Value = serde_json::from_str(&text).unwrap();
        v["activities"][0]["subject"] = "  ".into();
        let id = v["activities"][0]["id"].as_str().unwrap().to_string();
        assert_eq!(
            import_json(&v.to_string()),
            Err(ImportError::InvalidActivity { activity: id.clone(), problem: crate::domain::DomainError::SubjectRequired })
        );
        v["activities"][0]["subject"] = "Call".into();
        v["activities"][0]["deal"] = "nobody".into();
        assert!(matches!(import_json(&v.to_string()), Err(ImportError::UnknownReference { what: "deal", .. })));
        // An older build's file (v3) has none and still imports.
        let mut old: serde_json::Value = serde_json::from_str(&text).unwrap();
        old["version"] = 3.into();
        old.as_object_mut().unwrap().remove("activities");
        assert!(import_json(&old.to_string()).unwrap().activities.is_empty());
    }

    /// A v4 file (before the trash, targets and rates) reads unchanged and is written back
    /// as v5; rates survive export and import exactly; a v6 file is refused.
    #[test]
    fn version_4_files_read_and_rates_round_trip() {
        let mut ws = demo::generate(20, 1, 1, now(), Lang::En);
        crate::domain::demo::mix_currencies(&mut ws, &["USD", "EUR"], 3);
        let text = export_json(&ws, now());
        let v: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(v["version"], 5);
        let back = import_json(&text).unwrap();
        assert_eq!(back.settings.exchange, ws.settings.exchange);
        assert!(!back.settings.exchange.rates.is_empty());
        let mut old = v.clone();
        old["version"] = 4.into();
        old["settings"].as_object_mut().unwrap().remove("exchange");
        let back = import_json(&old.to_string()).unwrap();
        assert!(!back.settings.exchange.is_on());
        assert_eq!(back.deals, import_json(&text).unwrap().deals);
        let mut future = v;
        future["version"] = 6.into();
        assert_eq!(import_json(&future.to_string()), Err(ImportError::FutureVersion(6)));
    }

    /// Records written before lost-reason lists, account merges and activities on accounts
    /// (no `lost_reasons`, `require_lost_reason`, `merged_into`, `account`, `contact`) load
    /// as they were: a loss needs no reason, every account is live, activities stay on deals.
    #[test]
    fn records_from_before_lost_reasons_and_merges_load_as_they_were() {
        let ws = demo::generate(20, 1, 1, now(), Lang::En);
        assert!(ws.pipelines[0].require_lost_reason, "new pipelines ask for a reason");
        let mut v: serde_json::Value = serde_json::from_str(&export_json(&ws, now())).unwrap();
        for p in v["pipelines"].as_array_mut().unwrap() {
            let p = p.as_object_mut().unwrap();
            assert!(p.remove("require_lost_reason").is_some() && p.remove("lost_reasons").is_some());
        }
        let back = import_json(&v.to_string()).unwrap();
        assert!(!back.pipelines[0].require_lost_reason && back.pipelines[0].lost_reasons.is_empty());
        assert!(back.accounts.iter().all(|a| a.merged_into.is_none()));
        assert!(back.activities.iter().all(|a| a.account.is_none() && a.contact.is_none()));
        assert_eq!(back.activities, ws.activities);
        // And such a pipeline takes a loss without a reason, as it did.
        let mut back = back;
        let p = back.pipelines[0].clone();
        let lost = p.stages.iter().find(|s| s.kind == crate::domain::StageKind::Lost).unwrap().id.clone();
        let open = back.deals.iter().find(|d| d.stage != lost && p.stage(&d.stage).is_some_and(|s| s.kind == crate::domain::StageKind::Open)).unwrap().id.clone();
        let mut ids = crate::domain::IdGen::new(1);
        let mut ctx = crate::domain::Ctx { now: now(), ids: &mut ids, device: "t" };
        let cmd = crate::domain::Command::MoveDeal { deal: open, from: None, to: lost, note: String::new(), lost_reason: String::new(), ticked: Vec::new() };
        let c = back.plan(cmd, &mut ctx).unwrap();
        back.commit(c);
    }

    /// Records written before the trash, targets, required criteria and a deal's own
    /// probability (none of those fields) load as they were: every deal and pipeline live,
    /// no targets, criteria advisory, stage probabilities in force.
    #[test]
    fn records_from_before_the_trash_and_targets_load_as_they_were() {
        let ws = demo::generate(20, 1, 1, now(), Lang::En);
        let mut v: serde_json::Value = serde_json::from_str(&export_json(&ws, now())).unwrap();
        for p in v["pipelines"].as_array_mut().unwrap() {
            let p = p.as_object_mut().unwrap();
            assert!(p.remove("targets").is_some(), "the demo sets targets");
            assert!(!p.contains_key("deleted_at"));
        }
        // Fields only written when set: absent here, as in an older build's records.
        for (list, fields) in [("deals", &["deleted_at", "purged", "probability", "probability_reason"][..]), ("events", &["criteria"][..])] {
            for r in v[list].as_array().unwrap() {
                assert!(fields.iter().all(|f| r.get(*f).is_none()), "{list}: {r}");
            }
        }
        for s in v["pipelines"][0]["stages"].as_array().unwrap() {
            assert!(s.get("criteria_required").is_none());
        }
        let text = v.to_string();
        let back = import_json(&text).unwrap();
        assert!(back.pipelines[0].targets.is_empty() && back.pipelines[0].deleted_at.is_none());
        assert_eq!(back.live_deals().count(), ws.deals.len());
        assert!(back.deals.iter().all(|d| d.probability.is_none() && !d.purged));
        assert!(back.pipelines[0].stages.iter().all(|s| !s.criteria_required));
        assert!(back.events.iter().all(|e| e.criteria.is_empty()));
    }

    #[test]
    fn round_trip_is_identical() {
        let ws = demo::generate(50, 1, 1, now(), Lang::Zh);
        let back = import_json(&export_json(&ws, now())).unwrap();
        assert_eq!(back, ws);
    }

    #[test]
    fn refuses_what_is_not_a_valid_export() {
        assert!(matches!(import_json("{\"format\": \"funnelscope\", "), Err(ImportError::Syntax { line: 1, .. })));
        assert_eq!(import_json("[1, 2]"), Err(ImportError::NotOurs));
        assert_eq!(import_json("{\"hello\": 1}"), Err(ImportError::NotOurs));
        assert_eq!(import_json("{\"format\": \"funnelscope\", \"version\": 9}"), Err(ImportError::FutureVersion(9)));
        let ws = demo::generate(3, 1, 1, now(), Lang::En);
        let text = export_json(&ws, now());
        let broken = text.replacen(&ws.events[0].opportunity.to_string(), "nobody", 1);
        assert!(matches!(import_json(&broken), Err(ImportError::UnknownReference { what: "deal", .. })));
        let dup = text.replacen(&ws.deals[1].id.to_string(), &ws.deals[0].id.to_string(), 1);
        assert!(matches!(import_json(&dup), Err(ImportError::DuplicateId { .. }) | Err(ImportError::UnknownReference { .. })));
        let bad_amount = text.replacen("\"amount\":", "\"amount\":\"x\", \"was\": ", 1);
        let err = import_json(&bad_amount).unwrap_err();
        assert!(matches!(err, ImportError::Invalid { .. }), "{err:?}");
        assert!(err.to_string().contains("line"), "{err}");
    }

    /// Reads `text` with an `ExportReader` in slices of `budget` bytes, checking 3 events or
    /// activities a step and reading the long lists in blocks of 4 (so a small export's
    /// lists, checks and stages also come in several slices, where `import_json` reads and
    /// checks each list in one); also says whether it read the records itself (true) or
    /// gave the text to `import_json`.
    fn stepped(text: &str, budget: usize) -> (Result<Workspace, ImportError>, bool) {
        let mut r = ExportReader::with_blocks(text, 3, 4);
        let mut last = -1.0;
        while !r.step(budget) {
            assert!(r.progress() > last, "every step moves on");
            last = r.progress();
        }
        let own = !r.handed_on;
        (r.finish(), own)
    }

    #[test]
    fn an_export_read_in_slices_is_the_same_workspace() {
        for (n, seed, lang) in [(0, 1, Lang::En), (1, 2, Lang::Zh), (60, 3, Lang::En)] {
            let ws = demo::generate(n, seed, 1, now(), lang);
            let text = export_json(&ws, now());
            for budget in [1, 700, usize::MAX] {
                let (read, own) = stepped(&text, budget);
                assert!(own, "a current export is read in slices, not handed on");
                assert_eq!(read.as_ref(), Ok(&ws));
            }
        }
        // The records come in many steps: 60 deals' export (~250 KB) at 700 bytes a step.
        let text = export_json(&demo::generate(60, 3, 1, now(), Lang::En), now());
        let mut r = ExportReader::new(&text);
        let mut steps = 1;
        while !r.step(700) {
            steps += 1;
        }
        assert!(steps >= text.len() / 700 / 2, "{steps} steps for {} bytes", text.len());
    }

    #[test]
    fn checks_and_stages_in_slices_count_their_steps_and_find_the_same_problem() {
        let ws = demo::generate(60, 3, 1, now(), Lang::En);
        let text = export_json(&ws, now());
        let (e, a, l) = (ws.events.len(), ws.activities.len(), ws.leads.len());
        assert!(e > 100 && a > 100 && l > 50, "several slices of 50: {e} events, {a} activities, {l} leads");
        // Checks a step (the first in the step that reads all the text): the ids of each of
        // the 9 kinds; amounts; pipelines and deals; ceil(e / 50) event slices; the forecast
        // calls; ceil(a / 50) activity slices; ceil(l / 50) lead slices (the owners with the
        // first); ceil(a / 50) slices of the activities' leads; accounts. Then the workspace
        // made, its deals mapped, ceil(e / 50) slices of the log read and the stages set.
        let mut r = ExportReader::with_slice(&text, 50);
        let mut steps = 1;
        while !r.step(usize::MAX) {
            steps += 1;
        }
        assert_eq!(steps, (9 + 2 + e.div_ceil(50) + 1 + a.div_ceil(50) + l.div_ceil(50) + a.div_ceil(50) + 1) + (2 + e.div_ceil(50) + 1));
        assert_eq!(r.finish().as_ref(), Ok(&ws));
        // Read in blocks of 8: the same, after steps joining them, each of whole blocks
        // until 50 records are copied (so at most ⌈copied / 50⌉ of them); the 60 deals,
        // every event, call, activity and lead are copied (each list fills a block).
        let mut r = ExportReader::with_blocks(&text, 50, 8);
        let mut in_blocks = 1;
        while !r.step(usize::MAX) {
            in_blocks += 1;
        }
        let copied = ws.deals.len() + e + ws.category_changes.len() + a + l;
        assert!(ws.category_changes.len() > 8, "{} calls", ws.category_changes.len());
        assert!(in_blocks > steps && in_blocks <= steps + copied.div_ceil(50), "{in_blocks} steps against {steps}, {copied} records copied");
        assert_eq!(r.finish().as_ref(), Ok(&ws));
        // A problem in the last slice of each list (the last event's deal unknown; the last
        // activity, the last lead dated 1925 or 1926, before 1970: out of range; the last
        // activity on a lead naming none), and one in the deals (checked with every slice,
        // found in the first): the same first problem as checking each list whole.
        let in_record = |id: &str, from: &str, to: &str| -> String {
            let at = text.find(&format!("\"id\":\"{id}\"")).unwrap_or(0);
            format!("{}{}", &text[..at], text[at..].replacen(from, to, 1))
        };
        let (last_event, last_activity, last_lead) = (&ws.events[e - 1], &ws.activities[a - 1], &ws.leads[l - 1]);
        let on_lead = ws.activities.iter().rposition(|x| x.lead.is_some()).unwrap_or(0);
        assert!(on_lead >= 50, "an activity on a lead past the first slice: {on_lead}");
        let lead_of = ws.activities[on_lead].lead.clone().unwrap_or_default();
        let broken = [
            in_record(last_event.id.as_str(), &format!("\"opportunity\":\"{}\"", last_event.opportunity), "\"opportunity\":\"nobody\""),
            in_record(last_activity.id.as_str(), "\"at\":\"20", "\"at\":\"19"),
            text.replacen("\"created_at\":\"20", "\"created_at\":\"19", 1),
            in_record(last_lead.id.as_str(), "\"created_at\":\"20", "\"created_at\":\"19"),
            in_record(ws.activities[on_lead].id.as_str(), &format!("\"lead\":\"{lead_of}\""), "\"lead\":\"nobody\""),
        ];
        for b in &broken {
            assert_ne!(b, &text);
            let whole = import_json(b);
            assert!(matches!(whole, Err(ImportError::UnknownReference { .. }) | Err(ImportError::DateOutOfRange { .. })), "{whole:?}");
            for mut r in [ExportReader::with_slice(b, 50), ExportReader::with_blocks(b, 50, 8)] {
                while !r.step(usize::MAX) {}
                assert_eq!(r.finish(), whole);
            }
        }
    }

    #[test]
    fn what_is_not_read_in_slices_gets_import_jsons_answer() {
        let ws = demo::generate(3, 1, 1, now(), Lang::En);
        let text = export_json(&ws, now());
        // The header after the records; an older version; a repeated section; text after
        // the end; a type error in a record; cut short.
        let moved = {
            let v: serde_json::Value = serde_json::from_str(&text).unwrap();
            let mut m = serde_json::Map::new();
            for (k, x) in v.as_object().unwrap().iter().rev() {
                m.insert(k.clone(), x.clone());
            }
            serde_json::to_string(&m).unwrap()
        };
        let cases = [
            moved,
            text.replacen("\"version\":5", "\"version\":4", 1),
            text.replacen("\"events\":", "\"events\":[],\"events\":", 1),
            format!("{text} x"),
            text.replacen("\"amount\":", "\"amount\":\"x\", \"was\": ", 1),
            text[..text.len() / 2].to_string(),
        ];
        for case in &cases {
            let (read, own) = stepped(case, 100);
            assert_eq!(read, import_json(case), "{}", &case[..80]);
            assert!(!own || read.is_ok());
        }
        assert_eq!(stepped(&cases[0], 100).0.as_ref(), Ok(&ws), "key order does not matter");
        assert!(matches!(stepped(&cases[4], 100).0, Err(ImportError::Invalid { line: 1, .. })));
    }

    fn small_export() -> &'static str {
        static TEXT: std::sync::OnceLock<String> = std::sync::OnceLock::new();
        TEXT.get_or_init(|| export_json(&demo::generate(4, 9, 1, now(), Lang::Zh), now()))
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(400))]
        /// A byte of a valid export deleted, inserted or replaced (by one of JSON's
        /// delimiters, a digit, a letter, a space): read in slices or whole, the same
        /// answer, the same message, line and column.
        #[test]
        fn a_damaged_export_gets_the_same_answer_in_slices(
            at in 0usize..1_000_000,
            op in 0u8..3,
            c in proptest::sample::select(vec![b'{', b'}', b'[', b']', b',', b':', b'"', b'\\', b'0', b'a', b' ', b'-', b'n']),
        ) {
            let mut bytes = small_export().as_bytes().to_vec();
            let i = at % bytes.len();
            // Only ASCII is touched, so the text stays UTF-8.
            proptest::prop_assume!(bytes[i].is_ascii());
            match op {
                0 => { bytes.remove(i); }
                1 => bytes.insert(i, c),
                _ => bytes[i] = c,
            }
            let text = String::from_utf8(bytes).unwrap();
            proptest::prop_assert_eq!(stepped(&text, 97).0, import_json(&text));
        }
    }
}
