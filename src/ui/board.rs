//! The Kanban board: a column per stage, cards that can be dragged between columns or
//! moved with the "Move to…" control (the keyboard way, equally complete).

use super::format;
use super::state::{use_app, DealFormMode};
use super::{href, View};
use crate::domain::money::format_amount;
use std::collections::HashMap;
use crate::domain::board_filter::{BoardFilter, CloseWindow};
use crate::domain::{Id, StageKind};
use leptos_router::hooks::{use_navigate, use_query_map};
use crate::i18n::{fill, K};
use leptos::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
struct Card {
    id: Id,
    title: String,
    account: String,
    amount: String,
    owner: String,
    days: i64,
}

#[derive(Clone, Debug, PartialEq)]
struct Column {
    id: Id,
    name: String,
    kind: StageKind,
    count: usize,
    /// Deals in the stage before the search and filters (equal to `count` without them).
    all: usize,
    total: String,
    /// Open stages: the total times the stage's win probability.
    weighted: Option<String>,
    /// The first `limit` cards in display order; the rest are behind "Show more".
    cards: Vec<Card>,
}

/// Cards rendered per column until the user asks for more: keeps a 10k-deal board fast.
const PAGE: usize = 50;

/// A deal's next step as its card shows it: subject, due time, overdue or not.
#[derive(Clone, Debug, PartialEq)]
struct NextStep {
    subject: String,
    at: chrono::DateTime<chrono::Utc>,
    overdue: bool,
}

