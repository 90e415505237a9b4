//! Command-line front end. Every output carries the not-for-clinical-use notice.

mod atlas;
mod send_xapi;
mod shoot;
mod training;

use std::path::PathBuf;

use clap::{Parser, Subcommand};
use fluorohip::DISCLAIMER;
use fluorohip::sim::Scenario;
use fluorohip::sim::anatomy::{LandmarkName, Patient, PatientSummary};
use fluorohip::sim::assessment::export::ReportOptions;
use fluorohip::sim::assessment::xapi::XapiOptions;
use glam::DVec3;

#[derive(Parser, Debug)]
#[command(
    name = "fluorohip",
    version,
    about = "Teaching simulator for fluoroscopically guided hip joint injection on synthetic patients. NOT FOR CLINICAL USE.",
    after_help = "NOT FOR CLINICAL USE: synthetic patients, approximate physics, for education only."
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Print a synthetic patient: parameters, landmarks, depths and distances to structures at risk.
    Patient {
        /// Seed of the synthetic patient (the same seed gives the same patient everywhere).
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// One JSON object instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Take one fluoroscopy shot and write it as a PNG; prints the dose and what the image shows as JSON.
    Shoot(Box<shoot::ShootArgs>),
    /// Write a teaching atlas of the contrast patterns for one synthetic patient: an HTML page
    /// with every pattern during the push, at its end and 2 s later (images beside it).
    Atlas(Box<atlas::AtlasArgs>),
    /// List the shipped teaching cases.
    Scenarios {
        #[arg(long)]
        json: bool,
    },
    /// Play a scripted session and write its reports (JSON, HTML, log, xAPI, class CSV row).
    Run {
        /// A shipped case's name or a scenario file (.ron).
        #[arg(long)]
        scenario: String,
        /// The action script (.ron or .json).
        #[arg(long)]
        actions: PathBuf,
        /// Folder for the reports.
        #[arg(long)]
        report: PathBuf,
        /// Patient seed (default: the scenario's).
        #[arg(long)]
        seed: Option<u64>,
        /// Trainee name or ID for the report.
        #[arg(long, default_value = "")]
        trainee: String,
        /// Class CSV to append this session's row to (default: REPORT/class.csv).
        #[arg(long)]
        class_csv: Option<PathBuf>,
        /// The trainees' account home page in the xAPI statements (an http(s) URL, e.g. your LMS).
        #[arg(long, env = "FLUOROHIP_XAPI_HOME_PAGE", default_value = fluorohip::sim::assessment::xapi::DEFAULT_HOME_PAGE)]
        xapi_home_page: String,
        /// Also write the key shots as one DICOM series in REPORT/dicom/ (Secondary Capture, synthetic).
        #[arg(long)]
        dicom: bool,
        /// Print the result as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Replay a saved session log; with --report, write its reports again (identical report.json).
    Replay {
        /// A session-log.json written by `run` or the app.
        log: PathBuf,
        #[arg(long)]
        report: Option<PathBuf>,
        #[arg(long)]
        class_csv: Option<PathBuf>,
        /// The trainees' account home page in the xAPI statements (an http(s) URL, e.g. your LMS).
        #[arg(long, env = "FLUOROHIP_XAPI_HOME_PAGE", default_value = fluorohip::sim::assessment::xapi::DEFAULT_HOME_PAGE)]
        xapi_home_page: String,
        /// Also write the key shots as one DICOM series in REPORT/dicom/ (Secondary Capture, synthetic).
        #[arg(long)]
        dicom: bool,
    },
    /// Open the 3D training window (what `fluorohip` with no command does): the notice,
    /// then the case chooser with these choices filled in.
    #[cfg(feature = "gui")]
    Open {
        /// A shipped case's name or a scenario file (.ron), chosen first in the chooser.
        #[arg(long, default_value = "routine_anterior")]
        scenario: String,
        #[arg(long)]
        seed: Option<u64>,
        #[arg(long, default_value = "")]
        trainee: String,
        /// learning or assessment (else the case's own).
        #[arg(long, value_parser = parse_mode)]
        mode: Option<fluorohip::sim::Mode>,
        /// Resume a session log (an autosave or a kept log) instead of choosing a case.
        #[arg(long)]
        resume: Option<PathBuf>,
        /// Folder for autosaves, kept logs and reports (default: FLUOROHIP_DATA_DIR or the user's data folder).
        #[arg(long)]
        data_dir: Option<PathBuf>,
    },
    /// Play an action script through the real window and save a screenshot of it.
    #[cfg(feature = "gui")]
    Demo {
        #[arg(long, default_value = "routine_anterior")]
        scenario: String,
        #[arg(long)]
        seed: Option<u64>,
        /// The action script (.ron or .json).
        #[arg(long)]
        actions: PathBuf,
        /// Where to save the screenshot of the last screen (PNG).
        #[arg(long)]
        screenshot: PathBuf,
        /// Also save the procedure scene here after the last action.
        #[arg(long)]
        scene_screenshot: Option<PathBuf>,
        /// Show the case chooser first, save it here, then start the case from it.
        #[arg(long)]
        chooser_screenshot: Option<PathBuf>,
        /// After the last action, finish the session and end on the debrief screen.
        #[arg(long)]
        finish: bool,
        /// With --replay: save the debrief here before opening the replay.
        #[arg(long)]
        debrief_screenshot: Option<PathBuf>,
        /// After the debrief, open the replay two thirds of the way through (implies --finish).
        #[arg(long)]
        replay: bool,
        /// Resume this session log first (as `open --resume`), then play the script on.
        #[arg(long)]
        resume: Option<PathBuf>,
        #[arg(long, value_parser = parse_mode)]
        mode: Option<fluorohip::sim::Mode>,
        #[arg(long)]
        data_dir: Option<PathBuf>,
    },
    /// Send the xAPI statements of every session under the folders to a Learning Record
    /// Store; a rerun sends only what the store is not noted as holding.
    SendXapi(Box<send_xapi::SendXapiArgs>),
    /// Re-grade a folder of saved session logs (a whole class) into one CSV.
    Grade {
        /// Folder holding session logs (*.json, or */session-log.json).
        dir: PathBuf,
        /// The CSV to write.
        #[arg(long)]
        csv: PathBuf,
    },
    /// Construct validity: every shipped expert and novice script over N seeds of the
    /// cases it serves, scored; experts should pass, novices fail. Exit 1 if a claim breaks.
    Validity {
        /// Seeds per case (0..N).
        #[arg(long, default_value_t = 20, value_parser = clap::value_parser!(u64).range(1..=100_000))]
        seeds: u64,
        /// Print the rows as JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
}

/// Run the command line; returns the process exit code.
pub fn run() -> i32 {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let code = if e.use_stderr() { 2 } else { 0 };
            let _ = e.print();
            return code;
        }
    };
    match cli.command {
        #[cfg(feature = "gui")]
        None => window(WindowArgs { scenario: "routine_anterior".into(), ..WindowArgs::default() }),
        #[cfg(not(feature = "gui"))]
        None => {
            print_intro();
            0
        }
        #[cfg(feature = "gui")]
        Some(Command::Open { scenario, seed, trainee, mode, resume, data_dir }) => {
            window(WindowArgs { scenario, seed, trainee, mode, resume, data_dir, demo: None })
        }
        #[cfg(feature = "gui")]
        Some(Command::Demo {
            scenario,
            seed,
            actions,
            screenshot,
            scene_screenshot,
            chooser_screenshot,
            finish,
            debrief_screenshot,
            replay,
            resume,
            mode,
            data_dir,
        }) => {
            let (list, _) = match fluorohip::sim::script::load_actions(&actions) {
                Ok(x) => x,
                Err(e) => return fail(e, 2),
            };
            let demo = fluorohip::app::Demo {
                actions: list,
                screenshot,
                scene_screenshot,
                chooser_screenshot,
                finish: finish || replay,
                debrief_screenshot,
                replay,
                on_page: false,
            };
            window(WindowArgs { scenario, seed, trainee: "demo".into(), mode, resume, data_dir, demo: Some(demo) })
        }
        Some(Command::Patient { seed, json }) => patient(seed, json),
        Some(Command::Shoot(args)) => shoot::shoot(&args),
        Some(Command::Atlas(args)) => atlas::atlas(&args),
        Some(Command::Scenarios { json }) => training::scenarios(json),
        Some(Command::Run { scenario, actions, report, seed, trainee, class_csv, xapi_home_page, dicom, json }) => {
            let options = match XapiOptions::with_home_page(&xapi_home_page, "--xapi-home-page") {
                Ok(xapi) => ReportOptions { xapi, dicom },
                Err(e) => return fail(e, 2),
            };
            training::run(&scenario, &actions, seed, &trainee, &report, class_csv.as_deref(), &options, json)
        }
        Some(Command::Replay { log, report, class_csv, xapi_home_page, dicom }) => {
            let options = match XapiOptions::with_home_page(&xapi_home_page, "--xapi-home-page") {
                Ok(xapi) => ReportOptions { xapi, dicom },
                Err(e) => return fail(e, 2),
            };
            training::replay(&log, report.as_deref(), class_csv.as_deref(), &options)
        }
        Some(Command::SendXapi(args)) => send_xapi::send_xapi(&args),
        Some(Command::Grade { dir, csv }) => training::grade(&dir, &csv),
        Some(Command::Validity { seeds, json }) => training::validity(seeds, json),
    }
}

