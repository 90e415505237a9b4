//! Sending sessions' learning records (`xapi.jsonl`, written beside the reports) to a
//! Learning Record Store, the way `fluorohip send-xapi` does.
//!
//! Sessions go in POSTs of whole sessions (a batch is stored entirely or not at all, so
//! a session is never half in the store). Statement ids are fixed by the session, so a
//! batch sent twice (a retry after a lost reply, a rerun) is stored once. What the store
//! accepted is noted beside each session (`xapi-sent.json`), so a rerun sends only what
//! is missing.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::export::base64;
use super::xapi::XAPI_VERSION;
use crate::sim::files::{WriteError, write_atomically};

/// The statements file of a session's reports.
pub const STATEMENTS_FILE: &str = "xapi.jsonl";

/// The note of what a store accepted, beside [`STATEMENTS_FILE`].
pub const SENT_FILE: &str = "xapi-sent.json";

/// Statements per POST unless told otherwise (whole sessions only).
pub const DEFAULT_BATCH: usize = 100;

/// Why records could not be read or sent. Never contains the password.
#[derive(Debug, thiserror::Error)]
pub enum LrsError {
    #[error("--lrs `{url}`: {why}")]
    Url { url: String, why: &'static str },
    #[error("cannot read {}: {source}", path.display())]
    Read { path: PathBuf, source: std::io::Error },
    #[error("{}:{line}: {message}", path.display())]
    Statements { path: PathBuf, line: usize, message: String },
    #[error(
        "the LRS at {url} refused user `{user}` (401 Unauthorized: {message}): check the user and password (--user/--password or FLUOROHIP_LRS_USER/FLUOROHIP_LRS_PASSWORD)"
    )]
    Unauthorized { url: String, user: String, message: String },
    #[error(
        "the LRS at {url} does not let user `{user}` write statements (403 Forbidden: {message}): ask its administrator for the statements/write scope"
    )]
    Forbidden { url: String, user: String, message: String },
    #[error(
        "the LRS at {url} already holds other statements with the ids of {files} (409 Conflict: {message}): they were sent before with different content (another fluorohip version or account home page?)"
    )]
    Conflict { url: String, files: String, message: String },
    #[error("the LRS at {url} refused the statements of {files} ({status}: {message})")]
    Refused { url: String, status: String, files: String, message: String },
    #[error(
        "the LRS at {url} failed ({status}: {message}) on attempt {attempts}; what was sent before is noted, run again later"
    )]
    Server { url: String, status: String, message: String, attempts: u32 },
    #[error(
        "cannot reach the LRS at {url} ({message}) after {attempts} attempts; what was sent before is noted, run again later"
    )]
    Network { url: String, message: String, attempts: u32 },
    #[error(transparent)]
    Write(#[from] WriteError),
}

/// A Learning Record Store's statements resource, with HTTP Basic credentials.
pub struct Lrs {
    statements_url: String,
    user: String,
    authorization: String,
    agent: ureq::Agent,
    /// Further attempts after a network error or a 429/502/503/504.
    pub retries: u32,
    /// Wait before the first retry; doubled for each further one.
    pub backoff: Duration,
}

