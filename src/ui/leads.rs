//! The lead inbox: capture (one line, a pasted block, a spreadsheet), duplicates flagged
//! with merge, owners as records, assignment by a recorded rule, qualify into a deal or
//! disqualify with a reason, log the first call. The rules live in `domain::lead`.

use super::format;
use super::state::use_app;
use super::{href, View};
use crate::domain::lead::{AssignedBy, DuplicateBy, InboxBuilder, DISQUALIFY_REASONS};
use crate::domain::{ActivityDraft, ActivityKind, ActivityOn, AssignRule, Command, Id, Lead, LeadDraft, LeadField, LeadStatus, StageKind};
use crate::i18n::{fill, K};
use leptos::prelude::*;

/// Leads listed at once (the newest the filter keeps; the page says how many more).
const SHOWN: usize = 200;

/// Activities, then leads, the inbox reads per task (≈ 940,000 and 137,000 at 100,000 deals).
const INBOX_SLICE: usize = 100_000;

/// A listed lead: the lead, the earlier lead it probably duplicates (id, name, why), its
/// touches.
type Shown = (Lead, Option<(Id, String, DuplicateBy)>, usize);

#[derive(Clone, Copy, PartialEq)]
enum RuleMode {
    RoundRobin,
    Source,
    Field,
}

fn field_label(f: LeadField) -> K {
    match f {
        LeadField::Company => K::FieldCompany,
        LeadField::EmailDomain => K::FieldEmailDomain,
        LeadField::PhonePrefix => K::FieldPhonePrefix,
        LeadField::Notes => K::FieldNotes,
    }
}

/// The conditions of a by-field rule: "when <field> matches <value>, assign to <owner>",
/// as many as needed, and who gets the rest.
#[component]
fn FieldRule(field: RwSignal<LeadField>, conditions: RwSignal<Vec<(String, String)>>, fallback: RwSignal<String>, owners: Memo<Vec<String>>) -> impl IntoView {
    let app = use_app();
    let owner_options = move |selected: String| {
        owners
            .get()
            .into_iter()
            .map(|o| {
                let sel = o == selected;
                view! { <option value=o.clone() selected=sel>{o.clone()}</option> }
            })
            .collect_view()
    };
    view! {
        <fieldset class="criteria field-rule">
            <legend>{move || app.t(K::AssignByField)}</legend>
            <label class="field small">
                <span>{move || app.t(K::RuleField)}</span>
                <select on:change=move |ev| field.set(LeadField::from_code(&event_target_value(&ev)).unwrap_or(LeadField::Company))>
                    {LeadField::ALL.into_iter().map(|f| view! { <option value=f.code() selected=move || field.get() == f>{move || app.t(field_label(f))}</option> }).collect_view()}
                </select>
            </label>
            <ol class="conditions">
                {move || conditions.get().into_iter().enumerate().map(|(i, (value, owner))| {
                    let n = (i + 1).to_string();
                    let (n1, n2, n3) = (n.clone(), n.clone(), n);
                    view! {
                        <li class="activity-row">
                            <label class="field small">
                                <span>{move || fill(app.t(K::ConditionValue), &[("n", n1.clone())])}</span>
                                <input type="text" value=value on:change=move |ev| {
                                    let v = event_target_value(&ev);
                                    conditions.update(|c| if let Some(x) = c.get_mut(i) { x.0 = v });
                                }/>
                            </label>
                            <label class="field small">
                                <span>{move || fill(app.t(K::ConditionOwner), &[("n", n2.clone())])}</span>
                                <select on:change=move |ev| {
                                    let v = event_target_value(&ev);
                                    conditions.update(|c| if let Some(x) = c.get_mut(i) { x.1 = v });
                                }>
                                    <option value="">"—"</option>
                                    {owner_options(owner.clone())}
                                </select>
                            </label>
                            <button type="button" class="small-button" aria-label=move || fill(app.t(K::RemoveCondition), &[("n", n3.clone())])
                                on:click=move |_| conditions.update(|c| { if i < c.len() { c.remove(i); } })>"✕"</button>
                        </li>
                    }
                }).collect_view()}
            </ol>
            <button type="button" on:click=move |_| conditions.update(|c| c.push((String::new(), String::new())))>{move || app.t(K::AddCondition)}</button>
            <label class="field small">
                <span>{move || app.t(K::EveryoneElse)}</span>
                <select on:change=move |ev| fallback.set(event_target_value(&ev))>
                    <option value="">{move || app.t(K::Unassigned)}</option>
                    {move || owner_options(fallback.get_untracked())}
                </select>
            </label>
        </fieldset>
    }
}

