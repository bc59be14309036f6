//! One agent's loop: on each new block, read the vault and its feeds, let the strategy propose,
//! check the proposal with the native risk reference (halving it until it passes, or refusing
//! it), quote it on the venue, prove it on the blocking pool, submit `executeTrade` with a
//! deadline and record the outcome. Every step is journaled before the next one starts.
//!
//! Exactly-once: a proof is bound to the agent's nonce in the vault, which the vault consumes
//! when it executes. After a crash, [`Agent::recover`] reconciles each unfinished journal entry
//! with the chain: executed (the nonce moved and a `TradeExecuted` event for it exists), still
//! valid (resubmitted: the nonce guarantees at most one execution), or expired / abandoned.

use std::sync::Arc;
use std::time::{Duration, Instant};

use alloy::eips::BlockId;
use alloy::primitives::{Address, U256};
use alloy::providers::Provider;
use alloy::rpc::types::{Filter, TransactionReceipt};
use alloy::sol_types::SolEvent;
use proofgate_prover::snark::{self, ProverKey};
use proofgate_prover::valuation::TradeAmounts;
use proofgate_prover::{evaluate, CircuitConfig, Model, RiskParams, Statement};
use proofgate_verifier_codegen::calldata::proof_words;
use tokio::sync::{mpsc, watch, Semaphore};
use tracing::{debug, info, warn};

use crate::bindings::vault::IProofGateVault::{self, IProofGateVaultErrors, TradeExecuted};
use crate::bindings::venue::IQuotingVenue::IQuotingVenueErrors;
use crate::chain::ChainProvider;
use crate::config::{AgentConfig, GasPolicy};
use crate::deploy::DeploymentFile;
use crate::journal::{Entry, Journal, NewDecision, ProvedTrade, Settlement, Status};
use crate::market::{self, MarketState};
use crate::metrics::Metrics;
use crate::solvency::{self, Attester, SolvencyGate};
use crate::strategy::{MarketView, Proposal, Strategy};
use crate::{Error, Result};

/// Gas limit of a gated trade when the policy sets none (a gated trade uses about 470k).
pub const DEFAULT_TRADE_GAS: u64 = 900_000;

/// What the daemon reports to whoever watches it (the demo, tests).
#[derive(Clone, Debug, PartialEq)]
pub struct AgentEvent {
    /// The agent's name.
    pub agent: String,
    /// The journal entry (none for a block with nothing to do).
    pub entry: Option<i64>,
    /// The block whose state the decision read.
    pub block: u64,
    /// What happened.
    pub kind: EventKind,
    /// When the block that triggered the decision was first seen.
    pub observed_at: Instant,
}

/// The outcome of one decision.
#[derive(Clone, Debug, PartialEq)]
pub enum EventKind {
    /// Executed on chain.
    Executed {
        /// Gas used.
        gas_used: u64,
        /// Seconds spent proving.
        prove_s: f64,
    },
    /// Reverted, with the decoded reason.
    Reverted {
        /// The revert reason.
        reason: String,
        /// Whether the submission was deliberately invalid.
        forced: bool,
    },
    /// The reference refused the trade at every size tried.
    Refused {
        /// The violations.
        reason: String,
    },
    /// The proof went stale before it was sent (another trade or a price update moved the
    /// vault's state); abandoned, and the next block decides afresh.
    Stale,
    /// Nothing to do at this block (no proposal, inactive, or skipped).
    Idle,
    /// The agent attested its solvency (scheduled); it decides again at once.
    Attested {
        /// The epoch attested.
        epoch: u64,
        /// Until when the attestation is fresh.
        valid_until: u64,
    },
    /// A scheduled attestation failed; the agent goes on, and retries later.
    AttestationFailed {
        /// Why.
        reason: String,
    },
    /// A risk-increasing proposal was held back: the agent's required solvency attestation is
    /// missing or stale, so the vault would refuse it (trades into reserve assets still go).
    SolvencyPaused {
        /// Until when the last attestation was fresh (0: none).
        valid_until: u64,
    },
}

