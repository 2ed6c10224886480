//! Deals from spreadsheets (CSV): read and check the table, guess what each column means
//! (English and Chinese headers), parse dates and amounts the way people write them, and
//! build deals with their stage history. Nothing is created unless every row is valid.

use crate::domain::money::parse_amount;
use crate::domain::{
    from_template, IdGen, Lang, Opportunity, Stage, StageChange, StageKind, Template, Workspace,
};
use chrono::{DateTime, NaiveDate, Utc};
use std::collections::HashMap;
use std::fmt;

#[derive(Clone, Debug, PartialEq)]
pub struct Table {
    pub headers: Vec<String>,
    pub rows: Vec<Vec<String>>,
}

#[derive(Clone, Debug, PartialEq)]
pub enum CsvError {
    NotUtf8 { byte: usize },
    Empty,
    /// 1-based line numbers, as a spreadsheet shows them.
    ColumnCount { line: usize, expected: usize, found: usize },
    Parse { line: usize, message: String },
    /// An Excel workbook that could not be read.
    Spreadsheet(super::xlsx::XlsxError),
}

impl fmt::Display for CsvError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CsvError::NotUtf8 { byte } => write!(
                f,
                "the file is not UTF-8 text (first bad byte at offset {byte}); if it came from Excel in Chinese it is probably GBK: save it as \"CSV UTF-8\""
            ),
            CsvError::Empty => write!(f, "the file has no header row"),
            CsvError::ColumnCount { line, expected, found } => {
                write!(f, "line {line} has {found} columns, the header has {expected}")
            }
            CsvError::Parse { line, message } => write!(f, "line {line}: {message}"),
            CsvError::Spreadsheet(e) => write!(f, "{e}"),
        }
    }
}

/// Reads a whole CSV file (UTF-8, optional BOM). Every row must have the header's width.
pub fn read_table(bytes: &[u8]) -> Result<Table, CsvError> {
    let mut reader = TableReader::new(bytes)?;
    reader.step(usize::MAX)?;
    Ok(reader.finish())
}

/// A CSV file or an Excel workbook (told by its first bytes, not its name): the first
/// sheet of a workbook reads as the table a CSV export of it would give.
pub fn read_spreadsheet(bytes: &[u8]) -> Result<Table, CsvError> {
    if super::xlsx::looks_like_xlsx(bytes) {
        super::xlsx::read_xlsx(bytes).map_err(|e| match e {
            super::xlsx::XlsxError::Empty => CsvError::Empty,
            e => CsvError::Spreadsheet(e),
        })
    } else {
        read_table(bytes)
    }
}

/// The same reading in steps of rows, so a UI can show progress on a large file and keep
/// the page responsive between steps.
pub struct TableReader<'a> {
    reader: csv::Reader<&'a [u8]>,
    total: usize,
    headers: Vec<String>,
    rows: Vec<Vec<String>>,
    record: csv::StringRecord,
    done: bool,
}

impl<'a> TableReader<'a> {
    pub fn new(bytes: &'a [u8]) -> Result<TableReader<'a>, CsvError> {
        let text = std::str::from_utf8(bytes).map_err(|e| CsvError::NotUtf8 { byte: e.valid_up_to() })?;
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let mut reader = csv::ReaderBuilder::new().has_headers(false).flexible(true).from_reader(text.as_bytes());
        let mut record = csv::StringRecord::new();
        let headers: Vec<String> = match reader.read_record(&mut record) {
            Ok(true) => record.iter().map(|h| h.trim().to_string()).collect(),
            Ok(false) => return Err(CsvError::Empty),
            Err(e) => return Err(CsvError::Parse { line: 1, message: e.to_string() }),
        };
        if headers.iter().all(String::is_empty) {
            return Err(CsvError::Empty);
        }
        Ok(TableReader { reader, total: text.len().max(1), headers, rows: Vec::new(), record, done: false })
    }

    /// Reads up to `max_rows` more rows; Ok(true) once the file is read.
    pub fn step(&mut self, max_rows: usize) -> Result<bool, CsvError> {
        let mut read = 0;
        while !self.done && read < max_rows {
            match self.reader.read_record(&mut self.record) {
                Ok(false) => self.done = true,
                Ok(true) => {
                    read += 1;
                    let rec = &self.record;
                    let line = rec.position().map_or(self.rows.len() + 2, |p| p.line() as usize);
                    if rec.iter().all(|c| c.trim().is_empty()) {
                        continue;
                    }
                    if rec.len() != self.headers.len() {
                        return Err(CsvError::ColumnCount { line, expected: self.headers.len(), found: rec.len() });
                    }
                    self.rows.push(rec.iter().map(|c| c.trim().to_string()).collect());
                }
                Err(e) => {
                    return Err(CsvError::Parse { line: e.position().map_or(0, |p| p.line() as usize), message: e.to_string() })
                }
            }
        }
        Ok(self.done)
    }

    /// Share of the file read so far, 0..=1.
    pub fn progress(&self) -> f64 {
        if self.done {
            1.0
        } else {
            (self.reader.position().byte() as f64 / self.total as f64).min(1.0)
        }
    }

    pub fn finish(self) -> Table {
        Table { headers: self.headers, rows: self.rows }
    }
}

/// What a column can mean.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Column {
    Id,
    Title,
    Account,
    Contact,
    Amount,
    Currency,
    Stage,
    Owner,
    Source,
    Created,
    ExpectedClose,
    Tags,
}

