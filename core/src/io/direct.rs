//! The board's records read straight from the compact encoding (`io::compact`), field by
//! field, instead of through serde's visitors: deals, stage and forecast changes,
//! pipelines (with their stages, targets and periods), owners, accounts and contacts, and
//! the settings record (lead rule, exchange rates), stored loose beside them. They
//! read what serde reads from the same bytes (a property test holds every field of every
//! one to it), refuse what it refuses (a missing field, a second value for one, a value of
//! another shape, named in serde's words) and keep the fields a newer build wrote (`extra`)
//! as it does. Activities and leads, read after the board is shown, stay serde's.
//!
//! Why: serde's derived decoding, compiled for speed, is one whole copy of the decoder per
//! kind of record, and these are in the app's first download (≈ 136 KB of its wasm for
//! the board's seven kinds, pipelines 46 KB alone). Here each field is one call to a small
//! reader shared by every kind: 34 KB less gzip; in wasm somewhat slower than serde's
//! inlined copies (README).

use super::compact::{Decoder, Error, Text};
use crate::domain::rates::{ExchangeRates, Rate, RateValue};
use crate::domain::target::{Metric, Period, Target};
use crate::domain::{Account, Activity, AssignRule, CategoryChange, Contact, Extra, ForecastCategory, Id, Lead, LeadField, Opportunity, Owner, Pipeline, Settings, Stage, StageChange, StageKind};
use chrono::{DateTime, NaiveDate, Utc};
use serde::de::Error as _;

/// How a kind of record is read from a compact segment: by serde's visitors unless the
/// kind reads itself field by field.
pub trait FromCompact: serde::de::DeserializeOwned {
    fn read(d: &mut Decoder) -> Result<Self, Error> {
        d.record()
    }
}

impl FromCompact for Activity {}
impl FromCompact for Lead {}

/// One field's value, kept once: a second value for the same field is refused, as serde does.
fn put<T>(slot: &mut Option<T>, name: &str, v: T) -> Result<(), Error> {
    match slot.replace(v) {
        None => Ok(()),
        Some(_) => Err(duplicate(name)),
    }
}

fn need<T>(v: Option<T>, name: &str) -> Result<T, Error> {
    v.ok_or_else(|| missing(name))
}

// The refusals are made out of line: the readers are compiled at the core's speed setting,
// which put a copy of each message's formatting at every field of every reader (with the
// decoder's own, `compact::Decoder::fail`, ≈ 7 KB of the first download's wasm).

#[cold]
#[inline(never)]
fn duplicate(name: &str) -> Error {
    Error::custom(format!("duplicate field `{name}`"))
}

#[cold]
#[inline(never)]
fn missing(name: &str) -> Error {
    Error::custom(format!("missing field `{name}`"))
}

#[cold]
#[inline(never)]
fn out_of_range(n: i128, what: &str) -> Error {
    Error::custom(format!("invalid value: integer `{n}`, expected {what}"))
}

fn id(d: &mut Decoder) -> Result<Id, Error> {
    d.id_value()
}

fn opt_id(d: &mut Decoder) -> Result<Option<Id>, Error> {
    if d.null()? {
        return Ok(None);
    }
    id(d).map(Some)
}

fn string(d: &mut Decoder) -> Result<String, Error> {
    Ok(d.text_value()?.as_str().into_owned())
}

fn strings(d: &mut Decoder) -> Result<Vec<String>, Error> {
    seq(d, string)
}

fn opt_time(d: &mut Decoder) -> Result<Option<DateTime<Utc>>, Error> {
    if d.null()? {
        return Ok(None);
    }
    d.time().map(Some)
}

/// A time as chrono's own serde writes and reads it (RFC 3339 text).
fn chrono_time(d: &mut Decoder) -> Result<DateTime<Utc>, Error> {
    match d.text_value()? {
        Text::Segment(s) => crate::domain::time::parse(s).map_err(|e| Error::custom(e.to_string())),
        Text::Uuid(_) => Err(Error::custom("invalid type: UUID, expected an RFC 3339 formatted date and time string")),
    }
}

fn opt_i64(d: &mut Decoder) -> Result<Option<i64>, Error> {
    if d.null()? {
        return Ok(None);
    }
    d.signed("i64").map(Some)
}

fn opt_u8(d: &mut Decoder) -> Result<Option<u8>, Error> {
    if d.null()? {
        return Ok(None);
    }
    narrow(d, "u8").map(Some)
}

fn opt_date(d: &mut Decoder) -> Result<Option<NaiveDate>, Error> {
    if d.null()? {
        return Ok(None);
    }
    date(d).map(Some)
}

fn date(d: &mut Decoder) -> Result<NaiveDate, Error> {
    d.text_value()?.as_str().parse::<NaiveDate>().map_err(|e| Error::custom(e.to_string()))
}

/// A unit variant of an enum whose variants are `names`: its index.
fn variant(d: &mut Decoder, names: &[&str]) -> Result<usize, Error> {
    // A unit variant is its name; serde also takes a map of its name to null.
    let map = d.peek_map()?;
    if map {
        d.map_start()?;
    }
    let i = variant_name(d, names)?;
    if map && !(d.null()? && d.seq_end()?) {
        return Err(Error::custom("a unit variant's map holds its name and null"));
    }
    Ok(i)
}

/// A variant's name among `names`: its index.
fn variant_name(d: &mut Decoder, names: &[&str]) -> Result<usize, Error> {
    let name = d.text_value()?;
    let name = name.as_str();
    names.iter().position(|n| *n == name).ok_or_else(|| unknown_variant(&name, names))
}

#[cold]
#[inline(never)]
fn unknown_variant(name: &str, names: &[&str]) -> Error {
    let names: Vec<String> = names.iter().map(|n| format!("`{n}`")).collect();
    Error::custom(format!("unknown variant `{name}`, expected one of {}", names.join(", ")))
}

