//! The debrief: score and pass or fail with the rubric, the metrics beside the
//! expert reference's on the same patient, the timeline, the key shots and what to
//! practise next; buttons to save the reports (the same files `fluorohip run`
//! writes), to replay the session step by step, to start a new case, or to quit.
//!
//! Scoring reruns the expert script on the same patient, so it happens off the main
//! thread; the session log is kept under `sessions/` as soon as the debrief opens.

use std::path::PathBuf;

use bevy::asset::RenderAssetUsages;
use bevy::input::mouse::AccumulatedMouseScroll;
use bevy::prelude::*;
use bevy::render::render_resource::{Extent3d, TextureDimension, TextureFormat};
use bevy::tasks::{AsyncComputeTaskPool, Task, futures::check_ready};
use bevy::ui::RelativeCursorPosition;
use glam::DVec3;

use super::sim::Sim;
use super::ui::{self, BAD, DIM, GOOD, WARN};
use super::{AppOptions, AppState};
use crate::sim::assessment::export::key_shots;
use crate::sim::assessment::{self, Metrics, Report};
use crate::sim::autosave::Autosave;
use crate::sim::session::Session;

/// The scored session, kept while the debrief and the replay are open.
#[derive(Resource)]
pub struct Finished {
    pub session: Session,
    pub report: Report,
    /// Every needle's path, hub to tip (patient mm): the trainee's and the expert's.
    pub trainee_paths: Vec<Vec<DVec3>>,
    pub expert_paths: Vec<Vec<DVec3>>,
    /// Where the session log was kept, or why it could not be.
    pub kept: Result<PathBuf, String>,
}

type Scored = (Session, Report, Vec<Vec<DVec3>>);

#[derive(Resource, Default)]
struct Scoring {
    task: Option<Task<Scored>>,
    /// The expert reference run a few actions per frame (the browser's one thread).
    slices: Option<ExpertInSlices>,
    kept: Option<Result<PathBuf, String>>,
}

/// The trainee's session and the expert's on the same patient, the expert's still going.
struct ExpertInSlices {
    session: Session,
    expert: Session,
    actions: std::collections::VecDeque<crate::sim::session::Action>,
}

impl ExpertInSlices {
    /// Apply the expert's actions for about `budget_ms`, a shot's projection a slice at a
    /// time; true once all are done.
    fn step(&mut self, budget_ms: f64) -> bool {
        use crate::sim::session::Action;
        let t = bevy::platform::time::Instant::now();
        while let Some(a) = self.actions.front() {
            if t.elapsed().as_secs_f64() * 1000.0 >= budget_ms {
                return false;
            }
            let shots = matches!(
                a,
                Action::Fluoro { .. }
                    | Action::InjectUnderFluoro { .. }
                    | Action::AdvanceUntil { image_every_mm: Some(_), .. }
            );
            if shots && !self.expert.prepare_shot(4) {
                continue;
            }
            let a = self.actions.pop_front().expect("looked at above");
            self.expert.apply(a).expect("shipped expert scripts are valid (tested)");
        }
        true
    }
}

#[derive(Component, Clone, Copy, PartialEq)]
enum Press {
    Save,
    /// After a failed save: save in the other folder offered beside it (`another_folder`).
    SaveElsewhere,
    Records,
    Replay,
    NewCase,
    Quit,
}

#[derive(Component)]
struct SaveStatus;
/// The row offering another folder.
#[derive(Component)]
struct ElsewhereRow;

/// Save the reports, as the Save button does (demo mode sends it).
#[derive(Message)]
pub struct PressSave;
#[derive(Component)]
struct Waiting;
#[derive(Component)]
pub struct Scrollable;

pub fn plugin(app: &mut App) {
    app.init_resource::<Scoring>()
        .add_message::<PressSave>()
        .add_systems(OnEnter(AppState::Debrief), spawn_waiting)
        .add_systems(Update, (score, presses, scroll).run_if(in_state(AppState::Debrief)));
}

/// Every needle a session used, as paths.
pub fn needle_paths(session: &Session) -> Vec<Vec<DVec3>> {
    session.needles().map(|n| n.drawn_path().points).filter(|p| p.len() >= 2).collect()
}

fn spawn_waiting(mut commands: Commands, finished: Option<Res<Finished>>) {
    if finished.is_some() {
        return;
    }
    commands.spawn((
        Waiting,
        DespawnOnExit(AppState::Debrief),
        ui::page(),
        children![ui::text("Scoring the session against the expert reference on the same patient...", 20.0)],
    ));
}

