//! Team sync in the browser: the settings (Import & export), the status in the header, and
//! the two loops that drive `crate::sync` with fetch and the write path. Pull long-polls the
//! changes feed; push sleeps until a change is stored here (or 30 s, to retry).
//! Every request goes to the configured server and nowhere else.

use super::state::{sleep, use_app, yield_to_browser, AppState};
use crate::i18n::{fill, K};
use crate::storage::SyncSettings;
use crate::sync::{Action, Pull, Push, Request, SyncError, SyncState};
use leptos::prelude::*;
use std::cell::RefCell;
use std::rc::Rc;
use wasm_bindgen::JsCast;

#[derive(Clone, Debug, PartialEq)]
pub enum Status {
    Off,
    /// Working: documents still to send, documents received so far.
    Syncing { to_send: usize, received: usize },
    Synced,
    /// No answer from the server: retrying.
    Offline,
    Failed(SyncError),
    /// On, but the password is not kept in this browser: asked for again.
    NeedsPassword,
    /// The database is encrypted and no team passphrase was given.
    NeedsPassphrase,
    /// The team passphrase does not open the database's key check.
    WrongPassphrase,
    /// On, and another open tab of this browser runs the sync for all of them.
    OtherTab,
    /// The loops' code (a split-off chunk) could not be fetched: retrying.
    CodeMissing,
}

#[derive(Clone, Copy)]
pub struct SyncCtx {
    pub status: RwSignal<Status>,
    pub settings: RwSignal<SyncSettings>,
    /// The password and team passphrase for this tab (kept in the settings only when
    /// remembered).
    password: StoredValue<String>,
    passphrase: StoredValue<String>,
    /// The team key when the database is encrypted.
    key: StoredValue<Option<web_sys::CryptoKey>, LocalStorage>,
    /// Where each half is (pull, push); `status` is made from both.
    halves: StoredValue<(Half, Half)>,
    /// While catching up: documents received and in the database, for the progress bar.
    pub progress: RwSignal<Option<(usize, usize)>>,
    /// Bumped to stop the running loops (turned off, settings changed).
    generation: StoredValue<u64>,
    /// Lets go of the sync lock this tab holds (or waits for).
    release: StoredValue<Option<js_sys::Function>, LocalStorage>,
    /// The settings have been read from the database (or there is none to read them from):
    /// the form is drawn from then on, so nothing typed before is replaced by them.
    loaded: RwSignal<bool>,
}

/// The settings are read from the database once it is open (`resume`).
pub fn provide_sync() -> SyncCtx {
    let ctx = SyncCtx {
        status: RwSignal::new(Status::Off),
        password: StoredValue::new(String::new()),
        passphrase: StoredValue::new(String::new()),
        key: StoredValue::new_local(None),
        halves: StoredValue::new((Half::Done, Half::Done)),
        progress: RwSignal::new(None),
        settings: RwSignal::new(SyncSettings::default()),
        generation: StoredValue::new(0),
        release: StoredValue::new_local(None),
        loaded: RwSignal::new(false),
    };
    provide_context(ctx);
    ctx
}

/// Once the database is open: reads the settings, and resumes sync if it was on (and the
/// password is known).
pub async fn resume(app: AppState, ctx: SyncCtx) {
    let read = match app.store_handle() {
        Some(store) => store.sync_settings().await.ok(),
        None => None,
    };
    let Some(s) = read else {
        ctx.loaded.set(true);
        return;
    };
    ctx.password.set_value(s.password.clone());
    ctx.passphrase.set_value(s.passphrase.clone());
    ctx.settings.set(s.clone());
    ctx.loaded.set(true);
    if s.on {
        if s.user.is_empty() || !s.password.is_empty() {
            start(app, ctx, false);
        } else {
            ctx.status.set(Status::NeedsPassword);
        }
    }
}

fn use_sync() -> SyncCtx {
    expect_context::<SyncCtx>()
}

/// "user:password" as HTTP basic credentials (UTF-8, base64).
fn basic(user: &str, password: &str) -> Option<String> {
    let bytes = format!("{user}:{password}").into_bytes();
    let latin1: String = bytes.iter().map(|&b| b as char).collect();
    web_sys::window()?.btoa(&latin1).ok().map(|b| format!("Basic {b}"))
}

