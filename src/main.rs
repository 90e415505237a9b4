//! The `fluorohip` command: the simulator window (feature `gui`) or headless tools.

mod cli;

fn main() {
    std::process::exit(cli::run());
}
