//! Solvency attestations with real Groth16 proofs on anvil: the system deployed with the
//! generated solvency verifier, the attestor and the vault's proof-of-reserve feed governed
//! through the timelock (as the demo does it); while the vault has no attestation, or a stale
//! one, its agents are refused risk-increasing trades and allowed trades into its reserve assets;
//! a fresh attestation (by any of its agents) resumes them; a replayed epoch reverts; a book the
//! vault does not cover gets no proof and nothing is sent; a governance change ends a fresh
//! attestation; a depositor checks its inclusion against the chain with `proofgate solvency
//! check-inclusion --rpc-url`.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::Arc;

use alloy::primitives::{Address, U256};
use alloy::providers::Provider;
use alloy::sol_types::{SolCall, SolEvent};
use proofgate_agents::agent::{EventKind, Faults};
use proofgate_agents::bindings::attestor::ISolvencyAttestor::{self, ISolvencyAttestorErrors};
use proofgate_agents::bindings::vault::IProofGateVault::{self, IProofGateVaultErrors};
use proofgate_agents::chain::{self, Artifact, LocalAnvil};
use proofgate_agents::daemon;
use proofgate_agents::demo_solvency::{
    DEMO_BALANCE_BITS, DEMO_BATCH_DEPTH, DEMO_CUSTODIED_TOKENS, DEMO_MAX_AGE,
};
use proofgate_agents::deploy::govern;
use proofgate_agents::feeds::PricePath;
use proofgate_agents::solvency::{self, AttestationOutcome, Attester, Book, UploadFaults};
use proofgate_agents::strategy::StrategyConfig;
use proofgate_agents::system_demo::{self, DemoOptions, Endpoint, Prepared};
use proofgate_prover::solvency::{fr_to_u256, Depositor, Depositors, EpochTree};
use proofgate_toolchain::{repo_root, Toolchain};

use super::agents::wait_for;

pub(super) type TestResult = Result<(), Box<dyn std::error::Error>>;

/// The system deployed as the demo deploys it, with the solvency attestor.
pub(super) async fn prepare_with_solvency(
    anvil: &LocalAnvil,
    dir: &std::path::Path,
) -> Result<(Endpoint, Prepared), Box<dyn std::error::Error>> {
    let endpoint = super::agents::endpoint(anvil.endpoint_url())?;
    let options = DemoOptions {
        steps: 1,
        seed: 7,
        work_dir: dir.to_path_buf(),
        force_invalid_every: 0,
        settle_timeout: std::time::Duration::from_secs(30),
        solvency: true,
    };
    let prepared = system_demo::prepare(&endpoint, &options).await?;
    Ok((endpoint, prepared))
}

/// The vault's reading of a trade now, as `executeTrade` computes it before the proof check:
/// `Ok` when the solvency gate lets it through, the decoded vault error otherwise.
async fn gate<P: Provider>(
    vault: &IProofGateVault::IProofGateVaultInstance<P>,
    agent: alloy::primitives::Address,
    trade: &IProofGateVault::Trade,
) -> Result<Result<(), IProofGateVaultErrors>, Box<dyn std::error::Error>> {
    let now = vault.provider().get_block(alloy::eips::BlockId::latest()).await?;
    let deadline = U256::from(now.map_or(0, |b| b.header.timestamp) + 600);
    match vault.publicInputs(agent, trade.clone(), deadline).call().await {
        Ok(_) => Ok(Ok(())),
        Err(e) => match e.as_decoded_interface_error::<IProofGateVaultErrors>() {
            Some(decoded) => Ok(Err(decoded)),
            None => Err(e.into()),
        },
    }
}

/// The first agent's side of a deployment with the solvency attestor: its attester (the vault's
/// book), address and provider, and the attestor.
pub(super) struct AttestingAgent {
    pub(super) attester: Attester,
    pub(super) agent: Address,
    pub(super) provider: chain::ChainProvider,
    pub(super) attestor: Address,
}

impl AttestingAgent {
    pub(super) fn of(
        anvil: &LocalAnvil,
        endpoint: &Endpoint,
        prepared: &Prepared,
    ) -> Result<Self, Box<dyn std::error::Error>> {
        Self::nth(anvil, endpoint, prepared, 0)
    }

