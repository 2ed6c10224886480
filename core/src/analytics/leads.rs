//! The funnel from lead to signed deal (issue 10): leads in, qualified into deals, the
//! deals' stages, won; lead response time (arrival → first touch); conversion by source
//! and owner; disqualification reasons. Definitions in docs/analytics.md; recomputed in SQL
//! by scripts/duckdb_analytics.py.

use super::activity::touch_time;
use super::stats::quantile_sorted;
use crate::domain::{Id, LeadStatus, Pipeline, StageKind, Workspace};
use chrono::{DateTime, Utc};
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};

#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct LeadGroup {
    pub name: String,
    pub leads: usize,
    pub qualified: usize,
    pub won: usize,
    /// qualified ÷ leads.
    pub conversion: Option<f64>,
    /// Median hours from arrival to the first touch, over leads that had one.
    pub response_median_hours: Option<f64>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct LeadFunnel {
    pub leads: usize,
    pub open: usize,
    pub qualified: usize,
    pub disqualified: usize,
    /// Qualified leads whose deal is in this pipeline and reached each ranked stage (a
    /// skip passes through the stages it skips), then Won.
    pub stages: Vec<(String, usize)>,
    pub won: usize,
    /// Leads with a first touch, and the median / 90th percentile of hours to it.
    pub responded: usize,
    pub response_median_hours: Option<f64>,
    pub response_p90_hours: Option<f64>,
    pub by_source: Vec<LeadGroup>,
    pub by_owner: Vec<LeadGroup>,
    /// Disqualified leads by reason, most first.
    pub reasons: Vec<(String, usize)>,
}

pub fn lead_funnel(ws: &Workspace, pipeline: &Pipeline, as_of: DateTime<Utc>) -> LeadFunnel {
    // Ranks: the open stages in board order, then Won; Lost has none.
    let open: Vec<&crate::domain::Stage> = pipeline.active_stages().filter(|s| s.kind == StageKind::Open).collect();
    let won_stage = pipeline.active_stages().find(|s| s.kind == StageKind::Won);
    let rank = |s: &Id| -> Option<usize> {
        open.iter().position(|x| &x.id == s).or_else(|| won_stage.filter(|w| &w.id == s).map(|_| open.len()))
    };
    // Each deal's highest rank reached and its stage, as of as-of.
    let mut reach: HashMap<&Id, (Option<usize>, &Id)> = HashMap::new();
    for e in ws.events.iter().filter(|e| e.at <= as_of) {
        let slot = reach.entry(&e.opportunity).or_insert((None, &e.to));
        slot.0 = slot.0.max(rank(&e.to));
        slot.1 = &e.to;
    }
    let in_pipeline: HashMap<&Id, bool> = ws.live_deals().map(|d| (&d.id, d.pipeline == pipeline.id)).collect();
    // First touch per lead: on the lead itself or on the deal it became.
    let mut first: HashMap<&Id, DateTime<Utc>> = HashMap::new();
    for a in &ws.activities {
        let Some(t) = touch_time(a).filter(|t| *t <= as_of) else { continue };
        let key = a.lead.as_ref().unwrap_or(&a.deal);
        let slot = first.entry(key).or_insert(t);
        *slot = (*slot).min(t);
    }
    let mut out = LeadFunnel { stages: open.iter().map(|s| (s.name.clone(), 0)).collect(), ..Default::default() };
    let mut hours_all = Vec::new();
    type Acc = (usize, usize, usize, Vec<f64>);
    let mut by_source: BTreeMap<String, Acc> = BTreeMap::new();
    let mut by_owner: BTreeMap<String, Acc> = BTreeMap::new();
    let mut reasons: BTreeMap<String, usize> = BTreeMap::new();
    for l in ws.leads.iter().filter(|l| l.created_at <= as_of) {
        out.leads += 1;
        let closed_by_then = l.status_at.is_some_and(|t| t <= as_of);
        let status = if closed_by_then { l.status } else { LeadStatus::Open };
        let mut won = false;
        match status {
            LeadStatus::Open => out.open += 1,
            LeadStatus::Disqualified => {
                out.disqualified += 1;
                *reasons.entry(l.disqualify_reason.clone()).or_default() += 1;
            }
            LeadStatus::Qualified => {
                out.qualified += 1;
                if let Some(d) = l.deal.as_ref().filter(|d| in_pipeline.get(d).copied().unwrap_or(false)) {
                    if let Some(&(Some(r), cur)) = reach.get(d) {
                        for s in out.stages.iter_mut().take(r.min(open.len()) + 1) {
                            s.1 += 1;
                        }
                        won = won_stage.is_some_and(|w| &w.id == cur);
                        out.won += won as usize;
                    }
                }
            }
        }
        let touched = [Some(&l.id), l.deal.as_ref()].into_iter().flatten().filter_map(|k| first.get(k)).min().copied();
        // Whole seconds, like every time in the analytics (and the SQL check).
        let hours = touched.map(|t| (t.timestamp() - l.created_at.timestamp()).max(0) as f64 / 3600.0);
        if let Some(h) = hours {
            hours_all.push(h);
        }
        for (map, key) in [(&mut by_source, &l.source), (&mut by_owner, &l.owner)] {
            let e = map.entry(key.clone()).or_insert((0, 0, 0, Vec::new()));
            e.0 += 1;
            e.1 += (status == LeadStatus::Qualified) as usize;
            e.2 += won as usize;
            if let Some(h) = hours {
                e.3.push(h);
            }
        }
    }
    hours_all.sort_by(f64::total_cmp);
    out.responded = hours_all.len();
    out.response_median_hours = quantile_sorted(&hours_all, 0.5);
    out.response_p90_hours = quantile_sorted(&hours_all, 0.9);
    let groups = |m: BTreeMap<String, Acc>| {
        m.into_iter()
            .map(|(name, (leads, qualified, won, mut h))| {
                h.sort_by(f64::total_cmp);
                LeadGroup {
                    name,
                    leads,
                    qualified,
                    won,
                    conversion: (leads > 0).then(|| qualified as f64 / leads as f64),
                    response_median_hours: quantile_sorted(&h, 0.5),
                }
            })
            .collect()
    };
    out.by_source = groups(by_source);
    out.by_owner = groups(by_owner);
    let mut reasons: Vec<(String, usize)> = reasons.into_iter().collect();
    reasons.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    out.reasons = reasons;
    out
}

