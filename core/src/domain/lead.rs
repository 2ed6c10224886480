//! Leads (线索) before they are deals: captured, checked for duplicates, assigned to an
//! owner by a recorded rule, then qualified into a deal or disqualified with a reason.
//! Owners are records (name, active) so rules and reports name the same people.

use super::error::{DomainError, Field};
use super::ids::{FxMap, Id};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Owner {
    pub id: Id,
    pub name: String,
    pub active: bool,
    #[serde(with = "super::time::utc")]
    pub created_at: DateTime<Utc>,
    #[serde(with = "super::time::utc")]
    pub updated_at: DateTime<Utc>,
    #[serde(default)]
    pub device: String,
    #[serde(flatten)]
    pub extra: super::pipeline::Extra,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum LeadStatus {
    #[default]
    Open,
    Qualified,
    Disqualified,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Lead {
    pub id: Id,
    /// The person.
    pub name: String,
    #[serde(default)]
    pub company: String,
    #[serde(default)]
    pub email: String,
    #[serde(default)]
    pub phone: String,
    #[serde(default)]
    pub source: String,
    #[serde(default)]
    pub notes: String,
    /// The owner's name ("" while unassigned).
    #[serde(default)]
    pub owner: String,
    /// How the owner was chosen ("round robin: A, B, C"), when it was.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub assigned_by: String,
    #[serde(default, with = "super::time::utc_opt", skip_serializing_if = "Option::is_none")]
    pub assigned_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub status: LeadStatus,
    /// When it was qualified or disqualified.
    #[serde(default, with = "super::time::utc_opt", skip_serializing_if = "Option::is_none")]
    pub status_at: Option<DateTime<Utc>>,
    /// The deal it became.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deal: Option<Id>,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub disqualify_reason: String,
    #[serde(with = "super::time::utc")]
    pub created_at: DateTime<Utc>,
    #[serde(with = "super::time::utc")]
    pub updated_at: DateTime<Utc>,
    #[serde(default)]
    pub device: String,
    #[serde(flatten)]
    pub extra: super::pipeline::Extra,
}

impl Lead {
    /// How a lead is named in lists: "Name · Company" (either alone when the other is blank).
    pub fn label(&self) -> String {
        match (self.name.is_empty(), self.company.is_empty()) {
            (false, false) => format!("{} · {}", self.name, self.company),
            (true, _) => self.company.clone(),
            (_, true) => self.name.clone(),
        }
    }
}

/// Why a lead is disqualified: a fixed list (so reports can count them), plus "other"
/// with the user's words.
pub const DISQUALIFY_REASONS: [(&str, &str); 5] =
    [("No budget", "没有预算"), ("Not a fit", "需求不匹配"), ("No response", "联系不上"), ("Chose a competitor", "选择了竞争对手"), ("Duplicate", "重复线索")];

/// A lead as typed (quick add, a pasted line, a spreadsheet row).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct LeadDraft {
    pub name: String,
    pub company: String,
    pub email: String,
    pub phone: String,
    pub source: String,
    pub notes: String,
    pub owner: String,
    /// When the lead arrived, as a spreadsheet gives it ("2026-11-01 09:30:00", "2026/11/1");
    /// blank: now. Read as UTC, like every date in an imported file.
    pub created: String,
}

const SHORT_MAX: usize = 200;

impl LeadDraft {
    /// One quick-add line: "Name, Company, email or phone, …" — fields separated by
    /// commas, tabs or "|"; an email and a phone are recognised wherever they stand; the
    /// first other field is the name, the second the company, the third the source.
    pub fn from_line(line: &str) -> LeadDraft {
        let mut d = LeadDraft::default();
        let mut plain = Vec::new();
        for part in line.split([',', '，', '\t', '|']).map(str::trim).filter(|p| !p.is_empty()) {
            if part.contains('@') && d.email.is_empty() {
                d.email = part.to_string();
            } else if d.phone.is_empty() && phone_digits(part).len() >= 7 && part.chars().all(|c| c.is_ascii_digit() || " +-()".contains(c)) {
                d.phone = part.to_string();
            } else {
                plain.push(part.to_string());
            }
        }
        let mut plain = plain.into_iter();
        d.name = plain.next().unwrap_or_default();
        d.company = plain.next().unwrap_or_default();
        d.source = plain.next().unwrap_or_default();
        d.notes = plain.collect::<Vec<_>>().join(", ");
        d
    }

    pub fn validate(&self) -> Result<LeadDraft, Vec<(Field, DomainError)>> {
        let errors = lead_problems(&self.name, &self.company, &self.email, &self.phone, &self.source, &self.owner, &self.created);
        if !errors.is_empty() {
            return Err(errors);
        }
        let t = |s: &str| s.trim().to_string();
        Ok(LeadDraft {
            name: t(&self.name),
            company: t(&self.company),
            email: t(&self.email).to_lowercase(),
            phone: t(&self.phone),
            source: t(&self.source),
            notes: t(&self.notes),
            owner: t(&self.owner),
            created: t(&self.created),
        })
    }
}

/// What the lead form refuses in a lead's text (each field trimmed; the email as it is
/// kept, in lower case), in the form's order; empty when it takes it. Reads the text where
/// it is: an import checks every lead of a file with it (137,000 in a 100k-deal export,
/// where copying each lead's fields into a form first was most of that check).
pub fn lead_problems(name: &str, company: &str, email: &str, phone: &str, source: &str, owner: &str, created: &str) -> Vec<(Field, DomainError)> {
    let (name, company, email, phone, source, owner) = (name.trim(), company.trim(), email.trim(), phone.trim(), source.trim(), owner.trim());
    let mut errors = Vec::new();
    if name.is_empty() && company.is_empty() {
        errors.push((Field::Title, DomainError::LeadNeedsName));
    }
    // Lower case keeps an ASCII address's length (and its '@', dots and spaces: what
    // `looks_like_email` reads); other letters may lengthen it.
    let email_chars = if email.is_ascii() { email.len() } else { email.to_lowercase().chars().count() };
    let lengths = [(Field::Title, name.chars().count()), (Field::Account, company.chars().count()), (Field::Contact, email_chars), (Field::Source, source.chars().count()), (Field::Owner, owner.chars().count())];
    for (f, n) in lengths {
        if n > SHORT_MAX {
            errors.push((f, DomainError::TooLong { field: f, max: SHORT_MAX }));
        }
    }
    if !email.is_empty() && !looks_like_email(email) {
        errors.push((Field::Contact, DomainError::InvalidEmail(email.to_lowercase())));
    }
    // Fewer than 5 digits, counted as `phone_digits` counts them (its only shortening, of
    // 13 digits to 11, leaves at least 5).
    if !phone.is_empty() && phone.chars().filter(char::is_ascii_digit).count() < 5 {
        errors.push((Field::Contact, DomainError::InvalidPhone(phone.to_string())));
    }
    if let Err(e) = created_time(created) {
        errors.push((Field::When, e));
    }
    errors
}

impl LeadDraft {
    /// The arrival time typed or imported: a date (ISO, 2026/11/1, 2026年11月1日) with an
    /// optional "HH:MM[:SS]". None when blank.
    pub fn created_time(&self) -> Result<Option<DateTime<Utc>>, DomainError> {
        created_time(&self.created)
    }
}

/// `LeadDraft::created_time` of the text `created`.
fn created_time(created: &str) -> Result<Option<DateTime<Utc>>, DomainError> {
    let s = created.trim();
    if s.is_empty() {
        return Ok(None);
    }
    let bad = || DomainError::InvalidDate(s.to_string());
    let (date, time) = match s.split_once(['T', ' ']) {
        Some((d, t)) => (d, Some(t.trim())),
        None => (s, None),
    };
    let day = crate::io::csv_import::parse_date(date, crate::io::csv_import::DateOrder::MonthFirst).ok_or_else(bad)?;
    let clock = match time.filter(|t| !t.is_empty()) {
        None => chrono::NaiveTime::MIN,
        Some(t) => chrono::NaiveTime::parse_from_str(t, "%H:%M:%S").or_else(|_| chrono::NaiveTime::parse_from_str(t, "%H:%M")).map_err(|_| bad())?,
    };
    let at = day.and_time(clock).and_utc();
    if super::workspace::sane_time(at) { Ok(Some(at)) } else { Err(DomainError::DateOutOfRange) }
}

fn looks_like_email(s: &str) -> bool {
    match s.split_once('@') {
        Some((user, host)) => !user.is_empty() && host.contains('.') && !host.starts_with('.') && !host.ends_with('.') && !s.contains(char::is_whitespace),
        None => false,
    }
}

/// The digits of a phone number, without China's country code before a mobile number:
/// "+86 138-0013-8000" and "13800138000" are one phone.
pub fn phone_digits(s: &str) -> String {
    let mut d = String::new();
    phone_key(s, &mut d);
    d
}

/// A company name reduced to what identifies it: lower case, no punctuation or spaces,
/// without legal-form words ("Inc.", "Ltd", "GmbH", "有限公司", "公司", …).
pub fn company_key(s: &str) -> String {
    const FORMS: [&str; 13] = ["inc", "ltd", "llc", "co", "corp", "corporation", "company", "gmbh", "limited", "plc", "the", "sa", "ag"];
    let lower = s.to_lowercase();
    // The suffixes cut first are Chinese, so ASCII names (most) skip five copies of the
    // text: linking 100,000 imported deals spent ≈ 100 ms here, in one task.
    let t = if lower.is_ascii() { lower } else { ["有限责任公司", "股份有限公司", "有限公司", "集团", "公司"].iter().fold(lower, |t, x| t.replace(x, " ")) };
    let mut key = String::with_capacity(t.len());
    for w in t.split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty() && !FORMS.contains(w)) {
        key.push_str(w);
    }
    key
}

