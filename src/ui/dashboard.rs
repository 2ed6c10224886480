//! The analytics dashboard: the pure `analytics::report` over the live workspace, so it
//! recomputes as soon as a deal moves. Filters, period and comparison are view state.

use super::charts::{DwellChart, FunnelChart, WinCurves};
use super::state::{now, reports_in_slices, use_app, Sliced};
use super::{href, View};
use crate::analytics::{deals_reaching, Conversion, DealFilter, Period, Query, ReachMode, Report, SMALL_SAMPLE};
use crate::domain::money::format_amount;
use crate::i18n::{fill, K};
use leptos::prelude::*;
use std::collections::BTreeSet;

/// Deals per slice: about 10 ms of work in the browser on a busy history.
pub(crate) const SLICE: usize = 10_000;


fn pct(v: Option<f64>) -> String {
    v.map(|x| format!("{:.1}%", x * 100.0)).unwrap_or_else(|| "—".into())
}

fn delta(a: Option<f64>, b: Option<f64>) -> String {
    match (a, b) {
        (Some(a), Some(b)) => format!("{:+.1}", (a - b) * 100.0),
        _ => "—".into(),
    }
}

#[derive(Clone, Copy, PartialEq)]
enum Preset {
    All,
    Days(i64),
}

#[component]
pub fn Dashboard() -> impl IntoView {
    let app = use_app();
    let preset = RwSignal::new(Preset::All);
    let compare = RwSignal::new(false);
    let strict = RwSignal::new(false);
    let owner = RwSignal::new(String::new());
    let source = RwSignal::new(String::new());
    let tag = RwSignal::new(String::new());
    let custom_t = RwSignal::new(45u32);
    let picked = RwSignal::new(None::<(String, String)>);
    let from_lead = RwSignal::new(false);

    let query = Memo::new(move |_| {
        let as_of = now();
        let mut q = Query::new(as_of);
        q.period = match preset.get() {
            Preset::All => None,
            Preset::Days(d) => Some(Period::last_days(as_of, d)),
        };
        q.mode = if strict.get() { ReachMode::Strict } else { ReachMode::Reached };
        let opt = |s: String| (!s.is_empty()).then_some(s);
        q.filter = DealFilter { owner: opt(owner.get()), source: opt(source.get()), tag: opt(tag.get()) };
        // 365 days: the conversion table's unbiased "won within a year" column.
        let mut horizons = vec![30, 60, 90, LONG_HORIZON, custom_t.get().clamp(1, 3650)];
        horizons.sort_unstable();
        horizons.dedup();
        q.horizons = horizons;
        q
    });
    // The report (and the comparison period's) on the kept index, computed in slices of
    // deals: small pipelines finish in one slice; large ones yield to the browser between
    // slices and show progress. A newer query or a move abandons the running computation.
    let results = RwSignal::new((None::<Report>, None::<Report>));
    let progress = RwSignal::new(None::<f64>);
    let generation = StoredValue::new(0u64);
    Effect::new(move |_| {
        let q = query.get();
        let prev_q = match (compare.get(), q.period) {
            (true, Some(p)) => Some(Query { period: Some(p.previous()), ..q.clone() }),
            _ => None,
        };
        app.track_index();
        let gen = generation.get_value() + 1;
        generation.set_value(gen);
        leptos::task::spawn_local(async move {
            let queries: Vec<Query> = std::iter::once(q).chain(prev_q).collect();
            // Asked again, or the page was left (its values are gone: reading one would panic).
            let current = move || generation.try_get_value() == Some(gen);
            match reports_in_slices(app, &queries, SLICE, move |p| progress.set(Some(p)), current).await {
                Sliced::NoIndex => results.set((None, None)),
                Sliced::Abandoned => return,
                Sliced::Done(reports) => {
                    let mut reports = reports.into_iter();
                    let (a, b) = (reports.next(), reports.next());
                    results.set((a, b));
                }
            }
            progress.set(None);
        });
    });
    let current = Memo::new(move |_| results.with(|r| r.0.clone()));
    let previous = Memo::new(move |_| results.with(|r| r.1.clone()));
    let options = Memo::new(move |_| {
        app.ws.with(|ws| {
            let mut o = (BTreeSet::new(), BTreeSet::new(), BTreeSet::new());
            for d in &ws.deals {
                o.0.insert(d.owner.clone());
                o.1.insert(d.source.clone());
                o.2.extend(d.tags.iter().cloned());
            }
            for s in [&mut o.0, &mut o.1] {
                s.remove("");
            }
            (o.0.into_iter().collect::<Vec<_>>(), o.1.into_iter().collect::<Vec<_>>(), o.2.into_iter().collect::<Vec<_>>())
        })
    });
    let picked_deals = Memo::new(move |_| {
        let (stage, name) = picked.get()?;
        let q = query.get();
        let deals = app.with_index(|f| deals_reaching(f, &q, &stage))?;
        Some((name, deals))
    });
    let on_pick = Callback::new(move |s: (String, String)| picked.set(Some(s)));
    // "Start at lead": the leads of the same period (and owner / source), followed to Won.
    let lead_cohort = Memo::new(move |_| {
        if !from_lead.get() {
            return None;
        }
        let q = query.get();
        let pid = app.pipeline.get()?;
        app.ws.with(|ws| ws.pipeline(&pid).map(|p| crate::analytics::leads::lead_cohort(ws, p, &q)))
    });
    let max_days = Signal::derive(move || query.with(|q| q.horizons.iter().copied().max().unwrap_or(90)));

    let select = move |label: K, sig: RwSignal<String>, pick: fn(&(Vec<String>, Vec<String>, Vec<String>)) -> &Vec<String>| {
        view! {
            <label class="field">
                <span>{move || app.t(label)}</span>
                <select on:change=move |ev| sig.set(event_target_value(&ev))>
                    <option value="" selected=move || sig.with(String::is_empty)>{move || app.t(K::Everyone)}</option>
                    {move || options.with(|o| pick(o).clone()).into_iter().map(|v| {
                        let (v2, label) = (v.clone(), v.clone());
                        view! { <option value=v selected=move || sig.with(|s| *s == v2)>{label}</option> }
                    }).collect_view()}
                </select>
            </label>
        }
    };
    let on_preset = move |ev| {
        let v = event_target_value(&ev);
        preset.set(v.parse::<i64>().map(Preset::Days).unwrap_or(Preset::All));
    };

    // Trashed deals take no part; the page says how many are left out.
    let trashed = Memo::new(move |_| {
        let pid = app.pipeline.get();
        app.ws.with(|ws| ws.deals.iter().filter(|d| Some(&d.pipeline) == pid.as_ref() && d.deleted_at.is_some() && !d.purged).count())
    });
    view! {
        <section class="page dashboard">
            <h1>{move || app.t(K::Analytics)}</h1>
            <Show when=move || { trashed.get() > 0 }>
                <p class="muted">{move || fill(app.t(K::TrashLeftOut), &[("n", trashed.get().to_string())])} " "
                    <a href=super::href(super::View::Trash)>{move || app.t(K::Trash)}</a></p>
            </Show>
            <div class="controls">
                <label class="field">
                    <span>{move || app.t(K::Period)}</span>
                    <select on:change=on_preset>
                        <option value="all">{move || app.t(K::AllTime)}</option>
                        <option value="30">{move || app.t(K::Last30)}</option>
                        <option value="90">{move || app.t(K::Last90)}</option>
                        <option value="365">{move || app.t(K::Last365)}</option>
                    </select>
                </label>
                {select(K::Owner, owner, |o| &o.0)}
                {select(K::Source, source, |o| &o.1)}
                {select(K::TagsShort, tag, |o| &o.2)}
                <label class="field small">
                    <span>{move || app.t(K::CustomHorizon)}</span>
                    <input type="number" min="1" max="3650" prop:value=move || custom_t.get().to_string()
                        on:change=move |ev| {
                            if let Ok(v) = event_target_value(&ev).trim().parse::<u32>() {
                                custom_t.set(v.clamp(1, 3650));
                            }
                        }/>
                </label>
                <label class="check">
                    <input type="checkbox" prop:checked=move || from_lead.get() on:change=move |ev| from_lead.set(event_target_checked(&ev))/>
                    <span>{move || app.t(K::StartAtLead)}</span>
                </label>
                <label class="check">
                    <input type="checkbox" prop:checked=move || strict.get() on:change=move |ev| strict.set(event_target_checked(&ev))/>
                    <span>{move || app.t(K::StrictMode)}</span>
                </label>
                <label class="check">
                    <input type="checkbox" prop:checked=move || compare.get() prop:disabled=move || preset.get() == Preset::All
                        on:change=move |ev| compare.set(event_target_checked(&ev))/>
                    <span>{move || app.t(K::ComparePrevious)}</span>
                </label>
            </div>
            {move || progress.get().map(|p| view! {
                <div class="progress" role="status">
                    <span>{app.t(K::Computing)}</span>
                    <progress max="100" value=format!("{:.0}", p * 100.0)>{format!("{:.0}%", p * 100.0)}</progress>
                </div>
            })}
            {move || current.with(|r| r.as_ref().is_some_and(|r| r.deals == 0)).then(|| view! {
                <p class="muted" role="status">{app.t(K::NoDataYet)}</p>
            })}
            <div class="actions left">
                <button on:click=move |_| {
                    if let Some(r) = current.get_untracked() {
                        let name = format!("funnelscope-report-{}.csv", now().format("%Y-%m-%d"));
                        let _ = super::data::download(&name, &crate::io::csv_export::report_csv(&r), "text/csv;charset=utf-8");
                    }
                }>{move || app.t(K::DownloadReportCsv)}</button>
            </div>
            {move || current.with(|r| r.as_ref().map(|r| view! {
                <super::rates::ConversionNote conversion=r.conversion.clone() currency=r.currency.clone() left_out=r.other_currency_deals/>
            }))}
            <Callouts report=current/>
            <h2>{move || app.t(K::FunnelChart)}</h2>
            <p class="muted small">{move || app.t(K::FunnelExplain)}</p>
            {move || lead_cohort.get().map(|c| view! { <p class="muted small">{fill(app.t(K::StartAtLeadNote), &[("n", c.leads.to_string())])}</p> })}
            <FunnelChart report=current on_pick=on_pick lead=Signal::derive(move || lead_cohort.with(|c| c.as_ref().map(|c| (c.leads, c.qualified))))/>
            {move || picked_deals.get().map(|(name, deals)| view! {
                <div class="picked" role="region" aria-label=fill(app.t(K::DealsBehind), &[("stage", name.clone())])>
                    <h3>{fill(app.t(K::DealsBehind), &[("stage", name.clone())])} " (" {deals.len()} ")"</h3>
                    <button class="icon" aria-label=app.t(K::Dismiss) on:click=move |_| picked.set(None)>"✕"</button>
                    <ul class="deal-list">
                        {deals.into_iter().take(200).map(|(id, title)| view! {
                            <li><a href=href(View::Deal(crate::domain::Id::from(id)))>{title}</a></li>
                        }).collect_view()}
                    </ul>
                </div>
            })}
            <h2>{move || app.t(K::ConversionTable)}</h2>
            <ConversionTable current=current previous=previous on_pick=on_pick lead=lead_cohort/>
            <h2>{move || app.t(K::DwellChart)}</h2>
            <p class="muted small">{move || app.t(K::DwellExplain)}</p>
            <DwellChart report=current/>
            <h2>{move || app.t(K::WinCurvesChart)}</h2>
            <p class="muted small">{move || app.t(K::WinExplain)}</p>
            <WinCurves report=current max_days=max_days/>
            <WinTable report=current lead=lead_cohort/>
            <h2>{move || app.t(K::StuckDeals)}</h2>
            <StuckList report=current/>
            <h2>{move || app.t(K::LostHeading)}</h2>
            <LostSection query=query/>
            <super::targets::TargetsSection edit=true/>
            <super::targets::PerRepSection/>
            <h2>{move || app.t(K::ActivityHeading)}</h2>
            <p class="muted small">{move || app.t(K::ActivityExplain)}</p>
            <ActivitySection/>
            <h2>{move || app.t(K::LeadFunnelHeading)}</h2>
            <p class="muted small">{move || app.t(K::LeadFunnelExplain)}</p>
            <LeadFunnelSection/>
        </section>
    }
}

