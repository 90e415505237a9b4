//! X-ray attenuation: the spectrum and one table of linear attenuation coefficients.
//!
//! Coefficients are NIST mass attenuation × density, as tabulated in
//! `../shared/design/DOMAIN.md` §6 (cm⁻¹ there, mm⁻¹ here).

use crate::sim::anatomy::Material;

/// Number of energy bins of the spectrum.
pub const BINS: usize = 4;

/// Bin energies (keV) and photon fractions of a filtered ~75 kVp C-arm beam, whose
/// effective energy is 40–60 keV (DOMAIN.md §6). The weights are an assumption.
pub const ENERGY_KEV: [f64; BINS] = [40.0, 50.0, 60.0, 80.0];
pub const PHOTON_FRACTION: [f64; BINS] = [0.25, 0.35, 0.25, 0.15];

/// The automatic exposure control's tube voltage through the reference thickness (kV): the
/// spectrum above is this beam's (AP hip fluoroscopy at 70-80 kV, FIDELITY.md §1).
pub const KV_AT_REFERENCE: f64 = 75.0;
/// Patient thickness (mm) the reference voltage is for (the dose's reference, `dose.rs`).
pub const KV_REFERENCE_THICKNESS_MM: f64 = 220.0;
/// The AEC raises the voltage with thickness: ≈ +1 kV per extra cm (FIDELITY.md §6,
/// assumption), within the C-arm's range (assumption: 60-110 kV).
pub const KV_PER_CM: f64 = 1.0;
pub const KV_RANGE: (f64, f64) = (60.0, 110.0);
/// How the spectrum hardens with voltage: each bin's photon fraction is scaled by
/// exp(tilt × ΔkV × (E − mean E)/10 keV) and the fractions renormalised, so the mean energy
/// rises ≈ 0.4 keV per kV. assumption: the slope is chosen, not fitted (the four fixed bins
/// keep a few % at 80 keV even at 60 kV).
pub const SPECTRUM_TILT_PER_KV: f64 = 0.024;

/// The voltage the AEC chooses for a patient `thickness_mm` thick along the central ray.
pub fn aec_kv(thickness_mm: f64) -> f64 {
    let kv = KV_AT_REFERENCE + KV_PER_CM * (thickness_mm - KV_REFERENCE_THICKNESS_MM) / 10.0;
    kv.clamp(KV_RANGE.0, KV_RANGE.1)
}

/// Photon fractions of the beam at `kv` (they sum to 1; at the reference voltage they are
/// [`PHOTON_FRACTION`]).
pub fn photon_fractions(kv: f64) -> [f64; BINS] {
    let mean: f64 = ENERGY_KEV.iter().zip(PHOTON_FRACTION).map(|(e, w)| e * w).sum();
    let tilted: [f64; BINS] = std::array::from_fn(|b| {
        PHOTON_FRACTION[b] * libm::exp(SPECTRUM_TILT_PER_KV * (kv - KV_AT_REFERENCE) * (ENERGY_KEV[b] - mean) / 10.0)
    });
    let total: f64 = tilted.iter().sum();
    tilted.map(|w| w / total)
}

const fn per_mm(cm: [f64; BINS]) -> [f64; BINS] {
    [cm[0] / 10.0, cm[1] / 10.0, cm[2] / 10.0, cm[3] / 10.0]
}

// DOMAIN.md §6, columns 40, 50, 60, 80 keV, cm⁻¹.
const CORTICAL_BONE: [f64; BINS] = per_mm([1.28, 0.81, 0.60, 0.43]);
const MUSCLE: [f64; BINS] = per_mm([0.28, 0.24, 0.22, 0.19]);
const FAT: [f64; BINS] = per_mm([0.23, 0.20, 0.19, 0.17]);
const BLOOD: [f64; BINS] = per_mm([0.29, 0.24, 0.22, 0.19]);
const SKIN: [f64; BINS] = per_mm([0.29, 0.25, 0.22, 0.20]);
const WATER: [f64; BINS] = per_mm([0.27, 0.23, 0.21, 0.19]);
const IOHEXOL_300: [f64; BINS] = per_mm([6.91, 3.93, 2.49, 1.25]);
/// Stainless steel, 8.0 g/cm³.
pub const STEEL: [f64; BINS] = per_mm([28.6, 15.5, 9.5, 4.7]);
/// Iodine concentration of iohexol 300 (mg iodine per mL).
pub const IOHEXOL_300_MG_I_PER_ML: f64 = 300.0;

const fn mix(a: [f64; BINS], wa: f64, b: [f64; BINS], wb: f64) -> [f64; BINS] {
    [a[0] * wa + b[0] * wb, a[1] * wa + b[1] * wb, a[2] * wa + b[2] * wb, a[3] * wa + b[3] * wb]
}

/// assumption: marrow as equal parts fat and water; cancellous bone as a volume fraction
/// of cortical bone in marrow (no table value exists, DOMAIN.md §6): the head's 0.30
/// (QCT 353 ± 172 mg/cm³, Haba 2012), the neck's and trochanter's 0.12 (FIDELITY.md §3).
const MARROW: [f64; BINS] = mix(FAT, 0.5, WATER, 0.5);
pub const HEAD_CANCELLOUS_FRACTION: f64 = 0.30;
pub const NECK_CANCELLOUS_FRACTION: f64 = 0.12;
const CANCELLOUS_BONE: [f64; BINS] =
    mix(CORTICAL_BONE, HEAD_CANCELLOUS_FRACTION, MARROW, 1.0 - HEAD_CANCELLOUS_FRACTION);
