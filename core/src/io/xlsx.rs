//! Reads the first worksheet of an Excel workbook (.xlsx) into the same table a CSV file
//! gives, so spreadsheets go through the same column matching. An .xlsx file is a zip of
//! XML parts (ECMA-376): the workbook names its sheets, the sheet holds cells, text cells
//! point into a shared-strings list, and a cell's style says whether its number is a date.
//! Only what reading values needs is implemented: no formulas are evaluated (the cached
//! value is read), no formatting beyond dates.

use super::csv_import::Table;
use chrono::{Duration, NaiveDate};
use std::collections::HashMap;
use std::fmt;

#[derive(Clone, Debug, PartialEq)]
pub enum XlsxError {
    /// Not a zip file, or one cut short.
    NotAWorkbook,
    /// A part is compressed in a way other than deflate, or is encrypted.
    Unsupported,
    /// A part that should be there is missing or cannot be read.
    Corrupt(String),
    /// The workbook unpacks to more than the limit (a "zip bomb", or simply too big).
    TooBig,
    /// The first sheet has no header row.
    Empty,
}

impl fmt::Display for XlsxError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            XlsxError::NotAWorkbook => write!(f, "not an Excel workbook (.xlsx)"),
            XlsxError::Unsupported => write!(f, "the workbook is encrypted or uses an unsupported compression"),
            XlsxError::Corrupt(part) => write!(f, "the workbook is damaged ({part})"),
            XlsxError::TooBig => write!(f, "the workbook is too big to read"),
            XlsxError::Empty => write!(f, "the first sheet has no header row"),
        }
    }
}

/// Unpacked parts may total at most this much (the import limit for a JSON file is of the
/// same order): a few hundred thousand rows of a typical CRM export.
const MAX_UNPACKED: usize = 256 * 1024 * 1024;

/// Whether `bytes` start like a zip file (every .xlsx does).
pub fn looks_like_xlsx(bytes: &[u8]) -> bool {
    bytes.starts_with(b"PK\x03\x04")
}

/// The first sheet as a table: its first non-blank row is the header; every row is as wide
/// as the header (short rows padded with blanks); blank rows are skipped.
pub fn read_xlsx(bytes: &[u8]) -> Result<Table, XlsxError> {
    let zip = Zip::open(bytes)?;
    let mut budget = MAX_UNPACKED;
    let workbook = zip.text("xl/workbook.xml", &mut budget)?.ok_or_else(|| XlsxError::Corrupt("xl/workbook.xml".into()))?;
    let date1904 = tags(&workbook).any(|t| t.name == "workbookPr" && matches!(t.attr("date1904").as_deref(), Some("1" | "true")));
    let sheet_path = first_sheet_path(&zip, &workbook, &mut budget)?;
    let strings = match zip.text("xl/sharedStrings.xml", &mut budget)? {
        Some(x) => shared_strings(&x),
        None => Vec::new(),
    };
    let date_styles = match zip.text("xl/styles.xml", &mut budget)? {
        Some(x) => date_styles(&x),
        None => Vec::new(),
    };
    let sheet = zip.text(&sheet_path, &mut budget)?.ok_or_else(|| XlsxError::Corrupt(sheet_path.clone()))?;
    // Rows are kept sparse (column, text) until the header gives the width: a cell far to
    // the right ("XFD1") costs its text, not sixteen thousand empty cells per row.
    let grid = cells(&sheet, &strings, &date_styles, date1904);
    let mut rows = grid.into_iter().filter(|r| r.iter().any(|c| !c.1.trim().is_empty()));
    let header = rows.next().ok_or(XlsxError::Empty)?;
    // Trailing blank header cells (formatting that reaches further right) are not columns.
    let width = header.iter().filter(|c| !c.1.trim().is_empty()).map(|c| c.0 + 1).max().unwrap_or(0);
    let headers: Vec<String> = dense(header, width).into_iter().map(|h| h.trim().to_string()).collect();
    let rows = rows.map(|r| dense(r, width)).filter(|r| r.iter().any(|c| !c.trim().is_empty())).collect();
    Ok(Table { headers, rows })
}