fn category(d: &mut Decoder) -> Result<ForecastCategory, Error> {
    use ForecastCategory as C;
    const ALL: [C; 4] = [C::Pipeline, C::BestCase, C::Commit, C::Omitted];
    let i = variant(d, &["Pipeline", "BestCase", "Commit", "Omitted"])?;
    ALL.get(i).copied().ok_or_else(|| Error::custom("no such variant"))
}

fn opt_chrono_time(d: &mut Decoder) -> Result<Option<DateTime<Utc>>, Error> {
    if d.null()? {
        return Ok(None);
    }
    chrono_time(d).map(Some)
}

/// An unsigned integer of a narrower type (`what`, serde's name for it).
fn narrow<T: TryFrom<u64>>(d: &mut Decoder, what: &str) -> Result<T, Error> {
    let n = d.unsigned(what)?;
    T::try_from(n).map_err(|_| out_of_range(n.into(), what))
}

fn seq<T>(d: &mut Decoder, read: fn(&mut Decoder) -> Result<T, Error>) -> Result<Vec<T>, Error> {
    d.seq_start()?;
    let mut out = Vec::new();
    while !d.seq_end()? {
        out.push(read(d)?);
    }
    Ok(out)
}

fn field_times(d: &mut Decoder) -> Result<std::collections::BTreeMap<String, DateTime<Utc>>, Error> {
    d.map_start()?;
    let mut out = std::collections::BTreeMap::new();
    while let Some(k) = d.key()? {
        let t = chrono_time(d)?;
        out.insert(k.into_owned(), t);
    }
    Ok(out)
}

/// A field this build does not know: kept for a record that keeps them, passed over by
/// one that does not (as serde does).
fn other(d: &mut Decoder, key: &str, extra: Option<&mut Extra>) -> Result<(), Error> {
    match extra {
        Some(extra) => {
            let v = d.value()?;
            extra.insert(key.to_string(), v);
            Ok(())
        }
        None => d.skip(),
    }
}

impl FromCompact for StageChange {
    fn read(d: &mut Decoder) -> Result<Self, Error> {
        d.map_start()?;
        let (mut id_, mut opportunity, mut from, mut to, mut at, mut note, mut seq, mut criteria) = (None, None, None, None, None, None, None, None);
        while let Some(k) = d.key()? {
            match &*k {
                "id" => put(&mut id_, "id", id(d)?)?,
                "opportunity" => put(&mut opportunity, "opportunity", id(d)?)?,
                "from" => put(&mut from, "from", opt_id(d)?)?,
                "to" => put(&mut to, "to", id(d)?)?,
                "at" => put(&mut at, "at", d.time()?)?,
                "note" => put(&mut note, "note", string(d)?)?,
                "seq" => put(&mut seq, "seq", d.unsigned("u64")?)?,
                "criteria" => put(&mut criteria, "criteria", strings(d)?)?,
                _ => other(d, &k, None)?,
            }
        }
        Ok(StageChange {
            id: need(id_, "id")?,
            opportunity: need(opportunity, "opportunity")?,
            from: from.flatten(),
            to: need(to, "to")?,
            at: need(at, "at")?,
            note: need(note, "note")?,
            seq: seq.unwrap_or_default(),
            criteria: criteria.unwrap_or_default(),
        })
    }
}

impl FromCompact for CategoryChange {
    fn read(d: &mut Decoder) -> Result<Self, Error> {
        d.map_start()?;
        let (mut id_, mut opportunity, mut cat, mut at, mut seq) = (None, None, None, None, None);
        while let Some(k) = d.key()? {
            match &*k {
                "id" => put(&mut id_, "id", id(d)?)?,
                "opportunity" => put(&mut opportunity, "opportunity", id(d)?)?,
                "category" => put(&mut cat, "category", category(d)?)?,
                "at" => put(&mut at, "at", d.time()?)?,
                "seq" => put(&mut seq, "seq", d.unsigned("u64")?)?,
                _ => other(d, &k, None)?,
            }
        }
        Ok(CategoryChange {
            id: need(id_, "id")?,
            opportunity: need(opportunity, "opportunity")?,
            category: need(cat, "category")?,
            at: need(at, "at")?,
            seq: seq.unwrap_or_default(),
        })
    }
}

