//! How stored records write and read their times: the same RFC 3339 text as chrono's own
//! serde (`2026-08-18T04:58:10Z`), with a direct path, both ways, for that shape and for
//! it with a fraction of a second (`…:10.25Z`, how chrono writes a time stamped by the
//! clock: every move's and edit's). Every record has one to four times;
//! chrono reads each through its general parser (≈ 140 ns natively): reading them directly
//! took decoding a stored 100k-deal workspace from 1.10 to 0.67 s natively, and the
//! fractions were most of what was left of chrono in a profile of decoding in wasm.
//! Anything else (offsets, a space for the `T`, more than nine digits of fraction, leap
//! seconds, bad text) goes to chrono, so what is accepted, the value read and the error
//! message are chrono's.
//!
//! Use on a field: `#[serde(with = "crate::domain::time::utc")]`, and for an optional one
//! `#[serde(default, with = "crate::domain::time::utc_opt")]`.

use chrono::{DateTime, Datelike, FixedOffset, NaiveDate, NaiveTime, Timelike, Utc};
use serde::de::{self, Deserializer, Visitor};
use serde::{Serialize, Serializer};
use std::fmt;

/// `YYYY-MM-DDTHH:MM:SSZ`, or with a fraction of a second of one to nine digits before the
/// `Z` (`…:10.25Z`, as chrono writes a time stamped by the clock: every edit's), or None
/// when the text has any other shape or names no time.
fn parse_plain(b: &[u8]) -> Option<DateTime<Utc>> {
    let num = |from: usize, len: usize| -> Option<u32> {
        b.get(from..from + len)?.iter().try_fold(0u32, |n, c| c.is_ascii_digit().then(|| n * 10 + u32::from(c - b'0')))
    };
    // The fraction's digits: none, or 1 to 9 after a point (more go to chrono).
    let digits = match b.len() {
        20 => 0,
        22..=30 if b.get(19) == Some(&b'.') => b.len() - 21,
        _ => return None,
    };
    let at = |i: usize| b.get(i).copied();
    let punct = [(4, b'-'), (7, b'-'), (10, b'T'), (13, b':'), (16, b':'), (b.len() - 1, b'Z')];
    if punct.iter().any(|&(i, c)| at(i) != Some(c)) {
        return None;
    }
    let nanos = match digits {
        0 => 0,
        n => num(20, n)? * 10u32.pow(9 - n as u32),
    };
    let year = i32::try_from(num(0, 4)?).ok()?;
    let date = NaiveDate::from_ymd_opt(year, num(5, 2)?, num(8, 2)?)?;
    // A second of 60 (a leap second) is not a plain time: chrono reads it.
    let time = NaiveTime::from_hms_nano_opt(num(11, 2)?, num(14, 2)?, num(17, 2)?, nanos)?;
    Some(date.and_time(time).and_utc())
}

/// Reads a time as chrono's serde does.
pub fn parse(text: &str) -> Result<DateTime<Utc>, chrono::ParseError> {
    match parse_plain(text.as_bytes()) {
        Some(t) => Ok(t),
        None => text.parse::<DateTime<FixedOffset>>().map(|t| t.with_timezone(&Utc)),
    }
}

/// Writes `t` into `buf` as chrono writes it, `YYYY-MM-DDTHH:MM:SSZ` with, when there is
/// one, the fraction of a second in 3, 6 or 9 digits (as few as hold it), when the year
/// has four digits and the time is no leap second: its length; None otherwise.
fn format_plain(t: &DateTime<Utc>, buf: &mut [u8; 30]) -> Option<usize> {
    let year = u32::try_from(t.year()).ok().filter(|y| *y <= 9999)?;
    let nanos = t.nanosecond();
    let (fraction, digits) = match nanos {
        0 => (0, 0),
        1_000_000_000.. => return None,
        n if n % 1_000_000 == 0 => (n / 1_000_000, 3),
        n if n % 1_000 == 0 => (n / 1_000, 6),
        n => (n, 9),
    };
    buf[..20].copy_from_slice(b"0000-00-00T00:00:00Z");
    let mut put = |at: usize, len: usize, mut n: u32| {
        for i in (at..at + len).rev() {
            if let Some(slot) = buf.get_mut(i) {
                // `n % 10` is a digit.
                *slot = b'0' + (n % 10) as u8;
            }
            n /= 10;
        }
    };
    put(0, 4, year);
    put(5, 2, t.month());
    put(8, 2, t.day());
    put(11, 2, t.hour());
    put(14, 2, t.minute());
    put(17, 2, t.second());
    if digits == 0 {
        return Some(20);
    }
    put(20, digits, fraction);
    // At most 29: within the buffer.
    buf[19] = b'.';
    buf[20 + digits] = b'Z';
    Some(21 + digits)
}

