//! What the history says, as of a date: for every open stage, how visits to it end day by
//! day (a life table of exits by destination) and the competing-risk chance to win within
//! t days from entering it; the same pooled over all stages, as the prior for stages with
//! little history; the lead-to-win curve of new deals and the creation rate; win rates by
//! owner and source; won amounts. Only events at or before the date are read (no
//! look-ahead).
//!
//! A deal `a` days into a stage is won within `h` days if it leaves the stage within `h`
//! (read from the stage's life table *given it is still there at `a`*) for a stage from
//! which it then wins in the time left. Conditioning on the stage, not only on being open,
//! is what makes the probability right at every age: a landmark curve read at a later age
//! counted deals that had already moved on, and overstated the chances of those that had
//! not (15% too high in Qualification on the simulated histories of tests/calibration.rs).

use crate::analytics::flow::Flow;
use crate::analytics::report::{dwell_measured, known, next_terminals, Selection};
use crate::analytics::stats::{km_quantiles, quantile_sorted, Incidence, Outcome};
use crate::analytics::DealFilter;
use crate::domain::StageKind;

pub const DAY: f64 = 86_400.0;
/// Ages in stage (days) at which the chance to win is estimated separately.
pub const LANDMARKS: [f64; 12] = [0.0, 3.0, 7.0, 14.0, 21.0, 30.0, 45.0, 60.0, 90.0, 120.0, 180.0, 365.0];
/// A pooled landmark curve with fewer subjects than this is not used (the one from entry
/// is); also the prior's weight when there are not two stages to compare.
pub const MIN_SUBJECTS: usize = 20;
/// Deals created in this many days before as-of give the creation rate.
pub const RATE_WINDOW_DAYS: f64 = 90.0;

#[derive(Clone, Debug)]
pub struct Curve {
    pub inc: Incidence,
    pub n: usize,
}

/// How visits to one stage ended, as a daily life table: for each day since entry in
/// which some visit ended or was last seen, the visits still there at its start, the share
/// of all visits still there (Kaplan–Meier over days), and the chance of leaving that day
/// for each destination. Visits still open count as censored at their age.
#[derive(Clone, Debug, Default)]
pub struct ExitTable {
    day: Vec<u32>,
    at_risk: Vec<f64>,
    surv: Vec<f64>,
    /// Exits of day `i`: `exits[start[i]..start[i + 1]]`, (destination stage, hazard).
    start: Vec<u32>,
    exits: Vec<(u16, f64)>,
}

impl ExitTable {
    /// `visits`: (seconds in the stage, where it went; None = still there).
    pub fn new(mut visits: Vec<(i64, Option<u16>)>) -> ExitTable {
        visits.sort_unstable_by_key(|v| (v.0 / DAY as i64, v.1));
        let mut t = ExitTable { start: vec![0], ..ExitTable::default() };
        let mut n = visits.len() as f64;
        let mut surv = 1.0;
        let mut i = 0;
        while i < visits.len() {
            let day = visits[i].0.max(0) / DAY as i64;
            let mut ended = 0.0;
            let mut censored = 0.0;
            let first_exit = t.exits.len();
            while i < visits.len() && visits[i].0.max(0) / DAY as i64 == day {
                let dest = visits[i].1;
                let mut k = 0.0;
                while i < visits.len() && visits[i].0.max(0) / DAY as i64 == day && visits[i].1 == dest {
                    k += 1.0;
                    i += 1;
                }
                match dest {
                    Some(j) => {
                        t.exits.push((j, k));
                        ended += k;
                    }
                    None => censored += k,
                }
            }
            // Actuarial life table: visits last seen during the day were there for half
            // of it on average.
            let risk = n - censored / 2.0;
            for e in &mut t.exits[first_exit..] {
                e.1 /= risk;
            }
            t.day.push(day as u32);
            t.at_risk.push(n);
            t.surv.push(surv);
            t.start.push(t.exits.len() as u32);
            surv *= 1.0 - ended / risk;
            n -= ended + censored;
        }
        t
    }

    /// Visits that stayed at least `age_days` (observed that long, finished or not).
    pub fn at_risk(&self, age_days: f64) -> f64 {
        let i = self.day.partition_point(|&d| (d as f64) < age_days.floor());
        self.at_risk.get(i).copied().unwrap_or(0.0)
    }