impl FromCompact for Opportunity {
    fn read(d: &mut Decoder) -> Result<Self, Error> {
        d.map_start()?;
        let (mut id_, mut pipeline, mut title, mut account, mut contact, mut amount, mut currency, mut owner) = (None, None, None, None, None, None, None, None);
        let (mut source, mut created_at, mut updated_at, mut expected_close, mut stage, mut lost_reason, mut notes) = (None, None, None, None, None, None, None);
        let (mut tags, mut forecast_category, mut times, mut device, mut account_id, mut contact_id) = (None, None, None, None, None, None);
        let (mut probability, mut probability_reason, mut purged, mut deleted_at) = (None, None, None, None);
        let mut extra = Extra::new();
        while let Some(k) = d.key()? {
            match &*k {
                "id" => put(&mut id_, "id", id(d)?)?,
                "pipeline" => put(&mut pipeline, "pipeline", id(d)?)?,
                "title" => put(&mut title, "title", string(d)?)?,
                "account" => put(&mut account, "account", string(d)?)?,
                "contact" => put(&mut contact, "contact", string(d)?)?,
                "amount" => put(&mut amount, "amount", opt_i64(d)?)?,
                "currency" => put(&mut currency, "currency", string(d)?)?,
                "owner" => put(&mut owner, "owner", string(d)?)?,
                "source" => put(&mut source, "source", string(d)?)?,
                "created_at" => put(&mut created_at, "created_at", d.time()?)?,
                "updated_at" => put(&mut updated_at, "updated_at", d.time()?)?,
                "expected_close" => put(&mut expected_close, "expected_close", opt_date(d)?)?,
                "stage" => put(&mut stage, "stage", id(d)?)?,
                "lost_reason" => put(&mut lost_reason, "lost_reason", string(d)?)?,
                "notes" => put(&mut notes, "notes", string(d)?)?,
                "tags" => put(&mut tags, "tags", strings(d)?)?,
                "forecast_category" => put(&mut forecast_category, "forecast_category", category(d)?)?,
                "field_times" => put(&mut times, "field_times", field_times(d)?)?,
                "device" => put(&mut device, "device", string(d)?)?,
                "account_id" => put(&mut account_id, "account_id", opt_id(d)?)?,
                "contact_id" => put(&mut contact_id, "contact_id", opt_id(d)?)?,
                "probability" => put(&mut probability, "probability", opt_u8(d)?)?,
                "probability_reason" => put(&mut probability_reason, "probability_reason", string(d)?)?,
                "purged" => put(&mut purged, "purged", d.boolean()?)?,
                "deleted_at" => put(&mut deleted_at, "deleted_at", opt_time(d)?)?,
                _ => other(d, &k, Some(&mut extra))?,
            }
        }
        Ok(Opportunity {
            id: need(id_, "id")?,
            pipeline: need(pipeline, "pipeline")?,
            title: need(title, "title")?,
            account: need(account, "account")?,
            contact: need(contact, "contact")?,
            amount: amount.flatten(),
            currency: need(currency, "currency")?,
            owner: need(owner, "owner")?,
            source: need(source, "source")?,
            created_at: need(created_at, "created_at")?,
            updated_at: need(updated_at, "updated_at")?,
            expected_close: expected_close.flatten(),
            stage: need(stage, "stage")?,
            lost_reason: need(lost_reason, "lost_reason")?,
            notes: need(notes, "notes")?,
            tags: tags.unwrap_or_default(),
            forecast_category: forecast_category.unwrap_or_default(),
            field_times: times.unwrap_or_default(),
            device: device.unwrap_or_default(),
            account_id: account_id.flatten(),
            contact_id: contact_id.flatten(),
            probability: probability.flatten(),
            probability_reason: probability_reason.unwrap_or_default(),
            purged: purged.unwrap_or_default(),
            deleted_at: deleted_at.flatten(),
            extra,
        })
    }
}

impl FromCompact for Owner {
    fn read(d: &mut Decoder) -> Result<Self, Error> {
        d.map_start()?;
        let (mut id_, mut name, mut active, mut created_at, mut updated_at, mut device) = (None, None, None, None, None, None);
        let mut extra = Extra::new();
        while let Some(k) = d.key()? {
            match &*k {
                "id" => put(&mut id_, "id", id(d)?)?,
                "name" => put(&mut name, "name", string(d)?)?,
                "active" => put(&mut active, "active", d.boolean()?)?,
                "created_at" => put(&mut created_at, "created_at", d.time()?)?,
                "updated_at" => put(&mut updated_at, "updated_at", d.time()?)?,
                "device" => put(&mut device, "device", string(d)?)?,
                _ => other(d, &k, Some(&mut extra))?,
            }
        }
        Ok(Owner {
            id: need(id_, "id")?,
            name: need(name, "name")?,
            active: need(active, "active")?,
            created_at: need(created_at, "created_at")?,
            updated_at: need(updated_at, "updated_at")?,
            device: device.unwrap_or_default(),
            extra,
        })
    }
}

impl FromCompact for Account {
    fn read(d: &mut Decoder) -> Result<Self, Error> {
        d.map_start()?;
        let (mut id_, mut name, mut merged_into, mut created_at, mut updated_at, mut device) = (None, None, None, None, None, None);
        let mut extra = Extra::new();
        while let Some(k) = d.key()? {
            match &*k {
                "id" => put(&mut id_, "id", id(d)?)?,
                "name" => put(&mut name, "name", string(d)?)?,
                "merged_into" => put(&mut merged_into, "merged_into", opt_id(d)?)?,
                "created_at" => put(&mut created_at, "created_at", d.time()?)?,
                "updated_at" => put(&mut updated_at, "updated_at", d.time()?)?,
                "device" => put(&mut device, "device", string(d)?)?,
                _ => other(d, &k, Some(&mut extra))?,
            }
        }
        Ok(Account {
            id: need(id_, "id")?,
            name: need(name, "name")?,
            merged_into: merged_into.flatten(),
            created_at: need(created_at, "created_at")?,
            updated_at: need(updated_at, "updated_at")?,
            device: device.unwrap_or_default(),
            extra,
        })
    }
}

impl FromCompact for Contact {
    fn read(d: &mut Decoder) -> Result<Self, Error> {
        d.map_start()?;
        let (mut id_, mut name, mut account, mut email, mut phone) = (None, None, None, None, None);
        let (mut created_at, mut updated_at, mut device) = (None, None, None);
        let mut extra = Extra::new();
        while let Some(k) = d.key()? {
            match &*k {
                "id" => put(&mut id_, "id", id(d)?)?,
                "name" => put(&mut name, "name", string(d)?)?,
                "account" => put(&mut account, "account", opt_id(d)?)?,
                "email" => put(&mut email, "email", string(d)?)?,
                "phone" => put(&mut phone, "phone", string(d)?)?,
                "created_at" => put(&mut created_at, "created_at", d.time()?)?,
                "updated_at" => put(&mut updated_at, "updated_at", d.time()?)?,
                "device" => put(&mut device, "device", string(d)?)?,
                _ => other(d, &k, Some(&mut extra))?,
            }
        }
        Ok(Contact {
            id: need(id_, "id")?,
            name: need(name, "name")?,
            account: account.flatten(),
            email: email.unwrap_or_default(),
            phone: phone.unwrap_or_default(),
            created_at: need(created_at, "created_at")?,
            updated_at: need(updated_at, "updated_at")?,
            device: device.unwrap_or_default(),
            extra,
        })
    }
}

