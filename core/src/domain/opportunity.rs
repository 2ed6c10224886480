//! An opportunity (商机) and the raw form input that creates or edits one.

use super::error::{DomainError, Field};
use super::ids::Id;
use super::money::{self, parse_amount, CURRENCIES};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

/// The rep's own call on a deal, as in Salesforce/HubSpot forecast categories.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ForecastCategory {
    /// Open, not yet called.
    #[default]
    Pipeline,
    /// Could close this period if things go well.
    BestCase,
    /// The rep commits to closing it this period.
    Commit,
    /// Left out of the forecast.
    Omitted,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Opportunity {
    pub id: Id,
    pub pipeline: Id,
    pub title: String,
    pub account: String,
    pub contact: String,
    /// Integer minor units; None while the amount is not known yet.
    pub amount: Option<i64>,
    pub currency: String,
    pub owner: String,
    pub source: String,
    #[serde(with = "super::time::utc")]
    pub created_at: DateTime<Utc>,
    #[serde(with = "super::time::utc")]
    pub updated_at: DateTime<Utc>,
    pub expected_close: Option<NaiveDate>,
    /// Derived from the event log (see `Workspace::derive_stages`); stored only as a cache.
    pub stage: Id,
    pub lost_reason: String,
    pub notes: String,
    /// Free labels such as a product line; the analytics can filter by them.
    #[serde(default)]
    pub tags: Vec<String>,
    #[serde(default)]
    pub forecast_category: ForecastCategory,
    /// When each field was last edited (field name → time), so that merging two copies
    /// keeps the newer edit of every field. Fields never edited date from `created_at`.
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub field_times: std::collections::BTreeMap<String, DateTime<Utc>>,
    /// The device that made the last edit.
    #[serde(default)]
    pub device: String,
    /// The account and contact records the `account` and `contact` text name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account_id: Option<Id>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contact_id: Option<Id>,
    /// The rep's own win probability (whole percent), overriding the stage's default in the
    /// weighted pipeline; shown beside the data-driven estimate. None: the stage's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub probability: Option<u8>,
    /// Why the rep set it (required with it).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub probability_reason: String,
    /// Removed for good from the trash: what is left is this blank record, so a copy in a
    /// teammate's older file cannot bring the deal back.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub purged: bool,
    /// In the trash since then (None: live). Trashed deals stay stored, restorable, and
    /// leave the board, the analytics and the forecast until restored.
    #[serde(default, with = "super::time::utc_opt", skip_serializing_if = "Option::is_none")]
    pub deleted_at: Option<DateTime<Utc>>,
    /// Fields written by a newer build of the app, kept as they are through every edit.
    #[serde(flatten)]
    pub extra: super::pipeline::Extra,
}

impl Opportunity {
    /// Every editable field as (name, value as text), for merging and conflict reports.
    pub fn fields(&self) -> Vec<(&'static str, String)> {
        vec![
            ("title", self.title.clone()),
            ("account", self.account.clone()),
            ("contact", self.contact.clone()),
            ("amount", self.amount.map(|a| a.to_string()).unwrap_or_default()),
            ("currency", self.currency.clone()),
            ("owner", self.owner.clone()),
            ("source", self.source.clone()),
            ("expected_close", self.expected_close.map(|d| d.to_string()).unwrap_or_default()),
            ("notes", self.notes.clone()),
            ("tags", self.tags.join("\u{1f}")),
            ("forecast_category", format!("{:?}", self.forecast_category)),
            ("lost_reason", self.lost_reason.clone()),
            ("probability", self.probability.map(|p| p.to_string()).unwrap_or_default()),
            ("probability_reason", self.probability_reason.clone()),
            ("deleted", self.deleted_at.map(|t| t.to_rfc3339()).unwrap_or_default()),
            ("purged", if self.purged { "1".into() } else { String::new() }),
        ]
    }

    pub fn is_deleted(&self) -> bool {
        self.deleted_at.is_some()
    }

    /// What stays of `d` once the trash is emptied: its id, pipeline and dates, every field
    /// blank and edited `now` (so the blank wins a merge with an older copy).
    pub fn tombstone(d: &Opportunity, now: DateTime<Utc>, device: &str) -> Opportunity {
        let mut t = Opportunity {
            id: d.id.clone(),
            pipeline: d.pipeline.clone(),
            stage: d.stage.clone(),
            created_at: d.created_at,
            updated_at: now.max(d.updated_at),
            deleted_at: d.deleted_at.or(Some(now)),
            purged: true,
            device: device.to_string(),
            ..Default::default()
        };
        let names: Vec<&str> = t.fields().into_iter().map(|(n, _)| n).collect();
        for n in names {
            t.field_times.insert(n.to_string(), now);
        }
        t
    }

    /// When `field` was last edited.
    pub fn field_time(&self, field: &str) -> DateTime<Utc> {
        self.field_times.get(field).copied().unwrap_or(self.created_at)
    }

