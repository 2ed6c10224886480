//! Leptos components. No business rules here: views read the workspace through the
//! state context and send commands; everything they compute comes from the pure core.

#[cfg(feature = "bench")]
pub mod bench;
mod accounts;
mod activities;
mod board;
mod charts;
mod crypto;
mod dashboard;
mod data;
mod deal_detail;
mod deal_list;
mod deal_form;
mod dialog;
mod engine;
mod forecast;
mod format;
mod leads;
mod move_dialog;
mod rates;
mod reading;
mod stage_editor;
mod sync;
mod state;
mod targets;
mod texts;
mod today;
mod trash;
mod undo;
mod welcome;

use crate::domain::{Id, Lang};
use crate::i18n::{fill, K};
use leptos::prelude::*;
use leptos::wasm_split::SplitLoaderError;
use leptos_router::components::Router;
use leptos_router::hooks::{use_navigate, use_query_map};
pub use state::{use_app, AppState};
use state::StorageStatus;

pub fn mount() {
    console_error_panic_hook::set_once();
    // When the app's code starts: what a visit fetches before it (the first load, the
    // Chinese texts for a visit in Chinese) is measured against it (`load.spec`).
    crate::storage::mark("fs:started");
    if state::wanted_lang() == Lang::Zh && !crate::i18n::zh_ready() {
        // A first screen in Chinese needs the Chinese texts (`texts`): fetched first, while
        // nothing is drawn; without them the app starts in English and says why. Still
        // not in after `texts::WAIT_MS`: drawn in English, switched when they arrive.
        wasm_bindgen_futures::spawn_local(async {
            texts::wait_for_zh().await;
            leptos::mount::mount_to_body(App);
        });
    } else {
        leptos::mount::mount_to_body(App);
    }
}

/// Screens are addressed by query string (`?view=deal&deal=…`) rather than by path, so
/// the app works from any static server and sub-path, and a reload finds `index.html`.
#[derive(Clone, Debug, PartialEq)]
pub enum View {
    Board,
    List,
    Today,
    Leads,
    Accounts,
    Account(Id),
    Contact(Id),
    Lead(Id),
    Deal(Id),
    Stages,
    Analytics,
    Forecast,
    Data,
    Trash,
    Welcome,
}

impl View {
    pub fn href(&self, base: &str) -> String {
        match self {
            View::Board => format!("{base}?view=board"),
            View::List => format!("{base}?view=list"),
            View::Today => format!("{base}?view=today"),
            View::Leads => format!("{base}?view=leads"),
            View::Accounts => format!("{base}?view=accounts"),
            View::Account(id) => format!("{base}?view=account&account={}", js_sys::encode_uri_component(id.as_str())),
            View::Contact(id) => format!("{base}?view=contact&contact={}", js_sys::encode_uri_component(id.as_str())),
            View::Lead(id) => format!("{base}?view=lead&lead={}", js_sys::encode_uri_component(id.as_str())),
            // Ids come from files too: encoded, so "&view=…" in an id cannot redirect a link.
            View::Deal(id) => format!("{base}?view=deal&deal={}", js_sys::encode_uri_component(id.as_str())),
            View::Stages => format!("{base}?view=stages"),
            View::Analytics => format!("{base}?view=analytics"),
            View::Forecast => format!("{base}?view=forecast"),
            View::Data => format!("{base}?view=data"),
            View::Trash => format!("{base}?view=trash"),
            View::Welcome => format!("{base}?view=welcome"),
        }
    }
}

/// Navigates within the app.
pub fn use_go() -> impl Fn(View) + Clone {
    let navigate = use_navigate();
    let app = use_app();
    move |v: View| navigate(&v.href(&app.base_path.get_value()), Default::default())
}

pub fn href(v: View) -> String {
    v.href(&use_app().base_path.get_value())
}

