//! Revenue forecasts from the event log: per-deal win probabilities conditioned on stage
//! and age in stage, a seeded Monte Carlo range that includes deals not created yet, the
//! two classic methods side by side, backtests, calibration and what-if.

pub mod backtest;
pub mod engine;
pub mod model;

use crate::analytics::flow::Flow;
use crate::analytics::report::{known, Selection};
use crate::analytics::DealFilter;
use crate::domain::{FastRng, ForecastCategory, Rng, StageKind};
pub use engine::SimPlan;
pub use model::{Model, DAY, LANDMARKS, MIN_SUBJECTS};
use serde::Serialize;

/// Forecast periods a manager picks from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Horizon {
    Days30,
    RestOfMonth,
    RestOfQuarter,
    Days90,
}

/// End (exclusive, Unix seconds) of the forecast period starting at `as_of`: calendar
/// months and quarters end at midnight UTC on the first day of the next one.
pub fn horizon_end(h: Horizon, as_of: chrono::DateTime<chrono::Utc>) -> i64 {
    use chrono::{Datelike, NaiveDate};
    let d = as_of.date_naive();
    let t = as_of.timestamp();
    let month_start_ahead = |months_ahead: u32| {
        let m0 = d.month0() + months_ahead;
        NaiveDate::from_ymd_opt(d.year() + (m0 / 12) as i32, m0 % 12 + 1, 1)
            .and_then(|d| d.and_hms_opt(0, 0, 0))
            .map(|t| t.and_utc().timestamp())
    };
    match h {
        Horizon::Days30 => Some(t + 30 * 86_400),
        Horizon::Days90 => Some(t + 90 * 86_400),
        Horizon::RestOfMonth => month_start_ahead(1),
        Horizon::RestOfQuarter => month_start_ahead(3 - d.month0() % 3),
    }
    .unwrap_or(t + 30 * 86_400)
}

/// The window the forecast page opens on: the rest of this month while at least two weeks
/// of it remain, otherwise the next 30 days (a month's last days hold almost nothing: the
/// weighted pipeline of "the rest of November" on the 28th reads $0).
pub fn default_horizon(as_of: chrono::DateTime<chrono::Utc>) -> Horizon {
    let left = (horizon_end(Horizon::RestOfMonth, as_of) - as_of.timestamp()) as f64 / 86_400.0;
    if left >= 14.0 { Horizon::RestOfMonth } else { Horizon::Days30 }
}

/// Below this many closed deals the UI explains what is missing instead of numbers.
pub const MIN_CLOSED_DEALS: usize = 30;

#[derive(Clone, Debug, Default, PartialEq)]
pub struct WhatIf {
    /// (stage index, percentage points) added to that stage's conversion to the next.
    pub conversion: Option<(usize, f64)>,
    /// (stage index, days) taken off the time deals spend in that stage.
    pub faster: Option<(usize, f64)>,
    /// Extra deals entering the first stage now.
    pub extra_deals: u32,
}

