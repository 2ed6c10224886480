//! The funnel report: snapshot, funnel, cohort conversion, dwell, stuck deals,
//! "win within T days", bottlenecks and sales velocity, all from one pass over the
//! event log. Definitions are documented in docs/analytics.md.

use super::flow::{DealFilter, Flow};
use super::stats::{km_quantiles, km_quantiles_sorted, merged, pack, quantile_select, sort_seconds, Incidence, Outcome};
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
    /// Money figures are in this currency (the reporting one, else the most common one),
    /// in minor units.
    pub currency: String,
    /// Deals with an amount left out of the money figures (another currency, or no rate
    /// in effect on their day).
    pub other_currency_deals: usize,
    /// With a reporting currency: the rates used. Closed deals convert at their close
    /// date, open ones at `as_of`.
    pub conversion: Option<super::convert::Conversion>,
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
    /// Of those, visits that left at the very moment they entered (one date for both in
    /// the source data). When they are most of them, the stage's dwell was not measured
    /// and the quantiles are None.
    pub instant: usize,
    /// Visits that started in the period and are still open: counted as censored.
    pub running: usize,
    /// Kaplan–Meier quantiles of visit length (open visits censored at their age); None
    /// while too many are still open to tell, or when the dwell was not measured.
    pub p50: Option<f64>,
    pub p75: Option<f64>,
    pub p90: Option<f64>,
    /// Deals in the stage now, and the median of their current age in days.
    pub open: usize,
    pub open_median_age: Option<f64>,
    /// Age above which an open visit counts as stuck: the stage's own limit, else p90,
    /// else (more than 10% still open past every finished visit) the longest finished one.
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