/// Sends one request, sealing the documents it carries and opening the ones that come back
/// when the database is encrypted (`key`).
async fn send(ctx: SyncCtx, r: &Request) -> (u16, String) {
    let s = ctx.settings.get_untracked();
    let password = ctx.password.get_value();
    let key = ctx.key.get_value();
    let Some(k) = key else { return send_plain(&s, &password, r).await };
    let mut r = r.clone();
    if let Some(body) = r.body.as_mut() {
        let mut sealed = Vec::new();
        for p in crate::sync::seal::outgoing(body) {
            match super::crypto::seal(&k, &p).await {
                Ok(c) => sealed.push(c),
                Err(_) => return (0, String::new()),
            }
        }
        crate::sync::seal::seal(body, sealed);
    }
    let (status, text) = send_plain(&s, &password, &r).await;
    if !(200..300).contains(&status) {
        return (status, text);
    }
    let Ok(mut answer) = serde_json::from_str::<serde_json::Value>(&text) else { return (status, text) };
    let mut opened = Vec::new();
    for c in crate::sync::seal::incoming(&mut answer) {
        opened.push(super::crypto::open(&k, &c).await);
    }
    crate::sync::seal::open(&mut answer, opened);
    (status, answer.to_string())
}

/// The team key: from the database's key document (made by the first device to sync with
/// a passphrase), checked against it. None with no passphrase and a plain database.
async fn team_key(ctx: SyncCtx) -> Result<Option<web_sys::CryptoKey>, Status> {
    use crate::sync::seal::{CHECK, KEY_DOC};
    let s = ctx.settings.get_untracked();
    let password = ctx.password.get_value();
    let passphrase = ctx.passphrase.get_value();
    let get = Request { method: "GET", path: KEY_DOC.into(), body: None };
    let (status, text) = send_plain(&s, &password, &get).await;
    let doc: Option<serde_json::Value> = match status {
        200 => serde_json::from_str(&text).ok(),
        404 if text.contains("missing") || text.contains("deleted") => None,
        code => return Err(fail_status(crate::sync::failure_of(code, &text))),
    };
    let salt = doc.as_ref().and_then(|d| d.get("salt")).and_then(|v| v.as_str()).and_then(crate::io::envelope::b64_decode);
    match (passphrase.is_empty(), salt) {
        (true, None) => Ok(None),
        (true, Some(_)) => Err(Status::NeedsPassphrase),
        (false, Some(salt)) => {
            let k = super::crypto::team_key(&passphrase, &salt).await.map_err(|e| Status::Failed(SyncError::BadAnswer(e)))?;
            let check = doc.as_ref().and_then(|d| d.get("check")).and_then(|v| v.as_str()).unwrap_or_default();
            match super::crypto::open(&k, check).await {
                Some(t) if t == CHECK => Ok(Some(k)),
                _ => Err(Status::WrongPassphrase),
            }
        }
        (false, None) => {
            // The first device with a passphrase: a new salt and check, stored for the team.
            let salt: [u8; 16] = super::crypto::random_bytes().map_err(|e| Status::Failed(SyncError::BadAnswer(e)))?;
            let k = super::crypto::team_key(&passphrase, &salt).await.map_err(|e| Status::Failed(SyncError::BadAnswer(e)))?;
            let check = super::crypto::seal(&k, CHECK).await.map_err(|e| Status::Failed(SyncError::BadAnswer(e)))?;
            let body = serde_json::json!({ "_id": KEY_DOC, "salt": crate::io::envelope::b64_encode(&salt), "check": check });
            let put = Request { method: "POST", path: String::new(), body: Some(body) };
            match send_plain(&s, &password, &put).await {
                (200..=299, _) => Ok(Some(k)),
                (code, text) => Err(fail_status(crate::sync::failure_of(code, &text))),
            }
        }
    }
}

fn fail_status(e: SyncError) -> Status {
    if e == SyncError::Unreachable { Status::Offline } else { Status::Failed(e) }
}

