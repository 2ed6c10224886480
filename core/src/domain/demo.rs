//! The demo dataset: a seeded, realistic year of B2B deal flow.
//!
//! Deals move between stages as a Markov chain whose *true* rates are the constants
//! below, so the analytics can later be checked to recover them. Each visit to an open
//! stage lasts an exponential time with the stated mean; whatever would happen after
//! "now" has not happened yet, so those deals are still open.

use super::event::{CategoryChange, StageChange};
use super::ids::{Id, IdGen, Rng};
use super::opportunity::{ForecastCategory, Opportunity};
use super::pipeline::{from_template, Lang, Template};
use super::workspace::Workspace;
use chrono::{DateTime, Duration, Utc};

/// Columns: Qualification, Needs analysis, Demo, Negotiation, Won, Lost.
/// Row i: where a deal in open stage i goes next. Rows sum to 1.
/// Includes skips (Qualification → Demo, Demo → Won), back-moves (re-nurture) and losses.
pub const TRUE_TRANSITIONS: [[f64; 6]; 4] = [
    [0.00, 0.60, 0.10, 0.00, 0.00, 0.30], // Qualification
    [0.05, 0.00, 0.65, 0.00, 0.00, 0.30], // Needs analysis
    [0.00, 0.10, 0.00, 0.55, 0.05, 0.30], // Demo
    [0.00, 0.00, 0.10, 0.00, 0.60, 0.30], // Negotiation
];

/// Mean days a visit to each open stage lasts.
pub const TRUE_MEAN_DWELL_DAYS: [f64; 4] = [9.0, 14.0, 12.0, 18.0];

/// Share of lost deals that are later reopened into Qualification (about a month later).
pub const REOPEN_LOST_SHARE: f64 = 0.04;

/// Deals are created over this many days before "now", more of them recently.
pub const HISTORY_DAYS: i64 = 365;

const OWNERS: [(&str, &str); 5] =
    [("Alice Chen", "陈静"), ("Bob Li", "李强"), ("Carol Wang", "王芳"), ("David Zhao", "赵磊"), ("Eva Liu", "刘洋")];
const SOURCES: [(&str, &str); 5] =
    [("Website", "官网"), ("Referral", "转介绍"), ("Trade show", "展会"), ("Outbound", "电话拓客"), ("Partner", "合作伙伴")];
const ACCOUNTS: [&str; 24] = [
    "Acme Robotics", "Blue River Foods", "Cedar Logistics", "Delta Clinics", "Everbright Solar", "Fintrail Bank",
    "Golden Harbor Hotels", "Helix Biotech", "Ironwood Mining", "Jade Textiles", "Kestrel Airlines", "Lumen Schools",
    "Maple Retail", "Northwind Traders", "Orion Media", "Pioneer Farms", "Quartz Semiconductors", "Redleaf Insurance",
    "Summit Construction", "Tidewater Shipping", "Unity Hospitals", "Vertex Software", "Willow Pharma", "Zenith Motors",
];
const PRODUCTS: [(&str, &str); 5] = [
    ("CRM licences", "CRM 授权"),
    ("Data platform", "数据平台"),
    ("Support plan", "维保服务"),
    ("Onboarding project", "实施项目"),
    ("Analytics add-on", "分析模块"),
];

fn exp_days(rng: &mut Rng, mean: f64) -> f64 {
    -mean * (1.0 - rng.next_f64()).ln()
}

fn next_state(rng: &mut Rng, row: &[f64; 6]) -> usize {
    let u = rng.next_f64();
    let mut acc = 0.0;
    for (j, p) in row.iter().enumerate() {
        acc += p;
        if u < acc {
            return j;
        }
    }
    5
}

/// The seed the app's "Load demo dataset" uses: every team sees the same story.
pub const DEMO_SEED: u64 = 2026;

/// A deal-flow model: the Markov chain deals follow between the four open stages.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Chain {
    pub transitions: [[f64; 6]; 4],
    pub mean_dwell_days: [f64; 4],
    pub reopen_lost_share: f64,
}

/// The demo dataset's chain (the documented truth above).
pub const DEMO_CHAIN: Chain =
    Chain { transitions: TRUE_TRANSITIONS, mean_dwell_days: TRUE_MEAN_DWELL_DAYS, reopen_lost_share: REOPEN_LOST_SHARE };

