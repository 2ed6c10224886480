//! Open tasks as an iCalendar file (RFC 5545), so next steps show up in the calendar a
//! rep already uses — made in the browser, no server involved. Each task is an event at
//! its due time (calendars import events everywhere; to-dos are ignored by most).

use crate::domain::{Activity, Workspace};
use chrono::{DateTime, Utc};

/// RFC 5545 §3.3.11: backslash, semicolon, comma and newlines are escaped in text.
fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            ';' => out.push_str("\\;"),
            ',' => out.push_str("\\,"),
            '\n' => out.push_str("\\n"),
            '\r' => {}
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

/// RFC 5545 §3.1: lines longer than 75 octets are folded (CRLF and a space), never inside
/// a UTF-8 character.
fn fold(line: &str, out: &mut String) {
    let mut used = 0;
    for c in line.chars() {
        let n = c.len_utf8();
        if used + n > 75 {
            out.push_str("\r\n ");
            used = 1;
        }
        out.push(c);
        used += n;
    }
    out.push_str("\r\n");
}

fn stamp(t: DateTime<Utc>) -> String {
    t.format("%Y%m%dT%H%M%SZ").to_string()
}

/// Every open task of `ws` (those `owner` is to do, when given), as a calendar; each named
/// after the deal, lead, account or contact it is on.
/// `at`: where each record of `ws` sits (the model's; every task is named after its deal,
/// lead, account or contact).
pub fn tasks_ics(ws: &Workspace, at: &crate::domain::Lookup, now: DateTime<Utc>, owner: Option<&str>) -> String {
    let mut out = String::new();
    for l in ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//Funnelscope//Next steps//EN", "CALSCALE:GREGORIAN", "METHOD:PUBLISH"] {
        fold(l, &mut out);
    }
    let mut tasks: Vec<&Activity> = ws.activities.iter().filter(|a| a.is_open_task() && owner.is_none_or(|o| o == a.owner)).collect();
    tasks.sort_by(|a, b| (a.at, &a.id).cmp(&(b.at, &b.id)));
    for t in tasks {
        let title = at.target_name(ws, &t.on());
        let mut description = title.clone();
        // By position: a search of every deal per task was 18 s at 100,000 deals.
        if let Some(d) = at.deal(ws, &t.deal) {
            for extra in [&d.account, &d.owner] {
                if !extra.is_empty() {
                    description.push('\n');
                    description.push_str(extra);
                }
            }
        }
        let lines = [
            "BEGIN:VEVENT".to_string(),
            format!("UID:{}@funnelscope", escape(t.id.as_str())),
            format!("DTSTAMP:{}", stamp(now)),
            format!("DTSTART:{}", stamp(t.at)),
            format!("DURATION:PT{}M", t.duration_min.filter(|m| *m > 0).unwrap_or(30)),
            format!("SUMMARY:{}", escape(&if title.is_empty() { t.subject.clone() } else { format!("{} — {title}", t.subject) })),
            format!("DESCRIPTION:{}", escape(&description)),
            "END:VEVENT".to_string(),
        ];
        for l in &lines {
            fold(l, &mut out);
        }
    }
    fold("END:VCALENDAR", &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{demo, Lang};
    use chrono::TimeZone;

    #[test]
    fn text_is_escaped_and_long_lines_fold_between_characters() {
        assert_eq!(escape("a,b;c\\d\ne"), "a\\,b\\;c\\\\d\\ne");
        let mut out = String::new();
        let long = format!("SUMMARY:{}", "签".repeat(40)); // 8 + 120 octets
        fold(&long, &mut out);
        let lines: Vec<&str> = out.trim_end_matches("\r\n").split("\r\n").collect();
        assert_eq!(lines.len(), 2);
        assert!(lines.iter().all(|l| l.len() <= 75), "{lines:?}");
        // 8 octets + 22 characters of 3 = 74; the rest after the leading space.
        assert_eq!(lines[0].len(), 74);
        assert_eq!(lines[1].len(), 1 + 18 * 3);
        assert_eq!(format!("{}{}", lines[0], &lines[1][1..]), long);
    }

    #[test]
    fn one_event_per_open_task_at_its_due_time() {
        let now = Utc.with_ymd_and_hms(2026, 11, 28, 8, 0, 0).unwrap();
        let ws = demo::generate(40, 3, 3, now, Lang::En);
        let ics = tasks_ics(&ws, &crate::domain::Lookup::of(&ws), now, None);
        let open: Vec<_> = ws.activities.iter().filter(|a| a.is_open_task()).collect();
        assert!(!open.is_empty());
        assert_eq!(ics.matches("BEGIN:VEVENT").count(), open.len());
        assert!(ics.starts_with("BEGIN:VCALENDAR\r\nVERSION:2.0\r\n") && ics.ends_with("END:VCALENDAR\r\n"));
        let t = open[0];
        assert!(ics.contains(&format!("UID:{}@funnelscope\r\n", t.id.as_str())));
        assert!(ics.contains(&format!("DTSTART:{}\r\n", t.at.format("%Y%m%dT%H%M%SZ"))));
        assert!(!ics.replace("\r\n", "").contains('\n'), "CRLF only");
        // The demo's lead call-backs are there, named after their lead.
        let lead_task = open.iter().find(|a| a.lead.is_some()).expect("a lead task in the demo");
        let name = ws.target_name(&lead_task.on());
        assert!(!name.is_empty() && ics.replace("\r\n ", "").contains(&format!("SUMMARY:{} — {}", escape(&lead_task.subject), escape(&name))));
        // One owner's calendar holds exactly that owner's open tasks.
        let who = open[0].owner.clone();
        let theirs = open.iter().filter(|a| a.owner == who).count();
        assert_eq!(tasks_ics(&ws, &crate::domain::Lookup::default(), now, Some(&who)).matches("BEGIN:VEVENT").count(), theirs);
        assert!(theirs < open.len());
    }
}
