//! `funnel`: the same analytics as the app, on the command line.
//!
//!   funnel report <export.json> [--pipeline NAME] [--as-of YYYY-MM-DD] [--period A..B]
//!                 [--compare A..B] [--owner X] [--source X] [--tag X] [--strict]
//!                 [--horizon DAYS] [--format table|json]
//!   funnel generate --deals N [--busy] [--seed S] [--as-of YYYY-MM-DD|RFC 3339 time] [--currencies USD,EUR,JPY] [--out FILE]
//!   funnel bench <export.json> [--runs N] [--as-of YYYY-MM-DD]
//!   funnel tables <export.json> <dir>   (plain CSV tables, for the DuckDB cross-check)
//!   funnel forecast <export.json> [--as-of YYYY-MM-DD] [--until YYYY-MM-DD | --days N]
//!                 [--trials N] [--seed S] [--backtest MONTHS] [--format table|json]
//!
//! Periods are half-open, A inclusive and B exclusive (ISO dates). See docs/analytics.md
//! for every figure's definition and the JSON fields.

use chrono::{DateTime, NaiveDate, Utc};
use funnelscope::analytics::{report, Period, Query, ReachMode, Report};
use funnelscope::domain::{demo, money, Lang, StageKind, Workspace};
use funnelscope::io::{export_json, import_json};
use std::process::ExitCode;
use std::time::Instant;

struct Args {
    positional: Vec<String>,
    flags: Vec<(String, Option<String>)>,
}

impl Args {
    fn parse(raw: impl Iterator<Item = String>) -> Args {
        let mut positional = Vec::new();
        let mut flags = Vec::new();
        let raw: Vec<String> = raw.collect();
        let mut i = 0;
        while i < raw.len() {
            let a = &raw[i];
            if let Some(name) = a.strip_prefix("--") {
                let takes_value = !matches!(name, "strict" | "busy");
                let value = if takes_value && i + 1 < raw.len() {
                    i += 1;
                    Some(raw[i].clone())
                } else {
                    None
                };
                flags.push((name.to_string(), value));
            } else {
                positional.push(a.clone());
            }
            i += 1;
        }
        Args { positional, flags }
    }
    fn get(&self, name: &str) -> Option<&str> {
        self.flags.iter().find(|f| f.0 == name).and_then(|f| f.1.as_deref())
    }
    fn has(&self, name: &str) -> bool {
        self.flags.iter().any(|f| f.0 == name)
    }
}

fn date(s: &str) -> Result<DateTime<Utc>, String> {
    NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .map(|d| d.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc())
        .map_err(|_| format!("not a date (YYYY-MM-DD): {s}"))
}

fn period(s: &str) -> Result<Period, String> {
    let (a, b) = s.split_once("..").ok_or_else(|| format!("a period is START..END, got {s}"))?;
    let p = Period { start: date(a)?, end: date(b)? };
    if p.end <= p.start {
        return Err(format!("period {s} ends before it starts"));
    }
    Ok(p)
}

/// The segments `open-bench` reads both ways: deals, stage changes and forecast calls,
/// almost all the bytes the board reads.
fn is_direct(key: &str) -> bool {
    use funnelscope::io::segments::{kind_of_key, Kind};
    matches!(kind_of_key(key), Some(Kind::Deals | Kind::Events | Kind::Calls))
}

/// A JSON export, or a CSV through the same importer the app uses.
fn load(path: &str) -> Result<Workspace, String> {
    if path.to_lowercase().ends_with(".csv") {
        use funnelscope::io::csv_import::{import_maven, is_maven, read_table};
        let bytes = std::fs::read(path).map_err(|e| format!("{path}: {e}"))?;
        let table = read_table(&bytes).map_err(|e| format!("{path}: {e}"))?;
        if !is_maven(&table.headers) {
            return Err(format!("{path}: only the Maven sales-pipeline CSV layout is read from the command line so far"));
        }
        return import_maven(&table, &mut funnelscope::domain::IdGen::new(1)).map_err(|errs| {
            let shown: Vec<String> = errs.iter().take(10).map(|e| e.to_string()).collect();
            format!("{path}: {} rows cannot be imported:\n  {}", errs.len(), shown.join("\n  "))
        });
    }
    let text = std::fs::read_to_string(path).map_err(|e| format!("{path}: {e}"))?;
    import_json(&text).map_err(|e| format!("{path}: {e}"))
}

fn query(args: &Args) -> Result<Query, String> {
    let as_of = match args.get("as-of") {
        Some(d) => date(d)?,
        None => Utc::now(),
    };
    let mut q = Query::new(as_of);
    q.period = args.get("period").map(period).transpose()?;
    q.mode = if args.has("strict") { ReachMode::Strict } else { ReachMode::Reached };
    q.filter.owner = args.get("owner").map(str::to_string);
    q.filter.source = args.get("source").map(str::to_string);
    q.filter.tag = args.get("tag").map(str::to_string);
    if let Some(h) = args.get("horizon") {
        let days: u32 = h.parse().map_err(|_| format!("--horizon takes whole days, got {h}"))?;
        q.horizons.push(days);
    }
    Ok(q)
}

