//! The forecast page: data-driven range next to the classic methods, per-deal scores,
//! backtest, calibration (with one-click corrected stage probabilities) and what-if.
//! All numbers come from `crate::forecast` on the kept analytics index.

use super::format::date;
use super::state::{now, use_app, yield_to_browser};
use super::{href, View};
use crate::domain::money::format_estimate;
use crate::domain::{Command, Id};
use crate::forecast::backtest::{Backtest, Backtester};
use crate::forecast::{forecast_with, horizon_end, Horizon, Forecast, ForecastQuery, Model, Ranker, Reason, SimPlan, Simulator, WhatIf, MIN_CLOSED_DEALS};
use super::engine::Outcome;
use crate::i18n::{fill, K};
use leptos::prelude::*;

const TRIALS: usize = 10_000;
const TRIAL_SLICE: usize = 2_000;
/// Deal scores listed at first (the best first, by the chosen column), and added per "show
/// more": at 10,000 deals the page's 300 rows were most of the task that draws it (60–108 ms).
const SCORE_ROWS: usize = 100;
const BACKTEST_MONTHS: u32 = 6;

#[derive(Clone, PartialEq)]
struct Results {
    forecast: Forecast,
    backtest: Backtest,
    ranking: Vec<(usize, f64)>,
    stage_names: Vec<String>,
}


#[derive(Clone, Copy, PartialEq)]
enum SortBy {
    Probability,
    Expected,
    Amount,
    Age,
}

