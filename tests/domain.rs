//! Domain behaviour: the event log is the truth, moves in every direction are recorded,
//! and refused commands change nothing.

use chrono::{DateTime, Duration, TimeZone, Utc};
use funnelscope::domain::*;

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 1, 9, 0, 0).unwrap()
}

struct World {
    ws: Workspace,
    ids: IdGen,
    now: DateTime<Utc>,
}

impl World {
    fn new() -> Self {
        let mut w = World { ws: Workspace::default(), ids: IdGen::new(42), now: t0() };
        w.run(Command::CreatePipeline { template: Template::B2b, lang: Lang::En }).unwrap();
        w
    }
    fn run(&mut self, cmd: Command) -> Result<Vec<Change>, Rejection> {
        let mut ctx = Ctx { now: self.now, ids: &mut self.ids, device: "test-device" };
        let changes = self.ws.plan(cmd, &mut ctx)?;
        self.ws.commit(changes.clone());
        Ok(changes)
    }
    fn pipeline(&self) -> &Pipeline {
        &self.ws.pipelines[0]
    }
    fn stage(&self, name: &str) -> Id {
        self.pipeline().stages.iter().find(|s| s.name == name).unwrap().id.clone()
    }
    fn add_deal(&mut self, title: &str) -> Id {
        let draft = DealDraft { title: title.into(), amount: "1000".into(), ..Default::default() };
        let pid = self.pipeline().id.clone();
        self.run(Command::CreateDeal { pipeline: pid, stage: None, draft }).unwrap();
        self.ws.deals.last().unwrap().id.clone()
    }
    fn move_to(&mut self, deal: &Id, stage: &str) -> Result<Vec<Change>, Rejection> {
        self.now += Duration::days(1);
        let to = self.stage(stage);
        self.run(Command::MoveDeal { deal: deal.clone(), from: None, to, note: String::new(), lost_reason: "Price".into(), ticked: Vec::new() })
    }
    fn stage_name_of(&self, deal: &Id) -> String {
        let d = self.ws.deal(deal).unwrap();
        self.pipeline().stage(&d.stage).unwrap().name.clone()
    }
}

#[test]
fn templates_have_four_open_stages_then_won_and_lost() {
    let mut ids = IdGen::new(1);
    for (t, first) in [(Template::B2b, "初步沟通"), (Template::CustomerJourney, "认知")] {
        let p = from_template(t, Lang::Zh, &mut ids);
        let kinds: Vec<StageKind> = p.stages.iter().map(|s| s.kind).collect();
        use StageKind::*;
        assert_eq!(kinds, vec![Open, Open, Open, Open, Won, Lost]);
        assert_eq!(p.stages[0].name, first);
        assert!(p.stages.iter().all(|s| !s.entry_criteria.is_empty()));
        let probs: Vec<u8> = p.stages.iter().map(|s| s.probability).collect();
        assert_eq!(probs, vec![10, 25, 50, 75, 100, 0]);
    }
}

#[test]
fn new_deal_starts_in_first_stage_with_a_creation_event() {
    let mut w = World::new();
    let d = w.add_deal("ERP");
    assert_eq!(w.stage_name_of(&d), "Qualification");
    let h = w.ws.history(&d);
    assert_eq!(h.len(), 1);
    assert_eq!(h[0].from, None);
    assert_eq!(h[0].at, t0());
}

#[test]
fn forward_skip_back_lost_and_reopen_are_all_recorded() {
    let mut w = World::new();
    let d = w.add_deal("ERP");
    w.move_to(&d, "Needs analysis").unwrap();
    w.move_to(&d, "Negotiation").unwrap(); // skip Demo
    w.move_to(&d, "Demo").unwrap(); // back: re-nurture
    w.move_to(&d, "Lost").unwrap();
    w.move_to(&d, "Qualification").unwrap(); // reopen a terminal deal
    w.move_to(&d, "Won").unwrap();
    let names: Vec<String> = w
        .ws
        .history(&d)
        .iter()
        .map(|e| w.pipeline().stage(&e.to).unwrap().name.clone())
        .collect();
    assert_eq!(names, ["Qualification", "Needs analysis", "Negotiation", "Demo", "Lost", "Qualification", "Won"]);
    assert_eq!(w.stage_name_of(&d), "Won");
    // Each event's `from` is the previous event's `to`.
    let h = w.ws.history(&d);
    for pair in h.windows(2) {
        assert_eq!(pair[1].from.as_ref(), Some(&pair[0].to));
    }
}

#[test]
fn current_stage_is_derivable_from_the_log_alone() {
    let mut w = World::new();
    let a = w.add_deal("A");
    let b = w.add_deal("B");
    w.move_to(&a, "Demo").unwrap();
    w.move_to(&b, "Lost").unwrap();
    w.move_to(&a, "Needs analysis").unwrap();
    let mut stale = w.ws.deals.clone();
    for d in &mut stale {
        d.stage = Id::from("garbage");
    }
    // Shuffled log order must not matter when times differ.
    let mut events = w.ws.events.clone();
    events.reverse();
    let rebuilt = Workspace::from_records(w.ws.pipelines.clone(), stale, events);
    for d in &w.ws.deals {
        assert_eq!(rebuilt.deal(&d.id).unwrap().stage, d.stage);
    }
    assert_eq!(w.stage_name_of(&a), "Needs analysis");
}

