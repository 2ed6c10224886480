//! The trash: deleted deals and removed pipelines, restorable one by one, and emptied
//! only when the user asks.

use super::format;
use super::state::use_app;
use super::{href, View};
use crate::domain::money::format_amount;
use crate::domain::{Command, Id};
use crate::i18n::{fill, K};
use leptos::prelude::*;

#[derive(Clone, PartialEq)]
struct TrashedDeal {
    id: Id,
    title: String,
    pipeline: String,
    stage: String,
    amount: String,
    at: chrono::DateTime<chrono::Utc>,
}

#[component]
pub fn TrashPage() -> impl IntoView {
    let app = use_app();
    let deals = Memo::new(move |_| {
        app.ws.with(|ws| {
            let mut v: Vec<TrashedDeal> = ws
                .deals
                .iter()
                .filter(|d| !d.purged)
                .filter_map(|d| Some((d, d.deleted_at?)))
                .map(|(d, at)| {
                    let p = ws.pipeline(&d.pipeline);
                    TrashedDeal {
                        id: d.id.clone(),
                        title: d.title.clone(),
                        pipeline: p.map(|p| p.name.clone()).unwrap_or_default(),
                        stage: p.and_then(|p| p.stage(&d.stage)).map(|s| s.name.clone()).unwrap_or_default(),
                        amount: d.amount.map(|a| format_amount(a, &d.currency)).unwrap_or_default(),
                        at,
                    }
                })
                .collect();
            v.sort_by(|a, b| b.at.cmp(&a.at).then_with(|| a.title.cmp(&b.title)));
            v
        })
    });
    let pipelines = Memo::new(move |_| {
        app.ws.with(|ws| {
            ws.pipelines
                .iter()
                .filter_map(|p| Some((p.id.clone(), p.name.clone(), p.deleted_at?, ws.deals.iter().filter(|d| d.pipeline == p.id && !d.purged).count())))
                .collect::<Vec<_>>()
        })
    });
    // Everything emptying would remove: trashed deals and the deals of trashed pipelines.
    let doomed = Memo::new(move |_| {
        app.ws.with(|ws| {
            let gone: std::collections::HashSet<&Id> = ws.pipelines.iter().filter(|p| p.deleted_at.is_some()).map(|p| &p.id).collect();
            ws.deals.iter().filter(|d| !d.purged && (d.deleted_at.is_some() || gone.contains(&d.pipeline))).count()
        })
    });
    let error = RwSignal::new(None::<String>);
    let run = move |cmd: Command| {
        error.set(app.dispatch(cmd).err().map(|r| crate::i18n::rejection(app.lang.get_untracked(), &r)));
    };
    let empty = move |_| {
        let n = doomed.get_untracked();
        let ask = fill(app.t(K::EmptyTrashConfirm), &[("n", n.to_string())]);
        if window().confirm_with_message(&ask).unwrap_or(false) {
            run(Command::EmptyTrash);
        }
    };
    view! {
        <section class="page trash">
            <h1>{move || app.t(K::Trash)}</h1>
            <p class="muted">{move || app.t(K::TrashIntro)}</p>
            {move || error.get().map(|e| view! { <p class="error" role="alert">{e}</p> })}
            <Show when=move || doomed.get() == 0 && pipelines.with(Vec::is_empty)>
                <p role="status">{move || app.t(K::TrashEmpty)}</p>
            </Show>
            <Show when=move || !deals.with(Vec::is_empty)>
                <h2>{move || app.t(K::TrashDealsHeading)}</h2>
                <div class="table-wrap" role="region" tabindex="0" aria-label=move || app.t(K::TrashDealsHeading)>
                    <table>
                        <thead><tr>
                            <th scope="col">{move || app.t(K::DealTitle)}</th>
                            <th scope="col">{move || app.t(K::Pipeline)}</th>
                            <th scope="col">{move || app.t(K::Stage)}</th>
                            <th scope="col" class="num">{move || app.t(K::Amount)}</th>
                            <th scope="col">{move || app.t(K::DeletedAt)}</th>
                            <th scope="col"><span class="sr-only">{move || app.t(K::Restore)}</span></th>
                        </tr></thead>
                        <tbody>
                            <For each=move || deals.get() key=|d| d.id.clone() let(d)>
                                <tr>
                                    <td><a href=href(View::Deal(d.id.clone()))><bdi>{d.title.clone()}</bdi></a></td>
                                    <td>{d.pipeline.clone()}</td>
                                    <td>{d.stage.clone()}</td>
                                    <td class="num">{d.amount.clone()}</td>
                                    <td>{move || format::datetime(d.at, app.lang.get())}</td>
                                    <td><button type="button" aria-label={let t = d.title.clone(); move || fill(app.t(K::RestoreNamed), &[("v", t.clone())])}
                                        on:click={let id = d.id.clone(); move |_| run(Command::RestoreDeals { deals: vec![id.clone()] })}>
                                        {move || app.t(K::Restore)}</button></td>
                                </tr>
                            </For>
                        </tbody>
                    </table>
                </div>
            </Show>
            <Show when=move || !pipelines.with(Vec::is_empty)>
                <h2>{move || app.t(K::TrashPipelinesHeading)}</h2>
                <ul class="plain">
                    <For each=move || pipelines.get() key=|p| p.0.clone() let((id, name, at, n))>
                        <li>
                            <strong><bdi>{name.clone()}</bdi></strong>
                            " · " {move || fill(app.t(K::PipelineDealsN), &[("n", n.to_string())])}
                            " · " {move || format::datetime(at, app.lang.get())} " "
                            <button type="button" aria-label={let t = name.clone(); move || fill(app.t(K::RestoreNamed), &[("v", t.clone())])}
                                on:click={let id = id.clone(); move |_| run(Command::RestorePipeline { pipeline: id.clone() })}>
                                {move || app.t(K::Restore)}</button>
                        </li>
                    </For>
                </ul>
            </Show>
            <Show when=move || { doomed.get() > 0 }>
                <p><button type="button" class="danger" on:click=empty>{move || app.t(K::EmptyTrash)}</button></p>
            </Show>
        </section>
    }
}
