//! What the board shows: a search over a deal's words and filters that combine (owner,
//! source, tag, close date, no next step, stuck, at risk). It round-trips through the page address,
//! so a filtered board can be bookmarked, shared with a teammate on the same data, and
//! saved as a named view.

use super::opportunity::Opportunity;
use chrono::{Datelike, NaiveDate};

/// When a deal is expected to close, relative to today.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum CloseWindow {
    #[default]
    Any,
    /// Before today.
    Overdue,
    /// Within the current calendar month.
    ThisMonth,
    /// From today through 30 days ahead.
    Next30,
    /// No date set.
    NotSet,
}

impl CloseWindow {
    pub const ALL: [CloseWindow; 5] = [CloseWindow::Any, CloseWindow::Overdue, CloseWindow::ThisMonth, CloseWindow::Next30, CloseWindow::NotSet];

    pub fn code(self) -> &'static str {
        match self {
            CloseWindow::Any => "",
            CloseWindow::Overdue => "overdue",
            CloseWindow::ThisMonth => "month",
            CloseWindow::Next30 => "30d",
            CloseWindow::NotSet => "none",
        }
    }

    pub fn from_code(s: &str) -> CloseWindow {
        CloseWindow::ALL.into_iter().find(|w| w.code() == s).unwrap_or_default()
    }

    fn contains(self, close: Option<NaiveDate>, today: NaiveDate) -> bool {
        match (self, close) {
            (CloseWindow::Any, _) => true,
            (CloseWindow::NotSet, c) => c.is_none(),
            (_, None) => false,
            (CloseWindow::Overdue, Some(d)) => d < today,
            (CloseWindow::ThisMonth, Some(d)) => d.year() == today.year() && d.month() == today.month(),
            (CloseWindow::Next30, Some(d)) => d >= today && d <= today + chrono::Duration::days(30),
        }
    }
}

/// Which deals the board lays out: open ones in their stage columns (the working view), or
/// the closed ones of Won or Lost (the board's filter for them; they are drop targets, not
/// columns, in the working view).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Showing {
    #[default]
    Open,
    Won,
    Lost,
    /// Every stage as a column, Won and Lost included: the whole picture at once.
    All,
}

impl Showing {
    pub const ALL: [Showing; 4] = [Showing::Open, Showing::Won, Showing::Lost, Showing::All];

    pub fn code(self) -> &'static str {
        match self {
            Showing::Open => "",
            Showing::Won => "won",
            Showing::Lost => "lost",
            Showing::All => "all",
        }
    }

    pub fn from_code(s: &str) -> Showing {
        Showing::ALL.into_iter().find(|w| w.code() == s).unwrap_or_default()
    }

    /// Whether a stage of this kind is a column.
    pub fn shows(self, kind: super::StageKind) -> bool {
        use super::StageKind as S;
        matches!((self, kind), (Showing::All, _) | (Showing::Open, S::Open) | (Showing::Won, S::Won) | (Showing::Lost, S::Lost))
    }
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct BoardFilter {
    /// Open deals (default), or Won or Lost ones.
    pub showing: Showing,
    /// Words to find in the title, account, contact, notes or tags (all of them, any order).
    pub text: String,
    pub owner: String,
    pub source: String,
    pub tag: String,
    pub close: CloseWindow,
    pub no_next_step: bool,
    pub stuck: bool,
    /// Open deals that need attention: stuck, past their expected close date, or with an
    /// overdue next step.
    pub at_risk: bool,
}

/// What the activities and the dwell analysis say about one deal, for the filters.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Signals {
    /// In an open stage (Won and Lost deals are never at risk).
    pub open: bool,
    pub has_next_step: bool,
    /// Its next step was due before now.
    pub next_step_overdue: bool,
    /// In its stage longer than the stage's rotting limit.
    pub stuck: bool,
}

