//! `fluorohip atlas`: a teaching atlas of the contrast patterns for one synthetic patient,
//! as an HTML page with its PNGs beside it. Every case is a session (the same `Session`
//! the app and scripts drive): place the needle, push under fluoroscopy, wait, shoot.

use std::fmt::Write as _;
use std::io::Write as _;
use std::path::PathBuf;

use fluorohip::DISCLAIMER;
use fluorohip::sim::anatomy::PatientOverrides;
use fluorohip::sim::imaging::{
    CArmPose, FieldSize, Fluoroscope, Frame, ImagingSettings, Projector, Radiopaque, export, labels, materials,
};
use fluorohip::sim::injection::{ContrastPattern, Fluid};
use fluorohip::sim::session::PointRef;
use fluorohip::sim::tip_cases::{TipCase, tip_cases};
use fluorohip::sim::{Action, Scenario, Session, coach};

use super::fail;

#[derive(clap::Args, Debug)]
pub struct AtlasArgs {
    /// Seed of the synthetic patient.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Directory to write index.html and its images into (created if missing).
    #[arg(long)]
    out: PathBuf,
    /// Image size in pixels (128-1024).
    #[arg(long, default_value_t = 384, value_parser = clap::value_parser!(u32).range(128..=1024))]
    size: u32,
    /// Contrast pushed in each case (mL of iohexol 300).
    #[arg(long, default_value_t = 2.0)]
    contrast_ml: f64,
    /// Image-intensifier field in cm: 23, 15 or 11 (15: the magnified view used to read contrast).
    #[arg(long, default_value_t = 15.0)]
    field: f64,
    /// Push rate (mL/s): a brisk hand push.
    #[arg(long, default_value_t = 1.0)]
    rate_ml_s: f64,
}

/// Seconds after the push for the third moment.
const AFTER_S: f64 = 2.0;
/// Frames averaged for each of the mask and the live image of the subtraction.
const DSA_FRAMES: u64 = 4;
/// One fluoroscopy pulse at 15 frames/s (s).
const PULSE_S: f64 = 1.0 / 15.0;
/// The second angle: an oblique that shows the iodine's depth (degrees LAO).
const OBLIQUE_LAO_DEG: f64 = 40.0;

/// One case's images, relative to the atlas directory.
struct Rendered {
    case: TipCase,
    actual: ContrastPattern,
    files: Vec<(String, String)>,
}

pub fn atlas(a: &AtlasArgs) -> i32 {
    if !(0.2..=10.0).contains(&a.contrast_ml) || !(0.1..=5.0).contains(&a.rate_ml_s) {
        return fail("--contrast-ml must be 0.2-10 and --rate-ml-s 0.1-5", 2);
    }
    if let Err(e) = std::fs::create_dir_all(&a.out) {
        return fail(format!("cannot create {}: {e}", a.out.display()), 1);
    }
    let base = match Session::new(Scenario::default(), a.seed) {
        Ok(s) => s,
        Err(e) => return fail(e, 2),
    };
    // First the anatomy the patterns are read against: the labelled teaching view.
    let anatomy = match render_anatomy(a) {
        Ok(f) => f,
        Err(e) => return fail(format!("labelled anatomy: {e}"), 1),
    };
    let cases = tip_cases(base.patient());
    let total = cases.len();
    let mut done = Vec::new();
    for (k, case) in cases.into_iter().enumerate() {
        progress(k, total, case.name);
        match render_case(a, &case) {
            Ok((actual, files)) => done.push(Rendered { case, actual, files }),
            Err(e) => return fail(format!("case {}: {e}", case.name), 1),
        }
    }
    progress(done.len(), done.len(), "done");
    eprintln!();
    let html = page(a, &anatomy, &done);
    let index = a.out.join("index.html");
    if let Err(e) = std::fs::write(&index, html) {
        return fail(format!("cannot write {}: {e}", index.display()), 1);
    }
    let summary: Vec<_> = done
        .iter()
        .map(|r| {
            serde_json::json!({
                "case": r.case.name,
                "expected": r.case.expected.as_str(),
                "shown": r.actual.as_str(),
                "images": r.files.iter().map(|f| &f.0).collect::<Vec<_>>(),
            })
        })
        .collect();
    let out = serde_json::json!({
        "disclaimer": DISCLAIMER,
        "seed": a.seed,
        "index": index,
        "anatomy": anatomy,
        "cases": summary,
    });
    println!("{}", serde_json::to_string_pretty(&out).unwrap_or_default());
    0
}

