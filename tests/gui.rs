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

fn demo_screenshot(script: &str, name: &str) -> Option<PathBuf> {
    if !have("xvfb-run") {
        assert!(!in_ci(), "xvfb-run is missing: .ci/run must install xvfb");
        eprintln!("skipping: xvfb-run not installed (apt-get install xvfb mesa-vulkan-drivers)");
        return None;
    }
    let out = std::env::temp_dir().join(format!("fluorohip-{name}-{}.png", std::process::id()));
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/scripts").join(script);
    let o = Command::new("xvfb-run")
        .args(["-a", "-s", "-screen 0 1280x720x24", env!("CARGO_BIN_EXE_fluorohip"), "demo", "--actions"])
        .arg(&script)
        .arg("--screenshot")
        .arg(&out)
        .env("WGPU_ADAPTER_NAME", "llvmpipe")
        .output()
        .expect("xvfb-run starts");
    assert!(
        o.status.success() && out.is_file(),
        "demo failed ({:?}):\n{}\n{}",
        o.status,
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    Some(out)
}

#[test]
fn the_demo_session_shows_banner_needle_and_fluoroscopy() {
    let Some(path) = demo_screenshot("demo_scene.ron", "scene") else { return };
    let (w, h, px) = decode(&path);
    assert!(w >= 1000 && h >= 600, "{w}x{h}");
    let at = |x: usize, y: usize| px[y * w + x];
    // Not blank: many distinct colours.
    let mut seen = std::collections::HashSet::new();
    for p in px.iter().step_by(97) {
        seen.insert(*p);
    }
    assert!(seen.len() > 200, "only {} colours: a blank window?", seen.len());
    // The banner: red across the top rows.
    let red = (0..w).step_by(40).filter(|&x| {
        let [r, g, b] = at(x, 4);
        r > 140 && g < 60 && b < 80
    });
    assert!(red.count() > w / 40 * 7 / 10, "no red banner across the top");
    // The fluoroscopy panel (top right) shows an image: grey levels that vary.
    let (x0, y0) = (w - 330, 60);
    let greys: Vec<u8> = (0..280)
        .step_by(7)
        .flat_map(|dy| (0..280).step_by(7).map(move |dx| (dx, dy)))
        .map(|(dx, dy)| {
            let [r, g, b] = at(x0 + dx, y0 + dy);
            assert!(r.abs_diff(g) < 12 && g.abs_diff(b) < 12, "the monitor should be greyscale");
            g
        })
        .collect();
    let (lo, hi) = (*greys.iter().min().unwrap(), *greys.iter().max().unwrap());
    assert!(hi - lo > 60, "the fluoroscopy panel is flat ({lo}..{hi})");
    // The needle is drawn (cyan) somewhere in the 3D view.
    let needle = px.iter().filter(|[r, g, b]| *r < 90 && *g > 200 && *b > 200).count();
    assert!(needle > 20, "needle not visible ({needle} cyan pixels)");
    let _ = std::fs::remove_file(path);
}
