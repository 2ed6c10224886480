//! The list view: the board's selection as a sortable, paged table, with bulk edit of the
//! chosen deals (owner, stage, tag, trash). Rows and sorting come from the core
//! (`domain::deal_list`); every change is one command, undone as one.

use super::format;
use super::state::use_app;
use super::{href, View};
use crate::domain::board_filter::BoardFilter;
use crate::domain::deal_list::{self, SortKey};
use crate::domain::money::format_amount;
use crate::domain::{BulkEdit, Command, Id, StageKind};
use crate::i18n::{fill, K};
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;
use std::collections::HashSet;

const PER_PAGE: usize = 50;

#[component]
pub fn DealList() -> impl IntoView {
    let app = use_app();
    let query = use_query_map();
    let filter = Memo::new(move |_| query.with(|q| BoardFilter::from_query(|k| q.get(k))));
    let sort = RwSignal::new((SortKey::Stage, false));
    let page = RwSignal::new(0usize);
    let selected = RwSignal::new(HashSet::<Id>::new());
    let done = RwSignal::new(None::<String>);
    let rows = Memo::new(move |_| {
        let f = filter.get();
        let now = super::state::now();
        let today = (now + chrono::Duration::minutes(format::tz_offset_min() as i64)).date_naive();
        let stuck: HashSet<String> = if f.needs_stuck() {
            app.with_index(|flow| crate::analytics::stuck_now(flow, now)).unwrap_or_default()
        } else {
            HashSet::new()
        };
        let Some(pid) = app.pipeline.get() else { return Vec::new() };
        let (key, desc) = sort.get();
        app.ws.with(|ws| {
            let signals = crate::domain::board_filter::Signals::of(ws, &stuck.iter().map(String::as_str).collect(), now);
            let mut rows = deal_list::rows(ws, &pid, &f, &signals, today);
            deal_list::sort(&mut rows, key, desc);
            rows
        })
    });
    // A new selection of deals starts at page one with nothing chosen.
    Effect::new(move |_| {
        filter.track();
        page.set(0);
        selected.set(HashSet::new());
    });
    let shown = Memo::new(move |_| rows.with(|r| {
        let (slice, pages) = deal_list::page(r, page.get(), PER_PAGE);
        (slice.to_vec(), pages)
    }));
    let now_s = super::state::now().timestamp();
    let header = move |key: SortKey, label: K, numeric: bool| {
        let aria_sort = move || match sort.get() {
            (k, false) if k == key => "ascending",
            (k, true) if k == key => "descending",
            _ => "none",
        };
        view! {
            <th scope="col" class:num=numeric aria-sort=aria_sort>
                <button type="button" class="sort" aria-label=move || fill(app.t(K::SortBy), &[("v", app.t(label).to_string())])
                    on:click=move |_| sort.update(|s| *s = if s.0 == key { (key, !s.1) } else { (key, false) })>
                    {move || app.t(label)}
                    <span aria-hidden="true">{move || match sort.get() { (k, false) if k == key => " ▲", (k, true) if k == key => " ▼", _ => "" }}</span>
                </button>
            </th>
        }
    };
    let all_on_page = move || shown.with(|(r, _)| !r.is_empty() && selected.with(|s| r.iter().all(|x| s.contains(&x.id))));
    let toggle_page = move |ev: leptos::ev::Event| {
        let on = event_target_checked(&ev);
        let ids: Vec<Id> = shown.with_untracked(|(r, _)| r.iter().map(|x| x.id.clone()).collect());
        selected.update(|s| {
            for id in ids {
                if on {
                    s.insert(id);
                } else {
                    s.remove(&id);
                }
            }
        });
    };
    view! {
        <h1 class="sr-only">{move || app.t(K::DealsList)}</h1>
        <super::board::BoardToolbar filter=filter list=true/>
        <section class="page deal-list">
            <Show when=move || !selected.with(HashSet::is_empty)>
                <BulkBar selected=selected done=done/>
            </Show>
            // Outside the bar, which closes when the change clears the selection.
            {move || done.get().map(|d| view! { <p class="ok" role="status">{d}</p> })}
            <div class="table-wrap" role="region" tabindex="0" aria-label=move || app.t(K::DealsList)>
                <table class="list">
                    <thead><tr>
                        <th scope="col" class="pick">
                            <input type="checkbox" aria-label=move || app.t(K::SelectAllOnPage) prop:checked=all_on_page on:change=toggle_page/>
                        </th>
                        {header(SortKey::Title, K::DealTitle, false)}
                        {header(SortKey::Account, K::Account, false)}
                        {header(SortKey::Stage, K::Stage, false)}
                        {header(SortKey::Amount, K::Amount, true)}
                        {header(SortKey::Owner, K::Owner, false)}
                        {header(SortKey::Close, K::ExpectedClose, false)}
                        {header(SortKey::Age, K::DaysInStage, true)}
                    </tr></thead>
                    <tbody>
                        <For each=move || shown.get().0 key=|r| r.clone() let(r)>
                            <tr>
                                <td class="pick">
                                    <input type="checkbox" aria-label={let t = r.title.clone(); move || fill(app.t(K::SelectDeal), &[("v", t.clone())])}
                                        prop:checked={let id = r.id.clone(); move || selected.with(|s| s.contains(&id))}
                                        on:change={let id = r.id.clone(); move |ev| {
                                            let on = event_target_checked(&ev);
                                            selected.update(|s| { if on { s.insert(id.clone()); } else { s.remove(&id); } });
                                        }}/>
                                </td>
                                <td><a href=href(View::Deal(r.id.clone()))><bdi>{r.title.clone()}</bdi></a></td>
                                <td><bdi>{r.account.clone()}</bdi></td>
                                <td>{r.stage.clone()}</td>
                                <td class="num">{r.amount.map(|a| format_amount(a, &r.currency)).unwrap_or_default()}</td>
                                <td>{r.owner.clone()}</td>
                                <td>{r.expected_close.map(format::date).unwrap_or_default()}</td>
                                <td class="num">{move || format::days((now_s - r.since.timestamp()).div_euclid(86_400), app.lang.get())}</td>
                            </tr>
                        </For>
                    </tbody>
                </table>
            </div>
            <Show when=move || rows.with(Vec::is_empty)>
                <p role="status">{move || app.t(K::NoDealsMatch)}</p>
            </Show>
            <nav class="pager" aria-label=move || app.t(K::DealsList)>
                <button type="button" aria-disabled=move || (page.get() == 0).to_string()
                    on:click=move |_| page.update(|p| *p = p.saturating_sub(1))>{move || app.t(K::PrevPage)}</button>
                <span role="status">{move || fill(app.t(K::PageNofM), &[("n", (page.get().min(shown.with(|s| s.1) - 1) + 1).to_string()), ("m", shown.with(|s| s.1).to_string())])}
                    " · " {move || fill(app.t(K::NDeals), &[("n", rows.with(Vec::len).to_string())])}</span>
                <button type="button" aria-disabled=move || (page.get() + 1 >= shown.with(|s| s.1)).to_string()
                    on:click=move |_| { let pages = shown.with_untracked(|s| s.1); page.update(|p| *p = (*p + 1).min(pages - 1)) }>{move || app.t(K::NextPage)}</button>
            </nav>
        </section>
    }
}

