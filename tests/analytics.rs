//! Hand-computed fixtures for every analytics definition (see docs/analytics.md).

mod common;

use chrono::{Duration, TimeZone, Utc};
use common::{day, Fixture};
use funnelscope::analytics::stats::{naive_km, Outcome, Subject};
use funnelscope::analytics::*;
use funnelscope::domain::*;

/// A: Q0 → N10 → D20 → Ng30 → W45 (1000)
/// B: Q0 → D5 (skips N) → L15 (2000)
/// C: Q0 → N4 → Q6 (back) → N8 → D18, open (no amount)
/// D: Q50 → L60 → Q70 (reopened), open (500)
/// E: Q90, open (300)
fn five_deals() -> Fixture {
    let mut f = Fixture::new();
    f.deal("A", Some(1000), "ann", &[(0, 0), (10, 1), (20, 2), (30, 3), (45, 4)]);
    f.deal("B", Some(2000), "bob", &[(0, 0), (5, 2), (15, 5)]);
    f.deal("C", None, "ann", &[(0, 0), (4, 1), (6, 0), (8, 1), (18, 2)]);
    f.deal("D", Some(500), "bob", &[(50, 0), (60, 5), (70, 0)]);
    f.deal("E", Some(300), "ann", &[(90, 0)]);
    f
}

fn stage<'a>(r: &'a Report, name: &str) -> &'a StageReport {
    r.stages.iter().find(|s| s.name == name).unwrap()
}

fn close(a: Option<f64>, b: f64) -> bool {
    a.is_some_and(|a| (a - b).abs() < 1e-9)
}

#[test]
fn snapshot_counts_deals_and_money_where_they_are_now() {
    let r = five_deals().run(&Query::new(day(100)));
    assert_eq!(r.deals, 5);
    assert_eq!(r.currency, "USD");
    let snap = |n| stage(&r, n).snapshot.clone();
    assert_eq!((snap("Qualification").deals, snap("Qualification").amount), (2, 800));
    assert_eq!((snap("Demo").deals, snap("Demo").amount), (1, 0));
    assert_eq!((snap("Won").deals, snap("Won").amount), (1, 1000));
    assert_eq!((snap("Lost").deals, snap("Lost").amount), (1, 2000));
    assert_eq!(snap("Needs analysis").deals, 0);
}

#[test]
fn funnel_counts_reached_stages_and_drop_off() {
    let r = five_deals().run(&Query::new(day(100)));
    let f = |n| stage(&r, n).funnel.clone().unwrap();
    let reached: Vec<usize> =
        ["Qualification", "Needs analysis", "Demo", "Negotiation", "Won"].iter().map(|n| f(n).reached).collect();
    assert_eq!(reached, vec![5, 3, 3, 1, 1], "B's skip passes through Needs analysis");
    assert!(close(f("Qualification").drop_off, 0.4));
    assert!(close(f("Needs analysis").drop_off, 0.0));
    assert!(close(f("Demo").drop_off, 2.0 / 3.0));
    assert_eq!(f("Won").drop_off, None);
    assert_eq!(f("Demo").amount, 3000);
    assert!(stage(&r, "Lost").funnel.is_none());
}

#[test]
fn the_deals_behind_a_funnel_bar_are_those_it_counts() {
    let f = five_deals();
    let q = Query::new(day(100));
    let flow = Flow::build(&f.ws, f.p());
    let needs = f.p().stages[1].id.to_string();
    let mut titles: Vec<String> = deals_reaching(&flow, &q, &needs).into_iter().map(|d| d.1).collect();
    titles.sort();
    assert_eq!(titles, vec!["A", "B", "C"]);
    assert_eq!(titles.len(), stage(&f.run(&q), "Needs analysis").funnel.as_ref().unwrap().reached);
}

#[test]
fn strict_mode_counts_only_actual_entries() {
    let mut q = Query::new(day(100));
    q.mode = ReachMode::Strict;
    let r = five_deals().run(&q);
    assert_eq!(stage(&r, "Needs analysis").funnel.as_ref().unwrap().reached, 2);
    let c = stage(&r, "Qualification").conversion.clone().unwrap();
    assert_eq!((c.cohort, c.reached_next), (5, 2));
    assert!(close(c.next_to_date, 0.4));
}

