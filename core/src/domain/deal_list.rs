//! The list view's rows: the board's selection (same search, filters and open/won/lost
//! choice) as a table that sorts by any column.

use super::board_filter::{BoardFilter, Signals};
use super::ids::Id;
use super::workspace::Workspace;
use chrono::{DateTime, NaiveDate, Utc};
use std::collections::HashMap;

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Row {
    pub id: Id,
    pub title: String,
    pub account: String,
    pub stage: String,
    /// The stage's place in the pipeline, so "Stage" sorts in pipeline order.
    pub stage_pos: usize,
    pub amount: Option<i64>,
    pub currency: String,
    pub owner: String,
    pub expected_close: Option<NaiveDate>,
    /// When the deal entered its current stage.
    pub since: DateTime<Utc>,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum SortKey {
    Title,
    Account,
    #[default]
    Stage,
    Amount,
    Owner,
    Close,
    /// Days in the current stage.
    Age,
}

impl SortKey {
    pub const ALL: [SortKey; 7] = [SortKey::Title, SortKey::Account, SortKey::Stage, SortKey::Amount, SortKey::Owner, SortKey::Close, SortKey::Age];
}

/// The deals of `pipeline` the filter lets through, in its open/won/lost choice, with each
/// deal's signals (next step, stuck; `Signals::of`).
pub fn rows(ws: &Workspace, pipeline: &Id, f: &BoardFilter, signals: &HashMap<Id, Signals>, today: NaiveDate) -> Vec<Row> {
    let Some(p) = ws.pipeline(pipeline) else { return Vec::new() };
    let last = ws.last_events();
    ws.live_deals()
        .filter(|d| &d.pipeline == pipeline)
        .filter_map(|d| {
            let pos = p.position(&d.stage)?;
            let stage = &p.stages[pos];
            if !f.showing.shows(stage.kind) || !f.matches(d, signals.get(&d.id).copied().unwrap_or_default(), today) {
                return None;
            }
            Some(Row {
                id: d.id.clone(),
                title: d.title.clone(),
                account: d.account.clone(),
                stage: stage.name.clone(),
                stage_pos: pos,
                amount: d.amount,
                currency: d.currency.clone(),
                owner: d.owner.clone(),
                expected_close: d.expected_close,
                since: last.get(&d.id).map_or(d.created_at, |e| e.at),
            })
        })
        .collect()
}

/// Sorts by `key` (`desc`: largest, latest or longest first). Ties keep a fixed order (title,
/// then id) so pages do not shuffle. Blank values (no amount, no date, no owner) go last
/// either way. Amounts compare within a currency: "USD 5" and "CNY 5" sort by currency code.
pub fn sort(rows: &mut [Row], key: SortKey, desc: bool) {
    use std::cmp::Ordering;
    let flip = |o: Ordering| if desc { o.reverse() } else { o };
    // Blanks last whatever the direction.
    fn blank_last<T: Ord>(a: Option<T>, b: Option<T>, flip: impl Fn(Ordering) -> Ordering) -> Ordering {
        match (a, b) {
            (Some(x), Some(y)) => flip(x.cmp(&y)),
            (Some(_), None) => Ordering::Less,
            (None, Some(_)) => Ordering::Greater,
            (None, None) => Ordering::Equal,
        }
    }
    let text = |s: &str| (!s.trim().is_empty()).then(|| super::board_filter::fold(s));
    rows.sort_by(|a, b| {
        let primary = match key {
            SortKey::Title => flip(super::board_filter::fold(&a.title).cmp(&super::board_filter::fold(&b.title))),
            SortKey::Account => blank_last(text(&a.account), text(&b.account), flip),
            SortKey::Owner => blank_last(text(&a.owner), text(&b.owner), flip),
            SortKey::Stage => flip(a.stage_pos.cmp(&b.stage_pos)),
            SortKey::Amount => blank_last(a.amount.map(|x| (a.currency.clone(), x)), b.amount.map(|x| (b.currency.clone(), x)), flip),
            SortKey::Close => blank_last(a.expected_close, b.expected_close, flip),
            // Longest in stage = entered earliest.
            SortKey::Age => flip(b.since.cmp(&a.since)),
        };
        primary.then_with(|| a.title.cmp(&b.title)).then_with(|| a.id.cmp(&b.id))
    });
}

/// Page `page` (0-based) of `per` rows, and how many pages there are (at least 1).
pub fn page<T>(rows: &[T], page: usize, per: usize) -> (&[T], usize) {
    let per = per.max(1);
    let pages = rows.len().div_ceil(per).max(1);
    let page = page.min(pages - 1);
    let start = page * per;
    (&rows[start.min(rows.len())..(start + per).min(rows.len())], pages)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn row(title: &str, amount: Option<i64>, currency: &str, owner: &str, pos: usize, day: u32, close: Option<u32>) -> Row {
        Row {
            id: Id::from(title),
            title: title.into(),
            account: String::new(),
            stage: format!("S{pos}"),
            stage_pos: pos,
            amount,
            currency: currency.into(),
            owner: owner.into(),
            expected_close: close.and_then(|d| NaiveDate::from_ymd_opt(2026, 12, d)),
            since: Utc.with_ymd_and_hms(2026, 11, day, 0, 0, 0).unwrap(),
        }
    }

    fn titles(r: &[Row]) -> Vec<&str> {
        r.iter().map(|r| r.title.as_str()).collect()
    }

    #[test]
    fn sorts_by_each_column_with_blanks_last() {
        let base = vec![
            row("b", Some(500), "CNY", "王芳", 2, 10, Some(5)),
            row("A", None, "CNY", "", 0, 1, None),
            row("c", Some(90_000), "CNY", "Ann", 1, 20, Some(1)),
            row("d", Some(100), "USD", "Bo", 1, 5, None),
        ];
        let by = |k, desc| {
            let mut r = base.clone();
            sort(&mut r, k, desc);
            titles(&r).join("")
        };
        assert_eq!(by(SortKey::Title, false), "Abcd");
        assert_eq!(by(SortKey::Title, true), "dcbA");
        // CNY 500 < CNY 90,000 < USD 100; no amount last both ways.
        assert_eq!(by(SortKey::Amount, false), "bcdA");
        assert_eq!(by(SortKey::Amount, true), "dcbA");
        // Stage order, ties by title.
        assert_eq!(by(SortKey::Stage, false), "Acdb");
        assert_eq!(by(SortKey::Owner, false), "cdbA");
        assert_eq!(by(SortKey::Close, false), "cbAd");
        // Days in stage, fewest first: entered 20 Nov (c), 10 Nov (b), 5 Nov (d), 1 Nov (A).
        assert_eq!(by(SortKey::Age, false), "cbdA");
        assert_eq!(by(SortKey::Age, true), "Adbc");
    }

    #[test]
    fn pages_are_clamped() {
        let v: Vec<u32> = (0..120).collect();
        assert_eq!(page(&v, 0, 50).0.len(), 50);
        let (last, pages) = page(&v, 2, 50);
        assert_eq!((last.len(), pages, last[0]), (20, 3, 100));
        assert_eq!(page(&v, 9, 50).0[0], 100);
        let empty: Vec<u32> = Vec::new();
        assert_eq!(page(&empty, 0, 50), (&[][..], 1));
    }
}