/// A busier chain for benchmarks: many back-and-forth moves, about 10 events per deal.
pub const BUSY_CHAIN: Chain = Chain {
    transitions: [
        [0.00, 0.88, 0.06, 0.00, 0.00, 0.06],
        [0.40, 0.00, 0.56, 0.00, 0.00, 0.04],
        [0.00, 0.45, 0.00, 0.48, 0.03, 0.04],
        [0.00, 0.00, 0.50, 0.00, 0.44, 0.06],
    ],
    mean_dwell_days: [2.0, 3.0, 2.0, 3.0],
    reopen_lost_share: 0.3,
};

/// `n` deals created over the past year, as seen at `now`. The flow depends only on
/// `seed` (times are relative to `now`); `id_seed` makes the records' ids, so loading the
/// demo twice gives two independent copies rather than clashing ids.
pub fn generate(n: usize, seed: u64, id_seed: u64, now: DateTime<Utc>, lang: Lang) -> Workspace {
    generate_chain(&DEMO_CHAIN, n, seed, id_seed, now, lang)
}

pub fn generate_chain(chain: &Chain, n: usize, seed: u64, id_seed: u64, now: DateTime<Utc>, lang: Lang) -> Workspace {
    let mut ids = IdGen::new(id_seed);
    let mut rng = Rng::new(seed);
    let pipeline = from_template(Template::B2b, lang, &mut ids);
    let stage_ids: Vec<Id> = pipeline.stages.iter().map(|s| s.id.clone()).collect();
    let zh = lang == Lang::Zh;
    let pick = |pair: &(&'static str, &'static str)| if zh { pair.1 } else { pair.0 }.to_string();
    let mut deals = Vec::with_capacity(n);
    let mut events = Vec::with_capacity(n * 4);
    let mut calls = Vec::new();
    for _ in 0..n {
        // A growing team: deal creation rises linearly over the year (density ∝ recency).
        let age_share = 1.0 - rng.next_f64().sqrt();
        let created = now - Duration::seconds((age_share * (HISTORY_DAYS * 86_400) as f64) as i64);
        let account = rng.pick(&ACCOUNTS).to_string();
        let product = pick(rng.pick(&PRODUCTS));
        let id = ids.next_id();
        // Log-uniform between 2k and 200k, rounded to whole hundreds.
        let amount = (2_000f64 * 100f64.powf(rng.next_f64()) / 100.0).round() as i64 * 100 * 100;
        let mut state = 0usize;
        let mut at = created;
        let mut category_now = ForecastCategory::Pipeline;
        events.push(StageChange {
            id: ids.next_id(),
            opportunity: id.clone(),
            from: None,
            to: stage_ids[0].clone(),
            at,
            note: String::new(),
            seq: events.len() as u64 + 1,
            criteria: Vec::new(),
        });
        loop {
            let next_at;
            let next;
            if state < 4 {
                next_at = at + Duration::seconds((exp_days(&mut rng, chain.mean_dwell_days[state]) * 86_400.0) as i64 + 3_600);
                next = next_state(&mut rng, &chain.transitions[state]);
            } else if state == 5 && rng.next_f64() < chain.reopen_lost_share {
                next_at = at + Duration::days(20 + rng.below(20) as i64);
                next = 0;
            } else {
                break;
            }
            if next_at > now {
                break;
            }
            events.push(StageChange {
                id: ids.next_id(),
                opportunity: id.clone(),
                from: Some(stage_ids[state].clone()),
                to: stage_ids[next].clone(),
                at: next_at,
                note: String::new(),
                seq: events.len() as u64 + 1,
                criteria: Vec::new(),
            });
            // Reps make their call a day after a deal reaches Demo or Negotiation.
            let call = match next {
                3 if rng.next_f64() < 0.7 => Some(ForecastCategory::Commit),
                2 | 3 if rng.next_f64() < 0.5 => Some(ForecastCategory::BestCase),
                _ => None,
            };
            if let Some(category) = call {
                let call_at = next_at + Duration::days(1);
                if call_at <= now {
                    calls.push(CategoryChange { id: ids.next_id(), opportunity: id.clone(), category, at: call_at, seq: calls.len() as u64 + 1 });
                    category_now = category;
                }
            }
            state = next;
            at = next_at;
        }
        let lost_reason = if state == 5 {
            pick(rng.pick(&[("Price", "价格"), ("Chose a competitor", "选择了竞争对手"), ("No budget", "没有预算")]))
        } else {
            String::new()
        };
        deals.push(Opportunity {
            id,
            pipeline: pipeline.id.clone(),
            title: format!("{account} · {product}"),
            contact: String::new(),
            account,
            amount: Some(amount),
            currency: if zh { "CNY" } else { "USD" }.to_string(),
            owner: pick(rng.pick(&OWNERS)),
            source: pick(rng.pick(&SOURCES)),
            created_at: created,
            updated_at: at,
            expected_close: Some((created + Duration::days(60 + rng.below(60) as i64)).date_naive()),
            stage: stage_ids[state].clone(),
            lost_reason,
            notes: String::new(),
            tags: vec![product],
            forecast_category: category_now,
            field_times: Default::default(),
            device: "demo".into(),
            account_id: None,
            contact_id: None,
            deleted_at: None,
            purged: false,
            probability: None,
            probability_reason: String::new(),
            extra: Default::default(),
        });
    }
    let mut ws = Workspace::from_records(vec![pipeline], deals, events);
    ws.category_changes = calls;
    ws.order_logs();
    ws.activities = activities(&ws, seed, &mut ids, now, zh);
    add_leads(&mut ws, seed, &mut ids, now, zh);
    // Accounts as records: the deals' company names, one record each.
    let start = now - Duration::days(HISTORY_DAYS);
    let mut linker = super::account::Linker::new(&[], &[]);
    for d in ws.deals.iter_mut() {
        linker.link(d, start, &mut ids, "demo");
    }
    ws.accounts = linker.created_accounts;
    ws.contacts = linker.created_contacts;
    add_targets(&mut ws, now);
    ws
}