#[test]
fn cohort_conversion_to_date_and_closed_only() {
    let r = five_deals().run(&Query::new(day(100)));
    let c = |n| stage(&r, n).conversion.clone().unwrap();
    let q = c("Qualification");
    assert_eq!((q.cohort, q.reached_next, q.won, q.lost, q.lost_before_next), (5, 3, 1, 1, 0));
    assert!(close(q.next_to_date, 0.6) && close(q.next_closed, 1.0));
    assert!(close(q.won_to_date, 0.2) && close(q.won_closed, 0.5));
    let d = c("Demo");
    assert_eq!((d.cohort, d.reached_next, d.won, d.lost, d.lost_before_next), (3, 1, 1, 1, 1));
    assert!(close(d.next_to_date, 1.0 / 3.0) && close(d.next_closed, 0.5));
    let n = c("Negotiation");
    assert_eq!((n.cohort, n.reached_next), (1, 1));
    // C went back to Qualification and forward again: counted once.
    assert_eq!(c("Needs analysis").cohort, 3);
    assert!(stage(&r, "Won").conversion.is_none());
}

#[test]
fn dwell_percentiles_open_ages_and_stuck_deals() {
    let r = five_deals().run(&Query::new(day(100)));
    let q = stage(&r, "Qualification").dwell.clone();
    // Completed Qualification visits: 10, 5, 4, 2, 10 days; still open: D 30, E 10
    // (censored). Kaplan–Meier over the 7: at risk 7, 6, 5, 4 at days 2, 4, 5, 10 →
    // S = 6/7, ·5/6, ·4/5 = 4/7 (.571), then two finish at 10 of the 4 at risk (E, open
    // at 10, still counts) → ·2/4 = .286: the median is 10 days (completed visits alone
    // say 5); 28.6% last longer than 10 days and none of them has finished, so p75 and
    // p90 cannot be told yet.
    assert_eq!((q.completed, q.running, q.instant), (5, 2, 0));
    assert!(close(q.p50, 10.0) && q.p75.is_none() && q.p90.is_none());
    assert_eq!(q.open, 2);
    assert!(close(q.open_median_age, 20.0)); // D 30 days, E 10 days
    // Without a p90, open longer than every finished visit (10 days) is stuck: D, not E.
    assert!(close(q.stuck_after, 10.0));
    assert_eq!(q.stuck.iter().map(|s| s.title.as_str()).collect::<Vec<_>>(), vec!["D"]);
    assert!((q.stuck[0].age_days - 30.0).abs() < 1e-9);
    let n = stage(&r, "Needs analysis").dwell.clone();
    assert_eq!(n.completed, 3);
    assert!(close(n.p50, 10.0));
    let d = stage(&r, "Demo").dwell.clone();
    assert_eq!(d.stuck.len(), 1);
    assert_eq!(d.stuck[0].title, "C");
    // A stage's own limit overrides its p90.
    let mut f = five_deals();
    f.ws.pipelines[0].stages[0].stuck_after_days = Some(5);
    let r = f.run(&Query::new(day(100)));
    let titles: Vec<String> = stage(&r, "Qualification").dwell.stuck.iter().map(|s| s.title.clone()).collect();
    assert_eq!(titles, vec!["D", "E"]);
}

