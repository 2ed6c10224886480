//! Create or edit a deal. The form holds raw text; the domain validates it and every
//! problem is shown next to its field. Nothing is stored until all fields are valid.

use super::state::{use_app, DealFormMode};
use crate::domain::money::CURRENCIES;
use crate::domain::{Command, DealDraft, DomainError, Field, ForecastCategory, Id};
use crate::i18n::{error_message, K};
use leptos::prelude::*;
use std::collections::BTreeSet;

#[component]
pub fn DealForm() -> impl IntoView {
    let app = use_app();
    move || app.deal_form.get().map(|mode| view! { <DealFormDialog mode=mode/> })
}

#[component]
fn DealFormDialog(mode: DealFormMode) -> impl IntoView {
    let app = use_app();
    let (initial, stage0) = app.ws.with_untracked(|ws| match &mode {
        DealFormMode::Edit(id) => (ws.deal(id).map(DealDraft::from_deal).unwrap_or_default(), None),
        DealFormMode::New { stage } => {
            // New deals default to the currency most used in this workspace.
            let currency = ws.deals.last().map(|d| d.currency.clone()).unwrap_or_else(|| {
                if app.lang.get_untracked() == crate::domain::Lang::Zh { "CNY".into() } else { "USD".into() }
            });
            (DealDraft { currency, ..Default::default() }, stage.clone())
        }
    });
    let base = initial.clone();
    let draft = RwSignal::new(initial);
    let stage = RwSignal::new(stage0.map(|s| s.to_string()).unwrap_or_default());
    let errors = RwSignal::new(Vec::<(Field, DomainError)>::new());
    let is_new = matches!(mode, DealFormMode::New { .. });
    let stages = Memo::new(move |_| {
        let pid = app.pipeline.get();
        app.ws.with(|ws| {
            pid.and_then(|id| ws.pipeline(&id))
                .map(|p| p.active_stages().map(|s| (s.id.to_string(), s.name.clone())).collect::<Vec<_>>())
                .unwrap_or_default()
        })
    });
    // Suggestions from existing deals keep owner and source names consistent.
    let suggestions = move |pick: fn(&crate::domain::Opportunity) -> &str| {
        app.ws.with_untracked(|ws| {
            ws.deals.iter().map(pick).filter(|s| !s.is_empty()).map(str::to_string).collect::<BTreeSet<_>>()
        })
    };
    let owners = suggestions(|d| d.owner.as_str());
    let sources = suggestions(|d| d.source.as_str());
    // Closing with unsaved typing asks first (Esc, Cancel or a click beside the form);
    // after a save it just closes. Focus goes back to where the form was opened from.
    let pristine = StoredValue::new(draft.get_untracked());
    let close_now = move || {
        app.deal_form.set(None);
        super::dialog::restore_focus(|| ());
    };
    let close = move || {
        let changed = pristine.with_value(|p| draft.with_untracked(|d| d != p));
        if !changed || window().confirm_with_message(&app.t(K::DiscardTypedChanges)).unwrap_or(true) {
            close_now();
        }
    };
    let mode_for_submit = mode.clone();
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let d = draft.get_untracked();
        let cmd = match &mode_for_submit {
            // Only the fields changed in this form are written (see `Command::UpdateDeal`).
            DealFormMode::Edit(id) => Command::UpdateDeal { deal: id.clone(), draft: d, base: Some(base.clone()) },
            DealFormMode::New { .. } => {
                let Some(pipeline) = app.pipeline.get_untracked() else { return };
                let s = stage.get_untracked();
                Command::CreateDeal { pipeline, stage: (!s.is_empty()).then_some(Id::from(s)), draft: d }
            }
        };
        match app.dispatch(cmd) {
            Ok(()) => close_now(),
            Err(e) => {
                errors.set(e);
                super::dialog::focus_first_invalid(".deal-form");
            }
        }
    };
    let error_for = move |f: Field| {
        move || {
            let lang = app.lang.get();
            errors.with(|es| {
                es.iter().filter(|(ff, _)| *ff == f).map(|(_, e)| error_message(lang, e)).collect::<Vec<_>>().join(" ")
            })
        }
    };
    let text_field = move |f: Field, label: K, get: fn(&DealDraft) -> &String, set: fn(&mut DealDraft, String), kind: &'static str, list: Option<&'static str>| {
        let err = error_for(f);
        let err2 = error_for(f);
        let id = format!("deal-{f:?}").to_lowercase();
        let err_id = format!("{id}-error");
        // The error sits outside the <label> so it never becomes part of the input's name.
        view! {
            <div class="field" class:invalid=move || !err2().is_empty()>
                <label for=id.clone()>{move || app.t(label)}</label>
                <input type=kind id=id list=list
                    aria-describedby=err_id.clone()
                    aria-invalid=move || if err().is_empty() { "false" } else { "true" }
                    prop:value=move || draft.with(|d| get(d).clone())
                    on:input=move |ev| draft.update(|d| set(d, event_target_value(&ev)))/>
                <span class="field-error" id=err_id>{error_for(f)}</span>
            </div>
        }
    };
    let title_key = if is_new { K::NewDeal } else { K::EditDeal };
    view! {
        <super::dialog::Modal labelled_by="deal-form-title" class="wide deal-form" on_close=move |_| close()>
            <h2 id="deal-form-title">{move || app.t(title_key)}</h2>
            <form on:submit=submit novalidate>
                <div class="grid2">
                    {text_field(Field::Title, K::DealTitle, |d| &d.title, |d, v| d.title = v, "text", None)}
                    {text_field(Field::Account, K::Account, |d| &d.account, |d, v| d.account = v, "text", None)}
                    {text_field(Field::Contact, K::Contact, |d| &d.contact, |d, v| d.contact = v, "text", None)}
                    {text_field(Field::Amount, K::Amount, |d| &d.amount, |d, v| d.amount = v, "text", None)}
                    <label class="field">
                        <span>{move || app.t(K::Currency)}</span>
                        <select on:change=move |ev| draft.update(|d| d.currency = event_target_value(&ev))>
                            {CURRENCIES.iter().map(|c| {
                                let c = *c;
                                view! { <option value=c selected=move || draft.with(|d| d.currency == c)>{c}</option> }
                            }).collect_view()}
                        </select>
                    </label>
                    {text_field(Field::ExpectedClose, K::ExpectedClose, |d| &d.expected_close, |d, v| d.expected_close = v, "date", None)}
                    {text_field(Field::Owner, K::Owner, |d| &d.owner, |d, v| d.owner = v, "text", Some("owner-options"))}
                    {text_field(Field::Source, K::Source, |d| &d.source, |d, v| d.source = v, "text", Some("source-options"))}
                    {text_field(Field::Tags, K::Tags, |d| &d.tags, |d, v| d.tags = v, "text", None)}
                    {text_field(Field::Probability, K::ProbabilityOverride, |d| &d.probability, |d, v| d.probability = v, "text", None)}
                    {text_field(Field::ProbabilityReason, K::ProbabilityReasonLabel, |d| &d.probability_reason, |d, v| d.probability_reason = v, "text", None)}
                    <div class="field">
                        <label for="deal-category">{move || app.t(K::ForecastCategoryLabel)}</label>
                        <select id="deal-category" on:change=move |ev| draft.update(|d| d.forecast_category = match event_target_value(&ev).as_str() {
                            "best" => ForecastCategory::BestCase,
                            "commit" => ForecastCategory::Commit,
                            "omitted" => ForecastCategory::Omitted,
                            _ => ForecastCategory::Pipeline,
                        })>
                            {[(ForecastCategory::Pipeline, "pipeline", K::CatPipeline), (ForecastCategory::BestCase, "best", K::CatBestCase),
                              (ForecastCategory::Commit, "commit", K::CatCommit), (ForecastCategory::Omitted, "omitted", K::CatOmitted)]
                                .into_iter()
                                .map(|(c, v, k)| view! { <option value=v selected=move || draft.with(|d| d.forecast_category == c)>{move || app.t(k)}</option> })
                                .collect_view()}
                        </select>
                    </div>
                    <Show when=move || is_new>
                        <div class="field">
                            <label for="deal-stage">{move || app.t(K::Stage)}</label>
                            <select id="deal-stage" on:change=move |ev| stage.set(event_target_value(&ev))>
                                {move || stages.get().into_iter().map(|(id, name)| {
                                    let sel = id.clone();
                                    view! { <option value=id selected=move || stage.with(|s| *s == sel)>{name}</option> }
                                }).collect_view()}
                            </select>
                            <span class="field-error">{error_for(Field::Stage)}</span>
                        </div>
                    </Show>
                </div>
                <div class="field">
                    <label for="deal-notes">{move || app.t(K::Notes)}</label>
                    <textarea id="deal-notes" rows="3" prop:value=move || draft.with(|d| d.notes.clone())
                        on:input=move |ev| draft.update(|d| d.notes = event_target_value(&ev))></textarea>
                    <span class="field-error">{error_for(Field::Notes)}</span>
                </div>
                <datalist id="owner-options">{owners.into_iter().map(|o| view! { <option value=o/> }).collect_view()}</datalist>
                <datalist id="source-options">{sources.into_iter().map(|o| view! { <option value=o/> }).collect_view()}</datalist>
                <div class="actions">
                    <button type="button" on:click=move |_| close()>{move || app.t(K::Cancel)}</button>
                    <button type="submit" class="primary">{move || app.t(K::SaveDeal)}</button>
                </div>
            </form>
        </super::dialog::Modal>
    }
}