impl Lrs {
    /// The store whose xAPI endpoint is `endpoint` (e.g. `https://lrs.example.edu/xAPI/`;
    /// a URL ending in `/statements` is taken as the resource itself).
    pub fn new(endpoint: &str, user: &str, password: &str) -> Result<Lrs, LrsError> {
        let url = endpoint.trim();
        let bad = |why| LrsError::Url { url: url.to_string(), why };
        let rest = url
            .strip_prefix("http://")
            .or_else(|| url.strip_prefix("https://"))
            .ok_or_else(|| bad("the LRS's xAPI endpoint must start with http:// or https://"))?;
        let host = rest.split(['/', '?', '#']).next().unwrap_or("");
        if host.is_empty() {
            return Err(bad("no host name"));
        }
        if cfg!(not(feature = "https")) && url.starts_with("https://") {
            return Err(bad("this fluorohip was built without the `https` feature: build it with default features"));
        }
        if host.contains('@') {
            return Err(bad("give the user and password with --user and --password, not in the URL"));
        }
        if url.contains(['?', '#']) {
            return Err(bad("the endpoint has no query or fragment"));
        }
        let base = url.trim_end_matches('/');
        let statements_url =
            if base.ends_with("/statements") { base.to_string() } else { format!("{base}/statements") };
        let config = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(Duration::from_secs(60)))
            .timeout_connect(Some(Duration::from_secs(10)))
            // A redirected POST would lose its body (or turn into a GET): say where it points.
            .max_redirects(0)
            .max_redirects_will_error(false)
            .user_agent(concat!("fluorohip/", env!("CARGO_PKG_VERSION")))
            .build();
        Ok(Lrs {
            statements_url,
            user: user.to_string(),
            authorization: format!("Basic {}", base64(format!("{user}:{password}").as_bytes())),
            agent: config.into(),
            retries: 4,
            backoff: Duration::from_millis(500),
        })
    }

    /// The statements resource statements are sent to (no credentials in it).
    pub fn statements_url(&self) -> &str {
        &self.statements_url
    }

    /// POST `statements` (a JSON array) as one batch; `files` names their sessions in errors.
    pub fn post(&self, statements: &[Value], files: &str) -> Result<(), LrsError> {
        let body = serde_json::to_string(statements).expect("statements serialise");
        let url = &self.statements_url;
        let mut attempt = 0;
        loop {
            attempt += 1;
            let result = self
                .agent
                .post(url)
                .header("Authorization", &self.authorization)
                .header("X-Experience-API-Version", XAPI_VERSION)
                .header("Content-Type", "application/json")
                .send(&body);
            let (retry_as, status) = match result {
                Ok(mut response) => {
                    let code = response.status().as_u16();
                    if (200..300).contains(&code) {
                        return Ok(());
                    }
                    let message = lrs_message(&response.body_mut().read_to_string().unwrap_or_default());
                    let status =
                        format!("{} {}", code, response.status().canonical_reason().unwrap_or("")).trim().to_string();
                    let (url, files, user) = (url.clone(), files.to_string(), self.user.clone());
                    if (300..400).contains(&code) {
                        let to = response.headers().get("location").and_then(|v| v.to_str().ok()).unwrap_or("nowhere");
                        let message = format!("redirected to {to}: give that address as --lrs");
                        return Err(LrsError::Refused { url, status, files, message });
                    }
                    match code {
                        401 => return Err(LrsError::Unauthorized { url, user, message }),
                        403 => return Err(LrsError::Forbidden { url, user, message }),
                        409 => return Err(LrsError::Conflict { url, files, message }),
                        429 | 502 | 503 | 504 => (Err(message), status),
                        400..=499 => return Err(LrsError::Refused { url, status, files, message }),
                        _ => return Err(LrsError::Server { url, status, message, attempts: attempt }),
                    }
                }
                Err(e) => (Ok(e.to_string()), String::new()),
            };
            if attempt > self.retries {
                let url = url.clone();
                return Err(match retry_as {
                    Ok(message) => LrsError::Network { url, message, attempts: attempt },
                    Err(message) => LrsError::Server { url, status, message, attempts: attempt },
                });
            }
            std::thread::sleep(self.backoff * 2u32.saturating_pow(attempt - 1));
        }
    }
}

/// The message in an LRS's error reply: its `message`, `detail` or `error` field if it
/// is JSON, else the text (shortened).
fn lrs_message(body: &str) -> String {
    if let Ok(v) = serde_json::from_str::<Value>(body) {
        for key in ["message", "detail", "error", "errorMessage"] {
            match &v[key] {
                Value::String(s) => return s.clone(),
                Value::Null => {}
                other => return other.to_string(),
            }
        }
    }
    let text: String = body.trim().chars().take(300).collect();
    if text.is_empty() { "no message".into() } else { text }
}

/// One session's statements, as written beside its reports.
#[derive(Clone, Debug)]
pub struct SessionRecords {
    /// The `xapi.jsonl` they were read from.
    pub path: PathBuf,
    pub registration: String,
    pub statements: Vec<Value>,
}

