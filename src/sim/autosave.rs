//! Where the app keeps its files, and the session log saved after every action, so a
//! crash or a closed window loses at most the action in progress.
//!
//! The autosave is an ordinary session log (the same JSON `fluorohip replay` reads);
//! it is written atomically, so the file on disk is always a whole log.

use std::path::{Path, PathBuf};

pub use super::files::file_safe;
use super::files::{WriteError, store, write_atomically};
use super::script::{ScriptError, load_log};
use super::session::{ActionLog, Session};

/// The folder for autosaves, finished session logs and reports:
/// `$FLUOROHIP_DATA_DIR`, else `$XDG_DATA_HOME/fluorohip`, else
/// `~/.local/share/fluorohip` (`%APPDATA%\fluorohip` on Windows), else `./fluorohip-data`.
pub fn data_dir() -> PathBuf {
    let var = |k: &str| std::env::var_os(k).filter(|v| !v.is_empty()).map(PathBuf::from);
    if let Some(d) = var("FLUOROHIP_DATA_DIR") {
        return d;
    }
    if let Some(d) = var("XDG_DATA_HOME") {
        return d.join("fluorohip");
    }
    if let Some(d) = var("APPDATA") {
        return d.join("fluorohip");
    }
    if let Some(h) = var("HOME") {
        return h.join(".local").join("share").join("fluorohip");
    }
    PathBuf::from("fluorohip-data")
}

/// The first `base`, `base-2`, `base-3`… under `dir` that does not exist yet.
fn fresh(dir: &Path, base: &str, ext: &str) -> PathBuf {
    (1..)
        .map(|k| if k == 1 { dir.join(format!("{base}{ext}")) } else { dir.join(format!("{base}-{k}{ext}")) })
        .find(|p| !store::exists(p))
        .expect("some name is free")
}

/// The name a session's files go under: case, seed and trainee. The case's name is
/// checked when the case is loaded; it passes the same rule here again, so no session
/// however made can name a path outside the data folder.
pub fn session_stem(session: &Session) -> String {
    format!("{}-seed{}-{}", file_safe(&session.scenario().name), session.seed(), file_safe(session.trainee()))
}

/// A new folder name for this session's reports under `data_dir/reports`.
pub fn report_dir(data_dir: &Path, session: &Session) -> PathBuf {
    fresh(&data_dir.join("reports"), &session_stem(session), "")
}

/// The in-progress session log.
#[derive(Clone, Debug)]
pub struct Autosave {
    dir: PathBuf,
}

impl Autosave {
    pub fn in_dir(data_dir: &Path) -> Self {
        Autosave { dir: data_dir.to_path_buf() }
    }

    /// Where the in-progress log lives.
    pub fn path(&self) -> PathBuf {
        self.dir.join("autosave").join("session-log.json")
    }

    /// Save the whole log (atomically; the previous save stays whole if this fails).
    pub fn save(&self, session: &Session) -> Result<(), WriteError> {
        let path = self.path();
        if let Some(parent) = path.parent() {
            store::create_dir_all(parent).map_err(|source| WriteError { path: parent.to_path_buf(), source })?;
        }
        let json = serde_json::to_vec_pretty(&session.log()).expect("logs serialise");
        write_atomically(&path, &json)
    }

    /// An interrupted session, if one was left: its log, or why it cannot be read.
    pub fn pending(&self) -> Option<Result<ActionLog, ScriptError>> {
        let path = self.path();
        store::is_file(&path).then(|| load_log(&path))
    }

    /// The session ended normally: keep its log under `sessions/` and clear the autosave.
    /// Returns where the log went.
    pub fn finish(&self, session: &Session) -> Result<PathBuf, WriteError> {
        let dir = self.dir.join("sessions");
        store::create_dir_all(&dir).map_err(|source| WriteError { path: dir.clone(), source })?;
        let kept = fresh(&dir, &session_stem(session), ".json");
        let json = serde_json::to_vec_pretty(&session.log()).expect("logs serialise");
        write_atomically(&kept, &json)?;
        self.discard();
        Ok(kept)
    }

    /// Forget the interrupted session.
    pub fn discard(&self) {
        let _ = store::remove_file(&self.path());
    }

    /// The trainee chose to discard an interrupted session: it is kept, unchanged, among the
    /// old sessions (`sessions/discarded-N.json`), never deleted. Returns where it went.
    pub fn set_aside(&self) -> Result<PathBuf, WriteError> {
        let dir = self.dir.join("sessions");
        store::create_dir_all(&dir).map_err(|source| WriteError { path: dir.clone(), source })?;
        let kept = fresh(&dir, "discarded", ".json");
        store::rename(&self.path(), &kept).map_err(|source| WriteError { path: kept.clone(), source })?;
        Ok(kept)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::Scenario;
    use crate::sim::session::Action;

    fn temp(name: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("fluorohip-autosave-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        d
    }

    /// Discarding an interrupted session keeps its log, byte for byte, among the old
    /// sessions; a second discarded one does not replace the first.
    #[test]
    fn a_discarded_session_is_kept_not_deleted() {
        let dir = temp("discard");
        let a = Autosave::in_dir(&dir);
        let mut s = Session::new(Scenario::default(), 2).unwrap();
        s.apply(Action::Consent).unwrap();
        a.save(&s).unwrap();
        let bytes = std::fs::read(a.path()).unwrap();
        let kept = a.set_aside().unwrap();
        assert!(a.pending().is_none(), "no longer offered for resume");
        assert_eq!(std::fs::read(&kept).unwrap(), bytes);
        a.save(&s).unwrap();
        let second = a.set_aside().unwrap();
        assert_ne!(second, kept);
        assert_eq!(std::fs::read(&kept).unwrap(), bytes, "the first is still there");
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn an_interrupted_session_resumes_where_it_stopped() {
        let dir = temp("resume");
        let a = Autosave::in_dir(&dir);
        assert!(a.pending().is_none());
        let mut s = Session::new(Scenario::default(), 5).unwrap();
        s.set_trainee("Dr Ada");
        for action in [Action::Consent, Action::TimeOut, Action::Fluoro { seconds: 1.0 }] {
            s.apply(action).unwrap();
            a.save(&s).unwrap();
        }
        // A new process finds the log and rebuilds the same session from it.
        let log = a.pending().expect("a log was left").unwrap();
        let resumed = Session::replay(&log).unwrap();
        assert_eq!(resumed.log(), s.log());
        assert_eq!(resumed.dose(), s.dose());
        assert_eq!(resumed.trainee(), "Dr Ada");
        // Finishing keeps the log and clears the autosave.
        let kept = a.finish(&s).unwrap();
        assert!(kept.starts_with(dir.join("sessions")), "{}", kept.display());
        assert!(a.pending().is_none());
        assert_eq!(load_log(&kept).unwrap(), s.log());
        // A second finished session on the same case does not overwrite the first.
        assert_ne!(a.finish(&s).unwrap(), kept);
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn a_broken_autosave_is_reported_with_its_path() {
        let dir = temp("broken");
        let a = Autosave::in_dir(&dir);
        std::fs::create_dir_all(a.path().parent().unwrap()).unwrap();
        std::fs::write(a.path(), "{ not json").unwrap();
        let e = a.pending().unwrap().unwrap_err().to_string();
        assert!(e.contains("session-log.json"), "{e}");
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn names_are_file_safe() {
        assert_eq!(file_safe("Dr A/B <x>"), "Dr_A_B__x_");
        assert_eq!(file_safe(""), "anonymous");
        assert!(file_safe(&"x".repeat(100)).len() <= 40);
    }
}