/// Dice coefficient of character bigrams: 1 for the same string, near 1 for a typo.
fn bigram_similarity(a: &str, b: &str) -> f64 {
    let grams = |s: &str| {
        let c: Vec<char> = s.chars().collect();
        c.windows(2).map(|w| (w[0], w[1])).collect::<Vec<_>>()
    };
    let (ga, mut gb) = (grams(a), grams(b));
    if ga.is_empty() || gb.is_empty() {
        return if a == b { 1.0 } else { 0.0 };
    }
    let total = ga.len() + gb.len();
    let mut common = 0;
    for g in &ga {
        if let Some(i) = gb.iter().position(|x| x == g) {
            gb.swap_remove(i);
            common += 1;
        }
    }
    2.0 * common as f64 / total as f64
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum DuplicateBy {
    Email,
    Phone,
    Company,
}

/// Which existing lead a new one duplicates, and why: the same email, the same phone, or
/// a very similar company name (same key, or bigram similarity ≥ 0.85 on keys of at least
/// 6 characters — "Acme Robotics Inc." vs "ACME Robotics", "Acme Robotcs").
pub fn duplicate_of<'a>(draft: &LeadDraft, existing: impl IntoIterator<Item = &'a Lead>) -> Option<(&'a Lead, DuplicateBy)> {
    let email = draft.email.trim().to_lowercase();
    let phone = phone_digits(&draft.phone);
    let company = company_key(&draft.company);
    let mut best: Option<(&Lead, DuplicateBy)> = None;
    for l in existing {
        let by = if !email.is_empty() && l.email.trim().eq_ignore_ascii_case(&email) {
            Some(DuplicateBy::Email)
        } else if phone.len() >= 7 && phone_digits(&l.phone) == phone {
            Some(DuplicateBy::Phone)
        } else {
            let k = company_key(&l.company);
            (!company.is_empty() && !k.is_empty() && (k == company || (k.chars().count() >= 6 && company.chars().count() >= 6 && bigram_similarity(&k, &company) >= 0.85)))
                .then_some(DuplicateBy::Company)
        };
        if let Some(by) = by {
            if best.is_none_or(|b| by < b.1) {
                best = Some((l, by));
            }
        }
    }
    best
}

/// How new leads get an owner, recorded on each lead it assigns.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum AssignRule {
    /// In turn over these owners (names), continuing where the last assignment stopped.
    RoundRobin { owners: Vec<String>, next: usize },
    /// By the lead's source; others go to `fallback` (or stay unassigned).
    BySource { map: Vec<(String, String)>, fallback: String },
    /// By what one field of the lead says: the first (value, owner) whose value matches
    /// (see `LeadField::matches`); others go to `fallback` (or stay unassigned).
    ByField { field: LeadField, map: Vec<(String, String)>, fallback: String },
}

/// The lead fields a rule can read.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum LeadField {
    /// The company name contains the value ("银行", "Bank").
    Company,
    /// The email's domain is the value or ends with it ("acme.com", ".edu").
    EmailDomain,
    /// The phone's digits start with the value's (an area code "010", a prefix "138").
    PhonePrefix,
    /// The notes contain the value (a region, a product).
    Notes,
}

impl LeadField {
    pub const ALL: [LeadField; 4] = [LeadField::Company, LeadField::EmailDomain, LeadField::PhonePrefix, LeadField::Notes];

    /// The name used in forms and in the recorded rule.
    pub fn code(self) -> &'static str {
        match self {
            LeadField::Company => "company",
            LeadField::EmailDomain => "email domain",
            LeadField::PhonePrefix => "phone",
            LeadField::Notes => "notes",
        }
    }

    pub fn from_code(s: &str) -> Option<LeadField> {
        LeadField::ALL.into_iter().find(|f| f.code() == s)
    }

    /// Whether `lead` matches `value` on this field, ignoring case and surrounding blanks. A
    /// blank value matches nothing.
    pub fn matches(self, lead: &Lead, value: &str) -> bool {
        let v = value.trim().to_lowercase();
        if v.is_empty() {
            return false;
        }
        match self {
            LeadField::Company => lead.company.to_lowercase().contains(&v),
            LeadField::Notes => lead.notes.to_lowercase().contains(&v),
            LeadField::EmailDomain => {
                let domain = lead.email.rsplit_once('@').map(|(_, d)| d.to_lowercase()).unwrap_or_default();
                let v = v.trim_start_matches('@');
                !domain.is_empty() && (domain == v || domain.ends_with(&format!(".{}", v.trim_start_matches('.'))) || (v.starts_with('.') && domain.ends_with(v)))
            }
            LeadField::PhonePrefix => {
                let want = national(&v);
                !want.is_empty() && national(&lead.phone).starts_with(&want)
            }
        }
    }
}