impl Signals {
    /// Every live deal's signals: next steps from the open tasks (due before `now`:
    /// overdue), stuck from the dwell analysis's list.
    pub fn of(ws: &super::Workspace, stuck: &std::collections::HashSet<&str>, now: chrono::DateTime<chrono::Utc>) -> std::collections::HashMap<super::Id, Signals> {
        let steps = ws.next_steps();
        ws.live_deals()
            .map(|d| {
                let kind = ws.pipeline(&d.pipeline).and_then(|p| p.stage(&d.stage)).map(|s| s.kind);
                let step = steps.get(&d.id);
                let s = Signals {
                    open: kind == Some(super::StageKind::Open),
                    has_next_step: step.is_some(),
                    next_step_overdue: step.is_some_and(|a| a.at < now),
                    stuck: stuck.contains(d.id.as_str()),
                };
                (d.id.clone(), s)
            })
            .collect()
    }

    /// At risk: open, and stuck, past its expected close date, or late on its next step.
    pub fn at_risk(&self, d: &Opportunity, today: NaiveDate) -> bool {
        self.open && (self.stuck || self.next_step_overdue || d.expected_close.is_some_and(|c| c < today))
    }
}

/// Lower case, full-width letters and digits (as Chinese input methods type them) folded
/// to their ASCII forms, so "ＡＣＭＥ" finds "Acme".
pub fn fold(s: &str) -> String {
    s.chars()
        .map(|c| match c as u32 {
            0xFF01..=0xFF5E => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
            0x3000 => ' ',
            _ => c,
        })
        .flat_map(char::to_lowercase)
        .collect()
}

impl BoardFilter {
    pub fn is_empty(&self) -> bool {
        *self == BoardFilter::default()
    }

    /// Whether some deals are left out (the open/won/lost choice picks columns, not deals).
    pub fn narrows(&self) -> bool {
        BoardFilter { showing: Showing::Open, ..self.clone() } != BoardFilter::default()
    }

    /// Whether the stuck list (a dwell analysis) is needed to decide.
    pub fn needs_stuck(&self) -> bool {
        self.stuck || self.at_risk
    }

    /// Whether `d` is shown. `signals` come from the activities and the dwell analysis;
    /// `today` is the user's local date.
    pub fn matches(&self, d: &Opportunity, signals: Signals, today: NaiveDate) -> bool {
        if !self.owner.is_empty() && d.owner != self.owner
            || !self.source.is_empty() && d.source != self.source
            || !self.tag.is_empty() && !d.tags.iter().any(|t| *t == self.tag)
            || !self.close.contains(d.expected_close, today)
            || self.no_next_step && signals.has_next_step
            || self.stuck && !signals.stuck
            || self.at_risk && !signals.at_risk(d, today)
        {
            return false;
        }
        let words = fold(&self.text);
        if words.trim().is_empty() {
            return true;
        }
        let hay = fold(&format!("{}\n{}\n{}\n{}\n{}", d.title, d.account, d.contact, d.notes, d.tags.join(" ")));
        words.split_whitespace().all(|w| hay.contains(w))
    }

    /// The address's query pairs (only the filters that are set).
    pub fn to_query(&self) -> Vec<(&'static str, String)> {
        let mut q = Vec::new();
        if self.showing != Showing::Open {
            q.push(("show", self.showing.code().to_string()));
        }
        for (k, v) in [("q", &self.text), ("owner", &self.owner), ("source", &self.source), ("tag", &self.tag)] {
            if !v.is_empty() {
                q.push((k, v.clone()));
            }
        }
        if self.close != CloseWindow::Any {
            q.push(("close", self.close.code().to_string()));
        }
        if self.no_next_step {
            q.push(("nonext", "1".into()));
        }
        if self.stuck {
            q.push(("stuck", "1".into()));
        }
        if self.at_risk {
            q.push(("risk", "1".into()));
        }
        q
    }

    /// The filters as an address's query text ("q=%E4%BA%91&owner=Ann"), each value
    /// percent-encoded (UTF-8), as kept in a saved view and put after "?view=board&".
    pub fn to_address(&self) -> String {
        self.to_query().into_iter().map(|(k, v)| format!("{k}={}", encode(&v))).collect::<Vec<_>>().join("&")
    }