#[component]
pub fn ForecastPage() -> impl IntoView {
    let app = use_app();
    let horizon = RwSignal::new(crate::forecast::default_horizon(now()));
    // Forecast as of another moment than now: the newest change of a history that has
    // stopped (an old dataset), on the user's request.
    let as_of_at = RwSignal::new(None::<i64>);
    // Until the user picks a period, the page's default follows the moment forecast from:
    // chosen by today's date, the rest of December on the 1st would be the last day of a
    // history that stopped on 31 December, and read $0.
    let horizon_picked = StoredValue::new(false);
    let set_as_of = move |t: Option<i64>| {
        as_of_at.set(t);
        if !horizon_picked.get_value() {
            let at = t.and_then(|t| chrono::DateTime::from_timestamp(t, 0)).unwrap_or_else(now);
            horizon.set(crate::forecast::default_horizon(at));
        }
    };
    let conv_stage = RwSignal::new(String::new());
    let conv_points = RwSignal::new(5.0f64);
    let fast_stage = RwSignal::new(String::new());
    let fast_days = RwSignal::new(5.0f64);
    let extra = RwSignal::new(0u32);
    let sort = RwSignal::new(SortBy::Expected);
    let results = RwSignal::new(None::<Results>);
    let progress = RwSignal::new(None::<f64>);
    let generation = StoredValue::new(0u64);
    let open_stages = Memo::new(move |_| {
        app.with_index(|f| {
            f.stages
                .iter()
                .enumerate()
                .filter(|(_, s)| s.kind == crate::domain::StageKind::Open && !s.archived)
                .map(|(i, s)| (i, s.name.clone()))
                .collect::<Vec<_>>()
        })
        .unwrap_or_default()
    });

    Effect::new(move |_| {
        let as_of = as_of_at.get().and_then(|t| chrono::DateTime::from_timestamp(t, 0)).unwrap_or_else(now);
        let until = horizon_end(horizon.get(), as_of);
        let parse = |s: String| s.parse::<usize>().ok();
        let what_if = WhatIf {
            conversion: parse(conv_stage.get()).map(|s| (s, conv_points.get())),
            faster: parse(fast_stage.get()).map(|s| (s, fast_days.get())),
            extra_deals: extra.get(),
        };
        app.track_index();
        let gen = generation.get_value() + 1;
        generation.set_value(gen);
        let q = ForecastQuery { as_of: as_of.timestamp(), until, trials: 0, seed: 2026, filter: Default::default(), what_if };
        leptos::task::spawn_local(async move {
            // A piece at a time, yielding to the browser in between (at 10,000 deals all of
            // it at once held the page for a third of a second): the model, the point
            // estimates, each backtest month, each forecast of the ranking, then the Monte
            // Carlo in slices.
            // A newer question (another period, a change to the pipeline) stops this one, and
            // so does leaving the page: its values are gone then, and reading one would panic
            // (the e2e test's "Stage definitions" click while the ranking ran, 1 run in 3).
            // Lets the browser in; true when this question is no longer asked.
            let pause = move || async move {
                yield_to_browser().await;
                generation.try_get_value() != Some(gen)
            };
            // Not in the task that shows the page: it renders first.
            if pause().await {
                return;
            }
            let Some(model) = app.with_index_untracked(|flow| Model::estimate(flow, q.as_of, &q.filter)) else {
                results.set(None);
                return;
            };
            if pause().await {
                return;
            }
            let Some(f) = app.with_index_untracked(|flow| forecast_with(flow, &model, &q)) else {
                results.set(None);
                return;
            };
            // User Timing marks: the perf test prints the long tasks beside them.
            crate::storage::mark("fs:forecast:estimated");
            let mut bt = Backtester::new(q.as_of, BACKTEST_MONTHS, &q.filter);
            loop {
                if pause().await {
                    return;
                }
                match app.with_index_untracked(|flow| bt.step(flow)) {
                    Some(true) => break,
                    Some(false) => {}
                    None => return results.set(None),
                }
            }
            if pause().await {
                return;
            }
            let Some(bt) = app.with_index_untracked(|flow| bt.finish(flow, &model)) else { return results.set(None) };
            crate::storage::mark("fs:forecast:backtested");
            if pause().await {
                return;
            }
            let Some(mut ranker) = app.with_index_untracked(|flow| Ranker::new(flow, &q)) else { return results.set(None) };
            loop {
                match app.with_index_untracked(|flow| ranker.step(flow, &model)) {
                    Some(true) => break,
                    Some(false) => {}
                    None => return results.set(None),
                }
                if pause().await {
                    return;
                }
            }
            let ranking = ranker.finish();
            let Some(stage_names) = app.with_index_untracked(|flow| flow.stages.iter().map(|s| s.name.clone()).collect::<Vec<_>>()) else { return results.set(None) };
            crate::storage::mark("fs:forecast:ranked");
            let plan = SimPlan::new(&f.deals, &model, f.horizon_days, q.what_if.extra_deals, q.seed);
            // The trials in the engine's worker, off this thread; on this thread in slices
            // only where no worker can run them. Same plan and seed: the same figures.
            let wanted = move || generation.try_get_value() == Some(gen);
            let in_worker = super::engine::simulate(&plan, TRIALS as u32, |done, of| {
                wanted() && progress.try_set(Some(done as f64 / of as f64)).is_none()
            });
            let sim = match in_worker.await {
                Outcome::Done(sim) if wanted() => {
                    crate::storage::mark("fs:forecast:engine");
                    sim
                }
                Outcome::Done(_) | Outcome::Stopped => return,
                Outcome::Unavailable => {
                    let mut sim = Simulator::from_plan(plan);
                    while sim.done() < TRIALS {
                        sim.run(TRIAL_SLICE.min(TRIALS - sim.done()));
                        if sim.done() < TRIALS {
                            progress.set(Some(sim.done() as f64 / TRIALS as f64));
                            if pause().await {
                                return;
                            }
                        }
                    }
                    sim.result()
                }
            };
            let forecast = f.with_simulation(&sim, TRIALS);
            crate::storage::mark("fs:forecast:simulated");
            results.set(Some(Results { forecast, backtest: bt, ranking, stage_names }));
            progress.set(None);
        });
    });

    // Forecasts are estimates: whole currency units.
    let money = move |v: f64| results.with(|r| r.as_ref().map(|r| format_estimate(v, &r.forecast.currency))).unwrap_or_default();
    // A memo: the page below is rebuilt only when this answer changes, not on every result.
    let enough = Memo::new(move |_| results.with(|r| r.as_ref().map(|r| r.forecast.closed_deals >= MIN_CLOSED_DEALS)));
    let number_input = move |label: K, sig: RwSignal<f64>| {
        view! {
            <label class="field small">
                <span>{move || app.t(label)}</span>
                <input type="number" min="0" step="1" prop:value=move || sig.get().to_string()
                    on:change=move |ev| {
                        if let Ok(v) = event_target_value(&ev).trim().parse::<f64>() {
                            sig.set(v.clamp(0.0, 365.0));
                        }
                    }/>
            </label>
        }
    };
    let stage_select = move |label: K, sig: RwSignal<String>| {
        view! {
            <label class="field">
                <span>{move || app.t(label)}</span>
                <select on:change=move |ev| sig.set(event_target_value(&ev))>
                    <option value="" selected=move || sig.with(String::is_empty)>{move || app.t(K::NoChange)}</option>
                    {move || open_stages.get().into_iter().map(|(i, name)| {
                        view! { <option value=i.to_string() selected=move || sig.get() == i.to_string()>{name}</option> }
                    }).collect_view()}
                </select>
            </label>
        }
    };

    view! {
        <section class="page forecast">
            <h1>{move || app.t(K::Forecast)}</h1>
            <div class="controls">
                <label class="field">
                    <span>{move || app.t(K::ForecastPeriod)}</span>
                    <select on:change=move |ev| {
                        horizon_picked.set_value(true);
                        horizon.set(match event_target_value(&ev).as_str() {
                            "30" => Horizon::Days30,
                            "90" => Horizon::Days90,
                            "quarter" => Horizon::RestOfQuarter,
                            _ => Horizon::RestOfMonth,
                        })
                    }>
                        <option value="month" selected=move || horizon.get() == Horizon::RestOfMonth>{move || app.t(K::RestOfMonth)}</option>
                        <option value="quarter" selected=move || horizon.get() == Horizon::RestOfQuarter>{move || app.t(K::RestOfQuarter)}</option>
                        <option value="30" selected=move || horizon.get() == Horizon::Days30>{move || app.t(K::Next30)}</option>
                        <option value="90" selected=move || horizon.get() == Horizon::Days90>{move || app.t(K::Next90)}</option>
                    </select>
                </label>
            </div>
            {move || as_of_at.get().and_then(|t| chrono::DateTime::from_timestamp(t, 0)).map(|t| view! {
                <p class="banner" role="note">
                    {fill(app.t(K::ForecastAsOfNote), &[("date", date(t.date_naive()))])}
                    " "
                    <button type="button" class="link" on:click=move |_| set_as_of(None)>{app.t(K::ForecastFromToday)}</button>
                </p>
            })}
            {move || results.with(|r| r.as_ref().and_then(|r| r.forecast.stale_since.map(|t| (t, r.forecast.expected_open + r.forecast.expected_new))))
                .filter(|_| as_of_at.with(Option::is_none))
                .and_then(|(t, total)| chrono::DateTime::from_timestamp(t, 0).map(|at| (t, at, total)))
                .map(|(t, at, total)| view! {
                    <div class="banner warn" role="note">
                        <p>{fill(app.t(K::StaleHistory), &[
                            ("date", date(at.date_naive())),
                            ("n", ((now().timestamp() - t) / 86_400).to_string()),
                            ("total", money(total)),
                        ])}</p>
                        <button type="button" on:click=move |_| set_as_of(Some(t))>{fill(app.t(K::ForecastFromThen), &[("date", date(at.date_naive()))])}</button>
                    </div>
                })}
            {move || progress.get().map(|p| view! {
                <div class="progress" role="status">
                    <span>{app.t(K::Simulating)}</span>
                    <progress max="100" value=format!("{:.0}", p * 100.0)>{format!("{:.0}%", p * 100.0)}</progress>
                </div>
            })}
            {move || match enough.get() {
                None => None,
                Some(false) => Some(view! {
                    <div class="callout" role="status">
                        <h2>{app.t(K::NotEnoughHistoryTitle)}</h2>
                        <p>{fill(app.t(K::NotEnoughHistoryBody), &[
                            ("n", results.with(|r| r.as_ref().map(|r| r.forecast.closed_deals).unwrap_or(0)).to_string()),
                            ("min", MIN_CLOSED_DEALS.to_string()),
                        ])}</p>
                    </div>
                    <div class="callouts">
                        {move || results.with(|r| r.as_ref().map(|r| view! {
                            <super::rates::ConversionNote conversion=r.forecast.conversion.clone() currency=r.forecast.currency.clone() left_out=0/>
                            <Classic forecast=r.forecast.clone() money=money/>
                        }))}
                    </div>
                }.into_any()),
                Some(true) => Some(view! {
                    <Summary results=results money=money/>
                    <h2>{app.t(K::WhatIf)}</h2>
                    <div class="controls">
                        {stage_select(K::ImproveConversionAt, conv_stage)}
                        {number_input(K::ByPoints, conv_points)}
                        {stage_select(K::ShortenDwellAt, fast_stage)}
                        {number_input(K::ByDays, fast_days)}
                        <label class="field small">
                            <span>{app.t(K::ExtraDeals)}</span>
                            <input type="number" min="0" max="100000" prop:value=move || extra.get().to_string()
                                on:change=move |ev| {
                                    if let Ok(v) = event_target_value(&ev).trim().parse::<u32>() {
                                        extra.set(v.min(100_000));
                                    }
                                }/>
                        </label>
                    </div>
                    <Ranking results=results money=money/>
                    <h2>{app.t(K::DealScores)}</h2>
                    <DealScores results=results sort=sort money=money/>
                    <h2>{app.t(K::Backtest)}</h2>
                    <p class="muted small">{app.t(K::BacktestExplain)}</p>
                    <BacktestTable results=results money=money/>
                    <h2>{app.t(K::Calibration)}</h2>
                    <Reliability results=results/>
                    <StageCalibration results=results/>
                }.into_any()),
            }}
            <super::targets::TargetsSection/>
        </section>
    }
}

