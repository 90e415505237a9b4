//! Where a saved session goes besides its folder (the debrief's *Records* panel): the key
//! shots as a DICOM series too, and the learning records to a Learning Record Store
//! (docs/ASSESSMENT.md). The choices live in the data folder's `settings.json`
//! (`sim::settings`); the store's password only in memory, asked once per run (or taken
//! from `FLUOROHIP_LRS_PASSWORD`).
//!
//! After every save the statements of every session under `reports/` that the store is not
//! noted as holding are sent, off the main thread: a session whose send failed stays queued
//! in its folder and goes with the next save (or `fluorohip send-xapi`), never twice.

use bevy::prelude::*;
use bevy::tasks::{AsyncComputeTaskPool, Task, futures::check_ready};

use super::ui::{self, BAD, DIM, GOOD, WARN};
use super::{AppOptions, AppState};
use crate::sim::settings::{LrsSettings, Settings};

/// The settings in use, and the last send.
#[derive(Resource, Default)]
pub struct Records {
    pub settings: Settings,
    /// Why the saved settings could not be read: the defaults are used, and the file is left
    /// as it is until new settings are saved from the panel.
    problem: Option<String>,
    /// The store's password for this run only.
    password: Option<String>,
    task: Option<Task<Result<String, String>>>,
    status: Option<(String, Color)>,
    loaded: Option<std::path::PathBuf>,
}

/// Ask for the panel (the debrief's *Records* button).
#[derive(Message)]
pub struct OpenRecords;

/// The reports were saved: send what the store does not hold yet.
#[derive(Message)]
pub struct Saved;

/// The line under the debrief's buttons that says what was sent.
#[derive(Component)]
pub struct RecordsStatus;

#[derive(Component)]
struct Panel;
#[derive(Component)]
struct PanelProblem;
#[derive(Component, Clone, Copy, PartialEq)]
enum Pick {
    Dicom,
    Done,
    Cancel,
}
#[derive(Component)]
struct EndpointField;
#[derive(Component)]
struct UserField;
#[derive(Component)]
struct PasswordField;

/// The asterisks shown for the password's characters.
#[derive(Component)]
struct PasswordMask;

pub fn plugin(app: &mut App) {
    app.init_resource::<Records>()
        .add_message::<OpenRecords>()
        .add_message::<Saved>()
        .add_systems(OnEnter(AppState::Debrief), load)
        .add_systems(
            Update,
            (open_panel, panel_clicks, send_after_save, poll_send, show_status, mask_password)
                .run_if(in_state(AppState::Debrief)),
        );
}

/// One asterisk per character typed into the password field.
fn mask_password(
    field: Query<(&bevy::text::EditableText, &Children), With<PasswordField>>,
    mut mask: Query<&mut Text, With<PasswordMask>>,
) {
    for (f, children) in &field {
        let stars = "*".repeat(f.value().to_string().chars().count());
        for c in children.iter() {
            if let Ok(mut t) = mask.get_mut(c) {
                ui::set(&mut t, stars.clone());
            }
        }
    }
}

/// The saved settings, read each time a debrief opens (another window may have changed them).
fn load(mut records: ResMut<Records>, options: Res<AppOptions>) {
    match Settings::load(&options.data_dir) {
        Ok(s) => {
            records.settings = s;
            records.problem = None;
        }
        Err(e) => {
            records.settings = Settings::default();
            records.problem = Some(format!("the saved settings are not used: {e}"));
        }
    }
    records.loaded = Some(options.data_dir.clone());
    if let Some(p) = records.problem.clone() {
        records.status = Some((p, BAD));
    }
}

