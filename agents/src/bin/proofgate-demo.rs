//! `proofgate-demo`: the largest end-to-end flow that exists today, until the agent daemon lands.
//!
//! Spawns anvil from the repository's toolchain (or uses `--rpc-url` with the key in
//! `PROOFGATE_PRIVATE_KEY`), deploys one Chainlink-shaped `PriceFeed` per asset from forge's
//! artifact, drives the feeds along a seeded price path with a volatility shock, reads them back
//! through `AggregatorV3Interface` and prints a report. Logs go to stderr (`RUST_LOG`), the report
//! to stdout.

use std::io::IsTerminal;

use alloy::signers::local::PrivateKeySigner;
use alloy::transports::http::reqwest::Url;
use anyhow::{Context, Result};
use clap::Parser;
use proofgate_agents::chain::{self, Artifact, LocalAnvil, PRIVATE_KEY_VAR};
use proofgate_agents::demo::{self, ChainInfo};
use proofgate_agents::feeds::{self, PricePath};
use proofgate_toolchain::{repo_root, Toolchain};
use tracing::{info, warn};
use tracing_subscriber::EnvFilter;

/// Deploys price feeds on a local chain and drives them along a seeded price path with a
/// volatility shock: the largest end-to-end flow of ProofGate that exists today.
#[derive(Debug, Parser)]
#[command(name = "proofgate-demo", version)]
struct Cli {
    /// Use the node at URL instead of spawning anvil. The deployer's private key is read from
    /// the environment variable PROOFGATE_PRIVATE_KEY, never from the command line.
    #[arg(long, value_name = "URL")]
    rpc_url: Option<Url>,

    /// Price updates per feed (each feed's submit() is mined in its own block on anvil).
    #[arg(long, value_name = "N", default_value_t = 24, value_parser = clap::value_parser!(u32).range(1..=10_000))]
    blocks: u32,

    /// Seed of the price path (the same seed gives the same prices).
    #[arg(long, default_value_t = 7)]
    seed: u64,
}

#[tokio::main]
async fn main() -> Result<()> {
    init_tracing();
    let cli = Cli::parse();
    // Ctrl-C drops the flow, and with it the spawned anvil, which is stopped on drop.
    tokio::select! {
        result = run(cli) => result,
        signal = tokio::signal::ctrl_c() => {
            signal.context("listening for ctrl-c")?;
            warn!(target: "proofgate::demo", "interrupted; stopping");
            anyhow::bail!("interrupted")
        }
    }
}

async fn run(cli: Cli) -> Result<()> {
    let root = repo_root();
    let artifact = Artifact::forge(&root, "PriceFeed.sol", "PriceFeed")?;
    info!(target: "proofgate::demo", artifact = %artifact.path.display(), "creation bytecode loaded from forge's artifact");
    let path = PricePath::with_midway_shock(cli.seed, cli.blocks);

    match cli.rpc_url {
        Some(url) => {
            let signer = chain::signer_from_env(PRIVATE_KEY_VAR)?;
            let label = "node given by --rpc-url".to_string();
            drive(url, signer, label, &artifact, path).await
        }
        None => {
            let toolchain = Toolchain::discover()?;
            let anvil = LocalAnvil::spawn(&toolchain)?;
            let label = format!("anvil (spawned from {})", anvil.binary().display());
            let result =
                drive(anvil.endpoint_url(), anvil.dev_signer()?, label, &artifact, path).await;
            anvil.stop();
            result
        }
    }
}

async fn drive(
    url: Url,
    signer: PrivateKeySigner,
    label: String,
    artifact: &Artifact,
    path: PricePath,
) -> Result<()> {
    use alloy::providers::Provider;

    let deployer = signer.address();
    let provider = chain::connect(url.clone(), signer);
    let chain_id = provider.get_chain_id().await.with_context(|| format!("reaching {url}"))?;
    let info = ChainInfo { label, endpoint: url.to_string(), chain_id, deployer };
    let seed = path.seed;
    let report = demo::run(&provider, info, artifact, &feeds::default_assets(), path).await?;
    println!("{report}");
    println!();
    let proof = proofgate_agents::gated_proof::run(&provider, seed).await?;
    println!("{proof}");
    Ok(())
}

fn init_tracing() {
    // arkworks' gr1cs spans format the whole constraint system at every gadget: always off.
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new("info"))
        .add_directive("gr1cs=off".parse().expect("a valid directive"));
    let ansi = std::io::stderr().is_terminal();
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(ansi)
        .with_writer(std::io::stderr)
        .init();
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_cli_is_well_formed() {
        Cli::command().debug_assert();
    }

    #[test]
    fn blocks_must_be_positive() {
        assert!(Cli::try_parse_from(["proofgate-demo", "--blocks", "0"]).is_err());
        let cli = Cli::try_parse_from(["proofgate-demo", "--blocks", "3"]).expect("parses");
        assert_eq!(cli.blocks, 3);
        assert!(cli.rpc_url.is_none());
    }

    #[test]
    fn there_is_no_private_key_flag() {
        assert!(Cli::try_parse_from(["proofgate-demo", "--private-key", "0x01"]).is_err());
    }
}