#[component]
fn Summary(results: RwSignal<Option<Results>>, money: impl Fn(f64) -> String + Copy + Send + Sync + 'static) -> impl IntoView {
    let app = use_app();
    move || {
        results.with(|r| r.as_ref().map(|r| {
            let f = &r.forecast;
            let total = f.expected_open + f.expected_new;
            view! {
                <div class="callouts">
                    <article class="callout" title=fill(app.t(K::ExpectedTip), &[("n", f.deals.len().to_string())])>
                        <h3>{app.t(K::ExpectedRevenue)}</h3>
                        <p class="big">{money(total)}</p>
                        <p class="small muted">{fill(app.t(K::OpenPlusNew), &[("open", money(f.expected_open)), ("new", money(f.expected_new))])}</p>
                    </article>
                    <article class="callout" title=fill(app.t(K::RangeTip), &[("t", f.trials.to_string())])>
                        <h3>{app.t(K::Range)}</h3>
                        <p class="big">{format!("{} – {}", money(f.p10), money(f.p90))}</p>
                        <p class="small muted">{fill(app.t(K::MedianLine), &[("p50", money(f.p50)), ("t", f.trials.to_string())])}</p>
                    </article>
                    <Classic forecast=f.clone() money=money/>
                </div>
                <super::rates::ConversionNote conversion=f.conversion.clone() currency=f.currency.clone() left_out=0/>
                {(f.unpriced.0 > 0).then(|| view! {
                    <p class="banner" role="note">{fill(app.t(K::UnpricedDeals), &[("n", f.unpriced.0.to_string()), ("w", format!("{:.0}", f.unpriced.1))])}</p>
                })}
                {(f.pooled_deals > 0).then(|| view! {
                    <p class="banner warn" role="note">{fill(app.t(K::PooledWarning), &[("n", f.pooled_deals.to_string())])}</p>
                })}
            }
        }))
    }
}

