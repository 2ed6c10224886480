//! The funnel report: snapshot, funnel, cohort conversion, dwell, stuck deals,
//! "win within T days", bottlenecks and sales velocity, all from one pass over the
//! event log. Definitions are documented in docs/analytics.md.

use super::flow::{DealFilter, Flow};
use super::stats::{quantile_sorted, Incidence, Outcome, Subject};
use crate::domain::{Pipeline, StageKind, Workspace};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

pub const DAY: f64 = 86_400.0;
/// Below this many deals a figure is flagged as a small sample.
pub const SMALL_SAMPLE: usize = 20;

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ReachMode {
    /// A deal reached S if it entered S or any later stage (a skip passes through S).
    #[default]
    Reached,
    /// Only actual entries into S count.
    Strict,
}

/// A half-open period [start, end).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Period {
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
}

impl Period {
    /// The last `days` days up to and including `now`.
    pub fn last_days(now: DateTime<Utc>, days: i64) -> Period {
        let end = now + chrono::Duration::seconds(1);
        Period { start: end - chrono::Duration::days(days), end }
    }

    /// The period of the same length just before this one (for side-by-side comparison).
    pub fn previous(&self) -> Period {
        Period { start: self.start - (self.end - self.start), end: self.start }
    }

    fn contains(&self, t: i64) -> bool {
        self.start.timestamp() <= t && t < self.end.timestamp()
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Query {
    pub as_of: DateTime<Utc>,
    pub period: Option<Period>,
    pub mode: ReachMode,
    pub filter: DealFilter,
    /// Horizons in days for "win within T days".
    pub horizons: Vec<u32>,
}

impl Query {
    pub fn new(as_of: DateTime<Utc>) -> Self {
        Query { as_of, period: None, mode: ReachMode::Reached, filter: DealFilter::default(), horizons: vec![30, 60, 90] }
    }

    fn in_period(&self, t: i64) -> bool {
        self.period.is_none_or(|p| p.contains(t))
    }
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Report {
    pub as_of: DateTime<Utc>,
    pub period: Option<Period>,
    pub mode: ReachMode,
    /// Money figures are in this currency (the most common one), in minor units.
    pub currency: String,
    pub other_currency_deals: usize,
    /// Deals that exist as of `as_of` (after filters).
    pub deals: usize,
    pub stages: Vec<StageReport>,
    pub bottlenecks: Bottlenecks,
    pub velocity: Velocity,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct StageReport {
    pub id: String,
    pub name: String,
    pub kind: StageKind,
    pub snapshot: Snapshot,
    /// Ranked stages only (open stages and Won).
    pub funnel: Option<FunnelStep>,
    /// Open stages only.
    pub conversion: Option<Conversion>,
    pub dwell: Dwell,
    /// Open stages only.
    pub win_within: Option<WinWithin>,
}

/// Deals and money currently in the stage.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Snapshot {
    pub deals: usize,
    pub amount: i64,
}

/// Deals created in the period that reached this stage (so far).
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct FunnelStep {
    pub reached: usize,
    pub amount: i64,
    /// Share of `reached` that did not reach the next stage; None for the last step or
    /// when nobody reached this one.
    pub drop_off: Option<f64>,
}

/// Among deals that first reached the stage in the period.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Conversion {
    pub cohort: usize,
    pub reached_next: usize,
    pub won: usize,
    pub lost: usize,
    /// Lost without reaching the next stage.
    pub lost_before_next: usize,
    /// reached_next ÷ cohort.
    pub next_to_date: Option<f64>,
    /// reached_next ÷ (reached_next + lost_before_next): only deals whose fate at this
    /// step is known.
    pub next_closed: Option<f64>,
    /// won ÷ cohort.
    pub won_to_date: Option<f64>,
    /// won ÷ (won + lost).
    pub won_closed: Option<f64>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Dwell {
    /// Completed visits (entry → next event) that started in the period, in days.
    pub completed: usize,
    pub p50: Option<f64>,
    pub p75: Option<f64>,
    pub p90: Option<f64>,
    /// Deals in the stage now, and the median of their current age in days.
    pub open: usize,
    pub open_median_age: Option<f64>,
    /// Age above which an open visit counts as stuck: the stage's own limit, else p90.
    pub stuck_after: Option<f64>,
    pub stuck: Vec<StuckDeal>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct StuckDeal {
    pub id: String,
    pub title: String,
    pub age_days: f64,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct WinWithin {
    /// Deals that first reached the stage in the period.
    pub n: usize,
    pub horizons: Vec<Horizon>,
    /// The cumulative incidence of winning as a step curve: (days, probability).
    pub curve: Vec<(f64, f64)>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Horizon {
    pub days: u32,
    pub won: f64,
    pub won_low: f64,
    pub won_high: f64,
    pub lost: f64,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Bottlenecks {
    pub drop_off: Option<DropOffBottleneck>,
    pub dwell: Option<DwellBottleneck>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct DropOffBottleneck {
    pub stage: String,
    /// The stage's closed-only stage→next rate, and the pipeline's (all open stages pooled).
    pub rate: f64,
    pub pipeline_rate: f64,
    pub n: usize,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct DwellBottleneck {
    pub stage: String,
    pub median_days: f64,
    /// Median of all completed visits to open stages.
    pub pipeline_median_days: f64,
    pub n: usize,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Velocity {
    pub open_deals: usize,
    /// Deals closed (won or lost) in the period.
    pub closed: usize,
    pub won: usize,
    pub win_rate: Option<f64>,
    /// Mean amount of won deals that have one (minor units).
    pub avg_won_amount: Option<f64>,
    /// Mean days from creation to winning.
    pub avg_cycle_days: Option<f64>,
    /// open × win rate × average won amount ÷ average cycle: money per day.
    pub per_day: Option<f64>,
}

fn ratio(a: usize, b: usize) -> Option<f64> {
    (b > 0).then(|| a as f64 / b as f64)
}

fn mean(sum: f64, n: usize) -> Option<f64> {
    (n > 0).then(|| sum / n as f64)
}

/// For each rank, the index of the event by which deal `d` first reached it.
fn first_reach(flow: &Flow, d: usize, mode: ReachMode, first: &mut [Option<usize>]) {
    first.iter_mut().for_each(|f| *f = None);
    for i in flow.events_of(d) {
        let Some(r) = flow.stages[flow.ev_stage[i] as usize].rank else { continue };
        match mode {
            ReachMode::Strict => {
                if first[r].is_none() {
                    first[r] = Some(i);
                }
            }
            ReachMode::Reached => {
                // Ranks below r are set whenever r is: stop at the first one already set.
                for rr in (0..=r).rev() {
                    if first[rr].is_some() {
                        break;
                    }
                    first[rr] = Some(i);
                }
            }
        }
    }
}

/// The deals behind a funnel bar: created in the period and reached `stage` (by id).
pub fn deals_reaching(flow: &Flow, q: &Query, stage: &str) -> Vec<(String, String)> {
    let Some(r) = flow.stages.iter().find(|s| s.id.as_str() == stage).and_then(|s| s.rank) else { return Vec::new() };
    let mut first = vec![None; flow.ranks];
    (0..flow.deals.len())
        .filter(|&d| {
            let evs = flow.events_of(d);
            if evs.is_empty() || !q.in_period(flow.ev_time[evs.start]) {
                return false;
            }
            first_reach(flow, d, q.mode, &mut first);
            first[r].is_some()
        })
        .map(|d| (flow.deals[d].id.to_string(), flow.deals[d].title.clone()))
        .collect()
}

/// Runs the whole report for one pipeline.
pub fn report(ws: &Workspace, pipeline: &Pipeline, q: &Query) -> Report {
    let flow = Flow::build(ws, pipeline, q.as_of, &q.filter);
    report_on(&flow, q)
}

/// The report on an already built flow (so a UI can reuse the flow across queries).
pub fn report_on(flow: &Flow, q: &Query) -> Report {
    let ns = flow.stages.len();
    let ranks = flow.ranks;
    let kind_of = |s: u16| flow.stages[s as usize].kind;

    let mut snapshot = vec![Snapshot::default(); ns];
    let mut funnel_n = vec![0usize; ranks];
    let mut funnel_amt = vec![0i64; ranks];
    let mut conv = vec![Conversion::default(); ranks];
    let mut samples: Vec<Vec<f64>> = vec![Vec::new(); ns];
    let mut open_visits: Vec<Vec<(usize, f64)>> = vec![Vec::new(); ns];
    let mut subjects: Vec<Vec<Subject>> = vec![Vec::new(); ranks];
    let mut vel = Velocity::default();
    let (mut won_amount_sum, mut won_amount_n, mut cycle_sum) = (0.0, 0usize, 0.0);
    let mut existing = 0;

    let mut first: Vec<Option<usize>> = vec![None; ranks];
    let mut next_terminal: Vec<Option<usize>> = Vec::new();
    for d in 0..flow.deals.len() {
        let evs = flow.events_of(d);
        if evs.is_empty() {
            continue;
        }
        existing += 1;
        let amount = flow.deals[d].amount;
        let created = flow.ev_time[evs.start];
        let last = evs.end - 1;
        let cur = flow.ev_stage[last];
        let cur_kind = kind_of(cur);

        snapshot[cur as usize].deals += 1;
        snapshot[cur as usize].amount += amount.unwrap_or(0);

        first_reach(flow, d, q.mode, &mut first);
        // The first Won/Lost event at or after each event.
        next_terminal.clear();
        next_terminal.resize(evs.len(), None);
        let mut upcoming = None;
        for i in evs.clone().rev() {
            if kind_of(flow.ev_stage[i]).is_terminal() {
                upcoming = Some(i);
            }
            next_terminal[i - evs.start] = upcoming;
        }

        // Funnel: deals created in the period.
        if q.in_period(created) {
            for r in 0..ranks {
                if first[r].is_some() {
                    funnel_n[r] += 1;
                    funnel_amt[r] += amount.unwrap_or(0);
                }
            }
        }

        for r in 0..ranks {
            let Some(origin) = first[r] else { continue };
            let t0 = flow.ev_time[origin];
            if !q.in_period(t0) || flow.stages[flow.rank_stage[r]].kind != StageKind::Open {
                continue;
            }
            let c = &mut conv[r];
            c.cohort += 1;
            let reached_next = r + 1 < ranks && first[r + 1].is_some();
            if reached_next {
                c.reached_next += 1;
            }
            match cur_kind {
                StageKind::Won => c.won += 1,
                StageKind::Lost => {
                    c.lost += 1;
                    if !reached_next {
                        c.lost_before_next += 1;
                    }
                }
                StageKind::Open => {}
            }
            let subject = match next_terminal[origin - evs.start] {
                Some(j) => Subject {
                    time: (flow.ev_time[j] - t0) as f64 / DAY,
                    outcome: if kind_of(flow.ev_stage[j]) == StageKind::Won { Outcome::Event } else { Outcome::Competing },
                },
                None => Subject { time: (flow.as_of - t0) as f64 / DAY, outcome: Outcome::Censored },
            };
            subjects[r].push(subject);
        }

        // Dwell: every visit is one sample.
        for i in evs.clone() {
            let s = flow.ev_stage[i] as usize;
            if i < last {
                if q.in_period(flow.ev_time[i]) {
                    samples[s].push((flow.ev_time[i + 1] - flow.ev_time[i]) as f64 / DAY);
                }
            } else if cur_kind == StageKind::Open {
                open_visits[s].push((d, (flow.as_of - flow.ev_time[i]) as f64 / DAY));
            }
        }

        // Velocity.
        if cur_kind == StageKind::Open {
            vel.open_deals += 1;
        } else if q.in_period(flow.ev_time[last]) {
            vel.closed += 1;
            if cur_kind == StageKind::Won {
                vel.won += 1;
                cycle_sum += (flow.ev_time[last] - created) as f64 / DAY;
                if let Some(a) = amount {
                    won_amount_sum += a as f64;
                    won_amount_n += 1;
                }
            }
        }
    }

    vel.win_rate = ratio(vel.won, vel.closed);
    vel.avg_won_amount = mean(won_amount_sum, won_amount_n);
    vel.avg_cycle_days = mean(cycle_sum, vel.won);
    vel.per_day = match (vel.win_rate, vel.avg_won_amount, vel.avg_cycle_days) {
        (Some(w), Some(a), Some(c)) if c > 0.0 => Some(vel.open_deals as f64 * w * a / c),
        _ => None,
    };

    for c in conv.iter_mut() {
        c.next_to_date = ratio(c.reached_next, c.cohort);
        c.next_closed = ratio(c.reached_next, c.reached_next + c.lost_before_next);
        c.won_to_date = ratio(c.won, c.cohort);
        c.won_closed = ratio(c.won, c.won + c.lost);
    }

    let mut all_open_stage_samples = Vec::new();
    let stages: Vec<StageReport> = flow
        .stages
        .iter()
        .enumerate()
        .filter(|(_, s)| !s.archived)
        .map(|(si, s)| {
            let mut v = std::mem::take(&mut samples[si]);
            v.sort_by(f64::total_cmp);
            if s.kind == StageKind::Open {
                all_open_stage_samples.extend_from_slice(&v);
            }
            let p90 = quantile_sorted(&v, 0.9);
            let mut open = std::mem::take(&mut open_visits[si]);
            let mut ages: Vec<f64> = open.iter().map(|o| o.1).collect();
            ages.sort_by(f64::total_cmp);
            let stuck_after = s.stuck_after_days.map(f64::from).or(p90);
            // Oldest first; equal ages in id order so the list never depends on input order.
            open.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| flow.deals[a.0].id.cmp(&flow.deals[b.0].id)));
            let stuck = match stuck_after {
                Some(limit) if s.kind == StageKind::Open => open
                    .iter()
                    .filter(|o| o.1 > limit)
                    .map(|&(d, age)| StuckDeal {
                        id: flow.deals[d].id.to_string(),
                        title: flow.deals[d].title.clone(),
                        age_days: age,
                    })
                    .collect(),
                _ => Vec::new(),
            };
            let dwell = Dwell {
                completed: v.len(),
                p50: quantile_sorted(&v, 0.5),
                p75: quantile_sorted(&v, 0.75),
                p90,
                open: ages.len(),
                open_median_age: quantile_sorted(&ages, 0.5),
                stuck_after,
                stuck,
            };
            let funnel = s.rank.map(|r| FunnelStep {
                reached: funnel_n[r],
                amount: funnel_amt[r],
                drop_off: (r + 1 < ranks && funnel_n[r] > 0).then(|| 1.0 - funnel_n[r + 1] as f64 / funnel_n[r] as f64),
            });
            let open_rank = s.rank.filter(|_| s.kind == StageKind::Open);
            let conversion = open_rank.map(|r| conv[r].clone());
            let win_within = open_rank.map(|r| {
                let inc = Incidence::estimate(&subjects[r]);
                let horizons = q
                    .horizons
                    .iter()
                    .map(|&days| {
                        let (won, won_low, won_high) = inc.with_interval(days as f64);
                        Horizon { days, won, won_low, won_high, lost: inc.at(days as f64).1 }
                    })
                    .collect();
                WinWithin { n: inc.n, horizons, curve: curve_points(&inc) }
            });
            StageReport {
                id: s.id.to_string(),
                name: s.name.clone(),
                kind: s.kind,
                snapshot: snapshot[si].clone(),
                funnel,
                conversion,
                dwell,
                win_within,
            }
        })
        .collect();

    all_open_stage_samples.sort_by(f64::total_cmp);
    let bottlenecks = bottlenecks(&stages, &all_open_stage_samples);
    Report {
        as_of: q.as_of,
        period: q.period,
        mode: q.mode,
        currency: flow.currency.clone(),
        other_currency_deals: flow.other_currency_deals,
        deals: existing,
        stages,
        bottlenecks,
        velocity: vel,
    }
}

/// The incidence curve as chart points, at most ~120 (enough for a smooth step line).
fn curve_points(inc: &Incidence) -> Vec<(f64, f64)> {
    let step = (inc.steps.len() / 120).max(1);
    let mut pts: Vec<(f64, f64)> = inc.steps.iter().step_by(step).map(|s| (s.0, s.1)).collect();
    if let Some(last) = inc.steps.last() {
        if pts.last().map(|p| p.0) != Some(last.0) {
            pts.push((last.0, last.1));
        }
    }
    pts
}

fn bottlenecks(stages: &[StageReport], open_samples: &[f64]) -> Bottlenecks {
    let with_conv: Vec<(&StageReport, &Conversion)> =
        stages.iter().filter_map(|s| s.conversion.as_ref().map(|c| (s, c))).collect();
    let (num, den) = with_conv
        .iter()
        .fold((0, 0), |(n, d), (_, c)| (n + c.reached_next, d + c.reached_next + c.lost_before_next));
    let drop_off = ratio(num, den).and_then(|pipeline_rate| {
        with_conv
            .iter()
            .filter_map(|(s, c)| c.next_closed.map(|r| (s, c, r)))
            .min_by(|a, b| a.2.total_cmp(&b.2))
            .map(|(s, c, rate)| DropOffBottleneck {
                stage: s.name.clone(),
                rate,
                pipeline_rate,
                n: c.reached_next + c.lost_before_next,
            })
    });
    let dwell = quantile_sorted(open_samples, 0.5).and_then(|pipeline_median_days| {
        stages
            .iter()
            .filter(|s| s.kind == StageKind::Open)
            .filter_map(|s| s.dwell.p50.map(|m| (s, m)))
            .max_by(|a, b| a.1.total_cmp(&b.1))
            .map(|(s, m)| DwellBottleneck {
                stage: s.name.clone(),
                median_days: m,
                pipeline_median_days,
                n: s.dwell.completed,
            })
    });
    Bottlenecks { drop_off, dwell }
}