/// assumption: a plate of the principal trabecular groups is 30% denser than the bone it runs
/// through (the head's or the neck's mean), so that plates and the bone between them vary ±15%
/// of the local fraction about their middle (FIDELITY.md §3). The plates take about a third of
/// the volume they cross (`anatomy::params::table::TRABECULAR_PLATE_MM`), so the head's mean
/// rises ≈ 10%, well inside the QCT spread (353 ± 172 mg/cm³).
pub const TRABECULAR_PLATE_GAIN: f64 = 1.3;
pub const TRABECULAR_PLATE_FRACTION: f64 = TRABECULAR_PLATE_GAIN * HEAD_CANCELLOUS_FRACTION;
const TRABECULAR_BONE: [f64; BINS] =
    mix(CORTICAL_BONE, TRABECULAR_PLATE_FRACTION, MARROW, 1.0 - TRABECULAR_PLATE_FRACTION);
const SPARSE_TRABECULAR_FRACTION: f64 = TRABECULAR_PLATE_GAIN * NECK_CANCELLOUS_FRACTION;
const SPARSE_TRABECULAR_BONE: [f64; BINS] =
    mix(CORTICAL_BONE, SPARSE_TRABECULAR_FRACTION, MARROW, 1.0 - SPARSE_TRABECULAR_FRACTION);
const SPARSE_CANCELLOUS_BONE: [f64; BINS] =
    mix(CORTICAL_BONE, NECK_CANCELLOUS_FRACTION, MARROW, 1.0 - NECK_CANCELLOUS_FRACTION);
/// assumption: hyaline cartilage as water at density 1.1.
const CARTILAGE: [f64; BINS] = mix(WATER, 1.1, WATER, 0.0);

/// Linear attenuation (mm⁻¹) of a material in each energy bin.
pub fn mu_per_mm(m: Material) -> [f64; BINS] {
    match m {
        Material::Air => [0.0; BINS],
        Material::Skin => SKIN,
        Material::Fat => FAT,
        Material::Muscle => MUSCLE,
        Material::Blood => BLOOD,
        Material::JointFluid => WATER,
        Material::Cartilage => CARTILAGE,
        Material::CorticalBone => CORTICAL_BONE,
        Material::CancellousBone => CANCELLOUS_BONE,
        Material::SparseCancellousBone => SPARSE_CANCELLOUS_BONE,
        Material::Marrow => MARROW,
        Material::TrabecularBone => TRABECULAR_BONE,
        Material::SparseTrabecularBone => SPARSE_TRABECULAR_BONE,
        // assumption: calcified plaque (hydroxyapatite) as dense as cortical bone.
        Material::Calcification => CORTICAL_BONE,
    }
}

/// Extra attenuation (mm⁻¹) per mg/mL of iodine, over the water it displaces:
/// (iohexol 300 − water) / 300.
pub fn iodine_mu_per_mm_per_mg_ml() -> [f64; BINS] {
    std::array::from_fn(|i| (IOHEXOL_300[i] - WATER[i]) / IOHEXOL_300_MG_I_PER_ML)
}

/// The table as rows for documents and reports: material, then μ (cm⁻¹) per bin.
pub fn table_rows() -> Vec<(&'static str, [f64; BINS])> {
    let cm = |a: [f64; BINS]| a.map(|x| x * 10.0);
    vec![
        ("cortical bone", cm(CORTICAL_BONE)),
        ("cancellous bone (30% cortical, 70% marrow; assumption)", cm(CANCELLOUS_BONE)),
        ("muscle", cm(MUSCLE)),
        ("fat", cm(FAT)),
        ("blood", cm(BLOOD)),
        ("skin", cm(SKIN)),
        ("joint fluid (water)", cm(WATER)),
        ("cartilage (water at 1.1 g/cm³; assumption)", cm(CARTILAGE)),
        ("iohexol 300 mgI/mL", cm(IOHEXOL_300)),
        ("stainless steel", cm(STEEL)),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The spectrum's fractions stay a distribution and harden as calibrated: the mean energy
    /// rises about 0.4 keV per kV.
    #[test]
    fn the_beam_hardens_with_voltage() {
        let mean = |kv: f64| photon_fractions(kv).iter().zip(ENERGY_KEV).map(|(w, e)| w * e).sum::<f64>();
        for kv in [60.0, 75.0, 90.0, 110.0] {
            let sum: f64 = photon_fractions(kv).iter().sum();
            assert!((sum - 1.0).abs() < 1e-12, "{kv} kV: fractions sum to {sum}");
        }
        let per_kv = (mean(85.0) - mean(65.0)) / 20.0;
        assert!((0.3..=0.5).contains(&per_kv), "mean energy rises {per_kv:.2} keV per kV");
        assert_eq!(aec_kv(KV_REFERENCE_THICKNESS_MM), KV_AT_REFERENCE);
        assert_eq!(aec_kv(5000.0), KV_RANGE.1);
    }
}
