//! First visit (and "New pipeline"): start from a stage template or load the demo data.

use super::state::{now, random_seed, use_app};
use super::{use_go, View};
use crate::domain::{demo, from_template, Command, IdGen, Lang, Template, Workspace};
use crate::i18n::K;
use leptos::prelude::*;
use leptos::wasm_split::SplitLoaderError;

/// The demo data. The generator and all only it uses are split off the first download
/// (`wasm_split`, as the screens are): fetched on the click, by the few who want the demo.
#[allow(improper_ctypes_definitions, improper_ctypes)]
#[leptos::wasm_split::wasm_split(demo, wasm_split_path = ::leptos::wasm_split, fallible)]
fn demo_workspace(seed: u64, at: chrono::DateTime<chrono::Utc>, lang: Lang) -> Result<Workspace, SplitLoaderError> {
    Ok(demo::generate(300, demo::DEMO_SEED, seed, at, lang))
}

#[component]
pub fn Welcome() -> impl IntoView {
    let app = use_app();
    let go = use_go();
    let start = {
        let go = go.clone();
        move |template: Template| {
            let lang = app.lang.get_untracked();
            if app.dispatch(Command::CreatePipeline { template, lang }).is_ok() {
                go(View::Board);
            }
        }
    };
    let demo = move |_| {
        let lang = app.lang.get_untracked();
        leptos::task::spawn_local(async move {
            match demo_workspace(random_seed(), now(), lang).await {
                Ok(ws) => app.add_demo(ws),
                Err(_) => app.write_error.set(Some(app.t(K::DemoUnavailable).to_string())),
            }
        });
        go(View::Board);
    };
    let template_card = move |template: Template, title: K, body: K, button: K| {
        let start = start.clone();
        // A preview of the stages the template creates, in the current language.
        let preview = move || {
            let p = from_template(template, app.lang.get(), &mut IdGen::new(0));
            p.stages.into_iter().map(|s| view! { <li>{s.name}</li> }).collect_view()
        };
        view! {
            <article class="choice">
                <h2>{move || app.t(title)}</h2>
                <p>{move || app.t(body)}</p>
                <ol class="stage-preview">{preview}</ol>
                <button class="primary" on:click=move |_| start(template)>{move || app.t(button)}</button>
            </article>
        }
    };
    view! {
        <section class="page welcome">
            <h1>{move || app.t(K::WelcomeTitle)}</h1>
            <p class="lead">{move || app.t(K::WelcomeLead)}</p>
            <p class="muted">{move || app.t(K::PrivacyNote)}</p>
            <div class="choices">
                {template_card(Template::CustomerJourney, K::JourneyTitle, K::JourneyBody, K::UseJourney)}
                {template_card(Template::B2b, K::B2bTitle, K::B2bBody, K::UseB2b)}
                <article class="choice">
                    <h2>{move || app.t(K::ImportTitle)}</h2>
                    <p>{move || app.t(K::ImportBody)}</p>
                    <a class="button" href=super::href(View::Data)>{move || app.t(K::ImportExport)}</a>
                </article>
                <article class="choice">
                    <h2>{move || app.t(K::DemoTitle)}</h2>
                    <p>{move || app.t(K::DemoBody)}</p>
                    <button on:click=demo>{move || app.t(K::LoadDemo)}</button>
                </article>
            </div>
        </section>
    }
}
