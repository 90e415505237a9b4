//! The app in a browser (wasm32, web/build.sh): what the page's address asks for, reports
//! as downloads, and a page title that names the screen (and, on the debrief, the verdict)
//! so a test or an instructor's tab bar can read where a session is.
//!
//! Everything else is the desktop app: the autosave goes to the page's local storage
//! through `sim::files::store`.

use std::cell::RefCell;
use std::path::PathBuf;

use bevy::prelude::*;
use wasm_bindgen::JsCast;

use super::debrief::Finished;
use super::{AppOptions, AppState, Demo};
use crate::sim::Scenario;
use crate::sim::validity::SCRIPTS;

/// The page's `?name=value` parameters.
fn query() -> Option<web_sys::UrlSearchParams> {
    let search = web_sys::window()?.location().search().ok()?;
    web_sys::UrlSearchParams::new_with_str(&search).ok()
}

/// A shipped script by the name the page's address uses: `expert` for the expert's
/// anterior approach, else a script's own name (`novice_femoral_artery`...).
pub fn shipped_script(name: &str) -> Option<(&'static str, &'static str)> {
    let name = if name == "expert" { "expert_anterior" } else { name };
    SCRIPTS.iter().find(|s| s.name == name).map(|s| (s.name, s.text))
}

/// The window's options from the page's address: `?scenario=`, `?seed=`, `?trainee=`,
/// `?mode=`, and `?demo=expert` (or any shipped script's name) to play that script from
/// the chooser to the debrief. What cannot be used is reported in the log and ignored.
pub fn options() -> AppOptions {
    let q = query();
    let get = |k: &str| q.as_ref().and_then(|q| q.get(k)).filter(|v| !v.is_empty());
    // The shipped routine case, as on the desktop (its description and objectives with it).
    let mut scenario = Scenario::find("routine_anterior").unwrap_or_default();
    let mut demo = None;
    if let Some(name) = get("demo") {
        match shipped_script(&name) {
            Some((script, text)) => {
                match crate::sim::script::parse_actions(text, std::path::Path::new(&format!("{script}.ron"))) {
                    Ok(actions) => {
                        // The script's own case: the prone one has its own.
                        if let Some(spec) = SCRIPTS.iter().find(|s| s.name == script)
                            && let Some(case) = spec.cases.first()
                            && let Ok(s) = Scenario::find(case)
                        {
                            scenario = s;
                        }
                        demo = Some(Demo {
                            actions,
                            screenshot: PathBuf::from("debrief"),
                            // Each stays a few seconds: the chooser, the end of the
                            // procedure (the last image on the monitor), the debrief.
                            scene_screenshot: Some(PathBuf::from("procedure")),
                            chooser_screenshot: Some(PathBuf::from("chooser")),
                            finish: true,
                            debrief_screenshot: None,
                            replay: false,
                            on_page: true,
                        });
                    }
                    Err(e) => error!("demo {name}: {e}"),
                }
            }
            None => error!("demo {name}: no shipped script has that name"),
        }
    }
    if let Some(name) = get("scenario") {
        match Scenario::find(&name) {
            Ok(s) => scenario = s,
            Err(e) => error!("scenario {name}: {e}"),
        }
    }
    if let Some(mode) = get("mode") {
        match mode.as_str() {
            "learning" => scenario.mode = crate::sim::Mode::Learning,
            "assessment" => scenario.mode = crate::sim::Mode::Assessment,
            _ => error!("mode {mode}: use learning or assessment"),
        }
    }
    let seed = get("seed").and_then(|s| s.parse().ok());
    let trainee = get("trainee").unwrap_or_else(|| if demo.is_some() { "demo".into() } else { String::new() });
    AppOptions { scenario, seed, trainee, data_dir: PathBuf::from("fluorohip"), resume: None, demo }
}

/// Offer `bytes` to the browser as a download named `name`.
pub fn download(name: &str, bytes: &[u8], mime: &str) -> Result<(), String> {
    let js = |e: wasm_bindgen::JsValue| format!("{e:?}");
    let window = web_sys::window().ok_or("no browser window")?;
    let document = window.document().ok_or("no document")?;
    let parts = js_sys::Array::new();
    parts.push(&js_sys::Uint8Array::from(bytes));
    let options = web_sys::BlobPropertyBag::new();
    options.set_type(mime);
    let blob = web_sys::Blob::new_with_u8_array_sequence_and_options(&parts, &options).map_err(js)?;
    let url = web_sys::Url::create_object_url_with_blob(&blob).map_err(js)?;
    let a: web_sys::HtmlAnchorElement = document.create_element("a").map_err(js)?.dyn_into().map_err(|_| "no link")?;
    a.set_href(&url);
    a.set_download(name);
    a.click();
    // The download has its own copy once started; the page keeps no reference.
    let _ = web_sys::Url::revoke_object_url(&url);
    Ok(())
}