    /// The deployment's agent `index` (both attest from the vault's book).
    fn nth(
        anvil: &LocalAnvil,
        endpoint: &Endpoint,
        prepared: &Prepared,
        index: usize,
    ) -> Result<Self, Box<dyn std::error::Error>> {
        let deployment = &prepared.deployment;
        let config = &prepared.daemon_config;
        let keys = daemon::load_solvency_key(config, deployment)?;
        Ok(Self {
            attester: daemon::attester_for(&config.agents[index], deployment, &keys)?
                .ok_or("a book")?,
            agent: endpoint.agents[index].address(),
            provider: chain::connect(anvil.endpoint_url(), endpoint.agents[index].clone()),
            attestor: deployment.attestor.ok_or("the demo deploys an attestor")?,
        })
    }

    /// The native reference of the attester's book: its epoch tree under the key's shape.
    fn tree(&self) -> Result<EpochTree, Box<dyn std::error::Error>> {
        Ok(EpochTree::build(&self.attester.book.depositors, self.attester.keys.shape)?)
    }
}

/// The attestor's `SolvencyBatchAccepted` events of `vault`'s `epoch`, in log order.
async fn batch_events<P: Provider>(
    provider: &P,
    attestor: Address,
    vault: Address,
    epoch: u64,
) -> Result<Vec<ISolvencyAttestor::SolvencyBatchAccepted>, Box<dyn std::error::Error>> {
    let filter = alloy::rpc::types::Filter::new()
        .address(attestor)
        .event_signature(ISolvencyAttestor::SolvencyBatchAccepted::SIGNATURE_HASH)
        .topic1(vault.into_word())
        .topic2(U256::from(epoch))
        .from_block(0);
    let logs = provider.get_logs(&filter).await?;
    Ok(logs
        .iter()
        .map(|log| {
            log.log_decode::<ISolvencyAttestor::SolvencyBatchAccepted>().map(|l| l.inner.data)
        })
        .collect::<Result<_, _>>()?)
}

/// The attestor's `SolvencyAttested` event of `vault`'s `epoch`.
async fn attested_event<P: Provider>(
    provider: &P,
    attestor: Address,
    vault: Address,
    epoch: u64,
) -> Result<ISolvencyAttestor::SolvencyAttested, Box<dyn std::error::Error>> {
    let filter = alloy::rpc::types::Filter::new()
        .address(attestor)
        .event_signature(ISolvencyAttestor::SolvencyAttested::SIGNATURE_HASH)
        .topic2(vault.into_word())
        .topic3(U256::from(epoch))
        .from_block(0);
    let logs = provider.get_logs(&filter).await?;
    let log = logs.first().ok_or("no SolvencyAttested event")?;
    Ok(log.log_decode::<ISolvencyAttestor::SolvencyAttested>()?.inner.data)
}

/// Checks what `outcome` sealed on chain against the native reference `tree`: one
/// `SolvencyBatchAccepted` event per batch, in order, with the tree's roots, sums and running
/// accumulator; the sealed `liabilitiesRoot` is the tree's accumulator and the attested totals
/// its totals, which are the book's column sums.
pub(super) async fn assert_sealed_as_the_reference<P: Provider>(
    provider: &P,
    attestor: Address,
    vault: Address,
    outcome: &AttestationOutcome,
    tree: &EpochTree,
) -> TestResult {
    let published = tree.published();
    let chain = tree.chain();
    assert_eq!(outcome.batch_count as usize, tree.batch_count());
    let events = batch_events(provider, attestor, vault, outcome.epoch).await?;
    assert_eq!(events.len(), chain.batches.len(), "one event per batch");
    let mut acc = [0u8; 32];
    for (i, (event, link)) in events.iter().zip(&chain.batches).enumerate() {
        acc = proofgate_prover::solvency::accumulate(&acc, &link.root, &link.sums);
        assert_eq!(event.batchIndex as usize, i, "in index order");
        assert_eq!(event.batchRoot, fr_to_u256(&link.root), "batch {i}'s root");
        assert_eq!(event.sums, link.sums, "batch {i}'s sums");
        assert_eq!(event.accumulator.0, acc, "the accumulator after batch {i}");
    }
    let root = U256::from_be_bytes(published.accumulator);
    assert_eq!(outcome.root, root, "the outcome's root is the native accumulator");
    let stored = ISolvencyAttestor::new(attestor, provider).attestation(vault).call().await?;
    assert_eq!(stored.liabilitiesRoot, root, "the sealed liabilitiesRoot");
    let attested = attested_event(provider, attestor, vault, outcome.epoch).await?;
    assert_eq!(attested.totals, published.totals, "the sealed totals are the reference's");
    assert_eq!(attested.batchCount, outcome.batch_count);
    let book = tree.depositors();
    let column = |a: usize| book.depositors().iter().map(|d| U256::from(d.balances[a])).sum();
    let sums: Vec<U256> = (0..book.n_assets()).map(column).collect();
    assert_eq!(attested.totals, sums, "the totals are the book's column sums");
    Ok(())
}

