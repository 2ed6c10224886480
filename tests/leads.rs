//! Issue 10: leads through the write path — arrival with the saved rule, merge of a
//! duplicate (blank fields filled, its activities moved), qualify into a linked deal,
//! disqualify only with a reason.

use chrono::{TimeZone, Utc};
use funnelscope::domain::*;

fn run(ws: &mut Workspace, ids: &mut IdGen, cmd: Command) -> Result<(), Rejection> {
    let mut ctx = Ctx { now: Utc.with_ymd_and_hms(2026, 11, 28, 9, 0, 0).unwrap(), ids, device: "t" };
    let changes = ws.plan(cmd, &mut ctx)?;
    ws.commit(changes);
    Ok(())
}

#[test]
fn leads_arrive_by_rule_merge_qualify_and_disqualify() {
    let mut ws = Workspace::default();
    let mut ids = IdGen::new(9);
    run(&mut ws, &mut ids, Command::CreatePipeline { template: Template::B2b, lang: Lang::En }).unwrap();
    let lines = ["Ann Lee, Acme Robotics Inc., ann@acme.com", "Bo Chen, Northwind, +86 139 1234 5678, Fair", "Cy Wu, Zeta Foods"];
    run(&mut ws, &mut ids, Command::AddLeads { drafts: lines.iter().map(|l| LeadDraft::from_line(l)).collect() }).unwrap();
    assert!(ws.leads.iter().all(|l| l.owner.is_empty()), "no rule yet: unassigned");
    // Assign round robin over two owners starting at the first: A, B, A.
    let ids3: Vec<Id> = ws.leads.iter().map(|l| l.id.clone()).collect();
    run(&mut ws, &mut ids, Command::AssignLeads { leads: ids3, rule: AssignRule::RoundRobin { owners: vec!["A".into(), "B".into()], next: 0 } }).unwrap();
    assert_eq!(ws.leads.iter().map(|l| l.owner.as_str()).collect::<Vec<_>>(), ["A", "B", "A"]);
    // A new lead follows the saved rule: B is next.
    run(&mut ws, &mut ids, Command::AddLeads { drafts: vec![LeadDraft::from_line("Dee, ACME Robotics, 13800138000")] }).unwrap();
    let dee = ws.leads.last().unwrap().clone();
    assert_eq!((dee.owner.as_str(), dee.assigned_by.as_str()), ("B", "round robin: A, B"));
    // Dee duplicates Ann's company: merge keeps Ann, fills her phone, moves Dee's call.
    let call = ActivityDraft { kind: ActivityKind::Call, subject: "First call".into(), ..Default::default() };
    run(&mut ws, &mut ids, Command::LogActivity { on: ActivityOn::Lead(dee.id.clone()), draft: call }).unwrap();
    let dups = funnelscope::domain::lead::open_duplicates(&ws.leads);
    assert_eq!(dups.len(), 1);
    let (dup, keep) = (dups[0].0.id.clone(), dups[0].1.id.clone());
    assert_eq!((dup.clone(), ws.lead(&keep).unwrap().name.as_str()), (dee.id.clone(), "Ann Lee"));
    run(&mut ws, &mut ids, Command::MergeLeads { keep: keep.clone(), duplicate: dup.clone() }).unwrap();
    let ann = ws.lead(&keep).unwrap().clone();
    assert_eq!(ann.phone, "13800138000");
    assert_eq!(ws.lead(&dup).unwrap().status, LeadStatus::Disqualified);
    assert_eq!(ws.activities.iter().filter(|a| a.lead.as_ref() == Some(&keep)).count(), 1, "the call moved with the merge");
    // Qualify Ann: a deal in the first open stage, linked both ways by id.
    let p = ws.pipelines[0].id.clone();
    run(&mut ws, &mut ids, Command::QualifyLead { lead: keep.clone(), pipeline: p, stage: None }).unwrap();
    let ann = ws.lead(&keep).unwrap().clone();
    let deal = ws.deal(ann.deal.as_ref().unwrap()).unwrap();
    assert_eq!((deal.title.as_str(), deal.account.as_str(), deal.owner.as_str()), ("Acme Robotics Inc.", "Acme Robotics Inc.", "A"));
    assert_eq!(deal.stage, ws.pipelines[0].stages[0].id);
    assert_eq!(ann.status, LeadStatus::Qualified);
    // Qualified is final; disqualifying needs a reason.
    let again = run(&mut ws, &mut ids, Command::DisqualifyLead { lead: keep, reason: "No budget".into() });
    assert_eq!(again.unwrap_err()[0].1, DomainError::LeadClosed);
    let cy = ws.leads.iter().find(|l| l.name == "Cy Wu").unwrap().id.clone();
    assert_eq!(run(&mut ws, &mut ids, Command::DisqualifyLead { lead: cy.clone(), reason: " ".into() }).unwrap_err()[0].1, DomainError::ReasonRequired);
    run(&mut ws, &mut ids, Command::DisqualifyLead { lead: cy.clone(), reason: "No budget".into() }).unwrap();
    assert_eq!(ws.lead(&cy).unwrap().disqualify_reason, "No budget");
    // A bad line in a batch names the line and stores nothing.
    let before = ws.leads.len();
    let bad = vec![LeadDraft::from_line("Ok Co"), LeadDraft::from_line("x, y, not-an-email@")];
    let e = run(&mut ws, &mut ids, Command::AddLeads { drafts: bad }).unwrap_err();
    assert_eq!(e[0].1, DomainError::LeadLine { line: 2, problem: Box::new(DomainError::InvalidEmail("not-an-email@".into())) });
    assert_eq!(ws.leads.len(), before);
}