/// The patient's AP view over the whole 23 cm field with the bony landmarks and the target
/// named (`imaging::labels`, as `shoot --labels`): what the patterns are read against.
fn render_anatomy(a: &AtlasArgs) -> Result<String, String> {
    let mut s = Session::new(Scenario::default(), a.seed).map_err(|e| e.to_string())?;
    let settings = ImagingSettings { pixels: a.size as usize, field: FieldSize::Cm23, ..Default::default() };
    s.apply(Action::SetImaging { settings }).map_err(|e| e.to_string())?;
    s.apply(Action::Fluoro { seconds: PULSE_S }).map_err(|e| e.to_string())?;
    let state = s.state();
    let mut frame = state.fluoroscope.last_image().ok_or("no image was taken")?.clone();
    let g = state.fluoroscope.geometry(s.position());
    labels::burn_labels(&mut frame, &g, &labels::teaching_landmarks(s.patient()));
    let name = "anatomy_labelled.png".to_string();
    let meta = [("Description", "the labelled teaching view".to_string())];
    let caption = format!("SEED {} ANATOMY, 23 CM FIELD", a.seed);
    export::write_png(&a.out.join(&name), &frame, &caption, &meta).map_err(|e| e.to_string())?;
    Ok(name)
}

/// A progress bar on stderr.
fn progress(done: usize, of: usize, what: &str) {
    let width = 24;
    let filled = (done * width).checked_div(of.max(1)).unwrap_or(0).min(width);
    let mut err = std::io::stderr();
    let _ = write!(err, "\r[{}{}] {done}/{of} {what:<24}", "#".repeat(filled), " ".repeat(width - filled));
    let _ = err.flush();
}

type Files = Vec<(String, String)>;