/// For each rank, the index (into `evs`) of the event by which the deal first reached it.
fn first_reach(flow: &Flow, evs: &[(i64, u16)], mode: ReachMode, first: &mut [Option<usize>]) {
    first.iter_mut().for_each(|f| *f = None);
    for (i, &(_, s)) in evs.iter().enumerate() {
        let Some(r) = flow.stages[s as usize].rank else { continue };
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

/// The filter resolved to interned label ids; `None` inside means "matches nothing".
pub(crate) struct Selection {
    owner: Option<Option<u32>>,
    source: Option<Option<u32>>,
    tag: Option<Option<u32>>,
}

impl Selection {
    pub(crate) fn new(flow: &Flow, f: &DealFilter) -> Self {
        let find = |v: &Option<String>| v.as_ref().map(|s| flow.labels.find(s));
        Selection { owner: find(&f.owner), source: find(&f.source), tag: find(&f.tag) }
    }
    pub(crate) fn accepts(&self, d: &crate::analytics::flow::DealRow) -> bool {
        self.owner.is_none_or(|o| o == Some(d.owner))
            && self.source.is_none_or(|s| s == Some(d.source))
            && self.tag.is_none_or(|t| t.is_some_and(|t| d.tags.contains(&t)))
    }
}

/// For each event, the index of the first Won/Lost event at or after it.
pub(crate) fn next_terminals(flow: &Flow, evs: &[(i64, u16)], out: &mut Vec<Option<usize>>) {
    out.clear();
    out.resize(evs.len(), None);
    let mut upcoming = None;
    for i in (0..evs.len()).rev() {
        if flow.stages[evs[i].1 as usize].kind.is_terminal() {
            upcoming = Some(i);
        }
        out[i] = upcoming;
    }
}

/// A deal's events known at `as_of`.
pub(crate) fn known(evs: &[(i64, u16)], as_of: i64) -> &[(i64, u16)] {
    &evs[..evs.partition_point(|e| e.0 <= as_of)]
}

/// The deals behind a funnel bar: created in the period and reached `stage` (by id).
pub fn deals_reaching(flow: &Flow, q: &Query, stage: &str) -> Vec<(String, String)> {
    let Some(r) = flow.stages.iter().find(|s| s.id.as_str() == stage).and_then(|s| s.rank) else { return Vec::new() };
    let sel = Selection::new(flow, &q.filter);
    let as_of = q.as_of.timestamp();
    let mut first = vec![None; flow.ranks];
    (0..flow.deals.len())
        .filter(|&d| {
            let evs = known(&flow.events[d], as_of);
            if evs.is_empty() || !sel.accepts(&flow.deals[d]) || !q.in_period(evs[0].0) {
                return false;
            }
            first_reach(flow, evs, q.mode, &mut first);
            first[r].is_some()
        })
        .map(|d| (flow.deals[d].id.to_string(), flow.deals[d].title.clone()))
        .collect()
}

/// Runs the whole report for one pipeline.
pub fn report(ws: &Workspace, pipeline: &Pipeline, q: &Query) -> Report {
    report_on(&Flow::build(ws, pipeline), q)
}

/// The report on an index (which the app keeps current instead of rebuilding it).
pub fn report_on(flow: &Flow, q: &Query) -> Report {
    let mut b = ReportBuilder::new(flow, q);
    b.step(flow, usize::MAX);
    b.finish(flow)
}

/// The report computed in slices of deals, so a UI can spread a large computation over
/// several frames and show progress. `step` then `finish` with the same flow and query.
pub struct ReportBuilder {
    q: Query,
    as_of: i64,
    sel: Selection,
    money: super::convert::Money,
    next: usize,
    snapshot: Vec<Snapshot>,
    funnel_n: Vec<usize>,
    funnel_amt: Vec<i64>,
    conv: Vec<Conversion>,
    visits: Visits,
    /// Per rank: (seconds from first reach to the outcome or to as-of, outcome).
    subjects: Vec<Vec<i64>>,
    vel: Velocity,
    won_amount_sum: f64,
    won_amount_n: usize,
    cycle_sum: f64,
    existing: usize,
    first: Vec<Option<usize>>,
    next_terminal: Vec<Option<usize>>,
}

impl ReportBuilder {
    pub fn new(flow: &Flow, q: &Query) -> Self {
        let sel = Selection::new(flow, &q.filter);
        let money = super::convert::Money::of(flow, |d| sel.accepts(d));
        let (ns, ranks) = (flow.stages.len(), flow.ranks);
        ReportBuilder {
            q: q.clone(),
            as_of: q.as_of.timestamp(),
            sel,
            money,
            next: 0,
            snapshot: vec![Snapshot::default(); ns],
            funnel_n: vec![0; ranks],
            funnel_amt: vec![0; ranks],
            conv: vec![Conversion::default(); ranks],
            visits: Visits::new(ns),
            subjects: vec![Vec::new(); ranks],
            vel: Velocity::default(),
            won_amount_sum: 0.0,
            won_amount_n: 0,
            cycle_sum: 0.0,
            existing: 0,
            first: vec![None; ranks],
            next_terminal: Vec::new(),
        }
    }

    /// Share of deals processed so far, 0..=1.
    pub fn progress(&self, flow: &Flow) -> f64 {
        if flow.deals.is_empty() {
            1.0
        } else {
            self.next as f64 / flow.deals.len() as f64
        }
    }

    /// Processes up to `max_deals` more deals; true when all are done.
    pub fn step(&mut self, flow: &Flow, max_deals: usize) -> bool {
        let end = self.next.saturating_add(max_deals).min(flow.deals.len());
        for d in self.next..end {
            self.deal(flow, d);
        }
        self.next = end;
        self.next >= flow.deals.len()
    }

    fn deal(&mut self, flow: &Flow, d: usize) {
        let row = &flow.deals[d];
        if !self.sel.accepts(row) {
            return;
        }
        let evs = known(&flow.events[d], self.as_of);
        if evs.is_empty() {
            return;
        }
        let q = &self.q;
        let kind_of = |s: u16| flow.stages[s as usize].kind;
        let ranks = flow.ranks;
        self.existing += 1;
        let created = evs[0].0;
        let last = evs.len() - 1;
        let cur = evs[last].1;
        let cur_kind = kind_of(cur);
        // A closed deal converts at the rate of the day it closed, an open one at as-of's.
        let priced_at = if cur_kind == StageKind::Open { self.as_of } else { evs[last].0 };
        let amount = self.money.price(flow, row, priced_at).amount();

        self.snapshot[cur as usize].deals += 1;
        self.snapshot[cur as usize].amount += amount.unwrap_or(0);

        first_reach(flow, evs, q.mode, &mut self.first);
        next_terminals(flow, evs, &mut self.next_terminal);

        // Funnel: deals created in the period.
        if q.in_period(created) {
            for r in 0..ranks {
                if self.first[r].is_some() {
                    self.funnel_n[r] += 1;
                    self.funnel_amt[r] += amount.unwrap_or(0);
                }
            }
        }

        for r in 0..ranks {
            let Some(origin) = self.first[r] else { continue };
            let t0 = evs[origin].0;
            if !q.in_period(t0) || flow.stages[flow.rank_stage[r]].kind != StageKind::Open {
                continue;
            }
            let c = &mut self.conv[r];
            c.cohort += 1;
            let reached_next = r + 1 < ranks && self.first[r + 1].is_some();
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
            let subject = match self.next_terminal[origin] {
                Some(j) => pack(evs[j].0 - t0, if kind_of(evs[j].1) == StageKind::Won { Outcome::Event } else { Outcome::Competing }),
                None => pack(self.as_of - t0, Outcome::Censored),
            };
            self.subjects[r].push(subject);
        }

        self.visits.deal(d, evs, cur_kind == StageKind::Open, self.as_of, |t| q.in_period(t));

        // Velocity.
        if cur_kind == StageKind::Open {
            self.vel.open_deals += 1;
        } else if q.in_period(evs[last].0) {
            self.vel.closed += 1;
            if cur_kind == StageKind::Won {
                self.vel.won += 1;
                self.cycle_sum += (evs[last].0 - created) as f64 / DAY;
                if let Some(a) = amount {
                    self.won_amount_sum += a as f64;
                    self.won_amount_n += 1;
                }
            }
        }
    }

    pub fn finish(mut self, flow: &Flow) -> Report {
        let mut vel = self.vel;
        vel.win_rate = ratio(vel.won, vel.closed);
        vel.avg_won_amount = mean(self.won_amount_sum, self.won_amount_n);
        vel.avg_cycle_days = mean(self.cycle_sum, vel.won);
        vel.per_day = match (vel.win_rate, vel.avg_won_amount, vel.avg_cycle_days) {
            (Some(w), Some(a), Some(c)) if c > 0.0 => Some(vel.open_deals as f64 * w * a / c),
            _ => None,
        };
        for c in self.conv.iter_mut() {
            c.next_to_date = ratio(c.reached_next, c.cohort);
            c.next_closed = ratio(c.reached_next, c.reached_next + c.lost_before_next);
            c.won_to_date = ratio(c.won, c.cohort);
            c.won_closed = ratio(c.won, c.won + c.lost);
        }
        let ranks = flow.ranks;
        let q = &self.q;
        // The open stages' measured visits, each stage's sorted by its own quantiles: the
        // pipeline's median reads them merged rather than sorting them all again.
        let (mut all_ended, mut all_running): (Vec<Vec<i64>>, Vec<i64>) = (Vec::new(), Vec::new());
        let stages: Vec<StageReport> = flow
            .stages
            .iter()
            .enumerate()
            .filter(|(_, s)| !s.archived)
            .map(|(si, s)| {
                let (dwell, measured) = self.visits.dwell(flow, si);
                if let Some((secs, running)) = measured.filter(|_| s.kind == StageKind::Open) {
                    all_ended.push(secs);
                    all_running.extend_from_slice(&running);
                }
                let funnel = s.rank.map(|r| FunnelStep {
                    reached: self.funnel_n[r],
                    amount: self.funnel_amt[r],
                    drop_off: (r + 1 < ranks && self.funnel_n[r] > 0)
                        .then(|| 1.0 - self.funnel_n[r + 1] as f64 / self.funnel_n[r] as f64),
                });
                let open_rank = s.rank.filter(|_| s.kind == StageKind::Open);
                let conversion = open_rank.map(|r| self.conv[r].clone());
                let win_within = open_rank.map(|r| {
                    let inc = Incidence::from_packed(std::mem::take(&mut self.subjects[r]));
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
                    snapshot: self.snapshot[si].clone(),
                    funnel,
                    conversion,
                    dwell,
                    win_within,
                }
            })
            .collect();
        sort_seconds(&mut all_running);
        let n_ended = all_ended.iter().map(Vec::len).sum();
        let pipeline_median = km_quantiles_sorted(n_ended, merged(&all_ended), &all_running, &[0.5])[0].map(|x| x / DAY);
        let bottlenecks = bottlenecks(&stages, pipeline_median);
        Report {
            as_of: q.as_of,
            period: q.period,
            mode: q.mode,
            currency: self.money.currency.clone(),
            other_currency_deals: self.money.left_out(),
            conversion: self.money.conversion(flow),
            deals: self.existing,
            stages,
            bottlenecks,
            velocity: vel,
        }
    }
}

/// A stage's measured visits: the completed lengths, sorted, and the running ages.
type Measured = (Vec<i64>, Vec<i64>);

/// Each stage's visits, gathered a deal at a time: completed visit lengths, the ages of the
/// visits still open, and the deals in the stage now. What the dwell figures and the stuck
/// deals are made of: the report's, and all the board needs (each stage's rotting limit,
/// the "stuck" filter), which `dwell_now` computes without the rest of the report.
struct Visits {
    /// Completed visit lengths per stage, in seconds.
    samples: Vec<Vec<i64>>,
    /// Ages of open visits that started in the period, in seconds (censored).
    running: Vec<Vec<i64>>,
    /// Per stage: the deals in it now, with their age there in seconds.
    open: Vec<Vec<(usize, i64)>>,
}

impl Visits {
    fn new(stages: usize) -> Visits {
        Visits { samples: vec![Vec::new(); stages], running: vec![Vec::new(); stages], open: vec![Vec::new(); stages] }
    }

    /// Deal `d`'s visits: `evs` its events known as of `as_of`, `open` whether it is in an
    /// open stage now; a visit is a sample if it started when `in_period` says.
    fn deal(&mut self, d: usize, evs: &[(i64, u16)], open: bool, as_of: i64, in_period: impl Fn(i64) -> bool) {
        let Some(last) = evs.len().checked_sub(1) else { return };
        for i in 0..evs.len() {
            let s = evs[i].1 as usize;
            if i < last {
                if in_period(evs[i].0) {
                    self.samples[s].push(evs[i + 1].0 - evs[i].0);
                }
            } else if open {
                self.open[s].push((d, as_of - evs[i].0));
                if in_period(evs[i].0) {
                    self.running[s].push(as_of - evs[i].0);
                }
            }
        }
    }

    /// Stage `si`'s dwell (its visits are handed over); when the dwell was measured, also
    /// its completed visit lengths, sorted, and its running ones, for the pipeline's median.
    fn dwell(&mut self, flow: &Flow, si: usize) -> (Dwell, Option<Measured>) {
        let s = &flow.stages[si];
        let mut secs = std::mem::take(&mut self.samples[si]);
        let mut running = std::mem::take(&mut self.running[si]);
        let km = km_quantiles(&mut secs, &mut running, &[0.5, 0.75, 0.9]);
        // Sorted now: the instant visits (0 s) and the longest read off it, not counted in
        // two more passes over every visit.
        let instant = secs.partition_point(|&x| x <= 0) - secs.partition_point(|&x| x < 0);
        let longest = secs.last().copied();
        let measured = dwell_measured(secs.len(), instant);
        let completed = secs.len();
        let km = |i: usize| km[i].filter(|_| measured).map(|x| x / DAY);
        let (p50, p75, p90) = (km(0), km(1), km(2));
        let mut open = std::mem::take(&mut self.open[si]);
        let mut ages: Vec<i64> = open.iter().map(|o| o.1).collect();
        let stuck_after = s.stuck_after_days.map(f64::from).or(p90).or_else(|| longest.filter(|_| measured).map(|x| x as f64 / DAY));
        // Oldest first; equal ages in id order so the list never depends on input order.
        open.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| flow.deals[a.0].id.cmp(&flow.deals[b.0].id)));
        let stuck = match stuck_after {
            Some(limit) if s.kind == StageKind::Open => open
                .iter()
                .filter(|o| o.1 as f64 / DAY > limit)
                .map(|&(d, age)| StuckDeal { id: flow.deals[d].id.to_string(), title: flow.deals[d].title.clone(), age_days: age as f64 / DAY })
                .collect(),
            _ => Vec::new(),
        };
        let dwell = Dwell {
            completed,
            instant,
            running: running.len(),
            p50,
            p75,
            p90,
            open: ages.len(),
            open_median_age: quantile_select(&mut ages, 0.5).map(|x| x / DAY),
            stuck_after,
            stuck,
        };
        (dwell, measured.then_some((secs, running)))
    }
}

/// Each stage's dwell as of `as_of`, every deal and every visit counted (the report's with
/// no filter and no period), by stage index, archived stages left out as in the report:
/// what the board needs (each open stage's rotting limit, the stuck deals), without the
/// conversions, the win-within curves and the money the report also works out (at 100,000
/// deals most of its time).
pub fn dwell_now(flow: &Flow, as_of: DateTime<Utc>) -> Vec<(usize, Dwell)> {
    let as_of = as_of.timestamp();
    let mut visits = Visits::new(flow.stages.len());
    for d in 0..flow.deals.len() {
        let evs = known(&flow.events[d], as_of);
        if let Some(&(_, cur)) = evs.last() {
            visits.deal(d, evs, flow.stages[cur as usize].kind == StageKind::Open, as_of, |_| true);
        }
    }
    (0..flow.stages.len()).filter(|&si| !flow.stages[si].archived).map(|si| (si, visits.dwell(flow, si).0)).collect()
}

/// The deals stuck as of `as_of` (every stage's in `dwell_now`), by id: the board's and the
/// deal list's "stuck" filter.
pub fn stuck_now(flow: &Flow, as_of: DateTime<Utc>) -> std::collections::HashSet<String> {
    dwell_now(flow, as_of).into_iter().flat_map(|(_, d)| d.stuck.into_iter().map(|s| s.id)).collect()
}

/// Each open stage's rotting limit in days as of `as_of` (its `stuck_after` in `dwell_now`:
/// its own limit, else its 90th-percentile dwell), by stage id; stages without one left out.
pub fn rot_limits(flow: &Flow, as_of: DateTime<Utc>) -> Vec<(crate::domain::Id, f64)> {
    dwell_now(flow, as_of)
        .into_iter()
        .filter(|(si, _)| flow.stages[*si].kind == StageKind::Open)
        .filter_map(|(si, d)| Some((flow.stages[si].id.clone(), d.stuck_after?)))
        .collect()
}

/// A stage's dwell counts as measured unless most of its finished visits left at the
/// moment they entered: an import with one date for two steps (the Maven sample creates
/// every deal in Prospecting at its engage date) says nothing about time in the stage, and
/// "0.0 days" would read as a fact.
pub(crate) fn dwell_measured(completed: usize, instant: usize) -> bool {
    instant * 2 <= completed
}

/// The incidence curve as chart points, at most ~120 (enough for a smooth step line).
pub(crate) fn curve_points(inc: &Incidence) -> Vec<(f64, f64)> {
    let step = (inc.steps.len() / 120).max(1);
    let mut pts: Vec<(f64, f64)> = inc.steps.iter().step_by(step).map(|s| (s.0, s.1)).collect();
    if let Some(last) = inc.steps.last() {
        if pts.last().map(|p| p.0) != Some(last.0) {
            pts.push((last.0, last.1));
        }
    }
    pts
}

fn bottlenecks(stages: &[StageReport], pipeline_median: Option<f64>) -> Bottlenecks {
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
    // The slowest of at least two stages with a measured median: with one, the stage
    // would be compared with itself ("69.0 days vs 69.0 pipeline-wide").
    let measured: Vec<(&StageReport, f64)> =
        stages.iter().filter(|s| s.kind == StageKind::Open).filter_map(|s| s.dwell.p50.map(|m| (s, m))).collect();
    let dwell = pipeline_median.filter(|_| measured.len() >= 2).and_then(|pipeline_median_days| {
        measured
            .into_iter()
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::demo;

    /// `dwell_now` is the report's dwell, stage by stage (every figure and stuck deal), with
    /// no filter and no period: on the demo as generated and as of two months earlier (so
    /// later events are not yet known), with one stage's own limit set and one stage archived.
    #[test]
    fn dwell_now_is_the_reports_dwell() {
        let now = chrono::DateTime::parse_from_rfc3339("2026-11-27T00:00:00Z").map(|t| t.with_timezone(&Utc)).unwrap();
        let mut ws = demo::generate(400, 5, 5, now, crate::domain::Lang::En);
        let open: Vec<usize> = (0..ws.pipelines[0].stages.len()).filter(|&i| ws.pipelines[0].stages[i].kind == StageKind::Open).collect();
        ws.pipelines[0].stages[open[1]].stuck_after_days = Some(9);
        ws.pipelines[0].stages[open[3]].archived = true;
        let flow = Flow::build(&ws, &ws.pipelines[0]);
        for as_of in [now, now - chrono::Duration::days(60)] {
            let report = report_on(&flow, &Query::new(as_of));
            let dwell = dwell_now(&flow, as_of);
            let from_report: Vec<(String, &Dwell)> = report.stages.iter().map(|s| (s.id.clone(), &s.dwell)).collect();
            let ours: Vec<(String, &Dwell)> = dwell.iter().map(|(si, d)| (flow.stages[*si].id.to_string(), d)).collect();
            assert_eq!(ours, from_report, "as of {as_of}");
            // Not vacuous: stuck deals in more than one stage, the own limit used, a stage left out.
            assert!(dwell.iter().filter(|(_, d)| !d.stuck.is_empty()).count() >= 2, "as of {as_of}");
            assert!(dwell.iter().any(|(si, d)| *si == open[1] && d.stuck_after == Some(9.0)));
            assert!(dwell.iter().all(|(si, _)| *si != open[3]));
            // What the board takes from it, as it took it from the report.
            let stuck: std::collections::HashSet<String> = report.stages.iter().flat_map(|s| s.dwell.stuck.iter().map(|d| d.id.clone())).collect();
            assert_eq!(stuck_now(&flow, as_of), stuck);
            let limits: Vec<(String, f64)> =
                report.stages.iter().filter(|s| s.kind == StageKind::Open).filter_map(|s| Some((s.id.clone(), s.dwell.stuck_after?))).collect();
            assert_eq!(rot_limits(&flow, as_of).into_iter().map(|(id, x)| (id.to_string(), x)).collect::<Vec<_>>(), limits);
            assert!(limits.len() >= 3);
        }
    }
}