/// The newtype name under which a time goes to a format that is not human-readable (the
/// compact encoding of stored segments, `io::compact`): whole seconds since 1970 as an
/// i64, nothing to format or parse.
pub const TIME_NAME: &str = "$funnelscope::time";

/// The same for a time with a fraction of a second: nanoseconds since 1970 as an i64
/// (years 1678 to 2262; outside them, the text). Stored as text, such a time (every one the
/// clock stamps) was most of decoding a segment: 26 bytes to read, check and parse, where
/// this is about ten to read.
pub const TIME_NS_NAME: &str = "$funnelscope::time_ns";

/// `t` as chrono's serde writes it.
pub fn text(t: &DateTime<Utc>) -> String {
    let mut buf = [0u8; 30];
    match format_plain(t, &mut buf).and_then(|n| std::str::from_utf8(buf.get(..n)?).ok()) {
        Some(text) => text.to_string(),
        None => format!("{t:?}"),
    }
}

struct TimeVisitor;

impl Visitor<'_> for TimeVisitor {
    type Value = DateTime<Utc>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        // chrono's words, so a bad record's message does not depend on the path it took.
        f.write_str("an RFC 3339 formatted date and time string")
    }

    fn visit_str<E: de::Error>(self, text: &str) -> Result<Self::Value, E> {
        parse(text).map_err(E::custom)
    }
}

/// `#[serde(with = "…::utc")]` on a `DateTime<Utc>`.
pub mod utc {
    use super::*;

    pub fn serialize<S: Serializer>(t: &DateTime<Utc>, s: S) -> Result<S::Ok, S::Error> {
        if !s.is_human_readable() {
            if t.nanosecond() == 0 {
                return s.serialize_newtype_struct(TIME_NAME, &t.timestamp());
            }
            // (Not a leap second, whose nanoseconds run past a second: the text keeps it.)
            if let Some(ns) = t.timestamp_nanos_opt().filter(|_| t.nanosecond() < 1_000_000_000) {
                return s.serialize_newtype_struct(TIME_NS_NAME, &ns);
            }
        }
        let mut buf = [0u8; 30];
        match format_plain(t, &mut buf).and_then(|n| std::str::from_utf8(buf.get(..n)?).ok()) {
            Some(text) => s.serialize_str(text),
            None => t.serialize(s),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<DateTime<Utc>, D::Error> {
        if d.is_human_readable() {
            d.deserialize_str(TimeVisitor)
        } else {
            // The compact decoder hands a `TIME_NS` to this newtype as an i128 of
            // nanoseconds (to anything else, as its text); everything else comes as
            // `deserialize_any` gives it.
            d.deserialize_newtype_struct(TIME_NS_NAME, SecondsOrText)
        }
    }

    /// A time in a format that is not human-readable: seconds, or the text chrono writes
    /// for a time with a fraction of a second.
    struct SecondsOrText;

    impl<'de> Visitor<'de> for SecondsOrText {
        type Value = DateTime<Utc>;

        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("seconds since 1970 or an RFC 3339 formatted date and time string")
        }

        fn visit_i64<E: de::Error>(self, secs: i64) -> Result<Self::Value, E> {
            DateTime::from_timestamp(secs, 0).ok_or_else(|| E::custom(format!("{secs} s since 1970 is out of range")))
        }

        fn visit_u64<E: de::Error>(self, secs: u64) -> Result<Self::Value, E> {
            i64::try_from(secs).map_err(|_| E::custom(format!("{secs} s since 1970 is out of range"))).and_then(|s| self.visit_i64(s))
        }

        fn visit_str<E: de::Error>(self, text: &str) -> Result<Self::Value, E> {
            TimeVisitor.visit_str(text)
        }

        fn visit_i128<E: de::Error>(self, nanos: i128) -> Result<Self::Value, E> {
            i64::try_from(nanos).map(DateTime::from_timestamp_nanos).map_err(|_| E::custom(format!("{nanos} ns since 1970 is out of range")))
        }

        fn visit_newtype_struct<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
            d.deserialize_any(self)
        }
    }
}

