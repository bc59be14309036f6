//! The demo's solvency attestations: a development setup of the solvency circuit, the attestor
//! deployed and governed through the timelock, the vault's depositors, and a proof-of-reserve
//! feed for the WETH the vault keeps at a custodian (a Chainlink-shaped feed the custodian's
//! reporter updates, as Chainlink Proof of Reserve does). The demo attests the vault (healthy),
//! then lets more than the maximum age pass: the scheduled agent re-attests by itself.

use std::path::{Path, PathBuf};

use alloy::primitives::Address;
use alloy::providers::Provider;
use proofgate_prover::solvency::{
    Depositor, Depositors, DepositorsFile, SolvencyKeys, SolvencyShape,
};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use tracing::info;

use crate::chain::Artifact;
use crate::deploy::{self, AssetPlan, DeploymentFile, SystemPlan};
use crate::feeds::{self, FeedSpec};
use crate::solvency::{self, BookFile, ReserveFeedPlan, SolvencyPlan, BOOK_VERSION};
use crate::{Error, Result};

/// Depth of the demo's batches: 2^2 = 4 depositors per batch (a small development setup, so
/// that the demo's book spans several batches; real funds use about 2^10).
pub const DEMO_BATCH_DEPTH: u32 = 2;
/// Bits of a balance in the demo's batch circuit.
pub const DEMO_BALANCE_BITS: u32 = 64;
/// Depositors of the demo's vault: three batches.
pub const DEMO_DEPOSITORS: usize = 12;
/// The demo's maximum attestation age: six hours of chain time.
pub const DEMO_MAX_AGE: u64 = 6 * 3_600;
/// Symbols the demo treats as reserve assets (agents may buy them without a fresh attestation).
const RESERVE_SYMBOLS: [&str; 2] = ["USDC", "DAI"];

/// Whole tokens of the first asset the vault keeps at a custodian, reported by its
/// proof-of-reserve feed.
pub const DEMO_CUSTODIED_TOKENS: u128 = 2;

/// Governance's solvency set-up for the demo's assets: 5 % margin, a 2 % haircut on the
/// stablecoins and 20 % on everything else, the stablecoins as the vault's reserves, and the
/// given proof-of-reserve feeds.
pub fn demo_plan(assets: &[AssetPlan], reserve_feeds: Vec<ReserveFeedPlan>) -> SolvencyPlan {
    let is_reserve = |a: &AssetPlan| RESERVE_SYMBOLS.contains(&a.feed.symbol.as_str());
    let reserve_assets = assets
        .iter()
        .enumerate()
        .filter(|(i, a)| *i < 16 && is_reserve(a))
        .fold(0u16, |mask, (i, _)| mask | 1 << i);
    SolvencyPlan {
        max_age: DEMO_MAX_AGE,
        margin_bps: 500,
        haircuts: assets.iter().map(|a| if is_reserve(a) { 9_800 } else { 8_000 }).collect(),
        reserve_assets,
        reserve_feeds,
        upload_window: solvency::DEFAULT_UPLOAD_WINDOW_S,
    }
}

/// The demo's batch shape for `n_assets`: [`DEMO_BALANCE_BITS`]-bit balances in batches of
/// depth [`DEMO_BATCH_DEPTH`].
pub fn demo_shape(n_assets: usize) -> Result<SolvencyShape> {
    SolvencyShape::new(n_assets, DEMO_BALANCE_BITS, DEMO_BATCH_DEPTH)
        .map_err(|e| Error::Config(format!("the demo's solvency shape: {e}")))
}

/// A development setup of the batch circuit of [`demo_shape`] (single party: NOT for
/// production), on the blocking pool.
pub async fn setup_keys(n_assets: usize) -> Result<SolvencyKeys> {
    let shape = demo_shape(n_assets)?;
    tokio::task::spawn_blocking(move || SolvencyKeys::setup(shape, &mut rand::rngs::OsRng))
        .await
        .map_err(|e| Error::Config(format!("solvency setup task: {e}")))?
        .map_err(|e| Error::Config(format!("solvency setup: {e}")))
}

/// Writes `<dir>/<name>.depositors.json` and `<dir>/<name>.book.json`: depositors whose claims
/// add up to at most a fifth of each opening deposit (each balance below 2^63 token units, the
/// demo circuit's bound being 2^64). Returns the book's path.
pub fn write_book(dir: &Path, name: &str, assets: &[AssetPlan], seed: u64) -> Result<PathBuf> {
    let mut rng = StdRng::seed_from_u64(seed);
    let cap = u128::from(u64::MAX >> 1);
    let per_depositor: Vec<u128> = assets
        .iter()
        .map(|a| {
            let deposit = a.deposit_tokens.saturating_mul(10u128.pow(a.decimals.into()));
            (deposit / (5 * DEMO_DEPOSITORS as u128)).min(cap)
        })
        .collect();
    let depositors = (1..=DEMO_DEPOSITORS)
        .map(|k| Depositor {
            id: format!("{name}-depositor-{k:02}"),
            balances: per_depositor.iter().map(|&most| rng.gen_range(0..=most)).collect(),
        })
        .collect();
    let symbols = assets.iter().map(|a| a.feed.symbol.clone()).collect();
    let depositors = Depositors::new(symbols, depositors)
        .map_err(|e| Error::Config(format!("demo depositors: {e}")))?;
    let depositors_name = format!("{name}.depositors.json");
    write(&dir.join(&depositors_name), &DepositorsFile::from(depositors))?;
    let book = BookFile { version: BOOK_VERSION, depositors: depositors_name.into() };
    let path = dir.join(format!("{name}.book.json"));
    write(&path, &book)?;
    Ok(path)
}

