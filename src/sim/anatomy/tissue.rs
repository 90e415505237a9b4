//! Named tissues (what a point is in) and the X-ray materials they are made of.

use serde::{Deserialize, Serialize};

/// A named structure of the synthetic hip. Declaration order is query priority:
/// where structures overlap, the earlier one owns the point (a vessel inside
/// muscle is vessel; bone inside the capsule envelope is bone).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Tissue {
    FemoralArtery,
    /// Calcified plaques in the femoral artery's wall round the lumen (older patients): dense
    /// as bone on the X-ray; the needle's danger is the lumen inside (`FemoralArtery`).
    ArterialCalcification,
    FemoralVein,
    FemoralNerve,
    LateralFemoralCutaneousNerve,
    LateralCircumflexBranch,
    /// The profunda femoris (deep femoral) artery, from the bifurcation down the thigh behind
    /// the superficial femoral artery.
    ProfundaFemoris,
    SciaticNerve,
    /// The shaft's marrow canal and Ward's triangle: fatty marrow, no trabeculae.
    FemoralMarrow,
    /// The principal compressive and tensile trabecular groups in the head: plates of denser
    /// cancellous bone.
    Trabeculae,
    /// The same groups through the neck (Ward's triangle, marrow, lies between them): plates
    /// denser than the neck's sparse bone.
    NeckTrabeculae,
    /// The head's dense cancellous bone (the principal compressive group).
    FemoralHeadCancellous,
    /// Neck, trochanters and metaphysis: sparser cancellous bone.
    FemurCancellous,
    PelvisCancellous,
    FemurCortical,
    PelvisCortical,
    FemoralCartilage,
    AcetabularCartilage,
    ZonaOrbicularis,
    JointSpace,
    CapsuleWall,
    IliopsoasBursa,
    /// The iliopsoas tendon, in the muscle's deep part just in front of the bursa.
    IliopsoasTendon,
    Iliopsoas,
    GlutealMuscles,
    Muscle,
    Fat,
    Skin,
    /// Outside the patient.
    Air,
}

impl Tissue {
    /// Every tissue inside the patient, in priority order.
    pub const ALL: [Tissue; 28] = [
        Tissue::FemoralArtery,
        Tissue::ArterialCalcification,
        Tissue::FemoralVein,
        Tissue::FemoralNerve,
        Tissue::LateralFemoralCutaneousNerve,
        Tissue::LateralCircumflexBranch,
        Tissue::ProfundaFemoris,
        Tissue::SciaticNerve,
        Tissue::FemoralMarrow,
        Tissue::Trabeculae,
        Tissue::NeckTrabeculae,
        Tissue::FemoralHeadCancellous,
        Tissue::FemurCancellous,
        Tissue::PelvisCancellous,
        Tissue::FemurCortical,
        Tissue::PelvisCortical,
        Tissue::FemoralCartilage,
        Tissue::AcetabularCartilage,
        Tissue::ZonaOrbicularis,
        Tissue::JointSpace,
        Tissue::CapsuleWall,
        Tissue::IliopsoasBursa,
        Tissue::IliopsoasTendon,
        Tissue::Iliopsoas,
        Tissue::GlutealMuscles,
        Tissue::Muscle,
        Tissue::Fat,
        Tissue::Skin,
    ];

    /// The X-ray material the tissue is made of.
    pub fn material(self) -> Material {
        match self {
            Tissue::FemoralArtery | Tissue::FemoralVein | Tissue::LateralCircumflexBranch | Tissue::ProfundaFemoris => {
                Material::Blood
            }
            Tissue::ArterialCalcification => Material::Calcification,
            Tissue::FemoralHeadCancellous | Tissue::PelvisCancellous => Material::CancellousBone,
            Tissue::FemurCancellous => Material::SparseCancellousBone,
            Tissue::FemoralMarrow => Material::Marrow,
            Tissue::Trabeculae => Material::TrabecularBone,
            Tissue::NeckTrabeculae => Material::SparseTrabecularBone,
            Tissue::FemurCortical | Tissue::PelvisCortical => Material::CorticalBone,
            Tissue::JointSpace | Tissue::IliopsoasBursa => Material::JointFluid,
            Tissue::FemoralCartilage | Tissue::AcetabularCartilage => Material::Cartilage,
            Tissue::Fat => Material::Fat,
            Tissue::Skin => Material::Skin,
            Tissue::Air => Material::Air,
            Tissue::FemoralNerve
            | Tissue::LateralFemoralCutaneousNerve
            | Tissue::SciaticNerve
            | Tissue::ZonaOrbicularis
            | Tissue::CapsuleWall
            | Tissue::IliopsoasTendon
            | Tissue::Iliopsoas
            | Tissue::GlutealMuscles
            | Tissue::Muscle => Material::Muscle,
        }
    }