/// Prints the gas of each step of `outcome`'s upload (the issue asks for them).
pub(super) fn report_gas(what: &str, outcome: &AttestationOutcome) {
    let gas = &outcome.gas;
    let batches: Vec<u64> = gas.batches.iter().map(|b| b.gas).collect();
    eprintln!(
        "{what}: epoch {}, {} batches, proved in {:.2} s; gas: begin {}, batches {batches:?}, seal {}, total {}",
        outcome.epoch, outcome.batch_count, outcome.prove_s, gas.begin, gas.seal, gas.total()
    );
}

/// A risk-increasing trade in the demo's vault: it sells USDC (a reserve asset) for WETH.
fn risky_trade() -> IProofGateVault::Trade {
    IProofGateVault::Trade {
        sellAsset: 3,
        buyAsset: 0,
        amountIn: U256::from(1_000_000_000u64),
        amountOut: U256::from(100_000_000_000_000_000u64),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stale_attestation_pauses_risk_increasing_trades_and_a_fresh_one_resumes_them(
) -> TestResult {
    let dir = tempfile::tempdir()?;
    let anvil = LocalAnvil::spawn(&Toolchain::discover()?)?;
    let (endpoint, prepared) = prepare_with_solvency(&anvil, dir.path()).await?;
    let deployment = &prepared.deployment;
    let AttestingAgent { attester, agent, provider: as_agent, attestor } =
        AttestingAgent::of(&anvil, &endpoint, &prepared)?;
    let vault = IProofGateVault::new(deployment.vault, &as_agent);
    let contract = ISolvencyAttestor::new(attestor, &as_agent);
    let symbol = |i: usize| deployment.assets[i].symbol.as_str();
    // USDC and DAI are the vault's reserve assets.
    assert_eq!((symbol(0), symbol(3)), ("WETH", "USDC"));
    let risky = risky_trade();
    let derisk = IProofGateVault::Trade {
        sellAsset: 0,
        buyAsset: 3,
        amountIn: U256::from(100_000_000_000_000_000u64),
        amountOut: U256::from(100_000_000u64),
    };
    let not_solvent = |r: &Result<(), IProofGateVaultErrors>, until: u64| {
        matches!(r, Err(IProofGateVaultErrors::AgentNotSolvent(e))
            if e.agent == agent && e.solventUntil == U256::from(until))
    };

    // No attestation yet: risk-increasing trades are refused, de-risking ones are not.
    assert!(!contract.isSolvent(deployment.vault).call().await?);
    assert!(not_solvent(&gate(&vault, agent, &risky).await?, 0), "missing attestation");
    assert!(gate(&vault, agent, &derisk).await?.is_ok(), "into a reserve asset");

    // A real attestation of the demo's book in several batches (every statement checked
    // against the attestor's before anything is sent).
    let first = solvency::attest(&as_agent, deployment, agent, &attester).await?;
    report_gas("the demo's book", &first);
    assert_eq!(first.epoch, 1);
    assert!(first.batch_count >= 2, "the demo's book spans several batches");
    assert_eq!((first.resumed_at, first.gas.batches.len()), (0, first.batch_count as usize));
    assert!(
        contract.isSolvent(deployment.vault).call().await?,
        "solvent after a valid attestation"
    );
    assert!(gate(&vault, agent, &risky).await?.is_ok(), "fresh: the gate is open");
    let stored = contract.attestation(deployment.vault).call().await?;
    assert_eq!(stored.validUntil, stored.attestedAt + DEMO_MAX_AGE);
    assert_eq!(first.valid_until, stored.validUntil);

    // The same epoch again reverts before any proof is looked at.
    let replay = contract
        .attestSolvency(
            deployment.vault,
            1,
            u64::MAX,
            first.root,
            vec![U256::ZERO; 8],
            [U256::ZERO; 8],
        )
        .call()
        .await;
    let Err(replay) = replay else { return Err("a replayed epoch must revert".into()) };
    assert!(
        matches!(
            replay.as_decoded_interface_error::<ISolvencyAttestorErrors>(),
            Some(ISolvencyAttestorErrors::EpochNotIncreasing(_))
        ),
        "{replay}"
    );

    // Past the maximum age: stale, and the vault pauses risk-increasing trades only.
    chain::advance_time(&as_agent, DEMO_MAX_AGE + 1).await?;
    system_demo::push_prices(&prepared, &PricePath::with_midway_shock(7, 1), 1).await?;
    assert!(!contract.isSolvent(deployment.vault).call().await?, "stale after the maximum age");
    let stale = gate(&vault, agent, &risky).await?;
    assert!(not_solvent(&stale, first.valid_until), "stale attestation: {stale:?}");
    assert!(gate(&vault, agent, &derisk).await?.is_ok(), "de-risking still allowed");

    // A fresh attestation resumes it.
    let second = solvency::attest(&as_agent, deployment, agent, &attester).await?;
    assert_eq!(second.epoch, 2);
    assert!(gate(&vault, agent, &risky).await?.is_ok(), "fresh again");

    // A book the vault does not cover (owing more WBTC than the vault holds): the attestor's own
    // coverage check refuses it before any proof is made, and nothing is sent.
    let wbtc_held = vault.asset(U256::from(1)).call().await?.holding;
    let owed = u128::try_from(wbtc_held)? + 1;
    let mut balances = vec![0u128; deployment.assets.len()];
    balances[1] = owed;
    let symbols = deployment.assets.iter().map(|a| a.symbol.clone()).collect();
    let uncovered = Attester {
        book: Arc::new(Book {
            depositors: Depositors::new(symbols, vec![Depositor { id: "whale".into(), balances }])?,
        }),
        ..attester.clone()
    };
    let refused = solvency::attest(&as_agent, deployment, agent, &uncovered)
        .await
        .err()
        .ok_or("an uncovered book must not attest")?
        .to_string();
    assert!(refused.contains("the attestor's coverage check"), "{refused}");
    assert!(refused.contains("AssetNotCovered"), "{refused}");
    assert_eq!(contract.attestation(deployment.vault).call().await?.epoch, 2, "nothing was sent");

    // A depositors file whose columns are not the vault's assets in its order (WETH and WBTC
    // swapped: WETH balances would be priced and scaled as WBTC) is refused before proving.
    let mut swapped: Vec<String> = deployment.assets.iter().map(|a| a.symbol.clone()).collect();
    swapped.swap(0, 1);
    let misordered = Attester {
        book: Arc::new(Book {
            depositors: Depositors::new(
                swapped,
                vec![Depositor { id: "alice".into(), balances: vec![1; deployment.assets.len()] }],
            )?,
        }),
        ..attester.clone()
    };
    let refused = solvency::attest(&as_agent, deployment, agent, &misordered)
        .await
        .err()
        .ok_or("a misordered depositors file must not attest")?
        .to_string();
    assert!(refused.contains("column 0 is \"WBTC\""), "{refused}");
    assert_eq!(contract.attestation(deployment.vault).call().await?.epoch, 2, "nothing was sent");
    anvil.stop();
    Ok(())
}

/// The `proofgate` binary of this build (`target/<profile>/proofgate`), built first when a
/// narrower `cargo test` has not built it.
pub(super) fn proofgate_binary() -> Result<PathBuf, Box<dyn std::error::Error>> {
    let exe = std::env::current_exe()?;
    let profile_dir = exe.parent().and_then(Path::parent).ok_or("no target directory")?;
    let binary = profile_dir.join("proofgate");
    if !binary.exists() {
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let status = Command::new(cargo)
            .args(["build", "--quiet", "-p", "proofgate-prover", "--bin", "proofgate"])
            .current_dir(repo_root())
            .status()?;
        if !status.success() || !binary.exists() {
            return Err(format!("could not build {}", binary.display()).into());
        }
    }
    Ok(binary)
}

/// Runs `proofgate` with `args`.
fn proofgate(args: &[&str]) -> Result<Output, Box<dyn std::error::Error>> {
    Ok(Command::new(proofgate_binary()?).args(args).output()?)
}

/// stdout and stderr of `output`, together.
fn text(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

/// A depositor's check against the chain: `check-inclusion --rpc-url --attestor --vault`
/// (with `--epoch` when given) on `proof`.
fn check_on_chain(
    anvil: &LocalAnvil,
    attestor: Address,
    vault: Address,
    proof: &Path,
    epoch: Option<u64>,
) -> Result<Output, Box<dyn std::error::Error>> {
    let (url, attestor, vault) =
        (anvil.endpoint_url().to_string(), attestor.to_string(), vault.to_string());
    let proof = proof.display().to_string();
    let epoch = epoch.map(|e| e.to_string());
    // anvil's finalized block trails far behind a young chain: read at the latest.
    let mut args = vec!["solvency", "check-inclusion", "--rpc-url", &url, "--block", "latest"];
    args.extend(["--attestor", &attestor, "--vault", &vault, "--proof", &proof]);
    if let Some(epoch) = &epoch {
        args.extend(["--epoch", epoch]);
    }
    proofgate(&args)
}

/// What a depositor holds and what governance may change: the vault's depositors get their
/// inclusion proofs (`proofgate solvency build`, as the operator hands them out) and check them
/// against the attestation on chain: INCLUDED; a tampered proof is NOT INCLUDED with the reason.
/// The reserve feed's custodied tokens count toward the vault's assets. A governance change
/// (a haircut) ends the fresh attestation at once and closes the gate; a debt above the
/// holding counts as a liability, so the vault no longer attests; earlier epochs stay
/// checkable.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn depositors_check_inclusion_on_chain_and_governance_ends_an_attestation() -> TestResult {
    let dir = tempfile::tempdir()?;
    let anvil = LocalAnvil::spawn(&Toolchain::discover()?)?;
    let (endpoint, prepared) = prepare_with_solvency(&anvil, dir.path()).await?;
    let deployment = &prepared.deployment;
    let AttestingAgent { attester, agent, provider: as_agent, attestor } =
        AttestingAgent::of(&anvil, &endpoint, &prepared)?;
    let contract = ISolvencyAttestor::new(attestor, &as_agent);
    let vault = IProofGateVault::new(deployment.vault, &as_agent);

    // The custodied WETH counts through the reserve feed, and only through it.
    let tree = EpochTree::build(&attester.book.depositors, attester.keys.shape)?;
    let report = contract.coverage(deployment.vault, tree.published().totals).call().await?;
    let weth = &report.assets[0];
    assert_eq!(
        weth.reserve,
        U256::from(DEMO_CUSTODIED_TOKENS) * U256::from(10u64).pow(U256::from(18))
    );
    assert_eq!(weth.assets, weth.holding - weth.debt.min(weth.holding) + weth.reserve);
    assert!(report.haircutValue >= report.requiredValue, "the demo's vault is covered");

    let first = solvency::attest(&as_agent, deployment, agent, &attester).await?;
    assert_eq!(first.epoch, 1);
    assert_sealed_as_the_reference(&as_agent, attestor, deployment.vault, &first, &tree).await?;

    // The operator builds every depositor's inclusion proof; depositor 5 (in batch 1) checks
    // against the chain: through its batch's root and the chain of SolvencyBatchAccepted events.
    let build = dir.path().join("build");
    let depositors = dir.path().join("vault.depositors.json");
    let (bits, depth) = (DEMO_BALANCE_BITS.to_string(), DEMO_BATCH_DEPTH.to_string());
    let built = proofgate(&[
        "solvency",
        "build",
        "--depositors",
        &depositors.display().to_string(),
        "--balance-bits",
        &bits,
        "--batch-depth",
        &depth,
        "--out",
        &build.display().to_string(),
    ])?;
    assert!(built.status.success(), "{}", text(&built));
    let proof = build.join("inclusion").join("5.json");
    let parsed: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&proof)?)?;
    assert_eq!(parsed["batch_index"], 1, "depositor 5 is in batch 1: {parsed}");
    let included = check_on_chain(&anvil, attestor, deployment.vault, &proof, None)?;
    assert_eq!(included.status.code(), Some(0), "{}", text(&included));
    assert!(text(&included).contains("INCLUDED"), "{}", text(&included));
    assert!(!text(&included).contains("NOT INCLUDED"), "{}", text(&included));
    assert!(text(&included).contains("the registry's attestor()"), "{}", text(&included));

    // A tampered proof (one balance raised by one unit) is not included, and says why.
    let mut tampered: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&proof)?)?;
    let balance: u128 = tampered["balances"][0].as_str().ok_or("a decimal balance")?.parse()?;
    tampered["balances"][0] = serde_json::Value::String((balance + 1).to_string());
    let tampered_path = dir.path().join("tampered.json");
    std::fs::write(&tampered_path, serde_json::to_string(&tampered)?)?;
    let refused = check_on_chain(&anvil, attestor, deployment.vault, &tampered_path, None)?;
    assert_eq!(refused.status.code(), Some(1), "{}", text(&refused));
    assert!(text(&refused).contains("NOT INCLUDED"), "{}", text(&refused));
    assert!(text(&refused).contains("the path leads to batch root"), "why: {}", text(&refused));

    // Governance lowers a haircut: the fresh attestation ends at once, and the gate closes.
    let haircut = ISolvencyAttestor::setHaircutCall {
        vault: deployment.vault,
        asset: U256::ZERO,
        haircutBps: 7_500,
    };
    govern(&prepared.provider, deployment.timelock, vec![(attestor, haircut.abi_encode().into())])
        .await?;
    system_demo::push_prices(&prepared, &PricePath::with_midway_shock(7, 1), 1).await?;
    assert!(!contract.isSolvent(deployment.vault).call().await?, "ended by the haircut");
    assert_eq!(contract.attestation(deployment.vault).call().await?.validUntil, 0);
    let risky = risky_trade();
    let closed = gate(&vault, agent, &risky).await?;
    assert!(matches!(closed, Err(IProofGateVaultErrors::AgentNotSolvent(_))), "{closed:?}");
    let second = solvency::attest(&as_agent, deployment, agent, &attester).await?;
    assert_eq!(second.epoch, 2);
    assert!(gate(&vault, agent, &risky).await?.is_ok(), "attested again under the new haircut");

    // Epoch 1 stays checkable from its event; the latest is epoch 2.
    let earlier = check_on_chain(&anvil, attestor, deployment.vault, &proof, Some(1))?;
    assert_eq!(earlier.status.code(), Some(0), "{}", text(&earlier));
    let missing = check_on_chain(&anvil, attestor, deployment.vault, &proof, Some(9))?;
    assert_eq!(missing.status.code(), Some(2), "no attestation of epoch 9: {}", text(&missing));

    // A WBTC debt above the vault's holding: its excess is a liability no asset covers.
    let wbtc = vault.asset(U256::from(1)).call().await?;
    let debt =
        IProofGateVault::setDebtCall { index: U256::from(1), debt: wbtc.holding + U256::from(1u8) };
    govern(
        &prepared.provider,
        deployment.timelock,
        vec![(deployment.vault, debt.abi_encode().into())],
    )
    .await?;
    system_demo::push_prices(&prepared, &PricePath::with_midway_shock(7, 1), 1).await?;
    assert!(!contract.isSolvent(deployment.vault).call().await?, "ended by the debt change");
    let refused = solvency::attest(&as_agent, deployment, agent, &attester)
        .await
        .err()
        .ok_or("a vault whose debt exceeds its holding does not attest")?
        .to_string();
    assert!(refused.contains("AssetNotCovered"), "{refused}");
    anvil.stop();
    Ok(())
}

