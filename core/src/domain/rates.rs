//! Exchange rates: a reporting currency and dated rates, entered by hand or imported from
//! CSV (nothing is fetched). With a reporting currency set, board totals, the analytics
//! and the forecast add every deal's amount converted into it.
//!
//! Which rate a figure uses: a rate dated D is in effect from D (00:00 UTC) until the
//! currency's next dated rate. A won or lost deal converts at the rate in effect on the day
//! it closed, an open deal at the rate in effect on the report's date, so a report about a
//! past date never uses a rate dated after it. A deal whose currency has no rate in effect
//! on that day is not converted and the figures say how many were left out.
//!
//! Rates are exact decimals (up to 10 places) stored as text, so a rate typed as 0.1385
//! is 0.1385 everywhere, and a converted amount is rounded half away from zero to the
//! minor unit once per deal.

use super::error::DomainError;
use super::money::CURRENCIES;
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Places a rate keeps after the decimal point.
pub const RATE_DECIMALS: u32 = 10;
const SCALE: i128 = 10_000_000_000;
/// Largest rate accepted: 100 million reporting units for one unit (more is a typo).
const MAX_UNITS: i64 = 100_000_000 * SCALE as i64;

/// One unit of a currency in reporting-currency units, as an exact decimal (10 places).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RateValue(i64);

impl RateValue {
    /// "1.0832", " 0.1385 ", "16,250.5" (commas group thousands). Refuses zero, negative,
    /// more than 10 decimals and rates above 100,000,000.
    pub fn parse(text: &str) -> Result<RateValue, DomainError> {
        let bad = || DomainError::RateNotANumber(text.trim().to_string());
        let t: String = text.trim().chars().filter(|c| !matches!(c, ',' | ' ' | '\u{a0}' | '_')).collect();
        if t.starts_with('-') {
            return Err(DomainError::RateNotPositive(text.trim().to_string()));
        }
        let (whole, frac) = t.split_once('.').unwrap_or((t.as_str(), ""));
        let digits = |s: &str| s.chars().all(|c| c.is_ascii_digit());
        if (whole.is_empty() && frac.is_empty()) || !digits(whole) || !digits(frac) {
            return Err(bad());
        }
        if frac.len() > RATE_DECIMALS as usize {
            return Err(DomainError::RateTooPrecise(text.trim().to_string()));
        }
        let too_large = || DomainError::RateTooLarge(text.trim().to_string());
        let whole = whole.trim_start_matches('0');
        if whole.len() > 12 {
            return Err(too_large());
        }
        let w: i128 = if whole.is_empty() { 0 } else { whole.parse().map_err(|_| too_large())? };
        let f: i128 = if frac.is_empty() { 0 } else { frac.parse::<i128>().map_err(|_| bad())? * 10i128.pow(RATE_DECIMALS - frac.len() as u32) };
        let units = w * SCALE + f;
        if units == 0 {
            return Err(DomainError::RateNotPositive(text.trim().to_string()));
        }
        if units > i128::from(MAX_UNITS) {
            return Err(too_large());
        }
        Ok(RateValue(units as i64))
    }

    /// The shortest exact text: "1.0832", "7", "0.0067".
    pub fn text(self) -> String {
        let (w, f) = (i128::from(self.0) / SCALE, i128::from(self.0) % SCALE);
        if f == 0 {
            return w.to_string();
        }
        let frac = format!("{f:010}");
        format!("{w}.{}", frac.trim_end_matches('0'))
    }

    /// `minor` units of the currency in reporting minor units, rounded half away from zero.
    /// (Amounts are hundredths in every currency, so the rate applies as it is.)
    pub fn convert(self, minor: i64) -> i64 {
        let x = i128::from(minor) * i128::from(self.0);
        let r = if x >= 0 { (x + SCALE / 2) / SCALE } else { (x - SCALE / 2) / SCALE };
        r.clamp(i128::from(i64::MIN), i128::from(i64::MAX)) as i64
    }

    /// The rate as a float, for display arithmetic only.
    pub fn as_f64(self) -> f64 {
        self.0 as f64 / SCALE as f64
    }
}

impl Serialize for RateValue {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.text())
    }
}

impl<'de> Deserialize<'de> for RateValue {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        RateValue::parse(&text).map_err(|_| serde::de::Error::custom(format!("not an exchange rate: {text:?}")))
    }
}

/// One unit of `currency` was worth `rate` units of the reporting currency from `on`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rate {
    pub currency: String,
    pub on: NaiveDate,
    pub rate: RateValue,
}

