//! VAR_POP, VAR_SAMP (VARIANCE), STDDEV_POP and STDDEV_SAMP: Welford's running mean and sum of
//! squared deviations, which stay accurate where the textbook `Σx² - (Σx)²/n` cancels
//! catastrophically (large values with a small spread), and which can take a value back.

use crate::column::{Column, ColumnData};
use crate::datum::Datum;
use crate::decimal;
use crate::types::DataType;
use serde::{Deserialize, Serialize};

/// Which of the four statistics a [`Moments`] state gives.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum MomentKind {
    /// VAR_POP: the squared deviations' mean.
    VarPop,
    /// VAR_SAMP and VARIANCE: their sum over `n - 1` (NULL for one value).
    VarSamp,
    /// STDDEV_POP: the square root of VAR_POP.
    StddevPop,
    /// STDDEV_SAMP: the square root of VAR_SAMP (NULL for one value).
    StddevSamp,
}

/// The running state of a variance or standard deviation: count, mean and `m2` (the sum of
/// squared deviations from the mean), updated one value at a time in both directions.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Moments {
    /// Values added less values taken back; may dip below zero while a retraction precedes its row.
    pub n: i64,
    /// The mean of the values held (0 when `n` is 0).
    pub mean: f64,
    /// The sum of squared deviations from `mean`.
    pub m2: f64,
    /// The statistic read from them.
    pub kind: MomentKind,
}

impl Moments {
    /// The state of no values.
    pub fn new(kind: MomentKind) -> Self {
        Moments { n: 0, mean: 0.0, m2: 0.0, kind }
    }

    /// Row `i` of a numeric column as a DOUBLE (`None` for a type that is not a number).
    pub fn value_of(col: &Column, i: usize) -> Option<f64> {
        match (&col.data, col.ty) {
            (ColumnData::Int(v), _) => v.get(i).map(|x| *x as f64),
            (ColumnData::Double(v), _) => v.get(i).copied(),
            (ColumnData::Decimal(v), DataType::Decimal { scale, .. }) => v.get(i).map(|x| decimal::to_f64(*x, scale)),
            _ => None,
        }
    }

    fn reset(&mut self) {
        self.n = 0;
        self.mean = 0.0;
        self.m2 = 0.0;
    }

    /// Adds `x` (Welford's update).
    pub fn add(&mut self, x: f64) {
        self.n += 1;
        if self.n == 0 {
            // The value cancelled a retraction that came before it: nothing is held.
            return self.reset();
        }
        let delta = x - self.mean;
        self.mean += delta / self.n as f64;
        self.m2 += delta * (x - self.mean);
    }

    /// Takes `x` back: Welford's update run backwards.
    pub fn retract(&mut self, x: f64) {
        self.n -= 1;
        if self.n == 0 {
            // No rounding error is left behind once the last value is gone.
            return self.reset();
        }
        let mean = self.mean - (x - self.mean) / self.n as f64;
        self.m2 -= (x - mean) * (x - self.mean);
        self.mean = mean;
    }

    /// Folds in another partial state (Chan et al.'s pairwise combination).
    pub fn merge(&mut self, other: &Moments) {
        let n = self.n + other.n;
        if n == 0 {
            return self.reset();
        }
        if other.n == 0 {
            return;
        }
        let delta = other.mean - self.mean;
        let (na, nb) = (self.n as f64, other.n as f64);
        self.mean += delta * nb / n as f64;
        self.m2 += other.m2 + delta * delta * na * nb / n as f64;
        self.n = n;
    }

    /// The statistic: NULL over no values, and the sample ones over fewer than two.
    pub fn value(&self) -> Datum {
        // Rounding can leave a hair below zero after retractions; a variance is never negative.
        let m2 = self.m2.max(0.0);
        let variance = match self.kind {
            MomentKind::VarPop | MomentKind::StddevPop if self.n >= 1 => m2 / self.n as f64,
            MomentKind::VarSamp | MomentKind::StddevSamp if self.n >= 2 => m2 / (self.n - 1) as f64,
            _ => return Datum::Null,
        };
        match self.kind {
            MomentKind::StddevPop | MomentKind::StddevSamp => Datum::Double(variance.sqrt()),
            _ => Datum::Double(variance),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn approx(d: Datum, want: f64) -> bool {
        matches!(d, Datum::Double(v) if (v - want).abs() < 1e-9 * want.abs().max(1.0))
    }

    #[test]
    fn variance_of_a_few_values() {
        let mut m = Moments::new(MomentKind::VarSamp);
        for x in [1.0, 2.0, 3.0, 4.0] {
            m.add(x);
        }
        assert_eq!(m.value(), Datum::Double(5.0 / 3.0));
        m.kind = MomentKind::VarPop;
        assert_eq!(m.value(), Datum::Double(1.25));
        m.kind = MomentKind::StddevPop;
        assert!(approx(m.value(), 1.25f64.sqrt()));
    }

    #[test]
    fn one_value_has_no_sample_variance_and_none_has_no_variance() {
        let mut m = Moments::new(MomentKind::VarSamp);
        assert_eq!(m.value(), Datum::Null);
        m.add(7.0);
        assert_eq!(m.value(), Datum::Null);
        m.kind = MomentKind::VarPop;
        assert_eq!(m.value(), Datum::Double(0.0));
        m.kind = MomentKind::StddevSamp;
        assert_eq!(m.value(), Datum::Null);
    }

    #[test]
    fn retraction_undoes_an_add() {
        let mut m = Moments::new(MomentKind::VarPop);
        for x in [10.0, 20.0, 1000.0, 30.0] {
            m.add(x);
        }
        m.retract(1000.0);
        // Population variance of 10, 20, 30.
        assert!(approx(m.value(), 200.0 / 3.0));
        m.retract(10.0);
        m.retract(20.0);
        m.retract(30.0);
        assert_eq!((m.n, m.mean, m.m2), (0, 0.0, 0.0));
        // A retraction before its row: the pair leaves nothing behind.
        m.retract(5.0);
        m.add(5.0);
        assert_eq!(m.value(), Datum::Null);
        m.add(1.0);
        m.add(3.0);
        assert_eq!(m.value(), Datum::Double(1.0));
    }

    #[test]
    fn large_values_with_a_small_spread_stay_accurate() {
        let mut m = Moments::new(MomentKind::VarSamp);
        for x in [1e9 + 4.0, 1e9 + 7.0, 1e9 + 13.0, 1e9 + 16.0] {
            m.add(x);
        }
        assert!(approx(m.value(), 30.0));
    }

    #[test]
    fn merged_partials_equal_one_pass() {
        let (mut a, mut b, mut all) =
            (Moments::new(MomentKind::VarSamp), Moments::new(MomentKind::VarSamp), Moments::new(MomentKind::VarSamp));
        for x in [2.0, 4.0, 4.0] {
            a.add(x);
            all.add(x);
        }
        for x in [4.0, 5.0, 5.0, 7.0, 9.0] {
            b.add(x);
            all.add(x);
        }
        a.merge(&b);
        assert!(approx(a.value(), 32.0 / 7.0));
        assert!(approx(all.value(), 32.0 / 7.0));
        a.merge(&Moments::new(MomentKind::VarSamp));
        assert!(approx(a.value(), 32.0 / 7.0));
    }
}