impl AssignRule {
    /// The owner for `lead` and the rule's description; advances a round robin.
    pub fn pick(&mut self, lead: &Lead) -> Option<(String, String)> {
        match self {
            AssignRule::RoundRobin { owners, next } => {
                if owners.is_empty() {
                    return None;
                }
                let o = owners[*next % owners.len()].clone();
                *next = (*next + 1) % owners.len();
                Some((o, format!("round robin: {}", owners.join(", "))))
            }
            AssignRule::BySource { map, fallback } => {
                let hit = map.iter().find(|(s, _)| s.trim().eq_ignore_ascii_case(lead.source.trim()));
                match hit {
                    Some((s, o)) => Some((o.clone(), format!("by source: {s} → {o}"))),
                    None if !fallback.is_empty() => Some((fallback.clone(), format!("by source: other → {fallback}"))),
                    None => None,
                }
            }
            AssignRule::ByField { field, map, fallback } => {
                let name = field.code();
                match map.iter().find(|(v, _)| field.matches(lead, v)) {
                    Some((v, o)) => Some((o.clone(), format!("by {name}: {} → {o}", v.trim()))),
                    None if !fallback.is_empty() => Some((fallback.clone(), format!("by {name}: other → {fallback}"))),
                    None => None,
                }
            }
        }
    }
}

impl AssignRule {
    /// "By source" over chosen owners: each source seen among `leads` goes to the owners
    /// in turn (sources in name order), anything else to the first owner.
    pub fn sources_in_turn(leads: &[&Lead], owners: &[String]) -> AssignRule {
        let mut sources: Vec<String> = leads.iter().map(|l| l.source.clone()).collect();
        sources.sort();
        sources.dedup();
        let map = if owners.is_empty() {
            Vec::new()
        } else {
            sources.into_iter().enumerate().map(|(i, s)| (s, owners[i % owners.len()].clone())).collect()
        };
        AssignRule::BySource { map, fallback: owners.first().cloned().unwrap_or_default() }
    }
}

/// A phone number's digits as dialled within China: without "+86" / "0086" and without the
/// trunk "0" of an area code, so "010 6512 3456", "+86 10 6512 3456" and the prefix "010"
/// agree.
fn national(s: &str) -> String {
    let d: String = s.chars().filter(char::is_ascii_digit).collect();
    let d = if let Some(rest) = d.strip_prefix("0086") {
        rest
    } else if d.len() >= 12 && s.trim_start().starts_with('+') {
        d.strip_prefix("86").unwrap_or(&d)
    } else {
        &d
    };
    d.trim_start_matches('0').to_string()
}

/// Which kind of rule assigned a lead.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AssignedBy {
    RoundRobin,
    Source,
    Field(LeadField),
}

/// How a lead's owner was chosen, as recorded on it ("round robin: A, B", "by source:
/// Web → A", "by company: 银行 → A"), split so a screen can say it in the user's language.
/// None for other text (an older or imported record), shown as it is.
pub fn assignment_parts(recorded: &str) -> Option<(AssignedBy, &str)> {
    if let Some(d) = recorded.strip_prefix("round robin: ") {
        return Some((AssignedBy::RoundRobin, d));
    }
    if let Some(d) = recorded.strip_prefix("by source: ") {
        return Some((AssignedBy::Source, d));
    }
    LeadField::ALL.into_iter().find_map(|f| recorded.strip_prefix(&format!("by {}: ", f.code())).map(|d| (AssignedBy::Field(f), d)))
}

/// A disqualification reason from the list, in `zh` or English; other reasons as given.
pub fn reason_label(reason: &str, zh: bool) -> &str {
    DISQUALIFY_REASONS
        .iter()
        .find(|(en, cn)| *en == reason || *cn == reason)
        .map_or(reason, |(en, cn)| if zh { cn } else { en })
}

/// Settings that travel with the workspace (one record).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Settings {
    /// The rule applied to new leads on arrival (and offered on demand).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lead_rule: Option<AssignRule>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub updated_at: Option<DateTime<Utc>>,
    /// The reporting currency and rate table, with its own edit time (`updated_at` above
    /// dates the lead rule), so a merge keeps the later of each.
    #[serde(default, skip_serializing_if = "super::rates::ExchangeRates::is_empty")]
    pub exchange: super::rates::ExchangeRates,
}

/// How many leads are in each status, and how many open ones have no owner: what the
/// Leads page heads its list with and its assign button offers. One pass (four over
/// 137,000 leads sat in the page's first task).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct LeadCounts {
    pub open: usize,
    pub qualified: usize,
    pub disqualified: usize,
    /// Open leads with no owner.
    pub unassigned: usize,
}

