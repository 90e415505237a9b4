//! Teaching cases: which patient, in which position, for what purpose.

use serde::{Deserialize, Serialize};

use super::anatomy::PatientOverrides;

/// How the patient lies on the table.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Position {
    /// Supine, for the anterior approach (the common one).
    #[default]
    Supine,
    /// Prone, as the project's source text describes.
    Prone,
}

/// A teaching case.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Scenario {
    /// Short identifier, e.g. `routine_anterior`.
    pub name: String,
    pub title: String,
    pub position: Position,
    /// Patient parameters this case fixes; the rest are drawn from the seed.
    pub patient: PatientOverrides,
}

impl Default for Scenario {
    fn default() -> Self {
        Scenario {
            name: "routine_anterior".into(),
            title: "Routine anterior approach, supine, normal build".into(),
            position: Position::Supine,
            patient: PatientOverrides::default(),
        }
    }
}