fn pct(v: Option<f64>) -> String {
    v.map(|x| format!("{:.1}%", x * 100.0)).unwrap_or_else(|| "—".into())
}

fn days(v: Option<f64>) -> String {
    v.map(|x| format!("{x:.1}")).unwrap_or_else(|| "—".into())
}

fn print_table(r: &Report) {
    let cur = &r.currency;
    println!("as of {}  ·  {} deals  ·  mode {:?}  ·  money in {cur}", r.as_of.format("%Y-%m-%d"), r.deals, r.mode);
    if let Some(p) = r.period {
        println!("period {} .. {}", p.start.format("%Y-%m-%d"), p.end.format("%Y-%m-%d"));
    }
    // Which rates the money figures used, and what they left out.
    if let Some(c) = &r.conversion {
        let spans: Vec<String> = c.by_currency().iter().map(|(cur, n, a, b)| format!("{cur} {n} rates {a}..{b}")).collect();
        println!("converted {} deals into {cur} (won/lost at their close day's rate, open at as-of's): {}", c.converted, spans.join(", "));
    }
    if r.other_currency_deals > 0 {
        println!("left out of money figures: {} deals (another currency, or no rate in effect on their day)", r.other_currency_deals);
    }
    println!(
        "{:<18} {:>6} {:>12} {:>7} {:>7} {:>8} {:>8} {:>8} {:>8} {:>6} {:>6} {:>6} {:>5} {:>6} {:>8}",
        "stage", "now", "amount", "reached", "drop", "→next", "→next·c", "→won", "→won·c", "p50", "p75", "p90", "stuck", "cohort", "win≤30d"
    );
    for s in &r.stages {
        let (reached, drop) = s.funnel.as_ref().map_or(("—".into(), "—".into()), |f| (f.reached.to_string(), pct(f.drop_off)));
        let c = s.conversion.clone().unwrap_or_default();
        let win30 = s.win_within.as_ref().and_then(|w| w.horizons.first()).map_or("—".into(), |h| format!("{:.1}%", h.won * 100.0));
        let small = if s.conversion.is_some() && c.cohort < funnelscope::analytics::SMALL_SAMPLE { "*" } else { "" };
        println!(
            "{:<18} {:>6} {:>12} {:>7} {:>7} {:>8} {:>8} {:>8} {:>8} {:>6} {:>6} {:>6} {:>5} {:>6} {:>8}",
            s.name,
            s.snapshot.deals,
            money::format_compact(s.snapshot.amount, cur),
            reached,
            drop,
            pct(c.next_to_date),
            pct(c.next_closed),
            pct(c.won_to_date),
            pct(c.won_closed),
            days(s.dwell.p50),
            days(s.dwell.p75),
            days(s.dwell.p90),
            if s.kind == StageKind::Open { s.dwell.stuck.len().to_string() } else { "—".into() },
            if s.conversion.is_some() { format!("{}{small}", c.cohort) } else { "—".into() },
            win30,
        );
    }
    println!(
        "(→won = won so far ÷ entered, low while deals are open; ·c = closed deals only, high when losses come late;\n win≤30d = estimate with open deals undecided; dwell — = not known yet or not measured; * = fewer than {} deals)",
        funnelscope::analytics::SMALL_SAMPLE
    );
    if let Some(b) = &r.bottlenecks.drop_off {
        println!(
            "biggest drop-off: {} keeps {:.1}% of closed deals vs {:.1}% across the pipeline (n={})",
            b.stage,
            b.rate * 100.0,
            b.pipeline_rate * 100.0,
            b.n
        );
    }
    if let Some(b) = &r.bottlenecks.dwell {
        println!("slowest stage: {} median {:.1} days vs {:.1} pipeline-wide (n={})", b.stage, b.median_days, b.pipeline_median_days, b.n);
    }
    let v = &r.velocity;
    println!(
        "velocity: {} open × {} win rate × {} avg won ÷ {} days = {} per day",
        v.open_deals,
        pct(v.win_rate),
        v.avg_won_amount.map_or("—".into(), |a| money::format_amount(a.round() as i64, cur)),
        days(v.avg_cycle_days),
        v.per_day.map_or("—".into(), |a| money::format_amount(a.round() as i64, cur)),
    );
}

fn print_comparison(a: &Report, b: &Report) {
    println!("{:<18} {:>10} {:>10} {:>8}   {:>10} {:>10} {:>8}", "stage", "→won·c A", "→won·c B", "Δ pts", "p50 A", "p50 B", "Δ days");
    for (x, y) in a.stages.iter().zip(&b.stages) {
        let wa = x.conversion.as_ref().and_then(|c| c.won_closed);
        let wb = y.conversion.as_ref().and_then(|c| c.won_closed);
        let dw = match (wa, wb) {
            (Some(p), Some(q)) => format!("{:+.1}", (q - p) * 100.0),
            _ => "—".into(),
        };
        let dd = match (x.dwell.p50, y.dwell.p50) {
            (Some(p), Some(q)) => format!("{:+.1}", q - p),
            _ => "—".into(),
        };
        println!("{:<18} {:>10} {:>10} {:>8}   {:>10} {:>10} {:>8}", x.name, pct(wa), pct(wb), dw, days(x.dwell.p50), days(y.dwell.p50), dd);
    }
}

