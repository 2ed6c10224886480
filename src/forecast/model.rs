//! What the history says, as of a date: for every open stage and every "age in stage"
//! landmark, the competing-risk chance to win within t days; the lead-to-win curve of new
//! deals and the creation rate; win rates by owner and source; won amounts. Only events
//! at or before the date are read (no look-ahead).

use crate::analytics::flow::Flow;
use crate::analytics::report::{known, next_terminals, Selection};
use crate::analytics::stats::{quantile_sorted, Incidence, Outcome};
use crate::analytics::DealFilter;
use crate::domain::StageKind;

pub const DAY: f64 = 86_400.0;
/// Ages in stage (days) at which the chance to win is estimated separately.
pub const LANDMARKS: [f64; 12] = [0.0, 3.0, 7.0, 14.0, 21.0, 30.0, 45.0, 60.0, 90.0, 120.0, 180.0, 365.0];
/// Fewer subjects than this and a stage's own estimate is not trusted: pooled instead.
pub const MIN_SUBJECTS: usize = 20;
/// Deals created in this many days before as-of give the creation rate.
pub const RATE_WINDOW_DAYS: f64 = 90.0;

#[derive(Clone, Debug)]
pub struct Curve {
    pub inc: Incidence,
    pub n: usize,
}

#[derive(Clone, Debug)]
pub struct Model {
    pub as_of: i64,
    /// [stage index][landmark]: the stage's own estimate.
    pub stage: Vec<Vec<Curve>>,
    /// [landmark]: all open stages pooled.
    pub pooled: Vec<Curve>,
    /// From creation to the first close.
    pub creation: Curve,
    pub creations_per_day: f64,
    pub won_amounts: Vec<i64>,
    pub closed_deals: usize,
    /// Median and 90th percentile of completed visit length per stage (days).
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
        let mut visits: Vec<Vec<i64>> = vec![Vec::new(); ns];
        let n_labels = flow.labels_len();
        let mut owner_record = vec![(0, 0); n_labels];
        let mut source_record = vec![(0, 0); n_labels];
        let mut overall = (0, 0);
        let mut won_amounts = Vec::new();
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
                if i + 1 < evs.len() {
                    visits[s].push(end - entry);
                }
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
                    if let Some(a) = row.amount {
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
        let stage = stage_subjects.into_iter().map(|per| per.into_iter().map(curve).collect()).collect();
        let (dwell_p50, dwell_p90) = visits
            .into_iter()
            .map(|mut v| {
                v.sort_unstable();
                let days: Vec<f64> = v.iter().map(|&x| x as f64 / DAY).collect();
                (quantile_sorted(&days, 0.5), quantile_sorted(&days, 0.9))
            })
            .unzip();
        let mut sorted_amounts = won_amounts.clone();
        sorted_amounts.sort_unstable();
        let amounts_f: Vec<f64> = sorted_amounts.iter().map(|&a| a as f64).collect();
        Model {
            as_of,
            stage,
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

    /// The curve to use for a deal in `stage` aged `age_days`, the age its origin stands
    /// for (a landmark), and whether it is pooled.
    pub fn curve_for(&self, stage: usize, age_days: f64) -> (&Curve, f64, bool) {
        let l = Self::landmark(age_days);
        let own = &self.stage[stage][l];
        if own.n >= MIN_SUBJECTS {
            (own, LANDMARKS[l], false)
        } else if self.pooled[l].n >= MIN_SUBJECTS {
            (&self.pooled[l], LANDMARKS[l], true)
        } else {
            (&self.pooled[0], 0.0, true)
        }
    }

    /// The chance that a deal `age_days` into `stage` is won within `h` days, conditioned
    /// on its real age (the landmark curve read from the deal's age, given it is still
    /// open), not on the landmark below it; and whether a pooled curve was used.
    pub fn win_within(&self, stage: usize, age_days: f64, h: f64) -> (f64, bool) {
        let (curve, origin, pooled) = self.curve_for(stage, age_days);
        (curve.inc.conditional((age_days - origin).max(0.0), h), pooled)
    }
}