impl LeadCounts {
    pub fn of(leads: &[Lead]) -> LeadCounts {
        let mut n = LeadCounts::default();
        for l in leads {
            match l.status {
                LeadStatus::Open => {
                    n.open += 1;
                    n.unassigned += usize::from(l.owner.is_empty());
                }
                LeadStatus::Qualified => n.qualified += 1,
                LeadStatus::Disqualified => n.disqualified += 1,
            }
        }
        n
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The lead form's checks as they were written before `lead_problems`: on a trimmed
    /// copy of every field, the email lower-cased.
    fn problems_on_a_copy(d: &LeadDraft) -> Vec<(Field, DomainError)> {
        let t = |s: &str| s.trim().to_string();
        let d = LeadDraft { name: t(&d.name), company: t(&d.company), email: t(&d.email).to_lowercase(), phone: t(&d.phone), source: t(&d.source), notes: t(&d.notes), owner: t(&d.owner), created: t(&d.created) };
        let mut errors = Vec::new();
        if d.name.is_empty() && d.company.is_empty() {
            errors.push((Field::Title, DomainError::LeadNeedsName));
        }
        for (f, v) in [(Field::Title, &d.name), (Field::Account, &d.company), (Field::Contact, &d.email), (Field::Source, &d.source), (Field::Owner, &d.owner)] {
            if v.chars().count() > SHORT_MAX {
                errors.push((f, DomainError::TooLong { field: f, max: SHORT_MAX }));
            }
        }
        if !d.email.is_empty() && !looks_like_email(&d.email) {
            errors.push((Field::Contact, DomainError::InvalidEmail(d.email.clone())));
        }
        if !d.phone.is_empty() && phone_digits(&d.phone).len() < 5 {
            errors.push((Field::Contact, DomainError::InvalidPhone(d.phone.clone())));
        }
        if let Err(e) = d.created_time() {
            errors.push((Field::When, e));
        }
        errors
    }

    /// Six leads by hand: open with an owner, open without (twice), qualified without an
    /// owner (not unassigned: only open leads wait for one), two disqualified. 3 open, of
    /// which 2 unassigned; 1 qualified; 2 disqualified.
    #[test]
    fn lead_counts_are_by_status_and_unassigned_only_among_open() {
        let lead = |status: LeadStatus, owner: &str| Lead { status, owner: owner.into(), ..Default::default() };
        let leads = [
            lead(LeadStatus::Open, "Ann"),
            lead(LeadStatus::Open, ""),
            lead(LeadStatus::Open, ""),
            lead(LeadStatus::Qualified, ""),
            lead(LeadStatus::Disqualified, "Bo"),
            lead(LeadStatus::Disqualified, ""),
        ];
        assert_eq!(LeadCounts::of(&leads), LeadCounts { open: 3, qualified: 1, disqualified: 2, unassigned: 2 });
        assert_eq!(LeadCounts::of(&[]), LeadCounts::default());
    }

    proptest::proptest! {
        /// Text from a small alphabet that makes every kind of problem (spaces round it,
        /// '@' and dots, digits, letters that lengthen in lower case, lengths about the
        /// limit): the same problems in the same order as the form's checks on a copy.
        #[test]
        fn lead_problems_read_the_text_as_the_form_does(
            fields in proptest::collection::vec(("[ a@.İ1x]{0,6}", 0usize..4), 7),
            created in proptest::sample::select(vec!["", " 2026-11-01 ", "2026-11-01 09:30", "yesterday", "1900-01-01"]),
        ) {
            // A field is its short text, or the text repeated up to past the 200-character limit.
            let f: Vec<String> = fields.iter().map(|(s, n)| if *n == 3 && !s.is_empty() { s.repeat(201 / s.len() + 1) } else { s.clone() }).collect();
            let d = LeadDraft { name: f[0].clone(), company: f[1].clone(), email: f[2].clone(), phone: f[3].clone(), source: f[4].clone(), notes: f[5].clone(), owner: f[6].clone(), created: created.to_string() };
            let ours = lead_problems(&d.name, &d.company, &d.email, &d.phone, &d.source, &d.owner, &d.created);
            proptest::prop_assert_eq!(&ours, &problems_on_a_copy(&d));
            proptest::prop_assert_eq!(d.validate().err().unwrap_or_default(), ours);
        }
    }


    fn lead(company: &str, email: &str, phone: &str) -> Lead {
        Lead { id: Id::from(company), company: company.into(), email: email.into(), phone: phone.into(), ..Default::default() }
    }

    #[test]
    fn quick_add_lines_find_their_fields() {
        let d = LeadDraft::from_line("Li Lei, Blue River Foods, li.lei@blueriver.cn, +86 138 0013 8000, Trade show");
        assert_eq!((d.name.as_str(), d.company.as_str(), d.email.as_str(), d.phone.as_str(), d.source.as_str()),
            ("Li Lei", "Blue River Foods", "li.lei@blueriver.cn", "+86 138 0013 8000", "Trade show"));
        let d = LeadDraft::from_line("王芳\t杭州云帆科技有限公司\t13912345678");
        assert_eq!((d.name.as_str(), d.company.as_str(), d.phone.as_str()), ("王芳", "杭州云帆科技有限公司", "13912345678"));
    }

    #[test]
    fn bad_leads_are_refused_field_by_field() {
        let e = LeadDraft { email: "not-an-email".into(), phone: "12".into(), ..Default::default() }.validate().unwrap_err();
        assert!(e.contains(&(Field::Title, DomainError::LeadNeedsName)));
        assert!(e.contains(&(Field::Contact, DomainError::InvalidEmail("not-an-email".into()))));
        assert!(e.contains(&(Field::Contact, DomainError::InvalidPhone("12".into()))));
        assert!(LeadDraft { company: "Acme".into(), ..Default::default() }.validate().is_ok());
        // An arrival time: a date, a date and time, or a Chinese date; nothing else.
        let at = |s: &str| LeadDraft { created: s.into(), ..Default::default() }.created_time();
        assert_eq!(at("2026-11-01 09:30:00").unwrap().map(|t| t.to_rfc3339()), Some("2026-11-01T09:30:00+00:00".into()));
        assert_eq!(at("2026/11/1").unwrap().map(|t| t.to_rfc3339()), Some("2026-11-01T00:00:00+00:00".into()));
        assert_eq!(at("2026年11月1日").unwrap().map(|t| t.to_rfc3339()), Some("2026-11-01T00:00:00+00:00".into()));
        assert_eq!(at(""), Ok(None));
        assert_eq!(at("yesterday"), Err(DomainError::InvalidDate("yesterday".into())));
        assert_eq!(at("2026-11-01 25:00"), Err(DomainError::InvalidDate("2026-11-01 25:00".into())));
        let e = LeadDraft { company: "Acme".into(), created: "soon".into(), ..Default::default() }.validate().unwrap_err();
        assert_eq!(e, vec![(Field::When, DomainError::InvalidDate("soon".into()))]);
    }

    #[test]
    fn company_keys_drop_case_punctuation_and_legal_forms() {
        assert_eq!(company_key("Acme Robotics Inc."), "acmerobotics");
        assert_eq!(company_key("The ACME Co., Ltd"), "acme");
        assert_eq!(company_key("Müller GmbH & Co. KG"), "müllerkg");
        assert_eq!(company_key("杭州云帆科技有限公司"), "杭州云帆科技");
        assert_eq!(company_key("云帆集团 股份有限公司"), "云帆");
        assert_eq!(company_key("Co"), "");
    }

    #[test]
    fn duplicates_by_email_phone_or_a_similar_company() {
        let existing = [lead("Acme Robotics Inc.", "ops@acme.com", ""), lead("杭州云帆科技有限公司", "", "+86 139 1234 5678"), lead("Northwind", "", "")];
        let find = |company: &str, email: &str, phone: &str| {
            duplicate_of(&LeadDraft { company: company.into(), email: email.into(), phone: phone.into(), ..Default::default() }, &existing)
                .map(|(l, by)| (l.company.clone(), by))
        };
        assert_eq!(find("Other", "OPS@acme.com", ""), Some(("Acme Robotics Inc.".into(), DuplicateBy::Email)));
        assert_eq!(find("", "", "13912345678"), Some(("杭州云帆科技有限公司".into(), DuplicateBy::Phone)));
        assert_eq!(find("ACME Robotics", "", ""), Some(("Acme Robotics Inc.".into(), DuplicateBy::Company)));
        assert_eq!(find("Acme Robotcs Ltd", "", ""), Some(("Acme Robotics Inc.".into(), DuplicateBy::Company)));
        assert_eq!(find("杭州云帆科技", "", ""), Some(("杭州云帆科技有限公司".into(), DuplicateBy::Company)));
        assert_eq!(find("Acme Foods", "", ""), None);
        assert_eq!(find("Northwind Traders", "", ""), None, "a longer, different name is not the same company");
    }

    #[test]
    fn by_source_over_owners_and_recorded_rules_read_back() {
        let l = |s: &str| Lead { source: s.into(), ..Default::default() };
        let (web, fair, web2) = (l("Web"), l("Fair"), l("Web"));
        let rule = AssignRule::sources_in_turn(&[&web, &fair, &web2], &["A".into(), "B".into()]);
        assert_eq!(rule, AssignRule::BySource { map: vec![("Fair".into(), "A".into()), ("Web".into(), "B".into())], fallback: "A".into() });
        let mut rule = rule;
        let (_, how) = rule.pick(&web).unwrap();
        assert_eq!(assignment_parts(&how), Some((AssignedBy::Source, "Web → B")));
        assert_eq!(assignment_parts("round robin: A, B"), Some((AssignedBy::RoundRobin, "A, B")));
        assert_eq!(assignment_parts("manual"), None);
        assert_eq!((reason_label("No budget", true), reason_label("没有预算", false), reason_label("Too far", true)), ("没有预算", "No budget", "Too far"));
    }

    #[test]
    fn round_robin_continues_and_by_source_falls_back() {
        let mut rr = AssignRule::RoundRobin { owners: vec!["A".into(), "B".into(), "C".into()], next: 2 };
        let l = Lead::default();
        let got: Vec<String> = (0..4).filter_map(|_| rr.pick(&l).map(|x| x.0)).collect();
        assert_eq!(got, ["C", "A", "B", "C"]);
        let mut bs = AssignRule::BySource { map: vec![("Web".into(), "A".into())], fallback: "B".into() };
        assert_eq!(bs.pick(&Lead { source: "web".into(), ..Default::default() }).map(|x| x.0), Some("A".into()));
        assert_eq!(bs.pick(&Lead { source: "Fair".into(), ..Default::default() }).unwrap().1, "by source: other → B");
    }
}

/// For every open lead, the earlier lead it probably duplicates (the earliest by creation
/// time, then id), and why: what the Leads page flags with a merge button. In creation
/// order; `duplicates_of` with every open lead as a target.
pub fn open_duplicates(leads: &[Lead]) -> Vec<(&Lead, &Lead, DuplicateBy)> {
    let mut open: Vec<&Lead> = leads.iter().filter(|l| l.status == LeadStatus::Open).collect();
    open.sort_by(|a, b| (a.created_at, &a.id).cmp(&(b.created_at, &b.id)));
    let found = duplicates_of(leads, &open);
    open.into_iter().zip(found).filter_map(|(l, f)| f.map(|(o, by)| (l, o, by))).collect()
}

/// For each target that is open, the earlier lead (by creation time, then id) it probably
/// duplicates, and why; `None` for the rest. The rules of `duplicate_of`: the earliest
/// earlier lead that is not disqualified (a disqualified duplicate is done with) with the
/// same email, else the same phone, else a similar company.
///
/// The targets' keys are gathered first, then one pass over the leads keeps, per key, the
/// earliest lead that has it; a lead's keys are made in one reused buffer and looked up
/// among the targets' few, and its company is matched once per distinct company text. The
/// Leads page asks for the 200 rows it shows: 137,052 leads with a map of every lead's keys
/// took ≈ 85 ms natively and held the page ≈ 0.5 s; every pair compared would take minutes.
pub fn duplicates_of<'a>(leads: &'a [Lead], targets: &[&Lead]) -> Vec<Option<(&'a Lead, DuplicateBy)>> {
    let mut search = DuplicateSearch::new(targets);
    while !search.step(leads, usize::MAX) {}
    search.finish(leads, targets)
}