/// An agent that stops between `submitBatch` transactions (a crash) leaves its upload open:
/// the other agent cannot begin an epoch and is told when the upload expires; the next
/// attestation of the same agent continues the upload from the attestor's `received` count
/// (no `beginEpoch`, only the missing batches) and seals it, with the previous attestation's
/// epoch unchanged until then. An upload of ours of another epoch is abandoned first.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_upload_interrupted_between_batches_is_continued_by_the_next_attestation() -> TestResult
{
    let dir = tempfile::tempdir()?;
    let anvil = LocalAnvil::spawn(&Toolchain::discover()?)?;
    let (endpoint, prepared) = prepare_with_solvency(&anvil, dir.path()).await?;
    let deployment = &prepared.deployment;
    let first = AttestingAgent::of(&anvil, &endpoint, &prepared)?;
    let tree = first.tree()?;
    let contract = ISolvencyAttestor::new(first.attestor, &first.provider);
    let vault = deployment.vault;

    // A crash after the first batch is on chain.
    let crashing =
        Attester { faults: UploadFaults { halt_after_batches: Some(1) }, ..first.attester.clone() };
    let halted = solvency::attest(&first.provider, deployment, first.agent, &crashing).await;
    assert!(matches!(halted, Err(proofgate_agents::Error::Halted)), "{halted:?}");
    let open = contract.upload(vault).call().await?;
    assert_eq!(open.state, ISolvencyAttestor::UploadState::Open);
    assert_eq!((open.agent, open.epoch, open.received), (first.agent, 1, 1));
    assert_eq!(
        contract.attestation(vault).call().await?.epoch,
        0,
        "nothing counts before the seal"
    );

    // The other agent may not begin an epoch meanwhile; it is told when the upload expires.
    let second = AttestingAgent::nth(&anvil, &endpoint, &prepared, 1)?;
    let refused = solvency::attest(&second.provider, deployment, second.agent, &second.attester)
        .await
        .err()
        .ok_or("another agent's open upload must refuse")?;
    assert!(
        matches!(refused, proofgate_agents::Error::UploadInProgress { epoch: 1, expires_at, .. } if expires_at == open.expiresAt),
        "{refused}"
    );
    assert!(refused.to_string().contains(&open.expiresAt.to_string()), "{refused}");

    // The same agent attests again: the upload continues at batch 1 and is sealed.
    let resumed =
        solvency::attest(&first.provider, deployment, first.agent, &first.attester).await?;
    report_gas("continued upload", &resumed);
    assert_eq!((resumed.epoch, resumed.resumed_at, resumed.gas.begin), (1, 1, 0));
    assert_eq!(resumed.gas.batches.len(), tree.batch_count() - 1, "only the missing batches");
    assert_sealed_as_the_reference(&first.provider, first.attestor, vault, &resumed, &tree).await?;
    assert!(contract.isSolvent(vault).call().await?);

    // A crash in epoch 2 with an upload of ours left open; a book change makes the next
    // attestation a new epoch (batch 0 differs): the stale upload is abandoned first (its
    // epoch stays burnt).
    let halted = solvency::attest(&first.provider, deployment, first.agent, &crashing).await;
    assert!(matches!(halted, Err(proofgate_agents::Error::Halted)), "{halted:?}");
    let mut depositors = first.attester.book.depositors.depositors().to_vec();
    depositors.remove(0);
    let symbols = first.attester.book.depositors.assets().to_vec();
    let smaller = Attester {
        book: Arc::new(Book { depositors: Depositors::new(symbols, depositors)? }),
        ..first.attester.clone()
    };
    let third = solvency::attest(&first.provider, deployment, first.agent, &smaller).await?;
    assert_eq!(third.epoch, 3, "epoch 2 was abandoned, not reused");
    assert!(third.gas.abandon > 0 && third.gas.begin > 0, "{:?}", third.gas);
    let last = contract.upload(vault).call().await?;
    assert_eq!((last.state, last.epoch), (ISolvencyAttestor::UploadState::Sealed, 3));

    // A crash with every batch on chain but before the seal: the next attestation proves
    // nothing and only seals.
    let count = u32::try_from(
        EpochTree::build(&smaller.book.depositors, smaller.keys.shape)?.batch_count(),
    )?;
    let unsealed =
        Attester { faults: UploadFaults { halt_after_batches: Some(count) }, ..smaller.clone() };
    let halted = solvency::attest(&first.provider, deployment, first.agent, &unsealed).await;
    assert!(matches!(halted, Err(proofgate_agents::Error::Halted)), "{halted:?}");
    assert_eq!(contract.upload(vault).call().await?.received, count);
    let sealed = solvency::attest(&first.provider, deployment, first.agent, &smaller).await?;
    assert_eq!((sealed.epoch, sealed.resumed_at, sealed.gas.begin), (4, count, 0));
    assert!(sealed.gas.batches.is_empty() && sealed.gas.seal > 0, "{:?}", sealed.gas);
    assert_eq!(contract.attestation(vault).call().await?.epoch, 4);
    anvil.stop();
    Ok(())
}

