//! The currency a report's money figures are in, and each deal's amount in it.
//!
//! Without a reporting currency, figures use the most common currency among the chosen
//! deals and leave the others out (as they always have). With one, every deal converts at
//! the rate in effect on the day that matters (see `domain::rates`); the ones that cannot
//! (no rate in effect yet) are left out and counted, and the rates used are listed so the
//! page can say which.

use super::flow::{DealRow, Flow};
use crate::domain::rates::Rate;
use serde::Serialize;
use std::collections::BTreeMap;

/// What a deal adds to the money figures.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Priced {
    /// No amount entered yet.
    Unknown,
    Amount(i64),
    /// In another currency that cannot be converted: left out of the money figures.
    Left,
}

impl Priced {
    pub fn amount(self) -> Option<i64> {
        match self {
            Priced::Amount(a) => Some(a),
            _ => None,
        }
    }
}

/// The rates a set of figures used, for "converted to USD at …".
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Conversion {
    pub reporting: String,
    /// Deals in another currency that were converted.
    pub converted: usize,
    /// The dated rates used, by currency then date.
    pub rates: Vec<Rate>,
    /// Deals left out per currency (no rate in effect on their day).
    pub unconverted: Vec<(String, usize)>,
}

#[derive(Clone, Copy)]
enum Plan {
    /// The figures' own currency.
    Same,
    /// Converted with the rates in this range of `flow.rates.rates`.
    Rates(usize, usize),
}

impl Conversion {
    /// Per currency: how many dated rates were used, the first and the last date.
    pub fn by_currency(&self) -> Vec<(String, usize, chrono::NaiveDate, chrono::NaiveDate)> {
        let mut out: Vec<(String, usize, chrono::NaiveDate, chrono::NaiveDate)> = Vec::new();
        for r in &self.rates {
            match out.last_mut() {
                Some(last) if last.0 == r.currency => {
                    last.1 += 1;
                    last.3 = r.on;
                }
                _ => out.push((r.currency.clone(), 1, r.on, r.on)),
            }
        }
        out
    }
}

pub struct Money {
    /// The figures' currency ("" when no chosen deal has one).
    pub currency: String,
    /// Per label: how its amounts count. None: left out.
    plan: Vec<Option<Plan>>,
    converting: bool,
    /// When each rate comes into effect (Unix seconds), parallel to `flow.rates.rates`.
    starts: Vec<i64>,
    used: Vec<bool>,
    converted: usize,
    unconverted: BTreeMap<u32, usize>,
}

impl Money {
    /// The figures' currency for the deals `accepts` lets in: the reporting currency when
    /// one is set, else the most common one (ties: the first code alphabetically).
    pub fn of(flow: &Flow, accepts: impl Fn(&DealRow) -> bool) -> Money {
        let fx = &flow.rates;
        let nl = flow.labels.len();
        let mut plan = vec![None; nl];
        if fx.is_on() {
            for (l, slot) in plan.iter_mut().enumerate() {
                let name = flow.labels.name(l as u32);
                *slot = if name == fx.reporting {
                    Some(Plan::Same)
                } else {
                    let from = fx.rates.partition_point(|r| r.currency.as_str() < name);
                    let to = fx.rates.partition_point(|r| r.currency.as_str() <= name);
                    (to > from).then_some(Plan::Rates(from, to))
                };
            }
            let starts = fx.rates.iter().map(|r| r.on.and_hms_opt(0, 0, 0).map_or(i64::MAX, |t| t.and_utc().timestamp())).collect();
            return Money {
                currency: fx.reporting.clone(),
                plan,
                converting: true,
                starts,
                used: vec![false; fx.rates.len()],
                converted: 0,
                unconverted: BTreeMap::new(),
            };
        }
        let mut counts: BTreeMap<u32, usize> = BTreeMap::new();
        for d in flow.deals.iter().filter(|d| accepts(d)) {
            *counts.entry(d.currency).or_default() += 1;
        }
        let top = counts.into_iter().max_by(|a, b| a.1.cmp(&b.1).then_with(|| flow.labels.name(b.0).cmp(flow.labels.name(a.0))));
        if let Some(slot) = top.and_then(|(l, _)| plan.get_mut(l as usize)) {
            *slot = Some(Plan::Same);
        }
        Money {
            currency: top.map(|(l, _)| flow.labels.name(l).to_string()).unwrap_or_default(),
            plan,
            converting: false,
            starts: Vec::new(),
            used: Vec::new(),
            converted: 0,
            unconverted: BTreeMap::new(),
        }
    }

