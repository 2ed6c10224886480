//! Test helpers shared by the analytics modules: a workspace driven through the write path
//! at chosen times, starting from a B2B template pipeline.

use crate::domain::{Command, Ctx, IdGen, Lang, Pipeline, Template, Workspace};
use chrono::{DateTime, Duration, TimeZone, Utc};

pub struct Timed {
    pub ws: Workspace,
    ids: IdGen,
    t0: DateTime<Utc>,
}

impl Timed {
    /// A workspace with one B2B pipeline, created on day 0 (2026-01-01).
    pub fn b2b(seed: u64) -> Timed {
        let mut t = Timed { ws: Workspace::default(), ids: IdGen::new(seed), t0: Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap() };
        t.run(0, Command::CreatePipeline { template: Template::B2b, lang: Lang::En });
        t
    }

    pub fn day(&self, n: i64) -> DateTime<Utc> {
        self.t0 + Duration::days(n)
    }

    /// Plans and commits `cmd` on day `n`; a refusal fails the test.
    pub fn run(&mut self, n: i64, cmd: Command) {
        let mut ctx = Ctx { now: self.t0 + Duration::days(n), ids: &mut self.ids, device: "t" };
        let c = self.ws.plan(cmd, &mut ctx).expect("the test's command is valid");
        self.ws.commit(c);
    }

    pub fn pipeline(&self) -> Pipeline {
        self.ws.pipelines[0].clone()
    }
}