/// The weighted pipeline and the reps' commit: they need no history, so they are shown
/// even when the data-driven forecast is not; deals they cannot place are counted.
#[component]
fn Classic(forecast: Forecast, money: impl Fn(f64) -> String + Copy + Send + Sync + 'static) -> impl IntoView {
    let app = use_app();
    let f = forecast;
    view! {
        <article class="callout" title=app.t(K::WeightedTip)>
            <h3>{app.t(K::WeightedPipeline)}</h3>
            <p class="big">{money(f.weighted)}</p>
            <p class="small muted">{fill(app.t(K::CommitLine), &[("commit", money(f.commit)), ("best", money(f.best_case))])}</p>
            {(f.undated.0 > 0).then(|| view! {
                <p class="small" role="note">{fill(app.t(K::UndatedDeals), &[("n", f.undated.0.to_string()), ("v", money(f.undated.1))])}</p>
            })}
        </article>
    }
}

#[component]
fn Ranking(results: RwSignal<Option<Results>>, money: impl Fn(f64) -> String + Copy + Send + Sync + 'static) -> impl IntoView {
    let app = use_app();
    move || {
        results.with(|r| r.as_ref().map(|r| {
            view! {
                <h3>{app.t(K::WhereToCoach)}</h3>
                <ol class="ranking" aria-label=app.t(K::WhereToCoach)>
                    {r.ranking.iter().map(|&(s, v)| view! {
                        <li>{fill(app.t(K::CoachLine), &[("stage", r.stage_names[s].clone()), ("v", money(v))])}</li>
                    }).collect_view()}
                </ol>
            }
        }))
    }
}

