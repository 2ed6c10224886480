//! Small preferences in localStorage. Losing them is harmless, so read errors fall back
//! to defaults.

use crate::domain::Lang;
use gloo_storage::{LocalStorage, Storage};
use serde::{Deserialize, Serialize};

const KEY: &str = "funnelscope.prefs";

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Prefs {
    pub lang: Option<Lang>,
    /// Pipeline shown last, so a reload returns to the same board.
    pub pipeline: Option<String>,
    #[serde(default)]
    pub theme: Option<String>,
    /// Stable id of this browser profile, for "who edited last" when merging.
    #[serde(default)]
    pub device: Option<String>,
    /// Open on Today rather than the board (the rep's choice, on the Today page).
    #[serde(default)]
    pub start_on_today: bool,
    /// The board's saved views: a name and the address's filter part ("q=…&owner=…").
    #[serde(default)]
    pub views: Vec<(String, String)>,
    /// Board cards: compact (one line of facts) and the fields left off them
    /// ("account", "amount", "owner", "next_step", "age").
    #[serde(default)]
    pub compact_cards: bool,
    #[serde(default)]
    pub card_hidden: Vec<String>,
}

impl Prefs {
    pub fn load() -> Prefs {
        LocalStorage::get(KEY).unwrap_or_default()
    }

    pub fn save(&self) {
        let _ = LocalStorage::set(KEY, self);
    }
}

const UNDO_KEY: &str = "funnelscope.undo";

/// The undo and redo lists are kept in this browser so they survive a reload. Entries that
/// no longer apply (the records changed since) are refused by the core when used.
/// The lists as stored (JSON), read now and decoded later (`read_history`), so that
/// their decoders need not be in the first download and a change saved meanwhile does not
/// replace them before they are read.
pub fn history_text() -> Option<String> {
    LocalStorage::raw().get_item(UNDO_KEY).ok().flatten()
}

/// The lists `history_text` read; none if they cannot be read.
pub fn read_history(text: &str) -> crate::domain::undo::History {
    serde_json::from_str(text).unwrap_or_default()
}

/// Stored whole; if the browser refuses (quota), the oldest half is dropped and tried again.
pub fn save_history(h: &crate::domain::undo::History) {
    let mut h = h.clone();
    while LocalStorage::set(UNDO_KEY, &h).is_err() && !(h.undo.is_empty() && h.redo.is_empty()) {
        let (u, r) = (h.undo.len() / 2, h.redo.len() / 2);
        h.undo.drain(..u.max(usize::from(h.undo.len() == 1)));
        h.redo.drain(..r.max(usize::from(h.redo.len() == 1)));
    }
}

/// Where an older build kept the sync settings; now they are in the database (`Store::
/// sync_settings`), and this copy is read only until they are first stored there.
const SYNC_KEY: &str = "funnelscope.sync";

/// Team sync settings, kept in this browser's database. The password is kept only when the
/// user asks ("remember"); otherwise it lives in the tab's memory and is asked for after a
/// reload.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct SyncSettings {
    /// The server's address, e.g. "https://couch.example.com" (no database).
    pub url: String,
    pub db: String,
    #[serde(default)]
    pub user: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub password: String,
    #[serde(default)]
    pub remember: bool,
    #[serde(default)]
    pub on: bool,
    /// The team passphrase for end-to-end encryption (empty: none); kept like the password.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub passphrase: String,
}

impl SyncSettings {
    /// As stored: without the password and passphrase unless they are to be remembered.
    pub(super) fn to_keep(&self) -> SyncSettings {
        let keep = |s: &String| if self.remember { s.clone() } else { String::new() };
        SyncSettings { password: keep(&self.password), passphrase: keep(&self.passphrase), ..self.clone() }
    }

    /// What an older build kept in localStorage, if anything.
    pub(super) fn legacy() -> Option<SyncSettings> {
        LocalStorage::get(SYNC_KEY).ok()
    }

    pub(super) fn forget_legacy() {
        LocalStorage::delete(SYNC_KEY);
    }
}
