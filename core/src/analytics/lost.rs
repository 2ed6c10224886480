//! Why deals are lost (issue 11): lost deals by reason, by reason × the stage they were
//! lost from, by owner and by source, with counts and amounts. Definitions in
//! docs/analytics.md; recomputed in SQL by scripts/duckdb_analytics.py.

use crate::domain::{Id, Pipeline, StageKind, Workspace};
use chrono::{DateTime, Utc};
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};

#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct LostGroup {
    /// The reason, stage, owner or source ("" when none was given).
    pub name: String,
    pub deals: usize,
    /// Amounts by currency, minor units, largest currency total first.
    pub amount: Vec<(String, i64)>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct LostAnalysis {
    pub lost: usize,
    /// Most deals first, then name.
    pub by_reason: Vec<LostGroup>,
    /// (reason, the open stage the deal left for Lost, deals, amounts).
    pub by_reason_stage: Vec<(String, String, usize, Vec<(String, i64)>)>,
    pub by_owner: Vec<LostGroup>,
    pub by_source: Vec<LostGroup>,
}

/// The deals of `pipeline` (matching `filter`: owner, source, tag) whose stage as of
/// `as_of` is a Lost stage and that got there in [`from`, `as_of`] (all when `from` is
/// None). The reason is the deal's recorded lost reason; "lost from" is the stage its last
/// move into Lost came from.
pub fn lost_analysis(ws: &Workspace, pipeline: &Pipeline, as_of: DateTime<Utc>, from: Option<DateTime<Utc>>, filter: &super::DealFilter) -> LostAnalysis {
    let lost_stage = |s: &Id| pipeline.stage(s).is_some_and(|x| x.kind == StageKind::Lost);
    let name_of = |s: &Id| pipeline.stage(s).map(|x| x.name.clone()).unwrap_or_default();
    // Each deal's last event as of as-of: where it is, when it got there, where it came from.
    let mut last: HashMap<&Id, (&Id, DateTime<Utc>, Option<&Id>)> = HashMap::new();
    for e in ws.events.iter().filter(|e| e.at <= as_of) {
        last.insert(&e.opportunity, (&e.to, e.at, e.from.as_ref()));
    }
    type Acc = (usize, Vec<(String, Option<i64>)>);
    let mut reason: BTreeMap<String, Acc> = BTreeMap::new();
    let mut reason_stage: BTreeMap<(String, String), Acc> = BTreeMap::new();
    let mut owner: BTreeMap<String, Acc> = BTreeMap::new();
    let mut source: BTreeMap<String, Acc> = BTreeMap::new();
    let mut out = LostAnalysis::default();
    let wanted = |d: &crate::domain::Opportunity| {
        filter.owner.as_ref().is_none_or(|o| *o == d.owner)
            && filter.source.as_ref().is_none_or(|x| *x == d.source)
            && filter.tag.as_ref().is_none_or(|t| d.tags.contains(t))
    };
    for d in ws.live_deals().filter(|d| d.pipeline == pipeline.id && wanted(d)) {
        let Some(&(to, at, came_from)) = last.get(&d.id) else { continue };
        if !lost_stage(to) || from.is_some_and(|f| at < f) {
            continue;
        }
        out.lost += 1;
        let money = (d.currency.clone(), d.amount);
        let r = d.lost_reason.trim().to_string();
        let stage = came_from.map(name_of).unwrap_or_default();
        for (map, key) in [(&mut reason, r.clone()), (&mut owner, d.owner.clone()), (&mut source, d.source.clone())] {
            let e = map.entry(key).or_default();
            e.0 += 1;
            e.1.push(money.clone());
        }
        let e = reason_stage.entry((r, stage)).or_default();
        e.0 += 1;
        e.1.push(money);
    }
    let totals = |v: Vec<(String, Option<i64>)>| crate::domain::money::totals_by_currency(v.iter().map(|(c, a)| (c.as_str(), *a)));
    let groups = |m: BTreeMap<String, Acc>| {
        let mut v: Vec<LostGroup> = m.into_iter().map(|(name, (deals, money))| LostGroup { name, deals, amount: totals(money) }).collect();
        v.sort_by(|a, b| b.deals.cmp(&a.deals).then_with(|| a.name.cmp(&b.name)));
        v
    };
    out.by_reason = groups(reason);
    out.by_owner = groups(owner);
    out.by_source = groups(source);
    let mut rs: Vec<_> = reason_stage.into_iter().map(|((r, s), (n, money))| (r, s, n, totals(money))).collect();
    rs.sort_by(|a, b| b.2.cmp(&a.2).then_with(|| (&a.0, &a.1).cmp(&(&b.0, &b.1))));
    out.by_reason_stage = rs;
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analytics::testkit::Timed;
    use crate::domain::{Command, DealDraft};

    /// Four deals by hand (B2B template), as of day 10:
    ///   A ($100, Ann, Web) lost from Qualification on day 2, "Price";
    ///   B ($200, Bo, Fair) moved to Demo, lost from Demo on day 5, "Price";
    ///   C (¥300, Ann, Web) lost from Qualification on day 8, "Timing";
    ///   D ($50, Bo) lost on day 12 — after as-of, so not counted; E still open.
    /// Only Ann's deals: Price 1 (A), Timing 1 (C).
    /// By reason: Price 2 ($300), Timing 1 (¥300). Price × Qualification 1, Price × Demo 1.
    /// By owner: Ann 2 ($100 + ¥300), Bo 1 ($200). From day 4 on: B and C only.
    #[test]
    fn lost_deals_by_reason_stage_owner_and_source() {
        let mut t = Timed::b2b(5);
        let p = t.pipeline();
        let stage = |n: &str| p.stages.iter().find(|s| s.name == n).unwrap().id.clone();
        for (title, amount, cur, owner, src) in [("A", "100", "USD", "Ann", "Web"), ("B", "200", "USD", "Bo", "Fair"), ("C", "300", "CNY", "Ann", "Web"), ("D", "50", "USD", "Bo", ""), ("E", "1", "USD", "Ann", "")] {
            let draft = DealDraft { title: title.into(), amount: amount.into(), currency: cur.into(), owner: owner.into(), source: src.into(), ..Default::default() };
            t.run(0, Command::CreateDeal { pipeline: p.id.clone(), stage: None, draft });
        }
        let id = |ws: &Workspace, t: &str| ws.deals.iter().find(|d| d.title == t).unwrap().id.clone();
        let lose = |deal: Id, why: &str| Command::MoveDeal { deal, from: None, to: stage("Lost"), note: String::new(), lost_reason: why.into(), ticked: Vec::new() };
        let (a, b, c, d) = (id(&t.ws, "A"), id(&t.ws, "B"), id(&t.ws, "C"), id(&t.ws, "D"));
        t.run(2, lose(a, "Price"));
        t.run(3, Command::MoveDeal { deal: b.clone(), from: None, to: stage("Demo"), note: String::new(), lost_reason: String::new(), ticked: Vec::new() });
        t.run(5, lose(b, "Price"));
        t.run(8, lose(c, "Timing"));
        t.run(12, lose(d, "Price"));
        let (ws, day) = (&t.ws, |n| t.day(n));
        let all = crate::analytics::DealFilter::default();
        let r = lost_analysis(ws, &p, day(10), None, &all);
        assert_eq!(r.lost, 3);
        let g = |v: &[LostGroup]| v.iter().map(|g| (g.name.clone(), g.deals, g.amount.clone())).collect::<Vec<_>>();
        assert_eq!(g(&r.by_reason), [("Price".to_string(), 2, vec![("USD".to_string(), 30_000)]), ("Timing".into(), 1, vec![("CNY".into(), 30_000)])]);
        let rs: Vec<(&str, &str, usize)> = r.by_reason_stage.iter().map(|x| (x.0.as_str(), x.1.as_str(), x.2)).collect();
        assert_eq!(rs, [("Price", "Demo", 1), ("Price", "Qualification", 1), ("Timing", "Qualification", 1)]);
        assert_eq!(r.by_owner[0].name, "Ann");
        assert_eq!(r.by_owner[0].deals, 2);
        assert_eq!(r.by_source.iter().map(|x| (x.name.as_str(), x.deals)).collect::<Vec<_>>(), [("Web", 2), ("Fair", 1)]);
        let r = lost_analysis(ws, &p, day(10), Some(day(4)), &all);
        assert_eq!((r.lost, r.by_reason.len()), (2, 2));
        // Ann's: A and C.
        let ann = crate::analytics::DealFilter { owner: Some("Ann".into()), ..Default::default() };
        let r = lost_analysis(ws, &p, day(10), None, &ann);
        assert_eq!(r.by_reason.iter().map(|g| (g.name.as_str(), g.deals)).collect::<Vec<_>>(), [("Price", 1), ("Timing", 1)]);
    }
}
