//! How accurate each method would have been: replay the log as of the start of each past
//! month, forecast that month with what was known then, and compare with what was won.
//! Stage history and the reps' forecast calls are replayed; other field values (amounts,
//! expected close dates, stage probabilities) are today's, because edits to them are not
//! in the log.

use super::{forecast_with, ForecastQuery, Model, WhatIf, MIN_SUBJECTS};
use crate::analytics::flow::Flow;
use crate::analytics::report::{known, Selection};
use crate::analytics::DealFilter;
use chrono::{DateTime, Datelike, Months, NaiveDate, Utc};
use serde::Serialize;

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PeriodResult {
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    pub actual: f64,
    pub data_driven: f64,
    pub weighted: f64,
    /// The reps' commit as it stood at the period's start.
    pub commit: f64,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct MethodScore {
    /// Mean absolute percentage error over periods with revenue.
    pub mape: Option<f64>,
    /// Σ(forecast − actual) ÷ Σ actual: positive means over-forecasting.
    pub bias: Option<f64>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Bucket {
    pub from: f64,
    pub to: f64,
    pub mean_predicted: f64,
    pub realized: f64,
    pub n: usize,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct StageCalibration {
    pub stage: usize,
    pub name: String,
    pub set: u8,
    /// Share of deals entering the stage that were eventually won (competing-risk, one
    /// year), from the history as of the backtest's end.
    pub realized: Option<f64>,
    pub n: usize,
    pub suggested: Option<u8>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Backtest {
    pub periods: Vec<PeriodResult>,
    pub data_driven: MethodScore,
    pub weighted: MethodScore,
    pub commit: MethodScore,
    pub calibration: Vec<Bucket>,
    pub stages: Vec<StageCalibration>,
}

fn month_start(t: i64) -> NaiveDate {
    let d = DateTime::from_timestamp(t, 0).unwrap_or_default().date_naive();
    NaiveDate::from_ymd_opt(d.year(), d.month(), 1).unwrap_or(d)
}

fn ts(d: NaiveDate) -> i64 {
    d.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc().timestamp()
}

fn score(periods: &[PeriodResult], pick: fn(&PeriodResult) -> f64) -> MethodScore {
    let with_revenue: Vec<&PeriodResult> = periods.iter().filter(|p| p.actual > 0.0).collect();
    let mape = (!with_revenue.is_empty())
        .then(|| with_revenue.iter().map(|p| (pick(p) - p.actual).abs() / p.actual).sum::<f64>() / with_revenue.len() as f64);
    let actual: f64 = periods.iter().map(|p| p.actual).sum();
    let bias = (actual > 0.0).then(|| periods.iter().map(|p| pick(p) - p.actual).sum::<f64>() / actual);
    MethodScore { mape, bias }
}

/// Backtests the `months` whole months before the month of `as_of`.
pub fn backtest(flow: &Flow, as_of: i64, months: u32, filter: &DealFilter) -> Backtest {
    let mut b = Backtester::new(as_of, months, filter);
    while !b.step(flow) {}
    let now = Model::estimate(flow, as_of, filter);
    b.finish(flow, &now)
}

/// The backtest a month at a time (each month is a model and a forecast as of its start:
/// at 10,000 deals the six took a third of a second in one go), for a page to yield to the
/// browser in between. `step` with the same flow until it says done, then `finish`.
pub struct Backtester {
    as_of: i64,
    filter: DealFilter,
    this_month: NaiveDate,
    /// Months before this one still to replay, the oldest first.
    left: u32,
    periods: Vec<PeriodResult>,
    predictions: Vec<(f64, bool)>,
}

impl Backtester {
    pub fn new(as_of: i64, months: u32, filter: &DealFilter) -> Backtester {
        Backtester { as_of, filter: filter.clone(), this_month: month_start(as_of), left: months, periods: Vec::new(), predictions: Vec::new() }
    }

    /// Replays the next month; true when all are done.
    pub fn step(&mut self, flow: &Flow) -> bool {
        if self.left == 0 {
            return true;
        }
        let k = self.left;
        self.left -= 1;
        let (as_of, filter) = (self.as_of, &self.filter);
        let (Some(start), Some(end)) = (self.this_month.checked_sub_months(Months::new(k)), self.this_month.checked_sub_months(Months::new(k - 1)))
        else {
            return self.left == 0;
        };
        let sel = Selection::new(flow, filter);
        let (t0, t1) = (ts(start), ts(end));
        let q = ForecastQuery { as_of: t0, until: t1, trials: 0, seed: 0, filter: filter.clone(), what_if: WhatIf::default() };
        let model = Model::estimate(flow, t0, filter);
        let f = forecast_with(flow, &model, &q);
        // Won amounts in the forecast's currency, converted at the day each was won.
        let mut money = crate::analytics::convert::Money::of(flow, |d| sel.accepts(d));
        // What was actually won in the period, as known today.
        let mut actual = 0.0;
        let mut won_in_period = vec![false; flow.deals.len()];
        for (d, row) in flow.deals.iter().enumerate() {
            if !sel.accepts(row) {
                continue;
            }
            let evs = known(&flow.events[d], as_of);
            let won = evs.iter().find(|&&(t, s)| t >= t0 && t < t1 && flow.stages[s as usize].kind == crate::domain::StageKind::Won);
            if let Some(&(t, _)) = won {
                won_in_period[d] = true;
                actual += money.price(flow, row, t).amount().unwrap_or(0) as f64;
            }
        }
        self.predictions.extend(f.deals.iter().map(|s| (s.probability, won_in_period[s.deal])));
        self.periods.push(PeriodResult {
            start: DateTime::from_timestamp(t0, 0).unwrap_or_default(),
            end: DateTime::from_timestamp(t1, 0).unwrap_or_default(),
            actual,
            data_driven: f.expected_open + f.expected_new,
            weighted: f.weighted,
            commit: f.commit,
        });
        self.left == 0
    }

    /// Scores, calibration buckets and today's stage calibration (from `now_model`, the
    /// model as of the backtest's `as_of` with its filter, which the caller has).
    pub fn finish(self, flow: &Flow, now_model: &Model) -> Backtest {
        let Backtester { periods, predictions, .. } = self;
        let calibration = (0..10)
            .filter_map(|b| {
                let (from, to) = (b as f64 / 10.0, (b + 1) as f64 / 10.0);
                let inside: Vec<&(f64, bool)> =
                    predictions.iter().filter(|p| p.0 >= from && (p.0 < to || (b == 9 && p.0 <= 1.0))).collect();
                (!inside.is_empty()).then(|| Bucket {
                    from,
                    to,
                    mean_predicted: inside.iter().map(|p| p.0).sum::<f64>() / inside.len() as f64,
                    realized: inside.iter().filter(|p| p.1).count() as f64 / inside.len() as f64,
                    n: inside.len(),
                })
            })
            .collect();
        let stages = flow
            .stages
            .iter()
            .enumerate()
            .filter(|(_, s)| s.kind == crate::domain::StageKind::Open && !s.archived)
            .map(|(i, s)| {
                let c = &now_model.stage[i];
                let realized = (c.n > 0).then(|| c.inc.at(365.0).0);
                StageCalibration {
                    stage: i,
                    name: s.name.clone(),
                    set: s.probability,
                    realized,
                    n: c.n,
                    suggested: realized.filter(|_| c.n >= MIN_SUBJECTS).map(|r| (r * 100.0).round() as u8),
                }
            })
            .collect();
        Backtest {
            data_driven: score(&periods, |p| p.data_driven),
            weighted: score(&periods, |p| p.weighted),
            commit: score(&periods, |p| p.commit),
            periods,
            calibration,
            stages,
        }
    }
}
