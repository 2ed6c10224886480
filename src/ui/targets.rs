//! Targets and the per-rep table: the manager's views (issue 11). The figures come from
//! `analytics::reps`; this renders them and sends `SetTargets`.

use super::format;
use super::state::{now, use_app, yield_to_browser};
use crate::analytics::reps;
use crate::domain::money::{format_amount, parse_amount, CURRENCIES};
use crate::domain::target::{Metric, Period, Target};
use crate::domain::Command;
use crate::i18n::{fill, K};
use leptos::prelude::*;

fn metric_key(m: Metric) -> K {
    match m {
        Metric::WonAmount => K::MetricWonAmount,
        Metric::WonDeals => K::MetricWonDeals,
        Metric::NewDeals => K::MetricNewDeals,
    }
}

/// A target's value, reached or expected figure as text: money in its currency, or a count.
fn figure(t: &Target, v: f64) -> String {
    match t.metric {
        Metric::WonAmount => format_amount(v.round() as i64, &t.currency),
        _ => format!("{v:.0}"),
    }
}

/// The targets of the shown pipeline with what they reached and what the forecast expects;
/// `edit`: with the form to set and remove them.
#[component]
pub fn TargetsSection(#[prop(optional)] edit: bool) -> impl IntoView {
    let app = use_app();
    // Worked out in a task after the page is drawn: finding how every deal closed reads the
    // whole log (≈ 20 ms at 10,000 deals), which was a quarter of the forecast page's
    // first task, a CPU profile showed.
    let ready = RwSignal::new(false);
    leptos::task::spawn_local(async move {
        yield_to_browser().await;
        ready.try_set(true);
    });
    let rows = Memo::new(move |_| {
        if !ready.get() {
            return None;
        }
        app.track_index();
        let pid = app.pipeline.get()?;
        app.ws.with(|ws| ws.pipeline(&pid).map(|p| reps::attainment_to_date(ws, p, now())))
    });
    // What each row is expected to reach: a forecast per row (a model for the target's
    // owner and 1,000 trials, ≈ 30–50 ms at 10,000 deals), computed one row per task after
    // the table is shown. All of them in the page's first render held it for 150–190 ms.
    // An entry is `None` until computed; a newer table stops the older computation.
    let expected = RwSignal::new(Vec::<Option<Option<(f64, f64, f64)>>>::new());
    let generation = StoredValue::new(0u64);
    Effect::new(move |_| {
        let Some(list) = rows.get() else { return };
        generation.update_value(|g| *g += 1);
        let gen = generation.get_value();
        expected.set(vec![None; list.len()]);
        leptos::task::spawn_local(async move {
            for (i, a) in list.iter().enumerate() {
                yield_to_browser().await;
                // Gone (the page was left) or asked again: stop.
                if generation.try_get_value() != Some(gen) {
                    return;
                }
                let e = app.with_index_untracked(|flow| reps::expectation(flow, &a.target, a.actual, now(), 1_000)).flatten();
                expected.try_update(|v| v.get_mut(i).map(|x| *x = Some(e)));
            }
        });
    });
    let who = move |t: &Target| if t.owner.is_empty() { app.t(K::TeamLabel).to_string() } else { t.owner.clone() };
    let name = move |t: &Target| format!("{} · {} · {}", who(t), app.t(metric_key(t.metric)), t.period.code());
    let remove = move |t: Target| {
        let Some(pid) = app.pipeline.get_untracked() else { return };
        let kept: Vec<Target> = app.ws.with_untracked(|ws| ws.pipeline(&pid).map(|p| p.targets.iter().filter(|x| !x.same_slot(&t)).cloned().collect()).unwrap_or_default());
        let _ = app.dispatch(Command::SetTargets { pipeline: pid, targets: kept });
    };
    view! {
        <section class="targets" aria-labelledby="targets-h">
            <h2 id="targets-h">{move || app.t(K::Targets)}</h2>
            <p class="muted">{move || app.t(K::TargetsIntro)}</p>
            {move || match rows.get() {
                Some(list) if !list.is_empty() => view! {
                    <div class="table-wrap" role="region" tabindex="0" aria-label=move || app.t(K::Targets)>
                        <table aria-label=move || app.t(K::Targets)>
                            <thead><tr>
                                <th scope="col">{move || app.t(K::TargetWho)}</th>
                                <th scope="col">{move || app.t(K::TargetMetric)}</th>
                                <th scope="col">{move || app.t(K::Period)}</th>
                                <th scope="col" class="num">{move || app.t(K::TargetValue)}</th>
                                <th scope="col" class="num">{move || app.t(K::TargetReached)}</th>
                                <th scope="col" class="num">{move || app.t(K::TargetShareH)}</th>
                                <th scope="col">{move || app.t(K::TargetExpected)}</th>
                                {edit.then(|| view! { <th scope="col"><span class="sr-only">{move || app.t(K::RemoveTargetH)}</span></th> })}
                            </tr></thead>
                            <tbody>
                                {list.into_iter().enumerate().map(|(i, a)| {
                                    let t = a.target.clone();
                                    let expected = {
                                        let t = t.clone();
                                        move || match expected.with(|v| v.get(i).copied().flatten()) {
                                            None => app.t(K::Computing).to_string(),
                                            Some(Some((m, lo, hi))) => format!("{} ({} – {})", figure(&t, m), figure(&t, lo), figure(&t, hi)),
                                            Some(None) => app.t(K::TargetOver).to_string(),
                                        }
                                    };
                                    let label = name(&t);
                                    view! {
                                        <tr>
                                            <th scope="row">{who(&t)}</th>
                                            <td>{app.t(metric_key(t.metric))}</td>
                                            <td>{t.period.code()}</td>
                                            <td class="num">{figure(&t, t.value as f64)}</td>
                                            <td class="num">{figure(&t, a.actual as f64)}</td>
                                            <td class="num">
                                                <meter min="0" max="1" value=a.share.min(1.0).to_string() aria-hidden="true"></meter>
                                                {format!(" {:.0}%", a.share * 100.0)}
                                            </td>
                                            <td>{expected}</td>
                                            {edit.then(|| {
                                                let t = t.clone();
                                                view! { <td><button type="button" class="icon danger" aria-label=fill(app.t(K::RemoveTargetNamed), &[("v", label.clone())])
                                                    on:click=move |_| remove(t.clone())>"✕"</button></td> }
                                            })}
                                        </tr>
                                    }
                                }).collect_view()}
                            </tbody>
                        </table>
                    </div>
                }.into_any(),
                _ if !ready.get() => view! { <p class="muted">{app.t(K::Computing)}</p> }.into_any(),
                _ => view! { <p>{app.t(K::NoTargets)}</p> }.into_any(),
            }}
            {edit.then(|| view! { <TargetForm/> })}
        </section>
    }
}