/// One change to every chosen deal: owner, stage (Lost asks for the reason), a tag added or
/// removed, or the trash.
#[component]
fn BulkBar(selected: RwSignal<HashSet<Id>>, done: RwSignal<Option<String>>) -> impl IntoView {
    let app = use_app();
    let owner = RwSignal::new(String::new());
    let stage = RwSignal::new(String::new());
    let reason = RwSignal::new(String::new());
    let add_tag = RwSignal::new(String::new());
    let remove_tag = RwSignal::new(String::new());
    let error = RwSignal::new(None::<String>);
    let options = Memo::new(move |_| {
        let pid = app.pipeline.get();
        app.ws.with(|ws| {
            let mut owners: std::collections::BTreeSet<String> = ws.owners.iter().filter(|o| o.active).map(|o| o.name.clone()).collect();
            owners.extend(ws.live_deals().map(|d| d.owner.clone()).filter(|o| !o.is_empty()));
            let tags: std::collections::BTreeSet<String> = ws.live_deals().flat_map(|d| d.tags.iter().cloned()).collect();
            let p = pid.and_then(|id| ws.pipeline(&id).cloned());
            let stages = p.as_ref().map(|p| p.active_stages().map(|s| (s.id.clone(), s.name.clone(), s.kind)).collect::<Vec<_>>()).unwrap_or_default();
            let reasons = p.map(|p| p.lost_reasons).unwrap_or_default();
            (owners.into_iter().collect::<Vec<_>>(), tags.into_iter().collect::<Vec<_>>(), stages, reasons)
        })
    });
    let to_lost = move || stage.with(|s| options.with(|o| o.2.iter().any(|(id, _, k)| id.as_str() == s && *k == StageKind::Lost)));
    let run = move |edit: Option<BulkEdit>| {
        let deals: Vec<Id> = selected.with_untracked(|s| {
            let mut v: Vec<Id> = s.iter().cloned().collect();
            v.sort();
            v
        });
        let n = deals.len();
        let cmd = match edit {
            Some(edit) => Command::EditDeals { deals, edit },
            None => Command::DeleteDeals { deals },
        };
        match app.dispatch(cmd) {
            Ok(()) => {
                error.set(None);
                done.set(Some(fill(app.t(K::BulkDone), &[("n", n.to_string())])));
                selected.set(HashSet::new());
            }
            Err(r) => error.set(Some(crate::i18n::rejection(app.lang.get_untracked(), &r))),
        }
    };
    view! {
        <div class="bulk-bar" role="group" aria-label=move || app.t(K::BulkEdit)>
            <strong role="status">{move || fill(app.t(K::NSelected), &[("n", selected.with(HashSet::len).to_string())])}</strong>
            <div class="bulk-item">
                <label class="field small">
                    <span>{move || app.t(K::SetOwner)}</span>
                    <input type="text" list="bulk-owners" prop:value=move || owner.get() on:input=move |ev| owner.set(event_target_value(&ev))/>
                </label>
                <datalist id="bulk-owners">
                    {move || options.with(|o| o.0.clone()).into_iter().map(|n| view! { <option value=n/> }).collect_view()}
                </datalist>
                <button type="button" on:click=move |_| run(Some(BulkEdit::Owner(owner.get_untracked())))>{move || app.t(K::Apply)}</button>
            </div>
            <div class="bulk-item">
                <label class="field small">
                    <span>{move || app.t(K::MoveSelectedTo)}</span>
                    <select on:change=move |ev| stage.set(event_target_value(&ev))>
                        <option value="">"—"</option>
                        {move || options.with(|o| o.2.clone()).into_iter().map(|(id, name, _)| view! { <option value=id.to_string()>{name}</option> }).collect_view()}
                    </select>
                </label>
                <Show when=to_lost>
                    <label class="field small">
                        <span>{move || app.t(K::LostReason)}</span>
                        <input type="text" list="bulk-reasons" prop:value=move || reason.get() on:input=move |ev| reason.set(event_target_value(&ev))/>
                    </label>
                    <datalist id="bulk-reasons">
                        {move || options.with(|o| o.3.clone()).into_iter().map(|n| view! { <option value=n/> }).collect_view()}
                    </datalist>
                </Show>
                <button type="button" on:click=move |_| {
                    let to = stage.get_untracked();
                    if !to.is_empty() {
                        run(Some(BulkEdit::Stage { to: Id::from(to), lost_reason: reason.get_untracked() }));
                    }
                }>{move || app.t(K::Apply)}</button>
            </div>
            <div class="bulk-item">
                <label class="field small">
                    <span>{move || app.t(K::AddTagLabel)}</span>
                    <input type="text" prop:value=move || add_tag.get() on:input=move |ev| add_tag.set(event_target_value(&ev))/>
                </label>
                <button type="button" on:click=move |_| run(Some(BulkEdit::AddTag(add_tag.get_untracked())))>{move || app.t(K::Apply)}</button>
            </div>
            <div class="bulk-item">
                <label class="field small">
                    <span>{move || app.t(K::RemoveTagLabel)}</span>
                    <select on:change=move |ev| remove_tag.set(event_target_value(&ev))>
                        <option value="">"—"</option>
                        {move || options.with(|o| o.1.clone()).into_iter().map(|t| { let v = t.clone(); view! { <option value=v>{t}</option> } }).collect_view()}
                    </select>
                </label>
                <button type="button" on:click=move |_| {
                    let t = remove_tag.get_untracked();
                    if !t.is_empty() {
                        run(Some(BulkEdit::RemoveTag(t)));
                    }
                }>{move || app.t(K::Apply)}</button>
            </div>
            <button type="button" class="danger" on:click=move |_| run(None)>{move || app.t(K::DeleteSelected)}</button>
            <button type="button" on:click=move |_| selected.set(HashSet::new())>{move || app.t(K::ClearSelection)}</button>
            {move || error.get().map(|e| view! { <p class="error" role="alert">{e}</p> })}
        </div>
    }
}
