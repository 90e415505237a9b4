//! What each action does to the session: the needle, the C-arm, the syringe and the
//! steps of the procedure. `Session::apply` (in `mod.rs`) only dispatches here; which
//! step an act completes and which acts are unsafe are decided in `procedure::steps`
//! and `procedure::safety`.

use glam::DVec3;

use super::action::{CONTACT_REDIRECTS, CONTACT_SIDESTEP_MM, CONTACT_WITHDRAW_MM, OnContact};
use super::{
    Event, EventKind, INTERMITTENT_SHOT_S, MIN_PUSH_ML, PointRef, Session, ShotImage, StopAt, needle_for_depth, pace,
};
use crate::sim::anatomy::{Position, Tissue};
use crate::sim::imaging::{ImagingSettings, Radiopaque};
use crate::sim::injection::{ContrastPattern, Fluid, site_at};
use crate::sim::needle::{Needle, NeedleEvent, NeedleKind};
use crate::sim::procedure::safety::{self, NeedleIn, Push};
use crate::sim::procedure::steps::{self, Recognised};
use crate::sim::procedure::{
    self, DrugDelivery, ProvocationTest, Reading, ReadingAnswer, Step, UnsafeAct, reading_by_rule,
};

impl Session {
    pub(super) fn wait(&mut self, seconds: f64) {
        self.pass_time(seconds);
        self.emit(EventKind::TimePassed { seconds });
    }

    pub(super) fn select_needle(&mut self, needle: NeedleKind) {
        self.selected = needle;
        self.emit(EventKind::NeedleSelected { needle });
    }

    /// The spinal needle long enough for this patient's skin-to-target depth.
    pub(super) fn select_needle_for_depth(&mut self) {
        let (target, entry) = self.scenario.approach();
        let depth = (self.patient.landmarks.get(target) - self.patient.landmarks.get(entry)).length();
        self.select_needle(needle_for_depth(&self.scenario.needles, depth));
    }

    pub(super) fn insert_needle(&mut self, entry: &PointRef, toward: &PointRef) {
        let (e, t) = (entry.resolve(&self.patient), toward.resolve(&self.patient));
        self.put_needle(Needle::insert(self.selected, e, t - e));
        self.pass_time(pace::INSERT_S);
    }

    pub(super) fn place_needle(&mut self, entry: &PointRef, tip: &PointRef) {
        let (e, t) = (entry.resolve(&self.patient), tip.resolve(&self.patient));
        self.put_needle(Needle::insert(self.selected, e, t - e));
        let events = self.needle.as_mut().map(|n| n.place_straight(&self.patient, t, 0.0)).unwrap_or_default();
        self.needle_events(events);
        self.pass_time(pace::INSERT_S);
    }

    /// 1 mm at a time until `stop`, steering the bevel toward `steer`, with a shot every
    /// `image_every_mm` and when it stops.
    pub(super) fn advance_until(
        &mut self,
        stop: StopAt,
        max_mm: f64,
        steer: Option<DVec3>,
        image_every_mm: Option<f64>,
        on_contact: OnContact,
    ) {
        let mut steer = steer;
        let mut redirects_left = match on_contact {
            OnContact::Stop => 0,
            OnContact::Redirect => CONTACT_REDIRECTS,
        };
        let mut moved = 0.0;
        let mut since_image = 0.0;
        let mut imaged_here = false;
        while moved < max_mm {
            let Some(n) = self.needle.as_mut() else {
                self.emit(EventKind::Unsafe { what: UnsafeAct::MovedNeedleWithNoNeedle });
                break;
            };
            if n.in_bone_contact() {
                break;
            }
            if let Some(t) = steer {
                n.steer_toward(t);
            }
            let depth = n.depth_mm();
            let step = (max_mm - moved).min(1.0);
            let first_new = self.events.len();
            self.move_needle(step, true);
            moved += step;
            let reached = self.events[first_new..].iter().any(|e| stopped_at(stop, e));
            // Blood in the hub or paraesthesia stops the hand whatever the stop asked for,
            // unless the expert's redirect away from the structure is asked for.
            let hit = self.events[first_new..].iter().find_map(|e| match e.kind {
                EventKind::Needle(NeedleEvent::Hit { structure }) => Some(structure),
                _ => None,
            });
            if let Some(structure) = hit
                && redirects_left > 0
                && let Some(aim) = self.sidestep(structure, steer)
            {
                redirects_left -= 1;
                self.redirect(&PointRef::Xyz(aim.to_array()), Some(CONTACT_WITHDRAW_MM));
                steer = Some(aim);
                continue;
            }
            let reached = reached || hit.is_some();
            let stuck = self.needle.as_ref().is_some_and(|n| n.depth_mm() == depth);
            since_image += step;
            imaged_here = false;
            if let Some(every) = image_every_mm
                && (since_image >= every - 1e-9 || reached || stuck)
            {
                self.shoot(INTERMITTENT_SHOT_S);
                since_image = 0.0;
                imaged_here = true;
            }
            if reached || stuck {
                break;
            }
        }
        if image_every_mm.is_some() && !imaged_here && moved > 0.0 {
            self.shoot(INTERMITTENT_SHOT_S);
        }
    }

