//! Intra-articular contrast: a film against the capsule that fills by path from the
//! entry point, pools in the recesses, thickens where dependent, narrows at the zona
//! orbicularis, leaves the labrum as a filling defect and reaches the arc between head
//! and acetabular roof last (FIDELITY.md §7).
//!
//! The joint's inner surface is sampled once per patient by rays through the anatomy
//! (from the head centre for the head, radially from the neck axis for the neck), so the
//! film follows whatever capsule, zona and cartilage the anatomy builds.

use std::cmp::Ordering;
use std::collections::{BinaryHeap, HashMap};

use glam::{DVec3, IVec3};

use super::{IODINE_MG_PER_ML_MM3, smoothstep};
use crate::sim::anatomy::{Patient, Tissue};
use crate::sim::imaging::IodinePuff;

/// Spacing of the surface samples (mm).
const SAMPLE_MM: f64 = 1.4;
/// Film thickness over the head and lateral neck (mm). FIDELITY.md §7: local thickness
/// 0.3-3 mm.
pub const FILM_MM: f64 = 0.3;
/// Pooled thickness at the heart of the inferomedial neck recess (mm): the upper end of
/// FIDELITY.md §7's 0.3-3 mm.
pub const INFEROMEDIAL_RECESS_MM: f64 = 3.0;
/// The inferomedial recess is deepest up to this fraction of the neck's length from the
/// head-neck junction, thinning to the film by the neck's base. assumption.
pub const INFERIOR_POUCH_DEEPEST: f64 = 0.55;
/// Pooled thickness of the superolateral neck recess (mm). assumption.
pub const SUPEROLATERAL_RECESS_MM: f64 = 2.2;
/// Pooled thickness of the perilabral recess (mm). assumption.
pub const PERILABRAL_RECESS_MM: f64 = 2.0;
/// Width of the perilabral recess beyond the labrum (mm): the capsule attaches 5-6 mm
/// beyond the labrum (DOMAIN.md §2).
pub const PERILABRAL_WIDTH_MM: f64 = 6.0;
/// How far the labrum reaches beyond the bony rim and over the head (mm): the filling
/// defect. assumption: a labrum about 5 mm wide, its free edge 3 mm over the cartilage.
pub const LABRUM_BEYOND_RIM_MM: f64 = 5.0;
pub const LABRUM_OVER_HEAD_MM: f64 = 3.0;
/// Fluid that has not yet flowed away from the tip deepens a patch of the joint's layer to
/// this (mm) or the joint space there, whichever is less (never less than the patch's full
/// layer), spreading as far as it must. assumption: a third of the anterior recess's drawn
/// depth (`table::ANTERIOR_RECESS_DEPTH_MM`, 6.4 ± 1.1 mm).
pub const TIP_LENS_MM: f64 = 2.0;
/// Contrast between head and acetabular roof (mm): a thin arc. assumption.
pub const ARC_MM: f64 = 0.35;
/// The dependent layer is up to this much thicker, facing straight down (fraction).
/// assumption: "dependent layer thicker" (FIDELITY.md §7) without a published figure.
pub const DEPENDENT_GAIN: f64 = 1.0;
/// The thinnest film that wets the path as the front passes (mm). assumption.
pub const WETTING_FILM_MM: f64 = 0.1;
/// Share of the joint's contrast spent wetting the path; the rest pools where there is
/// room. assumption: tuned so that 2 mL reaches both neck recesses and the rim.
pub const WETTING_SHARE: f64 = 0.2;
/// Path resistance relative to the film: the recesses draw fluid in, the zona holds it
/// back, and the arc between head and roof is reached last (a trace at 2 mL, clear by
/// 3 mL; FIDELITY.md §7, assumption). Units: cost per mm of path.
pub const RECESS_RESISTANCE: f64 = 0.5;
pub const ZONA_RESISTANCE: f64 = 2.0;
pub const ARC_RESISTANCE: f64 = 0.5;
/// Extra path cost (mm) before fluid gets past the labrum's free edge into the arc.
/// assumption: tuned with `ARC_RESISTANCE` so that 1 mL leaves the arc dry or nearly (at most 3%
/// of it wet), 2 mL wets a little and 3 mL a fifth or more (9 since the oval neck, 2026-11-29:
/// the 1 mL figure holds on 50 of seeds 0-59, 46 at 8).
pub const ARC_ENTRY_COST: f64 = 9.0;

