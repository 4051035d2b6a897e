//! VAR_POP, VAR_SAMP (VARIANCE), STDDEV_POP and STDDEV_SAMP: Welford's running mean and sum of
//! squared deviations, which stay accurate where the textbook `Σx² - (Σx)²/n` in floating point
//! cancels catastrophically (large values with a small spread), and which can take a value back.
//!
//! Taking values back leaves Welford a rounding residue (the variance of `{3, 3}` reached by
//! retractions may be `1e-16`, its standard deviation `1e-8`). Integer and DECIMAL arguments
//! therefore also keep exact sums (`Σx`, `Σx²` as 128-bit mantissas), from which the variance is
//! exact until a sum would overflow; DOUBLE arguments, and exact sums that overflowed, use Welford.

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
    /// Exact sums of an integer or DECIMAL argument; `None` for DOUBLE, or once a sum overflowed.
    #[serde(default)]
    pub exact: Option<ExactSums>,
}

/// `Σx` and `Σx²` of integer or DECIMAL values, as mantissas at the argument's scale (`Σx²` at
/// twice it).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct ExactSums {
    /// The sum of the values' mantissas.
    pub sum: i128,
    /// The sum of their squares.
    pub sum_squares: i128,
    /// The argument's DECIMAL scale (0 for integers).
    pub scale: u8,
}

impl ExactSums {
    /// Adds (`diff` 1) or takes back (`diff` -1) mantissa `x`; `None` on overflow.
    fn update(self, x: i128, diff: i128) -> Option<ExactSums> {
        let square = x.checked_mul(x)?;
        Some(ExactSums {
            sum: self.sum.checked_add(x.checked_mul(diff)?)?,
            sum_squares: self.sum_squares.checked_add(square.checked_mul(diff)?)?,
            scale: self.scale,
        })
    }

    /// The sums of both states' values; `None` on overflow.
    fn plus(self, other: ExactSums) -> Option<ExactSums> {
        Some(ExactSums {
            sum: self.sum.checked_add(other.sum)?,
            sum_squares: self.sum_squares.checked_add(other.sum_squares)?,
            scale: self.scale,
        })
    }

    /// `n·Σx² − (Σx)²` (= n² times the population variance, at twice the scale); `None` on overflow.
    fn scaled_numerator(self, n: i64) -> Option<i128> {
        i128::from(n).checked_mul(self.sum_squares)?.checked_sub(self.sum.checked_mul(self.sum)?)
    }
}

impl Moments {
    /// The state of no values of a DOUBLE argument (Welford only).
    pub fn new(kind: MomentKind) -> Self {
        Moments { n: 0, mean: 0.0, m2: 0.0, kind, exact: None }
    }

    /// The state of no values of an argument of type `ty`: exact sums too for integers and DECIMAL.
    pub fn for_type(kind: MomentKind, ty: Option<DataType>) -> Self {
        let scale = match ty {
            Some(DataType::Decimal { scale, .. }) => Some(scale),
            Some(t) if t.is_integer() => Some(0),
            _ => None,
        };
        Moments { exact: scale.map(|scale| ExactSums { sum: 0, sum_squares: 0, scale }), ..Self::new(kind) }
    }

    /// Adds (`diff` 1) or takes back (`diff` -1) row `i` of a numeric column.
    pub fn update(&mut self, col: &Column, i: usize, diff: i64) {
        let Some(x) = Self::value_of(col, i) else { return };
        if let Some(exact) = self.exact {
            let mantissa = match &col.data {
                ColumnData::Int(v) => v.get(i).map(|x| i128::from(*x)),
                ColumnData::Decimal(v) => v.get(i).copied(),
                _ => None,
            };
            self.exact = mantissa.and_then(|m| exact.update(m, i128::from(diff)));
        }
        if diff > 0 { self.add(x) } else { self.retract(x) }
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
        self.exact = match (self.exact, other.exact) {
            (Some(a), Some(b)) => a.plus(b),
            _ => None,
        };
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
        // Exact sums give n·m2 exactly (at twice the argument's scale); else Welford's m2, which
        // rounding can leave a hair below zero after retractions (a variance is never negative).
        let exact_m2 = self.exact.filter(|_| self.n > 0).and_then(|e| {
            let numerator = e.scaled_numerator(self.n)?;
            Some(numerator as f64 / self.n as f64 / 10f64.powi(2 * i32::from(e.scale)))
        });
        let m2 = exact_m2.unwrap_or(self.m2).max(0.0);
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
    fn exact_sums_leave_no_residue_after_retractions() {
        let col = Column::new(DataType::BigInt, ColumnData::Int(vec![2, 3, 3, 7]), None);
        let mut m = Moments::for_type(MomentKind::StddevSamp, Some(DataType::BigInt));
        for i in 0..4 {
            m.update(&col, i, 1);
        }
        m.update(&col, 0, -1);
        m.update(&col, 3, -1);
        assert_eq!(m.value(), Datum::Double(0.0));
        // DECIMAL(4, 2): 0.25, 0.75 → population variance 0.0625.
        let dec = Column::new(DataType::Decimal { precision: 4, scale: 2 }, ColumnData::Decimal(vec![25, 75]), None);
        let mut m = Moments::for_type(MomentKind::VarPop, Some(dec.ty));
        m.update(&dec, 0, 1);
        m.update(&dec, 1, 1);
        assert_eq!(m.value(), Datum::Double(0.0625));
        // A square that overflows falls back to Welford.
        let big = Column::new(DataType::BigInt, ColumnData::Int(vec![i64::MAX, i64::MAX - 2]), None);
        let mut m = Moments::for_type(MomentKind::VarPop, Some(DataType::BigInt));
        m.update(&big, 0, 1);
        m.update(&big, 1, 1);
        assert!(m.exact.is_some());
        for _ in 0..4 {
            m.update(&big, 0, 1);
        }
        assert!(approx(m.value(), {
            let mut w = Moments::new(MomentKind::VarPop);
            for x in [i64::MAX, i64::MAX - 2, i64::MAX, i64::MAX, i64::MAX, i64::MAX] {
                w.add(x as f64);
            }
            match w.value() {
                Datum::Double(v) => v,
                _ => f64::NAN,
            }
        }));
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