#[test]
fn win_within_t_days_uses_competing_risks() {
    let r = five_deals().run(&Query::new(day(100)));
    let w = stage(&r, "Demo").win_within.clone().unwrap();
    assert_eq!(w.n, 3);
    // Demo entries: A won after 25 days, B lost after 10, C open 82 days (censored).
    // t=10: lost 1/3; t=25: won (2/3)·(1/2) = 1/3.
    let h30 = &w.horizons[0];
    assert_eq!(h30.days, 30);
    assert!((h30.won - 1.0 / 3.0).abs() < 1e-9 && (h30.lost - 1.0 / 3.0).abs() < 1e-9);
    assert!(h30.won_low <= h30.won && h30.won <= h30.won_high);
    // A naive Kaplan–Meier (lost = censored) would claim 50%.
    let subjects = [
        Subject { time: 25.0, outcome: Outcome::Event },
        Subject { time: 10.0, outcome: Outcome::Competing },
        Subject { time: 82.0, outcome: Outcome::Censored },
    ];
    assert!((naive_km(&subjects, 30.0) - 0.5).abs() < 1e-9);
    assert!(naive_km(&subjects, 30.0) > h30.won);
}

#[test]
fn bottlenecks_name_the_stage_and_compare_with_the_pipeline() {
    let r = five_deals().run(&Query::new(day(100)));
    let d = r.bottlenecks.drop_off.clone().unwrap();
    assert_eq!(d.stage, "Demo");
    assert!((d.rate - 0.5).abs() < 1e-9);
    assert!((d.pipeline_rate - 8.0 / 9.0).abs() < 1e-9);
    let w = r.bottlenecks.dwell.clone().unwrap();
    assert_eq!(w.stage, "Negotiation");
    assert!((w.median_days - 15.0).abs() < 1e-9);
    assert!((w.pipeline_median_days - 10.0).abs() < 1e-9);
}

#[test]
fn sales_velocity() {
    let r = five_deals().run(&Query::new(day(100)));
    let v = r.velocity;
    assert_eq!((v.open_deals, v.closed, v.won), (3, 2, 1));
    assert!(close(v.win_rate, 0.5) && close(v.avg_won_amount, 1000.0) && close(v.avg_cycle_days, 45.0));
    assert!(close(v.per_day, 3.0 * 0.5 * 1000.0 / 45.0));
}

#[test]
fn periods_select_cohorts() {
    let mut q = Query::new(day(100));
    q.period = Some(Period { start: day(0), end: day(10) });
    let r = five_deals().run(&q);
    assert_eq!(stage(&r, "Qualification").funnel.as_ref().unwrap().reached, 3, "created in the period");
    assert_eq!(stage(&r, "Qualification").conversion.as_ref().unwrap().cohort, 3);
    // A first reached Needs analysis on day 10: outside [0, 10).
    assert_eq!(stage(&r, "Needs analysis").conversion.as_ref().unwrap().cohort, 2);
    assert_eq!(r.velocity.closed, 0);
}

#[test]
fn as_of_replays_the_log_without_later_events() {
    let r = five_deals().run(&Query::new(day(35)));
    assert_eq!(r.deals, 3, "D and E did not exist yet");
    assert_eq!(stage(&r, "Negotiation").snapshot.deals, 1);
    assert_eq!(stage(&r, "Won").snapshot.deals, 0);
}

#[test]
fn filters_by_owner_and_tag() {
    let mut q = Query::new(day(100));
    q.filter.owner = Some("bob".into());
    let r = five_deals().run(&q);
    assert_eq!(r.deals, 2);
    q.filter = DealFilter { tag: Some("unpriced".into()), ..Default::default() };
    let r = five_deals().run(&q);
    assert_eq!(r.deals, 1);
    assert_eq!(stage(&r, "Demo").snapshot.deals, 1);
}

#[test]
fn reopened_won_deal_and_missing_amounts() {
    let mut f = Fixture::new();
    f.deal("R", None, "x", &[(0, 0), (5, 4), (9, 1), (12, 5)]); // won, reopened, lost
    let r = f.run(&Query::new(day(20)));
    assert_eq!(stage(&r, "Lost").snapshot.deals, 1);
    assert_eq!(r.velocity.won, 0);
    assert_eq!(r.velocity.avg_won_amount, None);
    let w = stage(&r, "Qualification").win_within.clone().unwrap();
    // The first close after entering Qualification was the win on day 5.
    assert!((w.horizons[0].won - 1.0).abs() < 1e-9);
}

