//! Where the tip is → what the contrast shows: the teaching cases of the atlas and of the
//! tip-position table test, found on each patient's own anatomy.

use glam::DVec3;

use crate::sim::anatomy::{Patient, Tissue};
use crate::sim::injection::ContrastPattern;
use crate::sim::needle::NeedleKind;

/// One tip position and the pattern a push there gives.
#[derive(Clone, Debug, PartialEq)]
pub struct TipCase {
    /// Short name for files (`intra_articular`, `artery`, ...).
    pub name: &'static str,
    /// Heading in words.
    pub title: &'static str,
    /// Skin entry and tip of a straight needle (mm).
    pub entry: DVec3,
    pub tip: DVec3,
    /// Whether the iliopsoas bursa communicates with the joint in this case (the patient
    /// is generated with it so); `None` leaves the patient as drawn.
    pub bursa_communicates: Option<bool>,
    /// The pattern the push gives.
    pub expected: ContrastPattern,
    /// What the image shows, in one line, for the reader.
    pub cue: &'static str,
}

impl TipCase {
    /// The shortest 22G spinal needle that reaches the tip with 5 mm to spare.
    pub fn needle(&self) -> NeedleKind {
        match (self.tip - self.entry).length() {
            d if d <= 84.0 => NeedleKind::Quincke22G89,
            d if d <= 122.0 => NeedleKind::Quincke22G127,
            _ => NeedleKind::Quincke22G178,
        }
    }
}

/// A straight anterior needle to `tip`: the skin straight in front of it.
fn anterior(patient: &Patient, tip: DVec3) -> DVec3 {
    DVec3::new(tip.x, patient.skin.front_y(tip.x), tip.z)
}

/// A skin entry from the front from which a straight needle reaches `tip` without meeting
/// bone, a nerve or a vessel other than `own` on the way (the needle would stop there, or
/// the picture would teach a path through a structure at risk): straight in
/// front if that is clear, else the nearest clear point tilted up to 30 mm.
fn clear_entry(patient: &Patient, tip: DVec3, own: Option<Tissue>) -> Option<DVec3> {
    let mut offsets: Vec<(f64, f64)> = Vec::new();
    for dx in [0.0, -8.0, 8.0, -16.0, 16.0, -24.0, 24.0] {
        for dz in [0.0, -8.0, 8.0, -16.0, 16.0, -24.0, 24.0] {
            offsets.push((dx, dz));
        }
    }
    offsets.sort_by(|a, b| libm::hypot(a.0, a.1).total_cmp(&libm::hypot(b.0, b.1)));
    offsets.into_iter().find_map(|(dx, dz)| {
        let x = tip.x + dx;
        let entry = DVec3::new(x, patient.skin.front_y(x), tip.z + dz);
        let len = (tip - entry).length();
        let clear = patient.tissue_spans(entry, tip).iter().all(|sp| {
            let blocking = sp.tissue.is_bone()
                || matches!(sp.tissue, Tissue::FemoralCartilage | Tissue::AcetabularCartilage)
                || ((sp.tissue.is_vessel() || sp.tissue.is_at_risk()) && Some(sp.tissue) != own);
            !blocking || sp.from_mm >= len - 0.3
        });
        clear.then_some(entry)
    })
}

