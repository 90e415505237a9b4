//! The simulation: patient, needle, injection, imaging, procedure, assessment.
//! Deterministic and free of any GUI code.

pub mod anatomy;
pub mod files;
pub mod imaging;
pub mod injection;
pub mod needle;
pub mod rng;
pub mod scenario;
pub mod session;

pub use scenario::{Position, Scenario};
pub use session::{Action, ActionError, ActionLog, Event, EventKind, Session, SessionState};