/// `duplicates_of` with its pass over the leads a slice at a time (`step`), so the app can
/// let the browser in between (at 137,052 leads, the 200 listed ones' search was ≈ 10–17 ms
/// natively and shared a task of ≈ 74–111 ms with the Leads page's drawing in wasm). The
/// earliest lead per key is kept by position: every step and `finish` must be handed the
/// same, unchanged leads.
pub struct DuplicateSearch {
    /// The targets' keys, numbered (a slot per distinct key), and each target's slots.
    emails: FxMap<String, usize>,
    phones: FxMap<String, usize>,
    similar: SimilarCompanies,
    keyed: Vec<Option<[Option<usize>; 3]>>,
    /// Per key, the earliest lead that counts with it: email, phone, company (by slot).
    earliest: [Vec<Option<usize>>; 3],
    /// The company slots each company text matched (once per distinct text).
    company_slots: FxMap<String, Vec<usize>>,
    next: usize,
}

impl DuplicateSearch {
    pub fn new(targets: &[&Lead]) -> DuplicateSearch {
        let slot = |m: &mut FxMap<String, usize>, k: String| {
            let n = m.len();
            *m.entry(k).or_insert(n)
        };
        let (mut emails, mut phones, mut companies): (FxMap<String, usize>, FxMap<String, usize>, FxMap<String, usize>) = Default::default();
        let mut buf = String::new();
        let keyed: Vec<Option<[Option<usize>; 3]>> = targets
            .iter()
            .map(|t| {
                (t.status == LeadStatus::Open).then(|| {
                    email_key(&t.email, &mut buf);
                    let e = (!buf.is_empty()).then(|| slot(&mut emails, buf.clone()));
                    phone_key(&t.phone, &mut buf);
                    let p = (buf.len() >= 7).then(|| slot(&mut phones, buf.clone()));
                    let k = company_key(&t.company);
                    let c = (!k.is_empty()).then(|| slot(&mut companies, k));
                    [e, p, c]
                })
            })
            .collect();
        let earliest = [vec![None; emails.len()], vec![None; phones.len()], vec![None; companies.len()]];
        DuplicateSearch { emails, phones, similar: SimilarCompanies::new(companies), keyed, earliest, company_slots: FxMap::default(), next: 0 }
    }

    /// Reads up to `budget` more leads; true once all are read.
    pub fn step(&mut self, leads: &[Lead], budget: usize) -> bool {
        let end = leads.len().min(self.next.saturating_add(budget));
        let start = self.next.min(end);
        let Self { emails, phones, similar, earliest, company_slots, .. } = self;
        let keep = |best: &mut Option<usize>, i: usize| {
            let l = &leads[i];
            if best.and_then(|b| leads.get(b)).is_none_or(|b| (l.created_at, &l.id) < (b.created_at, &b.id)) {
                *best = Some(i);
            }
        };
        let mut buf = String::new();
        for (i, l) in leads.iter().enumerate().take(end).skip(start) {
            if l.status == LeadStatus::Disqualified {
                continue;
            }
            if !emails.is_empty() {
                email_key(&l.email, &mut buf);
                if let Some(&s) = emails.get(buf.as_str()) {
                    keep(&mut earliest[0][s], i);
                }
            }
            if !phones.is_empty() {
                phone_key(&l.phone, &mut buf);
                if let Some(&s) = phones.get(buf.as_str()) {
                    keep(&mut earliest[1][s], i);
                }
            }
            if !similar.keys.is_empty() {
                let slots = match company_slots.get(l.company.as_str()) {
                    Some(slots) => slots,
                    None => company_slots.entry(l.company.clone()).or_insert_with(|| similar.slots(&company_key(&l.company))),
                };
                for &s in slots.iter() {
                    keep(&mut earliest[2][s], i);
                }
            }
        }
        self.next = end;
        end >= leads.len()
    }

    /// For each target, what `duplicates_of` answers (complete once `step` said so).
    pub fn finish<'a>(self, leads: &'a [Lead], targets: &[&Lead]) -> Vec<Option<(&'a Lead, DuplicateBy)>> {
        let earliest = self.earliest;
        targets
            .iter()
            .zip(self.keyed)
            .map(|(t, keys)| {
                let [e, p, c] = keys?;
                let earlier = |kind: usize, s: Option<usize>| {
                    s.and_then(|s| earliest[kind][s]).and_then(|i| leads.get(i)).filter(|o| (o.created_at, &o.id) < (t.created_at, &t.id))
                };
                earlier(0, e)
                    .map(|o| (o, DuplicateBy::Email))
                    .or_else(|| earlier(1, p).map(|o| (o, DuplicateBy::Phone)))
                    .or_else(|| earlier(2, c).map(|o| (o, DuplicateBy::Company)))
            })
            .collect()
    }
}

/// An email as leads are matched on it: trimmed, lower case (ASCII, most, without a copy).
fn email_key(s: &str, buf: &mut String) {
    buf.clear();
    let t = s.trim();
    if t.is_ascii() {
        buf.push_str(t);
        buf.make_ascii_lowercase();
    } else {
        buf.push_str(&t.to_lowercase());
    }
}

/// `phone_digits` into a reused buffer.
fn phone_key(s: &str, buf: &mut String) {
    buf.clear();
    buf.extend(s.chars().filter(char::is_ascii_digit));
    if buf.len() == 13 && buf.starts_with("861") {
        buf.drain(..2);
    }
}