/// From lead to signed deal (core: `analytics::leads`).
#[component]
fn LeadFunnelSection() -> impl IntoView {
    let app = use_app();
    let report = Memo::new(move |_| {
        let pid = app.pipeline.get()?;
        app.ws.with(|ws| ws.pipeline(&pid).map(|p| crate::analytics::leads::lead_funnel(ws, p, now())))
    });
    move || {
        let r = report.get()?;
        if r.leads == 0 {
            return Some(view! { <p class="muted">{app.t(K::NoLeadsYet)}</p> }.into_any());
        }
        let hours = |h: Option<f64>| h.map_or("—".into(), |h| format!("{h:.1}"));
        let steps: Vec<(String, usize)> = std::iter::once((app.t(K::Leads).to_string(), r.leads))
            .chain(std::iter::once((app.t(K::LeadsQualified).to_string(), r.qualified)))
            .chain(r.stages.iter().cloned())
            .chain(std::iter::once((app.t(K::Won).to_string(), r.won)))
            .collect();
        let group_table = move |title: K, groups: Vec<crate::analytics::leads::LeadGroup>| {
            view! {
                <div class="table-wrap" tabindex="0" role="region" aria-label=app.t(title)>
                    <table class="data" aria-label=app.t(title)>
                        <thead><tr>
                            <th scope="col">{app.t(title)}</th>
                            <th scope="col" class="num">{app.t(K::Leads)}</th>
                            <th scope="col" class="num">{app.t(K::LeadsQualified)}</th>
                            <th scope="col" class="num">{app.t(K::LeadToDeal)}</th>
                            <th scope="col" class="num">{app.t(K::Won)}</th>
                            <th scope="col" class="num">{app.t(K::ResponseHours)}</th>
                        </tr></thead>
                        <tbody>
                            {groups.into_iter().map(|g| view! {
                                <tr>
                                    <th scope="row"><bdi>{if g.name.is_empty() { "—".to_string() } else { g.name.clone() }}</bdi></th>
                                    <td class="num">{g.leads}</td>
                                    <td class="num">{g.qualified}</td>
                                    <td class="num">{pct(g.conversion)}</td>
                                    <td class="num">{g.won}</td>
                                    <td class="num">{hours(g.response_median_hours)}</td>
                                </tr>
                            }).collect_view()}
                        </tbody>
                    </table>
                </div>
            }
        };
        Some(view! {
            <ol class="lead-funnel" aria-label=app.t(K::LeadFunnelHeading)>
                {steps.into_iter().map(|(name, n)| view! { <li><span>{name}</span>" "<strong>{n}</strong></li> }).collect_view()}
            </ol>
            <p>{fill(app.t(K::ResponseLine), &[("median", hours(r.response_median_hours)), ("p90", hours(r.response_p90_hours)), ("n", r.responded.to_string()), ("all", r.leads.to_string())])}</p>
            {group_table(K::BySource, r.by_source.clone())}
            {group_table(K::ByOwner, r.by_owner.clone())}
            {(!r.reasons.is_empty()).then(|| view! {
                <p class="small">{app.t(K::DisqualifiedBecause)}" "{r.reasons.iter().map(|(k, n)| format!("{k} {n}")).collect::<Vec<_>>().join(" · ")}</p>
            })}
        }.into_any())
    }
}

