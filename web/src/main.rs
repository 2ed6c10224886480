//! The browser app's entry point (built by Trunk). Natively it only points elsewhere.

#[cfg(target_arch = "wasm32")]
fn main() {
    funnelscope::ui::mount();
}

#[cfg(not(target_arch = "wasm32"))]
fn main() {
    eprintln!("funnelscope is a browser app: run it with `scripts/serve` (see README.md)");
}