/// Wait for the last action, keep the log, score off-thread, then build the page.
fn score(
    mut commands: Commands,
    mut sim: ResMut<Sim>,
    mut scoring: ResMut<Scoring>,
    finished: Option<Res<Finished>>,
    options: Res<AppOptions>,
    waiting: Query<Entity, With<Waiting>>,
    pages: Query<(), With<DebriefPage>>,
    mut images: ResMut<Assets<Image>>,
    time: Res<Time>,
) {
    if let Some(f) = &finished {
        if pages.is_empty() {
            build_page(&mut commands, f, &mut images);
        }
        return;
    }
    if let Some(slices) = scoring.slices.as_mut() {
        let t = bevy::platform::time::Instant::now();
        let done = slices.step(sim.slice_left_ms(time.delta_secs_f64() * 1000.0));
        sim.spent_ms += t.elapsed().as_secs_f64() * 1000.0;
        if !done {
            return;
        }
        let ExpertInSlices { session, expert, .. } = scoring.slices.take().expect("looked at above");
        let report = assessment::report_against(&session, &expert);
        let scored = (session, report, needle_paths(&expert));
        finish_scoring(&mut commands, &mut scoring, scored, &waiting);
        return;
    }
    if let Some(task) = scoring.task.as_mut() {
        let Some(scored) = check_ready(task) else { return };
        scoring.task = None;
        finish_scoring(&mut commands, &mut scoring, scored, &waiting);
        return;
    }
    if !sim.idle() {
        return;
    }
    let Some(session) = sim.end() else { return };
    scoring.kept = Some(Autosave::in_dir(&options.data_dir).finish(&session).map_err(|e| e.to_string()));
    if sim.shots_in_slices {
        let expert = Session::new(session.scenario().clone(), session.seed())
            .expect("a session on this case and seed already started");
        let actions = assessment::expert_actions_for(&session).into();
        scoring.slices = Some(ExpertInSlices { session, expert, actions });
        return;
    }
    scoring.task = Some(AsyncComputeTaskPool::get().spawn(async move {
        let expert = assessment::expert_reference_for(&session);
        let report = assessment::report_against(&session, &expert);
        (session, report, needle_paths(&expert))
    }));
}

fn finish_scoring(
    commands: &mut Commands,
    scoring: &mut Scoring,
    scored: Scored,
    waiting: &Query<Entity, With<Waiting>>,
) {
    let (session, report, expert_paths) = scored;
    for e in waiting {
        commands.entity(e).despawn();
    }
    let kept = scoring.kept.take().unwrap_or_else(|| Err("not kept".into()));
    let trainee_paths = needle_paths(&session);
    commands.insert_resource(Finished { session, report, trainee_paths, expert_paths, kept });
}

#[derive(Component)]
pub(super) struct DebriefPage;

fn fmt_opt(v: Option<f64>, unit: &str) -> String {
    v.map(|x| format!("{x:.1} {unit}")).unwrap_or_else(|| "-".into())
}

/// Metrics side by side: (name, trainee, expert).
fn metric_rows(m: &Metrics, e: &Metrics, position: crate::sim::Position) -> Vec<(String, String, String)> {
    let mut rows = vec![
        ("shots".into(), m.shots.to_string(), e.shots.to_string()),
        ("fluoroscopy time".into(), format!("{:.1} s", m.fluoro_s), format!("{:.1} s", e.fluoro_s)),
        ("dose-area product".into(), format!("{:.4} Gy.cm2", m.dap_gy_cm2), format!("{:.4} Gy.cm2", e.dap_gy_cm2)),
        ("air kerma".into(), format!("{:.2} mGy", m.air_kerma_mgy), format!("{:.2} mGy", e.air_kerma_mgy)),
        ("skin punctures (22G)".into(), m.needle_passes.to_string(), e.needle_passes.to_string()),
        ("redirections".into(), m.redirections.to_string(), e.redirections.to_string()),
        ("target error".into(), fmt_opt(m.target_error_mm, "mm"), fmt_opt(e.target_error_mm, "mm")),
        ("needle-beam angle".into(), fmt_opt(m.needle_beam_angle_deg, "deg"), fmt_opt(e.needle_beam_angle_deg, "deg")),
    ];
    // The structures at risk of the approach: the femoral bundle in front, the sciatic
    // nerve behind.
    let structures: &[&str] = match position {
        crate::sim::Position::Supine => &["femoral_nerve", "femoral_artery", "femoral_vein"],
        crate::sim::Position::Prone => &["sciatic_nerve", "femoral_nerve"],
    };
    for key in structures.iter().copied() {
        let get = |x: &Metrics| x.closest_mm.get(key).map(|v| format!("{v:.1} mm")).unwrap_or_else(|| "-".into());
        rows.push((format!("closest to {}", key.replace('_', " ")), get(m), get(e)));
    }
    rows.extend([
        (
            "near misses / hits".into(),
            format!("{} / {}", m.near_misses, m.hits),
            format!("{} / {}", e.near_misses, e.hits),
        ),
        (
            "contrast read right".into(),
            m.contrast_read_correct.map(|c| if c { "yes" } else { "no" }).unwrap_or("-").into(),
            e.contrast_read_correct.map(|c| if c { "yes" } else { "no" }).unwrap_or("-").into(),
        ),
        ("steps missing".into(), m.steps_missing.len().to_string(), e.steps_missing.len().to_string()),
        ("steps out of order".into(), m.steps_out_of_order.to_string(), e.steps_out_of_order.to_string()),
        ("drug in the joint".into(), format!("{:.1} ml", m.joint_drug_ml), format!("{:.1} ml", e.joint_drug_ml)),
        ("relief after rest".into(), fmt_opt(m.relief_pct, "%"), fmt_opt(e.relief_pct, "%")),
        (
            "reading right".into(),
            m.reading_correct.map(|c| if c { "yes" } else { "no" }).unwrap_or("-").into(),
            e.reading_correct.map(|c| if c { "yes" } else { "no" }).unwrap_or("-").into(),
        ),
        ("time".into(), format!("{:.1} min", m.total_time_s / 60.0), format!("{:.1} min", e.total_time_s / 60.0)),
    ]);
    rows
}

