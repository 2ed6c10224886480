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
            app.moving.set(Some(app.move_intent(deal.clone(), Id::from(to))));
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
    criteria_required: bool,
    /// The pipeline's list of lost reasons, and whether one is required.
    reasons: Vec<String>,
    reason_required: bool,
}

#[component]
pub fn MoveDialog() -> impl IntoView {
    let app = use_app();
    // What the dialog shows is read when it opens, not again when memory changes: the
    // confirmed move itself changes the deal, and the dialog was drawn again just before
    // it closed. A change from elsewhere while it is open is caught when the move is
    // planned (the deal has left `from`).
    let info = Memo::new(move |_| {
        let intent = app.moving.get()?;
        app.ws.with_untracked(|ws| {
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
                criteria_required: to.criteria_required,
                reasons: p.lost_reasons.clone(),
                reason_required: p.require_lost_reason,
            })
        })
    });
    let note = RwSignal::new(String::new());
    let reason = RwSignal::new(String::new());
    // "Other…" chosen from the list: the reason is typed.
    let other = RwSignal::new(false);
    // The next step to schedule with the move (a task), optional.
    let next_subject = RwSignal::new(String::new());
    let next_due = RwSignal::new(String::new());
    // The criteria ticked, by their wording.
    let checked = RwSignal::new(Vec::<String>::new());
    let error = RwSignal::new(None::<String>);
    let pending = StoredValue::new(false);
    // Closed (Esc, Cancel, the overlay) while the move was being stored.
    let cancelled = StoredValue::new(false);
    // `moved`: the deal of a confirmed move, now in another column: focus goes to its
    // "Move to…" control, to carry on by keyboard; otherwise back where the move started.
    let close_with = move |moved: Option<Id>| {
        // The app closes a confirmed move's dialog as the move reaches memory; if by now
        // another deal's dialog is open, it stays.
        if moved.as_ref().is_some_and(|d| app.moving.with_untracked(|m| m.as_ref().is_some_and(|i| &i.deal != d))) {
            return;
        }
        if app.moving.with_untracked(Option::is_some) {
            app.moving.set(None);
        }
        match moved {
            Some(d) => super::dialog::focus_moved_card(d, "select.move-select"),
            None => super::dialog::restore_focus(|| ()),
        }
        note.set(String::new());
        reason.set(String::new());
        other.set(false);
        next_subject.set(String::new());
        next_due.set(String::new());
        checked.set(Vec::new());
        error.set(None);
    };
    let close = move || {
        cancelled.set_value(pending.get_value());
        close_with(None)
    };
    let confirm = move || {
        // A second Enter while the first move is being stored does nothing.
        if pending.get_value() {
            return;
        }
        let Some(intent) = app.moving.get_untracked() else { return };
        let lang = app.lang.get_untracked();
        // The next step is checked before anything is stored, so a typo in its date never
        // leaves the move done and the task lost.
        let next = (!next_subject.get_untracked().trim().is_empty()).then(|| crate::domain::ActivityDraft {
            kind: crate::domain::ActivityKind::Task,
            subject: next_subject.get_untracked(),
            at: next_due.get_untracked(),
            tz_offset_min: super::format::tz_offset_min(),
            ..Default::default()
        });
        if let Some(Err(errs)) = next.as_ref().map(|d| d.validate()) {
            error.set(Some(crate::i18n::rejection(lang, &errs)));
            return;
        }
        let deal = intent.deal.clone();
        let cmd = Command::MoveDeal {
            deal: intent.deal,
            from: intent.from,
            to: intent.to,
            note: note.get_untracked(),
            lost_reason: reason.get_untracked(),
            ticked: checked.get_untracked(),
        };
        match app.dispatch_stored(cmd) {
            Ok(stored) => {
                let moved = deal.clone();
                if let Some(draft) = next {
                    if let Err(errs) = app.dispatch(Command::LogActivity { on: crate::domain::ActivityOn::Deal(deal), draft }) {
                        app.write_error.set(Some(crate::i18n::rejection(lang, &errs)));
                    }
                }
                // The dialog closes when the move is stored, in the frame that draws it,
                // not first in a frame of its own while the write is out: the app takes it
                // away just before the move reaches memory (`AppState::run_job`), and
                // this, once the move is in memory, moves the focus on (or closes it, if
                // the write failed).
                pending.set_value(true);
                cancelled.set_value(false);
                leptos::task::spawn_local(async move {
                    stored.await;
                    let _ = pending.try_set_value(false);
                    // Unless it was cancelled meanwhile (the move goes on regardless).
                    if cancelled.try_get_value() == Some(false) {
                        close_with(Some(moved));
                    }
                });
            }
            Err(errs) => {
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
                <super::dialog::Modal labelled_by="move-title" on_close=move |_| close()>
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
                            m.criteria.iter().map(|c| {
                                let c2 = c.clone();
                                view! {
                                    <label class="check">
                                        <input type="checkbox" aria-required=m.criteria_required.to_string() on:change=move |ev| {
                                            let on = event_target_checked(&ev);
                                            checked.update(|v| { v.retain(|x| *x != c2); if on { v.push(c2.clone()) } });
                                        }/>
                                        <span>{c.clone()}</span>
                                    </label>
                                }
                            }).collect_view().into_any()
                        }}
                        <Show when=move || { n_criteria > 0 }>
                            <p class="muted small">{move || fill(app.t(K::CriteriaConfirmed), &[("done", checked.with(Vec::len).to_string()), ("all", n_criteria.to_string())])}</p>
                        </Show>
                    </fieldset>
                    <Show when=move || is_lost>
                        {
                            let reasons = m.reasons.clone();
                            let required = m.reason_required;
                            let has_list = !reasons.is_empty();
                            view! {
                                {has_list.then(|| view! {
                                    <label class="field">
                                        <span>{move || app.t(K::LostReason)}{required.then_some(" *")}</span>
                                        // A required reason is where the cursor starts.
                                        <select aria-required=required.to_string() data-autofocus=required.then_some("") on:change=move |ev| {
                                            let v = event_target_value(&ev);
                                            other.set(v == "\u{1}other");
                                            reason.set(if v == "\u{1}other" { String::new() } else { v });
                                        }>
                                            <option value="">"—"</option>
                                            {reasons.clone().into_iter().map(|r| view! { <option value=r.clone()>{r.clone()}</option> }).collect_view()}
                                            <option value="\u{1}other">{move || app.t(K::OtherLostReason)}</option>
                                        </select>
                                    </label>
                                })}
                                <Show when=move || !has_list || other.get()>
                                    <label class="field">
                                        <span>{move || app.t(if has_list { K::OtherLostReasonText } else { K::LostReason })}{required.then_some(" *")}</span>
                                        <input type="text" aria-required=required.to_string() prop:value=move || reason.get() on:input=move |ev| reason.set(event_target_value(&ev))/>
                                    </label>
                                </Show>
                            }
                        }
                    </Show>
                    <Show when=move || m.to_kind == StageKind::Open>
                        <div class="grid2">
                            <label class="field">
                                <span>{move || app.t(K::NextStepField)}</span>
                                <input type="text" prop:value=move || next_subject.get()
                                    on:input=move |ev| {
                                        if next_due.with_untracked(String::is_empty) {
                                            let tz = super::format::tz_offset_min();
                                            let tomorrow = super::state::now() + chrono::Duration::minutes(tz as i64) + chrono::Duration::days(1);
                                            next_due.set(format!("{}T09:00", tomorrow.format("%Y-%m-%d")));
                                        }
                                        next_subject.set(event_target_value(&ev));
                                    }/>
                            </label>
                            <label class="field">
                                <span>{move || app.t(K::NextStepDue)}</span>
                                <input type="datetime-local" prop:value=move || next_due.get() on:input=move |ev| next_due.set(event_target_value(&ev))/>
                            </label>
                        </div>
                    </Show>
                    <label class="field">
                        <span>{move || app.t(K::MoveNote)}</span>
                        <textarea rows="2" prop:value=move || note.get() on:input=move |ev| note.set(event_target_value(&ev))></textarea>
                    </label>
                    {move || error.get().map(|e| view! { <p class="field-error" role="alert">{e}</p> })}
                    <div class="actions">
                        <button type="button" on:click=move |_| close()>{move || app.t(K::Cancel)}</button>
                        <button type="button" class="primary" data-autofocus on:click=move |_| confirm()>{move || app.t(K::ConfirmMove)}</button>
                    </div>
                </super::dialog::Modal>
            }
        })
    }
}
