//! What the forecast page and the engine's Web Worker (`engine/`) say to each other.
//!
//! The Monte Carlo is the forecast's piece whose input is small (a win threshold and an
//! amount per open deal, the past won amounts) and whose work is large (10,000 trials over
//! every open deal: ≈ 0.4 s at 5,000 open deals in wasm). So it runs in a worker of its
//! own, and the page's thread stays free for input meanwhile; the pieces that read the
//! whole pipeline (the model, the backtest, the ranking) stay on the page, in slices.
//!
//! The messages are bytes one way and numbers the other, not JSON: neither side carries a
//! deserializer for them, and a message that does not read exactly is refused, never a
//! panic. Both sides run this code, so the page checks natively what the worker does.

use super::{DealScore, Model, Simulation, Simulator};

/// Everything one Monte Carlo run needs, owned: `Simulator` runs it, here or in the worker.
#[derive(Clone, Debug, PartialEq)]
pub struct SimPlan {
    /// (32-bit win threshold, amount in minor units) per deal that can add revenue.
    pub(super) entries: Vec<(u32, i64)>,
    /// Mean number of wins among deals not created yet.
    pub(super) won_new_mean: f64,
    /// The chance that one of the what-if's extra deals is won by the period's end.
    pub(super) p_extra: f64,
    pub(super) extra_deals: u32,
    /// Past won amounts, resampled for new deals.
    pub(super) amounts: Vec<i64>,
    pub(super) seed: u64,
}

impl SimPlan {
    pub fn new(deals: &[DealScore], model: &Model, h: f64, extra_deals: u32, seed: u64) -> SimPlan {
        let mut entries: Vec<(u32, i64)> = deals
            .iter()
            .filter(|d| d.amount.unwrap_or(0) > 0 && d.probability > 0.0)
            .map(|d| ((d.probability.min(1.0) * u32::MAX as f64) as u32, d.amount.unwrap_or(0)))
            .collect();
        // Each deal takes its draws in the list's order, and new deals' amounts are drawn by
        // position: both in an order of their own, the same deals give the same range
        // whatever order they came in (the pipeline read back after a reload listed them
        // otherwise, and the range moved by ≈ 0.5 %).
        entries.sort_unstable();
        let mut amounts = model.won_amounts.clone();
        amounts.sort_unstable();
        // New deals arrive as a Poisson process and each, created at a uniform moment of
        // the horizon, is won by its end with probability ∫₀ʰ F / h: the wins among them are
        // themselves Poisson with mean λ ∫₀ʰ F (thinning), drawn at once instead of deal by
        // deal (which made 10,000 trials on a busy pipeline take minutes).
        let won_new_mean = model.creations_per_day * model.creation.inc.integral(h);
        SimPlan {
            entries,
            // A mean that is not a number would never end the Poisson draw's loop.
            won_new_mean: if won_new_mean.is_finite() && won_new_mean > 0.0 { won_new_mean } else { 0.0 },
            p_extra: model.creation.inc.at(h).0,
            extra_deals,
            amounts,
            seed,
        }
    }

    /// The open deals that can add revenue (an amount and a chance above zero).
    pub fn deals(&self) -> usize {
        self.entries.len()
    }
}

/// One run asked of the worker: `trials` trials of `plan`, answered under `id`.
#[derive(Clone, Debug, PartialEq)]
pub struct SimRequest {
    pub id: u32,
    pub trials: u32,
    pub plan: SimPlan,
}

const MAGIC: &[u8; 4] = b"FSM1";
/// Trials per slice in the worker: a progress message after each (≈ 40 ms at 5,000 deals).
pub const WORKER_SLICE: usize = 1_000;

impl SimRequest {
    /// Little-endian: magic, id, trials, seed, extra deals, the two chances, then the
    /// entries and the amounts, each list after its length.
    pub fn to_bytes(&self) -> Vec<u8> {
        let p = &self.plan;
        let mut b = Vec::with_capacity(44 + 12 * p.entries.len() + 8 * p.amounts.len());
        b.extend_from_slice(MAGIC);
        b.extend_from_slice(&self.id.to_le_bytes());
        b.extend_from_slice(&self.trials.to_le_bytes());
        b.extend_from_slice(&p.seed.to_le_bytes());
        b.extend_from_slice(&p.extra_deals.to_le_bytes());
        b.extend_from_slice(&p.won_new_mean.to_le_bytes());
        b.extend_from_slice(&p.p_extra.to_le_bytes());
        b.extend_from_slice(&(p.entries.len() as u32).to_le_bytes());
        for (threshold, amount) in &p.entries {
            b.extend_from_slice(&threshold.to_le_bytes());
            b.extend_from_slice(&amount.to_le_bytes());
        }
        b.extend_from_slice(&(p.amounts.len() as u32).to_le_bytes());
        for amount in &p.amounts {
            b.extend_from_slice(&amount.to_le_bytes());
        }
        b
    }

