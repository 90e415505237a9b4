//! The real window, under a virtual display: a scripted session through the app,
//! its screenshot checked for what a trainee must see. Needs `xvfb-run` and a
//! Vulkan driver (lavapipe); under CI (`CI=true`) their absence is a failure.

#![cfg(feature = "gui")]

use std::path::{Path, PathBuf};
use std::process::Command;

mod common;

/// One window at a time: software rendering on a small machine is slow enough alone, and
/// a first screen taken while two other windows compile their shaders comes out blank.
static ONE_WINDOW: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn one_window() -> std::sync::MutexGuard<'static, ()> {
    ONE_WINDOW.lock().unwrap_or_else(|e| e.into_inner())
}

fn have(cmd: &str) -> bool {
    Command::new("sh").arg("-c").arg(format!("command -v {cmd}")).output().is_ok_and(|o| o.status.success())
}

fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true" || v == "1")
}

/// Decode an RGB(A) PNG into (width, height, rgb pixels).
fn decode(path: &Path) -> (usize, usize, Vec<[u8; 3]>) {
    let decoder = png::Decoder::new(std::io::BufReader::new(std::fs::File::open(path).unwrap()));
    let mut reader = decoder.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut buf).unwrap();
    let channels = info.color_type.samples();
    let px = buf[..info.buffer_size()].chunks_exact(channels).map(|c| [c[0], c[1], c[2]]).collect();
    (info.width as usize, info.height as usize, px)
}

/// The screenshots of one scripted session through the window.
struct Shots {
    dir: PathBuf,
    chooser: PathBuf,
    scene: PathBuf,
    debrief: PathBuf,
    replay: PathBuf,
}