const SYNONYMS: &[(Column, &[&str])] = &[
    (Column::Id, &["id", "opportunity_id", "deal id", "opportunity id", "编号", "商机编号"]),
    (Column::Title, &["title", "deal", "deal name", "opportunity", "opportunity name", "name", "商机", "商机名称", "名称", "项目"]),
    (Column::Account, &["account", "company", "customer", "client", "客户", "客户名称", "公司"]),
    (Column::Contact, &["contact", "contact person", "联系人"]),
    (Column::Amount, &["amount", "value", "deal value", "close_value", "金额", "商机金额", "合同金额"]),
    (Column::Currency, &["currency", "币种", "货币"]),
    (Column::Stage, &["stage", "deal_stage", "deal stage", "status", "阶段", "商机阶段", "状态"]),
    (Column::Owner, &["owner", "sales rep", "sales_agent", "sales agent", "rep", "负责人", "销售", "跟进人"]),
    (Column::Source, &["source", "lead source", "channel", "来源", "线索来源", "渠道"]),
    (Column::Created, &["created", "created at", "create date", "created date", "engage_date", "创建日期", "创建时间"]),
    (Column::ExpectedClose, &["expected close", "close date", "close_date", "expected close date", "预计成交日期", "预计成交", "成交日期"]),
    (Column::Tags, &["tags", "tag", "product", "产品", "标签"]),
];

/// Column → index, guessed from the header names (case and spacing ignored).
pub fn guess_mapping(headers: &[String]) -> HashMap<Column, usize> {
    let norm = |s: &str| s.trim().to_lowercase().replace(['_', '-'], " ");
    let mut map = HashMap::new();
    for (i, h) in headers.iter().enumerate() {
        let h = norm(h);
        if let Some((col, _)) = SYNONYMS.iter().find(|(_, names)| names.iter().any(|n| norm(n) == h)) {
            map.entry(*col).or_insert(i);
        }
    }
    map
}

/// How to read dates like 03/05/2024.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DateOrder {
    /// 3/5/2024 is March 5 (US).
    MonthFirst,
    /// 3.5.2024 or 3/5/2024 is 3 May (Europe).
    DayFirst,
}

/// Parses ISO (2024-03-05, with or without time), YYYY/M/D, 2024年3月5日, and M/D/YYYY or
/// D.M.YYYY / D/M/YYYY by `order` (a dot always means day first), within the years
/// 1970–2199 (the range every stored time keeps to).
pub fn parse_date(s: &str, order: DateOrder) -> Option<NaiveDate> {
    parse_any_date(s, order).filter(|d| (1970..2200).contains(&chrono::Datelike::year(d)))
}

fn parse_any_date(s: &str, order: DateOrder) -> Option<NaiveDate> {
    let s = s.trim();
    if s.is_empty() {
        return None;
    }
    let date_part = s.split(['T', ' ']).next().unwrap_or(s);
    if let Some(rest) = s.strip_suffix('日') {
        let (y, rest) = rest.split_once('年')?;
        let (m, d) = rest.split_once('月')?;
        return NaiveDate::from_ymd_opt(y.trim().parse().ok()?, m.trim().parse().ok()?, d.trim().parse().ok()?);
    }
    let parts: Vec<&str> = date_part.split(['-', '/', '.']).collect();
    if parts.len() != 3 || parts.iter().any(|p| p.is_empty() || !p.chars().all(|c| c.is_ascii_digit())) {
        return None;
    }
    let n: Vec<u32> = parts.iter().filter_map(|p| p.parse().ok()).collect();
    if n.len() != 3 {
        return None;
    }
    if parts[0].len() == 4 {
        return NaiveDate::from_ymd_opt(n[0] as i32, n[1], n[2]);
    }
    if parts[2].len() != 4 {
        return None;
    }
    let day_first = date_part.contains('.') || order == DateOrder::DayFirst;
    let (d, m) = if day_first { (n[0], n[1]) } else { (n[1], n[0]) };
    NaiveDate::from_ymd_opt(n[2] as i32, m, d)
}

