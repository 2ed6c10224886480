//! Accounts (companies) and their contacts: a list with each account's deals, money won
//! and win rate, and a page per account with its deals, contacts and activities. The
//! figures come from `domain::account::account_summary`.

use super::format;
use super::state::use_app;
use super::{href, View};
use crate::domain::account::account_summary;
use crate::domain::{ActivityOn, Command, Id};
use crate::i18n::{fill, K};
use leptos::prelude::*;

fn rate(r: Option<f64>) -> String {
    r.map_or("—".into(), |r| format!("{:.0}%", r * 100.0))
}

#[component]
pub fn AccountsPage() -> impl IntoView {
    let app = use_app();
    let search = RwSignal::new(String::new());
    let unlinked = Memo::new(move |_| {
        app.ws.with(|ws| {
            let linker = crate::domain::account::Linker::new(&ws.accounts, &ws.contacts);
            ws.deals.iter().filter(|d| linker.needs_link(d)).count()
        })
    });
    let rows = Memo::new(move |_| {
        let q = search.get().trim().to_lowercase();
        app.ws.with(|ws| {
            let mut v: Vec<(Id, String, usize, usize, usize, String, Option<f64>, usize)> = ws
                .accounts
                .iter()
                .filter(|a| a.merged_into.is_none() && (q.is_empty() || a.name.to_lowercase().contains(&q)))
                .map(|a| {
                    let s = account_summary(ws, &a.id);
                    let contacts = ws.contacts.iter().filter(|c| c.account.as_ref() == Some(&a.id)).count();
                    (a.id.clone(), a.name.clone(), s.open, s.won, s.lost, format::totals_text(&s.won_amount), s.win_rate, contacts)
                })
                .collect();
            v.sort_by(|a, b| a.1.to_lowercase().cmp(&b.1.to_lowercase()));
            v
        })
    });
    view! {
        <section class="page accounts">
            <h1>{move || app.t(K::Accounts)}</h1>
            {move || (unlinked.get() > 0).then(|| view! {
                <p class="banner info" role="status">
                    {fill(app.t(K::DealsNotLinked), &[("n", unlinked.get().to_string())])}
                    " "
                    <button type="button" on:click=move |_| { let _ = app.dispatch(Command::LinkAccounts); }>{app.t(K::LinkDeals)}</button>
                </p>
            })}
            <label class="field narrow">
                <span>{move || app.t(K::SearchAccounts)}</span>
                <input type="search" prop:value=move || search.get() on:input=move |ev| search.set(event_target_value(&ev))/>
            </label>
            <div class="table-wrap" tabindex="0" role="region" aria-label=move || app.t(K::Accounts)>
                <table class="data" aria-label=move || app.t(K::Accounts)>
                    <thead><tr>
                        <th scope="col">{move || app.t(K::Account)}</th>
                        <th scope="col" class="num">{move || app.t(K::LeadsOpen)}</th>
                        <th scope="col" class="num">{move || app.t(K::Won)}</th>
                        <th scope="col" class="num">{move || app.t(K::LostShort)}</th>
                        <th scope="col" class="num">{move || app.t(K::TotalWon)}</th>
                        <th scope="col" class="num">{move || app.t(K::WinRate)}</th>
                        <th scope="col" class="num">{move || app.t(K::Contacts)}</th>
                    </tr></thead>
                    <tbody>
                        {move || rows.get().into_iter().map(|(id, name, open, won, lost, total, win, contacts)| view! {
                            <tr>
                                <th scope="row"><a href=href(View::Account(id))><bdi>{name}</bdi></a></th>
                                <td class="num">{open}</td>
                                <td class="num">{won}</td>
                                <td class="num">{lost}</td>
                                <td class="num">{total}</td>
                                <td class="num">{rate(win)}</td>
                                <td class="num">{contacts}</td>
                            </tr>
                        }).collect_view()}
                    </tbody>
                </table>
            </div>
        </section>
    }
}

#[derive(Clone, PartialEq)]
struct AccountView {
    name: String,
    open: usize,
    won: usize,
    lost: usize,
    total: String,
    win: Option<f64>,
    deals: Vec<(Id, String, String, String, String)>,
    contacts: Vec<(Id, String, String)>,
    /// Activities on its deals and contacts (its own are in the panel below).
    activities: Vec<(chrono::DateTime<chrono::Utc>, crate::domain::ActivityKind, String, super::View, String)>,
    /// The other live accounts, to merge into.
    others: Vec<(Id, String)>,
}

