//! Where each keyed record sits in a workspace's lists (deals, activities, leads, accounts,
//! contacts), so that a batch of changes finds its records without reading every list.
//! The app's model keeps one current beside its workspace (team sync merges ~250 records
//! at a time into workspaces of 100,000: a scan per batch was most of each batch's cost).

use super::ids::{FxMap, FxSet, Id};
use super::workspace::Workspace;

/// Positions by id, per list. `None`: not known (the list is searched instead).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Lookup {
    pub deals: Option<FxMap<Id, usize>>,
    pub activities: Option<FxMap<Id, usize>>,
    pub leads: Option<FxMap<Id, usize>>,
    pub accounts: Option<FxMap<Id, usize>>,
    pub contacts: Option<FxMap<Id, usize>>,
}

/// Every record's position; of equal ids, the first (as a search finds).
fn all<T>(list: &[T], id: impl Fn(&T) -> &Id) -> FxMap<Id, usize> {
    let mut at = FxMap::default();
    at.reserve(list.len());
    for (i, r) in list.iter().enumerate() {
        at.entry(id(r).clone()).or_insert(i);
    }
    at
}

impl Lookup {
    /// Every list mapped.
    pub fn of(ws: &Workspace) -> Lookup {
        let mut l = Lookup::default();
        l.fill(ws);
        l
    }

    /// Maps the lists not mapped (a purge moves records: their list is mapped again).
    pub fn fill(&mut self, ws: &Workspace) {
        self.deals.get_or_insert_with(|| all(&ws.deals, |r| &r.id));
        self.activities.get_or_insert_with(|| all(&ws.activities, |r| &r.id));
        self.leads.get_or_insert_with(|| all(&ws.leads, |r| &r.id));
        self.accounts.get_or_insert_with(|| all(&ws.accounts, |r| &r.id));
        self.contacts.get_or_insert_with(|| all(&ws.contacts, |r| &r.id));
    }

    pub fn deal<'a>(&self, ws: &'a Workspace, id: &Id) -> Option<&'a super::Opportunity> {
        find(&ws.deals, &self.deals, id, |r| &r.id)
    }
    pub fn activity<'a>(&self, ws: &'a Workspace, id: &Id) -> Option<&'a super::Activity> {
        find(&ws.activities, &self.activities, id, |r| &r.id)
    }

    /// The name of what an activity is about, as lists show it ("" when it is gone): by
    /// position in the lists mapped, by a search in the others. The Today page and its
    /// calendar file name every open task's deal, lead, account or contact (a search of
    /// 100,000 deals per task froze Today for ≈ 10 s).
    pub fn target_name(&self, ws: &Workspace, on: &super::activity::ActivityOn) -> String {
        use super::activity::ActivityOn;
        match on {
            ActivityOn::Deal(id) => self.deal(ws, id).map(|d| d.title.clone()),
            ActivityOn::Lead(id) => find(&ws.leads, &self.leads, id, |r| &r.id).map(super::lead::Lead::label),
            ActivityOn::Account(id) => find(&ws.accounts, &self.accounts, id, |r| &r.id).map(|a| a.name.clone()),
            ActivityOn::Contact(id) => find(&ws.contacts, &self.contacts, id, |r| &r.id).map(|c| c.name.clone()),
        }
        .unwrap_or_default()
    }
}

fn find<'a, T>(list: &'a [T], at: &Option<FxMap<Id, usize>>, id: &Id, key: impl Fn(&T) -> &Id) -> Option<&'a T> {
    match at {
        Some(m) => m.get(id).and_then(|&i| list.get(i)).filter(|r| key(r) == id),
        None => list.iter().find(|r| key(r) == id),
    }
}

/// A record mapped costs this much of a step's budget: its id copied, hashed and put in a
/// map of up to a million entries costs about three times what the analytics index's unit
/// does (CPU profiles of a replace's install in wasm: 200,000 ids mapped in a task took
/// 55–76 ms, the index's 200,000 ≈ 10–25).
const MAP_WEIGHT: usize = 3;

/// `Lookup::of` a slice at a time, so the app can let the browser in between: mapping
/// 100,000 deals and 938k activities was ≈ 130 ms of wasm in one task. Each `step` must be
/// handed the same, unchanged workspace.
#[derive(Default)]
pub struct LookupBuilder {
    /// The list being mapped (in `Lookup`'s field order) and the next record in it.
    list: usize,
    next: usize,
    map: FxMap<Id, usize>,
    done: Lookup,
}

