//! The bridge to the simulation: one `Session`, a queue of actions, and shots
//! computed off the main thread so the window never stalls while X-rays are traced.

use std::collections::VecDeque;

use bevy::prelude::*;
use bevy::tasks::{AsyncComputeTaskPool, Task, futures::check_ready};

use crate::sim::Session;
use crate::sim::autosave::Autosave;
use crate::sim::needle::NeedleEvent;
use crate::sim::session::{Action, ActionError, ActionLog, Event, EventKind, SessionError, UnsafeAct};

type ShotResult = (Session, Result<Vec<Event>, ActionError>);

/// The trainee's session and what is waiting to happen to it.
#[derive(Resource)]
pub struct Sim {
    session: Option<Session>,
    queue: VecDeque<Action>,
    task: Option<Task<ShotResult>>,
    /// When the shot in flight was handed to the pool (its time goes in the log).
    shot_started: Option<bevy::platform::time::Instant>,
    /// Bumped on every change, so views redraw only when something happened.
    pub version: u64,
    /// Events of the most recent actions, newest last.
    pub recent: Vec<Event>,
    pub last_error: Option<String>,
    /// Bumped when a session on a new patient starts, so the scene is rebuilt.
    pub generation: u64,
    /// Where the log is saved after every action (none in a replay).
    autosave: Option<Autosave>,
    /// Actions the autosave has on disk.
    saved_actions: usize,
    pub autosave_error: Option<String>,
    /// A hit, paraesthesia, blood in the hub or an intraneural injection happened: the
    /// window shows it until the trainee acknowledges it.
    pub alarm: Option<Alarm>,
    /// Alarms are raised for the trainee's own actions only, not for a replay or a resume.
    alarms_on: bool,
    /// Logged actions still to be applied again (a resume): no alarm, nothing dropped.
    resuming: usize,
    /// While a shot is traced: the session as the needle keys need it.
    pub during_shot: Option<NeedleView>,
    /// Trace shots on this thread, a slice per frame, instead of on the compute pool: the
    /// browser has one thread, where a whole shot at a new pose would stop the page.
    pub shots_in_slices: bool,
    /// The least and most time a slice may take (ms); see [`SLICE_MS`].
    pub slice_ms: (f64, f64),
    /// Time (ms) work in slices (shots, the expert's run, meshes) took this frame and the last.
    pub spent_ms: f64,
    last_spent_ms: f64,
    last_slices: u32,
    /// The shot at the front of the queue is being prepared a slice per frame.
    preparing: Option<ShotSlices>,
}

/// How a shot prepared over several frames went (for the log and the docs' figures).
#[derive(Clone, Copy, Debug)]
struct ShotSlices {
    started: bevy::platform::time::Instant,
    frames: u32,
    longest_ms: f64,
}

/// The least and most of a frame a shot's slice may take (ms): as long as the frame took
/// to draw, so the page keeps at least half its frame rate while a shot is traced.
const SLICE_MS: (f64, f64) = (30.0, 120.0);
/// Rows of the image projected between two looks at the clock.
const SLICE_ROWS: usize = 4;

/// What the needle keys need of the session; kept while a shot has the session, so keys
/// pressed meanwhile are queued, not lost.
#[derive(Clone, Debug, PartialEq)]
pub struct NeedleView {
    pub position: crate::sim::Position,
    pub needle_in: bool,
    pub tip: Option<glam::DVec3>,
    /// The case's standard entry point.
    pub default_entry: glam::DVec3,
}

impl NeedleView {
    pub fn of(s: &Session) -> NeedleView {
        let (_, entry_name) = s.scenario().approach();
        NeedleView {
            position: s.position(),
            needle_in: s.state().needle.is_some(),
            tip: s.state().needle.map(|n| n.tip()),
            default_entry: s.patient().landmarks.get(entry_name),
        }
    }
}