/// Sends one request to the configured database; status 0 when no answer came.
async fn send_plain(s: &SyncSettings, password: &str, r: &Request) -> (u16, String) {
    let base = format!("{}/{}", s.url.trim().trim_end_matches('/'), s.db.trim());
    let url = if r.path.is_empty() { base } else { format!("{base}/{}", r.path) };
    let init = web_sys::RequestInit::new();
    init.set_method(r.method);
    init.set_mode(web_sys::RequestMode::Cors);
    let Ok(headers) = web_sys::Headers::new() else { return (0, String::new()) };
    let _ = headers.set("Accept", "application/json");
    if let Some(body) = &r.body {
        let _ = headers.set("Content-Type", "application/json");
        init.set_body(&wasm_bindgen::JsValue::from_str(&body.to_string()));
    }
    if !s.user.is_empty() {
        if let Some(auth) = basic(&s.user, password) {
            let _ = headers.set("Authorization", &auth);
        }
    }
    init.set_headers(&headers);
    let Some(window) = web_sys::window() else { return (0, String::new()) };
    let Ok(request) = web_sys::Request::new_with_str_and_init(&url, &init) else { return (0, String::new()) };
    let Ok(resp) = wasm_bindgen_futures::JsFuture::from(window.fetch_with_request(&request)).await else { return (0, String::new()) };
    let Ok(resp) = resp.dyn_into::<web_sys::Response>() else { return (0, String::new()) };
    let status = resp.status();
    let text = match resp.text() {
        Ok(p) => wasm_bindgen_futures::JsFuture::from(p).await.ok().and_then(|t| t.as_string()).unwrap_or_default(),
        Err(_) => String::new(),
    };
    (status, text)
}

/// Starts the loops for the current settings. `first`: sync was just turned on, so every
/// record here is marked to be sent.
fn start(app: AppState, ctx: SyncCtx, first: bool) {
    // Started again (settings applied): the lock this tab holds goes first, or the new
    // request would wait behind it.
    let_go(ctx);
    ctx.generation.update_value(|g| *g += 1);
    let gen = ctx.generation.get_value();
    app.sync_on.set_value(true);
    ctx.halves.set_value((Half::Busy(0), Half::Done));
    ctx.status.set(Status::Syncing { to_send: 0, received: 0 });
    leptos::task::spawn_local(async move {
        // Not fetched (offline, the deploy gone from the server and the cache): retried.
        let mut wait = 1_000;
        while running(ctx, gen) {
            if run(app, ctx, gen, first).await.is_ok() {
                return;
            }
            ctx.status.set(Status::CodeMissing);
            sleep(wait).await;
            wait = (wait * 2).min(30_000);
        }
    });
}

/// The loops. Their code and all only they use (the server's protocol and documents, pull,
/// push, the team key) is split off the first download (`wasm_split`, as the screens are):
/// fetched when sync first starts in this tab, so a browser that never syncs never
/// downloads it.
#[allow(improper_ctypes_definitions, improper_ctypes)]
#[leptos::wasm_split::wasm_split(sync, wasm_split_path = ::leptos::wasm_split, fallible)]
fn run(app: AppState, ctx: SyncCtx, gen: u64, first: bool) -> Result<(), leptos::wasm_split::SplitLoaderError> {
    leptos::task::spawn_local(async move {
        // Sending reads records from memory: all of them, once the load's last part is in.
        app.wait_whole().await;
        // One tab of this browser syncs for all its tabs (they share the database, and
        // each one's stored changes reach the others): the one holding the lock.
        if !lead(ctx, gen).await {
            return;
        }
        // The tab that held the lock may have changed the settings this browser keeps
        // (turned sync off, another server or database): those count, not this tab's copy.
        // They were committed before that tab let go, so this read sees them.
        let Some(store) = app.store_handle() else { return };
        let kept = store.sync_settings().await.unwrap_or_else(|_| ctx.settings.get_untracked());
        if !kept.on {
            let_go(ctx);
            app.sync_on.set_value(false);
            ctx.status.set(Status::Off);
            ctx.settings.set(kept);
            return;
        }
        if ctx.settings.with_untracked(|s| (&s.url, &s.db, &s.user) != (&kept.url, &kept.db, &kept.user)) {
            ctx.settings.set(SyncSettings { password: ctx.password.get_value(), passphrase: ctx.passphrase.get_value(), ..kept });
        }
        if first {
            let all = app.ws.with_untracked(crate::sync::all_docs);
            if let Err(e) = store.sync_save(&SyncState::default().checkpoint(), &Default::default(), &[], &all).await {
                app.write_error.set(Some(format!("{e:?}")));
                return;
            }
        }
        // The team key first (or the knowledge that the database is plain).
        let mut wait = 1_000;
        loop {
            if !running(ctx, gen) {
                return;
            }
            match team_key(ctx).await {
                Ok(k) => {
                    ctx.key.set_value(k);
                    break;
                }
                Err(st @ (Status::WrongPassphrase | Status::NeedsPassphrase)) => {
                    ctx.status.set(st);
                    return;
                }
                Err(st) => {
                    ctx.status.set(st);
                    sleep(wait).await;
                    wait = (wait * 2).min(30_000);
                }
            }
        }
        let state = match store.sync_load().await {
            Ok((st, _)) => Rc::new(RefCell::new(st)),
            Err(_) => return,
        };
        let (s2, st2) = (store.clone(), state.clone());
        leptos::task::spawn_local(async move { push_loop(app, ctx, gen, s2, st2).await });
        pull_loop(app, ctx, gen, store, state).await;
    });
    Ok(())
}

