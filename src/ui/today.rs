//! Today: the rep's start page. Overdue, due today and upcoming tasks with done and
//! reschedule in place; open deals without a next step; deals stuck in their stage.
//! Filter by owner; the tasks as an .ics file; browser reminders while the tab is open.

use super::activities::{kind_label, TaskControls};
use super::format;
use super::state::{now, reports_in_slices, use_app, yield_to_browser, AppState, Sliced};
use super::{href, View};
use crate::domain::activity::AgendaBuilder;
use crate::domain::{Activity, ActivityKind, Id, Opportunity};
use crate::i18n::{fill, K};
use leptos::prelude::*;
use std::collections::HashSet;

/// Upcoming tasks shown: the next week.
const AHEAD_DAYS: i64 = 7;

#[derive(Clone, PartialEq)]
struct Row {
    task: Activity,
    /// The deal, lead, account or contact it is on.
    target: String,
}

/// A section's count and the rows it draws: only those are named and copied (at 100k
/// deals the agenda holds ~16,700 tasks; naming them all was most of the click).
#[derive(Clone, PartialEq)]
struct Section<T> {
    n: usize,
    rows: Vec<T>,
}

impl<T> Default for Section<T> {
    fn default() -> Self {
        Section { n: 0, rows: Vec::new() }
    }
}

impl<T> Section<T> {
    fn of<S>(all: Vec<S>, row: impl FnMut(S) -> T) -> Self {
        Section { n: all.len(), rows: all.into_iter().take(SHOWN).map(row).collect() }
    }
}

#[derive(Clone, PartialEq, Default)]
struct Day {
    /// False until the agenda is computed: the sections show no count and no rows yet.
    computed: bool,
    overdue: Section<Row>,
    today: Section<Row>,
    upcoming: Section<Row>,
    idle: Section<(Id, String, String)>,
}

/// A section's count, None until the agenda is computed.
fn count(day: RwSignal<Day>, pick: impl Fn(&Day) -> usize + Send + Sync + 'static) -> Memo<Option<usize>> {
    Memo::new(move |_| day.with(|d| d.computed.then(|| pick(d))))
}

/// Tasks the calendar file writes per task (≈ 10 µs each in wasm).
const ICS_SLICE: usize = 2_000;

/// Deals the stuck list's report reads per task (as the dashboard's).
const STUCK_SLICE: usize = 10_000;

/// Activities or deals the agenda reads per task (≈ 940,000 activities and 100,000 deals
/// at 100,000 deals: ≈ 50 ms of wasm in one task).
const AGENDA_SLICE: usize = 100_000;

/// Rows a Today section lists: the first 100, oldest due first (the heading gives the
/// count); a big pipeline has thousands.
const SHOWN: usize = 100;

