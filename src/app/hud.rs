//! Text on screen: dose counters (always visible), the needle's depth, tip tissue and
//! resistance, recent events as they happen, control hints, and name labels on the
//! structures at risk.

use bevy::prelude::*;
use glam::DVec3;

use super::banner::BANNER_HEIGHT_PX;
use super::fluoro_view::MONITOR_PX;
use super::needle::{Aim, PickMode, PushSettings, aim_readout, fluid_name};
use super::procedure_keys::Answers;
use super::sim::Sim;
use super::ui::{SceneUi, set, text};
use super::{AppState, in_scene, to_world};
use crate::sim::anatomy::LandmarkName;
use crate::sim::injection::Fluid;
use crate::sim::needle::{NeedleEvent, resistance};
use crate::sim::procedure::Step;
use crate::sim::session::{Action, EventKind, UnsafeAct};
use crate::sim::{Mode, Session, assessment, coach};

#[derive(Component)]
struct Counters;
#[derive(Component)]
pub struct NeedleInfo;
#[derive(Component)]
struct EventLog;
/// A name drawn in the 3D view: a structure at risk, or an orientation cue (an offset
/// from the target, patient mm: +x the patient's left, +z the head).
#[derive(Component)]
enum StructureLabel {
    At(LandmarkName),
    Cue(DVec3),
}
/// Room kept for a label's text to the right of its anchor (px).
const LABEL_PX: f32 = 200.0;

/// Every control, always on screen.
pub fn hints() -> String {
    format!(
        "Mouse: right-drag orbit, wheel zoom, click skin = entry | 1/2/3 anterior/lateral/C-arm view | 4-7 skin/fat/muscle/bone, [ ] opacity | monitor: Tab big, Z zoom, 2 clicks measure, Y names\n\
         Needle: arrows/PgUp/PgDn aim, N insert, Up/Down advance/withdraw (Shift 5 mm), R redirect, B bevel, X remove | - + volume, , . rate, L/K/J inject anaesthetic/contrast/drug\n\
         C-arm: A/D RAO/LAO, W/S cranial/caudal, F field, C/V collimate, P pulse rate, M low dose, O polarity | Space: fluoroscopy (tap: one shot, hold: pulsed; hold + L/K/J: live injection)\n{}",
        super::procedure_keys::STEP_HINTS
    )
}

pub fn plugin(app: &mut App) {
    app.add_systems(Startup, spawn).add_systems(Update, (counters, needle_info, event_log, labels).run_if(in_scene));
}

fn panel(top: Val, left: Option<f32>, right: Option<f32>, bottom: Option<f32>, width: f32) -> impl Bundle {
    (
        Node {
            position_type: PositionType::Absolute,
            top,
            left: left.map(Val::Px).unwrap_or(Val::Auto),
            right: right.map(Val::Px).unwrap_or(Val::Auto),
            bottom: bottom.map(Val::Px).unwrap_or(Val::Auto),
            width: Val::Px(width),
            padding: UiRect::all(Val::Px(6.0)),
            flex_direction: FlexDirection::Column,
            row_gap: Val::Px(6.0),
            ..default()
        },
        BackgroundColor(Color::srgba(0.0, 0.0, 0.0, 0.55)),
        SceneUi,
    )
}

