//! Amounts are integer hundredths of the major unit (cents / 分) so sums are exact. A
//! currency with fewer decimals (the yen has none) is entered and shown with its own:
//! "¥8000.5" in JPY is refused, and computed yen figures (weighted, converted) show whole.

/// Largest accepted amount: 10^13 minor units (100 billion in major units). Anything
/// bigger is almost certainly a typo and would distort every funnel figure.
pub const MAX_AMOUNT_MINOR: i64 = 10_000_000_000_000;

pub const CURRENCIES: [&str; 6] = ["CNY", "USD", "EUR", "GBP", "JPY", "HKD"];

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AmountError {
    NotANumber,
    Negative,
    TooManyDecimals,
    TooLarge,
}

/// The currency sign typed with an amount and the currencies it can mean: "¥8000" is yuan
/// or yen, "$1,200" dollars (US or Hong Kong), "HK$" and "US$" one of them. None without a
/// sign.
pub fn sign_currencies(input: &str) -> Option<(&'static str, &'static [&'static str])> {
    let t = input.trim().to_uppercase();
    if t.contains("HK$") {
        Some(("HK$", &["HKD"]))
    } else if t.contains("US$") {
        Some(("US$", &["USD"]))
    } else if t.contains('¥') || t.contains('￥') || t.contains('元') {
        Some(("¥", &["CNY", "JPY"]))
    } else if t.contains('$') {
        Some(("$", &["USD", "HKD"]))
    } else if t.contains('€') {
        Some(("€", &["EUR"]))
    } else if t.contains('£') {
        Some(("£", &["GBP"]))
    } else {
        None
    }
}

/// Parses what a person types into an amount field: "12,345.60", "¥ 8000", "$1,200".
/// Empty input means "no amount yet" (Ok(None)).
pub fn parse_amount(input: &str) -> Result<Option<i64>, AmountError> {
    let upper = input.trim().to_uppercase();
    let cleaned: String = upper
        .replace("HK$", "")
        .replace("US$", "")
        .chars()
        .filter(|c| !matches!(c, ',' | '_' | ' ' | '\u{a0}' | '¥' | '￥' | '元' | '$' | '€' | '£'))
        .collect();
    if cleaned.is_empty() {
        return Ok(None);
    }
    if cleaned.starts_with('-') {
        return Err(AmountError::Negative);
    }
    let (whole, frac) = match cleaned.split_once('.') {
        Some((w, f)) => (w, f),
        None => (cleaned.as_str(), ""),
    };
    let digits = |s: &str| s.chars().all(|c| c.is_ascii_digit());
    if (whole.is_empty() && frac.is_empty()) || !digits(whole) || !digits(frac) {
        return Err(AmountError::NotANumber);
    }
    if frac.len() > 2 {
        return Err(AmountError::TooManyDecimals);
    }
    if whole.len() > 14 {
        return Err(AmountError::TooLarge);
    }
    let whole: i64 = if whole.is_empty() { 0 } else { whole.parse().map_err(|_| AmountError::TooLarge)? };
    let frac_minor: i64 = match frac.len() {
        0 => 0,
        1 => frac.parse::<i64>().unwrap_or(0) * 10,
        _ => frac.parse::<i64>().unwrap_or(0),
    };
    let minor = whole
        .checked_mul(100)
        .and_then(|v| v.checked_add(frac_minor))
        .ok_or(AmountError::TooLarge)?;
    if minor > MAX_AMOUNT_MINOR {
        return Err(AmountError::TooLarge);
    }
    Ok(Some(minor))
}

pub fn currency_symbol(code: &str) -> &str {
    match code {
        "CNY" => "¥",
        "USD" => "$",
        "EUR" => "€",
        "GBP" => "£",
        "JPY" => "JP¥",
        "HKD" => "HK$",
        other => other,
    }
}

/// "1234567" -> "1,234,567".
fn group_thousands(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::with_capacity(s.len() + s.len() / 3);
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Full amount with cents when there are any: "$1,234.50", "¥8,000".
/// How many decimals a currency's amounts have: the yen none, the others two.
pub fn decimals(currency: &str) -> u32 {
    if currency.eq_ignore_ascii_case("JPY") { 0 } else { 2 }
}

pub fn format_amount(minor: i64, currency: &str) -> String {
    // A currency without decimals: rounded to the whole unit (half away from zero).
    let minor = if decimals(currency) == 0 { (minor + if minor < 0 { -50 } else { 50 }) / 100 * 100 } else { minor };
    let sign = if minor < 0 { "-" } else { "" };
    let abs = minor.unsigned_abs();
    let (whole, cents) = (abs / 100, abs % 100);
    let sym = currency_symbol(currency);
    if cents == 0 {
        format!("{sign}{sym}{}", group_thousands(whole))
    } else {
        format!("{sign}{sym}{}.{cents:02}", group_thousands(whole))
    }
}

/// An estimate (a forecast, an expected value) in whole currency units: cents in
/// "$312,406.57" would claim a precision no forecast has.
pub fn format_estimate(minor: f64, currency: &str) -> String {
    format_amount(((minor / 100.0).round() * 100.0) as i64, currency)
}

/// Amount as an editable string without symbol or grouping: "1234.5" style, exact.
pub fn amount_to_input(minor: i64) -> String {
    if minor % 100 == 0 {
        (minor / 100).to_string()
    } else {
        format!("{}.{:02}", minor / 100, minor % 100)
    }
}

/// Σ amount × probability per currency, each deal with its own probability (percent),
/// rounded half away from zero to the minor unit once, at the end.
pub fn weighted_sum<'a>(items: impl IntoIterator<Item = (&'a str, Option<i64>, u8)>) -> Vec<(String, i64)> {
    let mut sums: std::collections::BTreeMap<&str, i128> = std::collections::BTreeMap::new();
    for (cur, amount, p) in items {
        if let Some(a) = amount {
            *sums.entry(cur).or_default() += i128::from(a) * i128::from(p.min(100));
        }
    }
    sums.into_iter()
        .map(|(c, x)| {
            let r = if x >= 0 { (x + 50) / 100 } else { (x - 50) / 100 };
            (c.to_string(), r.clamp(i128::from(i64::MIN), i128::from(i64::MAX)) as i64)
        })
        .collect()
}

