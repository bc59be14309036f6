//! One agent's loop: at each step, follow what is in flight ([`settle`]); with nothing in flight
//! and a new block, take the vault's turn, read the vault and its feeds, let the strategy
//! propose, check the proposal with the native risk reference (halving it until it passes, or
//! refusing it), quote it on the venue, prove it on the blocking pool, and send `executeTrade`
//! with a deadline ([`send`]). Every step is journaled before the next one starts.
//!
//! Exactly-once: a proof is bound to the agent's nonce in the vault, which the vault consumes
//! when it executes; the signed transaction is journaled before it is broadcast, so after a
//! crash the same bytes are sent again, never a second transaction for a new nonce. Agents of
//! one daemon take turns on their vault (one decision in flight at a time), so that a proof is
//! not made on a state another agent's trade is about to move.

mod forced;
mod gate;
mod prove;
mod revert;
mod send;
mod settle;

pub use revert::{decode_revert, decode_revert_data};

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::{Duration, Instant};

use alloy::primitives::{Address, TxHash, U256};
use alloy::providers::Provider;
use alloy::rpc::types::TransactionReceipt;
use alloy::signers::local::PrivateKeySigner;
use alloy::transports::http::reqwest::Url;
use proofgate_prover::snark::ProverKey;
use proofgate_prover::valuation::TradeAmounts;
use proofgate_prover::{CircuitConfig, Model, RiskParams, Statement};
use tokio::sync::{mpsc, watch, Mutex, OwnedMutexGuard, Semaphore};
use tracing::{debug, info, warn};

use crate::bindings::vault::IProofGateVault::{self, TradeExecuted};
use crate::chain::{self, ChainProvider};
use crate::config::{AgentConfig, GasPolicy, RpcPolicy, TxPolicy};
use crate::deploy::DeploymentFile;
use crate::journal::{Journal, NewDecision, Settlement, Status};
use crate::market::{self, MarketState};
use crate::metrics::Metrics;
use crate::solvency::Attester;
use crate::strategy::{MarketView, Strategy};
use crate::tx::TxSender;
use crate::{Error, Result};
use send::{Sent, TradeCall};
use settle::Head;

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
    /// The cap on any transaction's max fee per gas, wei.
    pub fee_cap: u128,
    /// The node.
    pub rpc_url: Url,
    /// Its chain id.
    pub chain_id: u64,
    /// Timeouts and log ranges.
    pub rpc: RpcPolicy,
    /// Confirmation depth and replacement.
    pub tx: TxPolicy,
    /// The vault's turn: held by the agent whose decision is in flight (from reading the state
    /// to its trade's outcome), so that agents sharing the vault do not prove on a state about
    /// to move.
    pub vault_turn: Arc<Mutex<()>>,
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
    /// Signs and broadcasts; owns the account's nonce.
    sender: TxSender,
    /// When the block behind each in-flight entry was seen (for latency).
    observed: HashMap<i64, Instant>,
    /// The head when each transaction was broadcast (for replacement after N blocks).
    sent_at: HashMap<TxHash, u64>,
    /// Entries whose "cannot replace" or "gone" was already logged.
    fee_warned: HashSet<i64>,
    /// The vault's turn, while this agent's decision is in flight.
    turn: Option<OwnedMutexGuard<()>>,
    /// Moving average of proving seconds (the deadline's budget).
    prove_avg_s: Option<f64>,
    /// When the gauges were last refreshed.
    gauges_at: Option<Instant>,
    /// The head at which unfinished entries were last followed.
    settled_at: Option<u64>,
    /// The head seen at the previous step (decisions wait until it holds for one poll).
    quiet_head: Option<u64>,
}