/// A simulated crash (fault injection for tests).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Crash {
    /// No crash.
    #[default]
    Never,
    /// Exit the process right after a proof is journaled, before it is sent.
    ExitAfterProve,
    /// Stop the agent's task right after a proof is journaled, before it is sent, doing
    /// nothing more (the in-process equivalent of a crash).
    HaltAfterProve,
    /// Stop the agent's task right after the transaction is sent and journaled as submitted,
    /// before its receipt is recorded.
    HaltAfterSubmit,
}

/// Test and demo hooks.
#[derive(Clone, Debug, Default)]
pub struct Faults {
    /// Where to crash.
    pub crash: Crash,
    /// Submit every `n`-th decision as a deliberately invalid trade (0: never).
    pub force_invalid_every: u64,
    /// Start agents whose `slippage_bps` is above the governed bound (for tests that watch the
    /// chain refuse what such an agent forces through).
    pub skip_slippage_check: bool,
    /// 0: never; otherwise the agent's task panics once, at its n-th step (a decision at a new
    /// block); the daemon's supervisor clears it when it restarts the agent.
    pub panic_on_step: u64,
}

/// Shared by every agent of a daemon.
#[derive(Clone)]
pub struct Shared {
    /// The circuit.
    pub circuit: CircuitConfig,
    /// The proving key.
    pub key: Arc<ProverKey>,
    /// The deployment.
    pub deployment: Arc<DeploymentFile>,
    /// The journal.
    pub journal: Arc<Journal>,
    /// Counters.
    pub metrics: Arc<Metrics>,
    /// Bounds proofs made at once.
    pub proof_slots: Arc<Semaphore>,
    /// Gas policy.
    pub gas: GasPolicy,
    /// How often the chain is polled for a new block.
    pub poll: Duration,
    /// Where events go (optional).
    pub events: Option<mpsc::UnboundedSender<AgentEvent>>,
    /// Hooks.
    pub faults: Faults,
}

/// One running agent.
pub struct Agent {
    /// Its configuration.
    pub config: AgentConfig,
    address: Address,
    provider: ChainProvider,
    model: Arc<Model>,
    params: Arc<RiskParams>,
    strategy: Box<dyn Strategy>,
    shared: Shared,
    history: Vec<Vec<u64>>,
    decisions: u64,
    current_block: u64,
    attester: Option<Attester>,
    /// When a failed scheduled attestation may be retried (wall clock: a failure such as a
    /// stale feed clears with the next block, not with chain time).
    attest_retry_at: Option<Instant>,
}

impl Agent {
    /// An agent signing with `provider`'s wallet at `address`.
    pub fn new(
        config: AgentConfig,
        address: Address,
        provider: ChainProvider,
        model: Model,
        params: RiskParams,
        shared: Shared,
    ) -> Self {
        let strategy = config.strategy.build();
        Self {
            config,
            address,
            provider,
            model: Arc::new(model),
            params: Arc::new(params),
            strategy,
            shared,
            history: Vec::new(),
            decisions: 0,
            current_block: 0,
            attester: None,
            attest_retry_at: None,
        }
    }

    /// The agent attests its solvency with `attester` (on the schedule of its configuration's
    /// `solvency` section).
    pub fn with_attester(mut self, attester: Attester) -> Self {
        self.attester = Some(attester);
        self
    }

    /// The agent's address.
    pub fn address(&self) -> Address {
        self.address
    }