/// Push, frames at mid-push, end and `AFTER_S` later; the end frame with the tip marked,
/// from an oblique, and the iodine alone.
fn render_case(a: &AtlasArgs, case: &TipCase) -> Result<(ContrastPattern, Files), String> {
    let scenario = Scenario {
        patient: PatientOverrides { bursa_communicates: case.bursa_communicates, ..Default::default() },
        ..Default::default()
    };
    let mut s = Session::new(scenario, a.seed).map_err(|e| e.to_string())?;
    let field = FieldSize::from_cm(a.field).ok_or(format!("field must be 23, 15 or 11 cm, not {}", a.field))?;
    let settings = ImagingSettings { pixels: a.size as usize, field, ..Default::default() };
    let patient = s.patient();
    let iso = 0.5 * (patient.landmarks.target + case.tip);
    let push_s = a.contrast_ml / a.rate_ml_s;
    let actions = [
        Action::SetImaging { settings },
        Action::SetCArm { lao_deg: 0.0, cranial_deg: 0.0, isocentre: Some(PointRef::Xyz(iso.to_array())) },
        Action::SelectNeedle { needle: case.needle() },
        Action::PlaceNeedle { entry: PointRef::Xyz(case.entry.to_array()), tip: PointRef::Xyz(case.tip.to_array()) },
        Action::InjectUnderFluoro {
            fluid: Fluid::Contrast,
            volume_ml: a.contrast_ml,
            rate_ml_s: Some(a.rate_ml_s),
            frame_every_s: Some(push_s / 2.0),
        },
    ];
    for action in actions {
        s.apply(action).map_err(|e| e.to_string())?;
    }
    let actual = s.state().contrast_pattern;
    let shots = s.shot_images();
    let [.., mid, end] = shots else { return Err("the push gave fewer than two frames".into()) };
    let (mid, end) = (mid.clone(), end.clone());
    let mut files = Vec::new();
    let mut write = |suffix: &str, label: String, frame: &Frame, caption: &str| -> Result<(), String> {
        let name = format!("{}_{suffix}.png", case.name);
        let meta = [("Description", format!("{} - {label}", case.title))];
        export::write_png(&a.out.join(&name), frame, caption, &meta).map_err(|e| e.to_string())?;
        files.push((name, label));
        Ok(())
    };
    let caption = |t: &str| format!("SEED {} {} {t}", a.seed, case.name.replace('_', " ").to_uppercase());
    write(
        "1_during",
        format!("during the push ({:.1} of {:.1} mL)", a.contrast_ml / 2.0, a.contrast_ml),
        &Frame::from_gray(mid.pixels, mid.gray.clone()),
        &caption("DURING"),
    )?;
    write("2_end", "end of the push".into(), &Frame::from_gray(end.pixels, end.gray.clone()), &caption("END"))?;

    // At the end of the push: the same frame with the tip marked, an oblique, the iodine alone.
    let state = s.state();
    let position = s.scenario().position;
    let g = state.fluoroscope.geometry(position);
    let mut marked = end.gray.clone();
    if let Some((i, j)) = g.project_px(case.tip) {
        mark_ring(&mut marked, end.pixels, i, j, (a.size as f64 / 48.0).max(5.0));
    }
    write("3_tip", "end, tip marked".into(), &Frame::from_gray(end.pixels, marked), &caption("TIP"))?;
    let field = state.injection.contrast_field(s.patient());
    let path = state.needle.map(|n| n.drawn_path());
    let extra = Radiopaque { needle: path.as_ref(), contrast: Some(&field) };
    let mut oblique =
        Fluoroscope::new(CArmPose { lao_deg: OBLIQUE_LAO_DEG, cranial_deg: 0.0, isocentre: iso }, settings);
    oblique.shoot(s.patient(), position, extra, PULSE_S, a.seed ^ 0xA71A5).map_err(|e| e.to_string())?;
    let frame = oblique.last_image().ok_or("no oblique image")?.clone();
    write("4_oblique", format!("end, LAO {OBLIQUE_LAO_DEG:.0}°"), &frame, &caption("LAO 40"))?;
    write("5_iodine", "end, the iodine alone (AP)".into(), &iodine_alone(&g, &field, s.patient()), &caption("IODINE"))?;
    let ap = Fluoroscope::new(state.fluoroscope.pose, settings);
    let dsa = subtracted(ap, s.patient(), position, path.as_ref(), &field, a.seed)?;
    write("6_subtracted", "end, subtracted (DSA)".into(), &dsa, &caption("DSA"))?;

    s.apply(Action::Wait { seconds: AFTER_S }).map_err(|e| e.to_string())?;
    s.apply(Action::Fluoro { seconds: PULSE_S }).map_err(|e| e.to_string())?;
    let later = s.state().fluoroscope.last_image().ok_or("no image")?.clone();
    write("7_later", format!("{AFTER_S:.0} s after the push"), &later, &caption("+2 S"))?;
    Ok((actual, files))
}