#[component]
pub fn Board() -> impl IntoView {
    let app = use_app();
    let limits = RwSignal::new(HashMap::<Id, usize>::new());
    // Every deal's next step (its earliest open task), from the workspace's activities:
    // worked out again when they change, not on every move.
    let activities_rev = Memo::new(move |_| app.activities_rev());
    let next_steps = Memo::new(move |_| {
        // Read, not only tracked: a memo nobody reads is never worked out, so it never
        // subscribes to the model and never changes.
        activities_rev.with(|_| ());
        let now = super::state::now();
        app.ws.with_untracked(|ws| {
            ws.next_steps()
                .into_iter()
                .map(|(d, a)| (d.clone(), NextStep { subject: a.subject.clone(), at: a.at, overdue: a.at < now }))
                .collect::<HashMap<Id, NextStep>>()
        })
    });
    provide_context(next_steps);
    // Each open stage's rotting threshold in days: the one set in the stage editor, else the
    // stage's 90th-percentile dwell. Worked out when the board opens or its pipeline or
    // stage definitions change, not on every move (a move barely shifts a 90th percentile,
    // and working out every stage's dwell would cost more than the move itself on a big
    // pipeline). Only the dwell (`rot_limits`), not the whole report: at 100,000 deals
    // ≈ 14 ms natively against 40, and the report's code stays out of the first download.
    let rot_key = Memo::new(move |_| {
        let pid = app.pipeline.get();
        app.ws.with(|ws| pid.and_then(|id| ws.pipeline(&id).map(|p| p.stages.iter().map(|s| (s.id.clone(), s.stuck_after_days)).collect::<Vec<_>>())))
    });
    let rot_after = Memo::new(move |_| {
        rot_key.with(|_| ());
        let now = super::state::now();
        app.with_index_untracked(|flow| crate::analytics::rot_limits(flow, now).into_iter().collect::<HashMap<Id, f64>>()).unwrap_or_default()
    });
    provide_context(rot_after);
    // What cards show (this browser's choice).
    let look = RwSignal::new({
        let p = crate::storage::Prefs::load();
        CardLook { compact: p.compact_cards, hidden: p.card_hidden }
    });
    provide_context(look);
    // The search and filters live in the page address (the one source of truth).
    let query = use_query_map();
    let filter = Memo::new(move |_| query.with(|q| BoardFilter::from_query(|k| q.get(k))));
    // The deals the filter lets through; None when there is no filter.
    let shown = Memo::new(move |_| {
        let f = filter.get();
        if !f.narrows() {
            return None;
        }
        let now = super::state::now();
        let today = (now + chrono::Duration::minutes(format::tz_offset_min() as i64)).date_naive();
        let stuck: std::collections::HashSet<String> = if f.needs_stuck() {
            app.with_index(|flow| crate::analytics::stuck_now(flow, now)).unwrap_or_default()
        } else {
            Default::default()
        };
        Some(app.ws.with(|ws| {
            let signals = crate::domain::board_filter::Signals::of(ws, &stuck.iter().map(String::as_str).collect(), now);
            ws.live_deals()
                .filter(|d| f.matches(d, signals.get(&d.id).copied().unwrap_or_default(), today))
                .map(|d| d.id.clone())
                .collect::<std::collections::HashSet<Id>>()
        }))
    });
    // Read from the kept analytics index: each deal's last event gives its stage and the
    // time it entered it, without touching the string-keyed workspace.
    let columns = Memo::new(move |_| {
        let now = super::state::now().timestamp();
        let limits = limits.get();
        let shown = shown.get();
        let showing = filter.with(|f| f.showing);
        app.with_index(|flow| {
            let mut members: Vec<Vec<(i64, usize)>> = vec![Vec::new(); flow.stages.len()];
            let mut all = vec![0usize; flow.stages.len()];
            for (d, evs) in flow.events.iter().enumerate() {
                if let Some(&(t, s)) = evs.last() {
                    all[s as usize] += 1;
                    if shown.as_ref().is_none_or(|set| set.contains(&flow.deals[d].id)) {
                        members[s as usize].push((t, d));
                    }
                }
            }
            flow.stages
                .iter()
                .enumerate()
                .filter(|(_, s)| !s.archived && showing.shows(s.kind))
                .map(|(si, s)| {
                    let m = &mut members[si];
                    // Open stages: longest-waiting first. Won/Lost: most recently closed first.
                    let terminal = s.kind.is_terminal();
                    let order = |a: &(i64, usize), b: &(i64, usize)| {
                        let by_time = if terminal { b.0.cmp(&a.0) } else { a.0.cmp(&b.0) };
                        // Last by position, so which cards make the first page never
                        // depends on where the selection happened to leave equal ones.
                        by_time.then_with(|| flow.deals[a.1].title.cmp(&flow.deals[b.1].title)).then(a.1.cmp(&b.1))
                    };
                    // Only the cards shown are put in order: the first `limit` picked out in
                    // linear time, then sorted, rather than sorting every member of a
                    // 10,000-deal column on each move.
                    let limit = limits.get(&s.id).copied().unwrap_or(PAGE);
                    if m.len() > limit {
                        m.select_nth_unstable_by(limit, order);
                        m[..limit].sort_unstable_by(order);
                    } else {
                        m.sort_unstable_by(order);
                    }
                    let cards = m
                        .iter()
                        .take(limit)
                        .map(|&(t, d)| {
                            let row = &flow.deals[d];
                            Card {
                                id: row.id.clone(),
                                title: row.title.clone(),
                                account: row.account.clone(),
                                amount: row.amount.map(|a| format_amount(a, flow.labels.name(row.currency))).unwrap_or_default(),
                                owner: flow.labels.name(row.owner).to_string(),
                                days: (now - t).div_euclid(86_400),
                            }
                        })
                        .collect();
                    // Open deals convert at today's rates, won and lost ones at their close
                    // day's (with a reporting currency set).
                    let open = s.kind == StageKind::Open;
                    let (totals, weighted) = crate::analytics::convert::column_money(
                        flow,
                        m.iter().map(|&(t, d)| (d, if open { now } else { t }, flow.deals[d].probability.unwrap_or(s.probability))),
                    );
                    Column {
                        id: s.id.clone(),
                        name: s.name.clone(),
                        kind: s.kind,
                        count: m.len(),
                        all: all[si],
                        // Each deal at the rep's own probability when set, else the stage's.
                        weighted: (open && !totals.is_empty()).then(|| format::totals_text(&weighted)),
                        total: format::totals_text(&totals),
                        cards,
                    }
                })
                .collect::<Vec<_>>()
        })
        .unwrap_or_default()
    });
    // Every stage a card can move to, Won and Lost included (they are not columns).
    let stage_options = Memo::new(move |_| {
        app.with_index(|flow| flow.stages.iter().filter(|s| !s.archived).map(|s| (s.id.clone(), s.name.clone())).collect::<Vec<_>>()).unwrap_or_default()
    });
    let closing = Memo::new(move |_| {
        app.with_index(|flow| flow.stages.iter().filter(|s| !s.archived && s.kind.is_terminal()).map(|s| (s.id.clone(), s.name.clone(), s.kind)).collect::<Vec<_>>())
            .unwrap_or_default()
    });
    // Deals per kind of stage under the search and filters, for the open/won/lost choice.
    let per_kind = Memo::new(move |_| {
        let shown = shown.get();
        app.with_index(|flow| {
            let mut n = [0usize; 3];
            for (d, evs) in flow.events.iter().enumerate() {
                let Some(&(_, s)) = evs.last() else { continue };
                if shown.as_ref().is_some_and(|set| !set.contains(&flow.deals[d].id)) {
                    continue;
                }
                match flow.stages[s as usize].kind {
                    StageKind::Open => n[0] += 1,
                    StageKind::Won => n[1] += 1,
                    StageKind::Lost => n[2] += 1,
                }
            }
            n
        })
        .unwrap_or_default()
    });
    provide_context(per_kind);
    let show_more = Callback::new(move |id: Id| limits.update(|l| *l.entry(id).or_insert(PAGE) += 100));
    view! {
        <h1 class="sr-only">{move || app.t(K::Board)}</h1>
        <BoardToolbar filter=filter counts=per_kind/>
        <CardOptions look=look/>
        <super::rates::BoardRatesNote/>
        <div class="board" class:compact=move || look.with(|l| l.compact)>
            <For each=move || columns.get() key=|c| (c.id.clone(), c.name.clone()) let(col)>
                <StageColumn id=col.id name=col.name kind=col.kind columns=columns stage_options=stage_options show_more=show_more/>
            </For>
        </div>
        // Won and Lost are where a dragged card goes to close, not columns of their own.
        <Show when=move || app.dragging.with(Option::is_some)>
            <div class="close-zones" role="group" aria-label=move || app.t(K::CloseZones)>
                <For each=move || closing.get() key=|z| z.clone() let((id, name, kind))>
                    <CloseZone id=id name=name kind=kind/>
                </For>
            </div>
        </Show>
    }
}