#[component]
pub fn Today() -> impl IntoView {
    let app = use_app();
    let owner = RwSignal::new(String::new());
    let owners = Memo::new(move |_| {
        app.ws.with(|ws| {
            // Each name once before it is copied: 100,000 deals share a few owners.
            let names: crate::domain::ids::FxSet<&str> =
                ws.deals.iter().map(|d| d.owner.as_str()).chain(ws.owners.iter().map(|o| o.name.as_str())).filter(|o| !o.is_empty()).collect();
            let mut o: Vec<String> = names.into_iter().map(str::to_string).collect();
            o.sort();
            o
        })
    });
    // The page is drawn first and its agenda computed after it, a slice of records a task
    // (`AgendaBuilder`): at 100,000 deals the agenda is ≈ 50 ms of wasm, and with the
    // page's drawing in one task opening Today held the page ≈ 150 ms; in one task of its
    // own, 70–107 ms.
    let ready = super::after_first_task();
    let day = RwSignal::new(Day::default());
    let agenda_gen = StoredValue::new(0u64);
    let shown_for = StoredValue::new(None::<String>);
    Effect::new(move |_| {
        let who = owner.get();
        // Every change to the workspace computes the agenda again.
        app.ws.with_lookup(|_, _| ());
        let gen = agenda_gen.get_value() + 1;
        agenda_gen.set_value(gen);
        // The agenda is the activities: none until they are read (every deal would look
        // idle).
        if !app.whole.get() || !ready.get() {
            day.set(Day::default());
            return;
        }
        // Another owner's lists are not left standing meanwhile; after a change to the
        // workspace the lists shown stay until the new ones are in.
        if shown_for.get_value().as_ref() != Some(&who) {
            day.set(Day::default());
        }
        leptos::task::spawn_local(async move {
            // Asked again, or the page was left.
            let current = move || agenda_gen.try_get_value() == Some(gen);
            let whose = (!who.is_empty()).then_some(who.as_str());
            let (mut b, activities, deals) = app.ws.with_lookup_untracked(|ws, at| {
                (AgendaBuilder::new(ws, at, None, whose, now(), format::tz_offset_min(), AHEAD_DAYS), ws.activities.len(), ws.deals.len())
            });
            // What was found is kept as positions: a workspace with fewer records than
            // when it began (a purge) is one they no longer fit, and this computation
            // gives way to the one the change asked for.
            let fits = move |ws: &crate::domain::Workspace| ws.activities.len() >= activities && ws.deals.len() >= deals;
            if !app.ws.in_slices(fits, |ws, at| b.step(ws, at, AGENDA_SLICE), current).await {
                return;
            }
            let computed = app.ws.with_lookup_untracked(|ws, at| {
                fits(ws).then(|| {
                    let g = b.finish(ws);
                    let row = |t: &Activity| Row { target: at.target_name(ws, &t.on()), task: t.clone() };
                    let stage = |d: &Opportunity| ws.pipeline(&d.pipeline).and_then(|p| p.stage(&d.stage)).map(|s| s.name.clone()).unwrap_or_default();
                    Day {
                        computed: true,
                        overdue: Section::of(g.overdue, row),
                        today: Section::of(g.today, row),
                        upcoming: Section::of(g.upcoming, row),
                        idle: Section::of(g.no_next_step, |d| (d.id.clone(), d.title.clone(), stage(d))),
                    }
                })
            });
            if let Some(d) = computed.filter(|_| current()) {
                shown_for.set_value(Some(who));
                day.set(d);
            }
        });
    });
    // Stuck deals of the pipeline on screen, from the same report the dashboard shows,
    // computed in slices after the lists are drawn: in the agenda's task it held the page
    // another ≈ 60–100 ms at 100,000 deals, on opening Today and on every change.
    // None until the first report is in (the list does not say "none stuck" meanwhile).
    let stuck = RwSignal::new(None::<Vec<(String, String, String, f64)>>);
    let generation = StoredValue::new(0u64);
    Effect::new(move |_| {
        let who = owner.get();
        app.track_index();
        let gen = generation.get_value() + 1;
        generation.set_value(gen);
        leptos::task::spawn_local(async move {
            let mut q = crate::analytics::Query::new(now());
            q.filter.owner = (!who.is_empty()).then_some(who);
            // Asked again, or the page was left.
            let current = move || generation.try_get_value() == Some(gen);
            // Let the lists be drawn first.
            yield_to_browser().await;
            if !current() {
                return;
            }
            let rows = match reports_in_slices(app, std::slice::from_ref(&q), STUCK_SLICE, |_| {}, current).await {
                Sliced::NoIndex => Vec::new(),
                Sliced::Abandoned => return,
                Sliced::Done(reports) => reports
                    .into_iter()
                    .flat_map(|r| r.stages)
                    .flat_map(|s| s.dwell.stuck.into_iter().map(move |d| (d.id, d.title, s.name.clone(), d.age_days)))
                    .take(50)
                    .collect(),
            };
            stuck.try_set(Some(rows));
        });
    });
    let ics_error = RwSignal::new(None::<String>);
    // Written a slice of tasks a task (16,672 events at 100,000 deals held the page ≈ 150–206
    // ms in one); the button waits meanwhile.
    let writing_ics = RwSignal::new(false);
    let download_ics = move |_| {
        let who = owner.get_untracked();
        writing_ics.set(true);
        leptos::task::spawn_local(async move {
            let mut b = app.ws.with_lookup_untracked(|ws, _| crate::io::ics::IcsBuilder::new(ws, now(), (!who.is_empty()).then_some(who.as_str())));
            while !app.ws.with_lookup_untracked(|ws, at| b.step(ws, at, ICS_SLICE)) {
                yield_to_browser().await;
            }
            let text = b.finish();
            _ = ics_error.try_set(super::data::download("funnelscope-tasks.ics", &text, "text/calendar").err());
            _ = writing_ics.try_set(false);
        });
    };
    // Rows are drawn a batch a section a task (at 10,000 deals the click's longest task was
    // 113–160 ms with all 373 rows in it, 69–76 ms this way; at 100,000 the agenda itself is
    // most of it). Lists are keyed: marking a task done redraws its row, not the page.
    let drawn = super::drawn_in_batches(move || day.with(|d| [d.overdue.rows.len(), d.today.rows.len(), d.upcoming.rows.len(), d.idle.rows.len()].into_iter().max().unwrap_or(0)));
    let count_text = |n: Option<usize>| n.map_or_else(|| "…".to_string(), |n| n.to_string());
    let idle_n = count(day, |d| d.idle.n);
    let section = move |heading: K, pick: fn(&Day) -> &Section<Row>, class: &'static str| {
        let n = count(day, move |d| pick(d).n);
        view! {
            <section class=format!("today-section {class}")>
                <h2>{move || fill(app.t(heading), &[("n", count_text(n.get()))])}</h2>
                {move || {
                    match n.get() {
                        None => ().into_any(),
                        Some(0) => view! { <p class="muted">{app.t(K::NothingHere)}</p> }.into_any(),
                        Some(_) => view! {
                            <ul class="task-list" aria-label=move || fill(app.t(heading), &[("n", count_text(n.get()))])>
                                <For each=move || day.with(|d| super::first_batches(&pick(d).rows, drawn.get())) key=|r: &Row| (r.task.id.clone(), r.task.updated_at, r.target.clone()) let(r)>
                                    <TaskRow row=r/>
                                </For>
                            </ul>
                        }.into_any(),
                    }
                }}
            </section>
        }
    };
    view! {
        <section class="page today">
            <div class="page-head">
                <h1>{move || app.t(K::TodayView)}</h1>
                <label class="field small">
                    <span>{move || app.t(K::Owner)}</span>
                    <select on:change=move |ev| { drawn.set(1); owner.set(event_target_value(&ev)) }>
                        <option value="" selected=move || owner.with(String::is_empty)>{move || app.t(K::Everyone)}</option>
                        {move || owners.get().into_iter().map(|o| {
                            let (o2, o3) = (o.clone(), o.clone());
                            view! { <option value=o3 selected=move || owner.get() == o2>{o}</option> }
                        }).collect_view()}
                    </select>
                </label>
                <button type="button" on:click=download_ics disabled=move || !app.whole.get() || writing_ics.get()>{move || app.t(K::DownloadIcs)}</button>
                <StartPage/>
                <Reminders/>
            </div>
            <super::RestPending/>
            {move || ics_error.get().map(|e| view! { <p class="field-error" role="alert">{e}</p> })}
            {section(K::OverdueN, |d| &d.overdue, "overdue")}
            {section(K::DueTodayN, |d| &d.today, "due-today")}
            {section(K::UpcomingN, |d| &d.upcoming, "upcoming")}
            <section class="today-section idle">
                <h2>{move || fill(app.t(K::NoNextStepN), &[("n", count_text(idle_n.get()))])}</h2>
                {move || {
                    match idle_n.get() {
                        None => return ().into_any(),
                        Some(0) => return view! { <p class="muted">{app.t(K::EveryDealHasNextStep)}</p> }.into_any(),
                        Some(_) => {}
                    }
                    view! {
                        <ul class="task-list" aria-label=move || app.t(K::DealsWithoutNextStep)>
                            <For each=move || day.with(|d| super::first_batches(&d.idle.rows, drawn.get())) key=|r| r.clone() let((id, title, stage))>
                                {
                                    let t2 = title.clone();
                                    let id2 = id.clone();
                                    view! {
                                        <li>
                                            <a href=href(View::Deal(id))><bdi>{title}</bdi></a>
                                            <span class="muted">" · " {stage}</span>
                                            <button type="button" class="small-button"
                                                aria-label=move || fill(app.t(K::ScheduleNextStepFor), &[("deal", t2.clone())])
                                                on:click=move |_| app.logging.set(Some((id2.clone(), ActivityKind::Task)))>
                                                {move || app.t(K::ScheduleNextStep)}
                                            </button>
                                        </li>
                                    }
                                }
                            </For>
                        </ul>
                    }.into_any()
                }}
            </section>
            <section class="today-section stuck">
                <h2>{move || fill(app.t(K::StuckN), &[("n", count_text(stuck.with(|s| s.as_ref().map(Vec::len))))])}</h2>
                {move || {
                    let Some(list) = stuck.get() else { return ().into_any() };
                    if list.is_empty() {
                        return view! { <p class="muted">{app.t(K::NoStuckDeals)}</p> }.into_any();
                    }
                    view! {
                        <ul class="task-list" aria-label=move || app.t(K::StuckDeals)>
                            {list.into_iter().map(|(id, title, stage, age)| view! {
                                <li>
                                    <a href=href(View::Deal(Id::from(id)))><bdi>{title}</bdi></a>
                                    <span class="muted">{move || format!(" · {stage} · {}", format::days(age as i64, app.lang.get()))}</span>
                                </li>
                            }).collect_view()}
                        </ul>
                    }.into_any()
                }}
            </section>
        </section>
    }
}