#[test]
fn empty_pipeline_has_no_nan_anywhere() {
    let f = Fixture::new();
    let r = f.run(&Query::new(day(1)));
    assert_eq!(r.deals, 0);
    for s in &r.stages {
        if let Some(c) = &s.conversion {
            assert_eq!((c.next_to_date, c.won_closed), (None, None));
        }
        assert_eq!(s.dwell.p50, None);
        if let Some(w) = &s.win_within {
            assert!(w.horizons.iter().all(|h| h.won == 0.0 && h.won_low == 0.0));
        }
    }
    assert!(r.bottlenecks.drop_off.is_none() && r.bottlenecks.dwell.is_none());
    assert_eq!(r.velocity.per_day, None);
}

#[test]
fn ties_in_time_follow_log_order() {
    let mut f = Fixture::new();
    f.deal("T", Some(1), "x", &[(0, 0), (3, 1), (3, 2)]);
    let r = f.run(&Query::new(day(10)));
    assert_eq!(stage(&r, "Demo").snapshot.deals, 1);
    let n = stage(&r, "Needs analysis").dwell.clone();
    assert_eq!((n.completed, n.instant), (1, 1));
    // Its only visit left the moment it entered: not measured, not "0.0 days".
    assert_eq!(n.p50, None);
}

mod recovers_the_demo_truth {
    use super::*;
    use funnelscope::domain::demo::{self, TRUE_TRANSITIONS};

    /// P(first close is Won | a deal enters open stage i), from the documented Markov chain:
    /// h = P_open·h + P_won, solved by fixed-point iteration (it converges: every row
    /// leaks at least 30% to Lost).
    fn true_win_probability() -> [f64; 4] {
        let mut h = [0.0; 4];
        for _ in 0..500 {
            let mut next = [0.0; 4];
            for i in 0..4 {
                next[i] = TRUE_TRANSITIONS[i][4] + (0..4).map(|j| TRUE_TRANSITIONS[i][j] * h[j]).sum::<f64>();
            }
            h = next;
        }
        h
    }

    #[test]
    fn win_probabilities_of_the_demo_dataset_fall_inside_their_95_percent_intervals() {
        let now = Utc.with_ymd_and_hms(2026, 11, 27, 12, 0, 0).unwrap();
        let ws = demo::generate(300, demo::DEMO_SEED, 1, now, Lang::En);
        let mut q = Query::new(now);
        q.mode = ReachMode::Strict; // entries only: the chain's "enters stage i"
        q.horizons = vec![365];
        let r = report(&ws, &ws.pipelines[0], &q);
        let truth = true_win_probability();
        for (i, s) in r.stages.iter().filter(|s| s.kind == StageKind::Open).enumerate() {
            let h = &s.win_within.as_ref().unwrap().horizons[0];
            println!("{}: truth {:.3}, estimate {:.3} [{:.3}, {:.3}]", s.name, truth[i], h.won, h.won_low, h.won_high);
            assert!(h.won_low <= truth[i] && truth[i] <= h.won_high, "{}: {truth:?} vs {h:?}", s.name);
        }
    }
}

mod properties {
    use super::*;
    use proptest::prelude::*;

    /// Random histories: each deal walks through random stages at increasing days.
    fn histories() -> impl Strategy<Value = Vec<Vec<(i64, usize)>>> {
        let step = (1i64..30, 0usize..6);
        let deal = (0i64..200, proptest::collection::vec(step, 0..8)).prop_map(|(start, steps)| {
            let mut t = start;
            let mut path = vec![(t, 0usize)];
            for (dt, s) in steps {
                t += dt;
                if path.last().unwrap().1 != s {
                    path.push((t, s));
                }
            }
            path
        });
        proptest::collection::vec(deal, 0..40)
    }