    /// Runs until `shutdown` turns true: recovers unfinished work, then decides on every new
    /// block. RPC errors are logged and retried with exponential backoff (0.25 s to 15 s).
    pub async fn run(mut self, mut shutdown: watch::Receiver<bool>) {
        let name = self.config.name.clone();
        let poll = self.shared.poll;
        let mut backoff = Duration::from_millis(250);
        let mut recovered = false;
        let mut last_block = None;
        loop {
            if *shutdown.borrow() {
                break;
            }
            let step = async {
                if !recovered {
                    self.recover().await?;
                    recovered = true;
                }
                let block = self.provider.get_block_number().await?;
                if last_block != Some(block) {
                    let observed = Instant::now();
                    let again = self.decide(block, observed, &shutdown).await?;
                    // A stale proof is decided afresh at once, not at the next block.
                    last_block = (!again).then_some(block);
                }
                Ok::<_, Error>(())
            };
            match step.await {
                Ok(()) => {
                    backoff = Duration::from_millis(250);
                    tokio::select! {
                        _ = shutdown.wait_for(|stop| *stop) => break,
                        _ = tokio::time::sleep(poll) => {}
                    }
                }
                Err(Error::Halted) => {
                    warn!(target: "proofgate::agent", agent = %name, "halted by fault injection");
                    return;
                }
                Err(e) => {
                    // Work left half-done by the failed step (a proof journaled but not sent, a
                    // transaction without its receipt) is reconciled before the next decision.
                    recovered = false;
                    self.shared.metrics.update(&name, |c| c.rpc_errors += 1);
                    warn!(target: "proofgate::agent", agent = %name, error = %chain_of(&e), retry_in_ms = backoff.as_millis() as u64, "step failed; retrying");
                    tokio::select! {
                        _ = shutdown.wait_for(|stop| *stop) => break,
                        _ = tokio::time::sleep(backoff) => {}
                    }
                    backoff = (backoff * 2).min(Duration::from_secs(15));
                }
            }
        }
        info!(target: "proofgate::agent", agent = %name, "stopped");
    }

    /// Reconciles the journal's unfinished entries with the chain (see the module's docs).
    pub async fn recover(&mut self) -> Result<()> {
        let journal = self.shared.journal.clone();
        let pending = journal.pending(self.address).map_err(journal_error)?;
        if pending.is_empty() {
            return Ok(());
        }
        let vault = IProofGateVault::new(self.shared.deployment.vault, &self.provider);
        let chain_nonce = to_u64(vault.nonces(self.address).call().await?);
        let now = crate::deploy::latest_timestamp(&self.provider).await?;
        for entry in pending {
            let name = &self.config.name;
            match (entry.status, entry.nonce, entry.deadline) {
                (Status::Proving, ..) | (_, None, _) | (_, _, None) => {
                    journal
                        .mark_abandoned(entry.id, "interrupted before the proof was recorded")
                        .map_err(journal_error)?;
                    info!(target: "proofgate::agent", agent = %name, entry = entry.id, "recovery: abandoned an interrupted proof");
                }
                (_, Some(nonce), Some(_)) if chain_nonce > nonce => {
                    match self.find_execution(nonce).await? {
                        Some(receipt) => {
                            let block = receipt.block_number.unwrap_or_default();
                            journal
                                .mark_executed(
                                    entry.id,
                                    receipt.transaction_hash,
                                    receipt.gas_used,
                                    block,
                                    settlement(&receipt, self.shared.deployment.vault),
                                )
                                .map_err(journal_error)?;
                            info!(target: "proofgate::agent", agent = %name, entry = entry.id, nonce, tx = %receipt.transaction_hash, "recovery: the trade had executed");
                        }
                        None => {
                            journal
                                .mark_abandoned(entry.id, "the nonce was consumed by another trade")
                                .map_err(journal_error)?;
                        }
                    }
                }
                (_, Some(_), Some(deadline)) if deadline <= now => {
                    journal.mark_expired(entry.id).map_err(journal_error)?;
                    info!(target: "proofgate::agent", agent = %name, entry = entry.id, "recovery: the proof's deadline passed");
                }
                (_, Some(_), Some(deadline)) => {
                    info!(target: "proofgate::agent", agent = %name, entry = entry.id, "recovery: resubmitting the journaled proof");
                    self.resubmit(&entry, deadline, Instant::now()).await?;
                }
            }
        }
        Ok(())
    }

    /// The receipt of the `TradeExecuted` of this agent at `nonce`, if any.
    async fn find_execution(&self, nonce: u64) -> Result<Option<TransactionReceipt>> {
        let filter = Filter::new()
            .address(self.shared.deployment.vault)
            .event_signature(TradeExecuted::SIGNATURE_HASH)
            .topic1(self.address.into_word())
            .topic2(U256::from(nonce))
            .from_block(self.shared.deployment.block);
        let logs = self.provider.get_logs(&filter).await?;
        match logs.first().and_then(|log| log.transaction_hash) {
            Some(hash) => Ok(self.provider.get_transaction_receipt(hash).await?),
            None => Ok(None),
        }
    }