/// Compact form for column headers and cards: "$12.3k", "¥1.2M".
pub fn format_compact(minor: i64, currency: &str) -> String {
    let major = minor as f64 / 100.0;
    let sym = currency_symbol(currency);
    let abs = major.abs();
    if abs >= 1e9 {
        format!("{sym}{:.1}B", major / 1e9)
    } else if abs >= 1e6 {
        format!("{sym}{:.1}M", major / 1e6)
    } else if abs >= 1e4 {
        format!("{sym}{:.1}k", major / 1e3)
    } else {
        format_amount((major.round() as i64) * 100, currency)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_what_people_type() {
        assert_eq!(parse_amount(""), Ok(None));
        assert_eq!(parse_amount("  "), Ok(None));
        assert_eq!(parse_amount("12,345.60"), Ok(Some(1_234_560)));
        assert_eq!(parse_amount("¥ 8000"), Ok(Some(800_000)));
        assert_eq!(parse_amount("$1,200"), Ok(Some(120_000)));
        // $12,500.00 at 10% is $1,250.00; ¥0.05 at 50% is ¥0.03 (2.5 fen rounds up).
        assert_eq!(weighted_sum([("USD", Some(1_250_000), 10), ("CNY", Some(5), 10)]), vec![("CNY".to_string(), 1), ("USD".to_string(), 125_000)]);
        assert_eq!(weighted_sum([("CNY", Some(5), 50)]), vec![("CNY".to_string(), 3)]);
        assert_eq!(weighted_sum([("USD", Some(100), 250)]), vec![("USD".to_string(), 100)], "at most 100%");
        assert_eq!(parse_amount("HK$ 1,200"), Ok(Some(120_000)));
        assert_eq!(parse_amount("8000元"), Ok(Some(800_000)));
        assert_eq!(sign_currencies("¥8000"), Some(("¥", &["CNY", "JPY"][..])));
        assert_eq!(sign_currencies("hk$1"), Some(("HK$", &["HKD"][..])));
        assert_eq!(sign_currencies("$5"), Some(("$", &["USD", "HKD"][..])));
        assert_eq!(sign_currencies("8000"), None);
        assert_eq!(parse_amount("0.5"), Ok(Some(50)));
        assert_eq!(parse_amount(".05"), Ok(Some(5)));
        assert_eq!(parse_amount("7."), Ok(Some(700)));
    }

    #[test]
    fn rejects_bad_amounts_with_a_reason() {
        assert_eq!(parse_amount("-5"), Err(AmountError::Negative));
        assert_eq!(parse_amount("abc"), Err(AmountError::NotANumber));
        assert_eq!(parse_amount("1.2.3"), Err(AmountError::NotANumber));
        assert_eq!(parse_amount("."), Err(AmountError::NotANumber));
        assert_eq!(parse_amount("1.234"), Err(AmountError::TooManyDecimals));
        assert_eq!(parse_amount("100000000001"), Err(AmountError::TooLarge));
        assert_eq!(parse_amount("99999999999999999999999"), Err(AmountError::TooLarge));
        assert_eq!(parse_amount("100000000000"), Ok(Some(MAX_AMOUNT_MINOR)));
    }

    #[test]
    fn formats_amounts() {
        assert_eq!(format_amount(123_456_789, "USD"), "$1,234,567.89");
        assert_eq!(format_amount(800_000, "CNY"), "¥8,000");
        assert_eq!(format_amount(5, "EUR"), "€0.05");
        assert_eq!(format_amount(0, "GBP"), "£0");
        assert_eq!(format_compact(1_234_500, "USD"), "$12.3k");
        assert_eq!(format_compact(250_000_000, "CNY"), "¥2.5M");
        assert_eq!(format_compact(999_900, "USD"), "$9,999");
        assert_eq!(amount_to_input(1_234_560), "12345.60");
        assert_eq!(amount_to_input(800_000), "8000");
        assert_eq!(parse_amount(&amount_to_input(1_234_565)), Ok(Some(1_234_565)));
    }
}

/// Sums amounts per currency (deals without an amount add nothing), sorted by currency
/// code so the display is stable.
pub fn totals_by_currency<'a>(items: impl IntoIterator<Item = (&'a str, Option<i64>)>) -> Vec<(String, i64)> {
    let mut sums: std::collections::BTreeMap<&str, i64> = std::collections::BTreeMap::new();
    for (cur, amount) in items {
        if let Some(a) = amount {
            let sum = sums.entry(cur).or_default();
            *sum = sum.saturating_add(a);
        }
    }
    sums.into_iter().map(|(c, v)| (c.to_string(), v)).collect()
}

