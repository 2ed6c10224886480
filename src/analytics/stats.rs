//! Small, exact statistics used by the analytics: quantiles and competing-risk
//! cumulative incidence (Aalen–Johansen) with a delta-method confidence interval.

/// Linear-interpolated quantile of sorted data (the "type 7" definition, as DuckDB's
/// `quantile_cont` and R's default). None for empty input.
pub fn quantile_sorted(sorted: &[f64], q: f64) -> Option<f64> {
    if sorted.is_empty() {
        return None;
    }
    let pos = q.clamp(0.0, 1.0) * (sorted.len() - 1) as f64;
    let lo = pos.floor() as usize;
    let hi = pos.ceil() as usize;
    Some(sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo as f64))
}

/// The same quantile on unsorted integers, by selection (O(n) instead of a sort): the
/// slice is reordered. Used for dwell times in seconds on large histories.
pub fn quantile_select(v: &mut [i64], q: f64) -> Option<f64> {
    if v.is_empty() {
        return None;
    }
    let pos = q.clamp(0.0, 1.0) * (v.len() - 1) as f64;
    let lo = pos.floor() as usize;
    let (_, a, right) = v.select_nth_unstable(lo);
    let a = *a;
    let b = if pos > lo as f64 { right.iter().copied().min().unwrap_or(a) } else { a };
    Some(a as f64 + (b - a) as f64 * (pos - lo as f64))
}

/// One subject for a competing-risk estimate: time since origin and what happened.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Subject {
    pub time: f64,
    pub outcome: Outcome,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// The event of interest (Won).
    Event,
    /// The competing event (Lost): it rules the event of interest out.
    Competing,
    /// Still open when observation stopped.
    Censored,
}

/// Cumulative incidence step function of the event of interest and of the competing
/// event, evaluated at chosen horizons.
#[derive(Clone, Debug, PartialEq)]
pub struct Incidence {
    /// (time, CIF of event, CIF of competing event, variance of event CIF) at each
    /// distinct event time, increasing.
    pub steps: Vec<(f64, f64, f64, f64)>,
    pub n: usize,
}

impl Incidence {
    /// Aalen–Johansen estimate. At tied times, events come before censoring (the usual
    /// convention: a deal censored at t was still at risk at t).
    ///
    /// Variance: the delta-method estimator (Marubini & Valsecchi 1995; Pintilie 2006,
    /// eq. 4.4). It reduces to the binomial p(1-p)/n without censoring or competing
    /// events; the tests check that and the interval's coverage by simulation.
    pub fn estimate(subjects: &[Subject]) -> Incidence {
        let mut s: Vec<Subject> = subjects.iter().copied().filter(|x| x.time.is_finite()).collect();
        s.sort_unstable_by(|a, b| a.time.total_cmp(&b.time));
        Incidence::from_sorted(&s)
    }

    /// The same estimate from integer times in seconds (sorted here with one integer key,
    /// which is what the report uses on large histories).
    pub fn from_seconds(mut subjects: Vec<(i64, Outcome)>) -> Incidence {
        subjects.sort_unstable_by_key(|s| s.0);
        let s: Vec<Subject> = subjects.into_iter().map(|(t, outcome)| Subject { time: t as f64 / 86_400.0, outcome }).collect();
        Incidence::from_sorted(&s)
    }

    /// `s` must be sorted by time.
    fn from_sorted(s: &[Subject]) -> Incidence {
        let n = s.len();
        // Per distinct time: (t, n at risk, d event, d competing).
        let mut table: Vec<(f64, f64, f64, f64)> = Vec::new();
        let mut at_risk = n as f64;
        let mut i = 0;
        while i < s.len() {
            let t = s[i].time;
            let (mut d1, mut d2, mut c) = (0.0, 0.0, 0.0);
            while i < s.len() && s[i].time == t {
                match s[i].outcome {
                    Outcome::Event => d1 += 1.0,
                    Outcome::Competing => d2 += 1.0,
                    Outcome::Censored => c += 1.0,
                }
                i += 1;
            }
            if d1 + d2 > 0.0 {
                table.push((t, at_risk, d1, d2));
            }
            at_risk -= d1 + d2 + c;
        }
        // Point estimates.
        let mut surv = 1.0; // overall "still open" probability just before t
        let (mut f1, mut f2) = (0.0, 0.0);
        let mut rows = Vec::with_capacity(table.len()); // (t, F1, F2, S(t-), n, d, d1)
        for &(t, nj, d1, d2) in &table {
            let s_before = surv;
            f1 += s_before * d1 / nj;
            f2 += s_before * d2 / nj;
            surv *= 1.0 - (d1 + d2) / nj;
            rows.push((t, f1, f2, s_before, nj, d1 + d2, d1));
        }
        // Delta-method variance of F1 at each step time t_k:
        //   Σ_j≤k (F_k − F_j)² a_j + b_j − 2 (F_k − F_j) c_j
        // expanded into prefix sums so the whole curve costs O(steps), not O(steps²).
        let (mut sa, mut sfa, mut sffa, mut sb, mut sc, mut sfc) = (0.0, 0.0, 0.0, 0.0, 0.0, 0.0);
        let steps = rows
            .iter()
            .map(|&(t, f1_j, f2_j, s_prev, nj, dj, d1j)| {
                let a = if nj > dj { dj / (nj * (nj - dj)) } else { 0.0 };
                let b = s_prev * s_prev * d1j * (nj - d1j) / (nj * nj * nj);
                let c = s_prev * d1j / (nj * nj);
                sa += a;
                sfa += f1_j * a;
                sffa += f1_j * f1_j * a;
                sb += b;
                sc += c;
                sfc += f1_j * c;
                let fk = f1_j;
                let var = fk * fk * sa - 2.0 * fk * sfa + sffa + sb - 2.0 * fk * sc + 2.0 * sfc;
                (t, f1_j, f2_j, var.max(0.0))
            })
            .collect();
        Incidence { steps, n }
    }

