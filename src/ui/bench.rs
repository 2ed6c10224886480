//! Measurement hooks for the e2e harness (`window.wasmBindings.*`). They time the real
//! code paths with `performance.now()` and return JSON; nothing here is used by the UI.

use super::state::AppState;
use crate::analytics::flow::FlowBuilder;
use crate::analytics::{dwell_now, Flow, Query, ReportBuilder};
use crate::domain::{demo, Lang, Places};
use std::cell::RefCell;
use wasm_bindgen::prelude::*;

thread_local! {
    static APP: RefCell<Option<AppState>> = const { RefCell::new(None) };
    /// A workspace generated ahead (`bench_generate`), so timing the board leaves its
    /// generation out.
    static GENERATED: RefCell<Option<crate::domain::Workspace>> = const { RefCell::new(None) };
    static LAST_MOVED: RefCell<String> = const { RefCell::new(String::new()) };
}

pub fn register(app: AppState) {
    APP.with(|a| *a.borrow_mut() = Some(app));
}

fn ms() -> f64 {
    web_sys::window().and_then(|w| w.performance()).map(|p| p.now()).unwrap_or(0.0)
}

/// Full analytics on a generated busy history of `deals` deals (≈10 events each), from
/// scratch seven times (the issue's figures are medians of at least five runs), stepped
/// as the app steps them: the index `MODEL_SLICE` records' worth at a time as opening
/// builds it, the report the dashboard's `SLICE` deals at a time (no yield between: the
/// browser's turns are not the engine's time; it ran each as one call before). The first
/// run is what the engine's first use costs: the browser starts a function in its baseline
/// compiler and swaps in the optimised code at a later call, never during one, and the
/// slices do not make that first run much faster (≈ 1.5× the others, its report ≈ 1.9×,
/// in the clean-clone run that introduced them). The others are what it costs once
/// compiled, as a native benchmark's runs are. The median is reported, each run beside it.
/// Each run builds the index twice, in alternating order: each record's deal found by its
/// id, and taken from where opening the app found it (`Places`, found here once, timed
/// apart: opening finds them while checking the records). Then the stages' dwell alone
/// (`dwell_now`, what the board works out when it opens), three times.
#[wasm_bindgen]
pub fn bench_analytics(deals: u32) -> String {
    use super::dashboard::SLICE as REPORT_SLICE;
    use super::state::MODEL_SLICE;
    const RUNS: usize = 7;
    let now = super::state::now();
    let ws = demo::generate_chain(&demo::BUSY_CHAIN, deals as usize, 7, 7, now, Lang::En);
    let p = &ws.pipelines[0];
    let q = Query::new(now);
    let t = ms();
    let places = Places::find(&ws);
    let find_ms = ms() - t;
    // [build, report] by ids, with places.
    let mut runs: [Vec<(f64, f64)>; 2] = Default::default();
    // The build's phases as the native bench splits them: deals, events and calls, lists
    // (with places, each list is laid out before the events are read and each event put in
    // its place as it is read: that phase is then only the check of each list's order).
    let mut phases: [Vec<String>; 2] = Default::default();
    let mut stages = 0;
    for run in 0..RUNS {
        for placed in [run % 2 == 0, run % 2 != 0] {
            let given = places.clone().filter(|_| placed);
            let t0 = ms();
            let mut b = match given {
                Some(at) => FlowBuilder::with_places(&ws, p, at),
                None => FlowBuilder::new(&ws, p),
            };
            // The deals' budget (5 each) in slices that end where the deals do, so the
            // phases split as before.
            let mut deals_left = ws.deals.len().saturating_mul(5);
            while deals_left > 0 {
                let slice = deals_left.min(MODEL_SLICE);
                b.step(&ws, slice);
                deals_left -= slice;
            }
            let t_deals = ms();
            while !b.step(&ws, MODEL_SLICE) {}
            let t_records = ms();
            let flow = b.finish();
            let t1 = ms();
            let mut report = ReportBuilder::new(&flow, &q);
            while !report.step(&flow, REPORT_SLICE) {}
            let r = report.finish(&flow);
            let t2 = ms();
            runs[placed as usize].push((t1 - t0, t2 - t1));
            phases[placed as usize].push(format!("[{:.1},{:.1},{:.1}]", t_deals - t0, t_records - t_deals, t1 - t_records));
            stages = r.stages.len();
        }
    }
    // What the board works out when it opens (each stage's rotting limit and stuck deals:
    // `dwell_now`), against the full report it used to compute for it: three runs.
    let flow = Flow::build(&ws, p);
    let dwell: Vec<String> = (0..3)
        .map(|_| {
            let t0 = ms();
            std::hint::black_box(dwell_now(&flow, now));
            format!("{:.1}", ms() - t0)
        })
        .collect();
    let summary = |runs: &[(f64, f64)], phases: &[String]| {
        let each: Vec<String> = runs.iter().map(|(b, r)| format!("[{b:.1},{r:.1}]")).collect();
        let mut sorted = runs.to_vec();
        sorted.sort_by(|a, b| (a.0 + a.1).total_cmp(&(b.0 + b.1)));
        let (build, report) = sorted.get(sorted.len() / 2).copied().unwrap_or_default();
        format!(
            "\"build_ms\":{build:.1},\"report_ms\":{report:.1},\"total_ms\":{:.1},\"runs\":[{}],\"phases\":[{}]",
            build + report,
            each.join(","),
            phases.join(",")
        )
    };
    format!(
        "{{\"deals\":{},\"events\":{},\"by_ids\":{{{}}},\"placed\":{{{}}},\"places_found\":{},\"places_find_ms\":{find_ms:.1},\"dwell_now_ms\":[{}],\"stages\":{}}}",
        ws.deals.len(),
        ws.events.len(),
        summary(&runs[0], &phases[0]),
        summary(&runs[1], &phases[1]),
        places.is_some(),
        dwell.join(","),
        stages
    )
}