/// The workspace's reporting currency and rate table.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExchangeRates {
    /// Empty: no conversion (figures use the most common currency, as before).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub reporting: String,
    /// Sorted by currency, then date; one rate per currency and date.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub rates: Vec<Rate>,
    /// When the table was last changed: merging two copies keeps the later table.
    #[serde(default, with = "super::time::utc_opt", skip_serializing_if = "Option::is_none")]
    pub updated_at: Option<DateTime<Utc>>,
}

impl ExchangeRates {
    pub fn is_empty(&self) -> bool {
        self.reporting.is_empty() && self.rates.is_empty()
    }

    /// Whether figures are converted (a reporting currency is set).
    pub fn is_on(&self) -> bool {
        !self.reporting.is_empty()
    }

    /// This currency's rates, oldest first.
    pub fn series(&self, currency: &str) -> &[Rate] {
        let from = self.rates.partition_point(|r| r.currency.as_str() < currency);
        let to = self.rates.partition_point(|r| r.currency.as_str() <= currency);
        &self.rates[from..to]
    }

    /// The rate in effect for `currency` on `day` (the latest dated on or before it), with
    /// its index in `rates`. None for the reporting currency itself (no rate needed) and
    /// when no rate is in effect yet.
    pub fn rate_on(&self, currency: &str, day: NaiveDate) -> Option<(usize, &Rate)> {
        let from = self.rates.partition_point(|r| r.currency.as_str() < currency);
        let series = self.series(currency);
        let n = series.partition_point(|r| r.on <= day);
        (n > 0).then(|| (from + n - 1, &series[n - 1]))
    }

    /// `minor` of `currency` in the reporting currency on `day`; None when it cannot be
    /// converted (conversion off, or no rate in effect).
    pub fn convert(&self, minor: i64, currency: &str, day: NaiveDate) -> Option<i64> {
        if !self.is_on() {
            return None;
        }
        if currency == self.reporting {
            return Some(minor);
        }
        self.rate_on(currency, day).map(|(_, r)| r.rate.convert(minor))
    }

    /// The rate in effect on `day` for each currency that has one, by currency.
    pub fn in_effect(&self, day: NaiveDate) -> Vec<&Rate> {
        let mut out: Vec<&Rate> = Vec::new();
        for r in self.rates.iter().filter(|r| r.on <= day) {
            match out.last_mut() {
                Some(last) if last.currency == r.currency => *last = r,
                _ => out.push(r),
            }
        }
        out
    }

    /// Sorted, one rate per (currency, date): a later entry for the same day replaces an
    /// earlier one. Checks every code and that no rate is given for the reporting currency.
    pub fn normalized(mut self) -> Result<ExchangeRates, DomainError> {
        self.reporting = self.reporting.trim().to_uppercase();
        if !self.reporting.is_empty() && !CURRENCIES.contains(&self.reporting.as_str()) {
            return Err(DomainError::UnknownCurrency(self.reporting));
        }
        let mut kept: Vec<Rate> = Vec::with_capacity(self.rates.len());
        for mut r in std::mem::take(&mut self.rates) {
            r.currency = r.currency.trim().to_uppercase();
            if !CURRENCIES.contains(&r.currency.as_str()) {
                return Err(DomainError::UnknownCurrency(r.currency));
            }
            if r.currency == self.reporting {
                return Err(DomainError::RateForReporting(r.currency));
            }
            kept.retain(|k| !(k.currency == r.currency && k.on == r.on));
            kept.push(r);
        }
        kept.sort_by(|a, b| (&a.currency, a.on).cmp(&(&b.currency, b.on)));
        self.rates = kept;
        Ok(self)
    }
}