#[component]
pub fn AccountPage(id: Id) -> impl IntoView {
    let app = use_app();
    let key = id.clone();
    let message = RwSignal::new(None::<(bool, String)>);
    let data = Memo::new(move |_| {
        app.ws.with(|ws| {
            let a = ws.accounts.iter().find(|a| a.id == key && a.merged_into.is_none())?;
            let s = account_summary(ws, &a.id);
            let deals: Vec<_> = ws
                .deals
                .iter()
                .filter(|d| d.account_id.as_ref() == Some(&a.id))
                .map(|d| {
                    let stage = ws.pipeline(&d.pipeline).and_then(|p| p.stage(&d.stage)).map(|s| s.name.clone()).unwrap_or_default();
                    let amount = d.amount.map(|x| crate::domain::money::format_amount(x, &d.currency)).unwrap_or_default();
                    (d.id.clone(), d.title.clone(), stage, amount, d.owner.clone())
                })
                .collect();
            let mut contacts: Vec<(Id, String, String)> = ws
                .contacts
                .iter()
                .filter(|c| c.account.as_ref() == Some(&a.id))
                .map(|c| (c.id.clone(), c.name.clone(), [&c.email, &c.phone].iter().filter(|x| !x.is_empty()).map(|x| x.as_str()).collect::<Vec<_>>().join(" · ")))
                .collect();
            contacts.sort_by(|a, b| (a.1.to_lowercase(), &a.0).cmp(&(b.1.to_lowercase(), &b.0)));
            let deal_ids: std::collections::HashSet<&Id> = deals.iter().map(|d| &d.0).collect();
            let contact_ids: std::collections::HashSet<&Id> = contacts.iter().map(|c| &c.0).collect();
            let mut activities: Vec<_> = ws
                .activities
                .iter()
                .filter(|x| match x.on() {
                    ActivityOn::Deal(d) => deal_ids.contains(&d),
                    ActivityOn::Contact(c) => contact_ids.contains(&c),
                    _ => false,
                })
                .map(|x| (x.at, x.kind, x.subject.clone(), super::activities::target_view(&x.on()), ws.target_name(&x.on())))
                .collect();
            activities.sort_by(|a, b| b.0.cmp(&a.0));
            activities.truncate(50);
            Some(AccountView {
                name: a.name.clone(),
                open: s.open,
                won: s.won,
                lost: s.lost,
                total: format::totals_text(&s.won_amount),
                win: s.win_rate,
                deals,
                contacts,
                activities,
                others: {
                    let mut o: Vec<(Id, String)> =
                        ws.accounts.iter().filter(|x| x.id != a.id && x.merged_into.is_none()).map(|x| (x.id.clone(), x.name.clone())).collect();
                    o.sort_by(|x, y| x.1.to_lowercase().cmp(&y.1.to_lowercase()));
                    o
                },
            })
        })
    });
    move || {
        let Some(v) = data.get() else {
            return view! {
                <section class="page">
                    <p role="alert">{app.t(K::AccountNotFound)}</p>
                    <a href=href(View::Accounts)>{app.t(K::Accounts)}</a>
                </section>
            }
            .into_any();
        };
        view! {
            <section class="page account">
                <a class="back" href=href(View::Accounts)>{app.t(K::BackToAccounts)}</a>
                <h1><bdi>{v.name.clone()}</bdi></h1>
                <AccountEdit id=id.clone() name=v.name.clone() others=v.others.clone() message=message/>
                <div class="callouts">
                    <article class="callout">
                        <h3>{app.t(K::TotalWon)}</h3>
                        <p class="big">{v.total.clone()}</p>
                        <p class="small muted">{fill(app.t(K::AccountDealsLine), &[("open", v.open.to_string()), ("won", v.won.to_string()), ("lost", v.lost.to_string())])}</p>
                    </article>
                    <article class="callout">
                        <h3>{app.t(K::WinRate)}</h3>
                        <p class="big">{rate(v.win)}</p>
                    </article>
                </div>
                <h2>{app.t(K::AccountDeals)}</h2>
                <ul class="task-list" aria-label=app.t(K::AccountDeals)>
                    {v.deals.into_iter().map(|(id, title, stage, amount, owner)| view! {
                        <li>
                            <a href=href(View::Deal(id))><bdi>{title}</bdi></a>
                            <span class="badge">{stage}</span>
                            <span>{amount}</span>
                            <span class="muted"><bdi>{owner}</bdi></span>
                        </li>
                    }).collect_view()}
                </ul>
                <h2>{app.t(K::Contacts)}</h2>
                {if v.contacts.is_empty() {
                    view! { <p class="muted">{app.t(K::NothingHere)}</p> }.into_any()
                } else {
                    view! {
                        <ul class="task-list" aria-label=app.t(K::Contacts)>
                            {v.contacts.into_iter().map(|(cid, n, how)| view! { <li><a href=href(View::Contact(cid))><bdi>{n}</bdi></a><span class="muted">{how}</span></li> }).collect_view()}
                        </ul>
                    }.into_any()
                }}
                <h2>{app.t(K::ActivitiesOnDealsAndContacts)}</h2>
                {if v.activities.is_empty() {
                    view! { <p class="muted">{app.t(K::NothingHere)}</p> }.into_any()
                } else {
                    view! {
                        <ul class="task-list" aria-label=app.t(K::ActivitiesOnDealsAndContacts)>
                            {v.activities.into_iter().map(|(at, kind, subject, link, title)| view! {
                                <li>
                                    <time class="muted" datetime=at.to_rfc3339()>{format::datetime(at, app.lang.get_untracked())}</time>
                                    <span><strong>{app.t(super::activities::kind_label(kind))}</strong>": "<bdi>{subject}</bdi></span>
                                    <a href=href(link)><bdi>{title}</bdi></a>
                                </li>
                            }).collect_view()}
                        </ul>
                    }.into_any()
                }}
                <super::activities::ActivityPanel on=ActivityOn::Account(id.clone())/>
            </section>
        }
        .into_any()
    }
}