fn spawn(mut commands: Commands) {
    // Under the monitor: the counters, then the events (the needle's panel is in the
    // checklist's column, so the two columns grow without overlapping).
    commands.spawn((
        panel(Val::Px(BANNER_HEIGHT_PX + MONITOR_PX + 14.0), None, Some(8.0), None, MONITOR_PX),
        children![
            (Node { height: Val::Px(80.0), ..default() }, text("", 13.0), Counters),
            // Fixed height: new events never push anything else about.
            (
                Node { height: Val::Px(150.0), overflow: Overflow::clip(), ..default() },
                children![(text("", 11.0), EventLog)]
            )
        ],
    ));
    commands.spawn((panel(Val::Auto, Some(8.0), Some(8.0), Some(4.0), 1264.0), children![text(hints(), 11.0)]));
    for l in [
        LandmarkName::FemoralNerve,
        LandmarkName::FemoralArtery,
        LandmarkName::FemoralVein,
        LandmarkName::Lfcn,
        LandmarkName::SciaticNerve,
    ] {
        commands.spawn((
            Node { position_type: PositionType::Absolute, ..default() },
            text(
                if l == LandmarkName::Lfcn {
                    "lateral femoral cutaneous nerve".into()
                } else {
                    l.as_str().replace('_', " ")
                },
                13.0,
            ),
            StructureLabel::At(l),
            SceneUi,
            // A label must not catch the click meant for the skin under it.
            Pickable::IGNORE,
        ));
    }
    // Which way the patient lies, so the 3D view and the monitor can be matched.
    for (name, offset) in [
        ("HEAD", DVec3::new(0.0, 0.0, 230.0)),
        ("FEET", DVec3::new(0.0, 0.0, -230.0)),
        ("patient's LEFT", DVec3::new(170.0, 0.0, 0.0)),
        ("RIGHT", DVec3::new(-120.0, 0.0, 0.0)),
    ] {
        commands.spawn((
            Node { position_type: PositionType::Absolute, ..default() },
            super::ui::colored(name, 13.0, Color::srgb(1.0, 0.85, 0.2)),
            StructureLabel::Cue(offset),
            SceneUi,
            Pickable::IGNORE,
        ));
    }
}

/// Simulated time as minutes:seconds.
fn min_sec(s: f64) -> String {
    let s = s.max(0.0).round() as u64;
    format!("{}:{:02}", s / 60, s % 60)
}

fn counters(sim: Res<Sim>, mut q: Query<&mut Text, With<Counters>>) {
    let Some(s) = sim.session() else { return };
    let f = s.state().fluoroscope;
    let d = f.total;
    let busy = if sim.busy() { "  [exposing...]" } else { "" };
    let clock = format!(
        "Clock {}{}\n",
        min_sec(s.state().clock_s),
        s.scenario().time_limit_min.map(|m| format!(" of {}", min_sec(m * 60.0))).unwrap_or_default()
    );
    for mut t in &mut q {
        let s = clock.clone()
            + &format!(
                "Shots {}   Fluoro {:.1} s{}{}\nDAP {:.4} Gy.cm2   Air kerma {:.2} mGy\n{} {:.0} deg  {} {:.0} deg  field {:.0} cm  iris {:.1}  {:?}{}",
                f.shots,
                d.fluoro_s,
                f.last_kv.map(|kv| format!("   {kv:.0} kV")).unwrap_or_default(),
                busy,
                d.dap_gy_cm2,
                d.air_kerma_mgy,
                if f.pose.lao_deg >= 0.0 { "LAO" } else { "RAO" },
                f.pose.lao_deg.abs(),
                if f.pose.cranial_deg >= 0.0 { "cranial" } else { "caudal" },
                f.pose.cranial_deg.abs(),
                f.settings.field.cm(),
                f.settings.collimation.iris,
                f.settings.pulse_rate,
                if f.settings.low_dose { "  low dose" } else { "" }
            );
        set(&mut t, s);
    }
}

/// Volumes injected so far, per fluid (ml), from the session's events.
pub fn injected_by_fluid(s: &Session) -> [(Fluid, f64); 3] {
    let mut out = [(Fluid::LocalAnaesthetic, 0.0), (Fluid::Contrast, 0.0), (Fluid::DrugMix, 0.0)];
    for e in s.state().events {
        if let EventKind::Injected { fluid, volume_ml, .. } = e.kind
            && let Some(slot) = out.iter_mut().find(|(f, _)| *f == fluid)
        {
            slot.1 += volume_ml;
        }
    }
    out
}

