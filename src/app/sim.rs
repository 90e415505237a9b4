//! The bridge to the simulation: one `Session`, a queue of actions, and shots
//! computed off the main thread so the window never stalls while X-rays are traced.

use std::collections::VecDeque;

use bevy::prelude::*;
use bevy::tasks::{AsyncComputeTaskPool, Task, futures::check_ready};

use super::AppOptions;
use crate::sim::Session;
use crate::sim::session::{Action, ActionError, Event};

type ShotResult = (Session, Result<Vec<Event>, ActionError>);

/// The trainee's session and what is waiting to happen to it.
#[derive(Resource)]
pub struct Sim {
    session: Option<Session>,
    queue: VecDeque<Action>,
    task: Option<Task<ShotResult>>,
    /// Bumped on every change, so views redraw only when something happened.
    pub version: u64,
    /// Events of the most recent actions, newest last.
    pub recent: Vec<Event>,
    pub last_error: Option<String>,
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

    /// A shot is being computed.
    pub fn busy(&self) -> bool {
        self.task.is_some()
    }

    /// Nothing queued and nothing running.
    pub fn idle(&self) -> bool {
        self.task.is_none() && self.queue.is_empty()
    }

    fn record(&mut self, result: Result<Vec<Event>, ActionError>) {
        match result {
            Ok(events) => {
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

pub fn plugin(app: &mut App) {
    app.add_systems(PreStartup, start_session).add_systems(PreUpdate, drive);
}

fn start_session(mut commands: Commands, options: Res<AppOptions>) {
    let mut session = Session::new(options.scenario.clone(), options.seed).expect("the scenario was validated");
    session.set_trainee(&options.trainee);
    commands.insert_resource(Sim {
        session: Some(session),
        queue: VecDeque::new(),
        task: None,
        version: 1,
        recent: Vec::new(),
        last_error: None,
    });
}

/// Apply queued actions; a shot goes to the compute pool and the rest wait for it.
fn drive(mut sim: ResMut<Sim>) {
    if let Some(task) = sim.task.as_mut() {
        match check_ready(task) {
            Some((session, result)) => {
                sim.task = None;
                sim.session = Some(session);
                sim.record(result);
            }
            None => return,
        }
    }
    while let Some(action) = sim.queue.pop_front() {
        if matches!(action, Action::Fluoro { .. }) {
            let mut session = sim.session.take().expect("no shot is running");
            sim.task = Some(AsyncComputeTaskPool::get().spawn(async move {
                let result = session.apply(action);
                (session, result)
            }));
            return;
        }
        let result = sim.session.as_mut().expect("no shot is running").apply(action);
        sim.record(result);
    }
}