/// The iodine's optical depth alone as an image: white where there is none, black where a
/// path holds the most.
fn iodine_alone(
    g: &fluorohip::sim::imaging::Geometry,
    field: &fluorohip::sim::imaging::ContrastField,
    patient: &fluorohip::sim::anatomy::Patient,
) -> Frame {
    let mut p = Projector::new();
    p.project(g, patient, Radiopaque { needle: None, contrast: Some(field) });
    let od = p.contrast_optical_depth();
    let n = g.pixels;
    // Scale so that the optical depth of 1 mm of iohexol 300 (at 50 keV) is black.
    let full = (materials::iodine_mu_per_mm_per_mg_ml()[1] * materials::IOHEXOL_300_MG_I_PER_ML) as f32;
    let gray = (0..n * n)
        .map(|k| {
            let v = od.get(k).map(|o| o[1] / full).unwrap_or(0.0).clamp(0.0, 1.0);
            (240.0 - 230.0 * v.sqrt()).round() as u8
        })
        .collect();
    Frame::from_gray(n, gray)
}

/// Digital subtraction as at the table: a frame with the contrast minus a mask frame taken
/// before it, each with its own quantum noise; iodine dark on grey.
fn subtracted(
    mut f: Fluoroscope,
    patient: &fluorohip::sim::anatomy::Patient,
    position: fluorohip::sim::anatomy::Position,
    needle: Option<&fluorohip::sim::imaging::NeedlePath>,
    field: &fluorohip::sim::imaging::ContrastField,
    seed: u64,
) -> Result<Frame, String> {
    // Each of mask and live is the mean of a few frames, as a DSA run averages frames.
    let mut mean = |contrast: Option<&fluorohip::sim::imaging::ContrastField>, salt: u64| -> Result<Vec<f32>, String> {
        let mut sum: Vec<f32> = Vec::new();
        for k in 0..DSA_FRAMES {
            f.shoot(patient, position, Radiopaque { needle, contrast }, PULSE_S, seed ^ salt ^ (k << 8))
                .map_err(|e| e.to_string())?;
            let sig = &f.last_image().ok_or("no frame")?.signal;
            sum.resize(sig.len(), 0.0);
            sum.iter_mut().zip(sig).for_each(|(s, v)| *s += v / DSA_FRAMES as f32);
        }
        Ok(sum)
    };
    let mask = mean(None, 0xD5A0)?;
    let live = mean(Some(field), 0xD5A1)?;
    let pixels = f.last_image().ok_or("no frame")?.pixels;
    let diff: Vec<f32> = live.iter().zip(&mask).map(|(l, m)| l - m).collect();
    let mut sorted: Vec<f32> = diff.iter().copied().filter(|d| !d.is_nan()).collect();
    sorted.sort_by(|a, b| a.total_cmp(b));
    // Full black at the 99.8th percentile, never a span narrower than the noise.
    let top = sorted.get(sorted.len() * 998 / 1000).copied().unwrap_or(1.0).max(0.25);
    let gray = diff
        .iter()
        .map(|d| {
            if d.is_nan() {
                fluorohip::sim::imaging::detector::UNEXPOSED_GRAY
            } else {
                (170.0 - 160.0 * (d / top).clamp(-0.1, 1.0)).round() as u8
            }
        })
        .collect();
    Ok(Frame::from_gray(pixels, gray))
}

/// A ring round (ci, cj): white inside a black edge, visible on any grey.
fn mark_ring(gray: &mut [u8], n: usize, ci: f64, cj: f64, r: f64) {
    let reach = (r + 3.0).ceil() as i64;
    for dj in -reach..=reach {
        for di in -reach..=reach {
            let (i, j) = (ci.round() as i64 + di, cj.round() as i64 + dj);
            if i < 0 || j < 0 || i >= n as i64 || j >= n as i64 {
                continue;
            }
            let d = ((i as f64 - ci).powi(2) + (j as f64 - cj).powi(2)).sqrt();
            let k = j as usize * n + i as usize;
            if (d - r).abs() <= 1.0 {
                gray[k] = 255;
            } else if (d - r).abs() <= 2.2 {
                gray[k] = 0;
            }
        }
    }
}