impl FromCompact for Pipeline {
    fn read(d: &mut Decoder) -> Result<Self, Error> {
        d.map_start()?;
        let (mut id_, mut name, mut stages, mut updated_at, mut lost_reasons, mut require_lost_reason, mut targets, mut deleted_at) = (None, None, None, None, None, None, None, None);
        let mut extra = Extra::new();
        while let Some(k) = d.key()? {
            match &*k {
                "id" => put(&mut id_, "id", id(d)?)?,
                "name" => put(&mut name, "name", string(d)?)?,
                "stages" => put(&mut stages, "stages", seq(d, stage)?)?,
                "updated_at" => put(&mut updated_at, "updated_at", opt_chrono_time(d)?)?,
                "lost_reasons" => put(&mut lost_reasons, "lost_reasons", strings(d)?)?,
                "require_lost_reason" => put(&mut require_lost_reason, "require_lost_reason", d.boolean()?)?,
                "targets" => put(&mut targets, "targets", seq(d, target)?)?,
                "deleted_at" => put(&mut deleted_at, "deleted_at", opt_chrono_time(d)?)?,
                _ => other(d, &k, Some(&mut extra))?,
            }
        }
        Ok(Pipeline {
            id: need(id_, "id")?,
            name: need(name, "name")?,
            stages: need(stages, "stages")?,
            updated_at: updated_at.flatten(),
            lost_reasons: lost_reasons.unwrap_or_default(),
            require_lost_reason: require_lost_reason.unwrap_or_default(),
            targets: targets.unwrap_or_default(),
            deleted_at: deleted_at.flatten(),
            extra,
        })
    }
}

fn stage(d: &mut Decoder) -> Result<Stage, Error> {
    d.map_start()?;
    let (mut id_, mut name, mut kind, mut probability, mut description, mut entry, mut exit) = (None, None, None, None, None, None, None);
    let (mut stuck_after_days, mut criteria_required, mut archived) = (None, None, None);
    let mut extra = Extra::new();
    while let Some(k) = d.key()? {
        match &*k {
            "id" => put(&mut id_, "id", id(d)?)?,
            "name" => put(&mut name, "name", string(d)?)?,
            "kind" => put(&mut kind, "kind", variant(d, &["Open", "Won", "Lost"])?)?,
            "probability" => put(&mut probability, "probability", narrow::<u8>(d, "u8")?)?,
            "description" => put(&mut description, "description", string(d)?)?,
            "entry_criteria" => put(&mut entry, "entry_criteria", strings(d)?)?,
            "exit_criteria" => put(&mut exit, "exit_criteria", strings(d)?)?,
            "stuck_after_days" => put(&mut stuck_after_days, "stuck_after_days", if d.null()? { None } else { Some(narrow::<u32>(d, "u32")?) })?,
            "criteria_required" => put(&mut criteria_required, "criteria_required", d.boolean()?)?,
            "archived" => put(&mut archived, "archived", d.boolean()?)?,
            _ => other(d, &k, Some(&mut extra))?,
        }
    }
    Ok(Stage {
        id: need(id_, "id")?,
        name: need(name, "name")?,
        kind: [StageKind::Open, StageKind::Won, StageKind::Lost].get(need(kind, "kind")?).copied().ok_or_else(|| Error::custom("no such variant"))?,
        probability: need(probability, "probability")?,
        description: need(description, "description")?,
        entry_criteria: need(entry, "entry_criteria")?,
        exit_criteria: need(exit, "exit_criteria")?,
        stuck_after_days: stuck_after_days.flatten(),
        criteria_required: criteria_required.unwrap_or_default(),
        archived: archived.unwrap_or_default(),
        extra,
    })
}

fn target(d: &mut Decoder) -> Result<Target, Error> {
    d.map_start()?;
    let (mut owner, mut metric, mut period_, mut value, mut currency) = (None, None, None, None, None);
    while let Some(k) = d.key()? {
        match &*k {
            "owner" => put(&mut owner, "owner", string(d)?)?,
            "metric" => put(&mut metric, "metric", variant(d, &["WonAmount", "WonDeals", "NewDeals"])?)?,
            "period" => put(&mut period_, "period", period(d)?)?,
            "value" => put(&mut value, "value", d.signed("i64")?)?,
            "currency" => put(&mut currency, "currency", string(d)?)?,
            _ => other(d, &k, None)?,
        }
    }
    Ok(Target {
        owner: need(owner, "owner")?,
        metric: [Metric::WonAmount, Metric::WonDeals, Metric::NewDeals].get(need(metric, "metric")?).copied().ok_or_else(|| Error::custom("no such variant"))?,
        period: need(period_, "period")?,
        value: need(value, "value")?,
        currency: currency.unwrap_or_default(),
    })
}

/// `{"Month": {"year": …, "month": …}}` or `{"Quarter": {"year": …, "quarter": …}}`.
fn period(d: &mut Decoder) -> Result<Period, Error> {
    d.map_start()?;
    let quarter = variant_name(d, &["Month", "Quarter"])? == 1;
    let part = if quarter { "quarter" } else { "month" };
    d.map_start()?;
    let (mut year, mut n) = (None, None);
    while let Some(k) = d.key()? {
        match &*k {
            "year" => {
                let y = d.signed("i32")?;
                put(&mut year, "year", i32::try_from(y).map_err(|_| out_of_range(y.into(), "i32"))?)?
            }
            k if k == part => put(&mut n, part, narrow::<u32>(d, "u32")?)?,
            _ => other(d, &k, None)?,
        }
    }
    let (year, n) = (need(year, "year")?, need(n, part)?);
    if !d.seq_end()? {
        return Err(Error::custom("an enum's map holds one variant"));
    }
    Ok(if quarter { Period::Quarter { year, quarter: n } } else { Period::Month { year, month: n } })
}