/// Reads a rate table: one rate per line, `currency,date,rate` (a header naming the
/// columns may put them in any order: currency/货币, date/日期, rate/汇率). Dates are
/// YYYY-MM-DD. Every bad line is reported with its number (1-based, counting the header);
/// nothing is taken unless every line is good.
pub fn parse_rates_csv(text: &str) -> Result<Vec<Rate>, Vec<(usize, DomainError)>> {
    let text = text.trim_start_matches('\u{feff}');
    let mut lines = text.lines().enumerate().filter(|(_, l)| !l.trim().is_empty()).peekable();
    let split = |l: &str| -> Vec<String> {
        let sep = if l.contains('\t') { '\t' } else if l.contains(';') && !l.contains(',') { ';' } else { ',' };
        // A rate may group thousands with commas only when quoted: "16,250.5".
        let mut cells = Vec::new();
        let (mut cur, mut quoted) = (String::new(), false);
        for c in l.chars() {
            match c {
                '"' => quoted = !quoted,
                c if c == sep && !quoted => cells.push(std::mem::take(&mut cur)),
                c => cur.push(c),
            }
        }
        cells.push(cur);
        cells.into_iter().map(|c| c.trim().to_string()).collect()
    };
    let mut cols = (0usize, 1usize, 2usize);
    if let Some((_, first)) = lines.peek() {
        let cells: Vec<String> = split(first).iter().map(|c| c.to_lowercase()).collect();
        let find = |names: &[&str]| cells.iter().position(|c| names.contains(&c.as_str()));
        if let (Some(c), Some(d), Some(r)) =
            (find(&["currency", "code", "货币", "币种"]), find(&["date", "on", "日期"]), find(&["rate", "汇率"]))
        {
            cols = (c, d, r);
            lines.next();
        }
    }
    let (mut rates, mut errors) = (Vec::new(), Vec::new());
    for (i, line) in lines {
        let cells = split(line);
        let cell = |k: usize| cells.get(k).map(String::as_str).unwrap_or("");
        let currency = cell(cols.0).to_uppercase();
        if !CURRENCIES.contains(&currency.as_str()) {
            errors.push((i + 1, DomainError::UnknownCurrency(cell(cols.0).to_string())));
            continue;
        }
        let Ok(on) = NaiveDate::parse_from_str(cell(cols.1), "%Y-%m-%d") else {
            errors.push((i + 1, DomainError::InvalidDate(cell(cols.1).to_string())));
            continue;
        };
        match RateValue::parse(cell(cols.2)) {
            Ok(rate) => rates.push(Rate { currency, on, rate }),
            Err(e) => errors.push((i + 1, e)),
        }
    }
    if errors.is_empty() { Ok(rates) } else { Err(errors) }
}

