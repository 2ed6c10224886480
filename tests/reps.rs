//! The per-rep table and target attainment (issue 11), computed by hand.

mod common;
use common::*;
use funnelscope::analytics::reps::{attainment, attainment_to_date, per_rep};
use funnelscope::analytics::Flow;
use funnelscope::domain::target::{Metric, Period, Target};

/// B2B stages: 0 Qualification … 4 Won, 5 Lost; t0 = 2026-01-01, day 35 = 5 February.
fn team() -> Fixture {
    let mut f = Fixture::new();
    f.deal("W1", Some(100_000), "Ann", &[(0, 0), (10, 4)]); // won 11 Jan, 10 days
    f.deal("W2", Some(300_000), "Ann", &[(5, 0), (25, 2), (35, 4)]); // won 5 Feb, 30 days
    f.deal("L1", Some(50_000), "Ann", &[(2, 0), (20, 5)]); // lost 21 Jan
    f.deal("W3", Some(200_000), "Bo", &[(1, 0), (15, 4)]); // won 16 Jan, 14 days
    f.deal("O1", None, "Bo", &[(3, 0)]); // open
    f.deal("W4", None, "Bo", &[(40, 0), (50, 4)]); // won 20 Feb, no amount, 10 days
    f
}

fn target(owner: &str, metric: Metric, period: &str, value: i64, currency: &str) -> Target {
    Target { owner: owner.into(), metric, period: Period::parse(period).unwrap(), value, currency: currency.into() }
}

#[test]
fn per_rep_counts_wins_losses_amounts_rate_and_cycle_by_closing_month() {
    let f = team();
    let rows = per_rep(&f.ws, f.p(), day(60));
    let got: Vec<(&str, &str, usize, Vec<(String, i64)>, usize, Vec<(String, i64)>, f64, Option<f64>)> = rows
        .iter()
        .map(|r| (r.month.as_str(), r.owner.as_str(), r.won, r.won_amount.clone(), r.lost, r.lost_amount.clone(), r.win_rate, r.avg_cycle_days))
        .collect();
    let usd = |a: i64| vec![("USD".to_string(), a)];
    assert_eq!(
        got,
        vec![
            ("2026-02", "Ann", 1, usd(300_000), 0, vec![], 1.0, Some(30.0)),
            ("2026-02", "Bo", 1, vec![], 0, vec![], 1.0, Some(10.0)),
            // Ann in January: 1 won, 1 lost → 1 ÷ 2.
            ("2026-01", "Ann", 1, usd(100_000), 1, usd(50_000), 0.5, Some(10.0)),
            ("2026-01", "Bo", 1, usd(200_000), 0, vec![], 1.0, Some(14.0)),
        ]
    );
    // As of 31 January, February's wins have not happened.
    assert!(per_rep(&f.ws, f.p(), day(30)).iter().all(|r| r.month == "2026-01"));
}

#[test]
fn attainment_to_date_counts_the_period_the_owner_and_the_currency() {
    let mut f = team();
    f.ws.pipelines[0].targets = vec![
        // January, team, won amount: W1 $1,000 + W3 $2,000 = $3,000 of $5,000 → 60%.
        target("", Metric::WonAmount, "2026-01", 500_000, "USD"),
        // Ann's February wins: W2 → 1 of 2.
        target("Ann", Metric::WonDeals, "2026-02", 2, ""),
        // Q1 new deals, team: all six created in January–February → 6 of 10.
        target("", Metric::NewDeals, "2026-Q1", 10, ""),
        // A yuan target counts no dollar deal.
        target("", Metric::WonAmount, "2026-02", 100_000, "CNY"),
    ];
    let a = attainment_to_date(&f.ws, f.p(), day(60));
    assert_eq!(a.iter().map(|x| (x.actual, x.share)).collect::<Vec<_>>(), vec![(300_000, 0.6), (1, 0.5), (6, 0.6), (0, 0.0)]);
    // A trashed deal no longer counts: W3 out → $1,000.
    let w3 = f.ws.deals.iter().position(|d| d.title == "W3").unwrap();
    f.ws.deals[w3].deleted_at = Some(day(61));
    assert_eq!(attainment_to_date(&f.ws, f.p(), day(61))[0].actual, 100_000);
}

#[test]
fn a_period_under_way_gets_the_forecasts_expectation() {
    let mut f = team();
    f.ws.pipelines[0].targets = vec![target("", Metric::NewDeals, "2026-Q1", 10, ""), target("", Metric::WonDeals, "2026-01", 3, "")];
    let flow = Flow::build(&f.ws, f.p());
    let a = attainment(&f.ws, &flow, f.p(), day(60), 500);
    // Q1 is under way on 2 March (day 60): six deals arrived in the last 90 days → 6/90 a
    // day; 30 days left to 1 April → 2 more expected, 8 in all; Poisson sd √2 = 1.414,
    // ± 1.2816 sd → 6.19 … 9.81.
    let (mean, lo, hi) = a[0].expected.unwrap();
    assert!((mean - 8.0).abs() < 1e-9, "{mean}");
    assert!((lo - (8.0 - 1.2816 * 2f64.sqrt())).abs() < 1e-9 && (hi - (8.0 + 1.2816 * 2f64.sqrt())).abs() < 1e-9);
    // January is over: no expectation, only the actual (W1, W3 won in January).
    assert_eq!((a[1].actual, a[1].expected), (2, None));
}