/// The case's expected volumes: what its expert reference pushes, per fluid (ml).
pub fn expected_by_fluid(s: &Session) -> [(Fluid, f64); 3] {
    let mut out = [(Fluid::LocalAnaesthetic, 0.0), (Fluid::Contrast, 0.0), (Fluid::DrugMix, 0.0)];
    for a in assessment::expert_actions(s.scenario()) {
        if let Action::Inject { fluid, volume_ml, .. } = a
            && let Some(slot) = out.iter_mut().find(|(f, _)| *f == fluid)
        {
            slot.1 += volume_ml;
        }
    }
    out
}

/// The contrast has gone in and the trainee has not yet said what it shows.
pub fn contrast_question_open(s: &Session) -> bool {
    let done = |step: Step| s.steps().iter().any(|(d, _)| *d == step);
    done(Step::ContrastInjected) && coach::read_pattern(s).is_none()
}

/// The closest near-miss of the needle now in (structure, mm), from its events.
fn near_miss_this_needle(s: &Session) -> Option<(String, f64)> {
    let events = s.state().events;
    let since = events.iter().rposition(|e| matches!(e.kind, EventKind::NeedleInserted { .. }))?;
    events[since..]
        .iter()
        .filter_map(|e| match e.kind {
            EventKind::Needle(NeedleEvent::NearMiss { structure, distance_mm }) => {
                Some((structure.label().to_string(), distance_mm))
            }
            _ => None,
        })
        .min_by(|a, b| a.1.total_cmp(&b.1))
}

fn needle_info(
    sim: Res<Sim>,
    answers: Res<Answers>,
    aim: Res<Aim>,
    pick: Res<PickMode>,
    push: Res<PushSettings>,
    mut q: Query<&mut Text, With<NeedleInfo>>,
    mut expected: Local<(u64, Option<[(Fluid, f64); 3]>)>,
) {
    let Some(s) = sim.session() else { return };
    if !(sim.is_changed() || answers.is_changed() || aim.is_changed() || pick.is_changed() || push.is_changed()) {
        return;
    }
    let st = s.state();
    let learning = s.scenario().mode == Mode::Learning;
    let mut out = format!(
        "{}\n{:?} mode   trainee: {}   seed {}\n",
        s.scenario().title,
        s.scenario().mode,
        if s.trainee().is_empty() { "-" } else { s.trainee() },
        s.seed()
    );
    match st.needle {
        Some(n) => {
            let tissue = s.patient().tissue_at(n.tip());
            let r = resistance(tissue);
            let gauge = "#".repeat((r * 10.0).round() as usize);
            out += &format!(
                "{}  depth {:.1} mm  redirections {}\nresistance [{:<10}]",
                n.kind.spec().label,
                n.depth_mm(),
                n.redirections,
                gauge
            );
            // Learning mode names the tissue at the tip, except while the contrast waits
            // to be read: the reading is the trainee's own.
            if learning {
                if contrast_question_open(s) {
                    out += "\ntip in: (hidden until you read the contrast)";
                } else {
                    out += &format!("\ntip in: {}", tissue.label());
                }
            }
            if n.blood_in_hub {
                out += "\nBLOOD IN THE HUB";
            }
        }
        None => {
            out += &format!(
                "tray: {} (T changes)\n{}",
                st.selected_needle.spec().label,
                match aim.entry {
                    Some(_) => "entry chosen (cyan ring): aim, N inserts",
                    None => "click the skin to choose the entry, N",
                }
            )
        }
    }
    out += &format!("\n{}", aim_readout(s, &aim));
    // Safety distances: the closest near-miss of this needle; in learning mode, the
    // nearest structure at risk from the tip now.
    if let Some((what, mm)) = near_miss_this_needle(s) {
        out += &format!("\nNEAR-MISS: {what} at {mm:.1} mm");
    }
    if learning && let Some((t, d)) = coach::nearest_at_risk(s) {
        out += &format!("\nnearest at risk: {} {d:.1} mm", t.label());
    }
    if *pick == PickMode::Pulse {
        out += "\n>> CLICK THE SKIN OVER THE FEMORAL PULSE\n   (F5 again: cancel)";
    }
    // Volumes: what one press pushes, what has gone in, and in learning mode the case's own.
    out += &format!(
        "\npush {:.1} ml at {:.1} ml/s (- + and , .)\ngiven ml: {}",
        push.volume_ml,
        push.rate_ml_s,
        injected_by_fluid(s).iter().map(|(f, v)| format!("{} {v:.1}", fluid_name(*f))).collect::<Vec<_>>().join(", ")
    );
    if learning {
        if expected.0 != sim.generation || expected.1.is_none() {
            *expected = (sim.generation, Some(expected_by_fluid(s)));
        }
        if let Some(e) = expected.1 {
            out += &format!(
                "\ncase ml: {}",
                e.iter().map(|(f, v)| format!("{} {v:.1}", fluid_name(*f))).collect::<Vec<_>>().join(", ")
            );
        }
    }
    if let Some(e) = &sim.last_error {
        out += &format!("\nrefused: {e}");
    }
    for mut t in &mut q {
        set(&mut t, out.clone());
    }
}