    /// Resubmits a journaled proof if the vault would still accept it; abandons it otherwise.
    async fn resubmit(&mut self, entry: &Entry, deadline: u64, observed: Instant) -> Result<()> {
        let (Some(proof), Some(prove_s)) = (entry.proof, entry.prove_s) else {
            self.shared
                .journal
                .mark_abandoned(entry.id, "no proof journaled")
                .map_err(journal_error)?;
            return Ok(());
        };
        let trade = IProofGateVault::Trade {
            sellAsset: entry.sell_asset,
            buyAsset: entry.buy_asset,
            amountIn: entry.amount_in,
            amountOut: entry.amount_out,
        };
        let vault = IProofGateVault::new(self.shared.deployment.vault, &self.provider);
        let valid = vault
            .checkTrade(self.address, trade.clone(), U256::from(deadline), proof)
            .call()
            .await?;
        if !valid {
            self.shared
                .journal
                .mark_abandoned(
                    entry.id,
                    "the vault's state changed since proving; the proof no longer holds",
                )
                .map_err(journal_error)?;
            return Ok(());
        }
        self.submit(entry.id, trade, deadline, proof, prove_s, entry.forced, observed).await?;
        Ok(())
    }

    /// One decision at the latest block. Returns whether to decide again at once (the proof
    /// went stale before it was sent).
    async fn decide(
        &mut self,
        block: u64,
        observed: Instant,
        shutdown: &watch::Receiver<bool>,
    ) -> Result<bool> {
        let step = self.shared.faults.panic_on_step;
        assert!(step == 0 || self.decisions + 1 != step, "injected panic (PROOFGATE_FAULT)");
        let deployment = self.shared.deployment.clone();
        let state = market::read_state(&self.provider, &deployment, self.address, block).await?;
        self.remember_prices(&state);
        self.current_block = state.block;
        if !state.active {
            debug!(target: "proofgate::agent", agent = %self.config.name, "not active in the registry; waiting");
            self.emit(None, EventKind::Idle, observed);
            return Ok(false);
        }
        let gate = state.gate;
        if self.scheduled_attestation_due(&gate, state.timestamp) {
            return self.attest_on_schedule(observed).await;
        }
        let view =
            MarketView { block: state.block, assets: &state.assets, price_history: &self.history };
        let Some(proposal) = self.strategy.propose(&view) else {
            self.emit(None, EventKind::Idle, observed);
            return Ok(false);
        };
        if !gate.allows(proposal.buy_asset, state.timestamp) {
            return self.hold_back(&proposal, &gate, state.block, observed);
        }
        self.decisions += 1;
        let every = match self.shared.faults.force_invalid_every {
            0 => self.config.force_invalid_every,
            every => every,
        };
        let forced = every > 0 && self.decisions.is_multiple_of(every);
        let deadline = state.timestamp + self.config.deadline_s;
        let sized = self.size(&state, &proposal, deadline).await?;
        let name = self.config.name.clone();
        let (agent, strategy, block) =
            (self.address, self.strategy.name().to_string(), state.block);
        let decision = move |trade: &TradeAmounts, reason: String| NewDecision {
            agent,
            strategy: strategy.clone(),
            block,
            sell_asset: trade.sell_asset,
            buy_asset: trade.buy_asset,
            amount_in: U256::from(trade.amount_in),
            amount_out: U256::from(trade.amount_out),
            forced,
            reason,
        };
        let (id, trade, statement) = match sized {
            Sizing::Passes { trade, statement, refused_larger } if !forced => {
                let reason = if refused_larger {
                    format!("{} (shrunk until the risk reference passed)", proposal.reason)
                } else {
                    proposal.reason.clone()
                };
                let id = self
                    .shared
                    .journal
                    .record(&decision(&trade, reason), Status::Proving)
                    .map_err(journal_error)?;
                (id, trade, statement)
            }
            Sizing::Passes { trade, statement, .. } => {
                // Forced: claim a larger trade than the one proved (twice the size, within the
                // holding, so the vault gets as far as the proof check).
                let mut claimed = trade.clone();
                let holding = state.assets[usize::from(trade.sell_asset)].holding;
                claimed.amount_in = trade.amount_in.saturating_mul(2).min(holding);
                claimed.amount_out = trade.amount_out.saturating_mul(2);
                return self.force(claimed, trade, statement, deadline, decision, observed).await;
            }
            Sizing::Refused { largest, violations } => {
                if forced {
                    return self
                        .force_unproved(largest, &violations, deadline, decision, observed)
                        .await;
                }
                let reason =
                    format!("{}; refused by the risk reference: {violations}", proposal.reason);
                let id = self
                    .shared
                    .journal
                    .record(&decision(&largest, reason.clone()), Status::Refused)
                    .map_err(journal_error)?;
                self.shared.metrics.update(&name, |c| c.refused += 1);
                info!(target: "proofgate::agent", agent = %name, entry = id, %violations, "trade refused by the reference at every size");
                self.emit(Some(id), EventKind::Refused { reason: violations }, observed);
                return Ok(false);
            }
            Sizing::Nothing(why) => {
                let id = self
                    .shared
                    .journal
                    .record(
                        &decision(
                            &TradeAmounts {
                                sell_asset: proposal.sell_asset,
                                buy_asset: proposal.buy_asset,
                                amount_in: 0,
                                amount_out: 0,
                            },
                            why.clone(),
                        ),
                        Status::Skipped,
                    )
                    .map_err(journal_error)?;
                self.shared.metrics.update(&name, |c| c.skipped += 1);
                debug!(target: "proofgate::agent", agent = %name, entry = id, %why, "skipped");
                self.emit(Some(id), EventKind::Idle, observed);
                return Ok(false);
            }
        };
        let (proof, prove_s) = self.prove_and_journal(id, &statement, deadline).await?;
        match self.shared.faults.crash {
            Crash::ExitAfterProve => {
                warn!(target: "proofgate::agent", agent = %name, entry = id, "fault injection: exiting between proving and submitting");
                std::process::exit(86);
            }
            Crash::HaltAfterProve => {
                warn!(target: "proofgate::agent", agent = %name, entry = id, "fault injection: halting between proving and submitting");
                return Err(Error::Halted);
            }
            _ => {}
        }
        if *shutdown.borrow() {
            self.shared
                .journal
                .mark_abandoned(id, "shutdown before submission")
                .map_err(journal_error)?;
            return Ok(false);
        }
        let trade = to_call(&trade);
        self.submit(id, trade, deadline, proof, prove_s, false, observed).await
    }