#[component]
fn App() -> impl IntoView {
    let app = AppState::new();
    provide_context(app);
    #[cfg(feature = "bench")]
    bench::register(app);
    let sync = sync::provide_sync();
    leptos::task::spawn_local(async move {
        app.init().await;
        sync::resume(app, sync).await;
    });
    // Reminders of due tasks, if the user allowed notifications on an earlier visit.
    today::start_reminders(app);
    Effect::new(move |_| {
        let lang = if app.lang.get() == Lang::Zh { "zh-CN" } else { "en" };
        if let Some(html) = document().document_element() {
            let _ = html.set_attribute("lang", lang);
        }
        document().set_title(&format!("Funnelscope · {}", app.t(K::Tagline)));
    });
    view! {
        <Router>
            <Shell/>
        </Router>
    }
}

#[component]
fn Shell() -> impl IntoView {
    let app = use_app();
    let query = use_query_map();
    let start_on_today = StoredValue::new(crate::storage::Prefs::load().start_on_today);
    let view = Memo::new(move |_| {
        let q = query.get();
        match (q.get("view").as_deref(), q.get("deal")) {
            (Some("deal"), Some(id)) => View::Deal(Id::from(id)),
            (Some("account"), _) => View::Account(Id::from(q.get("account").unwrap_or_default())),
            (Some("contact"), _) => View::Contact(Id::from(q.get("contact").unwrap_or_default())),
            (Some("lead"), _) => View::Lead(Id::from(q.get("lead").unwrap_or_default())),
            (Some("accounts"), _) => View::Accounts,
            (Some("stages"), _) => View::Stages,
            (Some("list"), _) => View::List,
            (Some("today"), _) => View::Today,
            (Some("leads"), _) => View::Leads,
            (Some("analytics"), _) => View::Analytics,
            (Some("forecast"), _) => View::Forecast,
            (Some("data"), _) => View::Data,
            (Some("trash"), _) => View::Trash,
            (Some("welcome"), _) => View::Welcome,
            // The address without a view: the start page the user chose.
            (None, _) if start_on_today.get_value() => View::Today,
            _ => View::Board,
        }
    });
    // A memo, so that the screen is rebuilt only when this answer changes, not on every
    // change to the workspace.
    let has_pipelines = Memo::new(move |_| app.ws.with(|ws| ws.live_pipelines().next().is_some()));
    let opening = Memo::new(move |_| matches!(app.storage.get(), StorageStatus::Opening | StorageStatus::CodeMissing));
    let code_missing = Memo::new(move |_| app.storage.get() == StorageStatus::CodeMissing);
    let chunks = RwSignal::new(Chunks::Loading);
    let main = move || {
        if code_missing.get() {
            // Nothing was read: no board and no welcome page (which would offer to start
            // afresh over what is stored); the banner says why and offers a reload.
            return ().into_any();
        }
        if opening.get() {
            return view! { <p class="loading" role="status">{app.t(K::Loading)}</p> }.into_any();
        }
        match view.get() {
            View::Welcome => view! { <welcome::Welcome/> }.into_any(),
            View::Data => screen(app, chunks, data_screen()),
            View::Trash => screen(app, chunks, trash_screen()),
            _ if !has_pipelines.get() => view! { <welcome::Welcome/> }.into_any(),
            View::Board => screen(app, app.board_code, board_screen()),
            View::List => screen(app, chunks, list_screen()),
            View::Today => screen(app, chunks, today_screen()),
            View::Leads => screen(app, chunks, leads_screen()),
            View::Accounts => screen(app, chunks, accounts_screen()),
            View::Account(id) => screen(app, chunks, account_screen(id)),
            View::Contact(id) => screen(app, chunks, contact_screen(id)),
            View::Lead(id) => screen(app, chunks, lead_screen(id)),
            View::Deal(id) => screen(app, chunks, deal_screen(id)),
            View::Stages => screen(app, chunks, stages_screen()),
            View::Analytics => screen(app, chunks, analytics_screen()),
            View::Forecast => screen(app, chunks, forecast_screen()),
        }
    };
    // The other screens' code is fetched once the first screen is up (the board, or the
    // welcome page), so that it never delays it; a screen asked for before that waits.
    Effect::new(move |done: Option<bool>| {
        if done == Some(true) || opening.get() {
            return done.unwrap_or(false);
        }
        // The board's, unless a visit with something stored fetched it to read it.
        if app.board_code.get_untracked() != Chunks::Ready {
            leptos::task::spawn_local(async move {
                app.fetch_board().await;
            });
        }
        leptos::task::spawn_local(async move {
            let state = match load_screens().await {
                Ok(()) => Chunks::Ready,
                Err(_) => Chunks::Failed,
            };
            chunks.set(state);
        });
        true
    });
    view! {
        <Header/>
        <Banners/>
        <main id="main">{main}</main>
        <Dialogs/>
    }
}

