//! Helpers the NATS test binaries share.

use proofgate_prover::pipeline::nats::LocalServer;
use tempfile::TempDir;

/// A JetStream server on a free port, killed (and its store removed) on drop.
pub struct Server {
    /// The running server.
    pub server: LocalServer,
    _store: TempDir,
}

impl Server {
    /// Starts the repository's nats-server (`scripts/setup` installs it) with a temporary store.
    pub fn start() -> Self {
        let store = tempfile::tempdir().expect("temporary directory");
        let server = LocalServer::start(&LocalServer::repo_binary(), store.path())
            .unwrap_or_else(|e| panic!("{e}"));
        Server { server, _store: store }
    }
}