/// Decoding the board's most numerous records from compact segments as opening does,
/// field by field (`io::direct`), against serde's visitors over the same segments (what it
/// replaced), alternating, three runs each: deals, stage changes and forecast calls of a
/// generated busy history of `deals` deals, cut as an import stores them.
#[wasm_bindgen]
pub fn bench_decode(deals: u32) -> String {
    use crate::io::segments::{kind_of_key, read_now, Cutter, Kind};
    let ws = demo::generate_chain(&demo::BUSY_CHAIN, deals as usize, 7, 7, super::state::now(), Lang::En);
    let cut: Vec<(String, Vec<u8>)> =
        Cutter::all(&ws).into_iter().filter(|(k, _)| matches!(kind_of_key(k), Some(Kind::Deals | Kind::Events | Kind::Calls))).collect();
    let (mut direct, mut serde) = (Vec::new(), Vec::new());
    let (mut read, mut read_by_serde) = (0, 0);
    for _ in 0..3 {
        let t = ms();
        let mut into = crate::domain::Workspace::default();
        for (k, bytes) in &cut {
            read_now(k, bytes, &mut into, &mut Vec::new());
        }
        direct.push(ms() - t);
        read = into.deals.len() + into.events.len() + into.category_changes.len();
        drop(into);
        let t = ms();
        let mut into = crate::domain::Workspace::default();
        for (k, bytes) in &cut {
            crate::io::segments::read_by_serde(k, bytes, &mut into);
        }
        serde.push(ms() - t);
        read_by_serde = into.deals.len() + into.events.len() + into.category_changes.len();
    }
    let list = |v: &[f64]| v.iter().map(|x| format!("{x:.1}")).collect::<Vec<_>>().join(",");
    format!(
        "{{\"records\":{read},\"records_by_serde\":{read_by_serde},\"segments\":{},\"bytes\":{},\"direct_ms\":[{}],\"serde_ms\":[{}]}}",
        cut.len(),
        cut.iter().map(|(_, b)| b.len()).sum::<usize>(),
        list(&direct),
        list(&serde)
    )
}

/// Replaces the in-memory workspace with `deals` demo deals (not stored), for board timing.
#[wasm_bindgen]
pub fn bench_load_board(deals: u32) {
    bench_generate(deals);
    bench_show_generated();
}

/// Generates `deals` demo deals and keeps them for `bench_show_generated`.
#[wasm_bindgen]
pub fn bench_generate(deals: u32) {
    let ws = demo::generate(deals as usize, demo::DEMO_SEED, 9, super::state::now(), Lang::En);
    GENERATED.with(|g| *g.borrow_mut() = Some(ws));
}

/// Replaces the in-memory workspace (not stored) with the one `bench_generate` made: the
/// model, its index and the board, as after opening the app.
#[wasm_bindgen]
pub fn bench_show_generated() {
    let Some(ws) = GENERATED.with(|g| g.borrow_mut().take()) else { return };
    APP.with(|a| {
        if let Some(app) = *a.borrow() {
            app.replace_workspace(ws);
        }
    });
}

/// How many records of each kind the app holds in memory (JSON, keyed as in an export), so
/// a test can check that opening read every record it stored.
#[wasm_bindgen]
pub fn bench_counts() -> String {
    APP.with(|a| {
        let Some(app) = *a.borrow() else { return String::new() };
        app.ws.with_untracked(|ws| {
            format!(
                r#"{{"pipelines": {}, "deals": {}, "events": {}, "category_changes": {}, "activities": {}, "owners": {}, "leads": {}, "accounts": {}, "contacts": {}}}"#,
                ws.pipelines.len(),
                ws.deals.len(),
                ws.events.len(),
                ws.category_changes.len(),
                ws.activities.len(),
                ws.owners.len(),
                ws.leads.len(),
                ws.accounts.len(),
                ws.contacts.len()
            )
        })
    })
}

