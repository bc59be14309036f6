//! Finds the tools ProofGate runs: `anvil`, `forge` and `cast` (npm `@foundry-rs/*`) and `solc`
//! (the solc-js adapter in `toolchain/solc`, or a native solc named by `PROOFGATE_SOLC`).
//!
//! Everything comes from the repository's own `node_modules`, installed by `scripts/setup`; nothing
//! is looked up on `PATH` except `node`, which runs the solc-js adapter. Every crate and test uses
//! this module, so a missing toolchain fails everywhere with the same message naming the fix.

use std::fmt;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The command that installs the toolchain; every "not found" error names it.
pub const SETUP_COMMAND: &str = "scripts/setup";

/// A tool of the toolchain.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tool {
    /// The local Ethereum node.
    Anvil,
    /// Foundry's build and test runner.
    Forge,
    /// Foundry's command-line RPC client.
    Cast,
    /// The Solidity compiler (native or the solc-js adapter).
    Solc,
}

impl Tool {
    /// Every tool, in a fixed order.
    pub const ALL: [Tool; 4] = [Tool::Anvil, Tool::Forge, Tool::Cast, Tool::Solc];

    /// The executable's name.
    pub fn name(self) -> &'static str {
        match self {
            Tool::Anvil => "anvil",
            Tool::Forge => "forge",
            Tool::Cast => "cast",
            Tool::Solc => "solc",
        }
    }

    /// The environment variable that overrides where the tool is found.
    pub fn override_var(self) -> &'static str {
        match self {
            Tool::Anvil => "PROOFGATE_ANVIL",
            Tool::Forge => "PROOFGATE_FORGE",
            Tool::Cast => "PROOFGATE_CAST",
            Tool::Solc => "PROOFGATE_SOLC",
        }
    }

    /// Where the tool lives in a repository set up by `scripts/setup`.
    fn default_path(self, root: &Path) -> PathBuf {
        match self {
            Tool::Solc => root.join("toolchain").join("solc"),
            tool => root
                .join("node_modules")
                .join("@foundry-rs")
                .join(format!("{}-linux-amd64", tool.name()))
                .join("bin")
                .join(tool.name()),
        }
    }
}

impl fmt::Display for Tool {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Why the toolchain could not be found.
#[derive(Debug, thiserror::Error)]
pub enum ToolchainError {
    /// A tool is not installed where `scripts/setup` puts it.
    #[error("{tool} not found at {}: run `{SETUP_COMMAND}` in {} to install the toolchain", path.display(), root.display())]
    Missing {
        /// The missing tool.
        tool: Tool,
        /// Where it was expected.
        path: PathBuf,
        /// The repository root.
        root: PathBuf,
    },
    /// An override variable names something that is not an executable file.
    #[error("{var}={} is not an executable file", path.display())]
    BadOverride {
        /// The variable.
        var: &'static str,
        /// The path it names.
        path: PathBuf,
    },
    /// The solc-js adapter needs Node.js, which is not on `PATH`.
    #[error("the solc-js adapter {} needs `node` on PATH (Node.js 18 or newer); install Node.js, then run `{SETUP_COMMAND}`", adapter.display())]
    NodeMissing {
        /// The adapter's path.
        adapter: PathBuf,
    },
    /// solc-js itself is missing from `node_modules`.
    #[error("solc-js not found at {}: run `{SETUP_COMMAND}` in {} to install it", path.display(), root.display())]
    SolcJsMissing {
        /// Where solc-js was expected.
        path: PathBuf,
        /// The repository root.
        root: PathBuf,
    },
}

/// Which compiler `solc` is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SolcKind {
    /// A native binary named by `PROOFGATE_SOLC`.
    Native,
    /// The official solc-js from npm, behind the repository's adapter.
    SolcJsAdapter,
}

/// The located toolchain: absolute paths of every tool.
#[derive(Clone, Debug)]
pub struct Toolchain {
    /// The repository root.
    pub root: PathBuf,
    /// `anvil`.
    pub anvil: PathBuf,
    /// `forge`.
    pub forge: PathBuf,
    /// `cast`.
    pub cast: PathBuf,
    /// `solc` (native or the adapter).
    pub solc: PathBuf,
    /// Which compiler `solc` is.
    pub solc_kind: SolcKind,
}

/// The repository root: `PROOFGATE_ROOT` if set, else the workspace this crate was built in.
pub fn repo_root() -> PathBuf {
    match std::env::var_os("PROOFGATE_ROOT") {
        Some(root) => PathBuf::from(root),
        None => Path::new(env!("CARGO_MANIFEST_DIR"))
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_else(|| PathBuf::from(".")),
    }
}

impl Toolchain {
    /// Finds the toolchain of the repository returned by [`repo_root`].
    pub fn discover() -> Result<Self, ToolchainError> {
        Self::in_repo(&repo_root())
    }

