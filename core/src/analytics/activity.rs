//! What the activity log says about selling effort (issue 10): how many touches won and
//! lost deals had before they closed, how long open deals have gone without one, and how
//! many each owner logs per week. Definitions in docs/analytics.md; an independent SQL
//! computation of the same figures is in scripts/duckdb_analytics.py.
//!
//! A **touch** is something that happened: a call, meeting, email or note at its time, or
//! a task at the time it was marked done. Open tasks are plans, not touches.

use crate::domain::{Activity, ActivityKind, Id, Pipeline, StageKind, Workspace};
use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc};
use serde::Serialize;
use std::collections::HashMap;

use super::stats::quantile_sorted;

#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Touches {
    /// Closed deals of this outcome.
    pub deals: usize,
    /// Touches up to each one's close.
    pub touches: usize,
    pub mean: Option<f64>,
    pub median: Option<f64>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Idle {
    pub id: String,
    pub title: String,
    pub owner: String,
    /// Days since the last touch (or since creation, when there was none).
    pub days: f64,
    pub never: bool,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct ActivityReport {
    pub won: Touches,
    pub lost: Touches,
    /// Open deals, and how many have never been touched.
    pub open_deals: usize,
    pub never_touched: usize,
    /// Days since the last touch on open deals (from creation when none): median, p90.
    pub idle_median: Option<f64>,
    pub idle_p90: Option<f64>,
    /// The longest-idle open deals, longest first (at most 20).
    pub idle: Vec<Idle>,
    /// Monday of each week shown, oldest first (UTC weeks).
    pub weeks: Vec<NaiveDate>,
    /// Touches per owner per week, owners by name.
    pub per_owner: Vec<(String, Vec<usize>)>,
}

/// When an activity counts as a touch, if it does.
pub fn touch_time(a: &Activity) -> Option<DateTime<Utc>> {
    match a.kind {
        ActivityKind::Task => a.done_at,
        _ => Some(a.at),
    }
}

/// The activity report of `pipeline` as of `as_of`, with the last `weeks` weeks per owner.
pub fn activity_report(ws: &Workspace, pipeline: &Pipeline, as_of: DateTime<Utc>, weeks: usize) -> ActivityReport {
    let deals: HashMap<&Id, usize> =
        ws.deals.iter().enumerate().filter(|(_, d)| d.pipeline == pipeline.id && d.deleted_at.is_none()).map(|(i, d)| (&d.id, i)).collect();
    // Each deal's last event at or before as-of: its stage then, and when it got there.
    let mut last: HashMap<&Id, (DateTime<Utc>, &Id)> = HashMap::new();
    for e in ws.events.iter().filter(|e| e.at <= as_of && deals.contains_key(&e.opportunity)) {
        // The log is in (time, stamp, id) order: a later entry is the later event.
        last.insert(&e.opportunity, (e.at, &e.to));
    }
    let mut touches: HashMap<&Id, Vec<DateTime<Utc>>> = HashMap::new();
    for a in &ws.activities {
        if let Some(t) = touch_time(a).filter(|t| *t <= as_of) {
            if deals.contains_key(&a.deal) {
                touches.entry(&a.deal).or_default().push(t);
            }
        }
    }
    let mut won: Vec<f64> = Vec::new();
    let mut lost: Vec<f64> = Vec::new();
    let mut idle: Vec<Idle> = Vec::new();
    for (id, &i) in &deals {
        let Some(&(since, stage)) = last.get(id) else { continue };
        let d = &ws.deals[i];
        let ts = touches.get(id).map(Vec::as_slice).unwrap_or_default();
        match pipeline.stage(stage).map(|s| s.kind) {
            Some(StageKind::Won) => won.push(ts.iter().filter(|t| **t <= since).count() as f64),
            Some(StageKind::Lost) => lost.push(ts.iter().filter(|t| **t <= since).count() as f64),
            Some(StageKind::Open) => {
                let latest = ts.iter().max().copied();
                let from = latest.unwrap_or(d.created_at).min(as_of);
                idle.push(Idle {
                    id: d.id.to_string(),
                    title: d.title.clone(),
                    owner: d.owner.clone(),
                    // Whole seconds, like every time in the analytics (and the SQL check).
                    days: (as_of.timestamp() - from.timestamp()) as f64 / 86_400.0,
                    never: latest.is_none(),
                });
            }
            None => {}
        }
    }
    let summary = |mut v: Vec<f64>| {
        v.sort_by(f64::total_cmp);
        let n = v.len();
        let sum: f64 = v.iter().sum();
        Touches { deals: n, touches: sum as usize, mean: (n > 0).then(|| sum / n as f64), median: quantile_sorted(&v, 0.5) }
    };
    let mut days: Vec<f64> = idle.iter().map(|x| x.days).collect();
    days.sort_by(f64::total_cmp);
    idle.sort_by(|a, b| b.days.total_cmp(&a.days).then_with(|| a.id.cmp(&b.id)));
    let never_touched = idle.iter().filter(|x| x.never).count();
    let open_deals = idle.len();
    idle.truncate(20);
    // Weeks: Monday 00:00 UTC; the last one holds as-of.
    let this_monday = as_of.date_naive() - Duration::days(as_of.weekday().num_days_from_monday() as i64);
    let weeks: Vec<NaiveDate> = (0..weeks as i64).rev().map(|k| this_monday - Duration::weeks(k)).collect();
    let mut per: HashMap<String, Vec<usize>> = HashMap::new();
    if let Some(&first) = weeks.first() {
        for a in ws.activities.iter().filter(|a| deals.contains_key(&a.deal)) {
            let Some(t) = touch_time(a).filter(|t| *t <= as_of) else { continue };
            let k = (t.date_naive() - first).num_days();
            if k >= 0 && (k / 7) < weeks.len() as i64 {
                per.entry(a.owner.clone()).or_insert_with(|| vec![0; weeks.len()])[(k / 7) as usize] += 1;
            }
        }
    }
    let mut per_owner: Vec<(String, Vec<usize>)> = per.into_iter().collect();
    per_owner.sort();
    ActivityReport {
        won: summary(won),
        lost: summary(lost),
        open_deals,
        never_touched,
        idle_median: quantile_sorted(&days, 0.5),
        idle_p90: quantile_sorted(&days, 0.9),
        idle,
        weeks,
        per_owner,
    }
}
