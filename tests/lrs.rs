//! Learning records against a real Learning Record Store (ralph, with its file backend)
//! and a strict statement validator (Learning Locker's). `.ci/run` installs both and
//! names them in FLUOROHIP_RALPH_VENV and FLUOROHIP_XAPI_VALIDATOR; without them these
//! tests say so and skip (under CI they fail instead, so a broken set-up is not green).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use serde_json::Value;

mod common;

use common::{PASSWORD, Ralph, tool};

fn fluorohip(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut c = Command::new(env!("CARGO_BIN_EXE_fluorohip"));
    c.args(args);
    for (k, v) in env {
        c.env(k, v);
    }
    c.output().expect("the binary runs")
}

fn text_of(o: &Output) -> (String, String) {
    (String::from_utf8_lossy(&o.stdout).into_owned(), String::from_utf8_lossy(&o.stderr).into_owned())
}

fn temp(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("fluorohip-lrs-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn asset(p: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(p).display().to_string()
}

fn run_session(dir: &Path, who: &str, script: &str) {
    let o = fluorohip(
        &[
            "run",
            "--scenario",
            "routine_anterior",
            "--actions",
            &asset(&format!("assets/scripts/{script}")),
            "--report",
            dir.join(who).to_str().unwrap(),
            "--trainee",
            who,
            "--xapi-home-page",
            "https://lms.example.edu/",
        ],
        &[],
    );
    assert!(o.status.success(), "{}", text_of(&o).1);
}

fn lines(path: &Path) -> Vec<Value> {
    std::fs::read_to_string(path).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect()
}

fn ids(statements: &[Value]) -> Vec<String> {
    let mut v: Vec<String> = statements.iter().map(|s| s["id"].as_str().unwrap().to_string()).collect();
    v.sort();
    v
}

#[test]
fn a_class_reaches_a_real_lrs_once_and_only_what_is_missing_is_sent_again() {
    let Some(venv) = tool("FLUOROHIP_RALPH_VENV", "a venv with ralph-malph[cli,lrs]") else { return };
    let ralph = Ralph::start(&venv, "class");
    let d = temp("class");
    let class = d.join("class");
    run_session(&class, "alice", "expert_anterior.ron");
    run_session(&class, "bob", "novice_femoral_artery.ron");
    let alice = lines(&class.join("alice/xapi.jsonl"));
    let bob = lines(&class.join("bob/xapi.jsonl"));
    let send = |user: &str, extra: &[&str]| {
        let mut args = vec!["send-xapi", class.to_str().unwrap(), "--lrs", &ralph.url, "--user", user];
        args.extend_from_slice(extra);
        fluorohip(&args, &[("FLUOROHIP_LRS_PASSWORD", PASSWORD)])
    };

    let o = send("trainer", &[]);
    let (out, err) = text_of(&o);
    assert!(o.status.success(), "{out}{err}");
    let n = alice.len() + bob.len();
    assert!(out.contains(&format!("2 sessions found: 2 sent ({n} statements), 0 already")), "{out}");
    assert!(out.contains("NOT FOR CLINICAL USE"));
    assert!(err.contains("2/2"), "a progress bar: {err}");
    assert!(!out.contains(PASSWORD) && !err.contains(PASSWORD), "the password is never printed");

    // Read back by registration: each session's statements, as written.
    for (who, written) in [("alice", &alice), ("bob", &bob)] {
        let reg = written[0]["context"]["registration"].as_str().unwrap();
        let stored = ralph.statements("trainer", Some(reg));
        assert_eq!(ids(&stored), ids(written), "{who}'s statements in the store");
        let result = stored.iter().find(|s| s["result"]["score"].is_object()).unwrap();
        assert_eq!(result["actor"]["account"]["homePage"], "https://lms.example.edu/");
        assert!(result["timestamp"].as_str().unwrap().ends_with('Z'));
    }
    assert_eq!(ralph.statements("trainer", None).len(), n);

    // A rerun sends nothing; a forced resend stores nothing twice.
    let o = send("trainer", &[]);
    assert!(
        text_of(&o).0.contains("2 sessions found: 0 sent (0 statements), 2 already in the store"),
        "{:?}",
        text_of(&o)
    );
    let o = send("trainer", &["--resend"]);
    assert!(o.status.success(), "{:?}", text_of(&o));
    assert!(text_of(&o).0.contains("2 sent"), "{:?}", text_of(&o));
    assert_eq!(ralph.statements("trainer", None).len(), n, "no duplicates after a resend");

    // A new session: only it is sent (trainer2's store, empty so far, ends up with
    // carol's statements and nothing else).
    run_session(&class, "carol", "novice_no_time_out.ron");
    let carol = lines(&class.join("carol/xapi.jsonl"));
    let o = send("trainer2", &[]);
    assert!(o.status.success(), "{:?}", text_of(&o));
    assert!(text_of(&o).0.contains("3 sessions found: 1 sent"), "{:?}", text_of(&o));
    assert_eq!(ids(&ralph.statements("trainer2", None)), ids(&carol));

    // Statements changed after they were sent (same ids, other content): the store
    // refuses them and says why; the session is named.
    let file = class.join("carol/xapi.jsonl");
    let text = std::fs::read_to_string(&file).unwrap();
    std::fs::write(&file, text.replace("https://lms.example.edu/", "https://other.example.edu/")).unwrap();
    let o = send("trainer2", &["--resend"]);
    let (out, err) = text_of(&o);
    assert_eq!(o.status.code(), Some(1), "{out}{err}");
    assert!(err.contains("409 Conflict") && err.contains("carol/xapi.jsonl"), "{err}");
    assert!(err.contains("already exist"), "the store's own message: {err}");
    assert_eq!(ids(&ralph.statements("trainer2", None)), ids(&carol), "nothing changed in the store");

    // A wrong password: the store's own words, the user named, the password not shown.
    let o = fluorohip(
        &["send-xapi", class.to_str().unwrap(), "--lrs", &ralph.url, "--user", "trainer", "--resend"],
        &[("FLUOROHIP_LRS_PASSWORD", "wrong-password")],
    );
    let (out, err) = text_of(&o);
    assert_eq!(o.status.code(), Some(1), "{out}{err}");
    assert!(err.contains("401") && err.contains("Invalid authentication credentials"), "{err}");
    assert!(err.contains("`trainer`") && err.contains("--password"), "{err}");
    assert!(!err.contains("wrong-password") && !out.contains("wrong-password"));
    std::fs::remove_dir_all(&d).unwrap();
}

#[test]
fn an_unreachable_store_is_retried_then_reported() {
    let d = temp("unreachable");
    run_session(&d, "dan", "expert_anterior.ron");
    // A port nothing listens on.
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let url = format!("http://127.0.0.1:{port}/xAPI/");
    let t0 = Instant::now();
    let o = fluorohip(
        &["send-xapi", d.to_str().unwrap(), "--lrs", &url, "--user", "u", "--retries", "2"],
        &[("FLUOROHIP_LRS_PASSWORD", PASSWORD)],
    );
    let (_, err) = text_of(&o);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(err.contains("cannot reach the LRS") && err.contains("after 3 attempts"), "{err}");
    // Back-off: 0.5 s then 1 s between the three attempts.
    assert!(t0.elapsed() >= Duration::from_millis(1500), "{:?}", t0.elapsed());
    assert!(!d.join("dan/xapi-sent.json").exists(), "nothing is noted as sent");
    std::fs::remove_dir_all(&d).unwrap();
}

#[test]
fn statements_pass_a_strict_validator() {
    let Some(validator) = tool("FLUOROHIP_XAPI_VALIDATOR", "npm's @learninglocker/xapi-validation and node") else {
        return;
    };
    let d = temp("validate");
    run_session(&d, "erin", "novice_femoral_artery.ron");
    let file = d.join("erin/xapi.jsonl");
    assert!(lines(&file).len() >= 3, "attempted, failed, and a critical error");
    let script = r#"
const validate = require('@learninglocker/xapi-validation').default;
const lines = require('fs').readFileSync(process.argv[1], 'utf8').split('\n').filter(l => l.trim());
let bad = 0;
lines.forEach((l, i) => {
  const w = validate(JSON.parse(l));
  w.forEach(x => console.log(`statement ${i}: ${x.path.join('.')}: ${x.typeName || x.message}`));
  bad += w.length;
});
console.log(`${lines.length} statements, ${bad} warnings`);
"#;
    let o = Command::new("node")
        .args(["-e", script, file.to_str().unwrap()])
        .env("NODE_PATH", validator.join("node_modules"))
        .output()
        .expect("node runs");
    let (out, err) = text_of(&o);
    assert!(o.status.success(), "{out}{err}");
    assert!(out.trim_end().ends_with(" 0 warnings"), "{out}");
    std::fs::remove_dir_all(&d).unwrap();
}

#[test]
fn records_an_lrs_would_not_take_are_refused_before_sending_with_file_and_line() {
    let d = temp("old");
    std::fs::create_dir_all(d.join("eve")).unwrap();
    // As older versions wrote them: no id, no registration.
    std::fs::write(
        d.join("eve/xapi.jsonl"),
        "{\"actor\":{\"name\":\"eve\"},\"verb\":{\"id\":\"http://adlnet.gov/expapi/verbs/attempted\"},\"object\":{\"id\":\"urn:fluorohip:scenario:x\"}}\n",
    )
    .unwrap();
    // Nothing listens there: the file is refused before any request.
    let o = fluorohip(
        &["send-xapi", d.to_str().unwrap(), "--lrs", "http://127.0.0.1:9/xAPI/", "--user", "u", "--retries", "0"],
        &[("FLUOROHIP_LRS_PASSWORD", PASSWORD)],
    );
    let (_, err) = text_of(&o);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(err.contains("eve/xapi.jsonl:1: statement has no id") && err.contains("fluorohip replay"), "{err}");
    std::fs::write(d.join("eve/xapi.jsonl"), "{ not json\n").unwrap();
    let o = fluorohip(
        &["send-xapi", d.to_str().unwrap(), "--lrs", "http://127.0.0.1:9/xAPI/", "--user", "u"],
        &[("FLUOROHIP_LRS_PASSWORD", PASSWORD)],
    );
    assert!(text_of(&o).1.contains("eve/xapi.jsonl:1: not a JSON statement"), "{:?}", text_of(&o));
    std::fs::remove_dir_all(&d).unwrap();
}
