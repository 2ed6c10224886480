//! One behaviour for every dialog: focus moves in (to the element marked `data-autofocus`,
//! else the first control), Tab and Shift+Tab stay inside, Esc and a click on the overlay
//! ask to close, and closing puts focus back where it was — or, when that element has left
//! the page (a card that moved to another column), where the caller says.

use leptos::prelude::*;
use std::cell::RefCell;
use wasm_bindgen::JsCast;

const FOCUSABLE: &str = "a[href], button:not([disabled]), input:not([disabled]):not([type=hidden]), select:not([disabled]), textarea:not([disabled]), [tabindex]:not([tabindex='-1'])";

thread_local! {
    /// The element that had focus when the open dialog opened (one dialog at a time).
    static OPENER: RefCell<Option<web_sys::HtmlElement>> = const { RefCell::new(None) };
    /// When the opener sits in a list item (a card): the item after it, else the one before.
    /// A move can take the opener's card to where it is not drawn; focus goes here then.
    static NEIGHBOUR: RefCell<Option<web_sys::Element>> = const { RefCell::new(None) };
}

fn focusables(root: &web_sys::Element) -> Vec<web_sys::HtmlElement> {
    let Ok(list) = root.query_selector_all(FOCUSABLE) else { return Vec::new() };
    (0..list.length())
        .filter_map(|i| list.item(i).and_then(|n| n.dyn_into::<web_sys::HtmlElement>().ok()))
        // Hidden controls (a collapsed section) cannot take focus.
        .filter(|e| e.offset_parent().is_some() || e.get_client_rects().length() > 0)
        .collect()
}

#[component]
pub fn Modal(
    /// The id of the dialog's heading.
    labelled_by: &'static str,
    #[prop(into)] on_close: Callback<()>,
    /// Extra classes ("wide").
    #[prop(optional)]
    class: &'static str,
    children: Children,
) -> impl IntoView {
    let node = NodeRef::<leptos::html::Div>::new();
    let opener = document().active_element().and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok());
    let neighbour = opener
        .as_ref()
        .and_then(|o| o.closest("li").ok().flatten())
        .and_then(|li| li.next_element_sibling().or_else(|| li.previous_element_sibling()));
    NEIGHBOUR.with(|n| *n.borrow_mut() = neighbour);
    OPENER.with(|o| *o.borrow_mut() = opener);
    Effect::new(move |_| {
        if let Some(root) = node.get() {
            let marked = root.query_selector("[data-autofocus]").ok().flatten().and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok());
            if let Some(el) = marked.or_else(|| focusables(&root).into_iter().next()) {
                let _ = el.focus();
            }
        }
    });
    let keydown = move |ev: web_sys::KeyboardEvent| match ev.key().as_str() {
        "Escape" => {
            ev.prevent_default();
            ev.stop_propagation();
            on_close.run(());
        }
        "Tab" => {
            let Some(root) = node.get_untracked() else { return };
            let all = focusables(&root);
            let (Some(first), Some(last)) = (all.first(), all.last()) else { return };
            let active = document().active_element();
            let at = |e: &web_sys::HtmlElement| active.as_ref().is_some_and(|a| a == e.unchecked_ref::<web_sys::Element>());
            if ev.shift_key() && at(first) {
                ev.prevent_default();
                let _ = last.focus();
            } else if !ev.shift_key() && at(last) {
                ev.prevent_default();
                let _ = first.focus();
            }
        }
        _ => {}
    };
    view! {
        <div class="overlay" on:click=move |_| on_close.run(())></div>
        <div class=format!("dialog {class}") role="dialog" aria-modal="true" aria-labelledby=labelled_by node_ref=node on:keydown=keydown>
            {children()}
        </div>
    }
}

/// Puts focus back on the element that had it when the dialog opened; when that element
/// has left the page, runs `fallback` instead. Waits for the next frame: what the dialog
/// did (a move) redraws the page first, and may take the opener away.
pub fn restore_focus(fallback: impl FnOnce() + 'static) {
    let opener = OPENER.with(|o| o.borrow_mut().take());
    NEIGHBOUR.with(|n| n.borrow_mut().take());
    request_animation_frame(move || match opener {
        Some(e) if e.is_connected() => {
            let _ = e.focus();
        }
        _ => fallback(),
    });
}

/// Focuses (and scrolls to) the first invalid field inside `selector`, after the page has
/// drawn the errors.
pub fn focus_first_invalid(selector: &'static str) {
    request_animation_frame(move || {
        let el = document()
            .query_selector(&format!("{selector} [aria-invalid=true], {selector} .invalid input, {selector} .invalid select, {selector} .invalid textarea"))
            .ok()
            .flatten()
            .and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok());
        if let Some(el) = el {
            el.scroll_into_view_with_bool(false);
            let _ = el.focus();
        }
    });
}

/// After a confirmed move, called once the change is stored and drawn: focus goes to the
/// deal's card's `selector` in its new column; where the card is not drawn, back to where
/// the dialog opened if that is still there (the deal page), else to the same control on the
/// card next to the one that left (a card moved past the first page of a long column: a
/// keyboard user goes on down the column instead of starting again from the page's top).
pub fn focus_moved_card(deal: crate::domain::Id, selector: &'static str) {
    let opener = OPENER.with(|o| o.borrow_mut().take());
    let neighbour = NEIGHBOUR.with(|n| n.borrow_mut().take());
    // A few frames, not more: the board is redrawn by then. Looking for up to 60 frames (a
    // second), each look a query over the page, a card moved past a column's first page
    // kept a look running into the next move (five at once in the perf test's moves),
    // taking the main thread from the next keypress.
    poll_card(deal, selector, opener, neighbour, 3);
}

fn poll_card(deal: crate::domain::Id, selector: &'static str, opener: Option<web_sys::HtmlElement>, neighbour: Option<web_sys::Element>, frames_left: u32) {
    request_animation_frame(move || {
        let query = format!("li.card[data-deal=\"{}\"] {selector}", deal.as_str().replace('\\', "\\\\").replace('"', "\\\""));
        let fresh = document().query_selector(&query).ok().flatten().and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok());
        match fresh {
            Some(el) if opener.as_ref() != Some(&el) => {
                let _ = el.focus();
            }
            _ if frames_left == 0 => {
                let next = || {
                    neighbour
                        .filter(|n| n.is_connected())
                        .and_then(|n| n.query_selector(selector).ok().flatten())
                        .and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok())
                };
                if let Some(el) = opener.filter(|o| o.is_connected()).or_else(next) {
                    let _ = el.focus();
                }
            }
            _ => poll_card(deal, selector, opener, neighbour, frames_left - 1),
        }
    });
}
