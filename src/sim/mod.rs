//! The simulation: patient, needle, injection, imaging, procedure, assessment.
//! Deterministic and free of any GUI code.

pub mod anatomy;
pub mod assessment;
pub mod autosave;
pub mod coach;
pub mod files;
pub mod imaging;
pub mod injection;
pub mod needle;
pub mod procedure;
pub mod rng;
pub mod scenario;
pub mod script;
pub mod session;
pub mod settings;
pub mod spread;
pub mod tip_cases;
pub mod validity;
pub mod wallclock;

pub use scenario::{Mode, Position, Scenario};
pub use session::{Action, ActionError, ActionLog, Event, EventKind, Session, SessionState};