#[test]
fn equal_timestamps_resolve_to_the_later_log_entry() {
    let mut w = World::new();
    let d = w.add_deal("A");
    let to = w.stage("Demo");
    // Same `now` as creation: the move must still come after the creation event.
    w.run(Command::MoveDeal { deal: d.clone(), from: None, to, note: String::new(), lost_reason: String::new(), ticked: Vec::new() }).unwrap();
    let h = w.ws.history(&d);
    assert!(h[1].at > h[0].at, "moves are kept strictly after the previous event");
    let rebuilt = Workspace::from_records(w.ws.pipelines.clone(), w.ws.deals.clone(), w.ws.events.clone());
    assert_eq!(rebuilt.deal(&d).unwrap().stage, w.stage("Demo"));
}

#[test]
fn a_clock_behind_the_last_event_still_appends_after_it() {
    let mut w = World::new();
    let d = w.add_deal("A");
    w.move_to(&d, "Demo").unwrap();
    w.now -= Duration::days(10); // another device with a slow clock
    w.move_to(&d, "Negotiation").unwrap();
    assert_eq!(w.stage_name_of(&d), "Negotiation");
    let h = w.ws.history(&d);
    assert!(h[2].at > h[1].at);
}

#[test]
fn a_move_comes_after_its_own_deals_last_event_not_after_another_deals() {
    let mut w = World::new();
    let a = w.add_deal("A");
    let b = w.add_deal("B");
    // When a move happens (`at` of the event it appends), moved at `now`.
    let move_at = |w: &mut World, deal: &Id, stage: &str, now: DateTime<Utc>| {
        w.now = now;
        let to = w.stage(stage);
        let changes = w.run(Command::MoveDeal { deal: deal.clone(), from: None, to, note: String::new(), lost_reason: String::new(), ticked: Vec::new() }).unwrap();
        changes.iter().find_map(|c| if let Change::AppendEvent(e) = c { Some(e.at) } else { None }).unwrap()
    };
    // A is moved on a device whose clock runs two hours ahead: t0 + 2 h.
    let (h1, h2) = (Duration::hours(1), Duration::hours(2));
    assert_eq!(move_at(&mut w, &a, "Demo", t0() + h2), t0() + h2);
    // Here, at t0 + 1 h, the log's newest event (A's) is ahead of now. B's last event is its
    // creation at t0, before now: B's move is at now, not after A's.
    assert_eq!(move_at(&mut w, &b, "Demo", t0() + h1), t0() + h1);
    // A's own last event is ahead: A's move comes a millisecond after it.
    assert_eq!(move_at(&mut w, &a, "Negotiation", t0() + h1), t0() + h2 + Duration::milliseconds(1));
    // Past every event in the log (t0 + 3 h): now.
    assert_eq!(move_at(&mut w, &b, "Negotiation", t0() + Duration::hours(3)), t0() + Duration::hours(3));
    for d in [&a, &b] {
        let h = w.ws.history(d);
        assert!(h.windows(2).all(|p| p[1].at > p[0].at), "each deal's log strictly increasing");
    }
    assert_eq!((w.stage_name_of(&a), w.stage_name_of(&b)), ("Negotiation".to_string(), "Negotiation".to_string()));
}

#[test]
fn moving_to_lost_keeps_the_reason_and_reopening_clears_it() {
    let mut w = World::new();
    let d = w.add_deal("A");
    let lost = w.stage("Lost");
    w.run(Command::MoveDeal { deal: d.clone(), from: None, to: lost, note: "call in Q3".into(), lost_reason: "Price".into(), ticked: Vec::new() })
        .unwrap();
    assert_eq!(w.ws.deal(&d).unwrap().lost_reason, "Price");
    assert_eq!(w.ws.history(&d)[1].note, "Price — call in Q3");
    w.move_to(&d, "Demo").unwrap();
    assert_eq!(w.ws.deal(&d).unwrap().lost_reason, "");
}

#[test]
fn refused_moves_change_nothing() {
    let mut w = World::new();
    let d = w.add_deal("A");
    let before = w.ws.clone();
    assert_eq!(w.move_to(&d, "Qualification").unwrap_err()[0].1, DomainError::AlreadyInStage);
    let err = w
        .run(Command::MoveDeal { deal: d.clone(), from: None, to: Id::from("nope"), note: String::new(), lost_reason: String::new(), ticked: Vec::new() })
        .unwrap_err();
    assert_eq!(err[0].1, DomainError::UnknownStage);
    let err = w
        .run(Command::MoveDeal { deal: Id::from("nope"), from: None, to: w.stage("Demo"), note: String::new(), lost_reason: String::new(), ticked: Vec::new() })
        .unwrap_err();
    assert_eq!(err[0].1, DomainError::UnknownDeal);
    assert_eq!(w.ws, before);
}

#[test]
fn invalid_deal_form_creates_nothing() {
    let mut w = World::new();
    let before = w.ws.clone();
    let pid = w.pipeline().id.clone();
    let draft = DealDraft { title: "".into(), amount: "12abc".into(), ..Default::default() };
    let err = w.run(Command::CreateDeal { pipeline: pid, stage: None, draft }).unwrap_err();
    let fields: Vec<Field> = err.iter().map(|e| e.0).collect();
    assert_eq!(fields, vec![Field::Title, Field::Amount]);
    assert_eq!(w.ws, before);
}