/// How board cards look: compact or not, and the fields left off.
#[derive(Clone, Debug, Default, PartialEq)]
struct CardLook {
    compact: bool,
    hidden: Vec<String>,
}

impl CardLook {
    fn shows(&self, field: &str) -> bool {
        !self.hidden.iter().any(|h| h == field)
    }
}

/// The fields a card can show, with their labels.
const CARD_FIELDS: [(&str, K); 5] = [("account", K::Account), ("amount", K::Amount), ("owner", K::Owner), ("next_step", K::NextStep), ("age", K::DaysInStage)];

/// Density and the fields cards show, kept in this browser.
#[component]
fn CardOptions(look: RwSignal<CardLook>) -> impl IntoView {
    let app = use_app();
    let save = move || {
        let mut p = crate::storage::Prefs::load();
        look.with_untracked(|l| {
            p.compact_cards = l.compact;
            p.card_hidden = l.hidden.clone();
        });
        p.save();
    };
    view! {
        <details class="card-options">
            <summary>{move || app.t(K::CardOptions)}</summary>
            <fieldset>
                <legend class="sr-only">{move || app.t(K::CardOptions)}</legend>
                <label class="check">
                    <input type="checkbox" prop:checked=move || look.with(|l| l.compact)
                        on:change=move |ev| { let on = event_target_checked(&ev); look.update(|l| l.compact = on); save(); }/>
                    <span>{move || app.t(K::CompactCards)}</span>
                </label>
                {CARD_FIELDS.into_iter().map(|(f, k)| view! {
                    <label class="check">
                        <input type="checkbox" prop:checked=move || look.with(|l| l.shows(f))
                            on:change=move |ev| {
                                let on = event_target_checked(&ev);
                                look.update(|l| { l.hidden.retain(|h| h != f); if !on { l.hidden.push(f.to_string()) } });
                                save();
                            }/>
                        <span>{move || app.t(k)}</span>
                    </label>
                }).collect_view()}
            </fieldset>
        </details>
    }
}