#[derive(Clone, Debug, PartialEq)]
pub struct ForecastQuery {
    pub as_of: i64,
    /// End of the forecast period (exclusive); the period starts at `as_of`.
    pub until: i64,
    pub trials: usize,
    pub seed: u64,
    pub filter: DealFilter,
    pub what_if: WhatIf,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum Reason {
    /// Share of similar deals (same stage, same age) that won within the period.
    Stage,
    /// Longer in the stage than 90% of past visits.
    Overdue,
    /// Quicker than the typical visit so far.
    Fresh,
    /// Amount far above the median won deal (≥ 3×).
    LargeAmount,
    /// The owner's closed deals win clearly more / less often than the team's.
    OwnerStrong,
    OwnerWeak,
    SourceStrong,
    SourceWeak,
    /// The stage had too little history: pooled estimate.
    Pooled,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct DealScore {
    pub deal: usize,
    pub id: String,
    pub title: String,
    pub stage: String,
    pub amount: Option<i64>,
    pub probability: f64,
    pub expected: f64,
    pub age_days: f64,
    pub typical_days: Option<f64>,
    pub reasons: Vec<Reason>,
    pub at_risk: bool,
    pub pooled: bool,
    /// The rep's own probability (percent), shown against the data-driven one.
    pub rep_probability: Option<u8>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Forecast {
    pub horizon_days: f64,
    pub currency: String,
    /// Σ probability × amount of open deals.
    pub expected_open: f64,
    /// Expected revenue from deals created and won within the period.
    pub expected_new: f64,
    /// Expected number of deals created and won within the period.
    pub expected_new_wins: f64,
    pub p10: f64,
    pub p50: f64,
    pub p90: f64,
    pub mc_mean: f64,
    /// Standard deviation of the simulated totals.
    pub mc_sd: f64,
    pub trials: usize,
    /// Weighted pipeline: Σ amount × stage probability over deals expected to close in
    /// the period.
    pub weighted: f64,
    pub commit: f64,
    pub best_case: f64,
    pub deals: Vec<DealScore>,
    pub closed_deals: usize,
    pub pooled_deals: usize,
    /// Open deals without an expected close date (count, amount): the weighted pipeline and
    /// the commit cannot place them in any period, and the page says so.
    pub undated: (usize, f64),
    /// The newest change known at as-of, when it is more than `RATE_WINDOW_DAYS` older:
    /// the history has stopped (an old dataset), no deals arrive, and open deals are older
    /// than any before them — the page explains the near-zero forecast and offers to look
    /// from that date instead.
    pub stale_since: Option<i64>,
    /// Open deals in their stage longer than any past visit to it (count, amount).
    pub beyond_history: (usize, f64),
    /// Deals created per day over the last `RATE_WINDOW_DAYS`.
    pub new_per_day: f64,
    /// Open deals without an amount in the forecast's currency (count, expected wins):
    /// they can win but add no money, and the page says so.
    pub unpriced: (usize, f64),
    /// With a reporting currency: the rates the open deals converted at.
    pub conversion: Option<crate::analytics::convert::Conversion>,
}

/// Chance a deal reaches the next stage from `stage` (closed-only ratio over past visits
/// that left it): used to scale probabilities in the conversion what-if.
fn stage_step_rate(flow: &Flow, model_as_of: i64, sel: &Selection, stage: usize) -> Option<f64> {
    let rank = flow.stages[stage].rank?;
    let (mut fwd, mut total) = (0usize, 0usize);
    for (d, row) in flow.deals.iter().enumerate() {
        if !sel.accepts(row) {
            continue;
        }
        let evs = known(&flow.events[d], model_as_of);
        for w in evs.windows(2) {
            if w[0].1 as usize == stage {
                total += 1;
                if flow.stages[w[1].1 as usize].rank.is_some_and(|r| r > rank) {
                    fwd += 1;
                }
            }
        }
    }
    (total > 0).then(|| fwd as f64 / total as f64)
}

/// The whole forecast for the period [as_of, until).
pub fn forecast(flow: &Flow, q: &ForecastQuery) -> Forecast {
    let model = Model::estimate(flow, q.as_of, &q.filter);
    forecast_with(flow, &model, q)
}

pub fn forecast_with(flow: &Flow, model: &Model, q: &ForecastQuery) -> Forecast {
    let sel = Selection::new(flow, &q.filter);
    // Open deals convert at the rate in effect at as-of (with a reporting currency).
    let mut money = crate::analytics::convert::Money::of(flow, |d| sel.accepts(d));
    let h = ((q.until - q.as_of) as f64 / DAY).max(0.0);
    // What-if adjustments, applied to deals at or before the chosen stage.
    let conv_scale = q.what_if.conversion.and_then(|(s, pts)| {
        let base = stage_step_rate(flow, q.as_of, &sel, s)?;
        (base > 0.0).then(|| (((base + pts / 100.0).clamp(0.0, 1.0)) / base, flow.stages[s].rank))
    });
    let faster = q.what_if.faster.map(|(s, d)| (flow.stages[s].rank, d));
    let affected = |rank: Option<usize>, at: Option<usize>| match (rank, at) {
        (Some(r), Some(a)) => r <= a,
        _ => false,
    };
    let rate = |rec: &(usize, usize)| (rec.1 >= 10).then(|| rec.0 as f64 / rec.1 as f64);
    let overall = rate(&model.overall_record);
    let mut deals = Vec::new();
    let (mut weighted, mut commit, mut best_case) = (0.0, 0.0, 0.0);
    let mut undated = (0usize, 0.0f64);
    let mut beyond_history = (0usize, 0.0f64);
    let mut unpriced = (0usize, 0.0f64);
    let mut last_event = None::<i64>;
    // The prior's weight depends only on the horizon: once per forecast, not per deal.
    let k = model.prior_weight(h);
    let k_faster = faster.map_or(k, |f| model.prior_weight(h + f.1));
    for (d, row) in flow.deals.iter().enumerate() {
        if !sel.accepts(row) {
            continue;
        }
        let evs = known(&flow.events[d], q.as_of);
        let Some(&(entered, s)) = evs.last() else { continue };
        last_event = last_event.max(Some(entered));
        let stage = &flow.stages[s as usize];
        let category = flow.category_at(d, q.as_of);
        if stage.kind != StageKind::Open || category == ForecastCategory::Omitted {
            continue;
        }
        let amount = money.price(flow, row, q.as_of).amount();
        let age = (q.as_of - entered) as f64 / DAY;
        let extra_days = match faster {
            Some((at, days)) if affected(stage.rank, at) => days,
            _ => 0.0,
        };
        let (mut p, pooled) = model.win_within_k(s as usize, age, h + extra_days, if extra_days > 0.0 { k_faster } else { k });
        if let Some((scale, at)) = conv_scale {
            if affected(stage.rank, at) {
                p = (p * scale).min(1.0);
            }
        }
        if !model.exits[s as usize].seen_past(age) {
            beyond_history.0 += 1;
            beyond_history.1 += amount.unwrap_or(0) as f64;
        }
        if amount.is_none() {
            unpriced.0 += 1;
            unpriced.1 += p;
        }
        if row.expected_close.is_none() {
            undated.0 += 1;
            undated.1 += amount.unwrap_or(0) as f64;
        }
        let in_period = row.expected_close.is_some_and(|c| c >= q.as_of - DAY as i64 && c < q.until);
        if in_period {
            let a = amount.unwrap_or(0) as f64;
            // The rep's own probability, when set, stands in for the stage's default.
            weighted += a * row.probability.unwrap_or(stage.probability) as f64 / 100.0;
            match category {
                ForecastCategory::Commit => {
                    commit += a;
                    best_case += a;
                }
                ForecastCategory::BestCase => best_case += a,
                _ => {}
            }
        }
        let mut reasons = vec![Reason::Stage];
        let p90 = model.dwell_p90[s as usize];
        let p50 = model.dwell_p50[s as usize];
        let overdue = p90.is_some_and(|l| age > l);
        if overdue {
            reasons.push(Reason::Overdue);
        } else if p50.is_some_and(|m| age < m * 0.5) {
            reasons.push(Reason::Fresh);
        }
        if let (Some(a), Some(m)) = (amount, model.median_won_amount) {
            if a as f64 >= 3.0 * m {
                reasons.push(Reason::LargeAmount);
            }
        }
        if let (Some(o), Some(all)) = (rate(&model.owner_record[row.owner as usize]), overall) {
            if o >= all + 0.1 {
                reasons.push(Reason::OwnerStrong);
            } else if o <= all - 0.1 {
                reasons.push(Reason::OwnerWeak);
            }
        }
        if let (Some(o), Some(all)) = (rate(&model.source_record[row.source as usize]), overall) {
            if o >= all + 0.1 {
                reasons.push(Reason::SourceStrong);
            } else if o <= all - 0.1 {
                reasons.push(Reason::SourceWeak);
            }
        }
        if pooled {
            reasons.push(Reason::Pooled);
        }
        // At risk: waited past the stage's 90th percentile, or half as likely as a fresh
        // deal in the same stage.
        let fresh_p = model.win_within_k(s as usize, 0.0, h, k).0;
        let at_risk = overdue || (fresh_p > 0.0 && p < 0.5 * fresh_p);
        deals.push(DealScore {
            deal: d,
            id: row.id.to_string(),
            title: row.title.clone(),
            stage: stage.name.clone(),
            amount,
            probability: p,
            expected: p * amount.unwrap_or(0) as f64,
            age_days: age,
            typical_days: p50,
            reasons,
            at_risk,
            pooled,
            rep_probability: row.probability,
        });
    }
    let expected_open: f64 = deals.iter().map(|d| d.expected).sum();
    // New deals: created at the historical rate (plus the what-if's extra deals now), won
    // by the end of the period following the lead-to-win curve, worth a past won amount.
    let mean_won = if model.won_amounts.is_empty() {
        0.0
    } else {
        model.won_amounts.iter().sum::<i64>() as f64 / model.won_amounts.len() as f64
    };
    let lambda = model.creations_per_day;
    let extra = q.what_if.extra_deals as f64;
    let expected_new_wins = lambda * model.creation.inc.integral(h) + extra * model.creation.inc.at(h).0;
    let expected_new = expected_new_wins * mean_won;
    let sim = simulate(&deals, model, h, q.what_if.extra_deals, q.trials, q.seed);
    Forecast {
        horizon_days: h,
        conversion: money.conversion(flow),
        currency: money.currency,
        expected_open,
        expected_new,
        expected_new_wins,
        p10: sim.p10,
        p50: sim.p50,
        p90: sim.p90,
        mc_mean: sim.mean,
        mc_sd: sim.sd,
        trials: q.trials,
        weighted,
        commit,
        best_case,
        pooled_deals: deals.iter().filter(|d| d.pooled).count(),
        deals,
        closed_deals: model.closed_deals,
        undated,
        stale_since: last_event.filter(|&t| (q.as_of - t) as f64 > model::RATE_WINDOW_DAYS * DAY),
        beyond_history,
        new_per_day: model.creations_per_day,
        unpriced,
    }
}

impl Forecast {
    /// Fills in the Monte Carlo figures from a simulation run separately (in slices).
    pub fn with_simulation(mut self, sim: &Simulation, trials: usize) -> Forecast {
        self.p10 = sim.p10;
        self.p50 = sim.p50;
        self.p90 = sim.p90;
        self.mc_mean = sim.mean;
        self.mc_sd = sim.sd;
        self.trials = trials;
        self
    }
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Simulation {
    pub mean: f64,
    pub sd: f64,
    pub p10: f64,
    pub p50: f64,
    pub p90: f64,
}

/// Poisson draw (Knuth for small means, normal approximation above 30).
fn poisson(rng: &mut Rng, mean: f64) -> u64 {
    if mean <= 0.0 {
        return 0;
    }
    if mean > 30.0 {
        let (u1, u2) = (rng.next_f64().max(1e-12), rng.next_f64());
        let z = (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos();
        return (mean + z * mean.sqrt()).round().max(0.0) as u64;
    }
    let limit = (-mean).exp();
    let (mut k, mut p) = (0u64, 1.0);
    loop {
        p *= rng.next_f64();
        if p <= limit {
            return k;
        }
        k += 1;
    }
}

/// Seeded Monte Carlo of revenue won in the period: every open deal wins with its
/// probability; new deals arrive (Poisson) and win by the period's end following the
/// lead-to-win curve, each worth a resampled past won amount. Runs in slices of trials so
/// a UI can show progress. It holds its `SimPlan` and nothing borrowed, so the same run can
/// be made on the page or in the engine's worker (`engine`) from the plan's bytes.
pub struct Simulator {
    plan: SimPlan,
    rng: Rng,
    flips: FastRng,
    totals: Vec<f64>,
}

impl Simulator {
    pub fn new(deals: &[DealScore], model: &Model, h: f64, extra_deals: u32, seed: u64) -> Self {
        Simulator::from_plan(SimPlan::new(deals, model, h, extra_deals, seed))
    }

    pub fn from_plan(plan: SimPlan) -> Self {
        let seed = plan.seed;
        Simulator { plan, rng: Rng::new(seed), flips: FastRng::new(seed ^ 0xF11F), totals: Vec::new() }
    }

    pub fn done(&self) -> usize {
        self.totals.len()
    }

    /// Runs `n` more trials.
    pub fn run(&mut self, n: usize) {
        let SimPlan { entries, won_new_mean, p_extra, extra_deals, amounts, .. } = &self.plan;
        let rng = &mut self.rng;
        let flips = &mut self.flips;
        for _ in 0..n {
            // One 32-bit comparison per deal, two draws per 64-bit random number, and no
            // branch: a win adds the amount through a mask (wins are coin flips, so a branch
            // would be mispredicted half the time).
            let mut won: i64 = 0;
            let mut pairs = entries.chunks_exact(2);
            for pair in &mut pairs {
                let r = flips.next_u64();
                won += pair[0].1 & -((((r >> 32) as u32) < pair[0].0) as i64);
                won += pair[1].1 & -(((r as u32) < pair[1].0) as i64);
            }
            if let [last] = pairs.remainder() {
                won += last.1 & -((((flips.next_u64() >> 32) as u32) < last.0) as i64);
            }
            let mut total = won as f64;
            if !amounts.is_empty() {
                for _ in 0..poisson(rng, *won_new_mean) {
                    total += amounts[rng.below(amounts.len() as u64) as usize] as f64;
                }
                for _ in 0..*extra_deals {
                    if rng.next_f64() < *p_extra {
                        total += amounts[rng.below(amounts.len() as u64) as usize] as f64;
                    }
                }
            }
            self.totals.push(total);
        }
    }

    pub fn result(mut self) -> Simulation {
        let trials = self.totals.len();
        if trials == 0 {
            return Simulation { mean: 0.0, sd: 0.0, p10: 0.0, p50: 0.0, p90: 0.0 };
        }
        let mean = self.totals.iter().sum::<f64>() / trials as f64;
        let sd = (self.totals.iter().map(|t| (t - mean) * (t - mean)).sum::<f64>() / trials as f64).sqrt();
        self.totals.sort_unstable_by(f64::total_cmp);
        let q = |p: f64| self.totals[((trials - 1) as f64 * p).round() as usize];
        Simulation { mean, sd, p10: q(0.1), p50: q(0.5), p90: q(0.9) }
    }
}

pub fn simulate(deals: &[DealScore], model: &Model, h: f64, extra_deals: u32, trials: usize, seed: u64) -> Simulation {
    let mut sim = Simulator::new(deals, model, h, extra_deals, seed);
    sim.run(trials);
    sim.result()
}

/// Where to invest coaching: the extra expected revenue a one-point better conversion
/// at each open stage would bring this period, largest first.
/// Ranked against the current forecast, not against a what-if scenario the user may have
/// set (that made gains negative: "+-$27,589.44").
pub fn rank_improvements(flow: &Flow, q: &ForecastQuery) -> Vec<(usize, f64)> {
    rank_improvements_with(flow, &Model::estimate(flow, q.as_of, &q.filter), q)
}

/// `rank_improvements` with the model as of `q.as_of` already estimated (the forecast page
/// has it: estimating it again was a third of the ranking's time).
pub fn rank_improvements_with(flow: &Flow, model: &Model, q: &ForecastQuery) -> Vec<(usize, f64)> {
    let mut ranker = Ranker::new(flow, q);
    while !ranker.step(flow, model) {}
    ranker.finish()
}

/// The ranking one forecast at a time (the current one, then one per open stage), so a
/// page can let the browser in between: at 10,000 deals each is ≈ 11 ms in wasm, and the
/// six in one task held the forecast page for ≈ 60–100 ms.
pub struct Ranker {
    q: ForecastQuery,
    /// The open stages, in pipeline order, still to be tried (from the back).
    todo: Vec<usize>,
    base_total: Option<f64>,
    out: Vec<(usize, f64)>,
}

impl Ranker {
    pub fn new(flow: &Flow, q: &ForecastQuery) -> Ranker {
        let mut todo: Vec<usize> = flow.stages.iter().enumerate().filter(|(_, s)| s.kind == StageKind::Open && !s.archived).map(|(i, _)| i).collect();
        todo.reverse();
        Ranker { q: ForecastQuery { trials: 0, what_if: WhatIf::default(), ..q.clone() }, todo, base_total: None, out: Vec::new() }
    }

    /// Computes the next forecast; true once every one is done. Each step must be handed
    /// the flow and model it was created for.
    pub fn step(&mut self, flow: &Flow, model: &Model) -> bool {
        let total = |f: Forecast| f.expected_open + f.expected_new;
        match self.base_total {
            None => self.base_total = Some(total(forecast_with(flow, model, &self.q))),
            Some(base) => {
                if let Some(i) = self.todo.pop() {
                    let wq = ForecastQuery { what_if: WhatIf { conversion: Some((i, 1.0)), ..WhatIf::default() }, ..self.q.clone() };
                    self.out.push((i, total(forecast_with(flow, model, &wq)) - base));
                }
            }
        }
        self.todo.is_empty() && self.base_total.is_some()
    }

    /// The stages by the gain, largest first (ties keep pipeline order).
    pub fn finish(mut self) -> Vec<(usize, f64)> {
        self.out.sort_by(|a, b| b.1.total_cmp(&a.1));
        self.out
    }
}