/// Waits until this tab holds the browser's sync lock (Web Locks: held until this tab
/// stops syncing or closes; then the next waiting tab gets it). Meanwhile the status says
/// another tab syncs. False when stopped before that. Without Web Locks, leads at once.
async fn lead(ctx: SyncCtx, gen: u64) -> bool {
    use wasm_bindgen::closure::Closure;
    use wasm_bindgen::JsValue;
    let locks = web_sys::window().and_then(|w| js_sys::Reflect::get(&w.navigator(), &JsValue::from_str("locks")).ok()).filter(|l| !l.is_undefined());
    let request = locks.as_ref().and_then(|l| js_sys::Reflect::get(l, &JsValue::from_str("request")).ok()).and_then(|f| f.dyn_into::<js_sys::Function>().ok());
    let (Some(locks), Some(request)) = (locks, request) else { return true };
    let (granted, on_grant) = futures_channel::oneshot::channel::<()>();
    // Held while the promise the callback returns is pending: it settles when this tab
    // stops (see `stop`).
    let mut release = None;
    let held = js_sys::Promise::new(&mut |resolve, _| release = Some(resolve));
    ctx.release.set_value(release);
    let on_lock = Closure::once_into_js(move |_lock: JsValue| -> JsValue {
        let _ = granted.send(());
        held.into()
    });
    // Not granted at once: another tab holds it.
    let waiting = std::rc::Rc::new(std::cell::Cell::new(true));
    let w = waiting.clone();
    leptos::task::spawn_local(async move {
        sleep(200).await;
        if w.get() && running(ctx, gen) {
            ctx.status.set(Status::OtherTab);
        }
    });
    if request.call2(&locks, &JsValue::from_str("funnelscope-sync"), &on_lock).is_err() {
        return true;
    }
    let got = on_grant.await.is_ok();
    waiting.set(false);
    if !running(ctx, gen) {
        // Stopped (or started again) while waiting: `let_go` settled the promise the lock
        // is held by, so it passes on at once.
        return false;
    }
    if got {
        ctx.status.set(Status::Syncing { to_send: 0, received: 0 });
    }
    got
}

/// Lets go of the sync lock (held or asked for), so another tab can sync.
fn let_go(ctx: SyncCtx) {
    if let Some(f) = ctx.release.try_update_value(Option::take).flatten() {
        let _ = f.call0(&wasm_bindgen::JsValue::NULL);
    }
}

/// Stops the running loops; gives back what lets go of the sync lock (held or asked for),
/// for the caller to call when another tab may take over.
fn halt(ctx: SyncCtx) -> Option<js_sys::Function> {
    let release = ctx.release.try_update_value(Option::take).flatten();
    ctx.generation.update_value(|g| *g += 1);
    release
}