fn reason_text(app: super::AppState, r: Reason, d: &crate::forecast::DealScore, h: f64) -> String {
    let t = |k| app.t(k);
    match r {
        Reason::Stage => fill(t(K::ReasonStage), &[("p", format!("{:.0}%", d.probability * 100.0)), ("stage", d.stage.clone()), ("d", format!("{h:.0}"))]),
        Reason::Overdue => fill(t(K::ReasonOverdue), &[("d", format!("{:.0}", d.age_days)), ("typ", d.typical_days.map_or("—".into(), |x| format!("{x:.0}")))]),
        Reason::Fresh => fill(t(K::ReasonFresh), &[("d", format!("{:.0}", d.age_days)), ("typ", d.typical_days.map_or("—".into(), |x| format!("{x:.0}")))]),
        Reason::LargeAmount => t(K::ReasonLarge).into(),
        Reason::OwnerStrong => t(K::ReasonOwnerStrong).into(),
        Reason::OwnerWeak => t(K::ReasonOwnerWeak).into(),
        Reason::SourceStrong => t(K::ReasonSourceStrong).into(),
        Reason::SourceWeak => t(K::ReasonSourceWeak).into(),
        Reason::Pooled => t(K::ReasonPooled).into(),
    }
}

#[component]
fn DealScores(results: RwSignal<Option<Results>>, sort: RwSignal<SortBy>, money: impl Fn(f64) -> String + Copy + Send + Sync + 'static) -> impl IntoView {
    let app = use_app();
    let rows = RwSignal::new(SCORE_ROWS);
    let header = move |k: K, by: SortBy| {
        view! {
            <th scope="col" aria-sort=move || if sort.get() == by { "descending" } else { "none" }>
                <button class="link" on:click=move |_| sort.set(by)>{app.t(k)}</button>
            </th>
        }
    };
    // Open deals not listed. The button stays one element (its text and visibility change),
    // so it keeps the focus while it adds rows.
    let hidden = move || results.with(|r| r.as_ref().map_or(0, |r| r.forecast.deals.len().saturating_sub(rows.get())));
    let table = move || {
        results.with(|r| r.as_ref().map(|r| {
            let h = r.forecast.horizon_days;
            // The first rows in order, without copying every deal's score (5,000 open deals at
            // 10,000) or reading the sort signal per comparison. Ties: by title, then as
            // listed, as the stable sort of the whole list had them.
            let by = sort.get();
            let key = |d: &crate::forecast::DealScore| match by {
                SortBy::Probability => d.probability,
                SortBy::Expected => d.expected,
                SortBy::Amount => d.amount.unwrap_or(0) as f64,
                SortBy::Age => d.age_days,
            };
            let mut deals: Vec<(usize, &crate::forecast::DealScore)> = r.forecast.deals.iter().enumerate().collect();
            let total = deals.len();
            let shown = rows.get().min(total);
            let order = |a: &(usize, &crate::forecast::DealScore), b: &(usize, &crate::forecast::DealScore)| {
                key(b.1).total_cmp(&key(a.1)).then_with(|| a.1.title.cmp(&b.1.title)).then(a.0.cmp(&b.0))
            };
            if deals.len() > shown {
                deals.select_nth_unstable_by(shown, order);
                deals.truncate(shown);
            }
            deals.sort_unstable_by(order);
            view! {
                <div class="table-wrap" tabindex="0" role="region" aria-label=app.t(K::DealScores)>
                    <table class="data scores" aria-label=app.t(K::DealScores)>
                        <thead>
                            <tr>
                                <th scope="col">{app.t(K::DealTitle)}</th>
                                <th scope="col">{app.t(K::Stage)}</th>
                                {header(K::Probability, SortBy::Probability)}
                                {header(K::ExpectedValue, SortBy::Expected)}
                                {header(K::Amount, SortBy::Amount)}
                                {header(K::DaysInStage, SortBy::Age)}
                                <th scope="col">{app.t(K::Reasons)}</th>
                            </tr>
                        </thead>
                        <tbody>
                            {deals.into_iter().map(|(_, d)| {
                                let reasons = d.reasons.iter().map(|&x| reason_text(app, x, &d, h)).collect::<Vec<_>>().join(" · ");
                                view! {
                                    <tr class:at-risk=d.at_risk>
                                        <th scope="row">
                                            <a href=href(View::Deal(Id::from(d.id.clone())))>{d.title.clone()}</a>
                                            {d.at_risk.then(|| view! { <span class="risk" title=app.t(K::AtRiskTip)>{format!(" ⚠ {}", app.t(K::AtRisk))}</span> })}
                                        </th>
                                        <td>{d.stage.clone()}</td>
                                        <td class="num">{format!("{:.0}%", d.probability * 100.0)}
                                            {d.rep_probability.map(|p| view! { <br/><span class="muted small">{fill(app.t(K::RepProbability), &[("p", p.to_string())])}</span> })}</td>
                                        <td class="num">{money(d.expected)}</td>
                                        <td class="num">{d.amount.map(|a| money(a as f64)).unwrap_or_else(|| "—".into())}</td>
                                        <td class="num">{format!("{:.0}", d.age_days)}</td>
                                        <td class="small">{reasons}</td>
                                    </tr>
                                }
                            }).collect_view()}
                        </tbody>
                    </table>
                </div>
            }
        }))
    };
    view! {
        {table}
        <button type="button" class="more" hidden=move || hidden() == 0 on:click=move |_| rows.update(|n| *n += SCORE_ROWS)>
            {move || fill(app.t(K::ShowMore), &[("n", hidden().min(SCORE_ROWS).to_string()), ("hidden", hidden().to_string())])}
        </button>
    }
}