#[cfg(feature = "gui")]
fn parse_mode(s: &str) -> Result<fluorohip::sim::Mode, String> {
    match s {
        "learning" => Ok(fluorohip::sim::Mode::Learning),
        "assessment" => Ok(fluorohip::sim::Mode::Assessment),
        _ => Err(format!("{s:?} is not a mode: use learning or assessment")),
    }
}

#[cfg(feature = "gui")]
#[derive(Default)]
struct WindowArgs {
    scenario: String,
    seed: Option<u64>,
    trainee: String,
    mode: Option<fluorohip::sim::Mode>,
    resume: Option<PathBuf>,
    data_dir: Option<PathBuf>,
    demo: Option<fluorohip::app::Demo>,
}

/// Open the window, or say plainly why it cannot open.
#[cfg(feature = "gui")]
fn window(args: WindowArgs) -> i32 {
    println!("*** {DISCLAIMER} ***");
    let mut scenario = match Scenario::find(&args.scenario) {
        Ok(s) => s,
        Err(e) => return fail(e, 2),
    };
    if let Some(m) = args.mode {
        scenario.mode = m;
    }
    // Say up front when a log to resume cannot be read, rather than in the window (which
    // applies its actions again itself, shots off the main thread).
    if let Some(path) = &args.resume
        && let Err(e) = fluorohip::sim::script::load_log(path)
    {
        return fail(e, 2);
    }
    // Arguments first, so a wrong one is reported whether or not there is a display.
    if let Some(problem) = fluorohip::app::display_problem() {
        eprintln!("fluorohip: {problem}.");
        eprintln!("The headless commands work without a display:");
        eprintln!("  fluorohip patient --seed N        fluorohip shoot --out F.png");
        eprintln!("  fluorohip scenarios               fluorohip run --scenario NAME --actions SCRIPT --report DIR");
        eprintln!("  fluorohip help                    (all commands)");
        return 1;
    }
    let data_dir = args.data_dir.unwrap_or_else(fluorohip::sim::autosave::data_dir);
    println!("Autosaves, session logs and reports go under {}", data_dir.display());
    let options = fluorohip::app::AppOptions {
        scenario,
        seed: args.seed,
        trainee: args.trainee,
        data_dir,
        resume: args.resume,
        demo: args.demo,
    };
    match fluorohip::app::run(options) {
        bevy::app::AppExit::Success => 0,
        bevy::app::AppExit::Error(code) => code.get() as i32,
    }
}

