//! The `fluorohip` command: the simulator window (feature `gui`) or headless tools.

#[cfg(not(target_arch = "wasm32"))]
mod cli;

#[cfg(not(target_arch = "wasm32"))]
fn main() {
    std::process::exit(cli::run());
}

/// In a browser (web/build.sh): the window, with what the page's address asks for.
#[cfg(all(target_arch = "wasm32", feature = "gui"))]
fn main() {
    fluorohip::app::run(fluorohip::app::web::options());
}