    /// Whether any visit was followed past the day of age `age_days` (finished later, or
    /// still open and older): otherwise the table knows nothing about what comes next.
    pub fn seen_past(&self, age_days: f64) -> bool {
        self.day.last().is_some_and(|&d| d as f64 > age_days.floor())
    }

    /// The chance that a visit `a` days old ends within `h` more days, each exit weighted
    /// by `then(destination, days left)`: the chance to be won from there in the time
    /// left. Exits within a day are taken as spread evenly over it. None when no visit was
    /// ever followed past this age (a deal's own open visit says nothing about its future).
    pub fn within(&self, a: f64, h: f64, then: impl Fn(u16, f64) -> f64) -> Option<f64> {
        let k0 = a.floor();
        let i0 = self.day.partition_point(|&d| (d as f64) < k0);
        if i0 >= self.day.len() || !self.seen_past(a) {
            return None;
        }
        let hazard = |i: usize| self.exits[self.start[i] as usize..self.start[i + 1] as usize].iter().map(|e| e.1).sum::<f64>();
        // Still there at `a`: the share at the start of its day, less what left before `a`.
        let s_a = if self.day[i0] as f64 == k0 { self.surv[i0] * (1.0 - (a - k0) * hazard(i0)) } else { self.surv[i0] };
        if s_a <= 1e-12 {
            return None;
        }
        let end = a + h;
        let mut p = 0.0;
        for i in i0..self.day.len() {
            let k = self.day[i] as f64;
            if k >= end {
                break;
            }
            let (lo, hi) = (k.max(a), (k + 1.0).min(end));
            if hi <= lo {
                continue;
            }
            let left = h - ((lo + hi) / 2.0 - a);
            for &(j, q) in &self.exits[self.start[i] as usize..self.start[i + 1] as usize] {
                p += self.surv[i] * q * (hi - lo) * then(j, left);
            }
        }
        Some((p / s_a).clamp(0.0, 1.0))
    }
}

#[derive(Clone, Debug)]
pub struct Model {
    pub as_of: i64,
    /// [stage index]: win within t days of entering the stage.
    pub stage: Vec<Curve>,
    /// [stage index]: how visits to the stage end.
    pub exits: Vec<ExitTable>,
    /// [stage index]: won (1) or lost (0) for closed stages; None for open ones.
    pub terminal: Vec<Option<f64>>,
    /// [landmark]: all open stages pooled, the prior for stages with little history.
    pub pooled: Vec<Curve>,
    /// From creation to the first close.
    pub creation: Curve,
    pub creations_per_day: f64,
    pub won_amounts: Vec<i64>,
    pub closed_deals: usize,
    /// Median and 90th percentile of visit length per stage (days), Kaplan–Meier with open
    /// visits as censored, as in the report; None while too many are still open to tell or
    /// when the stage's dwell was not measured (p90 then falls back to the longest finished
    /// visit, like the report's stuck limit).
    pub dwell_p50: Vec<Option<f64>>,
    pub dwell_p90: Vec<Option<f64>>,
    /// (won, closed) per owner / source label, and overall.
    pub owner_record: Vec<(usize, usize)>,
    pub source_record: Vec<(usize, usize)>,
    pub overall_record: (usize, usize),
    pub median_won_amount: Option<f64>,
}