/// Selling effort from the activity log (core: `analytics::activity`).
#[component]
fn ActivitySection() -> impl IntoView {
    let app = use_app();
    let report = Memo::new(move |_| {
        let pid = app.pipeline.get()?;
        app.ws.with(|ws| ws.pipeline(&pid).map(|p| crate::analytics::activity::activity_report(ws, p, now(), 8)))
    });
    move || {
        let r = report.get()?;
        let avg = move |t: &crate::analytics::activity::Touches| t.mean.map_or("—".into(), |m| format!("{m:.1}"));
        let days = |d: Option<f64>| d.map_or("—".into(), |d| format!("{d:.1}"));
        let weeks = r.weeks.clone();
        Some(view! {
            <div class="callouts">
                <article class="callout">
                    <h3>{app.t(K::TouchesBeforeClose)}</h3>
                    <p class="big">{format!("{} / {}", avg(&r.won), avg(&r.lost))}</p>
                    <p class="small muted">{fill(app.t(K::TouchesWonLost), &[("won", r.won.deals.to_string()), ("lost", r.lost.deals.to_string())])}</p>
                </article>
                <article class="callout">
                    <h3>{app.t(K::DaysSinceTouch)}</h3>
                    <p class="big">{days(r.idle_median)}</p>
                    <p class="small muted">{fill(app.t(K::IdleLine), &[("p90", days(r.idle_p90)), ("open", r.open_deals.to_string()), ("never", r.never_touched.to_string())])}</p>
                </article>
            </div>
            <div class="table-wrap" tabindex="0" role="region" aria-label=app.t(K::TouchesPerWeek)>
                <table class="data" aria-label=app.t(K::TouchesPerWeek)>
                    <thead>
                        <tr>
                            <th scope="col">{app.t(K::Owner)}</th>
                            {weeks.iter().map(|w| view! { <th scope="col" class="num">{w.format("%m-%d").to_string()}</th> }).collect_view()}
                        </tr>
                    </thead>
                    <tbody>
                        {r.per_owner.iter().map(|(owner, counts)| view! {
                            <tr>
                                <th scope="row"><bdi>{owner.clone()}</bdi></th>
                                {counts.iter().map(|c| view! { <td class="num">{*c}</td> }).collect_view()}
                            </tr>
                        }).collect_view()}
                    </tbody>
                </table>
            </div>
            <h3>{app.t(K::LongestIdle)}</h3>
            <ul class="stuck-list" aria-label=app.t(K::LongestIdle)>
                {r.idle.iter().take(10).map(|d| {
                    let line = fill(app.t(if d.never { K::IdleNever } else { K::IdleDays }), &[("d", format!("{:.0}", d.days)), ("owner", d.owner.clone())]);
                    view! {
                        <li>
                            <a href=href(View::Deal(crate::domain::Id::from(d.id.clone())))><bdi>{d.title.clone()}</bdi></a>
                            <span class="muted">{line}</span>
                        </li>
                    }
                }).collect_view()}
            </ul>
        })
    }
}