/// Stops this tab's sync (`halt`) and says so.
fn stop(app: AppState, ctx: SyncCtx) -> Option<js_sys::Function> {
    let release = halt(ctx);
    app.sync_on.set_value(false);
    ctx.status.set(Status::Off);
    release
}

fn running(ctx: SyncCtx, gen: u64) -> bool {
    ctx.generation.try_get_value() == Some(gen)
}

/// How long retries may wait: a few seconds while offline (back online is noticed soon),
/// half a minute when the server refuses (someone has to fix the settings or the server).
fn retry_cap(e: &SyncError) -> i32 {
    if *e == SyncError::Unreachable { 3_000 } else { 30_000 }
}

/// One half of the sync: done (up to date), busy with n documents, or stopped.
#[derive(Clone, Debug, PartialEq)]
enum Half {
    Done,
    Busy(usize),
    Down(Status),
}

/// Sets one half and shows what both together mean: a stop first (the pull's before the
/// push's), then work under way (received while catching up, left to send), else synced.
fn set_half(ctx: SyncCtx, pull: bool, h: Half) {
    ctx.halves.update_value(|x| if pull { x.0 = h } else { x.1 = h });
    let (p, q) = ctx.halves.get_value();
    let busy = |h: &Half| if let Half::Busy(n) = h { *n } else { 0 };
    let status = match (&p, &q) {
        (Half::Down(s), _) | (_, Half::Down(s)) => s.clone(),
        (Half::Done, Half::Done) => Status::Synced,
        _ => Status::Syncing { to_send: busy(&q), received: busy(&p) },
    };
    if ctx.status.get_untracked() != status {
        ctx.status.set(status);
    }
}

/// The changes feed into the workspace, long-polled while the tab is open.
async fn pull_loop(app: AppState, ctx: SyncCtx, gen: u64, store: Rc<crate::storage::Store>, state: Rc<RefCell<SyncState>>) {
    let mut backoff = 1_000;
    let mut pull = Pull::live();
    let mut caught_up = false;
    while running(ctx, gen) {
        let before: std::collections::BTreeSet<String> = state.borrow().pending.clone();
        let since = state.borrow().since.clone();
        let merged_at = app.memory_rev();
        let action = app.ws.with_lookup_untracked(|ws, at| pull.next(ws, at, &mut state.borrow_mut()));
        let failed = match action {
            Action::Send(r) => {
                let (status, body) = send(ctx, &r).await;
                if !running(ctx, gen) {
                    return;
                }
                let r = pull.answer(status, &body, &mut state.borrow_mut()).err();
                // A batch read (parsed) and a batch merged are two tasks, not one.
                yield_to_browser().await;
                r
            }
            Action::Store { theirs, changes } => {
                // The merge took a while: let the page breathe before storing it.
                yield_to_browser().await;
                let stored: Result<_, String> = app.store_pulled(theirs, changes, merged_at, crate::sync::changes_for).await;
                stored.err().map(SyncError::BadAnswer)
            }
            Action::Idle | Action::Failed(_) => None,
        };
        if let Some(e) = failed {
            let cap = retry_cap(&e);
            set_half(ctx, true, Half::Down(fail_status(e)));
            pull = Pull::live();
            sleep(backoff).await;
            backoff = (backoff * 2).min(cap);
            continue;
        }
        backoff = 1_000;
        // Save the checkpoint once a batch is stored, and the documents merged here that
        // the server's copy lacks (to push).
        let (moved, more): (bool, Vec<String>) = {
            let st = state.borrow();
            (st.since != since, st.pending.difference(&before).cloned().collect())
        };
        // After every stored batch: the checkpoint is a small record and the revisions are
        // the batch's own (one record each), so a save costs the same at the first batch as
        // at the last.
        if !more.is_empty() || moved {
            let checkpoint = state.borrow().checkpoint();
            let revs = state.borrow_mut().take_rev_changes();
            if store.sync_save(&checkpoint, &revs, &[], &more).await.is_err() {
                state.borrow_mut().untake_rev_changes(revs);
                return;
            }
            if !more.is_empty() {
                app.kick_sync();
            }
        }
        set_half(ctx, true, if pull.is_done() { Half::Done } else { Half::Busy(pull.pulled) });
        if pull.is_done() && !caught_up {
            // Batches pulled are not cut into segments one by one (`AppState::run_job`): once
            // caught up, whatever they left loose is, if it is enough to be worth it.
            app.request_cut();
        }
        caught_up = pull.is_done();
        let shown = match (pull.is_done(), pull.total) {
            (false, Some(total)) if total > 0 => Some((pull.pulled.min(total), total)),
            _ => None,
        };
        if ctx.progress.get_untracked() != shown {
            ctx.progress.set(shown);
        }
    }
}