#[component]
fn BacktestTable(results: RwSignal<Option<Results>>, money: impl Fn(f64) -> String + Copy + Send + Sync + 'static) -> impl IntoView {
    let app = use_app();
    let pct = |v: Option<f64>| v.map_or("—".to_string(), |x| format!("{:.0}%", x * 100.0));
    let bias = |v: Option<f64>| v.map_or("—".to_string(), |x| format!("{:+.0}%", x * 100.0));
    move || {
        results.with(|r| r.as_ref().map(|r| {
            let bt = &r.backtest;
            view! {
                <div class="table-wrap" tabindex="0" role="region" aria-label=app.t(K::Backtest)>
                    <table class="data" aria-label=app.t(K::Backtest)>
                        <thead>
                            <tr>
                                <th scope="col">{app.t(K::Month)}</th>
                                <th scope="col">{app.t(K::ActualWon)}</th>
                                <th scope="col">{app.t(K::DataDriven)}</th>
                                <th scope="col">{app.t(K::WeightedPipeline)}</th>
                                <th scope="col">{app.t(K::RepsCommit)}</th>
                            </tr>
                        </thead>
                        <tbody>
                            {bt.periods.iter().map(|p| view! {
                                <tr>
                                    <th scope="row">{p.start.format("%Y-%m").to_string()}</th>
                                    <td class="num">{money(p.actual)}</td>
                                    <td class="num">{money(p.data_driven)}</td>
                                    <td class="num">{money(p.weighted)}</td>
                                    <td class="num">{money(p.commit)}</td>
                                </tr>
                            }).collect_view()}
                        </tbody>
                        <tfoot>
                            <tr>
                                <th scope="row">"MAPE"</th>
                                <td></td>
                                <td class="num">{pct(bt.data_driven.mape)}</td>
                                <td class="num">{pct(bt.weighted.mape)}</td>
                                <td class="num">{pct(bt.commit.mape)}</td>
                            </tr>
                            <tr>
                                <th scope="row">{app.t(K::Bias)}</th>
                                <td></td>
                                <td class="num">{bias(bt.data_driven.bias)}</td>
                                <td class="num">{bias(bt.weighted.bias)}</td>
                                <td class="num">{bias(bt.commit.bias)}</td>
                            </tr>
                        </tfoot>
                    </table>
                </div>
                <p class="muted small">{app.t(K::BacktestFieldsNote)}</p>
            }
        }))
    }
}