fn pick_pipeline<'a>(ws: &'a Workspace, name: Option<&str>) -> Result<&'a funnelscope::domain::Pipeline, String> {
    match name {
        Some(n) => ws.pipelines.iter().find(|p| p.name == n || p.id.as_str() == n).ok_or_else(|| format!("no pipeline named {n}")),
        None => ws.pipelines.first().ok_or_else(|| "the file has no pipeline".to_string()),
    }
}

/// One pipeline as three CSV tables. Names and titles are left out: the cross-check needs
/// ids, times and amounts only.
fn write_tables(ws: &Workspace, p: &funnelscope::domain::Pipeline, dir: &str) -> std::io::Result<()> {
    use std::fmt::Write as _;
    std::fs::create_dir_all(dir)?;
    let quote = |s: &str| format!("\"{}\"", s.replace('"', "\"\""));
    let mut out = String::from("id,pos,kind,archived,name\n");
    for (i, s) in p.stages.iter().enumerate() {
        let kind = match s.kind {
            StageKind::Open => "open",
            StageKind::Won => "won",
            StageKind::Lost => "lost",
        };
        let _ = writeln!(out, "{},{i},{kind},{},{}", s.id, s.archived, quote(&s.name));
    }
    std::fs::write(format!("{dir}/stages.csv"), &out)?;
    out = String::from("id,amount,currency,created,lost_reason,owner,source,deleted\n");
    for d in ws.deals.iter().filter(|d| d.pipeline == p.id) {
        let _ = writeln!(
            out,
            "{},{},{},{},{},{},{},{}",
            d.id,
            d.amount.map(|a| a.to_string()).unwrap_or_default(),
            d.currency,
            d.created_at.timestamp(),
            quote(d.lost_reason.trim()),
            quote(&d.owner),
            quote(&d.source),
            u8::from(d.deleted_at.is_some())
        );
    }
    std::fs::write(format!("{dir}/deals.csv"), &out)?;
    out = String::from("deal,stage,t,seq\n");
    for (i, e) in ws.events.iter().enumerate() {
        let _ = writeln!(out, "{},{},{},{i}", e.opportunity, e.to, e.at.timestamp());
    }
    std::fs::write(format!("{dir}/events.csv"), &out)?;
    // Activities as touches: the time each counts (empty for an open task). Owners are
    // quoted: names may hold commas.
    let q = |s: &str| format!("\"{}\"", s.replace('"', "\"\""));
    out = String::from("id,deal,lead,kind,owner,t\n");
    for a in &ws.activities {
        let t = funnelscope::analytics::activity::touch_time(a).map(|t| t.timestamp().to_string()).unwrap_or_default();
        let lead = a.lead.as_ref().map(|l| l.to_string()).unwrap_or_default();
        let _ = writeln!(out, "{},{},{lead},{},{},{t}", a.id, a.deal, a.kind.code(), q(&a.owner));
    }
    std::fs::write(format!("{dir}/activities.csv"), &out)?;
    out = String::from("id,created,status,status_at,deal,source,owner,reason\n");
    for l in &ws.leads {
        let status = match l.status {
            funnelscope::domain::LeadStatus::Open => "open",
            funnelscope::domain::LeadStatus::Qualified => "qualified",
            funnelscope::domain::LeadStatus::Disqualified => "disqualified",
        };
        let _ = writeln!(
            out,
            "{},{},{status},{},{},{},{},{}",
            l.id,
            l.created_at.timestamp(),
            l.status_at.map(|t| t.timestamp().to_string()).unwrap_or_default(),
            l.deal.as_ref().map(|d| d.to_string()).unwrap_or_default(),
            q(&l.source),
            q(&l.owner),
            q(&l.disqualify_reason)
        );
    }
    std::fs::write(format!("{dir}/leads.csv"), &out)
}

