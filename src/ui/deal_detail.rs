//! One deal: its fields and its full stage history as a timeline.

use super::format;
use super::state::{use_app, DealFormMode};
use super::{href, View};
use crate::domain::money::format_amount;
use crate::domain::{classify, Id, MoveKind};
use crate::i18n::{fill, K};
use leptos::prelude::*;

#[derive(Clone, PartialEq)]
struct Step {
    id: Id,
    kind: MoveKind,
    from: String,
    to: String,
    at: chrono::DateTime<chrono::Utc>,
    days_before: Option<i64>,
    note: String,
}

#[component]
pub fn DealDetail(id: Id) -> impl IntoView {
    let app = use_app();
    let deal_id = id.clone();
    let deal = Memo::new(move |_| app.ws.with(|ws| ws.deal(&deal_id).cloned()));
    let hist_id = id.clone();
    let steps = Memo::new(move |_| {
        app.ws.with(|ws| {
            let Some(d) = ws.deal(&hist_id) else { return (Vec::new(), Vec::new()) };
            let Some(p) = ws.pipeline(&d.pipeline) else { return (Vec::new(), Vec::new()) };
            let name = |id: &Id| p.stage(id).map(|s| s.name.clone()).unwrap_or_else(|| id.to_string());
            let history = ws.history(&hist_id);
            let steps = history
                .iter()
                .enumerate()
                .map(|(i, e)| Step {
                    id: e.id.clone(),
                    kind: classify(p, e),
                    from: e.from.as_ref().map(name).unwrap_or_default(),
                    to: name(&e.to),
                    at: e.at,
                    days_before: (i > 0).then(|| (e.at - history[i - 1].at).num_days()),
                    note: e.note.clone(),
                })
                .collect::<Vec<_>>();
            let others = p.active_stages().filter(|s| s.id != d.stage).map(|s| (s.id.clone(), s.name.clone())).collect();
            (steps, others)
        })
    });
    let on_move = super::move_dialog::on_move_select(id.clone());
    let edit_id = id.clone();
    move || {
        let Some(d) = deal.get() else {
            return view! {
                <section class="page">
                    <p role="alert">{move || app.t(K::DealNotFound)}</p>
                    <a href=href(View::Board)>{move || app.t(K::BackToBoard)}</a>
                </section>
            }
            .into_any();
        };
        let stage_name = app.ws.with(|ws| {
            ws.pipeline(&d.pipeline).and_then(|p| p.stage(&d.stage)).map(|s| s.name.clone()).unwrap_or_default()
        });
        let amount = d.amount.map(|a| format_amount(a, &d.currency)).unwrap_or_else(|| "—".into());
        let row = move |k: K, v: String| {
            view! { <div class="kv"><dt>{move || app.t(k)}</dt><dd>{if v.is_empty() { "—".to_string() } else { v }}</dd></div> }
        };
        let edit_id = edit_id.clone();
        let on_move = on_move.clone();
        let title = d.title.clone();
        view! {
            <section class="page deal-detail">
                <a class="back" href=href(View::Board)>{move || app.t(K::BackToBoard)}</a>
                <div class="page-head">
                    <h1 class="deal-title">{d.title.clone()}</h1>
                    <span class="badge">{stage_name}</span>
                    <button on:click=move |_| app.deal_form.set(Some(DealFormMode::Edit(edit_id.clone())))>{move || app.t(K::EditDeal)}</button>
                    <select aria-label=move || fill(app.t(K::MoveDealTo), &[("deal", title.clone())]) on:change=on_move>
                        <option value="" selected>{move || app.t(K::MoveTo)}</option>
                        {move || steps.get().1.into_iter().map(|(sid, n)| view! { <option value=sid.0>{n}</option> }).collect_view()}
                    </select>
                </div>
                <dl class="facts">
                    {row(K::Account, d.account.clone())}
                    {row(K::Contact, d.contact.clone())}
                    {row(K::Amount, amount)}
                    {row(K::Owner, d.owner.clone())}
                    {row(K::Source, d.source.clone())}
                    {row(K::ExpectedClose, d.expected_close.map(format::date).unwrap_or_default())}
                    {row(K::CreatedAt, format::datetime(d.created_at, app.lang.get()))}
                    {row(K::LostReason, d.lost_reason.clone())}
                    {row(K::TagsShort, d.tags.join(", "))}
                    {row(K::ForecastCategoryLabel, app.t(match d.forecast_category {
                        crate::domain::ForecastCategory::Pipeline => K::CatPipeline,
                        crate::domain::ForecastCategory::BestCase => K::CatBestCase,
                        crate::domain::ForecastCategory::Commit => K::CatCommit,
                        crate::domain::ForecastCategory::Omitted => K::CatOmitted,
                    }).to_string())}
                </dl>
                <Show when={let n = d.notes.clone(); move || !n.is_empty()}>
                    <h2>{move || app.t(K::Notes)}</h2>
                    <p class="notes">{d.notes.clone()}</p>
                </Show>
                <h2 id="history-heading">{move || app.t(K::StageHistory)}</h2>
                <ol class="timeline" aria-labelledby="history-heading">
                    <For each=move || steps.get().0 key=|s| s.id.clone() let(s)>
                        <TimelineStep step=s/>
                    </For>
                </ol>
            </section>
        }
        .into_any()
    }
}

#[component]
fn TimelineStep(step: Step) -> impl IntoView {
    let app = use_app();
    let Step { kind, from, to, at, days_before, note, .. } = step;
    let (class, label) = match kind {
        MoveKind::Created => ("created", K::MoveCreated),
        MoveKind::Forward => ("forward", K::MoveForward),
        MoveKind::Skip(_) => ("skip", K::MoveSkip),
        MoveKind::Back => ("back", K::MoveBack),
        MoveKind::Reopen => ("reopen", K::MoveReopen),
        MoveKind::Won => ("won", K::MoveWon),
        MoveKind::Lost => ("lost", K::MoveLost),
        MoveKind::Other => ("other", K::MoveOther),
    };
    let skipped = if let MoveKind::Skip(n) = kind { n } else { 0 };
    let text = move || {
        let lang = app.lang.get();
        let base = fill(crate::i18n::tr(lang, label), &[("from", from.clone()), ("to", to.clone()), ("n", skipped.to_string())]);
        match days_before {
            Some(d) => format!("{base} · {}", fill(crate::i18n::tr(lang, K::AfterDaysIn), &[("n", format::days(d, lang)), ("stage", from.clone())])),
            None => base,
        }
    };
    view! {
        <li class=format!("step {class}")>
            <time datetime=at.to_rfc3339()>{move || format::datetime(at, app.lang.get())}</time>
            <span class="what">{text}</span>
            {(!note.is_empty()).then(|| view! { <span class="note">{note.clone()}</span> })}
        </li>
    }
}
