//! Shared fixtures for the integration tests: hand-written histories on the B2B template.
#![allow(dead_code)]

use chrono::{DateTime, Duration, TimeZone, Utc};
use funnelscope::analytics::*;
use funnelscope::domain::*;

pub fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap()
}
pub fn day(d: i64) -> DateTime<Utc> {
    t0() + Duration::days(d)
}

/// Stage indices of the B2B template: 0 Qualification, 1 Needs analysis, 2 Demo,
/// 3 Negotiation, 4 Won, 5 Lost.
pub struct Fixture {
    pub ws: Workspace,
    pub ids: IdGen,
}

impl Fixture {
    pub fn new() -> Self {
        let mut ids = IdGen::new(5);
        let p = from_template(Template::B2b, Lang::En, &mut ids);
        Fixture { ws: Workspace { pipelines: vec![p], ..Default::default() }, ids }
    }
    pub fn p(&self) -> &Pipeline {
        &self.ws.pipelines[0]
    }
    /// `path`: (day, stage index) in time order; the first entry creates the deal.
    pub fn deal(&mut self, title: &str, amount: Option<i64>, owner: &str, path: &[(i64, usize)]) -> Id {
        let at: Vec<(DateTime<Utc>, usize)> = path.iter().map(|&(d, s)| (day(d), s)).collect();
        self.deal_at(title, amount, owner, &at)
    }
    /// The same with exact times (simulated histories need more than whole days).
    pub fn deal_at(&mut self, title: &str, amount: Option<i64>, owner: &str, path: &[(DateTime<Utc>, usize)]) -> Id {
        let id = self.ids.next_id();
        let stages: Vec<Id> = self.p().stages.iter().map(|s| s.id.clone()).collect();
        let mut from = None;
        for &(d, s) in path {
            self.ws.events.push(StageChange {
                id: self.ids.next_id(),
                opportunity: id.clone(),
                from: from.clone(),
                to: stages[s].clone(),
                at: d,
                note: String::new(),
                seq: 0,
                criteria: Vec::new(),
            });
            from = Some(stages[s].clone());
        }
        self.ws.deals.push(Opportunity {
            id: id.clone(),
            pipeline: self.p().id.clone(),
            title: title.into(),
            account: String::new(),
            contact: String::new(),
            amount,
            currency: "USD".into(),
            owner: owner.into(),
            source: "Web".into(),
            created_at: path[0].0,
            updated_at: path[0].0,
            expected_close: None,
            stage: stages[path.last().unwrap().1].clone(),
            lost_reason: String::new(),
            notes: String::new(),
            tags: vec![if amount.is_some() { "priced".into() } else { "unpriced".into() }],
            forecast_category: ForecastCategory::Pipeline,
            field_times: Default::default(),
            device: String::new(),
            account_id: None,
            contact_id: None,
            deleted_at: None,
            purged: false,
            probability: None,
            probability_reason: String::new(),
            extra: Default::default(),
        });
        id
    }
    pub fn run(&self, q: &Query) -> Report {
        report(&self.ws, self.p(), q)
    }
}

