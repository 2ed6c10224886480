//! SVG charts drawn by the app: funnel bars, dwell boxes, win-within-T curves. Colours
//! come from CSS variables so dark mode works; every mark has a <title> tooltip.

use super::state::use_app;
use crate::analytics::{Report, StageReport, SMALL_SAMPLE};
use crate::domain::money::format_compact;
use crate::i18n::{fill, K};
use leptos::prelude::*;

fn pct(v: f64) -> String {
    format!("{:.1}%", v * 100.0)
}

/// Horizontal funnel: one bar per stage that deals can reach, width ∝ deals reached.
#[component]
pub fn FunnelChart(
    report: Memo<Option<Report>>,
    on_pick: Callback<(String, String)>,
    /// "Start at lead": leads and qualified leads, drawn above the stages.
    #[prop(optional, into)]
    lead: Option<Signal<Option<(usize, usize)>>>,
) -> impl IntoView {
    let app = use_app();
    move || {
        let r = report.get()?;
        let steps: Vec<&StageReport> = r.stages.iter().filter(|s| s.funnel.is_some()).collect();
        let lead = lead.and_then(|l| l.get());
        let top = if lead.is_some() { 2 } else { 0 };
        let max = steps.iter().filter_map(|s| s.funnel.as_ref().map(|f| f.reached)).chain(lead.map(|l| l.0)).max().unwrap_or(0).max(1) as f64;
        let row = 46.0;
        let height = row * (steps.len() + top) as f64 + 8.0;
        let lead_bars = lead.map(|(leads, qualified)| {
            [(app.t(K::Leads).to_string(), leads, None), (app.t(K::LeadsQualified).to_string(), qualified, (leads > 0).then(|| 1.0 - qualified as f64 / leads as f64))]
                .into_iter()
                .enumerate()
                .map(|(i, (name, n, drop))| {
                    let w = 420.0 * n as f64 / max;
                    let x = 150.0 + (420.0 - w) / 2.0;
                    let y = i as f64 * row + 4.0;
                    let label = fill(app.t(K::FunnelLeadBarLabel), &[("stage", name.clone()), ("n", n.to_string())]);
                    view! {
                        <g class="funnel-bar lead" role="img" aria-label=label>
                            <text x="0" y=y + 24.0 class="axis-label">{name}</text>
                            <rect x=x y=y width=w.max(2.0) height=row - 14.0 rx="4" class="bar"/>
                            <text x="575" y=y + 17.0 class="value">{n.to_string()}</text>
                            {drop.map(|d| view! { <text x="360" y=y + row - 1.0 class="drop" text-anchor="middle">{fill(app.t(K::DropOffLabel), &[("p", pct(d))])}</text> })}
                        </g>
                    }
                })
                .collect_view()
        });
        let cur = r.currency.clone();
        let bars = steps
            .iter()
            .enumerate()
            .map(|(i, s)| {
                let f = s.funnel.clone().unwrap_or_default();
                let w = 420.0 * f.reached as f64 / max;
                let x = 150.0 + (420.0 - w) / 2.0;
                let y = (i + top) as f64 * row + 4.0;
                let label = fill(app.t(K::FunnelBarLabel), &[("stage", s.name.clone()), ("n", f.reached.to_string())]);
                let tip = fill(app.t(K::FunnelBarTip), &[("n", f.reached.to_string()), ("stage", s.name.clone())]);
                let drop = f.drop_off.map(|d| fill(app.t(K::DropOffLabel), &[("p", pct(d))]));
                let (id, name) = (s.id.clone(), s.name.clone());
                let pick = move || on_pick.run((id.clone(), name.clone()));
                let pick2 = pick.clone();
                view! {
                    <g class="funnel-bar">
                        <text x="0" y=y + 24.0 class="axis-label">{s.name.clone()}</text>
                        <rect x=x y=y width=w.max(2.0) height=row - 14.0 rx="4" class="bar"/>
                        <text x="575" y=y + 17.0 class="value">{f.reached.to_string()}</text>
                        <text x="575" y=y + 31.0 class="value muted">{format_compact(f.amount, &cur)}</text>
                        {drop.map(|d| view! { <text x="360" y=y + row - 1.0 class="drop" text-anchor="middle">{d}</text> })}
                        // The control is a transparent band over the row, carrying the name: the texts
                        // drawn under it are not part of a button, so the name needs not repeat
                        // every figure (axe: label in name).
                        <rect class="funnel-hit" x="0" y=y - 2.0 width="680" height=row - 4.0 role="button" tabindex="0" aria-label=label
                            on:click=move |_| pick()
                            on:keydown=move |ev| if ev.key() == "Enter" || ev.key() == " " { ev.prevent_default(); pick2() }>
                            <title>{tip}</title>
                        </rect>
                    </g>
                }
            })
            .collect_view();
        Some(view! {
            <div class="chart-frame" tabindex="0" role="region" aria-label=move || app.t(K::FunnelChart)>
                <svg class="chart funnel" viewBox=format!("0 0 680 {height}") role="group" aria-label=move || app.t(K::FunnelChart)>
                    {lead_bars}
                    {bars}
                </svg>
            </div>
        })
    }
}

