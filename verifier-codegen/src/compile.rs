//! Compiles Solidity sources from Rust through foundry-compilers, with the toolchain's `solc`
//! (a native solc named by `PROOFGATE_SOLC`, else solc-js behind the repository's adapter).

use std::collections::BTreeMap;
use std::path::PathBuf;

use foundry_compilers::artifacts::{
    EvmVersion, Optimizer, Settings, SolcInput, SolcLanguage, Source, Sources,
};
use foundry_compilers::solc::Solc;
use proofgate_toolchain::Toolchain;

use crate::Error;

/// Compiler settings: the same optimizer settings as `contracts/foundry.toml`, so a contract
/// compiled here and one compiled by forge are the same bytecode.
#[derive(Clone, Debug)]
pub struct CompileSettings {
    /// Optimizer runs (the optimizer is always on).
    pub optimizer_runs: usize,
    /// Target EVM version.
    pub evm_version: EvmVersion,
}

impl Default for CompileSettings {
    fn default() -> Self {
        Self { optimizer_runs: 10_000, evm_version: EvmVersion::Cancun }
    }
}

/// One compiled contract.
#[derive(Clone, Debug)]
pub struct CompiledContract {
    /// The contract's name.
    pub name: String,
    /// Its ABI as JSON.
    pub abi: serde_json::Value,
    /// Creation bytecode.
    pub bytecode: Vec<u8>,
    /// Runtime (deployed) bytecode.
    pub deployed_bytecode: Vec<u8>,
    /// The compiler's version string.
    pub compiler_version: String,
}

/// Compiles self-contained Solidity `sources` (file name to text) and returns `contract`.
///
/// Warnings are ignored; any compiler error is returned with solc's formatted message.
pub fn compile_contract(
    toolchain: &Toolchain,
    sources: &BTreeMap<String, String>,
    contract: &str,
    settings: &CompileSettings,
) -> Result<CompiledContract, Error> {
    let solc = Solc::new(&toolchain.solc)
        .map_err(|e| Error::Compiler(format!("{}: {e}", toolchain.solc.display())))?;
    let sources: Sources = sources
        .iter()
        .map(|(name, text)| (PathBuf::from(name), Source::new(text.as_str())))
        .collect();
    let solc_settings = Settings {
        optimizer: Optimizer {
            enabled: Some(true),
            runs: Some(settings.optimizer_runs),
            ..Default::default()
        },
        evm_version: Some(settings.evm_version),
        ..Default::default()
    };
    let input = SolcInput::new(SolcLanguage::Solidity, sources, solc_settings);
    let output = solc.compile(&input).map_err(|e| Error::Compiler(e.to_string()))?;
    if output.has_error() {
        let messages: Vec<String> = output
            .errors
            .iter()
            .filter(|e| e.is_error())
            .map(|e| e.formatted_message.clone().unwrap_or_else(|| e.message.clone()))
            .collect();
        return Err(Error::Compilation(messages.join("\n")));
    }
    let found = output.find(contract).ok_or_else(|| Error::ContractNotFound(contract.into()))?;
    let (abi, bytecode, deployed) = found.into_parts();
    let abi = serde_json::to_value(abi.unwrap_or_default())
        .map_err(|e| Error::Compiler(format!("ABI of {contract}: {e}")))?;
    Ok(CompiledContract {
        name: contract.to_string(),
        abi,
        bytecode: bytecode.map(|b| b.to_vec()).unwrap_or_default(),
        deployed_bytecode: deployed.map(|b| b.to_vec()).unwrap_or_default(),
        compiler_version: solc.version.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sources(text: &str) -> BTreeMap<String, String> {
        BTreeMap::from([("Probe.sol".to_string(), text.to_string())])
    }

    #[test]
    fn compiles_through_the_toolchain_solc() {
        let toolchain = Toolchain::discover().expect("run scripts/setup first");
        let contract = compile_contract(
            &toolchain,
            &sources(
                "// SPDX-License-Identifier: MIT\npragma solidity ^0.8.20;\n\
                 contract Probe { function twice(uint256 x) external pure returns (uint256) { return 2 * x; } }",
            ),
            "Probe",
            &CompileSettings::default(),
        )
        .expect("compiles");
        assert!(!contract.deployed_bytecode.is_empty());
        assert!(contract.bytecode.len() > contract.deployed_bytecode.len());
        assert!(contract.compiler_version.starts_with("0.8."), "{}", contract.compiler_version);
        assert!(contract.abi.to_string().contains("twice"));
    }

    #[test]
    fn a_syntax_error_is_reported_with_solcs_message() {
        let toolchain = Toolchain::discover().expect("run scripts/setup first");
        let err = compile_contract(
            &toolchain,
            &sources("pragma solidity ^0.8.20; contract Broken { function f( }"),
            "Broken",
            &CompileSettings::default(),
        )
        .expect_err("does not compile");
        assert!(matches!(err, Error::Compilation(ref m) if m.contains("ParserError")), "{err}");
    }
}