fn gray_image(gray: &[u8], n: usize) -> Image {
    let mut data = Vec::with_capacity(n * n * 4);
    for g in gray {
        data.extend_from_slice(&[*g, *g, *g, 255]);
    }
    Image::new(
        Extent3d { width: n as u32, height: n as u32, depth_or_array_layers: 1 },
        TextureDimension::D2,
        data,
        TextureFormat::Rgba8UnormSrgb,
        RenderAssetUsages::default(),
    )
}

/// Height of the "Practise next" box: what is left under the metrics at 720 px.
const PRACTISE_BOX_PX: f32 = 84.0;

fn scroll_box(height: f32) -> impl Bundle {
    (
        Scrollable,
        RelativeCursorPosition::default(),
        ScrollPosition::default(),
        Node {
            flex_direction: FlexDirection::Column,
            height: Val::Px(height),
            overflow: Overflow::scroll_y(),
            ..default()
        },
        BackgroundColor(Color::srgba(0.0, 0.0, 0.0, 0.3)),
    )
}

fn build_page(commands: &mut Commands, f: &Finished, images: &mut Assets<Image>) {
    let r = &f.report;
    let s = &r.score;
    let (verdict, color) = if s.passed { ("PASS", GOOD) } else { ("NOT YET PASSED", BAD) };
    let page = commands.spawn((DebriefPage, DespawnOnExit(AppState::Debrief), ui::page())).id();
    commands.entity(page).with_children(|p| {
        p.spawn(ui::row(16.0)).with_children(|h| {
            h.spawn(ui::text(
                format!(
                    "Debrief: {}\nseed {}   {:?} mode   trainee: {}",
                    r.scenario_title,
                    r.seed,
                    r.mode,
                    if r.trainee.is_empty() { "-" } else { &r.trainee }
                ),
                17.0,
            ));
            h.spawn((
                Node { padding: UiRect::axes(Val::Px(14.0), Val::Px(6.0)), ..default() },
                BackgroundColor(color.with_alpha(0.25)),
                children![ui::colored(
                    format!(
                        "{verdict}   {:.1} / {:.0}   (expert {:.1}; a pass needs every domain passed)",
                        s.total, s.max, s.expert_total
                    ),
                    20.0,
                    color
                )],
            ));
        });
        if !s.critical_errors.is_empty() {
            let list: Vec<String> = s.critical_errors.iter().map(|c| c.label().to_string()).collect();
            p.spawn(ui::colored(format!("Critical errors (fail whatever the score): {}", list.join(", ")), 15.0, BAD));
        }
        p.spawn(ui::row(10.0)).with_children(|row| {
            for d in &s.domains {
                let color = if d.passed { GOOD } else { BAD };
                let why = if d.passed { String::new() } else { format!("\n{}", d.failed_because.join("\n")) };
                row.spawn((
                    Node { padding: UiRect::axes(Val::Px(8.0), Val::Px(4.0)), max_width: Val::Px(240.0), ..default() },
                    BackgroundColor(color.with_alpha(0.18)),
                    children![ui::colored(
                        format!(
                            "{} {}  {:.0}/{:.0}{why}",
                            d.domain.as_str(),
                            if d.passed { "pass" } else { "FAIL" },
                            d.points,
                            d.max_points
                        ),
                        13.0,
                        color
                    )],
                ));
            }
        });
        p.spawn(ui::row(8.0)).with_children(|r| {
            r.spawn(ui::button(Press::Save, "Save reports", 16.0));
            r.spawn(ui::button(Press::Records, "Records: DICOM, LRS...", 16.0));
            r.spawn(ui::button(Press::Replay, "Replay step by step", 16.0));
            r.spawn(ui::button(Press::NewCase, "New case", 16.0));
            // A browser tab is closed by the browser, not by the page.
            if !cfg!(target_arch = "wasm32") {
                r.spawn(ui::button(Press::Quit, "Quit", 16.0));
            }
        });
        let kept = match &f.kept {
            Ok(p) if cfg!(target_arch = "wasm32") => {
                format!("Session log kept in this browser's storage: {}", p.display())
            }
            Ok(p) => format!("Session log kept: {}", p.display()),
            Err(e) => format!("The session log could not be kept: {e}"),
        };
        p.spawn((ui::colored(kept, 12.0, DIM), SaveStatus));
        // Another folder, when the data folder cannot be written (the status line says so, and
        // the session stays here until saved) or the trainee wants the reports at hand.
        // (A browser downloads the reports instead.)
        if !cfg!(target_arch = "wasm32") {
            p.spawn((ElsewhereRow, ui::row(8.0))).with_children(|r| {
                r.spawn(ui::colored("Or:", 14.0, DIM));
                r.spawn(ui::button(Press::SaveElsewhere, format!("Save in {}", another_folder().display()), 14.0));
            });
        }
        p.spawn((ui::colored("", 12.0, DIM), super::records::RecordsStatus));
        p.spawn(Node { align_items: AlignItems::FlexStart, ..ui::row(12.0) }).with_children(|cols| {
            // Rubric.
            cols.spawn(ui::column(Val::Px(430.0), 4.0)).with_children(|c| {
                c.spawn(ui::text("Rubric (points / max): detail", 15.0));
                c.spawn(scroll_box(440.0)).with_children(|b| {
                    for item in &s.items {
                        let c = if item.points >= item.max_points - 1e-9 {
                            GOOD
                        } else if item.points > 0.0 {
                            WARN
                        } else {
                            BAD
                        };
                        b.spawn(ui::colored(
                            format!(
                                "{:>4.1}/{:<3.0} {}: {}\n          {}",
                                item.points, item.max_points, item.group, item.item, item.detail
                            ),
                            11.0,
                            c,
                        ));
                    }
                });
            });
            // Metrics against the expert, then what to practise.
            cols.spawn(ui::column(Val::Px(390.0), 4.0)).with_children(|c| {
                c.spawn(ui::text("Metric                  you        expert", 15.0));
                let mut table = String::new();
                for (name, you, expert) in metric_rows(&r.metrics, &r.expert, f.session.scenario().position) {
                    table += &format!("{name:<22} {you:>12} {expert:>12}\n");
                }
                c.spawn(ui::text(table, 11.5));
                // Ordered by the points lost (critical errors first); a box of its own that
                // scrolls, so a long list never runs off the window.
                c.spawn(ui::text("Practise next (scroll)", 15.0));
                c.spawn(scroll_box(PRACTISE_BOX_PX)).with_children(|b| {
                    for a in &r.practise_next {
                        b.spawn((
                            ui::colored(format!("- {a}"), 12.0, WARN),
                            Node { max_width: Val::Px(380.0), ..default() },
                        ));
                    }
                });
            });
            // Key shots and the timeline.
            cols.spawn(ui::column(Val::Px(390.0), 4.0)).with_children(|c| {
                c.spawn(ui::text("Key shots", 15.0));
                c.spawn(Node { flex_wrap: FlexWrap::Wrap, column_gap: Val::Px(4.0), ..default() }).with_children(|g| {
                    for k in key_shots(&f.session).into_iter().take(4) {
                        let handle = images.add(gray_image(&k.shot.gray, k.shot.pixels));
                        g.spawn(ui::column(Val::Px(92.0), 0.0)).with_children(|cell| {
                            cell.spawn((
                                ImageNode::new(handle),
                                Node { width: Val::Px(90.0), height: Val::Px(90.0), ..default() },
                            ));
                            cell.spawn(ui::colored(format!("#{} {}", k.shot.index, k.label), 10.0, DIM));
                        });
                    }
                });
                c.spawn(ui::text("Timeline", 15.0));
                c.spawn(scroll_box(300.0)).with_children(|b| {
                    for t in &r.timeline {
                        let col = match t.level.as_str() {
                            "critical" => BAD,
                            "warning" => WARN,
                            _ => ui::TEXT_COLOR,
                        };
                        b.spawn(ui::colored(format!("{:>6.0} s  {}", t.time_s, t.what), 11.0, col));
                    }
                });
            });
        });
    });
}

