//! Same seed, same pixels and the same meshes on every machine: the geometry and the imaging
//! use the `libm` crate's maths (glam's `libm` feature too), not the platform's, so a pinned
//! hash of one shot and of one patient's meshes holds on any platform. A deliberate change to
//! the anatomy or the imaging changes these pins; update them in the same commit and say why.

use fluorohip::sim::anatomy::LandmarkName;
use fluorohip::sim::session::{Action, PointRef};
use fluorohip::sim::{Scenario, Session};

/// FNV-1a, 64 bit: small, fixed and dependency-free.
fn fnv1a(bytes: impl IntoIterator<Item = u8>) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in bytes {
        h ^= b as u64;
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

fn shot_hash(seed: u64) -> (u64, usize) {
    let mut s = Session::new(Scenario::default(), seed).unwrap();
    let target = PointRef::landmark(LandmarkName::Target);
    let entry = PointRef::landmark(LandmarkName::AnteriorEntry);
    s.apply(Action::InsertNeedle { entry, toward: target }).unwrap();
    s.apply(Action::Advance { mm: 30.0 }).unwrap();
    s.apply(Action::Fluoro { seconds: 1.0 }).unwrap();
    let img = s.shot_images().last().unwrap();
    (fnv1a(img.gray.iter().copied()), img.pixels)
}

#[test]
fn one_shot_has_the_same_pixels_on_every_machine() {
    let (h, n) = shot_hash(3);
    println!("shot hash {h:#018x} ({n} px)");
    assert_eq!(shot_hash(3).0, h, "two runs in one process differ");
    assert_eq!(h, PINNED_SHOT, "pixels changed: a platform difference, or a change to pin again");
}

#[test]
fn one_patient_has_the_same_meshes_on_every_machine() {
    let p = fluorohip::sim::anatomy::Patient::generate(3, &Default::default()).unwrap();
    let meshes = p.meshes();
    let bytes = meshes.iter().flat_map(|m| {
        let pos = m.positions.iter().flat_map(|v| v.iter().flat_map(|c| c.to_bits().to_le_bytes()));
        let idx = m.indices.iter().flat_map(|i| i.to_le_bytes());
        pos.chain(idx).collect::<Vec<u8>>()
    });
    let h = fnv1a(bytes);
    let triangles: usize = meshes.iter().map(|m| m.triangle_count()).sum();
    println!("mesh hash {h:#018x} ({triangles} triangles)");
    assert_eq!(h, PINNED_MESHES, "meshes changed: a platform difference, or a change to pin again");
}

const PINNED_SHOT: u64 = 0x27f6_9836_31dc_5ac7;
const PINNED_MESHES: u64 = 0xea78_1787_94e9_224d;