/// A safety event the trainee must acknowledge.
#[derive(Clone, Debug, PartialEq)]
pub struct Alarm {
    pub title: String,
    pub detail: String,
    /// Simulated time of the event (s).
    pub time_s: f64,
    /// Queued needle moves and injections dropped when it happened.
    pub dropped: usize,
}

/// The alarm an event raises, if it is one: (title, what to do).
pub fn alarm_for(kind: &EventKind) -> Option<(String, String)> {
    Some(match kind {
        EventKind::Needle(NeedleEvent::Paraesthesia { structure }) => (
            format!("PARAESTHESIA: the needle is on the {}", structure.label()),
            "The patient feels a sharp, shooting pain down the thigh. Stop: do not advance or inject. \
             Withdraw a few millimetres and redirect away from the nerve."
                .into(),
        ),
        EventKind::Needle(NeedleEvent::BloodInHub { structure }) => (
            format!("BLOOD IN THE HUB: the tip is in the {}", structure.label()),
            "Stop: do not inject. Withdraw, press on the site, and re-check the position under fluoroscopy.".into(),
        ),
        EventKind::Needle(NeedleEvent::Hit { structure }) => (
            format!("HIT: the needle touched the {}", structure.label()),
            "Stop advancing. Withdraw and redirect away from it; check the position with a shot.".into(),
        ),
        // The patient feels an intraneural injection at once. An intravascular one shows only
        // on the image, which is the trainee's to read: no alarm gives it away.
        EventKind::Unsafe { what: UnsafeAct::InjectedIntraneural } => (
            "UNSAFE: injected into a nerve".into(),
            "Severe, shooting pain as the fluid goes in. Stop the injection; withdraw the needle and reassess \
             before anything more goes in."
                .into(),
        ),
        _ => return None,
    })
}

impl Sim {
    /// The session, unless a shot is being computed.
    pub fn session(&self) -> Option<&Session> {
        self.session.as_ref()
    }

    /// Ask for something to be done; it happens in order, shots off the main thread.
    pub fn push(&mut self, action: Action) {
        self.queue.push_back(action);
    }

    /// A session is under way: here, or away on the compute pool while a shot is traced.
    pub fn has_session(&self) -> bool {
        self.session.is_some() || self.task.is_some()
    }

    /// A shot is being computed.
    pub fn busy(&self) -> bool {
        self.task.is_some() || self.preparing.is_some()
    }

    /// Nothing queued and nothing running.
    pub fn idle(&self) -> bool {
        self.task.is_none() && self.queue.is_empty()
    }

    /// Time (ms) this frame may still give to work in slices: as long as the last frame took
    /// to draw (its length less the slices' own time in it), within `slice_ms`, less what
    /// slices took already in this one. So the page keeps about half its frame rate.
    pub fn slice_left_ms(&self, frame_ms: f64) -> f64 {
        ((frame_ms - self.last_spent_ms).clamp(self.slice_ms.0, self.slice_ms.1) - self.spent_ms).max(0.0)
    }

    /// Frames the last shot traced in slices took (none yet: 0).
    pub fn slices_of_last_shot(&self) -> u32 {
        self.last_slices
    }

    /// Start a session on a new patient; its log is saved after every action to `autosave`.
    pub fn start(&mut self, session: Session, autosave: Option<Autosave>) {
        self.generation += 1;
        self.restart(session);
        self.autosave = autosave;
        self.saved_actions = usize::MAX;
        self.alarms_on = true;
    }

    /// Pick up a logged session: a fresh one on the same patient, then the logged actions
    /// through the queue, so their shots are traced off the main thread. The autosave on
    /// disk is left alone until the whole log has been applied again.
    pub fn resume(&mut self, log: &ActionLog, autosave: Option<Autosave>) -> Result<(), SessionError> {
        let mut session = Session::new(log.scenario.clone(), log.seed)?;
        // The wall-clock start is the log's (learning records are stamped with it).
        session.set_started_at(log.started_at);
        session.set_trainee(&log.trainee);
        self.start(session, autosave);
        self.queue.extend(log.actions.iter().cloned());
        self.resuming = log.actions.len();
        Ok(())
    }