    /// None unless `b` is exactly one request: the magic, every field, lists as long as
    /// they say (checked against the bytes left before anything is allocated), nothing
    /// after them, and chances that are numbers in range.
    pub fn from_bytes(b: &[u8]) -> Option<SimRequest> {
        let mut r = Reader(b);
        if r.take(4)? != MAGIC {
            return None;
        }
        let id = r.u32()?;
        let trials = r.u32()?;
        let seed = r.u64()?;
        let extra_deals = r.u32()?;
        let won_new_mean = r.f64()?;
        let p_extra = r.f64()?;
        if !(won_new_mean.is_finite() && won_new_mean >= 0.0 && (0.0..=1.0).contains(&p_extra)) {
            return None;
        }
        let n = r.len(12)?;
        let mut entries = Vec::with_capacity(n);
        for _ in 0..n {
            entries.push((r.u32()?, r.i64()?));
        }
        let n = r.len(8)?;
        let mut amounts = Vec::with_capacity(n);
        for _ in 0..n {
            amounts.push(r.i64()?);
        }
        if !r.0.is_empty() {
            return None;
        }
        Some(SimRequest { id, trials, plan: SimPlan { entries, won_new_mean, p_extra, extra_deals, amounts, seed } })
    }
}

struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        if self.0.len() < n {
            return None;
        }
        let (head, rest) = self.0.split_at(n);
        self.0 = rest;
        Some(head)
    }
    fn array<const N: usize>(&mut self) -> Option<[u8; N]> {
        self.take(N)?.try_into().ok()
    }
    fn u32(&mut self) -> Option<u32> {
        self.array().map(u32::from_le_bytes)
    }
    fn u64(&mut self) -> Option<u64> {
        self.array().map(u64::from_le_bytes)
    }
    fn i64(&mut self) -> Option<i64> {
        self.array().map(i64::from_le_bytes)
    }
    fn f64(&mut self) -> Option<f64> {
        self.array().map(f64::from_le_bytes)
    }
    /// A list's length, if that many items of `size` bytes are left.
    fn len(&mut self, size: usize) -> Option<usize> {
        let n = self.u32()? as usize;
        (n.checked_mul(size)? <= self.0.len()).then_some(n)
    }
}

/// What the worker says back, as a list of numbers (a `Float64Array` in the browser).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum EngineReply {
    /// Started and listening: the page sends its request after this.
    Ready,
    /// `done` of `of` trials run.
    Progress { id: u32, done: u32, of: u32 },
    Done { id: u32, trials: u32, sim: Simulation },
    /// The request did not read; the page then runs the trials itself.
    Refused,
}

impl EngineReply {
    pub fn to_words(&self) -> Vec<f64> {
        match *self {
            EngineReply::Ready => vec![0.0],
            EngineReply::Progress { id, done, of } => vec![1.0, id.into(), done.into(), of.into()],
            EngineReply::Done { id, trials, sim } => vec![2.0, id.into(), trials.into(), sim.mean, sim.sd, sim.p10, sim.p50, sim.p90],
            EngineReply::Refused => vec![3.0],
        }
    }

    pub fn from_words(w: &[f64]) -> Option<EngineReply> {
        let int = |x: f64| (x.fract() == 0.0 && (0.0..=u32::MAX as f64).contains(&x)).then_some(x as u32);
        Some(match w {
            [t] if *t == 0.0 => EngineReply::Ready,
            [t, id, done, of] if *t == 1.0 => EngineReply::Progress { id: int(*id)?, done: int(*done)?, of: int(*of)? },
            [t, id, trials, mean, sd, p10, p50, p90] if *t == 2.0 => {
                EngineReply::Done { id: int(*id)?, trials: int(*trials)?, sim: Simulation { mean: *mean, sd: *sd, p10: *p10, p50: *p50, p90: *p90 } }
            }
            [t] if *t == 3.0 => EngineReply::Refused,
            _ => return None,
        })
    }
}

/// The worker's whole job for one message: run the request's trials in slices, saying how
/// far it got after each, then the result; or refuse bytes that are not a request.
pub fn answer(bytes: &[u8], mut send: impl FnMut(EngineReply)) {
    let Some(SimRequest { id, trials, plan }) = SimRequest::from_bytes(bytes) else {
        return send(EngineReply::Refused);
    };
    let mut sim = Simulator::from_plan(plan);
    let of = trials as usize;
    while sim.done() < of {
        sim.run(WORKER_SLICE.min(of - sim.done()));
        if sim.done() < of {
            send(EngineReply::Progress { id, done: sim.done() as u32, of: trials });
        }
    }
    send(EngineReply::Done { id, trials, sim: sim.result() });
}