    /// Copies `field` from `other` (the names of `fields`).
    pub fn take_field(&mut self, field: &str, other: &Opportunity) {
        match field {
            "title" => self.title = other.title.clone(),
            "account" => self.account = other.account.clone(),
            "contact" => self.contact = other.contact.clone(),
            "amount" => self.amount = other.amount,
            "currency" => self.currency = other.currency.clone(),
            "owner" => self.owner = other.owner.clone(),
            "source" => self.source = other.source.clone(),
            "expected_close" => self.expected_close = other.expected_close,
            "notes" => self.notes = other.notes.clone(),
            "tags" => self.tags = other.tags.clone(),
            "forecast_category" => self.forecast_category = other.forecast_category,
            "lost_reason" => self.lost_reason = other.lost_reason.clone(),
            "deleted" => self.deleted_at = other.deleted_at,
            "probability" => self.probability = other.probability,
            "probability_reason" => self.probability_reason = other.probability_reason.clone(),
            "purged" => self.purged = other.purged,
            _ => {}
        }
        if let Some(t) = other.field_times.get(field) {
            self.field_times.insert(field.to_string(), *t);
        }
    }
}

/// What the deal form holds: plain text exactly as typed.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct DealDraft {
    pub title: String,
    pub account: String,
    pub contact: String,
    pub amount: String,
    pub currency: String,
    pub owner: String,
    pub source: String,
    pub expected_close: String,
    pub notes: String,
    /// Comma-separated (either , or ，).
    pub tags: String,
    pub forecast_category: ForecastCategory,
    /// The rep's win probability in percent ("" for the stage's), and why.
    pub probability: String,
    pub probability_reason: String,
}

/// The validated content of a draft.
#[derive(Clone, Debug, PartialEq)]
pub struct DealFields {
    pub title: String,
    pub account: String,
    pub contact: String,
    pub amount: Option<i64>,
    pub currency: String,
    pub owner: String,
    pub source: String,
    pub expected_close: Option<NaiveDate>,
    pub notes: String,
    pub tags: Vec<String>,
    pub forecast_category: ForecastCategory,
    pub probability: Option<u8>,
    pub probability_reason: String,
}

const SHORT_MAX: usize = 200;
const NOTES_MAX: usize = 10_000;

impl DealDraft {
    pub fn from_deal(d: &Opportunity) -> Self {
        DealDraft {
            title: d.title.clone(),
            account: d.account.clone(),
            contact: d.contact.clone(),
            amount: d.amount.map(money::amount_to_input).unwrap_or_default(),
            currency: d.currency.clone(),
            owner: d.owner.clone(),
            source: d.source.clone(),
            expected_close: d.expected_close.map(|d| d.to_string()).unwrap_or_default(),
            notes: d.notes.clone(),
            tags: d.tags.join(", "),
            forecast_category: d.forecast_category,
            probability: d.probability.map(|p| p.to_string()).unwrap_or_default(),
            probability_reason: d.probability_reason.clone(),
        }
    }