/// Targets a manager would set from the recent trend: 15% above the monthly average of the
/// last three months — this month per owner (won amount) and for the team (won and new
/// deals), and this quarter for the team (won amount); whole thousands.
fn add_targets(ws: &mut Workspace, now: DateTime<Utc>) {
    use super::target::{Metric, Period, Target};
    let Some(p) = ws.pipelines.first() else { return };
    let won_stage = p.stages.iter().find(|s| s.kind == super::pipeline::StageKind::Won).map(|s| s.id.clone());
    let since = now - Duration::days(91);
    let last = ws.last_events();
    let mut won_by_owner: std::collections::BTreeMap<String, i64> = Default::default();
    let mut won_deals = 0i64;
    for d in &ws.deals {
        let Some(e) = last.get(&d.id) else { continue };
        if Some(&e.to) == won_stage.as_ref() && e.at > since && e.at <= now {
            *won_by_owner.entry(d.owner.clone()).or_default() += d.amount.unwrap_or(0);
            won_deals += 1;
        }
    }
    let created = ws.deals.iter().filter(|d| d.created_at > since && d.created_at <= now).count() as i64;
    let monthly = |total: i64| total as f64 / 3.0 * 1.15;
    let thousands = |minor: f64| ((minor / 100_000.0).round() as i64).max(1) * 100_000;
    let currency = ws.deals.first().map(|d| d.currency.clone()).unwrap_or_else(|| "USD".into());
    let (month, quarter) = (Period::month_of(now), Period::quarter_of(now));
    let mut targets: Vec<Target> = won_by_owner
        .iter()
        .map(|(owner, won)| Target { owner: owner.clone(), metric: Metric::WonAmount, period: month, value: thousands(monthly(*won)), currency: currency.clone() })
        .collect();
    let team_won: i64 = won_by_owner.values().sum();
    targets.push(Target { owner: String::new(), metric: Metric::WonAmount, period: quarter, value: thousands(3.0 * monthly(team_won)), currency });
    targets.push(Target { owner: String::new(), metric: Metric::WonDeals, period: month, value: (monthly(won_deals).round() as i64).max(1), currency: String::new() });
    targets.push(Target { owner: String::new(), metric: Metric::NewDeals, period: month, value: (monthly(created).round() as i64).max(1), currency: String::new() });
    ws.pipelines[0].targets = targets;
}