/// Moves the longest-waiting deal of the first open stage one stage forward through the
/// normal command path (stored in IndexedDB like any move) and returns the target stage's
/// id ("" if none). The deal moved is `bench_last_moved`.
#[wasm_bindgen]
pub fn bench_move() -> String {
    use crate::domain::Command;
    APP.with(|a| {
        let Some(app) = *a.borrow() else { return String::new() };
        let cmd = app.ws.with_untracked(|ws| {
            let p = ws.pipelines.first()?;
            let first = p.first_open_stage()?;
            let next = p.stages.get(p.position(&first.id)? + 1)?.id.clone();
            let d = ws.deals.iter().find(|d| d.stage == first.id)?;
            Some((d.id.clone(), next))
        });
        match cmd {
            Some((deal, to)) => {
                let target = to.to_string();
                LAST_MOVED.with(|l| *l.borrow_mut() = deal.to_string());
                let ok = app.dispatch(Command::MoveDeal { deal, from: None, to, note: String::new(), lost_reason: String::new(), ticked: Vec::new() }).is_ok();
                if ok { target } else { String::new() }
            }
            None => String::new(),
        }
    })
}

/// The deal `bench_move` moved last.
#[wasm_bindgen]
pub fn bench_last_moved() -> String {
    LAST_MOVED.with(|l| l.borrow().clone())
}

/// The stage of a deal in memory ("" if there is no such deal).
#[wasm_bindgen]
pub fn bench_stage_of(deal: &str) -> String {
    APP.with(|a| {
        let Some(app) = *a.borrow() else { return String::new() };
        app.ws.with_untracked(|ws| ws.deal(&crate::domain::Id::from(deal)).map(|d| d.stage.to_string()).unwrap_or_default())
    })
}

/// performance.now() at which the last stored change was committed to memory.
#[wasm_bindgen]
pub fn bench_last_commit_ms() -> f64 {
    use leptos::prelude::GetValue;
    APP.with(|a| a.borrow().map(|app| app.last_commit_ms.get_value()).unwrap_or(0.0))
}

/// The Monte Carlo benchmarks' plan: `open_deals` open deals (random probabilities and
/// amounts) over 30 days, with new deals from the demo history's model.
fn monte_carlo_plan(open_deals: u32) -> crate::forecast::SimPlan {
    use crate::domain::Rng;
    use crate::forecast::{DealScore, Model, SimPlan};
    let now = super::state::now();
    let ws = demo::generate(300, demo::DEMO_SEED, 1, now, Lang::En);
    let flow = Flow::build(&ws, &ws.pipelines[0]);
    let model = Model::estimate(&flow, now.timestamp(), &Default::default());
    let mut rng = Rng::new(11);
    let deals: Vec<DealScore> = (0..open_deals as usize)
        .map(|d| DealScore {
            deal: d,
            id: String::new(),
            title: String::new(),
            stage: String::new(),
            amount: Some(100_000 + rng.below(10_000_000) as i64),
            probability: rng.next_f64(),
            expected: 0.0,
            age_days: 0.0,
            typical_days: None,
            reasons: Vec::new(),
            at_risk: false,
            pooled: false,
            rep_probability: None,
        })
        .collect();
    SimPlan::new(&deals, &model, 30.0, 0, 7)
}

/// Monte Carlo timing on the page's thread, in one go: `trials` simulated periods.
#[wasm_bindgen]
pub fn bench_monte_carlo(open_deals: u32, trials: u32) -> String {
    let plan = monte_carlo_plan(open_deals);
    let t0 = ms();
    let mut sim = crate::forecast::Simulator::from_plan(plan);
    sim.run(trials as usize);
    let r = sim.result();
    let t1 = ms();
    format!("{{\"open_deals\":{open_deals},\"trials\":{trials},\"ms\":{:.1},\"p50\":{:.0},\"mean\":{:.0}}}", t1 - t0, r.p50, r.mean)
}

/// The same run in the engine's worker, as the forecast page makes it: from the request
/// to the answer, the worker's start included; `progress` messages counted.
#[wasm_bindgen]
pub async fn bench_monte_carlo_worker(open_deals: u32, trials: u32) -> String {
    let plan = monte_carlo_plan(open_deals);
    // The plan made in a task of its own: the test counts the page's long tasks from `t0`.
    super::state::yield_to_browser().await;
    let mut messages = 0;
    let t0 = ms();
    let outcome = super::engine::simulate(&plan, trials, |_, _| {
        messages += 1;
        true
    })
    .await;
    let t1 = ms();
    match outcome {
        super::engine::Outcome::Done(r) => format!(
            "{{\"open_deals\":{open_deals},\"trials\":{trials},\"t0\":{t0:.1},\"ms\":{:.1},\"p50\":{:.0},\"mean\":{:.0},\"progress\":{messages}}}",
            t1 - t0,
            r.p50,
            r.mean
        ),
        _ => "{\"error\":\"no worker\"}".to_string(),
    }
}