    fn build(paths: &[Vec<(i64, usize)>]) -> Fixture {
        let mut f = Fixture::new();
        for (i, p) in paths.iter().enumerate() {
            f.deal(&format!("d{i}"), if i % 3 == 0 { None } else { Some(i as i64 * 100) }, "o", p);
        }
        f
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

        #[test]
        fn funnel_never_widens_and_rates_stay_in_unit_interval(paths in histories(), strict in any::<bool>()) {
            let f = build(&paths);
            let mut q = Query::new(day(400));
            if strict { q.mode = ReachMode::Strict; }
            let r = f.run(&q);
            let funnel: Vec<usize> = r.stages.iter().filter_map(|s| s.funnel.as_ref().map(|x| x.reached)).collect();
            if !strict {
                prop_assert!(funnel.windows(2).all(|w| w[0] >= w[1]), "{:?}", funnel);
            }
            for s in &r.stages {
                if let Some(c) = &s.conversion {
                    for v in [c.next_to_date, c.next_closed, c.won_to_date, c.won_closed].into_iter().flatten() {
                        prop_assert!((0.0..=1.0).contains(&v));
                    }
                }
                if let Some(fs) = &s.funnel {
                    if let Some(d) = fs.drop_off { prop_assert!(d <= 1.0 && (strict || d >= 0.0)); }
                }
                if let Some(w) = &s.win_within {
                    let mut prev = (0.0, 0.0);
                    for h in &w.horizons {
                        prop_assert!(h.won + h.lost <= 1.0 + 1e-9);
                        prop_assert!(h.won >= prev.0 - 1e-12 && h.lost >= prev.1 - 1e-12);
                        prop_assert!(h.won_low <= h.won + 1e-12 && h.won <= h.won_high + 1e-12);
                        prev = (h.won, h.lost);
                    }
                }
            }
        }

        #[test]
        fn a_kept_index_and_a_sliced_computation_give_the_same_report(paths in histories(), slice in 1usize..7) {
            let f = build(&paths);
            let q = Query::new(day(400));
            let whole = f.run(&q);
            // The index as the app keeps it: built empty, then fed every stored change.
            let mut empty = f.ws.clone();
            empty.deals.clear();
            empty.events.clear();
            let mut flow = Flow::build(&empty, f.p());
            for d in &f.ws.deals {
                prop_assert!(flow.apply(&Change::PutDeal(d.clone())));
            }
            for e in &f.ws.events {
                prop_assert!(flow.apply(&Change::AppendEvent(e.clone())));
            }
            let mut b = ReportBuilder::new(&flow, &q);
            let mut steps = 0;
            while !b.step(&flow, slice) {
                steps += 1;
                prop_assert!(b.progress(&flow) < 1.0);
            }
            prop_assert!(steps + 1 >= paths.len() / slice);
            prop_assert_eq!(b.finish(&flow), whole);
        }

        #[test]
        fn results_do_not_depend_on_event_input_order(paths in histories(), seed in any::<u64>()) {
            let f = build(&paths);
            let q = Query::new(day(400));
            let before = f.run(&q);
            let mut shuffled = f.ws.clone();
            let mut rng = funnelscope::domain::Rng::new(seed);
            for i in (1..shuffled.events.len()).rev() {
                let j = rng.below(i as u64 + 1) as usize;
                shuffled.events.swap(i, j);
            }
            shuffled.deals.reverse();
            let after = report(&shuffled, &shuffled.pipelines[0], &q);
            prop_assert_eq!(before.stages, after.stages.clone());
            prop_assert_eq!(before.velocity, after.velocity);
        }
    }
}

#[test]
fn a_change_to_the_pipeline_itself_asks_for_a_rebuild() {
    let f = five_deals();
    let mut flow = Flow::build(&f.ws, f.p());
    assert!(!flow.apply(&Change::PutPipeline(f.p().clone())));
    let mut other = f.p().clone();
    other.id = Id::from("other");
    assert!(flow.apply(&Change::PutPipeline(other)));
    assert_eq!(flow.event_count(), 17);
}

#[test]
fn period_helpers() {
    let p = Period::last_days(day(100), 30);
    assert_eq!(p.end - p.start, Duration::days(30));
    assert!(p.start < day(100) && day(100) < p.end);
    let prev = p.previous();
    assert_eq!(prev.end, p.start);
    assert_eq!(prev.end - prev.start, Duration::days(30));
}

