//! Import and export: the workspace as one versioned JSON file, replacing it from such a
//! file (after an automatic backup, restorable from the list), and deals from the Maven
//! sales-pipeline CSV. Every file is fully checked before anything is stored.

use super::state::{now, use_app, yield_to_browser, Outcome};
use crate::domain::{IdGen, Workspace};
use crate::i18n::{fill, K};
use crate::io::csv_import::{detect_date_order, guess_mapping, import_generic, import_maven, is_maven, Column, CsvPlan, DateOrder, TableReader};

/// Rows read between two paints while a large spreadsheet is read.
const ROWS_PER_STEP: usize = 20_000;
/// Bytes of a JSON export read between yields (~10–20 ms of parsing in the browser).
const EXPORT_BYTES_PER_STEP: usize = 1 << 20;
/// Records a merge goes through between yields to the page (`MergeBuilder::step`).
const MERGE_RECORDS_PER_STEP: usize = 20_000;

use std::collections::HashMap;

const MEANINGS: [(Column, K); 12] = [
    (Column::Title, K::DealTitle),
    (Column::Account, K::Account),
    (Column::Contact, K::Contact),
    (Column::Amount, K::Amount),
    (Column::Currency, K::Currency),
    (Column::Stage, K::Stage),
    (Column::Owner, K::Owner),
    (Column::Source, K::Source),
    (Column::Created, K::CreatedAt),
    (Column::ExpectedClose, K::ExpectedClose),
    (Column::Tags, K::TagsShort),
    (Column::Id, K::RecordId),
];
use leptos::prelude::*;
use wasm_bindgen::JsCast;

/// Reads an export a slice at a time, with the progress bar, yielding to the page between
/// slices, so that a large file never freezes it.
async fn read_export(text: &str, reading: RwSignal<Option<f64>>) -> Result<Workspace, crate::io::ImportError> {
    let mut reader = crate::io::ExportReader::new(text);
    // The bar paints before the first slice (the file was just read and decoded).
    reading.set(Some(0.0));
    yield_to_browser().await;
    while !reader.step(EXPORT_BYTES_PER_STEP) {
        reading.set(Some(reader.progress()));
        yield_to_browser().await;
    }
    reading.set(None);
    reader.finish()
}

/// A checked file waiting for the user's go-ahead.
#[derive(Clone)]
enum Pending {
    /// A Funnelscope export: replace, or merge (which first shows its report).
    Export(Workspace),
    /// The preview of a merge, the file it came from and the revision memory was at when
    /// it was worked out (merged again, against what is stored then, if memory has moved on
    /// when the user confirms).
    Merge(crate::io::merge::MergeResult, Workspace, u64),
    /// An encrypted export waiting for its passphrase.
    Encrypted(crate::io::envelope::Envelope),
    /// A general spreadsheet waiting for its column mapping.
    Mapping(crate::io::csv_import::Table),
    AddPipeline(Workspace),
}