/// A sparse row as `width` cells: blanks where nothing was written, cells beyond the
/// header's last column dropped; a column written twice keeps the later value.
fn dense(row: Vec<(usize, String)>, width: usize) -> Vec<String> {
    let mut out = vec![String::new(); width];
    for (c, text) in row.into_iter().filter(|c| c.0 < width) {
        out[c] = text;
    }
    out
}

/// The path of the workbook's first sheet, through the workbook's relationships.
fn first_sheet_path(zip: &Zip, workbook: &str, budget: &mut usize) -> Result<String, XlsxError> {
    let fallback = "xl/worksheets/sheet1.xml".to_string();
    let Some(rid) = tags(workbook).find(|t| t.name == "sheet").and_then(|t| t.attr("r:id").or_else(|| t.attr("id"))) else {
        return Ok(fallback);
    };
    let Some(rels) = zip.text("xl/_rels/workbook.xml.rels", budget)? else { return Ok(fallback) };
    let target = tags(&rels).find(|t| t.name == "Relationship" && t.attr("Id").as_deref() == Some(rid.as_str())).and_then(|t| t.attr("Target"));
    Ok(match target {
        Some(t) if t.starts_with('/') => t.trim_start_matches('/').to_string(),
        Some(t) => format!("xl/{t}"),
        None => fallback,
    })
}

/// The shared strings, in order: each `<si>` is the text of its `<t>` runs, phonetic
/// guides (`<rPh>`) left out.
fn shared_strings(xml: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut current: Option<String> = None;
    let mut in_t = false;
    let mut in_phonetic = false;
    for item in scan(xml) {
        match item {
            Item::Open(t) if t.name == "si" => current = Some(String::new()),
            Item::Empty(t) if t.name == "si" => out.push(String::new()),
            Item::Close(n) if n == "si" => out.push(current.take().unwrap_or_default()),
            Item::Open(t) if t.name == "rPh" => in_phonetic = true,
            Item::Close(n) if n == "rPh" => in_phonetic = false,
            Item::Open(t) if t.name == "t" => in_t = true,
            Item::Close(n) if n == "t" => in_t = false,
            Item::Text(s) if in_t && !in_phonetic => {
                if let Some(c) = current.as_mut() {
                    c.push_str(&s);
                }
            }
            _ => {}
        }
    }
    out
}

/// For each cell style (the `s` attribute of a cell), whether it shows a number as a date.
fn date_styles(xml: &str) -> Vec<bool> {
    let mut custom: HashMap<String, bool> = HashMap::new();
    let mut out = Vec::new();
    let mut in_xfs = false;
    for item in scan(xml) {
        match item {
            Item::Open(t) | Item::Empty(t) if t.name == "numFmt" => {
                if let (Some(id), Some(code)) = (t.attr("numFmtId"), t.attr("formatCode")) {
                    custom.insert(id, is_date_format(&code));
                }
            }
            Item::Open(t) if t.name == "cellXfs" => in_xfs = true,
            Item::Close(n) if n == "cellXfs" => in_xfs = false,
            Item::Open(t) | Item::Empty(t) if in_xfs && t.name == "xf" => {
                let id = t.attr("numFmtId").unwrap_or_default();
                let builtin = id.parse::<u32>().is_ok_and(|n| matches!(n, 14..=22 | 27..=36 | 45..=47 | 50..=58));
                out.push(builtin || custom.get(&id).copied().unwrap_or(false));
            }
            _ => {}
        }
    }
    out
}

/// Whether a number format shows a date or time: it has y, m, d, h or s outside quoted
/// text, escapes and [colour] brackets ("[h]:mm" elapsed time counts too).
fn is_date_format(code: &str) -> bool {
    let mut quoted = false;
    let mut bracket = false;
    let mut escaped = false;
    for c in code.chars() {
        match c {
            _ if escaped => escaped = false,
            '\\' => escaped = true,
            '"' => quoted = !quoted,
            '[' if !quoted => bracket = true,
            ']' if !quoted => bracket = false,
            'y' | 'Y' | 'm' | 'M' | 'd' | 'D' | 'h' | 'H' | 's' | 'S' if !quoted && !bracket => return true,
            _ => {}
        }
    }
    false
}