/// The dialogs (move, deal form, log activity): they only change things, so their code
/// travels with the write path's (`state::job_runner`), fetched once the board is shown,
/// and they are drawn once it is in. One asked for before then opens when it comes (the
/// page says it is loading meanwhile); if its fetch fails, it is tried again, and if that
/// fails too the ask is dropped and the banner says why.
#[component]
fn Dialogs() -> impl IntoView {
    let app = use_app();
    let asked = move || app.moving.with(Option::is_some) || app.deal_form.with(Option::is_some) || app.logging.with(Option::is_some);
    Effect::new(move |_| {
        if app.write_code.get() == state::WriteCode::Failed && asked() {
            app.write_code.set(state::WriteCode::Fetching);
            leptos::task::spawn_local(async move {
                if !app.fetch_writer().await {
                    app.moving.set(None);
                    app.deal_form.set(None);
                    app.logging.set(None);
                    app.write_error.set(Some(app.t(K::DialogUnavailable).to_string()));
                }
            });
        }
    });
    move || match app.write_code.get() {
        // Ready on the first poll: its loader was awaited (`state::writer_code`).
        state::WriteCode::Ready => match poll_once(dialogs()) {
            Some(Ok(v)) => v,
            _ => ().into_any(),
        },
        _ => (move || asked().then(|| view! { <p class="loading" role="status">{app.t(K::LoadingDialog)}</p> })).into_any(),
    }
}

#[allow(improper_ctypes_definitions, improper_ctypes)]
#[leptos::wasm_split::wasm_split(write, wasm_split_path = ::leptos::wasm_split, preload(preload_dialogs), fallible)]
pub(crate) fn dialogs() -> Result<AnyView, SplitLoaderError> {
    Ok(view! {
        <move_dialog::MoveDialog/>
        <deal_form::DealForm/>
        <activities::ActivityDialog/>
    }
    .into_any())
}

/// Where split-off code stands (`wasm_split`, see scripts/post_build.mjs): the screens
/// other than the welcome page, fetched after the first screen; the board and the store's
/// reader (`AppState::board_code`), fetched before it when something is stored.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum Chunks {
    Loading,
    Ready,
    Failed,
}

/// A split-off screen: built at once when its code is in, else a line saying why not yet.
/// `build` is the screen's split function, whose future is ready on its first poll once
/// its chunk is loaded (`load_screens` awaited each one's loader), so the screen is built
/// here, synchronously, under this reactive owner like any other.
fn screen(app: AppState, chunks: RwSignal<Chunks>, build: impl std::future::Future<Output = Result<AnyView, SplitLoaderError>>) -> AnyView {
    let state = chunks.get();
    if state == Chunks::Ready {
        if let Some(Ok(v)) = poll_once(build) {
            return v;
        }
    }
    screen_not_in(app, state)
}

