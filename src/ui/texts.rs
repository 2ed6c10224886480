//! The Chinese UI texts, fetched when Chinese is asked for: the app's wasm holds only the
//! English ones (core's `zh_fetched`, 11 KB gzip less for every first download), and
//! `scripts/post_build.mjs` writes the Chinese ones as a file (`funnel texts zh`) named in
//! `<meta name="funnelscope-zh">`. The offline cache holds it like every other file.

use crate::i18n::{install_zh, zh_ready};
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;

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