/// A drop target for closing a dragged deal as Won or Lost.
#[component]
fn CloseZone(id: Id, name: String, kind: StageKind) -> impl IntoView {
    let app = use_app();
    let over = RwSignal::new(false);
    let text = {
        let name = name.clone();
        move || fill(app.t(K::DropToClose), &[("stage", name.clone())])
    };
    view! {
        <div class=if kind == StageKind::Won { "close-zone won" } else { "close-zone lost" }
            class:drop-target=move || over.get()
            on:dragover=move |ev: web_sys::DragEvent| {
                ev.prevent_default();
                over.set(true);
            }
            on:dragleave=move |_| over.set(false)
            on:drop=move |ev: web_sys::DragEvent| {
                ev.prevent_default();
                over.set(false);
                if let Some(deal) = app.dragging.get_untracked() {
                    app.dragging.set(None);
                    app.moving.set(Some(app.move_intent(deal, id.clone())));
                }
            }>
            <strong>{name.clone()}</strong>
            <span>{text}</span>
        </div>
    }
}

#[component]
fn StageColumn(
    id: Id,
    name: String,
    kind: StageKind,
    columns: Memo<Vec<Column>>,
    stage_options: Memo<Vec<(Id, String)>>,
    show_more: Callback<Id>,
) -> impl IntoView {
    let app = use_app();
    let col_id = id.clone();
    let data = Memo::new(move |_| columns.with(|cs| cs.iter().find(|c| c.id == col_id).cloned()));
    let count = move || data.with(|d| d.as_ref().map_or(0, |c| c.count));
    let all = move || data.with(|d| d.as_ref().map_or(0, |c| c.all));
    let hidden = move || data.with(|d| d.as_ref().map_or(0, |c| c.count - c.cards.len()));
    let total = move || data.with(|d| d.as_ref().map(|c| c.total.clone()).unwrap_or_default());
    let weighted = move || data.with(|d| d.as_ref().and_then(|c| c.weighted.clone()));
    let cards = move || data.with(|d| d.as_ref().map(|c| c.cards.clone()).unwrap_or_default());
    let over = RwSignal::new(false);
    let drop_id = id.clone();
    let on_drop = move |ev: web_sys::DragEvent| {
        ev.prevent_default();
        over.set(false);
        if let Some(deal) = app.dragging.get_untracked() {
            app.dragging.set(None);
            let already_here = data.with_untracked(|d| d.as_ref().is_some_and(|c| c.cards.iter().any(|k| k.id == deal)));
            if !already_here {
                app.moving.set(Some(app.move_intent(deal, drop_id.clone())));
            }
        }
    };
    let add_id = id.clone();
    let more_id = id.clone();
    let add_label = {
        let name = name.clone();
        move || fill(app.t(K::AddDealToStage), &[("stage", name.clone())])
    };
    let kind_class = match kind {
        StageKind::Open => "column",
        StageKind::Won => "column won",
        StageKind::Lost => "column lost",
    };
    let heading_id = format!("col-{id}");
    let heading_id2 = heading_id.clone();
    view! {
        <section
            class=kind_class
            class:drop-target=move || over.get()
            aria-labelledby=heading_id2
            on:dragover=move |ev: web_sys::DragEvent| {
                ev.prevent_default();
                over.set(true);
            }
            on:dragleave=move |_| over.set(false)
            on:drop=on_drop
        >
            <header class="column-head">
                <h2 id=heading_id>{name.clone()}</h2>
                <button class="icon" aria-label=add_label.clone() title=add_label
                    on:click=move |_| app.deal_form.set(Some(DealFormMode::New { stage: Some(add_id.clone()) }))>"+"</button>
                <p class="column-stats">
                    <span class="count">{move || match (count(), all()) {
                        (n, m) if n != m => fill(app.t(K::NOfMDeals), &[("n", n.to_string()), ("m", m.to_string())]),
                        (1, _) => app.t(K::OneDeal).to_string(),
                        (n, _) => fill(app.t(K::NDeals), &[("n", n.to_string())]),
                    }}</span>
                    <span class="total">{total}</span>
                    {move || weighted().map(|w| view! {
                        <span class="weighted" title=move || app.t(K::ColumnWeightedTip)>{fill(app.t(K::WeightedShort), &[("v", w)])}</span>
                    })}
                </p>
            </header>
            <ul class="cards" role="list">
                <For each=cards key=|c| c.clone() let(card)>
                    <DealCard card=card stage=id.clone() stage_options=stage_options open=kind == StageKind::Open/>
                </For>
            </ul>
            <Show when=move || count() == 0>
                <p class="empty">{move || app.t(K::NoDealsHere)}</p>
            </Show>
            <Show when=move || { hidden() > 0 }>
                <button class="more" on:click={
                    let id = more_id.clone();
                    move |_| show_more.run(id.clone())
                }>{move || fill(app.t(K::ShowMore), &[("n", hidden().min(100).to_string()), ("hidden", hidden().to_string())])}</button>
            </Show>
        </section>
    }
}

