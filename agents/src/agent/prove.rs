//! Sizing a proposal with the native reference, and proving it on the blocking pool.

use std::time::Instant;

use alloy::primitives::U256;
use proofgate_prover::snark;
use proofgate_prover::valuation::TradeAmounts;
use proofgate_prover::{evaluate, Statement};
use proofgate_verifier_codegen::calldata::proof_words;
use tracing::info;

use super::{journal_error, Agent, Sizing};
use crate::journal::ProvedTrade;
use crate::market::{self, MarketState};
use crate::strategy::Proposal;
use crate::{Error, Result};

impl Agent {
    /// Sizes a proposal: quotes it, builds the vault's statement and halves it until the
    /// reference passes (at most `max_shrink_steps` times).
    pub(super) async fn size(
        &self,
        state: &MarketState,
        proposal: &Proposal,
        deadline: u64,
    ) -> Result<Sizing> {
        let deployment = &self.shared.deployment;
        let mut amount_in = proposal.amount_in;
        let mut refused: Option<(TradeAmounts, String)> = None;
        for _ in 0..=self.config.max_shrink_steps {
            if amount_in == 0 {
                break;
            }
            let quoted = market::quote(
                &self.provider,
                deployment,
                proposal.sell_asset,
                proposal.buy_asset,
                amount_in,
            )
            .await?;
            let amount_out = quoted - quoted * u128::from(self.config.slippage_bps) / 10_000;
            if amount_out == 0 {
                return Ok(Sizing::Nothing("the venue quotes nothing for it".into()));
            }
            let trade = TradeAmounts {
                sell_asset: proposal.sell_asset,
                buy_asset: proposal.buy_asset,
                amount_in,
                amount_out,
            };
            let statement =
                market::statement_for(deployment, state, self.address, trade.clone(), deadline)?;
            let evaluation = evaluate(&self.shared.circuit, &self.model, &self.params, &statement)
                .map_err(|e| Error::Config(format!("reference: {e}")))?;
            // The vault charges what the trade gives away at its oracle prices to the agent's
            // loss budget, and reverts a trade that would overdraw it: checked here on the
            // quote (a smaller trade gives away less).
            let shortfall = market::expected_shortfall(&statement, state, quoted);
            let available = state.loss_budget.available(state.net_asset_value(), state.timestamp);
            if evaluation.passes() && shortfall <= available {
                return Ok(Sizing::Passes { trade, statement, refused_larger: refused.is_some() });
            }
            let violations = if evaluation.passes() {
                format!("[LossBudget {{ shortfall: {shortfall}, available: {available} }}]")
            } else {
                format!("{:?}", evaluation.violations)
            };
            if refused.is_none() {
                refused = Some((trade, violations));
            }
            amount_in /= 2;
        }
        Ok(match refused {
            Some((largest, violations)) => Sizing::Refused { largest, violations },
            None => Sizing::Nothing("the trade rounds to zero".into()),
        })
    }

    /// Proves on the blocking pool, holding one of the daemon's proof slots.
    pub(super) async fn prove(&mut self, statement: Statement) -> Result<([U256; 8], f64)> {
        let _permit = self
            .shared
            .proof_slots
            .clone()
            .acquire_owned()
            .await
            .map_err(|_| Error::Config("proof slots closed".into()))?;
        let (key, model, params) =
            (self.shared.key.clone(), self.model.clone(), self.params.clone());
        let started = Instant::now();
        let proof = tokio::task::spawn_blocking(move || {
            snark::prove_fresh(&key, &model, &params, &statement)
        })
        .await
        .map_err(|e| Error::Config(format!("the proving task failed: {e}")))?
        .map_err(|e| Error::Config(format!("proving: {e}")))?;
        let prove_s = started.elapsed().as_secs_f64();
        self.prove_avg_s = Some(match self.prove_avg_s {
            Some(avg) => 0.7 * avg + 0.3 * prove_s,
            None => prove_s,
        });
        self.shared.metrics.update(&self.config.name, |c| {
            c.proofs += 1;
            c.proving_seconds += prove_s;
        });
        info!(target: "proofgate::agent", agent = %self.config.name, prove_s, "proved");
        Ok((proof_words(&proof.0), prove_s))
    }

    /// Proves `statement` and journals the proof under entry `id` (durably, before anything is
    /// sent).
    pub(super) async fn prove_and_journal(
        &mut self,
        id: i64,
        statement: &Statement,
        deadline: u64,
    ) -> Result<([U256; 8], f64)> {
        let (proof, prove_s) = self.prove(statement.clone()).await?;
        let proved = ProvedTrade {
            nonce: statement.binding.nonce,
            deadline,
            proof,
            public_inputs: market::input_words(&self.shared.circuit, statement)?,
            prove_s,
        };
        self.shared.journal.mark_proved(id, &proved).map_err(journal_error)?;
        Ok((proof, prove_s))
    }
}