fn run(args: Args) -> Result<(), String> {
    let cmd = args.positional.first().map(String::as_str).unwrap_or("");
    match cmd {
        "report" => {
            let path = args.positional.get(1).ok_or("usage: funnel report <export.json> [options]")?;
            let ws = load(path)?;
            let p = pick_pipeline(&ws, args.get("pipeline"))?;
            let q = query(&args)?;
            let r = report(&ws, p, &q);
            let compare = match args.get("compare") {
                Some(c) => Some(report(&ws, p, &Query { period: Some(period(c)?), ..q.clone() })),
                None => None,
            };
            if args.get("format") == Some("json") {
                let out = match &compare {
                    Some(b) => serde_json::json!({ "report": r, "compare": b }),
                    None => serde_json::json!(r),
                };
                println!("{}", serde_json::to_string_pretty(&out).map_err(|e| e.to_string())?);
            } else {
                print_table(&r);
                if let Some(b) = &compare {
                    println!();
                    print_comparison(&r, b);
                }
            }
            Ok(())
        }
        "generate" => {
            let n: usize = args.get("deals").unwrap_or("1000").parse().map_err(|_| "--deals takes a number")?;
            let seed: u64 = args.get("seed").unwrap_or("1").parse().map_err(|_| "--seed takes a number")?;
            // A date, or a time as the app stamps one (with a fraction of a second, as every
            // record made in the app has; the browser's perf tests open such a workspace).
            let as_of = args.get("as-of").map(|s| if s.contains('T') { funnelscope::domain::time::parse(s).map_err(|e| format!("--as-of: {e}: {s}")) } else { date(s) }).transpose()?.unwrap_or_else(Utc::now);
            let chain = if args.has("busy") { demo::BUSY_CHAIN } else { demo::DEMO_CHAIN };
            let mut ws = demo::generate_chain(&chain, n, seed, seed, as_of, Lang::En);
            // Several currencies with a reporting currency (the first) and monthly rates.
            if let Some(codes) = args.get("currencies") {
                let codes: Vec<String> = codes.split(',').map(|c| c.trim().to_uppercase()).collect();
                if let Some(bad) = codes.iter().find(|c| !money::CURRENCIES.contains(&c.as_str())) {
                    return Err(format!("--currencies: unknown currency {bad:?} (known: {})", money::CURRENCIES.join(", ")));
                }
                demo::mix_currencies(&mut ws, &codes.iter().map(String::as_str).collect::<Vec<_>>(), seed);
            }
            let text = export_json(&ws, as_of);
            match args.get("out") {
                Some(path) => std::fs::write(path, text).map_err(|e| format!("{path}: {e}"))?,
                None => println!("{text}"),
            }
            eprintln!("generated {} deals, {} events", ws.deals.len(), ws.events.len());
            Ok(())
        }
        "bench" => {
            let path = args.positional.get(1).ok_or("usage: funnel bench <export.json>")?;
            let runs: usize = args.get("runs").unwrap_or("5").parse().map_err(|_| "--runs takes a number")?;
            let t = Instant::now();
            let ws = load(path)?;
            eprintln!("load+parse: {:.0} ms", t.elapsed().as_secs_f64() * 1000.0);
            let p = pick_pipeline(&ws, None)?;
            let q = query(&args)?;
            // The figures: the full computation from the workspace (index + report), each
            // record's deal found by its id, and the same with each record's deal where
            // opening found it (`Places`: the app's path; finding them is part of checking
            // the records on opening, timed apart here); the report alone on an index the
            // app keeps current as events arrive.
            let t = Instant::now();
            let places = funnelscope::domain::Places::find(&ws);
            let places_ms = t.elapsed().as_secs_f64() * 1000.0;
            let (mut full, mut placed, mut on_index) = (Vec::new(), Vec::new(), Vec::new());
            // The index's build by phase: deals (copied, labels interned), events and calls
            // (each one's deal and stage found), the per-deal lists; the events and calls
            // again with places (there the lists are laid out first, from the places, and
            // each record put in its list as it is read).
            let mut phases: [Vec<f64>; 4] = Default::default();
            // And what the board works out on opening (each stage's rotting limit and stuck
            // deals: `dwell_now`), against the full report it used to compute for it.
            let mut dwell_only = Vec::new();
            for run in 0..runs {
                // Alternating which goes first, so neither always meets a warm cache.
                for with_places in [run % 2 == 0, run % 2 != 0] {
                    // The copy of the places is not the app's (it hands them over): made
                    // before the clock starts; the builder's setup (its check that they fit
                    // included) is timed for both.
                    let given = places.clone().filter(|_| with_places);
                    let t = Instant::now();
                    let mut b = match given {
                        Some(at) => funnelscope::analytics::flow::FlowBuilder::with_places(&ws, p, at),
                        None => funnelscope::analytics::flow::FlowBuilder::new(&ws, p),
                    };
                    b.step(&ws, ws.deals.len().saturating_mul(5));
                    let deals_ms = t.elapsed().as_secs_f64() * 1000.0;
                    let t_records = Instant::now();
                    while !b.step(&ws, usize::MAX) {}
                    let records_ms = t_records.elapsed().as_secs_f64() * 1000.0;
                    let t_lists = Instant::now();
                    let flow = b.finish();
                    let lists_ms = t_lists.elapsed().as_secs_f64() * 1000.0;
                    let t_index = Instant::now();
                    let r = funnelscope::analytics::report_on(&flow, &q);
                    let all_ms = t.elapsed().as_secs_f64() * 1000.0;
                    std::hint::black_box(r);
                    if with_places {
                        placed.push(all_ms);
                        phases[3].push(records_ms);
                    } else {
                        full.push(all_ms);
                        on_index.push(t_index.elapsed().as_secs_f64() * 1000.0);
                        phases[0].push(deals_ms);
                        phases[1].push(records_ms);
                        phases[2].push(lists_ms);
                    }
                }
            }
            let flow = funnelscope::analytics::Flow::build(&ws, p);
            for _ in 0..runs {
                let t = Instant::now();
                std::hint::black_box(funnelscope::analytics::dwell_now(&flow, q.as_of));
                dwell_only.push(t.elapsed().as_secs_f64() * 1000.0);
            }
            let median = |v: &mut Vec<f64>| {
                v.sort_by(f64::total_cmp);
                v.get(v.len() / 2).copied().unwrap_or(f64::NAN)
            };
            println!(
                "{{\"deals\": {}, \"events\": {}, \"runs\": {runs}, \"median_ms\": {:.1}, \"median_placed_ms\": {:.1}, \"places_find_ms\": {places_ms:.1}, \"report_on_index_ms\": {:.1}, \"index_deals_ms\": {:.1}, \"index_records_ms\": {:.1}, \"index_records_placed_ms\": {:.1}, \"index_lists_ms\": {:.1}, \"dwell_now_ms\": {:.1}}}",
                ws.deals.len(),
                ws.events.len(),
                median(&mut full),
                median(&mut placed),
                median(&mut on_index),
                median(&mut phases[0]),
                median(&mut phases[1]),
                median(&mut phases[3]),
                median(&mut phases[2]),
                median(&mut dwell_only)
            );
            Ok(())
        }
        "open-bench" => {
            // What opening the app does once the browser has handed over the stored text:
            // the workspace cut into segments (as an import stores it), then read back,
            // assembled and made the in-memory model with its index, phase by phase.
            let path = args.positional.get(1).ok_or("usage: funnel open-bench <export.json>")?;
            let runs: usize = args.get("runs").unwrap_or("3").parse().map_err(|_| "--runs takes a number")?;
            let ws = load(path)?;
            let ms = |t: Instant| t.elapsed().as_secs_f64() * 1000.0;
            let t = Instant::now();
            let cut = funnelscope::io::segments::Cutter::all(&ws);
            let cut_ms = ms(t);
            let bytes: usize = cut.iter().map(|(_, j)| j.len()).sum();
            let mut phases: Vec<[f64; 4]> = Vec::new();
            for _ in 0..runs {
                // As the app opens: the board's kinds decoded, put together and made the
                // model; then the rest (activities, leads) read against it and added.
                let t = Instant::now();
                let mut read = Workspace::default();
                let mut bad = Vec::new();
                let mut rest = funnelscope::io::segments::Rest::default();
                for (k, j) in &cut {
                    match funnelscope::io::segments::is_later(k) {
                        true => rest.segments.push((k.clone(), j.clone())),
                        false => {
                            if !funnelscope::io::segments::read_now(k, j, &mut read, &mut bad) {
                                funnelscope::io::segments::read(k, j, &mut read, &mut bad)
                            }
                        }
                    }
                }
                let decode = ms(t);
                let t = Instant::now();
                let settings = Workspace { settings: ws.settings.clone(), ..Workspace::default() };
                let (read, places) = funnelscope::io::segments::finish(read, settings, &[], &mut bad);
                let assemble = ms(t);
                let t = Instant::now();
                let mut model = funnelscope::analytics::Model::default();
                let mut b = funnelscope::analytics::model::ModelBuilder::new(read, places, None);
                while !b.step(usize::MAX) {}
                b.finish(&mut model);
                let model_ms = ms(t);
                let t = Instant::now();
                let mut reader = funnelscope::io::segments::RestReader::new(rest);
                while !reader.step(model.workspace(), usize::MAX) {}
                let (activities, leads, at, rest_bad) = reader.finish();
                model.complete(activities, leads, at);
                let rest_ms = ms(t);
                std::hint::black_box((&model, &bad, &rest_bad));
                phases.push([decode, assemble, model_ms, rest_ms]);
            }
            let median = |i: usize| {
                let mut v: Vec<f64> = phases.iter().map(|p| p[i]).collect();
                v.sort_by(f64::total_cmp);
                v[v.len() / 2]
            };
            // The kinds read field by field (`io::direct`) against serde's visitors over the
            // same segments, alternating, one run each per round.
            let (mut direct_ms, mut serde_ms) = (Vec::new(), Vec::new());
            for _ in 0..runs {
                let t = Instant::now();
                let mut read = Workspace::default();
                let mut bad = Vec::new();
                for (k, j) in cut.iter().filter(|(k, _)| is_direct(k)) {
                    funnelscope::io::segments::read_now(k, j, &mut read, &mut bad);
                }
                std::hint::black_box(&read);
                direct_ms.push(ms(t));
                drop(read);
                let t = Instant::now();
                let mut read = Workspace::default();
                for (k, j) in cut.iter().filter(|(k, _)| is_direct(k)) {
                    funnelscope::io::segments::read_by_serde(k, j, &mut read);
                }
                std::hint::black_box(&read);
                serde_ms.push(ms(t));
            }
            direct_ms.sort_by(f64::total_cmp);
            serde_ms.sort_by(f64::total_cmp);
            let mid = |v: &[f64]| v.get(v.len() / 2).copied().unwrap_or(f64::NAN);
            println!(
                "{{\"deals\": {}, \"segments\": {}, \"bytes\": {bytes}, \"cut_ms\": {cut_ms:.1}, \"decode_ms\": {:.1}, \"assemble_ms\": {:.1}, \"model_ms\": {:.1}, \"rest_ms\": {:.1}, \"deals_events_calls_direct_ms\": {:.1}, \"deals_events_calls_serde_ms\": {:.1}}}",
                ws.deals.len(),
                cut.len(),
                median(0),
                median(1),
                median(2),
                median(3),
                mid(&direct_ms),
                mid(&serde_ms)
            );
            Ok(())
        }
        "forecast" => {
            let path = args.positional.get(1).ok_or("usage: funnel forecast <export.json> [options]")?;
            let ws = load(path)?;
            let p = pick_pipeline(&ws, args.get("pipeline"))?;
            let q = query(&args)?;
            let as_of = q.as_of.timestamp();
            let until = match (args.get("until"), args.get("days")) {
                (Some(d), _) => date(d)?.timestamp(),
                (None, Some(n)) => as_of + n.parse::<i64>().map_err(|_| "--days takes a number")? * 86_400,
                (None, None) => as_of + 30 * 86_400,
            };
            if until <= as_of {
                return Err("the forecast period must end after --as-of".into());
            }
            let trials: usize = args.get("trials").unwrap_or("10000").parse().map_err(|_| "--trials takes a number")?;
            let seed: u64 = args.get("seed").unwrap_or("1").parse().map_err(|_| "--seed takes a number")?;
            let flow = funnelscope::analytics::Flow::build(&ws, p);
            let fq = funnelscope::forecast::ForecastQuery { as_of, until, trials, seed, filter: q.filter.clone(), what_if: Default::default() };
            let t = Instant::now();
            let f = funnelscope::forecast::forecast(&flow, &fq);
            let ms = t.elapsed().as_secs_f64() * 1000.0;
            let months: u32 = args.get("backtest").unwrap_or("6").parse().map_err(|_| "--backtest takes a number of months")?;
            let bt = funnelscope::forecast::backtest::backtest(&flow, as_of, months, &q.filter);
            let ranked = funnelscope::forecast::rank_improvements(&flow, &fq);
            if args.get("format") == Some("json") {
                let out = serde_json::json!({ "forecast": f, "backtest": bt, "one_point_improvement": ranked.iter().map(|(s, v)| serde_json::json!({"stage": flow.stages[*s].name, "revenue": v})).collect::<Vec<_>>() });
                println!("{}", serde_json::to_string_pretty(&out).map_err(|e| e.to_string())?);
            } else {
                let cur = &f.currency;
                let m = |v: f64| money::format_estimate(v, cur);
                println!("forecast {:.0} days from {} ({} trials, {ms:.0} ms)", f.horizon_days, q.as_of.format("%Y-%m-%d"), f.trials);
                println!("  expected  {}  = {} from open deals + {} from new deals", m(f.expected_open + f.expected_new), m(f.expected_open), m(f.expected_new));
                println!("  range     P10 {}  P50 {}  P90 {}", m(f.p10), m(f.p50), m(f.p90));
                println!("  weighted pipeline {}   commit {}   best case {}", m(f.weighted), m(f.commit), m(f.best_case));
                if f.closed_deals < funnelscope::forecast::MIN_CLOSED_DEALS {
                    println!("  only {} closed deals: too little history to trust these figures", f.closed_deals);
                }
                println!("backtest (month by month, as known at each month's start):");
                for p in &bt.periods {
                    println!(
                        "  {}  actual {:>12}  data-driven {:>12}  weighted {:>12}  commit {:>12}",
                        p.start.format("%Y-%m"),
                        m(p.actual),
                        m(p.data_driven),
                        m(p.weighted),
                        m(p.commit)
                    );
                }
                let pm = |s: &funnelscope::forecast::backtest::MethodScore| format!("MAPE {} bias {}", pct(s.mape), s.bias.map_or("—".into(), |b| format!("{:+.1}%", b * 100.0)));
                println!("  data-driven {}   weighted pipeline {}   commit {}", pm(&bt.data_driven), pm(&bt.weighted), pm(&bt.commit));
                println!("stage probabilities (set → realized, suggested):");
                for s in &bt.stages {
                    println!("  {:<18} {:>3}% → {}  {}", s.name, s.set, pct(s.realized), s.suggested.map_or("—".into(), |v| format!("{v}%")));
                }
                println!("where a 1-point better conversion adds most this period:");
                for (s, v) in ranked.iter().take(4) {
                    println!("  {:<18} +{}", flow.stages[*s].name, m(*v));
                }
            }
            Ok(())
        }
        "activity" => {
            let path = args.positional.get(1).ok_or("usage: funnel activity <export.json> [options]")?;
            let ws = load(path)?;
            let p = pick_pipeline(&ws, args.get("pipeline"))?;
            let as_of = query(&args)?.as_of;
            let weeks: usize = args.get("weeks").unwrap_or("8").parse().map_err(|_| "--weeks takes a number")?;
            let r = funnelscope::analytics::activity::activity_report(&ws, p, as_of, weeks.min(520));
            if args.get("format") == Some("json") {
                println!("{}", serde_json::to_string_pretty(&r).map_err(|e| e.to_string())?);
            } else {
                let avg = |t: &funnelscope::analytics::activity::Touches| t.mean.map_or("—".into(), |m| format!("{m:.1}"));
                println!("activity as of {}", as_of.format("%Y-%m-%d"));
                println!("  touches before the close: won {} per deal ({} deals), lost {} per deal ({} deals)", avg(&r.won), r.won.deals, avg(&r.lost), r.lost.deals);
                let days = |d: Option<f64>| d.map_or("—".into(), |d| format!("{d:.1}"));
                println!(
                    "  open deals: {}, never touched {}; days since the last touch: median {}, p90 {}",
                    r.open_deals, r.never_touched, days(r.idle_median), days(r.idle_p90)
                );
                println!("  touches per week ({} .. {}):", r.weeks.first().map(|d| d.to_string()).unwrap_or_default(), r.weeks.last().map(|d| d.to_string()).unwrap_or_default());
                for (owner, counts) in &r.per_owner {
                    println!("    {:<20} {}", owner, counts.iter().map(|c| format!("{c:>4}")).collect::<String>());
                }
            }
            Ok(())
        }
        "reps" => {
            let path = args.positional.get(1).ok_or("usage: funnel reps <export.json> [options]")?;
            let ws = load(path)?;
            let p = pick_pipeline(&ws, args.get("pipeline"))?;
            let q = query(&args)?;
            let rows = funnelscope::analytics::reps::per_rep(&ws, p, q.as_of);
            let flow = funnelscope::analytics::Flow::build(&ws, p);
            let targets = funnelscope::analytics::reps::attainment(&ws, &flow, p, q.as_of, 2_000);
            if args.get("format") == Some("json") {
                let doc = serde_json::json!({ "per_rep": rows, "targets": targets });
                println!("{}", serde_json::to_string_pretty(&doc).map_err(|e| e.to_string())?);
            } else {
                let money = |v: &[(String, i64)]| v.iter().map(|(c, a)| funnelscope::domain::money::format_amount(*a, c)).collect::<Vec<_>>().join(" + ");
                println!("{:<8} {:<16} {:>5} {:>16} {:>5} {:>16} {:>8} {:>8}", "month", "owner", "won", "won amount", "lost", "lost amount", "win rate", "cycle d");
                for r in &rows {
                    let cycle = r.avg_cycle_days.map(|d| format!("{d:.1}")).unwrap_or_else(|| "—".into());
                    println!("{:<8} {:<16} {:>5} {:>16} {:>5} {:>16} {:>8} {:>8}", r.month, r.owner, r.won, money(&r.won_amount), r.lost, money(&r.lost_amount), pct(Some(r.win_rate)), cycle);
                }
                for a in &targets {
                    let who = if a.target.owner.is_empty() { "team" } else { a.target.owner.as_str() };
                    let exp = a.expected.map(|(m, lo, hi)| format!("  expected {m:.0} ({lo:.0}–{hi:.0})")).unwrap_or_default();
                    println!("target {} {:?} {who}: {} of {} ({}){exp}", a.target.period.code(), a.target.metric, a.actual, a.target.value, pct(Some(a.share)));
                }
            }
            Ok(())
        }
        "lost" => {
            let path = args.positional.get(1).ok_or("usage: funnel lost <export.json> [options]")?;
            let ws = load(path)?;
            let p = pick_pipeline(&ws, args.get("pipeline"))?;
            let q = query(&args)?;
            let r = funnelscope::analytics::lost::lost_analysis(&ws, p, q.as_of, q.period.map(|p| p.start), &q.filter);
            if args.get("format") == Some("json") {
                println!("{}", serde_json::to_string_pretty(&r).map_err(|e| e.to_string())?);
            } else {
                let money = |v: &[(String, i64)]| v.iter().map(|(c, a)| funnelscope::domain::money::format_amount(*a, c)).collect::<Vec<_>>().join(" + ");
                let name = |s: &str| if s.is_empty() { "(none)".to_string() } else { s.to_string() };
                println!("lost deals as of {}: {}", q.as_of.format("%Y-%m-%d"), r.lost);
                for (what, groups) in [("reason", &r.by_reason), ("owner", &r.by_owner), ("source", &r.by_source)] {
                    println!("  by {what}:");
                    for g in groups {
                        println!("    {:<28} {:>5} deals  {}", name(&g.name), g.deals, money(&g.amount));
                    }
                }
                println!("  by reason and the stage it was lost from:");
                for (reason, stage, n, amount) in &r.by_reason_stage {
                    println!("    {:<28} {:<20} {:>5} deals  {}", name(reason), name(stage), n, money(amount));
                }
            }
            Ok(())
        }
        "leads" => {
            let path = args.positional.get(1).ok_or("usage: funnel leads <export.json> [options]")?;
            let ws = load(path)?;
            let p = pick_pipeline(&ws, args.get("pipeline"))?;
            let q = query(&args)?;
            let as_of = q.as_of;
            let r = funnelscope::analytics::leads::lead_funnel(&ws, p, as_of);
            let cohort = funnelscope::analytics::leads::lead_cohort(&ws, p, &q);
            if args.get("format") == Some("json") {
                let mut v = serde_json::to_value(&r).map_err(|e| e.to_string())?;
                v["cohort"] = serde_json::to_value(&cohort).map_err(|e| e.to_string())?;
                println!("{}", serde_json::to_string_pretty(&v).map_err(|e| e.to_string())?);
            } else {
                let hours = |h: Option<f64>| h.map_or("—".into(), |h| format!("{h:.1} h"));
                println!("leads as of {}: {} (open {}, qualified {}, disqualified {})", as_of.format("%Y-%m-%d"), r.leads, r.open, r.qualified, r.disqualified);
                println!("  lead → {}", r.stages.iter().map(|(s, n)| format!("{s} {n}")).chain([format!("won {}", r.won)]).collect::<Vec<_>>().join(" → "));
                println!("  first response: median {}, p90 {} ({} of {} leads answered)", hours(r.response_median_hours), hours(r.response_p90_hours), r.responded, r.leads);
                let c = &cohort;
                println!(
                    "  from lead (Aalen–Johansen, from arrival; {} leads, {} won, {} lost or disqualified): {}",
                    c.leads,
                    c.won,
                    c.lost + c.disqualified,
                    c.win_within.horizons.iter().map(|h| format!("won within {} d {:.1}% [{:.1}–{:.1}]", h.days, h.won * 100.0, h.won_low * 100.0, h.won_high * 100.0)).collect::<Vec<_>>().join(", ")
                );
                for (what, groups) in [("source", &r.by_source), ("owner", &r.by_owner)] {
                    println!("  by {what}:");
                    for g in groups {
                        println!("    {:<20} {:>5} leads {:>5} qualified ({}) {:>4} won  response {}", g.name, g.leads, g.qualified, pct(g.conversion), g.won, hours(g.response_median_hours));
                    }
                }
            }
            Ok(())
        }
        "tables" => {
            let (Some(path), Some(dir)) = (args.positional.get(1), args.positional.get(2)) else {
                return Err("usage: funnel tables <export.json> <dir>".into());
            };
            let ws = load(path)?;
            let p = pick_pipeline(&ws, args.get("pipeline"))?;
            write_tables(&ws, p, dir).map_err(|e| format!("{dir}: {e}"))
        }
        // The browser build fetches the Chinese UI texts as this file (scripts/post_build.mjs
        // writes it beside the app; core's `zh_fetched`).
        "texts" => match args.positional.get(1).map(String::as_str) {
            #[cfg(not(target_arch = "wasm32"))]
            Some("zh") => {
                print!("{}", funnelscope::i18n::zh_file());
                Ok(())
            }
            _ => Err("usage: funnel texts zh".into()),
        },
        "help" => {
            print!("{USAGE}");
            Ok(())
        }
        "" => Err(format!("no command given\n{USAGE}")),
        other => Err(format!("unknown command {other:?}\n{USAGE}")),
    }
}