impl Model {
    pub fn estimate(flow: &Flow, as_of: i64, filter: &DealFilter) -> Model {
        let sel = Selection::new(flow, filter);
        let ns = flow.stages.len();
        let nl = LANDMARKS.len();
        let mut stage_subjects: Vec<Vec<Vec<(i64, Outcome)>>> = vec![vec![Vec::new(); nl]; ns];
        let mut creation_subjects = Vec::new();
        let mut visits: Vec<Vec<(i64, Option<u16>)>> = vec![Vec::new(); ns];
        let n_labels = flow.labels_len();
        let mut owner_record = vec![(0, 0); n_labels];
        let mut source_record = vec![(0, 0); n_labels];
        let mut overall = (0, 0);
        let mut won_amounts = Vec::new();
        // Won amounts in the forecast's currency (converted at the day each was won).
        let mut money = crate::analytics::convert::Money::of(flow, |d| sel.accepts(d));
        let mut created_recent = 0usize;
        let mut next_terminal: Vec<Option<usize>> = Vec::new();
        for (d, row) in flow.deals.iter().enumerate() {
            if !sel.accepts(row) {
                continue;
            }
            let evs = known(&flow.events[d], as_of);
            if evs.is_empty() {
                continue;
            }
            let kind = |i: usize| flow.stages[evs[i].1 as usize].kind;
            next_terminals(flow, evs, &mut next_terminal);
            let outcome_from = |origin: i64, from_event: usize| match next_terminal[from_event] {
                Some(j) => (evs[j].0 - origin, if kind(j) == StageKind::Won { Outcome::Event } else { Outcome::Competing }),
                None => (as_of - origin, Outcome::Censored),
            };
            creation_subjects.push(outcome_from(evs[0].0, 0));
            if (as_of - evs[0].0) as f64 <= RATE_WINDOW_DAYS * DAY {
                created_recent += 1;
            }
            for i in 0..evs.len() {
                let s = evs[i].1 as usize;
                if kind(i) != StageKind::Open {
                    continue;
                }
                let entry = evs[i].0;
                let end = evs.get(i + 1).map_or(as_of, |e| e.0);
                visits[s].push((end - entry, evs.get(i + 1).map(|e| e.1)));
                for (l, &a) in LANDMARKS.iter().enumerate() {
                    let origin = entry + (a * DAY) as i64;
                    // Still in the stage at this age: a finished visit must have lasted past
                    // it; the current visit must have been observed at it.
                    let still_there = if i + 1 < evs.len() { end > origin } else { origin <= as_of };
                    if !still_there {
                        break;
                    }
                    stage_subjects[s][l].push(outcome_from(origin, i));
                }
            }
            // Closed deals: records by owner and source, won amounts.
            let last = evs.len() - 1;
            if kind(last).is_terminal() {
                let won = kind(last) == StageKind::Won;
                for (rec, label) in [(&mut owner_record, row.owner), (&mut source_record, row.source)] {
                    let r = &mut rec[label as usize];
                    r.1 += 1;
                    r.0 += won as usize;
                }
                overall.1 += 1;
                overall.0 += won as usize;
                if won {
                    if let Some(a) = money.price(flow, row, evs[last].0).amount() {
                        won_amounts.push(a);
                    }
                }
            }
        }
        let curve = |subjects: Vec<(i64, Outcome)>| {
            let n = subjects.len();
            Curve { inc: Incidence::from_seconds(subjects), n }
        };
        let pooled = (0..nl)
            .map(|l| curve(stage_subjects.iter().flat_map(|per| per[l].iter().copied()).collect()))
            .collect();
        let stage = stage_subjects.into_iter().map(|mut per| curve(std::mem::take(&mut per[0]))).collect();
        let (dwell_p50, dwell_p90) = visits
            .iter()
            .map(|v| {
                let (mut ended, mut open): (Vec<i64>, Vec<i64>) = (Vec::new(), Vec::new());
                for &(t, to) in v {
                    if to.is_some() { ended.push(t) } else { open.push(t) }
                }
                let measured = dwell_measured(ended.len(), ended.iter().filter(|&&x| x == 0).count());
                let longest = ended.iter().max().copied();
                let q = km_quantiles(&mut ended, &mut open, &[0.5, 0.9]);
                let q = |i: usize| q[i].filter(|_| measured).map(|x| x / DAY);
                // Overdue past p90, or, while p90 cannot be told, past every finished
                // visit (the report's stuck rule).
                (q(0), q(1).or_else(|| longest.filter(|_| measured).map(|x| x as f64 / DAY)))
            })
            .unzip();
        let exits = visits.into_iter().map(ExitTable::new).collect();
        let terminal = flow
            .stages
            .iter()
            .map(|s| match s.kind {
                StageKind::Won => Some(1.0),
                StageKind::Lost => Some(0.0),
                StageKind::Open => None,
            })
            .collect();
        let mut sorted_amounts = won_amounts.clone();
        sorted_amounts.sort_unstable();
        let amounts_f: Vec<f64> = sorted_amounts.iter().map(|&a| a as f64).collect();
        Model {
            as_of,
            stage,
            exits,
            terminal,
            pooled,
            creation: curve(creation_subjects),
            creations_per_day: created_recent as f64 / RATE_WINDOW_DAYS,
            median_won_amount: quantile_sorted(&amounts_f, 0.5),
            won_amounts,
            closed_deals: overall.1,
            dwell_p50,
            dwell_p90,
            owner_record,
            source_record,
            overall_record: overall,
        }
    }

