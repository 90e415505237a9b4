//! Action scripts and session logs on disk: RON or JSON lists of actions in the
//! session's own vocabulary (docs/ACTIONS.md), with errors that name the file,
//! the line and the action's index.

use std::path::{Path, PathBuf};

use super::Scenario;
use super::scenario::{ScenarioError, line_of_field};
use super::session::{Action, ActionLog, ReplayError, Session};

/// A script or log that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ScriptError {
    #[error("cannot read {}: {source}", path.display())]
    Read { path: PathBuf, source: std::io::Error },
    #[error("{}:{line}:{column}: {message}", path.display())]
    Syntax { path: PathBuf, line: usize, column: usize, message: String },
    #[error("{}:{line}: action {index}: {message}", path.display())]
    Action { path: PathBuf, line: usize, index: usize, message: String },
    #[error("{}: {message}", path.display())]
    Invalid { path: PathBuf, message: String },
    #[error("{}:{line}: field `{field}`: {message}", path.display())]
    Field { path: PathBuf, line: usize, field: &'static str, message: String },
    #[error(transparent)]
    Scenario(#[from] ScenarioError),
}

fn is_json(path: &Path) -> bool {
    path.extension().is_some_and(|e| e.eq_ignore_ascii_case("json"))
}

/// Line (1-based) where each element of the top-level list starts, skipping strings
/// and comments, so an action's index can be traced to its line.
pub fn element_lines(text: &str) -> Vec<usize> {
    let mut lines = Vec::new();
    let (mut depth, mut line) = (0usize, 1usize);
    let mut expecting = false;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\n' => {
                line += 1;
                continue;
            }
            '/' if chars.peek() == Some(&'/') => {
                for d in chars.by_ref() {
                    if d == '\n' {
                        line += 1;
                        break;
                    }
                }
                continue;
            }
            '/' if chars.peek() == Some(&'*') => {
                chars.next();
                let mut prev = ' ';
                for d in chars.by_ref() {
                    if d == '\n' {
                        line += 1;
                    }
                    if prev == '*' && d == '/' {
                        break;
                    }
                    prev = d;
                }
                continue;
            }
            c if c.is_whitespace() => continue,
            _ => {}
        }
        if expecting && depth == 1 && c != ']' {
            lines.push(line);
            expecting = false;
        }
        match c {
            '"' => {
                let mut escaped = false;
                for d in chars.by_ref() {
                    if d == '\n' {
                        line += 1;
                    }
                    if escaped {
                        escaped = false;
                    } else if d == '\\' {
                        escaped = true;
                    } else if d == '"' {
                        break;
                    }
                }
            }
            '[' | '(' | '{' => {
                depth += 1;
                if depth == 1 && c == '[' {
                    expecting = true;
                }
            }
            ']' | ')' | '}' => depth = depth.saturating_sub(1),
            ',' if depth == 1 => expecting = true,
            _ => {}
        }
    }
    lines
}

fn syntax(path: &Path, line: usize, column: usize, message: String) -> ScriptError {
    ScriptError::Syntax { path: path.to_path_buf(), line, column, message }
}

/// Parse a list of actions from RON or JSON text (JSON when `path` ends in `.json`); every
/// value is checked against its range here, so a bad script is refused before it runs.
pub fn parse_actions(text: &str, path: &Path) -> Result<Vec<Action>, ScriptError> {
    let actions: Vec<Action> = if is_json(path) {
        serde_json::from_str(text).map_err(|e| syntax(path, e.line(), e.column(), e.to_string()))?
    } else {
        let options = ron::Options::default().with_default_extension(ron::extensions::Extensions::IMPLICIT_SOME);
        options.from_str(text).map_err(|e| syntax(path, e.span.start.line, e.span.start.col, e.code.to_string()))?
    };
    check_actions(&actions, &element_lines(text), path)?;
    Ok(actions)
}

/// Refuse the first action with a value out of range, naming its index and line.
fn check_actions(actions: &[Action], lines: &[usize], path: &Path) -> Result<(), ScriptError> {
    for (index, action) in actions.iter().enumerate() {
        action.validate().map_err(|e| ScriptError::Action {
            path: path.to_path_buf(),
            line: lines.get(index).copied().unwrap_or(0),
            index,
            message: e.to_string(),
        })?;
    }
    Ok(())
}