/// Changes stored here to the server, whenever there are some.
async fn push_loop(app: AppState, ctx: SyncCtx, gen: u64, store: Rc<crate::storage::Store>, state: Rc<RefCell<SyncState>>) {
    let mut backoff = 1_000;
    while running(ctx, gen) {
        let woken = app.next_local_change();
        let Ok(marks) = store.sync_marks().await else { return };
        {
            let mut st = state.borrow_mut();
            st.pending = marks.iter().filter(|(_, m)| !m.1).map(|(id, _)| id.clone()).collect();
            st.removed = marks.iter().filter(|(_, m)| m.1).map(|(id, _)| id.clone()).collect();
        }
        let mut failed = None;
        if !marks.is_empty() {
            set_half(ctx, false, Half::Busy(marks.len()));
            let mut push = Push::default();
            loop {
                let merged_at = app.memory_rev();
                let action = app.ws.with_lookup_untracked(|ws, at| push.next(ws, at, &mut state.borrow_mut()));
                match action {
                    Action::Send(r) => {
                        let (status, body) = send(ctx, &r).await;
                        if !running(ctx, gen) {
                            return;
                        }
                        if let Err(e) = push.answer(status, &body, &mut state.borrow_mut()) {
                            failed = Some(e);
                            break;
                        }
                        let left = state.borrow().pending.len() + state.borrow().removed.len();
                        set_half(ctx, false, Half::Busy(left));
                    }
                    Action::Store { theirs, changes } => {
                        if let Err(e) = app.store_pulled(theirs, changes, merged_at, crate::sync::changes_for).await {
                            failed = Some(SyncError::BadAnswer(e));
                            break;
                        }
                    }
                    Action::Idle | Action::Failed(_) => break,
                }
                yield_to_browser().await;
            }
            // Unmark what the server now has (unless changed again meanwhile).
            let sent: Vec<(String, u64)> = {
                let st = state.borrow();
                marks.iter().filter(|(id, _)| !st.pending.contains(*id) && !st.removed.contains(*id)).map(|(id, m)| (id.clone(), m.0)).collect()
            };
            let checkpoint = state.borrow().checkpoint();
            let revs = state.borrow_mut().take_rev_changes();
            if store.sync_save(&checkpoint, &revs, &sent, &[]).await.is_err() {
                state.borrow_mut().untake_rev_changes(revs);
                return;
            }
        }
        match failed {
            Some(e) => {
                let cap = retry_cap(&e);
                set_half(ctx, false, Half::Down(fail_status(e)));
                sleep(backoff).await;
                backoff = (backoff * 2).min(cap);
            }
            None => {
                backoff = 1_000;
                set_half(ctx, false, Half::Done);
                // Sleep until the next local change, or 30 s (to retry what failed).
                let timeout = sleep(30_000);
                futures_util_select(woken, timeout).await;
            }
        }
    }
}

/// Waits for whichever comes first.
async fn futures_util_select(a: futures_channel::oneshot::Receiver<()>, b: impl std::future::Future<Output = ()>) {
    let a = std::pin::pin!(async move {
        let _ = a.await;
    });
    let b = std::pin::pin!(b);
    let mut pair = (Some(a), Some(b));
    std::future::poll_fn(move |cx| {
        use std::future::Future;
        use std::task::Poll;
        if let Some(f) = pair.0.as_mut() {
            if f.as_mut().poll(cx).is_ready() {
                return Poll::Ready(());
            }
        }
        if let Some(f) = pair.1.as_mut() {
            if f.as_mut().poll(cx).is_ready() {
                return Poll::Ready(());
            }
        }
        Poll::Pending
    })
    .await
}