/// The cases on `patient` (supine, anterior approach), in the atlas's order. A case whose
/// tissue this patient lacks on the approach is left out.
pub fn tip_cases(patient: &Patient) -> Vec<TipCase> {
    let l = &patient.landmarks;
    let mut out = Vec::new();
    let target = l.target;
    let entry = clear_entry(patient, target, None).unwrap_or_else(|| anterior(patient, target));
    out.push(TipCase {
        name: "intra_articular",
        title: "Intra-articular (tip on the head-neck junction)",
        entry,
        tip: target,
        bursa_communicates: None,
        expected: ContrastPattern::IntraArticular,
        cue: "flows away from the tip, pools in the neck recesses and outlines head and neck: proceed",
    });
    // Along the approach: the capsule wall, and the fat and muscle short of it.
    let dir = (target - entry).normalize();
    let spans = patient.tissue_spans(entry, target);
    if let Some(wall) = spans.iter().find(|s| s.tissue == Tissue::CapsuleWall) {
        out.push(TipCase {
            name: "partly_intra_articular",
            title: "Partly intra-articular (bevel across the capsule wall)",
            entry,
            // In the deep part of the wall: the bevel (about 1.5 mm) opens into the joint.
            tip: entry + dir * (wall.to_mm - 0.8).max(wall.from_mm),
            bursa_communicates: None,
            expected: ContrastPattern::Mixed,
            cue: "the joint distends while a streak runs along the capsule: advance a little, inject again",
        });
    }
    if let Some(fat) = spans.iter().find(|s| s.tissue == Tissue::Fat && s.to_mm - s.from_mm > 4.0) {
        out.push(TipCase {
            name: "extra_articular_fat",
            title: "Extra-articular, in fat (far short of the capsule)",
            entry,
            tip: entry + dir * (0.5 * (fat.from_mm + fat.to_mm)),
            bursa_communicates: None,
            expected: ContrastPattern::ExtraArticular,
            cue: "a soft-edged cloud that stays at the tip, no outline: advance to bone, inject again",
        });
    }
    if let Some(m) =
        spans.iter().rev().find(|s| matches!(s.tissue, Tissue::Muscle | Tissue::Iliopsoas) && s.to_mm - s.from_mm > 4.0)
    {
        out.push(TipCase {
            name: "intramuscular",
            title: "Intramuscular (short of the capsule)",
            entry,
            tip: entry + dir * (0.5 * (m.from_mm + m.to_mm)),
            bursa_communicates: None,
            expected: ContrastPattern::ExtraArticular,
            cue: "feathery streaks along the muscle fibres, no outline: advance to bone, inject again",
        });
    }
    for (communicates, name, title, cue) in [
        (
            false,
            "bursa",
            "Iliopsoas bursa",
            "a long sac in front of the joint fills from the tip, craniocaudally: redirect to the head-neck junction",
        ),
        (
            true,
            "bursa_communicating",
            "Iliopsoas bursa that communicates with the joint",
            "the sac fills and the joint outline follows through the communication: still redirect",
        ),
    ] {
        let Some((entry, tip)) = (0..36).find_map(|k| {
            // From the bursa's centre outward along its length, then beside it, until one
            // is reachable.
            let j = k % 12;
            let dz = if j % 2 == 0 { j as f64 } else { -(j as f64) - 1.0 } * 2.0;
            let dx = [0.0, 6.0, -6.0][k / 12];
            let tip = l.iliopsoas_bursa + DVec3::new(dx, 0.0, dz);
            (patient.tissue_at(tip) == Tissue::IliopsoasBursa)
                .then(|| clear_entry(patient, tip, None).map(|e| (e, tip)))
                .flatten()
        }) else {
            continue;
        };
        out.push(TipCase {
            name,
            title,
            entry,
            tip,
            bursa_communicates: Some(communicates),
            expected: ContrastPattern::Bursal,
            cue,
        });
    }
    if let Some((entry, tip)) = peritendinous_point(patient) {
        out.push(TipCase {
            name: "peritendinous",
            title: "Beside the iliopsoas tendon (peritendinous)",
            entry,
            tip,
            bursa_communicates: None,
            expected: ContrastPattern::Bursal,
            cue: "wraps round the tendon in a U and runs along it craniocaudally, no joint outline: redirect",
        });
    }
    out.push(TipCase {
        name: "artery",
        title: "Femoral artery",
        entry: clear_entry(patient, l.femoral_artery, Some(Tissue::FemoralArtery))
            .unwrap_or_else(|| anterior(patient, l.femoral_artery)),
        tip: l.femoral_artery,
        bursa_communicates: None,
        expected: ContrastPattern::Intravascular,
        cue: "a faint column runs distally and is gone within a second or two: never inject drug, withdraw",
    });
    out.push(TipCase {
        name: "vein",
        title: "Femoral vein",
        entry: clear_entry(patient, l.femoral_vein, Some(Tissue::FemoralVein))
            .unwrap_or_else(|| anterior(patient, l.femoral_vein)),
        tip: l.femoral_vein,
        bursa_communicates: None,
        expected: ContrastPattern::Intravascular,
        cue: "a faint, slower column runs cranially and clears: withdraw and redirect",
    });
    if let Some(tip) = branch_point(patient) {
        out.push(TipCase {
            name: "circumflex_branch",
            title: "Lateral circumflex branch",
            entry: clear_entry(patient, tip, Some(Tissue::LateralCircumflexBranch))
                .unwrap_or_else(|| anterior(patient, tip)),
            tip,
            bursa_communicates: None,
            expected: ContrastPattern::Intravascular,
            cue: "a thin serpiginous line runs laterally and clears: withdraw and redirect",
        });
    }
    out
}