    /// Landmark index for an age in days.
    pub fn landmark(age_days: f64) -> usize {
        LANDMARKS.iter().rposition(|&a| a <= age_days).unwrap_or(0)
    }

    /// All stages pooled: the chance that a deal still open `age_days` into a stage wins
    /// within `h`, from the landmark below its age (the prior a stage with little history
    /// is shrunk toward).
    pub fn pooled_within(&self, age_days: f64, h: f64) -> f64 {
        let l = Self::landmark(age_days);
        let (curve, origin) =
            if self.pooled[l].n >= MIN_SUBJECTS { (&self.pooled[l], LANDMARKS[l]) } else { (&self.pooled[0], 0.0) };
        curve.inc.conditional((age_days - origin).max(0.0), h)
    }

    /// The stage's own estimate for a deal `age_days` in, from its life table: None when
    /// no visit to it was ever seen that old.
    pub fn own_within(&self, stage: usize, age_days: f64, h: f64) -> Option<f64> {
        self.exits[stage].within(age_days, h, |to, left| match self.terminal[to as usize] {
            Some(p) => p,
            None => self.stage[to as usize].inc.at(left).0,
        })
    }

    /// How many visits' worth of evidence the pooled prior counts as at horizon `h`: the
    /// between-stage spread of the chance to win within `h` of entering, estimated as in
    /// a random-effects meta-analysis (DerSimonian–Laird), turned into a count
    /// (p̄(1 − p̄)/τ²). Stages that really differ get a small count (their own data
    /// dominates soon); stages that look alike lean on the pool. With fewer than two
    /// stages to compare, MIN_SUBJECTS.
    pub fn prior_weight(&self, h: f64) -> f64 {
        let rows: Vec<(f64, f64)> = (0..self.stage.len())
            .filter(|&s| self.terminal[s].is_none() && self.stage[s].n > 0)
            .map(|s| (self.stage[s].n as f64, self.stage[s].inc.at(h).0))
            .collect();
        let n: f64 = rows.iter().map(|r| r.0).sum();
        if rows.len() < 2 || n <= 0.0 {
            return MIN_SUBJECTS as f64;
        }
        let p_bar = rows.iter().map(|r| r.0 * r.1).sum::<f64>() / n;
        let var = p_bar * (1.0 - p_bar);
        if var <= 1e-9 {
            return MIN_SUBJECTS as f64;
        }
        // Weights 1/v_i with v_i = p̄(1 − p̄)/n_i.
        let (sw, sw2) = rows.iter().fold((0.0, 0.0), |a, r| (a.0 + r.0 / var, a.1 + (r.0 / var).powi(2)));
        let q: f64 = rows.iter().map(|r| r.0 / var * (r.1 - p_bar).powi(2)).sum();
        let tau2 = (q - (rows.len() - 1) as f64) / (sw - sw2 / sw);
        if tau2 <= 0.0 { f64::INFINITY } else { var / tau2 }
    }

    /// The chance that a deal `age_days` into `stage` is won within `h` days, at its real
    /// age; and whether it leans mostly on the pooled prior. The stage's own estimate
    /// (n visits observed that old) and the pooled one are mixed n : k, k from
    /// `prior_weight`: shrinkage by sample size instead of a switch at a threshold.
    pub fn win_within(&self, stage: usize, age_days: f64, h: f64) -> (f64, bool) {
        self.win_within_k(stage, age_days, h, self.prior_weight(h))
    }

    /// The same with the prior's weight computed once by the caller (per forecast).
    pub fn win_within_k(&self, stage: usize, age_days: f64, h: f64, k: f64) -> (f64, bool) {
        let n = self.exits[stage].at_risk(age_days);
        let own = self.own_within(stage, age_days, h);
        let w = match own {
            Some(_) if k.is_infinite() => 0.0,
            Some(_) => n / (n + k),
            None => 0.0,
        };
        let p = w * own.unwrap_or(0.0) + (1.0 - w) * self.pooled_within(age_days, h);
        (p.clamp(0.0, 1.0), w < 0.5)
    }
}