/// A bigram token: the n-th copy of a bigram is its own token, so multisets are sets.
type Token = ((char, char), u32);

/// The targets' company keys, and which of them a company key matches: the same key, or
/// similar (both at least 6 characters, bigram Dice ≥ 0.85). Similar keys are found with
/// a prefix filter (as in set-similarity joins) instead of comparing against every key:
/// tokens in one fixed order (rarest among the targets first; any one order is correct);
/// two keys with Dice ≥ 0.85
/// share at least 0.739 × the larger size of tokens, so they share a token among each
/// one's first n − ⌈0.739 n⌉ + 1 (0.73 taken, a little more).
struct SimilarCompanies {
    keys: FxMap<String, usize>,
    /// Each target key's sorted bigrams, by slot.
    grams: Vec<Vec<(char, char)>>,
    freq: FxMap<Token, u32>,
    /// Prefix token → the target slots with it in their prefix.
    index: FxMap<Token, Vec<usize>>,
}

impl SimilarCompanies {
    fn new(keys: FxMap<String, usize>) -> Self {
        let mut grams = vec![Vec::new(); keys.len()];
        for (k, &s) in &keys {
            grams[s] = Self::grams(k);
        }
        let tokens: Vec<Vec<Token>> = grams.iter().map(|g| Self::tokens(g)).collect();
        let mut freq: FxMap<Token, u32> = FxMap::default();
        for t in tokens.iter().flatten() {
            *freq.entry(*t).or_insert(0) += 1;
        }
        let mut this = SimilarCompanies { keys, grams, freq, index: FxMap::default() };
        for (s, mut t) in tokens.into_iter().enumerate() {
            for tok in this.prefix(&mut t) {
                this.index.entry(*tok).or_default().push(s);
            }
        }
        this
    }

    /// Bigrams of keys of at least 6 characters (shorter keys match only themselves), sorted.
    fn grams(k: &str) -> Vec<(char, char)> {
        let c: Vec<char> = k.chars().collect();
        let mut g: Vec<(char, char)> = if c.len() >= 6 { c.windows(2).map(|w| (w[0], w[1])).collect() } else { Vec::new() };
        g.sort_unstable();
        g
    }

    fn tokens(g: &[(char, char)]) -> Vec<Token> {
        let mut out: Vec<Token> = Vec::with_capacity(g.len());
        for (i, &b) in g.iter().enumerate() {
            let n = if i > 0 && g[i - 1] == b { out[i - 1].1 + 1 } else { 0 };
            out.push((b, n));
        }
        out
    }

    /// The tokens in the fixed order, cut to the prefix that must share one.
    fn prefix<'t>(&self, t: &'t mut [Token]) -> &'t [Token] {
        t.sort_unstable_by_key(|x| (self.freq.get(x).copied().unwrap_or(0), *x));
        let n = t.len();
        &t[..(n + 1 - (0.73 * n as f64).ceil() as usize).min(n)]
    }

    /// The slots of the target keys `key` matches.
    fn slots(&self, key: &str) -> Vec<usize> {
        if key.is_empty() {
            return Vec::new();
        }
        let mut out: Vec<usize> = self.keys.get(key).copied().into_iter().collect();
        let g = Self::grams(key);
        let mut t = Self::tokens(&g);
        for tok in self.prefix(&mut t) {
            for &s in self.index.get(tok).map(Vec::as_slice).unwrap_or(&[]) {
                let (a, b) = (g.len(), self.grams[s].len());
                // Dice cannot exceed 2 × the smaller size over both sizes.
                if !out.contains(&s) && 2.0 * a.min(b) as f64 / (a + b) as f64 >= 0.85 && dice(&g, &self.grams[s]) >= 0.85 {
                    out.push(s);
                }
            }
        }
        out
    }
}

/// Dice coefficient of two sorted bigram lists (as multisets).
fn dice(a: &[(char, char)], b: &[(char, char)]) -> f64 {
    let (mut i, mut j, mut common) = (0, 0, 0);
    while i < a.len() && j < b.len() {
        match a[i].cmp(&b[j]) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                common += 1;
                i += 1;
                j += 1;
            }
        }
    }
    2.0 * common as f64 / (a.len() + b.len()).max(1) as f64
}

/// One lead as the inbox lists it: the earlier lead it probably duplicates (and why), and
/// its touches (activities logged on it, open tasks aside).
#[derive(Clone, Debug, PartialEq)]
pub struct InboxRow<'a> {
    pub lead: &'a Lead,
    pub duplicate_of: Option<(&'a Lead, DuplicateBy)>,
    pub touches: usize,
}

/// The Leads page's list: the leads with `status` (all when `None`) and `owner` (any when
/// empty), newest first (creation time, then id), the first `limit` of them; and how many
/// there are. Only the listed leads are sorted, looked up for duplicates, and have their
/// touches counted, in one pass over the activities (a pass per row was ≈ 2 s for 200 rows
/// at 363,442 activities). (`InboxBuilder` does the same a slice at a time.)
pub fn inbox<'a>(leads: &'a [Lead], activities: &[super::Activity], status: Option<LeadStatus>, owner: &str, limit: usize) -> (Vec<InboxRow<'a>>, usize) {
    let mut b = InboxBuilder::new(leads, status, owner, limit);
    while !b.step(leads, activities, usize::MAX) {}
    b.finish(leads)
}

/// `inbox` with its passes over the activities (touches) and over the leads (duplicates)
/// a slice at a time (`step`), so the app can let the browser in between: at 137,000 leads
/// and 940,000 activities the inbox in one task held the page 80–102 ms. The leads listed
/// are kept as positions; every step and `finish` must be handed the same, unchanged lists.
pub struct InboxBuilder {
    /// The listed leads' positions, newest first.
    kept: Vec<usize>,
    total: usize,
    /// Touches so far, by listed lead.
    touches: FxMap<Id, usize>,
    activity: usize,
    duplicates: DuplicateSearch,
}

impl InboxBuilder {
    pub fn new(leads: &[Lead], status: Option<LeadStatus>, owner: &str, limit: usize) -> InboxBuilder {
        let mut kept: Vec<usize> = (0..leads.len()).filter(|&i| status.is_none_or(|s| leads[i].status == s) && (owner.is_empty() || leads[i].owner == owner)).collect();
        let total = kept.len();
        let newest = |&a: &usize, &b: &usize| (leads[b].created_at, &leads[b].id).cmp(&(leads[a].created_at, &leads[a].id));
        if kept.len() > limit {
            kept.select_nth_unstable_by(limit, newest);
            kept.truncate(limit);
        }
        kept.sort_by(newest);
        let touches = kept.iter().map(|&i| (leads[i].id.clone(), 0)).collect();
        let duplicates = DuplicateSearch::new(&kept.iter().map(|&i| &leads[i]).collect::<Vec<_>>());
        InboxBuilder { kept, total, touches, activity: 0, duplicates }
    }

    /// Reads up to `budget` more activities, then leads; true once all are read.
    pub fn step(&mut self, leads: &[Lead], activities: &[super::Activity], budget: usize) -> bool {
        let end = activities.len().min(self.activity.saturating_add(budget));
        for a in activities[self.activity.min(end)..end].iter().filter(|a| !a.is_open_task()) {
            if let Some(n) = a.lead.as_ref().and_then(|l| self.touches.get_mut(l)) {
                *n += 1;
            }
        }
        let left = budget - (end - self.activity.min(end));
        self.activity = end;
        self.activity >= activities.len() && (left > 0 || leads.is_empty()) && self.duplicates.step(leads, left)
    }

