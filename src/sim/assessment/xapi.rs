//! Learning records: a session's result as xAPI 1.0.3 statements a Learning Record Store
//! accepts (docs/ASSESSMENT.md lists the verbs, activities and extensions).
//!
//! Statement ids are UUID v5 from the session's registration and the statement's index,
//! and the registration is UUID v5 from the session log, so the same session always
//! gives the same ids: sending it again never duplicates it in the store.

use serde_json::{Value, json};
use uuid::Uuid;

use super::Report;
use crate::sim::session::ActionLog;

/// The xAPI version the statements follow (sent as `X-Experience-API-Version`).
pub const XAPI_VERSION: &str = "1.0.3";

/// Environment variable naming the trainees' account home page.
pub const HOME_PAGE_ENV: &str = "FLUOROHIP_XAPI_HOME_PAGE";

/// The account home page when none is configured. `.invalid` is reserved (RFC 2606):
/// it says plainly that the workshop did not name its system.
pub const DEFAULT_HOME_PAGE: &str = "https://fluorohip.invalid/trainees";

/// Prefix of this project's IRIs (activity ids, extension keys). A URN is an IRI, and
/// the project owns no web domain to mint resolvable ones under.
pub const IRI_PREFIX: &str = "urn:fluorohip:";

/// The namespace of every UUID this module derives (UUID v5 of the URL namespace).
fn namespace() -> Uuid {
    Uuid::new_v5(&Uuid::NAMESPACE_URL, b"urn:fluorohip:xapi")
}

/// A setting for the statements that is not usable.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum XapiError {
    #[error(
        "{source_name} `{value}` is not a web address: xAPI needs the trainees' account home page as an http:// or https:// URL (e.g. your LMS)"
    )]
    HomePage { source_name: String, value: String },
}

/// How statements are written: whose system the trainees' accounts belong to.
#[derive(Clone, Debug, PartialEq)]
pub struct XapiOptions {
    /// `actor.account.homePage`: an http(s) URL (xAPI requires an IRL).
    pub home_page: String,
}

impl Default for XapiOptions {
    fn default() -> Self {
        XapiOptions { home_page: DEFAULT_HOME_PAGE.to_string() }
    }
}

impl XapiOptions {
    /// Options with this home page; `source_name` (the option or variable it came from)
    /// names it in the error.
    pub fn with_home_page(value: &str, source_name: &str) -> Result<XapiOptions, XapiError> {
        let v = value.trim();
        let rest = v.strip_prefix("https://").or_else(|| v.strip_prefix("http://"));
        let host_ok = rest.is_some_and(|r| {
            let host = r.split(['/', '?', '#']).next().unwrap_or("");
            !host.is_empty() && !host.contains('@')
        });
        if !host_ok || v.chars().any(char::is_whitespace) {
            return Err(XapiError::HomePage { source_name: source_name.to_string(), value: value.to_string() });
        }
        Ok(XapiOptions { home_page: v.to_string() })
    }

    /// The home page from [`HOME_PAGE_ENV`], else the default.
    pub fn from_env() -> Result<XapiOptions, XapiError> {
        match std::env::var(HOME_PAGE_ENV) {
            Ok(v) if !v.trim().is_empty() => XapiOptions::with_home_page(&v, HOME_PAGE_ENV),
            _ => Ok(XapiOptions::default()),
        }
    }
}

/// The session's registration: the same log always gives the same UUID, and logs that
/// differ in anything (trainee, seed, an action, the start time) give different ones.
pub fn registration(log: &ActionLog) -> Uuid {
    let text = serde_json::to_string(log).expect("logs serialise");
    Uuid::new_v5(&namespace(), format!("registration:{text}").as_bytes())
}

/// The id of the session's `index`-th statement.
pub fn statement_id(registration: Uuid, index: usize) -> Uuid {
    Uuid::new_v5(&namespace(), format!("statement:{registration}:{index}").as_bytes())
}

fn iri(name: &str) -> String {
    format!("{IRI_PREFIX}{name}")
}