/// The expert script played through the real window: chooser, procedure, debrief, replay.
fn demo_session(name: &str) -> Option<Shots> {
    if !have("xvfb-run") {
        assert!(!in_ci(), "xvfb-run is missing: .ci/run must install xvfb");
        eprintln!("skipping: xvfb-run not installed (apt-get install xvfb mesa-vulkan-drivers)");
        return None;
    }
    let dir = std::env::temp_dir().join(format!("fluorohip-gui-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let shots = Shots {
        chooser: dir.join("chooser.png"),
        scene: dir.join("scene.png"),
        debrief: dir.join("debrief.png"),
        replay: dir.join("replay.png"),
        dir,
    };
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/scripts/expert_anterior.ron");
    let o = Command::new("xvfb-run")
        .args(["-a", "-s", "-screen 0 1280x720x24", env!("CARGO_BIN_EXE_fluorohip"), "demo", "--actions"])
        .arg(&script)
        .arg("--chooser-screenshot")
        .arg(&shots.chooser)
        .arg("--scene-screenshot")
        .arg(&shots.scene)
        .arg("--debrief-screenshot")
        .arg(&shots.debrief)
        .arg("--replay")
        .arg("--screenshot")
        .arg(&shots.replay)
        .arg("--data-dir")
        .arg(shots.dir.join("data"))
        .env("WGPU_ADAPTER_NAME", "llvmpipe")
        .output()
        .expect("xvfb-run starts");
    assert!(
        o.status.success() && shots.replay.is_file(),
        "demo failed ({:?}):\n{}\n{}",
        o.status,
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    Some(shots)
}

struct Picture {
    w: usize,
    h: usize,
    px: Vec<[u8; 3]>,
}

impl Picture {
    fn load(path: &Path) -> Picture {
        let (w, h, px) = decode(path);
        assert!(w >= 1000 && h >= 600, "{}: {w}x{h}", path.display());
        Picture { w, h, px }
    }
    fn at(&self, x: usize, y: usize) -> [u8; 3] {
        self.px[y * self.w + x]
    }
    /// Pixels in the rectangle matching `f`.
    fn count(&self, x0: usize, y0: usize, x1: usize, y1: usize, f: impl Fn([u8; 3]) -> bool) -> usize {
        (y0..y1.min(self.h))
            .flat_map(|y| (x0..x1.min(self.w)).map(move |x| (x, y)))
            .filter(|&(x, y)| f(self.at(x, y)))
            .count()
    }
    /// Not blank, and the red not-for-clinical-use banner across the top.
    fn check_common(&self, what: &str) {
        let mut seen = std::collections::HashSet::new();
        for p in self.px.iter().step_by(97) {
            seen.insert(*p);
        }
        assert!(seen.len() > 40, "{what}: only {} colours: a blank window?", seen.len());
        let red = (0..self.w).step_by(40).filter(|&x| {
            let [r, g, b] = self.at(x, 4);
            r > 140 && g < 60 && b < 80
        });
        assert!(red.count() > self.w / 40 * 7 / 10, "{what}: no red banner across the top");
    }
    /// The greyscale image in a square: grey, and not flat.
    fn check_xray(&self, x0: usize, y0: usize, size: usize, what: &str) {
        let greys: Vec<u8> = (0..size)
            .step_by(7)
            .flat_map(|dy| (0..size).step_by(7).map(move |dx| (dx, dy)))
            .map(|(dx, dy)| {
                let [r, g, b] = self.at(x0 + dx, y0 + dy);
                assert!(r.abs_diff(g) < 12 && g.abs_diff(b) < 12, "{what} should be greyscale");
                g
            })
            .collect();
        let (lo, hi) = (*greys.iter().min().unwrap(), *greys.iter().max().unwrap());
        assert!(hi - lo > 60, "{what} is flat ({lo}..{hi})");
    }
}

fn near(c: [u8; 3], want: [u8; 3], tol: u8) -> bool {
    c.iter().zip(want).all(|(a, b)| a.abs_diff(b) <= tol)
}

#[test]
fn a_scripted_session_goes_from_the_chooser_through_the_procedure_to_the_debrief_and_replay() {
    let _window = one_window();
    let Some(shots) = demo_session("session") else { return };

    // The chooser: the first case selected (blue button), the banner.
    let chooser = Picture::load(&shots.chooser);
    chooser.check_common("chooser");
    let selected = chooser.count(0, 100, 460, 400, |c| near(c, [41, 102, 158], 12));
    assert!(selected > 2000, "no selected case in the chooser ({selected} px)");

    // The procedure at its end: every required step ticked (green) in the checklist,
    // the last image held on the monitor.
    let scene = Picture::load(&shots.scene);
    scene.check_common("scene");
    scene.check_xray(scene.w - 330, 60, 280, "the fluoroscopy monitor");
    let ticked = scene.count(8, 60, 338, 400, |[r, g, b]| g > 180 && r < 120 && b < 140);
    assert!(ticked > 1500, "the checklist is not ticked green ({ticked} px)");

    // The debrief: the expert's own run passes (green verdict, no red one), key shots shown.
    let debrief = Picture::load(&shots.debrief);
    debrief.check_common("debrief");
    let green = debrief.count(480, 30, 1280, 110, |[r, g, b]| g > 150 && r < 140 && b < 150);
    let red = debrief.count(480, 30, 1280, 110, |[r, g, b]| r > 200 && g < 120 && b < 120);
    assert!(green > 300 && red < 50, "the debrief should say PASS (green {green} px, red {red} px)");
    let shots_grey = debrief
        .count(850, 200, 1280, 420, |[r, g, b]| r.abs_diff(g) < 6 && g.abs_diff(b) < 6 && (70..230).contains(&g));
    assert!(shots_grey > 5000, "no key shots on the debrief ({shots_grey} grey px)");

    // The replay: the needle (cyan) and the expert's path (green). This trainee is the
    // expert script, so its own path (orange) lies under the expert's and is not counted.
    let replay = Picture::load(&shots.replay);
    replay.check_common("replay");
    replay.check_xray(replay.w - 330, 60, 280, "the replayed monitor");
    let needle = replay.count(340, 30, 930, 640, |[r, g, b]| r < 90 && g > 200 && b > 200);
    let expert = replay.count(340, 30, 930, 640, |c| near(c, [51, 255, 89], 40));
    assert!(needle > 20, "needle not visible in the replay ({needle} px)");
    assert!(expert > 20, "the expert's path is not drawn ({expert} px)");

    // The session log was kept when the debrief opened, the autosave cleared, and the log replays.
    let data = shots.dir.join("data");
    assert!(!data.join("autosave/session-log.json").exists(), "the autosave should be cleared");
    let kept: Vec<_> = std::fs::read_dir(data.join("sessions")).unwrap().map(|e| e.unwrap().path()).collect();
    assert_eq!(kept.len(), 1, "{kept:?}");
    let o = Command::new(env!("CARGO_BIN_EXE_fluorohip")).arg("replay").arg(&kept[0]).output().unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    // The debrief's Save wrote the same files the command line writes, and a class row.
    let reports: Vec<_> =
        std::fs::read_dir(data.join("reports")).unwrap().map(|e| e.unwrap().path()).filter(|p| p.is_dir()).collect();
    assert_eq!(reports.len(), 1, "{reports:?}");
    for f in ["report.json", "report.html", "session-log.json", "xapi.jsonl"] {
        assert!(reports[0].join(f).is_file(), "{f} missing in {}", reports[0].display());
    }
    let html = std::fs::read_to_string(reports[0].join("report.html")).unwrap();
    assert!(html.contains("NOT FOR CLINICAL USE") && html.contains("PASS"), "the saved report should show the pass");
    let csv = std::fs::read_to_string(data.join("reports/class.csv")).unwrap();
    assert_eq!(csv.lines().count(), 2, "header and one row:\n{csv}");

    // Resuming the kept log in a new window brings the session back as it was: every
    // step ticked, the last image on the monitor.
    let empty = shots.dir.join("nothing.ron");
    std::fs::write(&empty, "[]").unwrap();
    let resumed = shots.dir.join("resumed.png");
    let o = Command::new("xvfb-run")
        .args(["-a", "-s", "-screen 0 1280x720x24", env!("CARGO_BIN_EXE_fluorohip"), "demo", "--actions"])
        .arg(&empty)
        .arg("--resume")
        .arg(&kept[0])
        .arg("--screenshot")
        .arg(&resumed)
        .arg("--data-dir")
        .arg(shots.dir.join("data2"))
        .env("WGPU_ADAPTER_NAME", "llvmpipe")
        .output()
        .expect("xvfb-run starts");
    assert!(o.status.success() && resumed.is_file(), "resume failed:\n{}", String::from_utf8_lossy(&o.stderr));
    let resumed = Picture::load(&resumed);
    resumed.check_common("resumed");
    resumed.check_xray(resumed.w - 330, 60, 280, "the resumed monitor");
    let ticked = resumed.count(8, 60, 338, 400, |[r, g, b]| g > 180 && r < 120 && b < 140);
    assert!(ticked > 1500, "the resumed checklist is not ticked ({ticked} px)");
    // Its autosave holds the whole log again.
    let again = std::fs::read_to_string(shots.dir.join("data2/autosave/session-log.json")).unwrap();
    let original = std::fs::read_to_string(&kept[0]).unwrap();
    assert_eq!(again, original, "the resumed session's autosave should be the same log");

    if std::env::var_os("FLUOROHIP_KEEP_SCREENSHOTS").is_none() {
        let _ = std::fs::remove_dir_all(&shots.dir);
    }
}

/// The window driven as a trainee drives it: real X mouse and key events from `xdotool`,
/// on a window started by `xvfb-run`. The app writes what it shows to a JSON file
/// (`FLUOROHIP_UI_STATE`), and every step waits on that, never on a fixed sleep.
mod trainee {
    use std::path::{Path, PathBuf};
    use std::process::{Child, Command, Stdio};
    use std::time::{Duration, Instant};

    use serde_json::Value;

    /// Longest wait for any one thing to show (s): a shot under software rendering takes a few.
    const WAIT_S: u64 = 90;

    pub struct Window {
        child: Child,
        display: String,
        xauthority: String,
        state: PathBuf,
        window_id: String,
        pub dir: PathBuf,
        shots: usize,
    }

    impl Drop for Window {
        fn drop(&mut self) {
            // xvfb-run, the app and the X server are one process group.
            let _ = Command::new("kill").arg("--").arg(format!("-{}", self.child.id())).status();
            let _ = self.child.wait();
        }
    }

    impl Window {
        /// `fluorohip open ARGS` under xvfb-run; the shell in between writes down the display
        /// and the X authority so xdotool can reach the same server.
        pub fn open(dir: &Path, args: &[&str]) -> Window {
            Window::open_with_env(dir, args, &[])
        }

        /// [`Window::open`] with these environment variables set for the app.
        pub fn open_with_env(dir: &Path, args: &[&str], env: &[(&str, &Path)]) -> Window {
            use std::os::unix::process::CommandExt;
            let state = dir.join("ui.json");
            let display_file = dir.join("display");
            let log = std::fs::File::create(dir.join("app.log")).unwrap();
            let child = Command::new("xvfb-run")
                .args(["-a", "-s", "-screen 0 1280x720x24", "sh", "-c"])
                .arg("echo \"$DISPLAY $XAUTHORITY\" > \"$1\"; shift; exec \"$@\"")
                .arg("sh")
                .arg(&display_file)
                .arg(env!("CARGO_BIN_EXE_fluorohip"))
                .arg("open")
                .args(args)
                .env("WGPU_ADAPTER_NAME", "llvmpipe")
                .env("FLUOROHIP_UI_STATE", &state)
                .envs(env.iter().map(|(k, v)| (*k, *v)))
                .stdout(Stdio::from(log.try_clone().unwrap()))
                .stderr(Stdio::from(log))
                .process_group(0)
                .spawn()
                .expect("xvfb-run starts");
            let start = Instant::now();
            let (display, xauthority) = loop {
                if let Ok(s) = std::fs::read_to_string(&display_file)
                    && let Some((d, a)) = s.trim().split_once(' ')
                {
                    break (d.to_string(), a.to_string());
                }
                assert!(start.elapsed() < Duration::from_secs(30), "xvfb-run did not start the app");
                std::thread::sleep(Duration::from_millis(100));
            };
            let mut w = Window {
                child,
                display,
                xauthority,
                state,
                window_id: String::new(),
                dir: dir.to_path_buf(),
                shots: 0,
            };
            w.wait("the first frame", |_| true);
            let id = w.xdo(&["search", "--name", "fluorohip"]);
            w.window_id = id.lines().next().expect("the window is found by its title").to_string();
            // No window manager: give the window the keyboard focus, and the pointer.
            w.xdo(&["mousemove", "--window", &w.window_id, "640", "300"]);
            let _ = Command::new("xdotool")
                .args(["windowfocus", &w.window_id])
                .env("DISPLAY", &w.display)
                .env("XAUTHORITY", &w.xauthority)
                .status();
            w
        }

        fn xdo(&self, args: &[&str]) -> String {
            let o = Command::new("xdotool")
                .args(args)
                .env("DISPLAY", &self.display)
                .env("XAUTHORITY", &self.xauthority)
                .output()
                .expect("xdotool runs");
            assert!(o.status.success(), "xdotool {args:?}: {}", String::from_utf8_lossy(&o.stderr));
            String::from_utf8_lossy(&o.stdout).into_owned()
        }

        /// Type text into whatever has the keyboard.
        pub fn xdo_type(&self, text: &str) {
            self.xdo(&["type", "--delay", "30", text]);
        }

        /// What the window shows now.
        pub fn ui(&self) -> Value {
            loop {
                if let Ok(s) = std::fs::read_to_string(&self.state)
                    && let Ok(v) = serde_json::from_str::<Value>(&s)
                {
                    return v;
                }
                std::thread::sleep(Duration::from_millis(100));
            }
        }

        /// Wait until the window shows what `ok` wants; fail with what it shows after WAIT_S.
        pub fn wait(&self, what: &str, ok: impl Fn(&Value) -> bool) -> Value {
            let start = Instant::now();
            loop {
                if self.state.is_file() {
                    let v = self.ui();
                    if ok(&v) {
                        return v;
                    }
                    if start.elapsed() > Duration::from_secs(WAIT_S) {
                        let log = std::fs::read_to_string(self.dir.join("app.log")).unwrap_or_default();
                        panic!("waited {WAIT_S} s for {what}; the window shows:\n{v:#}\napp log tail:\n{}", tail(&log));
                    }
                }
                assert!(start.elapsed() < Duration::from_secs(WAIT_S + 30), "no UI state file: the app did not start");
                std::thread::sleep(Duration::from_millis(150));
            }
        }

        /// Wait for `n` more frames to be drawn (the app has seen what was sent before).
        pub fn frames(&self, n: u64) -> Value {
            let f0 = self.ui()["frame"].as_u64().unwrap();
            self.wait(&format!("{n} frames"), |v| v["frame"].as_u64().unwrap() >= f0 + n)
        }

        /// Wait until every queued action (and shot) has happened.
        pub fn settle(&self) -> Value {
            self.frames(1);
            self.wait("the session to be idle", |v| v["idle"] == true)
        }

        /// Keys as xdotool names them, e.g. "F1", "shift+Up", "space"; all sent at once.
        pub fn keys(&self, keys: &[&str]) {
            let mut args = vec!["key", "--delay", "20"];
            args.extend_from_slice(keys);
            self.xdo(&args);
        }

        /// Move the pointer to window pixel (x, y), let a frame see it, and click.
        pub fn click(&self, x: f64, y: f64) {
            let (x, y) = (x.round().to_string(), y.round().to_string());
            self.xdo(&["mousemove", "--window", &self.window_id, &x, &y]);
            self.frames(2);
            self.xdo(&["click", "1"]);
        }

        /// Click the visible button whose label is `label`.
        pub fn click_button(&self, label: &str) {
            let v = self.wait(&format!("the button {label:?}"), |v| button(v, label).is_some());
            let (x, y, _) = button(&v, label).unwrap();
            self.click(x, y);
        }

        /// A landmark's place on screen; it must lie in the 3D view, clear of the panels.
        pub fn point(&self, name: &str) -> (f64, f64) {
            let v = self.ui();
            let p = v["points"]
                .as_array()
                .unwrap()
                .iter()
                .find(|p| p[0] == name)
                .unwrap_or_else(|| panic!("{name} is not on screen: {v:#}"));
            let (x, y) = (p[1][0].as_f64().unwrap(), p[1][1].as_f64().unwrap());
            assert!((350.0..920.0).contains(&x) && (60.0..560.0).contains(&y), "{name} at ({x}, {y}) is under a panel");
            (x, y)
        }

        /// Save what the screen shows (kept with FLUOROHIP_KEEP_SCREENSHOTS=1).
        pub fn screenshot(&mut self, name: &str) -> Option<PathBuf> {
            if !super::have("import") {
                return None;
            }
            // What was drawn lags what the state file says by a frame or two.
            self.frames(3);
            self.shots += 1;
            let path = self.dir.join(format!("{:02}-{name}.png", self.shots));
            let ok = Command::new("import")
                .args(["-window", "root"])
                .arg(&path)
                .env("DISPLAY", &self.display)
                .env("XAUTHORITY", &self.xauthority)
                .status()
                .is_ok_and(|s| s.success());
            ok.then_some(path)
        }
    }

    /// A whole expert session (`fluorohip run`), resumed in the window and finished there:
    /// the window on its debrief.
    pub fn expert_debrief(dir: &Path, data: &Path, env: &[(&str, &Path)]) -> Window {
        let o = Command::new(env!("CARGO_BIN_EXE_fluorohip"))
            .args(["run", "--scenario", "routine_anterior", "--actions"])
            .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/scripts/expert_anterior.ron"))
            .arg("--report")
            .arg(dir.join("run"))
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        let log = dir.join("run/session-log.json");
        let w =
            Window::open_with_env(dir, &["--resume", log.to_str().unwrap(), "--data-dir", data.to_str().unwrap()], env);
        w.wait("the notice", |v| v["screen"] == "Notice");
        w.keys(&["Return"]);
        w.wait("the resumed procedure", |v| v["screen"] == "Procedure" && v["idle"] == true && v["actions"] != 0);
        w.keys(&["F12"]);
        w.wait("the debrief", |v| v["screen"] == "Debrief" && button(v, "Save reports").is_some());
        w
    }

    fn tail(s: &str) -> String {
        let lines: Vec<&str> = s.lines().collect();
        lines[lines.len().saturating_sub(30)..].join("\n")
    }

    /// A visible button by label: centre and whether it is drawn as chosen.
    pub fn button(v: &Value, label: &str) -> Option<(f64, f64, bool)> {
        v["buttons"]
            .as_array()?
            .iter()
            .find(|b| b[0] == label)
            .map(|b| (b[1][0].as_f64().unwrap(), b[1][1].as_f64().unwrap(), b[2].as_bool().unwrap()))
    }

    pub fn texts(v: &Value) -> Vec<String> {
        v["texts"].as_array().unwrap().iter().map(|t| t.as_str().unwrap().to_string()).collect()
    }

    pub fn has_text(v: &Value, part: &str) -> bool {
        texts(v).iter().any(|t| t.contains(part))
    }

    pub fn step_done(v: &Value, step: &str) -> bool {
        v["steps_done"].as_array().unwrap().iter().any(|s| s == step)
    }
}

/// T through the tray until the needle panel names `which`.
fn choose_needle(w: &trainee::Window, which: &str) {
    for _ in 0..4 {
        if trainee::has_text(&w.ui(), &format!("tray: {which}")) {
            return;
        }
        w.keys(&["t"]);
        w.settle();
    }
    panic!("{which} is not on the tray: {:#}", w.ui());
}

#[test]
fn a_trainee_clicks_and_types_through_an_assessment_in_the_real_window() {
    let _window = one_window();
    use trainee::{button, has_text, step_done, texts};
    if !have("xvfb-run") || !have("xdotool") {
        assert!(!in_ci(), "xvfb-run or xdotool is missing: .ci/run must install xvfb and xdotool");
        eprintln!("skipping: needs xvfb-run and xdotool (apt-get install xvfb xdotool mesa-vulkan-drivers)");
        return;
    }
    let dir = std::env::temp_dir().join(format!("fluorohip-gui-trainee-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let data = dir.join("data");
    let mut w = trainee::Window::open(
        &dir,
        &[
            "--scenario",
            "routine_anterior",
            "--mode",
            "assessment",
            "--trainee",
            "xdo",
            "--data-dir",
            data.to_str().unwrap(),
        ],
    );

    // The notice, acknowledged with Enter; the chooser's Start clicked.
    w.wait("the notice", |v| v["screen"] == "Notice");
    w.keys(&["Return"]);
    w.wait("the chooser", |v| v["screen"] == "Chooser");
    w.click_button("Start the procedure");
    let v = w.wait("the procedure", |v| v["screen"] == "Procedure" && v["actions"] == 0);
    assert_eq!(v["mode"], "Assessment");
    // Nothing is preselected or hinted: no "keyed answers", no coach, no tissue at the tip.
    assert!(!has_text(&v, "keyed answers") && !has_text(&v, "Next:"), "{:#?}", texts(&v));

    // Consent, baseline provocation, time-out; positioning chosen by clicking.
    w.keys(&["F1", "F2", "F3", "F4"]);
    w.settle();
    w.click_button("supine");
    w.wait("positioning", |v| step_done(v, "Positioning"));
    // The anterior view, for clicking the skin.
    w.keys(&["1"]);
    w.frames(3);
    w.screenshot("procedure-start");

    // The pulse: F5 arms it, then a click on the skin over the femoral artery.
    w.keys(&["F5"]);
    w.wait("pulse marking armed", |v| v["pick_mode"] == "Pulse");
    let (x, y) = w.point("femoral_pulse");
    w.click(x, y);
    let v = w.wait("the pulse marked", |v| step_done(v, "MarkFemoralPulse"));
    let line = texts(&v)
        .iter()
        .flat_map(|t| t.lines().map(str::to_string).collect::<Vec<_>>())
        .find(|l| l.contains("mm from the artery"))
        .expect("the event says how far from the artery");
    let mm: f64 = line
        .split("femoral pulse marked ")
        .nth(1)
        .and_then(|r| r.split(" mm").next())
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or_else(|| panic!("{line}"));
    assert!(mm <= 8.0, "the pulse was clicked over the artery but marked {mm} mm from it");
    assert_eq!(v["pick_mode"], "Entry", "a marked pulse goes back to choosing the entry");

    // Imaging set as the expert does (collimated, 7.5 pulses/s), a localisation shot, prep.
    w.keys(&["c", "c", "p", "space", "F6"]);
    w.settle();

    // The entry: a click on the skin over the target; the planned path and aim readout show.
    let (x, y) = w.point("anterior_entry");
    w.click(x, y);
    let v = w.wait("the entry chosen", |v| v["entry_chosen"] == true);
    assert!(has_text(&v, "aim: 0 deg to beam"), "straight down the beam: {:#?}", texts(&v));
    w.screenshot("entry-chosen");
    w.keys(&["Right"]);
    w.wait("the aim tilted", |v| has_text(v, "tilt +2 deg left"));
    w.keys(&["Left"]);
    w.wait("the aim back", |v| has_text(v, "aim: 0 deg to beam"));

    // Skin anaesthetic with the 25G: 4 ml, then out.
    choose_needle(&w, "25G");
    w.keys(&["n", "shift+Up", "shift+Up", "shift+Up"]);
    let v = w.settle();
    let depth = v["needle_depth_mm"].as_f64().expect("the needle is in");
    assert!((depth - 15.0).abs() < 1.0, "three quick Shift+Up are 15 mm, not {depth}");
    w.keys(&["equal", "equal", "equal", "l", "x"]);
    let v = w.settle();
    assert!(step_done(&v, "LocalAnaesthetic"), "{v:#}");
    assert!(has_text(&v, "given ml: anaesthetic 4.0, contrast 0.0"), "the running total: {:#?}", texts(&v));

    // The spinal needle, in at the chosen entry (Shift+Up: 5 mm a press).
    choose_needle(&w, "22G Quincke 89 mm");
    w.keys(&["n"]);
    w.settle();
    // 10 mm at a time with an image after each (intermittent fluoroscopy), the bevel
    // turned half round (B twice) at 30 mm so its deflection cancels, until bone.
    let (mut bone, mut turned) = (false, false);
    for _ in 0..16 {
        w.keys(&["shift+Up", "shift+Up", "space"]);
        let v = w.settle();
        assert!(v["alarm"].is_null(), "a safety alarm on the way in: {}", v["alarm"]);
        if has_text(&v, "bony end-point") {
            bone = true;
            break;
        }
        if !turned && v["needle_depth_mm"].as_f64().unwrap_or(0.0) >= 30.0 {
            w.keys(&["b", "b"]);
            w.settle();
            turned = true;
        }
    }
    assert!(bone && turned, "no bony end-point: {:#}", w.ui());
    w.screenshot("needle-at-bone");

    // Contrast, 2 ml chosen (4 -> 3 -> 2), then an image of it.
    w.keys(&["minus", "minus", "k"]);
    w.settle();
    w.keys(&["space"]);
    let v = w.settle();
    assert!(has_text(&v, "injected 2.0 ml contrast, low resistance"), "{:#?}", texts(&v));
    // The answer is the trainee's: nothing chosen, and nothing on screen says it.
    for p in ["intra-articular", "extra-articular", "mixed", "intravascular", "bursal"] {
        let (_, _, on) = button(&v, p).unwrap_or_else(|| panic!("no {p} button: {v:#}"));
        assert!(!on, "{p} is preselected");
    }
    for t in texts(&v) {
        if ["intra-articular", "extra-articular", "mixed", "intravascular", "bursal"].contains(&t.as_str()) {
            continue; // the answer buttons themselves
        }
        let l = t.to_lowercase();
        for leak in ["intraarticular", "intra_articular", "intra-articular", "extraarticular", "it was", "tip in"] {
            assert!(!l.contains(leak), "{t:?} gives the answer away before it is given");
        }
    }
    w.screenshot("contrast-question");
    w.click_button("intra-articular");
    let v = w.wait("the choice lit", |v| button(v, "intra-articular").is_some_and(|b| b.2));
    assert!(!step_done(&v, "ContrastRead"), "choosing is not yet answering");
    w.click_button("Submit (F7)");
    let v = w.wait("the contrast read", |v| step_done(v, "ContrastRead"));
    assert!(!has_text(&v, "it was"), "assessment mode does not say if the read was right");

    // The drug, 5 ml (2 -> 3 -> 4 -> 5); needle out; dose; rest skipped; provocation.
    w.keys(&["equal", "equal", "equal", "j", "x", "F8", "F9"]);
    w.settle();
    w.click_button("Skip to the end");
    w.wait("the rest", |v| step_done(v, "Rest"));
    w.keys(&["F2"]);
    w.settle();
    // The block: nothing chosen or said beforehand; chosen by clicking, then submitted.
    let v = w.wait("the reading buttons", |v| button(v, "positive").is_some());
    for r in ["positive", "negative", "indeterminate"] {
        assert!(!button(&v, r).unwrap().2, "{r} is preselected");
    }
    assert!(!has_text(&v, "supports") && !has_text(&v, "keyed"), "{:#?}", texts(&v));
    w.click_button("positive");
    w.wait("the reading chosen", |v| button(v, "positive").is_some_and(|b| b.2));
    w.click_button("Submit (F10)");
    w.wait("the block read", |v| step_done(v, "DiagnosticReading"));
    w.keys(&["F11"]);
    w.settle();
    w.screenshot("procedure-end");

    // Finish (confirmed in place if a step is missing), and the debrief.
    w.keys(&["F12"]);
    // Either the debrief opens, or (a step missing) Finish asks to confirm in place. Which one
    // shows may take several slow frames, so wait for either rather than judge after three.
    let v = w.wait("the debrief or the finish confirmation", |v| v["screen"] == "Debrief" || has_text(v, "confirm?"));
    if v["screen"] != "Debrief" {
        w.keys(&["F12"]);
    }
    let v = w.wait("the debrief", |v| v["screen"] == "Debrief" && (has_text(v, "PASS ") || has_text(v, "NOT YET")));
    // Done as the expert would, clicked and typed, the session passes.
    assert!(texts(&v).iter().any(|t| t.starts_with("PASS ")), "{:#?}", texts(&v));
    w.screenshot("debrief");
    let all = texts(&v).join("\n");
    assert!(all.contains("femoral pulse"), "the debrief lists the pulse: {all}");

    // The kept log holds the trainee's own clicks: the pulse where it was clicked, the
    // contrast read as chosen, volumes as set.
    let kept: Vec<_> = std::fs::read_dir(data.join("sessions")).unwrap().map(|e| e.unwrap().path()).collect();
    assert_eq!(kept.len(), 1, "{kept:?}");
    let log: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&kept[0]).unwrap()).unwrap();
    let logged = log["actions"].as_array().unwrap();
    let of = |name: &str| logged.iter().filter(|a| a["action"] == name).collect::<Vec<_>>();
    let pulse = of("mark_pulse");
    assert!(pulse.len() == 1 && pulse[0]["at"].is_array(), "the pulse is marked once, at a clicked point: {pulse:?}");
    assert_eq!(of("read_contrast")[0]["pattern"], "intra_articular");
    let volumes: Vec<f64> = of("inject").iter().map(|a| a["volume_ml"].as_f64().unwrap()).collect();
    assert_eq!(volumes, [4.0, 2.0, 5.0], "anaesthetic, contrast, drug as set");

    if std::env::var_os("FLUOROHIP_KEEP_SCREENSHOTS").is_none() {
        drop(w);
        let _ = std::fs::remove_dir_all(&dir);
    } else {
        eprintln!("screenshots kept in {}", w.dir.display());
    }
}

#[test]
fn a_needle_driven_onto_the_nerve_stops_with_an_alarm_that_must_be_acknowledged() {
    let _window = one_window();
    use trainee::{has_text, texts};
    if !have("xvfb-run") || !have("xdotool") {
        assert!(!in_ci(), "xvfb-run or xdotool is missing: .ci/run must install xvfb and xdotool");
        eprintln!("skipping: needs xvfb-run and xdotool");
        return;
    }
    let dir = std::env::temp_dir().join(format!("fluorohip-gui-alarm-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let data = dir.join("data");
    let mut w = trainee::Window::open(
        &dir,
        &["--scenario", "routine_anterior", "--mode", "learning", "--data-dir", data.to_str().unwrap()],
    );
    w.wait("the notice", |v| v["screen"] == "Notice");
    w.keys(&["Return"]);
    w.wait("the chooser", |v| v["screen"] == "Chooser");
    w.keys(&["Return"]);
    let v = w.wait("the procedure", |v| v["screen"] == "Procedure");
    assert_eq!(v["mode"], "Learning");
    // Learning mode: the coach, and the case's own volumes.
    assert!(has_text(&v, "Next: identity and consent") && has_text(&v, "case ml:"), "{:#?}", texts(&v));

    // The entry straight over the femoral nerve, then Up pressed 60 times in a burst,
    // faster than the frames come: far more than the depth of the nerve.
    w.keys(&["1"]);
    // The 3D view is ready (its meshes are built off the main thread) before the skin is clicked.
    w.settle();
    let (x, y) = w.point("skin_over_femoral_nerve");
    w.click(x, y);
    w.wait("the entry chosen", |v| v["entry_chosen"] == true);
    w.keys(&["n"]);
    w.settle();
    let ups = vec!["Up"; 60];
    w.keys(&ups);
    let v = w.wait("the alarm", |v| !v["alarm"].is_null());
    let title = v["alarm"].as_str().unwrap().to_string();
    assert!(title.contains("nerve") || title.contains("artery") || title.contains("vein"), "{title}");
    let v = w.settle();
    let depth = v["needle_depth_mm"].as_f64().unwrap();
    assert!(depth < 55.0, "the advance should stop at the alarm, not go on to {depth} mm");
    assert!(has_text(&v, "STOP") && has_text(&v, "acknowledge"), "{:#?}", texts(&v));
    let shot = w.screenshot("alarm");
    if let Some(shot) = shot {
        // The alert: a big red box in the middle of the window.
        let p = Picture::load(&shot);
        let red = p.count(400, 200, 880, 500, |[r, g, b]| r > 120 && g < 30 && b < 30);
        assert!(red > 40_000, "no red alert in the middle of the window ({red} px)");
    }
    // Keys do not reach the needle until it is acknowledged.
    w.keys(&["Up", "Up", "k"]);
    let v = w.frames(4);
    assert_eq!(v["needle_depth_mm"].as_f64().unwrap(), depth, "the needle moved under the alarm");
    w.keys(&["Return"]);
    let v = w.wait("the alarm acknowledged", |v| v["alarm"].is_null());
    // The coach puts the danger first.
    let coach = texts(&v).into_iter().find(|t| t.contains("Next:")).expect("the coach");
    let first = coach.lines().next().unwrap();
    assert!(
        first.contains("nerve") || first.contains("vessel") || first.contains("mm from"),
        "the coach's first line should be the danger: {coach}"
    );
    w.keys(&["shift+Down"]);
    let v = w.settle();
    assert!(v["needle_depth_mm"].as_f64().unwrap() < depth - 4.0, "withdrawing works after the alarm");
    w.screenshot("after-alarm");

    // The monitor: a shot, Tab enlarges it (600 px), Z zooms 2x, two clicks 300 px apart
    // measure: 300/596 of the 128 image pixels in view, at 230/256 mm a pixel on the
    // detector, over the magnification 1000/530, is 30.6 mm at the isocentre.
    w.keys(&["space", "Tab", "z"]);
    w.settle();
    w.wait("the zoomed monitor", |v| has_text(v, "zoom 2x"));
    let (x0, y0) = (1280.0 - 8.0 - 600.0 + 2.0, 26.0 + 8.0 + 2.0);
    w.click(x0 + 150.0, y0 + 300.0);
    w.wait("the first point", |v| has_text(v, "2nd point?"));
    w.click(x0 + 450.0, y0 + 300.0);
    let v = w.wait("a distance", |v| has_text(v, "mm (isocentre)"));
    let text = texts(&v).into_iter().find(|t| t.contains("mm (isocentre)")).unwrap();
    let mm: f64 = text.split(" mm").next().unwrap().trim().parse().unwrap();
    assert!((mm - 30.6).abs() < 1.0, "measured {mm} mm");
    // Learning mode names the landmarks on the image (the target is at the isocentre), each
    // name on the monitor, none over another.
    w.keys(&["y"]);
    let v = w.wait("the landmarks named on the image", |v| {
        let names = v["monitor_names"].as_array().unwrap();
        ["target", "femoral head"].iter().all(|n| names.iter().any(|b| b[0] == *n))
    });
    let named: Vec<(String, [f64; 4])> = v["monitor_names"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| (b[0].as_str().unwrap().to_string(), std::array::from_fn(|i| b[1][i].as_f64().unwrap())))
        .collect();
    assert!(named.len() >= 4, "the overlay names the target, the head, the neck and more: {named:?}");
    for (i, (a, ra)) in named.iter().enumerate() {
        assert!(
            ra[0] >= x0 - 0.5 && ra[2] <= x0 + 596.5 && ra[1] >= y0 - 0.5 && ra[3] <= y0 + 596.5,
            "{a} {ra:?} leaves the monitor"
        );
        for (b, rb) in &named[i + 1..] {
            let apart = ra[2] <= rb[0] || rb[2] <= ra[0] || ra[3] <= rb[1] || rb[3] <= ra[1];
            assert!(apart, "{a} {ra:?} overlaps {b} {rb:?}");
        }
    }
    w.screenshot("monitor-measured");
    if std::env::var_os("FLUOROHIP_KEEP_SCREENSHOTS").is_none() {
        drop(w);
        let _ = std::fs::remove_dir_all(&dir);
    }
}

/// Positioning with real clicks: F4 opens the choice; the foot turned in 15 deg turns the femur
/// (the 3D anatomy is built again) and keeps the choice open; *supine* closes it; the coach asks
/// for the foot to be turned in while it is straight up, and stops once it is.
#[test]
fn the_foot_is_turned_in_from_the_positioning_choice() {
    let _window = one_window();
    use trainee::{has_text, texts};
    if !have("xvfb-run") || !have("xdotool") {
        assert!(!in_ci(), "xvfb-run or xdotool is missing: .ci/run must install xvfb and xdotool");
        eprintln!("skipping: needs xvfb-run and xdotool");
        return;
    }
    let dir = std::env::temp_dir().join(format!("fluorohip-gui-foot-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let data = dir.join("data");
    let mut w = trainee::Window::open(
        &dir,
        &["--scenario", "routine_anterior", "--mode", "learning", "--data-dir", data.to_str().unwrap()],
    );
    w.wait("the notice", |v| v["screen"] == "Notice");
    w.keys(&["Return"]);
    w.wait("the chooser", |v| v["screen"] == "Chooser");
    w.keys(&["Return"]);
    w.wait("the procedure", |v| v["screen"] == "Procedure");
    w.settle();
    let built = || std::fs::read_to_string(dir.join("app.log")).unwrap_or_default().matches("patient meshes:").count();
    let before = built();
    assert!(before >= 1, "the 3D anatomy was never built");

    w.keys(&["F4"]);
    w.click_button("in 15 deg");
    let v = w.wait("the foot turned", |v| v["actions"] == 1 && v["idle"] == true);
    assert!(trainee::button(&v, "supine").is_some(), "turning the foot closed the choice");
    w.wait("the femur built again", |_| built() > before);
    w.click_button("supine");
    let v = w.wait("the patient laid supine", |v| v["actions"] == 2 && v["idle"] == true);
    assert!(trainee::button(&v, "supine").is_none(), "laying the patient should close the choice");
    assert!(!has_text(&v, "Turn the foot in"), "the foot is turned in: {:#?}", texts(&v));
    w.screenshot("foot-turned-in");

    w.keys(&["F4"]);
    w.click_button("straight up");
    w.wait("the coach's request to turn the foot in", |v| v["actions"] == 3 && has_text(v, "Turn the foot in 15 deg"));
    w.click_button("in 15 deg");
    let v = w.wait("the foot turned in again", |v| v["actions"] == 4 && v["idle"] == true);
    assert!(!has_text(&v, "Turn the foot in"), "{:#?}", texts(&v));
    if std::env::var_os("FLUOROHIP_KEEP_SCREENSHOTS").is_none() {
        drop(w);
        let _ = std::fs::remove_dir_all(&dir);
    }
}

/// The debrief's Records panel with real clicks and typing: DICOM switched on and a record
/// store given; the settings kept without the password; Save writes the DICOM key shots, and
/// a store that cannot be reached leaves the session queued (nothing noted as sent), said
/// in the window.
#[test]
fn the_records_panel_saves_dicom_and_queues_learning_records_a_store_did_not_take() {
    let _window = one_window();
    use trainee::{button, has_text, texts};
    if !have("xvfb-run") || !have("xdotool") {
        assert!(!in_ci(), "xvfb-run or xdotool is missing: .ci/run must install xvfb and xdotool");
        eprintln!("skipping: needs xvfb-run and xdotool");
        return;
    }
    let dir = std::env::temp_dir().join(format!("fluorohip-gui-records-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let data = dir.join("data");
    let mut w = trainee::expert_debrief(&dir, &data, &[]);

    // The panel: DICOM on, then the store's endpoint, user and password typed in.
    w.click_button("Records: DICOM, LRS...");
    w.wait("the panel", |v| button(v, "Keep these settings").is_some());
    w.click_button("Save the key shots as DICOM too");
    w.wait("DICOM switched on", |v| button(v, "Save the key shots as DICOM too").is_some_and(|b| b.2));
    // A port nothing listens on: the store cannot be reached.
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let endpoint = format!("http://127.0.0.1:{port}/xAPI/");
    // Each field clicked, then typed into, as a trainee would.
    let field_values = |v: &serde_json::Value| -> Vec<String> {
        v["fields"].as_array().unwrap().iter().map(|f| f[1].as_str().unwrap().to_string()).collect()
    };
    let v = w.ui();
    let mut fields: Vec<(f64, f64)> = v["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| (f[0][0].as_f64().unwrap(), f[0][1].as_f64().unwrap()))
        .collect();
    assert_eq!(fields.len(), 3, "endpoint, user and password fields: {v:#}");
    // Top to bottom, then left to right: the endpoint; the user, the password.
    fields.sort_by(|a, b| (a.1, a.0).partial_cmp(&(b.1, b.0)).unwrap());
    for (at, typed) in fields.iter().zip([endpoint.as_str(), "trainer", "s3cret-pw"]) {
        w.click(at.0, at.1);
        w.frames(2);
        w.xdo_type(typed);
        w.wait(&format!("{typed} typed"), |v| field_values(v).iter().any(|f| f == typed));
    }
    w.screenshot("records-panel");
    w.click_button("Keep these settings");
    w.wait("the panel closed", |v| has_text(v, "sends the learning records to"));
    let settings = std::fs::read_to_string(data.join("settings.json")).expect("the settings are kept");
    let kept: serde_json::Value = serde_json::from_str(&settings).unwrap();
    assert_eq!(kept["dicom"], true, "{settings}");
    assert_eq!(kept["lrs"]["endpoint"], endpoint.as_str(), "{settings}");
    assert_eq!(kept["lrs"]["user"], "trainer", "{settings}");
    assert!(!settings.contains("s3cret-pw"), "the password is never written: {settings}");

    // Save: the reports with the DICOM key shots; the send fails after its retries and says so.
    w.click_button("Save reports");
    let v = w.wait("the send to fail", |v| has_text(v, "Learning records NOT SENT"));
    let line = texts(&v).into_iter().find(|t| t.contains("NOT SENT")).unwrap();
    assert!(line.contains("cannot reach") && line.contains("queued"), "{line}");
    w.screenshot("records-not-sent");
    let reports: Vec<_> =
        std::fs::read_dir(data.join("reports")).unwrap().map(|e| e.unwrap().path()).filter(|p| p.is_dir()).collect();
    assert_eq!(reports.len(), 1, "{reports:?}");
    let dicom: Vec<_> = std::fs::read_dir(reports[0].join("dicom")).expect("a dicom folder").collect();
    assert!(dicom.len() >= 2, "the key shots as DICOM: {dicom:?}");
    assert!(reports[0].join("xapi.jsonl").is_file());
    assert!(!reports[0].join("xapi-sent.json").exists(), "nothing is noted as sent: it stays queued");
    if std::env::var_os("FLUOROHIP_KEEP_SCREENSHOTS").is_none() {
        drop(w);
        let _ = std::fs::remove_dir_all(&dir);
    }
}

/// A data folder that cannot take the reports (here a file where `reports/` should be: root
/// ignores permission bits): Save says NOT SAVED naming the path and keeps the session; the
/// reports then go to the other folder offered beside it.
#[test]
fn a_report_the_data_folder_cannot_take_is_saved_in_another_folder() {
    let _window = one_window();
    use trainee::{has_text, texts};
    if !have("xvfb-run") || !have("xdotool") {
        assert!(!in_ci(), "xvfb-run or xdotool is missing: .ci/run must install xvfb and xdotool");
        eprintln!("skipping: needs xvfb-run and xdotool");
        return;
    }
    let dir = std::env::temp_dir().join(format!("fluorohip-gui-elsewhere-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("data")).unwrap();
    let data = dir.join("data");
    std::fs::write(data.join("reports"), "in the way").unwrap();
    // Home is the test folder: the other folder offered goes there.
    let mut w = trainee::expert_debrief(&dir, &data, &[("HOME", &dir)]);
    w.click_button("Save reports");
    let v = w.wait("the save to fail", |v| has_text(v, "NOT SAVED"));
    let line = texts(&v).into_iter().find(|t| t.contains("NOT SAVED")).unwrap();
    assert!(line.contains("reports") && line.contains("session is kept"), "{line}");
    w.screenshot("not-saved");
    // The other folder: fluorohip-reports in the home folder (here the test's).
    let other = dir.join("fluorohip-reports");
    w.click_button(&format!("Save in {}", other.display()));
    w.wait("saved there", |v| has_text(v, &format!("Saved {}", other.display())));
    let reports: Vec<_> =
        std::fs::read_dir(other.join("reports")).unwrap().map(|e| e.unwrap().path()).filter(|p| p.is_dir()).collect();
    assert_eq!(reports.len(), 1, "{reports:?}");
    assert!(reports[0].join("report.html").is_file() && reports[0].join("session-log.json").is_file());
    assert!(other.join("reports/class.csv").is_file());
    w.screenshot("saved-elsewhere");
    if std::env::var_os("FLUOROHIP_KEEP_SCREENSHOTS").is_none() {
        drop(w);
        let _ = std::fs::remove_dir_all(&dir);
    }
}

/// The window sends to a real learning record store (ralph on 127.0.0.1): a wrong password
/// is refused with the store's reason and the session stays queued; with the right one the
/// next save sends it, the store then holds each statement once, and a third save sends
/// nothing new. The password is shown as asterisks and never written.
#[test]
fn the_window_sends_learning_records_to_a_real_store_once() {
    let _window = one_window();
    use trainee::{button, has_text, texts};
    if !have("xvfb-run") || !have("xdotool") {
        assert!(!in_ci(), "xvfb-run or xdotool is missing: .ci/run must install xvfb and xdotool");
        eprintln!("skipping: needs xvfb-run and xdotool");
        return;
    }
    let Some(venv) = common::tool("FLUOROHIP_RALPH_VENV", "a venv with ralph-malph[cli,lrs]") else { return };
    let ralph = common::Ralph::start(&venv, "window");
    let dir = std::env::temp_dir().join(format!("fluorohip-gui-lrs-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let data = dir.join("data");
    let mut w = trainee::expert_debrief(&dir, &data, &[]);

    let field_values = |v: &serde_json::Value| -> Vec<String> {
        v["fields"].as_array().unwrap().iter().map(|f| f[1].as_str().unwrap().to_string()).collect()
    };
    // Open the panel and type into its fields, top to bottom then left to right; `None`
    // leaves a field as it is.
    let fill = |w: &mut trainee::Window, typed: [Option<&str>; 3]| {
        w.click_button("Records: DICOM, LRS...");
        let v = w.wait("the panel", |v| button(v, "Keep these settings").is_some());
        let mut fields: Vec<(f64, f64)> = v["fields"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| (f[0][0].as_f64().unwrap(), f[0][1].as_f64().unwrap()))
            .collect();
        assert_eq!(fields.len(), 3, "endpoint, user and password fields: {v:#}");
        fields.sort_by(|a, b| (a.1, a.0).partial_cmp(&(b.1, b.0)).unwrap());
        for (at, typed) in fields.iter().zip(typed) {
            let Some(typed) = typed else { continue };
            w.click(at.0, at.1);
            w.frames(2);
            w.xdo_type(typed);
            w.wait(&format!("{typed} typed"), |v| field_values(v).iter().any(|f| f == typed));
        }
    };
    fill(&mut w, [Some(ralph.url.as_str()), Some("trainer"), Some("not-the-password")]);
    let v = w.frames(2);
    // The password is drawn as one asterisk per character, never as itself.
    assert!(has_text(&v, &"*".repeat("not-the-password".len())), "{:#?}", texts(&v));
    assert!(!texts(&v).iter().any(|t| t.contains("not-the-password")), "{:#?}", texts(&v));
    w.screenshot("records-lrs-panel");
    w.click_button("Keep these settings");
    w.wait("the panel closed", |v| has_text(v, "sends the learning records to"));

    // A wrong password: the store's refusal, named; nothing noted as sent.
    w.click_button("Save reports");
    let v = w.wait("the refusal", |v| has_text(v, "Learning records NOT SENT"));
    let line = texts(&v).into_iter().find(|t| t.contains("NOT SENT")).unwrap();
    assert!(line.contains("401") && line.contains("trainer") && line.contains("queued"), "{line}");
    assert!(ralph.statements("trainer", None).is_empty(), "nothing reached the store");

    // The right password, then Save again: the queued session goes.
    fill(&mut w, [None, None, Some(common::PASSWORD)]);
    w.click_button("Keep these settings");
    w.wait("the panel closed", |v| has_text(v, "sends the learning records to"));
    w.click_button("Save reports");
    let v = w.wait("the send", |v| has_text(v, "Learning records sent to"));
    let line = texts(&v).into_iter().find(|t| t.contains("Learning records sent")).unwrap();
    w.screenshot("records-lrs-sent");
    let reports: Vec<_> =
        std::fs::read_dir(data.join("reports")).unwrap().map(|e| e.unwrap().path()).filter(|p| p.is_dir()).collect();
    assert_eq!(reports.len(), 2, "two saves, two report folders: {reports:?}");
    let statements: Vec<serde_json::Value> = std::fs::read_to_string(reports[0].join("xapi.jsonl"))
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let registration = statements[0]["context"]["registration"].as_str().unwrap().to_string();
    let stored = ralph.statements("trainer", Some(&registration));
    assert_eq!(stored.len(), statements.len(), "each statement of the session once: {line}");
    assert!(line.contains(&format!("({} statements)", statements.len())), "{line}");

    assert!(line.contains("1 session (") && line.contains("1 copy of one sent"), "{line}");
    // A third save, a third folder of the same session: a copy of one the store holds, so
    // nothing is posted, and the store still holds each statement once.
    w.click_button("Save reports");
    let v = w.wait("the resend", |v| {
        texts(v).iter().any(|t| t.contains("Learning records sent") && t.contains("2 already there"))
    });
    let line = texts(&v).into_iter().find(|t| t.contains("Learning records sent")).unwrap();
    assert!(line.contains(": 0 sessions (0 statements)") && line.contains("1 copy of one sent"), "{line}");
    assert_eq!(ralph.statements("trainer", None).len(), statements.len(), "no duplicates after a resend: {line}");
    let settings = std::fs::read_to_string(data.join("settings.json")).unwrap();
    assert!(!settings.contains(common::PASSWORD) && !settings.contains("not-the-password"), "{settings}");
    if std::env::var_os("FLUOROHIP_KEEP_SCREENSHOTS").is_none() {
        drop(w);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