/// An Excel serial date as text: "2026-11-28", or "2026-11-28 14:30:00" with a time.
/// Serials count days from 1899-12-31 as day 1, with the 1900 leap-year bug (day 60 is the
/// 29 February 1900 that never was), or from 1904-01-01 as day 0 in the 1904 system.
pub fn serial_to_text(serial: f64, date1904: bool) -> Option<String> {
    if !serial.is_finite() || !(0.0..2_958_466.0).contains(&serial) {
        return None;
    }
    let days = serial.floor() as i64;
    let seconds = ((serial - serial.floor()) * 86_400.0).round() as i64;
    let base = if date1904 {
        NaiveDate::from_ymd_opt(1904, 1, 1)?
    } else if days >= 61 {
        NaiveDate::from_ymd_opt(1899, 12, 30)?
    } else {
        NaiveDate::from_ymd_opt(1899, 12, 31)?
    };
    let t = base.and_hms_opt(0, 0, 0)?.checked_add_signed(Duration::days(days))?.checked_add_signed(Duration::seconds(seconds))?;
    Some(if seconds == 0 { t.format("%Y-%m-%d").to_string() } else { t.format("%Y-%m-%d %H:%M:%S").to_string() })
}

/// "BC12" → column 54 (0-based "A" = 0).
fn column_of(reference: &str) -> Option<usize> {
    let mut n = 0usize;
    let mut any = false;
    for c in reference.chars().take_while(char::is_ascii_alphabetic) {
        n = n.checked_mul(26)?.checked_add((c.to_ascii_uppercase() as u8 - b'A') as usize + 1)?;
        any = true;
    }
    // Excel's widest sheet has 16,384 columns; a bigger reference is a crafted file.
    (any && n <= 16_384).then(|| n - 1)
}

/// Every row of a sheet as its cells (column, text), in row order.
fn cells(xml: &str, strings: &[String], date_styles: &[bool], date1904: bool) -> Vec<Vec<(usize, String)>> {
    let mut rows: Vec<Vec<(usize, String)>> = Vec::new();
    let mut row: Vec<(usize, String)> = Vec::new();
    let mut in_row = false;
    // The cell being read: its column, type, style, and the text of <v> or inline <t>.
    let mut cell: Option<(usize, String, usize, String)> = None;
    let mut in_value = false;
    let mut next_col = 0;
    for item in scan(xml) {
        match item {
            Item::Open(t) if t.name == "row" => {
                in_row = true;
                row = Vec::new();
                next_col = 0;
            }
            Item::Close(n) if n == "row" && in_row => {
                in_row = false;
                rows.push(std::mem::take(&mut row));
            }
            Item::Empty(t) if t.name == "row" => rows.push(Vec::new()),
            Item::Open(t) if t.name == "c" && in_row => {
                let col = t.attr("r").and_then(|r| column_of(&r)).unwrap_or(next_col);
                let style = t.attr("s").and_then(|s| s.parse().ok()).unwrap_or(0);
                cell = Some((col, t.attr("t").unwrap_or_default(), style, String::new()));
            }
            Item::Empty(t) if t.name == "c" => {
                next_col = t.attr("r").and_then(|r| column_of(&r)).unwrap_or(next_col) + 1;
            }
            Item::Open(t) if (t.name == "v" || t.name == "t") && cell.is_some() => in_value = true,
            Item::Close(n) if n == "v" || n == "t" => in_value = false,
            Item::Text(s) if in_value => {
                if let Some(c) = cell.as_mut() {
                    c.3.push_str(&s);
                }
            }
            Item::Close(n) if n == "c" => {
                if let Some((col, kind, style, raw)) = cell.take() {
                    let text = match kind.as_str() {
                        "s" => raw.trim().parse::<usize>().ok().and_then(|i| strings.get(i).cloned()).unwrap_or_default(),
                        "b" => if raw.trim() == "1" { "TRUE".into() } else { "FALSE".into() },
                        "str" | "inlineStr" | "e" => raw,
                        _ => match raw.trim().parse::<f64>() {
                            Ok(x) if date_styles.get(style).copied().unwrap_or(false) => serial_to_text(x, date1904).unwrap_or(raw),
                            _ => raw,
                        },
                    };
                    row.push((col, text));
                    next_col = col + 1;
                }
            }
            _ => {}
        }
    }
    rows
}