impl LookupBuilder {
    pub fn new() -> Self {
        LookupBuilder::default()
    }

    /// Maps up to `budget` more records; true once every list is mapped.
    pub fn step(&mut self, ws: &Workspace, budget: usize) -> bool {
        let mut left = budget;
        while left > 0 && self.list < 5 {
            let len = match self.list {
                0 => self.map_some(&ws.deals, |r| &r.id, &mut left),
                1 => self.map_some(&ws.activities, |r| &r.id, &mut left),
                2 => self.map_some(&ws.leads, |r| &r.id, &mut left),
                3 => self.map_some(&ws.accounts, |r| &r.id, &mut left),
                _ => self.map_some(&ws.contacts, |r| &r.id, &mut left),
            };
            if self.next < len {
                break;
            }
            let map = Some(std::mem::take(&mut self.map));
            match self.list {
                0 => self.done.deals = map,
                1 => self.done.activities = map,
                2 => self.done.leads = map,
                3 => self.done.accounts = map,
                _ => self.done.contacts = map,
            }
            (self.list, self.next) = (self.list + 1, 0);
        }
        self.list >= 5
    }

    /// Maps records of `list` from `next` while the budget lasts (`MAP_WEIGHT` each, so a
    /// step maps ⌈budget / 3⌉ records); returns the list's length.
    fn map_some<T>(&mut self, list: &[T], id: impl Fn(&T) -> &Id, left: &mut usize) -> usize {
        if self.next == 0 {
            self.map.reserve(list.len());
        }
        let upto = list.len().min(self.next.saturating_add(left.div_ceil(MAP_WEIGHT)));
        for (i, r) in list.iter().enumerate().take(upto).skip(self.next) {
            // Of equal ids, the first (as a search finds).
            self.map.entry(id(r).clone()).or_insert(i);
        }
        *left = left.saturating_sub((upto - self.next) * MAP_WEIGHT);
        self.next = upto;
        list.len()
    }

    /// The positions mapped (every list, once `step` said so).
    pub fn finish(self) -> Lookup {
        self.done
    }
}