    /// Where to re-aim after entering `structure`: the point aimed at (or straight ahead),
    /// moved [`CONTACT_SIDESTEP_MM`] away from the structure (along its distance gradient at
    /// the tip).
    fn sidestep(&self, structure: Tissue, steer: Option<DVec3>) -> Option<DVec3> {
        let n = self.needle.as_ref()?;
        let tip = n.tip();
        let h = 0.5;
        let sd = |p: DVec3| self.patient.signed_distance(structure, p);
        let grad = DVec3::new(
            sd(tip + DVec3::X * h) - sd(tip - DVec3::X * h),
            sd(tip + DVec3::Y * h) - sd(tip - DVec3::Y * h),
            sd(tip + DVec3::Z * h) - sd(tip - DVec3::Z * h),
        );
        // Sideways only: along the needle would just mean deeper or shallower.
        let dir = n.tip_direction();
        let away = (grad - dir * grad.dot(dir)).try_normalize()?;
        let aim = steer.unwrap_or(tip + dir * 30.0);
        Some(aim + away * CONTACT_SIDESTEP_MM)
    }

    pub(super) fn redirect(&mut self, toward: &PointRef, withdraw_mm: Option<f64>) {
        let target = toward.resolve(&self.patient);
        match self.needle.as_mut() {
            Some(n) => {
                n.redirect(target, withdraw_mm);
                let count = n.redirections;
                self.moved_since_contrast = true;
                self.emit(EventKind::Redirected { count });
                self.emit_position();
            }
            None => self.emit(EventKind::Unsafe { what: UnsafeAct::MovedNeedleWithNoNeedle }),
        }
        self.pass_time(pace::REDIRECT_S);
    }

    pub(super) fn rotate_bevel(&mut self, deg: f64) {
        if let Some(n) = self.needle.as_mut() {
            n.rotate_bevel(deg);
        }
        self.pass_time(pace::BEVEL_S);
    }

    /// The needle out; once the drug is in, where it went is frozen for the diagnosis.
    pub(super) fn remove_needle(&mut self) {
        if let Some(n) = self.needle.take() {
            self.spent_needles.push(n);
            self.emit(EventKind::NeedleRemoved);
            if self.drug_given() && self.delivery.is_none() {
                self.delivery =
                    Some(DrugDelivery { joint: self.injection.in_joint(), bursa: self.injection.in_bursa() });
            }
            if let Some(step) = steps::needle_out(self.drug_given()) {
                self.check_off(step);
            }
        }
        self.pass_time(pace::BEVEL_S);
    }

    pub(super) fn set_c_arm(&mut self, lao_deg: f64, cranial_deg: f64, isocentre: Option<&PointRef>) {
        self.fluoroscope.pose.lao_deg = lao_deg;
        self.fluoroscope.pose.cranial_deg = cranial_deg;
        if let Some(iso) = isocentre {
            self.fluoroscope.pose.isocentre = iso.resolve(&self.patient);
        }
        self.emit(EventKind::CArmMoved { lao_deg, cranial_deg });
        self.pass_time(pace::MOVE_C_ARM_S);
    }

    pub(super) fn set_imaging(&mut self, settings: ImagingSettings) {
        self.fluoroscope.settings = settings;
        self.emit(EventKind::ImagingChanged);
        self.pass_time(pace::SETTINGS_S);
    }

    /// A step that is a single act (consent, time-out, prep, ...), taking `seconds`.
    pub(super) fn single_act(&mut self, step: Step, seconds: f64) {
        self.check_off(step);
        self.pass_time(seconds);
    }

    pub(super) fn place_patient(&mut self, placed: Position) {
        let expected = self.scenario.position;
        self.placed = Some(placed);
        if placed != expected {
            self.emit(EventKind::WrongPosition { placed, expected });
        }
        self.recognise(steps::positioning(placed, expected));
        self.pass_time(pace::POSITIONING_S);
    }

