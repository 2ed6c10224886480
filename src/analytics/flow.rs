//! A columnar, per-deal-sorted view of one pipeline's history as of a date: the layout
//! every analytics pass reads. Events of one deal sit next to each other (CSR layout),
//! times are integer seconds, stages are small indices; no strings on the hot path.

use crate::domain::{Id, Pipeline, StageKind, Workspace};
use chrono::{DateTime, Utc};
use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

/// FxHash (as in rustc): ids are random already, so a fast non-cryptographic hash is
/// safe here and roughly halves the cost of grouping a million events by deal.
#[derive(Default)]
struct Fx(u64);

impl Hasher for Fx {
    fn write(&mut self, bytes: &[u8]) {
        for chunk in bytes.chunks(8) {
            let mut b = [0u8; 8];
            b[..chunk.len()].copy_from_slice(chunk);
            self.0 = (self.0.rotate_left(5) ^ u64::from_le_bytes(b)).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
        }
    }
    fn finish(&self) -> u64 {
        self.0
    }
}

type FxMap<K, V> = HashMap<K, V, BuildHasherDefault<Fx>>;

/// Which deals take part.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct DealFilter {
    pub owner: Option<String>,
    pub source: Option<String>,
    pub tag: Option<String>,
}

impl DealFilter {
    pub fn accepts(&self, d: &crate::domain::Opportunity) -> bool {
        self.owner.as_ref().is_none_or(|o| &d.owner == o)
            && self.source.as_ref().is_none_or(|s| &d.source == s)
            && self.tag.as_ref().is_none_or(|t| d.tags.iter().any(|x| x == t))
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct StageInfo {
    pub id: Id,
    pub name: String,
    pub kind: StageKind,
    pub archived: bool,
    pub stuck_after_days: Option<u32>,
    /// Position in the progress order (open stages in board order, then Won). Lost and
    /// archived stages have none: entering them reaches nothing.
    pub rank: Option<usize>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct DealRow {
    pub id: Id,
    pub title: String,
    /// Amount in minor units when the deal is in the report's currency.
    pub amount: Option<i64>,
}

#[derive(Clone, Debug)]
pub struct Flow {
    pub stages: Vec<StageInfo>,
    /// Number of ranks: open stages + Won.
    pub ranks: usize,
    /// Stage index of each rank.
    pub rank_stage: Vec<usize>,
    pub deals: Vec<DealRow>,
    /// Events of deal i are `ev_start[i]..ev_start[i + 1]`, in time order.
    pub ev_start: Vec<u32>,
    pub ev_time: Vec<i64>,
    pub ev_stage: Vec<u16>,
    pub as_of: i64,
    pub currency: String,
    /// Deals whose amount is in another currency (left out of money figures).
    pub other_currency_deals: usize,
}

impl Flow {
    /// Everything known about `pipeline` at `as_of` (events after it are ignored, as if
    /// they had not happened yet; deals with no event by then do not exist yet).
    pub fn build(ws: &Workspace, pipeline: &Pipeline, as_of: DateTime<Utc>, filter: &DealFilter) -> Flow {
        let as_of_s = as_of.timestamp();
        let mut ranks = 0;
        let mut rank_stage = Vec::new();
        let mut stages: Vec<StageInfo> = pipeline
            .stages
            .iter()
            .map(|s| StageInfo {
                id: s.id.clone(),
                name: s.name.clone(),
                kind: s.kind,
                archived: s.archived,
                stuck_after_days: s.stuck_after_days,
                rank: None,
            })
            .collect();
        for (i, s) in stages.iter_mut().enumerate() {
            if !s.archived && s.kind == StageKind::Open {
                s.rank = Some(ranks);
                rank_stage.push(i);
                ranks += 1;
            }
        }
        if let Some((i, s)) = stages.iter_mut().enumerate().find(|(_, s)| !s.archived && s.kind == StageKind::Won) {
            s.rank = Some(ranks);
            rank_stage.push(i);
            ranks += 1;
        }
        let stage_index: FxMap<&str, u16> =
            pipeline.stages.iter().enumerate().map(|(i, s)| (s.id.as_str(), i as u16)).collect();

        // The report's currency is the most common one among the selected deals.
        let selected: Vec<&crate::domain::Opportunity> =
            ws.deals.iter().filter(|d| d.pipeline == pipeline.id && filter.accepts(d)).collect();
        let mut currency_counts: HashMap<&str, usize> = HashMap::new();
        for d in &selected {
            *currency_counts.entry(d.currency.as_str()).or_default() += 1;
        }
        let currency = currency_counts
            .iter()
            .max_by(|a, b| a.1.cmp(b.1).then_with(|| b.0.cmp(a.0)))
            .map(|(c, _)| c.to_string())
            .unwrap_or_default();
        let deal_index: FxMap<&str, u32> =
            selected.iter().enumerate().map(|(i, d)| (d.id.as_str(), i as u32)).collect();

        // Counting sort of the events into per-deal slices, keeping log order for ties.
        let mut counts = vec![0u32; selected.len() + 1];
        let mut keep: Vec<(u32, u16)> = Vec::with_capacity(ws.events.len());
        let mut keep_idx: Vec<u32> = Vec::with_capacity(ws.events.len());
        for (i, e) in ws.events.iter().enumerate() {
            if e.at.timestamp() > as_of_s {
                continue;
            }
            let (Some(&d), Some(&s)) = (deal_index.get(e.opportunity.as_str()), stage_index.get(e.to.as_str())) else {
                continue;
            };
            counts[d as usize + 1] += 1;
            keep.push((d, s));
            keep_idx.push(i as u32);
        }
        for i in 1..counts.len() {
            counts[i] += counts[i - 1];
        }
        let ev_start = counts.clone();
        let mut fill = counts;
        let n = keep.len();
        let mut ev_time = vec![0i64; n];
        let mut ev_stage = vec![0u16; n];
        for (k, &(d, s)) in keep.iter().enumerate() {
            let slot = fill[d as usize] as usize;
            fill[d as usize] += 1;
            ev_time[slot] = ws.events[keep_idx[k] as usize].at.timestamp();
            ev_stage[slot] = s;
        }
        // Sort each deal's slice by time (stable: equal times keep log order).
        for d in 0..selected.len() {
            let (a, b) = (ev_start[d] as usize, ev_start[d + 1] as usize);
            if (a..b.saturating_sub(1)).any(|i| ev_time[i] > ev_time[i + 1]) {
                let mut pairs: Vec<(i64, u16)> = (a..b).map(|i| (ev_time[i], ev_stage[i])).collect();
                pairs.sort_by_key(|p| p.0);
                for (j, (t, s)) in pairs.into_iter().enumerate() {
                    ev_time[a + j] = t;
                    ev_stage[a + j] = s;
                }
            }
        }
        let mut other_currency_deals = 0;
        let deals = selected
            .iter()
            .map(|d| {
                let in_currency = d.currency == currency;
                if !in_currency && d.amount.is_some() {
                    other_currency_deals += 1;
                }
                DealRow { id: d.id.clone(), title: d.title.clone(), amount: if in_currency { d.amount } else { None } }
            })
            .collect();
        Flow { stages, ranks, rank_stage, deals, ev_start, ev_time, ev_stage, as_of: as_of_s, currency, other_currency_deals }
    }

    pub fn events_of(&self, deal: usize) -> std::ops::Range<usize> {
        self.ev_start[deal] as usize..self.ev_start[deal + 1] as usize
    }
}