impl FromCompact for Settings {
    fn read(d: &mut Decoder) -> Result<Self, Error> {
        d.map_start()?;
        let (mut lead_rule, mut updated_at, mut exchange) = (None, None, None);
        while let Some(k) = d.key()? {
            match &*k {
                "lead_rule" => put(&mut lead_rule, "lead_rule", if d.null()? { None } else { Some(assign_rule(d)?) })?,
                "updated_at" => put(&mut updated_at, "updated_at", opt_chrono_time(d)?)?,
                "exchange" => put(&mut exchange, "exchange", exchange_rates(d)?)?,
                _ => other(d, &k, None)?,
            }
        }
        Ok(Settings { lead_rule: lead_rule.flatten(), updated_at: updated_at.flatten(), exchange: exchange.unwrap_or_default() })
    }
}

/// `{"RoundRobin": {"owners": …, "next": …}}`, `{"BySource": {"map": …, "fallback": …}}` or
/// `{"ByField": {"field": …, "map": …, "fallback": …}}`.
fn assign_rule(d: &mut Decoder) -> Result<AssignRule, Error> {
    d.map_start()?;
    let which = variant_name(d, &["RoundRobin", "BySource", "ByField"])?;
    d.map_start()?;
    let (mut owners, mut next, mut field, mut map, mut fallback) = (None, None, None, None, None);
    while let Some(k) = d.key()? {
        match (which, &*k) {
            (0, "owners") => put(&mut owners, "owners", strings(d)?)?,
            (0, "next") => put(&mut next, "next", narrow::<usize>(d, "usize")?)?,
            (2, "field") => put(&mut field, "field", variant(d, &["Company", "EmailDomain", "PhonePrefix", "Notes"])?)?,
            (1 | 2, "map") => put(&mut map, "map", seq(d, pair)?)?,
            (1 | 2, "fallback") => put(&mut fallback, "fallback", string(d)?)?,
            _ => other(d, &k, None)?,
        }
    }
    let rule = match which {
        0 => AssignRule::RoundRobin { owners: need(owners, "owners")?, next: need(next, "next")? },
        1 => AssignRule::BySource { map: need(map, "map")?, fallback: need(fallback, "fallback")? },
        _ => AssignRule::ByField {
            field: LeadField::ALL.get(need(field, "field")?).copied().ok_or_else(|| Error::custom("no such variant"))?,
            map: need(map, "map")?,
            fallback: need(fallback, "fallback")?,
        },
    };
    if !d.seq_end()? {
        return Err(Error::custom("an enum's map holds one variant"));
    }
    Ok(rule)
}

/// A pair of strings, written as a sequence of two.
fn pair(d: &mut Decoder) -> Result<(String, String), Error> {
    d.seq_start()?;
    let mut two = [None, None];
    for (n, slot) in two.iter_mut().enumerate() {
        if d.seq_end()? {
            return Err(Error::custom(format!("invalid length {n}, expected a tuple of size 2")));
        }
        *slot = Some(string(d)?);
    }
    if !d.seq_end()? {
        return Err(Error::custom("invalid length 3, expected fewer elements in array"));
    }
    let [Some(a), Some(b)] = two else { return Err(Error::custom("invalid length 0, expected a tuple of size 2")) };
    Ok((a, b))
}

fn exchange_rates(d: &mut Decoder) -> Result<ExchangeRates, Error> {
    d.map_start()?;
    let (mut reporting, mut rates, mut updated_at) = (None, None, None);
    while let Some(k) = d.key()? {
        match &*k {
            "reporting" => put(&mut reporting, "reporting", string(d)?)?,
            "rates" => put(&mut rates, "rates", seq(d, rate)?)?,
            "updated_at" => put(&mut updated_at, "updated_at", opt_time(d)?)?,
            _ => other(d, &k, None)?,
        }
    }
    Ok(ExchangeRates { reporting: reporting.unwrap_or_default(), rates: rates.unwrap_or_default(), updated_at: updated_at.flatten() })
}