    /// (CIF of the event, CIF of the competing event, variance) at time `t`.
    pub fn at(&self, t: f64) -> (f64, f64, f64) {
        // Binary search: the Monte Carlo asks this once per simulated new deal (a linear
        // scan made `funnel forecast` on 20,000 deals take ~30 s).
        match self.steps.partition_point(|s| s.0 <= t) {
            0 => (0.0, 0.0, 0.0),
            i => {
                let (_, f1, f2, v) = self.steps[i - 1];
                (f1, f2, v)
            }
        }
    }

    /// ∫₀ʰ F(t) dt of the event CIF (a step function), in days: the expected number of
    /// "won days" — used for deals created uniformly during a horizon.
    pub fn integral(&self, h: f64) -> f64 {
        let mut total = 0.0;
        for (k, s) in self.steps.iter().enumerate() {
            if s.0 >= h {
                break;
            }
            let next = self.steps.get(k + 1).map_or(h, |n| n.0.min(h));
            total += s.1 * (next - s.0);
        }
        total
    }

    /// Event CIF at `t` with a 95% interval. The interval is computed on the
    /// log(-log) scale so it stays inside [0, 1] even for small samples.
    pub fn with_interval(&self, t: f64) -> (f64, f64, f64) {
        let (p, _, var) = self.at(t);
        if p <= 0.0 || p >= 1.0 || var <= 0.0 {
            return (p, p, p);
        }
        let se_loglog = var.sqrt() / (p * p.ln()).abs();
        let z = 1.959_963_984_540_054;
        let lo = p.powf((z * se_loglog).exp());
        let hi = p.powf((-z * se_loglog).exp());
        (p, lo, hi)
    }
}