fn words(p: ContrastPattern) -> &'static str {
    match p {
        ContrastPattern::None => "no pattern",
        ContrastPattern::IntraArticular => "intra-articular",
        ContrastPattern::ExtraArticular => "extra-articular",
        ContrastPattern::Mixed => "partly intra-articular (mixed)",
        ContrastPattern::Intravascular => "intravascular",
        ContrastPattern::Bursal => "iliopsoas bursa or tendon",
    }
}

fn capitalised(s: &str) -> String {
    let mut c = s.chars();
    c.next().map(|f| f.to_uppercase().chain(c).collect()).unwrap_or_default()
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}

fn page(a: &AtlasArgs, anatomy: &str, done: &[Rendered]) -> String {
    let mut h = String::new();
    let _ = write!(
        h,
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <title>fluorohip contrast atlas, seed {seed}</title>\n<style>\
         body{{background:#111;color:#ddd;font:15px/1.4 sans-serif;margin:1.5em}}\
         .notice{{background:#a00;color:#fff;font-weight:bold;padding:.5em;text-align:center}}\
         .row{{display:flex;flex-wrap:wrap;gap:8px}} figure{{margin:0;width:{w}px}}\
         img{{width:{w}px;height:{w}px;display:block}} figcaption{{font-size:13px;color:#aaa}}\
         .cue{{font-size:17px;color:#fff;margin:.4em 0 1.6em}} .warn{{color:#f88}}\
         </style></head><body>\n<div class=\"notice\">{notice}</div>\n\
         <h1>Contrast patterns: a reading atlas</h1>\n<p>Synthetic patient, seed {seed}. Each case: \
         {ml:.1} mL of iohexol 300 pushed at {rate:.1} mL/s through a straight 22G needle from the front, \
         AP fluoroscopy ({field:.0} cm field, bone black), frames during the push, at its end and {after:.0} s later; the end frame \
         with the tip ringed, from a {lao:.0}° LAO oblique, the iodine alone (white background) and \
         subtracted from a mask frame (DSA, as at the table). Made by \
         <code>fluorohip atlas --seed {seed}</code>.</p>\n",
        seed = a.seed,
        w = (a.size as usize).min(300),
        notice = esc(DISCLAIMER),
        ml = a.contrast_ml,
        rate = a.rate_ml_s,
        after = AFTER_S,
        lao = OBLIQUE_LAO_DEG,
        field = a.field,
    );
    let _ = writeln!(
        h,
        "<h2 id=\"anatomy\">The anatomy first</h2>\n<div class=\"row\"><figure><img src=\"{anatomy}\" \
         alt=\"AP view with the landmarks named\"><figcaption>AP, 23 cm field, landmarks named</figcaption></figure></div>\n\
         <p class=\"cue\">Find the head, the neck and its junction with the head (the target), the trochanters, \
         the sourcil over the head and the teardrop beside it before reading any contrast.</p>"
    );
    for r in done {
        let _ = writeln!(h, "<h2 id=\"{}\">{}</h2>\n<div class=\"row\">", r.case.name, esc(r.case.title));
        for (file, label) in &r.files {
            let _ = writeln!(
                h,
                "<figure><img src=\"{file}\" alt=\"{alt}\"><figcaption>{label}</figcaption></figure>",
                alt = esc(&format!("{}: {label}", r.case.title)),
                label = esc(label)
            );
        }
        let meaning = coach::pattern_meaning(r.actual).unwrap_or("no contrast seen");
        let _ = writeln!(
            h,
            "</div>\n<p class=\"cue\"><b>Reads as {}.</b> {}.<br><small>{}</small></p>",
            words(r.actual),
            esc(&capitalised(r.case.cue)),
            esc(meaning)
        );
        if r.actual != r.case.expected {
            let _ = writeln!(
                h,
                "<p class=\"warn\">This patient's push read as {} where {} was expected.</p>",
                words(r.actual),
                words(r.case.expected)
            );
        }
    }
    let _ = writeln!(h, "<div class=\"notice\">{}</div>\n</body></html>", esc(DISCLAIMER));
    h
}