    /// Put a session on the same patient in place (a replay): nothing is autosaved.
    pub fn restart(&mut self, session: Session) {
        // Dropping a running shot's task cancels it.
        self.task = None;
        self.preparing = None;
        self.during_shot = None;
        self.queue.clear();
        self.recent = session.state().events.to_vec();
        self.session = Some(session);
        self.autosave = None;
        self.last_error = None;
        self.autosave_error = None;
        self.alarm = None;
        self.alarms_on = false;
        self.resuming = 0;
        self.version += 1;
    }

    /// The trainee acknowledged the alarm.
    pub fn acknowledge(&mut self) {
        if self.alarm.take().is_some() {
            self.version += 1;
        }
    }

    /// The session is over: no more autosaves; hand the session over (for scoring).
    pub fn end(&mut self) -> Option<Session> {
        self.autosave = None;
        self.queue.clear();
        self.preparing = None;
        self.during_shot = None;
        self.version += 1;
        self.session.take()
    }

    fn save(&mut self) {
        // Only once everything asked for has happened: a log half applied again (a resume)
        // must not replace the whole one on disk.
        if !self.queue.is_empty() {
            return;
        }
        let (Some(a), Some(s)) = (&self.autosave, &self.session) else { return };
        let n = s.action_count();
        if n == self.saved_actions {
            return;
        }
        match a.save(s) {
            Ok(()) => {
                self.saved_actions = n;
                self.autosave_error = None;
            }
            Err(e) => self.autosave_error = Some(e.to_string()),
        }
    }

    fn record(&mut self, result: Result<Vec<Event>, ActionError>) {
        let resumed = self.resuming > 0;
        self.resuming = self.resuming.saturating_sub(1);
        match result {
            Ok(events) => {
                if self.alarms_on
                    && !resumed
                    && let Some((e, (title, detail))) = events.iter().find_map(|e| alarm_for(&e.kind).map(|a| (e, a)))
                {
                    // Whatever was queued behind the event (key repeats of Up, a second
                    // push) does not happen: the needle stops where the alarm found it.
                    let before = self.queue.len();
                    self.queue.retain(|a| {
                        !matches!(
                            a,
                            Action::Advance { .. }
                                | Action::AdvanceUntil { .. }
                                | Action::Inject { .. }
                                | Action::InjectUnderFluoro { .. }
                                | Action::PlaceNeedle { .. }
                        )
                    });
                    let dropped = before - self.queue.len() + self.alarm.as_ref().map_or(0, |a| a.dropped);
                    self.alarm = Some(Alarm { title, detail, time_s: e.time_s, dropped });
                }
                self.recent.extend(events);
                let excess = self.recent.len().saturating_sub(200);
                self.recent.drain(..excess);
                self.last_error = None;
            }
            Err(e) => self.last_error = Some(e.to_string()),
        }
        self.version += 1;
    }
}

impl Default for Sim {
    fn default() -> Self {
        Sim {
            session: None,
            queue: VecDeque::new(),
            task: None,
            version: 1,
            recent: Vec::new(),
            last_error: None,
            generation: 0,
            autosave: None,
            saved_actions: 0,
            autosave_error: None,
            alarm: None,
            alarms_on: false,
            resuming: 0,
            during_shot: None,
            shot_started: None,
            shots_in_slices: cfg!(target_arch = "wasm32"),
            slice_ms: SLICE_MS,
            spent_ms: 0.0,
            last_spent_ms: 0.0,
            preparing: None,
            last_slices: 0,
        }
    }
}

pub fn plugin(app: &mut App) {
    app.insert_resource(Sim::default()).add_systems(First, new_frame).add_systems(PreUpdate, drive);
}