    /// Finds the toolchain installed in the repository at `root`, honouring the `PROOFGATE_*`
    /// overrides (a native solc named by `PROOFGATE_SOLC` takes precedence over solc-js).
    pub fn in_repo(root: &Path) -> Result<Self, ToolchainError> {
        let overrides = |tool: Tool| std::env::var_os(tool.override_var()).map(PathBuf::from);
        Self::resolve(root, overrides, find_on_path("node"))
    }

    /// Resolution without reading the process environment, so tests can drive it.
    fn resolve(
        root: &Path,
        overrides: impl Fn(Tool) -> Option<PathBuf>,
        node: Option<PathBuf>,
    ) -> Result<Self, ToolchainError> {
        let locate = |tool: Tool| -> Result<(PathBuf, bool), ToolchainError> {
            if let Some(path) = overrides(tool) {
                return match is_executable(&path) {
                    true => Ok((path, true)),
                    false => Err(ToolchainError::BadOverride { var: tool.override_var(), path }),
                };
            }
            let path = tool.default_path(root);
            match is_executable(&path) {
                true => Ok((path, false)),
                false => Err(ToolchainError::Missing { tool, path, root: root.to_path_buf() }),
            }
        };
        let (anvil, _) = locate(Tool::Anvil)?;
        let (forge, _) = locate(Tool::Forge)?;
        let (cast, _) = locate(Tool::Cast)?;
        let (solc, native) = locate(Tool::Solc)?;
        let solc_kind = if native { SolcKind::Native } else { SolcKind::SolcJsAdapter };
        if solc_kind == SolcKind::SolcJsAdapter {
            let solc_js = root.join("node_modules").join("solc").join("soljson.js");
            if !solc_js.is_file() {
                return Err(ToolchainError::SolcJsMissing {
                    path: solc_js,
                    root: root.to_path_buf(),
                });
            }
            if node.is_none() {
                return Err(ToolchainError::NodeMissing { adapter: solc });
            }
        }
        Ok(Self { root: root.to_path_buf(), anvil, forge, cast, solc, solc_kind })
    }

    /// The path of `tool`.
    pub fn path(&self, tool: Tool) -> &Path {
        match tool {
            Tool::Anvil => &self.anvil,
            Tool::Forge => &self.forge,
            Tool::Cast => &self.cast,
            Tool::Solc => &self.solc,
        }
    }

    /// A command that runs `tool`.
    pub fn command(&self, tool: Tool) -> Command {
        Command::new(self.path(tool))
    }

    /// The Foundry project (`contracts/`).
    pub fn contracts_dir(&self) -> PathBuf {
        self.root.join("contracts")
    }

    /// A `forge` command run inside the Foundry project, so `foundry.toml` applies.
    pub fn forge_in_project(&self) -> Command {
        let mut command = self.command(Tool::Forge);
        command.current_dir(self.contracts_dir());
        command
    }

    /// The repository's `node_modules`.
    pub fn node_modules(&self) -> PathBuf {
        self.root.join("node_modules")
    }
}

fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    path.metadata().map(|m| m.is_file() && m.permissions().mode() & 0o111 != 0).unwrap_or(false)
}

fn find_on_path(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(name))
        .find(|candidate| is_executable(candidate))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn no_overrides(_: Tool) -> Option<PathBuf> {
        None
    }

    #[test]
    fn missing_node_modules_names_the_setup_command() {
        let empty = tempfile::tempdir().expect("tempdir");
        let err = Toolchain::resolve(empty.path(), no_overrides, Some("node".into()))
            .expect_err("an empty repository has no toolchain");
        let message = err.to_string();
        assert!(matches!(err, ToolchainError::Missing { tool: Tool::Anvil, .. }), "{message}");
        assert!(message.contains("scripts/setup"), "{message}");
        assert!(message.contains("node_modules"), "{message}");
    }

    #[test]
    fn a_bad_override_is_named() {
        let empty = tempfile::tempdir().expect("tempdir");
        let bogus = empty.path().join("no-such-solc");
        let overrides = |tool: Tool| (tool == Tool::Anvil).then(|| bogus.clone());
        let err = Toolchain::resolve(empty.path(), overrides, None).expect_err("bogus override");
        assert!(err.to_string().contains("PROOFGATE_ANVIL"), "{err}");
    }

    #[test]
    fn the_setup_repository_has_every_tool() {
        // Runs after `scripts/setup`, as every test in this workspace does.
        let toolchain = Toolchain::discover().expect("run scripts/setup first");
        for tool in Tool::ALL {
            assert!(is_executable(toolchain.path(tool)), "{tool}");
        }
        let output = toolchain.command(Tool::Solc).arg("--version").output().expect("run solc");
        let version = String::from_utf8_lossy(&output.stdout);
        assert!(output.status.success());
        assert!(version.lines().any(|l| l.starts_with("Version: 0.8.")), "{version}");
    }
}