/// Dwell per stage: box from median to p75, whisker to p90, in days.
#[component]
pub fn DwellChart(report: Memo<Option<Report>>) -> impl IntoView {
    let app = use_app();
    move || {
        let r = report.get()?;
        let rows: Vec<&StageReport> = r.stages.iter().filter(|s| s.dwell.p50.is_some()).collect();
        let max = rows.iter().filter_map(|s| s.dwell.p90.or(s.dwell.p75).or(s.dwell.p50)).fold(1.0f64, f64::max);
        let scale = |d: f64| 150.0 + 400.0 * d / max;
        let row = 30.0;
        let height = row * rows.len() as f64 + 24.0;
        let marks = rows
            .iter()
            .enumerate()
            .map(|(i, s)| {
                let d = &s.dwell;
                // p75 and p90 are unknown while that many visits are still open: the box
                // and the whisker stop at what is known, the text says "—".
                let p50 = d.p50.unwrap_or(0.0);
                let p75 = d.p75.unwrap_or(p50);
                let p90 = d.p90.unwrap_or(p75);
                let days = |v: Option<f64>| v.map_or("—".to_string(), |v| format!("{v:.1}"));
                let y = i as f64 * row + 6.0;
                let tip = fill(
                    app.t(K::DwellTip),
                    &[("p50", days(d.p50)), ("p75", days(d.p75)), ("p90", days(d.p90)), ("n", d.completed.to_string()), ("r", d.running.to_string())],
                );
                let small = d.completed < SMALL_SAMPLE;
                view! {
                    <g class="dwell-row" class:small=small>
                        <title>{tip}</title>
                        <text x="0" y=y + 15.0 class="axis-label">{s.name.clone()}</text>
                        <line x1=scale(0.0) x2=scale(p90) y1=y + 10.0 y2=y + 10.0 class="whisker"/>
                        <rect x=scale(p50) y=y + 2.0 width=(scale(p75) - scale(p50)).max(2.0) height="16" class="box"/>
                        <line x1=scale(p50) x2=scale(p50) y1=y y2=y + 20.0 class="median"/>
                        <text x=scale(p90) + 6.0 y=y + 15.0 class="value muted">{format!("{} / {}", days(d.p50), days(d.p90))}</text>
                    </g>
                }
            })
            .collect_view();
        let axis_y = height - 6.0;
        // Figures that are missing say why, instead of a bar at 0.
        let notes: Vec<String> = r
            .stages
            .iter()
            .filter(|s| s.kind == crate::domain::StageKind::Open && s.dwell.completed + s.dwell.running > 0)
            .filter_map(|s| {
                let d = &s.dwell;
                let stage = s.name.clone();
                if d.instant > 0 && d.p50.is_none() && d.instant * 2 > d.completed {
                    Some(fill(app.t(K::DwellNotMeasured), &[("stage", stage), ("n", d.instant.to_string()), ("m", d.completed.to_string())]))
                } else if d.p50.is_none() {
                    Some(fill(app.t(K::DwellNotYet), &[("stage", stage), ("n", d.running.to_string())]))
                } else if d.p90.is_none() {
                    let (p, q) = if d.p75.is_none() { ("25%", "75") } else { ("10%", "90") };
                    Some(fill(app.t(K::DwellOpenEnded), &[("stage", stage), ("p", p.into()), ("q", q.into())]))
                } else {
                    None
                }
            })
            .collect();
        Some(view! {
            <div class="chart-frame" tabindex="0" role="region" aria-label=move || app.t(K::DwellChart)>
                <svg class="chart dwell" viewBox=format!("0 0 680 {height}") role="img" aria-label=move || app.t(K::DwellChart)>
                    {marks}
                    <text x="150" y=axis_y class="axis-label">"0"</text>
                    <text x="550" y=axis_y class="axis-label" text-anchor="end">{move || fill(app.t(K::NDaysShort), &[("n", format!("{max:.0}"))])}</text>
                </svg>
            </div>
            {(!notes.is_empty()).then(|| view! {
                <ul class="notes small" aria-label=app.t(K::DwellChart)>{notes.into_iter().map(|n| view! { <li>{n}</li> }).collect_view()}</ul>
            })}
        })
    }
}

