//! Display helpers that need the browser (locale-aware dates) or the i18n table.

use crate::domain::money::format_compact;
use crate::domain::Lang;
use crate::i18n::{fill, tr, K};
use chrono::{DateTime, NaiveDate, Utc};

fn locale(lang: Lang) -> &'static str {
    match lang {
        Lang::En => "en-GB",
        Lang::Zh => "zh-CN",
    }
}

thread_local! {
    /// The formatter of the language last used. `toLocaleString` with options builds a new
    /// `Intl.DateTimeFormat` on every call (≈ 6 % of drawing a 10,000-deal board, one per
    /// card with a next step); its output is this formatter's.
    static DATETIME: std::cell::RefCell<Option<(Lang, js_sys::Function)>> = const { std::cell::RefCell::new(None) };
}

/// Date and time in the user's time zone, e.g. "27 Nov 2026, 14:05".
pub fn datetime(at: DateTime<Utc>, lang: Lang) -> String {
    let d = js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(at.timestamp_millis() as f64));
    let format = DATETIME.with_borrow_mut(|cached| match cached {
        Some((l, f)) if *l == lang => f.clone(),
        _ => {
            let opts = js_sys::Object::new();
            for (k, v) in [("year", "numeric"), ("month", "short"), ("day", "numeric"), ("hour", "2-digit"), ("minute", "2-digit")] {
                let _ = js_sys::Reflect::set(&opts, &k.into(), &v.into());
            }
            let locales = js_sys::Array::of1(&locale(lang).into());
            let f = js_sys::Intl::DateTimeFormat::new(&locales, &opts).format();
            *cached = Some((lang, f.clone()));
            f
        }
    });
    format.call1(&wasm_bindgen::JsValue::NULL, &d).ok().and_then(|s| s.as_string()).unwrap_or_default()
}

pub fn date(d: NaiveDate) -> String {
    d.format("%Y-%m-%d").to_string()
}

/// "today", "1 day", "12 days" (or Chinese).
pub fn days(n: i64, lang: Lang) -> String {
    match n {
        i64::MIN..=0 => tr(lang, K::Today).to_string(),
        1 => tr(lang, K::OneDay).to_string(),
        n => fill(tr(lang, K::NDays), &[("n", n.to_string())]),
    }
}

/// Compact per-currency totals: "$12.3k + ¥80k"; "—" when no deal has an amount.
pub fn totals_text(totals: &[(String, i64)]) -> String {
    if totals.is_empty() {
        return "—".into();
    }
    totals.iter().map(|(c, v)| format_compact(*v, c)).collect::<Vec<_>>().join(" + ")
}

/// The user's time zone, as minutes east of UTC (Beijing +480), for reading and showing
/// local dates and times in the core.
pub fn tz_offset_min() -> i32 {
    -(js_sys::Date::new_0().get_timezone_offset() as i32)
}