#[test]
fn editing_a_deal_keeps_its_stage_and_history() {
    let mut w = World::new();
    let d = w.add_deal("A");
    w.move_to(&d, "Demo").unwrap();
    w.now += Duration::hours(1);
    let mut draft = DealDraft::from_deal(w.ws.deal(&d).unwrap());
    draft.title = "A (renamed)".into();
    draft.amount = "2,500.50".into();
    w.run(Command::UpdateDeal { deal: d.clone(), draft, base: None }).unwrap();
    let deal = w.ws.deal(&d).unwrap();
    assert_eq!(deal.title, "A (renamed)");
    assert_eq!(deal.amount, Some(250_050));
    assert_eq!(deal.updated_at, w.now);
    assert_eq!(w.stage_name_of(&d), "Demo");
    assert_eq!(w.ws.history(&d).len(), 2);
}

#[test]
fn deal_can_be_created_directly_in_a_chosen_stage() {
    let mut w = World::new();
    let pid = w.pipeline().id.clone();
    let demo = w.stage("Demo");
    let draft = DealDraft { title: "Late entry".into(), ..Default::default() };
    w.run(Command::CreateDeal { pipeline: pid, stage: Some(demo.clone()), draft }).unwrap();
    assert_eq!(w.ws.deals[0].stage, demo);
    assert_eq!(w.ws.deals[0].amount, None);
}

mod stage_editor {
    use super::*;

    #[test]
    fn rename_reorder_add_and_set_probability() {
        let mut w = World::new();
        let mut p = w.pipeline().clone();
        p.stages[0].name = "  Discovery ".into();
        p.stages.swap(1, 2);
        p.stages[3].probability = 80;
        let mut extra = p.stages[0].clone();
        extra.id = Id::from("new-stage");
        extra.name = "Proposal".into();
        extra.entry_criteria = vec!["  Budget approved ".into(), "   ".into()];
        p.stages.insert(4, extra);
        w.run(Command::SavePipeline { pipeline: p, base: None }).unwrap();
        let names: Vec<&str> = w.pipeline().stages.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(names, ["Discovery", "Demo", "Needs analysis", "Negotiation", "Proposal", "Won", "Lost"]);
        assert_eq!(w.pipeline().stages[3].probability, 80);
        assert_eq!(w.pipeline().stages[4].entry_criteria, vec!["Budget approved".to_string()]);
    }

    #[test]
    fn removing_an_unused_stage_deletes_it_and_a_used_one_is_archived() {
        let mut w = World::new();
        let d = w.add_deal("A");
        w.move_to(&d, "Demo").unwrap();
        w.move_to(&d, "Negotiation").unwrap();
        let demo = w.stage("Demo");
        let mut p = w.pipeline().clone();
        p.stages.retain(|s| s.name != "Demo" && s.name != "Needs analysis");
        w.run(Command::SavePipeline { pipeline: p, base: None }).unwrap();
        let p = w.pipeline();
        assert!(p.stages.iter().all(|s| s.name != "Needs analysis"), "never used: gone");
        let kept = p.stage(&demo).expect("history mentions Demo: kept");
        assert!(kept.archived);
        assert_eq!(p.active_stages().count(), 4);
    }

    #[test]
    fn refuses_to_remove_a_stage_that_holds_deals() {
        let mut w = World::new();
        w.add_deal("A");
        w.add_deal("B");
        let before = w.ws.clone();
        let mut p = w.pipeline().clone();
        p.stages.remove(0);
        let err = w.run(Command::SavePipeline { pipeline: p, base: None }).unwrap_err();
        assert_eq!(err, vec![(Field::Stage, DomainError::StageHasDeals { stage: "Qualification".into(), deals: 2 })]);
        assert_eq!(w.ws, before);
    }

    #[test]
    fn refuses_invalid_stage_lists() {
        let mut w = World::new();
        let base = w.pipeline().clone();
        let check = |w: &mut World, p: Pipeline, want: DomainError| {
            let err = w.run(Command::SavePipeline { pipeline: p, base: None }).unwrap_err();
            assert!(err.iter().any(|e| e.1 == want), "{err:?} should contain {want:?}");
        };
        let mut p = base.clone();
        p.stages[1].name = "qualification".into();
        check(&mut w, p, DomainError::DuplicateStageName("qualification".into()));
        let mut p = base.clone();
        p.stages[2].name = " ".into();
        check(&mut w, p, DomainError::StageNameRequired { position: 3 });
        let mut p = base.clone();
        p.stages[0].probability = 101;
        check(&mut w, p, DomainError::ProbabilityOutOfRange { stage: "Qualification".into() });
        let mut p = base.clone();
        p.stages.retain(|s| s.kind != StageKind::Won);
        check(&mut w, p, DomainError::NeedsOneWonStage);
        let mut p = base.clone();
        p.stages.retain(|s| s.kind == StageKind::Open);
        check(&mut w, p, DomainError::NeedsOneLostStage);
        let mut p = base.clone();
        p.stages.retain(|s| s.kind != StageKind::Open);
        check(&mut w, p, DomainError::NeedsOpenStage);
        let mut p = base.clone();
        p.stages.swap(3, 4);
        check(&mut w, p, DomainError::TerminalStagesLast);
        let mut p = base.clone();
        p.name = "".into();
        check(&mut w, p, DomainError::PipelineNameRequired);
        assert_eq!(w.ws.pipelines[0], base);
    }
}