/// Issue 10: touches before close, idle open deals, touches per owner per week, by hand.
/// As of day 100 (Sat 11 Apr 2026; its week starts Mon 6 Apr = day 95):
/// A won on day 20 after a call (d2), an email (d5) and a task done on d10 — a note on
///   d25 is after the close and an open task is a plan: 3 touches;
/// B lost on day 30 after a call (d1): 1; C won on day 40 untouched: 0.
/// Won: 2 deals, 3 touches, mean 1.5, median 1.5. Lost: 1, 1, 1, 1.
/// D open (created d50): meeting d60, email d89 → idle 11 days; E open (d90), never → 10.
/// Idle median (10 + 11)/2 = 10.5, p90 10 + 0.9·1 = 10.9. Four weeks from Mon 16 Mar (d74):
/// the d89 email falls in the third (d88–d94), logged by "ann".
#[test]
fn activity_report_counts_touches_idle_deals_and_weeks() {
    use funnelscope::analytics::activity::activity_report;
    let mut f = Fixture::new();
    let a = f.deal("A", Some(100), "ann", &[(0, 0), (20, 4)]);
    let b = f.deal("B", Some(100), "bo", &[(0, 0), (30, 5)]);
    f.deal("C", Some(100), "ann", &[(0, 0), (40, 4)]);
    let d = f.deal("D", Some(100), "ann", &[(50, 0)]);
    f.deal("E", Some(100), "bo", &[(90, 1)]);
    let mut act = |deal: &Id, kind: ActivityKind, day_n: i64, done: Option<i64>, owner: &str| {
        let id = f.ids.next_id();
        f.ws.activities.push(Activity {
            id,
            kind,
            deal: deal.clone(),
            subject: "x".into(),
            at: day(day_n),
            owner: owner.into(),
            done_at: done.map(day),
            created_at: day(0),
            updated_at: day(0),
            ..Default::default()
        });
    };
    act(&a, ActivityKind::Call, 2, None, "ann");
    act(&a, ActivityKind::Email, 5, None, "ann");
    act(&a, ActivityKind::Task, 9, Some(10), "ann");
    act(&a, ActivityKind::Note, 25, None, "ann");
    act(&a, ActivityKind::Task, 12, None, "ann");
    act(&b, ActivityKind::Call, 1, None, "bo");
    act(&d, ActivityKind::Meeting, 60, None, "ann");
    act(&d, ActivityKind::Email, 89, None, "ann");
    let r = activity_report(&f.ws, f.p(), day(100), 4);
    assert_eq!((r.won.deals, r.won.touches, r.won.mean, r.won.median), (2, 3, Some(1.5), Some(1.5)));
    assert_eq!((r.lost.deals, r.lost.touches, r.lost.mean, r.lost.median), (1, 1, Some(1.0), Some(1.0)));
    assert_eq!((r.open_deals, r.never_touched), (2, 1));
    assert!(close(r.idle_median, 10.5) && close(r.idle_p90, 10.9));
    assert_eq!(r.idle.iter().map(|x| (x.title.as_str(), x.days.round() as i64, x.never)).collect::<Vec<_>>(), [("D", 11, false), ("E", 10, true)]);
    assert_eq!(r.weeks.first().map(|w| w.to_string()), Some("2026-03-16".to_string()));
    assert_eq!(r.weeks.last().map(|w| w.to_string()), Some("2026-04-06".to_string()));
    assert_eq!(r.per_owner, vec![("ann".to_string(), vec![0, 0, 1, 0])]);
}

