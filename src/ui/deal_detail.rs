//! One deal: its fields, its next step, and one timeline of stage changes and
//! activities; a form to log a call, meeting, email, note or task.

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
    criteria: Vec<String>,
}

/// One line of the timeline: a stage change or an activity, in time order.
#[derive(Clone, PartialEq)]
enum Entry {
    Step(Step),
    Activity(crate::domain::Activity),
}

impl Entry {
    fn key(&self) -> (chrono::DateTime<chrono::Utc>, String) {
        match self {
            Entry::Step(s) => (s.at, format!("s{}", s.id)),
            // An activity's key changes with its content, so an edit re-renders it.
            Entry::Activity(a) => (a.at, format!("a{}{:?}{}", a.id, a.done_at, a.updated_at.timestamp_millis())),
        }
    }
}

#[derive(Clone, Copy, PartialEq)]
enum Show {
    All,
    Stages,
    Activities,
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
                    criteria: e.criteria.clone(),
                })
                .collect::<Vec<_>>();
            let others = p.active_stages().filter(|s| s.id != d.stage).map(|s| (s.id.clone(), s.name.clone())).collect();
            (steps, others)
        })
    });
    let show = RwSignal::new(Show::All);
    let act_id = id.clone();
    let entries = Memo::new(move |_| {
        let mut out: Vec<Entry> = match show.get() {
            Show::Activities => Vec::new(),
            _ => steps.with(|s| s.0.iter().cloned().map(Entry::Step).collect()),
        };
        if show.get() != Show::Stages {
            app.ws.with(|ws| out.extend(ws.activities_of(&act_id).into_iter().cloned().map(Entry::Activity)));
        }
        out.sort_by_key(Entry::key);
        out
    });
    let next_id = id.clone();
    let next_step = Memo::new(move |_| app.ws.with(|ws| ws.next_steps().get(&next_id).map(|a| (a.subject.clone(), a.at))));
    let form_id = id.clone();
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
                    {match d.deleted_at {
                        None => view! {
                            <button on:click=move |_| app.deal_form.set(Some(DealFormMode::Edit(edit_id.clone())))>{move || app.t(K::EditDeal)}</button>
                            <select aria-label=move || fill(app.t(K::MoveDealTo), &[("deal", title.clone())]) on:change=on_move>
                                <option value="" selected>{move || app.t(K::MoveTo)}</option>
                                {move || steps.get().1.into_iter().map(|(sid, n)| view! { <option value=sid.to_string()>{n}</option> }).collect_view()}
                            </select>
                            <button type="button" class="danger" on:click={let id = d.id.clone(); move |_| {
                                let _ = app.dispatch(crate::domain::Command::DeleteDeals { deals: vec![id.clone()] });
                            }}>{move || app.t(K::DeleteDeal)}</button>
                        }.into_any(),
                        Some(at) => view! {
                            <button type="button" on:click={let id = d.id.clone(); move |_| {
                                let _ = app.dispatch(crate::domain::Command::RestoreDeals { deals: vec![id.clone()] });
                            }}>{move || app.t(K::Restore)}</button>
                            <p class="banner warn" role="status">{move || fill(app.t(K::DealInTrash), &[("v", format::datetime(at, app.lang.get()))])}</p>
                        }.into_any(),
                    }}
                </div>
                <dl class="facts">
                    {match d.account_id.clone() {
                        Some(aid) if !d.account.is_empty() => view! {
                            <div class="kv"><dt>{move || app.t(K::Account)}</dt><dd><a href=href(View::Account(aid))><bdi>{d.account.clone()}</bdi></a></dd></div>
                        }.into_any(),
                        _ => row(K::Account, d.account.clone()).into_any(),
                    }}
                    {match d.contact_id.clone() {
                        Some(cid) if !d.contact.is_empty() => view! {
                            <div class="kv"><dt>{move || app.t(K::Contact)}</dt><dd><a href=href(View::Contact(cid))><bdi>{d.contact.clone()}</bdi></a></dd></div>
                        }.into_any(),
                        _ => row(K::Contact, d.contact.clone()).into_any(),
                    }}
                    {row(K::Amount, amount)}
                    {row(K::Owner, d.owner.clone())}
                    {row(K::Source, d.source.clone())}
                    {row(K::ExpectedClose, d.expected_close.map(format::date).unwrap_or_default())}
                    {row(K::CreatedAt, format::datetime(d.created_at, app.lang.get()))}
                    {row(K::LostReason, d.lost_reason.clone())}
                    {row(K::TagsShort, d.tags.join(", "))}
                    {d.probability.map(|p| row(K::ProbabilityOverride, format!("{p}% — {}", d.probability_reason)))}
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
                <p class="next-step-line">
                    {move || match next_step.get() {
                        Some((subject, at)) => view! {
                            <strong>{app.t(K::NextStep)}</strong>" "<bdi>{subject}</bdi>
                            <span class="muted">{format!(" · {}", super::format::datetime(at, app.lang.get()))}</span>
                        }.into_any(),
                        None => view! { <span class="next-step none">{app.t(K::NoNextStep)}</span> }.into_any(),
                    }}
                </p>
                <h2>{move || app.t(K::LogActivity)}</h2>
                <super::activities::ActivityForm on=crate::domain::ActivityOn::Deal(form_id.clone()) on_saved=|_| ()/>
                <div class="page-head">
                    <h2 id="history-heading">{move || app.t(K::Timeline)}</h2>
                    <super::RestPending/>
                    <label class="field small">
                        <span>{move || app.t(K::ShowEntries)}</span>
                        <select on:change=move |ev| show.set(match event_target_value(&ev).as_str() {
                            "stages" => Show::Stages,
                            "activities" => Show::Activities,
                            _ => Show::All,
                        })>
                            <option value="all" selected=move || show.get() == Show::All>{move || app.t(K::ShowAll)}</option>
                            <option value="stages" selected=move || show.get() == Show::Stages>{move || app.t(K::ShowStageChanges)}</option>
                            <option value="activities" selected=move || show.get() == Show::Activities>{move || app.t(K::ShowActivities)}</option>
                        </select>
                    </label>
                </div>
                <ol class="timeline" aria-labelledby="history-heading">
                    <For each=move || entries.get() key=Entry::key let(e)>
                        {match e {
                            Entry::Step(s) => view! { <TimelineStep step=s/> }.into_any(),
                            Entry::Activity(a) => view! { <super::activities::ActivityEntry activity=a/> }.into_any(),
                        }}
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
    let Step { kind, from, to, at, days_before, note, criteria, .. } = step;
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
            {(!criteria.is_empty()).then(|| {
                let list = criteria.join("; ");
                view! { <span class="note">{move || fill(app.t(K::CriteriaTicked), &[("v", list.clone())])}</span> }
            })}
            {(note == crate::domain::undo::UNDO_NOTE).then(|| view! { <span class="note">{move || app.t(K::UndoneMove)}</span> })}
            {(!note.is_empty() && note != crate::domain::undo::UNDO_NOTE).then(|| view! { <span class="note">{note.clone()}</span> })}
        </li>
    }
}