/// Issue 10: accounts and contacts as records. Deals name them by text; "Acme Robotics Inc."
/// and "ACME Robotics" are one account, its contact Ann one person; editing the text
/// re-links; free text from before records is linked once by LinkAccounts (a second run
/// changes nothing). Summary by hand: Acme has a won deal ($100.00) and a lost one, a third
/// open → open 1, won 1, lost 1, win rate 1/2.
#[test]
fn accounts_and_contacts_from_deal_text() {
    let mut ws = Workspace::default();
    let mut ids = IdGen::new(4);
    run(&mut ws, &mut ids, Command::CreatePipeline { template: Template::B2b, lang: Lang::En }).unwrap();
    let p = ws.pipelines[0].clone();
    let deal = |title: &str, account: &str, contact: &str| Command::CreateDeal {
        pipeline: p.id.clone(),
        stage: None,
        draft: DealDraft { title: title.into(), account: account.into(), contact: contact.into(), amount: "100".into(), currency: "USD".into(), ..Default::default() },
    };
    run(&mut ws, &mut ids, deal("A1", "Acme Robotics Inc.", "Ann")).unwrap();
    run(&mut ws, &mut ids, deal("A2", "ACME Robotics", "ann")).unwrap();
    run(&mut ws, &mut ids, deal("A3", "Acme Robotics", "")).unwrap();
    run(&mut ws, &mut ids, deal("B1", "Blue River", "Bo")).unwrap();
    assert_eq!(ws.accounts.iter().map(|a| a.name.as_str()).collect::<Vec<_>>(), ["Acme Robotics Inc.", "Blue River"]);
    assert_eq!(ws.contacts.len(), 2, "Ann (Acme) and Bo (Blue River)");
    let acme = ws.accounts[0].id.clone();
    let by_title = |ws: &Workspace, t: &str| ws.deals.iter().find(|d| d.title == t).unwrap().clone();
    assert_eq!(by_title(&ws, "A2").account_id, Some(acme.clone()));
    assert_eq!(by_title(&ws, "A1").contact_id, by_title(&ws, "A2").contact_id);
    // Won and lost.
    let (won, lost) = (p.stages[4].id.clone(), p.stages[5].id.clone());
    let (a1, a2) = (by_title(&ws, "A1").id, by_title(&ws, "A2").id);
    run(&mut ws, &mut ids, Command::MoveDeal { deal: a1, from: None, to: won, note: String::new(), lost_reason: String::new(), ticked: Vec::new() }).unwrap();
    run(&mut ws, &mut ids, Command::MoveDeal { deal: a2, from: None, to: lost, note: String::new(), lost_reason: "Price".into(), ticked: Vec::new() }).unwrap();
    let s = funnelscope::domain::account::account_summary(&ws, &acme);
    assert_eq!((s.open, s.won, s.lost, s.win_rate), (1, 1, 1, Some(0.5)));
    assert_eq!(s.won_amount, vec![("USD".to_string(), 10_000)]);
    // Editing the account text re-links.
    let b1 = by_title(&ws, "B1");
    let draft = DealDraft { account: "Quartz Semiconductors".into(), ..DealDraft::from_deal(&b1) };
    run(&mut ws, &mut ids, Command::UpdateDeal { deal: b1.id.clone(), draft, base: Some(DealDraft::from_deal(&b1)) }).unwrap();
    let b1 = by_title(&ws, "B1");
    assert_eq!(ws.accounts.iter().find(|a| Some(&a.id) == b1.account_id.as_ref()).unwrap().name, "Quartz Semiconductors");
    // Free text from before records: linked once.
    for d in ws.deals.iter_mut() {
        d.account_id = None;
        d.contact_id = None;
    }
    run(&mut ws, &mut ids, Command::LinkAccounts).unwrap();
    assert!(ws.deals.iter().all(|d| d.account_id.is_some()));
    assert_eq!(by_title(&ws, "A3").account_id, Some(acme.clone()), "existing records are reused");
    let mut ctx = Ctx { now: Utc.with_ymd_and_hms(2026, 11, 28, 10, 0, 0).unwrap(), ids: &mut ids, device: "t" };
    assert!(ws.plan(Command::LinkAccounts, &mut ctx).unwrap().is_empty(), "nothing left to link");
}

