//! Revert reasons by name: the vault's custom errors, its venue's (they bubble up through the
//! vault) and the attestor's, Solidity's `Error(string)` and `Panic(uint256)`.
//! Data that matches none of them is shown with its selector, never as "not decoded".

use alloy::primitives::Bytes;
use alloy::sol_types::{Panic, Revert, SolError, SolInterface};

use crate::bindings::attestor::ISolvencyAttestor::ISolvencyAttestorErrors;
use crate::bindings::vault::IProofGateVault::IProofGateVaultErrors;
use crate::bindings::venue::IQuotingVenue::IQuotingVenueErrors;

/// A contract call's failure: the revert's reason (see [`decode_revert_data`]), or the RPC
/// failure prefixed `rpc:`.
pub fn decode_revert(error: &alloy::contract::Error) -> String {
    match error.as_revert_data() {
        Some(data) => decode_revert_data(&data),
        None => format!("rpc: {error}"),
    }
}

/// Names revert data: `InvalidProof`, `DeadlinePassed { deadline: …, timestamp: … }`,
/// `Error("…")`, `Panic(0x11: arithmetic overflow)`, an empty revert, or the unknown selector.
pub fn decode_revert_data(data: &Bytes) -> String {
    // `Variant(Variant { field: value, .. })`: the inner error is the readable part.
    let readable = |text: String| match text.split_once('(') {
        Some((_, inner)) => inner.strip_suffix(')').unwrap_or(inner).to_string(),
        None => text,
    };
    if data.is_empty() {
        return "reverted without a reason (a bare revert, or out of gas)".into();
    }
    if let Ok(e) = IProofGateVaultErrors::abi_decode(data) {
        return readable(format!("{e:?}"));
    }
    if let Ok(e) = IQuotingVenueErrors::abi_decode(data) {
        return readable(format!("{e:?}"));
    }
    if let Ok(e) = ISolvencyAttestorErrors::abi_decode(data) {
        return readable(format!("{e:?}"));
    }
    if let Ok(revert) = Revert::abi_decode(data) {
        return format!("Error({:?})", revert.reason);
    }
    if let Ok(panic) = Panic::abi_decode(data) {
        return match panic.kind() {
            Some(kind) => format!("Panic({:#x}: {kind})", panic.code),
            None => format!("Panic({:#x})", panic.code),
        };
    }
    match data.get(..4) {
        Some(selector) => format!(
            "unknown custom error, selector 0x{} ({} bytes of arguments)",
            hex::encode(selector),
            data.len() - 4
        ),
        None => format!("malformed revert data {data}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bindings::vault::IProofGateVault;
    use alloy::primitives::U256;

    #[test]
    fn every_kind_of_revert_is_named() {
        let vault = IProofGateVault::DeadlinePassed {
            deadline: U256::from(5u8),
            timestamp: U256::from(9u8),
        };
        let text = decode_revert_data(&vault.abi_encode().into());
        assert!(text.starts_with("DeadlinePassed") && text.contains('9'), "{text}");
        let string = Revert::from("no liquidity").abi_encode();
        assert_eq!(decode_revert_data(&string.into()), "Error(\"no liquidity\")");
        let panic = Panic::from(alloy::sol_types::PanicKind::UnderOverflow).abi_encode();
        let text = decode_revert_data(&panic.into());
        assert!(text.starts_with("Panic(0x11"), "{text}");
        assert!(decode_revert_data(&Bytes::new()).contains("without a reason"));
        let unknown = decode_revert_data(&Bytes::from(vec![0xde, 0xad, 0xbe, 0xef, 0, 0]));
        assert!(unknown.contains("0xdeadbeef") && unknown.contains("2 bytes"), "{unknown}");
        assert!(decode_revert_data(&Bytes::from(vec![1, 2])).contains("malformed"));
    }
}