/// Reliability chart: predicted probability (x) against how often such deals won (y).
#[component]
fn Reliability(results: RwSignal<Option<Results>>) -> impl IntoView {
    let app = use_app();
    move || {
        results.with(|r| r.as_ref().map(|r| {
            // Room on the left for the "100%" label (it was cut to "00%").
            let s = |v: f64| 42.0 + 190.0 * v;
            let y = |v: f64| 220.0 - 200.0 * v;
            let dots = r
                .backtest
                .calibration
                .iter()
                .map(|b| {
                    let tip = fill(app.t(K::BucketTip), &[
                        ("from", format!("{:.0}", b.from * 100.0)),
                        ("to", format!("{:.0}", b.to * 100.0)),
                        ("p", format!("{:.0}%", b.mean_predicted * 100.0)),
                        ("r", format!("{:.0}%", b.realized * 100.0)),
                        ("n", b.n.to_string()),
                    ]);
                    let radius = 3.0 + (b.n as f64).sqrt().min(12.0);
                    view! { <circle cx=s(b.mean_predicted) cy=y(b.realized) r=radius class="dot"><title>{tip}</title></circle> }
                })
                .collect_view();
            view! {
                <svg class="chart reliability" viewBox="0 0 250 250" role="img" aria-label=app.t(K::ReliabilityChart)>
                    <line x1=s(0.0) y1=y(0.0) x2=s(1.0) y2=y(1.0) class="grid"/>
                    <line x1=s(0.0) y1=y(0.0) x2=s(1.0) y2=y(0.0) class="axis"/>
                    <line x1=s(0.0) y1=y(0.0) x2=s(0.0) y2=y(1.0) class="axis"/>
                    <text x=s(0.0) y="238" class="axis-label">"0%"</text>
                    <text x=s(1.0) y="238" class="axis-label" text-anchor="end">"100%"</text>
                    <text x=s(0.5) y="249" class="axis-label" text-anchor="middle">{app.t(K::Predicted)}</text>
                    <text x="38" y=y(1.0) + 4.0 class="axis-label" text-anchor="end">"100%"</text>
                    {dots}
                </svg>
            }
        }))
    }
}

