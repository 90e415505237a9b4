//! Writing a session's reports: `report.json` (everything, versioned), a self-contained
//! `report.html`, the replayable `session-log.json`, xAPI statements (`xapi.jsonl`) and
//! one row appended to the class CSV. Every file carries the not-for-clinical-use
//! notice; each is written to a temporary file and renamed, so nothing already
//! written is lost.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use serde::Serialize;

use super::xapi::{self, XapiError, XapiOptions};
use super::{self as assessment, Domain, Report};
use crate::sim::files::{WriteError, append_line, write_atomically};
use crate::sim::imaging::Frame;
use crate::sim::imaging::dicom::{self, DicomImage, DicomSeries};
use crate::sim::imaging::export::{annotated_pixels, encode_png};
use crate::sim::session::{Session, ShotImage};

/// Columns of the class CSV.
pub const CSV_HEADER: &str = "trainee,scenario,seed,score,max,passed,failed_domains,checklist,safety,technique,outcome,\
interpretation,failed_because,critical_errors,fluoro_s,dap_gy_cm2,shots,needle_passes,redirections,target_error_mm,near_misses,hits,contrast_pattern,reading_correct,total_time_min,disclaimer";

/// A report could not be written.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    #[error(transparent)]
    Write(#[from] WriteError),
    #[error("cannot create report folder {}: {source}", path.display())]
    Folder { path: PathBuf, source: std::io::Error },
    #[error(
        "{} has other columns than this version writes (an older fluorohip?): move it aside or name another class file",
        path.display()
    )]
    CsvColumns { path: PathBuf },
    #[error("cannot read {}: {source}", path.display())]
    Read { path: PathBuf, source: std::io::Error },
    #[error("cannot encode {what}: {message}")]
    Encode { what: &'static str, message: String },
    #[error(transparent)]
    Xapi(#[from] XapiError),
}

/// Paths of the files written.
#[derive(Clone, Debug, Serialize)]
pub struct Written {
    pub json: PathBuf,
    pub html: PathBuf,
    pub log: PathBuf,
    pub xapi: PathBuf,
    pub csv: PathBuf,
    /// The key shots as one DICOM series, when asked for.
    pub dicom: Vec<PathBuf>,
}

/// Choices for the files written.
#[derive(Clone, Debug, Default)]
pub struct ReportOptions {
    pub xapi: XapiOptions,
    /// Also write the key shots as one DICOM series in `DIR/dicom/`.
    pub dicom: bool,
}

impl ReportOptions {
    /// xAPI options from the environment ([`XapiOptions::from_env`]), no DICOM.
    pub fn from_env() -> Result<ReportOptions, XapiError> {
        Ok(ReportOptions { xapi: XapiOptions::from_env()?, dicom: false })
    }
}

/// A key image of the session: which shot, and why it matters.
#[derive(Clone, Debug)]
pub struct KeyShot<'a> {
    pub label: &'static str,
    pub shot: &'a ShotImage,
}

/// The shots worth keeping: first (localisation), last before contrast (needle at
/// bone), first after contrast (the pattern) and the last one.
pub fn key_shots(session: &Session) -> Vec<KeyShot<'_>> {
    let shots = session.shot_images();
    crate::sim::session::key_shot_picks(shots, session.state().events)
        .into_iter()
        .map(|(label, i)| KeyShot { label, shot: &shots[i] })
        .collect()
}

fn shot_png(shot: &ShotImage, caption: &str) -> Result<Vec<u8>, ReportError> {
    let frame = Frame::from_gray(shot.pixels, shot.gray.clone());
    encode_png(&frame, caption, &[]).map_err(|e| ReportError::Encode { what: "key shot", message: e.to_string() })
}

