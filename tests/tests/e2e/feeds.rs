//! The demo's chain flow on a real anvil: deploy `PriceFeed`s from forge's artifact, drive them
//! along the seeded price path, read every round back.

use std::collections::BTreeSet;

use alloy::primitives::U256;
use alloy::sol_types::SolConstructor;
use proofgate_agents::chain::{self, Artifact, LocalAnvil};
use proofgate_agents::demo::{self, ChainInfo};
use proofgate_agents::feeds::bindings::price_feed::IPriceFeedErrors;
use proofgate_agents::feeds::bindings::{aggregator, deployment, price_feed};
use proofgate_agents::feeds::{self, default_assets, to_answer, AggregatorV3Interface, PricePath};
use proofgate_agents::Error;
use proofgate_toolchain::Toolchain;

fn setup() -> (Toolchain, Artifact) {
    let toolchain = Toolchain::discover().expect("run scripts/setup first");
    let artifact = Artifact::forge(&toolchain.root, "PriceFeed.sol", "PriceFeed")
        .expect("forge artifact (scripts/setup runs forge build)");
    (toolchain, artifact)
}

fn chain_info(anvil: &LocalAnvil) -> ChainInfo {
    ChainInfo {
        label: "anvil (test)".into(),
        endpoint: anvil.endpoint_url().to_string(),
        chain_id: anvil.chain_id(),
        deployer: anvil.dev_signer().expect("dev account").address(),
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn the_demo_flow_deploys_submits_and_reads_every_round_back() {
    let (toolchain, artifact) = setup();
    let anvil = LocalAnvil::spawn(&toolchain).expect("spawn anvil");
    let provider = anvil.provider().expect("provider");
    let assets = default_assets();
    let path = PricePath::with_midway_shock(11, 6);

    let report = demo::run(&provider, chain_info(&anvil), &artifact, &assets, path)
        .await
        .expect("demo flow");

    assert_eq!(report.feeds.len(), assets.len());
    let addresses: BTreeSet<_> = report.feeds.iter().map(|run| run.address).collect();
    assert_eq!(addresses.len(), assets.len(), "one contract per feed");
    for (index, (run, spec)) in report.feeds.iter().zip(&assets).enumerate() {
        let expected = path.answers(spec, index);
        assert_eq!(run.answers[0], spec.initial_answer);
        assert_eq!(run.answers[1..], expected[..], "{}: submitted the seeded path", spec.symbol);
        assert_eq!(run.latest.round_id, 7, "{}: constructor round + 6 submits", spec.symbol);
        assert_eq!(run.latest.answered_in_round, 7);
        assert_eq!(run.latest.answer, to_answer(expected[5]));
        assert!(run.latest.updated_at > 0 && run.latest.started_at == run.latest.updated_at);
        assert_eq!((run.decimals, run.description.as_str()), (8, spec.description.as_str()));
        assert_eq!(run.submit_gas.len(), 6);
        assert!(
            run.submit_gas.iter().all(|&gas| (21_000..150_000).contains(&gas)),
            "{:?}",
            run.submit_gas
        );

        // Every round, not just the latest, through getRoundData.
        for (round, answer) in run.answers.iter().enumerate() {
            let id = round as u64 + 1;
            let data = feeds::round(&provider, run.address, id).await.expect("getRoundData");
            assert_eq!((data.round_id, data.answer), (u128::from(id), to_answer(*answer)));
        }
    }
    // The shock moved every feed down by its jump (the draws are small next to the jumps).
    let shock = path.shock.expect("shock").at_step as usize;
    for run in &report.feeds {
        assert!(
            run.answers[shock] < run.answers[shock - 1],
            "{}: {:?}",
            run.spec.symbol,
            run.answers
        );
    }
    let text = report.to_string();
    assert!(text.contains("largest end-to-end flow that exists today"), "{text}");
    anvil.stop();
}

#[tokio::test(flavor = "multi_thread")]
async fn reverts_decode_into_typed_errors() {
    let (toolchain, artifact) = setup();
    let anvil = LocalAnvil::spawn(&toolchain).expect("spawn anvil");
    let owner = anvil.provider().expect("provider");
    let spec = &default_assets()[0];
    let feed = feeds::deploy_feed(&owner, &artifact, spec).await.expect("deploy").address;

    // Unknown rounds revert with the feed's own error, decoded from the interface file's bindings.
    let err = AggregatorV3Interface::new(feed, &owner)
        .getRoundData(alloy::primitives::Uint::from(2u64))
        .call()
        .await
        .expect_err("round 2 does not exist yet");
    match err.as_decoded_interface_error::<IPriceFeedErrors::IPriceFeedErrorsErrors>() {
        Some(IPriceFeedErrors::IPriceFeedErrorsErrors::UnknownRound(e)) => {
            assert_eq!(e.roundId.to::<u64>(), 2)
        }
        other => panic!("expected UnknownRound(2), got {other:?} from {err}"),
    }

    // Only the owner submits.
    alloy::sol! { error OwnableUnauthorizedAccount(address account); }
    let stranger_signer = anvil.nth_dev_signer(1).expect("second dev account");
    let stranger_address = stranger_signer.address();
    let stranger = chain::connect(anvil.endpoint_url(), stranger_signer);
    match feeds::submit(&stranger, feed, &spec.symbol, 1).await {
        Err(Error::Contract(err)) => {
            let decoded = err.as_decoded_error::<OwnableUnauthorizedAccount>();
            assert_eq!(decoded.map(|e| e.account), Some(stranger_address), "{err}");
        }
        other => panic!("a stranger's submit must revert, got {other:?}"),
    }
    let latest = feeds::latest_round(&owner, feed).await.expect("latestRoundData");
    assert_eq!((latest.round_id, latest.answer), (1, to_answer(spec.initial_answer)));
    anvil.stop();
}

#[test]
fn the_bindings_match_the_compiled_contract() {
    let (_, artifact) = setup();
    let abi = &artifact.abi;
    let compiled: BTreeSet<[u8; 4]> = abi.functions().map(|f| f.selector().0).collect();
    let bound = aggregator::AggregatorV3Interface::AggregatorV3InterfaceCalls::SELECTORS
        .iter()
        .chain(price_feed::IPriceFeed::IPriceFeedCalls::SELECTORS);
    for selector in bound {
        assert!(
            compiled.contains(selector),
            "bound selector {selector:02x?} missing from PriceFeed"
        );
    }
    let errors: BTreeSet<[u8; 4]> = abi.errors().map(|e| e.selector().0).collect();
    for selector in IPriceFeedErrors::IPriceFeedErrorsErrors::SELECTORS {
        assert!(errors.contains(selector), "error {selector:02x?} missing from PriceFeed");
    }

    // The hand-written constructor declaration has the compiled constructor's parameter types.
    let constructor = abi.constructor().expect("PriceFeed has a constructor");
    let types: Vec<&str> = constructor.inputs.iter().map(|p| p.ty.as_str()).collect();
    assert_eq!(types, ["uint8", "string", "int256"]);
    let args = deployment::PriceFeed::constructorCall {
        decimals_: 8,
        description_: "ETH / USD".into(),
        initialAnswer: to_answer(1),
    };
    // uint8, the string's offset, int256, then the string's length and one word of text.
    assert_eq!(args.abi_encode().len(), 5 * 32);
    assert_eq!(U256::from_be_slice(&args.abi_encode()[..32]), U256::from(8u8));
}