    /// All problems at once, each tied to its field, so the form can show them together.
    pub fn validate(&self) -> Result<DealFields, Vec<(Field, DomainError)>> {
        let mut errors = Vec::new();
        let mut short = |field: Field, value: &str| -> String {
            let v = value.trim().to_string();
            if v.chars().count() > SHORT_MAX {
                errors.push((field, DomainError::TooLong { field, max: SHORT_MAX }));
            }
            v
        };
        let title = short(Field::Title, &self.title);
        let account = short(Field::Account, &self.account);
        let contact = short(Field::Contact, &self.contact);
        let owner = short(Field::Owner, &self.owner);
        let source = short(Field::Source, &self.source);
        if title.is_empty() {
            errors.push((Field::Title, DomainError::TitleRequired));
        }
        let amount = parse_amount(&self.amount).unwrap_or_else(|e| {
            errors.push((Field::Amount, DomainError::Amount(e)));
            None
        });
        let currency = self.currency.trim().to_uppercase();
        let currency = if currency.is_empty() { "CNY".to_string() } else { currency };
        if !CURRENCIES.contains(&currency.as_str()) {
            errors.push((Field::Currency, DomainError::UnknownCurrency(currency.clone())));
        }
        // A sign that names another currency is refused, not silently dropped ("¥8000" with
        // USD selected would be saved as $8,000).
        if let Some((_, allowed)) = super::money::sign_currencies(&self.amount).filter(|(_, a)| !a.contains(&currency.as_str())) {
            errors.push((
                Field::Amount,
                DomainError::CurrencySignMismatch { typed: self.amount.trim().to_string(), currency: currency.clone(), allowed: allowed.join(" / ") },
            ));
        }
        if amount.is_some_and(|a| a % 100 != 0) && super::money::decimals(&currency) == 0 {
            errors.push((Field::Amount, DomainError::NoDecimalsIn(currency.clone())));
        }
        let expected_close = match self.expected_close.trim() {
            "" => None,
            s => match NaiveDate::parse_from_str(s, "%Y-%m-%d") {
                Ok(d) => Some(d),
                Err(_) => {
                    errors.push((Field::ExpectedClose, DomainError::InvalidDate(s.to_string())));
                    None
                }
            },
        };
        let notes = self.notes.trim().to_string();
        if notes.chars().count() > NOTES_MAX {
            errors.push((Field::Notes, DomainError::TooLong { field: Field::Notes, max: NOTES_MAX }));
        }
        let mut tags: Vec<String> = Vec::new();
        for t in self.tags.split([',', '，']).map(str::trim).filter(|t| !t.is_empty()) {
            if t.chars().count() > SHORT_MAX {
                errors.push((Field::Tags, DomainError::TooLong { field: Field::Tags, max: SHORT_MAX }));
            } else if !tags.iter().any(|x| x == t) {
                tags.push(t.to_string());
            }
        }
        let probability = match self.probability.trim().trim_end_matches('%').trim() {
            "" => None,
            s => match s.parse::<u8>() {
                Ok(p) if p <= 100 => Some(p),
                _ => {
                    errors.push((Field::Probability, DomainError::ProbabilityOverride(self.probability.trim().to_string())));
                    None
                }
            },
        };
        let probability_reason = if probability.is_some() { self.probability_reason.trim().to_string() } else { String::new() };
        if probability.is_some() && probability_reason.is_empty() {
            errors.push((Field::ProbabilityReason, DomainError::ReasonRequired));
        }
        if probability_reason.chars().count() > SHORT_MAX {
            errors.push((Field::ProbabilityReason, DomainError::TooLong { field: Field::ProbabilityReason, max: SHORT_MAX }));
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        let forecast_category = self.forecast_category;
        Ok(DealFields { title, account, contact, amount, currency, owner, source, expected_close, notes, tags, forecast_category, probability, probability_reason })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::money::AmountError;

    fn draft() -> DealDraft {
        DealDraft { title: "ERP rollout".into(), amount: "12,000".into(), currency: "usd".into(), ..Default::default() }
    }

    #[test]
    fn valid_draft_is_normalised() {
        let f = draft().validate().unwrap();
        assert_eq!(f.amount, Some(1_200_000));
        assert_eq!(f.currency, "USD");
        assert_eq!(f.expected_close, None);
    }

    #[test]
    fn every_problem_is_reported_against_its_field() {
        let d = DealDraft {
            title: "  ".into(),
            amount: "-3".into(),
            currency: "XYZ".into(),
            expected_close: "31/02/2025".into(),
            owner: "x".repeat(201),
            ..Default::default()
        };
        let errs = d.validate().unwrap_err();
        assert!(errs.contains(&(Field::Title, DomainError::TitleRequired)));
        assert!(errs.contains(&(Field::Amount, DomainError::Amount(AmountError::Negative))));
        assert!(errs.contains(&(Field::Currency, DomainError::UnknownCurrency("XYZ".into()))));
        assert!(errs.contains(&(Field::ExpectedClose, DomainError::InvalidDate("31/02/2025".into()))));
        assert!(errs.contains(&(Field::Owner, DomainError::TooLong { field: Field::Owner, max: 200 })));
        assert_eq!(errs.len(), 5);
    }

    /// Issue 11: "¥8000" with USD selected was saved as $8,000. A sign must agree with the
    /// currency (¥ is yuan or yen, $ US or Hong Kong dollars); without a sign any currency.
    #[test]
    fn a_currency_sign_must_agree_with_the_currency() {
        let with = |amount: &str, currency: &str| DealDraft { title: "T".into(), amount: amount.into(), currency: currency.into(), ..Default::default() }.validate();
        assert_eq!(
            with("¥8000", "USD").unwrap_err(),
            vec![(Field::Amount, DomainError::CurrencySignMismatch { typed: "¥8000".into(), currency: "USD".into(), allowed: "CNY / JPY".into() })]
        );
        assert_eq!(with("¥8000", "JPY").unwrap().amount, Some(800_000));
        assert_eq!(with("8000元", "CNY").unwrap().amount, Some(800_000));
        assert_eq!(with("$1,200", "HKD").unwrap().amount, Some(120_000));
        assert!(with("HK$1,200", "USD").is_err());
        assert!(with("€5", "GBP").is_err());
        assert_eq!(with("8000", "EUR").unwrap().amount, Some(800_000));
    }

    #[test]
    fn yen_takes_no_decimals() {
        let d = |amount: &str, currency: &str| DealDraft { title: "T".into(), amount: amount.into(), currency: currency.into(), ..Default::default() }.validate();
        assert_eq!(d("8000.5", "JPY").unwrap_err(), vec![(Field::Amount, DomainError::NoDecimalsIn("JPY".into()))]);
        assert_eq!(d("¥8,000", "JPY").unwrap().amount, Some(800_000));
        assert_eq!(d("8000.5", "CNY").unwrap().amount, Some(800_050));
    }

    #[test]
    fn impossible_calendar_dates_are_rejected() {
        let d = DealDraft { expected_close: "2025-02-30".into(), ..draft() };
        assert!(d.validate().is_err());
        let d = DealDraft { expected_close: "2024-02-29".into(), ..draft() };
        assert!(d.validate().is_ok());
    }
}