/// Where on the joint's inner surface a sample lies.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum JointRegion {
    /// The film against the capsule.
    Film,
    InferomedialRecess,
    SuperolateralRecess,
    PerilabralRecess,
    /// Under the zona orbicularis: a narrow column round the neck.
    Zona,
    /// Between head and acetabular roof.
    Arc,
}

/// One patch of the joint's inner surface.
#[derive(Clone, Copy, Debug)]
pub struct JointSample {
    /// On the surface the contrast lies against.
    pub at: DVec3,
    /// Unit normal pointing into the joint space, away from bone or cartilage (the way
    /// the layer thickens).
    pub inward: DVec3,
    pub area_mm2: f64,
    /// Thickness when the joint is full (mm).
    pub full_mm: f64,
    /// Depth of the joint space here (mm): fluid not yet spread may deepen the layer up to
    /// it (within `TIP_LENS_MM`).
    pub space_mm: f64,
    pub region: JointRegion,
    /// Path cost from the entry (mm of film-equivalent path); infinite when unreachable.
    pub cost: f64,
    /// Neck samples: ring (along the neck) and index round it, so that the column stays
    /// connected where the zona narrows it.
    ring: Option<(u32, u32)>,
}

/// The joint's surface in fill order from one entry point.
#[derive(Clone, Debug, Default)]
pub struct JointMap {
    samples: Vec<JointSample>,
    /// Cumulative wetting volume (mL) of the samples before each index, in fill order.
    wet_before_ml: Vec<f64>,
    /// Cumulative room above the wetting film (mL) before each index.
    room_before_ml: Vec<f64>,
}

/// How strongly a region draws the pooling fluid (relative fill rate). assumption: the
/// recesses fill first (FIDELITY.md §7), the dependent inferomedial one most.
fn pool_draw(r: JointRegion) -> f64 {
    match r {
        JointRegion::InferomedialRecess => 1.0,
        JointRegion::SuperolateralRecess => 0.8,
        JointRegion::PerilabralRecess => 0.7,
        JointRegion::Zona => 0.4,
        JointRegion::Film => 0.1,
        JointRegion::Arc => 0.1,
    }
}

impl JointSample {
    /// On the neck (sampled from the neck axis) rather than round the head.
    pub fn on_neck(&self) -> bool {
        self.ring.is_some()
    }
}

fn wet_mm(s: &JointSample) -> f64 {
    WETTING_FILM_MM.min(s.full_mm)
}

impl JointMap {
    /// Sample the patient's joint and order it by path from `entry`.
    pub fn build(patient: &Patient, entry: DVec3, down: DVec3) -> JointMap {
        Self::build_from(patient, &[entry], down)
    }

    /// As [`JointMap::build`], the fluid entering at several points (the joint entered
    /// again elsewhere): each patch fills in order of its path from the nearest entry.
    pub fn build_from(patient: &Patient, entries: &[DVec3], down: DVec3) -> JointMap {
        let mut samples = sample_surface(patient, down);
        order_by_path(&mut samples, entries);
        samples.sort_by(|a, b| a.cost.total_cmp(&b.cost));
        let mut wet = Vec::with_capacity(samples.len() + 1);
        let mut room = Vec::with_capacity(samples.len() + 1);
        let (mut w, mut r) = (0.0, 0.0);
        for s in &samples {
            wet.push(w);
            room.push(r);
            if s.cost.is_finite() {
                w += wet_mm(s) * s.area_mm2 / 1000.0;
                r += (s.full_mm - wet_mm(s)) * s.area_mm2 / 1000.0;
            }
        }
        wet.push(w);
        room.push(r);
        JointMap { samples, wet_before_ml: wet, room_before_ml: room }
    }

