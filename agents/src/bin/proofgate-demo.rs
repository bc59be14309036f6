//! `proofgate-demo`: the whole system end to end, on a fresh anvil or on any node.
//!
//! Spawns anvil from the repository's toolchain (or uses `--rpc-url`, with the deployer's key in
//! `PROOFGATE_PRIVATE_KEY` and the two agents' keys in `PROOFGATE_AGENT_KEY_1` and `_2`), makes
//! development keys for the risk circuit, deploys and certifies the whole system through the
//! timelock, runs a rebalancing and a momentum agent through a seeded price path with a
//! volatility shock, and prints a report. Logs go to stderr (`RUST_LOG`), the report to stdout.

use std::path::PathBuf;
use std::time::Duration;

use alloy::transports::http::reqwest::Url;
use anyhow::{Context, Result};
use clap::Parser;
use proofgate_agents::chain::{self, LocalAnvil, PRIVATE_KEY_VAR};
use proofgate_agents::system_demo::{self, DemoOptions, Endpoint};
use proofgate_toolchain::{repo_root, Toolchain};
use tracing::warn;

/// Runs ProofGate end to end: deploy, certify, two agents trading through a volatility shock,
/// proofs verified on chain, forced invalid trades reverted.
#[derive(Debug, Parser)]
#[command(name = "proofgate-demo", version)]
struct Cli {
    /// Use the node at URL instead of spawning anvil. Keys are read from the environment
    /// (PROOFGATE_PRIVATE_KEY for the deployer, PROOFGATE_AGENT_KEY_1 and _2 for the agents),
    /// never from the command line.
    #[arg(long, value_name = "URL")]
    rpc_url: Option<Url>,

    /// Price updates of every feed.
    #[arg(long, value_name = "N", default_value_t = 12, value_parser = clap::value_parser!(u32).range(1..=1_000))]
    blocks: u32,

    /// Seed of the price path and the agents' books (the same seed gives the same prices).
    #[arg(long, default_value_t = 7)]
    seed: u64,

    /// The momentum agent submits every N-th decision as a deliberately invalid trade (0: never).
    #[arg(long, value_name = "N", default_value_t = 3)]
    force_invalid_every: u64,

    /// Where keys, model, deployment, configuration and journal go.
    #[arg(long, value_name = "DIR")]
    work_dir: Option<PathBuf>,
}

#[tokio::main]
async fn main() -> Result<()> {
    proofgate_agents::logging::init(false);
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
    let options = DemoOptions {
        steps: cli.blocks,
        seed: cli.seed,
        work_dir: cli.work_dir.unwrap_or_else(|| repo_root().join(".proofgate").join("demo")),
        force_invalid_every: cli.force_invalid_every,
        settle_timeout: Duration::from_secs(60),
        solvency: true,
    };
    let report = match cli.rpc_url {
        Some(url) => {
            let endpoint = Endpoint {
                url,
                label: "node given by --rpc-url".into(),
                deployer: chain::signer_from_env(PRIVATE_KEY_VAR)?,
                agents: [
                    chain::signer_from_env("PROOFGATE_AGENT_KEY_1")?,
                    chain::signer_from_env("PROOFGATE_AGENT_KEY_2")?,
                ],
            };
            system_demo::run(&endpoint, &options).await?
        }
        None => {
            let toolchain = Toolchain::discover()?;
            let anvil = LocalAnvil::spawn(&toolchain)?;
            let endpoint = Endpoint {
                url: anvil.endpoint_url(),
                label: format!("anvil (spawned from {})", anvil.binary().display()),
                deployer: anvil.dev_signer()?,
                agents: [anvil.nth_dev_signer(1)?, anvil.nth_dev_signer(2)?],
            };
            let report = system_demo::run(&endpoint, &options).await;
            anvil.stop();
            report?
        }
    };
    println!("{report}");
    Ok(())
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