/// The owners as records, and the leads behind the deals: every deal created in the last
/// 120 days came from a lead (created 0–10 days before it, qualified when the deal was
/// made), plus leads that were disqualified or are still open — each with a first call
/// some hours after it arrived, so the lead funnel and response time are alive.
fn add_leads(ws: &mut Workspace, seed: u64, ids: &mut IdGen, now: DateTime<Utc>, zh: bool) {
    use super::activity::{Activity, ActivityKind};
    use super::lead::{Lead, LeadStatus, Owner, DISQUALIFY_REASONS};
    let mut rng = Rng::new(seed ^ 0x1EAD_5EED);
    let pick = |pair: &(&'static str, &'static str)| if zh { pair.1 } else { pair.0 }.to_string();
    let start = now - Duration::days(HISTORY_DAYS);
    ws.owners = OWNERS
        .iter()
        .map(|o| Owner { id: ids.next_id(), name: pick(o), active: true, created_at: start, updated_at: start, device: "demo".into(), extra: Default::default() })
        .collect();
    let people: [(&str, &str); 8] =
        [("Li Wei", "李伟"), ("Zhang Min", "张敏"), ("Wang Jing", "王静"), ("Liu Yang", "刘洋"), ("Chen Jie", "陈杰"), ("Yang Fan", "杨帆"), ("Zhao Lei", "赵磊"), ("Sun Li", "孙丽")];
    let mut leads = Vec::new();
    let mut first_calls = Vec::new();
    let mut lead_for = |rng: &mut Rng, created: DateTime<Utc>, company: String, source: String, owner: String| {
        let person = pick(rng.pick(&people));
        let slug: String = company.chars().filter(char::is_ascii_alphanumeric).collect::<String>().to_lowercase();
        Lead {
            id: ids.next_id(),
            name: person,
            email: if slug.is_empty() { String::new() } else { format!("contact{}@{slug}.example", rng.below(90) + 10) },
            phone: format!("1{}{:08}", [38, 39, 50, 86][rng.below(4) as usize], rng.below(100_000_000)),
            company,
            source,
            owner,
            assigned_by: "round robin".into(),
            assigned_at: Some(created),
            created_at: created,
            updated_at: created,
            device: "demo".into(),
            ..Default::default()
        }
    };
    for d in ws.deals.iter().filter(|d| d.created_at > now - Duration::days(120)) {
        let created = d.created_at - Duration::minutes(rng.below(10 * 24 * 60) as i64);
        let mut l = lead_for(&mut rng, created, d.account.clone(), d.source.clone(), d.owner.clone());
        l.status = LeadStatus::Qualified;
        l.status_at = Some(d.created_at);
        l.updated_at = d.created_at;
        l.deal = Some(d.id.clone());
        leads.push(l);
    }
    // Leads that did not become deals: most disqualified, the recent ones still open.
    for _ in 0..(leads.len() * 3 / 2).max(20) {
        let created = now - Duration::minutes(rng.below(120 * 24 * 60) as i64);
        let company = rng.pick(&ACCOUNTS).to_string();
        let (source, owner) = (pick(rng.pick(&SOURCES)), pick(rng.pick(&OWNERS)));
        let mut l = lead_for(&mut rng, created, company, source, owner);
        if created < now - Duration::days(14) || rng.next_f64() < 0.3 {
            l.status = LeadStatus::Disqualified;
            l.status_at = Some((created + Duration::days(1 + rng.below(10) as i64)).min(now));
            l.updated_at = l.status_at.unwrap_or(created);
            l.disqualify_reason = pick(rng.pick(&DISQUALIFY_REASONS));
        }
        leads.push(l);
    }
    // First response: hours after arrival (exponential, mean 8 h); a few never answered.
    for l in &leads {
        if rng.next_f64() < 0.1 {
            continue;
        }
        let at = l.created_at + Duration::minutes((exp_days(&mut rng, 8.0 / 24.0) * 24.0 * 60.0) as i64 + 5);
        if at > now {
            continue;
        }
        first_calls.push(Activity {
            id: ids.next_id(),
            kind: ActivityKind::Call,
            deal: Id::default(),
            lead: Some(l.id.clone()),
            account: None,
            contact: None,
            subject: pick(&("First call", "首次电话")),
            at,
            duration_min: Some(10),
            outcome: String::new(),
            owner: l.owner.clone(),
            done_at: None,
            created_at: at,
            updated_at: at,
            device: "demo".into(),
            extra: Default::default(),
        });
    }
    // Open leads a rep has talked to get a call-back task: every other one due in the next
    // three days (by position, so no draw changes the stream above).
    let mut follow_ups = Vec::new();
    for (i, l) in leads.iter().filter(|l| l.status == LeadStatus::Open).enumerate() {
        if i % 2 == 1 || !first_calls.iter().any(|a: &Activity| a.lead.as_ref() == Some(&l.id)) {
            continue;
        }
        let due = now + Duration::hours(3 + (i as i64 % 72));
        follow_ups.push(Activity {
            id: ids.next_id(),
            kind: ActivityKind::Task,
            lead: Some(l.id.clone()),
            subject: pick(&("Call back", "回电")),
            at: due,
            owner: l.owner.clone(),
            created_at: now,
            updated_at: now,
            device: "demo".into(),
            ..Default::default()
        });
    }
    ws.leads = leads;
    ws.activities.extend(first_calls);
    ws.activities.extend(follow_ups);
}