fn write<T: serde::Serialize>(path: &Path, value: &T) -> Result<()> {
    proofgate_prover::files::write_json(path, value)
        .map_err(|e| Error::Config(format!("{}: {e}", path.display())))
}

/// A proof-of-reserve feed the demo deployed: its reporter (the deployer) resubmits the same
/// answer with every price update, so it stays within its heartbeat.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DemoReserveFeed {
    /// The feed.
    pub feed: Address,
    /// What it reports, e.g. `WETH reserves`.
    pub label: String,
    /// Its answer: token units at the token's decimals.
    pub answer: i128,
}

/// The demo's solvency set-up: where the solvency key and the vault's book are.
pub struct DemoSolvency {
    /// The solvency proving key file.
    pub key_path: PathBuf,
    /// The vault's book (its depositors), which both agents attest from: the liabilities are
    /// the vault's, whichever of its agents attests.
    pub book: PathBuf,
    /// The vault's proof-of-reserve feeds.
    pub reserve_feeds: Vec<DemoReserveFeed>,
}

/// Deploys the proof-of-reserve feed of the first asset: [`DEMO_CUSTODIED_TOKENS`] held at a
/// custodian, at the token's decimals (as Chainlink's Proof of Reserve feeds report).
async fn deploy_reserve_feed<P: Provider>(
    provider: &P,
    plan: &SystemPlan,
) -> Result<Option<(DemoReserveFeed, ReserveFeedPlan)>> {
    let Some(first) = plan.assets.first() else { return Ok(None) };
    let label = format!("{} reserves", first.feed.symbol);
    let answer = i128::try_from(DEMO_CUSTODIED_TOKENS * 10u128.pow(first.decimals.into()))
        .map_err(|_| Error::Config(format!("{label}: the answer exceeds int128")))?;
    let spec = FeedSpec {
        symbol: label.clone(),
        description: format!("{} reserves at custodian (proof of reserve)", first.feed.symbol),
        decimals: first.decimals,
        initial_answer: answer,
        volatility_bps: 0,
        shock_jump_bps: 0,
    };
    let artifact =
        Artifact::forge(&proofgate_toolchain::repo_root(), "PriceFeed.sol", "PriceFeed")?;
    let feed = feeds::deploy_feed(provider, &artifact, &spec).await?.address;
    let reserve = ReserveFeedPlan { asset: 0, feed, heartbeat: plan.heartbeat };
    Ok(Some((DemoReserveFeed { feed, label, answer }, reserve)))
}

/// Resubmits every reserve feed's answer (the custodian's reporter attesting again).
pub async fn refresh_reserves<P: Provider>(provider: &P, feeds: &[DemoReserveFeed]) -> Result<()> {
    for reserve in feeds {
        feeds::submit(provider, reserve.feed, &reserve.label, reserve.answer).await?;
    }
    Ok(())
}

/// A development setup of the solvency circuit, the reserve feed and the attestor deployed and
/// governed (recorded in `deployment`), feeds refreshed after governance, and the vault's book.
pub async fn set_up<P: Provider>(
    provider: &P,
    deployment: &mut DeploymentFile,
    plan: &SystemPlan,
    dir: &Path,
    seed: u64,
) -> Result<DemoSolvency> {
    let started = std::time::Instant::now();
    let keys = setup_keys(plan.assets.len()).await?;
    info!(target: "proofgate::demo", balance_bits = DEMO_BALANCE_BITS, batch_depth = DEMO_BATCH_DEPTH, seconds = started.elapsed().as_secs_f64(), "development setup of the solvency circuit (single party: not for production)");
    let key_path = dir.join("solvency.pk");
    let bytes = keys.encode().map_err(|e| Error::Config(format!("solvency key: {e}")))?;
    proofgate_prover::files::write_atomic(&key_path, &bytes)
        .map_err(|e| Error::Config(format!("{}: {e}", key_path.display())))?;
    let (reserve_feeds, reserve_plans): (Vec<_>, Vec<_>) =
        deploy_reserve_feed(provider, plan).await?.into_iter().unzip();
    let solvency_plan = demo_plan(&plan.assets, reserve_plans);
    deployment.attestor =
        Some(solvency::deploy_attestor(provider, deployment, &keys, &solvency_plan).await?);
    deploy::refresh_feeds(provider, &deployment.assets, plan).await?;
    refresh_reserves(provider, &reserve_feeds).await?;
    let book = write_book(dir, "vault", &plan.assets, seed + 1)?;
    Ok(DemoSolvency { key_path, book, reserve_feeds })
}