#[derive(Clone, Copy, PartialEq)]
enum Filter {
    Open,
    Qualified,
    Disqualified,
    All,
}

#[component]
pub fn LeadsPage() -> impl IntoView {
    let app = use_app();
    let message = RwSignal::new(None::<(bool, String)>);
    let report = move |r: Result<(), crate::domain::Rejection>, ok: String| {
        message.set(Some(match r {
            Ok(()) => (true, ok),
            Err(errs) => (false, crate::i18n::rejection(app.lang.get_untracked(), &errs)),
        }));
    };
    let filter = RwSignal::new(Filter::Open);
    let owner_filter = RwSignal::new(String::new());
    let counts = Memo::new(move |_| app.ws.with(|ws| crate::domain::lead::LeadCounts::of(&ws.leads)));
    // The newest `SHOWN` leads the filter keeps, and how many it keeps; computed after the
    // page is drawn (at 137,000 leads the inbox and the page's drawing in one task held the
    // page 145–227 ms), its passes over the activities and the leads a slice a task
    // (`InboxBuilder`: in one task of its own, 80–102 ms at 940,000 activities).
    let ready = super::after_first_task();
    let rows = RwSignal::new((Vec::<Shown>::new(), 0usize));
    let inbox_gen = StoredValue::new(0u64);
    let shown_for = StoredValue::new(None::<(Filter, String)>);
    Effect::new(move |_| {
        let asked = (filter.get(), owner_filter.get());
        // Every change to the workspace lists them again.
        app.ws.with(|_| ());
        let gen = inbox_gen.get_value() + 1;
        inbox_gen.set_value(gen);
        if !ready.get() {
            return;
        }
        // Another filter's rows are not left standing meanwhile; after a change to the
        // workspace the rows shown stay until the new ones are in.
        if shown_for.get_value().as_ref() != Some(&asked) {
            rows.set((Vec::new(), 0));
        }
        leptos::task::spawn_local(async move {
            // Asked again, or the page was left.
            let current = move || inbox_gen.try_get_value() == Some(gen);
            let status = match asked.0 {
                Filter::Open => Some(LeadStatus::Open),
                Filter::Qualified => Some(LeadStatus::Qualified),
                Filter::Disqualified => Some(LeadStatus::Disqualified),
                Filter::All => None,
            };
            let (mut b, leads, activities) = app.ws.with_untracked(|ws| (InboxBuilder::new(&ws.leads, status, &asked.1, SHOWN), ws.leads.len(), ws.activities.len()));
            // The leads listed are kept as positions: lists shorter than when it began (a
            // purge) are ones they no longer fit, and the computation the change asked for
            // takes over.
            let fits = move |ws: &crate::domain::Workspace| ws.leads.len() >= leads && ws.activities.len() >= activities;
            if !app.ws.in_slices(fits, |ws, _| b.step(&ws.leads, &ws.activities, INBOX_SLICE), current).await {
                return;
            }
            let listed = app.ws.with_untracked(|ws| {
                fits(ws).then(|| {
                    let (rows, total) = b.finish(&ws.leads);
                    let shown: Vec<Shown> = rows.into_iter().map(|r| (r.lead.clone(), r.duplicate_of.map(|(o, by)| (o.id.clone(), label(o), by)), r.touches)).collect();
                    (shown, total)
                })
            });
            if let Some(listed) = listed.filter(|_| current()) {
                shown_for.set_value(Some(asked));
                rows.set(listed);
            }
        });
    });
    // Rows are drawn a batch a task: 200 rows with their controls held the page ≈ 0.3 s in
    // one task. A new filter starts again from one batch.
    let drawn = super::drawn_in_batches(move || rows.with(|(s, _)| s.len()));
    let owners = Memo::new(move |_| app.ws.with(|ws| ws.owners.iter().map(|o| (o.id.clone(), o.name.clone(), o.active)).collect::<Vec<_>>()));
    let active_owners = Memo::new(move |_| owners.get().into_iter().filter(|o| o.2).map(|o| o.1).collect::<Vec<_>>());

    // Capture.
    let quick = RwSignal::new(String::new());
    let pasted = RwSignal::new(String::new());
    let add = move |drafts: Vec<LeadDraft>, clear: Box<dyn Fn()>| {
        let n = drafts.len();
        if n == 0 {
            return;
        }
        let r = app.dispatch(Command::AddLeads { drafts });
        if r.is_ok() {
            clear();
        }
        report(r, fill(app.t(K::LeadsAdded), &[("n", n.to_string())]));
    };
    let on_file = move |ev: leptos::ev::Event| {
        let Some(input) = ev.target().and_then(|t| wasm_bindgen::JsCast::dyn_into::<web_sys::HtmlInputElement>(t).ok()) else { return };
        let Some(file) = input.files().and_then(|f| f.get(0)) else { return };
        input.set_value("");
        leptos::task::spawn_local(async move {
            let bytes = match wasm_bindgen_futures::JsFuture::from(file.array_buffer()).await {
                Ok(buf) => js_sys::Uint8Array::new(&buf).to_vec(),
                Err(_) => return,
            };
            let lang = app.lang.get_untracked();
            match crate::io::csv_import::read_spreadsheet(&bytes) {
                Err(e) => message.set(Some((false, crate::i18n::csv_error(lang, &e)))),
                Ok(table) => match crate::io::csv_import::leads_from_table(&table) {
                    None => message.set(Some((false, app.t(K::LeadColumnsMissing).to_string()))),
                    Some(rows) => add(rows.into_iter().map(|r| r.1).collect(), Box::new(|| ())),
                },
            }
        });
    };

    // Owners.
    let new_owner = RwSignal::new(String::new());
    // Assignment.
    let mode = RwSignal::new(RuleMode::RoundRobin);
    let chosen = RwSignal::new(Vec::<String>::new());
    let field = RwSignal::new(LeadField::Company);
    let conditions = RwSignal::new(vec![(String::new(), String::new())]);
    let fallback = RwSignal::new(String::new());
    let assign = move |_| {
        let owners = chosen.get_untracked();
        let (leads, rule) = app.ws.with_untracked(|ws| {
            let open: Vec<&Lead> = ws.leads.iter().filter(|l| l.status == LeadStatus::Open && l.owner.is_empty()).collect();
            let rule = match mode.get_untracked() {
                RuleMode::Source => AssignRule::sources_in_turn(&open, &owners),
                RuleMode::RoundRobin => AssignRule::RoundRobin { owners: owners.clone(), next: 0 },
                RuleMode::Field => AssignRule::ByField {
                    field: field.get_untracked(),
                    map: conditions.get_untracked().into_iter().filter(|(v, o)| !v.trim().is_empty() && !o.is_empty()).collect(),
                    fallback: fallback.get_untracked(),
                },
            };
            (open.iter().map(|l| l.id.clone()).collect::<Vec<_>>(), rule)
        });
        let n = leads.len();
        report(app.dispatch(Command::AssignLeads { leads, rule }), fill(app.t(K::LeadsAssigned), &[("n", n.to_string())]));
    };
    let rule_text = Memo::new(move |_| {
        app.ws.with(|ws| match &ws.settings.lead_rule {
            Some(AssignRule::RoundRobin { owners, .. }) => Some(fill(app.t(K::RuleRoundRobin), &[("owners", owners.join(", "))])),
            Some(AssignRule::BySource { map, fallback }) => Some(fill(
                app.t(K::RuleBySource),
                &[("map", map.iter().map(|(s, o)| format!("{s} → {o}")).collect::<Vec<_>>().join(", ")), ("fallback", fallback.clone())],
            )),
            Some(AssignRule::ByField { field, map, fallback }) => Some(fill(
                app.t(K::RuleByField),
                &[
                    ("field", app.t(field_label(*field)).to_string()),
                    ("map", map.iter().map(|(v, o)| format!("{v} → {o}")).collect::<Vec<_>>().join(", ")),
                    ("fallback", if fallback.is_empty() { app.t(K::Unassigned).to_string() } else { fallback.clone() }),
                ],
            )),
            None => None,
        })
    });

    view! {
        <section class="page leads">
            <div class="page-head">
                <h1>{move || app.t(K::Leads)}</h1>
                <span class="muted">{move || { let n = counts.get(); fill(app.t(K::LeadCounts), &[("open", n.open.to_string()), ("q", n.qualified.to_string()), ("d", n.disqualified.to_string()), ("u", n.unassigned.to_string())]) }}</span>
            </div>
            <super::RestPending/>
            {move || message.get().map(|(ok, m)| view! { <p class=if ok { "banner info" } else { "banner error" } role=if ok { "status" } else { "alert" }>{m}</p> })}

            <section class="lead-capture" aria-label=move || app.t(K::AddLeads)>
                <h2>{move || app.t(K::AddLeads)}</h2>
                <label class="field">
                    <span>{move || app.t(K::QuickAddLead)}</span>
                    <input type="text" prop:value=move || quick.get() placeholder=move || app.t(K::QuickAddHint)
                        on:input=move |ev| quick.set(event_target_value(&ev))
                        on:keydown=move |ev: web_sys::KeyboardEvent| {
                            if ev.key() == "Enter" {
                                ev.prevent_default();
                                let line = quick.get_untracked();
                                if !line.trim().is_empty() {
                                    add(vec![LeadDraft::from_line(&line)], Box::new(move || quick.set(String::new())));
                                }
                            }
                        }/>
                </label>
                <label class="field">
                    <span>{move || app.t(K::PasteLeads)}</span>
                    <textarea rows="3" prop:value=move || pasted.get() on:input=move |ev| pasted.set(event_target_value(&ev))></textarea>
                </label>
                <div class="actions left">
                    <button type="button" on:click=move |_| {
                        let drafts: Vec<LeadDraft> = pasted.get_untracked().lines().filter(|l| !l.trim().is_empty()).map(LeadDraft::from_line).collect();
                        add(drafts, Box::new(move || pasted.set(String::new())));
                    }>{move || fill(app.t(K::AddNLeads), &[("n", pasted.with(|p| p.lines().filter(|l| !l.trim().is_empty()).count()).to_string())])}</button>
                    <label class="button">
                        {move || app.t(K::ImportLeadsCsv)}
                        <input type="file" accept=".csv,.xlsx,text/csv,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" class="sr-only" on:change=on_file/>
                    </label>
                </div>
            </section>

            <details class="owners">
                <summary>{move || fill(app.t(K::OwnersN), &[("n", owners.with(Vec::len).to_string())])}</summary>
                <ul class="owner-list" aria-label=move || app.t(K::OwnersHeading)>
                    {move || owners.get().into_iter().map(|(id, name, active)| {
                        let n2 = name.clone();
                        view! {
                            <li>
                                <label class="check inline">
                                    <input type="checkbox" prop:checked=active
                                        aria-label=move || fill(app.t(K::OwnerActive), &[("name", n2.clone())])
                                        on:change=move |ev| report(app.dispatch(Command::SetOwnerActive { owner: id.clone(), active: event_target_checked(&ev) }), String::new())/>
                                    <bdi>{name}</bdi>
                                </label>
                            </li>
                        }
                    }).collect_view()}
                </ul>
                <div class="activity-row">
                    <label class="field">
                        <span>{move || app.t(K::NewOwner)}</span>
                        <input type="text" prop:value=move || new_owner.get() on:input=move |ev| new_owner.set(event_target_value(&ev))/>
                    </label>
                    <button type="button" on:click=move |_| {
                        let r = app.dispatch(Command::AddOwner { name: new_owner.get_untracked() });
                        if r.is_ok() { new_owner.set(String::new()); }
                        report(r, app.t(K::OwnerAdded).to_string());
                    }>{move || app.t(K::AddOwner)}</button>
                    // After the page's first task (every deal's and lead's owner read).
                    {move || {
                        let missing = if ready.get() { app.ws.with(|ws| ws.missing_owners()) } else { Vec::new() };
                        (!missing.is_empty()).then(|| {
                            let n = missing.len();
                            view! {
                                <button type="button" on:click=move |_| {
                                    let names = app.ws.with_untracked(|ws| ws.missing_owners());
                                    for name in names {
                                        let _ = app.dispatch(Command::AddOwner { name });
                                    }
                                    message.set(Some((true, app.t(K::OwnerAdded).to_string())));
                                }>{fill(app.t(K::CreateOwnersFromNames), &[("n", n.to_string())])}</button>
                            }
                        })
                    }}
                </div>
            </details>

            <section class="assign" aria-label=move || app.t(K::AssignLeadsHeading)>
                <h2>{move || app.t(K::AssignLeadsHeading)}</h2>
                {move || rule_text.get().map(|t| view! { <p class="muted small">{t}</p> })}
                <label class="field narrow">
                    <span>{move || app.t(K::AssignHow)}</span>
                    <select on:change=move |ev| mode.set(match event_target_value(&ev).as_str() {
                        "source" => RuleMode::Source,
                        "field" => RuleMode::Field,
                        _ => RuleMode::RoundRobin,
                    })>
                        <option value="round" selected=move || mode.get() == RuleMode::RoundRobin>{move || app.t(K::AssignRoundRobin)}</option>
                        <option value="source" selected=move || mode.get() == RuleMode::Source>{move || app.t(K::AssignBySource)}</option>
                        <option value="field" selected=move || mode.get() == RuleMode::Field>{move || app.t(K::AssignByField)}</option>
                    </select>
                </label>
                <Show when=move || mode.get() == RuleMode::Field>
                    <FieldRule field=field conditions=conditions fallback=fallback owners=active_owners/>
                </Show>
                <Show when=move || mode.get() != RuleMode::Field>
                <fieldset class="criteria">
                    <legend>{move || app.t(K::AssignTo)}</legend>
                    {move || active_owners.get().into_iter().map(|name| {
                        let (n1, n2, n3) = (name.clone(), name.clone(), name.clone());
                        view! {
                            <label class="check inline">
                                <input type="checkbox" prop:checked=move || chosen.with(|c| c.contains(&n1))
                                    on:change=move |ev| {
                                        let on = event_target_checked(&ev);
                                        chosen.update(|c| { c.retain(|x| x != &n2); if on { c.push(n2.clone()); } });
                                    }/>
                                <bdi>{n3}</bdi>
                            </label>
                        }
                    }).collect_view()}
                </fieldset>
                </Show>
                <button type="button" class="primary" on:click=assign>
                    {move || fill(app.t(K::AssignUnassigned), &[("n", counts.get().unassigned.to_string())])}
                </button>
            </section>

            <div class="controls">
                <label class="field small">
                    <span>{move || app.t(K::ShowEntries)}</span>
                    <select on:change=move |ev| { drawn.set(1); filter.set(match event_target_value(&ev).as_str() {
                        "qualified" => Filter::Qualified,
                        "disqualified" => Filter::Disqualified,
                        "all" => Filter::All,
                        _ => Filter::Open,
                    }) }>
                        <option value="open">{move || app.t(K::LeadsOpen)}</option>
                        <option value="qualified">{move || app.t(K::LeadsQualified)}</option>
                        <option value="disqualified">{move || app.t(K::LeadsDisqualified)}</option>
                        <option value="all">{move || app.t(K::ShowAll)}</option>
                    </select>
                </label>
                <label class="field small">
                    <span>{move || app.t(K::Owner)}</span>
                    <select on:change=move |ev| { drawn.set(1); owner_filter.set(event_target_value(&ev)) }>
                        <option value="">{move || app.t(K::Everyone)}</option>
                        {move || owners.get().into_iter().map(|(_, n, _)| view! { <option value=n.clone()>{n.clone()}</option> }).collect_view()}
                    </select>
                </label>
            </div>
            <ul class="lead-list" aria-label=move || app.t(K::Leads)>
                // Keyed: a change redraws only the rows it changed.
                <For each=move || rows.with(|(s, _)| super::first_batches(s, drawn.get()))
                    key=|(l, dup, touches): &Shown| (l.id.clone(), l.updated_at, dup.clone(), *touches)
                    let((l, dup, touches))>
                    <LeadRow lead=l dup=dup touches=touches report=Callback::new(move |(r, ok)| report(r, ok))/>
                </For>
            </ul>
            {move || {
                let (shown, total) = rows.with(|(s, t)| (s.len(), *t));
                (total > shown).then(|| view! { <p class="muted small">{fill(app.t(K::LeadsShownOf), &[("shown", shown.to_string()), ("n", total.to_string())])}</p> })
            }}
        </section>
    }
}