/// A rep's trail on every deal: a call, meeting or email around each stage change, tasks
/// done on the way, and on most open deals a next step — some overdue, some due today,
/// the rest in the next two weeks — so the Today view and the board's next steps are
/// alive on first visit. Drawn from a generator of its own, so the deal flow (and every
/// figure tested against the chain's truth) is the same with or without them.
fn activities(ws: &Workspace, seed: u64, ids: &mut IdGen, now: DateTime<Utc>, zh: bool) -> Vec<super::activity::Activity> {
    use super::activity::{Activity, ActivityKind as A};
    let mut rng = Rng::new(seed ^ 0xAC71_7174);
    let pick = |pair: (&'static str, &'static str)| if zh { pair.1 } else { pair.0 }.to_string();
    let stage_kind = |s: &Id| ws.pipelines[0].stage(s).map(|x| (ws.pipelines[0].position(s).unwrap_or(0), x.kind));
    let by_stage: [(A, (&str, &str), (&str, &str)); 4] = [
        (A::Call, ("Discovery call", "需求沟通电话"), ("Interested, wants a follow-up", "有兴趣，希望进一步沟通")),
        (A::Email, ("Sent questions on current process", "发送现有流程问卷"), ("Answers received", "已收到回复")),
        (A::Meeting, ("Product demo", "产品演示"), ("Good fit; pricing questions", "匹配度高；关注价格")),
        (A::Email, ("Sent proposal and quote", "发送方案和报价"), ("Under review by procurement", "采购部门审核中")),
    ];
    let next_steps: [(&str, &str); 5] = [
        ("Follow up on proposal", "跟进方案"),
        ("Schedule the demo", "安排产品演示"),
        ("Send the contract", "发送合同"),
        ("Call the decision maker", "致电决策人"),
        ("Confirm budget", "确认预算"),
    ];
    let mut out = Vec::new();
    let push = |out: &mut Vec<Activity>, kind, deal: &Opportunity, subject: String, at: DateTime<Utc>, outcome: String, done: Option<DateTime<Utc>>, ids: &mut IdGen| {
        out.push(Activity {
            id: ids.next_id(),
            kind,
            deal: deal.id.clone(),
            lead: None,
            account: None,
            contact: None,
            subject,
            at,
            duration_min: matches!(kind, A::Call | A::Meeting).then_some(if kind == A::Call { 20 } else { 45 }),
            outcome,
            owner: deal.owner.clone(),
            done_at: done,
            created_at: at.min(now),
            updated_at: done.unwrap_or(at).min(now),
            device: "demo".into(),
            extra: Default::default(),
        })
    };
    // Each deal's events, in the log's order (one pass: big generated histories have
    // hundreds of thousands).
    let mut history: std::collections::HashMap<&Id, Vec<&StageChange>> = std::collections::HashMap::new();
    for e in &ws.events {
        history.entry(&e.opportunity).or_default().push(e);
    }
    for deal in &ws.deals {
        for e in history.get(&deal.id).into_iter().flatten() {
            let Some((pos, super::pipeline::StageKind::Open)) = stage_kind(&e.to) else { continue };
            if pos >= 4 || rng.next_f64() >= 0.7 {
                continue;
            }
            let at = e.at + Duration::minutes(60 + rng.below(2 * 24 * 60) as i64);
            if at > now {
                continue;
            }
            let (kind, subject, outcome) = by_stage[pos];
            push(&mut out, kind, deal, pick(subject), at, pick(outcome), None, ids);
            if rng.next_f64() < 0.3 {
                let due = at + Duration::days(2);
                if due < now {
                    push(&mut out, A::Task, deal, pick(*rng.pick(&next_steps)), due, String::new(), Some(due), ids);
                }
            }
        }
        let open = stage_kind(&deal.stage).is_some_and(|(_, k)| k == super::pipeline::StageKind::Open);
        if open && rng.next_f64() < 0.85 {
            // Due on a whole hour between six days ago and twelve days ahead.
            let hours = rng.below(18 * 24) as i64 - 6 * 24;
            let due = now + Duration::hours(hours) - Duration::seconds(now.timestamp() % 3600);
            push(&mut out, A::Task, deal, pick(*rng.pick(&next_steps)), due, String::new(), None, ids);
        }
    }
    out
}

