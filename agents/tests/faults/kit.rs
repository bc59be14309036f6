//! The kit's own tests: the proxy forwards, hangs and refuses wide `getLogs`; the hanging node
//! times a client out; the anvil controls do what they say.

use std::time::{Duration, Instant};

use serde_json::json;

use crate::common::anvil::{AnvilControl, JsonRpc, RpcError};
use crate::common::proxy::{HangingNode, ProxyMode, RpcProxy};
use crate::common::TestResult;

fn anvil() -> Result<proofgate_agents::chain::LocalAnvil, crate::common::BoxError> {
    Ok(proofgate_agents::chain::LocalAnvil::spawn(&proofgate_toolchain::Toolchain::discover()?)?)
}

#[tokio::test]
async fn the_proxy_forwards_hangs_and_refuses_wide_get_logs() -> TestResult {
    let anvil = anvil()?;
    let control = AnvilControl::new(anvil.endpoint_url())?;
    control.mine(20).await?;
    let proxy = RpcProxy::start(anvil.endpoint_url()).await?;
    // Credentials, a path and an API key in the URL are accepted (and ignored).
    let client =
        JsonRpc::new(proxy.url_with_credentials("user", "s3cret"), Duration::from_secs(5))?;
    let head = client.call("eth_blockNumber", json!([])).await?;
    assert_eq!(head, json!("0x14"));

    proxy.set_log_limit(Some(5));
    let narrow = json!([{ "fromBlock": "0x2", "toBlock": "0x6" }]);
    let logs = client.call("eth_getLogs", narrow).await?;
    assert!(logs.is_array(), "{logs}");
    for wide in [
        json!([{ "fromBlock": "0x2", "toBlock": "0x7" }]),
        json!([{ "fromBlock": "0x0", "toBlock": "latest" }]),
        json!([{ "fromBlock": "0x1" }]),
        json!([{ "fromBlock": "earliest", "toBlock": "0x6" }]),
    ] {
        match client.call("eth_getLogs", wide.clone()).await {
            Err(RpcError::Node { code: -32005, message, .. }) => {
                assert!(message.contains("max block range 5"), "{message}")
            }
            other => panic!("{wide} should be refused, got {other:?}"),
        }
    }
    let near_head = json!([{ "fromBlock": "0x10" }]);
    client.call("eth_getLogs", near_head).await?;
    let stats = proxy.stats();
    assert_eq!(stats.refused_get_logs, 4);
    assert_eq!(stats.largest_span_served, 5);
    assert_eq!(stats.count("eth_getLogs"), 6);
    assert_eq!(stats.count("eth_blockNumber"), 1, "the proxy's own head lookups are not counted");

    // Hang: a client with a short timeout gives up; Forward again answers on new requests.
    proxy.set_mode(ProxyMode::Hang);
    let short = JsonRpc::new(proxy.url(), Duration::from_millis(300))?;
    let started = Instant::now();
    let hung = short.call("eth_blockNumber", json!([])).await;
    assert!(matches!(hung, Err(RpcError::Transport { .. })), "{hung:?}");
    assert!(started.elapsed() < Duration::from_secs(3));
    proxy.set_mode(ProxyMode::Forward);
    assert_eq!(short.call("eth_chainId", json!([])).await?, json!("0x7a69"));
    assert_eq!(proxy.stats().hung, 1);
    Ok(())
}

#[tokio::test]
async fn a_hanging_node_times_a_client_out() -> TestResult {
    let node = HangingNode::start().await?;
    let client = JsonRpc::new(node.url(), Duration::from_millis(500))?;
    let started = Instant::now();
    let outcome = client.call("eth_chainId", json!([])).await;
    let elapsed = started.elapsed();
    assert!(matches!(outcome, Err(RpcError::Transport { .. })), "{outcome:?}");
    assert!(
        elapsed >= Duration::from_millis(450) && elapsed < Duration::from_secs(3),
        "{elapsed:?}"
    );
    assert_eq!(node.accepted(), 1);
    Ok(())
}

#[tokio::test]
async fn the_anvil_controls_mine_drop_spike_and_reorg() -> TestResult {
    use alloy::network::TransactionBuilder;
    use alloy::providers::Provider;
    let anvil = anvil()?;
    let control = AnvilControl::new(anvil.endpoint_url())?;
    let provider = anvil.provider()?;
    let to = anvil.nth_dev_signer(5)?.address();
    let from = anvil.dev_signer()?.address();
    let send = || async {
        let nonce = provider.get_transaction_count(from).pending().await?;
        let request = alloy::rpc::types::TransactionRequest::default()
            .with_to(to)
            .with_nonce(nonce)
            .with_value(alloy::primitives::U256::from(1));
        Ok::<_, crate::common::BoxError>(*provider.send_transaction(request).await?.tx_hash())
    };

    control.set_automine(false).await?;
    let start = control.block_number().await?;
    let first = send().await?;
    assert_eq!(control.txpool_status().await?.0, 1);
    control.drop_transaction(first).await?;
    assert_eq!(control.txpool_status().await?.0, 0);
    assert!(!control.knows_transaction(first).await?);

    control.set_next_base_fee(7_000_000_000).await?;
    control.mine_one().await?;
    assert_eq!(control.base_fee().await?, 7_000_000_000);

    let miner = control.start_miner(Duration::from_millis(50), Some(9_000_000_000));
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert_eq!(control.base_fee().await?, 9_000_000_000);
    miner.set_base_fee(None);
    let mined = miner.stop().await;
    assert!(mined >= 3, "{mined}");
    control.set_automine(true).await?;

    let second = send().await?;
    let receipt = provider.get_transaction_receipt(second).await?.ok_or("mined")?;
    let head = control.block_number().await?;
    assert_eq!(receipt.block_number, Some(head));
    assert!(head > start + 3);
    control.reorg(1).await?;
    assert_eq!(control.block_number().await?, head, "the reorg replaces, it does not rewind");
    assert!(!control.knows_transaction(second).await?, "the reorged transaction vanished");
    control.mine(3).await?;
    assert_eq!(control.block_number().await?, head + 3);
    Ok(())
}
