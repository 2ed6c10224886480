//! Activities on screen: the form that logs one (on the deal page, and from a board card
//! in a dialog), a task's done / reschedule controls, and an activity as a timeline entry.
//! The rules (what a valid activity is, what "due today" means) live in the core.

use super::format;
use super::state::use_app;
use crate::domain::activity::{due_state, to_local_input, Due};
use crate::domain::{Activity, ActivityDraft, ActivityKind, ActivityOn, Command, Field};
use crate::i18n::{fill, K};
use leptos::prelude::*;

pub fn kind_label(k: ActivityKind) -> K {
    match k {
        ActivityKind::Call => K::KindCall,
        ActivityKind::Meeting => K::KindMeeting,
        ActivityKind::Email => K::KindEmail,
        ActivityKind::Note => K::KindNote,
        ActivityKind::Task => K::KindTask,
    }
}

/// The page of what an activity is about.
pub fn target_view(on: &ActivityOn) -> super::View {
    use super::View;
    match on {
        ActivityOn::Deal(id) => View::Deal(id.clone()),
        ActivityOn::Lead(id) => View::Lead(id.clone()),
        ActivityOn::Account(id) => View::Account(id.clone()),
        ActivityOn::Contact(id) => View::Contact(id.clone()),
    }
}

/// The form's starting time: now for something that happened, tomorrow 09:00 for a task.
fn default_when(kind: ActivityKind) -> String {
    let tz = format::tz_offset_min();
    let now = super::state::now();
    if kind == ActivityKind::Task {
        let local = now + chrono::Duration::minutes(tz as i64) + chrono::Duration::days(1);
        format!("{}T09:00", local.format("%Y-%m-%d"))
    } else {
        to_local_input(now, tz)
    }
}