/// An event in words for the window. The procedure never shows where an injection went
/// (the image is the trainee's to read), nor that it went into a vessel; in assessment
/// mode neither is a reading's answer. The replay, after the debrief, shows everything.
pub fn event_line(kind: &EventKind, mode: Mode, replay: bool) -> Option<String> {
    if replay {
        return assessment::describe(kind).map(|(w, _)| w);
    }
    Some(match kind {
        EventKind::Injected { fluid, volume_ml, resistance, .. } => format!(
            "injected {volume_ml:.1} ml {}, {} resistance",
            fluid_name(*fluid),
            if *resistance > crate::sim::session::HIGH_RESISTANCE {
                "HIGH"
            } else if *resistance > 2.0 {
                "firm"
            } else {
                "low"
            }
        ),
        // Where an injection went shows on the image (washout), not in words.
        EventKind::Unsafe { what: UnsafeAct::InjectedIntravascular } => return None,
        EventKind::ContrastReadAs { read, .. } if mode == Mode::Assessment => {
            format!("contrast read as {}", read.as_str().replace('_', "-"))
        }
        EventKind::ReadingGiven { reading, .. } if mode == Mode::Assessment => {
            format!("block read as {reading:?}").to_lowercase()
        }
        other => {
            let (what, level) = assessment::describe(other)?;
            if level == "critical" { format!("!! {what}") } else { what }
        }
    })
}

fn event_log(sim: Res<Sim>, state: Res<State<AppState>>, mut q: Query<&mut Text, With<EventLog>>) {
    if !sim.is_changed() {
        return;
    }
    let Some(s) = sim.session() else { return };
    let mode = s.scenario().mode;
    let replay = *state.get() == AppState::Replay;
    let lines: Vec<String> = sim
        .recent
        .iter()
        .filter(|e| {
            !matches!(e.kind, EventKind::TimePassed { .. } | EventKind::NeedleMoved { .. } | EventKind::ImagingChanged)
        })
        .rev()
        .filter_map(|e| event_line(&e.kind, mode, replay).map(|what| format!("{:>6.0} s  {what}", e.time_s)))
        .take(9)
        .collect();
    for mut t in &mut q {
        set(&mut t, if lines.is_empty() { "events appear here".into() } else { lines.join("\n") });
    }
}