#[component]
fn Callouts(report: Memo<Option<Report>>) -> impl IntoView {
    let app = use_app();
    move || {
        let r = report.get()?;
        let drop = r.bottlenecks.drop_off.clone().map(|b| {
            fill(app.t(K::DropOffCallout), &[("stage", b.stage), ("p", pct(Some(b.rate))), ("q", pct(Some(b.pipeline_rate))), ("n", b.n.to_string())])
        });
        let dwell = r.bottlenecks.dwell.clone().map(|b| {
            fill(
                app.t(K::DwellCallout),
                &[("stage", b.stage), ("d", format!("{:.1}", b.median_days)), ("q", format!("{:.1}", b.pipeline_median_days)), ("n", b.n.to_string())],
            )
        });
        let v = &r.velocity;
        let money = |x: Option<f64>| x.map_or("—".into(), |a| format_amount(a.round() as i64, &r.currency));
        let velocity = fill(
            app.t(K::VelocityCallout),
            &[
                ("open", v.open_deals.to_string()),
                ("win", pct(v.win_rate)),
                ("avg", money(v.avg_won_amount)),
                ("days", v.avg_cycle_days.map_or("—".into(), |d| format!("{d:.1}"))),
                ("per_day", money(v.per_day)),
            ],
        );
        Some(view! {
            <div class="callouts">
                <article class="callout">
                    <h3>{app.t(K::BiggestDropOff)}</h3>
                    <p>{drop.unwrap_or_else(|| app.t(K::NotEnoughData).into())}</p>
                </article>
                <article class="callout">
                    <h3>{app.t(K::SlowestStage)}</h3>
                    <p>{dwell.unwrap_or_else(|| app.t(K::SlowestNeedsTwo).into())}</p>
                </article>
                <article class="callout" title=app.t(K::VelocityTip)>
                    <h3>{app.t(K::SalesVelocity)}</h3>
                    <p class="big">{money(v.per_day)} {app.t(K::PerDay)}</p>
                    <p class="small muted">{velocity}</p>
                </article>
            </div>
        })
    }
}

