//! Deliberately invalid submissions (demos and tests): a trade claimed larger than its proof, or
//! one no size of which passes, sent anyway to watch the vault revert it on chain.

use std::time::Instant;

use alloy::primitives::U256;
use proofgate_prover::valuation::TradeAmounts;
use proofgate_prover::Statement;

use super::send::TradeCall;
use super::{again, journal_error, to_call, to_u64, Agent};
use crate::bindings::vault::IProofGateVault;
use crate::journal::{NewDecision, ProvedTrade, Status};
use crate::Result;

impl Agent {
    /// A forced submission: claims `claimed` with the honest proof of `proved`.
    pub(super) async fn force(
        &mut self,
        claimed: TradeAmounts,
        proved: TradeAmounts,
        statement: Statement,
        deadline: u64,
        decision: impl Fn(&TradeAmounts, String) -> NewDecision,
        observed: Instant,
    ) -> Result<bool> {
        let reason = format!(
            "FORCED: claims {} units sold with the proof of a {}-unit trade",
            claimed.amount_in, proved.amount_in
        );
        let id = self
            .shared
            .journal
            .record(&decision(&claimed, reason), Status::Proving)
            .map_err(journal_error)?;
        let (proof, _) = self.prove_and_journal(id, &statement, deadline).await?;
        let call = TradeCall { trade: to_call(&claimed), deadline, proof };
        Ok(again(self.send_proved(id, &call, true, observed).await?))
    }

    /// A forced submission of a trade no size of which passes: a zero proof.
    pub(super) async fn force_unproved(
        &mut self,
        claimed: TradeAmounts,
        violations: &str,
        deadline: u64,
        decision: impl Fn(&TradeAmounts, String) -> NewDecision,
        observed: Instant,
    ) -> Result<bool> {
        let reason =
            format!("FORCED: a trade the reference refuses ({violations}), with no valid proof");
        let id = self
            .shared
            .journal
            .record(&decision(&claimed, reason), Status::Proving)
            .map_err(journal_error)?;
        let nonce = to_u64(
            IProofGateVault::new(self.shared.deployment.vault, &self.provider)
                .nonces(self.address)
                .call()
                .await?,
        );
        let proof = [
            U256::from(1u8),
            U256::from(2u8),
            U256::ZERO,
            U256::ZERO,
            U256::ZERO,
            U256::ZERO,
            U256::from(1u8),
            U256::from(2u8),
        ];
        let proved =
            ProvedTrade { nonce, deadline, proof, public_inputs: Vec::new(), prove_s: 0.0 };
        self.shared.journal.mark_proved(id, &proved).map_err(journal_error)?;
        let call = TradeCall { trade: to_call(&claimed), deadline, proof };
        Ok(again(self.send_proved(id, &call, true, observed).await?))
    }
}