    /// Turn the leg: the femur and its capsule turn, so the target, the neck's projection
    /// and the lesser trochanter's change (FIDELITY.md §2).
    pub(super) fn rotate_leg(&mut self, internal_deg: f64) {
        self.patient = self.patient.with_leg_rotation(internal_deg);
        self.emit(EventKind::LegRotated { internal_deg });
        self.pass_time(pace::ROTATE_LEG_S);
    }

    pub(super) fn mark_pulse(&mut self, at: &PointRef) {
        let p = at.resolve(&self.patient);
        let error_mm = (p - self.patient.landmarks.femoral_pulse).length();
        self.emit(EventKind::PulseMarked { error_mm });
        self.single_act(Step::MarkFemoralPulse, pace::MARK_PULSE_S);
    }

    pub(super) fn read_contrast(&mut self, pattern: ContrastPattern) {
        let actual = self.injection.contrast_pattern();
        self.emit(EventKind::ContrastReadAs { read: pattern, actual, correct: pattern == actual });
        self.recognise(steps::contrast_read(self.contrast_injected() && actual != ContrastPattern::None));
        self.pass_time(pace::READ_S);
    }

    pub(super) fn rest(&mut self, minutes: f64) {
        self.rest_min += minutes;
        self.recognise(steps::rest(self.rest_min));
        self.pass_time(minutes * 60.0);
    }

    pub(super) fn provocation(&mut self, test: ProvocationTest) {
        let after = self.drug_given();
        let relief_pct = if after {
            procedure::relief_pct(self.scenario.pain_source, &self.delivery(), &self.pain, self.rest_min)
        } else {
            0.0
        };
        let pain_0_10 = (self.pain.baseline_0_10 * (1.0 - relief_pct / 100.0) * 10.0).round() / 10.0;
        self.emit(EventKind::ProvocationResult { test, pain_0_10, relief_pct });
        if after {
            self.rest_at_test_min = Some(self.rest_min);
        }
        self.check_off(steps::provocation(after, self.book.is_done(Step::Rest)));
        self.pass_time(pace::PROVOCATION_S);
    }

    pub(super) fn diagnostic_reading(&mut self, answer: ReadingAnswer) {
        let expected = self.expected_reading();
        let reading = match answer {
            ReadingAnswer::Positive => Reading::Positive,
            ReadingAnswer::Negative => Reading::Negative,
            ReadingAnswer::Indeterminate => Reading::Indeterminate,
            ReadingAnswer::ByRule => {
                let confirmed = self
                    .events
                    .iter()
                    .any(|e| matches!(e.kind, EventKind::ContrastReadAs { read: ContrastPattern::IntraArticular, .. }));
                reading_by_rule(confirmed, self.last_relief_pct(), self.rest_at_test_min)
            }
        };
        self.emit(EventKind::ReadingGiven { reading, expected, correct: reading == expected });
        self.single_act(Step::DiagnosticReading, pace::READ_S);
    }

    /// Mark `step` done (first time), noting a step done before one that should precede it.
    fn check_off(&mut self, step: Step) {
        if let Some(out_of_order) = self.book.mark_done(step, self.clock_s) {
            if let Some(before) = out_of_order {
                self.emit(EventKind::StepOutOfOrder { step, before });
            }
            self.emit(EventKind::StepDone { step });
        }
    }

    fn recognise(&mut self, r: Recognised) {
        match r {
            Recognised::Done(step) => self.check_off(step),
            Recognised::Wrong(step, fault) => {
                if self.book.mark_wrong(step, self.clock_s, fault) {
                    self.emit(EventKind::StepWrong { step, fault });
                }
            }
        }
    }

    /// Some of the drug mix has been injected (rightly or not).
    pub(super) fn drug_given(&self) -> bool {
        self.events.iter().any(|e| matches!(e.kind, EventKind::Injected { fluid: Fluid::DrugMix, .. }))
    }

    /// Some contrast has been injected through a needle.
    fn contrast_injected(&self) -> bool {
        self.events.iter().any(|e| matches!(e.kind, EventKind::Injected { fluid: Fluid::Contrast, .. }))
    }

    fn put_needle(&mut self, n: Needle) {
        for what in safety::on_needle_in(NeedleIn {
            kind: n.kind,
            time_out_done: self.book.is_done(Step::TimeOut),
            skin_prep_done: self.book.is_done(Step::SkinPrep),
            on_tray: self.scenario.needles.contains(&n.kind),
        }) {
            self.emit(EventKind::Unsafe { what });
        }
        if let Some(old) = self.needle.take() {
            self.spent_needles.push(old);
        }
        let (kind, entry) = (n.kind, n.entry.to_array());
        self.needle = Some(n);
        self.moved_since_contrast = true;
        self.emit(EventKind::NeedleInserted { needle: kind, entry });
    }