fn summary(ws: &Workspace) -> [(&'static str, String); 3] {
    [("p", ws.pipelines.len().to_string()), ("d", ws.deals.len().to_string()), ("e", ws.events.len().to_string())]
}

/// Offers `text` as a file download (a same-page blob URL: nothing leaves the browser).
pub(super) fn download(name: &str, text: &str, mime: &str) -> Result<(), String> {
    let parts = js_sys::Array::of1(&wasm_bindgen::JsValue::from_str(text));
    let opts = web_sys::BlobPropertyBag::new();
    opts.set_type(mime);
    let blob = web_sys::Blob::new_with_str_sequence_and_options(&parts, &opts).map_err(|e| format!("{e:?}"))?;
    let url = web_sys::Url::create_object_url_with_blob(&blob).map_err(|e| format!("{e:?}"))?;
    let a: web_sys::HtmlAnchorElement = document().create_element("a").map_err(|e| format!("{e:?}"))?.unchecked_into();
    a.set_href(&url);
    a.set_download(name);
    a.click();
    let _ = web_sys::Url::revoke_object_url(&url);
    Ok(())
}

/// The file's bytes, read 8 MB at a time and copied into wasm memory with the browser let
/// in between: one copy of a 315 MB export held the page ≈ 230 ms, a CPU profile showed,
/// and the browser handing over the whole file as one buffer was a task of 60–76 ms.
/// `None` when the browser cannot read it (moved, deleted or changed meanwhile).
async fn read_file(file: web_sys::File) -> Option<Vec<u8>> {
    const SLICE: usize = 8 << 20;
    let len = file.size() as usize;
    // Grown a slice at a time: zeroing all of it first was another ≈ 220 ms task.
    let mut bytes: Vec<u8> = Vec::with_capacity(len);
    while bytes.len() < len {
        let (start, end) = (bytes.len(), len.min(bytes.len() + SLICE));
        let part = file.slice_with_f64_and_f64(start as f64, end as f64).ok()?;
        let buf = wasm_bindgen_futures::JsFuture::from(part.array_buffer()).await.ok()?;
        let got = js_sys::Uint8Array::new(&buf);
        // Shorter than asked: the file changed on disk while it was read.
        if got.length() as usize != end - start {
            return None;
        }
        bytes.resize(end, 0);
        got.copy_to(&mut bytes[start..end]);
    }
    Some(bytes)
}

/// The file's text, checked to be UTF-8 a slice at a time with the browser let in between.
async fn check_utf8(bytes: &[u8]) -> Result<&str, usize> {
    const SLICE: usize = 16 << 20;
    let mut check = crate::io::Utf8Check::new(bytes);
    loop {
        if let Some(answer) = check.step(SLICE) {
            return answer;
        }
        yield_to_browser().await;
    }
}

#[component]
pub fn DataPage() -> impl IntoView {
    let app = use_app();
    let message = RwSignal::new(None::<(bool, String)>);
    let pending = RwSignal::new(None::<Pending>);
    let backups = RwSignal::new(Vec::<crate::storage::BackupInfo>::new());
    let usage = RwSignal::new(None::<(f64, f64, bool)>);
    let mapping = RwSignal::new(HashMap::<Column, usize>::new());
    let reading = RwSignal::new(None::<f64>);
    let merging = RwSignal::new(None::<f64>);
    let date_order = RwSignal::new(DateOrder::MonthFirst);
    let dates_ambiguous = RwSignal::new(false);
    let refresh_backups = move || {
        leptos::task::spawn_local(async move {
            if let Ok(list) = app.backups().await {
                backups.set(list);
            }
        })
    };
    refresh_backups();
    leptos::task::spawn_local(async move { usage.set(crate::storage::usage().await) });

    let export_pass = RwSignal::new(String::new());
    let import_pass = RwSignal::new(String::new());
    let export = move |_| {
        let name = format!("funnelscope-{}.json", now().format("%Y-%m-%d"));
        let json = app.export_json();
        let pass = export_pass.get_untracked();
        leptos::task::spawn_local(async move {
            let text = if pass.is_empty() { Ok(json) } else { super::crypto::encrypt(&pass, &json).await };
            match text.and_then(|t| download(&name, &t, "application/json")) {
                Ok(()) if !pass.is_empty() => message.set(Some((true, app.t(K::ExportedEncrypted).to_string()))),
                Ok(()) => {}
                Err(e) => message.set(Some((false, e))),
            }
        });
    };
    let unlock = move |_| {
        let Some(Pending::Encrypted(env)) = pending.get_untracked() else { return };
        let pass = import_pass.get_untracked();
        leptos::task::spawn_local(async move {
            match super::crypto::decrypt(&pass, &env).await {
                Ok(Some(text)) => match read_export(&text, reading).await {
                    Ok(ws) => {
                        message.set(None);
                        import_pass.set(String::new());
                        pending.set(Some(Pending::Export(ws)));
                    }
                    Err(e) => message.set(Some((false, crate::i18n::import_error(app.lang.get_untracked(), &e)))),
                },
                Ok(None) => message.set(Some((false, app.t(K::WrongPassphrase).to_string()))),
                Err(e) => message.set(Some((false, e))),
            }
        });
    };

    let on_file = move |ev: leptos::ev::Event| {
        let Some(input) = ev.target().and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok()) else { return };
        let Some(file) = input.files().and_then(|f| f.get(0)) else { return };
        let name = file.name();
        pending.set(None);
        message.set(None);
        if file.size() > crate::io::MAX_IMPORT_BYTES {
            let mb = |b: f64| format!("{:.0}", b / 1024.0 / 1024.0);
            let why = fill(app.t(K::FileTooLarge), &[("size", mb(file.size())), ("max", mb(crate::io::MAX_IMPORT_BYTES))]);
            message.set(Some((false, fill(app.t(K::FileRejected), &[("file", name), ("why", why)]))));
            input.set_value("");
            return;
        }
        leptos::task::spawn_local(async move {
            let lang = app.lang.get_untracked();
            let t = |k| crate::i18n::tr(lang, k);
            let Some(bytes) = read_file(file).await else {
                message.set(Some((false, fill(t(K::FileRejected), &[("file", name), ("why", t(K::FileUnreadable).to_string())]))));
                return input.set_value("");
            };
            let lower = name.to_lowercase();
            let is_xlsx = crate::io::xlsx::looks_like_xlsx(&bytes);
            let checked = if lower.ends_with(".csv") || lower.ends_with(".xlsx") || is_xlsx {
                // A workbook's first sheet is read at once (it is compressed; its rows are not
                // reachable one by one); a CSV in steps of rows, yielding to the page with a
                // progress bar between them.
                let table = if is_xlsx {
                    crate::io::csv_import::read_spreadsheet(&bytes).map_err(|e| crate::i18n::csv_error(lang, &e))
                } else { match TableReader::new(&bytes) {
                    Err(e) => Err(crate::i18n::csv_error(lang, &e)),
                    Ok(mut reader) => loop {
                        match reader.step(ROWS_PER_STEP) {
                            Ok(true) => break Ok(reader.finish()),
                            Ok(false) => {
                                reading.set(Some(reader.progress()));
                                yield_to_browser().await;
                            }
                            Err(e) => break Err(crate::i18n::csv_error(lang, &e)),
                        }
                    },
                } };
                reading.set(None);
                table.and_then(|table| {
                    if !is_maven(&table.headers) {
                        let (order, ambiguous) = detect_date_order(
                            table.rows.iter().flat_map(|r| r.iter().map(String::as_str)).filter(|c| c.contains('/') || c.contains('.')),
                        );
                        mapping.set(guess_mapping(&table.headers));
                        date_order.set(order);
                        dates_ambiguous.set(ambiguous);
                        return Ok(Pending::Mapping(table));
                    }
                    import_maven(&table, &mut IdGen::new(js_sys::Date::now() as u64)).map(Pending::AddPipeline).map_err(|errs| {
                        let shown: Vec<String> = errs.iter().take(5).map(|e| crate::i18n::row_error(lang, e)).collect();
                        fill(t(K::RowsRejected), &[("n", errs.len().to_string()), ("list", shown.join("; "))])
                    })
                })
            } else {
                match check_utf8(&bytes).await {
                    // An encrypted export is not a plain one ("not ours" to the reader); it
                    // is looked for only then, so a large plain file is not read twice.
                    Ok(text) => match read_export(text, reading).await {
                        Err(crate::io::ImportError::NotOurs) => match crate::io::envelope::Envelope::parse(text) {
                            Some(env) => env.map(Pending::Encrypted).map_err(|e| crate::i18n::envelope_error(lang, &e)),
                            None => Err(crate::i18n::import_error(lang, &crate::io::ImportError::NotOurs)),
                        },
                        read => read.map(Pending::Export).map_err(|e| crate::i18n::import_error(lang, &e)),
                    },
                    Err(_) => Err(t(K::NotTextFile).to_string()),
                }
            };
            match checked {
                Ok(p) => pending.set(Some(p)),
                Err(e) => message.set(Some((false, fill(t(K::FileRejected), &[("file", name), ("why", e)])))),
            }
            input.set_value("");
        });
    };

    // Stores `ws` in place of the workspace (after a backup) and says how it went.
    let replace = move |ws: Workspace, done: K| {
        leptos::task::spawn_local(async move {
            let n = ws.deals.len();
            match app.replace_with(ws).await {
                Ok(_) => {
                    message.set(Some((true, fill(app.t(done), &[("d", n.to_string())]))));
                    refresh_backups();
                }
                Err(e) => message.set(Some((false, e))),
            }
        })
    };
    // Records added to the workspace (after a backup), with a message once stored.
    let add = move |ws: Workspace, text: String| {
        leptos::task::spawn_local(async move {
            match app.add_records(ws).await {
                Ok(_) => {
                    message.set(Some((true, text)));
                    refresh_backups();
                }
                Err(e) => message.set(Some((false, e))),
            }
        })
    };
    let confirm = move |_| {
        // Taken, not copied: a copy of a 100,000-deal workspace, and dropping the original,
        // cost ≈ 380 ms in one task.
        let Some(p) = pending.try_update(Option::take).flatten() else { return };
        match p {
            Pending::AddPipeline(ws) => {
                let n = ws.deals.len();
                add(ws, fill(app.t(K::PipelineAdded), &[("d", n.to_string())]));
            }
            Pending::Export(ws) => replace(ws, K::WorkspaceReplaced),
            Pending::Encrypted(_) => {}
            Pending::Mapping(table) => {
                let Some(pid) = app.pipeline.get_untracked() else {
                    message.set(Some((false, app.t(K::NeedPipelineFirst).to_string())));
                    return;
                };
                let Some(p) = app.ws.with_untracked(|ws| ws.pipeline(&pid).cloned()) else { return };
                let currency = if app.lang.get_untracked() == crate::domain::Lang::Zh { "CNY" } else { "USD" };
                let plan = CsvPlan { mapping: mapping.get_untracked(), date_order: date_order.get_untracked(), currency: currency.into() };
                match import_generic(&table, &plan, &p, now(), &mut IdGen::new(js_sys::Date::now() as u64 ^ 0x5eed)) {
                    Ok(out) => {
                        let n = out.deals.len();
                        let stages = out.new_stages.join(", ");
                        let records = Workspace { pipelines: vec![out.pipeline], deals: out.deals, events: out.events, ..Default::default() };
                        let mut text = fill(app.t(K::DealsImported), &[("d", n.to_string())]);
                        if !stages.is_empty() {
                            text.push(' ');
                            text.push_str(&fill(app.t(K::StagesAdded), &[("s", stages)]));
                        }
                        add(records, text);
                    }
                    Err(errs) => {
                        pending.set(Some(Pending::Mapping(table)));
                        let lang = app.lang.get_untracked();
                        let shown: Vec<String> = errs.iter().take(10).map(|e| crate::i18n::row_error(lang, e)).collect();
                        message.set(Some((false, fill(app.t(K::RowsRejected), &[("n", errs.len().to_string()), ("list", shown.join("; "))]))));
                    }
                }
            }
            Pending::Merge(merged, theirs, at) => {
                leptos::task::spawn_local(async move {
                    let merge = |mine: &Workspace, theirs: &Workspace, merged: Option<Workspace>| match merged {
                        Some(merged) => crate::io::merge::ChangesFrom::new(merged),
                        None => crate::io::merge::ChangesFrom::new(crate::io::merge::merge(mine, theirs).workspace),
                    };
                    match app.merge_in(theirs, Some((at, merged.workspace)), merge).await {
                        Ok(Outcome::NothingNew) => message.set(Some((true, app.t(K::NothingNewToMerge).to_string()))),
                        Ok(Outcome::Stored) => {
                            let n = app.ws.with_untracked(|w| w.deals.len());
                            message.set(Some((true, fill(app.t(K::WorkspaceMerged), &[("d", n.to_string())]))));
                            refresh_backups();
                        }
                        Err(e) => message.set(Some((false, e))),
                    }
                });
            }
        }
    };
    let start_merge = move |_| {
        let taken = pending.try_update_untracked(|p| match p.take() {
            Some(Pending::Export(theirs)) => Some(theirs),
            other => {
                *p = other;
                None
            }
        });
        let Some(theirs) = taken.flatten() else { return };
        // Worked out a slice at a time with a progress bar (merging 100,000 deals at once
        // held the page for seconds), against memory as it is: if a change reaches memory
        // meanwhile (another tab, team sync), it starts over against the new state.
        leptos::task::spawn_local(async move {
            loop {
                let rev = app.memory_rev();
                let mut builder = crate::io::merge::MergeBuilder::new();
                merging.set(Some(0.0));
                yield_to_browser().await;
                let mut done = false;
                while !done && app.memory_rev() == rev {
                    done = app.ws.with_untracked(|mine| builder.step(mine, &theirs, MERGE_RECORDS_PER_STEP));
                    merging.set(Some(builder.progress()));
                    yield_to_browser().await;
                    // Another file was chosen meanwhile: this merge is no longer wanted.
                    if pending.with_untracked(Option::is_some) {
                        merging.set(None);
                        return;
                    }
                }
                if done && app.memory_rev() == rev {
                    merging.set(None);
                    pending.set(Some(Pending::Merge(builder.finish(), theirs, rev)));
                    return;
                }
            }
        });
    };

    let restore = move |id: String| {
        leptos::task::spawn_local(async move {
            match app.restore(&id).await {
                Ok(_) => {
                    message.set(Some((true, app.t(K::BackupRestored).to_string())));
                    refresh_backups();
                }
                Err(e) => message.set(Some((false, e))),
            }
        });
    };
    let delete_backup = move |id: String| {
        leptos::task::spawn_local(async move {
            match app.delete_backup(&id).await {
                Ok(()) => {
                    refresh_backups();
                    usage.set(crate::storage::usage().await);
                }
                Err(e) => message.set(Some((false, e))),
            }
        });
    };

    view! {
        <section class="page data">
            <h1>{move || app.t(K::ImportExport)}</h1>
            <h2>{move || app.t(K::ExportTitle)}</h2>
            <p class="muted">{move || app.t(K::ExportBody)}</p>
            // An export holds everything: not before the load's last part is in memory.
            <super::RestPending/>
            <label class="field narrow">
                <span>{move || app.t(K::ExportPassphrase)}</span>
                <input type="password" autocomplete="new-password" prop:value=move || export_pass.get()
                    on:input=move |ev| export_pass.set(event_target_value(&ev))/>
            </label>
            <div class="actions left">
                <button class="primary" on:click=export disabled=move || !app.whole.get()>{move || app.t(K::DownloadJson)}</button>
                <button disabled=move || !app.whole.get() on:click=move |_| {
                    let Some(pid) = app.pipeline.get_untracked() else { return };
                    let text = app.ws.with_untracked(|ws| crate::io::export_json(&crate::io::pipeline_only(ws, &pid), now()));
                    let name = format!("funnelscope-pipeline-{}.json", now().format("%Y-%m-%d"));
                    if let Err(e) = download(&name, &text, "application/json") {
                        message.set(Some((false, e)));
                    }
                }>{move || app.t(K::DownloadPipelineJson)}</button>
                <button on:click=move |_| {
                    let pid = app.pipeline.get_untracked();
                    let text = app.ws.with_untracked(|ws| crate::io::csv_export::deals_csv(ws, pid.as_ref()));
                    let name = format!("funnelscope-deals-{}.csv", now().format("%Y-%m-%d"));
                    if let Err(e) = download(&name, &text, "text/csv;charset=utf-8") {
                        message.set(Some((false, e)));
                    }
                }>{move || app.t(K::DownloadDealsCsv)}</button>
            </div>

            <h2>{move || app.t(K::ImportTitle)}</h2>
            <p class="muted">{move || app.t(K::ImportBody)}</p>
            <label class="field narrow">
                <span>{move || app.t(K::ChooseFile)}</span>
                <input type="file" accept=".json,.csv,.xlsx,application/json,text/csv,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" on:change=on_file/>
            </label>
            {move || reading.get().map(|p| (K::ReadingFile, p)).or_else(|| merging.get().map(|p| (K::WorkingOutMerge, p))).map(|(what, p)| view! {
                <div class="progress" role="status">
                    <span>{app.t(what)}</span>
                    <progress max="100" value=format!("{:.0}", p * 100.0)>{format!("{:.0}%", p * 100.0)}</progress>
                </div>
            })}
            {move || message.get().map(|(ok, text)| view! {
                <p class=if ok { "ok" } else { "field-error" } role=if ok { "status" } else { "alert" }>{text}</p>
            })}
            // Read in place: a copy of the file's workspace on every redraw was ≈ 290 ms (with
            // its drop) at 100,000 deals.
            {move || pending.with(|p| p.as_ref().map(|p| {
                if let Pending::Mapping(table) = &p {
                    let n = table.rows.len();
                    let rows = table.headers.iter().enumerate().map(|(i, h)| {
                        let sample = table.rows.iter().map(|r| r[i].clone()).find(|v| !v.is_empty()).unwrap_or_default();
                        let label = fill(app.t(K::MeaningOf), &[("col", h.clone())]);
                        let selected = move |c: Option<Column>| mapping.with(|m| m.iter().find(|(_, &j)| j == i).map(|(c, _)| *c) == c);
                        view! {
                            <tr>
                                <th scope="row">{h.clone()}</th>
                                <td class="muted">{sample}</td>
                                <td>
                                    <select aria-label=label on:change=move |ev| {
                                        let v = event_target_value(&ev);
                                        mapping.update(|m| {
                                            m.retain(|_, j| *j != i);
                                            if let Some((c, _)) = MEANINGS.iter().find(|(c, _)| format!("{c:?}") == v) {
                                                m.insert(*c, i);
                                            }
                                        });
                                    }>
                                        <option value="" selected=move || selected(None)>{app.t(K::IgnoreColumn)}</option>
                                        {MEANINGS.iter().map(|&(c, k)| view! {
                                            <option value=format!("{c:?}") selected=move || selected(Some(c))>{app.t(k)}</option>
                                        }).collect_view()}
                                    </select>
                                </td>
                            </tr>
                        }
                    }).collect_view();
                    let pipeline_name = app.pipeline.get_untracked().and_then(|id| app.ws.with_untracked(|ws| ws.pipeline(&id).map(|p| p.name.clone()))).unwrap_or_default();
                    return view! {
                        <div class="callout" role="region" aria-label=app.t(K::MapColumns)>
                            <p>{fill(app.t(K::MapColumnsBody), &[("n", n.to_string()), ("pipeline", pipeline_name.clone())])}</p>
                            <table class="data" aria-label=app.t(K::MapColumns)>
                                <thead><tr>
                                    <th scope="col">{app.t(K::ColumnInFile)}</th>
                                    <th scope="col">{app.t(K::Example)}</th>
                                    <th scope="col">{app.t(K::MeansField)}</th>
                                </tr></thead>
                                <tbody>{rows}</tbody>
                            </table>
                            <label class="field narrow">
                                <span>{app.t(K::DatesWritten)}</span>
                                <select on:change=move |ev| date_order.set(if event_target_value(&ev) == "day" { DateOrder::DayFirst } else { DateOrder::MonthFirst })>
                                    <option value="month" selected=move || date_order.get() == DateOrder::MonthFirst>{app.t(K::MonthFirst)}</option>
                                    <option value="day" selected=move || date_order.get() == DateOrder::DayFirst>{app.t(K::DayFirst)}</option>
                                </select>
                            </label>
                            {move || dates_ambiguous.get().then(|| view! { <p class="banner warn">{app.t(K::DatesAmbiguous)}</p> })}
                            <div class="actions left">
                                <button on:click=move |_| pending.set(None)>{app.t(K::Cancel)}</button>
                                <button class="primary" on:click=confirm>{fill(app.t(K::ImportDealsInto), &[("n", n.to_string()), ("pipeline", pipeline_name)])}</button>
                            </div>
                        </div>
                    }
                    .into_any();
                }
                if matches!(p, Pending::Encrypted(_)) {
                    return view! {
                        <div class="callout" role="region" aria-label=app.t(K::EncryptedFile)>
                            <p>{app.t(K::EncryptedFileBody)}</p>
                            <label class="field narrow">
                                <span>{app.t(K::ImportPassphrase)}</span>
                                <input type="password" autocomplete="current-password" prop:value=move || import_pass.get()
                                    on:input=move |ev| import_pass.set(event_target_value(&ev))/>
                            </label>
                            <div class="actions left">
                                <button on:click=move |_| pending.set(None)>{app.t(K::Cancel)}</button>
                                <button class="primary" on:click=unlock>{app.t(K::Decrypt)}</button>
                            </div>
                        </div>
                    }
                    .into_any();
                }
                let (text, button) = match &p {
                    Pending::Export(ws) => (fill(app.t(K::ReplaceSummary), &summary(ws)), app.t(K::ReplaceWorkspace)),
                    Pending::Merge(m, ..) => (
                        fill(app.t(K::MergeSummary), &[
                            ("d", m.new_deals.to_string()),
                            ("e", m.new_events.to_string()),
                            ("c", m.conflicts.len().to_string()),
                        ]),
                        app.t(K::ApplyMerge),
                    ),
                    Pending::AddPipeline(ws) => (fill(app.t(K::AddSummary), &summary(ws)), app.t(K::AddPipeline)),
                    Pending::Encrypted(_) | Pending::Mapping(_) => (String::new(), ""),
                };
                let (conflicts, collisions) = match &p {
                    Pending::Merge(m, ..) => (m.conflicts.clone(), m.collisions.clone()),
                    _ => (Vec::new(), Vec::new()),
                };
                let lang = app.lang.get_untracked();
                let can_merge = matches!(p, Pending::Export(_));
                view! {
                    <div class="callout" role="region" aria-label=app.t(K::ReadyToImport)>
                        <p>{text}</p>
                        {(!conflicts.is_empty()).then(|| view! {
                            <table class="data" aria-label=app.t(K::ConflictReport)>
                                <thead><tr>
                                    <th scope="col">{app.t(K::DealTitle)}</th>
                                    <th scope="col">{app.t(K::Field)}</th>
                                    <th scope="col">{app.t(K::Kept)}</th>
                                    <th scope="col">{app.t(K::Overridden)}</th>
                                </tr></thead>
                                <tbody>
                                    {conflicts.into_iter().take(200).map(|c| view! {
                                        <tr><th scope="row">{c.deal}</th><td>{c.field}</td><td>{c.kept}</td><td>{c.overridden}</td></tr>
                                    }).collect_view()}
                                </tbody>
                            </table>
                        })}
                        {(!collisions.is_empty()).then(|| view! {
                            <p>{fill(app.t(K::MergeCollisions), &[("n", collisions.len().to_string())])}</p>
                            <ul class="collisions">
                                {collisions.iter().take(200).map(|c| view! { <li>{crate::i18n::collision(lang, c)}</li> }).collect_view()}
                            </ul>
                        })}
                        <div class="actions left">
                            <button on:click=move |_| pending.set(None)>{app.t(K::Cancel)}</button>
                            {can_merge.then(|| view! { <button on:click=start_merge>{app.t(K::MergeWorkspace)}</button> })}
                            <button class="primary" on:click=confirm>{button}</button>
                        </div>
                    </div>
                }
                .into_any()
            }))}

            <super::sync::SyncSection/>

            <super::rates::RatesSection/>

            <h2>{move || app.t(K::Backups)}</h2>
            {move || usage.get().map(|(used, quota, persistent)| {
                let mb = |b: f64| format!("{:.1} MB", b / 1024.0 / 1024.0);
                view! {
                    <p class="muted storage-usage">
                        {fill(app.t(K::StorageUsage), &[("used", mb(used)), ("quota", mb(quota))])}
                        " "
                        {app.t(if persistent { K::StoragePersistent } else { K::StorageNotPersistent })}
                    </p>
                }
            })}
            {move || {
                let list = backups.get();
                if list.is_empty() {
                    return view! { <p class="muted">{app.t(K::NoBackups)}</p> }.into_any();
                }
                view! {
                    <ul class="backups" aria-label=app.t(K::Backups)>
                        {list.into_iter().map(|b| {
                            let when = super::format::datetime(b.created_at, app.lang.get());
                            let label = fill(app.t(K::RestoreBackup), &[("when", when.clone())]);
                            let delete_label = fill(app.t(K::DeleteBackupNamed), &[("when", when.clone())]);
                            let (id, id2) = (b.id.clone(), b.id.clone());
                            let size = match b.bytes as f64 / 1024.0 {
                                kb if kb < 1024.0 => format!(" · {kb:.0} KB"),
                                kb => format!(" · {:.1} MB", kb / 1024.0),
                            };
                            view! {
                                <li>
                                    <span>{fill(app.t(K::BackupLine), &[("when", when), ("d", b.deals.to_string())])}{size}</span>
                                    " "
                                    <button aria-label=label on:click=move |_| restore(id.clone())>{app.t(K::Restore)}</button>
                                    " "
                                    <button aria-label=delete_label on:click=move |_| delete_backup(id2.clone())>{app.t(K::DeleteBackup)}</button>
                                </li>
                            }
                        }).collect_view()}
                    </ul>
                }
                .into_any()
            }}
        </section>
    }
}