#[cfg_attr(feature = "gui", allow(dead_code))]
fn print_intro() {
    println!(
        "fluorohip {}: fluoroscopically guided hip joint injection, on synthetic patients.",
        env!("CARGO_PKG_VERSION")
    );
    println!();
    println!("*** {DISCLAIMER} ***");
    println!();
    if cfg!(feature = "gui") {
        println!("`fluorohip` with no command opens the 3D training window.");
    } else {
        println!("Built without the `gui` feature: only the headless commands are available.");
    }
    println!();
    println!("Commands:");
    println!("  fluorohip patient --seed N [--json]   print a synthetic patient");
    println!("  fluorohip shoot --seed N --out F.png  take a fluoroscopy shot (needle, contrast, C-arm options)");
    println!("  fluorohip scenarios                   list the teaching cases");
    println!("  fluorohip run --scenario NAME --actions SCRIPT --report DIR");
    println!("                                        play a scripted session and write its reports");
    println!("  fluorohip replay LOG [--report DIR]   replay a saved session");
    println!("  fluorohip grade DIR --csv FILE        re-grade a class's saved sessions");
    println!("  fluorohip send-xapi DIR --lrs URL --user U   send a class's learning records to an LRS");
    println!("  fluorohip help                        all commands and options");
}

fn patient(seed: u64, json: bool) -> i32 {
    let patient = match Patient::generate(seed, &Scenario::default().patient) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("error: {e}");
            return 2;
        }
    };
    let summary = patient.summary();
    if json {
        match serde_json::to_string_pretty(&summary) {
            Ok(s) => println!("{s}"),
            Err(e) => {
                eprintln!("error: cannot write JSON: {e}");
                return 1;
            }
        }
    } else {
        print_patient(&summary);
    }
    0
}