/// 1 − Kaplan–Meier of time to the event, treating the competing event as censoring.
/// Kept only to show (in tests and docs) that it overstates the chance to win.
pub fn naive_km(subjects: &[Subject], t: f64) -> f64 {
    let mut s: Vec<Subject> = subjects.to_vec();
    s.sort_by(|a, b| a.time.total_cmp(&b.time));
    let mut at_risk = s.len() as f64;
    let mut surv = 1.0;
    let mut i = 0;
    while i < s.len() && s[i].time <= t {
        let time = s[i].time;
        let (mut d, mut gone) = (0.0, 0.0);
        while i < s.len() && s[i].time == time {
            if s[i].outcome == Outcome::Event {
                d += 1.0;
            }
            gone += 1.0;
            i += 1;
        }
        if at_risk > 0.0 {
            surv *= 1.0 - d / at_risk;
        }
        at_risk -= gone;
    }
    1.0 - surv
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Rng;

    #[test]
    fn selection_quantiles_equal_sorted_ones() {
        let mut r = Rng::new(5);
        for n in [1usize, 2, 3, 10, 101, 1000] {
            let v: Vec<i64> = (0..n).map(|_| r.below(1000) as i64).collect();
            let mut sorted = v.clone();
            sorted.sort_unstable();
            let f: Vec<f64> = sorted.iter().map(|&x| x as f64).collect();
            for q in [0.0, 0.25, 0.5, 0.75, 0.9, 1.0] {
                let mut w = v.clone();
                let (a, b) = (quantile_select(&mut w, q).unwrap(), quantile_sorted(&f, q).unwrap());
                assert!((a - b).abs() < 1e-9, "n {n} q {q}: {a} vs {b}");
            }
        }
        assert_eq!(quantile_select(&mut [], 0.5), None);
    }

    #[test]
    fn quantiles_interpolate_like_duckdb() {
        let v = [1.0, 2.0, 3.0, 4.0];
        assert_eq!(quantile_sorted(&v, 0.5), Some(2.5));
        assert_eq!(quantile_sorted(&v, 0.9), Some(3.7));
        assert_eq!(quantile_sorted(&[7.0], 0.75), Some(7.0));
        assert_eq!(quantile_sorted(&[], 0.5), None);
    }

    fn subj(time: f64, o: Outcome) -> Subject {
        Subject { time, outcome: o }
    }

    /// Hand-computed: 5 deals. t=1 win (n=5), t=2 censored, t=3 lost (n=3), t=4 win (n=2), t=5 open.
    /// F1(1)=1/5=0.2; S=0.8. t=3: F2=0.8*1/3=0.2667; S=0.8*2/3=0.5333. t=4: F1=0.2+0.5333/2=0.4667.
    #[test]
    fn aalen_johansen_matches_hand_computation() {
        use Outcome::*;
        let s = [subj(1.0, Event), subj(2.0, Censored), subj(3.0, Competing), subj(4.0, Event), subj(5.0, Censored)];
        let inc = Incidence::estimate(&s);
        let (f1, f2, _) = inc.at(3.5);
        assert!((f1 - 0.2).abs() < 1e-12 && (f2 - 0.8 / 3.0).abs() < 1e-12);
        let (f1, f2, _) = inc.at(10.0);
        assert!((f1 - (0.2 + 0.8 * 2.0 / 3.0 / 2.0)).abs() < 1e-12, "{f1}");
        assert!((f2 - 0.8 / 3.0).abs() < 1e-12);
        assert_eq!(inc.at(0.5), (0.0, 0.0, 0.0));
        // The naive KM (lost = censored) says more: 1 - (4/5)(1/2) = 0.6 > 0.4667.
        assert!((naive_km(&s, 10.0) - 0.6).abs() < 1e-12);
    }

    #[test]
    fn without_censoring_or_competing_events_variance_is_binomial() {
        use Outcome::*;
        let mut s: Vec<Subject> = (0..30).map(|i| subj(i as f64, Event)).collect();
        s.extend((0..70).map(|_| subj(1000.0, Censored)));
        // All 100 followed past t=50 without censoring before it: F = 0.3 exactly.
        let inc = Incidence::estimate(&s);
        let (p, _, var) = inc.at(50.0);
        assert!((p - 0.3).abs() < 1e-12);
        assert!((var - 0.3 * 0.7 / 100.0).abs() < 1e-12, "{var}");
    }

    /// Simulated coverage: exponential time to close, 40% of closes are wins, uniform
    /// censoring. The true CIF at t is 0.4 (1 - e^{-t/m}); the 95% interval should
    /// cover it in roughly 95% of 400 samples.
    #[test]
    fn interval_covers_the_truth_about_95_percent_of_the_time() {
        let mut rng = Rng::new(99);
        let (mean, horizon): (f64, f64) = (20.0, 15.0);
        let truth = 0.4 * (1.0 - (-horizon / mean).exp());
        let mut covered = 0;
        let reps = 400;
        for _ in 0..reps {
            let s: Vec<Subject> = (0..150)
                .map(|_| {
                    let t = -mean * (1.0 - rng.next_f64()).ln();
                    let c = rng.next_f64() * 60.0;
                    if c < t {
                        subj(c, Outcome::Censored)
                    } else if rng.next_f64() < 0.4 {
                        subj(t, Outcome::Event)
                    } else {
                        subj(t, Outcome::Competing)
                    }
                })
                .collect();
            let (_, lo, hi) = Incidence::estimate(&s).with_interval(horizon);
            if lo <= truth && truth <= hi {
                covered += 1;
            }
        }
        let rate = covered as f64 / reps as f64;
        assert!((0.91..=0.985).contains(&rate), "coverage {rate}");
    }

    #[test]
    fn integral_of_the_step_function() {
        use Outcome::*;
        // F = 0.5 from t=2 (one of two wins at 2), 1.0 from t=4.
        let inc = Incidence::estimate(&[subj(2.0, Event), subj(4.0, Event)]);
        assert!((inc.integral(10.0) - (0.5 * 2.0 + 1.0 * 6.0)).abs() < 1e-12);
        assert!((inc.integral(3.0) - 0.5).abs() < 1e-12);
        assert_eq!(inc.integral(1.0), 0.0);
    }

    #[test]
    fn empty_input_gives_zero_not_nan() {
        let inc = Incidence::estimate(&[]);
        assert_eq!(inc.with_interval(30.0), (0.0, 0.0, 0.0));
        assert_eq!(naive_km(&[], 30.0), 0.0);
    }
}
