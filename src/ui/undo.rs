//! Undo and redo: two header buttons and Ctrl/Cmd+Z, Ctrl/Cmd+Shift+Z (or Ctrl+Y). The
//! lists and what an undo does live in the core (`domain::undo`); this only labels and asks.

use super::state::use_app;
use crate::domain::undo::{Entry, What};
use crate::i18n::{fill, K};
use leptos::prelude::*;

/// "move “Acme”", "delete 3 deals": what an entry did, in the user's language.
pub fn label(app: super::AppState, e: &Entry) -> String {
    let key = match e.what {
        What::CreateDeal => K::UndoCreateDeal,
        What::EditDeal => K::UndoEditDeal,
        What::MoveDeal => K::UndoMoveDeal,
        What::DeleteDeals => K::UndoDeleteDeals,
        What::RestoreDeals => K::UndoRestoreDeals,
        What::EditDeals => K::UndoEditDeals,
        What::SavePipeline => K::UndoSavePipeline,
        What::RemovePipeline => K::UndoRemovePipeline,
        What::RestorePipeline => K::UndoRestorePipeline,
        What::DuplicatePipeline => K::UndoDuplicatePipeline,
        What::SetTargets => K::UndoSetTargets,
        What::EditTask | What::Undo | What::Redo => K::UndoEditTask,
    };
    let object = if e.count > 1 { fill(app.t(K::NDealsObj), &[("n", e.count.to_string())]) } else { format!("“{}”", e.subject) };
    fill(app.t(key), &[("s", object)])
}

/// Whether a key press belongs to a text field (whose own undo the browser handles).
fn in_text_field(ev: &web_sys::KeyboardEvent) -> bool {
    use wasm_bindgen::JsCast;
    let Some(t) = ev.target() else { return false };
    if t.dyn_ref::<web_sys::HtmlTextAreaElement>().is_some() {
        return true;
    }
    if let Some(i) = t.dyn_ref::<web_sys::HtmlInputElement>() {
        return !matches!(i.type_().as_str(), "checkbox" | "radio" | "button" | "submit" | "reset" | "file" | "range" | "color");
    }
    t.dyn_ref::<web_sys::HtmlElement>().is_some_and(|e| e.is_content_editable())
}

#[component]
pub fn UndoButtons() -> impl IntoView {
    let app = use_app();
    // What the last press did, for screen readers (and sighted users: it shows briefly).
    let said = RwSignal::new(String::new());
    // Presses made before the kept lists are back (the first instant after opening), in
    // order: acted on once they are, so a quick Ctrl+Z after a reload is not lost.
    let held = StoredValue::new(Vec::<bool>::new());
    let press = move |redo: bool| {
        if !app.history_ready.get_untracked() {
            held.update_value(|h| h.push(redo));
            return;
        }
        let next = app.history.with_untracked(|h| if redo { h.redo.last().cloned() } else { h.undo.last().cloned() });
        if let Some(e) = next {
            let what = label(app, &e);
            said.set(fill(app.t(if redo { K::RedoDone } else { K::UndoDone }), &[("what", what)]));
            app.undo(redo);
        }
    };
    Effect::new(move |_| {
        if app.history_ready.get() {
            for redo in held.try_update_value(std::mem::take).unwrap_or_default() {
                press(redo);
            }
        }
    });
    let handle = window_event_listener(leptos::ev::keydown, move |ev| {
        if !(ev.ctrl_key() || ev.meta_key()) || ev.alt_key() || in_text_field(&ev) {
            return;
        }
        // Not behind an open dialog: what it is about could change under it.
        if document().query_selector("[role=dialog]").ok().flatten().is_some() {
            return;
        }
        let key = ev.key().to_lowercase();
        let redo = (key == "z" && ev.shift_key()) || (key == "y" && !ev.shift_key());
        if key == "z" || redo {
            ev.prevent_default();
            press(redo);
        }
    });
    on_cleanup(move || handle.remove());
    let undo_label = move || {
        app.history.with(|h| h.undo.last().map(|e| fill(app.t(K::UndoWhat), &[("what", label(app, e))]))).unwrap_or_else(|| app.t(K::NothingToUndo).to_string())
    };
    let redo_label = move || {
        app.history.with(|h| h.redo.last().map(|e| fill(app.t(K::RedoWhat), &[("what", label(app, e))]))).unwrap_or_else(|| app.t(K::NothingToRedo).to_string())
    };
    view! {
        <div class="undo-redo">
            <button type="button" class="icon-text" title=undo_label aria-label=undo_label
                aria-disabled=move || app.history.with(|h| h.undo.is_empty()).to_string()
                on:click=move |_| press(false)>
                <span aria-hidden="true">"↶ "</span>{move || app.t(K::UndoBtn)}
            </button>
            <button type="button" class="icon-text" title=redo_label aria-label=redo_label
                aria-disabled=move || app.history.with(|h| h.redo.is_empty()).to_string()
                on:click=move |_| press(true)>
                <span aria-hidden="true">"↷ "</span>{move || app.t(K::RedoBtn)}
            </button>
            <span class="sr-only" aria-live="polite">{move || said.get()}</span>
        </div>
    }
}
