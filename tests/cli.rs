//! The command line as an instructor uses it.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn fluorohip(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_fluorohip")).args(args).output().expect("the binary runs")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn temp(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("fluorohip-cli-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn asset(p: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(p).display().to_string()
}

#[test]
fn no_subcommand_without_a_display_says_so_plainly_and_names_the_headless_commands() {
    let o = Command::new(env!("CARGO_BIN_EXE_fluorohip"))
        .env_remove("DISPLAY")
        .env_remove("WAYLAND_DISPLAY")
        .output()
        .unwrap();
    let all = format!("{}{}", stdout(&o), stderr(&o));
    assert!(all.contains("NOT FOR CLINICAL USE"), "{all}");
    assert!(all.contains("fluorohip patient") && all.contains("fluorohip run"), "{all}");
    assert!(!all.contains("panicked"), "{all}");
    if cfg!(feature = "gui") {
        assert_eq!(o.status.code(), Some(1), "{all}");
        assert!(stderr(&o).contains("no display"), "{all}");
    } else {
        assert!(o.status.success());
    }
}

#[cfg(feature = "gui")]
#[test]
fn the_window_reports_a_bad_mode_or_a_broken_log_to_resume_by_name() {
    let dir = std::env::temp_dir().join(format!("fluorohip-cli-resume-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let broken = dir.join("session-log.json");
    std::fs::write(&broken, "{\n  \"version\": 1,\n  oops\n}").unwrap();
    let o = Command::new(env!("CARGO_BIN_EXE_fluorohip"))
        .args(["open", "--resume"])
        .arg(&broken)
        .env_remove("DISPLAY")
        .env_remove("WAYLAND_DISPLAY")
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("session-log.json:3"), "names the file and line: {}", stderr(&o));
    let o = Command::new(env!("CARGO_BIN_EXE_fluorohip")).args(["open", "--mode", "exam"]).output().unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("learning or assessment"), "{}", stderr(&o));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn patient_json_is_one_object_scripts_can_read() {
    let o = fluorohip(&["patient", "--seed", "5", "--json"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    for key in ["seed", "params", "landmarks", "distances_mm", "skin_to_target_mm", "disclaimer"] {
        assert!(!v[key].is_null(), "missing {key}");
    }
    assert_eq!(v["seed"], 5);
    assert!(v["disclaimer"].as_str().unwrap().contains("NOT FOR CLINICAL USE"));
    assert!(v["distances_mm"]["femoral_artery"].as_f64().unwrap() > 0.0);
    // Same seed, same output.
    assert_eq!(stdout(&o), stdout(&fluorohip(&["patient", "--seed", "5", "--json"])));
}

#[test]
fn bad_arguments_get_a_clear_message_and_exit_code_2() {
    for args in [
        vec!["patient", "--seed", "abc"],
        vec!["shoot", "--field", "17", "--out", "x.png"],
        vec!["shoot", "--lao", "200", "--out", "x.png"],
        vec!["shoot", "--size", "5000", "--out", "x.png"],
        vec!["shoot", "--needle-to", "kneecap", "--out", "x.png"],
        vec!["shoot", "--contrast-ml", "2", "--out", "x.png"],
        vec!["shoot", "--needle-entry", "0,0,0", "--needle-tip", "0,0,0", "--out", "x.png"],
        vec!["shoot", "--needle-to", "target", "--offset-mm", "0,0,1e9", "--out", "x.png"],
        vec!["frobnicate"],
    ] {
        let o = fluorohip(&args);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", stderr(&o));
        let err = stderr(&o);
        assert!(err.contains("error"), "{args:?}: {err}");
        assert!(!err.contains("panicked"), "{args:?} panicked: {err}");
    }
}

#[test]
fn shoot_writes_a_png_and_reports_dose_and_pattern() {
    let d = temp("shoot");
    let out = d.join("arthrogram.png");
    let o = fluorohip(&[
        "shoot",
        "--seed",
        "3",
        "--size",
        "128",
        "--needle-to",
        "target",
        "--contrast-ml",
        "2",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert!(v["dap_gy_cm2"].as_f64().unwrap() > 0.0);
    assert!(v["air_kerma_mgy"].as_f64().unwrap() > 0.0);
    assert_eq!(v["fluoro_s"], 1.0);
    assert_eq!(v["contrast_pattern"], "intra_articular");
    assert_eq!(v["tip_compartment"], "bone_surface");
    assert!(v["disclaimer"].as_str().unwrap().contains("NOT FOR CLINICAL USE"));
    let bytes = std::fs::read(&out).unwrap();
    assert_eq!(&bytes[1..4], b"PNG");
    // Stopping short of the capsule pools the contrast outside the joint.
    let o = fluorohip(&[
        "shoot",
        "--seed",
        "3",
        "--size",
        "64",
        "--needle-to",
        "target",
        "--stop-short-mm",
        "20",
        "--contrast-ml",
        "2",
        "--out",
        out.to_str().unwrap(),
    ]);
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(v["contrast_pattern"], "extra_articular");
}

#[test]
fn a_write_failure_names_the_file_and_exits_1() {
    let o = fluorohip(&["shoot", "--size", "64", "--out", "/nonexistent-dir/x.png"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("/nonexistent-dir/x.png"), "{}", stderr(&o));
}

#[test]
fn run_replay_and_grade_a_class() {
    let d = temp("class");
    let class = d.join("class");
    for (who, script) in [("alice", "expert_anterior.ron"), ("bob", "novice_femoral_artery.ron")] {
        let o = fluorohip(&[
            "run",
            "--scenario",
            "routine_anterior",
            "--actions",
            &asset(&format!("assets/scripts/{script}")),
            "--report",
            class.join(who).to_str().unwrap(),
            "--trainee",
            who,
            "--class-csv",
            d.join("sheet.csv").to_str().unwrap(),
        ]);
        assert!(o.status.success(), "{}", stderr(&o));
        assert!(stdout(&o).contains("NOT FOR CLINICAL USE"));
    }
    for f in ["report.json", "report.html", "session-log.json", "xapi.jsonl"] {
        assert!(class.join("alice").join(f).is_file(), "{f} missing");
    }
    assert_eq!(std::fs::read_to_string(d.join("sheet.csv")).unwrap().lines().count(), 3);
    // Replay gives the identical report.
    let o = fluorohip(&[
        "replay",
        class.join("alice/session-log.json").to_str().unwrap(),
        "--report",
        d.join("again").to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(
        std::fs::read(class.join("alice/report.json")).unwrap(),
        std::fs::read(d.join("again/report.json")).unwrap()
    );
    // A corrupt log is named and skipped; the rest are graded.
    std::fs::create_dir_all(class.join("carol")).unwrap();
    std::fs::write(class.join("carol/session-log.json"), "{ not json").unwrap();
    let csv = d.join("grades.csv");
    let o = fluorohip(&["grade", class.to_str().unwrap(), "--csv", csv.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    let out = stdout(&o);
    assert!(out.contains("graded 2 sessions") && out.contains("1 passed"), "{out}");
    assert!(out.contains("carol"), "{out}");
    let rows = std::fs::read_to_string(&csv).unwrap();
    assert_eq!(rows.lines().count(), 3);
    assert!(rows.contains("alice") && rows.contains("bob"));
}

#[test]
fn a_broken_script_is_refused_with_file_line_and_action_index() {
    let d = temp("broken");
    let script = d.join("bad.ron");
    std::fs::write(&script, "[\n  (action: \"consent\"),\n  (action: \"rest\", minutes: 500.0),\n]\n").unwrap();
    let o = fluorohip(&[
        "run",
        "--scenario",
        "routine_anterior",
        "--actions",
        script.to_str().unwrap(),
        "--report",
        d.join("r").to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    assert!(err.contains("bad.ron:3: action 1"), "{err}");
    // And a broken scenario file names its line and field.
    let sc = d.join("case.ron");
    std::fs::write(&sc, "(\n  name: \"case\",\n  patient: (\n    bmi_kg_m2: 80.0,\n  ),\n)\n").unwrap();
    let o = fluorohip(&[
        "run",
        "--scenario",
        sc.to_str().unwrap(),
        "--actions",
        &asset("assets/scripts/expert_anterior.ron"),
        "--report",
        d.join("r").to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("case.ron:4: field `bmi_kg_m2`"), "{}", stderr(&o));
}

#[test]
fn scenarios_lists_the_teaching_cases() {
    let o = fluorohip(&["scenarios", "--json"]);
    assert!(o.status.success());
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    let names: Vec<&str> = v["scenarios"].as_array().unwrap().iter().map(|s| s["name"].as_str().unwrap()).collect();
    for n in [
        "routine_anterior",
        "obese_long_needle",
        "osteoarthritis_narrow",
        "high_anteversion",
        "artery_close",
        "prone_posterior",
        "lumbar_referred_pain",
    ] {
        assert!(names.contains(&n), "{n} missing");
    }
}

/// The labelled teaching view: the same shot with the bony landmarks named where they
/// project; the femur's landmarks and the target are in an AP view at the target, each
/// marked by a white cross on its point, and the rest of the image is the plain shot. A name
/// that had to leave its point's row (crowded near the joint's centre) has a leader to it.
#[test]
fn shoot_labels_names_the_landmarks_on_the_same_image() {
    let d = temp("labels");
    let read = |p: &Path| {
        let mut r = png::Decoder::new(std::io::BufReader::new(std::fs::File::open(p).unwrap())).read_info().unwrap();
        let mut buf = vec![0; r.output_buffer_size().unwrap()];
        let info = r.next_frame(&mut buf).unwrap();
        buf.truncate(info.buffer_size());
        (info.width as usize, buf)
    };
    let mut led = 0;
    for iso in ["target", "joint_centre"] {
        let (plain, labelled) = (d.join(format!("plain-{iso}.png")), d.join(format!("labelled-{iso}.png")));
        let o = fluorohip(&["shoot", "--seed", "1", "--iso", iso, "--out", plain.to_str().unwrap()]);
        assert!(o.status.success(), "{}", stderr(&o));
        let o = fluorohip(&["shoot", "--seed", "1", "--iso", iso, "--labels", "--out", labelled.to_str().unwrap()]);
        assert!(o.status.success(), "{}", stderr(&o));
        let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
        let (n, a) = read(&plain);
        let (_, b) = read(&labelled);
        let mut shown = Vec::new();
        for l in v["labels"].as_array().unwrap() {
            let Some(px) = l["pixel"].as_array() else { continue };
            let (c, r) = (px[0].as_u64().unwrap() as usize, px[1].as_u64().unwrap() as usize);
            assert_eq!(b[r * n + c], 255, "{iso}: {} has no cross on its point", l["name"]);
            shown.push(l["name"].as_str().unwrap().to_string());
            // A name moved off its point's row is joined to the cross by a white line.
            let bx: Vec<usize> =
                l["name_box"].as_array().unwrap().iter().map(|v| v.as_u64().unwrap() as usize).collect();
            if !(bx[1]..bx[1] + bx[3]).contains(&r) {
                led += 1;
                let (ex, ey) = fluorohip::sim::imaging::labels::leader_end((bx[0], bx[1], bx[2], bx[3]), c, r);
                // Samples along the straight line, clear of the cross (arm 3 px per 256 px) and
                // short of the box.
                let clear = 3 * (n / 256).max(1) + 2;
                let samples: Vec<(usize, usize)> = (0..=40)
                    .map(|k| k as f64 / 40.0)
                    .map(|t| {
                        let (x, y) = (c as f64 + (ex as f64 - c as f64) * t, r as f64 + (ey as f64 - r as f64) * t);
                        (x.round() as usize, y.round() as usize)
                    })
                    .filter(|&(x, y)| x.abs_diff(c).max(y.abs_diff(r)) > clear && (x, y) != (ex, ey))
                    .collect();
                // White within a pixel of the line, where the plain shot is not.
                let on_line = samples
                    .iter()
                    .filter(|&&(x, y)| {
                        (y - 1..=y + 1).any(|j| (x - 1..=x + 1).any(|i| b[j * n + i] == 255 && a[j * n + i] != 255))
                    })
                    .count();
                assert!(
                    on_line * 10 >= samples.len() * 9,
                    "{iso}: {} is off its row with no leader ({on_line} of {})",
                    l["name"],
                    samples.len()
                );
            }
        }
        if iso == "target" {
            for name in ["TARGET", "FEMORAL HEAD", "NECK", "GREATER TROCHANTER", "LESSER TROCHANTER", "SOURCIL"] {
                assert!(shown.iter().any(|s| s == name), "{name} not shown: {shown:?}");
            }
        } else {
            for name in ["ILIOISCHIAL LINE", "ILIOPECTINEAL LINE", "TEARDROP"] {
                assert!(shown.iter().any(|s| s == name), "{name} not shown at the joint's centre: {shown:?}");
            }
        }
        let changed = a.iter().zip(&b).filter(|(x, y)| x != y).count();
        assert!(changed > 0 && changed < n * n / 8, "{iso}: {changed} of {} pixels changed", n * n);
    }
    assert!(led > 0, "no name had to leave its row: the leaders were not exercised");
}

#[test]
fn learning_records_carry_ids_registration_and_the_logged_start_time() {
    let d = temp("xapi");
    let o = fluorohip(&[
        "run",
        "--scenario",
        "routine_anterior",
        "--actions",
        &asset("assets/scripts/expert_anterior.ron"),
        "--report",
        d.join("run").to_str().unwrap(),
        "--trainee",
        "alice",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    // The wall-clock start is kept in the log; set it to a known instant and replay.
    let mut log: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(d.join("run/session-log.json")).unwrap()).unwrap();
    assert!(log["started_at"].as_str().unwrap().ends_with('Z'), "{}", log["started_at"]);
    log["started_at"] = "2026-01-05T09:00:00Z".into();
    std::fs::write(d.join("log.json"), log.to_string()).unwrap();
    let statements = |dir: &str| -> Vec<serde_json::Value> {
        std::fs::read_to_string(d.join(dir).join("xapi.jsonl"))
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect()
    };
    for dir in ["a", "b"] {
        let o = fluorohip(&[
            "replay",
            d.join("log.json").to_str().unwrap(),
            "--report",
            d.join(dir).to_str().unwrap(),
            "--xapi-home-page",
            "https://lms.example.edu/",
        ]);
        assert!(o.status.success(), "{}", stderr(&o));
    }
    let a = statements("a");
    // Replaying the same log writes the same statements, byte for byte.
    assert_eq!(std::fs::read(d.join("a/xapi.jsonl")).unwrap(), std::fs::read(d.join("b/xapi.jsonl")).unwrap());
    assert_eq!(a.len(), 2, "attempted and passed");
    assert_eq!(a[0]["verb"]["id"], "http://adlnet.gov/expapi/verbs/attempted");
    assert_eq!(a[1]["verb"]["id"], "http://adlnet.gov/expapi/verbs/passed");
    assert_eq!(a[0]["timestamp"], "2026-01-05T09:00:00.000Z");
    // The result is stamped at the start plus the simulated duration.
    let secs: f64 =
        a[1]["result"]["duration"].as_str().unwrap().trim_start_matches("PT").trim_end_matches('S').parse().unwrap();
    let ms = (secs * 1000.0).round() as u64;
    let expected =
        format!("2026-01-05T{:02}:{:02}:{:02}.{:03}Z", 9 + ms / 3_600_000, ms / 60_000 % 60, ms / 1000 % 60, ms % 1000);
    assert_eq!(a[1]["timestamp"], expected.as_str());
    assert_eq!(a[0]["actor"]["account"]["homePage"], "https://lms.example.edu/");
    let reg = a[0]["context"]["registration"].as_str().unwrap();
    assert_eq!(a[1]["context"]["registration"], reg);
    for s in &a {
        let id = s["id"].as_str().unwrap();
        // A UUID v5: 8-4-4-4-12 hex digits, version 5.
        assert_eq!(id.len(), 36, "{id}");
        assert_eq!(&id[14..15], "5", "{id}");
    }
    assert_ne!(a[0]["id"], a[1]["id"]);
    // The run itself (another start time) is another registration with other ids.
    let run = statements("run");
    assert_ne!(run[0]["context"]["registration"], reg);
    assert_ne!(run[0]["id"], a[0]["id"]);
    // A log from before start times were kept still replays; its statements have no
    // timestamp (the store then stamps them when stored).
    log.as_object_mut().unwrap().remove("started_at");
    std::fs::write(d.join("old.json"), log.to_string()).unwrap();
    let o = fluorohip(&["replay", d.join("old.json").to_str().unwrap(), "--report", d.join("old").to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    let old = statements("old");
    assert!(old.iter().all(|s| s.get("timestamp").is_none() && s["id"].is_string()));
    // A home page that is not a web address is refused by name.
    let o = fluorohip(&[
        "replay",
        d.join("old.json").to_str().unwrap(),
        "--report",
        d.join("x").to_str().unwrap(),
        "--xapi-home-page",
        "urn:workshop",
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("--xapi-home-page `urn:workshop`"), "{}", stderr(&o));
    // A bad start time in a log names the field.
    log["started_at"] = "yesterday".into();
    std::fs::write(d.join("bad.json"), log.to_string()).unwrap();
    let o = fluorohip(&["replay", d.join("bad.json").to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("bad.json") && stderr(&o).contains("yesterday"), "{}", stderr(&o));
    std::fs::remove_dir_all(&d).unwrap();
}

#[test]
fn the_atlas_writes_a_page_whose_images_exist_and_differ_by_pattern() {
    let dir = temp("atlas");
    let o = fluorohip(&["atlas", "--seed", "3", "--size", "128", "--out", &dir.display().to_string()]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stderr(&o).contains("done"), "a progress bar while it renders: {}", stderr(&o));
    let html = std::fs::read_to_string(dir.join("index.html")).unwrap();
    assert!(html.contains("NOT FOR CLINICAL USE"));
    let srcs: Vec<&str> = html.split("src=\"").skip(1).map(|s| &s[..s.find('"').unwrap()]).collect();
    assert!(srcs.len() >= 6 * 8, "{} images", srcs.len());
    for src in &srcs {
        let bytes = std::fs::read(dir.join(src)).unwrap_or_else(|_| panic!("{src} is missing"));
        assert_eq!(&bytes[1..4], b"PNG", "{src}");
        assert!(String::from_utf8_lossy(&bytes).contains("NOT FOR CLINICAL USE"), "{src} carries the notice");
    }
    // One reading cue under each pattern, and the end-of-push frames differ between patterns.
    assert!(html.matches("class=\"cue\"").count() >= 8);
    // The labelled anatomy comes first, named in the JSON summary.
    let summary: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(summary["anatomy"], "anatomy_labelled.png");
    assert_eq!(srcs[0], "anatomy_labelled.png", "the anatomy before the patterns");
    let ends: Vec<Vec<u8>> =
        srcs.iter().filter(|s| s.ends_with("_2_end.png")).map(|s| std::fs::read(dir.join(s)).unwrap()).collect();
    for (i, a) in ends.iter().enumerate() {
        for b in &ends[i + 1..] {
            assert_ne!(a, b, "two patterns gave the same image");
        }
    }
}

/// A short real session log (JSON), as `run` or the window saves it.
fn short_log() -> String {
    use fluorohip::sim::{Action, Scenario, Session};
    let mut s = Session::new(Scenario::default(), 4).unwrap();
    for a in [Action::Consent, Action::TimeOut, Action::Fluoro { seconds: 1.0 }] {
        s.apply(a).unwrap();
    }
    serde_json::to_string_pretty(&s.log()).unwrap()
}

/// Files passed between laptops, crafted to break things: each is refused with the file,
/// the line and the field, exit code 2, and nothing is written.
#[test]
fn crafted_files_are_refused_naming_file_line_and_field_with_exit_2_and_nothing_written() {
    let d = temp("crafted");
    let out = d.join("reports");
    let expect_refused = |args: &[&str], says: &[&str]| {
        let o = fluorohip(args);
        let err = stderr(&o);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {err}");
        for s in says {
            assert!(err.contains(s), "{args:?} should say {s:?}: {err}");
        }
        assert!(!err.contains("panicked"), "{err}");
        assert!(!out.exists(), "{args:?} wrote {}", out.display());
    };
    let log = short_log();
    let write = |name: &str, text: &str| {
        let p = d.join(name);
        std::fs::write(&p, text).unwrap();
        p.to_str().unwrap().to_string()
    };

    // A session log whose case is named to climb out of the data folder.
    let evil = write("evil.json", &log.replace("\"name\": \"routine_anterior\"", "\"name\": \"../../somewhere\""));
    let line = log.lines().position(|l| l.contains("\"name\"")).unwrap() + 1;
    expect_refused(
        &["replay", &evil, "--report", out.to_str().unwrap()],
        &[&format!("evil.json:{line}: field `name`"), "../../somewhere"],
    );
    // The window refuses to resume it too, before it opens.
    if cfg!(feature = "gui") {
        expect_refused(
            &["open", "--resume", &evil, "--data-dir", out.to_str().unwrap()],
            &[&format!("evil.json:{line}: field `name`")],
        );
    }
    // A log with no name for its case, a truncated log, and bytes that are not text.
    let anonymous = write("anonymous.json", &log.replace("\"name\": \"routine_anterior\",", ""));
    expect_refused(
        &["replay", &anonymous, "--report", out.to_str().unwrap()],
        &["anonymous.json:1: field `name`: missing"],
    );
    let truncated = write("truncated.json", &log[..log.len() / 2]);
    expect_refused(&["replay", &truncated, "--report", out.to_str().unwrap()], &["truncated.json:"]);
    let garbage = d.join("garbage.json");
    std::fs::write(&garbage, [0x7b, 0xff, 0xfe, 0x00, 0x22]).unwrap();
    expect_refused(&["replay", garbage.to_str().unwrap()], &["garbage.json"]);
    // A log with an action out of range names the action's line.
    let bad_action = write("bad-action.json", &log.replacen("\"seconds\": 1.0", "\"seconds\": 500.0", 1));
    let line = log.lines().position(|l| l.contains("\"action\": \"fluoro\"")).unwrap();
    expect_refused(&["replay", &bad_action], &[&format!("bad-action.json:{line}: action 2: `seconds` = 500")]);

    // A case with no name, and a case that fixes a head size only men reach but leaves
    // the sex to the seed (it used to pass on its default seed, then panic in the window).
    let script = asset("assets/scripts/expert_anterior.ron");
    let noname = write("noname.ron", "(\n  title: \"My case\",\n)\n");
    expect_refused(
        &["run", "--scenario", &noname, "--actions", &script, "--report", out.to_str().unwrap()],
        &["noname.ron:1: field `name`: missing"],
    );
    let big =
        write("big.ron", "(\n  name: \"big_head\",\n  patient: (\n    femoral_head_diameter_mm: 58.0,\n  ),\n)\n");
    expect_refused(
        &["run", "--scenario", &big, "--actions", &script, "--report", out.to_str().unwrap()],
        &["big.ron:4: field `femoral_head_diameter_mm`", "female", "`sex`"],
    );
    // A script with an action aimed at its own entry point, and one out of range (JSON).
    let aimless = write(
        "aimless.ron",
        "[\n  (action: \"consent\"),\n  (action: \"insert_needle\", entry: (landmark: \"target\"), toward: (landmark: \"target\")),\n]\n",
    );
    expect_refused(
        &["run", "--scenario", "routine_anterior", "--actions", &aimless, "--report", out.to_str().unwrap()],
        &["aimless.ron:3: action 1: `toward` is the entry point"],
    );
    let far =
        write("far.json", "[\n {\"action\": \"consent\"},\n {\"action\": \"mark_pulse\", \"at\": [0, 0, 1e9]}\n]\n");
    expect_refused(
        &["run", "--scenario", "routine_anterior", "--actions", &far, "--report", out.to_str().unwrap()],
        &["far.json:3: action 1: `at` = 1000000000 is outside"],
    );
    let _ = std::fs::remove_dir_all(&d);
}

/// A report folder that cannot be written: the command exits non-zero naming the path,
/// and what was already written stays whole.
#[test]
fn a_report_folder_that_cannot_be_written_is_named_and_nothing_already_written_is_lost() {
    let d = temp("unwritable");
    let log = d.join("session-log.json");
    std::fs::write(&log, short_log()).unwrap();
    let log = log.to_str().unwrap();
    // A folder under a regular file cannot be made, whoever runs the test.
    let file = d.join("a-file");
    std::fs::write(&file, "not a folder").unwrap();
    let blocked = file.join("reports");
    let o = fluorohip(&["replay", log, "--report", blocked.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(stderr(&o).contains(blocked.to_str().unwrap()), "names the folder: {}", stderr(&o));
    assert!(stderr(&o).contains("--report DIR"), "says what to do: {}", stderr(&o));
    // The reports go through; the class file that cannot be written is named.
    let reports = d.join("reports");
    let csv = file.join("class.csv");
    let o = fluorohip(&["replay", log, "--report", reports.to_str().unwrap(), "--class-csv", csv.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(stderr(&o).contains(csv.to_str().unwrap()), "{}", stderr(&o));
    let o = fluorohip(&["replay", log, "--report", reports.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    let before: Vec<(String, Vec<u8>)> = std::fs::read_dir(&reports)
        .unwrap()
        .map(|e| e.unwrap().path())
        .map(|p| (p.file_name().unwrap().to_string_lossy().into_owned(), std::fs::read(&p).unwrap()))
        .collect();
    // A read-only folder holding earlier reports. Root ignores the permission (tests often
    // run as root in containers): then this part is skipped, and the folder under a regular
    // file above stands for it.
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&reports, std::fs::Permissions::from_mode(0o555)).unwrap();
    let probe = reports.join(".probe");
    if std::fs::write(&probe, b"").is_ok() {
        let _ = std::fs::remove_file(&probe);
        eprintln!("permissions do not stop this user (root?): the read-only folder case is skipped");
    } else {
        let o = fluorohip(&["replay", log, "--report", reports.to_str().unwrap()]);
        assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
        assert!(stderr(&o).contains(reports.to_str().unwrap()), "names the path: {}", stderr(&o));
        let mut after: Vec<(String, Vec<u8>)> = std::fs::read_dir(&reports)
            .unwrap()
            .map(|e| e.unwrap().path())
            .map(|p| (p.file_name().unwrap().to_string_lossy().into_owned(), std::fs::read(&p).unwrap()))
            .collect();
        let mut before = before.clone();
        before.sort();
        after.sort();
        assert_eq!(after, before, "the earlier reports are whole and nothing else was left there");
    }
    std::fs::set_permissions(&reports, std::fs::Permissions::from_mode(0o755)).unwrap();
    let _ = std::fs::remove_dir_all(&d);
}
