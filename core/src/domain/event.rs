//! The append-only stage-change log. Every move (forward, skip, back, reopen) is one
//! event; creation is an event with no `from`. Nothing is ever edited or removed, so the
//! full history of every deal can be replayed by the analytics.

use super::ids::Id;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StageChange {
    pub id: Id,
    pub opportunity: Id,
    /// None for the event that creates the deal.
    pub from: Option<Id>,
    pub to: Id,
    #[serde(with = "super::time::utc")]
    pub at: DateTime<Utc>,
    pub note: String,
    /// The log's tie-breaker: a hybrid-logical-clock stamp given by the write path (see
    /// `Hlc`). Readers order a deal's events by (`at`, `seq`, `id`), a total order that
    /// IndexedDB, exports and merges all keep. 0 only in records written before it existed.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub seq: u64,
    /// The target stage's entry criteria the user ticked in the move dialog (as worded then).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub criteria: Vec<String>,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

impl StageChange {
    /// The total order of the log.
    pub fn key(&self) -> (DateTime<Utc>, u64, &str) {
        (self.at, self.seq, self.id.as_str())
    }
}

/// A rep's forecast call on a deal changed (or was first made). Kept as a log, like stage
/// changes, so that backtests can ask what the commit was on a past date.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CategoryChange {
    pub id: Id,
    pub opportunity: Id,
    pub category: super::opportunity::ForecastCategory,
    #[serde(with = "super::time::utc")]
    pub at: DateTime<Utc>,
    /// As `StageChange::seq`.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub seq: u64,
}

impl CategoryChange {
    pub fn key(&self) -> (DateTime<Utc>, u64, &str) {
        (self.at, self.seq, self.id.as_str())
    }
}

/// How a move relates to the pipeline's order, for the timeline and the analytics.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MoveKind {
    Created,
    Forward,
    /// Forward past `n` stages without entering them.
    Skip(usize),
    /// To an earlier open stage: re-nurture.
    Back,
    /// Out of Won or Lost into an open stage.
    Reopen,
    Won,
    Lost,
    /// Between terminal stages (Won ⇄ Lost) or involving a stage that no longer exists.
    Other,
}

use super::pipeline::{Pipeline, StageKind};

pub fn classify(pipeline: &Pipeline, e: &StageChange) -> MoveKind {
    let Some(from) = &e.from else { return MoveKind::Created };
    let (Some(fs), Some(ts)) = (pipeline.stage(from), pipeline.stage(&e.to)) else { return MoveKind::Other };
    match (fs.kind, ts.kind) {
        (StageKind::Open, StageKind::Won) => MoveKind::Won,
        (StageKind::Open, StageKind::Lost) => MoveKind::Lost,
        (k, StageKind::Open) if k.is_terminal() => MoveKind::Reopen,
        (StageKind::Open, StageKind::Open) => {
            // Count only stages on the board: archived ones are not "skipped".
            let order: Vec<&Id> = pipeline.active_stages().map(|s| &s.id).collect();
            let pos = |id: &Id| order.iter().position(|x| *x == id);
            match (pos(from), pos(&e.to)) {
                (Some(f), Some(t)) if t == f + 1 => MoveKind::Forward,
                (Some(f), Some(t)) if t > f => MoveKind::Skip(t - f - 1),
                (Some(_), Some(_)) => MoveKind::Back,
                _ => MoveKind::Other,
            }
        }
        _ => MoveKind::Other,
    }
}