impl Agent {
    /// An agent signing with `signer`, on the node of `shared` (with its timeouts).
    pub fn new(
        config: AgentConfig,
        signer: PrivateKeySigner,
        model: Model,
        params: RiskParams,
        shared: Shared,
    ) -> Self {
        let strategy = config.strategy.build();
        let address = signer.address();
        let reader = chain::connect_reader(shared.rpc_url.clone(), &shared.rpc);
        let provider = chain::connect_signing(shared.rpc_url.clone(), signer.clone(), &shared.rpc);
        let sender = TxSender::new(reader, signer, shared.chain_id);
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
            sender,
            observed: HashMap::new(),
            sent_at: HashMap::new(),
            fee_warned: HashSet::new(),
            turn: None,
            prove_avg_s: None,
            gauges_at: None,
            settled_at: None,
            quiet_head: None,
        }
    }

    fn journal(&self) -> &Journal {
        &self.shared.journal
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

    /// Runs until `shutdown` turns true: at each step, follows what is in flight, then decides
    /// on a new block. RPC errors are logged and retried with exponential backoff (0.25 s to
    /// 15 s); the account's nonce is then read from the node again.
    pub async fn run(mut self, mut shutdown: watch::Receiver<bool>) {
        let name = self.config.name.clone();
        let poll = self.shared.poll;
        let mut backoff = Duration::from_millis(250);
        let mut last_block = None;
        loop {
            if *shutdown.borrow() {
                break;
            }
            match self.step(&mut last_block, &shutdown).await {
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
                    // Work left half-done by the failed step is followed from the journal at the
                    // next one; the nonce is read from the node again. The vault's turn is kept
                    // only while a trade of this agent is in flight.
                    self.sender.resync();
                    if self.journal().pending(self.address).map_or(true, |p| p.is_empty()) {
                        self.turn = None;
                    }
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

    /// One step: re-check unconfirmed trades, follow those in flight, and with none in flight
    /// and a new block (or a stale proof to redo), take the vault's turn and decide.
    async fn step(
        &mut self,
        last_block: &mut Option<u64>,
        shutdown: &watch::Receiver<bool>,
    ) -> Result<()> {
        let head = self.head().await?;
        self.refresh_gauges(head).await?;
        let new_head = self.settled_at != Some(head.number);
        if !new_head && self.turn.is_some() {
            // In flight, and no new block since it was last followed: nothing can have changed
            // that the chain would show (hosted endpoints bill every request).
            return Ok(());
        }
        if new_head {
            self.check_unconfirmed(head).await?;
        }
        let (in_flight, stale) = self.settle_pending(head).await?;
        self.settled_at = Some(head.number);
        if in_flight {
            // Also after a restart: the vault's turn is held while this agent's trade is out.
            if self.turn.is_none() {
                self.turn = self.shared.vault_turn.clone().try_lock_owned().ok();
            }
            return Ok(());
        }
        self.forget_finished();
        if self.turn.take().is_some() && !stale {
            // This agent's trade just ended: the other agents on the vault go first.
            return Ok(());
        }
        if stale {
            *last_block = None;
        }
        if *last_block == Some(head.number) || *shutdown.borrow() {
            return Ok(());
        }
        if self.quiet_head.replace(head.number) != Some(head.number) {
            // A new head: decide once it has held for one poll. Updates often come in bursts
            // (a keeper's feeds, one block each on fast chains), and a proof begun mid-burst
            // would be stale before it is sent.
            return Ok(());
        }
        let Ok(turn) = self.shared.vault_turn.clone().try_lock_owned() else {
            // Another agent's decision on this vault is in flight: decide after it.
            return Ok(());
        };
        self.turn = Some(turn);
        // The state is read at the head as it is now: following may have taken a block or two.
        let head = self.head().await?;
        let again = self.decide(head.number, Instant::now(), shutdown).await?;
        // A stale proof is decided afresh at once, not at the next block.
        *last_block = (!again).then_some(head.number);
        if self.journal().pending(self.address).map_err(journal_error)?.is_empty() {
            // Nothing in flight: the next agent may decide on this very block.
            self.turn = None;
        }
        Ok(())
    }

    /// Drops what was kept about in-flight transactions once none is in flight.
    fn forget_finished(&mut self) {
        self.observed.clear();
        self.sent_at.clear();
        self.fee_warned.clear();
    }

    /// The latest block's number and timestamp.
    async fn head(&self) -> Result<Head> {
        let block = self
            .provider
            .get_block_by_number(alloy::eips::BlockNumberOrTag::Latest)
            .await?
            .ok_or_else(|| Error::Config("the node has no latest block".into()))?;
        Ok(Head { number: block.header.number, timestamp: block.header.timestamp })
    }

    /// Refreshes the gauges (head age, open entries, balance) every few seconds.
    async fn refresh_gauges(&mut self, head: Head) -> Result<()> {
        if self.gauges_at.is_some_and(|at| at.elapsed() < Duration::from_secs(5)) {
            return Ok(());
        }
        self.gauges_at = Some(Instant::now());
        let balance = self.provider.get_balance(self.address).await?;
        let open = self.journal().open_entries(self.address).map_err(journal_error)?;
        let age = now_unix().saturating_sub(head.timestamp) as f64;
        let eth = f64::from(balance) / 1e18;
        self.shared.metrics.update(&self.config.name, |c| {
            c.head_age_s = age;
            c.pending_entries = open;
            c.balance_eth = eth;
        });
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
        let deadline = state.timestamp + self.deadline_budget_s();
        let sized = self.size(&state, &proposal, deadline).await?;
        let name = self.config.name.clone();
        let (agent, strategy, block) =
            (self.address, self.strategy.name().to_string(), state.block);
        let vault = deployment.vault;
        let decision = move |trade: &TradeAmounts, reason: String| NewDecision {
            vault,
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
        let call = TradeCall { trade: to_call(&trade), deadline, proof };
        let _ = prove_s;
        Ok(again(self.send_proved(id, &call, false, observed).await?))
    }

    /// Seconds from the decision's block to the trade's deadline: the configured `deadline_s`
    /// for inclusion, plus 1.5 times the measured average proving time (a slow prover would
    /// otherwise spend the inclusion budget before sending).
    fn deadline_budget_s(&self) -> u64 {
        let proving = self.prove_avg_s.unwrap_or(0.0) * 1.5;
        self.config.deadline_s + proving.ceil() as u64
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

/// Whether to decide again at once after a send (its proof went stale).
fn again(sent: Sent) -> bool {
    matches!(sent, Sent::Final { again: true })
}

/// The current time in unix seconds (0 before 1970).
fn now_unix() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
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