// ---- a minimal XML scanner: tags, attributes and text, entities decoded ----

struct Tag {
    /// Without a namespace prefix ("x:c" → "c").
    name: String,
    attrs: Vec<(String, String)>,
}

impl Tag {
    /// An attribute by its full name, or (for names without a prefix) by its local name.
    fn attr(&self, key: &str) -> Option<String> {
        self.attrs.iter().find(|(k, _)| k == key || (!key.contains(':') && k.rsplit(':').next() == Some(key))).map(|(_, v)| v.clone())
    }
}

enum Item {
    Open(Tag),
    Empty(Tag),
    Close(String),
    Text(String),
}

fn local(name: &str) -> String {
    name.rsplit(':').next().unwrap_or(name).to_string()
}

fn scan(xml: &str) -> impl Iterator<Item = Item> + '_ {
    let mut rest = xml;
    std::iter::from_fn(move || loop {
        if rest.is_empty() {
            return None;
        }
        if !rest.starts_with('<') {
            let end = rest.find('<').unwrap_or(rest.len());
            let text = &rest[..end];
            rest = &rest[end..];
            return Some(Item::Text(unescape(text)));
        }
        if let Some(after) = rest.strip_prefix("<![CDATA[") {
            let end = after.find("]]>").unwrap_or(after.len());
            let text = after[..end].to_string();
            rest = after.get(end + 3..).unwrap_or("");
            return Some(Item::Text(text));
        }
        if let Some(after) = rest.strip_prefix("<!--") {
            rest = after.find("-->").and_then(|e| after.get(e + 3..)).unwrap_or("");
            continue;
        }
        let Some(end) = tag_end(rest) else {
            rest = "";
            return None;
        };
        let inner = &rest[1..end];
        rest = &rest[end + 1..];
        if inner.starts_with('?') || inner.starts_with('!') {
            continue;
        }
        if let Some(name) = inner.strip_prefix('/') {
            return Some(Item::Close(local(name.trim())));
        }
        let (body, empty) = match inner.strip_suffix('/') {
            Some(b) => (b, true),
            None => (inner, false),
        };
        let name_end = body.find(|c: char| c.is_whitespace()).unwrap_or(body.len());
        let tag = Tag { name: local(&body[..name_end]), attrs: attributes(&body[name_end..]) };
        return Some(if empty { Item::Empty(tag) } else { Item::Open(tag) });
    })
}

/// The `>` that ends the tag starting at `s[0]`, skipping quoted attribute values.
fn tag_end(s: &str) -> Option<usize> {
    let mut quote = None;
    for (i, c) in s.char_indices() {
        match (quote, c) {
            (None, '"' | '\'') => quote = Some(c),
            (Some(q), c) if c == q => quote = None,
            (None, '>') => return Some(i),
            _ => {}
        }
    }
    None
}

fn attributes(s: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut rest = s;
    while let Some(eq) = rest.find('=') {
        let key = rest[..eq].trim().to_string();
        let after = rest[eq + 1..].trim_start();
        let Some(q) = after.chars().next().filter(|c| *c == '"' || *c == '\'') else { break };
        let Some(close) = after[1..].find(q) else { break };
        out.push((key, unescape(&after[1..1 + close])));
        rest = &after[close + 2..];
    }
    out
}

