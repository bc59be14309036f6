//! The solvency gate from the agent's side: attesting on schedule, and holding back
//! risk-increasing proposals while the vault's gate is closed.

use std::time::{Duration, Instant};

use alloy::primitives::U256;
use tracing::{info, warn};

use super::{chain_of, journal_error, Agent, EventKind};
use crate::journal::{NewDecision, Status};
use crate::solvency::{self, SolvencyGate};
use crate::strategy::Proposal;
use crate::{Error, Result};

impl Agent {
    /// Whether a scheduled attestation is due now (and not waiting out a failed one's retry).
    pub(super) fn scheduled_attestation_due(&self, gate: &SolvencyGate, timestamp: u64) -> bool {
        let Some(solvency) = &self.config.solvency else { return false };
        self.attester.is_some()
            && solvency.schedule
            && self.attest_retry_at.is_none_or(|at| Instant::now() >= at)
            && gate.due(timestamp, solvency.refresh_before_s)
    }

    /// Attests now; on success the caller decides again at once (on the fresh gate). A failure
    /// is logged and counted, and retried after `retry_after_s`.
    pub(super) async fn attest_on_schedule(&mut self, observed: Instant) -> Result<bool> {
        let (Some(attester), Some(solvency)) = (&self.attester, &self.config.solvency) else {
            return Ok(false);
        };
        let name = self.config.name.clone();
        let outcome =
            solvency::attest(&self.provider, &self.shared.deployment, self.address, attester).await;
        match outcome {
            Ok(done) => {
                self.attest_retry_at = None;
                self.shared.metrics.update(&name, |c| c.attestations += 1);
                info!(target: "proofgate::agent", agent = %name, epoch = done.epoch, valid_until = done.valid_until, prove_s = done.prove_s, "scheduled solvency attestation");
                let kind = EventKind::Attested { epoch: done.epoch, valid_until: done.valid_until };
                self.emit(None, kind, observed);
                Ok(true)
            }
            Err(Error::Rpc(e)) => Err(Error::Rpc(e)),
            Err(e) => {
                let retry = Duration::from_secs(solvency.retry_after_s);
                self.attest_retry_at = Some(Instant::now() + retry);
                self.shared.metrics.update(&name, |c| c.attestation_failures += 1);
                let reason = chain_of(&e);
                warn!(target: "proofgate::agent", agent = %name, %reason, retry_in_s = retry.as_secs(), "solvency attestation failed");
                self.emit(None, EventKind::AttestationFailed { reason }, observed);
                Ok(true)
            }
        }
    }

    /// Journals a risk-increasing proposal the solvency gate holds back (as skipped, with why).
    pub(super) fn hold_back(
        &mut self,
        proposal: &Proposal,
        gate: &SolvencyGate,
        block: u64,
        observed: Instant,
    ) -> Result<bool> {
        let why = match gate.valid_until {
            0 => "no solvency attestation".to_string(),
            t => format!("solvency attestation stale since {t}"),
        };
        let reason = format!(
            "{}; held back by the solvency gate ({why}): only trades into reserve assets go",
            proposal.reason
        );
        let decision = NewDecision {
            vault: self.shared.deployment.vault,
            agent: self.address,
            strategy: self.strategy.name().to_string(),
            block,
            sell_asset: proposal.sell_asset,
            buy_asset: proposal.buy_asset,
            amount_in: U256::from(proposal.amount_in),
            amount_out: U256::ZERO,
            forced: false,
            reason,
        };
        let id = self.shared.journal.record(&decision, Status::Skipped).map_err(journal_error)?;
        let name = self.config.name.clone();
        self.shared.metrics.update(&name, |c| c.solvency_paused += 1);
        info!(target: "proofgate::agent", agent = %name, entry = id, %why, "risk-increasing trade held back by the solvency gate");
        self.emit(Some(id), EventKind::SolvencyPaused { valid_until: gate.valid_until }, observed);
        Ok(false)
    }
}