/// Load a script file.
pub fn load_actions(path: &Path) -> Result<(Vec<Action>, Vec<usize>), ScriptError> {
    let text =
        std::fs::read_to_string(path).map_err(|source| ScriptError::Read { path: path.to_path_buf(), source })?;
    let actions = parse_actions(&text, path)?;
    Ok((actions, element_lines(&text)))
}

/// Play `actions` on a new session; a refused action names its index and line.
pub fn play(
    scenario: Scenario,
    seed: u64,
    trainee: &str,
    actions: Vec<Action>,
    lines: &[usize],
    path: &Path,
) -> Result<Session, ScriptError> {
    let mut session = Session::new(scenario, seed)
        .map_err(|e| ScriptError::Invalid { path: path.to_path_buf(), message: e.to_string() })?;
    session.set_trainee(trainee);
    for (index, action) in actions.into_iter().enumerate() {
        session.apply(action).map_err(|e| ScriptError::Action {
            path: path.to_path_buf(),
            line: lines.get(index).copied().unwrap_or(0),
            index,
            message: e.to_string(),
        })?;
    }
    Ok(session)
}

/// Line where each action of a session log's `actions` list starts (empty if not found).
fn log_action_lines(text: &str) -> Vec<usize> {
    let key = text.match_indices("\"actions\"").find(|(i, _)| !text[..*i].ends_with('\\'));
    let Some((at, _)) = key else { return Vec::new() };
    let Some(open) = text[at..].find('[') else { return Vec::new() };
    let before = text[..at + open].matches('\n').count();
    element_lines(&text[at + open..]).into_iter().map(|l| l + before).collect()
}

/// Parse a saved session log (JSON) and check everything in it: its version, its case
/// (as a scenario file is checked, naming the line) and every action's values.
pub fn parse_log(text: &str, path: &Path) -> Result<ActionLog, ScriptError> {
    let log: ActionLog = serde_json::from_str(text).map_err(|e| syntax(path, e.line(), e.column(), e.to_string()))?;
    if log.version != super::session::LOG_VERSION {
        return Err(ScriptError::Field {
            path: path.to_path_buf(),
            line: line_of_field(text, "version"),
            field: "version",
            message: format!(
                "{} is not {}, the version this program reads and writes",
                log.version,
                super::session::LOG_VERSION
            ),
        });
    }
    let anatomy = crate::sim::anatomy::ANATOMY_VERSION;
    if log.anatomy_version != anatomy {
        return Err(ScriptError::Field {
            path: path.to_path_buf(),
            line: line_of_field(text, "anatomy_version"),
            field: "anatomy_version",
            message: format!(
                "the session was {} on synthetic anatomy version {}; this fluorohip ({}) builds version \
                 {anatomy}, where seed {} is a different patient, so the session cannot be replayed or resumed here",
                if log.program_version.is_empty() {
                    "recorded before fluorohip kept its anatomy version (before 2026-11-29)".to_string()
                } else {
                    format!("made with fluorohip {}", log.program_version)
                },
                log.anatomy_version,
                env!("CARGO_PKG_VERSION"),
                log.seed
            ),
        });
    }
    log.scenario.validate(text, path)?;
    check_actions(&log.actions, &log_action_lines(text), path)?;
    Ok(log)
}

/// Load a saved session log (JSON), checked as [`parse_log`] does.
pub fn load_log(path: &Path) -> Result<ActionLog, ScriptError> {
    // Through the store: in a browser the autosave lives in local storage.
    let text = crate::sim::files::store::read_to_string(path)
        .map_err(|source| ScriptError::Read { path: path.to_path_buf(), source })?;
    parse_log(&text, path)
}