const B64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// Standard base64, for images embedded in the HTML page.
pub fn base64(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [chunk[0], *chunk.get(1).unwrap_or(&0), *chunk.get(2).unwrap_or(&0)];
        let n = (b[0] as u32) << 16 | (b[1] as u32) << 8 | b[2] as u32;
        for k in 0..4 {
            if k <= chunk.len() {
                out.push(B64[(n >> (18 - 6 * k) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// Escape text for HTML element content and attribute values.
pub fn html_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

/// Quote a CSV field when needed (RFC 4180); a leading formula character is neutralised.
pub fn csv_field(s: &str) -> String {
    let s = if s.starts_with(['=', '+', '-', '@']) { format!("'{s}") } else { s.to_string() };
    if s.contains([',', '"', '\n', '\r']) { format!("\"{}\"", s.replace('"', "\"\"")) } else { s }
}

/// A domain's cell in the class CSV: `pass` or `fail`.
fn domain_cell(r: &Report, d: Domain) -> String {
    match r.score.domain(d) {
        Some(v) if v.passed => "pass".into(),
        Some(_) => "fail".into(),
        None => String::new(),
    }
}

/// What failed each failed domain, as `domain: why; why | domain: why`.
fn failed_because(r: &Report) -> String {
    let parts: Vec<String> = r
        .score
        .domains
        .iter()
        .filter(|d| !d.passed)
        .map(|d| format!("{}: {}", d.domain.as_str(), d.failed_because.join("; ")))
        .collect();
    parts.join(" | ")
}

/// One row of the class CSV.
pub fn csv_row(r: &Report) -> String {
    let m = &r.metrics;
    let crit: Vec<String> = r.score.critical_errors.iter().map(|c| format!("{c:?}")).collect();
    [
        csv_field(&r.trainee),
        csv_field(&r.scenario),
        r.seed.to_string(),
        format!("{:.1}", r.score.total),
        format!("{:.0}", r.score.max),
        r.score.passed.to_string(),
        csv_field(&r.score.failed_domains().join(";")),
        domain_cell(r, Domain::Checklist),
        domain_cell(r, Domain::Safety),
        domain_cell(r, Domain::Technique),
        domain_cell(r, Domain::Outcome),
        domain_cell(r, Domain::Interpretation),
        csv_field(&failed_because(r)),
        csv_field(&crit.join(";")),
        format!("{:.1}", m.fluoro_s),
        format!("{:.4}", m.dap_gy_cm2),
        m.shots.to_string(),
        m.needle_passes.to_string(),
        m.redirections.to_string(),
        m.target_error_mm.map(|e| format!("{e:.1}")).unwrap_or_default(),
        m.near_misses.to_string(),
        m.hits.to_string(),
        m.contrast_pattern.as_str().to_string(),
        m.reading_correct.map(|c| c.to_string()).unwrap_or_default(),
        format!("{:.1}", m.total_time_s / 60.0),
        "NOT FOR CLINICAL USE".into(),
    ]
    .join(",")
}

/// The self-contained HTML page.
pub fn html(r: &Report, shots: &[(String, Vec<u8>)]) -> String {
    let e = html_escape;
    let mut h = String::new();
    let _ = write!(
        h,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>fluorohip debrief: {}</title>\n<style>\
body{{font-family:sans-serif;margin:2em;max-width:60em;color:#222}}\
.banner{{background:#b00020;color:#fff;padding:.6em 1em;font-weight:bold;letter-spacing:.05em}}\
table{{border-collapse:collapse;margin:1em 0}}td,th{{border:1px solid #ccc;padding:.3em .6em;text-align:left}}\
.pass{{color:#060;font-weight:bold}}.fail{{color:#b00020;font-weight:bold}}\
.warning{{background:#fff4d6}}.critical{{background:#fde0e0}}\
figure{{display:inline-block;margin:.5em}}img{{width:256px;image-rendering:pixelated}}\
</style></head><body>\n<div class=\"banner\">NOT FOR CLINICAL USE · SYNTHETIC PATIENT · TEACHING SIMULATOR</div>\n",
        e(&r.scenario)
    );
    let _ = write!(
        h,
        "<h1>Debrief: {}</h1>\n<p>Trainee: <b>{}</b> · scenario <code>{}</code> · seed {} · {:?} mode · {}</p>\n",
        e(&r.scenario_title),
        e(if r.trainee.is_empty() { "(not given)" } else { &r.trainee }),
        e(&r.scenario),
        r.seed,
        r.mode,
        e(&r.software)
    );
    let verdict = if r.score.passed { ("pass", "PASS") } else { ("fail", "FAIL") };
    let _ = write!(
        h,
        "<h2>Summary</h2>\n<p class=\"{}\">{}: {:.1} / {:.0} (expert {:.1}); a pass needs every domain passed</p>\n",
        verdict.0, verdict.1, r.score.total, r.score.max, r.score.expert_total
    );
    if !r.score.expert_reference_valid {
        h.push_str(
            "<p>The expert reference missed the joint on this seed: compared with the nominal expert figures.</p>\n",
        );
    }
    h.push_str("<h2>Domains</h2>\n<table><tr><th>domain</th><th>verdict</th><th>points</th><th>pass rule</th><th>what failed it</th></tr>\n");
    for d in &r.score.domains {
        let _ = writeln!(
            h,
            "<tr><td>{}</td><td class=\"{}\">{}</td><td>{:.1} / {:.0}</td><td>{}</td><td>{}</td></tr>",
            d.domain.as_str(),
            if d.passed { "pass" } else { "fail" },
            if d.passed { "pass" } else { "FAIL" },
            d.points,
            d.max_points,
            e(&d.rule),
            e(&d.failed_because.join("; "))
        );
    }
    h.push_str("</table>\n");
    if !r.score.critical_errors.is_empty() {
        h.push_str("<p class=\"fail\">Critical errors: ");
        let names: Vec<String> = r.score.critical_errors.iter().map(|c| e(c.label())).collect();
        h.push_str(&names.join(", "));
        h.push_str("</p>\n");
    }
    h.push_str("<h2>Rubric</h2>\n<table><tr><th>domain</th><th>item</th><th>points</th><th>detail</th></tr>\n");
    for i in &r.score.items {
        let _ = writeln!(
            h,
            "<tr><td>{}</td><td>{}</td><td>{:.1} / {:.0}</td><td>{}</td></tr>",
            e(&i.group),
            e(&i.item),
            i.points,
            i.max_points,
            e(&i.detail)
        );
    }
    h.push_str("</table>\n<h2>Metrics against the expert reference</h2>\n<table><tr><th>metric</th><th>you</th><th>expert</th></tr>\n");
    let (m, x) = (&r.metrics, &r.expert);
    let opt = |v: Option<f64>, d: usize| v.map(|v| format!("{v:.d$}")).unwrap_or_else(|| "–".into());
    let rows: Vec<(&str, String, String)> = vec![
        ("fluoroscopy shots", m.shots.to_string(), x.shots.to_string()),
        ("fluoroscopy time (s)", format!("{:.1}", m.fluoro_s), format!("{:.1}", x.fluoro_s)),
        ("dose-area product (Gy·cm²)", format!("{:.4}", m.dap_gy_cm2), format!("{:.4}", x.dap_gy_cm2)),
        ("reference air kerma (mGy)", format!("{:.2}", m.air_kerma_mgy), format!("{:.2}", x.air_kerma_mgy)),
        ("needle passes", m.needle_passes.to_string(), x.needle_passes.to_string()),
        ("redirections", m.redirections.to_string(), x.redirections.to_string()),
        ("needle path in tissue (mm)", format!("{:.0}", m.path_in_tissue_mm), format!("{:.0}", x.path_in_tissue_mm)),
        ("tip to target (mm)", opt(m.target_error_mm, 1), opt(x.target_error_mm, 1)),
        ("needle–beam angle (°)", opt(m.needle_beam_angle_deg, 0), opt(x.needle_beam_angle_deg, 0)),
        ("near-misses / hits", format!("{} / {}", m.near_misses, m.hits), format!("{} / {}", x.near_misses, x.hits)),
        ("contrast pattern", m.contrast_pattern.as_str().into(), x.contrast_pattern.as_str().into()),
        ("relief after rest (%)", opt(m.relief_pct, 0), opt(x.relief_pct, 0)),
        ("total time (min)", format!("{:.1}", m.total_time_s / 60.0), format!("{:.1}", x.total_time_s / 60.0)),
    ];
    for (name, a, b) in rows {
        let _ = writeln!(h, "<tr><td>{}</td><td>{}</td><td>{}</td></tr>", e(name), e(&a), e(&b));
    }
    h.push_str("</table>\n<h3>Closest approach to structures at risk (mm)</h3>\n<table><tr><th>structure</th><th>you</th><th>expert</th></tr>\n");
    for (k, v) in &m.closest_mm {
        let _ = writeln!(
            h,
            "<tr><td>{}</td><td>{:.1}</td><td>{}</td></tr>",
            e(&k.replace('_', " ")),
            v,
            x.closest_mm.get(k).map(|v| format!("{v:.1}")).unwrap_or_else(|| "–".into())
        );
    }
    h.push_str("</table>\n<h2>Key fluoroscopy shots</h2>\n");
    for (label, png) in shots {
        let _ = writeln!(
            h,
            "<figure><img alt=\"{}\" src=\"data:image/png;base64,{}\"><figcaption>{}</figcaption></figure>",
            e(label),
            base64(png),
            e(label)
        );
    }
    h.push_str("<h2>What to practise next</h2>\n<ul>\n");
    for a in &r.practise_next {
        let _ = writeln!(h, "<li>{}</li>", e(a));
    }
    h.push_str("</ul>\n<h2>Timeline</h2>\n<table><tr><th>time</th><th>event</th></tr>\n");
    for t in &r.timeline {
        let _ = writeln!(
            h,
            "<tr class=\"{}\"><td>{:02}:{:04.1}</td><td>{}</td></tr>",
            e(&t.level),
            (t.time_s / 60.0).floor() as u64,
            t.time_s % 60.0,
            e(&t.what)
        );
    }
    let _ = write!(h, "</table>\n<p><small>{}</small></p>\n</body></html>\n", e(&r.disclaimer));
    h
}

fn to_json<T: Serialize>(what: &'static str, v: &T) -> Result<String, ReportError> {
    serde_json::to_string_pretty(v).map_err(|e| ReportError::Encode { what, message: e.to_string() })
}

/// Write every report of `session` into `dir`, and append its row to `class_csv`
/// (`dir/class.csv` when not given). xAPI options come from the environment
/// ([`XapiOptions::from_env`]).
pub fn write_all(session: &Session, dir: &Path, class_csv: Option<&Path>) -> Result<(Report, Written), ReportError> {
    write_all_with(session, dir, class_csv, &ReportOptions::from_env()?)
}

/// [`write_all`] with these xAPI options.
pub fn write_all_with(
    session: &Session,
    dir: &Path,
    class_csv: Option<&Path>,
    options: &ReportOptions,
) -> Result<(Report, Written), ReportError> {
    let report = assessment::report(session);
    let written = write_files_with(session, &report, dir, class_csv, options)?;
    Ok((report, written))
}

/// Write the files of an already scored `report` of `session` (xAPI options from the
/// environment).
pub fn write_files(
    session: &Session,
    report: &Report,
    dir: &Path,
    class_csv: Option<&Path>,
) -> Result<Written, ReportError> {
    write_files_with(session, report, dir, class_csv, &ReportOptions::from_env()?)
}

/// Every report file of a scored `report` of `session`, named as in its report folder
/// (DICOM key shots under `dicom/`), the class CSV row apart: what the desktop writes
/// and the browser downloads.
pub fn report_files(
    session: &Session,
    report: &Report,
    options: &ReportOptions,
) -> Result<Vec<(String, Vec<u8>)>, ReportError> {
    let log = session.log();
    let mut files = vec![
        ("session-log.json".to_string(), to_json("session log", &log)?.into_bytes()),
        ("report.json".to_string(), to_json("report", report)?.into_bytes()),
    ];
    let mut shots = Vec::new();
    let series = DicomSeries {
        identity: format!("registration:{}", xapi::registration(&log)),
        seed: session.seed(),
        sex: session.patient().params.sex,
        description: format!("KEY SHOTS - {}", crate::DISCLAIMER_SHORT),
        study: format!("fluorohip: {}", report.scenario_title),
        started_at: log.started_at,
    };
    for (i, k) in key_shots(session).into_iter().enumerate() {
        let caption = format!(
            "SHOT {} {} LAO {:.0} CRAN {:.0}",
            k.shot.index,
            k.label.to_uppercase(),
            k.shot.lao_deg,
            k.shot.cranial_deg
        );
        shots.push((format!("shot {}: {}", k.shot.index, k.label), shot_png(k.shot, &caption)?));
        if options.dicom {
            let frame = Frame::from_gray(k.shot.pixels, k.shot.gray.clone());
            let gray = annotated_pixels(&frame, &caption);
            let image = DicomImage {
                pixels: k.shot.pixels,
                gray: &gray,
                instance_number: k.shot.index,
                time_s: k.shot.time_s,
                comment: format!(
                    "Shot {} of the session ({}), LAO {:.0} cranial {:.0}, at {:.0} s simulated.",
                    k.shot.index, k.label, k.shot.lao_deg, k.shot.cranial_deg, k.shot.time_s
                ),
            };
            let bytes = dicom::encode(&series, &image)
                .map_err(|e| ReportError::Encode { what: "DICOM key shot", message: e.to_string() })?;
            files.push((format!("dicom/{:02}-{}.dcm", i + 1, k.label.replace(' ', "-")), bytes));
        }
    }
    files.push(("report.html".to_string(), html(report, &shots).into_bytes()));
    let mut lines = String::new();
    for st in xapi::statements(report, &log, &options.xapi) {
        lines.push_str(&st.to_string());
        lines.push('\n');
    }
    files.push(("xapi.jsonl".to_string(), lines.into_bytes()));
    Ok(files)
}

/// [`write_files`] with these xAPI options.
pub fn write_files_with(
    session: &Session,
    report: &Report,
    dir: &Path,
    class_csv: Option<&Path>,
    options: &ReportOptions,
) -> Result<Written, ReportError> {
    let files = report_files(session, report, options)?;
    std::fs::create_dir_all(dir).map_err(|source| ReportError::Folder { path: dir.to_path_buf(), source })?;
    let mut written = Written {
        json: dir.join("report.json"),
        html: dir.join("report.html"),
        log: dir.join("session-log.json"),
        xapi: dir.join("xapi.jsonl"),
        csv: class_csv.map(Path::to_path_buf).unwrap_or_else(|| dir.join("class.csv")),
        dicom: Vec::new(),
    };
    if options.dicom {
        let d = dir.join("dicom");
        std::fs::create_dir_all(&d).map_err(|source| ReportError::Folder { path: d.clone(), source })?;
    }
    for (name, bytes) in &files {
        let path = dir.join(name);
        write_atomically(&path, bytes)?;
        if name.starts_with("dicom/") {
            written.dicom.push(path);
        }
    }
    let new_file = std::fs::metadata(&written.csv).map(|m| m.len() == 0).unwrap_or(true);
    if !new_file {
        // A class file from an older version has other columns: appending would mix them.
        let first = std::fs::read_to_string(&written.csv)
            .map_err(|source| ReportError::Read { path: written.csv.clone(), source })?
            .lines()
            .next()
            .unwrap_or_default()
            .to_string();
        if first != CSV_HEADER {
            return Err(ReportError::CsvColumns { path: written.csv.clone() });
        }
    }
    // The header and the first row in one write: a class file is never left with a header only.
    let rows = if new_file { format!("{CSV_HEADER}\n{}", csv_row(report)) } else { csv_row(report) };
    append_line(&written.csv, &rows)?;
    Ok(written)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_matches_the_standard_alphabet() {
        assert_eq!(base64(b""), "");
        assert_eq!(base64(b"f"), "Zg==");
        assert_eq!(base64(b"fo"), "Zm8=");
        assert_eq!(base64(b"foo"), "Zm9v");
        assert_eq!(base64(b"foobar"), "Zm9vYmFy");
    }

    #[test]
    fn trainee_text_is_escaped() {
        assert_eq!(html_escape("<script>alert('x')</script>"), "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;");
        assert_eq!(csv_field("Smith, J \"JJ\""), "\"Smith, J \"\"JJ\"\"\"");
        assert_eq!(csv_field("=HYPERLINK(1)"), "'=HYPERLINK(1)");
    }
}