#[component]
fn TargetForm() -> impl IntoView {
    let app = use_app();
    let owner = RwSignal::new(String::new());
    let metric = RwSignal::new(Metric::WonAmount);
    let period = RwSignal::new(Period::month_of(now()).code());
    let value = RwSignal::new(String::new());
    let currency = RwSignal::new(String::new());
    let error = RwSignal::new(None::<String>);
    let owners = Memo::new(move |_| {
        app.ws.with(|ws| {
            let mut v: std::collections::BTreeSet<String> = ws.owners.iter().filter(|o| o.active).map(|o| o.name.clone()).collect();
            v.extend(ws.live_deals().map(|d| d.owner.clone()).filter(|o| !o.is_empty()));
            v.into_iter().collect::<Vec<_>>()
        })
    });
    // The pipeline's usual currency is offered first.
    Effect::new(move |_| {
        let c = app.ws.with(|ws| ws.live_deals().next().map(|d| d.currency.clone())).unwrap_or_else(|| "USD".into());
        currency.set(c);
    });
    let periods = move || {
        let t = now();
        let next_month = {
            let (s, e) = Period::month_of(t).bounds();
            chrono::DateTime::from_timestamp(e + (e - s) / 2, 0).map(Period::month_of)
        };
        let next_quarter = {
            let (_, e) = Period::quarter_of(t).bounds();
            chrono::DateTime::from_timestamp(e + 86_400, 0).map(Period::quarter_of)
        };
        [(K::ThisMonth, Some(Period::month_of(t))), (K::NextMonth, next_month), (K::ThisQuarter, Some(Period::quarter_of(t))), (K::NextQuarter, next_quarter)]
            .into_iter()
            .filter_map(|(k, p)| p.map(|p| (k, p.code())))
            .collect::<Vec<_>>()
    };
    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let lang = app.lang.get_untracked();
        let m = metric.get_untracked();
        let parsed = match m {
            Metric::WonAmount => parse_amount(&value.get_untracked()).ok().flatten(),
            _ => value.get_untracked().trim().replace([',', '，'], "").parse::<i64>().ok(),
        };
        let Some(v) = parsed else {
            error.set(Some(crate::i18n::tr(lang, K::ErrTargetNumber).to_string()));
            return;
        };
        let Some(p) = Period::parse(&period.get_untracked()) else { return };
        let Some(pid) = app.pipeline.get_untracked() else { return };
        let t = Target { owner: owner.get_untracked(), metric: m, period: p, value: v, currency: currency.get_untracked() };
        let mut all: Vec<Target> = app.ws.with_untracked(|ws| ws.pipeline(&pid).map(|p| p.targets.clone()).unwrap_or_default());
        all.push(t);
        match app.dispatch(Command::SetTargets { pipeline: pid, targets: all }) {
            Ok(()) => {
                error.set(None);
                value.set(String::new());
            }
            Err(r) => error.set(Some(crate::i18n::rejection(lang, &r))),
        }
    };
    view! {
        <form class="target-form" on:submit=save>
            <label class="field small">
                <span>{move || app.t(K::TargetWho)}</span>
                <select on:change=move |ev| owner.set(event_target_value(&ev))>
                    <option value="">{move || app.t(K::TeamLabel)}</option>
                    {move || owners.get().into_iter().map(|o| { let v = o.clone(); view! { <option value=v>{o}</option> } }).collect_view()}
                </select>
            </label>
            <label class="field small">
                <span>{move || app.t(K::TargetMetric)}</span>
                <select on:change=move |ev| metric.set(match event_target_value(&ev).as_str() {
                    "won_deals" => Metric::WonDeals,
                    "new_deals" => Metric::NewDeals,
                    _ => Metric::WonAmount,
                })>
                    <option value="won_amount">{move || app.t(K::MetricWonAmount)}</option>
                    <option value="won_deals">{move || app.t(K::MetricWonDeals)}</option>
                    <option value="new_deals">{move || app.t(K::MetricNewDeals)}</option>
                </select>
            </label>
            <label class="field small">
                <span>{move || app.t(K::TargetPeriod)}</span>
                <select on:change=move |ev| period.set(event_target_value(&ev))>
                    {move || periods().into_iter().map(|(k, code)| {
                        let (c2, c3) = (code.clone(), code.clone());
                        view! { <option value=code selected=move || period.get() == c2>{move || fill(app.t(k), &[("v", c3.clone())])}</option> }
                    }).collect_view()}
                </select>
            </label>
            <label class="field small">
                <span>{move || app.t(K::TargetValue)}</span>
                <input type="text" inputmode="decimal" prop:value=move || value.get() on:input=move |ev| value.set(event_target_value(&ev))
                    aria-invalid=move || error.with(Option::is_some).to_string()/>
            </label>
            <Show when=move || metric.get() == Metric::WonAmount>
                <label class="field small">
                    <span>{move || app.t(K::Currency)}</span>
                    <select on:change=move |ev| currency.set(event_target_value(&ev))>
                        {CURRENCIES.into_iter().map(|c| view! { <option value=c selected=move || currency.get() == c>{c}</option> }).collect_view()}
                    </select>
                </label>
            </Show>
            <button type="submit">{move || app.t(K::AddTarget)}</button>
            {move || error.get().map(|e| view! { <p class="error" role="alert">{e}</p> })}
        </form>
    }
}

