//! The one entry point both front ends drive: a session on one synthetic patient.
//!
//! `Session::new(scenario, seed)`, then `apply(action)` for every thing the trainee
//! does; `state()` to draw it; `log()` to save it. The simulated clock advances
//! only by actions, never by wall time, so a log replays to the same state.

use serde::{Deserialize, Serialize};

use super::anatomy::{ParamRangeError, Patient};
use super::scenario::Scenario;

/// Version of the action-log format.
pub const LOG_VERSION: u32 = 1;

/// Something the trainee does.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "snake_case", deny_unknown_fields)]
pub enum Action {
    /// Let simulated time pass.
    Wait { seconds: f64 },
}

impl Action {
    fn validate(&self) -> Result<(), ActionError> {
        match *self {
            Action::Wait { seconds } => {
                if !(seconds.is_finite() && (0.0..=3600.0).contains(&seconds)) {
                    return Err(ActionError::OutOfRange { field: "seconds", value: seconds, min: 0.0, max: 3600.0 });
                }
            }
        }
        Ok(())
    }
}

/// What happened, when, in simulated seconds since the session began.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Event {
    pub time_s: f64,
    #[serde(flatten)]
    pub kind: EventKind,
}

/// The kinds of event a session records.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum EventKind {
    /// Simulated time passed.
    TimePassed { seconds: f64 },
}

/// An action the session refused; nothing changed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ActionError {
    #[error("`{field}` = {value} is outside {min}..={max}")]
    OutOfRange { field: &'static str, value: f64, min: f64, max: f64 },
}

/// A session that could not start.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SessionError {
    #[error(transparent)]
    Patient(#[from] ParamRangeError),
}

/// Everything needed to replay a session: scenario, seed and actions in order.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ActionLog {
    pub version: u32,
    pub disclaimer: String,
    pub scenario: Scenario,
    pub seed: u64,
    pub actions: Vec<Action>,
}

/// A read-only view of the session for drawing and reporting.
#[derive(Debug)]
pub struct SessionState<'a> {
    pub patient: &'a Patient,
    pub clock_s: f64,
    pub events: &'a [Event],
}

/// One trainee, one synthetic patient, one procedure.
#[derive(Debug)]
pub struct Session {
    scenario: Scenario,
    seed: u64,
    patient: Patient,
    clock_s: f64,
    events: Vec<Event>,
    actions: Vec<Action>,
}

impl Session {
    /// Start a session on the patient the scenario and seed describe.
    pub fn new(scenario: Scenario, seed: u64) -> Result<Session, SessionError> {
        let patient = Patient::generate(seed, &scenario.patient)?;
        Ok(Session { scenario, seed, patient, clock_s: 0.0, events: Vec::new(), actions: Vec::new() })
    }

    /// Do one thing. A refused action changes nothing and is not logged.
    pub fn apply(&mut self, action: Action) -> Result<Vec<Event>, ActionError> {
        action.validate()?;
        let first_new = self.events.len();
        match action {
            Action::Wait { seconds } => {
                self.clock_s += seconds;
                self.emit(EventKind::TimePassed { seconds });
            }
        }
        self.actions.push(action);
        Ok(self.events[first_new..].to_vec())
    }

    fn emit(&mut self, kind: EventKind) {
        self.events.push(Event { time_s: self.clock_s, kind });
    }

    pub fn state(&self) -> SessionState<'_> {
        SessionState { patient: &self.patient, clock_s: self.clock_s, events: &self.events }
    }

    pub fn patient(&self) -> &Patient {
        &self.patient
    }

    pub fn scenario(&self) -> &Scenario {
        &self.scenario
    }

    pub fn seed(&self) -> u64 {
        self.seed
    }

    /// The log that replays this session.
    pub fn log(&self) -> ActionLog {
        ActionLog {
            version: LOG_VERSION,
            disclaimer: crate::DISCLAIMER.to_string(),
            scenario: self.scenario.clone(),
            seed: self.seed,
            actions: self.actions.clone(),
        }
    }

    /// Rebuild a session from its log. Fails on the first action the session refuses,
    /// naming its index.
    pub fn replay(log: &ActionLog) -> Result<Session, ReplayError> {
        let mut s = Session::new(log.scenario.clone(), log.seed).map_err(ReplayError::Start)?;
        for (index, a) in log.actions.iter().enumerate() {
            s.apply(a.clone()).map_err(|error| ReplayError::Action { index, error })?;
        }
        Ok(s)
    }
}

/// A log that does not replay.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ReplayError {
    #[error("cannot start the session: {0}")]
    Start(SessionError),
    #[error("action {index} refused: {error}")]
    Action { index: usize, error: ActionError },
}