#[component]
fn DealCard(card: Card, stage: Id, stage_options: Memo<Vec<(Id, String)>>, open: bool) -> impl IntoView {
    let app = use_app();
    let Card { id, title, account, amount, owner, days } = card;
    let next_steps = use_context::<Memo<HashMap<Id, NextStep>>>();
    let step_id = id.clone();
    let next = Memo::new(move |_| next_steps.and_then(|m| m.with(|m| m.get(&step_id).cloned())));
    let log_id = id.clone();
    let key_id = id.clone();
    let log_label = {
        let title = title.clone();
        move || fill(app.t(K::LogActivityOn), &[("deal", title.clone())])
    };
    let drag_id = id.clone();
    let look = use_context::<RwSignal<CardLook>>();
    let shows = move |f: &str| look.is_none_or(|l| l.with(|l| l.shows(f)));
    let on_move = super::move_dialog::on_move_select(id.clone());
    let move_label = {
        let title = title.clone();
        move || fill(app.t(K::MoveDealTo), &[("deal", title.clone())])
    };
    // The stages after this one first, so ArrowDown on the control picks the next stage
    // (then Won, Lost, and the earlier stages for a move back).
    let rot_stage = stage.clone();
    let others = move || {
        let all = stage_options.get();
        let at = all.iter().position(|(s, _)| *s == stage).map_or(0, |i| i + 1);
        all[at.min(all.len())..].iter().chain(&all[..at.min(all.len())]).filter(|(s, _)| *s != stage).cloned().collect::<Vec<_>>()
    };
    view! {
        <li class="card" draggable="true" aria-label=title.clone() data-deal=id.to_string()
            on:keydown=move |ev: web_sys::KeyboardEvent| {
                // "L" on a focused card (not while choosing a stage) logs an activity.
                let in_select = ev.target().and_then(|t| wasm_bindgen::JsCast::dyn_into::<web_sys::HtmlSelectElement>(t).ok()).is_some();
                if !in_select && !ev.ctrl_key() && !ev.meta_key() && !ev.alt_key() && ev.key().eq_ignore_ascii_case("l") {
                    ev.prevent_default();
                    app.logging.set(Some((key_id.clone(), crate::domain::ActivityKind::Call)));
                }
            }
            on:dragstart=move |ev: web_sys::DragEvent| {
                if let Some(dt) = ev.data_transfer() {
                    let _ = dt.set_data("text/plain", drag_id.as_str());
                    dt.set_effect_allowed("move");
                }
                app.dragging.set(Some(drag_id.clone()));
            }
            on:dragend=move |_| app.dragging.set(None)
        >
            <a class="card-title" href=href(View::Deal(id.clone())) draggable="false">{title.clone()}</a>
            <Show when=move || shows("account")><div class="card-account">{account.clone()}</div></Show>
            <div class="card-meta">
                <Show when=move || shows("amount")><span class="amount">{amount.clone()}</span></Show>
                <Show when=move || shows("owner")><span class="owner">{owner.clone()}</span></Show>
            </div>
            {open.then(|| view! { <Show when=move || shows("next_step")>
                {move || match next.get() {
                    Some(n) => view! {
                        <div class="next-step" class:overdue=n.overdue>
                            <span class="label">{move || app.t(if n.overdue { K::NextStepOverdue } else { K::NextStep })}</span>
                            " " <bdi>{n.subject.clone()}</bdi>
                            <time datetime=n.at.to_rfc3339()>{move || format!(" · {}", format::datetime(n.at, app.lang.get()))}</time>
                        </div>
                    }.into_any(),
                    // Not known before the activities are read (just after the board is shown).
                    None if !app.whole.get() => ().into_any(),
                    None => view! { <div class="next-step none">{move || app.t(K::NoNextStep)}</div> }.into_any(),
                }}
            </Show> })}
            <div class="card-foot">
                {
                    let rot = use_context::<Memo<HashMap<Id, f64>>>();
                    let stage_id = rot_stage.clone();
                    let limit = Memo::new(move |_| rot.and_then(|r| r.with(|r| r.get(&stage_id).copied())).filter(|l| open && days as f64 > *l));
                    view! {
                        <span class="age" class:rotting=move || limit.with(Option::is_some) class:hidden=move || !shows("age") title=move || app.t(K::DaysInStageHint)>
                            {move || format::days(days, app.lang.get())}
                            {move || limit.get().map(|l| view! { " · " <strong>{fill(app.t(K::Rotting), &[("n", format!("{l:.0}"))])}</strong> })}
                        </span>
                    }
                }
                <button type="button" class="icon log" aria-label=log_label.clone() title=log_label
                    on:click=move |_| app.logging.set(Some((log_id.clone(), crate::domain::ActivityKind::Call)))>"✎"</button>
                <select class="move-select" aria-label=move_label on:change=on_move>
                    <option value="" selected>{move || app.t(K::MoveTo)}</option>
                    {move || others().into_iter().map(|(sid, sname)| view! { <option value=sid.to_string()>{sname}</option> }).collect_view()}
                </select>
            </div>
        </li>
    }
}