mod demo_dataset {
    use super::*;
    use funnelscope::domain::demo::{self, TRUE_TRANSITIONS};
    use std::collections::{HashMap, HashSet};

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 27, 12, 0, 0).unwrap()
    }

    #[test]
    fn is_deterministic_and_realistic() {
        let a = demo::generate(300, 7, 7, now(), Lang::En);
        assert_eq!(a, demo::generate(300, 7, 7, now(), Lang::En));
        assert_eq!(a.deals.len(), 300);
        let p = &a.pipelines[0];
        let pos = |id: &Id| p.position(id).unwrap();
        let (mut back, mut skip, mut reopen) = (0, 0, 0);
        for e in &a.events {
            let Some(from) = &e.from else { continue };
            let (f, t) = (pos(from), pos(&e.to));
            if f == 5 && t == 0 {
                reopen += 1;
            } else if t < f {
                back += 1;
            } else if t > f + 1 && t < 4 || (f == 2 && t == 4) {
                skip += 1;
            }
        }
        assert!(back >= 5 && skip >= 5 && reopen >= 1, "back {back} skip {skip} reopen {reopen}");
        let by_stage = a.deals_by_stage();
        let count = |i: usize| by_stage.get(&p.stages[i].id).map_or(0, |v| v.len());
        assert!(count(4) >= 40, "won {}", count(4));
        assert!(count(5) >= 60, "lost {}", count(5));
        assert!((0..4).map(count).sum::<usize>() >= 10, "some deals still open");
    }

    #[test]
    fn the_apps_demo_has_open_deals_in_every_stage() {
        let a = demo::generate(300, demo::DEMO_SEED, 1, now(), Lang::En);
        let p = &a.pipelines[0];
        let by_stage = a.deals_by_stage();
        for s in &p.stages {
            assert!(by_stage.get(&s.id).map_or(0, |v| v.len()) >= 3, "{} has fewer than 3 deals", s.name);
        }
        // The flow is fixed by the seed; ids are not.
        let b = demo::generate(300, demo::DEMO_SEED, 2, now(), Lang::En);
        assert_ne!(a.deals[0].id, b.deals[0].id);
        assert_eq!(a.deals[0].title, b.deals[0].title);
        assert_eq!(a.events.len(), b.events.len());
        let owners: HashSet<&str> = a.deals.iter().map(|d| d.owner.as_str()).collect();
        let sources: HashSet<&str> = a.deals.iter().map(|d| d.source.as_str()).collect();
        assert!(owners.len() >= 4 && sources.len() >= 4);
        assert!(a.events.iter().all(|e| e.at <= now() && e.at >= now() - Duration::days(400)));
    }

    #[test]
    fn every_deal_history_is_a_chain_in_time_order() {
        let ws = demo::generate(300, 11, 11, now(), Lang::Zh);
        assert_eq!(ws.pipelines[0].stages[0].name, "初步沟通");
        for d in &ws.deals {
            let h = ws.history(&d.id);
            assert_eq!(h[0].from, None);
            for pair in h.windows(2) {
                assert!(pair[1].at > pair[0].at);
                assert_eq!(pair[1].from.as_ref(), Some(&pair[0].to));
            }
            assert_eq!(h.last().unwrap().to, d.stage);
        }
    }

    #[test]
    fn stages_derived_from_a_log_out_of_order_equal_those_from_the_log_in_order() {
        // Each deal's stage is the target of its last event by (time, stamp, id). With the
        // log reversed, and with each deal's events rotated, the last event in the list is
        // no longer the last in time: derive_stages must compare, and agree with the
        // generator's stages (the last in time) and with an ordered log.
        let ws = demo::generate(300, 11, 11, now(), Lang::En);
        let truth: Vec<(Id, Id)> = ws.deals.iter().map(|d| (d.id.clone(), d.stage.clone())).collect();
        let mut blank = ws.clone();
        for d in &mut blank.deals {
            d.stage = Id::from("stale");
        }
        let mut reversed = blank.clone();
        reversed.events.reverse();
        assert!(!reversed.events.is_sorted_by(|a, b| a.key() <= b.key()));
        reversed.derive_stages();
        let mut ordered = blank.clone();
        ordered.derive_stages();
        for ws in [&reversed, &ordered] {
            let got: Vec<(Id, Id)> = ws.deals.iter().map(|d| (d.id.clone(), d.stage.clone())).collect();
            assert_eq!(got, truth);
        }
    }

    /// Counting observed transitions over many deals recovers the documented matrix;
    /// each estimate must land within 4 standard errors of the truth.
    #[test]
    fn documented_rates_are_what_the_generator_does() {
        let ws = demo::generate(20_000, 3, 3, now(), Lang::En);
        let p = &ws.pipelines[0];
        let mut counts: HashMap<(usize, usize), f64> = HashMap::new();
        let mut totals = [0f64; 4];
        for e in &ws.events {
            let Some(from) = &e.from else { continue };
            let (f, t) = (p.position(from).unwrap(), p.position(&e.to).unwrap());
            if f < 4 {
                *counts.entry((f, t)).or_default() += 1.0;
                totals[f] += 1.0;
            }
        }
        for (i, row) in TRUE_TRANSITIONS.iter().enumerate() {
            for (j, &truth) in row.iter().enumerate() {
                let est = counts.get(&(i, j)).copied().unwrap_or(0.0) / totals[i];
                let se = (truth * (1.0 - truth) / totals[i]).sqrt().max(1e-9);
                assert!((est - truth).abs() <= 4.0 * se + 1e-12, "{i}->{j}: est {est:.4} truth {truth} se {se:.4}");
            }
        }
    }
}