/// What shows instead of a screen whose code is not in (yet): a function of its own, not
/// a copy in each screen's `screen` (≈ 9 KB of the first download's wasm).
#[inline(never)]
fn screen_not_in(app: AppState, state: Chunks) -> AnyView {
    match state {
        Chunks::Failed => view! {
            <p class="banner error" role="alert">
                {app.t(K::ScreenUnavailable)} " "
                <button on:click=move |_| { let _ = window().location().reload(); }>{app.t(K::ReloadPage)}</button>
            </p>
        }
        .into_any(),
        _ => view! { <p class="loading" role="status">{app.t(K::LoadingScreen)}</p> }.into_any(),
    }
}

/// A split function's result if its future is ready on the first poll (its chunk is in and
/// its loader was awaited), so what it builds is built now, under the current owner.
fn poll_once<T>(fut: impl std::future::Future<Output = T>) -> Option<T> {
    let mut fut = std::pin::pin!(fut);
    let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
    match fut.as_mut().poll(&mut cx) {
        std::task::Poll::Ready(v) => Some(v),
        std::task::Poll::Pending => None,
    }
}

/// The split points: each function below and everything only it reaches goes into a
/// chunk fetched on demand instead of the first download. All sit in one module
/// (`screens`), so the first use fetches them together; code they share with each other
/// but not with the board goes into shared chunks, fetched with them.
macro_rules! split_screen {
    ($name:ident, $preload:ident, ($($arg:ident: $ty:ty),*), $body:expr) => {
        #[allow(improper_ctypes_definitions, improper_ctypes)]
        #[leptos::wasm_split::wasm_split(screens, wasm_split_path = ::leptos::wasm_split, preload($preload), fallible)]
        fn $name($($arg: $ty),*) -> Result<AnyView, SplitLoaderError> {
            Ok($body.into_any())
        }
    };
}
/// The board, split off with the store's reader (`state::loader`, the same `board` module):
/// a first visit's first screen is the welcome page, which needs neither, and gets them
/// after it (`AppState::fetch_board`); a visit with something stored fetches them before
/// it reads (`AppState::init`).
#[allow(improper_ctypes_definitions, improper_ctypes)]
#[leptos::wasm_split::wasm_split(board, wasm_split_path = ::leptos::wasm_split, preload(preload_board), fallible)]
pub(crate) fn board_screen() -> Result<AnyView, SplitLoaderError> {
    Ok(view! { <board::Board/> }.into_any())
}

split_screen!(data_screen, preload_data, (), view! { <data::DataPage/> });
split_screen!(trash_screen, preload_trash, (), view! { <trash::TrashPage/> });
split_screen!(list_screen, preload_list, (), view! { <deal_list::DealList/> });
split_screen!(today_screen, preload_today, (), view! { <today::Today/> });
split_screen!(leads_screen, preload_leads, (), view! { <leads::LeadsPage/> });
split_screen!(accounts_screen, preload_accounts, (), view! { <accounts::AccountsPage/> });
split_screen!(account_screen, preload_account, (id: Id), view! { <accounts::AccountPage id=id/> });
split_screen!(contact_screen, preload_contact, (id: Id), view! { <accounts::ContactPage id=id/> });
split_screen!(lead_screen, preload_lead, (id: Id), view! { <leads::LeadPage id=id/> });
split_screen!(deal_screen, preload_deal, (id: Id), view! { <deal_detail::DealDetail id=id/> });
split_screen!(stages_screen, preload_stages, (), view! { <stage_editor::StageEditor/> });
split_screen!(analytics_screen, preload_analytics, (), view! { <dashboard::Dashboard/> });
split_screen!(forecast_screen, preload_forecast, (), view! { <forecast::ForecastPage/> });

/// Awaits every split screen's loader (each has its own, over the one fetch of the
/// module), so that each one's next call is ready on its first poll.
async fn load_screens() -> Result<(), SplitLoaderError> {
    preload_data().await?;
    preload_trash().await?;
    preload_list().await?;
    preload_today().await?;
    preload_leads().await?;
    preload_accounts().await?;
    preload_account().await?;
    preload_contact().await?;
    preload_lead().await?;
    preload_deal().await?;
    preload_stages().await?;
    preload_analytics().await?;
    preload_forecast().await
}