/// `count` depositors `depositor-000..` with seeded balances of each asset below a fifth of
/// the vault's holding of it split `count` ways (so the vault covers them).
pub(super) async fn seeded_depositors<P: Provider>(
    vault: &IProofGateVault::IProofGateVaultInstance<P>,
    symbols: Vec<String>,
    count: usize,
    seed: u64,
) -> Result<Depositors, Box<dyn std::error::Error>> {
    use rand::{Rng, SeedableRng};
    let mut caps = Vec::new();
    for index in 0..symbols.len() {
        let holding = u128::try_from(vault.asset(U256::from(index)).call().await?.holding)?;
        caps.push((holding / (5 * count as u128)).min(u128::from(u64::MAX)));
    }
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    let list = (0..count)
        .map(|k| Depositor {
            id: format!("depositor-{k:03}"),
            balances: caps.iter().map(|&cap| rng.gen_range(0..=cap)).collect(),
        })
        .collect();
    Ok(Depositors::new(symbols, list)?)
}

/// Starts the daemon with `config`'s agents, signing with `signers`.
async fn start_daemon(
    config: &proofgate_agents::config::DaemonConfig,
    signers: Vec<alloy::signers::local::PrivateKeySigner>,
) -> Result<
    (
        daemon::DaemonHandle,
        tokio::sync::mpsc::UnboundedReceiver<proofgate_agents::agent::AgentEvent>,
    ),
    Box<dyn std::error::Error>,