    pub(super) fn move_needle(&mut self, mm: f64, forward: bool) {
        let Some(n) = self.needle.as_mut() else {
            self.emit(EventKind::Unsafe { what: UnsafeAct::MovedNeedleWithNoNeedle });
            return;
        };
        let blood_before = n.blood_in_hub;
        self.moved_since_contrast |= mm > 0.0;
        let events = if forward {
            n.advance(&self.patient, mm, self.clock_s)
        } else {
            n.withdraw(mm);
            Vec::new()
        };
        if forward && let Some(what) = safety::on_advance(blood_before) {
            self.emit(EventKind::Unsafe { what });
        }
        let events = events.into_iter().map(|(_, e)| e).collect();
        self.needle_events(events);
        self.emit_position();
        self.pass_time(mm / pace::NEEDLE_MM_PER_S);
    }

    fn needle_events(&mut self, events: Vec<NeedleEvent>) {
        for e in events {
            let hit = match e {
                NeedleEvent::Hit { structure } => safety::on_hit(structure),
                _ => None,
            };
            let bony = matches!(e, NeedleEvent::BonyEndpoint { .. });
            self.emit(EventKind::Needle(e));
            if let Some(what) = hit {
                self.emit(EventKind::Unsafe { what });
            }
            if bony && let Some(step) = self.needle.as_ref().and_then(|n| steps::bony_endpoint(n.kind)) {
                self.check_off(step);
            }
        }
    }

    fn emit_position(&mut self) {
        if let Some(n) = &self.needle {
            let (depth_mm, compartment) = (n.depth_mm(), n.compartment(&self.patient));
            self.emit(EventKind::NeedleMoved { depth_mm, compartment });
        }
    }

    pub(super) fn shoot(&mut self, seconds: f64) {
        self.expose(seconds);
        self.pass_time(seconds);
    }

    /// One exposure of `seconds` (dose, image, events) without moving the clock: the
    /// caller's time passes meanwhile (a push under fluoroscopy).
    fn expose(&mut self, seconds: f64) {
        let path = self.needle.as_ref().map(|n| n.drawn_path());
        let contrast = self.injection.contrast_field(&self.patient);
        let noise_seed = self.seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ (self.fluoroscope.shots as u64 + 1);
        let extra = Radiopaque { needle: path.as_ref(), contrast: Some(&contrast) };
        let position = self.position();
        let dose = self
            .fluoroscope
            .shoot(&self.patient, position, extra, seconds, noise_seed)
            .expect("imaging settings are validated when set");
        let g = self.fluoroscope.geometry(position);
        let (angle, tip_in_view) = match &self.needle {
            Some(n) => {
                let tip = n.tip();
                let in_view = g.project_px(tip).is_some_and(|(i, j)| {
                    let (i, j) = (i.round() as i64, j.round() as i64);
                    let px = g.pixels as i64;
                    i >= 0
                        && j >= 0
                        && i < px
                        && j < px
                        && crate::sim::imaging::detector::exposed(&self.fluoroscope.settings, i as usize, j as usize)
                });
                (Some(g.angle_to_beam_deg(n.tip_direction())), in_view)
            }
            None => (None, false),
        };
        let index = self.fluoroscope.shots;
        if let Some(frame) = self.fluoroscope.last_image() {
            self.shot_images.push(ShotImage {
                index,
                time_s: self.clock_s,
                pixels: frame.pixels,
                gray: frame.gray.clone(),
                lao_deg: self.fluoroscope.pose.lao_deg,
                cranial_deg: self.fluoroscope.pose.cranial_deg,
            });
        }
        self.emit(EventKind::Shot { index, dose, needle_beam_angle_deg: angle, tip_in_view });
        let spinal_used =
            self.spent_needles.iter().chain(self.needle.iter()).any(|n| n.kind != NeedleKind::Anaesthetic25G);
        if let Some(step) = steps::shot(spinal_used) {
            self.check_off(step);
        }
    }