    /// The filters from query text written by `to_address` (or typed by hand); malformed
    /// escapes are kept as typed.
    pub fn from_address(text: &str) -> BoardFilter {
        let pairs: Vec<(&str, String)> = text.split('&').filter_map(|kv| kv.split_once('=')).map(|(k, v)| (k, decode(v))).collect();
        BoardFilter::from_query(|k| pairs.iter().find(|(x, _)| *x == k).map(|(_, v)| v.clone()))
    }

    /// From the address: unknown values fall back to "any" rather than hiding everything.
    pub fn from_query(get: impl Fn(&str) -> Option<String>) -> BoardFilter {
        let flag = |k: &str| get(k).is_some_and(|v| v == "1");
        BoardFilter {
            showing: Showing::from_code(&get("show").unwrap_or_default()),
            text: get("q").unwrap_or_default(),
            owner: get("owner").unwrap_or_default(),
            source: get("source").unwrap_or_default(),
            tag: get("tag").unwrap_or_default(),
            close: CloseWindow::from_code(&get("close").unwrap_or_default()),
            no_next_step: flag("nonext"),
            stuck: flag("stuck"),
            at_risk: flag("risk"),
        }
    }
}

/// Percent-encoding of everything but RFC 3986's unreserved characters.
fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The inverse of `encode` ("+" read as a space, as forms write it); a "%" not followed by
/// two hex digits stays as it is.
fn decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let hex = |c: u8| (c as char).to_digit(16);
        match (b[i], b.get(i + 1).copied().and_then(hex), b.get(i + 2).copied().and_then(hex)) {
            (b'%', Some(h), Some(l)) => {
                out.push((h * 16 + l) as u8);
                i += 3;
            }
            (b'+', _, _) => {
                out.push(b' ');
                i += 1;
            }
            (c, _, _) => {
                out.push(c);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn deal(title: &str, account: &str, notes: &str, owner: &str, close: Option<&str>) -> Opportunity {
        Opportunity {
            title: title.into(),
            account: account.into(),
            notes: notes.into(),
            owner: owner.into(),
            source: "Web".into(),
            tags: vec!["pilot".into()],
            expected_close: close.and_then(|c| NaiveDate::parse_from_str(c, "%Y-%m-%d").ok()),
            ..Default::default()
        }
    }

    #[test]
    fn search_finds_every_word_in_any_field_chinese_and_full_width_included() {
        let today = NaiveDate::from_ymd_opt(2026, 11, 28).unwrap();
        let d = deal("ERP 二期", "杭州云帆科技有限公司", "Wants a pilot in March", "王芳", None);
        let f = |text: &str| BoardFilter { text: text.into(), ..Default::default() };
        for hit in ["erp", "二期", "云帆", "march PILOT", "ＥＲＰ", "  "] {
            assert!(f(hit).matches(&d, Signals::default(), today), "{hit}");
        }
        for miss in ["erp 三期", "北京", "april"] {
            assert!(!f(miss).matches(&d, Signals::default(), today), "{miss}");
        }
    }

    /// Filters combine (all must hold); close windows by hand against 2026-11-28.
    #[test]
    fn filters_combine_and_close_windows_follow_the_calendar() {
        let today = NaiveDate::from_ymd_opt(2026, 11, 28).unwrap();
        let at = |c: Option<&str>| deal("D", "A", "", "Ann", c);
        let w = |close: CloseWindow, c: Option<&str>| BoardFilter { close, ..Default::default() }.matches(&at(c), Signals::default(), today);
        let sig = |has_next_step: bool, stuck: bool| Signals { open: true, has_next_step, stuck, next_step_overdue: false };
        assert!(w(CloseWindow::Overdue, Some("2026-11-27")) && !w(CloseWindow::Overdue, Some("2026-11-28")));
        assert!(w(CloseWindow::ThisMonth, Some("2026-11-01")) && w(CloseWindow::ThisMonth, Some("2026-11-30")) && !w(CloseWindow::ThisMonth, Some("2026-12-01")));
        assert!(w(CloseWindow::Next30, Some("2026-11-28")) && w(CloseWindow::Next30, Some("2026-12-28")) && !w(CloseWindow::Next30, Some("2026-12-29")));
        assert!(!w(CloseWindow::Next30, None) && w(CloseWindow::NotSet, None) && !w(CloseWindow::NotSet, Some("2026-12-01")));
        let f = BoardFilter { owner: "Ann".into(), tag: "pilot".into(), no_next_step: true, ..Default::default() };
        assert!(f.matches(&at(None), sig(false, false), today));
        assert!(!f.matches(&at(None), sig(true, false), today), "has a next step");
        assert!(!BoardFilter { owner: "Bo".into(), ..f.clone() }.matches(&at(None), sig(false, false), today));
        assert!(!BoardFilter { stuck: true, ..f.clone() }.matches(&at(None), sig(false, false), today));
        assert!(BoardFilter { stuck: true, ..f.clone() }.matches(&at(None), sig(false, true), today));
    }

    /// At risk, by hand against 2026-11-28: an open deal is, when stuck, when its next step
    /// was due before now, or when its expected close (11-27) has passed; closing on the 28th
    /// with a next step due later is not; a won deal never is.
    #[test]
    fn at_risk_means_stuck_late_on_its_next_step_or_past_its_close() {
        let today = NaiveDate::from_ymd_opt(2026, 11, 28).unwrap();
        let f = BoardFilter { at_risk: true, ..Default::default() };
        let d = |c: &str| deal("D", "A", "", "Ann", Some(c));
        let open = Signals { open: true, has_next_step: true, ..Default::default() };
        assert!(!f.matches(&d("2026-11-28"), open, today));
        assert!(f.matches(&d("2026-11-27"), open, today));
        assert!(f.matches(&d("2026-12-31"), Signals { stuck: true, ..open }, today));
        assert!(f.matches(&d("2026-12-31"), Signals { next_step_overdue: true, ..open }, today));
        assert!(!f.matches(&d("2026-11-01"), Signals { open: false, stuck: true, ..open }, today));
        assert!(!f.matches(&deal("D", "A", "", "Ann", None), open, today), "no close date is not past it");
        assert_eq!(f.to_address(), "risk=1");
        assert_eq!(BoardFilter::from_address("risk=1"), f);
        assert!(f.needs_stuck() && f.narrows());
    }

    #[test]
    fn the_address_round_trips() {
        let f = BoardFilter { text: "云帆 erp".into(), owner: "王芳".into(), close: CloseWindow::Next30, stuck: true, ..Default::default() };
        let q = f.to_query();
        assert_eq!(q, vec![("q", "云帆 erp".to_string()), ("owner", "王芳".into()), ("close", "30d".into()), ("stuck", "1".into())]);
        let back = BoardFilter::from_query(|k| q.iter().find(|(x, _)| *x == k).map(|(_, v)| v.clone()));
        assert_eq!(back, f);
        let lost = BoardFilter { showing: Showing::Lost, ..Default::default() };
        assert_eq!(lost.to_address(), "show=lost");
        assert_eq!(BoardFilter::from_address("show=lost"), lost);
        assert!(!lost.narrows() && f.narrows());
        assert!(BoardFilter::from_query(|k| (k == "close").then(|| "someday".to_string())).is_empty());
        assert!(BoardFilter::default().to_query().is_empty());
        // As address text: "云帆 erp" is 云 E4 BA 91, 帆 E5 B8 86, space 20; and back.
        assert_eq!(f.to_address(), "q=%E4%BA%91%E5%B8%86%20erp&owner=%E7%8E%8B%E8%8A%B3&close=30d&stuck=1");
        assert_eq!(BoardFilter::from_address(&f.to_address()), f);
        let typed = BoardFilter::from_address("q=a+b%2&owner=A%26B");
        assert_eq!((typed.text.as_str(), typed.owner.as_str()), ("a b%2", "A&B"));
    }
}
