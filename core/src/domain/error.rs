//! Every way a command can be refused. The UI turns each into a translated, specific
//! message; nothing is stored when a command is refused.

use super::money::AmountError;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DomainError {
    // Deal form
    TitleRequired,
    TooLong { field: Field, max: usize },
    Amount(AmountError),
    UnknownCurrency(String),
    /// "¥8000" typed with USD selected: the sign says another currency.
    CurrencySignMismatch { typed: String, currency: String, allowed: String },
    InvalidDate(String),
    /// Decimals typed for a currency that has none (the yen).
    NoDecimalsIn(String),
    // Moves
    UnknownDeal,
    UnknownPipeline,
    UnknownStage,
    StageArchived,
    AlreadyInStage,
    /// The stage requires its entry criteria, and these were not ticked.
    CriteriaNotMet { stage: String, missing: String },
    /// The pipeline asks for a reason when a deal is lost.
    LostReasonRequired,
    /// A deal's own win probability must be a whole percent 0–100.
    ProbabilityOverride(String),
    /// A target must be a positive number.
    TargetValue,
    /// Undo found nothing left to take back (all of it was changed again since).
    NothingToUndo,
    /// Undo would overwrite what was changed after it (in another tab, by a merge).
    ChangedSince(String),
    /// A bulk edit with no deal chosen.
    NoDealsChosen,
    /// A deal in the trash cannot be edited or moved until restored.
    DealDeleted,
    /// The deal is no longer where the user saw it (another tab or device moved it).
    MovedElsewhere { stage: String },
    /// A time outside 1970–2200: refused rather than risk overflowing date arithmetic.
    DateOutOfRange,
    // Stage editor
    PipelineNameRequired,
    DuplicatePipelineName(String),
    StageNameRequired { position: usize },
    DuplicateStageName(String),
    ProbabilityOutOfRange { stage: String },
    NeedsOpenStage,
    NeedsOneWonStage,
    NeedsOneLostStage,
    TerminalStagesLast,
    StageHasDeals { stage: String, deals: usize },
    StageKindChangedWithDeals { stage: String },
    TooManyStages { stages: usize, max: usize },
    // Activities
    SubjectRequired,
    InvalidDuration(String),
    UnknownActivity,
    /// Done / reschedule apply to tasks only.
    NotATask,
    // Leads and owners
    LeadNeedsName,
    InvalidEmail(String),
    InvalidPhone(String),
    UnknownLead,
    UnknownAccount,
    UnknownContact,
    NameRequired,
    /// Another account already has this name (or one that matches it): merge instead.
    AccountExists(String),
    /// An account cannot be merged into itself or into one merged away.
    CannotMergeAccount,
    /// Already qualified or disqualified.
    LeadClosed,
    ReasonRequired,
    OwnerNameRequired,
    UnknownOwner,
    DuplicateOwner(String),
    /// An assignment rule with no owner to assign to.
    RuleWithoutOwners,
    /// One lead of a pasted or imported batch (1-based, blank lines not counted), and its
    /// problem.
    LeadLine { line: usize, problem: Box<DomainError> },
    // Exchange rates
    RateNotANumber(String),
    RateNotPositive(String),
    /// More than `rates::RATE_DECIMALS` places.
    RateTooPrecise(String),
    RateTooLarge(String),
    /// The reporting currency is worth 1 of itself: it takes no rate.
    RateForReporting(String),
    /// Changing the reporting currency with rates quoted in the old one.
    RatesQuotedIn(String),
    /// Rates need a reporting currency to be quoted in.
    NoReportingCurrency,
    /// One line of a rate table (1-based, counting a header) and its problem.
    RateLine { line: usize, problem: Box<DomainError> },
}

/// Form fields, so messages can be shown next to the right input.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Field {
    Title,
    Account,
    Contact,
    Amount,
    Currency,
    Owner,
    Source,
    ExpectedClose,
    Notes,
    Tags,
    Stage,
    LostReason,
    Probability,
    ProbabilityReason,
    PipelineName,
    Subject,
    When,
    Duration,
    Outcome,
}