fn print_patient(s: &PatientSummary) {
    let p = &s.params;
    println!("*** {} ***", DISCLAIMER);
    println!();
    println!("Synthetic patient, seed {}", s.seed);
    println!(
        "  sex {:?}, BMI {:.1} kg/m2, skin to capsule {:.0} mm (fat {:.0} mm)",
        p.sex, p.bmi_kg_m2, p.skin_to_capsule_mm, p.subcutaneous_fat_mm
    );
    println!(
        "  femoral head {:.1} mm, neck {:.1} mm long x {:.1} mm, neck-shaft angle {:.1} deg, anteversion {:.1} deg",
        p.femoral_head_diameter_mm,
        p.neck_length_mm,
        p.neck_diameter_mm,
        p.neck_shaft_angle_deg,
        p.femoral_anteversion_deg
    );
    println!(
        "  acetabulum: inclination {:.1} deg, anteversion {:.1} deg; joint space {:.1} mm; anterior recess {:.1} mm",
        p.acetabular_inclination_deg, p.acetabular_anteversion_deg, p.joint_space_width_mm, p.anterior_recess_depth_mm
    );
    println!(
        "  osteoarthritis: Kellgren-Lawrence grade {}{}; iliopsoas bursa {} with the joint",
        p.oa_grade,
        if p.osteophytes { " with osteophytes" } else { "" },
        if p.bursa_communicates { "communicates" } else { "does not communicate" }
    );
    println!();
    println!("Landmarks ({}):", s.coordinates);
    for (name, v) in &s.landmarks {
        println!("  {:<24} {:>8.1} {:>8.1} {:>8.1}", name, v[0], v[1], v[2]);
    }
    println!();
    println!("Standard anterior approach: skin to target {:.1} mm", s.skin_to_target_mm);
    println!("  {:<34} {:>10} {:>14}", "structure at risk", "to target", "to the path");
    for (name, d) in &s.distances_mm {
        println!("  {:<34} {:>7.1} mm {:>11.1} mm", name, d, s.anterior_path_clearance_mm[name]);
    }
}

pub(crate) fn fail(msg: impl std::fmt::Display, code: i32) -> i32 {
    eprintln!("error: {msg}");
    code
}

pub(crate) fn parse_landmark(s: &str) -> Result<LandmarkName, String> {
    LandmarkName::parse(s).ok_or_else(|| {
        let names: Vec<&str> = LandmarkName::ALL.iter().map(|l| l.as_str()).collect();
        format!("unknown landmark `{s}`; one of: {}", names.join(", "))
    })
}

pub(crate) fn parse_xyz(s: &str) -> Result<DVec3, String> {
    let parts: Vec<&str> = s.split(',').collect();
    if parts.len() != 3 {
        return Err(format!("expected three numbers X,Y,Z, got `{s}`"));
    }
    let mut v = [0.0f64; 3];
    for (i, p) in parts.iter().enumerate() {
        v[i] = p.trim().parse().map_err(|_| format!("`{p}` in `{s}` is not a number"))?;
        if !v[i].is_finite() {
            return Err(format!("`{p}` in `{s}` is not finite"));
        }
    }
    Ok(DVec3::from_array(v))
}