fn presses(
    q: Query<(&Interaction, &Press), Changed<Interaction>>,
    finished: Option<Res<Finished>>,
    options: Res<AppOptions>,
    mut status: Query<(&mut Text, &mut TextColor), With<SaveStatus>>,
    mut next: ResMut<NextState<AppState>>,
    mut exit: MessageWriter<AppExit>,
    mut commands: Commands,
    mut save_asked: MessageReader<PressSave>,
    records: Res<super::records::Records>,
    mut open_records: MessageWriter<super::records::OpenRecords>,
    mut saved: MessageWriter<super::records::Saved>,
) {
    let Some(f) = finished else { return };
    let mut pressed: Vec<Press> = q.iter().filter(|(i, _)| **i == Interaction::Pressed).map(|(_, p)| *p).collect();
    if save_asked.read().count() > 0 {
        pressed.push(Press::Save);
    }
    for p in pressed {
        match p {
            Press::Save | Press::SaveElsewhere => {
                let dir = if p == Press::Save { options.data_dir.clone() } else { another_folder() };
                let (msg, color) = match save(&f, &dir, records.settings.dicom) {
                    Ok(msg) => {
                        // The record store takes what is under the data folder's reports.
                        if p == Press::Save {
                            saved.write(super::records::Saved);
                        }
                        (msg, GOOD)
                    }
                    // Nothing is lost: the session stays here until saved elsewhere.
                    Err(e) => (format!("{e}. The session is kept: save it in another folder below."), BAD),
                };
                info!("debrief: {msg}");
                for (mut t, mut c) in &mut status {
                    ui::set(&mut t, msg.clone());
                    c.0 = color;
                }
            }
            Press::Records => {
                open_records.write(super::records::OpenRecords);
            }
            Press::Replay => next.set(AppState::Replay),
            Press::NewCase => {
                commands.remove_resource::<Finished>();
                next.set(AppState::Chooser);
            }
            Press::Quit => {
                exit.write(AppExit::Success);
            }
        }
    }
}