/// Open, qualified, or disqualified with its reason, in the user's language.
fn status_text(l: &Lead) -> String {
    let app = use_app();
    match l.status {
        LeadStatus::Open => app.t(K::LeadsOpen).to_string(),
        LeadStatus::Qualified => app.t(K::LeadsQualified).to_string(),
        LeadStatus::Disqualified => format!(
            "{} · {}",
            app.t(K::LeadsDisqualified),
            crate::domain::lead::reason_label(&l.disqualify_reason, app.lang.get_untracked() == crate::domain::Lang::Zh)
        ),
    }
}

fn label(l: &Lead) -> String {
    l.label()
}

#[component]
fn LeadRow(
    lead: Lead,
    dup: Option<(Id, String, DuplicateBy)>,
    /// Activities logged on it (open tasks aside).
    touches: usize,
    report: Callback<(Result<(), crate::domain::Rejection>, String)>,
) -> impl IntoView {
    let app = use_app();
    let name = label(&lead);
    let id = lead.id.clone();
    let open = lead.status == LeadStatus::Open;
    let pipeline = RwSignal::new(app.pipeline.get_untracked().map(|p| p.to_string()).unwrap_or_default());
    let stage = RwSignal::new(String::new());
    let reason = RwSignal::new(String::new());
    let other = RwSignal::new(String::new());
    let pipelines = Memo::new(move |_| app.ws.with(|ws| ws.live_pipelines().map(|p| (p.id.to_string(), p.name.clone())).collect::<Vec<_>>()));
    let stages = Memo::new(move |_| {
        let pid = pipeline.get();
        app.ws.with(|ws| {
            ws.pipeline(&Id::from(pid))
                .map(|p| p.active_stages().filter(|s| s.kind == StageKind::Open).map(|s| (s.id.to_string(), s.name.clone())).collect::<Vec<_>>())
                .unwrap_or_default()
        })
    });
    let (qid, did, cid, mid) = (id.clone(), id.clone(), id.clone(), id.clone());
    let (n1, n2, n3, n4) = (name.clone(), name.clone(), name.clone(), name.clone());
    let qualify = move |_| {
        let st = stage.get_untracked();
        let cmd = Command::QualifyLead { lead: qid.clone(), pipeline: Id::from(pipeline.get_untracked()), stage: (!st.is_empty()).then_some(Id::from(st)) };
        report.run((app.dispatch(cmd), fill(app.t(K::LeadQualified), &[("lead", n1.clone())])));
    };
    let disqualify = move |_| {
        let r = reason.get_untracked();
        let r = if r == "other" { other.get_untracked() } else { r };
        report.run((app.dispatch(Command::DisqualifyLead { lead: did.clone(), reason: r }), fill(app.t(K::LeadDisqualified), &[("lead", n2.clone())])));
    };
    let call = move |_| {
        let draft = ActivityDraft { kind: ActivityKind::Call, subject: app.t(K::KindCall).to_string(), tz_offset_min: format::tz_offset_min(), ..Default::default() };
        report.run((app.dispatch(Command::LogActivity { on: ActivityOn::Lead(cid.clone()), draft }), fill(app.t(K::CallLogged), &[("lead", n3.clone())])));
    };
    let status = status_text(&lead);
    let contact = [&lead.email, &lead.phone].iter().filter(|s| !s.is_empty()).map(|s| s.as_str()).collect::<Vec<_>>().join(" · ");
    view! {
        <li class="lead" aria-label=name.clone()>
            <div class="lead-head">
                <strong><a href=href(View::Lead(id.clone()))><bdi>{name.clone()}</bdi></a></strong>
                <span class="muted">{contact}</span>
                <span class="badge">{status}</span>
            </div>
            <div class="muted small">
                {move || fill(app.t(K::LeadMeta), &[
                    ("source", if lead.source.is_empty() { "—".into() } else { lead.source.clone() }),
                    ("owner", if lead.owner.is_empty() { app.t(K::Unassigned).to_string() } else { lead.owner.clone() }),
                    ("when", format::datetime(lead.created_at, app.lang.get())),
                    ("calls", touches.to_string()),
                ])}
                {(!lead.assigned_by.is_empty()).then(|| {
                    let how = lead.assigned_by.clone();
                    move || format!(" · {}", match crate::domain::lead::assignment_parts(&how) {
                        Some((AssignedBy::RoundRobin, detail)) => fill(app.t(K::AssignedRoundRobin), &[("d", detail.to_string())]),
                        Some((AssignedBy::Source, detail)) => fill(app.t(K::AssignedBySource), &[("d", detail.to_string())]),
                        Some((AssignedBy::Field(f), detail)) => fill(app.t(K::AssignedByField), &[("field", app.t(field_label(f)).to_string()), ("d", detail.to_string())]),
                        None => how.clone(),
                    })
                })}
            </div>
            {lead.deal.clone().map(|d| view! { <a href=href(View::Deal(d))>{move || app.t(K::OpenDeal)}</a> })}
            {dup.map(|(other_id, other_name, by)| {
                let keep = other_id.clone();
                let why = match by { DuplicateBy::Email => K::DupEmail, DuplicateBy::Phone => K::DupPhone, DuplicateBy::Company => K::DupCompany };
                let on2 = other_name.clone();
                view! {
                    <p class="dup" role="note">
                        {move || fill(app.t(K::PossibleDuplicate), &[("other", on2.clone()), ("why", app.t(why).to_string())])}
                        " "
                        <button type="button" on:click=move |_| report.run((app.dispatch(Command::MergeLeads { keep: keep.clone(), duplicate: mid.clone() }), fill(app.t(K::LeadsMerged), &[("lead", n4.clone())])))>
                            {move || fill(app.t(K::MergeInto), &[("other", other_name.clone())])}
                        </button>
                    </p>
                }
            })}
            {open.then(|| view! {
                <div class="lead-actions">
                    <button type="button" on:click=call>{move || app.t(K::LogCallNow)}</button>
                    <label class="field small">
                        <span>{move || app.t(K::Pipeline)}</span>
                        <select on:change=move |ev| { pipeline.set(event_target_value(&ev)); stage.set(String::new()); }>
                            {move || pipelines.get().into_iter().map(|(pid, pn)| { let p2 = pid.clone(); view! { <option value=pid selected=move || pipeline.get() == p2>{pn}</option> } }).collect_view()}
                        </select>
                    </label>
                    <label class="field small">
                        <span>{move || app.t(K::Stage)}</span>
                        <select on:change=move |ev| stage.set(event_target_value(&ev))>
                            {move || stages.get().into_iter().map(|(sid, sn)| view! { <option value=sid>{sn}</option> }).collect_view()}
                        </select>
                    </label>
                    <button type="button" class="primary" on:click=qualify>{move || app.t(K::QualifyLead)}</button>
                    <label class="field small">
                        <span>{move || app.t(K::DisqualifyReason)}</span>
                        <select on:change=move |ev| reason.set(event_target_value(&ev))>
                            <option value="">"—"</option>
                            {DISQUALIFY_REASONS.iter().map(|r| {
                                let (en, zh) = *r;
                                view! { <option value=move || if app.lang.get() == crate::domain::Lang::Zh { zh } else { en }>{move || if app.lang.get() == crate::domain::Lang::Zh { zh } else { en }}</option> }
                            }).collect_view()}
                            <option value="other">{move || app.t(K::OtherReason)}</option>
                        </select>
                    </label>
                    <Show when=move || reason.get() == "other">
                        <label class="field small">
                            <span>{move || app.t(K::OtherReasonText)}</span>
                            <input type="text" prop:value=move || other.get() on:input=move |ev| other.set(event_target_value(&ev))/>
                        </label>
                    </Show>
                    <button type="button" class="danger" on:click=disqualify>{move || app.t(K::Disqualify)}</button>
                </div>
            })}
        </li>
    }
    .into_any()
}

