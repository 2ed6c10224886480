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

/// Sorts durations (or any plain integers): one copy of the sorts for every such list
/// (each closure passed to `radix_sort_by_key` makes a copy of it and of the small sort
/// it falls back to).
pub fn sort_seconds(v: &mut [i64]) {
    if v.len() < 256 {
        // Equal integers cannot be told apart: no need for a stable sort.
        v.sort_unstable();
    } else {
        radix_sort_by_key(v, |&x| x);
    }
}

/// Sorts by an integer key with a least-significant-digit radix sort (stable): a few
/// linear passes over 11-bit digits of the keys' range instead of n log n comparisons.
/// The report sorts about two million durations in seconds at 100k deals (each stage's
/// visits, all visits for the pipeline median, each rank's subjects); comparison sorts
/// were most of its time.
pub fn radix_sort_by_key<T: Copy>(v: &mut [T], key: impl Fn(&T) -> i64) {
    const DIGIT: usize = 11;
    const BUCKETS: usize = 1 << DIGIT;
    if v.len() < 256 {
        v.sort_by_key(|x| key(x));
        return;
    }
    let (mut lo, mut hi) = (i64::MAX, i64::MIN);
    for x in v.iter() {
        let k = key(x);
        lo = lo.min(k);
        hi = hi.max(k);
    }
    // Offsets from the smallest key: non-negative, and as few digits as the range needs.
    let offset = |x: &T| (key(x) as u64).wrapping_sub(lo as u64);
    let range = (hi as u64).wrapping_sub(lo as u64);
    let passes = (64 - range.leading_zeros() as usize).div_ceil(DIGIT);
    // Every pass's counts from one read of the keys (not a read per pass).
    let mut counts = vec![[0usize; BUCKETS]; passes];
    for x in v.iter() {
        let o = offset(x);
        for (p, c) in counts.iter_mut().enumerate() {
            c[((o >> (p * DIGIT)) as usize) & (BUCKETS - 1)] += 1;
        }
    }
    // One scratch copy; the passes scatter back and forth between it and `v`. A digit all
    // keys share leaves the order as it is, and its pass is skipped (durations of a few
    // days span three digits, but most keys agree on the top one).
    let mut scratch = v.to_vec();
    let mut in_scratch = false;
    for (p, at) in counts.iter_mut().enumerate() {
        if at.contains(&v.len()) {
            continue;
        }
        let mut sum = 0;
        for c in at.iter_mut() {
            (*c, sum) = (sum, sum + *c);
        }
        let (src, dst): (&[T], &mut [T]) = if in_scratch { (&scratch, v) } else { (v, &mut scratch) };
        for x in src {
            let d = ((offset(x) >> (p * DIGIT)) as usize) & (BUCKETS - 1);
            dst[at[d]] = *x;
            at[d] += 1;
        }
        in_scratch = !in_scratch;
    }
    if in_scratch {
        v.copy_from_slice(&scratch);
    }
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
    Event = 0,
    /// The competing event (Lost): it rules the event of interest out.
    Competing = 1,
    /// Still open when observation stopped.
    Censored = 2,
}

/// A subject's time in seconds and its outcome as one integer, the time times four plus
/// the outcome's number (`unpack` undoes it): sorted as plain integers they are in time
/// order, with the shared integer sort (no copy of the radix sort for pairs), and half the
/// bytes of a (time, outcome) pair to write, sort and read: the report gathers about
/// 300,000 subjects at 100,000 deals. Times past ±2⁶⁰ seconds (36 billion years) are
/// taken as that.
pub fn pack(secs: i64, outcome: Outcome) -> i64 {
    const FAR: i64 = 1 << 60;
    secs.clamp(-FAR, FAR) * 4 + outcome as i64
}

/// The (seconds, outcome) `pack` made.
pub fn unpack(x: i64) -> (i64, Outcome) {
    // An arithmetic shift: floor division by four, whose remainder is the outcome's number
    // also below zero.
    let outcome = match x & 3 {
        0 => Outcome::Event,
        1 => Outcome::Competing,
        _ => Outcome::Censored,
    };
    (x >> 2, outcome)
}