/// Search, filters and saved views above the board. Every change rewrites the address
/// (replacing, not adding, a history entry), and the board follows the address.
/// `list`: above the list view (the same selection as a table) rather than the board.
#[component]
pub(super) fn BoardToolbar(filter: Memo<BoardFilter>, #[prop(optional)] list: bool, #[prop(optional)] counts: Option<Memo<[usize; 3]>>) -> impl IntoView {
    let app = use_app();
    let navigate = use_navigate();
    let here = if list { "list" } else { "board" };
    let go = move |f: BoardFilter| {
        let q = f.to_address();
        let url = format!("{}?view={here}{}{q}", app.base_path.get_value(), if q.is_empty() { "" } else { "&" });
        navigate(&url, leptos_router::NavigateOptions { replace: true, ..Default::default() });
    };
    // The other layout of the same selection.
    let other = move || {
        let q = filter.with(BoardFilter::to_address);
        let there = if list { "board" } else { "list" };
        format!("{}?view={there}{}{q}", app.base_path.get_value(), if q.is_empty() { "" } else { "&" })
    };
    // The shown pipeline's owners, sources and tags, from the index's interned labels:
    // this runs on every change, a move included, and gathering them from every deal's
    // strings copied each of them each time.
    let options = Memo::new(move |_| app.with_index(crate::analytics::Flow::filter_choices).unwrap_or_default());
    let go2 = go.clone();
    let set = move |edit: Box<dyn Fn(&mut BoardFilter)>| {
        let mut f = filter.get_untracked();
        edit(&mut f);
        go2(f);
    };
    let set = StoredValue::new_local(set);
    let select = move |label: K, get: fn(&BoardFilter) -> &String, put: fn(&mut BoardFilter, String), pick: fn(&(Vec<String>, Vec<String>, Vec<String>)) -> &Vec<String>| {
        view! {
            <label class="field small">
                <span>{move || app.t(label)}</span>
                <select on:change=move |ev| {
                    let v = event_target_value(&ev);
                    set.with_value(|s| s(Box::new(move |f| put(f, v.clone()))));
                }>
                    <option value="" selected=move || filter.with(|f| get(f).is_empty())>{move || app.t(K::Everyone)}</option>
                    {move || options.with(|o| pick(o).clone()).into_iter().map(|v| {
                        let (v2, text) = (v.clone(), v.clone());
                        view! { <option value=v selected=move || filter.with(|f| *get(f) == v2)>{text}</option> }
                    }).collect_view()}
                </select>
            </label>
        }
    };
    // Saved views: a name and the address's filters, kept in this browser.
    let saved = RwSignal::new(crate::storage::Prefs::load().views);
    let view_name = RwSignal::new(String::new());
    let save_view = move |_| {
        let name = view_name.get_untracked().trim().to_string();
        if name.is_empty() {
            return;
        }
        let q = filter.get_untracked().to_address();
        let mut p = crate::storage::Prefs::load();
        p.views.retain(|(n, _)| *n != name);
        p.views.push((name, q));
        p.save();
        saved.set(p.views);
        view_name.set(String::new());
    };
    let go3 = go.clone();
    let apply_view = move |ev: leptos::ev::Event| {
        let name = event_target_value(&ev);
        if let Some((_, q)) = saved.get_untracked().into_iter().find(|(n, _)| *n == name) {
            go3(BoardFilter::from_address(&q));
        }
    };
    let delete_view = move |_| {
        let q = filter.get_untracked().to_address();
        let mut p = crate::storage::Prefs::load();
        p.views.retain(|(_, vq)| *vq != q);
        p.save();
        saved.set(p.views);
    };
    let go4 = go.clone();
    view! {
        <div class="board-tools" role="search" aria-label=move || app.t(K::FindDeals)>
            <a class="view-switch" href=other>{move || app.t(if list { K::BoardView } else { K::ListView })}</a>
            <label class="field grow">
                <span>{move || app.t(K::SearchDeals)}</span>
                <input type="search" prop:value=move || filter.with(|f| f.text.clone()) placeholder=move || app.t(K::SearchDealsHint)
                    on:input=move |ev| {
                        let v = event_target_value(&ev);
                        set.with_value(|s| s(Box::new(move |f| f.text = v.clone())));
                    }/>
            </label>
            <label class="field small">
                <span>{move || app.t(K::ShowingLabel)}</span>
                <select class="showing" on:change=move |ev| {
                    let w = crate::domain::board_filter::Showing::from_code(&event_target_value(&ev));
                    set.with_value(|s| s(Box::new(move |f| f.showing = w)));
                }>
                    {crate::domain::board_filter::Showing::ALL.into_iter().map(|w| {
                        use crate::domain::board_filter::Showing as S;
                        let (key, slot) = match w {
                            S::Open => (K::ShowingOpen, Some(0)),
                            S::Won => (K::ShowingWon, Some(1)),
                            S::Lost => (K::ShowingLost, Some(2)),
                            S::All => (K::ShowingAll, None),
                        };
                        let text = move || match (counts, slot) {
                            (Some(c), Some(i)) => format!("{} ({})", app.t(key), c.with(|c| c[i])),
                            _ => app.t(key).to_string(),
                        };
                        view! { <option value=w.code() selected=move || filter.with(|f| f.showing == w)>{text}</option> }
                    }).collect_view()}
                </select>
            </label>
            {select(K::Owner, |f| &f.owner, |f, v| f.owner = v, |o| &o.0)}
            {select(K::Source, |f| &f.source, |f, v| f.source = v, |o| &o.1)}
            {select(K::TagsShort, |f| &f.tag, |f, v| f.tag = v, |o| &o.2)}
            <label class="field small">
                <span>{move || app.t(K::ExpectedClose)}</span>
                <select on:change=move |ev| {
                    let w = CloseWindow::from_code(&event_target_value(&ev));
                    set.with_value(|s| s(Box::new(move |f| f.close = w)));
                }>
                    {CloseWindow::ALL.into_iter().map(|w| view! {
                        <option value=w.code() selected=move || filter.with(|f| f.close == w)>{move || app.t(close_label(w))}</option>
                    }).collect_view()}
                </select>
            </label>
            <label class="check">
                <input type="checkbox" prop:checked=move || filter.with(|f| f.no_next_step) on:change=move |ev| {
                    let on = event_target_checked(&ev);
                    set.with_value(|s| s(Box::new(move |f| f.no_next_step = on)));
                }/>
                <span>{move || app.t(K::FilterNoNextStep)}</span>
            </label>
            <label class="check">
                <input type="checkbox" prop:checked=move || filter.with(|f| f.stuck) on:change=move |ev| {
                    let on = event_target_checked(&ev);
                    set.with_value(|s| s(Box::new(move |f| f.stuck = on)));
                }/>
                <span>{move || app.t(K::FilterStuck)}</span>
            </label>
            <label class="check" title=move || app.t(K::FilterAtRiskTip)>
                <input type="checkbox" prop:checked=move || filter.with(|f| f.at_risk) on:change=move |ev| {
                    let on = event_target_checked(&ev);
                    set.with_value(|s| s(Box::new(move |f| f.at_risk = on)));
                }/>
                <span>{move || app.t(K::FilterAtRisk)}</span>
            </label>
            <Show when=move || !filter.with(BoardFilter::is_empty)>
                <button type="button" on:click={let go4 = go4.clone(); move |_| go4(BoardFilter::default())}>{move || app.t(K::ClearFilters)}</button>
            </Show>
            <div class="saved-views">
                <label class="field small">
                    <span>{move || app.t(K::SavedViews)}</span>
                    <select on:change=apply_view.clone()>
                        <option value="">"—"</option>
                        {move || saved.get().into_iter().map(|(n, _)| view! { <option value=n.clone()>{n.clone()}</option> }).collect_view()}
                    </select>
                </label>
                <Show when=move || !filter.with(BoardFilter::is_empty)>
                    <label class="field small">
                        <span>{move || app.t(K::ViewName)}</span>
                        <input type="text" prop:value=move || view_name.get() on:input=move |ev| view_name.set(event_target_value(&ev))/>
                    </label>
                    <button type="button" on:click=save_view>{move || app.t(K::SaveView)}</button>
                    <button type="button" on:click=delete_view>{move || app.t(K::DeleteView)}</button>
                </Show>
            </div>
        </div>
    }
}

fn close_label(w: CloseWindow) -> K {
    match w {
        CloseWindow::Any => K::CloseAny,
        CloseWindow::Overdue => K::CloseOverdue,
        CloseWindow::ThisMonth => K::CloseThisMonth,
        CloseWindow::Next30 => K::CloseNext30,
        CloseWindow::NotSet => K::CloseNotSet,
    }
}