/// Spreads a generated workspace's deals over several currencies, with a reporting currency
/// (the first code) and monthly rates for the others, so conversion can be demonstrated and
/// cross-checked. Amounts keep their value in the first currency (a €-deal is about the
/// same deal as a $-deal); yen amounts are whole. Rates start two months after the first
/// deal, so the oldest closed deals in other currencies have no rate and are left out —
/// on purpose, to show (and check) that path too. Unknown codes are skipped.
pub fn mix_currencies(ws: &mut Workspace, codes: &[&str], seed: u64) {
    use super::rates::{ExchangeRates, Rate, RateValue};
    use chrono::{Datelike, Months, NaiveDate};
    let codes: Vec<&str> = codes.iter().copied().filter(|c| super::money::CURRENCIES.contains(c)).collect();
    let Some((&reporting, others)) = codes.split_first() else { return };
    // Rough values of one unit in US dollars, only to give rates plausible sizes.
    let usd = |c: &str| match c {
        "EUR" => 1.08,
        "GBP" => 1.27,
        "JPY" => 0.0067,
        "CNY" => 0.138,
        "HKD" => 0.128,
        _ => 1.0,
    };
    let Some(first) = ws.deals.iter().map(|d| d.created_at).min() else { return };
    let last = ws.events.iter().map(|e| e.at).max().unwrap_or(first);
    let mut rates = Vec::new();
    for (k, &c) in others.iter().enumerate() {
        let base = usd(c) / usd(reporting);
        let Some(mut month) = NaiveDate::from_ymd_opt(first.year(), first.month(), 1).and_then(|m| m.checked_add_months(Months::new(2))) else { continue };
        let mut i = 0.0f64;
        while month <= last.date_naive() {
            // A slow, deterministic drift of a few percent.
            let r = base * (1.0 + 0.04 * (i * 0.7 + k as f64 * 1.3).sin());
            let places = if r < 0.1 { 6 } else { 4 };
            if let Ok(rate) = RateValue::parse(&format!("{r:.places$}")) {
                rates.push(Rate { currency: c.to_string(), on: month, rate });
            }
            i += 1.0;
            let Some(next) = month.checked_add_months(Months::new(1)) else { break };
            month = next;
        }
    }
    let mut rng = Rng::new(seed);
    for d in ws.deals.iter_mut() {
        let c = codes[rng.below(codes.len() as u64) as usize];
        d.currency = c.to_string();
        if let Some(a) = d.amount {
            let v = a as f64 * usd(reporting) / usd(c);
            // Whole units in every currency (the yen has no decimals).
            d.amount = Some(((v / 100.0).round() as i64).max(1) * 100);
        }
    }
    ws.settings.exchange = ExchangeRates { reporting: reporting.to_string(), rates, updated_at: Some(last) }.normalized().unwrap_or_default();
}

#[cfg(test)]
mod mix_tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn mixed_currencies_get_monthly_rates_from_the_third_month() {
        let now = Utc.with_ymd_and_hms(2026, 11, 27, 0, 0, 0).unwrap();
        let mut ws = generate(200, 3, 3, now, Lang::En);
        mix_currencies(&mut ws, &["USD", "EUR", "JPY", "XYZ"], 5);
        let fx = &ws.settings.exchange;
        assert_eq!(fx.reporting, "USD");
        let used: std::collections::BTreeSet<&str> = ws.deals.iter().map(|d| d.currency.as_str()).collect();
        assert_eq!(used.into_iter().collect::<Vec<_>>(), ["EUR", "JPY", "USD"]);
        assert!(ws.deals.iter().all(|d| d.amount.is_none_or(|a| a % 100 == 0)), "whole units");
        let eur = fx.series("EUR");
        let first = ws.deals.iter().map(|d| d.created_at).min().unwrap().date_naive();
        assert!(eur.first().unwrap().on > first, "the oldest deals have no rate");
        assert!(eur.windows(2).all(|w| w[0].on.checked_add_months(chrono::Months::new(1)) == Some(w[1].on)), "monthly");
        assert!(fx.series("JPY").iter().all(|r| (0.0060..0.0072).contains(&r.rate.as_f64())));
    }
}
