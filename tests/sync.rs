//! Team sync against a real CouchDB-compatible server: pouchdb-server 4.2.0 (installed by
//! `scripts/setup` from package.json), started here in memory on a free port and stopped
//! at the end. Two "devices" share one database through `funnelscope::sync`, driven by the
//! small loop below (the browser's driver does the same with fetch and IndexedDB).

use chrono::{DateTime, Duration, TimeZone, Utc};
use funnelscope::domain::*;
use funnelscope::sync::{Action, Pull, Push, Request, SyncError, SyncState};
use serde_json::{json, Value};
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command as Process, Stdio};

struct Server {
    child: Child,
    port: u16,
}

impl Server {
    fn start() -> Server {
        let bin = concat!(env!("CARGO_MANIFEST_DIR"), "/node_modules/.bin/pouchdb-server");
        assert!(std::path::Path::new(bin).exists(), "pouchdb-server is not installed: run `. scripts/setup` (npm ci installs it)");
        let port = TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map(|a| a.port()).unwrap();
        let child = Process::new(bin)
            .args(["--in-memory", "--host", "127.0.0.1", "--port", &port.to_string()])
            .current_dir(std::env::temp_dir())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("pouchdb-server starts");
        let server = Server { child, port };
        for _ in 0..200 {
            if http(port, "GET", "/", None).0 == 200 {
                return server;
            }
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
        panic!("pouchdb-server did not answer on port {port} within 20 s");
    }

    fn db(&self, name: &str) -> String {
        assert_eq!(http(self.port, "PUT", &format!("/{name}"), None).0, 201, "create database {name}");
        name.to_string()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A minimal HTTP/1.1 exchange (one request per connection). Status 0: no connection.
fn http(port: u16, method: &str, path: &str, body: Option<&Value>) -> (u16, String) {
    let Ok(mut s) = TcpStream::connect(("127.0.0.1", port)) else { return (0, String::new()) };
    let body = body.map(|b| b.to_string()).unwrap_or_default();
    let req = format!(
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nAccept: application/json\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    if s.write_all(req.as_bytes()).is_err() {
        return (0, String::new());
    }
    let mut raw = Vec::new();
    let _ = s.read_to_end(&mut raw);
    let text = String::from_utf8_lossy(&raw).to_string();
    let Some((head, rest)) = text.split_once("\r\n\r\n") else { return (0, String::new()) };
    let status = head.split_whitespace().nth(1).and_then(|c| c.parse().ok()).unwrap_or(0);
    let body = if head.to_ascii_lowercase().contains("transfer-encoding: chunked") { dechunk(rest) } else { rest.to_string() };
    (status, body)
}

fn dechunk(mut s: &str) -> String {
    let mut out = String::new();
    while let Some((size, rest)) = s.split_once("\r\n") {
        let n = usize::from_str_radix(size.trim(), 16).unwrap_or(0);
        if n == 0 || rest.len() < n {
            break;
        }
        out.push_str(&rest[..n]);
        s = rest[n..].trim_start_matches("\r\n");
    }
    out
}

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 2, 9, 0, 0).unwrap()
}

/// One teammate's browser: a workspace as stored, the sync state, a clock.
struct Device {
    ws: Workspace,
    state: SyncState,
    ids: IdGen,
    name: &'static str,
}

impl Device {
    fn new(name: &'static str, seed: u64) -> Device {
        Device { ws: Workspace::default(), state: SyncState::default(), ids: IdGen::new(seed), name }
    }

    /// A change made here at `minutes` after t0, stored and noted for the next push.
    fn run(&mut self, minutes: i64, cmd: Command) {
        let mut ctx = Ctx { now: t0() + Duration::minutes(minutes), ids: &mut self.ids, device: self.name };
        let changes = self.ws.plan(cmd, &mut ctx).expect("valid command");
        self.state.changed(&changes);
        self.ws.commit(changes);
    }

    fn pull(&mut self, port: u16, db: &str) -> Result<Pull, SyncError> {
        let mut pull = Pull::default();
        self.drive_pull(&mut pull, port, db, usize::MAX)?;
        Ok(pull)
    }

    /// Runs `pull` until it is done or `stores` batches were stored.
    fn drive_pull(&mut self, pull: &mut Pull, port: u16, db: &str, mut stores: usize) -> Result<(), SyncError> {
        loop {
            // Positions mapped afresh: these workspaces are small (the app keeps its own current).
            let at = Lookup::of(&self.ws);
            match pull.next(&self.ws, &at, &mut self.state) {
                Action::Send(r) => {
                    let (status, body) = send(port, db, &r);
                    pull.answer(status, &body, &mut self.state)?;
                }
                Action::Store { theirs, changes } => {
                    // Nothing changed here since `next`: its merge is the one to store.
                    assert_eq!(changes, funnelscope::sync::changes_for(&self.ws, &at, &theirs));
                    self.ws.commit(changes);
                    stores -= 1;
                    if stores == 0 {
                        return Ok(());
                    }
                }
                Action::Idle => return Ok(()),
                Action::Failed(e) => return Err(e),
            }
        }
    }

    fn push(&mut self, port: u16, db: &str) -> Result<usize, SyncError> {
        let mut push = Push::default();
        loop {
            let at = Lookup::of(&self.ws);
            match push.next(&self.ws, &at, &mut self.state) {
                Action::Send(r) => {
                    let (status, body) = send(port, db, &r);
                    push.answer(status, &body, &mut self.state)?;
                }
                Action::Store { theirs, changes } => {
                    assert_eq!(changes, funnelscope::sync::changes_for(&self.ws, &at, &theirs));
                    self.ws.commit(changes);
                }
                Action::Idle => return Ok(push.pushed),
                Action::Failed(e) => return Err(e),
            }
        }
    }

    fn sync(&mut self, port: u16, db: &str) -> Result<(), SyncError> {
        self.pull(port, db)?;
        self.push(port, db)?;
        Ok(())
    }
}

fn send(port: u16, db: &str, r: &Request) -> (u16, String) {
    let path = if r.path.is_empty() { format!("/{db}") } else { format!("/{db}/{}", r.path) };
    http(port, r.method, &path, r.body.as_ref())
}

/// Everything a workspace holds, in one comparable form.
fn snapshot(ws: &Workspace) -> Value {
    let mut v = serde_json::to_value(ws).unwrap();
    for key in ["pipelines", "deals", "events", "category_changes", "activities", "owners", "leads", "accounts", "contacts"] {
        if let Some(Value::Array(a)) = v.get_mut(key) {
            a.sort_by_key(|x| x["id"].as_str().unwrap_or_default().to_string());
        }
    }
    v
}

fn deal_draft(title: &str, amount: &str) -> DealDraft {
    DealDraft { title: title.into(), amount: amount.into(), currency: "USD".into(), owner: "Ann".into(), ..Default::default() }
}

/// A makes a pipeline, deals and moves; B receives all of it. Then both edit one deal
/// while apart — the same field (notes: B's later edit wins) and different ones (A the
/// owner, B the amount) — and after both sync, both hold the same values by the per-field
/// rule, every field of every record equal.
#[test]
fn two_devices_converge_by_the_per_field_rule() {
    let server = Server::start();
    let db = server.db("team");
    let (mut a, mut b) = (Device::new("laptop", 1), Device::new("phone", 2));
    a.run(0, Command::CreatePipeline { template: Template::B2b, lang: Lang::En });
    let p = a.ws.pipelines[0].clone();
    for (i, t) in ["Acme", "Globex", "Initech"].iter().enumerate() {
        a.run(1 + i as i64, Command::CreateDeal { pipeline: p.id.clone(), stage: None, draft: deal_draft(t, "1000") });
    }
    let acme = a.ws.deals.iter().find(|d| d.title == "Acme").unwrap().id.clone();
    a.run(5, Command::MoveDeal { deal: acme.clone(), from: None, to: p.stages[1].id.clone(), note: "met".into(), lost_reason: String::new(), ticked: Vec::new() });
    a.sync(server.port, &db).unwrap();
    assert!(a.state.pending.is_empty());
    let pulled = b.pull(server.port, &db).unwrap();
    // 1 settings-less pipeline + 3 deals + 4 events (3 created, 1 move).
    assert_eq!(pulled.pulled, 8);
    assert_eq!(snapshot(&b.ws), snapshot(&a.ws), "B holds what A made");
    assert!(b.state.pending.is_empty(), "nothing of B's own to push");

    // Apart: A edits notes (minute 20) and the owner; B edits notes later (minute 30) and
    // the amount.
    let edit = |d: &Device, f: &dyn Fn(&mut DealDraft)| {
        let mut draft = DealDraft::from_deal(d.ws.deal(&acme).unwrap());
        let base = draft.clone();
        f(&mut draft);
        Command::UpdateDeal { deal: acme.clone(), draft, base: Some(base) }
    };
    let cmd = edit(&a, &|d| {
        d.notes = "A's note".into();
        d.owner = "Zhang Wei".into();
    });
    a.run(20, cmd);
    let cmd = edit(&b, &|d| {
        d.notes = "B's note".into();
        d.amount = "2500".into();
    });
    b.run(30, cmd);
    a.sync(server.port, &db).unwrap();
    b.sync(server.port, &db).unwrap();
    a.sync(server.port, &db).unwrap();
    let da = a.ws.deal(&acme).unwrap();
    assert_eq!((da.notes.as_str(), da.owner.as_str(), da.amount), ("B's note", "Zhang Wei", Some(250_000)));
    assert_eq!(snapshot(&a.ws), snapshot(&b.ws), "every field of every record equal");
    assert!(a.state.pending.is_empty() && b.state.pending.is_empty());
}

/// B pushes without pulling first: the server has A's newer revision, so B's write is a
/// conflict; B reads A's copy, merges, and writes again. Nothing is lost either way.
#[test]
fn a_push_behind_the_server_reads_merges_and_writes_again() {
    let server = Server::start();
    let db = server.db("behind");
    let (mut a, mut b) = (Device::new("laptop", 3), Device::new("phone", 4));
    a.run(0, Command::CreatePipeline { template: Template::B2b, lang: Lang::En });
    let p = a.ws.pipelines[0].clone();
    a.run(1, Command::CreateDeal { pipeline: p.id.clone(), stage: None, draft: deal_draft("Acme", "1000") });
    a.sync(server.port, &db).unwrap();
    b.sync(server.port, &db).unwrap();
    let id = a.ws.deals[0].id.clone();
    let draft = DealDraft { title: "Acme (renewal)".into(), ..DealDraft::from_deal(a.ws.deal(&id).unwrap()) };
    let base = DealDraft::from_deal(a.ws.deal(&id).unwrap());
    a.run(10, Command::UpdateDeal { deal: id.clone(), draft, base: Some(base) });
    a.push(server.port, &db).unwrap();
    let draft = DealDraft { account: "Acme Corp".into(), ..DealDraft::from_deal(b.ws.deal(&id).unwrap()) };
    let base = DealDraft::from_deal(b.ws.deal(&id).unwrap());
    b.run(20, Command::UpdateDeal { deal: id.clone(), draft, base: Some(base) });
    b.push(server.port, &db).unwrap();
    assert!(b.state.pending.is_empty());
    assert_eq!((b.ws.deal(&id).unwrap().title.as_str(), b.ws.deal(&id).unwrap().account.as_str()), ("Acme (renewal)", "Acme Corp"));
    a.sync(server.port, &db).unwrap();
    assert_eq!(snapshot(&a.ws), snapshot(&b.ws));
}

/// Two revisions of one deal written on the server as siblings (as a CouchDB cluster or a
/// server-to-server replication leaves them): the next device to pull merges every leaf
/// by the per-field rule, writes the result over the winner and deletes the loser.
#[test]
fn conflicting_revisions_are_merged_and_the_losers_removed() {
    let server = Server::start();
    let db = server.db("conflicts");
    let (mut a, mut b) = (Device::new("laptop", 5), Device::new("phone", 6));
    a.run(0, Command::CreatePipeline { template: Template::B2b, lang: Lang::En });
    let p = a.ws.pipelines[0].clone();
    a.run(1, Command::CreateDeal { pipeline: p.id.clone(), stage: None, draft: deal_draft("Acme", "1000") });
    a.sync(server.port, &db).unwrap();
    let id = a.ws.deals[0].id.clone();
    let doc_id = format!("deal:{id}");
    let (_, current) = http(server.port, "GET", &format!("/{db}/deal%3A{id}?revs=true"), None);
    let current: Value = serde_json::from_str(&current).unwrap();
    let parent = current["_revisions"]["ids"][0].as_str().unwrap().to_string();
    // Two children of the same parent, each with one field edited at its own time.
    let leaf = |hash: &str, field: &str, value: &str, minute: i64| {
        let mut data = current["data"].clone();
        data[field] = json!(value);
        data["field_times"][field] = json!((t0() + Duration::minutes(minute)).to_rfc3339_opts(chrono::SecondsFormat::Secs, true));
        json!({ "_id": doc_id, "_rev": format!("2-{hash}"), "_revisions": { "start": 2, "ids": [hash, parent] }, "kind": "deal", "data": data })
    };
    let docs = json!({ "new_edits": false, "docs": [leaf("aaaa", "notes", "from leaf a", 40), leaf("bbbb", "owner", "Leaf B", 50)] });
    assert_eq!(http(server.port, "POST", &format!("/{db}/_bulk_docs"), Some(&docs)).0, 201);
    let (_, with) = http(server.port, "GET", &format!("/{db}/deal%3A{id}?conflicts=true"), None);
    assert!(serde_json::from_str::<Value>(&with).unwrap()["_conflicts"].as_array().is_some_and(|c| c.len() == 1), "a conflict to resolve");

    b.sync(server.port, &db).unwrap();
    let d = b.ws.deal(&id).unwrap();
    assert_eq!((d.notes.as_str(), d.owner.as_str()), ("from leaf a", "Leaf B"), "both leaves' edits kept");
    let (_, after) = http(server.port, "GET", &format!("/{db}/deal%3A{id}?conflicts=true"), None);
    let after: Value = serde_json::from_str(&after).unwrap();
    assert!(after.get("_conflicts").is_none(), "losing revision removed: {after}");
    assert_eq!((after["data"]["notes"].as_str(), after["data"]["owner"].as_str()), (Some("from leaf a"), Some("Leaf B")));
    a.sync(server.port, &db).unwrap();
    assert_eq!(snapshot(&a.ws), snapshot(&b.ws));
}

/// A first sync of 1,200 deals (with their events, activities, leads: ~9,000 documents) stopped just after storing its
/// second batch, before its checkpoint moved past it (the worst moment), and started again
/// from the saved state: it resumes at the first batch's checkpoint, the repeated batch
/// merges to nothing, and it ends with every record once.
#[test]
fn an_interrupted_first_sync_resumes_from_its_checkpoint() {
    let server = Server::start();
    let db = server.db("resume");
    let mut a = Device::new("laptop", 7);
    a.ws = demo::generate(1_200, 9, 9, t0(), Lang::En);
    // Every record of the demo: pipeline, owners, accounts, deals, events, calls, activities, leads.
    let w = &a.ws;
    let all: Vec<Change> = w.pipelines.iter().cloned().map(Change::PutPipeline)
        .chain(w.owners.iter().cloned().map(Change::PutOwner))
        .chain(w.accounts.iter().cloned().map(Change::PutAccount))
        .chain(w.contacts.iter().cloned().map(Change::PutContact))
        .chain(w.deals.iter().cloned().map(Change::PutDeal))
        .chain(w.events.iter().cloned().map(Change::AppendEvent))
        .chain(w.category_changes.iter().cloned().map(Change::AppendCategory))
        .chain(w.activities.iter().cloned().map(Change::PutActivity))
        .chain(w.leads.iter().cloned().map(Change::PutLead))
        .collect();
    a.state.changed(&all);
    let docs = a.state.pending.len();
    assert_eq!(a.push(server.port, &db).unwrap(), docs);

    let mut b = Device::new("phone", 8);
    let mut first = Pull::default();
    b.drive_pull(&mut first, server.port, &db, 2).unwrap();
    let saved = b.state.clone();
    assert_ne!(saved.since, Value::Null, "a checkpoint after the first batch");
    assert_eq!(first.pulled, funnelscope::sync::BATCH, "the second batch is stored, not checkpointed");
    let partial = b.ws.events.len() + b.ws.deals.len() + b.ws.pipelines.len();
    assert!(partial > 0 && partial < docs, "stopped part way: {partial} of {docs}");
    drop(first);
    // The tab is closed and opened again: the stored workspace and state, a new Pull.
    b.state = saved;
    b.pull(server.port, &db).unwrap();
    assert_eq!(b.ws.deals.len(), a.ws.deals.len());
    assert_eq!(b.ws.events.len(), a.ws.events.len(), "no event twice");
    let (sa, sb) = (snapshot(&a.ws), snapshot(&b.ws));
    for (k, va) in sa.as_object().unwrap() {
        if Some(va) != sb.get(k) {
            let (x, y) = (va.as_array(), sb[k].as_array());
            let first = x.zip(y).and_then(|(x, y)| x.iter().zip(y).find(|(p, q)| p != q).map(|(p, q)| format!("{p}\n{q}")));
            panic!("{k} differs: {:?} vs {:?} records; first: {}", x.map(Vec::len), y.map(Vec::len), first.unwrap_or_else(|| format!("{va}\n{}", sb[k])));
        }
    }
}

/// A database that does not exist and a server that does not answer each say so; what was
/// changed here stays pending for the next try.
#[test]
fn missing_database_and_unreachable_server_say_which() {
    let server = Server::start();
    let mut a = Device::new("laptop", 11);
    a.run(0, Command::CreatePipeline { template: Template::B2b, lang: Lang::En });
    assert_eq!(a.sync(server.port, "nosuchdb").err(), Some(SyncError::DatabaseMissing));
    let closed = TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map(|a| a.port()).unwrap();
    assert_eq!(a.sync(closed, "team").err(), Some(SyncError::Unreachable));
    assert_eq!(a.state.pending.len(), 1, "the pipeline waits to be pushed");
    let db = server.db("later");
    a.sync(server.port, &db).unwrap();
    assert!(a.state.pending.is_empty());
}
