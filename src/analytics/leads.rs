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
    let in_pipeline: HashMap<&Id, bool> = ws.deals.iter().map(|d| (&d.id, d.pipeline == pipeline.id)).collect();
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