/// Won and lost per owner and month closed, newest month first.
#[component]
pub fn PerRepSection() -> impl IntoView {
    let app = use_app();
    let rows = Memo::new(move |_| {
        let pid = app.pipeline.get();
        app.ws.with(|ws| pid.and_then(|id| ws.pipeline(&id)).map(|p| reps::per_rep(ws, p, now())).unwrap_or_default())
    });
    let money = |v: &[(String, i64)]| format::totals_text(v);
    view! {
        <section class="reps" aria-labelledby="reps-h">
            <h2 id="reps-h">{move || app.t(K::PerRep)}</h2>
            <div class="table-wrap" role="region" tabindex="0" aria-label=move || app.t(K::PerRep)>
                <table aria-label=move || app.t(K::PerRep)>
                    <thead><tr>
                        <th scope="col">{move || app.t(K::Month)}</th>
                        <th scope="col">{move || app.t(K::Owner)}</th>
                        <th scope="col" class="num">{move || app.t(K::WonCount)}</th>
                        <th scope="col" class="num">{move || app.t(K::WonAmountH)}</th>
                        <th scope="col" class="num">{move || app.t(K::LostCount)}</th>
                        <th scope="col" class="num">{move || app.t(K::LostAmountH)}</th>
                        <th scope="col" class="num">{move || app.t(K::WinRateShort)}</th>
                        <th scope="col" class="num">{move || app.t(K::AvgCycle)}</th>
                    </tr></thead>
                    <tbody>
                        {move || rows.get().into_iter().take(60).map(|r| view! {
                            <tr>
                                <td>{r.month.clone()}</td>
                                <th scope="row">{if r.owner.is_empty() { "—".to_string() } else { r.owner.clone() }}</th>
                                <td class="num">{r.won}</td>
                                <td class="num">{money(&r.won_amount)}</td>
                                <td class="num">{r.lost}</td>
                                <td class="num">{money(&r.lost_amount)}</td>
                                <td class="num">{format!("{:.1}%", r.win_rate * 100.0)}</td>
                                <td class="num">{r.avg_cycle_days.map(|d| format!("{d:.1}")).unwrap_or_else(|| "—".into())}</td>
                            </tr>
                        }).collect_view()}
                    </tbody>
                </table>
            </div>
        </section>
    }
}