/// A folder to offer when the data folder cannot be written: `fluorohip-reports` in the
/// user's home (or the working folder).
fn another_folder() -> PathBuf {
    let home = std::env::var_os("HOME").or_else(|| std::env::var_os("USERPROFILE")).filter(|h| !h.is_empty());
    home.map(PathBuf::from).unwrap_or_default().join("fluorohip-reports")
}

/// In a browser: the reports are downloads.
#[cfg(target_arch = "wasm32")]
pub fn save(f: &Finished, _data_dir: &std::path::Path, dicom: bool) -> Result<String, String> {
    super::web::save(f, dicom)
}

/// Write the reports into a new folder under the data folder; say where, or why not.
#[cfg(not(target_arch = "wasm32"))]
pub fn save(f: &Finished, data_dir: &std::path::Path, dicom: bool) -> Result<String, String> {
    use crate::sim::assessment::export::{ReportOptions, write_files_with};
    use crate::sim::autosave::report_dir;
    let dir = report_dir(data_dir, &f.session);
    let class = data_dir.join("reports").join("class.csv");
    let options = ReportOptions::from_env().map_err(|e| format!("NOT SAVED: {e}"))?;
    let options = ReportOptions { dicom, ..options };
    match write_files_with(&f.session, &f.report, &dir, Some(&class), &options) {
        Ok(w) => Ok(format!(
            "Saved {} (report.html, report.json, session-log.json, xapi.jsonl{}); class row in {}",
            dir.display(),
            if w.dicom.is_empty() { String::new() } else { format!(", {} DICOM key shots", w.dicom.len()) },
            w.csv.display()
        )),
        Err(e) => Err(format!("NOT SAVED: {e}")),
    }
}

/// The mouse wheel scrolls the list under the pointer.
fn scroll(
    wheel: Res<AccumulatedMouseScroll>,
    mut q: Query<(&RelativeCursorPosition, &mut ScrollPosition), With<Scrollable>>,
) {
    if wheel.delta.y == 0.0 {
        return;
    }
    for (cursor, mut pos) in &mut q {
        if cursor.cursor_over() {
            pos.y = (pos.y - wheel.delta.y * 24.0).max(0.0);
        }
    }
}