    pub fn samples(&self) -> &[JointSample] {
        &self.samples
    }

    /// Volume (mL) the joint surface holds when every reachable patch is full.
    pub fn capacity_ml(&self) -> f64 {
        self.wet_before_ml.last().copied().unwrap_or(0.0) + self.room_before_ml.last().copied().unwrap_or(0.0)
    }

    /// The layer for `spread_ml` of fluid that has flowed away from the tip: each reached
    /// sample with its thickness (mm). The reach is where the wetting film has used
    /// `WETTING_SHARE` of the volume; the rest pools, the recesses drawing it first
    /// (`pool_draw`): every reached patch fills the same fraction of its room times its
    /// draw, up to full. Past full the joint distends evenly. Sums to `spread_ml`.
    pub fn layer(&self, spread_ml: f64) -> Vec<(&JointSample, f64)> {
        let reachable = self.samples.iter().take_while(|s| s.cost.is_finite()).count();
        if reachable == 0 || spread_ml <= 0.0 {
            return Vec::new();
        }
        let budget = WETTING_SHARE * spread_ml;
        // Samples reached: those whose cumulative wetting fits the budget.
        let k = self.wet_before_ml[1..=reachable].partition_point(|&w| w <= budget).clamp(1, reachable);
        let reached = &self.samples[..k];
        let wet = self.wet_before_ml[k];
        let room = self.room_before_ml[k];
        let pool = (spread_ml - wet).max(0.0);
        let room_ml = |s: &JointSample| (s.full_mm - wet_mm(s)) * s.area_mm2 / 1000.0;
        let filled =
            |level: f64| -> f64 { reached.iter().map(|s| room_ml(s) * (level * pool_draw(s.region)).min(1.0)).sum() };
        let (level, distend) = if pool >= room {
            (f64::INFINITY, if room + wet > 0.0 { spread_ml / (room + wet) } else { 1.0 })
        } else {
            // Bisection on the fill level: `filled` rises with it from 0 to `room`.
            let (mut lo, mut hi) = (0.0, 1.0);
            while filled(hi) < pool && hi < 1e9 {
                hi *= 2.0;
            }
            for _ in 0..50 {
                let mid = 0.5 * (lo + hi);
                if filled(mid) < pool { lo = mid } else { hi = mid }
            }
            let level = 0.5 * (lo + hi);
            // The bisection's last bit of error goes to every patch alike.
            let got = filled(level) + wet;
            (level, if got > 0.0 { spread_ml / got } else { 1.0 })
        };
        reached
            .iter()
            .map(|s| {
                let w = wet_mm(s);
                (s, (w + (s.full_mm - w) * (level * pool_draw(s.region)).min(1.0)) * distend)
            })
            .collect()
    }

