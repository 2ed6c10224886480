//! Accounts (companies) and contacts (people) as records, linked to deals: a deal's
//! free-text account and contact name the record it is linked to, matched by name
//! (company names compared without case, punctuation or legal forms, as for leads).

use super::ids::{Id, IdGen};
use super::lead::company_key;
use super::opportunity::Opportunity;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Account {
    pub id: Id,
    pub name: String,
    /// Set when this account was merged into another: it leaves the lists, and deals that
    /// still name it link to the one it went into.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub merged_into: Option<Id>,
    #[serde(with = "super::time::utc")]
    pub created_at: DateTime<Utc>,
    #[serde(with = "super::time::utc")]
    pub updated_at: DateTime<Utc>,
    #[serde(default)]
    pub device: String,
    #[serde(flatten)]
    pub extra: super::pipeline::Extra,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Contact {
    pub id: Id,
    pub name: String,
    /// The company they work for, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account: Option<Id>,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub email: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub phone: String,
    #[serde(with = "super::time::utc")]
    pub created_at: DateTime<Utc>,
    #[serde(with = "super::time::utc")]
    pub updated_at: DateTime<Utc>,
    #[serde(default)]
    pub device: String,
    #[serde(flatten)]
    pub extra: super::pipeline::Extra,
}

/// Finds or creates the account and contact records that deals' free text names, and
/// links the deals to them. Existing records are indexed once by name key, so linking a
/// hundred thousand imported deals stays linear; records created are matched by later
/// deals of the same batch and returned by `records`.
pub struct Linker {
    accounts: std::collections::HashMap<String, Id>,
    contacts: std::collections::HashMap<(String, Option<Id>), Id>,
    /// Existing records by id: the name key an account has, the lower-case name of a contact.
    account_keys: std::collections::HashMap<Id, String>,
    contact_names: std::collections::HashMap<Id, String>,
    pub created_accounts: Vec<Account>,
    pub created_contacts: Vec<Contact>,
}

/// Where an account lives now: itself, or the account it was merged into (followed to the
/// end, at most as many steps as there are accounts, so a cycle from a bad file ends).
pub fn resolve(accounts: &[Account], id: &Id) -> Id {
    let mut at = id.clone();
    for _ in 0..accounts.len() {
        match accounts.iter().find(|a| a.id == at).and_then(|a| a.merged_into.clone()) {
            Some(next) if next != at => at = next,
            _ => break,
        }
    }
    at
}

/// How an account name is matched: its company key, or the trimmed name itself when the
/// key is empty (a company called "Co").
pub fn account_key(name: &str) -> String {
    let k = company_key(name);
    if k.is_empty() { format!("\u{1}{}", name.trim()) } else { k }
}

impl Linker {
    pub fn new(accounts: &[Account], contacts: &[Contact]) -> Self {
        let mut a = std::collections::HashMap::new();
        let mut account_keys = std::collections::HashMap::new();
        // Live accounts first, so a name both a live and a merged account carry finds the
        // live one; a merged account's name leads to where it went.
        let live = |x: &&Account| x.merged_into.is_none();
        for x in accounts.iter().filter(live).chain(accounts.iter().filter(|x| !live(x))) {
            let k = account_key(&x.name);
            // Deals still linked to a merged account need linking again (to where it went).
            if x.merged_into.is_none() {
                account_keys.insert(x.id.clone(), k.clone());
            }
            let target = resolve(accounts, &x.id);
            a.entry(k).or_insert(target);
        }
        let mut c = std::collections::HashMap::new();
        let mut contact_names = std::collections::HashMap::new();
        for x in contacts {
            let n = x.name.trim().to_lowercase();
            contact_names.insert(x.id.clone(), n.clone());
            c.entry((n, x.account.clone())).or_insert_with(|| x.id.clone());
        }
        Linker { accounts: a, contacts: c, account_keys, contact_names, created_accounts: Vec::new(), created_contacts: Vec::new() }
    }

    /// Whether a deal's links are missing or out of date with its text (never linked, or
    /// the text edited by a build without records).
    pub fn needs_link(&self, d: &Opportunity) -> bool {
        let account_ok = match (d.account.trim().is_empty(), d.account_id.as_ref().and_then(|id| self.account_keys.get(id))) {
            (true, _) => d.account_id.is_none(),
            (false, Some(k)) => *k == account_key(&d.account),
            (false, None) => false,
        };
        let contact_ok = match (d.contact.trim().is_empty(), d.contact_id.as_ref().and_then(|id| self.contact_names.get(id))) {
            (true, _) => d.contact_id.is_none(),
            (false, Some(n)) => *n == d.contact.trim().to_lowercase(),
            (false, None) => false,
        };
        !(account_ok && contact_ok)
    }

    fn account_for(&mut self, name: &str, now: DateTime<Utc>, ids: &mut IdGen, device: &str) -> Option<Id> {
        if name.trim().is_empty() {
            return None;
        }
        let key = account_key(name);
        if let Some(id) = self.accounts.get(&key) {
            return Some(id.clone());
        }
        let a = Account { id: ids.next_id(), name: name.trim().to_string(), created_at: now, updated_at: now, device: device.to_string(), ..Default::default() };
        self.accounts.insert(key, a.id.clone());
        let id = a.id.clone();
        self.created_accounts.push(a);
        Some(id)
    }

    fn contact_for(&mut self, name: &str, account: Option<&Id>, now: DateTime<Utc>, ids: &mut IdGen, device: &str) -> Option<Id> {
        let name = name.trim();
        if name.is_empty() {
            return None;
        }
        let key = (name.to_lowercase(), account.cloned());
        if let Some(id) = self.contacts.get(&key) {
            return Some(id.clone());
        }
        let c = Contact { id: ids.next_id(), name: name.to_string(), account: account.cloned(), created_at: now, updated_at: now, device: device.to_string(), ..Default::default() };
        self.contacts.insert(key, c.id.clone());
        let id = c.id.clone();
        self.created_contacts.push(c);
        Some(id)
    }

    /// The records created, as changes to store (before the deals that point at them).
    pub fn records(self) -> impl Iterator<Item = super::workspace::Change> {
        self.created_accounts
            .into_iter()
            .map(super::workspace::Change::PutAccount)
            .chain(self.created_contacts.into_iter().map(super::workspace::Change::PutContact))
    }

    /// Links `deal` to the records its account and contact text name (creating them when
    /// new); true when its links changed.
    pub fn link(&mut self, deal: &mut Opportunity, now: DateTime<Utc>, ids: &mut IdGen, device: &str) -> bool {
        let account = self.account_for(&deal.account, now, ids, device);
        let contact = self.contact_for(&deal.contact, account.as_ref(), now, ids, device);
        let changed = deal.account_id != account || deal.contact_id != contact;
        deal.account_id = account;
        deal.contact_id = contact;
        changed
    }
}

/// What an account page shows: its deals by state, money won and the win rate.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct AccountSummary {
    pub open: usize,
    pub won: usize,
    pub lost: usize,
    /// Won amounts by currency (minor units).
    pub won_amount: Vec<(String, i64)>,
    /// won ÷ (won + lost).
    pub win_rate: Option<f64>,
}

pub fn account_summary(ws: &super::workspace::Workspace, account: &Id) -> AccountSummary {
    use super::pipeline::StageKind;
    let mut s = AccountSummary::default();
    let mut won_deals = Vec::new();
    for d in ws.live_deals().filter(|d| d.account_id.as_ref() == Some(account)) {
        match ws.pipeline(&d.pipeline).and_then(|p| p.stage(&d.stage)).map(|st| st.kind) {
            Some(StageKind::Open) => s.open += 1,
            Some(StageKind::Won) => {
                s.won += 1;
                won_deals.push((d.currency.as_str(), d.amount));
            }
            Some(StageKind::Lost) => s.lost += 1,
            None => {}
        }
    }
    s.won_amount = super::money::totals_by_currency(won_deals);
    s.win_rate = (s.won + s.lost > 0).then(|| s.won as f64 / (s.won + s.lost) as f64);
    s
}
