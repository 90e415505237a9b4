//! The session log: everything needed to replay a session, and the replay.

use serde::{Deserialize, Serialize};

use super::{Action, ActionError, Session, SessionError};
use crate::sim::scenario::Scenario;
use crate::sim::wallclock::WallClock;

/// Version of the action-log format.
pub const LOG_VERSION: u32 = 1;

/// Everything needed to replay a session: scenario, seed and actions in order.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ActionLog {
    pub version: u32,
    pub disclaimer: String,
    /// Trainee name or ID, as entered.
    #[serde(default)]
    pub trainee: String,
    pub scenario: Scenario,
    pub seed: u64,
    /// The anatomy the seed built when the session ran ([`crate::sim::anatomy::ANATOMY_VERSION`]);
    /// 1 in logs written before it was recorded.
    #[serde(default = "anatomy_before_versions")]
    pub anatomy_version: u32,
    /// The fluorohip release that wrote it (empty in logs written before it was recorded).
    #[serde(default)]
    pub program_version: String,
    /// When the session started, by the computer's clock: metadata for learning records
    /// (xAPI timestamps), never read by the simulation. Absent in older logs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub started_at: Option<WallClock>,
    pub actions: Vec<Action>,
}

fn anatomy_before_versions() -> u32 {
    1
}

impl Session {
    /// The log that replays this session.
    pub fn log(&self) -> ActionLog {
        ActionLog {
            version: LOG_VERSION,
            disclaimer: crate::DISCLAIMER.to_string(),
            trainee: self.trainee.clone(),
            scenario: self.scenario.clone(),
            seed: self.seed,
            anatomy_version: crate::sim::anatomy::ANATOMY_VERSION,
            program_version: env!("CARGO_PKG_VERSION").to_string(),
            started_at: self.started_at,
            actions: self.actions.clone(),
        }
    }

    /// Rebuild a session from its log. Fails on the first action the session refuses,
    /// naming its index.
    pub fn replay(log: &ActionLog) -> Result<Session, ReplayError> {
        let mut s = Session::new(log.scenario.clone(), log.seed).map_err(ReplayError::Start)?;
        s.set_trainee(&log.trainee);
        s.set_started_at(log.started_at);
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