fn rate(d: &mut Decoder) -> Result<Rate, Error> {
    d.map_start()?;
    let (mut currency, mut on, mut rate) = (None, None, None);
    while let Some(k) = d.key()? {
        match &*k {
            "currency" => put(&mut currency, "currency", string(d)?)?,
            "on" => put(&mut on, "on", date(d)?)?,
            "rate" => {
                let text = string(d)?;
                let value = RateValue::parse(&text).map_err(|_| Error::custom(format!("not an exchange rate: {text:?}")))?;
                put(&mut rate, "rate", value)?
            }
            _ => other(d, &k, None)?,
        }
    }
    Ok(Rate { currency: need(currency, "currency")?, on: need(on, "on")?, rate: need(rate, "rate")? })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::io::compact::Encoder;
    use proptest::prelude::*;
    use serde_json::{json, Value};

    const UUID_A: &str = "0b9c6f1e-3d2a-4c5b-8e7f-1a2b3c4d5e6f";
    const UUID_B: &str = "7f3e2d1c-0b9a-4876-a5b4-c3d2e1f0a9b8";

    fn t(secs: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(secs, 0).unwrap_or_default()
    }

    fn extra() -> Extra {
        let mut e = Extra::new();
        e.insert("newer".into(), json!({"n": [1, -2, 3.5], "s": UUID_B}));
        e
    }

    // Every field given a value other than its default, written out field by field (no
    // `..Default::default()`): a field added to a record does not compile here until it is
    // read directly too, and this test holds the two readers to it.
    fn event() -> StageChange {
        StageChange {
            id: Id::new(UUID_A),
            opportunity: Id::new(UUID_B),
            from: Some(Id::new("s1")),
            to: Id::new("s2"),
            at: t(1_787_029_090),
            note: "called back".into(),
            seq: 42,
            criteria: vec!["Budget".into(), "预算".into()],
        }
    }

    fn call() -> CategoryChange {
        CategoryChange { id: Id::new(UUID_A), opportunity: Id::new(UUID_B), category: ForecastCategory::Commit, at: t(1_700_000_000), seq: 7 }
    }

    fn deal() -> Opportunity {
        let mut times = std::collections::BTreeMap::new();
        times.insert("title".to_string(), t(1_700_000_100));
        // A time with a fraction of a second, as chrono's own serde writes it.
        times.insert("amount".to_string(), t(1_700_000_200) + chrono::Duration::milliseconds(250));
        Opportunity {
            id: Id::new(UUID_A),
            pipeline: Id::new("p1"),
            title: "Rollout".into(),
            account: "Acme".into(),
            contact: "Lee".into(),
            amount: Some(-1_250_00),
            currency: "CNY".into(),
            owner: "Wang".into(),
            source: "Referral".into(),
            created_at: t(1_600_000_000),
            updated_at: t(1_700_000_000) + chrono::Duration::milliseconds(5),
            expected_close: NaiveDate::from_ymd_opt(2026, 12, 31),
            stage: Id::new("s3"),
            lost_reason: "Price".into(),
            notes: "x".repeat(100),
            tags: vec!["EMEA".into(), UUID_B.into()],
            forecast_category: ForecastCategory::BestCase,
            field_times: times,
            device: "dev-1".into(),
            account_id: Some(Id::new(UUID_B)),
            contact_id: Some(Id::new("c1")),
            probability: Some(255),
            probability_reason: "Signed LOI".into(),
            purged: true,
            deleted_at: Some(t(1_750_000_000)),
            extra: extra(),
        }
    }

    fn owner() -> Owner {
        Owner { id: Id::new(UUID_A), name: "Wang".into(), active: true, created_at: t(1), updated_at: t(-5), device: "d".into(), extra: extra() }
    }

    fn account() -> Account {
        Account { id: Id::new(UUID_A), name: "Acme".into(), merged_into: Some(Id::new(UUID_B)), created_at: t(10), updated_at: t(20), device: "d".into(), extra: extra() }
    }

    fn contact() -> Contact {
        Contact {
            id: Id::new(UUID_A),
            name: "Lee".into(),
            account: Some(Id::new(UUID_B)),
            email: "lee@example.com".into(),
            phone: "+86 10 1234 5678".into(),
            created_at: t(10),
            updated_at: t(20),
            device: "d".into(),
            extra: extra(),
        }
    }

    fn stage(n: u8) -> Stage {
        Stage {
            id: Id::new(&format!("s{n}")),
            name: format!("Stage {n}"),
            kind: if n == 2 { StageKind::Won } else { StageKind::Lost },
            probability: n * 10,
            description: "Demo booked".into(),
            entry_criteria: vec!["Budget".into()],
            exit_criteria: vec!["Signed".into(), "Paid".into()],
            stuck_after_days: Some(u32::MAX),
            criteria_required: true,
            archived: true,
            extra: extra(),
        }
    }

    fn pipeline() -> Pipeline {
        let target = |owner: &str, metric, period| Target { owner: owner.into(), metric, period, value: i64::MAX, currency: "EUR".into() };
        Pipeline {
            id: Id::new(UUID_A),
            name: "Sales".into(),
            stages: vec![stage(1), stage(2)],
            updated_at: Some(t(1_700_000_000) + chrono::Duration::milliseconds(1)),
            lost_reasons: vec!["Price".into(), "Timing".into()],
            require_lost_reason: true,
            targets: vec![target("", Metric::WonAmount, Period::Quarter { year: -1, quarter: 4 }), target("Wang", Metric::NewDeals, Period::Month { year: 2026, month: 12 })],
            deleted_at: Some(t(1_800_000_000)),
            extra: extra(),
        }
    }

    fn rules() -> [AssignRule; 3] {
        [
            AssignRule::RoundRobin { owners: vec!["Ana".into(), "李雷".into()], next: 7 },
            AssignRule::BySource { map: vec![("web".into(), "Ana".into()), ("展会".into(), UUID_B.into())], fallback: "Bo".into() },
            AssignRule::ByField { field: LeadField::PhonePrefix, map: vec![("010".into(), "Ana".into())], fallback: "Bo".into() },
        ]
    }

    fn settings(rule: AssignRule) -> Settings {
        let rate = |currency: &str, day: u32, r: &str| Rate {
            currency: currency.into(),
            on: NaiveDate::from_ymd_opt(2026, 10, day).unwrap_or_default(),
            rate: RateValue::parse(r).unwrap_or_else(|_| panic!("{r} is a rate")),
        };
        Settings {
            lead_rule: Some(rule),
            updated_at: Some(t(1_780_000_000) + chrono::Duration::milliseconds(40)),
            exchange: ExchangeRates {
                reporting: "USD".into(),
                rates: vec![rate("CNY", 1, "0.1402"), rate("EUR", 2, "1.0832"), rate("JPY", 3, "0.0067")],
                updated_at: Some(t(1_790_000_000)),
            },
        }
    }

    fn encode<T: serde::Serialize>(records: &[T]) -> Vec<u8> {
        let mut enc = Encoder::new();
        for r in records {
            assert_eq!(enc.push(r), Ok(()));
        }
        enc.finish()
    }

    /// Reads every record of a segment twice, by serde and directly, side by side: each
    /// record the same (or refused by both), and the next one starting at the same byte.
    fn both<T: FromCompact + std::fmt::Debug + PartialEq>(bytes: &[u8]) -> Vec<Result<T, String>> {
        let (Some(mut by_serde), Some(mut direct)) = (Decoder::new(bytes), Decoder::new(bytes)) else { panic!("no magic") };
        let mut out = Vec::new();
        while !by_serde.done() {
            let a = by_serde.record::<T>().map_err(|e| e.to_string());
            let b = T::read(&mut direct).map_err(|e| e.to_string());
            match (&a, &b) {
                (Ok(x), Ok(y)) => assert_eq!(x, y),
                (Err(_), Err(_)) => return out,
                _ => panic!("serde read {a:?}, direct {b:?}"),
            }
            assert_eq!(by_serde.position(), direct.position());
            out.push(b);
        }
        assert!(direct.done());
        out
    }

    #[test]
    fn every_field_reads_back_as_written() {
        // Twice each, so the second copy's strings and UUIDs are read by number.
        assert_eq!(both::<StageChange>(&encode(&[event(), event()])), vec![Ok(event()), Ok(event())]);
        assert_eq!(both::<Pipeline>(&encode(&[pipeline(), pipeline()])), vec![Ok(pipeline()), Ok(pipeline())]);
        assert_eq!(both::<CategoryChange>(&encode(&[call(), call()])), vec![Ok(call()), Ok(call())]);
        assert_eq!(both::<Opportunity>(&encode(&[deal(), deal()])), vec![Ok(deal()), Ok(deal())]);
        assert_eq!(both::<Owner>(&encode(&[owner(), owner()])), vec![Ok(owner()), Ok(owner())]);
        assert_eq!(both::<Account>(&encode(&[account(), account()])), vec![Ok(account()), Ok(account())]);
        assert_eq!(both::<Contact>(&encode(&[contact(), contact()])), vec![Ok(contact()), Ok(contact())]);
        for rule in rules() {
            let s = settings(rule);
            assert_eq!(both::<Settings>(&encode(&[s.clone(), s.clone()])), vec![Ok(s.clone()), Ok(s)]);
        }
        // A rule naming two variants: refused by both.
        let mut two = value(settings(rules()[0].clone()));
        two["lead_rule"]["BySource"] = value(&rules()[1])["BySource"].clone();
        assert_eq!(both::<Settings>(&encode(&[two])), vec![]);
        // Settings never changed: every field left out (defaults), as written.
        assert_eq!(both::<Settings>(&encode(&[Settings::default()])), vec![Ok(Settings::default())]);
        assert_eq!(encode(&[Settings::default()]), encode(&[json!({})]));
    }

    #[test]
    fn defaults_unknown_fields_and_refusals_are_serdes() {
        // Only the fields without a default (and `from` null): the others read as their
        // defaults.
        let bare = json!({"id": UUID_A, "opportunity": UUID_B, "from": null, "to": "s2", "at": 5, "note": ""});
        let read = both::<StageChange>(&encode(&[bare]));
        assert_eq!(read, vec![Ok(StageChange { id: Id::new(UUID_A), opportunity: Id::new(UUID_B), from: None, to: Id::new("s2"), at: t(5), note: String::new(), seq: 0, criteria: vec![] })]);
        // A field a newer build wrote: kept by a deal, passed over by a stage change.
        let mut d = serde_json::to_value(deal()).unwrap_or_default();
        d["later"] = json!([UUID_A, {"x": null}]);
        let read = both::<Opportunity>(&encode(&[d]));
        assert_eq!(read.first().and_then(|r| r.as_ref().ok()).and_then(|d| d.extra.get("later")), Some(&json!([UUID_A, {"x": null}])));
        // A unit variant as a map of its name to null: serde takes it, and so does this.
        let mut c = value(call());
        c["category"] = json!({"Omitted": null});
        assert_eq!(both::<CategoryChange>(&encode(&[c])), vec![Ok(CategoryChange { category: ForecastCategory::Omitted, ..call() })]);
        // Each refused, by both.
        let refused = |v: Value| {
            let bytes = encode(&[v]);
            let mut dec = Decoder::new(&bytes).unwrap_or_else(|| panic!("no magic"));
            let direct = StageChange::read(&mut dec).map(|_| ()).map_err(|e| e.to_string());
            assert!(both::<StageChange>(&bytes).is_empty());
            direct
        };
        let mut missing = serde_json::to_value(event()).unwrap_or_default();
        missing.as_object_mut().map(|o| o.remove("to"));
        assert_eq!(refused(missing), Err("missing field `to`".into()));
        let mut wrong = serde_json::to_value(event()).unwrap_or_default();
        wrong["seq"] = json!(-1);
        assert_eq!(refused(wrong), Err("invalid value: integer `-1`, expected u64".into()));
        let mut wrong = serde_json::to_value(event()).unwrap_or_default();
        wrong["note"] = json!(3);
        assert_eq!(refused(wrong), Err("invalid type: integer `3`, expected a string".into()));
    }

    #[test]
    fn a_field_given_twice_is_refused() {
        // {"id": …, "id": …}: JSON values cannot say it, so the bytes by hand (MAP, STR
        // "id", STR "a", STR_REF 0, STR_REF 1, END; tags as in `io::compact`).
        let bytes = [b'F', b'S', b'B', b'1', 13, 6, 2, b'i', b'd', 6, 1, b'a', 7, 0, 7, 1, 14];
        let mut dec = Decoder::new(&bytes).unwrap_or_else(|| panic!("no magic"));
        assert_eq!(StageChange::read(&mut dec).map_err(|e| e.to_string()), Err("duplicate field `id`".into()));
        assert!(both::<StageChange>(&bytes).is_empty());
    }

    /// A value of any shape a field might meet in a damaged or foreign record.
    fn any_value() -> impl Strategy<Value = Value> {
        prop_oneof![
            1 => Just(Value::Null),
            1 => any::<bool>().prop_map(Value::Bool),
            1 => any::<i64>().prop_map(|n| json!(n)),
            1 => any::<u64>().prop_map(|n| json!(n)),
            // Small enough for a time's seconds, around a u8's edge.
            3 => (-300i64..300).prop_map(|n| json!(n)),
            1 => Just(json!(2.5)),
            1 => prop::sample::select(vec!["", "s1", UUID_A, "2026-08-18T04:58:10Z", "2026-08-18T04:58:10.5+08:00", "2026-12-31", "Commit", "Nope", "300"]).prop_map(|s| json!(s)),
            1 => Just(json!(["a", UUID_B])),
            1 => Just(json!([1])),
            // Pairs of strings (a rule's map) one short and one long.
            1 => Just(json!([["a", UUID_B], ["b"]])),
            1 => Just(json!([["a", "b", "c"]])),
            1 => Just(json!({"Commit": null})),
            1 => Just(json!({"title": "2026-08-18T04:58:10Z"})),
        ]
    }

    /// The full record with one of its fields dropped or given another value, and up to two
    /// fields this build does not know added (one named like a UUID, one named like a field
    /// of a period). One change at a time: a record with several is mostly refused for
    /// the first, and what the others would show goes untried.
    fn mutated(full: Value) -> impl Strategy<Value = Value> {
        let fields = full.as_object().cloned().unwrap_or_default();
        let names: Vec<String> = fields.keys().cloned().collect();
        let changes = prop::collection::vec((prop::sample::select(names), prop::option::of(any_value())), 1..2);
        let added = prop::collection::vec((prop::sample::select(vec!["later", UUID_B, "month"]), any_value()), 0..3);
        (changes, added).prop_map(move |(changes, added)| {
            let mut o = fields.clone();
            for (k, v) in changes {
                match v {
                    None => o.remove(&k),
                    Some(v) => o.insert(k, v),
                };
            }
            for (k, v) in added {
                o.insert(k.to_string(), v);
            }
            Value::Object(o)
        })
    }

    fn value<T: serde::Serialize>(r: T) -> Value {
        serde_json::to_value(r).unwrap_or_default()
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(1000))]

        #[test]
        fn pipelines_read_what_serde_reads(
            pipelines in prop::collection::vec(prop_oneof![
                mutated(value(pipeline())).prop_map(|p| (p, None, None, None)),
                mutated(value(stage(1))).prop_map(|s| (value(pipeline()), Some(s), None, None)),
                mutated(value(&pipeline().targets[0])).prop_map(|t| (value(pipeline()), None, Some(t), None)),
                mutated(json!({"year": 2026, "quarter": 3})).prop_map(|q| (value(pipeline()), None, None, Some(q))),
            ], 1..4),
        ) {
            // One change in each: the pipeline's own fields, its first stage's, its first
            // target's or that target's period's.
            let pipelines: Vec<Value> = pipelines.into_iter().map(|(mut p, s, t, period)| {
                let mut t = t.unwrap_or_else(|| value(&pipeline().targets[0]));
                let s = s.unwrap_or_else(|| value(stage(1)));
                if let Some(period) = period {
                    t["period"] = json!({ "Quarter": period });
                }
                if let Some(first) = p.get_mut("stages").and_then(|v| v.as_array_mut()).and_then(|a| a.first_mut()) {
                    *first = s;
                }
                if let Some(first) = p.get_mut("targets").and_then(|v| v.as_array_mut()).and_then(|a| a.first_mut()) {
                    *first = t;
                }
                p
            }).collect();
            both::<Pipeline>(&encode(&pipelines));
        }

        #[test]
        fn direct_reads_what_serde_reads(
            events in prop::collection::vec(mutated(value(event())), 1..4),
            calls in prop::collection::vec(mutated(value(call())), 1..4),
            deals in prop::collection::vec(mutated(value(deal())), 1..4),
            owners in prop::collection::vec(mutated(value(owner())), 1..4),
            accounts in prop::collection::vec(mutated(value(account())), 1..4),
            contacts in prop::collection::vec(mutated(value(contact())), 1..4),
        ) {
            both::<StageChange>(&encode(&events));
            both::<CategoryChange>(&encode(&calls));
            both::<Opportunity>(&encode(&deals));
            both::<Owner>(&encode(&owners));
            both::<Account>(&encode(&accounts));
            both::<Contact>(&encode(&contacts));
        }

        #[test]
        fn settings_read_what_serde_reads(
            settings_ in prop::collection::vec((0..3usize).prop_flat_map(|n| (Just(n), prop_oneof![
                mutated(value(settings(rules()[n].clone()))).prop_map(|s| (Some(s), None, None, None)),
                mutated(value(settings(rules()[n].clone()).exchange)).prop_map(|x| (None, Some(x), None, None)),
                mutated(value(&settings(rules()[n].clone()).exchange.rates[0])).prop_map(|r| (None, None, Some(r), None)),
                mutated(value(&rules()[n])[["RoundRobin", "BySource", "ByField"][n]].clone()).prop_map(|v| (None, None, None, Some(v))),
            ])), 1..4),
        ) {
            // One change in each: the settings' own fields, the exchange table's, its first
            // rate's or the lead rule's own fields (of the rule picked).
            let records: Vec<Value> = settings_.into_iter().map(|(n, (s, x, r, rule))| {
                let base = settings(rules()[n].clone());
                let mut s = s.unwrap_or_else(|| value(&base));
                if let Some(x) = x {
                    s["exchange"] = x;
                }
                if let Some(r) = r {
                    if let Some(first) = s.pointer_mut("/exchange/rates/0") {
                        *first = r;
                    }
                }
                if let Some(rule) = rule {
                    let name = ["RoundRobin", "BySource", "ByField"][n];
                    s["lead_rule"] = json!({ name: rule });
                }
                s
            }).collect();
            both::<Settings>(&encode(&records));
        }

        #[test]
        fn damaged_bytes_never_panic(cut in any::<prop::sample::Index>(), flip in any::<(prop::sample::Index, u8)>()) {
            let mut bytes = encode(&[deal(), deal()]);
            let at = flip.0.index(bytes.len() - 4) + 4;
            bytes[at] ^= flip.1;
            bytes.truncate(cut.index(bytes.len()) + 4);
            if let Some(mut dec) = Decoder::new(&bytes) {
                while !dec.done() && Opportunity::read(&mut dec).is_ok() {}
            }
        }
    }
}
