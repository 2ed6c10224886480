//! Stage definitions: the team agrees here on names, order, default probabilities and
//! entry/exit criteria. Edits are a draft until saved; the domain validates the whole
//! pipeline (and refuses to drop stages that still hold deals).

use super::state::use_app;
use crate::domain::{Command, Id, Pipeline, Stage, StageKind};
use crate::i18n::{error_message, fill, K};
use leptos::prelude::*;

fn editable(p: &Pipeline) -> Pipeline {
    Pipeline { stages: p.active_stages().cloned().collect(), ..p.clone() }
}

// `split`, not `lines`: a trailing empty line must survive while the user is typing.
fn lines(s: &str) -> Vec<String> {
    s.split('\n').map(str::to_string).collect()
}

#[component]
pub fn StageEditor() -> impl IntoView {
    let app = use_app();
    let current = move || {
        let pid = app.pipeline.get();
        app.ws.with_untracked(|ws| pid.and_then(|id| ws.pipeline(&id)).map(editable))
    };
    let draft = RwSignal::new(current());
    // What the draft started from: stages added elsewhere since are not the user's to drop.
    let base = RwSignal::new(current());
    // Switching pipelines starts a fresh draft.
    Effect::new(move |_| {
        let now = current();
        base.set(now.clone());
        draft.set(now);
    });
    let errors = RwSignal::new(Vec::<String>::new());
    let saved = RwSignal::new(false);
    let touch = move || {
        saved.set(false);
        errors.set(Vec::new());
    };
    let update_stage = move |id: &Id, f: &dyn Fn(&mut Stage)| {
        draft.update(|d| {
            if let Some(s) = d.as_mut().and_then(|p| p.stages.iter_mut().find(|s| &s.id == id)) {
                f(s);
            }
        });
        touch();
    };
    let add_stage = move |_| {
        let id = app.new_id();
        let name = app.t(K::NewStageName).to_string();
        draft.update(|d| {
            if let Some(p) = d {
                p.insert_open_stage(id, name);
            }
        });
        touch();
    };
    let save = move |_| {
        let Some(p) = draft.get_untracked() else { return };
        match app.dispatch(Command::SavePipeline { pipeline: p.clone(), base: base.get_untracked() }) {
            Ok(()) => {
                errors.set(Vec::new());
                saved.set(true);
                base.set(Some(p));
            }
            Err(es) => {
                let lang = app.lang.get_untracked();
                errors.set(es.iter().map(|(_, e)| error_message(lang, e)).collect());
            }
        }
    };
    let discard = move |_| {
        base.set(current());
        draft.set(current());
        touch();
    };
    // Leaving with unsaved edits asks first: links inside the app (caught before the
    // router sees the click) and closing or reloading the tab.
    let dirty = Memo::new(move |_| draft.with(|d| base.with(|b| d != b)));
    let guard = wasm_bindgen::closure::Closure::<dyn FnMut(web_sys::MouseEvent)>::new(move |ev: web_sys::MouseEvent| {
        use wasm_bindgen::JsCast;
        if !dirty.get_untracked() || ev.default_prevented() {
            return;
        }
        let link = ev.target().and_then(|t| t.dyn_into::<web_sys::Element>().ok()).and_then(|e| e.closest("a[href]").ok().flatten());
        if link.is_some() && !window().confirm_with_message(app.t(K::UnsavedStages)).unwrap_or(false) {
            ev.prevent_default();
            ev.stop_immediate_propagation();
        }
    });
    let unload = wasm_bindgen::closure::Closure::<dyn FnMut(web_sys::BeforeUnloadEvent)>::new(move |ev: web_sys::BeforeUnloadEvent| {
        if dirty.get_untracked() {
            ev.prevent_default();
            ev.set_return_value(app.t(K::UnsavedStages));
        }
    });
    {
        use wasm_bindgen::JsCast;
        let _ = window().add_event_listener_with_callback_and_bool("click", guard.as_ref().unchecked_ref(), true);
        let _ = window().add_event_listener_with_callback("beforeunload", unload.as_ref().unchecked_ref());
    }
    let listeners = StoredValue::new_local(Some((guard, unload)));
    on_cleanup(move || {
        use wasm_bindgen::JsCast;
        if let Some((guard, unload)) = listeners.try_update_value(Option::take).flatten() {
            let _ = window().remove_event_listener_with_callback_and_bool("click", guard.as_ref().unchecked_ref(), true);
            let _ = window().remove_event_listener_with_callback("beforeunload", unload.as_ref().unchecked_ref());
        }
    });
    let duplicate = move |_| {
        if let Some(pid) = app.pipeline.get_untracked() {
            if let Err(es) = app.dispatch(Command::DuplicatePipeline { pipeline: pid }) {
                let lang = app.lang.get_untracked();
                errors.set(es.iter().map(|(_, e)| error_message(lang, e)).collect());
            }
        }
    };
    let remove_pipeline = move |_| {
        let Some(pid) = app.pipeline.get_untracked() else { return };
        let (name, n) = app.ws.with_untracked(|ws| {
            (ws.pipeline(&pid).map(|p| p.name.clone()).unwrap_or_default(), ws.live_deals().filter(|d| d.pipeline == pid).count())
        });
        let ask = fill(app.t(K::RemovePipelineConfirm), &[("v", name), ("n", n.to_string())]);
        if window().confirm_with_message(&ask).unwrap_or(false) {
            let _ = app.dispatch(Command::RemovePipeline { pipeline: pid });
        }
    };
    let ids = move || draft.with(|d| d.as_ref().map(|p| p.stages.iter().map(|s| s.id.clone()).collect::<Vec<_>>()).unwrap_or_default());
    view! {
        <section class="page stage-editor">
            <h1>{move || app.t(K::StageDefinitions)}</h1>
            <p class="muted">{move || app.t(K::StageEditorIntro)}</p>
            <label class="field narrow">
                <span>{move || app.t(K::PipelineName)}</span>
                <input type="text" prop:value=move || draft.with(|d| d.as_ref().map(|p| p.name.clone()).unwrap_or_default())
                    on:input=move |ev| { draft.update(|d| if let Some(p) = d { p.name = event_target_value(&ev) }); touch(); }/>
            </label>
            <label class="field narrow">
                <span>{move || app.t(K::LostReasonsField)}</span>
                <textarea rows="4" prop:value=move || draft.with(|d| d.as_ref().map(|p| p.lost_reasons.join("\n")).unwrap_or_default())
                    on:input=move |ev| { draft.update(|d| if let Some(p) = d { p.lost_reasons = lines(&event_target_value(&ev)) }); touch(); }></textarea>
            </label>
            <label class="check">
                <input type="checkbox" prop:checked=move || draft.with(|d| d.as_ref().is_some_and(|p| p.require_lost_reason))
                    on:change=move |ev| { let on = event_target_checked(&ev); draft.update(|d| if let Some(p) = d { p.require_lost_reason = on }); touch(); }/>
                <span>{move || app.t(K::RequireLostReason)}</span>
            </label>
            <ol class="stage-list">
                <For each=ids key=|id| id.clone() let(id)>
                    <StageRow id=id draft=draft update_stage=update_stage touch=touch/>
                </For>
            </ol>
            <div class="actions left">
                <button type="button" on:click=add_stage>{move || app.t(K::AddStage)}</button>
                <button type="button" on:click=discard>{move || app.t(K::DiscardChanges)}</button>
                <button type="button" class="primary" on:click=save>{move || app.t(K::SaveStages)}</button>
            </div>
            <div class="actions left" role="group" aria-label=move || app.t(K::PipelineActions)>
                <button type="button" on:click=duplicate>{move || app.t(K::DuplicatePipeline)}</button>
                <button type="button" class="danger" on:click=remove_pipeline>{move || app.t(K::RemovePipeline)}</button>
            </div>
            <Show when=move || saved.get()>
                <p class="ok" role="status">{move || app.t(K::StagesSaved)}</p>
            </Show>
            <Show when=move || !errors.with(|e| e.is_empty())>
                <ul class="errors" role="alert">
                    {move || errors.get().into_iter().map(|e| view! { <li>{e}</li> }).collect_view()}
                </ul>
            </Show>
        </section>
    }
}