fn labels(
    sim: Res<Sim>,
    cam: Query<(&Camera, &GlobalTransform), With<Camera3d>>,
    moved: Query<(), (With<Camera3d>, Changed<GlobalTransform>)>,
    mut q: Query<(&StructureLabel, &ComputedNode, &mut Node, &mut Visibility)>,
    mut lying: Local<Option<(crate::sim::Position, u64, u64)>>,
) {
    let Some(s) = sim.session() else { return };
    let pos = (s.position(), s.patient().key(), sim.generation);
    // Only when the camera moves, the patient is turned over or the leg is turned.
    if moved.is_empty() && *lying == Some(pos) {
        return;
    }
    *lying = Some(pos);
    let Ok((camera, cam_t)) = cam.single() else { return };
    let size = camera.logical_viewport_size().unwrap_or(Vec2::new(1280.0, 720.0));
    // The clear middle of the view: never over the checklist, the monitor, its events or
    // the answers and hints along the bottom.
    let clear =
        Rect::new(super::checklist::LEFT_PX + 16.0, BANNER_HEIGHT_PX + 8.0, size.x - MONITOR_PX - 16.0, size.y - 170.0);
    let case = s.scenario().position;
    // Structures first (they matter), then the orientation cues.
    let mut wanted: Vec<(Mut<Node>, Mut<Visibility>, Option<Vec2>, Vec2, u8)> = Vec::new();
    for (l, computed, node, mut vis) in q.iter_mut() {
        // The sciatic nerve is the structure at risk of the prone approach only; the
        // femoral bundle and the LFCN of the anterior one.
        let (relevant, rank) = match l {
            StructureLabel::At(LandmarkName::SciaticNerve) => (case == crate::sim::Position::Prone, 0),
            StructureLabel::At(_) => (case == crate::sim::Position::Supine, 0),
            StructureLabel::Cue(_) => (true, 1),
        };
        if !relevant {
            vis.set_if_neq(Visibility::Hidden);
            continue;
        }
        // A little above the structure (cranially): the name sits just over its anchor.
        let p: DVec3 = match l {
            StructureLabel::At(l) => s.patient().landmarks.get(*l) + DVec3::new(0.0, 0.0, 15.0),
            StructureLabel::Cue(offset) => s.patient().landmarks.target + *offset,
        };
        let anchor = camera.world_to_viewport(cam_t, to_world(p, pos.0)).ok();
        // The text's laid-out size; before its first layout, an estimate.
        let mut extent = computed.size() * computed.inverse_scale_factor();
        if extent.x < 1.0 {
            extent = Vec2::new(LABEL_PX, 17.0);
        }
        wanted.push((node, vis, anchor, extent, rank));
    }
    wanted.sort_by_key(|w| w.4);
    let boxes: Vec<(Option<Vec2>, Vec2)> = wanted.iter().map(|w| (w.2, w.3)).collect();
    for ((mut node, mut vis, ..), at) in wanted.into_iter().zip(place_labels(&boxes, clear)) {
        match at {
            Some(v) => {
                node.left = Val::Px(v.x);
                node.top = Val::Px(v.y);
                vis.set_if_neq(Visibility::Inherited);
            }
            None => {
                vis.set_if_neq(Visibility::Hidden);
            }
        }
    }
}

