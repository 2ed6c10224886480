//! Pure domain: types, commands and the append-only event log. No web dependencies.

pub mod account;
pub mod activity;
pub mod board_filter;
pub mod deal_list;
pub mod demo;
pub mod error;
pub mod event;
pub mod ids;
pub mod lead;
pub mod lookup;
pub mod money;
pub mod opportunity;
pub mod pipeline;
pub mod rates;
pub mod target;
pub mod time;
pub mod undo;
pub mod workspace;

pub use account::{Account, Contact};
pub use activity::{Activity, ActivityDraft, ActivityKind, ActivityOn};
pub use error::{DomainError, Field};
pub use lookup::Lookup;
pub use lead::{AssignRule, Lead, LeadDraft, LeadField, LeadStatus, Owner, Settings};
pub use event::{classify, CategoryChange, MoveKind, StageChange};
pub use ids::{FastRng, Hlc, Id, IdGen, Rng};
pub use opportunity::{DealDraft, DealFields, ForecastCategory, Opportunity};
pub use pipeline::{from_template, Extra, Lang, Pipeline, Stage, StageKind, Template, MAX_STAGES};
pub use workspace::{sane_time, stamp, BulkEdit, Change, Command, Ctx, LogPlaces, Places, Rejection, StagePositions, Workspace};
