//! The one random number generator of the simulation: seeded, portable, and
//! independent of the platform's maths library, so a seed means the same
//! patient and the same image noise on every machine.

use rand::{RngCore, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// Seeded ChaCha8 stream with the few distributions the simulator needs.
#[derive(Clone, Debug)]
pub struct SimRng {
    inner: ChaCha8Rng,
    spare_normal: Option<f64>,
}

impl SimRng {
    pub fn seed_from_u64(seed: u64) -> Self {
        SimRng { inner: ChaCha8Rng::seed_from_u64(seed), spare_normal: None }
    }

    /// An independent stream for one purpose (patient, noise, ...), derived from `seed`.
    pub fn for_stream(seed: u64, stream: u64) -> Self {
        let mut inner = ChaCha8Rng::seed_from_u64(seed);
        inner.set_stream(stream);
        SimRng { inner, spare_normal: None }
    }

    pub fn next_u64(&mut self) -> u64 {
        self.inner.next_u64()
    }

    /// Uniform in [0, 1) with 53 random bits.
    pub fn uniform(&mut self) -> f64 {
        (self.inner.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// Standard normal by the polar Box–Muller method (portable `libm` maths).
    pub fn standard_normal(&mut self) -> f64 {
        if let Some(z) = self.spare_normal.take() {
            return z;
        }
        loop {
            let u = 2.0 * self.uniform() - 1.0;
            let v = 2.0 * self.uniform() - 1.0;
            let s = u * u + v * v;
            if s > 0.0 && s < 1.0 {
                let f = libm::sqrt(-2.0 * libm::log(s) / s);
                self.spare_normal = Some(v * f);
                return u * f;
            }
        }
    }

    /// Poisson-distributed count with mean `lambda` (normal approximation above 30).
    pub fn poisson(&mut self, lambda: f64) -> f64 {
        if lambda <= 0.0 {
            return 0.0;
        }
        if lambda > 30.0 {
            return (lambda + lambda.sqrt() * self.standard_normal()).max(0.0).round();
        }
        let limit = libm::exp(-lambda);
        let mut k = 0.0;
        let mut p = self.uniform();
        while p > limit {
            k += 1.0;
            p *= self.uniform();
        }
        k
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normal_has_unit_variance() {
        let mut r = SimRng::seed_from_u64(7);
        let n = 20_000;
        let xs: Vec<f64> = (0..n).map(|_| r.standard_normal()).collect();
        let mean = xs.iter().sum::<f64>() / n as f64;
        let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / n as f64;
        assert!(mean.abs() < 0.03, "mean {mean}");
        assert!((var - 1.0).abs() < 0.05, "var {var}");
    }

    #[test]
    fn poisson_mean_and_variance_match_lambda() {
        let mut r = SimRng::seed_from_u64(3);
        for lambda in [4.0, 100.0] {
            let n = 20_000;
            let xs: Vec<f64> = (0..n).map(|_| r.poisson(lambda)).collect();
            let mean = xs.iter().sum::<f64>() / n as f64;
            let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / n as f64;
            assert!((mean - lambda).abs() < 0.05 * lambda, "mean {mean}");
            assert!((var - lambda).abs() < 0.1 * lambda, "var {var}");
        }
    }
}
