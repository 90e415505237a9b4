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
    let ends: Vec<Vec<u8>> =
        srcs.iter().filter(|s| s.ends_with("_2_end.png")).map(|s| std::fs::read(dir.join(s)).unwrap()).collect();
    for (i, a) in ends.iter().enumerate() {
        for b in &ends[i + 1..] {
            assert_ne!(a, b, "two patterns gave the same image");
        }
    }
}
