//! The window's saved settings, in the data folder (`settings.json`): whether the key shots
//! are also saved as DICOM, and the Learning Record Store a session's statements are sent
//! to when its reports are saved. The store's password is never written here: the window
//! asks for it once per run (or takes `FLUOROHIP_LRS_PASSWORD`).
//!
//! Written by the window, but a file from outside all the same: checked on load, with the
//! file, line and field of what is wrong; written atomically.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::files::{WriteError, store, write_atomically};

/// The file's name in the data folder.
pub const FILE_NAME: &str = "settings.json";

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    /// Also save the key shots as a DICOM series beside the reports.
    #[serde(default)]
    pub dicom: bool,
    /// Send each saved session's statements to this store.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lrs: Option<LrsSettings>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LrsSettings {
    /// The store's xAPI endpoint, `http://` or `https://` (e.g. `https://lrs.example.edu/xAPI/`).
    pub endpoint: String,
    /// The user (for many stores, the key) for HTTP Basic authentication.
    pub user: String,
}

#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    #[error("cannot read {}: {source}", path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// serde's message names the field (`unknown field `x``, `missing field `user``).
    #[error("{}:{line}:{column}: {message}", path.display())]
    Parse { path: PathBuf, line: usize, column: usize, message: String },
    #[error("{}: field `lrs.endpoint`: {why}", path.display())]
    Endpoint { path: PathBuf, why: String },
}

impl Settings {
    pub fn path(data_dir: &Path) -> PathBuf {
        data_dir.join(FILE_NAME)
    }

    /// The settings in `data_dir`, the defaults when there are none yet.
    pub fn load(data_dir: &Path) -> Result<Settings, SettingsError> {
        let path = Settings::path(data_dir);
        let text = match store::read_to_string(&path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Settings::default()),
            Err(source) => return Err(SettingsError::Read { path, source }),
        };
        Settings::parse(&text, &path)
    }

    /// Check settings read from `text`, naming `path`.
    pub fn parse(text: &str, path: &Path) -> Result<Settings, SettingsError> {
        let s: Settings = serde_json::from_str(text).map_err(|e| SettingsError::Parse {
            path: path.to_path_buf(),
            line: e.line(),
            column: e.column(),
            message: e.to_string().split(" at line ").next().unwrap_or_default().to_string(),
        })?;
        if let Some(lrs) = &s.lrs {
            let e = lrs.endpoint.trim();
            if !(e.starts_with("http://") || e.starts_with("https://")) || e.len() < "http://x".len() {
                return Err(SettingsError::Endpoint {
                    path: path.to_path_buf(),
                    why: format!("`{e}` is not an http:// or https:// address"),
                });
            }
        }
        Ok(s)
    }

    /// Write them to `data_dir` (atomically: the old file stays whole if this fails).
    pub fn save(&self, data_dir: &Path) -> Result<(), WriteError> {
        let path = Settings::path(data_dir);
        store::create_dir_all(data_dir).map_err(|source| WriteError { path: data_dir.to_path_buf(), source })?;
        let json = serde_json::to_string_pretty(self).expect("settings serialise");
        write_atomically(&path, json.as_bytes())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp(name: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("fluorohip-settings-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        d
    }

    #[test]
    fn settings_round_trip_and_default_when_absent() {
        let dir = temp("roundtrip");
        assert_eq!(Settings::load(&dir).unwrap(), Settings::default());
        let s = Settings {
            dicom: true,
            lrs: Some(LrsSettings { endpoint: "https://lrs.example.edu/xAPI/".into(), user: "key".into() }),
        };
        s.save(&dir).unwrap();
        assert_eq!(Settings::load(&dir).unwrap(), s);
        let text = std::fs::read_to_string(Settings::path(&dir)).unwrap();
        assert!(!text.to_lowercase().contains("password"), "no password is ever written: {text}");
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn bad_settings_name_the_file_line_and_field() {
        let p = Path::new("data/settings.json");
        let e = Settings::parse("{\n  \"dicom\": true,\n  \"colour\": 3\n}", p).unwrap_err().to_string();
        assert!(e.starts_with("data/settings.json:3:"), "{e}");
        assert!(e.contains("unknown field `colour`"), "{e}");
        let e = Settings::parse("{\"lrs\": {\"endpoint\": \"http://x/xAPI\"}}", p).unwrap_err().to_string();
        assert!(e.contains("missing field `user`"), "{e}");
        let e = Settings::parse("{\"lrs\": {\"endpoint\": \"lrs.example.edu\", \"user\": \"u\"}}", p)
            .unwrap_err()
            .to_string();
        assert!(e.contains("lrs.endpoint") && e.contains("lrs.example.edu"), "{e}");
        let e = Settings::parse("{\"dicom\": \"yes\"}", p).unwrap_err().to_string();
        assert!(e.contains("data/settings.json:1:") && e.contains("invalid type"), "{e}");
    }
}
