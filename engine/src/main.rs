//! The engine's Web Worker (see `funnelscope_core::forecast::engine`): it answers each
//! request's bytes with progress and the result, as numbers. Natively it only points
//! elsewhere.

#[cfg(target_arch = "wasm32")]
fn main() {
    use funnelscope_core::forecast::engine::{answer, EngineReply};
    use wasm_bindgen::prelude::*;
    use wasm_bindgen::JsCast;
    use web_sys::{DedicatedWorkerGlobalScope, MessageEvent};

    let scope: DedicatedWorkerGlobalScope = js_sys::global().unchecked_into();
    let post = {
        let scope = scope.clone();
        move |reply: EngineReply| {
            // A page that went away cannot be told; nothing else can fail here.
            let _ = scope.post_message(&js_sys::Float64Array::from(&reply.to_words()[..]));
        }
    };
    let on_message = {
        let post = post.clone();
        Closure::<dyn FnMut(MessageEvent)>::new(move |ev: MessageEvent| {
            // Anything but bytes reads as no bytes, which `answer` refuses.
            let bytes = ev.data().dyn_into::<js_sys::Uint8Array>().map(|a| a.to_vec()).unwrap_or_default();
            answer(&bytes, &post);
        })
    };
    scope.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    // The handler lives as long as the worker.
    on_message.forget();
    // Set up before saying so: the page sends its request only after this.
    post(EngineReply::Ready);
}

#[cfg(not(target_arch = "wasm32"))]
fn main() {
    eprintln!("the engine is the browser app's Web Worker: run the app with `scripts/serve` (see README.md)");
}