/// Looks at date samples: the order that parses all of them, and whether both would (then
/// the user must choose; month-first is the default shown).
pub fn detect_date_order<'a>(samples: impl IntoIterator<Item = &'a str>) -> (DateOrder, bool) {
    let samples: Vec<&str> = samples.into_iter().filter(|s| !s.trim().is_empty()).collect();
    let all = |o| samples.iter().all(|s| parse_date(s, o).is_some());
    match (all(DateOrder::MonthFirst), all(DateOrder::DayFirst)) {
        (true, true) => {
            let slash_ambiguous = samples.iter().any(|s| {
                let p: Vec<&str> = s.split('/').collect();
                p.len() == 3 && p[2].len() == 4 && parse_date(s, DateOrder::MonthFirst) != parse_date(s, DateOrder::DayFirst)
            });
            (DateOrder::MonthFirst, slash_ambiguous)
        }
        (false, true) => (DateOrder::DayFirst, false),
        _ => (DateOrder::MonthFirst, false),
    }
}

/// What is wrong with a cell.
#[derive(Clone, Debug, PartialEq)]
pub enum RowProblem {
    NotADate(String),
    NotAnAmount(String),
    UnknownCurrency(String),
    /// A Maven stage other than Prospecting, Engaging, Won or Lost.
    UnknownMavenStage(String),
    NeedsTitle,
    NeedsEngageDate,
    NeedsCloseDate,
    ClosesBeforeEngaged,
    NoStage,
    /// A new stage name past the pipeline's limit of stages.
    TooManyStages { name: String, max: usize },
}

impl fmt::Display for RowProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RowProblem::NotADate(v) => write!(f, "\"{v}\" is not a date"),
            RowProblem::NotAnAmount(v) => write!(f, "\"{v}\" is not an amount"),
            RowProblem::UnknownCurrency(v) => write!(f, "unknown currency \"{v}\""),
            RowProblem::UnknownMavenStage(v) => write!(f, "unknown stage \"{v}\" (expected Prospecting, Engaging, Won or Lost)"),
            RowProblem::NeedsTitle => write!(f, "a deal needs a title (or at least an account)"),
            RowProblem::TooManyStages { name, max } => {
                write!(f, "\"{name}\" would be a new stage, but a pipeline has at most {max} stages: map this column to another meaning or tidy the values")
            }
            RowProblem::NeedsEngageDate => write!(f, "an Engaging, Won or Lost deal needs an engage date"),
            RowProblem::NeedsCloseDate => write!(f, "a Won or Lost deal needs a close date"),
            RowProblem::ClosesBeforeEngaged => write!(f, "closes before it was engaged"),
            RowProblem::NoStage => write!(f, "the pipeline has no stage to put this deal in"),
        }
    }
}

/// A row that could not be imported, with what is wrong and where.
#[derive(Clone, Debug, PartialEq)]
pub struct RowError {
    /// 1-based line in the file (the header is line 1).
    pub line: usize,
    pub column: String,
    pub problem: RowProblem,
}

impl fmt::Display for RowError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}, column \"{}\": {}", self.line, self.column, self.problem)
    }
}

/// True for the Maven Analytics "sales pipeline" sample: its two dates become history.
pub fn is_maven(headers: &[String]) -> bool {
    let want = ["opportunity_id", "sales_agent", "product", "account", "deal_stage", "engage_date", "close_date", "close_value"];
    want.iter().all(|w| headers.iter().any(|h| h.eq_ignore_ascii_case(w)))
}