/// The rate table as CSV, readable by `parse_rates_csv`.
pub fn rates_csv(rates: &ExchangeRates) -> String {
    let mut out = String::from("currency,date,rate\n");
    for r in &rates.rates {
        out.push_str(&format!("{},{},{}\n", r.currency, r.on, r.rate.text()));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    fn rate(c: &str, on: &str, r: &str) -> Rate {
        Rate { currency: c.into(), on: day(on), rate: RateValue::parse(r).unwrap() }
    }

    #[test]
    fn rates_are_exact_decimals() {
        assert_eq!(RateValue::parse("1.0832").unwrap().text(), "1.0832");
        assert_eq!(RateValue::parse(" 7 ").unwrap().text(), "7");
        assert_eq!(RateValue::parse("0.0067").unwrap().text(), "0.0067");
        assert_eq!(RateValue::parse("16,250.5").unwrap().text(), "16250.5");
        assert_eq!(RateValue::parse("0.0000000001").unwrap().text(), "0.0000000001");
        assert_eq!(RateValue::parse("0"), Err(DomainError::RateNotPositive("0".into())));
        assert_eq!(RateValue::parse("-1.2"), Err(DomainError::RateNotPositive("-1.2".into())));
        assert_eq!(RateValue::parse("abc"), Err(DomainError::RateNotANumber("abc".into())));
        assert_eq!(RateValue::parse("1.2.3"), Err(DomainError::RateNotANumber("1.2.3".into())));
        assert_eq!(RateValue::parse("0.00000000001"), Err(DomainError::RateTooPrecise("0.00000000001".into())));
        assert_eq!(RateValue::parse("100000001"), Err(DomainError::RateTooLarge("100000001".into())));
        assert!(RateValue::parse("100000000").is_ok());
    }

    /// By hand: €1,234.56 at 1.0832 = 1,337.275392 → $1,337.28; ¥8,000 at 0.1385 = $1,108;
    /// JP¥1,000,000 at 0.0067 = $6,700; 0.05 at 0.1 = 0.005 → 0.01 (half away from zero).
    #[test]
    fn conversion_rounds_once_half_away_from_zero() {
        assert_eq!(RateValue::parse("1.0832").unwrap().convert(123_456), 133_728);
        assert_eq!(RateValue::parse("0.1385").unwrap().convert(800_000), 110_800);
        assert_eq!(RateValue::parse("0.0067").unwrap().convert(100_000_000), 670_000);
        assert_eq!(RateValue::parse("0.1").unwrap().convert(5), 1);
        assert_eq!(RateValue::parse("0.1").unwrap().convert(-5), -1);
        assert_eq!(RateValue::parse("0.1").unwrap().convert(4), 0);
    }

    /// A rate is in effect from its date until the currency's next one; before the first
    /// rate nothing converts; the reporting currency needs none.
    #[test]
    fn the_rate_in_effect_is_the_latest_on_or_before_the_day() {
        let fx = ExchangeRates {
            reporting: "USD".into(),
            rates: vec![rate("EUR", "2026-10-01", "1.05"), rate("EUR", "2026-11-01", "1.08"), rate("JPY", "2026-11-01", "0.0067")],
            updated_at: None,
        }
        .normalized()
        .unwrap();
        assert_eq!(fx.convert(10_000, "EUR", day("2026-09-30")), None);
        assert_eq!(fx.convert(10_000, "EUR", day("2026-10-01")), Some(10_500));
        assert_eq!(fx.convert(10_000, "EUR", day("2026-10-31")), Some(10_500));
        assert_eq!(fx.convert(10_000, "EUR", day("2026-11-01")), Some(10_800));
        assert_eq!(fx.convert(10_000, "EUR", day("2027-06-01")), Some(10_800));
        assert_eq!(fx.convert(10_000, "USD", day("1999-01-01")), Some(10_000));
        assert_eq!(fx.convert(10_000, "GBP", day("2026-11-01")), None);
        assert_eq!(fx.rate_on("JPY", day("2026-11-02")).map(|(i, _)| i), Some(2));
        assert_eq!(fx.in_effect(day("2026-10-15")), vec![&fx.rates[0]]);
        assert_eq!(fx.in_effect(day("2026-11-01")), vec![&fx.rates[1], &fx.rates[2]]);
        let off = ExchangeRates { reporting: String::new(), ..fx };
        assert_eq!(off.convert(10_000, "USD", day("2026-11-01")), None);
    }

    #[test]
    fn the_table_is_sorted_with_one_rate_per_day() {
        let fx = ExchangeRates {
            reporting: "usd".into(),
            rates: vec![rate("JPY", "2026-11-01", "0.0067"), rate("eur", "2026-11-01", "1.08"), rate("EUR", "2026-11-01", "1.09")],
            updated_at: None,
        }
        .normalized()
        .unwrap();
        assert_eq!(fx.reporting, "USD");
        assert_eq!(fx.rates, vec![rate("EUR", "2026-11-01", "1.09"), rate("JPY", "2026-11-01", "0.0067")]);
        let own = ExchangeRates { reporting: "USD".into(), rates: vec![rate("USD", "2026-11-01", "1")], updated_at: None };
        assert_eq!(own.normalized(), Err(DomainError::RateForReporting("USD".into())));
        let odd = ExchangeRates { reporting: "XYZ".into(), ..Default::default() };
        assert_eq!(odd.normalized(), Err(DomainError::UnknownCurrency("XYZ".into())));
    }

    #[test]
    fn csv_tables_are_read_with_or_without_a_header() {
        let plain = parse_rates_csv("EUR,2026-11-01,1.0832\njpy,2026-11-01,0.0067\n").unwrap();
        assert_eq!(plain, vec![rate("EUR", "2026-11-01", "1.0832"), rate("JPY", "2026-11-01", "0.0067")]);
        let headed = parse_rates_csv("\u{feff}日期,汇率,货币\n2026-11-01,\"7,1.5\",CNY\n\n2026-10-01;x\n");
        // Line 2's quoted rate "7,1.5" reads as 71.5; line 4 has one cell: no rate.
        assert_eq!(headed, Err(vec![(4, DomainError::UnknownCurrency(String::new()))]));
        let headed = parse_rates_csv("date,rate,currency\n2026-11-01,\"16,250.5\",CNY\n").unwrap();
        assert_eq!(headed, vec![rate("CNY", "2026-11-01", "16250.5")]);
        let bad = parse_rates_csv("currency,date,rate\nEUR,2026-13-01,1\nXYZ,2026-11-01,1\nGBP,2026-11-01,0\nGBP,2026-11-01,1.27\n");
        assert_eq!(
            bad,
            Err(vec![
                (2, DomainError::InvalidDate("2026-13-01".into())),
                (3, DomainError::UnknownCurrency("XYZ".into())),
                (4, DomainError::RateNotPositive("0".into())),
            ])
        );
        let fx = ExchangeRates { reporting: "USD".into(), rates: plain, updated_at: None };
        assert_eq!(parse_rates_csv(&rates_csv(&fx)).unwrap(), fx.rates);
    }
}
