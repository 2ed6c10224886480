//! The reporting currency and the exchange-rate table (Import & export page), and the notes
//! that say which rates a page's figures used.

use super::state::{now, use_app};
use crate::analytics::convert::Conversion;
use crate::domain::money::CURRENCIES;
use crate::domain::rates::{parse_rates_csv, Rate, RateValue};
use crate::domain::{Command, DomainError, Field};
use crate::i18n::{fill, K};
use leptos::prelude::*;
use wasm_bindgen::JsCast;

/// Today as rates count days: a rate dated D is in effect from D 00:00 UTC (the same day
/// for everyone on the team), so a rate added with today's date converts at once.
fn today() -> chrono::NaiveDate {
    now().date_naive()
}

#[component]
pub fn RatesSection() -> impl IntoView {
    let app = use_app();
    let fx = Memo::new(move |_| app.ws.with(|ws| ws.settings.exchange.clone()));
    let error = RwSignal::new(None::<String>);
    let done = RwSignal::new(None::<String>);
    let currency = RwSignal::new(String::new());
    let on = RwSignal::new(today().to_string());
    let value = RwSignal::new(String::new());
    let csv = RwSignal::new(String::new());
    let say = move |r: Result<(), crate::domain::Rejection>, ok: Option<String>| match r {
        Ok(()) => {
            error.set(None);
            done.set(ok);
            true
        }
        Err(r) => {
            done.set(None);
            error.set(Some(crate::i18n::rejection(app.lang.get_untracked(), &r)));
            false
        }
    };
    let set_reporting = move |ev: leptos::ev::Event| {
        let new = event_target_value(&ev);
        let old = fx.get_untracked();
        let mut r = app.dispatch(Command::SetReportingCurrency { currency: new.clone(), clear_rates: false });
        // Rates quoted in the old currency do not carry over: ask before removing them.
        if matches!(&r, Err(v) if v.iter().any(|(_, e)| matches!(e, DomainError::RatesQuotedIn(_)))) {
            let ask = fill(app.t(K::ChangeReportingConfirm), &[("n", old.rates.len().to_string()), ("old", old.reporting.clone()), ("new", new.clone())]);
            if window().confirm_with_message(&ask).unwrap_or(false) {
                r = app.dispatch(Command::SetReportingCurrency { currency: new, clear_rates: true });
            } else {
                // Put the choice back to what is stored.
                if let Some(sel) = ev.target().and_then(|t| t.dyn_into::<web_sys::HtmlSelectElement>().ok()) {
                    sel.set_value(&old.reporting);
                }
                return;
            }
        }
        say(r, None);
    };
    let add = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let reporting = fx.get_untracked().reporting;
        let cur = Some(currency.get_untracked()).filter(|c| !c.is_empty()).unwrap_or_else(|| first_other(&reporting));
        let rate = match RateValue::parse(&value.get_untracked()) {
            Ok(r) => r,
            Err(e) => return { say(Err(vec![(Field::Amount, e)]), None); },
        };
        let Ok(day) = chrono::NaiveDate::parse_from_str(&on.get_untracked(), "%Y-%m-%d") else {
            say(Err(vec![(Field::When, DomainError::InvalidDate(on.get_untracked()))]), None);
            return;
        };
        if say(app.dispatch(Command::PutRates(vec![Rate { currency: cur, on: day, rate }])), None) {
            value.set(String::new());
        }
    };
    let import = move |text: String| {
        match parse_rates_csv(&text) {
            Ok(rates) => {
                let n = rates.len();
                if say(app.dispatch(Command::PutRates(rates)), Some(fill(app.t(K::RatesAdded), &[("n", n.to_string())]))) {
                    csv.set(String::new());
                }
            }
            Err(lines) => {
                let wrapped = lines.into_iter().map(|(line, e)| (Field::Amount, DomainError::RateLine { line, problem: Box::new(e) })).collect();
                say(Err(wrapped), None);
            }
        }
    };
    let on_file = move |ev: leptos::ev::Event| {
        let Some(input) = ev.target().and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok()) else { return };
        let Some(file) = input.files().and_then(|f| f.get(0)) else { return };
        input.set_value("");
        leptos::task::spawn_local(async move {
            match wasm_bindgen_futures::JsFuture::from(file.text()).await {
                Ok(text) => import(text.as_string().unwrap_or_default()),
                Err(e) => error.set(Some(format!("{e:?}"))),
            }
        });
    };
    view! {
        <h2>{move || app.t(K::RatesTitle)}</h2>
        <p class="muted">{move || app.t(K::RatesIntro)}</p>
        <div class="rates">
            <label class="field small">
                <span>{move || app.t(K::ReportingCurrency)}</span>
                <select on:change=set_reporting>
                    <option value="" selected=move || !fx.with(|f| f.is_on())>{move || app.t(K::NoReportingCurrency)}</option>
                    {CURRENCIES.into_iter().map(|c| view! { <option value=c selected=move || fx.with(|f| f.reporting == c)>{c}</option> }).collect_view()}
                </select>
            </label>
            <Show when=move || fx.with(|f| f.is_on())>
                <form class="rate-form" on:submit=add>
                    <label class="field small">
                        <span>{move || app.t(K::Currency)}</span>
                        <select on:change=move |ev| currency.set(event_target_value(&ev))>
                            {move || {
                                let reporting = fx.with(|f| f.reporting.clone());
                                CURRENCIES.into_iter().filter(|c| *c != reporting).map(|c| view! {
                                    <option value=c selected=move || currency.get() == c>{c}</option>
                                }).collect_view()
                            }}
                        </select>
                    </label>
                    <label class="field small">
                        <span>{move || app.t(K::RateFrom)}</span>
                        <input type="date" prop:value=move || on.get() on:input=move |ev| on.set(event_target_value(&ev))/>
                    </label>
                    <label class="field small">
                        <span>{move || {
                            let f = fx.get();
                            let c = Some(currency.get()).filter(|c| !c.is_empty()).unwrap_or_else(|| first_other(&f.reporting));
                            fill(app.t(K::RateOneIn), &[("c", c), ("r", f.reporting)])
                        }}</span>
                        <input type="text" inputmode="decimal" prop:value=move || value.get() on:input=move |ev| value.set(event_target_value(&ev))
                            aria-invalid=move || error.with(Option::is_some).to_string()/>
                    </label>
                    <button type="submit">{move || app.t(K::AddRate)}</button>
                </form>
                <div class="rate-import">
                    <label class="field">
                        <span>{move || app.t(K::RatesCsvLabel)}</span>
                        <textarea rows="3" prop:value=move || csv.get() on:input=move |ev| csv.set(event_target_value(&ev))
                            placeholder="EUR,2026-11-01,1.0832"></textarea>
                    </label>
                    <button type="button" on:click=move |_| import(csv.get_untracked())>{move || app.t(K::ImportRates)}</button>
                    <label class="field small">
                        <span>{move || app.t(K::RatesFile)}</span>
                        <input type="file" accept=".csv,text/csv,text/plain" on:change=on_file/>
                    </label>
                </div>
            </Show>
            {move || error.get().map(|e| view! { <p class="error" role="alert">{e}</p> })}
            {move || done.get().map(|m| view! { <p class="ok" role="status">{m}</p> })}
            <Show when=move || fx.with(|f| f.is_on())>
                {move || {
                    let f = fx.get();
                    if f.rates.is_empty() {
                        return view! { <p class="muted">{app.t(K::NoRatesYet)}</p> }.into_any();
                    }
                    let caption = fill(app.t(K::RateTable), &[("r", f.reporting.clone())]);
                    let region = caption.clone();
                    // Newest first within each currency.
                    let mut rows = f.rates.clone();
                    rows.sort_by(|a, b| a.currency.cmp(&b.currency).then(b.on.cmp(&a.on)));
                    view! {
                        <div class="table-wrap" tabindex="0" role="region" aria-label=region>
                            <table class="rates-table">
                                <caption class="sr-only">{caption}</caption>
                                <thead><tr>
                                    <th scope="col">{app.t(K::Currency)}</th>
                                    <th scope="col">{app.t(K::RateFrom)}</th>
                                    <th scope="col" class="num">{fill(app.t(K::RateOneIn), &[("c", "…".into()), ("r", f.reporting.clone())])}</th>
                                    <th scope="col"><span class="sr-only">{app.t(K::RemoveRate)}</span></th>
                                </tr></thead>
                                <tbody>
                                    {rows.into_iter().map(|r| {
                                        let label = fill(app.t(K::RemoveRateNamed), &[("c", r.currency.clone()), ("d", r.on.to_string())]);
                                        let (c, d) = (r.currency.clone(), r.on);
                                        view! {
                                            <tr>
                                                <td>{r.currency.clone()}</td>
                                                <td>{r.on.to_string()}</td>
                                                <td class="num">{r.rate.text()}</td>
                                                <td><button type="button" aria-label=label
                                                    on:click=move |_| { say(app.dispatch(Command::RemoveRate { currency: c.clone(), on: d }), None); }>
                                                    {app.t(K::RemoveRate)}</button></td>
                                            </tr>
                                        }
                                    }).collect_view()}
                                </tbody>
                            </table>
                        </div>
                    }
                    .into_any()
                }}
            </Show>
        </div>
    }
}