/// Issue 10: the lead funnel by hand. B2B ranks: Qualification 0, Needs analysis 1,
/// Demo 2, Negotiation 3, Won 4. As of day 100:
/// L1 (Web, ann, d0) → deal A: Qualification d1, Demo d5 (skips Needs), Won d9;
/// L2 (Web, bo, d0) → deal B: Qualification d2, Needs d6, Lost d8;
/// L3 (Fair, ann, d3) disqualified d4 "No budget"; L4 (Fair, ann, d5) open;
/// L5 arrives on day 200: not yet.
/// Leads 4 = open 1 + qualified 2 + disqualified 1; reached: Qualification 2, Needs 2 (A
/// passed through it), Demo 1, Negotiation 1; won 1.
/// First touch: L1 a call 2 h after arrival; L2 none on the lead but an email on its deal
/// at day 2 (48 h); L3 a call after 30 h; L4 none → [2, 30, 48]: median 30, p90 (type 7)
/// 30 + 0.8·18 = 44.4. Web: 2 leads, 2 qualified, 1 won, response (2 + 48)/2 = 25; Fair:
/// 2, 0, 0, 30. ann: 3 leads, 1 qualified, 1 won, (2 + 30)/2 = 16; bo: 1, 1, 0, 48.
#[test]
fn the_lead_funnel_and_response_time_by_hand() {
    use chrono::Duration;
    use funnelscope::analytics::leads::lead_funnel;
    let mut f = Fixture::new();
    let a = f.deal("A", Some(100), "ann", &[(1, 0), (5, 2), (9, 4)]);
    let b = f.deal("B", Some(100), "bo", &[(2, 0), (6, 1), (8, 5)]);
    let mut lead = |source: &str, owner: &str, created: i64, status: LeadStatus, at: Option<i64>, deal: Option<&Id>, reason: &str| {
        let id = f.ids.next_id();
        f.ws.leads.push(Lead {
            id: id.clone(),
            name: "x".into(),
            source: source.into(),
            owner: owner.into(),
            status,
            status_at: at.map(day),
            deal: deal.cloned(),
            disqualify_reason: reason.into(),
            created_at: day(created),
            updated_at: day(created),
            ..Default::default()
        });
        id
    };
    let l1 = lead("Web", "ann", 0, LeadStatus::Qualified, Some(1), Some(&a), "");
    lead("Web", "bo", 0, LeadStatus::Qualified, Some(2), Some(&b), "");
    let l3 = lead("Fair", "ann", 3, LeadStatus::Disqualified, Some(4), None, "No budget");
    lead("Fair", "ann", 5, LeadStatus::Open, None, None, "");
    lead("Web", "bo", 200, LeadStatus::Open, None, None, "");
    let touch = |deal: Option<&Id>, lead: Option<&Id>, at| Activity {
        id: Id::from(format!("t{at}").as_str()),
        kind: ActivityKind::Call,
        deal: deal.cloned().unwrap_or_default(),
        lead: lead.cloned(),
        subject: "x".into(),
        at,
        ..Default::default()
    };
    f.ws.activities.push(touch(None, Some(&l1), day(0) + Duration::hours(2)));
    f.ws.activities.push(touch(Some(&b), None, day(2)));
    f.ws.activities.push(touch(None, Some(&l3), day(3) + Duration::hours(30)));
    let r = lead_funnel(&f.ws, f.p(), day(100));
    assert_eq!((r.leads, r.open, r.qualified, r.disqualified, r.won), (4, 1, 2, 1, 1));
    assert_eq!(r.stages.iter().map(|s| s.1).collect::<Vec<_>>(), [2, 2, 1, 1]);
    assert_eq!(r.responded, 3);
    assert!(close(r.response_median_hours, 30.0) && close(r.response_p90_hours, 44.4), "{:?}", r.response_p90_hours);
    let g = |v: &[funnelscope::analytics::leads::LeadGroup], n: &str| {
        let x = v.iter().find(|x| x.name == n).unwrap().clone();
        (x.leads, x.qualified, x.won, x.response_median_hours)
    };
    assert_eq!(g(&r.by_source, "Web"), (2, 2, 1, Some(25.0)));
    assert_eq!(g(&r.by_source, "Fair"), (2, 0, 0, Some(30.0)));
    assert_eq!(g(&r.by_owner, "ann"), (3, 1, 1, Some(16.0)));
    assert_eq!(g(&r.by_owner, "bo"), (1, 1, 0, Some(48.0)));
    assert_eq!(r.reasons, vec![("No budget".to_string(), 1)]);
}
