//! Merging exports: per-field newest edit wins with a conflict report; events are unioned;
//! merging is idempotent and symmetric.

use chrono::{DateTime, Duration, TimeZone, Utc};
use funnelscope::domain::*;
use funnelscope::io::merge::{changes_from, merge, ChangesFrom, Collision, MergeBuilder};
use proptest::prelude::*;

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 1, 9, 0, 0).unwrap()
}

fn base() -> Workspace {
    demo::generate(12, 4, 4, t0(), Lang::En)
}

/// One edit made on a device: (deal index, field, value, minutes after t0, move?).
type Edit = (usize, u8, String, i64, bool);

fn apply(ws: &mut Workspace, device: &str, seed: u64, edits: &[Edit]) {
    let mut ids = IdGen::new(seed);
    for (i, field, value, minutes, move_it) in edits {
        let deal = ws.deals[i % ws.deals.len()].clone();
        let now = t0() + Duration::minutes(*minutes);
        let mut ctx = Ctx { now, ids: &mut ids, device };
        let task = ws.activities.iter().find(|a| a.deal == deal.id && a.kind == ActivityKind::Task).map(|a| a.id.clone());
        let cmd = if *field == 4 {
            let draft = ActivityDraft { kind: ActivityKind::Task, subject: value.clone(), at: format!("2026-11-0{}T10:00", 1 + value.len()), ..Default::default() };
            Command::LogActivity { on: ActivityOn::Deal(deal.id.clone()), draft }
        } else if *field == 5 && task.is_some() {
            let activity = task.unwrap_or_default();
            if value.len() % 2 == 0 {
                Command::CompleteTask { activity, done: value.len() % 4 == 0 }
            } else {
                Command::RescheduleTask { activity, due: ActivityDraft { at: format!("2026-12-0{}T09:00", value.len()), ..Default::default() } }
            }
        } else if *move_it {
            let p = ws.pipeline(&deal.pipeline).unwrap();
            let to = p.stages[(p.position(&deal.stage).unwrap() + 1) % p.stages.len()].id.clone();
            Command::MoveDeal { deal: deal.id.clone(), from: None, to, note: value.clone(), lost_reason: String::new(), ticked: Vec::new() }
        } else {
            let mut d = DealDraft::from_deal(&deal);
            match field % 4 {
                0 => d.title = format!("T{value}"),
                1 => d.amount = format!("{}", value.len() * 100),
                2 => d.owner = value.clone(),
                _ => d.notes = value.clone(),
            }
            Command::UpdateDeal { deal: deal.id.clone(), draft: d, base: None }
        };
        if let Ok(changes) = ws.plan(cmd, &mut ctx) {
            ws.commit(changes);
        }
    }
}

fn edits() -> impl Strategy<Value = Vec<Edit>> {
    proptest::collection::vec((0usize..12, 0u8..6, "[a-z]{1,6}", 1i64..600, proptest::bool::weighted(0.3)), 0..10)
}

#[test]
fn different_fields_edited_on_each_side_both_survive() {
    let mut a = base();
    let mut b = base();
    apply(&mut a, "laptop", 1, &[(0, 0, "renamed".into(), 10, false)]);
    apply(&mut b, "phone", 2, &[(0, 2, "Zoe".into(), 20, false)]);
    let m = merge(&a, &b);
    let d = &m.workspace.deals.iter().find(|d| d.id == a.deals[0].id).unwrap();
    assert_eq!(d.title, "Trenamed");
    assert_eq!(d.owner, "Zoe");
    assert_eq!(d.device, "phone", "the latest edit's device");
    assert_eq!(m.conflicts.len(), 2, "each side's untouched value was overridden by the other's edit");
    assert!(m.conflicts.iter().any(|c| c.field == "title" && c.kept == "Trenamed"));
}

#[test]
fn the_same_field_edited_on_both_sides_keeps_the_newer_and_reports_the_other() {
    let mut a = base();
    let mut b = base();
    apply(&mut a, "laptop", 1, &[(3, 3, "older note".into(), 10, false)]);
    apply(&mut b, "phone", 2, &[(3, 3, "newer note".into(), 30, false)]);
    let m = merge(&a, &b);
    let d = m.workspace.deals.iter().find(|d| d.id == a.deals[3].id).unwrap();
    assert_eq!(d.notes, "newer note");
    let c = m.conflicts.iter().find(|c| c.field == "notes").unwrap();
    assert_eq!((c.kept.as_str(), c.overridden.as_str()), ("newer note", "older note"));
}