/// The first currency that is not the reporting one (the form's default).
fn first_other(reporting: &str) -> String {
    CURRENCIES.into_iter().find(|c| *c != reporting).unwrap_or_default().to_string()
}

/// "EUR from 2025-01-01 to 2026-11-01, JPY of 2026-11-01".
fn spans(app: super::state::AppState, c: &Conversion) -> String {
    c.by_currency()
        .into_iter()
        .map(|(cur, n, from, to)| {
            let key = if n == 1 { K::RateSpanOne } else { K::RateSpan };
            fill(app.t(key), &[("c", cur), ("from", from.to_string()), ("to", to.to_string())])
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// Which currency a page's money is in, which rates it used and what it left out.
#[component]
pub fn ConversionNote(conversion: Option<Conversion>, currency: String, left_out: usize) -> impl IntoView {
    let app = use_app();
    let Some(c) = conversion else {
        return (left_out > 0)
            .then(|| view! { <p class="muted conversion-note">{fill(app.t(K::OtherCurrenciesLeftOut), &[("cur", currency), ("n", left_out.to_string())])}</p> })
            .into_any();
    };
    let converted = (c.converted > 0).then(|| {
        let text = fill(
            app.t(K::ConvertedNote),
            &[("cur", c.reporting.clone()), ("n", c.converted.to_string()), ("k", c.rates.len().to_string()), ("list", spans(app, &c))],
        );
        let rows = c.rates.clone();
        view! {
            <details class="conversion-note">
                <summary>{text}</summary>
                <ul class="rates-used" aria-label=app.t(K::RatesUsed)>
                    {rows.into_iter().map(|r| view! { <li>{format!("{} {} · 1 {} = {} {}", r.on, r.currency, r.currency, r.rate.text(), c.reporting)}</li> }).collect_view()}
                </ul>
            </details>
        }
    });
    let missing = (!c.unconverted.is_empty()).then(|| {
        let n: usize = c.unconverted.iter().map(|x| x.1).sum();
        let list = c.unconverted.iter().map(|(cur, k)| format!("{cur} {k}")).collect::<Vec<_>>().join(", ");
        view! { <p class="banner" role="note">{fill(app.t(K::LeftOutNoRate), &[("n", n.to_string()), ("list", list)])}</p> }
    });
    view! { {converted} {missing} }.into_any()
}

/// Under the board: the reporting currency and today's rates, or which currencies have none.
#[component]
pub fn BoardRatesNote() -> impl IntoView {
    let app = use_app();
    move || {
        let (fx, currencies) = app.with_index(|flow| {
            let mut cur: Vec<String> = flow.deals.iter().filter(|d| d.amount.is_some()).map(|d| flow.labels.name(d.currency).to_string()).collect();
            cur.sort();
            cur.dedup();
            (flow.rates.clone(), cur)
        })?;
        if !fx.is_on() {
            return None;
        }
        let day = today();
        let effect = fx.in_effect(day);
        let list = effect.iter().map(|r| format!("{} {} ({})", r.currency, r.rate.text(), r.on)).collect::<Vec<_>>().join(", ");
        let none: Vec<String> = currencies.into_iter().filter(|c| *c != fx.reporting && !effect.iter().any(|r| &r.currency == c)).collect();
        Some(view! {
            <p class="muted small board-rates">
                {(!effect.is_empty()).then(|| fill(app.t(K::BoardRatesNote), &[("cur", fx.reporting.clone()), ("list", list)]))}
                " "
                {(!none.is_empty()).then(|| fill(app.t(K::BoardNoRate), &[("list", none.join(", "))]))}
                " "
                <a href=super::href(super::View::Data)>{app.t(K::RatesTitle)}</a>
            </p>
        })
    }
}