#[cfg(test)]
mod totals_tests {
    use super::*;

    #[test]
    fn sums_per_currency_and_skips_missing_amounts() {
        let t = totals_by_currency([("USD", Some(100)), ("CNY", Some(5)), ("USD", None), ("USD", Some(250))]);
        assert_eq!(t, vec![("CNY".to_string(), 5), ("USD".to_string(), 350)]);
        assert!(totals_by_currency([("USD", None)]).is_empty());
    }

    /// A deal with the rep's own probability counts at it: $10,000 at the stage's 20% and
    /// $5,000.05 at the rep's 90% → 2,000.00 + 4,500.045 = $6,500.045 → $6,500.05 (rounded
    /// once); yuan separately: ¥333 at 50% → ¥166.5 → ¥166.50.
    #[test]
    fn weighted_sum_uses_each_deals_probability() {
        let got = weighted_sum([("USD", Some(1_000_000), 20), ("USD", Some(500_005), 90), ("CNY", Some(33_300), 50), ("USD", None, 90)]);
        assert_eq!(got, vec![("CNY".to_string(), 16_650), ("USD".to_string(), 650_005)]);
    }

    /// The yen has no decimals: shown whole, a computed JP¥12.50 rounds to JP¥13 (half away from
    /// zero), -JP¥12.50 to -JP¥13; other currencies keep cents.
    #[test]
    fn yen_amounts_are_whole() {
        assert_eq!(format_amount(800_000, "JPY"), "JP¥8,000");
        assert_eq!(format_amount(1_250, "JPY"), "JP¥13");
        assert_eq!(format_amount(-1_250, "JPY"), "-JP¥13");
        assert_eq!(format_amount(1_250, "CNY"), "¥12.50");
        assert_eq!((decimals("JPY"), decimals("usd")), (0, 2));
    }
}