/// The horizon of the conversion table's "won within a year": long enough that nearly
/// every deal has closed, and estimated with open deals undecided (not lost).
const LONG_HORIZON: u32 = 365;

/// Why deals are lost (core: `analytics::lost`): by reason, reason × the stage left, owner
/// and source, with amounts; for the dashboard's period (lost in it) and filters.
#[component]
fn LostSection(query: Memo<Query>) -> impl IntoView {
    let app = use_app();
    let data = Memo::new(move |_| {
        let q = query.get();
        let pid = app.pipeline.get()?;
        app.ws.with(|ws| {
            let p = ws.pipeline(&pid)?;
            Some(crate::analytics::lost::lost_analysis(ws, p, q.as_of, q.period.map(|p| p.start), &q.filter))
        })
    });
    let name = move |s: &str| if s.is_empty() { app.t(K::NoReasonGiven).to_string() } else { s.to_string() };
    move || {
        let r = data.get()?;
        if r.lost == 0 {
            return Some(view! { <p class="muted">{app.t(K::NoLostDeals)}</p> }.into_any());
        }
        let table = move |title: K, first: K, groups: Vec<crate::analytics::lost::LostGroup>| view! {
            <div class="table-wrap" tabindex="0" role="region" aria-label=app.t(title)>
                <table class="data" aria-label=app.t(title)>
                    <thead><tr>
                        <th scope="col">{app.t(first)}</th>
                        <th scope="col" class="num">{app.t(K::LostDeals)}</th>
                        <th scope="col" class="num">{app.t(K::Amount)}</th>
                    </tr></thead>
                    <tbody>
                        {groups.into_iter().map(|g| view! {
                            <tr>
                                <th scope="row"><bdi>{name(&g.name)}</bdi></th>
                                <td class="num">{g.deals}</td>
                                <td class="num">{super::format::totals_text(&g.amount)}</td>
                            </tr>
                        }).collect_view()}
                    </tbody>
                </table>
            </div>
        };
        Some(view! {
            <p class="muted small">{fill(app.t(K::LostLine), &[("n", r.lost.to_string())])}</p>
            {table(K::LostByReason, K::LostReason, r.by_reason.clone())}
            <div class="table-wrap" tabindex="0" role="region" aria-label=app.t(K::LostByReasonStage)>
                <table class="data" aria-label=app.t(K::LostByReasonStage)>
                    <thead><tr>
                        <th scope="col">{app.t(K::LostReason)}</th>
                        <th scope="col">{app.t(K::LostFromStage)}</th>
                        <th scope="col" class="num">{app.t(K::LostDeals)}</th>
                        <th scope="col" class="num">{app.t(K::Amount)}</th>
                    </tr></thead>
                    <tbody>
                        {r.by_reason_stage.clone().into_iter().map(|(reason, stage, n, amount)| view! {
                            <tr>
                                <th scope="row"><bdi>{name(&reason)}</bdi></th>
                                <td><bdi>{name(&stage)}</bdi></td>
                                <td class="num">{n}</td>
                                <td class="num">{super::format::totals_text(&amount)}</td>
                            </tr>
                        }).collect_view()}
                    </tbody>
                </table>
            </div>
            {table(K::LostByOwner, K::Owner, r.by_owner.clone())}
            {table(K::LostBySource, K::Source, r.by_source.clone())}
        }.into_any())
    }
}

