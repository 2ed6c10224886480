//! Leads (线索) before they are deals: captured, checked for duplicates, assigned to an
//! owner by a recorded rule, then qualified into a deal or disqualified with a reason.
//! Owners are records (name, active) so rules and reports name the same people.

use super::error::{DomainError, Field};
use super::ids::Id;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Owner {
    pub id: Id,
    pub name: String,
    pub active: bool,
    pub created_at: DateTime<Utc>,
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
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assigned_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub status: LeadStatus,
    /// When it was qualified or disqualified.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status_at: Option<DateTime<Utc>>,
    /// The deal it became.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deal: Option<Id>,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub disqualify_reason: String,
    pub created_at: DateTime<Utc>,
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
        let t = |s: &str| s.trim().to_string();
        let d = LeadDraft {
            name: t(&self.name),
            company: t(&self.company),
            email: t(&self.email).to_lowercase(),
            phone: t(&self.phone),
            source: t(&self.source),
            notes: t(&self.notes),
            owner: t(&self.owner),
        };
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
        if errors.is_empty() { Ok(d) } else { Err(errors) }
    }
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
    let d: String = s.chars().filter(char::is_ascii_digit).collect();
    if d.len() == 13 && d.starts_with("861") { d[2..].to_string() } else { d }
}

/// A company name reduced to what identifies it: lower case, no punctuation or spaces,
/// without legal-form words ("Inc.", "Ltd", "GmbH", "有限公司", "公司", …).
pub fn company_key(s: &str) -> String {
    let mut t = s.to_lowercase();
    for suffix in ["有限责任公司", "股份有限公司", "有限公司", "集团", "公司"] {
        t = t.replace(suffix, " ");
    }
    let words: Vec<String> = t
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .filter(|w| !["inc", "ltd", "llc", "co", "corp", "corporation", "company", "gmbh", "limited", "plc", "the", "sa", "ag"].contains(w))
        .map(str::to_string)
        .collect();
    words.concat()
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

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
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

/// How a lead's owner was chosen, as recorded on it ("round robin: A, B", "by source:
/// Web → A"), split so a screen can say it in the user's language: (by source?, detail).
/// None for other text (an older or imported record), shown as it is.
pub fn assignment_parts(recorded: &str) -> Option<(bool, &str)> {
    recorded
        .strip_prefix("round robin: ")
        .map(|d| (false, d))
        .or_else(|| recorded.strip_prefix("by source: ").map(|d| (true, d)))
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
}

#[cfg(test)]
mod tests {
    use super::*;

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
        assert_eq!(assignment_parts(&how), Some((true, "Web → B")));
        assert_eq!(assignment_parts("round robin: A, B"), Some((false, "A, B")));
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
/// time, then id), and why: what the Leads page flags with a merge button. The same rules
/// as `duplicate_of`, with each lead's keys worked out once (an inbox of thousands is
/// checked on every change while the page is open).
pub fn open_duplicates(leads: &[Lead]) -> Vec<(&Lead, &Lead, DuplicateBy)> {
    struct Keys {
        email: String,
        phone: String,
        company: String,
        grams: Vec<(char, char)>,
    }
    let mut order: Vec<&Lead> = leads.iter().collect();
    order.sort_by(|a, b| (a.created_at, &a.id).cmp(&(b.created_at, &b.id)));
    let keys: Vec<Keys> = order
        .iter()
        .map(|l| {
            let company = company_key(&l.company);
            let c: Vec<char> = company.chars().collect();
            let mut grams: Vec<(char, char)> = c.windows(2).map(|w| (w[0], w[1])).collect();
            grams.sort_unstable();
            Keys { email: l.email.trim().to_lowercase(), phone: phone_digits(&l.phone), company, grams }
        })
        .collect();
    // Dice coefficient of two sorted bigram lists (multiset intersection by merging).
    let dice = |a: &[(char, char)], b: &[(char, char)]| {
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
    };
    let mut out = Vec::new();
    for (i, l) in order.iter().enumerate() {
        if l.status != LeadStatus::Open {
            continue;
        }
        let k = &keys[i];
        let mut best: Option<(usize, DuplicateBy)> = None;
        // Only earlier leads still open or qualified: a disqualified duplicate is done with.
        for j in (0..i).filter(|&j| order[j].status != LeadStatus::Disqualified) {
            let o = &keys[j];
            let by = if !k.email.is_empty() && k.email == o.email {
                Some(DuplicateBy::Email)
            } else if k.phone.len() >= 7 && k.phone == o.phone {
                Some(DuplicateBy::Phone)
            } else {
                let long = k.company.chars().count() >= 6 && o.company.chars().count() >= 6;
                (!k.company.is_empty() && !o.company.is_empty() && (k.company == o.company || (long && dice(&k.grams, &o.grams) >= 0.85)))
                    .then_some(DuplicateBy::Company)
            };
            if let Some(by) = by {
                if best.is_none_or(|b| by < b.1) {
                    best = Some((j, by));
                }
            }
        }
        if let Some((j, by)) = best {
            out.push((*l, order[j], by));
        }
    }
    out
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
        let fast = open_duplicates(&leads);
        let mut order: Vec<&Lead> = leads.iter().collect();
        order.sort_by(|a, b| (a.created_at, &a.id).cmp(&(b.created_at, &b.id)));
        let mut slow = Vec::new();
        for (i, l) in order.iter().enumerate().filter(|(_, l)| l.status == LeadStatus::Open) {
            let draft = LeadDraft { company: l.company.clone(), email: l.email.clone(), phone: l.phone.clone(), ..Default::default() };
            if let Some((o, by)) = duplicate_of(&draft, order[..i].iter().copied().filter(|e| e.status != LeadStatus::Disqualified)) {
                slow.push((l.id.clone(), o.id.clone(), by));
            }
        }
        let fast: Vec<_> = fast.into_iter().map(|(l, o, by)| (l.id.clone(), o.id.clone(), by)).collect();
        assert!(!fast.is_empty());
        assert_eq!(fast, slow);
    }
}
