//! The Chinese UI texts, fetched when Chinese is asked for: the app's wasm holds only the
//! English ones (core's `zh_fetched`, 11 KB gzip less for every first download), and
//! `scripts/post_build.mjs` writes the Chinese ones as a file (`funnel texts zh`) named in
//! `<meta name="funnelscope-zh">`. The offline cache holds it like every other file.

use crate::i18n::{install_zh, zh_ready};
use futures_channel::oneshot;
use std::cell::RefCell;
use std::future::Future;
use std::pin::Pin;
use std::task::Poll;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;

/// How long a visit in Chinese waits for the texts before drawing the app in English (then
/// switched to Chinese when they arrive). They are fetched beside the wasm, so on a working
/// connection they are in before the app's code starts; this bounds a connection that
/// neither answers nor fails, which kept the page blank.
pub const WAIT_MS: i32 = 3000;

thread_local! {
    /// Texts still on their way when the app was drawn without them (`wait_for_zh`): the
    /// app takes the answer (`still_coming`) and switches to Chinese, or says why not.
    static COMING: RefCell<Option<oneshot::Receiver<bool>>> = const { RefCell::new(None) };
}

/// Fetches the Chinese texts for a first screen in Chinese: done once they are in (or have
/// failed), or after `WAIT_MS` with the fetch still going, whose answer is then left for
/// the app (`still_coming`).
pub async fn wait_for_zh() {
    let (tx, mut rx) = oneshot::channel();
    wasm_bindgen_futures::spawn_local(async move {
        let loaded = load_zh().await;
        if let Err(e) = &loaded {
            leptos::logging::warn!("Chinese texts: {e}");
        }
        let _ = tx.send(loaded.is_ok());
    });
    let mut timer = Box::pin(super::state::sleep(WAIT_MS));
    let answered = std::future::poll_fn(|cx| match Pin::new(&mut rx).poll(cx) {
        Poll::Ready(_) => Poll::Ready(true),
        Poll::Pending => timer.as_mut().poll(cx).map(|()| false),
    })
    .await;
    if !answered {
        COMING.with(|c| *c.borrow_mut() = Some(rx));
    }
}

/// The answer `wait_for_zh` stopped waiting for, if it did: true when the texts came in.
pub fn still_coming() -> Option<impl Future<Output = bool>> {
    COMING.with(|c| c.borrow_mut().take()).map(|rx| async move { rx.await.unwrap_or(false) })
}

/// Makes `tr(Lang::Zh, _)` give Chinese: at once when the texts are in, else after
/// fetching them (a second try a second later). An error says why in English, for the
/// console: the user is told by `K::ZhUnavailable`, which is in both languages.
pub async fn load_zh() -> Result<(), String> {
    if zh_ready() {
        return Ok(());
    }
    let first = match prefetched().await {
        // The boot script's fetch is the first try.
        Some(Some(text)) => install_zh(&text).map_err(|e| e.to_string()),
        Some(None) => Err("the boot script's fetch failed".into()),
        None => fetch_zh().await,
    };
    if first.is_ok() {
        return first;
    }
    super::state::sleep(1000).await;
    fetch_zh().await
}

/// What the boot script fetched for a visit in Chinese (`scripts/post_build.mjs`), taken
/// once: `None` if it fetched nothing, `Some(None)` if its fetch failed.
async fn prefetched() -> Option<Option<String>> {
    let window = web_sys::window()?;
    let key = wasm_bindgen::JsValue::from_str("__funnelscopeZh");
    let pending = js_sys::Reflect::get(&window, &key).ok()?.dyn_into::<js_sys::Promise>().ok()?;
    let _ = js_sys::Reflect::delete_property(&window, &key);
    Some(JsFuture::from(pending).await.ok().and_then(|text| text.as_string()))
}

async fn fetch_zh() -> Result<(), String> {
    let window = web_sys::window().ok_or("no window")?;
    let name = window
        .document()
        .and_then(|d| d.query_selector("meta[name=funnelscope-zh]").ok().flatten())
        .and_then(|m| m.get_attribute("content"))
        .ok_or("the page names no Chinese texts file")?;
    // The browser's own reason is in its console already; naming the file is enough here.
    let err = |_| format!("{name}: not downloaded");
    let response: web_sys::Response = JsFuture::from(window.fetch_with_str(&name)).await.map_err(err)?.unchecked_into();
    if !response.ok() {
        return Err(format!("{name}: HTTP {}", response.status()));
    }
    let text = JsFuture::from(response.text().map_err(err)?).await.map_err(err)?.as_string().unwrap_or_default();
    install_zh(&text).map_err(|e| format!("{name}: {e}"))
}