/// The funnel started at **lead** (the dashboard's "start at lead"): the leads of a query's
/// period (created in it; all when no period), by the lead's owner and source when the
/// query filters on them, followed to Won in this pipeline. A lead qualified into another
/// pipeline is left out (it cannot be won here). Like a stage's row of the conversion table:
/// "next" is qualified; "closed" is disqualified, or a deal won or lost.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct LeadCohort {
    pub leads: usize,
    pub qualified: usize,
    pub disqualified: usize,
    /// Of the qualified, deals that are won / lost as of the query's time.
    pub won: usize,
    pub lost: usize,
    /// Aalen–Johansen from the lead's arrival: won is the event; disqualified or lost
    /// compete; open leads and open deals are censored at as-of.
    pub win_within: super::report::WinWithin,
}

pub fn lead_cohort(ws: &Workspace, pipeline: &Pipeline, q: &super::report::Query) -> LeadCohort {
    use super::report::{Horizon, WinWithin};
    use super::stats::{Incidence, Outcome};
    let as_of = q.as_of;
    let kind = |s: &Id| pipeline.stage(s).map(|x| x.kind);
    // Each deal's stage as of as-of, and when it got there.
    let mut last: HashMap<&Id, (&Id, DateTime<Utc>)> = HashMap::new();
    for e in ws.events.iter().filter(|e| e.at <= as_of) {
        last.insert(&e.opportunity, (&e.to, e.at));
    }
    let in_pipeline: HashMap<&Id, bool> = ws.live_deals().map(|d| (&d.id, d.pipeline == pipeline.id)).collect();
    let mut out = LeadCohort { leads: 0, qualified: 0, disqualified: 0, won: 0, lost: 0, win_within: WinWithin { n: 0, horizons: Vec::new(), curve: Vec::new() } };
    let mut subjects = Vec::new();
    let since = |t: DateTime<Utc>, l: &crate::domain::Lead| (t.timestamp() - l.created_at.timestamp()).max(0);
    for l in ws.leads.iter().filter(|l| l.created_at <= as_of) {
        if q.period.is_some_and(|p| l.created_at < p.start || l.created_at >= p.end)
            || q.filter.owner.as_ref().is_some_and(|o| *o != l.owner)
            || q.filter.source.as_ref().is_some_and(|s| *s != l.source)
        {
            continue;
        }
        let closed_at = l.status_at.filter(|t| *t <= as_of);
        let subject = match (closed_at.map(|_| l.status), closed_at) {
            (Some(LeadStatus::Disqualified), Some(t)) => {
                out.disqualified += 1;
                (since(t, l), Outcome::Competing)
            }
            (Some(LeadStatus::Qualified), Some(_)) => {
                let deal = l.deal.as_ref().filter(|d| in_pipeline.get(d).copied().unwrap_or(false));
                let Some(deal) = deal else { continue };
                out.qualified += 1;
                match last.get(deal).map(|(s, t)| (kind(s), *t)) {
                    Some((Some(StageKind::Won), t)) => {
                        out.won += 1;
                        (since(t, l), Outcome::Event)
                    }
                    Some((Some(StageKind::Lost), t)) => {
                        out.lost += 1;
                        (since(as_of.min(t), l), Outcome::Competing)
                    }
                    _ => (since(as_of, l), Outcome::Censored),
                }
            }
            _ => (since(as_of, l), Outcome::Censored),
        };
        out.leads += 1;
        subjects.push(subject);
    }
    let inc = Incidence::from_seconds(subjects);
    out.win_within = WinWithin {
        n: inc.n,
        horizons: q
            .horizons
            .iter()
            .map(|&days| {
                let (won, won_low, won_high) = inc.with_interval(days as f64);
                Horizon { days, won, won_low, won_high, lost: inc.at(days as f64).1 }
            })
            .collect(),
        curve: super::report::curve_points(&inc),
    };
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analytics::testkit::Timed;
    use crate::domain::{Command, LeadDraft};

    /// Five leads arriving on day 0, as of day 20:
    ///   A disqualified on day 2 (competing at 2), B qualified and won on day 10 (event at
    ///   10), C qualified and lost on day 5 (competing at 5), D still open (censored at 20),
    ///   E qualified on day 3, its deal open (censored at 20).
    /// Aalen–Johansen by hand: at 2, 5 at risk, one lost → S = 4/5, lost 1/5; at 5, 4 at risk,
    /// one lost → lost += 4/5 · 1/4 = 1/5 (0.4), S = 3/5; at 10, 3 at risk, one won → won =
    /// 3/5 · 1/3 = 0.2. So won within 7 days 0, within 30 days 0.2; lost by 30 days 0.4.
    #[test]
    fn a_cohort_of_leads_followed_to_won() {
        let mut t = Timed::b2b(2);
        let p = t.pipeline();
        let drafts = ["A", "B", "C", "D", "E"].iter().map(|n| LeadDraft { name: n.to_string(), source: "Fair".into(), ..Default::default() }).collect();
        t.run(0, Command::AddLeads { drafts });
        let lead = |ws: &Workspace, n: &str| ws.leads.iter().find(|l| l.name == n).unwrap().id.clone();
        let a = lead(&t.ws, "A");
        t.run(2, Command::DisqualifyLead { lead: a, reason: "No budget".into() });
        for (n, at) in [("B", 1), ("C", 1), ("E", 3)] {
            let l = lead(&t.ws, n);
            t.run(at, Command::QualifyLead { lead: l, pipeline: p.id.clone(), stage: None });
        }
        let deal = |ws: &Workspace, n: &str| ws.lead(&lead(ws, n)).unwrap().deal.clone().unwrap();
        let stage = |k: StageKind| p.stages.iter().find(|s| s.kind == k).unwrap().id.clone();
        let (b, c) = (deal(&t.ws, "B"), deal(&t.ws, "C"));
        t.run(10, Command::MoveDeal { deal: b, from: None, to: stage(StageKind::Won), note: String::new(), lost_reason: String::new(), ticked: Vec::new() });
        t.run(5, Command::MoveDeal { deal: c, from: None, to: stage(StageKind::Lost), note: String::new(), lost_reason: "Price".into(), ticked: Vec::new() });
        let (ws, day) = (&t.ws, |n| t.day(n));
        let mut q = crate::analytics::Query::new(day(20));
        q.horizons = vec![7, 30];
        let c = lead_cohort(ws, &p, &q);
        assert_eq!((c.leads, c.qualified, c.disqualified, c.won, c.lost), (5, 3, 1, 1, 1));
        let h = &c.win_within.horizons;
        assert_eq!(h[0].won, 0.0);
        assert!((h[1].won - 0.2).abs() < 1e-12, "{}", h[1].won);
        assert!((h[1].lost - 0.4).abs() < 1e-12, "{}", h[1].lost);
        assert!(h[1].won_low < 0.2 && h[1].won_high > 0.2);
        // As of day 4: B's win and C's loss have not happened; A's disqualification has.
        let c = lead_cohort(ws, &p, &crate::analytics::Query { as_of: day(4), ..q.clone() });
        assert_eq!((c.leads, c.qualified, c.disqualified, c.won, c.lost), (5, 3, 1, 0, 0));
        // By source and owner: none of these leads has an owner called "x".
        let mut only_x = q.clone();
        only_x.filter.owner = Some("x".into());
        assert_eq!(lead_cohort(ws, &p, &only_x).leads, 0);
    }
}
