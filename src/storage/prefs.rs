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
}

impl Prefs {
    pub fn load() -> Prefs {
        LocalStorage::get(KEY).unwrap_or_default()
    }

    pub fn save(&self) {
        let _ = LocalStorage::set(KEY, self);
    }
}