/// Logs an activity on a deal, lead, account or contact. Errors are shown next to their fields, in the user's
/// language; nothing is stored until the whole form is valid.
#[component]
pub fn ActivityForm(
    on: ActivityOn,
    #[prop(into)] on_saved: Callback<()>,
    #[prop(optional)] kind: Option<ActivityKind>,
    /// Inside a dialog: the subject takes the focus when the dialog opens.
    #[prop(optional)] autofocus: bool,
) -> impl IntoView {
    let app = use_app();
    let start = kind.unwrap_or(ActivityKind::Call);
    let kind = RwSignal::new(start);
    let subject = RwSignal::new(String::new());
    let when = RwSignal::new(default_when(start));
    let when_edited = RwSignal::new(false);
    let duration = RwSignal::new(String::new());
    let outcome = RwSignal::new(String::new());
    let errors = RwSignal::new(Vec::<(Field, String)>::new());
    let error_for = move |f: Field| errors.with(|e| e.iter().find(|x| x.0 == f).map(|x| x.1.clone()));
    let save = move || {
        // An untouched time on something that happened means now, to the second (the
        // field only shows minutes).
        let untouched = !when_edited.get_untracked() && kind.get_untracked() != ActivityKind::Task;
        let draft = ActivityDraft {
            kind: kind.get_untracked(),
            subject: subject.get_untracked(),
            at: if untouched { String::new() } else { when.get_untracked() },
            duration_min: duration.get_untracked(),
            outcome: outcome.get_untracked(),
            owner: String::new(),
            tz_offset_min: format::tz_offset_min(),
        };
        match app.dispatch(Command::LogActivity { on: on.clone(), draft }) {
            Ok(()) => {
                errors.set(Vec::new());
                subject.set(String::new());
                duration.set(String::new());
                outcome.set(String::new());
                when_edited.set(false);
                when.set(default_when(kind.get_untracked()));
                on_saved.run(());
            }
            Err(errs) => {
                let lang = app.lang.get_untracked();
                errors.set(errs.iter().map(|(f, e)| (*f, crate::i18n::error_message(lang, e))).collect());
            }
        }
    };
    let field = move |f: Field, label: K, input: AnyView| {
        let id = format!("act-{f:?}").to_lowercase();
        view! {
            <label class="field" class:invalid=move || error_for(f).is_some()>
                <span>{move || app.t(label)}</span>
                {input}
                <span class="field-error" role="alert" id=id>{move || error_for(f).unwrap_or_default()}</span>
            </label>
        }
    };
    view! {
        <form class="activity-form" novalidate aria-label=move || app.t(K::LogActivity)
            on:submit=move |ev| {
                ev.prevent_default();
                save();
            }>
            <div class="activity-row">
                <label class="field small">
                    <span>{move || app.t(K::ActivityType)}</span>
                    <select on:change=move |ev| {
                        let k = ActivityKind::from_code(&event_target_value(&ev)).unwrap_or_default();
                        kind.set(k);
                        if !when_edited.get_untracked() {
                            when.set(default_when(k));
                        }
                    }>
                        {ActivityKind::ALL.into_iter().map(|k| view! {
                            <option value=k.code() selected=move || kind.get() == k>{move || app.t(kind_label(k))}</option>
                        }).collect_view()}
                    </select>
                </label>
                {field(Field::Subject, K::Subject, view! {
                    <input type="text" data-autofocus=autofocus.then_some("") prop:value=move || subject.get()
                        aria-describedby="act-subject" on:input=move |ev| subject.set(event_target_value(&ev))/>
                }.into_any())}
            </div>
            <div class="activity-row">
                <label class="field" class:invalid=move || error_for(Field::When).is_some()>
                    <span>{move || app.t(if kind.get() == ActivityKind::Task { K::DueAt } else { K::When })}</span>
                    <input type="datetime-local" prop:value=move || when.get() aria-describedby="act-when"
                        on:input=move |ev| {
                            when_edited.set(true);
                            when.set(event_target_value(&ev));
                        }/>
                    <span class="field-error" role="alert" id="act-when">{move || error_for(Field::When).unwrap_or_default()}</span>
                </label>
                <Show when=move || matches!(kind.get(), ActivityKind::Call | ActivityKind::Meeting)>
                    {field(Field::Duration, K::DurationMin, view! {
                        <input type="number" min="0" max="1440" inputmode="numeric" prop:value=move || duration.get()
                            aria-describedby="act-duration" on:input=move |ev| duration.set(event_target_value(&ev))/>
                    }.into_any())}
                </Show>
            </div>
            <Show when=move || kind.get() != ActivityKind::Task>
                {field(Field::Outcome, K::Outcome, view! {
                    <input type="text" prop:value=move || outcome.get() aria-describedby="act-outcome"
                        on:input=move |ev| outcome.set(event_target_value(&ev))/>
                }.into_any())}
            </Show>
            <div class="actions left">
                <button type="submit" class="primary">
                    {move || app.t(if kind.get() == ActivityKind::Task { K::ScheduleTask } else { K::SaveActivity })}
                </button>
            </div>
        </form>
    }
}

/// Done and reschedule, in place (the deal page and the Today view).
#[component]
pub fn TaskControls(task: Activity) -> impl IntoView {
    let app = use_app();
    let id = task.id.clone();
    let id2 = task.id.clone();
    let done = task.done_at.is_some();
    let subject = task.subject.clone();
    let subject2 = task.subject.clone();
    let due_value = to_local_input(task.at, format::tz_offset_min());
    let error = RwSignal::new(None::<String>);
    let report = move |r: Result<(), crate::domain::Rejection>| {
        error.set(r.err().map(|errs| crate::i18n::rejection(app.lang.get_untracked(), &errs)));
    };
    view! {
        <span class="task-controls">
            <label class="check inline">
                <input type="checkbox" prop:checked=done
                    aria-label=move || fill(app.t(K::MarkDone), &[("subject", subject.clone())])
                    on:change=move |ev| report(app.dispatch(Command::CompleteTask { activity: id.clone(), done: event_target_checked(&ev) }))/>
                <span aria-hidden="true">{move || app.t(K::Done)}</span>
            </label>
            {(!done).then(|| view! {
                <input type="datetime-local" class="reschedule" value=due_value
                    aria-label=move || fill(app.t(K::RescheduleTask), &[("subject", subject2.clone())])
                    on:change=move |ev| {
                        let due = ActivityDraft { at: event_target_value(&ev), tz_offset_min: format::tz_offset_min(), ..Default::default() };
                        report(app.dispatch(Command::RescheduleTask { activity: id2.clone(), due }));
                    }/>
            })}
            {move || error.get().map(|e| view! { <span class="field-error" role="alert">{e}</span> })}
        </span>
    }
}