/// Cumulative chance to win after first reaching each open stage (Aalen–Johansen).
#[component]
pub fn WinCurves(report: Memo<Option<Report>>, max_days: Signal<u32>) -> impl IntoView {
    let app = use_app();
    move || {
        let r = report.get()?;
        let xmax = max_days.get().max(1) as f64;
        let (w, h) = (560.0, 220.0);
        let sx = |d: f64| 50.0 + w * d.min(xmax) / xmax;
        let sy = |p: f64| 10.0 + h * (1.0 - p);
        let curves = r
            .stages
            .iter()
            .filter_map(|s| s.win_within.as_ref().map(|ww| (s, ww)))
            .enumerate()
            .map(|(i, (s, ww))| {
                let mut pts = vec![(0.0, 0.0)];
                let mut last = 0.0;
                for &(t, p) in &ww.curve {
                    if t > xmax {
                        break;
                    }
                    pts.push((t, last));
                    pts.push((t, p));
                    last = p;
                }
                pts.push((xmax, last));
                let path: String = pts.iter().map(|&(t, p)| format!("{:.1},{:.1}", sx(t), sy(p))).collect::<Vec<_>>().join(" ");
                let tip = fill(app.t(K::CurveTip), &[("stage", s.name.clone()), ("n", ww.n.to_string())]);
                view! {
                    <g class=format!("curve c{}", i % 6)>
                        <title>{tip}</title>
                        <polyline points=path fill="none"/>
                        <rect x=60.0 + (i as f64) * 130.0 y=h + 32.0 width="12" height="12"/>
                        <text x=76.0 + (i as f64) * 130.0 y=h + 42.0 class="axis-label">{s.name.clone()}</text>
                    </g>
                }
            })
            .collect_view();
        let grid = [0.0, 0.25, 0.5, 0.75, 1.0]
            .into_iter()
            .map(|p| view! {
                <line x1="50" x2=50.0 + w y1=sy(p) y2=sy(p) class="grid"/>
                <text x="44" y=sy(p) + 4.0 class="axis-label" text-anchor="end">{format!("{:.0}%", p * 100.0)}</text>
            })
            .collect_view();
        Some(view! {
            <div class="chart-frame" tabindex="0" role="region" aria-label=move || app.t(K::WinCurvesChart)>
                <svg class="chart curves" viewBox=format!("0 0 640 {}", h + 52.0) role="img" aria-label=move || app.t(K::WinCurvesChart)>
                    {grid}
                    <text x="50" y=h + 24.0 class="axis-label">"0"</text>
                    <text x=50.0 + w y=h + 24.0 class="axis-label" text-anchor="end">{move || fill(app.t(K::NDaysShort), &[("n", format!("{xmax:.0}"))])}</text>
                    {curves}
                </svg>
            </div>
        })
    }
}
