//! The page's side of the engine's Web Worker (`engine/`; the messages are in
//! `forecast::engine`): a Monte Carlo run there instead of on the page's thread.
//!
//! One worker per run, ended when the run is answered or no longer wanted: a newer
//! question stops an older one at once (a busy worker cannot read a "stop" message), and
//! no worker stays in memory between forecasts. Starting one costs its script and wasm
//! from the cache and a compile, on the worker's own thread.

use crate::forecast::engine::{EngineReply, SimRequest};
use crate::forecast::{SimPlan, Simulation};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{Event, MessageEvent, Worker};

pub enum Outcome {
    Done(Simulation),
    /// `progress` said the run is no longer wanted.
    Stopped,
    /// No worker could run it (none named in the page, the browser refused one, its start
    /// failed, it refused the request): the caller runs the trials itself.
    Unavailable,
}

/// The worker's script, named by `scripts/post_build.mjs` in the page's
/// `<meta name="funnelscope-engine">`.
fn script() -> Option<String> {
    web_sys::window()?.document()?.query_selector("meta[name=funnelscope-engine]").ok()??.get_attribute("content")
}

/// A started worker and its handlers: dropped, it is stopped first, then the handlers go
/// (a handler dropped while the worker could still call it would throw in the page).
struct Running {
    worker: Worker,
    _on_message: Closure<dyn FnMut(MessageEvent)>,
    _on_error: Closure<dyn FnMut(Event)>,
}

impl Drop for Running {
    fn drop(&mut self) {
        self.worker.terminate();
        self.worker.set_onmessage(None);
        self.worker.set_onerror(None);
    }
}

/// `trials` trials of `plan` in a worker. `progress(done, of)` hears after each slice and
/// answers whether the run is still wanted.
pub async fn simulate(plan: &SimPlan, trials: u32, mut progress: impl FnMut(u32, u32) -> bool) -> Outcome {
    let Some(url) = script() else { return Outcome::Unavailable };
    let Ok(worker) = Worker::new(&url) else { return Outcome::Unavailable };
    // None: an error event, or a message that is not a reply.
    let (tx, mut rx) = futures_channel::mpsc::unbounded::<Option<EngineReply>>();
    let on_message = {
        let tx = tx.clone();
        Closure::<dyn FnMut(MessageEvent)>::new(move |ev: MessageEvent| {
            let words = ev.data().dyn_into::<js_sys::Float64Array>().map(|a| a.to_vec()).unwrap_or_default();
            let _ = tx.unbounded_send(EngineReply::from_words(&words));
        })
    };
    let on_error = Closure::<dyn FnMut(Event)>::new(move |ev: Event| {
        // Handled here (the page runs the trials itself), not an error for the console.
        ev.prevent_default();
        let _ = tx.unbounded_send(None);
    });
    worker.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    worker.set_onerror(Some(on_error.as_ref().unchecked_ref()));
    let running = Running { worker, _on_message: on_message, _on_error: on_error };
    const ID: u32 = 1;
    loop {
        match rx.recv().await {
            Ok(Some(EngineReply::Ready)) => {
                let bytes = SimRequest { id: ID, trials, plan: plan.clone() }.to_bytes();
                if running.worker.post_message(&js_sys::Uint8Array::from(&bytes[..])).is_err() {
                    return Outcome::Unavailable;
                }
            }
            Ok(Some(EngineReply::Progress { id: ID, done, of })) => {
                if !progress(done, of) {
                    return Outcome::Stopped;
                }
            }
            Ok(Some(EngineReply::Done { id: ID, trials: t, sim })) if t == trials => return Outcome::Done(sim),
            _ => return Outcome::Unavailable,
        }
    }
}
