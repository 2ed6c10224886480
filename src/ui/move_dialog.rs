//! Confirms a move and shows the target stage's entry criteria, so the team's agreed
//! definition is in front of the rep at the moment of the move (drag or "Move to…").

use super::state::use_app;
use crate::domain::{Command, Id, StageKind};
use crate::i18n::{fill, K};
use leptos::prelude::*;

/// The `on:change` handler of a "Move to…" select: opens this dialog for the chosen stage.
pub fn on_move_select(deal: Id) -> impl Fn(leptos::ev::Event) + Clone + 'static {
    let app = use_app();
    move |ev: leptos::ev::Event| {
        let to = event_target_value(&ev);
        if !to.is_empty() {
            app.moving.set(Some(app.move_intent(deal.clone(), Id(to))));
        }
        // Back to the placeholder, so choosing the same stage again still fires.
        if let Some(sel) = ev.target().and_then(|t| wasm_bindgen::JsCast::dyn_into::<web_sys::HtmlSelectElement>(t).ok()) {
            sel.set_value("");
        }
    }
}

#[derive(Clone, PartialEq)]
struct MoveView {
    deal_title: String,
    from_name: String,
    to_name: String,
    to_kind: StageKind,
    description: String,
    criteria: Vec<String>,
}

#[component]
pub fn MoveDialog() -> impl IntoView {
    let app = use_app();
    let info = Memo::new(move |_| {
        let intent = app.moving.get()?;
        app.ws.with(|ws| {
            let deal = ws.deal(&intent.deal)?;
            let p = ws.pipeline(&deal.pipeline)?;
            let to = p.stage(&intent.to)?;
            Some(MoveView {
                deal_title: deal.title.clone(),
                from_name: p.stage(&deal.stage).map(|s| s.name.clone()).unwrap_or_default(),
                to_name: to.name.clone(),
                to_kind: to.kind,
                description: to.description.clone(),
                criteria: to.entry_criteria.clone(),
            })
        })
    });
    let note = RwSignal::new(String::new());
    let reason = RwSignal::new(String::new());
    let checked = RwSignal::new(0usize);
    let error = RwSignal::new(None::<String>);
    let close = move || {
        app.moving.set(None);
        note.set(String::new());
        reason.set(String::new());
        checked.set(0);
        error.set(None);
    };
    let confirm = move || {
        let Some(intent) = app.moving.get_untracked() else { return };
        let cmd = Command::MoveDeal {
            deal: intent.deal,
            from: intent.from,
            to: intent.to,
            note: note.get_untracked(),
            lost_reason: reason.get_untracked(),
        };
        match app.dispatch(cmd) {
            Ok(()) => close(),
            Err(errs) => {
                let lang = app.lang.get_untracked();
                error.set(Some(errs.iter().map(|(_, e)| crate::i18n::error_message(lang, e)).collect::<Vec<_>>().join(" ")));
            }
        }
    };
    move || {
        info.get().map(|m| {
            let n_criteria = m.criteria.len();
            let is_lost = m.to_kind == StageKind::Lost;
            // User text inside a sentence sits in <bdi>: a right-to-left override in a deal
            // title must not reverse the words after it.
            let title = {
                let m = m.clone();
                move || {
                    let template = fill(app.t(K::MoveDialogTitle), &[("stage", m.to_name.clone())]);
                    let (before, after) = template.split_once("{deal}").unwrap_or((template.as_str(), ""));
                    view! { {before.to_string()}<bdi>{m.deal_title.clone()}</bdi>{after.to_string()} }
                }
            };
            view! {
                <div class="overlay" on:click=move |_| close()></div>
                <div class="dialog" role="dialog" aria-modal="true" aria-labelledby="move-title"
                    on:keydown=move |ev| if ev.key() == "Escape" { close() }>
                    <h2 id="move-title">{title}</h2>
                    <p class="muted">{move || fill(app.t(K::FromStage), &[("stage", m.from_name.clone())])}</p>
                    <Show when={let d = m.description.clone(); move || !d.is_empty()}>
                        <p>{m.description.clone()}</p>
                    </Show>
                    <fieldset class="criteria">
                        <legend>{move || fill(app.t(K::EntryCriteriaFor), &[("stage", m.to_name.clone())])}</legend>
                        {if m.criteria.is_empty() {
                            view! { <p class="muted">{move || app.t(K::NoCriteria)}</p> }.into_any()
                        } else {
                            m.criteria.iter().map(|c| view! {
                                <label class="check">
                                    <input type="checkbox" on:change=move |ev| {
                                        if event_target_checked(&ev) { checked.update(|n| *n += 1) } else { checked.update(|n| *n = n.saturating_sub(1)) }
                                    }/>
                                    <span>{c.clone()}</span>
                                </label>
                            }).collect_view().into_any()
                        }}
                        <Show when=move || { n_criteria > 0 }>
                            <p class="muted small">{move || fill(app.t(K::CriteriaConfirmed), &[("done", checked.get().to_string()), ("all", n_criteria.to_string())])}</p>
                        </Show>
                    </fieldset>
                    <Show when=move || is_lost>
                        <label class="field">
                            <span>{move || app.t(K::LostReason)}</span>
                            <input type="text" prop:value=move || reason.get() on:input=move |ev| reason.set(event_target_value(&ev))/>
                        </label>
                    </Show>
                    <label class="field">
                        <span>{move || app.t(K::MoveNote)}</span>
                        <textarea rows="2" prop:value=move || note.get() on:input=move |ev| note.set(event_target_value(&ev))></textarea>
                    </label>
                    {move || error.get().map(|e| view! { <p class="field-error" role="alert">{e}</p> })}
                    <div class="actions">
                        <button type="button" on:click=move |_| close()>{move || app.t(K::Cancel)}</button>
                        <button type="button" class="primary" autofocus on:click=move |_| confirm()>{move || app.t(K::ConfirmMove)}</button>
                    </div>
                </div>
            }
        })
    }
}
