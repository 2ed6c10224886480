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
    pub at: DateTime<Utc>,
    pub note: String,
}