/// The records of `list` with these ids, in list order: by position when the list is
/// mapped (`at`), else by a search of the list.
pub fn pick<T: Clone>(list: &[T], at: &Option<FxMap<Id, usize>>, ids: &FxSet<&Id>, key: impl Fn(&T) -> &Id) -> Vec<T> {
    match at {
        Some(m) => {
            let mut found: Vec<usize> = ids.iter().filter_map(|id| m.get(*id).copied()).filter(|&i| list.get(i).is_some_and(|r| ids.contains(key(r)))).collect();
            found.sort_unstable();
            found.dedup();
            found.into_iter().map(|i| list[i].clone()).collect()
        }
        None => list.iter().filter(|r| ids.contains(key(r))).cloned().collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{Change, Opportunity};

    fn deal(id: &str, title: &str) -> Opportunity {
        Opportunity { id: Id::from(id), title: title.into(), ..Default::default() }
    }

    #[test]
    fn mapped_a_slice_at_a_time_equals_mapped_at_once() {
        // 3 deals (one id twice: the first position counts), 2 activities, 1 lead: with a
        // budget of 6 (2 records at 3 each) the steps map [a, b], [a, x], [y, l], then find
        // the accounts and contacts empty.
        let mut ws = Workspace { deals: vec![deal("a", "A"), deal("b", "B"), deal("a", "A again")], ..Default::default() };
        for id in ["x", "y"] {
            ws.activities.push(crate::domain::Activity { id: Id::from(id), ..Default::default() });
        }
        ws.leads.push(crate::domain::Lead { id: Id::from("l"), ..Default::default() });
        let mut b = LookupBuilder::new();
        let mut steps = 1;
        while !b.step(&ws, 6) {
            steps += 1;
        }
        assert_eq!(steps, 4);
        // A budget below a record's cost still maps one a step: 6 records, then the empty
        // lists.
        let mut one = LookupBuilder::new();
        let mut steps = 1;
        while !one.step(&ws, 1) {
            steps += 1;
        }
        assert_eq!(steps, 7);
        assert_eq!(one.finish(), Lookup::of(&ws));
        let at = b.finish();
        assert_eq!(at, Lookup::of(&ws));
        assert_eq!(at.deals.as_ref().and_then(|m| m.get(&Id::from("a"))), Some(&0));
        let mut whole = LookupBuilder::new();
        assert!(whole.step(&ws, usize::MAX));
        assert_eq!(whole.finish(), Lookup::of(&ws));
    }

    #[test]
    fn target_names_by_position_are_the_searched_ones() {
        // The demo's activities (on deals and leads), and one each on an account, a contact
        // and a deal that is not there (no name).
        let now = chrono::DateTime::parse_from_rfc3339("2026-11-27T00:00:00Z").map(|t| t.with_timezone(&chrono::Utc)).unwrap_or_default();
        let mut ws = crate::domain::demo::generate(40, 2, 7, now, crate::domain::Lang::En);
        ws.contacts.push(crate::domain::Contact { id: Id::from("ct"), name: "Ana".into(), ..Default::default() });
        let on: Vec<crate::domain::ActivityOn> =
            ws.activities.iter().map(crate::domain::Activity::on).chain([
                crate::domain::ActivityOn::Account(ws.accounts[0].id.clone()),
                crate::domain::ActivityOn::Contact(Id::from("ct")),
                crate::domain::ActivityOn::Deal(Id::from("gone")),
            ])
            .collect();
        // Mapped, and unmapped (searched, as `Workspace::target_name` does).
        let at = Lookup::of(&ws);
        let kinds: FxSet<std::mem::Discriminant<crate::domain::ActivityOn>> = on.iter().map(std::mem::discriminant).collect();
        assert_eq!(kinds.len(), 4, "every kind of target");
        for o in &on {
            assert_eq!(at.target_name(&ws, o), Lookup::default().target_name(&ws, o), "{o:?}");
        }
        assert_eq!(at.target_name(&ws, &crate::domain::ActivityOn::Contact(Id::from("ct"))), "Ana");
        assert_eq!(at.target_name(&ws, &crate::domain::ActivityOn::Deal(Id::from("gone"))), "");
        assert!(on.iter().filter(|o| !at.target_name(&ws, o).is_empty()).count() > 100);
    }

    #[test]
    fn positions_follow_commits_and_a_purge_maps_again() {
        let mut ws = Workspace::default();
        let mut at = Lookup::of(&ws);
        ws.commit_at(vec![Change::PutDeal(deal("a", "A")), Change::PutDeal(deal("b", "B"))], &mut at);
        ws.commit_at(vec![Change::PutDeal(deal("a", "A2")), Change::PutDeal(deal("c", "C"))], &mut at);
        at.fill(&ws);
        assert_eq!(at, Lookup::of(&ws), "kept current equals mapped afresh");
        assert_eq!(at.deal(&ws, &Id::from("a")).map(|d| d.title.as_str()), Some("A2"));
        assert_eq!(at.deal(&ws, &Id::from("zz")), None);
        let named = [Id::from("c"), Id::from("a"), Id::from("zz")];
        let ids: FxSet<&Id> = named.iter().collect();
        let picked: Vec<String> = pick(&ws.deals, &at.deals, &ids, |d| &d.id).into_iter().map(|d| d.title).collect();
        assert_eq!(picked, ["A2", "C"], "in list order, unknown ids left out");
        // A bulk list (mapped only for what it names) with a purge: the deal is replaced
        // by its tombstone, not added again.
        let mut bulk: Vec<Change> = (0..40).map(|i| Change::PutDeal(deal(&format!("n{i}"), "new"))).collect();
        bulk.push(Change::PurgeDeal { tombstone: Opportunity { purged: true, ..deal("b", "B") }, events: Vec::new(), calls: Vec::new(), activities: Vec::new() });
        let mut plain = ws.clone();
        plain.commit(bulk.clone());
        assert_eq!(plain.deals.len(), 3 + 40);
        assert!(plain.deals.iter().filter(|d| d.id == Id::from("b")).all(|d| d.purged));
        ws.commit_at(bulk, &mut at);
        at.fill(&ws);
        assert_eq!(ws.deals, plain.deals);
        assert_eq!(at, Lookup::of(&ws));
        // Unmapped: the same answer by search.
        let searched: Vec<String> = pick(&ws.deals, &None, &ids, |d| &d.id).into_iter().map(|d| d.title).collect();
        assert_eq!(searched, ["A2", "C"]);
    }
}