#[component]
fn TaskRow(row: Row) -> impl IntoView {
    let app = use_app();
    let Row { task, target } = row;
    let at = task.at;
    let kind = task.kind;
    let link = super::activities::target_view(&task.on());
    let subject = task.subject.clone();
    view! {
        <li class="task-row">
            <TaskControls task=task.clone()/>
            <span class="task-what">
                <span class="sr-only">{move || app.t(kind_label(kind))}": "</span>
                <bdi>{subject}</bdi>
                " · "
                <a href=href(link)><bdi>{target}</bdi></a>
            </span>
            <time class="muted" datetime=at.to_rfc3339()>{move || format::datetime(at, app.lang.get())}</time>
        </li>
    }
}

/// "Open Funnelscope on Today": kept in this browser's preferences.
#[component]
fn StartPage() -> impl IntoView {
    let app = use_app();
    let on = RwSignal::new(crate::storage::Prefs::load().start_on_today);
    view! {
        <label class="check inline">
            <input type="checkbox" prop:checked=move || on.get() on:change=move |ev| {
                let v = event_target_checked(&ev);
                let mut p = crate::storage::Prefs::load();
                p.start_on_today = v;
                p.save();
                on.set(v);
            }/>
            <span>{move || app.t(K::StartOnToday)}</span>
        </label>
    }
}