/// Cumulative incidence step function of the event of interest and of the competing
/// event, evaluated at chosen horizons.
#[derive(Clone, Debug, PartialEq)]
pub struct Incidence {
    /// (time, CIF of event, CIF of competing event, variance of event CIF) at each
    /// distinct event time, increasing.
    pub steps: Vec<(f64, f64, f64, f64)>,
    pub n: usize,
    /// Censoring times, increasing: who is no longer followed at a given time.
    pub censored: Vec<f64>,
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

    /// The same estimate from integer times in seconds.
    pub fn from_seconds(subjects: Vec<(i64, Outcome)>) -> Incidence {
        Incidence::from_packed(subjects.into_iter().map(|(t, outcome)| pack(t, outcome)).collect())
    }

    /// The same from subjects as `pack` makes them (sorted here as integers, which is what
    /// the report uses on large histories; the order of one time's outcomes makes no
    /// difference). Read in place, in days: no copy of the subjects as `Subject`s.
    pub fn from_packed(mut subjects: Vec<i64>) -> Incidence {
        sort_seconds(&mut subjects);
        Incidence::from_sorted_by(&subjects, |&x| {
            let (t, outcome) = unpack(x);
            (t as f64 / 86_400.0, outcome)
        })
    }

    /// `s` must be sorted by time.
    fn from_sorted(s: &[Subject]) -> Incidence {
        Incidence::from_sorted_by(s, |x| (x.time, x.outcome))
    }