/// Where each label's top-left corner goes: beside its anchor, moved to the nearest free
/// spot so that no two labels overlap and none leaves the `clear` area; `None` hides a label
/// with no free spot within reach of its anchor (or no anchor). Earlier labels win.
pub fn place_labels(labels: &[(Option<Vec2>, Vec2)], clear: Rect) -> Vec<Option<Vec2>> {
    const GAP: f32 = 2.0;
    let mut taken: Vec<Rect> = Vec::new();
    labels
        .iter()
        .map(|&(anchor, size)| {
            let anchor = anchor?;
            // Right of the anchor, then stepped up and down by a line, then to its left.
            let line = size.y + GAP;
            let mut candidates = vec![Vec2::new(4.0, -size.y * 0.5)];
            for k in 1..=4 {
                let dy = line * k as f32;
                candidates.push(Vec2::new(4.0, -size.y * 0.5 - dy));
                candidates.push(Vec2::new(4.0, -size.y * 0.5 + dy));
            }
            candidates.push(Vec2::new(-size.x - 4.0, -size.y * 0.5));
            candidates.push(Vec2::new(-size.x - 4.0, -size.y * 0.5 - line));
            candidates.push(Vec2::new(-size.x - 4.0, -size.y * 0.5 + line));
            let spot = candidates.into_iter().map(|o| Rect::from_corners(anchor + o, anchor + o + size)).find(|r| {
                clear.contains(r.min)
                    && clear.contains(r.max)
                    && taken.iter().all(|t| t.inflate(GAP * 0.5).intersect(*r).is_empty())
            })?;
            taken.push(spot);
            Some(spot.min)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::Scenario;

    /// The expert run in assessment mode: no event line during the procedure says where
    /// an injection went, what the contrast really was, or what the block should read.
    /// Labels whose anchors crowd together are spread so none overlaps another, each stays
    /// near its anchor, and none enters the panels; one with no room left is hidden.
    #[test]
    fn labels_never_overlap_each_other_or_the_panels() {
        let clear = Rect::new(346.0, 34.0, 924.0, 550.0);
        let size = Vec2::new(150.0, 17.0);
        // Five names on nearly the same spot, as the femoral bundle seen end-on.
        let crowd: Vec<(Option<Vec2>, Vec2)> =
            (0..5).map(|i| (Some(Vec2::new(600.0 + i as f32, 300.0 + 2.0 * i as f32)), size)).collect();
        let at = place_labels(&crowd, clear);
        let rects: Vec<Rect> = at.iter().flatten().map(|p| Rect::from_corners(*p, *p + size)).collect();
        assert_eq!(rects.len(), 5, "all five fit near their anchors: {at:?}");
        for (i, a) in rects.iter().enumerate() {
            assert!(clear.contains(a.min) && clear.contains(a.max), "{a:?} leaves the clear area");
            for b in &rects[i + 1..] {
                assert!(a.intersect(*b).is_empty(), "{a:?} overlaps {b:?}");
            }
            let anchor = Vec2::new(600.0, 300.0);
            assert!(a.center().distance(anchor) < 200.0, "{a:?} strayed from its anchor");
        }
        // An anchor under the monitor (right of the clear area) moves left of it if it can,
        // and one with no room at all is hidden rather than drawn over a panel.
        let edge = place_labels(&[(Some(Vec2::new(900.0, 300.0)), size)], clear)[0].unwrap();
        assert!(edge.x + size.x <= 924.0, "{edge:?}");
        assert_eq!(place_labels(&[(Some(Vec2::new(1100.0, 300.0)), size)], clear), vec![None]);
        assert_eq!(place_labels(&[(None, size)], clear), vec![None], "behind the camera");
        // Twenty labels on one spot: the ones that find no room are hidden, never stacked.
        let many: Vec<(Option<Vec2>, Vec2)> = (0..20).map(|_| (Some(Vec2::new(600.0, 300.0)), size)).collect();
        let shown = place_labels(&many, clear).iter().flatten().count();
        assert!((5..20).contains(&shown), "{shown}");
    }

    #[test]
    fn assessment_event_lines_never_give_the_answer_away() {
        let scenario = Scenario { mode: Mode::Assessment, ..Scenario::default() };
        let mut s = Session::new(scenario.clone(), 3).unwrap();
        for a in assessment::expert_actions(&scenario) {
            s.apply(a).unwrap();
        }
        let lines: Vec<String> =
            s.state().events.iter().filter_map(|e| event_line(&e.kind, Mode::Assessment, false)).collect();
        assert!(lines.iter().any(|l| l.starts_with("injected 2.0 ml contrast")), "{lines:#?}");
        for l in &lines {
            for leak in ["intraarticular", "extraarticular", "intravascular", "bursal", "it was", "supports"] {
                assert!(!l.to_lowercase().contains(leak), "{l:?} gives away {leak:?}");
            }
            // The trainee's own read may be shown; no injection line says where it went.
            if l.starts_with("injected") {
                assert!(!l.contains("articular"), "{l}");
            }
        }
        // Learning mode says what it was once read; the replay shows it all.
        let learning: Vec<String> =
            s.state().events.iter().filter_map(|e| event_line(&e.kind, Mode::Learning, false)).collect();
        assert!(learning.iter().any(|l| l.contains("(it was intra_articular)")), "{learning:#?}");
        // An injection into a vessel shows on the image; no line names it during the procedure.
        let vessel = EventKind::Unsafe { what: UnsafeAct::InjectedIntravascular };
        assert!(event_line(&vessel, Mode::Learning, false).is_none());
        assert!(event_line(&vessel, Mode::Assessment, true).is_some(), "the replay shows it");
    }
}