#[test]
fn moves_are_classified_for_the_timeline() {
    let mut w = World::new();
    let d = w.add_deal("A");
    for s in ["Needs analysis", "Negotiation", "Demo", "Lost", "Qualification", "Won", "Lost"] {
        w.move_to(&d, s).unwrap();
    }
    let kinds: Vec<MoveKind> = w.ws.history(&d).iter().map(|e| classify(w.pipeline(), e)).collect();
    use MoveKind::*;
    assert_eq!(kinds, vec![Created, Forward, Skip(1), Back, Lost, Reopen, Won, Other]);
}

#[test]
fn forecast_calls_are_logged_when_made_or_changed() {
    let mut w = World::new();
    let pid = w.pipeline().id.clone();
    let draft = DealDraft { title: "A".into(), forecast_category: ForecastCategory::BestCase, ..Default::default() };
    w.run(Command::CreateDeal { pipeline: pid, stage: None, draft }).unwrap();
    let d = w.ws.deals[0].id.clone();
    assert_eq!(w.ws.category_changes.len(), 1);
    assert_eq!(w.ws.category_changes[0].category, ForecastCategory::BestCase);
    // An edit that leaves the call alone logs nothing; a new call is logged with its time.
    w.now += Duration::days(2);
    let mut draft = DealDraft::from_deal(w.ws.deal(&d).unwrap());
    draft.title = "A2".into();
    w.run(Command::UpdateDeal { deal: d.clone(), draft: draft.clone(), base: None }).unwrap();
    assert_eq!(w.ws.category_changes.len(), 1);
    draft.forecast_category = ForecastCategory::Commit;
    w.run(Command::UpdateDeal { deal: d.clone(), draft, base: None }).unwrap();
    assert_eq!(w.ws.category_changes.len(), 2);
    assert_eq!(w.ws.category_changes[1].at, w.now);
    assert_eq!(w.ws.deal(&d).unwrap().forecast_category, ForecastCategory::Commit);
}

/// Issue 11: pipeline names are unique. A second pipeline from the same template is
/// numbered; renaming onto another pipeline's name (any case) is refused and changes nothing.
#[test]
fn pipeline_names_are_unique() {
    let mut w = World::new();
    w.run(Command::CreatePipeline { template: Template::B2b, lang: Lang::En }).unwrap();
    w.run(Command::CreatePipeline { template: Template::B2b, lang: Lang::En }).unwrap();
    let names: Vec<&str> = w.ws.pipelines.iter().map(|p| p.name.as_str()).collect();
    let first = names[0].to_string();
    assert_eq!(names[1..], [format!("{first} (2)"), format!("{first} (3)")]);
    let mut second = w.ws.pipelines[1].clone();
    second.name = format!("  {}  ", first.to_uppercase());
    let before = w.ws.clone();
    let e = w.run(Command::SavePipeline { pipeline: second.clone(), base: None }).unwrap_err();
    assert_eq!(e, vec![(Field::PipelineName, DomainError::DuplicatePipelineName(first.to_uppercase()))]);
    assert_eq!(w.ws, before);
    second.name = "Renewals".into();
    w.run(Command::SavePipeline { pipeline: second, base: None }).unwrap();
    assert_eq!(w.ws.pipelines[1].name, "Renewals");
}

/// Issue 11: "Lost reason recorded" is Lost's entry criterion, and a template pipeline asks
/// for it: a move to Lost without a reason is refused and changes nothing; with one it is
/// recorded on the deal and the event. A pipeline that does not ask (older files) accepts it.
#[test]
fn a_lost_deal_needs_a_reason_when_the_pipeline_asks() {
    let mut w = World::new();
    assert!(w.pipeline().require_lost_reason);
    assert_eq!(w.pipeline().lost_reasons.first().map(String::as_str), Some("Price"));
    let d = w.add_deal("Gone");
    let lost = w.stage("Lost");
    let before = w.ws.clone();
    let e = w.run(Command::MoveDeal { deal: d.clone(), from: None, to: lost.clone(), note: String::new(), lost_reason: "  ".into(), ticked: Vec::new() }).unwrap_err();
    assert_eq!(e, vec![(Field::LostReason, DomainError::LostReasonRequired)]);
    assert_eq!(w.ws, before);
    w.run(Command::MoveDeal { deal: d.clone(), from: None, to: lost.clone(), note: "went quiet".into(), lost_reason: "No decision".into(), ticked: Vec::new() }).unwrap();
    assert_eq!(w.ws.deal(&d).unwrap().lost_reason, "No decision");
    assert_eq!(w.ws.history(&d).last().unwrap().note, "No decision — went quiet");
    // Not asked: accepted without one.
    let mut p = w.pipeline().clone();
    p.require_lost_reason = false;
    w.run(Command::SavePipeline { pipeline: p, base: None }).unwrap();
    let d2 = w.add_deal("Also gone");
    w.run(Command::MoveDeal { deal: d2, from: None, to: lost, note: String::new(), lost_reason: String::new(), ticked: Vec::new() }).unwrap();
}