    /// Push `volume_ml` of `fluid` at `rate` mL/s; with `frame_every_s`, under fluoroscopy
    /// with a frame that often and one at the end.
    pub(super) fn inject(&mut self, fluid: Fluid, volume_ml: f64, rate: f64, frame_every_s: Option<f64>) {
        if volume_ml < MIN_PUSH_ML {
            return; // a push of nothing: nothing happens, and no step is done
        }
        let Some(needle) = self.needle.as_ref() else {
            self.emit(EventKind::Unsafe { what: UnsafeAct::InjectedWithNoNeedle });
            return;
        };
        let site = site_at(&self.patient, needle);
        let confirmed = self.contrast_confirmed();
        let last_read_wrong = self.events.iter().rev().find_map(|e| match e.kind {
            EventKind::ContrastReadAs { correct, .. } => Some(!correct),
            _ => None,
        });
        let push =
            Push { fluid, site, blood_in_hub: needle.blood_in_hub, contrast_confirmed: confirmed, last_read_wrong };
        for what in safety::on_push(push) {
            self.emit(EventKind::Unsafe { what });
        }
        if fluid == Fluid::Contrast && self.moved_since_contrast {
            self.injection.rebase_pattern();
            self.moved_since_contrast = false;
        }
        // Deliver in slices so the spread, washout and pressure evolve during the push.
        let duration = volume_ml / rate;
        let slices = ((duration / pace::INJECTION_STEP_S).ceil() as usize).max(1);
        let per_slice = volume_ml / slices as f64;
        let dt = duration / slices as f64;
        let mut highest = self.injection.resistance_at(site);
        let mut since_frame = 0.0;
        for k in 0..slices {
            let needle = self.needle.as_ref().expect("checked above");
            self.injection.deposit(&self.patient, needle, fluid, per_slice);
            self.injection.step(dt);
            self.clock_s += dt;
            since_frame += dt;
            highest = highest.max(self.injection.resistance_at(site));
            if let Some(every) = frame_every_s
                && since_frame >= every - 1e-9
                && k + 1 < slices
            {
                self.expose(since_frame);
                since_frame = 0.0;
            }
        }
        if let Some(what) = safety::after_push(highest) {
            self.emit(EventKind::Unsafe { what });
        }
        let resistance = self.injection.resistance_at(site);
        let tip_mm = self.needle.as_ref().map(|n| n.tip().to_array()).unwrap_or_default();
        self.emit(EventKind::Injected { fluid, volume_ml, site, resistance, tip_mm });
        // The frame at the end of a push under fluoroscopy shows the push: it can be read.
        if frame_every_s.is_some() {
            self.expose(since_frame);
        }
        let depth = self.needle.as_ref().map(|n| n.depth_mm()).unwrap_or(0.0);
        if let Some(r) = steps::injection(fluid, depth, confirmed) {
            self.recognise(r);
        }
    }

    /// The joint is confirmed for the drug: since the latest contrast push an image was
    /// taken, the contrast was read, rightly, as intra-articular, and the needle has not
    /// moved.
    fn contrast_confirmed(&self) -> bool {
        let Some(push) =
            self.events.iter().rposition(|e| matches!(e.kind, EventKind::Injected { fluid: Fluid::Contrast, .. }))
        else {
            return false;
        };
        let since = &self.events[push..];
        since.iter().any(|e| matches!(e.kind, EventKind::Shot { .. }))
            && since.iter().any(|e| {
                matches!(e.kind, EventKind::ContrastReadAs { read: ContrastPattern::IntraArticular, correct: true, .. })
            })
            && !since.iter().any(|e| {
                matches!(
                    e.kind,
                    EventKind::NeedleMoved { .. } | EventKind::Redirected { .. } | EventKind::NeedleInserted { .. }
                )
            })
    }

    /// Advance the clock, stepping the injected fluid finely while it still moves.
    pub(super) fn pass_time(&mut self, seconds: f64) {
        let fine = seconds.min(3.0);
        let steps = (fine / pace::INJECTION_STEP_S).ceil() as usize;
        for _ in 0..steps {
            self.injection.step(fine / steps as f64);
        }
        if seconds > fine {
            self.injection.step(seconds - fine);
        }
        self.clock_s += seconds;
    }

    pub(super) fn emit(&mut self, kind: EventKind) {
        self.events.push(Event { time_s: self.clock_s, kind });
    }
}

/// Whether `e` is the event an `advance_until` waits for.
fn stopped_at(stop: StopAt, e: &Event) -> bool {
    matches!(
        (stop, &e.kind),
        (StopAt::Bone, EventKind::Needle(NeedleEvent::BonyEndpoint { .. }))
            | (StopAt::Blood, EventKind::Needle(NeedleEvent::BloodInHub { .. }))
            | (StopAt::CapsulePop, EventKind::Needle(NeedleEvent::CapsulePop { .. }))
    )
}