const USAGE: &str = "\
usage:
  funnel report <export.json|maven.csv> [--pipeline NAME] [--as-of YYYY-MM-DD] [--period A..B]
                [--compare A..B] [--owner X] [--source X] [--tag X] [--strict]
                [--horizon DAYS] [--format table|json]
  funnel forecast <export.json> [--as-of YYYY-MM-DD] [--until YYYY-MM-DD | --days N]
                [--trials N] [--seed S] [--backtest MONTHS] [--format table|json]
  funnel generate --deals N [--busy] [--seed S] [--as-of YYYY-MM-DD|RFC 3339 time] [--currencies USD,EUR,JPY] [--out FILE]
  funnel bench <export.json> [--runs N] [--as-of YYYY-MM-DD]
  funnel activity <export.json> [--pipeline NAME] [--as-of YYYY-MM-DD] [--weeks N] [--format table|json]
  funnel leads <export.json> [--pipeline NAME] [--as-of YYYY-MM-DD] [--format table|json]
  funnel lost <export.json> [--pipeline NAME] [--as-of YYYY-MM-DD] [--period A..B] [--owner X]
                [--source X] [--tag X] [--format table|json]
  funnel reps <export.json> [--pipeline NAME] [--as-of YYYY-MM-DD] [--format table|json]
  funnel tables <export.json> <dir>
  funnel texts zh                  (the Chinese UI texts file the browser build fetches)
  funnel --help
Periods are half-open (A inclusive, B exclusive). Figures: docs/analytics.md, docs/forecast.md.
";

fn main() -> ExitCode {
    // A reader that goes away early (`funnel report … | head`) closes the pipe: stop quietly,
    // as Unix tools do, instead of panicking on the next line printed.
    let default_hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let payload = info.payload();
        let msg = payload.downcast_ref::<String>().map(String::as_str).or_else(|| payload.downcast_ref::<&str>().copied());
        if msg.is_some_and(|m| m.contains("Broken pipe")) {
            std::process::exit(0);
        }
        default_hook(info);
    }));
    let mut raw: Vec<String> = std::env::args().skip(1).collect();
    if raw.iter().any(|a| a == "--help" || a == "-h") {
        raw = vec!["help".into()];
    }
    match run(Args::parse(raw.into_iter())) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("funnel: {e}");
            ExitCode::from(2)
        }
    }
}
