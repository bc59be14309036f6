//! The collector both engines share: one accepted result per batch, duplicates dropped, the
//! caller's checks applied, and the run's failure conditions.

use tracing::{debug, warn};

use super::error::{Error, Result};
use super::job::{Outcome, ResultCheck, Run, WorkResult};

/// A result as it arrives from a worker.
#[derive(Debug)]
pub(crate) struct Arrival {
    /// The batch it claims.
    pub batch: u32,
    /// The worker that sent it.
    pub worker: String,
    /// What the worker did.
    pub outcome: Outcome,
}

/// Collects a run's results: the first valid result of each batch is kept.
pub(crate) struct Collector<'a> {
    run: String,
    check: &'a dyn ResultCheck,
    results: Vec<Option<WorkResult>>,
    done: usize,
}

impl<'a> Collector<'a> {
    pub fn new(run: &Run, check: &'a dyn ResultCheck) -> Self {
        Collector { run: run.id.to_string(), check, results: vec![None; run.jobs.len()], done: 0 }
    }

    /// True once every batch has a result.
    pub fn complete(&self) -> bool {
        self.done == self.results.len()
    }

    /// True when `batch` already has an accepted result.
    pub fn has(&self, batch: u32) -> bool {
        matches!(self.results.get(batch as usize), Some(Some(_)))
    }

    /// Takes one arrival: a first success is checked and kept; a duplicate is compared and
    /// dropped; a failure for a batch without a result fails the run.
    pub fn offer(&mut self, arrival: Arrival) -> Result<()> {
        let Arrival { batch, worker, outcome } = arrival;
        let Some(slot) = self.results.get_mut(batch as usize) else {
            warn!(target: "proofgate::pipeline", run = %self.run, batch, %worker,
                "dropping a result for a batch outside the run");
            return Ok(());
        };
        match (slot.as_ref(), outcome) {
            (None, Outcome::Done(payload)) => {
                self.check.accept(batch, &payload).map_err(|reason| Error::Rejected {
                    run: self.run.clone(),
                    batch,
                    worker: worker.clone(),
                    reason,
                })?;
                debug!(target: "proofgate::pipeline", run = %self.run, batch, %worker, "result accepted");
                *slot = Some(WorkResult { batch, worker, payload });
                self.done += 1;
                Ok(())
            }
            (None, Outcome::Failed(message)) => {
                Err(Error::JobFailed { run: self.run.clone(), batch, worker, message })
            }
            (Some(kept), Outcome::Done(payload)) => {
                debug!(target: "proofgate::pipeline", run = %self.run, batch, %worker,
                    first = %kept.worker, "dropping a duplicate result");
                self.check.same(batch, &kept.payload, &payload).map_err(|reason| Error::Disagree {
                    run: self.run.clone(),
                    batch,
                    reason,
                })
            }
            (Some(kept), Outcome::Failed(message)) => {
                warn!(target: "proofgate::pipeline", run = %self.run, batch, %worker,
                    first = %kept.worker, %message,
                    "a later delivery of a batch that already has a result failed; ignored");
                Ok(())
            }
        }
    }

    /// The batches without a result, the first 32 of them.
    pub fn missing(&self) -> Vec<u32> {
        (0u32..).zip(&self.results).filter(|(_, r)| r.is_none()).map(|(i, _)| i).take(32).collect()
    }

    /// How many batches have a result.
    pub fn done(&self) -> usize {
        self.done
    }

    /// The results in batch order; `None` until every batch has one.
    pub fn finish(self) -> Option<Vec<WorkResult>> {
        self.results.into_iter().collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pipeline::job::{AcceptAll, RunId};
    use std::time::Duration;

    fn run(n: usize) -> Run {
        let id = RunId::new("t").expect("valid id");
        Run::new(id, vec![vec![0]; n], Duration::from_secs(1)).expect("run")
    }

    fn done(batch: u32, worker: &str, payload: &[u8]) -> Arrival {
        Arrival { batch, worker: worker.into(), outcome: Outcome::Done(payload.to_vec()) }
    }

    #[test]
    fn keeps_the_first_result_and_drops_duplicates() {
        let run = run(2);
        let mut c = Collector::new(&run, &AcceptAll);
        c.offer(done(1, "a", b"x")).expect("first");
        c.offer(done(1, "b", b"y")).expect("duplicate dropped");
        c.offer(done(7, "b", b"y")).expect("outside the run: ignored");
        assert_eq!(c.missing(), vec![0]);
        c.offer(done(0, "b", b"z")).expect("first");
        assert!(c.complete());
        let results = c.finish().expect("complete");
        assert_eq!(results[1].payload, b"x");
        assert_eq!(results[1].worker, "a");
    }

    struct SameBytes;
    impl ResultCheck for SameBytes {
        fn accept(&self, _: u32, r: &[u8]) -> std::result::Result<(), String> {
            if r == b"bad" {
                Err("bad result".into())
            } else {
                Ok(())
            }
        }
        fn same(&self, _: u32, a: &[u8], b: &[u8]) -> std::result::Result<(), String> {
            (a == b).then_some(()).ok_or_else(|| "payloads differ".into())
        }
    }

    #[test]
    fn the_checks_and_a_failure_fail_the_run() {
        let run = run(3);
        let mut c = Collector::new(&run, &SameBytes);
        c.offer(done(0, "a", b"x")).expect("first");
        c.offer(done(0, "b", b"x")).expect("same duplicate");
        let e = c.offer(done(0, "b", b"y")).expect_err("disagrees");
        assert!(matches!(e, Error::Disagree { batch: 0, .. }), "{e}");
        let e = c.offer(done(1, "a", b"bad")).expect_err("refused");
        assert!(matches!(e, Error::Rejected { batch: 1, .. }), "{e}");
        let failed = Arrival {
            batch: 2,
            worker: "w".into(),
            outcome: Outcome::Failed("wrong shape".into()),
        };
        let e = c.offer(failed).expect_err("fails");
        assert!(e.to_string().contains("batch 2 failed on worker w: wrong shape"), "{e}");
        let late =
            Arrival { batch: 0, worker: "w".into(), outcome: Outcome::Failed("late".into()) };
        c.offer(late).expect("a late failure of a done batch is ignored");
    }
}
