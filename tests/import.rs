//! The real Maven sales-pipeline CSV (../shared/datasets) imports as-is and the analytics'
//! counts match the file.

use chrono::{TimeZone, Utc};
use funnelscope::analytics::{report, Query};
use funnelscope::domain::IdGen;
use funnelscope::io::csv_import::{import_maven, is_maven, read_table};

const MAVEN: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/datasets/maven-sales-pipeline.csv");

#[test]
fn maven_csv_imports_and_counts_match_the_file() {
    let bytes = std::fs::read(MAVEN).expect("the shared dataset is beside the project");
    let table = read_table(&bytes).unwrap();
    assert_eq!(table.rows.len(), 8800);
    assert!(is_maven(&table.headers));
    // Counted independently from the raw text: the deal_stage column of every row.
    let text = String::from_utf8(bytes).unwrap();
    let mut expected = std::collections::BTreeMap::new();
    for line in text.lines().skip(1).filter(|l| !l.trim().is_empty()) {
        *expected.entry(line.split(',').nth(4).unwrap().to_string()).or_insert(0usize) += 1;
    }
    let ws = import_maven(&table, &mut IdGen::new(1)).unwrap();
    assert_eq!(ws.deals.len(), 8800);
    let q = Query::new(Utc.with_ymd_and_hms(2018, 1, 1, 0, 0, 0).unwrap());
    let r = report(&ws, &ws.pipelines[0], &q);
    assert_eq!(r.deals, 8800);
    for s in &r.stages {
        assert_eq!(Some(&s.snapshot.deals), expected.get(&s.name), "{}", s.name);
    }
    assert_eq!(expected["Won"], 4238);
    // Won money: the sum of close_value over Won rows.
    let won_value: i64 = text
        .lines()
        .skip(1)
        .filter(|l| l.split(',').nth(4) == Some("Won"))
        .map(|l| l.split(',').nth(7).unwrap().parse::<i64>().unwrap() * 100)
        .sum();
    assert_eq!(r.stages.iter().find(|s| s.name == "Won").unwrap().snapshot.amount, won_value);
    // Every Engaging/Won/Lost deal reached Engaging.
    let engaging = r.stages.iter().find(|s| s.name == "Engaging").unwrap();
    assert_eq!(engaging.funnel.as_ref().unwrap().reached, 8800 - 500);
}

/// The app always imports what it exported (issue 8: 50,000 deals exported as 83 MB of
/// pretty JSON, over the 50 MB import limit). Measured on 20,000 demo deals and scaled.
#[test]
fn the_compact_export_of_a_large_workspace_stays_far_below_the_import_limit() {
    let now = Utc.with_ymd_and_hms(2026, 11, 27, 0, 0, 0).unwrap();
    let ws = funnelscope::domain::demo::generate(20_000, 1, 1, now, funnelscope::domain::Lang::En);
    let text = funnelscope::io::export_json(&ws, now);
    let per_deal = text.len() as f64 / 20_000.0;
    println!("export: {} bytes for 20,000 deals and {} events ({per_deal:.0} bytes a deal)", text.len(), ws.events.len());
    assert!(per_deal * 200_000.0 < funnelscope::io::MAX_IMPORT_BYTES, "200,000 deals would not import again");
    let back = funnelscope::io::import_json(&text).unwrap();
    assert_eq!(back, ws);
}