fn open_panel(
    mut asked: MessageReader<OpenRecords>,
    records: Res<Records>,
    panels: Query<(), With<Panel>>,
    page: Query<Entity, With<super::debrief::DebriefPage>>,
    mut commands: Commands,
) {
    if asked.read().count() == 0 || !panels.is_empty() {
        return;
    }
    // A child of the debrief page, drawn and picked over it: as a root of its own it is
    // drawn on top but clicks on its text fields reach the page.
    let Ok(page) = page.single() else { return };
    let s = &records.settings;
    let (endpoint, user) = s.lrs.as_ref().map(|l| (l.endpoint.as_str(), l.user.as_str())).unwrap_or(("", ""));
    let panel = commands
        .spawn((
            Panel,
            ZIndex(10),
            Node {
                position_type: PositionType::Absolute,
                left: Val::Px(180.0),
                top: Val::Px(120.0),
                width: Val::Px(900.0),
                flex_direction: FlexDirection::Column,
                row_gap: Val::Px(10.0),
                padding: UiRect::all(Val::Px(16.0)),
                border: UiRect::all(Val::Px(2.0)),
                ..default()
            },
            BackgroundColor(ui::PAGE),
            BorderColor::all(Color::srgb(0.45, 0.5, 0.6)),
            // Tab moves from field to field, as in the chooser.
            bevy::input_focus::tab_navigation::TabGroup::new(1),
        ))
        .with_children(|p| {
            p.spawn(ui::text("Records: what Save reports also does", 20.0));
            p.spawn(ui::row(10.0)).with_children(|r| {
                let mut b = r.spawn(ui::button(Pick::Dicom, "Save the key shots as DICOM too", 15.0));
                if s.dicom {
                    b.insert(ui::Selected);
                }
                r.spawn(ui::colored(
                    "a Secondary Capture series (synthetic data) in dicom/ beside the reports",
                    13.0,
                    DIM,
                ));
            });
            if cfg!(target_arch = "wasm32") {
                p.spawn(ui::colored(
                    "Sending to a learning record store works from the desktop app. Here, Save downloads \
                     xapi.jsonl: send it with fluorohip send-xapi.",
                    14.0,
                    DIM,
                ));
            } else {
                p.spawn(ui::text("Learning record store (optional): each saved session's xAPI statements", 16.0));
                p.spawn(ui::row(10.0)).with_children(|r| {
                    r.spawn(ui::text("xAPI endpoint", 15.0));
                    r.spawn((
                        EndpointField,
                        super::chooser::field(endpoint, 40.0),
                        bevy::input_focus::tab_navigation::TabIndex(0),
                        bevy::input_focus::AutoFocus,
                    ));
                });
                p.spawn(ui::row(10.0)).with_children(|r| {
                    r.spawn(ui::text("user (key)", 15.0));
                    r.spawn((
                        UserField,
                        super::chooser::field(user, 18.0),
                        bevy::input_focus::tab_navigation::TabIndex(1),
                    ));
                    r.spawn(ui::text("password", 15.0));
                    // Typed characters are drawn transparent; a row of asterisks over the
                    // field shows how many there are, so a projector never shows the password.
                    r.spawn((
                        PasswordField,
                        super::chooser::field("", 18.0),
                        TextColor(Color::NONE),
                        bevy::input_focus::tab_navigation::TabIndex(2),
                    ))
                    .with_child((
                        PasswordMask,
                        Node {
                            position_type: PositionType::Absolute,
                            left: Val::Px(8.0),
                            top: Val::Px(3.0),
                            ..default()
                        },
                        ui::text("", 16.0),
                        Pickable::IGNORE,
                    ));
                });
                let password = if records.password.is_some() {
                    "A password was given in this run; type another to replace it."
                } else if std::env::var_os("FLUOROHIP_LRS_PASSWORD").is_some() {
                    "The password comes from FLUOROHIP_LRS_PASSWORD unless you type one."
                } else {
                    "The password is kept only until the window closes, never written."
                };
                p.spawn(ui::colored(
                    format!(
                        "{password} The endpoint and user are kept in {}. Leave the endpoint empty to send nothing.",
                        Settings::path(records.loaded.as_deref().unwrap_or(std::path::Path::new("."))).display()
                    ),
                    13.0,
                    DIM,
                ));
            }
            p.spawn((ui::colored(records.problem.clone().unwrap_or_default(), 14.0, BAD), PanelProblem));
            p.spawn(ui::row(10.0)).with_children(|r| {
                r.spawn(ui::button(Pick::Done, "Keep these settings", 16.0));
                r.spawn(ui::button(Pick::Cancel, "Cancel", 16.0));
            });
        })
        .id();
    commands.entity(page).add_child(panel);
}

fn value<F: bevy::ecs::query::QueryFilter>(q: &Query<&bevy::text::EditableText, F>) -> Option<String> {
    q.iter().next().map(|t| t.value().to_string().trim().to_string())
}

fn panel_clicks(
    q: Query<(&Interaction, &Pick, Entity, Has<ui::Selected>), Changed<Interaction>>,
    toggles: Query<(&Pick, Has<ui::Selected>)>,
    mut records: ResMut<Records>,
    options: Res<AppOptions>,
    endpoint: Query<&bevy::text::EditableText, (With<EndpointField>, Without<UserField>, Without<PasswordField>)>,
    user: Query<&bevy::text::EditableText, (With<UserField>, Without<EndpointField>, Without<PasswordField>)>,
    password: Query<&bevy::text::EditableText, (With<PasswordField>, Without<EndpointField>, Without<UserField>)>,
    panels: Query<Entity, With<Panel>>,
    mut problem: Query<&mut Text, With<PanelProblem>>,
    mut commands: Commands,
) {
    for (i, pick, e, on) in &q {
        if *i != Interaction::Pressed {
            continue;
        }
        match pick {
            Pick::Dicom => {
                if on {
                    commands.entity(e).remove::<ui::Selected>();
                } else {
                    commands.entity(e).insert(ui::Selected);
                }
            }
            Pick::Cancel => {
                for p in &panels {
                    commands.entity(p).despawn();
                }
            }
            Pick::Done => {
                let mut s = records.settings.clone();
                // The toggle's state is its button's.
                s.dicom = toggles.iter().any(|(p, on)| *p == Pick::Dicom && on);
                if let (Some(endpoint), Some(user)) = (value(&endpoint), value(&user)) {
                    s.lrs = (!endpoint.is_empty()).then_some(LrsSettings { endpoint, user });
                }
                // Checked as a file from outside would be, before anything is written.
                let text = serde_json::to_string_pretty(&s).expect("settings serialise");
                let checked = Settings::parse(&text, &Settings::path(&options.data_dir)).map_err(|e| e.to_string());
                let saved = checked.and_then(|s| s.save(&options.data_dir).map(|_| s).map_err(|e| e.to_string()));
                match saved {
                    Ok(s) => {
                        records.settings = s;
                        records.problem = None;
                        if let Some(pw) = value(&password).filter(|p| !p.is_empty()) {
                            records.password = Some(pw);
                        }
                        records.status = Some((summary(&records), DIM));
                        for p in &panels {
                            commands.entity(p).despawn();
                        }
                    }
                    Err(e) => {
                        for mut t in &mut problem {
                            ui::set(&mut t, format!("Not kept: {e}"));
                        }
                    }
                }
            }
        }
    }
}