#[component]
fn StageCalibration(results: RwSignal<Option<Results>>) -> impl IntoView {
    let app = use_app();
    let applied = RwSignal::new(None::<String>);
    let apply = move |changes: Vec<(usize, u8)>| {
        let Some(pid) = app.pipeline.get_untracked() else { return };
        let Some(mut p) = app.ws.with_untracked(|ws| ws.pipeline(&pid).cloned()) else { return };
        let base = Some(p.clone());
        // The editor's rule: save the active stages; archived ones are kept by the domain.
        let index_ids = app.with_index_untracked(|f| f.stages.iter().map(|s| s.id.clone()).collect::<Vec<_>>()).unwrap_or_default();
        for (i, v) in changes {
            if let Some(id) = index_ids.get(i) {
                if let Some(s) = p.stages.iter_mut().find(|s| &s.id == id) {
                    s.probability = v;
                }
            }
        }
        p.stages.retain(|s| !s.archived);
        match app.dispatch(Command::SavePipeline { pipeline: p, base }) {
            Ok(()) => applied.set(Some(app.t(K::ProbabilitiesApplied).to_string())),
            Err(e) => applied.set(Some(e.iter().map(|(_, e)| crate::i18n::error_message(app.lang.get_untracked(), e)).collect::<Vec<_>>().join(" "))),
        }
    };
    move || {
        results.with(|r| r.as_ref().map(|r| {
            let all: Vec<(usize, u8)> = r.backtest.stages.iter().filter_map(|s| s.suggested.filter(|v| *v != s.set).map(|v| (s.stage, v))).collect();
            view! {
                <div class="table-wrap" tabindex="0" role="region" aria-label=app.t(K::StageProbabilities)>
                    <table class="data" aria-label=app.t(K::StageProbabilities)>
                        <thead>
                            <tr>
                                <th scope="col">{app.t(K::Stage)}</th>
                                <th scope="col">{app.t(K::SetProbability)}</th>
                                <th scope="col">{app.t(K::RealizedRate)}</th>
                                <th scope="col">{app.t(K::Suggested)}</th>
                                <th scope="col"></th>
                            </tr>
                        </thead>
                        <tbody>
                            {r.backtest.stages.iter().map(|s| {
                                let stage = s.stage;
                                let sug = s.suggested;
                                let name = s.name.clone();
                                view! {
                                    <tr>
                                        <th scope="row">{s.name.clone()}</th>
                                        <td class="num">{format!("{}%", s.set)}</td>
                                        <td class="num" title=fill(app.t(K::RealizedTip), &[("n", s.n.to_string())])>{s.realized.map_or("—".into(), |v| format!("{:.0}%", v * 100.0))}</td>
                                        <td class="num">{sug.map_or("—".into(), |v| format!("{v}%"))}</td>
                                        <td>{(sug.is_some_and(|v| v != s.set)).then(|| view! {
                                            <button aria-label=fill(app.t(K::ApplyFor), &[("stage", name.clone())])
                                                on:click=move |_| apply(vec![(stage, sug.unwrap_or(0))])>{app.t(K::Apply)}</button>
                                        })}</td>
                                    </tr>
                                }
                            }).collect_view()}
                        </tbody>
                    </table>
                </div>
                {(!all.is_empty()).then(|| view! {
                    <button class="primary" on:click=move |_| apply(all.clone())>{app.t(K::ApplyAll)}</button>
                })}
                {move || applied.get().map(|m| view! { <p role="status" class="ok">{m}</p> })}
            }
        }))
    }
}