/// An activity in a deal's timeline.
#[component]
pub fn ActivityEntry(activity: Activity) -> impl IntoView {
    let app = use_app();
    let a = activity;
    let state = a.is_open_task().then(|| due_state(a.at, super::state::now(), format::tz_offset_min()));
    let class = format!(
        "step activity {}{}",
        a.kind.code(),
        match (state, a.done_at.is_some()) {
            (Some(Due::Overdue), _) => " overdue",
            (_, true) => " done",
            _ => "",
        }
    );
    let at = a.at;
    let kind = a.kind;
    let duration = a.duration_min.filter(|m| *m > 0);
    let outcome = a.outcome.clone();
    let owner = a.owner.clone();
    let subject = a.subject.clone();
    let is_task = a.kind == ActivityKind::Task;
    view! {
        <li class=class>
            <time datetime=at.to_rfc3339()>{move || format::datetime(at, app.lang.get())}</time>
            <span class="what">
                <strong>{move || app.t(kind_label(kind))}</strong>": "<bdi>{subject}</bdi>
                {duration.map(|m| view! { <span class="muted">{move || format!(" · {}", fill(app.t(K::NMinutes), &[("n", m.to_string())]))}</span> })}
                {(!owner.is_empty()).then(|| view! { <span class="muted">" · "<bdi>{owner.clone()}</bdi></span> })}
                {(state == Some(Due::Overdue)).then(|| view! { <span class="overdue-tag">{move || app.t(K::Overdue)}</span> })}
            </span>
            {(!outcome.is_empty()).then(|| view! { <span class="note">{outcome.clone()}</span> })}
            {is_task.then(|| view! { <TaskControls task=a.clone()/> })}
        </li>
    }
}

/// "Log activity" from a board card: the same form in a dialog, Esc or Cancel to close,
/// focus back on the card's title afterwards.
#[component]
pub fn ActivityDialog() -> impl IntoView {
    let app = use_app();
    let info = Memo::new(move |_| {
        let (id, kind) = app.logging.get()?;
        app.ws.with(|ws| ws.deal(&id).map(|d| (id.clone(), d.title.clone(), kind)))
    });
    let close = move || {
        if let Some((id, _)) = app.logging.get_untracked() {
            app.logging.set(None);
            super::dialog::restore_focus(move || super::focus_deal_link(&id));
        }
    };
    move || {
        info.get().map(|(id, title, kind)| {
            view! {
                <super::dialog::Modal labelled_by="log-title" on_close=move |_| close()>
                    <h2 id="log-title">{move || app.t(K::LogActivity)}": "<bdi>{title.clone()}</bdi></h2>
                    <ActivityForm on=ActivityOn::Deal(id) kind=kind autofocus=true on_saved=move |_| close()/>
                    <div class="actions">
                        <button type="button" on:click=move |_| close()>{move || app.t(K::Cancel)}</button>
                    </div>
                </super::dialog::Modal>
            }
        })
    }
}

/// The activity form and the history of one lead, account or contact (a deal's page
/// interleaves its activities with its stage changes instead).
#[component]
pub fn ActivityPanel(on: ActivityOn) -> impl IntoView {
    let app = use_app();
    let key = on.clone();
    let list = Memo::new(move |_| app.ws.with(|ws| ws.activities_on(&key).into_iter().cloned().collect::<Vec<_>>()));
    view! {
        <h2>{move || app.t(K::LogActivity)}</h2>
        <ActivityForm on=on on_saved=|_| ()/>
        <h2 id="activity-history">{move || fill(app.t(K::ActivitiesN), &[("n", list.with(Vec::len).to_string())])}</h2>
        <ol class="timeline" aria-labelledby="activity-history">
            <For each=move || list.get() key=|a| (a.id.clone(), a.updated_at) let(a)>
                <ActivityEntry activity=a/>
            </For>
        </ol>
    }
}