/// The Maven pipeline: Prospecting → Engaging → Won / Lost. A deal's history is
/// created in Prospecting (at its engage date, or at the file's last date when it has
/// none) → Engaging (engage_date) → Won or Lost (close_date). Lost deals' 0 close value
/// means no amount.
pub fn import_maven(table: &Table, ids: &mut IdGen) -> Result<Workspace, Vec<RowError>> {
    let col = |name: &str| table.headers.iter().position(|h| h.eq_ignore_ascii_case(name)).unwrap_or(0);
    let (c_id, c_agent, c_product, c_account, c_stage, c_engage, c_close, c_value) = (
        col("opportunity_id"),
        col("sales_agent"),
        col("product"),
        col("account"),
        col("deal_stage"),
        col("engage_date"),
        col("close_date"),
        col("close_value"),
    );
    let mut pipeline = from_template(Template::B2b, Lang::En, ids);
    pipeline.name = "Maven sales pipeline".into();
    let template = pipeline.stages.clone();
    let stage = |name: &str, kind: StageKind, like: &Stage, ids: &mut IdGen| Stage {
        id: ids.next_id(),
        name: name.into(),
        kind,
        probability: like.probability,
        description: String::new(),
        entry_criteria: Vec::new(),
        exit_criteria: Vec::new(),
        stuck_after_days: None,
        criteria_required: false,
        archived: false,
        extra: Default::default(),
    };
    pipeline.stages = vec![
        stage("Prospecting", StageKind::Open, &template[0], ids),
        stage("Engaging", StageKind::Open, &template[2], ids),
        Stage { id: ids.next_id(), ..template[4].clone() },
        Stage { id: ids.next_id(), ..template[5].clone() },
    ];
    let sid: Vec<_> = pipeline.stages.iter().map(|s| s.id.clone()).collect();
    let date = |s: &str| parse_date(s, DateOrder::MonthFirst).and_then(|d| d.and_hms_opt(0, 0, 0)).map(|t| t.and_utc());
    let last_date = table
        .rows
        .iter()
        .flat_map(|r| [date(&r[c_engage]), date(&r[c_close])])
        .flatten()
        .max()
        .unwrap_or(DateTime::<Utc>::UNIX_EPOCH);
    let mut errors = Vec::new();
    let mut deals = Vec::with_capacity(table.rows.len());
    let mut events = Vec::with_capacity(table.rows.len() * 3);
    for (i, r) in table.rows.iter().enumerate() {
        let line = i + 2;
        let err = |column: usize, problem: RowProblem| RowError { line, column: table.headers[column].clone(), problem };
        let target = match r[c_stage].as_str() {
            "Prospecting" => 0,
            "Engaging" => 1,
            "Won" => 2,
            "Lost" => 3,
            other => {
                errors.push(err(c_stage, RowProblem::UnknownMavenStage(other.to_string())));
                continue;
            }
        };
        let engage = date(&r[c_engage]);
        let close = date(&r[c_close]);
        if !r[c_engage].is_empty() && engage.is_none() {
            errors.push(err(c_engage, RowProblem::NotADate(r[c_engage].clone())));
            continue;
        }
        if !r[c_close].is_empty() && close.is_none() {
            errors.push(err(c_close, RowProblem::NotADate(r[c_close].clone())));
            continue;
        }
        if target >= 1 && engage.is_none() {
            errors.push(err(c_engage, RowProblem::NeedsEngageDate));
            continue;
        }
        if target >= 2 && close.is_none() {
            errors.push(err(c_close, RowProblem::NeedsCloseDate));
            continue;
        }
        if let (Some(e), Some(c)) = (engage, close) {
            if c < e {
                errors.push(err(c_close, RowProblem::ClosesBeforeEngaged));
                continue;
            }
        }
        let amount = match parse_amount(&r[c_value]) {
            Ok(Some(0)) | Ok(None) => None,
            Ok(Some(a)) => Some(a),
            Err(_) => {
                errors.push(err(c_value, RowProblem::NotAnAmount(r[c_value].clone())));
                continue;
            }
        };
        let id = ids.next_id();
        let created = engage.unwrap_or(last_date);
        let mut push = |from: Option<usize>, to: usize, at: DateTime<Utc>| {
            events.push(StageChange {
                id: ids.next_id(),
                opportunity: id.clone(),
                from: from.map(|f| sid[f].clone()),
                to: sid[to].clone(),
                at,
                note: String::new(),
                // The file's order, so same-day steps keep it (created, then engaged).
                seq: events.len() as u64 + 1,
                criteria: Vec::new(),
            })
        };
        push(None, 0, created);
        if target >= 1 {
            push(Some(0), 1, created);
        }
        if target >= 2 {
            push(Some(1), target, close.unwrap_or(created));
        }
        let account = r[c_account].clone();
        let product = r[c_product].clone();
        deals.push(Opportunity {
            id,
            pipeline: pipeline.id.clone(),
            title: if account.is_empty() { format!("{} ({})", product, r[c_id]) } else { format!("{account} · {product}") },
            account,
            contact: String::new(),
            amount,
            currency: "USD".into(),
            owner: r[c_agent].clone(),
            source: String::new(),
            created_at: created,
            updated_at: close.unwrap_or(created),
            expected_close: None,
            stage: sid[target].clone(),
            lost_reason: String::new(),
            notes: format!("Maven opportunity {}", r[c_id]),
            tags: if product.is_empty() { Vec::new() } else { vec![product] },
            forecast_category: Default::default(),
            field_times: Default::default(),
            device: "import".into(),
            account_id: None,
            contact_id: None,
            deleted_at: None,
            purged: false,
            probability: None,
            probability_reason: String::new(),
            extra: Default::default(),
        });
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(Workspace::from_records(vec![pipeline], deals, events))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_utf8_with_bom_and_checks_widths() {
        let t = read_table("\u{feff}客户,金额\n甲公司,\"1,200\"\n乙公司,300\n".as_bytes()).unwrap();
        assert_eq!(t.headers, vec!["客户", "金额"]);
        assert_eq!(t.rows[0], vec!["甲公司", "1,200"]);
        assert_eq!(read_table(b"a,b\n1,2\n3\n"), Err(CsvError::ColumnCount { line: 3, expected: 2, found: 1 }));
        // "客户" in GBK is C3 CE BB A7: not UTF-8.
        assert!(matches!(read_table(&[0xC3, 0xCE, 0xBB, 0xA7, b'\n']), Err(CsvError::NotUtf8 { byte: 0 })));
        assert!(read_table(&[0xC3, 0xCE, 0xBB, 0xA7]).unwrap_err().to_string().contains("GBK"));
        assert_eq!(read_table(b""), Err(CsvError::Empty));
    }

    #[test]
    fn reading_in_steps_gives_the_same_table_and_rising_progress() {
        let mut text = String::from("a,b\n");
        for i in 0..1000 {
            text.push_str(&format!("{i},\"x, {i}\"\n"));
        }
        let whole = read_table(text.as_bytes()).unwrap();
        let mut r = TableReader::new(text.as_bytes()).unwrap();
        let mut last = 0.0;
        while !r.step(70).unwrap() {
            assert!(r.progress() >= last && r.progress() < 1.0);
            last = r.progress();
        }
        assert_eq!(r.progress(), 1.0);
        assert_eq!(r.finish(), whole);
        assert_eq!(whole.rows.len(), 1000);
    }

    #[test]
    fn guesses_columns_in_english_and_chinese() {
        let h: Vec<String> = ["客户", "金额", "阶段", "负责人", "Deal Name", "Close Date", "来源"].iter().map(|s| s.to_string()).collect();
        let m = guess_mapping(&h);
        assert_eq!(m[&Column::Account], 0);
        assert_eq!(m[&Column::Amount], 1);
        assert_eq!(m[&Column::Stage], 2);
        assert_eq!(m[&Column::Owner], 3);
        assert_eq!(m[&Column::Title], 4);
        assert_eq!(m[&Column::ExpectedClose], 5);
        assert_eq!(m[&Column::Source], 6);
    }

    #[test]
    fn parses_the_common_date_formats() {
        let d = |y, m, dd| NaiveDate::from_ymd_opt(y, m, dd);
        assert_eq!(parse_date("2024-03-05", DateOrder::MonthFirst), d(2024, 3, 5));
        assert_eq!(parse_date("2024-03-05T10:00:00Z", DateOrder::MonthFirst), d(2024, 3, 5));
        assert_eq!(parse_date("2024/3/5", DateOrder::DayFirst), d(2024, 3, 5));
        assert_eq!(parse_date("2024年3月5日", DateOrder::MonthFirst), d(2024, 3, 5));
        assert_eq!(parse_date("3/5/2024", DateOrder::MonthFirst), d(2024, 3, 5));
        assert_eq!(parse_date("3/5/2024", DateOrder::DayFirst), d(2024, 5, 3));
        assert_eq!(parse_date("5.3.2024", DateOrder::MonthFirst), d(2024, 3, 5), "a dot means day first");
        assert_eq!(parse_date("2024-02-30", DateOrder::MonthFirst), None);
        assert_eq!(parse_date("yesterday", DateOrder::MonthFirst), None);
        assert_eq!(parse_date("13/13/2024", DateOrder::MonthFirst), None);
    }

    #[test]
    fn date_order_is_detected_and_ambiguity_reported() {
        assert_eq!(detect_date_order(["3/5/2024", "12/25/2024"]), (DateOrder::MonthFirst, false));
        assert_eq!(detect_date_order(["3/5/2024", "25/12/2024"]), (DateOrder::DayFirst, false));
        assert_eq!(detect_date_order(["3/5/2024", "4/6/2024"]), (DateOrder::MonthFirst, true));
        assert_eq!(detect_date_order(["2024-03-05"]), (DateOrder::MonthFirst, false));
    }

    #[test]
    fn maven_rows_become_history_and_bad_rows_are_reported_by_line() {
        let text = "opportunity_id,sales_agent,product,account,deal_stage,engage_date,close_date,close_value\n\
                    A1,Ann,GTX,Acme,Won,2017-01-02,2017-02-01,1054\n\
                    A2,Bob,MG,,Lost,2017-01-03,2017-01-20,0\n\
                    A3,Ann,GTX,Beta,Engaging,2017-03-01,,\n\
                    A4,Bob,GTX,Gamma,Prospecting,,,\n";
        let t = read_table(text.as_bytes()).unwrap();
        assert!(is_maven(&t.headers));
        let ws = import_maven(&t, &mut IdGen::new(1)).unwrap();
        assert_eq!(ws.deals.len(), 4);
        let names: Vec<&str> = ws.pipelines[0].stages.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(names, ["Prospecting", "Engaging", "Won", "Lost"]);
        let p = &ws.pipelines[0];
        let stage_of = |i: usize| p.stage(&ws.deals[i].stage).unwrap().name.clone();
        assert_eq!([stage_of(0), stage_of(1), stage_of(2), stage_of(3)], ["Won", "Lost", "Engaging", "Prospecting"]);
        assert_eq!(ws.deals[0].amount, Some(105_400));
        assert_eq!(ws.deals[1].amount, None, "Lost deals' 0 is no amount");
        assert_eq!(ws.history(&ws.deals[0].id).len(), 3);
        assert_eq!(ws.deals[3].created_at.date_naive(), NaiveDate::from_ymd_opt(2017, 3, 1).unwrap(), "undated: the file's last date");

        let bad = text.replace("2017-02-01,1054", "2016-12-01,1054").replace("A4,Bob,GTX,Gamma,Prospecting", "A4,Bob,GTX,Gamma,Maybe");
        let errs = import_maven(&read_table(bad.as_bytes()).unwrap(), &mut IdGen::new(1)).unwrap_err();
        assert_eq!(errs.len(), 2);
        assert_eq!((errs[0].line, errs[0].column.as_str()), (2, "close_date"));
        assert_eq!((errs[1].line, errs[1].column.as_str()), (5, "deal_stage"));
        assert!(errs[1].to_string().contains("unknown stage \"Maybe\""));
    }
}

/// How to read a general spreadsheet: which column means what, how dates are written, and
/// the currency for amounts that do not say.
#[derive(Clone, Debug, PartialEq)]
pub struct CsvPlan {
    pub mapping: HashMap<Column, usize>,
    pub date_order: DateOrder,
    pub currency: String,
}

/// Deals read from a general spreadsheet into an existing pipeline.
#[derive(Clone, Debug, PartialEq)]
pub struct GenericImport {
    /// The pipeline, with stages added for stage names it did not have.
    pub pipeline: crate::domain::Pipeline,
    pub new_stages: Vec<String>,
    pub deals: Vec<Opportunity>,
    pub events: Vec<StageChange>,
}

fn won_or_lost(name: &str) -> Option<StageKind> {
    let n = name.trim().to_lowercase();
    if ["won", "closed won", "win", "赢单", "成交", "已成交"].contains(&n.as_str()) {
        Some(StageKind::Won)
    } else if ["lost", "closed lost", "lose", "输单", "丢单", "已输单"].contains(&n.as_str()) {
        Some(StageKind::Lost)
    } else {
        None
    }
}

/// Reads every row with `plan` into `pipeline`; all problems are reported, with line and
/// column, and nothing is returned unless every row is valid. Stage names are matched to
/// the pipeline's stages (ignoring case; "won"/"赢单"… find the Won stage); unknown names
/// become new open stages before Won and Lost.
pub fn import_generic(
    table: &Table,
    plan: &CsvPlan,
    pipeline: &crate::domain::Pipeline,
    now: DateTime<Utc>,
    ids: &mut IdGen,
) -> Result<GenericImport, Vec<RowError>> {
    let get = |row: &[String], c: Column| plan.mapping.get(&c).and_then(|&i| row.get(i)).map(|s| s.trim().to_string()).unwrap_or_default();
    let header = |c: Column| plan.mapping.get(&c).and_then(|&i| table.headers.get(i)).cloned().unwrap_or_default();
    let mut p = pipeline.clone();
    let mut new_stages = Vec::new();
    let mut errors = Vec::new();
    let mut deals = Vec::new();
    let mut events = Vec::new();
    let first_open = p.first_open_stage().map(|s| s.id.clone());
    for (i, row) in table.rows.iter().enumerate() {
        let line = i + 2;
        let mut row_errors = Vec::new();
        let mut err = |c: Column, problem: RowProblem| row_errors.push(RowError { line, column: header(c), problem });
        let title = match (get(row, Column::Title), get(row, Column::Account)) {
            (t, _) if !t.is_empty() => t,
            (_, a) if !a.is_empty() => a,
            _ => {
                err(Column::Title, RowProblem::NeedsTitle);
                String::new()
            }
        };
        let amount = parse_amount(&get(row, Column::Amount)).unwrap_or_else(|_| {
            err(Column::Amount, RowProblem::NotAnAmount(get(row, Column::Amount)));
            None
        });
        let currency = match get(row, Column::Currency).to_uppercase() {
            c if c.is_empty() => plan.currency.clone(),
            c if crate::domain::money::CURRENCIES.contains(&c.as_str()) => c,
            c => {
                err(Column::Currency, RowProblem::UnknownCurrency(c.clone()));
                plan.currency.clone()
            }
        };
        let date = |c: Column, err: &mut dyn FnMut(Column, RowProblem)| {
            let raw = get(row, c);
            if raw.is_empty() {
                return None;
            }
            let d = parse_date(&raw, plan.date_order);
            if d.is_none() {
                err(c, RowProblem::NotADate(raw.clone()));
            }
            d
        };
        let created = date(Column::Created, &mut err).and_then(|d| d.and_hms_opt(0, 0, 0)).map(|t| t.and_utc()).unwrap_or(now);
        let expected_close = date(Column::ExpectedClose, &mut err);
        let stage_name = get(row, Column::Stage);
        let known = p.active_stages().find(|s| s.name.eq_ignore_ascii_case(&stage_name)).map(|s| s.id.clone());
        let terminal = won_or_lost(&stage_name).and_then(|k| p.active_stages().find(|s| s.kind == k).map(|s| s.id.clone()));
        let stage = if stage_name.is_empty() {
            first_open.clone()
        } else if known.is_some() {
            known
        } else if terminal.is_some() {
            terminal
        } else if p.stages.len() >= crate::domain::MAX_STAGES {
            // Hundreds of distinct values are not stages (a Status column of free text):
            // refuse instead of building a board nobody can use.
            err(Column::Stage, RowProblem::TooManyStages { name: stage_name.clone(), max: crate::domain::MAX_STAGES });
            errors.extend(row_errors);
            continue;
        } else {
            let id = ids.next_id();
            p.insert_open_stage(id.clone(), stage_name.clone());
            new_stages.push(stage_name.clone());
            Some(id)
        };
        let Some(stage) = stage else {
            err(Column::Stage, RowProblem::NoStage);
            errors.extend(row_errors);
            continue;
        };
        if !row_errors.is_empty() {
            errors.extend(row_errors);
            continue;
        }
        let id = ids.next_id();
        events.push(StageChange { id: ids.next_id(), opportunity: id.clone(), from: None, to: stage.clone(), at: created, note: String::new(), seq: events.len() as u64 + 1, criteria: Vec::new() });
        let tags = get(row, Column::Tags).split([',', '，']).map(str::trim).filter(|t| !t.is_empty()).map(str::to_string).collect();
        deals.push(Opportunity {
            id,
            pipeline: p.id.clone(),
            title,
            account: get(row, Column::Account),
            contact: get(row, Column::Contact),
            amount,
            currency,
            owner: get(row, Column::Owner),
            source: get(row, Column::Source),
            created_at: created,
            updated_at: now,
            expected_close,
            stage,
            lost_reason: String::new(),
            notes: String::new(),
            tags,
            forecast_category: Default::default(),
            field_times: Default::default(),
            device: "import".into(),
            account_id: None,
            contact_id: None,
            deleted_at: None,
            purged: false,
            probability: None,
            probability_reason: String::new(),
            extra: Default::default(),
        });
    }
    if errors.is_empty() {
        Ok(GenericImport { pipeline: p, new_stages, deals, events })
    } else {
        Err(errors)
    }
}

#[cfg(test)]
mod generic_tests {
    use super::*;
    use crate::domain::Template;
    use chrono::TimeZone;

    #[test]
    fn a_chinese_spreadsheet_imports_with_guessed_columns_and_new_stages() {
        let text = "商机名称,客户,金额,阶段,负责人,创建日期,预计成交日期\n\
                    ERP 二期,甲公司,\"¥1,200,000\",需求分析,王芳,2024年3月5日,2024/6/30\n\
                    云迁移,乙公司,80000.50,赢单,李强,2024-01-02,\n\
                    培训,丙公司,,试用中,王芳,,\n";
        let t = read_table(text.as_bytes()).unwrap();
        let mut ids = IdGen::new(3);
        let p = from_template(Template::B2b, Lang::Zh, &mut ids);
        let plan = CsvPlan { mapping: guess_mapping(&t.headers), date_order: DateOrder::MonthFirst, currency: "CNY".into() };
        let now = chrono::Utc.with_ymd_and_hms(2024, 7, 1, 0, 0, 0).unwrap();
        let out = import_generic(&t, &plan, &p, now, &mut ids).unwrap();
        assert_eq!(out.deals.len(), 3);
        assert_eq!(out.deals[0].amount, Some(120_000_000));
        assert_eq!(out.deals[0].created_at.date_naive(), NaiveDate::from_ymd_opt(2024, 3, 5).unwrap());
        assert_eq!(out.deals[0].expected_close, NaiveDate::from_ymd_opt(2024, 6, 30));
        let stage = |i: usize| out.pipeline.stage(&out.deals[i].stage).unwrap().name.clone();
        assert_eq!([stage(0), stage(1), stage(2)], ["需求分析", "赢单", "试用中"]);
        assert_eq!(out.new_stages, vec!["试用中"]);
        // The new stage goes before Won and Lost.
        let names: Vec<&str> = out.pipeline.stages.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(names[4..], ["试用中", "赢单", "输单"]);
        assert_eq!(out.deals[2].created_at, now);
    }

    #[test]
    fn every_bad_cell_is_reported_and_nothing_imported() {
        let text = "Deal,Amount,Close date,Currency\n,12x,31/31/2024,XYZ\nOK,5,,\n";
        let t = read_table(text.as_bytes()).unwrap();
        let mut ids = IdGen::new(3);
        let p = from_template(Template::B2b, Lang::En, &mut ids);
        let plan = CsvPlan { mapping: guess_mapping(&t.headers), date_order: DateOrder::DayFirst, currency: "USD".into() };
        let errs = import_generic(&t, &plan, &p, chrono::Utc::now(), &mut ids).unwrap_err();
        let cols: Vec<&str> = errs.iter().map(|e| e.column.as_str()).collect();
        assert_eq!(cols, ["Deal", "Amount", "Currency", "Close date"]);
        assert!(errs.iter().all(|e| e.line == 2));
    }
}

/// Lead columns recognised by header, English and Chinese (线索 / 公司 / 电话 / 来源 …).
const LEAD_HEADERS: [(&str, &[&str]); 8] = [
    ("name", &["name", "lead", "contact", "contact name", "full name", "姓名", "线索", "线索名称", "联系人", "客户姓名"]),
    ("company", &["company", "account", "organisation", "organization", "公司", "公司名称", "企业", "企业名称", "单位"]),
    ("email", &["email", "e-mail", "email address", "邮箱", "电子邮件", "电子邮箱"]),
    ("phone", &["phone", "mobile", "telephone", "phone number", "电话", "手机", "手机号", "联系电话", "电话号码"]),
    ("source", &["source", "lead source", "channel", "来源", "线索来源", "渠道"]),
    ("notes", &["notes", "note", "comment", "comments", "remarks", "备注", "说明"]),
    ("owner", &["owner", "assigned to", "sales rep", "负责人", "销售", "跟进人"]),
    ("created", &["created", "created at", "created time", "created date", "date", "创建时间", "创建日期", "录入时间", "日期", "时间"]),
];

/// Which column of `headers` holds each lead field (by the names above, case and spaces
/// ignored); None for fields the file does not have.
pub fn lead_columns(headers: &[String]) -> [Option<usize>; 8] {
    let norm = |s: &str| s.trim().trim_start_matches('\u{feff}').to_lowercase().replace(['_', '-'], " ");
    let mut out = [None; 8];
    for (i, (_, names)) in LEAD_HEADERS.iter().enumerate() {
        out[i] = headers.iter().position(|h| names.iter().any(|n| norm(h) == norm(n)));
    }
    out
}

/// Leads from a spreadsheet: one draft per row (blank rows skipped), with its number among
/// the data rows (1-based). None when no column is recognisable as a name or a company.
pub fn leads_from_table(table: &Table) -> Option<Vec<(usize, crate::domain::LeadDraft)>> {
    let cols = lead_columns(&table.headers);
    if cols[0].is_none() && cols[1].is_none() {
        return None;
    }
    let get = |row: &Vec<String>, i: usize| cols[i].and_then(|c| row.get(c)).map(|s| s.trim().to_string()).unwrap_or_default();
    Some(
        table
            .rows
            .iter()
            .enumerate()
            .filter(|(_, r)| r.iter().any(|c| !c.trim().is_empty()))
            .map(|(i, r)| {
                let d = crate::domain::LeadDraft {
                    name: get(r, 0),
                    company: get(r, 1),
                    email: get(r, 2),
                    phone: get(r, 3),
                    source: get(r, 4),
                    notes: get(r, 5),
                    owner: get(r, 6),
                    created: get(r, 7),
                };
                (i + 1, d)
            })
            .collect(),
    )
}

#[cfg(test)]
mod lead_tests {
    use super::*;

    #[test]
    fn a_chinese_lead_sheet_is_read_by_its_headers() {
        let csv = "\u{feff}线索,公司,电话,邮箱,来源,备注\n王芳,杭州云帆科技有限公司,13912345678,wf@yunfan.cn,展会,想要演示\n,,,,,\n李雷,蓝河食品,+86 138 0013 8000,,官网,\n";
        let t = read_table(csv.as_bytes()).unwrap();
        let leads = leads_from_table(&t).unwrap();
        assert_eq!(leads.len(), 2, "the blank row is skipped");
        assert_eq!(leads[0].0, 1);
        assert_eq!((leads[0].1.name.as_str(), leads[0].1.company.as_str(), leads[0].1.source.as_str()), ("王芳", "杭州云帆科技有限公司", "展会"));
        assert_eq!((leads[1].0, leads[1].1.phone.as_str()), (2, "+86 138 0013 8000"));
        let none = read_table("amount,stage\n1,2\n".as_bytes()).unwrap();
        assert_eq!(leads_from_table(&none), None);
    }
}