/// The session's statements: attempted; passed or failed with the score and the domain
/// verdicts; one failed per critical error. Each has an id, the registration and, when
/// the log has the wall-clock start, a timestamp (start plus simulated time).
pub fn statements(r: &Report, log: &ActionLog, options: &XapiOptions) -> Vec<Value> {
    let registration = registration(log);
    let name = if r.trainee.is_empty() { "anonymous" } else { r.trainee.as_str() };
    let actor = json!({
        "objectType": "Agent",
        "name": if r.trainee.is_empty() { "anonymous trainee" } else { r.trainee.as_str() },
        "account": { "homePage": options.home_page, "name": name },
    });
    let object = json!({
        "objectType": "Activity",
        "id": iri(&format!("scenario:{}", r.scenario)),
        "definition": {
            "name": { "en": r.scenario_title },
            "description": { "en": "Simulated fluoroscopically guided hip joint injection (synthetic patient). NOT FOR CLINICAL USE." },
            "type": "http://adlnet.gov/expapi/activities/simulation",
        },
    });
    let context = json!({
        "registration": registration.to_string(),
        "platform": r.software,
        "language": "en",
        "extensions": {
            iri("seed"): r.seed,
            iri("disclaimer"): r.disclaimer,
        },
    });
    let verb = |id: &str| json!({ "id": format!("http://adlnet.gov/expapi/verbs/{id}"), "display": { "en": id } });
    let start = log.started_at;
    let end = start.map(|t| t.plus_seconds(r.metrics.total_time_s));
    let mut out =
        vec![(json!({ "actor": actor, "verb": verb("attempted"), "object": object, "context": context }), start)];
    out.push((
        json!({
            "actor": actor,
            "verb": verb(if r.score.passed { "passed" } else { "failed" }),
            "object": object,
            "context": context,
            "result": {
                "score": { "raw": r.score.total, "min": 0.0, "max": r.score.max, "scaled": r.score.total / r.score.max },
                "success": r.score.passed,
                "completion": r.metrics.steps_missing.is_empty(),
                "duration": format!("PT{:.1}S", r.metrics.total_time_s),
                "extensions": {
                    iri("fluoro_s"): r.metrics.fluoro_s,
                    iri("dap_gy_cm2"): r.metrics.dap_gy_cm2,
                    iri("target_error_mm"): r.metrics.target_error_mm,
                    iri("domains"): r.score.domains.iter().map(|d| json!({
                        "domain": d.domain.as_str(),
                        "passed": d.passed,
                        "points": d.points,
                        "max": d.max_points,
                        "failed_because": d.failed_because,
                    })).collect::<Vec<_>>(),
                },
            },
        }),
        end,
    ));
    for c in &r.score.critical_errors {
        out.push((
            json!({
                "actor": actor,
                "verb": verb("failed"),
                "object": object,
                "context": context,
                "result": { "success": false, "response": format!("critical error: {c:?}") },
            }),
            end,
        ));
    }
    out.into_iter()
        .enumerate()
        .map(|(i, (mut st, at))| {
            st["id"] = json!(statement_id(registration, i).to_string());
            if let Some(at) = at {
                st["timestamp"] = json!(at.to_string());
            }
            st
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_can_be_recomputed_by_anyone() {
        // The same UUIDs from Python: uuid.uuid5(uuid.NAMESPACE_URL, "urn:fluorohip:xapi"),
        // then uuid.uuid5(ns, "x"), then uuid.uuid5(ns, f"statement:{r}:0").
        assert_eq!(namespace().to_string(), "92c079af-c8ca-5807-a7b0-71bc28248b18");
        let r = Uuid::new_v5(&namespace(), b"x");
        assert_eq!(r.to_string(), "1dedec13-0f59-5081-9686-2c22c5ddc389");
        assert_eq!(statement_id(r, 0).to_string(), "59f752de-5ef6-524c-9a61-7962c6732d9a");
    }

    #[test]
    fn the_home_page_must_be_a_web_address() {
        assert!(XapiOptions::with_home_page("https://lms.example.edu/", "--xapi-home-page").is_ok());
        for bad in ["urn:fluorohip:workshop", "lms.example.edu", "https://", "http://u:p@host/", "https://a b"] {
            let e = XapiOptions::with_home_page(bad, "--xapi-home-page").unwrap_err().to_string();
            assert!(e.contains("--xapi-home-page") && e.contains(bad), "{e}");
        }
    }
}