    /// The layer when `volume_ml` is in the joint but only `reach_ml` of it has had time
    /// to flow away from the tip: what has spread lies as [`JointMap::layer`] lays it (but
    /// no patch deeper than its lens), and the rest deepens the patches nearest the tip
    /// (lowest path cost first, from every entry alike) up to their lens, reaching past the
    /// front as far as it must: never a ball (intra-articular contrast flows away from the
    /// tip, FIDELITY.md §7). A patch's lens is `TIP_LENS_MM` or the joint space there,
    /// whichever is less, but never less than its full layer. Only if every reachable
    /// patch's lens is full does the rest distend the joint evenly. Sums to `volume_ml`
    /// while any patch is reachable.
    pub fn layer_reaching(&self, reach_ml: f64, volume_ml: f64) -> Vec<(&JointSample, f64)> {
        if !volume_ml.is_finite() || volume_ml <= 0.0 || !reach_ml.is_finite() {
            return Vec::new();
        }
        let reach_ml = reach_ml.clamp(0.0, volume_ml);
        let mut layer = self.layer(reach_ml);
        let mut unspread = volume_ml - reach_ml;
        // `layer` stretches its front evenly when the patches it reached are full: no patch
        // past its lens (never past the joint space); what that holds back is laid with the
        // fluid not yet spread.
        for (s, t) in layer.iter_mut() {
            let cap = lens_mm(s);
            if *t > cap {
                unspread += (*t - cap) * s.area_mm2 / 1000.0;
                *t = cap;
            }
        }
        for (s, t) in layer.iter_mut() {
            if unspread <= 0.0 {
                break;
            }
            let add_ml = ((lens_mm(s) - *t).max(0.0) * s.area_mm2 / 1000.0).min(unspread);
            *t += add_ml * 1000.0 / s.area_mm2;
            unspread -= add_ml;
        }
        let reachable = self.samples.iter().take_while(|s| s.cost.is_finite()).count();
        for s in &self.samples[layer.len()..reachable] {
            if unspread <= 0.0 {
                break;
            }
            let add_ml = lens_ml(s).min(unspread);
            layer.push((s, add_ml * 1000.0 / s.area_mm2));
            unspread -= add_ml;
        }
        if unspread > 0.0 {
            let got: f64 = layer.iter().map(|(s, t)| t * s.area_mm2 / 1000.0).sum();
            if got > 0.0 {
                for (_, t) in &mut layer {
                    *t *= volume_ml / got;
                }
            }
        }
        layer
    }

    /// Puffs for the layer of `volume_ml` of contrast at `mg_per_ml` iodine, `reach_ml` of
    /// it spread away from the tip ([`JointMap::layer_reaching`]).
    pub fn puffs(&self, reach_ml: f64, volume_ml: f64, mg_per_ml: f64, out: &mut Vec<IodinePuff>) {
        for (s, t) in self.layer_reaching(reach_ml, volume_ml) {
            if t <= 0.0 {
                continue;
            }
            // A slab of thickness t has a standard deviation of t/√12 across it.
            let across = (t / 12f64.sqrt()).max(0.08);
            let helper = if s.inward.z.abs() < 0.9 { DVec3::Z } else { DVec3::X };
            let u = s.inward.cross(helper).normalize();
            let tangential = 0.55 * SAMPLE_MM;
            out.push(IodinePuff::new(
                s.at + s.inward * (t / 2.0),
                u,
                s.inward.cross(u),
                DVec3::new(tangential, tangential, across),
                t * s.area_mm2 * mg_per_ml * IODINE_MG_PER_ML_MM3,
            ));
        }
    }
}