impl SessionRecords {
    /// Read `path`, checking each statement has the id and registration an LRS needs.
    pub fn load(path: &Path) -> Result<SessionRecords, LrsError> {
        let text =
            std::fs::read_to_string(path).map_err(|source| LrsError::Read { path: path.to_path_buf(), source })?;
        let bad = |line: usize, message: String| LrsError::Statements { path: path.to_path_buf(), line, message };
        let mut statements = Vec::new();
        let mut registration: Option<String> = None;
        for (i, line) in text.lines().enumerate().filter(|(_, l)| !l.trim().is_empty()) {
            let v: Value = serde_json::from_str(line).map_err(|e| bad(i + 1, format!("not a JSON statement: {e}")))?;
            let older = "written by an older fluorohip: write the reports again with `fluorohip replay session-log.json --report DIR`";
            if !v["id"].is_string() {
                return Err(bad(i + 1, format!("statement has no id ({older})")));
            }
            let Some(reg) = v["context"]["registration"].as_str() else {
                return Err(bad(i + 1, format!("statement has no context.registration ({older})")));
            };
            match &registration {
                Some(r) if r != reg => return Err(bad(i + 1, "statements of two sessions in one file".into())),
                _ => registration = Some(reg.to_string()),
            }
            statements.push(v);
        }
        let registration = registration.ok_or_else(|| bad(1, "no statements".into()))?;
        Ok(SessionRecords { path: path.to_path_buf(), registration, statements })
    }

    fn ids(&self) -> Vec<String> {
        self.statements.iter().filter_map(|s| s["id"].as_str().map(str::to_string)).collect()
    }

    fn sent_path(&self) -> PathBuf {
        self.path.with_file_name(SENT_FILE)
    }

    /// Whether `lrs` is noted as holding every statement of this session.
    pub fn sent_to(&self, statements_url: &str) -> bool {
        let Some(note) = SentNote::read(&self.sent_path()) else { return false };
        let held = note.sent.get(statements_url).cloned().unwrap_or_default();
        self.ids().iter().all(|id| held.contains(id))
    }

    /// Note that the store at `statements_url` holds this session's statements.
    pub fn mark_sent(&self, statements_url: &str) -> Result<(), WriteError> {
        let path = self.sent_path();
        let mut note = SentNote::read(&path).unwrap_or_default();
        note.disclaimer = crate::DISCLAIMER.to_string();
        let held = note.sent.entry(statements_url.to_string()).or_default();
        for id in self.ids() {
            if !held.contains(&id) {
                held.push(id);
            }
        }
        let json = serde_json::to_vec_pretty(&note).expect("notes serialise");
        write_atomically(&path, &json)
    }
}

/// `xapi-sent.json`: statement ids each store (its statements URL) accepted.
#[derive(Default, Serialize, Deserialize)]
struct SentNote {
    #[serde(default)]
    disclaimer: String,
    #[serde(default)]
    sent: BTreeMap<String, Vec<String>>,
}

impl SentNote {
    /// The note, or none if missing or unreadable (then everything is sent again,
    /// which the statement ids make harmless).
    fn read(path: &Path) -> Option<SentNote> {
        serde_json::from_str(&std::fs::read_to_string(path).ok()?).ok()
    }
}

/// Every `xapi.jsonl` under `dirs` (any depth), in path order.
pub fn find_statement_files(dirs: &[PathBuf]) -> Result<Vec<PathBuf>, LrsError> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> Result<(), LrsError> {
        let read = |source| LrsError::Read { path: dir.to_path_buf(), source };
        for entry in std::fs::read_dir(dir).map_err(read)? {
            let entry = entry.map_err(read)?;
            let p = entry.path();
            // Not through symbolic links to folders: a loop of them would never end.
            if entry.file_type().map_err(read)?.is_dir() {
                walk(&p, out)?;
            } else if p.file_name().is_some_and(|n| n == STATEMENTS_FILE) {
                out.push(p);
            }
        }
        Ok(())
    }
    let mut out = Vec::new();
    for d in dirs {
        if d.is_file() && d.file_name().is_some_and(|n| n == STATEMENTS_FILE) {
            out.push(d.clone());
        } else {
            walk(d, &mut out)?;
        }
    }
    out.sort();
    out.dedup();
    Ok(out)
}