    /// The deal's amount in the figures' currency, converted at the rate in effect at
    /// time `at` (Unix seconds), noting the rate used or the deal left out.
    pub fn price(&mut self, flow: &Flow, row: &DealRow, at: i64) -> Priced {
        let Some(amount) = row.amount else { return Priced::Unknown };
        match self.plan.get(row.currency as usize).copied().flatten() {
            Some(Plan::Same) => Priced::Amount(amount),
            Some(Plan::Rates(from, to)) => {
                let n = self.starts[from..to].partition_point(|&s| s <= at);
                if n == 0 {
                    *self.unconverted.entry(row.currency).or_default() += 1;
                    return Priced::Left;
                }
                let i = from + n - 1;
                self.used[i] = true;
                self.converted += 1;
                Priced::Amount(flow.rates.rates[i].rate.convert(amount))
            }
            None => {
                *self.unconverted.entry(row.currency).or_default() += 1;
                Priced::Left
            }
        }
    }

    /// Deals with an amount that was left out so far.
    pub fn left_out(&self) -> usize {
        self.unconverted.values().sum()
    }

    /// The rates used so far (None without a reporting currency).
    pub fn conversion(&self, flow: &Flow) -> Option<Conversion> {
        self.converting.then(|| Conversion {
            reporting: self.currency.clone(),
            converted: self.converted,
            rates: flow.rates.rates.iter().zip(&self.used).filter(|(_, u)| **u).map(|(r, _)| r.clone()).collect(),
            unconverted: self.unconverted.iter().map(|(l, n)| (flow.labels.name(*l).to_string(), *n)).collect(),
        })
    }
}

/// Amounts per currency code, minor units (a column's total, its weighted value).
pub type Totals = Vec<(String, i64)>;