#[component]
fn Header() -> impl IntoView {
    let app = use_app();
    let pipelines = Memo::new(move |_| {
        app.ws.with(|ws| ws.live_pipelines().map(|p| (p.id.clone(), p.name.clone())).collect::<Vec<_>>())
    });
    let has_pipeline = move || app.pipeline.with(|p| p.is_some()) && !pipelines.with(|p| p.is_empty());
    let on_pipeline = move |ev| {
        let id = event_target_value(&ev);
        app.select_pipeline(Some(Id::from(id)));
    };
    let menu_open = RwSignal::new(false);
    let on_lang = move |ev: leptos::ev::Event| {
        if event_target_value(&ev) != "zh" {
            app.set_lang(Lang::En);
            return;
        }
        // The Chinese texts may still have to be fetched (`texts`); a choice changed back
        // meanwhile wins. The choice is kept at once, so a reload meanwhile opens in it.
        state::save_lang(Lang::Zh);
        let select: web_sys::HtmlSelectElement = event_target(&ev);
        leptos::task::spawn_local(async move {
            match texts::load_zh().await {
                Ok(()) if select.value() == "zh" => app.set_lang(Lang::Zh),
                Ok(()) => {}
                Err(e) => {
                    leptos::logging::warn!("Chinese texts: {e}");
                    select.set_value("en");
                    app.write_error.set(Some(app.t(K::ZhUnavailable).to_string()));
                }
            }
        });
    };
    view! {
        <header class="topbar">
            <a class="brand" href=href(View::Board)>
                <span class="brand-mark" aria-hidden="true">"▼"</span>
                "Funnelscope"
            </a>
            <Show when=has_pipeline>
                <label class="pipeline-picker">
                    <span class="sr-only">{move || app.t(K::Pipeline)}</span>
                    <select aria-label=move || app.t(K::Pipeline) on:change=on_pipeline
                        prop:value=move || app.pipeline.get().map(|i| i.to_string()).unwrap_or_default()>
                        <For each=move || pipelines.get() key=|p| p.clone() let((id, name))>
                            <option value=id.to_string() selected=move || app.pipeline.get().as_ref() == Some(&id)>{name}</option>
                        </For>
                    </select>
                </label>
                // On a phone the links fold into a menu (CSS shows the button under 640 px).
                <button type="button" class="nav-toggle" aria-controls="main-nav"
                    aria-expanded=move || if menu_open.get() { "true" } else { "false" }
                    on:click=move |_| menu_open.update(|o| *o = !*o)>
                    <span aria-hidden="true">"☰ "</span>{move || app.t(K::Menu)}
                </button>
                <nav id="main-nav" class="nav" class:open=move || menu_open.get() aria-label=move || app.t(K::MainNavigation)
                    on:click=move |_| menu_open.set(false)>
                    <a href=href(View::Today)>{move || app.t(K::TodayView)}</a>
                    <a href=href(View::Leads)>{move || app.t(K::Leads)}</a>
                    <a href=href(View::Board)>{move || app.t(K::Board)}</a>
                    <a href=href(View::Accounts)>{move || app.t(K::Accounts)}</a>
                    <a href=href(View::Analytics)>{move || app.t(K::Analytics)}</a>
                    <a href=href(View::Forecast)>{move || app.t(K::Forecast)}</a>
                    <a href=href(View::Stages)>{move || app.t(K::StageDefinitions)}</a>
                    <a href=href(View::Data)>{move || app.t(K::ImportExport)}</a>
                    <a href=href(View::Trash)>{move || app.t(K::Trash)}</a>
                    <a href=href(View::Welcome)>{move || app.t(K::NewPipeline)}</a>
                </nav>
                <sync::SyncBadge/>
                <undo::UndoButtons/>
                <button class="primary" on:click=move |_| app.deal_form.set(Some(state::DealFormMode::New { stage: None }))>
                    {move || app.t(K::AddDeal)}
                </button>
            </Show>
            <select class="lang" aria-label=move || app.t(K::Language) on:change=on_lang>
                <option value="en" selected=move || app.lang.get() == Lang::En>"English"</option>
                <option value="zh" selected=move || app.lang.get() == Lang::Zh>"简体中文"</option>
            </select>
        </header>
    }
}

