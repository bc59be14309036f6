//! The demo's chain flow: deploy one feed per asset, drive them along a seeded price path, read
//! every feed back and report. This is the largest end-to-end flow that exists until the agent
//! daemon lands; later issues add proving and the proof-gated trade to it.

use std::fmt;

use alloy::primitives::{Address, I256};
use alloy::providers::Provider;
use tracing::{debug, info};

use crate::chain::Artifact;
use crate::feeds::{self, FeedSpec, PricePath, RoundData};
use crate::{Error, Result};

/// What the demo runs against.
#[derive(Clone, Debug)]
pub struct ChainInfo {
    /// How the chain was reached, e.g. `anvil (spawned)` or `--rpc-url`.
    pub label: String,
    /// The RPC endpoint.
    pub endpoint: String,
    /// The chain id.
    pub chain_id: u64,
    /// The account that deploys and submits.
    pub deployer: Address,
}

/// One feed after the run.
#[derive(Clone, Debug)]
pub struct FeedRun {
    /// What was deployed.
    pub spec: FeedSpec,
    /// The feed's address.
    pub address: Address,
    /// Gas of the deployment.
    pub deploy_gas: u64,
    /// Gas of each `submit`, in order.
    pub submit_gas: Vec<u64>,
    /// Every answer: the constructor's, then each submitted one.
    pub answers: Vec<i128>,
    /// `latestRoundData` after the run.
    pub latest: RoundData,
    /// `decimals()` read back.
    pub decimals: u8,
    /// `description()` read back.
    pub description: String,
}

/// The outcome of [`run`].
#[derive(Clone, Debug)]
pub struct Report {
    /// The chain.
    pub chain: ChainInfo,
    /// The price path that was driven.
    pub path: PricePath,
    /// Every feed.
    pub feeds: Vec<FeedRun>,
    /// The first and last block the demo's transactions landed in.
    pub blocks: (u64, u64),
}

/// Deploys a `PriceFeed` per asset from `artifact`, submits `path.steps` answers to each (one
/// `submit` per feed per step, in step order), reads every feed back through
/// `AggregatorV3Interface` and checks rounds, answers, decimals and descriptions.
pub async fn run<P: Provider>(
    provider: &P,
    chain: ChainInfo,
    artifact: &Artifact,
    assets: &[FeedSpec],
    path: PricePath,
) -> Result<Report> {
    if assets.is_empty() {
        return Err(Error::Config("no assets to deploy feeds for".into()));
    }
    let mut blocks = BlockRange::default();
    let mut runs = Vec::with_capacity(assets.len());
    for (index, spec) in assets.iter().enumerate() {
        let deployment = feeds::deploy_feed(provider, artifact, spec).await?;
        blocks.add(deployment.block_number);
        info!(target: "proofgate::demo", feed = %spec.symbol, address = %deployment.address, gas = deployment.gas_used, "feed deployed");
        let mut answers = vec![spec.initial_answer];
        answers.extend(path.answers(spec, index));
        runs.push((spec, deployment, answers, Vec::with_capacity(path.steps as usize)));
    }

    for step in 1..=path.steps as usize {
        let shocked = path.shock.is_some_and(|s| s.at_step as usize == step);
        if shocked {
            info!(target: "proofgate::demo", step, "volatility shock");
        }
        for (spec, deployment, answers, gas) in &mut runs {
            let submission =
                feeds::submit(provider, deployment.address, &spec.symbol, answers[step]).await?;
            blocks.add(submission.block_number);
            gas.push(submission.gas_used);
        }
        debug!(target: "proofgate::demo", step, "prices submitted");
    }

    let mut report = Vec::with_capacity(runs.len());
    for (spec, deployment, answers, submit_gas) in runs {
        let run =
            read_back(provider, spec, deployment.address, deployment.gas_used, answers, submit_gas)
                .await?;
        report.push(run);
    }
    info!(target: "proofgate::demo", feeds = report.len(), steps = path.steps, "every feed read back and checked");
    Ok(Report { chain, path, feeds: report, blocks: (blocks.first, blocks.last) })
}

async fn read_back<P: Provider>(
    provider: &P,
    spec: &FeedSpec,
    address: Address,
    deploy_gas: u64,
    answers: Vec<i128>,
    submit_gas: Vec<u64>,
) -> Result<FeedRun> {
    let symbol = spec.symbol.as_str();
    let latest = feeds::latest_round(provider, address).await?;
    let rounds = answers.len() as u128;
    let last = answers.last().copied().unwrap_or(spec.initial_answer);
    feeds::expect_eq(symbol, "latest roundId", latest.round_id, rounds)?;
    feeds::expect_eq(symbol, "answeredInRound", latest.answered_in_round, rounds)?;
    feeds::expect_eq(symbol, "latest answer", latest.answer, feeds::to_answer(last))?;
    let feed = feeds::AggregatorV3Interface::new(address, provider);
    let decimals = feed.decimals().call().await?;
    let description = feed.description().call().await?;
    feeds::expect_eq(symbol, "decimals", decimals, spec.decimals)?;
    feeds::expect_eq(symbol, "description", description.as_str(), spec.description.as_str())?;
    Ok(FeedRun {
        spec: spec.clone(),
        address,
        deploy_gas,
        submit_gas,
        answers,
        latest,
        decimals,
        description,
    })
}