    /// Structures a needle must not hit (DOMAIN.md §3).
    pub fn is_at_risk(self) -> bool {
        matches!(
            self,
            Tissue::FemoralArtery
                | Tissue::FemoralVein
                | Tissue::FemoralNerve
                | Tissue::LateralFemoralCutaneousNerve
                | Tissue::LateralCircumflexBranch
                | Tissue::ProfundaFemoris
                | Tissue::SciaticNerve
        )
    }

    /// Whether the 3D view shows it: bone's interior (cancellous bone, marrow) lies inside
    /// the opaque cortex, and the joint's potential space and the zona orbicularis inside the
    /// capsule, so they are imaged but never meshed (the scene keeps its triangle budget).
    pub fn is_displayed(self) -> bool {
        !matches!(
            self,
            Tissue::ArterialCalcification
                | Tissue::FemoralMarrow
                | Tissue::Trabeculae
                | Tissue::NeckTrabeculae
                | Tissue::FemoralHeadCancellous
                | Tissue::FemurCancellous
                | Tissue::PelvisCancellous
                | Tissue::JointSpace
                | Tissue::ZonaOrbicularis
        )
    }

    pub fn is_bone(self) -> bool {
        self.material().is_bone()
    }

    pub fn is_vessel(self) -> bool {
        self.material() == Material::Blood
    }

    pub fn is_nerve(self) -> bool {
        matches!(self, Tissue::FemoralNerve | Tissue::LateralFemoralCutaneousNerve | Tissue::SciaticNerve)
    }

    /// Name a clinician would use.
    pub fn label(self) -> &'static str {
        match self {
            Tissue::ArterialCalcification => "femoral artery (calcified wall)",
            Tissue::FemoralArtery => "femoral artery",
            Tissue::FemoralVein => "femoral vein",
            Tissue::FemoralNerve => "femoral nerve",
            Tissue::LateralFemoralCutaneousNerve => "lateral femoral cutaneous nerve",
            Tissue::LateralCircumflexBranch => "lateral circumflex femoral artery branch",
            Tissue::ProfundaFemoris => "profunda femoris artery",
            Tissue::SciaticNerve => "sciatic nerve",
            Tissue::FemoralMarrow => "femur (marrow)",
            Tissue::Trabeculae => "femoral head (principal trabeculae)",
            Tissue::NeckTrabeculae => "femoral neck (principal trabeculae)",
            Tissue::FemoralHeadCancellous => "femoral head (cancellous bone)",
            Tissue::FemurCancellous => "femur (cancellous bone)",
            Tissue::PelvisCancellous => "pelvis (cancellous bone)",
            Tissue::FemurCortical => "femur (cortex)",
            Tissue::PelvisCortical => "pelvis (cortex)",
            Tissue::FemoralCartilage => "femoral head cartilage",
            Tissue::AcetabularCartilage => "acetabular cartilage",
            Tissue::ZonaOrbicularis => "zona orbicularis",
            Tissue::JointSpace => "joint space",
            Tissue::CapsuleWall => "joint capsule",
            Tissue::IliopsoasBursa => "iliopsoas bursa",
            Tissue::IliopsoasTendon => "iliopsoas tendon",
            Tissue::Iliopsoas => "iliopsoas muscle",
            Tissue::GlutealMuscles => "gluteal muscles",
            Tissue::Muscle => "muscle",
            Tissue::Fat => "subcutaneous fat",
            Tissue::Skin => "skin",
            Tissue::Air => "outside the patient",
        }
    }
}

/// X-ray materials with their attenuation (see `imaging::materials`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Material {
    Air,
    Skin,
    Fat,
    Muscle,
    Blood,
    JointFluid,
    Cartilage,
    CorticalBone,
    CancellousBone,
    /// Cancellous bone of the neck and trochanters: fewer trabeculae.
    SparseCancellousBone,
    /// Fatty marrow without trabeculae (the shaft's canal).
    Marrow,
    /// A plate of the principal trabecular groups in the head: denser than the head's mean.
    TrabecularBone,
    /// A plate of the same groups in the neck: denser than the neck's sparse bone.
    SparseTrabecularBone,
    /// Calcified plaque in a vessel's wall: as dense as bone on the X-ray, but not bone to the
    /// needle.
    Calcification,
}

impl Material {
    pub const COUNT: usize = 14;
    pub const ALL: [Material; Material::COUNT] = [
        Material::Air,
        Material::Skin,
        Material::Fat,
        Material::Muscle,
        Material::Blood,
        Material::JointFluid,
        Material::Cartilage,
        Material::CorticalBone,
        Material::CancellousBone,
        Material::SparseCancellousBone,
        Material::Marrow,
        Material::TrabecularBone,
        Material::SparseTrabecularBone,
        Material::Calcification,
    ];
    pub fn index(self) -> usize {
        self as usize
    }
    pub fn is_bone(self) -> bool {
        // Marrow lies inside bone; a needle meets the cortex first.
        matches!(
            self,
            Material::CorticalBone
                | Material::CancellousBone
                | Material::SparseCancellousBone
                | Material::Marrow
                | Material::TrabecularBone
                | Material::SparseTrabecularBone
        )
    }
}