/// Said where activities or leads are shown while the load's last part (read after the
/// board is shown) is still being read: until then they are not all in memory.
#[component]
pub fn RestPending() -> impl IntoView {
    let app = use_app();
    move || (!app.whole.get()).then(|| view! { <p class="muted" role="status">{app.t(K::ReadingRest)}</p> })
}

#[component]
fn Banners() -> impl IntoView {
    let app = use_app();
    let memory_only = move || match app.storage.get() {
        StorageStatus::MemoryOnly(reason) => Some(view! {
            <div class="banner warn" role="alert">
                <strong>{app.t(K::MemoryOnlyTitle)}</strong>
                " " {app.t(K::MemoryOnlyBody)}
                <span class="detail">" (" {reason} ")"</span>
            </div>
        }),
        _ => None,
    };
    let status = move || {
        let (class, key) = match app.storage.get() {
            StorageStatus::Blocked => ("banner warn", K::StorageBlocked),
            StorageStatus::NewerVersion => ("banner warn", K::StorageNewerVersion),
            StorageStatus::Closed => ("banner error", K::StorageClosed),
            StorageStatus::CodeMissing => {
                return Some(view! {
                    <div class="banner error" role="alert">
                        {app.t(K::ReaderMissing)} " "
                        <button on:click=move |_| { let _ = window().location().reload(); }>{app.t(K::ReloadPage)}</button>
                    </div>
                }.into_any())
            }
            _ => return None,
        };
        Some(view! { <div class=class role="alert">{app.t(key)}</div> }.into_any())
    };
    let quarantined = move || {
        let list = app.quarantined.get();
        (!list.is_empty()).then(|| {
            let n = list.len().to_string();
            view! {
                <div class="banner warn" role="alert">
                    <strong>{fill(app.t(K::QuarantineTitle), &[("n", n)])}</strong>
                    " " {app.t(K::QuarantineBody)}
                    <ul class="detail">
                        {list.into_iter().take(20).map(|q| view! { <li>{quarantine_line(app, &q)}</li> }).collect_view()}
                    </ul>
                </div>
            }
        })
    };
    // The boot script (scripts/post_build.mjs) says when a new deploy is ready offline.
    let update_ready = RwSignal::new(false);
    let on_ready = wasm_bindgen::closure::Closure::<dyn FnMut()>::new(move || update_ready.set(true));
    let _ = window().add_event_listener_with_callback("funnelscope:update-ready", wasm_bindgen::JsCast::unchecked_ref(on_ready.as_ref()));
    on_ready.forget();
    let update = move || {
        update_ready.get().then(|| {
            let apply = move |_| {
                if let Ok(ev) = web_sys::CustomEvent::new("funnelscope:apply-update") {
                    let _ = window().dispatch_event(&ev);
                }
            };
            view! {
                <div class="banner info" role="status">
                    {app.t(K::UpdateReady)} " "
                    <button on:click=apply>{app.t(K::UpdateNow)}</button>
                </div>
            }
        })
    };
    let saving = move || {
        app.saving.get().map(|(done, total)| {
            let pct = (done * 100 / total.max(1)).to_string();
            let text = fill(app.t(K::SavingRecords), &[("n", total.to_string()), ("p", pct)]);
            view! {
                <div class="banner info" role="status">
                    {text.clone()}
                    <progress aria-label=text max=total.to_string() value=done.to_string()></progress>
                </div>
            }
        })
    };
    let write_error = move || {
        app.write_error.get().map(|msg| {
            view! {
                <div class="banner error" role="alert">
                    <span>{msg}</span>
                    <button on:click=move |_| app.write_error.set(None)>{app.t(K::Dismiss)}</button>
                </div>
            }
        })
    };
    view! { {memory_only} {status} {quarantined} {update} {saving} {write_error} }
}