/// Group sessions into POSTs of at most `max_statements` (a larger session goes alone).
pub fn batches(sessions: Vec<SessionRecords>, max_statements: usize) -> Vec<Vec<SessionRecords>> {
    let mut out: Vec<Vec<SessionRecords>> = Vec::new();
    let mut size = 0;
    for s in sessions {
        let n = s.statements.len();
        match out.last_mut() {
            Some(batch) if size + n <= max_statements.max(1) => batch.push(s),
            _ => {
                out.push(vec![s]);
                size = 0;
            }
        }
        size += n;
    }
    out
}

/// How far a send has got, for a progress bar.
pub struct Progress<'a> {
    pub sessions_done: usize,
    pub sessions_total: usize,
    pub statements_sent: usize,
    /// The last session sent (the first to send, before any is).
    pub last: &'a Path,
}

/// What a send did.
#[derive(Debug, Default)]
pub struct SendSummary {
    pub sessions_found: usize,
    pub sessions_sent: usize,
    pub statements_sent: usize,
    /// Sessions skipped because the note says the store holds them.
    pub already_sent: usize,
    /// Copies of a session sent in this run (its reports saved twice): not posted again, since
    /// one POST may not carry a statement id twice; noted as sent with it.
    pub copies: usize,
}

/// Send every session under `dirs` that `lrs` is not noted as holding (all of them with
/// `resend`), in POSTs of at most `batch` statements; note each accepted batch.
pub fn send(
    dirs: &[PathBuf],
    lrs: &Lrs,
    batch: usize,
    resend: bool,
    progress: &mut dyn FnMut(Progress),
) -> Result<SendSummary, LrsError> {
    let files = find_statement_files(dirs)?;
    let mut summary = SendSummary { sessions_found: files.len(), ..SendSummary::default() };
    let loaded = files.iter().map(|f| SessionRecords::load(f)).collect::<Result<Vec<_>, _>>()?;
    let same = |a: &SessionRecords, b: &SessionRecords| a.registration == b.registration && a.ids() == b.ids();
    let (held, rest): (Vec<SessionRecords>, Vec<SessionRecords>) =
        loaded.into_iter().partition(|s| !resend && s.sent_to(lrs.statements_url()));
    summary.already_sent = held.len();
    let mut todo: Vec<SessionRecords> = Vec::new();
    let mut copies: Vec<SessionRecords> = Vec::new();
    for s in rest {
        // The same session saved twice (Save pressed again, or saved in another folder).
        if held.iter().any(|h| same(h, &s)) {
            s.mark_sent(lrs.statements_url())?;
            summary.copies += 1;
        } else if todo.iter().any(|t| same(t, &s)) {
            copies.push(s);
        } else {
            todo.push(s);
        }
    }
    let total = todo.len();
    if let Some(first) = todo.first() {
        progress(Progress { sessions_done: 0, sessions_total: total, statements_sent: 0, last: &first.path });
    }
    for group in batches(todo, batch) {
        let statements: Vec<Value> = group.iter().flat_map(|s| s.statements.iter().cloned()).collect();
        let names = match group.len() {
            1 => group[0].path.display().to_string(),
            n => format!("{} and {} more sessions", group[0].path.display(), n - 1),
        };
        match lrs.post(&statements, &names) {
            // Name the session whose statement the store quotes, if it does.
            Err(LrsError::Conflict { url, files, message }) => {
                let quoted = group.iter().find(|s| s.ids().iter().any(|id| message.contains(id.as_str())));
                let files = quoted.map(|s| s.path.display().to_string()).unwrap_or(files);
                return Err(LrsError::Conflict { url, files, message });
            }
            other => other?,
        }
        for s in &group {
            s.mark_sent(lrs.statements_url())?;
        }
        for c in copies.iter().filter(|c| group.iter().any(|s| same(s, c))) {
            c.mark_sent(lrs.statements_url())?;
            summary.copies += 1;
        }
        summary.sessions_sent += group.len();
        summary.statements_sent += statements.len();
        progress(Progress {
            sessions_done: summary.sessions_sent,
            sessions_total: total,
            statements_sent: summary.statements_sent,
            last: &group[group.len() - 1].path,
        });
    }
    Ok(summary)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoints_name_the_statements_resource_and_refuse_credentials_in_the_url() {
        let lrs = Lrs::new("http://lrs.example.edu/xAPI/", "u", "p").unwrap();
        assert_eq!(lrs.statements_url(), "http://lrs.example.edu/xAPI/statements");
        // https needs the `https` feature; without it the refusal says so.
        match Lrs::new("https://lrs.example.edu/xAPI", "u", "p") {
            Ok(l) => assert!(cfg!(feature = "https") && l.statements_url().starts_with("https://")),
            Err(e) => assert!(cfg!(not(feature = "https")) && e.to_string().contains("`https` feature"), "{e}"),
        }
        let lrs = Lrs::new("http://127.0.0.1:8100/xAPI/statements", "u", "p").unwrap();
        assert_eq!(lrs.statements_url(), "http://127.0.0.1:8100/xAPI/statements");
        let e = Lrs::new("http://u:secret@lrs.example.edu/xAPI", "u", "p").err().unwrap().to_string();
        assert!(e.contains("--password"), "{e}");
        assert!(Lrs::new("lrs.example.edu/xAPI", "u", "p").is_err());
    }

    #[test]
    fn error_replies_give_the_stores_own_words() {
        assert_eq!(
            lrs_message(r#"{"detail":"Invalid authentication credentials"}"#),
            "Invalid authentication credentials"
        );
        assert_eq!(lrs_message(r#"{"message":"Unauthorised"}"#), "Unauthorised");
        assert_eq!(lrs_message("Bad Gateway"), "Bad Gateway");
        assert_eq!(lrs_message(""), "no message");
    }

    /// A session saved in two folders is one session to the store: the copy of a session the
    /// store holds is noted as held without a POST (here to an address where nothing
    /// listens, so a POST would fail the send).
    #[test]
    fn a_copy_of_a_session_the_store_holds_is_not_posted_again() {
        let dir = std::env::temp_dir().join(format!("fluorohip-lrs-copies-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let reg = "2f1c0a6e-0000-5000-8000-000000000001";
        let text: String = (0..3)
            .map(|i| {
                format!(
                    "{{\"id\":\"2f1c0a6e-0000-5000-8000-00000000001{i}\",\"context\":{{\"registration\":\"{reg}\"}}}}\n"
                )
            })
            .collect();
        for folder in ["first", "second"] {
            std::fs::create_dir_all(dir.join(folder)).unwrap();
            std::fs::write(dir.join(folder).join("xapi.jsonl"), &text).unwrap();
        }
        let lrs = Lrs::new("http://127.0.0.1:9/xAPI/", "u", "p").unwrap();
        SessionRecords::load(&dir.join("first/xapi.jsonl")).unwrap().mark_sent(lrs.statements_url()).unwrap();
        let s = send(std::slice::from_ref(&dir), &lrs, DEFAULT_BATCH, false, &mut |_| {}).expect("nothing to post");
        assert_eq!((s.sessions_found, s.sessions_sent, s.already_sent, s.copies), (2, 0, 1, 1));
        let second = SessionRecords::load(&dir.join("second/xapi.jsonl")).unwrap();
        assert!(second.sent_to(lrs.statements_url()), "the copy is noted as held");
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn batches_keep_sessions_whole() {
        let s = |n: usize| SessionRecords {
            path: PathBuf::from(format!("s{n}")),
            registration: String::new(),
            statements: vec![Value::Null; n],
        };
        let sizes: Vec<Vec<usize>> = batches(vec![s(3), s(4), s(2), s(9), s(1)], 8)
            .iter()
            .map(|b| b.iter().map(|x| x.statements.len()).collect())
            .collect();
        assert_eq!(sizes, vec![vec![3, 4], vec![2], vec![9], vec![1]]);
    }
}
