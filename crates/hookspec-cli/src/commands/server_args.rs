//! The connection flags shared by the commands that run a server (`serve`, `listen`):
//! timeouts and the connection cap, mapped onto the engine's `ServerOptions`.

use std::time::Duration;

use hookspec_engine::server_task::ServerOptions;

use super::parse_timeout;

/// How the server treats slow, idle and surplus connections.
#[derive(Debug, Clone, clap::Args)]
pub struct ServerArgs {
    /// Time a client has to send a complete request head (from connecting, or from the
    /// first byte of a later request); then the connection is closed.
    #[arg(long, default_value = "10s", value_parser = parse_timeout, value_name = "DURATION")]
    pub header_timeout: Duration,
    /// Time a client has to send a whole request body; then it is answered 408 and the
    /// connection is closed.
    #[arg(long, default_value = "30s", value_parser = parse_timeout, value_name = "DURATION")]
    pub body_timeout: Duration,
    /// Time a keep-alive connection may stay open without a request.
    #[arg(long, default_value = "60s", value_parser = parse_timeout, value_name = "DURATION")]
    pub idle_timeout: Duration,
    /// Connections served at once; a connection beyond it is answered 503 and closed at
    /// once.
    #[arg(long, default_value = "1024", value_parser = clap::value_parser!(u32).range(1..), value_name = "N")]
    pub max_connections: u32,
}

impl ServerArgs {
    /// The engine's options for these flags (the shutdown grace left at its default).
    pub fn options(&self) -> ServerOptions {
        ServerOptions::default()
            .header_timeout(self.header_timeout)
            .body_timeout(self.body_timeout)
            .idle_timeout(self.idle_timeout)
            .max_connections(usize::try_from(self.max_connections).unwrap_or(usize::MAX))
    }
}