#[test]
fn moves_on_both_sides_are_unioned_and_the_later_one_is_current() {
    let mut a = base();
    let mut b = base();
    apply(&mut a, "laptop", 1, &[(5, 0, "a".into(), 10, true)]);
    apply(&mut b, "phone", 2, &[(5, 0, "b".into(), 50, true)]);
    let m = merge(&a, &b);
    assert_eq!(m.workspace.events.len(), base().events.len() + 2);
    assert_eq!(m.new_events, 1);
    let id = &a.deals[5].id;
    let last = (*m.workspace.history(id).last().unwrap()).clone();
    assert_eq!(last.note, "b");
    assert_eq!(m.workspace.deal(id).unwrap().stage, last.to);
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn merging_is_symmetric_and_idempotent(ea in edits(), eb in edits()) {
        let mut a = base();
        let mut b = base();
        apply(&mut a, "laptop", 1, &ea);
        apply(&mut b, "phone", 2, &eb);
        let ab = merge(&a, &b);
        let ba = merge(&b, &a);
        prop_assert_eq!(&ab.workspace, &ba.workspace);
        let mut c1 = ab.conflicts.clone();
        let mut c2 = ba.conflicts.clone();
        c1.sort_by(|x, y| (&x.deal, x.field, &x.kept).cmp(&(&y.deal, y.field, &y.kept)));
        c2.sort_by(|x, y| (&x.deal, x.field, &x.kept).cmp(&(&y.deal, y.field, &y.kept)));
        prop_assert_eq!(c1, c2);
        // Merging the same file again changes nothing.
        let again = merge(&ab.workspace, &b);
        prop_assert_eq!(&again.workspace, &ab.workspace);
        prop_assert_eq!(again.new_events, 0);
        let self_merge = merge(&ab.workspace, &ab.workspace);
        prop_assert_eq!(&self_merge.workspace, &ab.workspace);
        prop_assert!(self_merge.conflicts.is_empty());
        // Nothing is lost: every event and activity of either side is in the result, and
        // an activity edited on both sides keeps the newer edit.
        for e in a.events.iter().chain(&b.events) {
            prop_assert!(ab.workspace.events.iter().any(|x| x.id == e.id));
        }
        for x in a.activities.iter().chain(&b.activities) {
            let m = ab.workspace.activities.iter().find(|m| m.id == x.id);
            prop_assert!(m.is_some_and(|m| m.updated_at >= x.updated_at));
        }
        assert_valid(&ab.workspace);
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    /// The page works a big merge out a slice at a time: stopped after any number of
    /// records, it comes to the same merge as at once (with colliding ids and edits on
    /// both sides, so every part of it has work to do).
    #[test]
    fn a_merge_worked_out_in_slices_equals_the_merge_at_once(ea in edits(), eb in edits(), budget in 1usize..40, collide in proptest::bool::ANY) {
        let mut a = base();
        let mut b = base();
        apply(&mut a, "laptop", 1, &ea);
        apply(&mut b, "phone", 2, &eb);
        if collide {
            b.events[3].note = "edited elsewhere".into();
            let d = b.deals[2].id.clone();
            b.deals[2].title = "A different deal".into();
            for e in b.events.iter_mut().filter(|e| e.opportunity == d) {
                e.id = Id::from(format!("other-{}", e.id));
            }
            // A newer definition of the pipeline without a stage deals use: kept all the same.
            let dropped = b.pipelines[0].stages.iter().filter(|s| s.kind == StageKind::Open).nth(1).map(|s| s.id.clone());
            b.pipelines[0].stages.retain(|s| Some(&s.id) != dropped.as_ref());
            b.pipelines[0].updated_at = Some(t0() + Duration::days(1));
        }
        for (mine, theirs) in [(&a, &b), (&b, &a)] {
            let mut builder = MergeBuilder::new();
            let mut steps = 0;
            while !builder.step(mine, theirs, budget) {
                steps += 1;
                prop_assert!(steps < 100_000, "the merge never finishes");
            }
            prop_assert_eq!(builder.progress(), 1.0, "the progress bar ends full");
            let at_once = merge(mine, theirs);
            // Handed other workspaces half-way, it starts over rather than read past a list.
            let mut switched = MergeBuilder::new();
            switched.step(&Workspace::default(), &Workspace::default(), budget);
            while !switched.step(mine, theirs, budget) {}
            prop_assert_eq!(switched.finish(), at_once.clone());
            let kept_stage = at_once.collisions.iter().any(|c| matches!(c, Collision::StageKept { .. }));
            prop_assert!(!collide || kept_stage, "the dropped stage was not kept");
            prop_assert!(steps >= (mine.events.len() + theirs.events.len()) / budget, "a step went on past its budget");
            prop_assert_eq!(builder.finish(), at_once);
        }
    }
}

/// Every merged workspace satisfies what an import demands, so it can be exported, imported
/// and restored again.
fn assert_valid(ws: &Workspace) {
    funnelscope::io::json::check_records(&ws.pipelines, &ws.deals, &ws.events, &ws.category_changes, &ws.activities).unwrap();
}

#[test]
fn a_newer_pipeline_without_a_stage_my_deals_use_keeps_that_stage() {
    let mine = base();
    let mut theirs = base();
    // Their newer stage editor removed "Needs analysis" (stage 1) outright; my deals and
    // history still use it.
    let removed = theirs.pipelines[0].stages.remove(1);
    theirs.pipelines[0].updated_at = Some(t0() + Duration::days(1));
    theirs.events.retain(|e| e.to != removed.id && e.from.as_ref() != Some(&removed.id));
    let m = merge(&mine, &theirs);
    let p = &m.workspace.pipelines[0];
    assert!(p.stage(&removed.id).is_some(), "the stage history uses is still there");
    assert!(m.collisions.contains(&Collision::StageKept { pipeline: p.name.clone(), stage: removed.name.clone() }));
    assert_valid(&m.workspace);
    assert_eq!(merge(&theirs, &mine).workspace, m.workspace);
}

#[test]
fn colliding_event_ids_and_deal_ids_are_reported_not_mixed() {
    let mine = base();
    let mut theirs = base();
    // Same event id, other content.
    theirs.events[3].note = "edited elsewhere".into();
    // Same deal id, but a different deal: other creation event, other title and history.
    let d = theirs.deals[2].id.clone();
    theirs.deals[2].title = "A different deal".into();
    for e in theirs.events.iter_mut().filter(|e| e.opportunity == d) {
        e.id = Id::from(format!("other-{}", e.id));
    }
    let m = merge(&mine, &theirs);
    assert!(m.collisions.contains(&Collision::Event { id: mine.events[3].id.to_string() }));
    assert!(m.collisions.iter().any(|c| matches!(c, Collision::Deal { id, .. } if *id == d.to_string())));
    // One deal with that id, with the history of exactly one side.
    let kept = m.workspace.deal(&d).unwrap();
    let history = m.workspace.history(&d);
    let own = if kept.title == "A different deal" { &theirs } else { &mine };
    assert_eq!(history.len(), own.events.iter().filter(|e| e.opportunity == d).count());
    assert_valid(&m.workspace);
    assert_eq!(merge(&theirs, &mine).workspace, m.workspace);
    assert_eq!(merge(&theirs, &mine).collisions, m.collisions);
}

#[test]
fn a_merge_writes_only_what_is_new_and_never_removes() {
    let mine = base();
    assert!(changes_from(&mine, merge(&mine, &mine).workspace).is_empty(), "nothing new: nothing to write, no backup");
    let mut theirs = base();
    apply(&mut theirs, "phone", 2, &[(1, 3, "new note".into(), 5, false), (2, 0, "x".into(), 6, true)]);
    let changes = changes_from(&mine, merge(&mine, &theirs).workspace);
    let (deals, events) = changes.iter().fold((0, 0), |(d, e), c| match c {
        Change::PutDeal(_) => (d + 1, e),
        Change::AppendEvent(_) => (d, e + 1),
        _ => (d, e),
    });
    assert_eq!((deals, events), (2, 1), "two deals changed, one move appended: {changes:?}");
}

/// The changes of a merge worked out a slice of records at a time (`ChangesFrom`, as the
/// write path steps a big merge) are the list worked out at once, for any slice: two deals
/// edited and a move on their side, a second demo's records new to mine, their settings.
#[test]
fn the_changes_of_a_merge_worked_out_in_slices_equal_them_at_once() {
    let mine = base();
    let mut theirs = base();
    apply(&mut theirs, "phone", 2, &[(1, 3, "new note".into(), 5, false), (2, 0, "x".into(), 6, true)]);
    let mut merged = merge(&mine, &theirs).workspace;
    let other = demo::generate(9, 7, 7, t0(), Lang::En);
    merged.accounts.extend(other.accounts);
    merged.deals.extend(other.deals);
    merged.events.extend(other.events);
    merged.category_changes.extend(other.category_changes);
    merged.activities.extend(other.activities);
    merged.leads.extend(other.leads);
    merged.settings.exchange.reporting = "EUR".into();
    let whole = changes_from(&mine, merged.clone());
    assert!(matches!(whole.last(), Some(Change::PutSettings(s)) if s.exchange.reporting == "EUR"));
    // The same list worked out the plain way: each merged record against mine's record
    // with its id (the last one, were there two), found by a scan; log entries new to mine.
    fn plain<T: PartialEq + Clone>(merged: &[T], mine: &[T], id: fn(&T) -> &Id, whole: bool, put: fn(T) -> Change) -> Vec<Change> {
        let stored = |r: &T| mine.iter().rev().find(|m| id(m) == id(r));
        merged.iter().filter(|r| if whole { stored(r) != Some(r) } else { stored(r).is_none() }).cloned().map(put).collect()
    }
    let mut expected = plain(&merged.accounts, &mine.accounts, |a| &a.id, true, Change::PutAccount);
    expected.extend(plain(&merged.contacts, &mine.contacts, |c| &c.id, true, Change::PutContact));
    expected.extend(plain(&merged.pipelines, &mine.pipelines, |p| &p.id, true, Change::PutPipeline));
    expected.extend(plain(&merged.deals, &mine.deals, |d| &d.id, true, Change::PutDeal));
    expected.extend(plain(&merged.events, &mine.events, |e| &e.id, false, Change::AppendEvent));
    expected.extend(plain(&merged.category_changes, &mine.category_changes, |c| &c.id, false, Change::AppendCategory));
    expected.extend(plain(&merged.activities, &mine.activities, |a| &a.id, true, Change::PutActivity));
    expected.extend(plain(&merged.owners, &mine.owners, |o| &o.id, true, Change::PutOwner));
    expected.extend(plain(&merged.leads, &mine.leads, |l| &l.id, true, Change::PutLead));
    expected.push(Change::PutSettings(merged.settings.clone()));
    // Not vacuous: edited deals, new deals and new events among them, and records of mine
    // left out.
    let edited = expected.iter().filter(|c| matches!(c, Change::PutDeal(d) if mine.deals.iter().any(|m| m.id == d.id))).count();
    let appended = expected.iter().filter(|c| matches!(c, Change::AppendEvent(_))).count();
    let all = merged.accounts.len() + merged.deals.len() + merged.events.len() + merged.activities.len() + merged.leads.len();
    assert!(edited >= 2 && appended > 0 && expected.len() < all, "{edited} edited, {appended} appended, {} of {all}", expected.len());
    assert_eq!(whole, expected);
    // Each kind's records go through, and mine's of that kind (indexed first), when the
    // merge has any of it.
    let both = |m: usize, n: usize| if m > 0 { m + n } else { 0 };
    let records = both(merged.accounts.len(), mine.accounts.len())
        + both(merged.contacts.len(), mine.contacts.len())
        + both(merged.pipelines.len(), mine.pipelines.len())
        + both(merged.deals.len(), mine.deals.len())
        + both(merged.events.len(), mine.events.len())
        + both(merged.category_changes.len(), mine.category_changes.len())
        + both(merged.activities.len(), mine.activities.len())
        + both(merged.owners.len(), mine.owners.len())
        + both(merged.leads.len(), mine.leads.len());
    for budget in [1, 13, 250, usize::MAX] {
        let mut c = ChangesFrom::new(merged.clone());
        let mut steps = 1;
        while !c.step(&mine, budget) {
            steps += 1;
        }
        // ⌈records / budget⌉ slices, and one more when the last slice ends a kind exactly.
        assert!(steps >= records.div_ceil(budget) && steps <= records.div_ceil(budget) + 1, "budget {budget}: {steps} steps");
        assert_eq!(c.finish(), whole, "budget {budget}");
    }
}

/// `ChangesFrom` steps assume `mine` is the same at every step (the write queue holds other
/// changes back); one that shrinks between steps, at any point of the pass (mine's ids of
/// a kind half indexed, or indexed and the merged records half checked), must not panic
/// the app (a wasm panic kills it): the steps still end.
#[test]
fn changes_from_a_mine_that_shrank_between_steps_end_without_a_panic() {
    let mine = base();
    let merged = demo::generate(30, 7, 7, t0(), Lang::En);
    let mut less = mine.clone();
    less.deals.truncate(1);
    less.events.truncate(1);
    less.accounts.clear();
    let (mut shrunk_mid_pass, mut k) = (0, 0);
    loop {
        let mut c = ChangesFrom::new(merged.clone());
        let done_on_mine = (0..k).any(|_| c.step(&mine, 5));
        if done_on_mine {
            break;
        }
        shrunk_mid_pass += 1;
        let mut steps = 0;
        while !c.step(&less, 5) {
            steps += 1;
            assert!(steps < 100_000, "the steps end");
        }
        assert!(!c.finish().is_empty());
        k += 1;
    }
    // A pass of ≈ 500 records five at a time: shrunk at each of ≈ 100 points.
    assert!(shrunk_mid_pass >= 90, "{shrunk_mid_pass}");
}

/// Issue 10: a task marked done on one device and rescheduled later on another: the later
/// edit wins whole (activities merge by id, newer edit first), either way round; a task
/// logged on one side only arrives on the other.
#[test]
fn activities_merge_by_id_with_the_newer_edit() {
    let mut a = base();
    let mut b = base();
    let task = a.activities.iter().find(|x| x.is_open_task()).unwrap().clone();
    let run = |ws: &mut Workspace, device: &str, minutes: i64, cmd: Command| {
        let mut ids = IdGen::new(minutes as u64);
        let mut ctx = Ctx { now: t0() + Duration::minutes(minutes), ids: &mut ids, device };
        let changes = ws.plan(cmd, &mut ctx).unwrap();
        ws.commit(changes);
    };
    run(&mut a, "laptop", 10, Command::CompleteTask { activity: task.id.clone(), done: true });
    let due = ActivityDraft { at: "2026-12-01T09:00".into(), ..Default::default() };
    run(&mut b, "phone", 20, Command::RescheduleTask { activity: task.id.clone(), due });
    let draft = ActivityDraft { kind: ActivityKind::Call, subject: "Pricing call".into(), at: "2026-11-01T15:00".into(), ..Default::default() };
    run(&mut b, "phone", 30, Command::LogActivity { on: ActivityOn::Deal(task.deal.clone()), draft });
    for m in [merge(&a, &b), merge(&b, &a)] {
        let t = m.workspace.activity(&task.id).unwrap();
        assert_eq!((t.done_at, t.at, t.device.as_str()), (None, Utc.with_ymd_and_hms(2026, 12, 1, 9, 0, 0).unwrap(), "phone"));
        assert_eq!(m.workspace.activities.len(), base().activities.len() + 1);
        assert_valid(&m.workspace);
    }
    let changes = changes_from(&a, merge(&a, &b).workspace);
    assert_eq!(changes.iter().filter(|c| matches!(c, Change::PutActivity(_))).count(), 2, "the rescheduled task and the new call");
}

/// An activity about a record neither side holds (a lead, account, contact or deal no
/// longer there) does not come through a merge, whether it is worked out at once or a
/// record at a time; the ones about records that are there all do, in id order.
#[test]
fn activities_about_records_neither_side_holds_are_left_out() {
    let a = base();
    let mut b = base();
    let template = b.activities[0].clone();
    let orphan = |id: &str, on: fn(&mut Activity)| {
        let mut x = template.clone();
        x.id = Id::from(id);
        x.deal = Id::from("");
        on(&mut x);
        x
    };
    b.activities.push(orphan("orphan-lead", |x| x.lead = Some(Id::from("no-such-lead"))));
    b.activities.push(orphan("orphan-account", |x| x.account = Some(Id::from("no-such-account"))));
    b.activities.push(orphan("orphan-contact", |x| x.contact = Some(Id::from("no-such-contact"))));
    b.activities.push(orphan("orphan-deal", |x| x.deal = Id::from("no-such-deal")));
    // One about a lead that is there comes through (the filter does not drop everything).
    let mut about_lead = orphan("about-a-lead", |_| {});
    about_lead.lead = Some(a.leads[0].id.clone());
    b.activities.push(about_lead);
    for budget in [1, 7, usize::MAX] {
        for (mine, theirs) in [(&a, &b), (&b, &a)] {
            let mut builder = MergeBuilder::new();
            while !builder.step(mine, theirs, budget) {}
            let m = builder.finish();
            let ids: Vec<&str> = m.workspace.activities.iter().map(|x| x.id.as_str()).collect();
            assert!(!ids.iter().any(|id| id.starts_with("orphan-")), "budget {budget}: {ids:?}");
            assert!(ids.contains(&"about-a-lead"), "budget {budget}");
            // Every one of base's activities, and the one about the lead: 1 more.
            assert_eq!(ids.len(), base().activities.len() + 1, "budget {budget}");
            assert!(ids.windows(2).all(|w| w[0] < w[1]), "in id order");
        }
    }
}

/// The lead rule and the rate table merge separately, each by its own edit time: my later
/// rates and their later rule both survive, whichever side is "mine".
#[test]
fn the_rate_table_and_the_lead_rule_merge_by_their_own_edit_times() {
    use funnelscope::domain::rates::{Rate, RateValue};
    let run = |ws: &mut Workspace, minutes: i64, cmd: Command| {
        let mut ids = IdGen::new(minutes as u64);
        let mut ctx = Ctx { now: t0() + Duration::minutes(minutes), ids: &mut ids, device: "d" };
        let c = ws.plan(cmd, &mut ctx).unwrap();
        ws.commit(c);
    };
    let (mut a, mut b) = (base(), base());
    let eur = |r: &str| Rate { currency: "EUR".into(), on: t0().date_naive(), rate: RateValue::parse(r).unwrap() };
    run(&mut a, 30, Command::SetReportingCurrency { currency: "USD".into(), clear_rates: false });
    run(&mut a, 31, Command::PutRates(vec![eur("1.08")]));
    run(&mut b, 10, Command::SetReportingCurrency { currency: "USD".into(), clear_rates: false });
    run(&mut b, 11, Command::PutRates(vec![eur("1.05")]));
    let rule = AssignRule::RoundRobin { owners: vec!["Ann".into(), "Bo".into()], next: 0 };
    run(&mut b, 40, Command::AssignLeads { leads: Vec::new(), rule: rule.clone() });
    for m in [merge(&a, &b), merge(&b, &a)] {
        let s = &m.workspace.settings;
        assert_eq!(s.exchange.rates, vec![eur("1.08")], "a's table is later");
        assert_eq!(s.lead_rule, Some(rule.clone()), "b's rule is later");
    }
}

/// Copies of one record edited at the same moment on two devices: the one whose content (as
/// JSON text) is greater stays, whichever side it comes from; a later edit wins over greater
/// content. Leads: `{"id":…,"name":"Bo"…}` is greater than `…"name":"Ann"…`.
#[test]
fn equal_edit_times_are_settled_by_content_on_either_side() {
    let mut a = base();
    let Some(lead) = a.leads.first_mut() else { panic!("the demo has leads") };
    lead.name = "Ann".into();
    let id = lead.id.clone();
    let mut b = a.clone();
    if let Some(l) = b.leads.iter_mut().find(|l| l.id == id) {
        l.name = "Bo".into();
    }
    let name = |ws: &Workspace| ws.leads.iter().find(|l| l.id == id).map(|l| l.name.clone());
    assert_eq!((name(&merge(&a, &b).workspace), name(&merge(&b, &a).workspace)), (Some("Bo".into()), Some("Bo".into())));
    // "Ann" a second later: the later edit stays.
    if let Some(l) = a.leads.iter_mut().find(|l| l.id == id) {
        l.updated_at += Duration::seconds(1);
    }
    assert_eq!((name(&merge(&a, &b).workspace), name(&merge(&b, &a).workspace)), (Some("Ann".into()), Some("Ann".into())));
}