/// Apply queued actions; a shot goes to the compute pool (or, with `shots_in_slices`, is
/// prepared a slice per frame on this thread) and the rest wait for it.
fn drive(mut sim: ResMut<Sim>, time: Res<Time>) {
    if let Some(task) = sim.task.as_mut() {
        match check_ready(task) {
            Some((session, result)) => {
                sim.task = None;
                if let Some(t) = sim.shot_started.take() {
                    info!("shot traced in {:.0} ms", t.elapsed().as_secs_f64() * 1000.0);
                }
                sim.session = Some(session);
                sim.during_shot = None;
                sim.record(result);
                sim.save();
            }
            None => return,
        }
    }
    if sim.session.is_none() {
        sim.queue.clear();
        return;
    }
    while let Some(action) = sim.queue.pop_front() {
        let shot = matches!(
            action,
            Action::Fluoro { .. }
                | Action::InjectUnderFluoro { .. }
                | Action::AdvanceUntil { image_every_mm: Some(_), .. }
        );
        if shot && sim.shots_in_slices {
            let frame_ms = time.delta_secs_f64() * 1000.0;
            // A shot already taken this frame used its time: the next waits for the next frame.
            if sim.spent_ms > 0.0 && sim.slice_left_ms(frame_ms) <= 0.0 {
                sim.queue.push_front(action);
                break;
            }
            let budget = sim.slice_left_ms(frame_ms);
            if !prepare_slice(&mut sim, budget) {
                // Not ready: the shot stays first in line, and everything after it waits.
                sim.queue.push_front(action);
                break;
            }
            let t = bevy::platform::time::Instant::now();
            let result = sim.session.as_mut().expect("checked above").apply(action);
            let ms = t.elapsed().as_secs_f64() * 1000.0;
            sim.spent_ms += ms;
            let p = sim.preparing.take().unwrap_or(ShotSlices { started: t, frames: 0, longest_ms: 0.0 });
            let longest = p.longest_ms.max(ms);
            info!(
                "shot traced in {:.0} ms over {} frames; longest slice {longest:.0} ms, the last {ms:.0} ms",
                p.started.elapsed().as_secs_f64() * 1000.0,
                p.frames + 1
            );
            sim.last_slices = p.frames + 1;
            sim.record(result);
            continue;
        }
        if shot {
            let mut session = sim.session.take().expect("no shot is running");
            // What the keys need while the session is away, so no press is lost meanwhile.
            sim.during_shot = Some(NeedleView::of(&session));
            sim.shot_started = Some(bevy::platform::time::Instant::now());
            sim.task = Some(AsyncComputeTaskPool::get().spawn(async move {
                let result = session.apply(action);
                (session, result)
            }));
            break;
        }
        let result = sim.session.as_mut().expect("no shot is running").apply(action);
        sim.record(result);
    }
    // After every action: a crash loses at most the one in progress.
    sim.save();
}

/// Work on the next shot's projection for about `budget_ms`; true when it is ready to take.
fn prepare_slice(sim: &mut Sim, budget_ms: f64) -> bool {
    let t = bevy::platform::time::Instant::now();
    let session = sim.session.as_mut().expect("checked by the caller");
    let at_once = session.prepare_shot(SLICE_ROWS);
    let mut ready = at_once;
    while !ready && t.elapsed().as_secs_f64() * 1000.0 < budget_ms {
        ready = session.prepare_shot(SLICE_ROWS);
    }
    let ms = t.elapsed().as_secs_f64() * 1000.0;
    sim.spent_ms += ms;
    if at_once && sim.preparing.is_none() {
        return true; // the anatomy was cached: the shot is quick, take it now
    }
    let p = sim.preparing.get_or_insert(ShotSlices { started: t, frames: 0, longest_ms: 0.0 });
    if !ready {
        p.frames += 1;
    }
    p.longest_ms = p.longest_ms.max(ms);
    ready
}

/// A new frame: what the slices took in the last one is known, this one starts at nought.
fn new_frame(mut sim: ResMut<Sim>) {
    sim.last_spent_ms = sim.spent_ms;
    sim.spent_ms = 0.0;
}