/// The five named entities and numeric character references.
fn unescape(s: &str) -> String {
    if !s.contains('&') {
        return s.to_string();
    }
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find('&') {
        out.push_str(&rest[..i]);
        rest = &rest[i..];
        let Some(semi) = rest.find(';').filter(|&e| e <= 10) else {
            out.push('&');
            rest = &rest[1..];
            continue;
        };
        let entity = &rest[1..semi];
        let decoded = match entity {
            "amp" => Some('&'),
            "lt" => Some('<'),
            "gt" => Some('>'),
            "quot" => Some('"'),
            "apos" => Some('\''),
            e if e.starts_with("#x") || e.starts_with("#X") => u32::from_str_radix(&e[2..], 16).ok().and_then(char::from_u32),
            e if e.starts_with('#') => e[1..].parse().ok().and_then(char::from_u32),
            _ => None,
        };
        match decoded {
            Some(c) => {
                out.push(c);
                rest = &rest[semi + 1..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

fn tags(xml: &str) -> impl Iterator<Item = Tag> + '_ {
    scan(xml).filter_map(|i| match i {
        Item::Open(t) | Item::Empty(t) => Some(t),
        _ => None,
    })
}

// ---- the zip container (APPNOTE.TXT): the central directory, stored and deflated parts ----

struct Entry {
    method: u16,
    flags: u16,
    compressed: usize,
    size: usize,
    header: usize,
}

struct Zip<'a> {
    bytes: &'a [u8],
    entries: HashMap<String, Entry>,
}

fn u16_at(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_le_bytes(b.get(at..at + 2)?.try_into().ok()?))
}

fn u32_at(b: &[u8], at: usize) -> Option<usize> {
    Some(u32::from_le_bytes(b.get(at..at + 4)?.try_into().ok()?) as usize)
}

impl<'a> Zip<'a> {
    fn open(bytes: &'a [u8]) -> Result<Zip<'a>, XlsxError> {
        if !looks_like_xlsx(bytes) || bytes.len() < 22 {
            return Err(XlsxError::NotAWorkbook);
        }
        // The end-of-central-directory record is in the last 22 + 65,535 bytes.
        let from = bytes.len().saturating_sub(22 + 65_535);
        let eocd = (from..=bytes.len() - 22).rev().find(|&i| bytes[i..i + 4] == [0x50, 0x4b, 0x05, 0x06]).ok_or(XlsxError::NotAWorkbook)?;
        let count = u16_at(bytes, eocd + 10).ok_or(XlsxError::NotAWorkbook)? as usize;
        let mut at = u32_at(bytes, eocd + 16).ok_or(XlsxError::NotAWorkbook)?;
        let mut entries = HashMap::new();
        for _ in 0..count {
            if u32_at(bytes, at) != Some(0x0201_4b50) {
                return Err(XlsxError::NotAWorkbook);
            }
            let field = |o| u16_at(bytes, at + o).ok_or(XlsxError::NotAWorkbook);
            let word = |o| u32_at(bytes, at + o).ok_or(XlsxError::NotAWorkbook);
            let (flags, method) = (field(8)?, field(10)?);
            let (compressed, size) = (word(20)?, word(24)?);
            let (name_len, extra_len, comment_len) = (field(28)? as usize, field(30)? as usize, field(32)? as usize);
            let header = word(42)?;
            let name = bytes.get(at + 46..at + 46 + name_len).ok_or(XlsxError::NotAWorkbook)?;
            entries.insert(String::from_utf8_lossy(name).replace('\\', "/"), Entry { method, flags, compressed, size, header });
            at += 46 + name_len + extra_len + comment_len;
        }
        Ok(Zip { bytes, entries })
    }

    /// A part as text, None when the workbook has no such part.
    fn text(&self, name: &str, budget: &mut usize) -> Result<Option<String>, XlsxError> {
        let Some(e) = self.entries.get(name) else { return Ok(None) };
        let corrupt = || XlsxError::Corrupt(name.to_string());
        if e.flags & 1 != 0 {
            return Err(XlsxError::Unsupported);
        }
        let b = self.bytes;
        if u32_at(b, e.header) != Some(0x0403_4b50) {
            return Err(corrupt());
        }
        let start = e.header + 30 + u16_at(b, e.header + 26).ok_or_else(corrupt)? as usize + u16_at(b, e.header + 28).ok_or_else(corrupt)? as usize;
        let data = b.get(start..start.checked_add(e.compressed).ok_or_else(corrupt)?).ok_or_else(corrupt)?;
        let raw = match e.method {
            0 => data.to_vec(),
            8 => {
                let limit = (*budget).min(e.size.max(1).saturating_mul(2));
                miniz_oxide::inflate::decompress_to_vec_with_limit(data, limit).map_err(|err| match err.status {
                    miniz_oxide::inflate::TINFLStatus::HasMoreOutput => XlsxError::TooBig,
                    _ => corrupt(),
                })?
            }
            _ => return Err(XlsxError::Unsupported),
        };
        *budget = budget.checked_sub(raw.len()).ok_or(XlsxError::TooBig)?;
        let text = String::from_utf8(raw).map_err(|_| corrupt())?;
        Ok(Some(text.strip_prefix('\u{feff}').map(str::to_string).unwrap_or(text)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serial_dates_follow_excel() {
        // Day 1 is 1900-01-01; day 59 is 1900-02-28; day 61 is 1900-03-01 (60 is Excel's
        // phantom 29 February); 45,000 is 2023-03-15 (checked in LibreOffice).
        assert_eq!(serial_to_text(1.0, false).unwrap(), "1900-01-01");
        assert_eq!(serial_to_text(59.0, false).unwrap(), "1900-02-28");
        assert_eq!(serial_to_text(61.0, false).unwrap(), "1900-03-01");
        assert_eq!(serial_to_text(45_000.0, false).unwrap(), "2023-03-15");
        // Noon is half a day; the 1904 system counts from 1904-01-01 as day 0.
        assert_eq!(serial_to_text(45_000.5, false).unwrap(), "2023-03-15 12:00:00");
        assert_eq!(serial_to_text(0.0, true).unwrap(), "1904-01-01");
        assert_eq!(serial_to_text(f64::NAN, false), None);
        assert_eq!(serial_to_text(1e12, false), None);
    }

    #[test]
    fn date_formats_are_told_from_number_formats() {
        for code in ["yyyy-mm-dd", "d/m/yy", "yyyy\"年\"m\"月\"d\"日\"", "[h]:mm:ss", "[$-804]yyyy/m/d"] {
            assert!(is_date_format(code), "{code}");
        }
        for code in ["0.00", "#,##0", "\"days\" 0", "[Red]0.0", "0\\d"] {
            assert!(!is_date_format(code), "{code}");
        }
    }

    #[test]
    fn columns_and_entities() {
        assert_eq!(column_of("A1"), Some(0));
        assert_eq!(column_of("Z9"), Some(25));
        assert_eq!(column_of("AA10"), Some(26));
        assert_eq!(column_of("BC12"), Some(54));
        assert_eq!(column_of("ZZZZ1"), None);
        assert_eq!(unescape("A &amp; B &lt;x&gt; &#20844;&#x53F8; & so"), "A & B <x> 公司 & so");
    }

    /// A sheet written by hand: a cell at the far right edge, a repeated column (the last
    /// one wins, as Excel shows it), an inline string, a shared string, a boolean.
    #[test]
    fn a_sheet_is_read_sparse_and_made_as_wide_as_its_header() {
        let strings = vec!["Name".to_string(), "Ann".to_string()];
        let xml = r#"<worksheet><sheetData>
            <row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="inlineStr"><is><t>Won</t></is></c></row>
            <row r="2"><c r="A2" t="s"><v>1</v></c><c r="B2" t="b"><v>1</v></c><c r="XFD2"><v>7</v></c></row>
            <row r="3"><c r="B3"><v>1</v></c><c r="B3"><v>2</v></c></row>
        </sheetData></worksheet>"#;
        let grid = cells(xml, &strings, &[], false);
        assert_eq!(grid[1], [(0, "Ann".to_string()), (1, "TRUE".to_string()), (16_383, "7".to_string())]);
        assert_eq!(dense(grid[2].clone(), 2), ["", "2"]);
        assert_eq!(dense(grid[1].clone(), 2), ["Ann", "TRUE"]);
        assert_eq!(dense(grid[0].clone(), 3), ["Name", "Won", ""]);
    }

    #[test]
    fn not_a_workbook_is_said_so() {
        assert_eq!(read_xlsx(b"name,company\n").err(), Some(XlsxError::NotAWorkbook));
        assert_eq!(read_xlsx(b"PK\x03\x04 cut short").err(), Some(XlsxError::NotAWorkbook));
    }
}