/// The reason in words.
pub fn status_text(app: AppState, s: &Status, db: &str) -> String {
    match s {
        Status::Off => app.t(K::SyncOff).into(),
        Status::Syncing { to_send, received } => fill(app.t(K::SyncSyncing), &[("n", to_send.to_string()), ("m", received.to_string())]),
        Status::Synced => app.t(K::SyncSynced).into(),
        Status::Offline => app.t(K::SyncOffline).into(),
        Status::NeedsPassword => app.t(K::SyncNeedsPassword).into(),
        Status::NeedsPassphrase => app.t(K::SyncNeedsPassphrase).into(),
        Status::WrongPassphrase => app.t(K::SyncWrongPassphrase).into(),
        Status::OtherTab => app.t(K::SyncOtherTab).into(),
        Status::CodeMissing => app.t(K::SyncCodeMissing).into(),
        Status::Failed(e) => match e {
            SyncError::Unauthorized => app.t(K::SyncWrongPassword).into(),
            SyncError::Forbidden => app.t(K::SyncForbidden).into(),
            SyncError::DatabaseMissing => fill(app.t(K::SyncNoDatabase), &[("db", db.to_string())]),
            SyncError::Unreachable => app.t(K::SyncOffline).into(),
            SyncError::Server(code, why) => fill(app.t(K::SyncServerError), &[("code", code.to_string()), ("why", why.clone())]),
            SyncError::BadAnswer(why) => fill(app.t(K::SyncBadAnswer), &[("why", why.clone())]),
        },
    }
}

/// In the header: the sync's state, linking to its settings.
#[component]
pub fn SyncBadge() -> impl IntoView {
    let app = use_app();
    let ctx = use_sync();
    move || {
        let s = ctx.status.get();
        (s != Status::Off).then(|| {
            let bad = matches!(s, Status::Failed(_) | Status::NeedsPassword | Status::NeedsPassphrase | Status::WrongPassphrase | Status::Offline | Status::CodeMissing);
            let text = status_text(app, &s, &ctx.settings.with(|x| x.db.clone()));
            let title = text.clone();
            view! {
                <a class="sync-badge" class:bad=bad href=super::href(super::View::Data) title=title>
                    <span aria-hidden="true">{if bad { "⚠ " } else { "⇅ " }}</span>{text}
                </a>
            }
        })
    }
}

/// The settings (Import & export page), once they are read.
#[component]
pub fn SyncSection() -> impl IntoView {
    let ctx = use_sync();
    move || ctx.loaded.get().then(|| view! { <SyncForm/> })
}