    /// The rows and how many leads the filter keeps (complete once `step` said so).
    pub fn finish(self, leads: &[Lead]) -> (Vec<InboxRow<'_>>, usize) {
        let kept: Vec<&Lead> = self.kept.iter().map(|&i| &leads[i]).collect();
        let dups = self.duplicates.finish(leads, &kept);
        let rows = kept.into_iter().zip(dups).map(|(l, duplicate_of)| InboxRow { lead: l, duplicate_of, touches: self.touches.get(&l.id).copied().unwrap_or(0) }).collect();
        (rows, self.total)
    }
}

#[cfg(test)]
mod duplicate_tests {
    use super::*;

    /// The fast check finds exactly what `duplicate_of` finds, lead by lead.
    #[test]
    fn open_duplicates_agree_with_duplicate_of() {
        let names = ["Acme Robotics Inc.", "ACME Robotics", "Acme Robotcs Ltd", "杭州云帆科技有限公司", "杭州云帆科技", "Northwind", "Northwind Traders", "Blue River"];
        let leads: Vec<Lead> = (0..40)
            .map(|i| Lead {
                id: Id::from(format!("l{i:02}").as_str()),
                company: names[i % names.len()].into(),
                email: if i % 7 == 0 { "same@x.cn".into() } else { format!("u{i}@x.cn") },
                phone: if i % 5 == 0 { "+86 139 1234 5678".into() } else { format!("1380000{i:04}") },
                status: if i % 9 == 8 { LeadStatus::Disqualified } else { LeadStatus::Open },
                ..Default::default()
            })
            .collect();
        let fast = ids(open_duplicates(&leads));
        assert!(!fast.is_empty());
        assert_eq!(fast, pairwise(&leads));
        // A slice of 1, 3 or 7 leads a step (the Leads page's way) finds what one pass
        // finds, for every lead as a target (a disqualified target has none).
        let targets: Vec<&Lead> = leads.iter().collect();
        let named = |found: Vec<Option<(&Lead, DuplicateBy)>>| found.into_iter().map(|f| f.map(|(o, by)| (o.id.to_string(), by))).collect::<Vec<_>>();
        let whole = named(duplicates_of(&leads, &targets));
        assert!(whole.iter().filter(|f| f.is_some()).count() >= fast.len());
        for budget in [1, 3, 7] {
            let mut search = DuplicateSearch::new(&targets);
            let mut steps = 1;
            while !search.step(&leads, budget) {
                steps += 1;
            }
            assert_eq!(steps, leads.len().div_ceil(budget));
            assert_eq!(named(search.finish(&leads, &targets)), whole, "{budget} a step");
        }
    }

    /// Five leads by hand (times in hours): a (1h, open, Ann), b (2h, open, Bo, a's email),
    /// c (3h, qualified, Ann), d (4h, open, Ann), e (4h, open, Ann; ties d, id "e" > "d").
    /// Touches: a call and a done task on d, an open task on d (not a touch), a note on e,
    /// a call on a deal. Open leads of anyone, at most 2: total 4, newest first: e (tie
    /// broken by id, descending), d. All of Ann's, at most 10: e, d, c, a. b duplicates a.
    #[test]
    fn the_inbox_lists_the_newest_it_keeps_with_duplicates_and_touches() {
        use crate::domain::{Activity, ActivityKind};
        let t0 = chrono::DateTime::parse_from_rfc3339("2026-01-01T00:00:00Z").map(|t| t.with_timezone(&chrono::Utc)).unwrap_or_default();
        let lead = |id: &str, h: i64, status: LeadStatus, owner: &str, email: &str| Lead {
            id: Id::from(id),
            company: format!("Company {id}"),
            email: email.into(),
            status,
            owner: owner.into(),
            created_at: t0 + chrono::Duration::hours(h),
            ..Default::default()
        };
        let leads = [
            lead("a", 1, LeadStatus::Open, "Ann", "x@y.cn"),
            lead("b", 2, LeadStatus::Open, "Bo", "X@y.cn "),
            lead("c", 3, LeadStatus::Qualified, "Ann", ""),
            lead("d", 4, LeadStatus::Open, "Ann", ""),
            lead("e", 4, LeadStatus::Open, "Ann", ""),
        ];
        let on = |id: &str, kind: ActivityKind, done: bool| Activity { lead: Some(Id::from(id)), kind, done_at: done.then_some(t0), ..Default::default() };
        let activities = [on("d", ActivityKind::Call, false), on("d", ActivityKind::Task, true), on("d", ActivityKind::Task, false), on("e", ActivityKind::Note, false), Activity { deal: Id::from("deal"), kind: ActivityKind::Call, ..Default::default() }];
        let list = |status, owner: &str, limit| {
            let (rows, total) = inbox(&leads, &activities, status, owner, limit);
            // A slice of 1 or 2 activities a step (as the app does by the 100,000): the same.
            for budget in [1, 2] {
                let mut b = InboxBuilder::new(&leads, status, owner, limit);
                let mut steps = 1;
                while !b.step(&leads, &activities, budget) {
                    steps += 1;
                }
                // The activities, then the leads, `budget` records a step.
                assert_eq!(steps, (activities.len() + leads.len()).div_ceil(budget));
                assert_eq!(b.finish(&leads), (rows.clone(), total));
            }
            (rows.iter().map(|r| (r.lead.id.to_string(), r.duplicate_of.map(|(o, by)| (o.id.to_string(), by)), r.touches)).collect::<Vec<_>>(), total)
        };
        assert_eq!(list(Some(LeadStatus::Open), "", 2), (vec![("e".into(), None, 1), ("d".into(), None, 2)], 4));
        assert_eq!(list(None, "Ann", 10).0.iter().map(|r| r.0.as_str()).collect::<Vec<_>>(), ["e", "d", "c", "a"]);
        assert_eq!(list(None, "Bo", 10), (vec![("b".into(), Some(("a".into(), DuplicateBy::Email)), 0)], 1));
        assert_eq!(list(Some(LeadStatus::Disqualified), "", 10), (vec![], 0));
    }

    fn ids(found: Vec<(&Lead, &Lead, DuplicateBy)>) -> Vec<(Id, Id, DuplicateBy)> {
        found.into_iter().map(|(l, o, by)| (l.id.clone(), o.id.clone(), by)).collect()
    }

    /// Every open lead against every earlier one that is not disqualified, by
    /// `duplicate_of`: what `open_duplicates` must find.
    fn pairwise(leads: &[Lead]) -> Vec<(Id, Id, DuplicateBy)> {
        let mut order: Vec<&Lead> = leads.iter().collect();
        order.sort_by(|a, b| (a.created_at, &a.id).cmp(&(b.created_at, &b.id)));
        let mut slow = Vec::new();
        for (i, l) in order.iter().enumerate().filter(|(_, l)| l.status == LeadStatus::Open) {
            let draft = LeadDraft { company: l.company.clone(), email: l.email.clone(), phone: l.phone.clone(), ..Default::default() };
            if let Some((o, by)) = duplicate_of(&draft, order[..i].iter().copied().filter(|e| e.status != LeadStatus::Disqualified)) {
                slow.push((l.id.clone(), o.id.clone(), by));
            }
        }
        slow
    }

