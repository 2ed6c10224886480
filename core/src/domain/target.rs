//! Targets (quotas): what an owner, or the whole team, is to reach in a month or a quarter:
//! won amount, won deals or new deals. Kept on the pipeline they are for.

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Metric {
    /// Amount of deals won in the period, in the target's currency (minor units).
    WonAmount,
    /// Deals won in the period.
    WonDeals,
    /// Deals created in the period.
    NewDeals,
}

/// A calendar month or quarter (UTC), as "2026-11" or "2026-Q4".
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Period {
    Month { year: i32, month: u32 },
    Quarter { year: i32, quarter: u32 },
}

impl Period {
    pub fn month_of(t: DateTime<Utc>) -> Period {
        Period::Month { year: t.year(), month: t.month() }
    }

    pub fn quarter_of(t: DateTime<Utc>) -> Period {
        Period::Quarter { year: t.year(), quarter: t.month0() / 3 + 1 }
    }

    /// [start, end) in Unix seconds.
    pub fn bounds(self) -> (i64, i64) {
        let (y, m0, months) = match self {
            Period::Month { year, month } => (year, month.clamp(1, 12) - 1, 1),
            Period::Quarter { year, quarter } => (year, (quarter.clamp(1, 4) - 1) * 3, 3),
        };
        let at = |y: i32, m0: u32| {
            let (y, m0) = (y + (m0 / 12) as i32, m0 % 12);
            NaiveDate::from_ymd_opt(y, m0 + 1, 1).and_then(|d| d.and_hms_opt(0, 0, 0)).map_or(0, |t| t.and_utc().timestamp())
        };
        (at(y, m0), at(y, m0 + months))
    }

    pub fn code(self) -> String {
        match self {
            Period::Month { year, month } => format!("{year}-{month:02}"),
            Period::Quarter { year, quarter } => format!("{year}-Q{quarter}"),
        }
    }

    /// "2026-11" or "2026-Q4" (as `code` writes them).
    pub fn parse(s: &str) -> Option<Period> {
        let (y, rest) = s.trim().split_once('-')?;
        let year: i32 = y.parse().ok().filter(|y| (1970..2200).contains(y))?;
        match rest.strip_prefix(['Q', 'q']) {
            Some(q) => q.parse().ok().filter(|q| (1..=4).contains(q)).map(|quarter| Period::Quarter { year, quarter }),
            None => rest.parse().ok().filter(|m| (1..=12).contains(m)).map(|month| Period::Month { year, month }),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Target {
    /// The owner (as deals name them); empty: the whole team.
    pub owner: String,
    pub metric: Metric,
    pub period: Period,
    /// Minor units for a won amount, a count otherwise.
    pub value: i64,
    /// The currency of a won-amount target (deals in other currencies do not count).
    #[serde(default)]
    pub currency: String,
}

impl Target {
    /// A positive value (at most the largest amount), a known currency for an amount, an
    /// owner name of at most 200 characters.
    pub fn check(&self) -> Result<(), super::DomainError> {
        use super::DomainError as E;
        if self.value <= 0 || self.value > super::money::MAX_AMOUNT_MINOR {
            return Err(E::TargetValue);
        }
        if self.metric == Metric::WonAmount && !super::money::CURRENCIES.contains(&self.currency.as_str()) {
            return Err(E::UnknownCurrency(self.currency.clone()));
        }
        if self.owner.chars().count() > 200 {
            return Err(E::TooLong { field: super::Field::Owner, max: 200 });
        }
        Ok(())
    }

    /// The same target (who, what, when): setting it again replaces the value.
    pub fn same_slot(&self, other: &Target) -> bool {
        self.owner == other.owner && self.metric == other.metric && self.period == other.period
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn periods_are_calendar_months_and_quarters() {
        let t = Utc.with_ymd_and_hms(2026, 11, 28, 12, 0, 0).unwrap();
        assert_eq!(Period::month_of(t).code(), "2026-11");
        assert_eq!(Period::quarter_of(t).code(), "2026-Q4");
        // 2026-11-01 00:00 UTC = 1,793,491,200; 2026-12-01 = +30 days.
        assert_eq!(Period::month_of(t).bounds(), (1_793_491_200, 1_793_491_200 + 30 * 86_400));
        // Q4 ends at 2027-01-01: Oct 1 + 92 days.
        let (s, e) = Period::quarter_of(t).bounds();
        assert_eq!((e - s) / 86_400, 92);
        assert_eq!(Period::Month { year: 2026, month: 12 }.bounds().1, e);
        assert_eq!(Period::parse("2026-q4"), Some(Period::quarter_of(t)));
        assert_eq!(Period::parse("2026-11"), Some(Period::month_of(t)));
        for bad in ["2026-13", "2026-Q5", "26-11", "2026", "x-1"] {
            assert_eq!(Period::parse(bad), None, "{bad}");
        }
    }
}