/// Dijkstra over the surface samples from the one nearest `entry`; the arc between head
/// and roof is entered from the rim once the perilabral recess is reached.
fn order_by_path(samples: &mut [JointSample], entries: &[DVec3]) {
    let cell = 3.0 * SAMPLE_MM;
    let key = |p: DVec3| (p / cell).floor().as_ivec3();
    let mut grid: HashMap<IVec3, Vec<usize>> = HashMap::new();
    for (i, s) in samples.iter().enumerate() {
        if s.region != JointRegion::Arc {
            grid.entry(key(s.at)).or_default().push(i);
        }
    }
    let resistance = |r: JointRegion| match r {
        JointRegion::InferomedialRecess | JointRegion::SuperolateralRecess | JointRegion::PerilabralRecess => {
            RECESS_RESISTANCE
        }
        JointRegion::Zona => ZONA_RESISTANCE,
        JointRegion::Arc => ARC_RESISTANCE,
        JointRegion::Film => 1.0,
    };
    // The sample nearest each entry starts a path.
    let mut starts: Vec<usize> = entries
        .iter()
        .filter_map(|&entry| {
            samples
                .iter()
                .enumerate()
                .filter(|(_, s)| s.region != JointRegion::Arc)
                .min_by(|a, b| (a.1.at - entry).length_squared().total_cmp(&(b.1.at - entry).length_squared()))
                .map(|(i, _)| i)
        })
        .collect();
    starts.dedup();
    if starts.is_empty() {
        return;
    }
    // Neighbours: everything within reach, plus the next ring and the next sample round
    // it on the neck, plus the nearest head sample for the first ring.
    let reach2 = cell * cell;
    let mut adjacent: Vec<Vec<usize>> = vec![Vec::new(); samples.len()];
    for (i, s) in samples.iter().enumerate() {
        if s.region == JointRegion::Arc {
            continue;
        }
        let k = key(s.at);
        for dz in -1..=1 {
            for dy in -1..=1 {
                for dx in -1..=1 {
                    let Some(list) = grid.get(&(k + IVec3::new(dx, dy, dz))) else { continue };
                    adjacent[i].extend(
                        list.iter().copied().filter(|&j| j != i && (samples[j].at - s.at).length_squared() <= reach2),
                    );
                }
            }
        }
    }
    let by_ring: HashMap<(u32, u32), usize> =
        samples.iter().enumerate().filter_map(|(i, s)| s.ring.map(|r| (r, i))).collect();
    let per_ring = by_ring.keys().map(|r| r.1 + 1).max().unwrap_or(1);
    for (&(r, k), &i) in &by_ring {
        for next in [(r + 1, k), (r, (k + 1) % per_ring)] {
            if let Some(&j) = by_ring.get(&next) {
                adjacent[i].push(j);
                adjacent[j].push(i);
            }
        }
        if r == 0
            && let Some(j) = samples
                .iter()
                .enumerate()
                .filter(|(_, h)| h.ring.is_none() && h.region != JointRegion::Arc)
                .min_by(|a, b| {
                    (a.1.at - samples[i].at).length_squared().total_cmp(&(b.1.at - samples[i].at).length_squared())
                })
                .map(|(j, _)| j)
        {
            adjacent[i].push(j);
            adjacent[j].push(i);
        }
    }
    #[derive(PartialEq)]
    struct Item(f64, usize);
    impl Eq for Item {}
    impl PartialOrd for Item {
        fn partial_cmp(&self, o: &Self) -> Option<Ordering> {
            Some(self.cmp(o))
        }
    }
    impl Ord for Item {
        fn cmp(&self, o: &Self) -> Ordering {
            o.0.total_cmp(&self.0).then(o.1.cmp(&self.1))
        }
    }
    for s in samples.iter_mut() {
        s.cost = f64::INFINITY;
    }
    let mut heap = BinaryHeap::new();
    for &start in &starts {
        samples[start].cost = 0.0;
        heap.push(Item(0.0, start));
    }
    while let Some(Item(c, i)) = heap.pop() {
        if c > samples[i].cost {
            continue;
        }
        let (p, ri) = (samples[i].at, samples[i].region);
        for &j in &adjacent[i] {
            let r = 0.5 * (resistance(ri) + resistance(samples[j].region));
            let nc = c + (samples[j].at - p).length() * r;
            if nc < samples[j].cost {
                samples[j].cost = nc;
                heap.push(Item(nc, j));
            }
        }
    }
    // The arc: from the rim (where the perilabral recess was reached) inward.
    let rim_cost = samples
        .iter()
        .filter(|s| s.region == JointRegion::PerilabralRecess)
        .map(|s| s.cost)
        .fold(f64::INFINITY, f64::min);
    let rim_points: Vec<DVec3> =
        samples.iter().filter(|s| s.region == JointRegion::PerilabralRecess).map(|s| s.at).collect();
    for s in samples.iter_mut().filter(|s| s.region == JointRegion::Arc) {
        let from_rim = rim_points.iter().map(|q| (*q - s.at).length()).fold(f64::INFINITY, f64::min);
        s.cost = rim_cost + ARC_ENTRY_COST + ARC_RESISTANCE * from_rim;
    }
}