#[derive(Default)]
struct BlockRange {
    first: u64,
    last: u64,
}

impl BlockRange {
    fn add(&mut self, block: Option<u64>) {
        if let Some(block) = block {
            self.first = if self.first == 0 { block } else { self.first.min(block) };
            self.last = self.last.max(block);
        }
    }
}

/// `value` with `decimals` decimals, e.g. `3000.12345678`.
pub fn format_fixed(value: i128, decimals: u8) -> String {
    let scale = 10i128.pow(u32::from(decimals));
    let sign = if value < 0 { "-" } else { "" };
    let (whole, frac) =
        (value.unsigned_abs() / scale.unsigned_abs(), value.unsigned_abs() % scale.unsigned_abs());
    match decimals {
        0 => format!("{sign}{whole}"),
        d => format!("{sign}{whole}.{frac:0width$}", width = usize::from(d)),
    }
}

fn format_answer(value: I256, decimals: u8) -> String {
    match i128::try_from(value) {
        Ok(v) => format_fixed(v, decimals),
        Err(_) => value.to_string(),
    }
}

/// The change from `from` to `to` in percent, one decimal.
fn change_pct(from: i128, to: i128) -> String {
    if from == 0 {
        return "n/a".into();
    }
    let permille = (to - from) * 1000 / from;
    let sign = if permille < 0 { "-" } else { "+" };
    format!("{sign}{}.{}%", permille.unsigned_abs() / 10, permille.unsigned_abs() % 10)
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let c = &self.chain;
        writeln!(f, "ProofGate demo: Chainlink-shaped price feeds through a volatility shock")?;
        writeln!(
            f,
            "This is the largest end-to-end flow that exists today: price feeds, then a risk proof"
        )?;
        writeln!(f, "verified on chain by the generated verifier. The vault and the agent daemon are in progress.")?;
        writeln!(f)?;
        writeln!(f, "chain     {} at {}, chain id {}", c.label, c.endpoint, c.chain_id)?;
        writeln!(f, "deployer  {}", c.deployer)?;
        let shock = match self.path.shock {
            Some(s) => format!(
                "shock at step {}: per-asset jump, then volatility x{} for {} step(s)",
                s.at_step, s.vol_multiplier, s.duration
            ),
            None => "no shock".into(),
        };
        writeln!(
            f,
            "path      seed {}, {} step(s), one submit() per feed per step; {shock}",
            self.path.seed, self.path.steps
        )?;
        writeln!(f, "blocks    {} to {}", self.blocks.0, self.blocks.1)?;
        writeln!(f)?;
        writeln!(
            f,
            "{:<6} {:<42} {:>6} {:>16} {:>16} {:>16} {:>16} {:>8} {:>10} {:>22}",
            "feed",
            "address",
            "rounds",
            "first",
            "low",
            "high",
            "last",
            "change",
            "deploy gas",
            "submit gas min/avg/max"
        )?;
        for run in &self.feeds {
            let d = run.decimals;
            let first = run.answers.first().copied().unwrap_or_default();
            let low = run.answers.iter().copied().min().unwrap_or_default();
            let high = run.answers.iter().copied().max().unwrap_or_default();
            let (min, max) = (
                run.submit_gas.iter().copied().min().unwrap_or_default(),
                run.submit_gas.iter().copied().max().unwrap_or_default(),
            );
            let avg = run.submit_gas.iter().sum::<u64>() / (run.submit_gas.len().max(1) as u64);
            writeln!(
                f,
                "{:<6} {:<42} {:>6} {:>16} {:>16} {:>16} {:>16} {:>8} {:>10} {:>22}",
                run.spec.symbol,
                run.address.to_string(),
                run.latest.round_id,
                format_fixed(first, d),
                format_fixed(low, d),
                format_fixed(high, d),
                format_answer(run.latest.answer, d),
                change_pct(first, run.answers.last().copied().unwrap_or(first)),
                run.deploy_gas,
                format!("{min}/{avg}/{max}"),
            )?;
        }
        writeln!(f)?;
        writeln!(
            f,
            "Read back through AggregatorV3Interface: every feed's latestRoundData (round id, answer,"
        )?;
        write!(
            f,
            "answeredInRound), decimals and description match what was deployed and submitted."
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fixed_point_formatting() {
        assert_eq!(format_fixed(300_012_345_678, 8), "3000.12345678");
        assert_eq!(format_fixed(-5, 8), "-0.00000005");
        assert_eq!(format_fixed(42, 0), "42");
        assert_eq!(change_pct(100, 82), "-18.0%");
        assert_eq!(change_pct(100, 105), "+5.0%");
        assert_eq!(change_pct(0, 5), "n/a");
    }
}
