//! The manager's views per rep (issue 11): won and lost deals by owner and month with
//! amounts, win rate and average cycle; and target attainment, to date and as forecast.
//! Definitions in docs/analytics.md; recomputed in SQL by scripts/duckdb_analytics.py.

use crate::domain::target::{Metric, Period, Target};
use crate::domain::ids::FxMap;
use crate::domain::{Id, Opportunity, Pipeline, StageKind, Workspace};
use chrono::{DateTime, Utc};
use serde::Serialize;
use std::collections::BTreeMap;

#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct RepMonth {
    pub owner: String,
    /// "2026-11": the month (UTC) the deals closed in.
    pub month: String,
    pub won: usize,
    pub won_amount: Vec<(String, i64)>,
    pub lost: usize,
    pub lost_amount: Vec<(String, i64)>,
    /// won ÷ (won + lost).
    pub win_rate: f64,
    /// Mean days from creation to the win, over the won deals.
    pub avg_cycle_days: Option<f64>,
}

/// When and how each live deal of `pipeline` closed, as of `as_of`: its last event then, if
/// that event entered a Won or Lost stage.
fn closings<'a>(ws: &'a Workspace, pipeline: &Pipeline, as_of: DateTime<Utc>) -> Vec<(&'a Opportunity, StageKind, DateTime<Utc>)> {
    // Fx-hashed text: std's SipHash made this map ≈ 25 ms of the forecast page's first
    // task at 10,000 deals (≈ 100k events), a CPU profile showed.
    let mut last: FxMap<&str, (&Id, DateTime<Utc>)> = FxMap::default();
    for e in ws.events.iter().filter(|e| e.at <= as_of) {
        last.insert(e.opportunity.as_str(), (&e.to, e.at));
    }
    ws.live_deals()
        .filter(|d| d.pipeline == pipeline.id)
        .filter_map(|d| {
            let &(to, at) = last.get(d.id.as_str())?;
            let kind = pipeline.stage(to)?.kind;
            kind.is_terminal().then_some((d, kind, at))
        })
        .collect()
}

