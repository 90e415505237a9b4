//! What more than one test binary needs: a real learning record store (ralph) started for
//! a test, and the rule for tools that CI installs.
#![allow(dead_code)] // each test binary uses its own part

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

/// The password of both users of a test store.
pub const PASSWORD: &str = "s3cret-horse-battery";

fn temp(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("fluorohip-lrs-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// The folder a tool was installed in, or why the test skips.
pub fn tool(var: &str, what: &str) -> Option<PathBuf> {
    match std::env::var_os(var).filter(|v| !v.is_empty()) {
        Some(v) => Some(PathBuf::from(v)),
        None => {
            assert!(std::env::var_os("CI").is_none(), "CI must set {var} ({what}); see .ci/run");
            eprintln!("SKIPPED: {var} is not set: {what} is needed for this test (.ci/run installs it)");
            None
        }
    }
}

/// A ralph LRS on 127.0.0.1 with a fresh file store, stopped when dropped. The file
/// backend takes one write per store, so each test gets its own server.
pub struct Ralph {
    child: Child,
    pub url: String,
    dir: PathBuf,
}

impl Drop for Ralph {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

impl Ralph {
    /// Users `trainer` (the default store) and `trainer2` (a store of its own).
    pub fn start(venv: &Path, name: &str) -> Ralph {
        let dir = temp(&format!("ralph-{name}"));
        let env = |c: &mut Command| {
            c.current_dir(&dir)
                .env("RALPH_APP_DIR", &dir)
                .env("RALPH_AUTH_FILE", dir.join("auth.json"))
                .env("RALPH_RUNSERVER_BACKEND", "fs")
                .env("RALPH_BACKENDS__LRS__FS__DEFAULT_DIRECTORY_PATH", dir.join("store"));
        };
        std::fs::create_dir_all(dir.join("store/second")).unwrap();
        for (user, target) in [("trainer", None), ("trainer2", Some("second"))] {
            let mut c = Command::new(venv.join("bin/ralph"));
            env(&mut c);
            c.args(["auth", "-u", user, "-p", PASSWORD, "-s", "all", "-A", user, "https://lms.example.edu/", "-w"]);
            if let Some(t) = target {
                c.args(["-t", t]);
            }
            let o = c.output().expect("ralph runs");
            assert!(o.status.success(), "ralph auth: {}", String::from_utf8_lossy(&o.stderr));
        }
        // A free port: bind port 0, read it, let it go.
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let mut c = Command::new(venv.join("bin/uvicorn"));
        env(&mut c);
        c.args(["ralph.api:app", "--host", "127.0.0.1", "--port", &port.to_string()])
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(dir.join("server.log")).unwrap());
        let child = c.spawn().expect("uvicorn starts");
        let ralph = Ralph { child, url: format!("http://127.0.0.1:{port}/xAPI/"), dir };
        let t0 = Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                t0.elapsed() < Duration::from_secs(60),
                "ralph did not start: {}",
                std::fs::read_to_string(ralph.dir.join("server.log")).unwrap_or_default()
            );
            std::thread::sleep(Duration::from_millis(200));
        }
        ralph
    }

    /// Statements the store holds for `user`, optionally of one registration (read
    /// with a plain GET, following `more`).
    pub fn statements(&self, user: &str, registration: Option<&str>) -> Vec<Value> {
        let agent: ureq::Agent = ureq::Agent::config_builder().http_status_as_error(false).build().into();
        let auth =
            format!("Basic {}", fluorohip::sim::assessment::export::base64(format!("{user}:{PASSWORD}").as_bytes()));
        let mut url = format!("{}statements?limit=500", self.url);
        if let Some(r) = registration {
            url.push_str(&format!("&registration={r}"));
        }
        let mut out = Vec::new();
        loop {
            let mut resp = agent
                .get(&url)
                .header("Authorization", &auth)
                .header("X-Experience-API-Version", "1.0.3")
                .call()
                .expect("the LRS answers");
            let body = resp.body_mut().read_to_string().unwrap();
            assert_eq!(resp.status().as_u16(), 200, "{body}");
            let v: Value = serde_json::from_str(&body).unwrap();
            out.extend(v["statements"].as_array().unwrap().iter().cloned());
            match v["more"].as_str() {
                Some(more) if !more.is_empty() => {
                    let host = &self.url[..self.url.find("/xAPI/").unwrap()];
                    url = format!("{host}{more}");
                }
                _ => return out,
            }
        }
    }
}