// ---- Trash, bulk edit, undo and redo (issue 11) ----

impl World {
    /// Runs `cmd` and returns the undo entry the app would keep for it.
    fn undoable(&mut self, what: undo::What, cmd: Command) -> undo::Entry {
        let mut ctx = Ctx { now: self.now, ids: &mut self.ids, device: "test-device" };
        let changes = self.ws.plan(cmd, &mut ctx).unwrap();
        let entry = undo::Entry::record(&self.ws, what, &changes).unwrap();
        self.ws.commit(changes);
        entry
    }
    /// Undoes `entry`; returns the entry that redoes it.
    fn undo(&mut self, entry: &undo::Entry) -> Result<undo::Entry, Rejection> {
        self.now += Duration::minutes(1);
        let mut ctx = Ctx { now: self.now, ids: &mut self.ids, device: "test-device" };
        let changes = self.ws.plan(Command::Undo(entry.clone()), &mut ctx)?;
        let redo = undo::Entry::record(&self.ws, undo::What::Undo, &changes).unwrap();
        self.ws.commit(changes);
        Ok(redo)
    }
}

#[test]
fn trashed_deals_leave_board_and_analytics_until_restored() {
    let mut w = World::new();
    let a = w.add_deal("Acme");
    let b = w.add_deal("Beta");
    w.run(Command::DeleteDeals { deals: vec![a.clone()] }).unwrap();
    assert!(w.ws.deal(&a).unwrap().deleted_at.is_some());
    let live: Vec<&str> = w.ws.live_deals().map(|d| d.title.as_str()).collect();
    assert_eq!(live, ["Beta"]);
    let flow = funnelscope::analytics::Flow::build(&w.ws, w.pipeline());
    assert_eq!(flow.deals.iter().map(|d| d.title.as_str()).collect::<Vec<_>>(), ["Beta"]);
    // A trashed deal cannot be edited or moved.
    let err = w.move_to(&a, "Demo").unwrap_err();
    assert_eq!(err, vec![(Field::Stage, DomainError::DealDeleted)]);
    let draft = DealDraft { title: "Acme 2".into(), ..Default::default() };
    assert_eq!(w.run(Command::UpdateDeal { deal: a.clone(), draft, base: None }).unwrap_err(), vec![(Field::Title, DomainError::DealDeleted)]);
    // Restored: back with its history.
    w.run(Command::RestoreDeals { deals: vec![a.clone()] }).unwrap();
    assert_eq!(w.ws.live_deals().count(), 2);
    assert_eq!(w.ws.history(&a).len(), 1);
    let _ = b;
    assert_eq!(w.run(Command::DeleteDeals { deals: vec![] }).unwrap_err(), vec![(Field::Title, DomainError::NoDealsChosen)]);
}

#[test]
fn a_move_to_lost_is_undone_by_moving_back_and_redone() {
    let mut w = World::new();
    let d = w.add_deal("Acme");
    w.move_to(&d, "Demo").unwrap();
    w.now += Duration::days(1);
    let lost = w.stage("Lost");
    let entry = w.undoable(undo::What::MoveDeal, Command::MoveDeal { deal: d.clone(), from: None, to: lost, note: String::new(), lost_reason: "Price".into(), ticked: Vec::new() });
    assert_eq!(entry.subject, "Acme");
    assert_eq!(w.ws.deal(&d).unwrap().lost_reason, "Price");
    let redo = w.undo(&entry).unwrap();
    // Created, → Demo, → Lost, and the move back: the log only grows.
    let h = w.ws.history(&d);
    assert_eq!(h.len(), 4);
    assert_eq!(h[3].note, undo::UNDO_NOTE);
    assert_eq!(w.stage_name_of(&d), "Demo");
    assert_eq!(w.ws.deal(&d).unwrap().lost_reason, "");
    // Redo: Lost again, with its reason.
    w.undo(&redo).unwrap();
    assert_eq!(w.stage_name_of(&d), "Lost");
    assert_eq!(w.ws.deal(&d).unwrap().lost_reason, "Price");
    assert_eq!(w.ws.history(&d).len(), 5);
    // The first entry again: the deal is in Lost as it left it, so it goes back to Demo.
    w.undo(&entry).unwrap();
    assert_eq!(w.stage_name_of(&d), "Demo");
}