/// What Save reports will do, in a line.
fn summary(r: &Records) -> String {
    let dicom = if r.settings.dicom { "reports and DICOM key shots" } else { "reports (no DICOM)" };
    match &r.settings.lrs {
        Some(l) if cfg!(not(target_arch = "wasm32")) => {
            format!("Save writes the {dicom} and sends the learning records to {} as {}.", l.endpoint, l.user)
        }
        _ => format!("Save writes the {dicom}; no learning record store is set."),
    }
}

/// After a save: send every saved session the store does not hold yet (desktop only).
fn send_after_save(mut saved: MessageReader<Saved>, mut records: ResMut<Records>, options: Res<AppOptions>) {
    if saved.read().count() == 0 {
        return;
    }
    let Some(lrs) = records.settings.lrs.clone() else { return };
    if cfg!(target_arch = "wasm32") {
        return;
    }
    if records.task.is_some() {
        records.status = Some(("Still sending the last save; this one goes with the next.".into(), WARN));
        return;
    }
    let password = records.password.clone().or_else(|| std::env::var("FLUOROHIP_LRS_PASSWORD").ok());
    let Some(password) = password else {
        records.status = Some((
            format!(
                "Learning records NOT SENT: give the password of {} under Records. The session stays queued \
                 in its folder and goes with the next save.",
                lrs.endpoint
            ),
            WARN,
        ));
        return;
    };
    let reports = options.data_dir.join("reports");
    records.status = Some((format!("Sending the learning records to {}...", lrs.endpoint), DIM));
    records.task = Some(AsyncComputeTaskPool::get().spawn(async move { send(&reports, &lrs, &password) }));
}

#[cfg(not(target_arch = "wasm32"))]
fn send(reports: &std::path::Path, lrs: &LrsSettings, password: &str) -> Result<String, String> {
    use crate::sim::assessment::lrs::{self, DEFAULT_BATCH, Lrs};
    let store = Lrs::new(&lrs.endpoint, &lrs.user, password).map_err(|e| e.to_string())?;
    let s =
        lrs::send(&[reports.to_path_buf()], &store, DEFAULT_BATCH, false, &mut |_| {}).map_err(|e| e.to_string())?;
    let plural = |n: usize| if n == 1 { "" } else { "s" };
    Ok(format!(
        "Learning records sent to {}: {} session{} ({} statements); {} already there{}.",
        store.statements_url(),
        s.sessions_sent,
        plural(s.sessions_sent),
        s.statements_sent,
        s.already_sent,
        match s.copies {
            0 => String::new(),
            n => format!(", {n} copy of one sent (saved twice)"),
        }
    ))
}

#[cfg(target_arch = "wasm32")]
fn send(_: &std::path::Path, _: &LrsSettings, _: &str) -> Result<String, String> {
    Err("a browser page cannot send to a learning record store".into())
}

fn poll_send(mut records: ResMut<Records>) {
    let Some(task) = records.task.as_mut() else { return };
    let Some(result) = check_ready(task) else { return };
    records.task = None;
    records.status = Some(match result {
        Ok(msg) => (msg, GOOD),
        Err(e) => (
            format!(
                "Learning records NOT SENT: {e}. The sessions stay queued in the reports folder and go with \
                 the next save (or: fluorohip send-xapi)."
            ),
            BAD,
        ),
    });
}

fn show_status(records: Res<Records>, mut q: Query<(&mut Text, &mut TextColor), With<RecordsStatus>>) {
    if !records.is_changed() {
        return;
    }
    let (text, color) = records.status.clone().unwrap_or_else(|| (summary(&records), DIM));
    for (mut t, mut c) in &mut q {
        ui::set(&mut t, text.clone());
        if c.0 != color {
            c.0 = color;
        }
    }
}