    /// Whether a scheduled attestation is due now (and not waiting out a failed one's retry).
    fn scheduled_attestation_due(&self, gate: &SolvencyGate, timestamp: u64) -> bool {
        let Some(solvency) = &self.config.solvency else { return false };
        self.attester.is_some()
            && solvency.schedule
            && self.attest_retry_at.is_none_or(|at| Instant::now() >= at)
            && gate.due(timestamp, solvency.refresh_before_s)
    }

    /// Attests now; on success the caller decides again at once (on the fresh gate). A failure
    /// is logged and counted, and retried after `retry_after_s`.
    async fn attest_on_schedule(&mut self, observed: Instant) -> Result<bool> {
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
    fn hold_back(
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

    /// Sizes a proposal: quotes it, builds the vault's statement and halves it until the
    /// reference passes (at most `max_shrink_steps` times).
    async fn size(
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
    async fn prove(&self, statement: Statement) -> Result<([U256; 8], f64)> {
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
        self.shared.metrics.update(&self.config.name, |c| {
            c.proofs += 1;
            c.proving_seconds += prove_s;
        });
        info!(target: "proofgate::agent", agent = %self.config.name, prove_s, "proved");
        Ok((proof_words(&proof.0), prove_s))
    }

    /// Proves `statement` and journals the proof under entry `id` (durably, before anything is
    /// sent).
    async fn prove_and_journal(
        &self,
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

    /// Sends `executeTrade`, journals the hash, waits for the receipt and records the outcome.
    #[allow(clippy::too_many_arguments)]
    async fn submit(
        &mut self,
        id: i64,
        trade: IProofGateVault::Trade,
        deadline: u64,
        proof: [U256; 8],
        prove_s: f64,
        forced: bool,
        observed: Instant,
    ) -> Result<bool> {
        let name = self.config.name.clone();
        let vault = IProofGateVault::new(self.shared.deployment.vault, &self.provider);
        let call = vault.executeTrade(trade.clone(), U256::from(deadline), proof);
        // The pre-flight call decodes a revert's reason; a forced trade is sent anyway, so that
        // the revert happens on chain.
        let preflight = call.call().await;
        let reason = match &preflight {
            Ok(_) => None,
            Err(e) => Some(decode_revert(e)),
        };
        if let (Some(reason), false) = (&reason, forced) {
            if reason.starts_with("InvalidProof")
                && self.moved_since_proving(id, &trade, deadline).await?
            {
                self.shared
                    .journal
                    .mark_abandoned(
                        id,
                        "the vault's state moved since proving (another trade or a price update)",
                    )
                    .map_err(journal_error)?;
                info!(target: "proofgate::agent", agent = %name, entry = id, "proof went stale before submission; deciding afresh");
                self.emit(Some(id), EventKind::Stale, observed);
                return Ok(true);
            }
            if !reason.starts_with("rpc:") {
                self.shared.journal.mark_reverted(id, None, None, reason).map_err(journal_error)?;
                self.shared.metrics.update(&name, |c| c.reverted += 1);
                warn!(target: "proofgate::agent", agent = %name, entry = id, %reason, "the vault would refuse the trade; not sent");
                self.emit(
                    Some(id),
                    EventKind::Reverted { reason: reason.clone(), forced },
                    observed,
                );
                return Ok(false);
            }
        }
        let gas = &self.shared.gas;
        let mut call = call.gas(gas.gas_limit.unwrap_or(DEFAULT_TRADE_GAS));
        if let Some(max_fee) = gas.max_fee_gwei {
            call = call.max_fee_per_gas(u128::from(max_fee) * 1_000_000_000);
            call = call.max_priority_fee_per_gas(
                u128::from(gas.priority_fee_gwei.unwrap_or(1)) * 1_000_000_000,
            );
        }
        let pending = call.send().await?;
        let tx_hash = *pending.tx_hash();
        self.shared.journal.mark_submitted(id, tx_hash).map_err(journal_error)?;
        if self.shared.faults.crash == Crash::HaltAfterSubmit {
            warn!(target: "proofgate::agent", agent = %name, entry = id, %tx_hash, "fault injection: halting before the receipt");
            return Err(Error::Halted);
        }
        let receipt = pending.with_timeout(Some(Duration::from_secs(120))).get_receipt().await?;
        let block = receipt.block_number.unwrap_or_default();
        if receipt.status() {
            self.shared
                .journal
                .mark_executed(
                    id,
                    tx_hash,
                    receipt.gas_used,
                    block,
                    settlement(&receipt, self.shared.deployment.vault),
                )
                .map_err(journal_error)?;
            self.shared.metrics.update(&name, |c| {
                c.executed += 1;
                c.gas_used += receipt.gas_used;
            });
            info!(target: "proofgate::agent", agent = %name, entry = id, tx = %tx_hash, gas = receipt.gas_used, block, latency_ms = observed.elapsed().as_millis() as u64, "gated trade executed");
            self.emit(
                Some(id),
                EventKind::Executed { gas_used: receipt.gas_used, prove_s },
                observed,
            );
        } else {
            // Passed the pre-flight but reverted when mined: something moved in between (a
            // price, a pool). Replayed on the state the block left, the call names it.
            let reason = match reason {
                Some(reason) => reason,
                None => match call.block(BlockId::number(block)).call().await {
                    Err(e) => format!("{} (replayed at block {block})", decode_revert(&e)),
                    Ok(_) => "reverted on chain (passes when replayed after its block)".into(),
                },
            };
            self.shared
                .journal
                .mark_reverted(id, Some(tx_hash), Some(receipt.gas_used), &reason)
                .map_err(journal_error)?;
            self.shared.metrics.update(&name, |c| c.reverted += 1);
            warn!(target: "proofgate::agent", agent = %name, entry = id, tx = %tx_hash, %reason, forced, "gated trade reverted on chain");
            self.emit(Some(id), EventKind::Reverted { reason, forced }, observed);
        }
        Ok(false)
    }

    /// Whether the vault's public inputs for `trade` now differ from those journaled at proving.
    async fn moved_since_proving(
        &self,
        id: i64,
        trade: &IProofGateVault::Trade,
        deadline: u64,
    ) -> Result<bool> {
        let entry = self.shared.journal.get(id).map_err(journal_error)?;
        let vault = IProofGateVault::new(self.shared.deployment.vault, &self.provider);
        let now =
            vault.publicInputs(self.address, trade.clone(), U256::from(deadline)).call().await?;
        Ok(entry.public_inputs.is_some_and(|proved| proved != now))
    }

    /// A forced submission: claims `claimed` with the honest proof of `proved`.
    async fn force(
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
        let (proof, prove_s) = self.prove_and_journal(id, &statement, deadline).await?;
        self.submit(id, to_call(&claimed), deadline, proof, prove_s, true, observed).await
    }

    /// A forced submission of a trade no size of which passes: a zero proof.
    async fn force_unproved(
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
        self.submit(id, to_call(&claimed), deadline, proof, 0.0, true, observed).await
    }

    fn remember_prices(&mut self, state: &MarketState) {
        const KEEP: usize = 64;
        self.history.resize(state.assets.len(), Vec::new());
        for (prices, asset) in self.history.iter_mut().zip(&state.assets) {
            if prices.last() != Some(&asset.price_1e8) {
                prices.push(asset.price_1e8);
                if prices.len() > KEEP {
                    prices.remove(0);
                }
            }
        }
    }

    fn emit(&self, entry: Option<i64>, kind: EventKind, observed_at: Instant) {
        if let Some(events) = &self.shared.events {
            let agent = self.config.name.clone();
            let block = self.current_block;
            let _ = events.send(AgentEvent { agent, entry, block, kind, observed_at });
        }
    }
}

/// How a proposal sized up.
enum Sizing {
    /// The largest size tried that passes.
    Passes { trade: TradeAmounts, statement: Statement, refused_larger: bool },
    /// No size passes; the largest one tried, and why it failed.
    Refused { largest: TradeAmounts, violations: String },
    /// Nothing to trade.
    Nothing(String),
}

fn to_call(trade: &TradeAmounts) -> IProofGateVault::Trade {
    IProofGateVault::Trade {
        sellAsset: trade.sell_asset,
        buyAsset: trade.buy_asset,
        amountIn: U256::from(trade.amount_in),
        amountOut: U256::from(trade.amount_out),
    }
}

fn to_u64(value: U256) -> u64 {
    u64::try_from(value).unwrap_or(u64::MAX)
}

fn journal_error(e: crate::journal::JournalError) -> Error {
    Error::Config(format!("journal: {e}"))
}

/// A revert's reason: the vault's (or its venue's, bubbled up) custom error by name and
/// arguments when it decodes, the RPC failure otherwise (prefixed `rpc:`).
pub fn decode_revert(error: &alloy::contract::Error) -> String {
    // `Variant(Variant { field: value, .. })`: the inner error is the readable part.
    let readable = |text: String| match text.split_once('(') {
        Some((_, inner)) => inner.strip_suffix(')').unwrap_or(inner).to_string(),
        None => text,
    };
    if let Some(decoded) = error.as_decoded_interface_error::<IProofGateVaultErrors>() {
        return readable(format!("{decoded:?}"));
    }
    if let Some(decoded) = error.as_decoded_interface_error::<IQuotingVenueErrors>() {
        return readable(format!("{decoded:?}"));
    }
    match error.as_revert_data() {
        Some(data) => format!("reverted with undecoded data {data}"),
        None => format!("rpc: {error}"),
    }
}

/// An error and its causes on one line.
pub fn chain_of(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

/// What the vault reported in the receipt's `TradeExecuted` (from `vault`): the amount received
/// and the loss-budget charge.
pub fn settlement(receipt: &TransactionReceipt, vault: Address) -> Option<Settlement> {
    receipt.inner.logs().iter().filter(|log| log.address() == vault).find_map(|log| {
        log.log_decode::<TradeExecuted>().ok().map(|decoded| Settlement {
            amount_received: decoded.inner.data.amountReceived,
            shortfall: decoded.inner.data.shortfall,
        })
    })
}