#[test]
fn undo_never_overwrites_a_later_change() {
    let mut w = World::new();
    let d = w.add_deal("Acme");
    let draft = |title: &str, amount: &str| DealDraft { title: title.into(), amount: amount.into(), currency: "CNY".into(), ..Default::default() };
    let base = Some(draft("Acme", "1000"));
    let rename = w.undoable(undo::What::EditDeal, Command::UpdateDeal { deal: d.clone(), draft: draft("Acme Corp", "1000"), base: base.clone() });
    w.now += Duration::minutes(5);
    w.run(Command::UpdateDeal { deal: d.clone(), draft: draft("Acme Corp", "2500"), base: Some(draft("Acme Corp", "1000")) }).unwrap();
    // The rename is undone; the later amount stays (1000 → 2500, 250,000 minor units).
    w.undo(&rename).unwrap();
    let now = w.ws.deal(&d).unwrap();
    assert_eq!((now.title.as_str(), now.amount), ("Acme", Some(250_000)));
    // Renamed again by someone else: undoing the old rename would overwrite it.
    let again = w.undoable(undo::What::EditDeal, Command::UpdateDeal { deal: d.clone(), draft: draft("Acme Ltd", "2500"), base: None });
    w.run(Command::UpdateDeal { deal: d.clone(), draft: draft("ACME", "2500"), base: None }).unwrap();
    assert_eq!(w.undo(&again).unwrap_err(), vec![(Field::Title, DomainError::NothingToUndo)]);
    assert_eq!(w.ws.deal(&d).unwrap().title, "ACME");
    // A move undone after the deal moved on is refused, naming where it is now.
    w.now += Duration::days(1);
    let demo = w.stage("Demo");
    let mv = w.undoable(undo::What::MoveDeal, Command::MoveDeal { deal: d.clone(), from: None, to: demo, note: String::new(), lost_reason: String::new(), ticked: Vec::new() });
    w.move_to(&d, "Negotiation").unwrap();
    assert_eq!(w.undo(&mv).unwrap_err(), vec![(Field::Stage, DomainError::MovedElsewhere { stage: "Negotiation".into() })]);
}

#[test]
fn undoing_a_new_deal_puts_it_in_the_trash_and_redo_restores_it() {
    let mut w = World::new();
    let pid = w.pipeline().id.clone();
    let entry = w.undoable(undo::What::CreateDeal, Command::CreateDeal { pipeline: pid, stage: None, draft: DealDraft { title: "New".into(), ..Default::default() } });
    let d = w.ws.deals.last().unwrap().id.clone();
    let redo = w.undo(&entry).unwrap();
    assert!(w.ws.deal(&d).unwrap().deleted_at.is_some());
    assert_eq!(w.ws.live_deals().count(), 0);
    w.undo(&redo).unwrap();
    assert_eq!(w.ws.live_deals().count(), 1);
}

#[test]
fn bulk_edit_changes_every_chosen_deal_and_undoes_as_one() {
    let mut w = World::new();
    let ids: Vec<Id> = ["A", "B", "C"].iter().map(|t| w.add_deal(t)).collect();
    let two = vec![ids[0].clone(), ids[1].clone()];
    let owner = w.undoable(undo::What::EditDeals, Command::EditDeals { deals: two.clone(), edit: BulkEdit::Owner("王芳".into()) });
    assert_eq!(owner.subject, "2");
    let owners: Vec<&str> = w.ws.deals.iter().map(|d| d.owner.as_str()).collect();
    assert_eq!(owners, ["王芳", "王芳", ""]);
    w.run(Command::EditDeals { deals: ids.clone(), edit: BulkEdit::AddTag("ERP".into()) }).unwrap();
    w.run(Command::EditDeals { deals: vec![ids[2].clone()], edit: BulkEdit::RemoveTag("ERP".into()) }).unwrap();
    let tags: Vec<usize> = w.ws.deals.iter().map(|d| d.tags.len()).collect();
    assert_eq!(tags, [1, 1, 0]);
    // Moving to Lost in bulk takes the pipeline's required reason.
    let lost = w.stage("Lost");
    let err = w.run(Command::EditDeals { deals: two.clone(), edit: BulkEdit::Stage { to: lost.clone(), lost_reason: String::new() } }).unwrap_err();
    assert_eq!(err, vec![(Field::LostReason, DomainError::LostReasonRequired)]);
    let mv = w.undoable(undo::What::EditDeals, Command::EditDeals { deals: two.clone(), edit: BulkEdit::Stage { to: lost, lost_reason: "Timing".into() } });
    assert_eq!(w.stage_name_of(&ids[0]), "Lost");
    w.undo(&mv).unwrap();
    assert_eq!(w.stage_name_of(&ids[0]), "Qualification");
    assert_eq!(w.stage_name_of(&ids[1]), "Qualification");
    w.undo(&owner).unwrap();
    assert!(w.ws.deals.iter().all(|d| d.owner.is_empty()));
}

#[test]
fn emptying_the_trash_leaves_tombstones_an_older_copy_cannot_revive() {
    let mut w = World::new();
    let a = w.add_deal("Acme");
    let keep = w.add_deal("Keep");
    w.move_to(&a, "Demo").unwrap();
    let older = w.ws.clone();
    w.run(Command::DeleteDeals { deals: vec![a.clone()] }).unwrap();
    w.now += Duration::days(1);
    let changes = w.run(Command::EmptyTrash).unwrap();
    assert_eq!(changes.len(), 1);
    let d = w.ws.deal(&a).unwrap();
    assert!(d.purged && d.title.is_empty() && d.deleted_at.is_some());
    assert!(w.ws.history(&a).is_empty());
    assert_eq!(w.ws.history(&keep).len(), 1);
    // A teammate's file from before the delete: the blank, deleted record wins every field.
    let merged = funnelscope::io::merge::merge(&w.ws, &older).workspace;
    let d = merged.deal(&a).unwrap();
    assert!(d.purged && d.title.is_empty());
    assert_eq!(merged.live_deals().map(|d| d.title.as_str()).collect::<Vec<_>>(), ["Keep"]);
    // Nothing left to empty; a purged deal cannot be restored.
    assert!(w.run(Command::EmptyTrash).unwrap().is_empty());
    assert_eq!(w.run(Command::RestoreDeals { deals: vec![a] }).unwrap_err(), vec![(Field::Title, DomainError::UnknownDeal)]);
}