/// Asks for permission to show reminders, and says where it stands.
#[component]
fn Reminders() -> impl IntoView {
    let app = use_app();
    let state = RwSignal::new(permission());
    let ask = move |_| {
        leptos::task::spawn_local(async move {
            if let Ok(p) = web_sys::Notification::request_permission() {
                let _ = wasm_bindgen_futures::JsFuture::from(p).await;
            }
            // Not read back from `state`: the page may be gone after the prompt.
            let answer = permission();
            state.set(answer);
            if answer == Some(web_sys::NotificationPermission::Granted) {
                start_reminders(app);
            }
        });
    };
    move || match state.get() {
        None => view! { <span class="muted small">{app.t(K::RemindersUnsupported)}</span> }.into_any(),
        Some(web_sys::NotificationPermission::Granted) => view! { <span class="muted small" role="status">{app.t(K::RemindersOn)}</span> }.into_any(),
        Some(web_sys::NotificationPermission::Denied) => view! { <span class="muted small">{app.t(K::RemindersBlocked)}</span> }.into_any(),
        Some(_) => view! { <button type="button" on:click=ask>{app.t(K::TurnOnReminders)}</button> }.into_any(),
    }
}

/// The page's notification permission; None where the browser has no notifications.
fn permission() -> Option<web_sys::NotificationPermission> {
    let has = js_sys::Reflect::has(&window(), &"Notification".into()).unwrap_or(false);
    has.then(web_sys::Notification::permission)
}

/// While the tab is open, checks every 10 s for tasks falling due (from a minute ahead)
/// and raises one notification per task. Tasks already overdue when the tab opened are on
/// the Today page, not announced all at once. Started once permission is granted (at
/// start-up or from the button); a second start is a no-op.
pub fn start_reminders(app: AppState) {
    thread_local! {
        static STARTED: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
    }
    if permission() != Some(web_sys::NotificationPermission::Granted) || STARTED.with(|s| s.replace(true)) {
        return;
    }
    let since = std::cell::Cell::new(now());
    let told: std::cell::RefCell<HashSet<Id>> = Default::default();
    let tick = wasm_bindgen::closure::Closure::<dyn FnMut()>::new(move || {
        let upto = now() + chrono::Duration::minutes(1);
        let from = since.replace(upto);
        let due: Vec<(Id, String, String)> = app.ws.with_untracked(|ws| {
            ws.activities
                .iter()
                .filter(|a| a.is_open_task() && a.at > from && a.at <= upto)
                .map(|a| (a.id.clone(), a.subject.clone(), ws.target_name(&a.on())))
                .collect()
        });
        for (id, subject, deal) in due {
            if told.borrow_mut().insert(id) {
                let opts = web_sys::NotificationOptions::new();
                opts.set_body(&deal);
                let _ = web_sys::Notification::new_with_options(&fill(app.t(K::TaskDueNotice), &[("subject", subject)]), &opts);
            }
        }
    });
    let _ = window().set_interval_with_callback_and_timeout_and_arguments_0(wasm_bindgen::JsCast::unchecked_ref(tick.as_ref()), 10_000);
    tick.forget();
}