/// Replay a saved log, naming the file (and the line of a refused action) on failure.
pub fn replay_file(path: &Path) -> Result<Session, ScriptError> {
    let text =
        std::fs::read_to_string(path).map_err(|source| ScriptError::Read { path: path.to_path_buf(), source })?;
    let log = parse_log(&text, path)?;
    Session::replay(&log).map_err(|e| match e {
        ReplayError::Action { index, error } => ScriptError::Action {
            path: path.to_path_buf(),
            line: log_action_lines(&text).get(index).copied().unwrap_or(0),
            index,
            message: error.to_string(),
        },
        ReplayError::Start(e) => ScriptError::Invalid { path: path.to_path_buf(), message: e.to_string() },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn element_lines_skip_comments_and_strings() {
        let text = "// a comment, with [brackets]\n[\n  (action: \"consent\"),\n  /* (x) */ (action: \"wait\",\n seconds: 1.0),\n  (action: \"time_out\"),\n]";
        assert_eq!(element_lines(text), vec![3, 4, 6]);
    }

    #[test]
    fn a_bad_action_names_file_line_and_index() {
        let text = "[\n  (action: \"consent\"),\n  (action: \"advance\", mm: 500.0),\n]";
        let err = parse_actions(text, Path::new("bad.ron")).unwrap_err().to_string();
        assert!(err.starts_with("bad.ron:3: action 1:"), "{err}");
        assert!(err.contains("`mm` = 500"), "{err}");
        // A point far outside the patient is refused the same way.
        let text = "[\n  (action: \"insert_needle\", entry: [1e300, 0.0, 0.0], toward: (landmark: \"target\")),\n]";
        let err = parse_actions(text, Path::new("far.ron")).unwrap_err().to_string();
        assert!(err.starts_with("far.ron:2: action 0:") && err.contains("`entry`"), "{err}");
    }

    #[test]
    fn a_log_of_another_version_names_the_line() {
        let mut log = serde_json::to_value(Session::new(Scenario::default(), 1).unwrap().log()).unwrap();
        log["version"] = 7.into();
        let text = serde_json::to_string_pretty(&log).unwrap();
        let line = text.lines().position(|l| l.contains("\"version\"")).unwrap() + 1;
        let e = parse_log(&text, Path::new("old.json")).unwrap_err().to_string();
        assert!(e.starts_with(&format!("old.json:{line}: field `version`: 7 is not 1")), "{e}");
    }

    /// A log made on other anatomy is refused, not replayed on another patient; one written
    /// before the version was recorded counts as version 1.
    #[test]
    fn a_log_made_on_other_anatomy_is_refused_naming_the_field() {
        let current = serde_json::to_value(Session::new(Scenario::default(), 4).unwrap().log()).unwrap();
        let text = serde_json::to_string_pretty(&current).unwrap();
        assert!(parse_log(&text, Path::new("now.json")).is_ok(), "today's log loads");
        let mut other = current.clone();
        other["anatomy_version"] = 99.into();
        let text = serde_json::to_string_pretty(&other).unwrap();
        let line = text.lines().position(|l| l.contains("\"anatomy_version\"")).unwrap() + 1;
        let e = parse_log(&text, Path::new("later.json")).unwrap_err().to_string();
        let want = format!("later.json:{line}: field `anatomy_version`: the session was made with fluorohip");
        assert!(e.starts_with(&want), "{e}");
        assert!(e.contains("anatomy version 99;") && e.contains("seed 4 is a different patient"), "{e}");
        let mut old = current;
        old.as_object_mut().unwrap().remove("anatomy_version");
        old.as_object_mut().unwrap().remove("program_version");
        let text = serde_json::to_string_pretty(&old).unwrap();
        let e = parse_log(&text, Path::new("old.json")).unwrap_err().to_string();
        let want = "old.json:1: field `anatomy_version`: the session was recorded before fluorohip kept its anatomy \
                    version (before 2026-11-29) on synthetic anatomy version 1;";
        assert!(e.starts_with(want), "{e}");
    }

    #[test]
    fn a_syntax_error_names_its_line() {
        let err =
            parse_actions("[\n (action: \"consent\"),\n (action: \"dance\"),\n]", Path::new("s.ron")).unwrap_err();
        assert!(err.to_string().starts_with("s.ron:3:"), "{err}");
        let err =
            parse_actions("[\n {\"action\": \"consent\"},\n {\"action\": 3}\n]", Path::new("s.json")).unwrap_err();
        assert!(err.to_string().starts_with("s.json:3:"), "{err}");
    }
}