/// A board column's total and weighted total. Per currency without a reporting currency;
/// with one, every deal that converts is added in it (at the rate in effect at the time
/// given with it) and the others stay in their own currency, so nothing silently drops.
/// `members`: (deal, time its amount converts at, win probability in percent).
pub fn column_money(flow: &Flow, members: impl Iterator<Item = (usize, i64, u8)>) -> (Totals, Totals) {
    let fx = &flow.rates;
    let items: Vec<(&str, Option<i64>, u8)> = members
        .map(|(d, at, p)| {
            let row = &flow.deals[d];
            let own = flow.labels.name(row.currency);
            let day = chrono::DateTime::from_timestamp(at, 0).unwrap_or_default().date_naive();
            match row.amount.and_then(|a| fx.convert(a, own, day)) {
                Some(c) => (fx.reporting.as_str(), Some(c), p),
                None => (own, row.amount, p),
            }
        })
        .collect();
    let totals = crate::domain::money::totals_by_currency(items.iter().map(|&(c, a, _)| (c, a)));
    let weighted = crate::domain::money::weighted_sum(items);
    (totals, weighted)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analytics::testkit::Timed;
    use crate::domain::rates::RateValue;
    use crate::domain::{Command, DealDraft, Id, StageKind};
    use chrono::NaiveDate;

    fn rate(c: &str, on: &str, r: &str) -> Rate {
        Rate { currency: c.into(), on: NaiveDate::parse_from_str(on, "%Y-%m-%d").unwrap(), rate: RateValue::parse(r).unwrap() }
    }

    /// Day 0 is 2026-01-01. USD reporting; EUR 1.10 from Jan 1, 1.20 from Jan 15; no GBP
    /// rate. A $1,000, B €500 (rep's 50%) and C £100 stay open; D €1,000 is won on day 5,
    /// E €200 on day 20.
    fn five_deals() -> (Timed, Vec<Id>) {
        let mut t = Timed::b2b(9);
        let p = t.pipeline();
        t.run(0, Command::SetReportingCurrency { currency: "usd".into(), clear_rates: false });
        t.run(0, Command::PutRates(vec![rate("EUR", "2026-01-15", "1.2"), rate("EUR", "2026-01-01", "1.10")]));
        for (title, amount, cur, prob) in [("A", "1000", "USD", ""), ("B", "500", "EUR", "50"), ("C", "100", "GBP", ""), ("D", "1000", "EUR", ""), ("E", "200", "EUR", "")] {
            let why = if prob.is_empty() { "" } else { "said so" };
            let draft = DealDraft { title: title.into(), amount: amount.into(), currency: cur.into(), probability: prob.into(), probability_reason: why.into(), ..Default::default() };
            t.run(0, Command::CreateDeal { pipeline: p.id.clone(), stage: None, draft });
        }
        let won = p.stages.iter().find(|s| s.kind == StageKind::Won).unwrap().id.clone();
        let ids: Vec<Id> = ["A", "B", "C", "D", "E"].iter().map(|n| t.ws.deals.iter().find(|d| d.title == *n).unwrap().id.clone()).collect();
        for (deal, day) in [(ids[3].clone(), 5), (ids[4].clone(), 20)] {
            t.run(day, Command::MoveDeal { deal, from: None, to: won.clone(), note: String::new(), lost_reason: String::new(), ticked: Vec::new() });
        }
        (t, ids)
    }

    /// As of day 25, open deals at 1.20, D at day 5's 1.10, E at day 20's 1.20:
    /// first stage A $1,000 + B €500 × 1.20 = $1,600 (C left out); Won D $1,100 + E $240 =
    /// $1,340; average won (1,100 + 240) / 2 = $670. As of day 10, E is still open and
    /// converts at 1.10: $1,000 + $550 + $220 = $1,770, Won D $1,100.
    #[test]
    fn reports_convert_closed_deals_at_their_close_and_open_ones_at_as_of() {
        let (t, _) = five_deals();
        let p = t.pipeline();
        let r = crate::analytics::report(&t.ws, &p, &crate::analytics::Query::new(t.day(25)));
        let won = r.stages.iter().find(|s| s.kind == StageKind::Won).unwrap();
        assert_eq!((r.currency.as_str(), r.stages[0].snapshot.amount, won.snapshot.amount), ("USD", 160_000, 134_000));
        assert_eq!(r.velocity.avg_won_amount, Some(67_000.0));
        assert_eq!(r.other_currency_deals, 1);
        let c = r.conversion.unwrap();
        assert_eq!((c.converted, &c.unconverted), (3, &vec![("GBP".to_string(), 1)]));
        assert_eq!(c.rates, vec![rate("EUR", "2026-01-01", "1.1"), rate("EUR", "2026-01-15", "1.2")]);
        let day = |d| NaiveDate::from_ymd_opt(2026, 1, d).unwrap();
        assert_eq!(c.by_currency(), vec![("EUR".to_string(), 2, day(1), day(15))]);
        let r = crate::analytics::report(&t.ws, &p, &crate::analytics::Query::new(t.day(10)));
        let won = r.stages.iter().find(|s| s.kind == StageKind::Won).unwrap();
        assert_eq!((r.stages[0].snapshot.amount, won.snapshot.amount), (177_000, 110_000));
        assert_eq!(r.conversion.unwrap().rates, vec![rate("EUR", "2026-01-01", "1.1")], "no rate dated after as-of");
    }

    /// Before any rate is in effect (as of Dec 31, 2025 nothing exists yet; as of day 0
    /// with the rates moved to Feb) the euro deals are left out and counted.
    #[test]
    fn deals_without_a_rate_in_effect_are_left_out_and_counted() {
        let (mut t, _) = five_deals();
        t.run(1, Command::RemoveRate { currency: "EUR".into(), on: NaiveDate::from_ymd_opt(2026, 1, 1).unwrap() });
        let r = crate::analytics::report(&t.ws, &t.pipeline(), &crate::analytics::Query::new(t.day(10)));
        // Open A $1,000 only (B, E: no EUR rate until Jan 15; C: none at all); D won day 5: left out.
        assert_eq!(r.stages[0].snapshot.amount, 100_000);
        assert_eq!(r.conversion.unwrap().unconverted, vec![("EUR".to_string(), 3), ("GBP".to_string(), 1)]);
    }

    /// The forecast prices open deals at as-of's rates: B €500 at 1.20 = $600; A $1,000.
    #[test]
    fn the_forecast_converts_open_deals() {
        let (t, ids) = five_deals();
        let flow = Flow::build(&t.ws, &t.pipeline());
        let q = crate::forecast::ForecastQuery {
            as_of: t.day(25).timestamp(),
            until: t.day(55).timestamp(),
            trials: 0,
            seed: 1,
            filter: Default::default(),
            what_if: Default::default(),
        };
        let f = crate::forecast::forecast(&flow, &q);
        let amount = |id: &Id| f.deals.iter().find(|d| d.id == id.as_str()).and_then(|d| d.amount);
        assert_eq!((f.currency.as_str(), amount(&ids[0]), amount(&ids[1]), amount(&ids[2])), ("USD", Some(100_000), Some(60_000), None));
        assert_eq!(f.unpriced.0, 1, "the pound deal adds no money");
        assert_eq!(f.conversion.unwrap().rates, vec![rate("EUR", "2026-01-15", "1.2")]);
    }

    /// A column of A, B, C on day 25 (EUR 1.20): $1,000 + $600 = $1,600 and £100 kept in
    /// pounds. Weighted at the stage's 10% (B at the rep's 50%): $100 + $300 = $400, £10.
    /// On day 10 (EUR 1.10): $1,000 + $550 = $1,550.
    #[test]
    fn a_column_adds_converted_amounts_and_keeps_the_rest_in_their_currency() {
        let (t, _) = five_deals();
        let flow = Flow::build(&t.ws, &t.pipeline());
        let members = |day: i64| {
            let at = t.day(day).timestamp();
            let flow = &flow;
            (0..3usize).map(move |d| (d, at, flow.deals[d].probability.unwrap_or(10)))
        };
        let (total, weighted) = column_money(&flow, members(25));
        assert_eq!(total, vec![("GBP".to_string(), 10_000), ("USD".to_string(), 160_000)]);
        assert_eq!(weighted, vec![("GBP".to_string(), 1_000), ("USD".to_string(), 40_000)]);
        assert_eq!(column_money(&flow, members(10)).0[1], ("USD".to_string(), 155_000));
        // Without a reporting currency: per currency, as typed.
        let mut off = flow.clone();
        off.rates = Default::default();
        assert_eq!(column_money(&off, members(25)).0, vec![("EUR".to_string(), 50_000), ("GBP".to_string(), 10_000), ("USD".to_string(), 100_000)]);
    }

    /// The reporting currency cannot change under rates quoted in it unless they go.
    #[test]
    fn the_reporting_currency_changes_only_with_its_rates_removed() {
        let (mut t, _) = five_deals();
        let mut ctx = crate::domain::Ctx { now: t.day(30), ids: &mut crate::domain::IdGen::new(1), device: "t" };
        let refused = t.ws.plan(Command::SetReportingCurrency { currency: "EUR".into(), clear_rates: false }, &mut ctx);
        assert_eq!(refused, Err(vec![(crate::domain::Field::Currency, crate::domain::DomainError::RatesQuotedIn("USD".into()))]));
        t.run(30, Command::SetReportingCurrency { currency: "EUR".into(), clear_rates: true });
        assert_eq!((t.ws.settings.exchange.reporting.as_str(), t.ws.settings.exchange.rates.len()), ("EUR", 0));
        assert_eq!(t.ws.settings.exchange.updated_at, Some(t.day(30)));
    }
}