#[test]
fn pipelines_are_duplicated_removed_and_restored() {
    let mut w = World::new();
    let pid = w.pipeline().id.clone();
    w.add_deal("Acme");
    let dup = w.undoable(undo::What::DuplicatePipeline, Command::DuplicatePipeline { pipeline: pid.clone() });
    let copy = w.ws.pipelines[1].clone();
    assert_eq!(copy.name, "B2B sales (2)");
    assert_eq!(copy.stages.len(), w.pipeline().stages.len());
    assert!(copy.stages.iter().all(|s| w.pipeline().stage(&s.id).is_none()));
    assert_eq!(copy.stages.iter().map(|s| &s.entry_criteria).collect::<Vec<_>>(), w.pipeline().stages.iter().map(|s| &s.entry_criteria).collect::<Vec<_>>());
    // Removed: it and its deals leave every list; a new pipeline may take its name.
    let rm = w.undoable(undo::What::RemovePipeline, Command::RemovePipeline { pipeline: pid.clone() });
    assert_eq!(w.ws.live_pipelines().map(|p| p.name.as_str()).collect::<Vec<_>>(), ["B2B sales (2)"]);
    assert_eq!(w.ws.live_deals().count(), 0);
    w.undo(&rm).unwrap();
    assert_eq!(w.ws.live_pipelines().count(), 2);
    assert_eq!(w.ws.live_deals().count(), 1);
    w.undo(&dup).unwrap();
    assert_eq!(w.ws.live_pipelines().count(), 1);
}

#[test]
fn required_criteria_block_a_move_and_ticked_ones_are_recorded() {
    let mut w = World::new();
    let d = w.add_deal("Acme");
    // Advisory (the default): the move goes through; the ticked criteria go on the event,
    // in the stage's order; words that are not a criterion of the stage are dropped.
    let needs = w.stage("Needs analysis");
    let crit = w.pipeline().stage(&needs).unwrap().entry_criteria.clone();
    assert!(!crit.is_empty());
    w.now += Duration::days(1);
    w.run(Command::MoveDeal { deal: d.clone(), from: None, to: needs, note: String::new(), lost_reason: String::new(), ticked: vec!["made up".into(), crit[0].clone()] })
        .unwrap();
    assert_eq!(w.ws.history(&d).last().unwrap().criteria, vec![crit[0].clone()]);
    // Required on Demo: every criterion, or the move is refused naming what is missing.
    let mut p = w.pipeline().clone();
    let demo = w.stage("Demo");
    let slot = p.stages.iter_mut().find(|s| s.id == demo).unwrap();
    slot.criteria_required = true;
    slot.entry_criteria = vec!["Demo booked".into(), "Decision maker attends".into()];
    w.run(Command::SavePipeline { pipeline: p, base: None }).unwrap();
    let mv = |ticked: Vec<&str>| Command::MoveDeal {
        deal: d.clone(),
        from: None,
        to: demo.clone(),
        note: String::new(),
        lost_reason: String::new(),
        ticked: ticked.into_iter().map(String::from).collect(),
    };
    let events = w.ws.events.len();
    assert_eq!(
        w.run(mv(vec!["Demo booked"])).unwrap_err(),
        vec![(Field::Stage, DomainError::CriteriaNotMet { stage: "Demo".into(), missing: "Decision maker attends".into() })]
    );
    assert_eq!(w.ws.events.len(), events, "a refused move stores nothing");
    w.run(mv(vec!["Decision maker attends", "Demo booked"])).unwrap();
    assert_eq!(w.stage_name_of(&d), "Demo");
    assert_eq!(w.ws.history(&d).last().unwrap().criteria, vec!["Demo booked".to_string(), "Decision maker attends".into()]);
}

#[test]
fn a_deals_own_probability_needs_a_whole_percent_and_a_reason() {
    let d = |p: &str, why: &str| DealDraft { title: "T".into(), probability: p.into(), probability_reason: why.into(), ..Default::default() }.validate();
    assert_eq!(d("", "").unwrap().probability, None);
    let f = d(" 80% ", "Signed LOI").unwrap();
    assert_eq!((f.probability, f.probability_reason.as_str()), (Some(80), "Signed LOI"));
    assert_eq!(d("80", " ").unwrap_err(), vec![(Field::ProbabilityReason, DomainError::ReasonRequired)]);
    assert_eq!(d("150", "x").unwrap_err(), vec![(Field::Probability, DomainError::ProbabilityOverride("150".into()))]);
    assert_eq!(d("0.5", "x").unwrap_err(), vec![(Field::Probability, DomainError::ProbabilityOverride("0.5".into()))]);
    // Cleared: the reason goes with it.
    assert_eq!(d("", "old reason").unwrap().probability_reason, "");
}