    /// Random inboxes (eight seeds, 700 leads each) made to hold every kind of near miss:
    /// company names from a few stems with letters dropped, swapped, doubled or replaced
    /// (some Chinese, some under 6 characters), emails in changing case and spacing,
    /// phones formatted differently and with +86, every status, creation times that tie.
    /// The keyed search finds exactly what comparing every pair finds, for every open lead
    /// and for a few targets.
    #[test]
    fn open_duplicates_find_what_comparing_every_pair_finds() {
        use crate::domain::ids::Rng;
        let stems = ["Acme Robotics", "Northwind Traders", "Blue River Foods", "杭州云帆科技", "Contoso Bank", "Abc", "Tailspin Toys", "Aaaaaa Aaaa", "Fabrikam"];
        let mut total = 0;
        for seed in 1..=8 {
            let mut rng = Rng::new(seed);
            let start = chrono::DateTime::parse_from_rfc3339("2026-01-01T00:00:00Z").map(|t| t.with_timezone(&chrono::Utc)).unwrap_or_default();
            let leads: Vec<Lead> = (0..700)
                .map(|i| {
                    let mut name: Vec<char> = rng.pick(&stems).chars().collect();
                    for _ in 0..rng.below(3) {
                        let at = rng.below(name.len() as u64) as usize;
                        match rng.below(4) {
                            0 => {
                                name.remove(at);
                            }
                            1 => {
                                let next = (at + 1) % name.len();
                                name.swap(at, next);
                            }
                            2 => {
                                let c = name[at];
                                name.insert(at, c);
                            }
                            _ => name[at] = *rng.pick(&['x', 'e', '云', ' ']),
                        }
                    }
                    let company: String = name.into_iter().collect::<String>() + *rng.pick(&["", " Inc.", " Ltd", "有限公司"]);
                    let email = match rng.below(4) {
                        0 => String::new(),
                        n => format!(" {}{}@x.cn", rng.pick(&["Ops", "ops", "OPS", "sales"]), n),
                    };
                    let phone = match rng.below(4) {
                        0 => String::new(),
                        1 => "123".into(),
                        n => format!("{}139 1234 {:04}", rng.pick(&["", "+86 "]), n * 7),
                    };
                    let status = *rng.pick(&[LeadStatus::Open, LeadStatus::Open, LeadStatus::Qualified, LeadStatus::Disqualified]);
                    let created_at = start + chrono::Duration::hours(rng.below(300) as i64);
                    Lead { id: Id::from(format!("l{i:03}").as_str()), company, email, phone, status, created_at, ..Default::default() }
                })
                .collect();
            let fast = ids(open_duplicates(&leads));
            let slow = pairwise(&leads);
            assert_eq!(fast, slow, "seed {seed}");
            total += fast.len();
            // A few targets (as the Leads page asks for its rows), in no order, any status:
            // each gets what comparing every pair found for it, others nothing. Fewer
            // targets give the prefix filter another token order.
            let expected: FxMap<&Id, (&Id, DuplicateBy)> = slow.iter().map(|(l, o, by)| (l, (o, *by))).collect();
            let targets: Vec<&Lead> = (0..60).map(|_| &leads[rng.below(leads.len() as u64) as usize]).collect();
            let found: Vec<Option<(&Id, DuplicateBy)>> = duplicates_of(&leads, &targets).into_iter().map(|f| f.map(|(o, by)| (&o.id, by))).collect();
            assert_eq!(found, targets.iter().map(|t| expected.get(&t.id).copied()).collect::<Vec<_>>(), "seed {seed}");
            assert!(found.iter().any(Option::is_some) && found.iter().any(Option::is_none), "seed {seed}");
            for by in [DuplicateBy::Email, DuplicateBy::Phone, DuplicateBy::Company] {
                assert!(fast.iter().any(|f| f.2 == by), "seed {seed}: no duplicate by {by:?}");
            }
        }
        assert!(total > 1000, "{total}");
    }
}

#[cfg(test)]
mod rule_tests {
    use super::*;

    fn lead(company: &str, email: &str, phone: &str, notes: &str) -> Lead {
        Lead { company: company.into(), email: email.into(), phone: phone.into(), notes: notes.into(), ..Default::default() }
    }

    /// Each field by hand: what matches and what does not.
    #[test]
    fn a_field_value_matches_as_documented() {
        let l = lead("招商银行 深圳分行", "Wang@Mail.CMB.com.cn", "+86 755 8319 8888", "South region, wants CRM");
        assert!(LeadField::Company.matches(&l, "银行"));
        assert!(!LeadField::Company.matches(&l, "证券"));
        assert!(LeadField::EmailDomain.matches(&l, "cmb.com.cn"), "a subdomain counts");
        assert!(LeadField::EmailDomain.matches(&l, "@mail.cmb.com.cn"));
        assert!(LeadField::EmailDomain.matches(&l, ".cn"));
        assert!(!LeadField::EmailDomain.matches(&l, "b.com.cn"), "not a part of a label");
        // Area codes with or without the trunk 0, numbers with or without +86.
        assert!(LeadField::PhonePrefix.matches(&l, "0755"));
        assert!(LeadField::PhonePrefix.matches(&l, "755"));
        assert!(!LeadField::PhonePrefix.matches(&l, "010"));
        assert!(LeadField::PhonePrefix.matches(&lead("", "", "010-6512 3456", ""), "010"));
        assert!(LeadField::PhonePrefix.matches(&lead("", "", "0086 10 6512 3456", ""), "010"));
        let mobile = lead("", "", "+86 138 0013 8000", "");
        assert!(LeadField::PhonePrefix.matches(&mobile, "138"));
        assert!(!LeadField::PhonePrefix.matches(&lead("", "", "+1 415 555 0100", ""), "415"), "+1 is kept: 1415…");
        assert!(LeadField::Notes.matches(&l, "south REGION"));
        assert!(!LeadField::Notes.matches(&l, "  "), "a blank value matches nothing");
    }

    /// The first matching row wins; the rest go to the fallback; the record says how.
    #[test]
    fn by_field_assigns_the_first_match_and_records_it() {
        let mut rule = AssignRule::ByField {
            field: LeadField::Company,
            map: vec![("银行".into(), "李娜".into()), ("Bank".into(), "Ann".into())],
            fallback: "王强".into(),
        };
        let bank = lead("中国银行", "", "", "");
        assert_eq!(rule.pick(&bank), Some(("李娜".into(), "by company: 银行 → 李娜".into())));
        assert_eq!(rule.pick(&lead("First Bank of Nowhere", "", "", "")).map(|p| p.0), Some("Ann".into()));
        let other = rule.pick(&lead("蓝河食品", "", "", ""));
        assert_eq!(other, Some(("王强".into(), "by company: other → 王强".into())));
        assert_eq!(assignment_parts("by company: 银行 → 李娜"), Some((AssignedBy::Field(LeadField::Company), "银行 → 李娜")));
        assert_eq!(assignment_parts("by email domain: .edu → A"), Some((AssignedBy::Field(LeadField::EmailDomain), ".edu → A")));
        assert_eq!(assignment_parts("by source: Web → A"), Some((AssignedBy::Source, "Web → A")));
        assert_eq!(assignment_parts("by hand"), None);
        let mut none = AssignRule::ByField { field: LeadField::Notes, map: vec![("north".into(), "A".into())], fallback: String::new() };
        assert_eq!(none.pick(&lead("", "", "", "south")), None, "no fallback: stays unassigned");
    }
}