#[component]
fn StageRow(
    id: Id,
    draft: RwSignal<Option<Pipeline>>,
    update_stage: impl Fn(&Id, &dyn Fn(&mut Stage)) + Copy + Send + Sync + 'static,
    touch: impl Fn() + Copy + Send + Sync + 'static,
) -> impl IntoView {
    let app = use_app();
    let sid = id.clone();
    let stage = Memo::new(move |_| draft.with(|d| d.as_ref().and_then(|p| p.stage(&sid).cloned())));
    let get = move |f: fn(&Stage) -> String| move || stage.with(|s| s.as_ref().map(f).unwrap_or_default());
    let name = get(|s| s.name.clone());
    let label = move |k: K| move || fill(app.t(k), &[("stage", name())]);
    let shift = move |id: Id, delta: isize| {
        draft.update(|d| {
            if let Some(p) = d {
                if let Some(i) = p.stages.iter().position(|s| s.id == id) {
                    let j = i as isize + delta;
                    if j >= 0 && (j as usize) < p.stages.len() {
                        p.stages.swap(i, j as usize);
                    }
                }
            }
        });
        touch();
    };
    let (up_id, down_id, rm_id, req_id) = (id.clone(), id.clone(), id.clone(), id.clone());
    let remove = move |_| {
        draft.update(|d| {
            if let Some(p) = d {
                p.stages.retain(|s| s.id != rm_id);
            }
        });
        touch();
    };
    let set = move |f: fn(&mut Stage, String)| {
        let id = id.clone();
        move |ev: leptos::ev::Event| {
            let v = event_target_value(&ev);
            update_stage(&id, &|s| f(s, v.clone()));
        }
    };
    let kind_value = move || match stage.with(|s| s.as_ref().map(|s| s.kind)) {
        Some(StageKind::Won) => "won",
        Some(StageKind::Lost) => "lost",
        _ => "open",
    };
    view! {
        <li class="stage-row">
            <div class="row-head">
                <label class="field grow">
                    <span>{move || app.t(K::StageName)}</span>
                    <input type="text" prop:value=name on:input=set(|s, v| s.name = v)/>
                </label>
                <label class="field">
                    <span>{move || app.t(K::StageKindLabel)}</span>
                    <select prop:value=kind_value on:change=set(|s, v| s.kind = match v.as_str() {
                        "won" => StageKind::Won,
                        "lost" => StageKind::Lost,
                        _ => StageKind::Open,
                    })>
                        <option value="open" selected=move || kind_value() == "open">{move || app.t(K::KindOpen)}</option>
                        <option value="won" selected=move || kind_value() == "won">{move || app.t(K::KindWon)}</option>
                        <option value="lost" selected=move || kind_value() == "lost">{move || app.t(K::KindLost)}</option>
                    </select>
                </label>
                <label class="field small">
                    <span>{move || app.t(K::WinProbability)}</span>
                    <input type="number" min="0" max="100" step="1"
                        prop:value=get(|s| s.probability.to_string())
                        // Out-of-range or non-numeric input becomes 255 so validation names it.
                        on:input=set(|s, v| s.probability = v.trim().parse::<u32>().map_or(255, |n| n.min(255) as u8))/>
                </label>
                <label class="field small">
                    <span>{move || app.t(K::RottingAfter)}</span>
                    <input type="number" min="1" max="3650" step="1" placeholder=move || app.t(K::RottingAfterHint)
                        prop:value=get(|s| s.stuck_after_days.map(|d| d.to_string()).unwrap_or_default())
                        on:input=set(|s, v| s.stuck_after_days = v.trim().parse::<u32>().ok().filter(|d| (1..=3650).contains(d)))/>
                </label>
                <div class="row-buttons">
                    <button type="button" class="icon" aria-label=label(K::MoveStageUp) on:click=move |_| shift(up_id.clone(), -1)>"↑"</button>
                    <button type="button" class="icon" aria-label=label(K::MoveStageDown) on:click=move |_| shift(down_id.clone(), 1)>"↓"</button>
                    <button type="button" class="icon danger" aria-label=label(K::RemoveStage) on:click=remove>"✕"</button>
                </div>
            </div>
            <label class="field">
                <span>{move || app.t(K::Description)}</span>
                <textarea rows="2" prop:value=get(|s| s.description.clone()) on:input=set(|s, v| s.description = v)></textarea>
            </label>
            <div class="grid2">
                <div>
                    <label class="field">
                        <span>{move || app.t(K::EntryCriteria)}</span>
                        <textarea rows="3" placeholder=move || app.t(K::OnePerLine)
                            prop:value=get(|s| s.entry_criteria.join("\n")) on:input=set(|s, v| s.entry_criteria = lines(&v))></textarea>
                    </label>
                    <label class="check">
                        <input type="checkbox" prop:checked=move || stage.with(|s| s.as_ref().is_some_and(|s| s.criteria_required))
                            on:change={let id = req_id.clone(); move |ev| { let on = event_target_checked(&ev); update_stage(&id, &|s| s.criteria_required = on); }}/>
                        <span>{move || app.t(K::CriteriaRequiredLabel)}</span>
                    </label>
                </div>
                <label class="field">
                    <span>{move || app.t(K::ExitCriteria)}</span>
                    <textarea rows="3" placeholder=move || app.t(K::OnePerLine)
                        prop:value=get(|s| s.exit_criteria.join("\n")) on:input=set(|s, v| s.exit_criteria = lines(&v))></textarea>
                </label>
            </div>
        </li>
    }
}