/// Won and lost deals per owner and month of closing, newest month first, then owner.
pub fn per_rep(ws: &Workspace, pipeline: &Pipeline, as_of: DateTime<Utc>) -> Vec<RepMonth> {
    type Acc = (usize, Vec<(String, Option<i64>)>, usize, Vec<(String, Option<i64>)>, Vec<f64>);
    let mut m: BTreeMap<(String, String), Acc> = BTreeMap::new();
    for (d, kind, at) in closings(ws, pipeline, as_of) {
        let acc = m.entry((Period::month_of(at).code(), d.owner.clone())).or_default();
        let money = (d.currency.clone(), d.amount);
        if kind == StageKind::Won {
            acc.0 += 1;
            acc.1.push(money);
            // Whole seconds of each time, as the rest of the analytics (and the DuckDB check)
            // count them: a sub-second gap must not round differently.
            acc.4.push((at.timestamp() - d.created_at.timestamp()) as f64 / 86_400.0);
        } else {
            acc.2 += 1;
            acc.3.push(money);
        }
    }
    let totals = |v: &[(String, Option<i64>)]| crate::domain::money::totals_by_currency(v.iter().map(|(c, a)| (c.as_str(), *a)));
    let mut out: Vec<RepMonth> = m
        .into_iter()
        .map(|((month, owner), (won, wa, lost, la, cycles))| RepMonth {
            owner,
            month,
            won,
            won_amount: totals(&wa),
            lost,
            lost_amount: totals(&la),
            win_rate: won as f64 / (won + lost) as f64,
            avg_cycle_days: (!cycles.is_empty()).then(|| cycles.iter().sum::<f64>() / cycles.len() as f64),
        })
        .collect();
    out.sort_by(|a, b| b.month.cmp(&a.month).then_with(|| a.owner.cmp(&b.owner)));
    out
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Attainment {
    pub target: Target,
    /// Reached so far (minor units or deals), counted up to as-of.
    pub actual: i64,
    /// actual ÷ target.
    pub share: f64,
    /// For a period not over yet: what the forecast expects by its end (mean, and the
    /// 10th–90th percentile range), actual included. None once the period is over, or
    /// before it starts.
    pub expected: Option<(f64, f64, f64)>,
}

/// A won deal's amount in `currency`: its own when it is in it; converted at the rate in
/// effect on the day it was won when `currency` is the reporting currency; else none.
fn in_currency(fx: &crate::domain::rates::ExchangeRates, d: &Opportunity, currency: &str, won_at: DateTime<Utc>) -> Option<i64> {
    let amount = d.amount?;
    if d.currency == currency {
        return Some(amount);
    }
    (fx.reporting == currency).then(|| fx.convert(amount, &d.currency, won_at.date_naive())).flatten()
}

/// What each target has reached as of `as_of`: won amount (deals in the target's currency,
/// or converted into it when it is the reporting currency) and won deals count the deals that closed as Won within the period; new deals count
/// those created within it. A team target (no owner) counts every owner.
pub fn attainment_to_date(ws: &Workspace, pipeline: &Pipeline, as_of: DateTime<Utc>) -> Vec<Attainment> {
    // Every page with a targets section asks, most pipelines have none: no pass over the log.
    if pipeline.targets.is_empty() {
        return Vec::new();
    }
    let closed = closings(ws, pipeline, as_of);
    pipeline
        .targets
        .iter()
        .map(|t| {
            let (start, end) = t.period.bounds();
            let inside = |at: DateTime<Utc>| (start..end).contains(&at.timestamp()) && at <= as_of;
            let mine = |d: &Opportunity| t.owner.is_empty() || d.owner == t.owner;
            let actual = match t.metric {
                Metric::WonAmount => closed
                    .iter()
                    .filter(|(d, k, at)| *k == StageKind::Won && inside(*at) && mine(d))
                    .filter_map(|(d, _, at)| in_currency(&ws.settings.exchange, d, &t.currency, *at))
                    .sum(),
                Metric::WonDeals => closed.iter().filter(|(d, k, at)| *k == StageKind::Won && inside(*at) && mine(d)).count() as i64,
                Metric::NewDeals => ws.live_deals().filter(|d| d.pipeline == pipeline.id && inside(d.created_at) && mine(d)).count() as i64,
            };
            Attainment { target: t.clone(), actual, share: actual as f64 / t.value as f64, expected: None }
        })
        .collect()
}

/// The 10th and 90th percentiles of a normal distribution with this mean and variance
/// (z = 1.2816), floored at `floor` (what is reached already cannot be lost).
fn normal_range(mean: f64, var: f64, floor: f64) -> (f64, f64) {
    let sd = var.max(0.0).sqrt();
    ((mean - 1.2816 * sd).max(floor), mean + 1.2816 * sd)
}

/// Attainment with the forecast's expectation for periods under way: the open deals'
/// chances to win by the period's end (owner's deals for an owner's target) plus deals not
/// created yet, from the same model as the forecast page.
/// - won amount: actual + the Monte Carlo's mean, p10 and p90 of revenue won by the end
///   (only when the forecast's currency is the target's);
/// - won deals: actual + Σ p over open deals + expected new wins; range from the variance
///   Σ p(1−p) + new (Poisson), normal approximation;
/// - new deals: actual + arrivals per day × days left; Poisson range, normal approximation.
pub fn attainment(ws: &Workspace, flow: &crate::analytics::Flow, pipeline: &Pipeline, as_of: DateTime<Utc>, trials: usize) -> Vec<Attainment> {
    let mut out = attainment_to_date(ws, pipeline, as_of);
    for a in out.iter_mut() {
        a.expected = expectation(flow, &a.target, a.actual, as_of, trials);
    }
    out
}

/// What a target is expected to reach by its period's end (see `attainment`), given what it
/// has reached (`actual`); `None` when its period is not under way at `as_of`, or its won
/// amount is in another currency than the forecast's. One forecast per call (a model
/// estimated for the target's owner), so the page computes a table's rows one at a time.
pub fn expectation(flow: &crate::analytics::Flow, target: &Target, actual: i64, as_of: DateTime<Utc>, trials: usize) -> Option<(f64, f64, f64)> {
    let now = as_of.timestamp();
    let (start, end) = target.period.bounds();
    if !(start..end).contains(&now) {
        return None;
    }
    let filter = crate::analytics::DealFilter { owner: (!target.owner.is_empty()).then(|| target.owner.clone()), ..Default::default() };
    let q = crate::forecast::ForecastQuery { as_of: now, until: end, trials, seed: 11, filter, what_if: Default::default() };
    let f = crate::forecast::forecast(flow, &q);
    let actual = actual as f64;
    match target.metric {
        Metric::WonAmount if f.currency == target.currency => Some((actual + f.mc_mean, actual + f.p10, actual + f.p90)),
        Metric::WonAmount => None,
        Metric::WonDeals => {
            let p: f64 = f.deals.iter().map(|d| d.probability).sum();
            let var: f64 = f.deals.iter().map(|d| d.probability * (1.0 - d.probability)).sum::<f64>() + f.expected_new_wins;
            let mean = actual + p + f.expected_new_wins;
            let (lo, hi) = normal_range(mean, var, actual);
            Some((mean, lo, hi))
        }
        Metric::NewDeals => {
            let more = f.new_per_day * (end - now) as f64 / 86_400.0;
            let (lo, hi) = normal_range(actual + more, more, actual);
            Some((actual + more, lo, hi))
        }
    }
}