/// A rate with its fraction as the tooltip.
fn rate_cell(app: super::state::AppState, v: Option<f64>, num: usize, den: usize) -> impl IntoView {
    let tip = fill(app.t(K::RateTip), &[("a", num.to_string()), ("b", den.to_string())]);
    view! { <td title=tip class="num">{pct(v)}</td> }
}

/// "Won within a year", its interval and the chance of a loss as the tooltip.
fn year_cell(app: super::state::AppState, year: Option<crate::analytics::Horizon>) -> AnyView {
    match year {
        Some(h) => {
            let tip = fill(app.t(K::WinCellTip), &[("lo", format!("{:.1}%", h.won_low * 100.0)), ("hi", format!("{:.1}%", h.won_high * 100.0)), ("lost", format!("{:.1}%", h.lost * 100.0))]);
            view! { <td class="num" title=tip>{format!("{:.1}%", h.won * 100.0)}</td> }.into_any()
        }
        None => view! { <td class="num">"—"</td> }.into_any(),
    }
}

#[component]
fn ConversionTable(
    current: Memo<Option<Report>>,
    previous: Memo<Option<Report>>,
    on_pick: Callback<(String, String)>,
    lead: Memo<Option<crate::analytics::leads::LeadCohort>>,
) -> impl IntoView {
    let app = use_app();
    move || {
        let r = current.get()?;
        let prev = previous.get();
        let cmp = prev.is_some();
        let rate = |a: usize, b: usize| (b > 0).then(|| a as f64 / b as f64);
        let lead_row = lead.get().map(|c| {
            let year = c.win_within.horizons.iter().find(|h| h.days == LONG_HORIZON).cloned();
            let cell = |v: Option<f64>, num: usize, den: usize| rate_cell(app, v, num, den);
            let closed = c.won + c.lost + c.disqualified;
            view! {
                <tr class="lead-row">
                    <th scope="row">{app.t(K::Leads)}</th>
                    <td class="num">{c.leads}</td>
                    {year_cell(app, year)}
                    {cell(rate(c.won, c.leads), c.won, c.leads)}
                    {cell(rate(c.won, closed), c.won, closed)}
                    {cell(rate(c.qualified, c.leads), c.qualified, c.leads)}
                    {cell(rate(c.qualified, c.qualified + c.disqualified), c.qualified, c.qualified + c.disqualified)}
                    {cmp.then(|| view! { <td class="num delta">"—"</td><td class="num delta">"—"</td><td class="num delta">"—"</td> })}
                </tr>
            }
        });
        let rows = r
            .stages
            .iter()
            .filter_map(|s| {
                let year = s.win_within.as_ref().and_then(|w| w.horizons.iter().find(|h| h.days == LONG_HORIZON).cloned());
                s.conversion.clone().map(|c| (s.id.clone(), s.name.clone(), c, s.dwell.p50, year))
            })
            .map(|(id, name, c, p50, year)| {
                let prev_stage = prev.as_ref().and_then(|p| p.stages.iter().find(|x| x.id == id));
                let p: Option<Conversion> = prev_stage.and_then(|x| x.conversion.clone());
                let prev_p50 = prev_stage.and_then(|x| x.dwell.p50);
                let small = c.cohort < SMALL_SAMPLE;
                let cell = |v: Option<f64>, num: usize, den: usize| rate_cell(app, v, num, den);
                let pick = {
                    let (id, name) = (id.clone(), name.clone());
                    move |_| on_pick.run((id.clone(), name.clone()))
                };
                view! {
                    <tr class:small-sample=small>
                        <th scope="row"><button class="link" on:click=pick>{name.clone()}</button></th>
                        <td class="num" title=move || if small { fill(app.t(K::SmallSampleTip), &[("n", SMALL_SAMPLE.to_string())]) } else { String::new() }>
                            {c.cohort} {small.then_some(" ⚠")}
                        </td>
                        {year_cell(app, year)}
                        {cell(c.won_to_date, c.won, c.cohort)}
                        {cell(c.won_closed, c.won, c.won + c.lost)}
                        {cell(c.next_to_date, c.reached_next, c.cohort)}
                        {cell(c.next_closed, c.reached_next, c.reached_next + c.lost_before_next)}
                        {cmp.then(|| view! {
                            <td class="num delta">{delta(c.next_closed, p.as_ref().and_then(|p| p.next_closed))}</td>
                            <td class="num delta">{delta(c.won_closed, p.as_ref().and_then(|p| p.won_closed))}</td>
                            <td class="num delta">{match (p50, prev_p50) {
                                (Some(a), Some(b)) => format!("{:+.1}", a - b),
                                _ => "—".to_string(),
                            }}</td>
                        })}
                    </tr>
                }
            })
            .collect_view();
        Some(view! {
            <div class="table-wrap" tabindex="0" role="region" aria-label=app.t(K::ConversionTable)>
                <table class="data" aria-label=app.t(K::ConversionTable)>
                    <thead>
                        <tr>
                            <th scope="col">{app.t(K::Stage)}</th>
                            <th scope="col" title=app.t(K::CohortTip)>{app.t(K::Cohort)}</th>
                            <th scope="col" title=app.t(K::WonWithinYearTip)>{app.t(K::WonWithinYear)}</th>
                            <th scope="col" title=app.t(K::ToWonToDateTip)>{app.t(K::ToWonToDate)}</th>
                            <th scope="col" title=app.t(K::ToWonClosedTip)>{app.t(K::ToWonClosed)}</th>
                            <th scope="col">{app.t(K::ToNextToDate)}</th>
                            <th scope="col">{app.t(K::ToNextClosed)}</th>
                            {cmp.then(|| view! {
                                <th scope="col">{app.t(K::DeltaNext)}</th>
                                <th scope="col">{app.t(K::DeltaWon)}</th>
                                <th scope="col">{app.t(K::DeltaDwell)}</th>
                            })}
                        </tr>
                    </thead>
                    <tbody>{lead_row}{rows}</tbody>
                </table>
            </div>
        })
    }
}