/// A point in the lateral circumflex branch's lumen reached from the front through soft
/// tissue only (no bone, other vessel or nerve on the way).
fn branch_point(patient: &Patient) -> Option<DVec3> {
    let s = patient.structures().iter().find(|s| s.tissue == Tissue::LateralCircumflexBranch)?;
    let mut line = Vec::new();
    crate::sim::spread::vessel::centre_line(&s.shape, &mut line);
    let steps = 40;
    (1..steps).find_map(|k| {
        let t = k as f64 / steps as f64;
        let n = line.len().checked_sub(1)?;
        let x = t * n as f64;
        let i = (x.floor() as usize).min(n - 1);
        let p = line[i] + (line[i + 1] - line[i]) * (x - i as f64);
        let clear = patient.tissue_at(p) == Tissue::LateralCircumflexBranch
            && patient.tissue_spans(anterior(patient, p), p).iter().all(|sp| {
                sp.tissue == Tissue::LateralCircumflexBranch
                    || !(sp.tissue.is_bone() || sp.tissue.is_vessel() || sp.tissue.is_at_risk())
            });
        clear.then_some(p)
    })
}

/// A tip in the iliopsoas muscle just beside its tendon (1.2 mm off its surface) near the
/// head's level, on its lateral side (as an injection between tendon and rim is made) or
/// failing that in front, reached from the front through soft tissue only, with its entry:
/// of those, the one farthest from the nerve and vessels (at least `CLEAR_OF_RISK_MM`).
fn peritendinous_point(patient: &Patient) -> Option<(DVec3, DVec3)> {
    const CLEAR_OF_RISK_MM: f64 = 2.0;
    let (segments, radius) = crate::sim::spread::soft::tendon_line(patient)?;
    // The joint between the two segments: the tendon's point over the head.
    let (top, mid) = *segments.first()?;
    let t = (mid - top).normalize_or(DVec3::NEG_Z);
    let front = (DVec3::NEG_Y - t * DVec3::NEG_Y.dot(t)).normalize_or(DVec3::NEG_Y);
    // Toward the patient's right (lateral).
    let side = t.cross(front);
    let mut candidates: Vec<(f64, DVec3)> = Vec::new();
    for dz in [0.0f64, 8.0, -8.0, -16.0] {
        // Turned from the front toward the side: posterolateral (toward the rim) to anterior.
        for turn in [2.2f64, 1.9, 1.6, 1.3, 1.0, 0.7, 0.4, 0.0] {
            let out = front * libm::cos(turn) + side * libm::sin(turn);
            let tip = mid + t * dz + out * (radius + 1.2);
            // In the muscle and just off the tendon (below the bend, a point off the upper
            // part's line may lie farther from it).
            if patient.tissue_at(tip) != Tissue::Iliopsoas
                || patient.signed_distance(Tissue::IliopsoasTendon, tip) > 1.5
            {
                continue;
            }
            let clearance = Tissue::ALL
                .into_iter()
                .filter(|r| r.is_at_risk())
                .map(|r| patient.signed_distance(r, tip))
                .fold(f64::INFINITY, f64::min);
            if clearance >= CLEAR_OF_RISK_MM {
                candidates.push((clearance, tip));
            }
        }
    }
    // The clearest first (a stable sort keeps the order above among equals).
    candidates.sort_by(|a, b| b.0.total_cmp(&a.0));
    candidates.into_iter().find_map(|(_, tip)| clear_entry(patient, tip, None).map(|e| (e, tip)))
}
