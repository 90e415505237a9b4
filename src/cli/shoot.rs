//! `fluorohip shoot`: one fluoroscopy shot as a PNG and/or DICOM, for teaching images.

use std::path::PathBuf;

use clap::ValueEnum;
use fluorohip::DISCLAIMER;
use fluorohip::sim::anatomy::LandmarkName;
use fluorohip::sim::imaging::dicom::{self, DicomImage, DicomSeries};
use fluorohip::sim::imaging::{
    Collimation, DetectorKind, FieldSize, ImagingSettings, Polarity, PulseRate, export, labels,
};
use fluorohip::sim::injection::Fluid;
use fluorohip::sim::needle::NeedleKind;
use fluorohip::sim::session::PointRef;
use fluorohip::sim::{Action, EventKind, Scenario, Session};
use glam::DVec3;
use serde_json::json;

use super::{fail, parse_landmark, parse_xyz};

#[derive(clap::Args, Debug)]
pub struct ShootArgs {
    /// Seed of the synthetic patient.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Orbital angle: positive LAO (detector toward the patient's left), negative RAO (degrees, -90..90).
    #[arg(long, default_value_t = 0.0, allow_hyphen_values = true)]
    lao: f64,
    /// Angulation: positive cranial, negative caudal (degrees, -45..45).
    #[arg(long, default_value_t = 0.0, allow_hyphen_values = true)]
    cranial: f64,
    /// Image-intensifier field in cm: 23, 15 or 11.
    #[arg(long, default_value_t = 23.0, value_parser = parse_field)]
    field: f64,
    /// Image size in pixels (64-1024).
    #[arg(long, default_value_t = 512, value_parser = clap::value_parser!(u32).range(64..=1024))]
    size: u32,
    /// Pulse rate.
    #[arg(long, value_enum, default_value_t = Pulse::P15)]
    pulse: Pulse,
    /// Low-dose mode (half the dose rate, more noise).
    #[arg(long)]
    low_dose: bool,
    /// Iris collimator diameter as a fraction of the field (0.2-1).
    #[arg(long, default_value_t = 1.0)]
    iris: f64,
    /// Slot collimator width as a fraction of the field (0.2-1).
    #[arg(long, default_value_t = 1.0)]
    slot: f64,
    /// Display polarity.
    #[arg(long, value_enum, default_value_t = Pol::BoneBlack)]
    polarity: Pol,
    /// Edge enhancement.
    #[arg(long)]
    edge: bool,
    /// Flat-panel detector (square field) instead of an image intensifier.
    #[arg(long)]
    flat_panel: bool,
    /// Exposure time of the shot (s).
    #[arg(long, default_value_t = 1.0)]
    seconds: f64,
    /// Landmark the beam is centred on.
    #[arg(long, value_parser = parse_landmark, default_value = "target")]
    iso: LandmarkName,
    /// Insert a needle on the standard anterior approach to this landmark (e.g. target, femoral_pulse).
    #[arg(long, value_parser = parse_landmark)]
    needle_to: Option<LandmarkName>,
    /// Stop the tip this many mm short of the landmark, along the approach.
    #[arg(long, default_value_t = 0.0, allow_hyphen_values = true)]
    stop_short_mm: f64,
    /// Move the aim point by DX,DY,DZ mm (patient axes: +x medial, +y posterior, +z superior).
    #[arg(long, value_parser = parse_xyz, allow_hyphen_values = true)]
    offset_mm: Option<DVec3>,
    /// A straight needle from this skin point (X,Y,Z mm) ...
    #[arg(long, value_parser = parse_xyz, allow_hyphen_values = true, requires = "needle_tip", conflicts_with = "needle_to")]
    needle_entry: Option<DVec3>,
    /// ... to this tip (X,Y,Z mm).
    #[arg(long, value_parser = parse_xyz, allow_hyphen_values = true, requires = "needle_entry")]
    needle_tip: Option<DVec3>,
    /// Inject this much contrast (mL of iohexol 300) through the needle before the shot.
    #[arg(long, default_value_t = 0.0)]
    contrast_ml: f64,
    /// Seconds between the end of the injection and the shot.
    #[arg(long, default_value_t = 2.0)]
    delay_s: f64,
    /// Name the landmarks a trainee must find (head, neck, trochanters, sourcil, teardrop,
    /// obturator foramen, ilioischial and iliopectineal lines, target) beside where they project: the labelled teaching view.
    #[arg(long)]
    labels: bool,
    /// Where to write the PNG.
    #[arg(long, required_unless_present = "dicom")]
    out: Option<PathBuf>,
    /// Also (or instead) write the shot as DICOM (Secondary Capture of a synthetic patient).
    #[arg(long)]
    dicom: Option<PathBuf>,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum Pulse {
    #[value(name = "continuous")]
    Continuous,
    #[value(name = "15")]
    P15,
    #[value(name = "7.5")]
    P7_5,
    #[value(name = "3")]
    P3,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum Pol {
    BoneBlack,
    BoneWhite,
}

fn parse_field(s: &str) -> Result<f64, String> {
    let v: f64 = s.parse().map_err(|_| format!("`{s}` is not a number"))?;
    FieldSize::from_cm(v).map(|f| f.cm()).ok_or_else(|| format!("field must be 23, 15 or 11 cm, not {v}"))
}

pub fn shoot(a: &ShootArgs) -> i32 {
    let mut session = match Session::new(Scenario::default(), a.seed) {
        Ok(s) => s,
        Err(e) => return fail(e, 2),
    };
    let settings = ImagingSettings {
        field: FieldSize::from_cm(a.field).unwrap_or_default(),
        detector: if a.flat_panel { DetectorKind::FlatPanel } else { DetectorKind::ImageIntensifier },
        pulse_rate: match a.pulse {
            Pulse::Continuous => PulseRate::Continuous,
            Pulse::P15 => PulseRate::Pps15,
            Pulse::P7_5 => PulseRate::Pps7_5,
            Pulse::P3 => PulseRate::Pps3,
        },
        low_dose: a.low_dose,
        collimation: Collimation { iris: a.iris, slot: a.slot },
        polarity: match a.polarity {
            Pol::BoneBlack => Polarity::BoneBlack,
            Pol::BoneWhite => Polarity::BoneWhite,
        },
        edge_enhance: a.edge,
        pixels: a.size as usize,
    };
    let mut actions = vec![
        Action::SetImaging { settings },
        Action::SetCArm { lao_deg: a.lao, cranial_deg: a.cranial, isocentre: Some(PointRef::landmark(a.iso)) },
    ];
    let p = session.patient();
    let offset = a.offset_mm.unwrap_or(DVec3::ZERO);
    if let Some(name) = a.needle_to {
        let aim = p.landmarks.get(name) + offset;
        // Standard anterior approach: enter the skin straight in front of the aim point.
        let entry = DVec3::new(aim.x, p.skin.front_y(aim.x), aim.z);
        let depth = (aim - entry).length();
        if a.stop_short_mm < 0.0 || a.stop_short_mm >= depth {
            return fail(
                format!("--stop-short-mm {} must be in 0..{depth:.0} (the skin-to-aim depth)", a.stop_short_mm),
                2,
            );
        }
        let tip = aim + (entry - aim).normalize() * a.stop_short_mm;
        actions.push(Action::SelectNeedle { needle: NeedleKind::Quincke22G89 });
        actions
            .push(Action::PlaceNeedle { entry: PointRef::Xyz(entry.to_array()), tip: PointRef::Xyz(tip.to_array()) });
    } else if let (Some(e), Some(t)) = (a.needle_entry, a.needle_tip) {
        actions.push(Action::PlaceNeedle {
            entry: PointRef::Xyz((e + offset).to_array()),
            tip: PointRef::Xyz((t + offset).to_array()),
        });
    }
    if a.contrast_ml > 0.0 {
        if a.needle_to.is_none() && a.needle_entry.is_none() {
            return fail("--contrast-ml needs a needle: give --needle-to or --needle-entry/--needle-tip", 2);
        }
        actions.push(Action::Inject { fluid: Fluid::Contrast, volume_ml: a.contrast_ml, rate_ml_s: None });
        actions.push(Action::Wait { seconds: a.delay_s.max(0.0) });
    }
    actions.push(Action::Fluoro { seconds: a.seconds });
    for action in actions {
        if let Err(e) = session.apply(action) {
            return fail(e, 2);
        }
    }
    let state = session.state();
    let Some(frame) = state.fluoroscope.last_image() else { return fail("no image was taken", 1) };
    let mut labelled = None;
    let mut placed = Vec::new();
    if a.labels {
        let mut f = frame.clone();
        let g = state.fluoroscope.geometry(session.position());
        placed = labels::burn_labels(&mut f, &g, &labels::teaching_landmarks(session.patient()));
        labelled = Some(f);
    }
    let frame = labelled.as_ref().unwrap_or(frame);
    let dose = session.dose();
    let (angle, in_view) = state
        .events
        .iter()
        .rev()
        .find_map(|e| match &e.kind {
            EventKind::Shot { needle_beam_angle_deg, tip_in_view, .. } => Some((*needle_beam_angle_deg, *tip_in_view)),
            _ => None,
        })
        .unwrap_or((None, false));
    let needle_events: Vec<&EventKind> =
        state.events.iter().map(|e| &e.kind).filter(|k| matches!(k, EventKind::Needle(_))).collect();
    let summary = json!({
        "disclaimer": DISCLAIMER,
        "seed": a.seed,
        "out": a.out,
        "dicom": a.dicom,
        "pose": { "lao_deg": a.lao, "cranial_deg": a.cranial, "isocentre": a.iso.as_str() },
        "settings": settings,
        "dap_gy_cm2": dose.dap_gy_cm2,
        "air_kerma_mgy": dose.air_kerma_mgy,
        "kv": state.fluoroscope.last_kv,
        "fluoro_s": dose.fluoro_s,
        "frames": dose.frames,
        "tip_compartment": state.tip_compartment,
        "tip_mm": state.needle.map(|n| n.tip().to_array()),
        "needle_beam_angle_deg": angle,
        "tip_in_view": in_view,
        "needle_events": needle_events,
        "contrast_pattern": state.contrast_pattern.as_str(),
        "volumes_ml": state.volumes,
        "labels": placed.iter().map(|l| json!({ "name": l.name, "pixel": l.pixel, "name_box": l.name_box })).collect::<Vec<_>>(),
    });
    let caption = format!(
        "SEED {} LAO {:.0} CRAN {:.0} FIELD {:.0} CM DAP {:.4} GYCM2",
        a.seed, a.lao, a.cranial, a.field, dose.dap_gy_cm2
    );
    let meta = [("Description", summary.to_string())];
    if let Some(out) = &a.out
        && let Err(e) = export::write_png(out, frame, &caption, &meta)
    {
        return fail(e, 1);
    }
    if let Some(path) = &a.dicom {
        // The UIDs follow from what the shot is of (the summary without where it is written).
        let mut identity = summary.clone();
        identity["out"] = serde_json::Value::Null;
        identity["dicom"] = serde_json::Value::Null;
        let series = DicomSeries {
            identity: identity.to_string(),
            seed: a.seed,
            sex: session.patient().params.sex,
            description: format!("FLUOROSCOPY SHOT - {}", fluorohip::DISCLAIMER_SHORT),
            study: "fluorohip: a single fluoroscopy shot".into(),
            started_at: None,
        };
        let gray = export::annotated_pixels(frame, &caption);
        let image = DicomImage {
            pixels: frame.pixels,
            gray: &gray,
            instance_number: 1,
            time_s: state.clock_s,
            comment: format!(
                "Simulated fluoroscopy shot, seed {}, LAO {:.0} cranial {:.0}, {:.0} cm field.",
                a.seed, a.lao, a.cranial, a.field
            ),
        };
        let written = dicom::encode(&series, &image)
            .map_err(|e| e.to_string())
            .and_then(|bytes| fluorohip::sim::files::write_atomically(path, &bytes).map_err(|e| e.to_string()));
        if let Err(e) = written {
            return fail(e, 1);
        }
    }
    match serde_json::to_string_pretty(&summary) {
        Ok(s) => println!("{s}"),
        Err(e) => return fail(e, 1),
    }
    0
}