> {
    let (events_tx, events) = tokio::sync::mpsc::unbounded_channel();
    let handle =
        daemon::start_with_signers(config, signers, Faults::default(), Some(events_tx)).await?;
    Ok((handle, events))
}

/// The daemon's side, and the gate being the vault's: an agent that attests only on demand has
/// its risk-increasing proposals held back (journaled as skipped) while the vault has no
/// attestation; an agent that attests on a schedule attests by itself at start (required and
/// missing), and that attestation opens the vault's gate for both: the first agent trades
/// without attesting itself.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_daemon_attests_on_schedule_and_the_vaults_gate_opens_for_every_agent() -> TestResult {
    let dir = tempfile::tempdir()?;
    let anvil = LocalAnvil::spawn(&Toolchain::discover()?)?;
    let (endpoint, prepared) = prepare_with_solvency(&anvil, dir.path()).await?;
    // Both agents rebalance, to different targets: the second wants far more WETH (not a
    // reserve asset), so its proposals are risk-increasing; it attests on demand only.
    let mut config = prepared.daemon_config.clone();
    config.agents[1].strategy = StrategyConfig::Rebalance {
        target_weights_bps: vec![2_500, 1_000, 1_000, 1_000, 1_200, 1_100, 1_100, 1_100],
        threshold_bps: 150,
        max_trade_bps: 300,
    };
    config.agents[1].max_shrink_steps = 4;
    let scheduled = config.agents[0].name.clone();
    let on_demand = config.agents[1].name.clone();
    assert!(config.agents[0].solvency.as_ref().is_some_and(|s| s.schedule));
    assert!(config.agents[1].solvency.as_ref().is_some_and(|s| !s.schedule));

    // The on-demand agent alone: held back, nothing attested.
    let mut alone = config.clone();
    alone.agents.remove(0);
    let (handle, mut events) = start_daemon(&alone, vec![endpoint.agents[1].clone()]).await?;
    wait_for(&mut events, "the on-demand agent held back", |e| {
        e.agent == on_demand && e.kind == EventKind::SolvencyPaused { valid_until: 0 }
    })
    .await?;
    let counters = handle.metrics.snapshot();
    assert!(counters.get(&on_demand).is_some_and(|c| c.solvency_paused >= 1));
    let held_back = handle.journal.history(Some(endpoint.agents[1].address()), 10)?;
    assert!(
        held_back
            .iter()
            .any(|e| e.reason.contains("held back by the solvency gate (no solvency attestation)")),
        "journaled as skipped, with why: {held_back:?}"
    );
    handle.stop();
    handle.join().await?;

    // Both: the scheduled agent attests epoch 1 for the vault, and the on-demand one trades.
    let (handle, mut events) = start_daemon(&config, endpoint.agents.to_vec()).await?;
    let attested = wait_for(&mut events, "the scheduled attestation", |e| {
        e.agent == scheduled && matches!(e.kind, EventKind::Attested { epoch: 1, .. })
    })
    .await?;
    let EventKind::Attested { valid_until, .. } = attested.kind else { unreachable!() };
    assert!(valid_until > 0);
    wait_for(&mut events, "the on-demand agent trading on the vault's attestation", |e| {
        e.agent == on_demand && matches!(e.kind, EventKind::Executed { .. })
    })
    .await?;
    let counters = handle.metrics.snapshot();
    assert_eq!(counters.get(&scheduled).map(|c| c.attestations), Some(1));
    assert_eq!(counters.get(&on_demand).map(|c| c.attestations), Some(0));
    handle.stop();
    handle.join().await?;
    anvil.stop();
    Ok(())
}

#[test]
fn the_attestor_bindings_match_forges_abi() -> TestResult {
    let artifact = Artifact::forge(&repo_root(), "SolvencyAttestor.sol", "SolvencyAttestor")?;
    let abi = &artifact.abi;
    let functions: Vec<[u8; 4]> = abi.functions().map(|f| f.selector().0).collect();
    for selector in ISolvencyAttestor::ISolvencyAttestorCalls::SELECTORS {
        assert!(functions.contains(selector), "call {selector:02x?} is not in forge's ABI");
    }
    let errors: Vec<[u8; 4]> = abi.errors().map(|e| e.selector().0).collect();
    for selector in ISolvencyAttestorErrors::SELECTORS {
        assert!(errors.contains(selector), "error {selector:02x?} is not in forge's ABI");
    }
    let events: Vec<[u8; 32]> = abi.events().map(|e| e.selector().0).collect();
    for selector in ISolvencyAttestor::ISolvencyAttestorEvents::SELECTORS {
        assert!(events.contains(selector), "event {selector:02x?} is not in forge's ABI");
    }
    Ok(())
}
