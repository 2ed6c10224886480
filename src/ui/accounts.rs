//! Accounts (companies) and their contacts: a list with each account's deals, money won
//! and win rate, and a page per account with its deals, contacts and activities. The
//! figures come from `domain::account::account_summary`.

use super::format;
use super::state::use_app;
use super::{href, View};
use crate::domain::account::account_summary;
use crate::domain::{Command, Id};
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
                .filter(|a| q.is_empty() || a.name.to_lowercase().contains(&q))
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
    contacts: Vec<(String, String)>,
    activities: Vec<(chrono::DateTime<chrono::Utc>, crate::domain::ActivityKind, String, Id, String)>,
}

#[component]
pub fn AccountPage(id: Id) -> impl IntoView {
    let app = use_app();
    let data = Memo::new(move |_| {
        app.ws.with(|ws| {
            let a = ws.accounts.iter().find(|a| a.id == id)?;
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
            let contacts = ws
                .contacts
                .iter()
                .filter(|c| c.account.as_ref() == Some(&a.id))
                .map(|c| (c.name.clone(), [&c.email, &c.phone].iter().filter(|x| !x.is_empty()).map(|x| x.as_str()).collect::<Vec<_>>().join(" · ")))
                .collect();
            let ids: std::collections::HashSet<&Id> = deals.iter().map(|d| &d.0).collect();
            let mut activities: Vec<_> = ws
                .activities
                .iter()
                .filter(|x| ids.contains(&x.deal))
                .map(|x| (x.at, x.kind, x.subject.clone(), x.deal.clone(), ws.deal(&x.deal).map(|d| d.title.clone()).unwrap_or_default()))
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
                            {v.contacts.into_iter().map(|(n, how)| view! { <li><bdi>{n}</bdi><span class="muted">{how}</span></li> }).collect_view()}
                        </ul>
                    }.into_any()
                }}
                <h2>{app.t(K::ShowActivities)}</h2>
                {if v.activities.is_empty() {
                    view! { <p class="muted">{app.t(K::NothingHere)}</p> }.into_any()
                } else {
                    view! {
                        <ul class="task-list" aria-label=app.t(K::ShowActivities)>
                            {v.activities.into_iter().map(|(at, kind, subject, deal, title)| view! {
                                <li>
                                    <time class="muted" datetime=at.to_rfc3339()>{format::datetime(at, app.lang.get_untracked())}</time>
                                    <span><strong>{app.t(super::activities::kind_label(kind))}</strong>": "<bdi>{subject}</bdi></span>
                                    <a href=href(View::Deal(deal))><bdi>{title}</bdi></a>
                                </li>
                            }).collect_view()}
                        </ul>
                    }.into_any()
                }}
            </section>
        }
        .into_any()
    }
}