#[component]
fn WinTable(report: Memo<Option<Report>>, lead: Memo<Option<crate::analytics::leads::LeadCohort>>) -> impl IntoView {
    let app = use_app();
    move || {
        let r = report.get()?;
        let lead_row = lead.get().map(|c| (app.t(K::Leads).to_string(), c.win_within));
        let horizons: Vec<u32> = r.stages.iter().find_map(|s| s.win_within.as_ref()).map(|w| w.horizons.iter().map(|h| h.days).collect()).unwrap_or_default();
        let rows = r
            .stages
            .iter()
            .filter_map(|s| s.win_within.as_ref().map(|w| (s.name.clone(), w.clone())))
            .collect::<Vec<_>>();
        let rows = lead_row
            .into_iter()
            .chain(rows)
            .map(|(name, w)| {
                let small = w.n < SMALL_SAMPLE;
                view! {
                    <tr class:small-sample=small>
                        <th scope="row">{name}</th>
                        <td class="num">{w.n} {small.then_some(" ⚠")}</td>
                        {w.horizons.iter().map(|h| {
                            let tip = fill(app.t(K::WinCellTip), &[("lo", format!("{:.1}%", h.won_low * 100.0)), ("hi", format!("{:.1}%", h.won_high * 100.0)), ("lost", format!("{:.1}%", h.lost * 100.0))]);
                            view! { <td class="num" title=tip>{format!("{:.1}%", h.won * 100.0)} <span class="ci">{format!(" [{:.0}–{:.0}]", h.won_low * 100.0, h.won_high * 100.0)}</span></td> }
                        }).collect_view()}
                    </tr>
                }
            })
            .collect_view();
        Some(view! {
            <div class="table-wrap" tabindex="0" role="region" aria-label=app.t(K::WinTable)>
                <table class="data" aria-label=app.t(K::WinTable)>
                    <thead>
                        <tr>
                            <th scope="col">{app.t(K::Stage)}</th>
                            <th scope="col">"n"</th>
                            {horizons.into_iter().map(|d| view! { <th scope="col">{fill(app.t(K::WithinDays), &[("n", d.to_string())])}</th> }).collect_view()}
                        </tr>
                    </thead>
                    <tbody>{rows}</tbody>
                </table>
            </div>
        })
    }
}

#[component]
fn StuckList(report: Memo<Option<Report>>) -> impl IntoView {
    let app = use_app();
    move || {
        let r = report.get()?;
        let items: Vec<_> = r
            .stages
            .iter()
            .flat_map(|s| s.dwell.stuck.iter().map(move |d| (s.name.clone(), s.dwell.stuck_after.unwrap_or(0.0), d.clone())))
            .collect();
        if items.is_empty() {
            return Some(view! { <p class="muted">{app.t(K::NoStuckDeals)}</p> }.into_any());
        }
        Some(
            view! {
                <ul class="stuck-list" aria-label=app.t(K::StuckDeals)>
                    {items.into_iter().take(100).map(|(stage, limit, d)| view! {
                        <li>
                            <a href=href(View::Deal(crate::domain::Id::from(d.id.clone())))>{d.title.clone()}</a>
                            <span class="muted">{fill(app.t(K::StuckLine), &[("stage", stage), ("d", format!("{:.0}", d.age_days)), ("limit", format!("{limit:.0}"))])}</span>
                        </li>
                    }).collect_view()}
                </ul>
            }
            .into_any(),
        )
    }
}