/// Issue 10: accounts renamed and merged, contacts edited — the deals' text follows, so
/// nothing is re-linked to a stale name, and files that still say the old name link to the
/// account it went into. Activities on an account move with a merge.
#[test]
fn accounts_rename_and_merge_contacts_edit() {
    let mut ws = Workspace::default();
    let mut ids = IdGen::new(5);
    run(&mut ws, &mut ids, Command::CreatePipeline { template: Template::B2b, lang: Lang::En }).unwrap();
    let p = ws.pipelines[0].clone();
    let deal = |title: &str, account: &str, contact: &str| Command::CreateDeal {
        pipeline: p.id.clone(),
        stage: None,
        draft: DealDraft { title: title.into(), account: account.into(), contact: contact.into(), ..Default::default() },
    };
    run(&mut ws, &mut ids, deal("D1", "Northwind", "Ann")).unwrap();
    run(&mut ws, &mut ids, deal("D2", "Northwind Traders", "Bo")).unwrap();
    run(&mut ws, &mut ids, deal("D3", "Blue River", "")).unwrap();
    let id_of = |ws: &Workspace, n: &str| ws.accounts.iter().find(|a| a.name == n).unwrap().id.clone();
    let (nw, nwt, blue) = (id_of(&ws, "Northwind"), id_of(&ws, "Northwind Traders"), id_of(&ws, "Blue River"));
    let title = |ws: &Workspace, t: &str| ws.deals.iter().find(|d| d.title == t).unwrap().clone();
    // Renaming onto another account's name is refused (merge instead); a blank name too.
    let e = run(&mut ws, &mut ids, Command::RenameAccount { account: blue.clone(), name: "northwind".into() }).unwrap_err();
    assert_eq!(e, vec![(Field::Account, DomainError::AccountExists("Northwind".into()))]);
    let e = run(&mut ws, &mut ids, Command::RenameAccount { account: blue.clone(), name: "  ".into() }).unwrap_err();
    assert_eq!(e, vec![(Field::Account, DomainError::NameRequired)]);
    run(&mut ws, &mut ids, Command::RenameAccount { account: blue.clone(), name: "Blue River Ltd".into() }).unwrap();
    assert_eq!(title(&ws, "D3").account, "Blue River Ltd");
    assert_eq!(title(&ws, "D3").account_id, Some(blue.clone()));
    // A task on the account being merged away moves with it.
    let task = ActivityDraft { kind: ActivityKind::Task, subject: "Send terms".into(), at: "2026-12-01T10:00".into(), ..Default::default() };
    run(&mut ws, &mut ids, Command::LogActivity { on: ActivityOn::Account(nwt.clone()), draft: task }).unwrap();
    run(&mut ws, &mut ids, Command::MergeAccounts { keep: nw.clone(), duplicate: nwt.clone() }).unwrap();
    let d2 = title(&ws, "D2");
    assert_eq!((d2.account.as_str(), d2.account_id.clone()), ("Northwind", Some(nw.clone())));
    assert!(ws.contacts.iter().all(|c| c.account.as_ref() != Some(&nwt)), "Bo moved to Northwind");
    assert_eq!(ws.activities_on(&ActivityOn::Account(nw.clone())).len(), 1);
    assert_eq!(funnelscope::domain::account::account_summary(&ws, &nw).open, 2);
    // Merging into itself, or from an account already merged, is refused.
    let e = run(&mut ws, &mut ids, Command::MergeAccounts { keep: nw.clone(), duplicate: nw.clone() }).unwrap_err();
    assert_eq!(e, vec![(Field::Account, DomainError::CannotMergeAccount)]);
    assert!(run(&mut ws, &mut ids, Command::MergeAccounts { keep: blue.clone(), duplicate: nwt.clone() }).is_err());
    // A deal that still names the old account (say, from a file) links to where it went.
    run(&mut ws, &mut ids, deal("D4", "Northwind Traders", "")).unwrap();
    assert_eq!(title(&ws, "D4").account_id, Some(nw.clone()));
    let mut ctx = Ctx { now: Utc.with_ymd_and_hms(2026, 11, 28, 10, 0, 0).unwrap(), ids: &mut ids, device: "t" };
    assert!(ws.plan(Command::LinkAccounts, &mut ctx).unwrap().is_empty(), "every link is current");
    // Contacts: the email is checked like a lead's; a new name reaches the deals.
    let ann = ws.contacts.iter().find(|c| c.name == "Ann").unwrap().id.clone();
    let edit = |name: &str, email: &str| Command::UpdateContact { contact: ann.clone(), name: name.into(), email: email.into(), phone: "+86 138 0013 8000".into() };
    let e = run(&mut ws, &mut ids, edit("", "ann@")).unwrap_err();
    assert_eq!(e, vec![(Field::Title, DomainError::NameRequired), (Field::Contact, DomainError::InvalidEmail("ann@".into()))]);
    run(&mut ws, &mut ids, edit("Ann Lee", "Ann@Northwind.com")).unwrap();
    let c = ws.contacts.iter().find(|c| c.id == ann).unwrap();
    assert_eq!((c.name.as_str(), c.email.as_str(), c.phone.as_str()), ("Ann Lee", "ann@northwind.com", "+86 138 0013 8000"));
    assert_eq!(title(&ws, "D1").contact, "Ann Lee");
    assert_eq!(title(&ws, "D1").contact_id, Some(ann.clone()));

    // A call on the contact; the export carries both activities through import and merge,
    // and an activity on an account the file does not have is refused.
    let call = ActivityDraft { kind: ActivityKind::Call, subject: "Intro".into(), ..Default::default() };
    run(&mut ws, &mut ids, Command::LogActivity { on: ActivityOn::Contact(ann.clone()), draft: call }).unwrap();
    let now = Utc.with_ymd_and_hms(2026, 11, 28, 11, 0, 0).unwrap();
    let text = funnelscope::io::export_json(&ws, now);
    let back = funnelscope::io::import_json(&text).unwrap();
    let on = |w: &Workspace| { let mut v: Vec<ActivityOn> = w.activities.iter().map(|a| a.on()).collect(); v.sort_by_key(|o| format!("{o:?}")); v };
    assert_eq!(on(&back), [ActivityOn::Account(nw.clone()), ActivityOn::Contact(ann.clone())]);
    assert_eq!(on(&funnelscope::io::merge::merge(&ws, &back).workspace), on(&ws));
    let mut doc: serde_json::Value = serde_json::from_str(&text).unwrap();
    let task = doc["activities"].as_array_mut().unwrap().iter_mut().find(|a| a.get("account").is_some()).unwrap();
    task["account"] = "nowhere".into();
    let refused = funnelscope::io::import_json(&doc.to_string()).unwrap_err();
    assert!(matches!(&refused, funnelscope::io::ImportError::UnknownReference { what: "account", id, .. } if id == "nowhere"), "{refused:?}");
}