#[component]
fn SyncForm() -> impl IntoView {
    let app = use_app();
    let ctx = use_sync();
    let draft = RwSignal::new(ctx.settings.get_untracked());
    let password = RwSignal::new(ctx.password.get_value());
    let passphrase = RwSignal::new(ctx.passphrase.get_value());
    let error = RwSignal::new(None::<String>);
    let turn_on = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let mut s = draft.get_untracked();
        s.url = s.url.trim().trim_end_matches('/').to_string();
        s.db = s.db.trim().to_string();
        let lang = app.lang.get_untracked();
        if !crate::sync::valid_server_url(&s.url) {
            error.set(Some(crate::i18n::tr(lang, K::SyncBadUrl).into()));
            return;
        }
        if !crate::sync::valid_db_name(&s.db) {
            error.set(Some(crate::i18n::tr(lang, K::SyncBadDb).into()));
            return;
        }
        error.set(None);
        let old = ctx.settings.get_untracked();
        let same_place = old.url == s.url && old.db == s.db;
        s.on = true;
        s.password = password.get_untracked();
        s.passphrase = passphrase.get_untracked();
        ctx.password.set_value(s.password.clone());
        ctx.passphrase.set_value(s.passphrase.clone());
        ctx.settings.set(s.clone());
        // The running loops (old settings) stop now; the lock this tab holds is let go once
        // the new settings are stored, so that a tab granted it in between reads them.
        let release = halt(ctx);
        leptos::task::spawn_local(async move {
            let saved = match app.store_handle() {
                Some(store) => store.save_sync_settings(&s).await.map(|()| store).map_err(Some),
                None => Err(None),
            };
            if let Some(f) = release {
                let _ = f.call0(&wasm_bindgen::JsValue::NULL);
            }
            let store = match saved {
                Ok(store) => store,
                Err(e) => {
                    // No database (a private window): sync has nowhere to keep its state.
                    error.set(Some(e.map_or_else(|| app.t(K::MemoryOnlyTitle).to_string(), |e| app.store_error(&e))));
                    ctx.settings.set(SyncSettings { on: false, ..s });
                    let _ = stop(app, ctx);
                    return;
                }
            };
            // Another database starts from nothing: no checkpoint, everything to send.
            if !same_place {
                let _ = store.sync_forget().await;
            }
            let first = store.sync_load().await.map(|(st, _)| st.since.is_null()).unwrap_or(true);
            start(app, ctx, first);
        });
    };
    let turn_off = move |_| {
        let s = SyncSettings { on: false, ..ctx.settings.get_untracked() };
        ctx.settings.set(s.clone());
        // The loops stop now; the lock is let go once "off" is stored, so that a tab
        // waiting for it reads "off" and does not take over.
        let release = stop(app, ctx);
        leptos::task::spawn_local(async move {
            if let Some(store) = app.store_handle() {
                if let Err(e) = store.save_sync_settings(&s).await {
                    error.set(Some(app.store_error(&e)));
                }
            }
            if let Some(f) = release {
                let _ = f.call0(&wasm_bindgen::JsValue::NULL);
            }
        });
    };
    let field = move |key: K, kind: &'static str, get: fn(&SyncSettings) -> String, set: fn(&mut SyncSettings, String)| {
        view! {
            <label class="field">
                <span>{move || app.t(key)}</span>
                <input type=kind prop:value=move || draft.with(get) on:input=move |ev| { let v = event_target_value(&ev); draft.update(|d| set(d, v)); }
                    autocomplete="off" spellcheck="false"/>
            </label>
        }
    };
    view! {
        <h2>{move || app.t(K::SyncTitle)}</h2>
        <p class="muted">{move || app.t(K::SyncIntro)}</p>
        <form class="sync-form" on:submit=turn_on>
            {field(K::SyncUrl, "url", |s| s.url.clone(), |s, v| s.url = v)}
            {field(K::SyncDb, "text", |s| s.db.clone(), |s, v| s.db = v)}
            {field(K::SyncUser, "text", |s| s.user.clone(), |s, v| s.user = v)}
            <label class="field">
                <span>{move || app.t(K::SyncPassword)}</span>
                <input type="password" prop:value=move || password.get() on:input=move |ev| password.set(event_target_value(&ev)) autocomplete="current-password"/>
            </label>
            <label class="field">
                <span>{move || app.t(K::SyncPassphrase)}</span>
                <input type="password" prop:value=move || passphrase.get() on:input=move |ev| passphrase.set(event_target_value(&ev)) autocomplete="off"/>
            </label>
            <label class="check">
                <input type="checkbox" prop:checked=move || draft.with(|d| d.remember) on:change=move |ev| { let on = event_target_checked(&ev); draft.update(|d| d.remember = on); }/>
                <span>{move || app.t(K::SyncRemember)}</span>
            </label>
            <div class="actions left">
                <button type="submit" class="primary">{move || app.t(if ctx.settings.with(|s| s.on) { K::SyncApply } else { K::SyncTurnOn })}</button>
                <Show when=move || ctx.settings.with(|s| s.on)>
                    <button type="button" on:click=turn_off>{move || app.t(K::SyncTurnOff)}</button>
                </Show>
            </div>
            {move || error.get().map(|e| view! { <p class="error" role="alert">{e}</p> })}
        </form>
        // Announced politely (not role=status: the page's import result keeps that role).
        {move || ctx.progress.get().map(|(done, total)| view! {
            <progress class="sync-progress" max=total.to_string() value=done.to_string()
                aria-label=move || app.t(K::SyncProgress)></progress>
        })}
        <p class="sync-status" aria-live="polite">{move || status_text(app, &ctx.status.get(), &ctx.settings.with(|s| s.db.clone()))}</p>
    }
}