/// One lead: its details, where it stands, and every call, email, meeting, note and task
/// on it, with the full activity form.
#[component]
pub fn LeadPage(id: Id) -> impl IntoView {
    let app = use_app();
    let key = id.clone();
    let lead = Memo::new(move |_| app.ws.with(|ws| ws.lead(&key).cloned()));
    move || {
        let Some(l) = lead.get() else {
            return view! {
                <section class="page">
                    <p role="alert">{app.t(K::LeadNotFound)}</p>
                    <a href=href(View::Leads)>{app.t(K::Leads)}</a>
                </section>
            }
            .into_any();
        };
        let row = |k: K, v: String| (!v.is_empty()).then(|| view! { <div class="kv"><dt>{move || app.t(k)}</dt><dd><bdi>{v}</bdi></dd></div> });
        let status = status_text(&l);
        view! {
            <section class="page lead-page">
                <a class="back" href=href(View::Leads)>{app.t(K::BackToLeads)}</a>
                <h1><bdi>{l.label()}</bdi></h1>
                <p><span class="badge">{status}</span></p>
                <dl class="facts">
                    {row(K::LeadName, l.name.clone())}
                    {row(K::Account, l.company.clone())}
                    {row(K::Email, l.email.clone())}
                    {row(K::Phone, l.phone.clone())}
                    {row(K::Source, l.source.clone())}
                    {row(K::Owner, if l.owner.is_empty() { app.t(K::Unassigned).to_string() } else { l.owner.clone() })}
                    {row(K::CreatedAt, format::datetime(l.created_at, app.lang.get_untracked()))}
                    {row(K::Notes, l.notes.clone())}
                </dl>
                {l.deal.clone().map(|d| view! { <p><a href=href(View::Deal(d))>{app.t(K::OpenDeal)}</a></p> })}
                <super::activities::ActivityPanel on=ActivityOn::Lead(l.id.clone())/>
            </section>
        }
        .into_any()
    }
}