/// Rename an account, or merge it into another (its deals, contacts and activities move).
#[component]
fn AccountEdit(id: Id, name: String, others: Vec<(Id, String)>, message: RwSignal<Option<(bool, String)>>) -> impl IntoView {
    let app = use_app();
    let new_name = RwSignal::new(name);
    let target = RwSignal::new(String::new());
    let report = move |r: Result<(), crate::domain::Rejection>, ok: String| {
        message.set(Some(match r {
            Ok(()) => (true, ok),
            Err(errs) => (false, crate::i18n::rejection(app.lang.get_untracked(), &errs)),
        }));
    };
    let id2 = id.clone();
    let go = super::use_go();
    let names = others.clone();
    let rename = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        report(app.dispatch(Command::RenameAccount { account: id.clone(), name: new_name.get_untracked() }), app.t(K::AccountRenamed).to_string());
    };
    let merge = move |_| {
        let keep = target.get_untracked();
        if keep.is_empty() {
            report(Err(vec![(crate::domain::Field::Account, crate::domain::DomainError::CannotMergeAccount)]), String::new());
            return;
        }
        let name = names.iter().find(|o| o.0.as_str() == keep).map(|o| o.1.clone()).unwrap_or_default();
        let r = app.dispatch(Command::MergeAccounts { keep: Id::from(keep.clone()), duplicate: id2.clone() });
        let ok = r.is_ok();
        report(r, fill(app.t(K::AccountsMerged), &[("name", name)]));
        if ok {
            go(View::Account(Id::from(keep)));
        }
    };
    view! {
        <div class="account-edit">
            <form class="activity-row" on:submit=rename>
                <label class="field">
                    <span>{move || app.t(K::RenameAccount)}</span>
                    <input type="text" prop:value=move || new_name.get() on:input=move |ev| new_name.set(event_target_value(&ev))/>
                </label>
                <button type="submit">{move || app.t(K::SaveName)}</button>
            </form>
            {(!others.is_empty()).then(|| view! {
                <div class="activity-row">
                    <label class="field">
                        <span>{move || app.t(K::MergeAccountInto)}</span>
                        <select on:change=move |ev| target.set(event_target_value(&ev))>
                            <option value="">{move || app.t(K::ChooseAccount)}</option>
                            {others.clone().into_iter().map(|(oid, on)| view! { <option value=oid.to_string()>{on}</option> }).collect_view()}
                        </select>
                    </label>
                    <button type="button" class="danger" on:click=merge>{move || app.t(K::MergeAccountButton)}</button>
                </div>
            })}
            {move || message.get().map(|(ok, m)| view! { <p class=if ok { "banner info" } else { "banner error" } role=if ok { "status" } else { "alert" }>{m}</p> })}
        </div>
    }
}

