//! Bounded fuzzing of the importers (proptest): arbitrary bytes, and valid files with
//! random damage. The importers must answer with a value or an error, never panic, and a
//! rejected file must say where the problem is.

use chrono::{TimeZone, Utc};
use funnelscope::domain::{demo, IdGen, Lang};
use funnelscope::io::csv_import::{detect_date_order, guess_mapping, import_maven, parse_date, read_table, DateOrder};
use funnelscope::io::{export_json, import_json, ImportError};
use proptest::prelude::*;

fn sample_export() -> String {
    let now = Utc.with_ymd_and_hms(2026, 11, 1, 0, 0, 0).unwrap();
    export_json(&demo::generate(8, 1, 1, now, Lang::Zh), now)
}

const MAVEN_HEAD: &str = "opportunity_id,sales_agent,product,account,deal_stage,engage_date,close_date,close_value\n";

fn cases() -> u32 {
    std::env::var("FUZZ_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(400)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(), ..ProptestConfig::default() })]

    #[test]
    fn json_import_never_panics_on_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
        if let Ok(text) = std::str::from_utf8(&bytes) {
            let _ = import_json(text);
        }
    }

    #[test]
    fn damaged_exports_are_rejected_with_a_place_or_imported_whole(cut in 0usize..4000, flip in 0usize..4000, byte in any::<u8>()) {
        let text = sample_export();
        // Truncation: either still valid (cut at the end) or an error with a line number.
        let truncated = &text[..text.floor_char_boundary(cut.min(text.len()))];
        match import_json(truncated) {
            Ok(ws) => prop_assert_eq!(ws.deals.len(), 8),
            Err(ImportError::Syntax { line, .. }) => prop_assert!(line >= 1),
            Err(e) => prop_assert!(!e.to_string().is_empty()),
        }
        // One changed byte.
        let mut bytes = text.clone().into_bytes();
        let i = flip % bytes.len();
        bytes[i] = byte;
        if let Ok(t) = String::from_utf8(bytes) {
            if let Err(e) = import_json(&t) {
                prop_assert!(!e.to_string().is_empty());
            }
        }
    }

    #[test]
    fn csv_reading_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
        if let Ok(t) = read_table(&bytes) {
            let _ = guess_mapping(&t.headers);
            for row in &t.rows {
                prop_assert_eq!(row.len(), t.headers.len());
            }
        }
    }

    #[test]
    fn maven_rows_with_random_cells_import_or_name_line_and_column(
        rows in proptest::collection::vec(proptest::collection::vec("[A-Za-z0-9 ,.\"/-]{0,12}", 8), 1..20)
    ) {
        let mut text = MAVEN_HEAD.to_string();
        for r in &rows {
            let cells: Vec<String> = r.iter().map(|c| format!("\"{}\"", c.replace('"', "\"\""))).collect();
            text.push_str(&cells.join(","));
            text.push('\n');
        }
        let table = read_table(text.as_bytes()).unwrap();
        match import_maven(&table, &mut IdGen::new(1)) {
            Ok(ws) => prop_assert_eq!(ws.deals.len(), table.rows.len()),
            Err(errs) => {
                for e in errs {
                    prop_assert!(e.line >= 2 && e.line <= table.rows.len() + 1);
                    prop_assert!(table.headers.contains(&e.column));
                }
            }
        }
    }

    #[test]
    fn date_parsing_never_panics(s in "\\PC{0,16}") {
        let _ = parse_date(&s, DateOrder::MonthFirst);
        let _ = parse_date(&s, DateOrder::DayFirst);
        let _ = detect_date_order([s.as_str()]);
    }
}

/// The bad-input corpus of issue 5, each rejected with a specific message.
#[test]
fn bad_input_corpus() {
    let text = sample_export();
    let ws = import_json(&text).unwrap();
    let bad_amount = text.replacen("\"amount\":", "\"amount\":-", 1);
    let bad_date = text.replacen("\"created_at\":\"20", "\"created_at\":\"someday-20", 1);
    let dup_event = {
        let mut v: serde_json::Value = serde_json::from_str(&text).unwrap();
        let first = v["events"][0].clone();
        v["events"].as_array_mut().unwrap().push(first);
        v.to_string()
    };
    let unknown_stage = text.replacen(&format!("\"to\":\"{}\"", ws.events[0].to), "\"to\":\"nowhere\"", 1);
    for (name, input, expect) in [
        ("malformed", "{\"format\": ".to_string(), "not valid JSON"),
        ("not ours", "[1,2,3]".to_string(), "not a Funnelscope export"),
        ("future version", "{\"format\":\"funnelscope\",\"version\":7}".to_string(), "newer than this app"),
        ("duplicate event ids", dup_event, "two events have the id"),
        ("unknown stage", unknown_stage, "unknown stage nowhere"),
        ("invalid date", bad_date, "line"),
    ] {
        let err = import_json(&input).expect_err(name).to_string();
        assert!(err.contains(expect), "{name}: {err}");
    }
    // Amounts are held to the deal form's rules: never negative, never absurd.
    let err = import_json(&bad_amount).unwrap_err().to_string();
    assert!(err.contains("amount") && err.contains("deal"), "{err}");
    let absurd = text.replacen("\"amount\":", "\"amount\":10000000000001, \"was\": ", 1);
    assert!(import_json(&absurd).unwrap_err().to_string().contains("amount"));
}

/// Import holds files to the stage editor's rules and to consistent references (issue 8:
/// each of these was accepted before and left a workspace the app could not work with).
#[test]
fn imports_are_held_to_the_editors_rules() {
    let text = sample_export();
    let doc: serde_json::Value = serde_json::from_str(&text).unwrap();
    let edit = |f: &dyn Fn(&mut serde_json::Value)| {
        let mut v = doc.clone();
        f(&mut v);
        v.to_string()
    };
    let cases: Vec<(&str, String, &str)> = vec![
        ("probability 255%", edit(&|v| v["pipelines"][0]["stages"][0]["probability"] = 255.into()), "from 0 to 100"),
        ("no Won stage", edit(&|v| v["pipelines"][0]["stages"][4]["kind"] = "Lost".into()), "exactly one stage must be of type Won"),
        ("duplicate stage names", edit(&|v| v["pipelines"][0]["stages"][1]["name"] = v["pipelines"][0]["stages"][0]["name"].clone()), "names must be unique"),
        ("no stages", edit(&|v| v["pipelines"][0]["stages"] = serde_json::json!([])), "breaks the stage rules"),
        ("deal in no pipeline", edit(&|v| v["deals"][0]["pipeline"] = "nowhere".into()), "is not in an existing pipeline"),
        ("event into another pipeline", edit(&|v| {
            let mut other = v["pipelines"][0].clone();
            other["id"] = "p2".into();
            for (i, s) in other["stages"].as_array_mut().unwrap().iter_mut().enumerate() {
                s["id"] = format!("p2-s{i}").into();
            }
            v["pipelines"].as_array_mut().unwrap().push(other);
            v["events"][1]["to"] = "p2-s2".into();
        }), "of another pipeline"),
        ("event in year 262142", edit(&|v| v["events"][0]["at"] = "+262142-12-31T23:59:59.999Z".into()), "1970"),
        ("deal created in 1900", edit(&|v| v["deals"][0]["created_at"] = "1900-01-01T00:00:00Z".into()), "outside 1970–2199"),
    ];
    for (name, input, expect) in cases {
        let err = import_json(&input).expect_err(name).to_string();
        assert!(err.to_lowercase().contains(&expect.to_lowercase()), "{name}: {err}");
    }
    // And what the app exports, it imports.
    assert!(import_json(&text).is_ok());
}