/// The joint's inner surface: head part by rays from the head centre, neck part by rays
/// out from the neck axis; each sample where the outermost joint-space span ends.
fn sample_surface(patient: &Patient, down: DVec3) -> Vec<JointSample> {
    let params = &patient.params;
    let r_h = params.femoral_head_diameter_mm / 2.0;
    let r_n = (params.neck_diameter_mm / 2.0).min(0.85 * r_h);
    let junction = (r_h * r_h - r_n * r_n).sqrt();
    let to_base = -patient.neck_axis.normalize();
    let sup = (DVec3::Z - to_base * to_base.dot(DVec3::Z)).normalize();
    let opening = patient.acetabular_axis.normalize();
    let reach = r_h + params.joint_space_width_mm + 14.0;
    let mut out = Vec::new();

    // Head: Fibonacci directions over the sphere.
    let r_cap = r_h + params.joint_space_width_mm + 2.0;
    let n = (4.0 * std::f64::consts::PI * r_cap * r_cap / (SAMPLE_MM * SAMPLE_MM)).ceil() as usize;
    let golden = std::f64::consts::PI * (3.0 - 5f64.sqrt());
    struct Ray {
        dir: DVec3,
        capsule: Option<(f64, f64)>,
        arc: Option<f64>,
    }
    let mut rays = Vec::with_capacity(n);
    for k in 0..n {
        let z = 1.0 - 2.0 * (k as f64 + 0.5) / n as f64;
        let r = (1.0 - z * z).sqrt();
        let phi = golden * k as f64;
        let dir = DVec3::new(r * libm::cos(phi), r * libm::sin(phi), z);
        if (dir * r_cap).dot(to_base) > junction {
            continue; // the neck rays cover it
        }
        let spans = patient.tissue_spans(DVec3::ZERO, dir * reach);
        let capsule =
            spans.iter().rev().find(|s| s.tissue == Tissue::JointSpace && s.to_mm > r_h).map(|s| (s.from_mm, s.to_mm));
        let arc = spans.iter().find(|s| s.tissue == Tissue::AcetabularCartilage).map(|s| s.from_mm);
        rays.push(Ray { dir, capsule, arc });
    }
    // The bony rim: the covered direction closest to the opening.
    let rim_angle = rays
        .iter()
        .filter(|r| r.capsule.is_none() && r.arc.is_some())
        .map(|r| libm::acos(r.dir.dot(opening).clamp(-1.0, 1.0)))
        .fold(std::f64::consts::PI, f64::min);
    for ray in &rays {
        let angle = libm::acos(ray.dir.dot(opening).clamp(-1.0, 1.0));
        if let Some((from, to)) = ray.capsule {
            let beyond_rim_mm = (rim_angle - angle) * to;
            if beyond_rim_mm < LABRUM_BEYOND_RIM_MM && rim_angle < std::f64::consts::PI {
                continue; // the labrum
            }
            let perilabral = 1.0
                - smoothstep(
                    LABRUM_BEYOND_RIM_MM + PERILABRAL_WIDTH_MM - 1.0,
                    LABRUM_BEYOND_RIM_MM + PERILABRAL_WIDTH_MM + 1.0,
                    beyond_rim_mm,
                );
            // The layer lies on the cartilage and thickens toward the capsule.
            let at = ray.dir * from;
            let full = FILM_MM + (PERILABRAL_RECESS_MM - FILM_MM) * perilabral;
            let region = if perilabral > 0.5 { JointRegion::PerilabralRecess } else { JointRegion::Film };
            let area = 4.0 * std::f64::consts::PI * from * from / n as f64;
            out.push(finish(at, ray.dir, area, full, to - from, region, down));
        } else if let Some(r_arc) = ray.arc {
            if (angle - rim_angle) * r_arc < LABRUM_OVER_HEAD_MM {
                continue; // under the labrum's free edge
            }
            let area = 4.0 * std::f64::consts::PI * r_arc * r_arc / n as f64;
            out.push(JointSample {
                at: ray.dir * r_arc,
                inward: -ray.dir,
                area_mm2: area,
                full_mm: ARC_MM,
                space_mm: ARC_MM,
                region: JointRegion::Arc,
                cost: f64::INFINITY,
                ring: None,
            });
        }
    }

    // Neck: rings of rays out from the axis, from the junction until the capsule ends.
    let side = to_base.cross(sup);
    let ring_radius = r_n + params.anterior_recess_depth_mm;
    let m = (2.0 * std::f64::consts::PI * ring_radius / SAMPLE_MM).ceil() as usize;
    let neck_len = params.neck_length_mm;
    let mut empty_rings = 0;
    let mut ring = 0u32;
    let mut a = junction + SAMPLE_MM / 2.0;
    while empty_rings < 2 && a < junction + neck_len + 40.0 {
        let centre = to_base * a;
        let mut found = 0;
        for k in 0..m {
            let th = 2.0 * std::f64::consts::PI * (k as f64 + 0.5) / m as f64;
            let e = sup * libm::cos(th) + side * libm::sin(th);
            let spans = patient.tissue_spans(centre, centre + e * (ring_radius + 25.0));
            let Some(s) = spans.iter().rev().find(|s| s.tissue == Tissue::JointSpace) else { continue };
            found += 1;
            let under_zona = spans.iter().any(|z| z.tissue == Tissue::ZonaOrbicularis && z.from_mm >= s.to_mm - 0.01);
            // Inferior (toward the calcar) and superior weights round the neck.
            let inferior = smoothstep(0.2, 0.75, -libm::cos(th));
            let superior = smoothstep(0.35, 0.8, libm::cos(th));
            let along = a - junction;
            let sup_w = superior * (1.0 - smoothstep(0.45 * neck_len, 0.7 * neck_len, along));
            // The inferior recess is a pouch: deepest partway down the neck, thinning to the
            // film toward the capsule's insertion, so its outline bulges rather than ending
            // square. assumption: where it is deepest.
            let inf_w = inferior
                * smoothstep(0.0, 0.25 * neck_len, along)
                * (1.0 - smoothstep(INFERIOR_POUCH_DEEPEST * neck_len, neck_len, along));
            let mut full = FILM_MM + (INFEROMEDIAL_RECESS_MM - FILM_MM) * inf_w;
            full += (SUPEROLATERAL_RECESS_MM - FILM_MM) * sup_w;
            let region = if under_zona {
                JointRegion::Zona
            } else if inf_w > 0.5 {
                JointRegion::InferomedialRecess
            } else if sup_w > 0.5 {
                JointRegion::SuperolateralRecess
            } else {
                JointRegion::Film
            };
            // On the neck's synovium, thickening out toward the capsule.
            let area = SAMPLE_MM * s.from_mm * 2.0 * std::f64::consts::PI / m as f64;
            let mut sample = finish(centre + e * s.from_mm, e, area, full, s.to_mm - s.from_mm, region, down);
            sample.ring = Some((ring, k as u32));
            out.push(sample);
        }
        ring += 1;
        empty_rings = if found == 0 { empty_rings + 1 } else { 0 };
        a += SAMPLE_MM;
    }
    out
}

/// How deep fluid not yet spread may lie at `s` (mm): the lens, within the joint space, and
/// never shallower than the patch's full layer.
fn lens_mm(s: &JointSample) -> f64 {
    s.full_mm.max(TIP_LENS_MM.min(s.space_mm))
}

/// What the patch `s` holds as a lens (mL).
fn lens_ml(s: &JointSample) -> f64 {
    s.area_mm2 * lens_mm(s) / 1000.0
}

/// A sample of the layer: thicker where dependent, never thicker than the space.
fn finish(
    at: DVec3,
    inward: DVec3,
    area_mm2: f64,
    full_mm: f64,
    room_mm: f64,
    region: JointRegion,
    down: DVec3,
) -> JointSample {
    let dependent = 1.0 + DEPENDENT_GAIN * inward.dot(down).max(0.0);
    let full_mm = (full_mm * dependent).min(room_mm.max(0.05));
    JointSample {
        at,
        inward,
        area_mm2,
        full_mm,
        space_mm: room_mm.max(full_mm),
        region,
        cost: f64::INFINITY,
        ring: None,
    }
}
