//! `fluorohip send-xapi`: a class's learning records to a Learning Record Store.

use std::path::PathBuf;
use std::time::Duration;

use fluorohip::DISCLAIMER;
use fluorohip::sim::assessment::lrs::{self, DEFAULT_BATCH, Lrs};

use super::fail;
use super::training::progress;

#[derive(clap::Args, Debug)]
pub struct SendXapiArgs {
    /// Folders of reports (searched at any depth for xapi.jsonl), or xapi.jsonl files.
    #[arg(required = true)]
    dirs: Vec<PathBuf>,
    /// The LRS's xAPI endpoint, e.g. https://lrs.example.edu/xAPI/
    #[arg(long, env = "FLUOROHIP_LRS_URL")]
    lrs: String,
    /// User (HTTP Basic; many LRSs call it the key).
    #[arg(long, env = "FLUOROHIP_LRS_USER")]
    user: String,
    /// Password (or secret); prefer the environment variable, which `ps` does not show.
    #[arg(long, env = "FLUOROHIP_LRS_PASSWORD", hide_env_values = true)]
    password: String,
    /// Most statements in one POST (sessions are never split).
    #[arg(long, default_value_t = DEFAULT_BATCH as u64, value_parser = clap::value_parser!(u64).range(1..=10_000))]
    batch: u64,
    /// Send again sessions the store is noted as holding (the store keeps one copy).
    #[arg(long)]
    resend: bool,
    /// Further attempts after a network error or a busy store (waits 0.5 s, 1 s, 2 s...).
    #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u32).range(0..=10))]
    retries: u32,
}

pub fn send_xapi(a: &SendXapiArgs) -> i32 {
    println!("*** {DISCLAIMER} ***\n");
    let mut store = match Lrs::new(&a.lrs, &a.user, &a.password) {
        Ok(l) => l,
        Err(e) => return fail(e, 2),
    };
    store.retries = a.retries;
    store.backoff = Duration::from_millis(500);
    println!("sending to {} as {}", store.statements_url(), a.user);
    let mut shown = false;
    let result = lrs::send(&a.dirs, &store, a.batch as usize, a.resend, &mut |p| {
        shown = true;
        progress(p.sessions_done, p.sessions_total, &p.last.display().to_string());
    });
    if shown {
        eprintln!();
    }
    match result {
        Ok(s) => {
            let copies = match s.copies {
                0 => String::new(),
                n => format!(", {n} a copy of one sent (the same session saved twice)"),
            };
            println!(
                "{} sessions found: {} sent ({} statements), {} already in the store{copies}",
                s.sessions_found, s.sessions_sent, s.statements_sent, s.already_sent
            );
            0
        }
        Err(e @ (lrs::LrsError::Url { .. } | lrs::LrsError::Read { .. } | lrs::LrsError::Statements { .. })) => {
            fail(e, 2)
        }
        Err(e) => fail(e, 1),
    }
}