/// `#[serde(default, with = "…::utc_opt")]` on an `Option<DateTime<Utc>>` (null or absent
/// reads as None).
pub mod utc_opt {
    use super::*;

    struct Plain<'a>(&'a DateTime<Utc>);

    impl Serialize for Plain<'_> {
        fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
            utc::serialize(self.0, s)
        }
    }

    struct Read(DateTime<Utc>);

    impl<'de> serde::Deserialize<'de> for Read {
        fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            utc::deserialize(d).map(Read)
        }
    }

    pub fn serialize<S: Serializer>(t: &Option<DateTime<Utc>>, s: S) -> Result<S::Ok, S::Error> {
        match t {
            Some(t) => s.serialize_some(&Plain(t)),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<DateTime<Utc>>, D::Error> {
        <Option<Read> as serde::Deserialize>::deserialize(d).map(|t| t.map(|Read(t)| t))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn chrono_json(t: &DateTime<Utc>) -> String {
        serde_json::to_string(t).unwrap_or_default()
    }

    #[derive(serde::Serialize, serde::Deserialize, Debug, PartialEq)]
    struct Rec {
        #[serde(with = "utc")]
        at: DateTime<Utc>,
        #[serde(default, skip_serializing_if = "Option::is_none", with = "utc_opt")]
        done: Option<DateTime<Utc>>,
    }

    #[test]
    fn plain_times_read_and_write_as_chrono_does() {
        // 2026-08-18T04:58:10Z by hand: 20,683 days after 1970-01-01 (56 years, 14 of them
        // leap: 2026-01-01 is day 20,454; + 229 days to August 18) = 1,787,011,200 s,
        // + 4 h 58 min 10 s = 17,890 s.
        let t = parse("2026-08-18T04:58:10Z");
        assert_eq!(t.map(|t| t.timestamp()), Ok(1_787_011_200 + 17_890));
        let rec = Rec { at: DateTime::from_timestamp(1_787_029_090, 0).unwrap_or_default(), done: None };
        let json = serde_json::to_string(&rec).unwrap_or_default();
        assert_eq!(json, r#"{"at":"2026-08-18T04:58:10Z"}"#);
        assert_eq!(serde_json::from_str::<Rec>(&json).ok(), Some(rec));
        // A clock's time: 2026-08-18T04:58:10Z and 0.25 s, 0.000000007 s.
        assert_eq!(parse("2026-08-18T04:58:10.25Z").map(|t| (t.timestamp(), t.timestamp_subsec_nanos())), Ok((1_787_029_090, 250_000_000)));
        assert_eq!(parse("2026-08-18T04:58:10.000000007Z").map(|t| (t.timestamp(), t.timestamp_subsec_nanos())), Ok((1_787_029_090, 7)));
        let both = r#"{"at":"2026-08-18T04:58:10.5+08:00","done":null}"#;
        let read = serde_json::from_str::<Rec>(both).ok();
        assert_eq!(read.as_ref().map(|r| (r.at.timestamp(), r.at.timestamp_subsec_millis(), r.done)), Some((1_787_029_090 - 8 * 3600, 500, None)));
    }

    #[test]
    fn bad_times_fail_with_chronos_message() {
        for text in ["2026-02-30T00:00:00Z", "2026-13-01T00:00:00Z", "2026-01-01T24:00:00Z", "2026-01-01T00:00:00", "yesterday", ""] {
            let ours = serde_json::from_str::<Rec>(&format!(r#"{{"at":"{text}"}}"#)).map_err(|e| e.to_string());
            let theirs = serde_json::from_str::<DateTime<Utc>>(&format!(r#""{text}""#)).map_err(|e| e.to_string());
            assert!(ours.is_err(), "{text}");
            // Same words (the position differs: ours is inside a record).
            assert_eq!(ours.err().map(|e| e.split(" at line").next().map(String::from)), theirs.err().map(|e| e.split(" at line").next().map(String::from)), "{text}");
        }
        let wrong_type = serde_json::from_str::<Rec>(r#"{"at":5}"#).map_err(|e| e.to_string());
        assert!(wrong_type.err().is_some_and(|e| e.contains("an RFC 3339 formatted date and time string")));
    }

    proptest! {
        /// Any instant, whole seconds or not (whole milliseconds and microseconds too, which
        /// chrono writes in 3 and 6 digits), any year chrono writes: written as chrono
        /// writes it and read back to the same instant.
        #[test]
        fn writes_as_chrono_and_reads_back(secs in -70_000_000_000i64..300_000_000_000i64, nanos in prop_oneof![Just(0u32), 0u32..1_000_000_000, (0u32..1_000).prop_map(|n| n * 1_000_000), (0u32..1_000_000).prop_map(|n| n * 1_000)]) {
            let Some(t) = DateTime::from_timestamp(secs, nanos) else { return Ok(()) };
            let rec = Rec { at: t, done: Some(t) };
            let json = serde_json::to_string(&rec).unwrap_or_default();
            let c = chrono_json(&t);
            prop_assert_eq!(&json, &format!(r#"{{"at":{c},"done":{c}}}"#));
            prop_assert_eq!(&format!("\"{}\"", text(&t)), &c);
            prop_assert_eq!(serde_json::from_str::<Rec>(&json).ok(), Some(rec));
        }

        /// Text of the plain shape with fields just inside and just outside their ranges
        /// (month 13, day 31 of February, hour 24, second 60…) and a few other shapes: read
        /// exactly as chrono reads it.
        #[test]
        fn reads_any_text_as_chrono_does(y in 0u32..10_000, mo in 0u32..14, da in 0u32..33, h in 0u32..25, mi in 0u32..61, se in 0u32..62, shape in 0usize..8, frac in "[0-9]{0,12}|[0-9]{0,4}[a ][0-9]{0,3}") {
            let (y, mo, da, h, mi, se) = (format!("{y:04}"), format!("{mo:02}"), format!("{da:02}"), format!("{h:02}"), format!("{mi:02}"), format!("{se:02}"));
            let text = match shape {
                0 | 1 => format!("{y}-{mo}-{da}T{h}:{mi}:{se}Z"),
                2 => format!("{y}-{mo}-{da} {h}:{mi}:{se}+01:00"),
                3 => format!("{y}-{mo}-{da}t{h}:{mi}:{se}z"),
                4 => format!("{y}-{mo}-{da}T{h}:{mi}:{se}.{se}Z"),
                // A fraction of 0 to 12 digits (or with something else in it), before `Z`
                // or an offset, or a comma for the point.
                5 | 6 => format!("{y}-{mo}-{da}T{h}:{mi}:{se}.{frac}Z"),
                _ => format!("{y}-{mo}-{da}T{h}:{mi}:{se}{}{frac}{}", [".", ","][usize::from(frac.len() % 2 == 0)], ["Z", "+00:00"][usize::from(frac.len() % 3 == 0)]),
            };
            let theirs = text.parse::<DateTime<FixedOffset>>().map(|t| t.with_timezone(&Utc));
            prop_assert_eq!(parse(&text), theirs);
        }
    }
}