    /// `s` (read as (time, outcome) by `get`) must be sorted by time. One pass over the
    /// distinct times: the point estimates and the variance's prefix sums are computed as
    /// each time's counts are known (at 100,000 subjects, tables of every step kept between
    /// passes were ≈ 8 MB written and read again).
    fn from_sorted_by<T>(s: &[T], get: impl Fn(&T) -> (f64, Outcome)) -> Incidence {
        let n = s.len();
        let mut steps = Vec::new();
        let mut censored = Vec::new();
        let mut at_risk = n as f64;
        // Overall "still open" probability just before t, and the two CIFs.
        let (mut surv, mut f1, mut f2) = (1.0, 0.0, 0.0);
        // Delta-method variance of F1 at each step time t_k:
        //   Σ_j≤k (F_k − F_j)² a_j + b_j − 2 (F_k − F_j) c_j
        // expanded into prefix sums so the whole curve costs O(steps), not O(steps²).
        let (mut sa, mut sfa, mut sffa, mut sb, mut sc, mut sfc) = (0.0, 0.0, 0.0, 0.0, 0.0, 0.0);
        let mut i = 0;
        while i < n {
            let t = get(&s[i]).0;
            let (mut d1, mut d2, mut c) = (0.0, 0.0, 0.0);
            while i < n {
                let (ti, outcome) = get(&s[i]);
                if ti != t {
                    break;
                }
                match outcome {
                    Outcome::Event => d1 += 1.0,
                    Outcome::Competing => d2 += 1.0,
                    Outcome::Censored => {
                        c += 1.0;
                        censored.push(t);
                    }
                }
                i += 1;
            }
            if d1 + d2 > 0.0 {
                let (nj, dj, s_prev) = (at_risk, d1 + d2, surv);
                f1 += s_prev * d1 / nj;
                f2 += s_prev * d2 / nj;
                surv *= 1.0 - dj / nj;
                let a_j = if nj > dj { dj / (nj * (nj - dj)) } else { 0.0 };
                let b_j = s_prev * s_prev * d1 * (nj - d1) / (nj * nj * nj);
                let c_j = s_prev * d1 / (nj * nj);
                sa += a_j;
                sfa += f1 * a_j;
                sffa += f1 * f1 * a_j;
                sb += b_j;
                sc += c_j;
                sfc += f1 * c_j;
                let var = f1 * f1 * sa - 2.0 * f1 * sfa + sffa + sb - 2.0 * f1 * sc + 2.0 * sfc;
                steps.push((t, f1, f2, var.max(0.0)));
            }
            at_risk -= d1 + d2 + c;
        }
        Incidence { steps, n, censored }
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

    /// The chance of the event within `h` more days for a subject still open `u` days after
    /// the curve's origin: (F(u + h) − F(u)) / S(u), S = 1 − F − F_competing (all-cause
    /// survival). 0 when no subject was ever seen open that long.
    pub fn conditional(&self, u: f64, h: f64) -> f64 {
        if u <= 0.0 {
            return self.at(h).0;
        }
        let (f1, f2, _) = self.at(u);
        let open = 1.0 - f1 - f2;
        if open <= 1e-12 {
            return 0.0;
        }
        ((self.at(u + h).0 - f1) / open).clamp(0.0, 1.0)
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

    /// Event CIF at `t` with a 95% interval: Clopper–Pearson on the effective sample
    /// size. Inside (0, 1) that size is p(1−p)/variance (the delta-method variance, so
    /// censoring and competing events count as they should; without either it is n). At
    /// 0 or 1 the variance is 0 and says nothing, so the size is the number of deals
    /// whose outcome at `t` is known (not censored before `t`): 0 of 20 won is
    /// "0% [0%, 17%]", never "0% [0%, 0%]"; with nobody known the interval is [0, 1].
    pub fn with_interval(&self, t: f64) -> (f64, f64, f64) {
        let (p, _, var) = self.at(t);
        let known = (self.n - self.censored.partition_point(|&c| c < t)) as f64;
        let n_eff = if p > 0.0 && p < 1.0 && var > 0.0 { p * (1.0 - p) / var } else { known };
        if n_eff < 1.0 {
            return (p, 0.0, 1.0);
        }
        let (lo, hi) = clopper_pearson(p * n_eff, n_eff, 0.05);
        // The estimate lies inside its interval even where rounding says otherwise.
        (p, lo.min(p), hi.max(p))
    }
}

/// The exact (Clopper–Pearson) interval for x successes in n trials, extended to real
/// x and n through the beta distribution: [B(α/2; x, n−x+1), B(1−α/2; x+1, n−x)].
pub fn clopper_pearson(x: f64, n: f64, alpha: f64) -> (f64, f64) {
    let lo = if x <= 0.0 { 0.0 } else { beta_quantile(alpha / 2.0, x, n - x + 1.0) };
    let hi = if x >= n { 1.0 } else { beta_quantile(1.0 - alpha / 2.0, x + 1.0, n - x) };
    (lo, hi)
}

/// The q-quantile of Beta(a, b), by bisection on the regularised incomplete beta
/// function (monotone in x; 60 halvings reach f64 resolution).
fn beta_quantile(q: f64, a: f64, b: f64) -> f64 {
    let (mut lo, mut hi) = (0.0f64, 1.0f64);
    for _ in 0..60 {
        let mid = 0.5 * (lo + hi);
        if incomplete_beta(mid, a, b) < q {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    0.5 * (lo + hi)
}

/// Regularised incomplete beta I_x(a, b), by its continued fraction (modified Lentz),
/// using the symmetry I_x(a, b) = 1 − I_{1−x}(b, a) where the fraction converges slowly.
pub fn incomplete_beta(x: f64, a: f64, b: f64) -> f64 {
    if x <= 0.0 {
        return 0.0;
    }
    if x >= 1.0 {
        return 1.0;
    }
    let front = (ln_gamma(a + b) - ln_gamma(a) - ln_gamma(b) + a * x.ln() + b * (1.0 - x).ln()).exp();
    if x < (a + 1.0) / (a + b + 2.0) {
        front * beta_fraction(x, a, b) / a
    } else {
        1.0 - front * beta_fraction(1.0 - x, b, a) / b
    }
}

fn beta_fraction(x: f64, a: f64, b: f64) -> f64 {
    const TINY: f64 = 1e-300;
    let (qab, qap, qam) = (a + b, a + 1.0, a - 1.0);
    let mut c = 1.0;
    let mut d = 1.0 - qab * x / qap;
    if d.abs() < TINY {
        d = TINY;
    }
    d = 1.0 / d;
    let mut h = d;
    for m in 1..300 {
        let m = m as f64;
        let m2 = 2.0 * m;
        let aa = m * (b - m) * x / ((qam + m2) * (a + m2));
        d = 1.0 + aa * d;
        d = if d.abs() < TINY { 1.0 / TINY } else { 1.0 / d };
        c = 1.0 + aa / c;
        if c.abs() < TINY {
            c = TINY;
        }
        h *= d * c;
        let aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2));
        d = 1.0 + aa * d;
        d = if d.abs() < TINY { 1.0 / TINY } else { 1.0 / d };
        c = 1.0 + aa / c;
        if c.abs() < TINY {
            c = TINY;
        }
        let del = d * c;
        h *= del;
        if (del - 1.0).abs() < 1e-15 {
            break;
        }
    }
    h
}

/// ln Γ(x) for x > 0 (Lanczos, g = 7, 9 terms: ~15 significant digits).
fn ln_gamma(x: f64) -> f64 {
    const G: [f64; 9] = [
        0.999_999_999_999_809_9,
        676.520_368_121_885_1,
        -1_259.139_216_722_402_8,
        771.323_428_777_653_1,
        -176.615_029_162_140_6,
        12.507_343_278_686_905,
        -0.138_571_095_265_720_12,
        9.984_369_578_019_572e-6,
        1.505_632_735_149_311_6e-7,
    ];
    if x < 0.5 {
        // Reflection: Γ(x)Γ(1−x) = π / sin(πx).
        return (std::f64::consts::PI / (std::f64::consts::PI * x).sin()).ln() - ln_gamma(1.0 - x);
    }
    let x = x - 1.0;
    let mut a = G[0];
    let t = x + 7.5;
    for (i, g) in G.iter().enumerate().skip(1) {
        a += g / (x + i as f64);
    }
    0.5 * (2.0 * std::f64::consts::PI).ln() + (x + 0.5) * t.ln() - t + a.ln()
}

/// Quantiles of durations some of which are still running, by Kaplan–Meier: `ended`
/// are finished durations, `running` the ages of those still going (censored). The
/// q-quantile is the first finished duration at which the share still running falls to
/// 1 − q or below, and where it lands exactly on 1 − q, the midpoint to the next finished
/// duration (R's `survfit` convention; without censoring this is the usual median). None
/// when the share never falls that far: more than 1 − q are still running past every
/// finished duration, and any figure would be a guess. Times are in the input's unit.
///
/// Counting open visits matters exactly when a stage slows down: the visits that would
/// raise the median are the ones not finished yet, and leaving them out runs it low.
pub fn km_quantiles(ended: &mut [i64], running: &mut [i64], qs: &[f64]) -> Vec<Option<f64>> {
    sort_seconds(ended);
    sort_seconds(running);
    km_quantiles_sorted(ended.len(), ended.iter().copied(), running, qs)
}

/// `km_quantiles` of `n_ended` finished durations `ended` yields in increasing order and
/// of `running`, sorted. Stops once every quantile is known: the finished durations past
/// the largest one are never read (for a median, about half of them).
pub fn km_quantiles_sorted(n_ended: usize, ended: impl Iterator<Item = i64>, running: &[i64], qs: &[f64]) -> Vec<Option<f64>> {
    let mut ended = ended.peekable();
    let mut out = vec![None; qs.len()];
    // The quantiles by the share each waits for (1 − q), largest first: the share still
    // running only falls, so the next to be reached is always the next in this order, and
    // each step compares it alone (a step per finished duration: about 900,000 of them
    // for the stages of 100,000 deals).
    let mut order: Vec<usize> = (0..qs.len()).collect();
    order.sort_by(|&a, &b| qs[a].total_cmp(&qs[b]));
    let mut next = 0;
    let mut at_risk = (n_ended + running.len()) as f64;
    let mut c = 0;
    let mut surv = 1.0f64;
    // Where a quantile sits exactly on a step: waiting for the next finished duration.
    let mut pending: Vec<(usize, f64)> = Vec::new();
    while let Some(&t) = ended.peek() {
        // Censored before t leave the risk set first; censored at t were still at risk at
        // t (the same tie rule as the incidence estimate).
        while c < running.len() && running[c] < t {
            at_risk -= 1.0;
            c += 1;
        }
        if !pending.is_empty() {
            for (k, lo) in pending.drain(..) {
                out[k] = Some((lo + t as f64) / 2.0);
            }
        }
        if next == order.len() {
            return out;
        }
        let mut d = 0.0;
        while ended.next_if_eq(&t).is_some() {
            d += 1.0;
        }
        surv *= 1.0 - d / at_risk;
        at_risk -= d;
        // Reached: the share still running at or below 1 − q (within rounding).
        while let Some(&k) = order.get(next) {
            let target = 1.0 - qs[k];
            if surv > target + 1e-9 {
                break;
            }
            if (surv - target).abs() <= 1e-9 {
                pending.push((k, t as f64));
            } else {
                out[k] = Some(t as f64);
            }
            next += 1;
        }
    }
    // On the last step with nothing after it (only censored or nothing): the step itself.
    for (k, lo) in pending {
        out[k] = Some(lo);
    }
    out
}

/// The values of several sorted runs in one increasing sequence, a value at a time (the
/// smallest of the runs' heads): for a figure over the union of lists already sorted,
/// without sorting the union again.
pub fn merged(runs: &[Vec<i64>]) -> impl Iterator<Item = i64> + '_ {
    let mut heads: Vec<&[i64]> = runs.iter().map(Vec::as_slice).filter(|r| !r.is_empty()).collect();
    std::iter::from_fn(move || {
        let (mut best, mut v) = (0, *heads.first()?.first()?);
        for (k, r) in heads.iter().enumerate().skip(1) {
            if r[0] < v {
                (best, v) = (k, r[0]);
            }
        }
        heads[best] = &heads[best][1..];
        if heads[best].is_empty() {
            heads.swap_remove(best);
        }
        Some(v)
    })
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
    fn radix_sort_equals_a_comparison_sort_and_keeps_ties_in_order() {
        // Sizes below and above the cut-over to the radix passes; keys spanning one digit,
        // several digits, negative values and the whole i64 range (a 64-bit spread needs
        // six 11-bit passes). Each element carries its input position: equal keys must
        // come out in input order, as a stable comparison sort leaves them.
        let mut r = Rng::new(11);
        let spans: [(i64, u64); 5] = [(0, 7), (0, 2_000), (-86_400, 40_000_000), (i64::MIN, u64::MAX), (5, 0)];
        for n in [0usize, 1, 255, 256, 257, 5_000] {
            for &(lo, spread) in &spans {
                let mut v: Vec<(i64, usize)> = (0..n)
                    .map(|i| {
                        let off = if spread == u64::MAX { r.next_u64() } else { r.below(spread + 1) };
                        ((lo as u64).wrapping_add(off) as i64, i)
                    })
                    .collect();
                let mut expected = v.clone();
                expected.sort_by_key(|x| x.0);
                radix_sort_by_key(&mut v, |x| x.0);
                assert_eq!(v, expected, "n = {n}, from {lo} over {spread}");
            }
        }
        // Digits every key shares (their passes are skipped): the lowest (all ≡ 5 mod 2048),
        // the middle one (bits 11–21 all zero) and the low two (multiples of 2^22).
        let shapes: [fn(&mut Rng) -> i64; 3] =
            [|r| ((r.below(5_000) << 11) | 5) as i64, |r| ((r.below(4) << 22) | r.below(2_048)) as i64, |r| (r.below(9) << 22) as i64 - (1 << 30)];
        for shape in shapes {
            let mut v: Vec<(i64, usize)> = (0..3_000).map(|i| (shape(&mut r), i)).collect();
            let mut expected = v.clone();
            expected.sort_by_key(|x| x.0);
            radix_sort_by_key(&mut v, |x| x.0);
            assert_eq!(v, expected);
        }
    }

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

    /// The pipeline's median reads the stages' sorted visits merged: `merged` yields the
    /// sorted union (empty runs, one run, ties across runs), and the quantiles over it are
    /// those of the concatenation sorted from scratch, with and without running visits.
    #[test]
    fn quantiles_over_merged_runs_equal_those_over_the_union_sorted() {
        let mut r = Rng::new(11);
        for case in 0..200 {
            let runs: Vec<Vec<i64>> = (0..r.below(6))
                .map(|_| {
                    let mut v: Vec<i64> = (0..r.below(60)).map(|_| r.below(40) as i64).collect();
                    v.sort_unstable();
                    v
                })
                .collect();
            let mut union: Vec<i64> = runs.concat();
            let mut running: Vec<i64> = (0..r.below(8)).map(|_| r.below(50) as i64).collect();
            let qs = [0.5, 0.75, 0.9];
            let whole = km_quantiles(&mut union, &mut running, &qs);
            assert_eq!(merged(&runs).collect::<Vec<_>>(), union, "case {case}");
            assert_eq!(km_quantiles_sorted(union.len(), merged(&runs), &running, &qs), whole, "case {case}");
        }
        // 1, 2 | 2, 3: the median of 1, 2, 2, 3 is 2 (S = 1/4 after 1, 1/4 after the two 2s).
        assert_eq!(km_quantiles_sorted(4, merged(&[vec![1, 2], vec![], vec![2, 3]]), &[], &[0.5]), vec![Some(2.0)]);
    }

    /// `km_quantiles_sorted` as first written (every quantile checked at every step):
    /// the reference the faster one is held to.
    fn km_quantiles_reference(n_ended: usize, ended: impl Iterator<Item = i64>, running: &[i64], qs: &[f64]) -> Vec<Option<f64>> {
        let mut ended = ended.peekable();
        let mut out = vec![None; qs.len()];
        let mut at_risk = (n_ended + running.len()) as f64;
        let mut c = 0;
        let mut surv = 1.0f64;
        // Where a quantile sits exactly on a step: waiting for the next finished duration.
        let mut pending: Vec<(usize, f64)> = Vec::new();
        while let Some(&t) = ended.peek() {
            // Censored before t leave the risk set first; censored at t were still at risk at
            // t (the same tie rule as the incidence estimate).
            while c < running.len() && running[c] < t {
                at_risk -= 1.0;
                c += 1;
            }
            for (k, lo) in pending.drain(..) {
                out[k] = Some((lo + t as f64) / 2.0);
            }
            if out.iter().all(Option::is_some) {
                return out;
            }
            let mut d = 0.0;
            while ended.next_if_eq(&t).is_some() {
                d += 1.0;
            }
            surv *= 1.0 - d / at_risk;
            at_risk -= d;
            for (k, &q) in qs.iter().enumerate() {
                let target = 1.0 - q;
                if out[k].is_none() && !pending.iter().any(|p| p.0 == k) {
                    if (surv - target).abs() <= 1e-9 {
                        pending.push((k, t as f64));
                    } else if surv < target {
                        out[k] = Some(t as f64);
                    }
                }
            }
        }
        // On the last step with nothing after it (only censored or nothing): the step itself.
        for (k, lo) in pending {
            out[k] = Some(lo);
        }
        out
    }

    /// The quantiles reached in order of their shares (one compared per step) equal the
    /// reference's, which checks every quantile at every step: random durations with many
    /// ties (so steps land exactly on 1 − q: 4 durations, a median of 2 lands on 1/2) and
    /// running ones, the quantiles in any order, repeated, 0 and 1 among them.
    #[test]
    fn km_quantiles_in_share_order_equal_every_quantile_checked_each_step() {
        let mut r = Rng::new(11);
        let pool = [0.5, 0.75, 0.9, 0.25, 0.0, 1.0, 0.5, 0.1];
        let mut exact = 0;
        for case in 0..3000 {
            let mut ended: Vec<i64> = (0..r.below(40)).map(|_| r.below(12) as i64).collect();
            let mut running: Vec<i64> = (0..r.below(10)).map(|_| r.below(14) as i64).collect();
            ended.sort_unstable();
            running.sort_unstable();
            let qs: Vec<f64> = (0..1 + r.below(5)).map(|_| pool[r.below(pool.len() as u64) as usize]).collect();
            let want = km_quantiles_reference(ended.len(), ended.iter().copied(), &running, &qs);
            let got = km_quantiles_sorted(ended.len(), ended.iter().copied(), &running, &qs);
            assert_eq!(got, want, "case {case}: {ended:?} {running:?} {qs:?}");
            exact += want.iter().flatten().filter(|x| x.fract() != 0.0).count();
        }
        // Midpoints (x.5) come only from steps landing exactly on 1 − q: the cases hit some.
        assert!(exact > 50, "{exact}");
    }

    /// Hand-checked Kaplan–Meier quantiles.
    #[test]
    fn km_quantiles_count_running_durations() {
        // Without censoring: the usual median (2.5 of 1..4; 3 of 1..5) and 9.5 for p90 of
        // 1..10 (S = 0.1 exactly after 9: midpoint to the next).
        let q = |e: &[i64], r: &[i64], qs: &[f64]| km_quantiles(&mut e.to_vec(), &mut r.to_vec(), qs);
        assert_eq!(q(&[4, 1, 3, 2], &[], &[0.5]), vec![Some(2.5)]);
        assert_eq!(q(&[5, 1, 3, 2, 4], &[], &[0.5]), vec![Some(3.0)]);
        assert_eq!(q(&(1..=10).collect::<Vec<_>>(), &[], &[0.9]), vec![Some(9.5)]);
        // Finished 1, 3, 5, 7; still running at 2, 4, 6. At risk 7, 5, 3, 1 at the finished
        // times: S = 6/7 = .857, ·4/5 = .686, ·2/3 = .457 (< .5: median 5), ·0 (p90 7).
        // Finished visits alone give a median of (3 + 5)/2 = 4: running visits raise it.
        assert_eq!(q(&[1, 3, 5, 7], &[2, 4, 6], &[0.5, 0.9]), vec![Some(5.0), Some(7.0)]);
        // A visit still running at a finished time was at risk then: 2 of 4 finish at 1
        // → S(1) = 1/2 exactly, and the median is the midpoint to the next finished, 1.5
        // (with the running one out first, S(1) = 1/3 and the median would be 1).
        assert_eq!(q(&[1, 1, 2], &[1], &[0.5]), vec![Some(1.5)]);
        // Three of four still running past the only finished visit: no median yet.
        assert_eq!(q(&[1], &[10, 10, 10], &[0.5]), vec![None]);
        assert_eq!(q(&[], &[5], &[0.5]), vec![None]);
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

    /// The report's path (integer seconds, sorted by key, read in place) gives the same
    /// curve, censoring times and variances as the estimate from `Subject`s in days, ties
    /// of all three outcomes included.
    #[test]
    fn incidence_from_seconds_equals_the_estimate_in_days() {
        let mut r = Rng::new(3);
        for case in 0..50 {
            let secs: Vec<(i64, Outcome)> = (0..r.below(400))
                .map(|_| (r.below(30) as i64 * 43_200, [Outcome::Event, Outcome::Competing, Outcome::Censored][r.below(3) as usize]))
                .collect();
            let days: Vec<Subject> = secs.iter().map(|&(t, outcome)| Subject { time: t as f64 / 86_400.0, outcome }).collect();
            assert_eq!(Incidence::from_seconds(secs), Incidence::estimate(&days), "case {case}");
        }
    }

    /// `pack` then `unpack` gives the pair back (times below zero too: 4·(−3) + 1 = −11,
    /// and −11 >> 2 = −3 with −11 & 3 = 1); earlier times pack to smaller integers
    /// whatever the outcomes; times past ±2⁶⁰ are taken as that.
    #[test]
    fn packed_subjects_keep_time_order_and_come_back_unpacked() {
        use Outcome::*;
        assert_eq!(pack(-3, Competing), -11);
        assert_eq!(unpack(-11), (-3, Competing));
        let times = [i64::MIN / 8, -86_400, -3, -1, 0, 1, 59, 86_400, 1 << 40, (1 << 60) - 1];
        let mut packed = Vec::new();
        for &t in &times {
            for o in [Censored, Event, Competing] {
                assert_eq!(unpack(pack(t, o)), (t.max(-(1 << 60)), o), "{t}");
                packed.push(pack(t, o));
            }
        }
        assert!(packed.chunks(3).zip(packed.chunks(3).skip(1)).all(|(a, b)| a.iter().all(|x| b.iter().all(|y| x < y))));
        assert_eq!(unpack(pack(i64::MAX, Event)), (1 << 60, Event));
        assert_eq!(unpack(pack(i64::MIN, Censored)), (-(1 << 60), Censored));
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
    fn incomplete_beta_and_clopper_pearson_match_known_values() {
        // I_x(1, 1) = x; I_x(2, 3) = 6x²/2 − 8x³/3·… : at x = 0.4, 1 − Σ_{k<2} C(4,k)0.4^k0.6^{4−k}
        // = 1 − (0.1296 + 0.3456) = 0.5248.
        assert!((incomplete_beta(0.3, 1.0, 1.0) - 0.3).abs() < 1e-12);
        assert!((incomplete_beta(0.4, 2.0, 3.0) - 0.5248).abs() < 1e-12);
        // 0 of 20: upper bound 1 − 0.025^(1/20) = 0.16843…; lower 0.
        let (lo, hi) = clopper_pearson(0.0, 20.0, 0.05);
        assert_eq!(lo, 0.0);
        assert!((hi - (1.0 - 0.025f64.powf(1.0 / 20.0))).abs() < 1e-9, "{hi}");
        // 1 of 1: [0.025, 1].
        let (lo, hi) = clopper_pearson(1.0, 1.0, 0.05);
        assert!((lo - 0.025).abs() < 1e-9 && hi == 1.0, "{lo}");
        // 3 of 10 (R: binom.test(3, 10)$conf.int = 0.06673951 0.65245285).
        let (lo, hi) = clopper_pearson(3.0, 10.0, 0.05);
        assert!((lo - 0.066_739_51).abs() < 1e-7 && (hi - 0.652_452_85).abs() < 1e-7, "{lo} {hi}");
    }

    /// Issue 9: 20 deals, none won; one deal, won. A 95% interval never claims certainty
    /// from a small sample.
    #[test]
    fn intervals_at_zero_and_one_are_not_points() {
        use Outcome::*;
        let none: Vec<Subject> = (0..20).map(|i| subj(1.0 + i as f64, Competing)).collect();
        let (p, lo, hi) = Incidence::estimate(&none).with_interval(30.0);
        assert_eq!((p, lo), (0.0, 0.0));
        assert!((hi - 0.168_433).abs() < 1e-5, "{hi}");
        let (p, lo, hi) = Incidence::estimate(&[subj(3.0, Event)]).with_interval(30.0);
        assert_eq!((p, hi), (1.0, 1.0));
        assert!((lo - 0.025).abs() < 1e-9, "{lo}");
        // Everyone censored before T: nothing is known, the interval is all of [0, 1].
        let gone: Vec<Subject> = (0..5).map(|i| subj(1.0 + i as f64, Censored)).collect();
        assert_eq!(Incidence::estimate(&gone).with_interval(30.0), (0.0, 0.0, 1.0));
    }

    /// Coverage where intervals used to collapse: true chance 0.01 and 0.99, samples of 5
    /// to 50 deals (a third of them also censored at random), 2,000 samples each.
    #[test]
    fn intervals_cover_rare_and_near_certain_outcomes() {
        let mut rng = Rng::new(7);
        let horizon = 30.0;
        for truth in [0.01, 0.99] {
            for n in [5usize, 10, 20, 35, 50] {
                let reps = 2_000;
                let mut covered = 0;
                for _ in 0..reps {
                    let s: Vec<Subject> = (0..n)
                        .map(|_| {
                            let t = 1.0 + rng.next_f64() * 20.0;
                            let outcome = if rng.next_f64() < truth { Outcome::Event } else { Outcome::Competing };
                            if rng.next_f64() < 0.33 {
                                let c = rng.next_f64() * 60.0;
                                if c < t {
                                    return subj(c, Outcome::Censored);
                                }
                            }
                            subj(t, outcome)
                        })
                        .collect();
                    let (_, lo, hi) = Incidence::estimate(&s).with_interval(horizon);
                    if lo <= truth && truth <= hi {
                        covered += 1;
                    }
                }
                let rate = covered as f64 / reps as f64;
                println!("truth {truth}, n {n}: coverage {rate:.3}");
                assert!(rate >= 0.93, "truth {truth}, n {n}: coverage {rate}");
            }
        }
    }

    #[test]
    fn empty_input_gives_zero_not_nan() {
        let inc = Incidence::estimate(&[]);
        assert_eq!(inc.with_interval(30.0), (0.0, 0.0, 1.0));
        assert_eq!(naive_km(&[], 30.0), 0.0);
    }
}