/// A contact: name, email and phone (editable, checked like a lead's), their company, their
/// deals, and every activity on them.
#[component]
pub fn ContactPage(id: Id) -> impl IntoView {
    let app = use_app();
    let key = id.clone();
    let data = Memo::new(move |_| {
        app.ws.with(|ws| {
            let c = ws.contacts.iter().find(|c| c.id == key)?.clone();
            let account = c.account.as_ref().map(|a| crate::domain::account::resolve(&ws.accounts, a));
            let account = account.and_then(|a| ws.accounts.iter().find(|x| x.id == a).map(|x| (x.id.clone(), x.name.clone())));
            let deals: Vec<(Id, String, String)> = ws
                .deals
                .iter()
                .filter(|d| d.contact_id.as_ref() == Some(&c.id))
                .map(|d| (d.id.clone(), d.title.clone(), ws.pipeline(&d.pipeline).and_then(|p| p.stage(&d.stage)).map(|s| s.name.clone()).unwrap_or_default()))
                .collect();
            Some((c, account, deals))
        })
    });
    // Outside the page body: a save re-renders the body (the name changed), the message stays.
    let message = RwSignal::new(None::<(bool, String)>);
    move || {
        let Some((c, account, deals)) = data.get() else {
            return view! {
                <section class="page">
                    <p role="alert">{app.t(K::ContactNotFound)}</p>
                    <a href=href(View::Accounts)>{app.t(K::Accounts)}</a>
                </section>
            }
            .into_any();
        };
        let name = RwSignal::new(c.name.clone());
        let email = RwSignal::new(c.email.clone());
        let phone = RwSignal::new(c.phone.clone());
        let cid = c.id.clone();
        let save = move |ev: leptos::ev::SubmitEvent| {
            ev.prevent_default();
            let cmd = Command::UpdateContact { contact: cid.clone(), name: name.get_untracked(), email: email.get_untracked(), phone: phone.get_untracked() };
            message.set(Some(match app.dispatch(cmd) {
                Ok(()) => (true, app.t(K::ContactSaved).to_string()),
                Err(errs) => (false, crate::i18n::rejection(app.lang.get_untracked(), &errs)),
            }));
        };
        let input = move |label: K, sig: RwSignal<String>, kind: &'static str| view! {
            <label class="field">
                <span>{move || app.t(label)}</span>
                <input type=kind prop:value=move || sig.get() on:input=move |ev| sig.set(event_target_value(&ev))/>
            </label>
        };
        view! {
            <section class="page contact">
                {match account.clone() {
                    Some((aid, an)) => view! { <a class="back" href=href(View::Account(aid))>"← "<bdi>{an}</bdi></a> }.into_any(),
                    None => view! { <a class="back" href=href(View::Accounts)>{app.t(K::BackToAccounts)}</a> }.into_any(),
                }}
                <h1><bdi>{c.name.clone()}</bdi></h1>
                <form class="contact-form" novalidate on:submit=save aria-label=move || app.t(K::SaveContact)>
                    <div class="activity-row">
                        {input(K::LeadName, name, "text")}
                        {input(K::Email, email, "email")}
                        {input(K::Phone, phone, "tel")}
                    </div>
                    <div class="actions left"><button type="submit" class="primary">{move || app.t(K::SaveContact)}</button></div>
                    {move || message.get().map(|(ok, m)| view! { <p class=if ok { "banner info" } else { "banner error" } role=if ok { "status" } else { "alert" }>{m}</p> })}
                </form>
                <h2>{app.t(K::ContactDeals)}</h2>
                {if deals.is_empty() {
                    view! { <p class="muted">{app.t(K::NothingHere)}</p> }.into_any()
                } else {
                    view! {
                        <ul class="task-list" aria-label=app.t(K::ContactDeals)>
                            {deals.into_iter().map(|(did, t, st)| view! { <li><a href=href(View::Deal(did))><bdi>{t}</bdi></a><span class="badge">{st}</span></li> }).collect_view()}
                        </ul>
                    }.into_any()
                }}
                <super::activities::ActivityPanel on=ActivityOn::Contact(c.id.clone())/>
            </section>
        }
        .into_any()
    }
}