/// The debrief's Save in a browser: every report file as a download, named after the
/// session, and the class CSV (its header and this session's row).
pub fn save(f: &Finished, dicom: bool) -> Result<String, String> {
    use crate::sim::assessment::export::{CSV_HEADER, ReportOptions, csv_row, report_files};
    let stem = crate::sim::autosave::session_stem(&f.session);
    let options = ReportOptions { dicom, ..ReportOptions::default() };
    let files = report_files(&f.session, &f.report, &options).map_err(|e| format!("NOT SAVED: {e}"))?;
    let class = format!("{CSV_HEADER}\n{}\n", csv_row(&f.report));
    let mut names = Vec::new();
    for (name, bytes) in files.iter().map(|(n, b)| (n.as_str(), b.as_slice())).chain([("class.csv", class.as_bytes())])
    {
        let mime = match name.rsplit('.').next() {
            Some("html") => "text/html",
            Some("json") => "application/json",
            Some("csv") => "text/csv",
            Some("dcm") => "application/dicom",
            _ => "application/octet-stream",
        };
        let file = format!("{stem}-{}", name.replace('/', "-"));
        if let Err(e) = download(&file, bytes, mime) {
            return Err(format!("NOT SAVED: {file}: {e}"));
        }
        names.push(file);
    }
    Ok(format!("Downloaded {} (your browser may ask once to allow several files)", names.join(", ")))
}

/// The page title names the screen, and on the debrief the verdict:
/// `fluorohip: debrief: PASS - NOT FOR CLINICAL USE`.
pub fn page_title(state: Res<State<AppState>>, finished: Option<Res<Finished>>, mut shown: Local<String>) {
    let screen = match state.get() {
        AppState::Notice => "notice".to_string(),
        AppState::Chooser => "chooser".to_string(),
        AppState::Procedure => "procedure".to_string(),
        AppState::Debrief => match &finished {
            Some(f) => format!("debrief: {}", if f.report.score.passed { "PASS" } else { "NOT PASSED" }),
            None => "debrief: scoring".to_string(),
        },
        AppState::Replay => "replay".to_string(),
    };
    let title = format!("fluorohip: {screen} - NOT FOR CLINICAL USE");
    if *shown != title
        && let Some(document) = web_sys::window().and_then(|w| w.document())
    {
        document.set_title(&title);
        *shown = title;
    }
}

thread_local! {
    /// A file the trainee picked, once the browser has read it: its name and text.
    static OPENED: RefCell<Option<Result<(String, String), String>>> = const { RefCell::new(None) };
}

/// Ask the browser for a case (.ron) or session log (.json); [`take_opened`] has it
/// once read. Called on a button press (browsers open pickers only on a person's action).
pub fn pick_file() -> Result<(), String> {
    let document = web_sys::window().and_then(|w| w.document()).ok_or("no document")?;
    let input: web_sys::HtmlInputElement =
        document.create_element("input").map_err(|e| format!("{e:?}"))?.dyn_into().map_err(|_| "no file input")?;
    input.set_type("file");
    input.set_accept(".ron,.json");
    let picked = input.clone();
    let on_change = wasm_bindgen::closure::Closure::once_into_js(move || {
        let Some(file) = picked.files().and_then(|f| f.get(0)) else { return };
        let name = file.name();
        wasm_bindgen_futures::spawn_local(async move {
            let read = wasm_bindgen_futures::JsFuture::from(file.text()).await;
            let result = match read {
                Ok(text) => Ok((name, text.as_string().unwrap_or_default())),
                Err(e) => Err(format!("{name} could not be read: {e:?}")),
            };
            OPENED.with(|o| *o.borrow_mut() = Some(result));
        });
    });
    input.set_onchange(Some(on_change.unchecked_ref()));
    input.click();
    Ok(())
}

/// The file picked and read since the last call, if any.
pub fn take_opened() -> Option<Result<(String, String), String>> {
    OPENED.with(|o| o.borrow_mut().take())
}