/// Puts focus back on a deal's card (its title link) after a dialog opened from it
/// closes, so keyboard users continue where they were.
pub fn focus_deal_link(deal: &Id) {
    focus_on_card(deal, "a");
}

/// Focuses the first element matching `selector` on a deal's card; false when the deal has
/// no card on screen.
pub fn focus_on_card(deal: &Id, selector: &str) -> bool {
    let Ok(cards) = document().query_selector_all("li.card") else { return false };
    for i in 0..cards.length() {
        let Some(el) = cards.item(i).and_then(|n| wasm_bindgen::JsCast::dyn_into::<web_sys::Element>(n).ok()) else { continue };
        if el.get_attribute("data-deal").as_deref() == Some(deal.as_str()) {
            if let Some(target) = el.query_selector(selector).ok().flatten().and_then(|a| wasm_bindgen::JsCast::dyn_into::<web_sys::HtmlElement>(a).ok()) {
                let _ = target.focus();
                return true;
            }
            return false;
        }
    }
    false
}

/// One set-aside record, in the user's language: its kind, its id and why.
fn quarantine_line(app: AppState, q: &crate::storage::Quarantined) -> String {
    use crate::storage::Dangling;
    let kind = match q.store {
        "pipelines" => K::WhatPipelines,
        "deals" => K::WhatDeals,
        "events" => K::WhatEvents,
        "activities" => K::WhatActivities,
        _ => K::WhatCalls,
    };
    let why = match &q.reason {
        Dangling::Unreadable(detail) => fill(app.t(K::QuarUnreadable), &[("detail", detail.clone())]),
        Dangling::UnknownPipeline(id) => fill(app.t(K::QuarUnknownPipeline), &[("id", id.clone())]),
        Dangling::UnknownDeal(id) => fill(app.t(K::QuarUnknownDeal), &[("id", id.clone())]),
        Dangling::UnknownStage(id) => fill(app.t(K::QuarUnknownStage), &[("id", id.clone())]),
    };
    format!("{} {}: {why}", app.t(kind), q.id)
}

/// Rows a long list (Today's sections, Leads) draws a task.
const BATCH: usize = 25;

/// How many batches of a long list are drawn: one at first, then one more after each yield
/// to the browser until `len()` rows are, so no task draws more than `BATCH` rows of it.
/// Set it back to 1 when the list becomes another (a new filter) in the same handler.
fn drawn_in_batches(len: impl Fn() -> usize + 'static) -> RwSignal<usize> {
    let drawn = RwSignal::new(1usize);
    Effect::new(move |_| {
        if drawn.get() * BATCH < len() {
            set_timeout(move || { drawn.try_update(|d| *d += 1); }, std::time::Duration::ZERO);
        }
    });
    drawn
}

/// False in the task that draws a page, true from the next one: a page's heavy lists read
/// it, so the page is drawn (and can answer input) before they are computed, rather than
/// holding the browser for both in one task.
fn after_first_task() -> RwSignal<bool> {
    let ready = RwSignal::new(false);
    set_timeout(move || _ = ready.try_set(true), std::time::Duration::ZERO);
    ready
}

/// The rows of `rows` that `batches` batches draw.
fn first_batches<T: Clone>(rows: &[T], batches: usize) -> Vec<T> {
    rows[..rows.len().min(batches * BATCH)].to_vec()
}
