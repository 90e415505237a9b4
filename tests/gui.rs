//! The real window, under a virtual display: a scripted session through the app,
//! its screenshot checked for what a trainee must see. Needs `xvfb-run` and a
//! Vulkan driver (lavapipe); under CI (`CI=true`) their absence is a failure.

#![cfg(feature = "gui")]

use std::path::{Path, PathBuf};
use std::process::Command;

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
        .count(850, 200, 1280, 340, |[r, g, b]| r.abs_diff(g) < 6 && g.abs_diff(b) < 6 && (70..230).contains(&g));
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
