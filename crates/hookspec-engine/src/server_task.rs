//! One HTTP server running as a tokio task: its bound address, the signal that stops it and
//! the task to wait for. The reference receiver ([`crate::serve`]), the key server
//! ([`crate::jwks_host`]) and the sender grader's listener ([`crate::listen`]) each run
//! their router on one.
//!
//! Stopping is graceful: the server stops accepting connections and lets in-flight requests
//! finish. Dropping the handle sends the signal without waiting.

use std::io;
use std::net::SocketAddr;
use std::time::Duration;

use axum::Router;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// A running server. Dropping it stops the server (in the background).
#[derive(Debug)]
pub(crate) struct ServerTask {
    local_addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<io::Result<()>>>,
}

impl ServerTask {
    /// Binds `addr` and serves `router` on it. Returns once the socket is bound, so requests
    /// can be sent right away.
    pub(crate) async fn bind(addr: SocketAddr, router: Router) -> io::Result<Self> {
        let listener = TcpListener::bind(addr).await?;
        let local_addr = listener.local_addr()?;
        Ok(Self::serve(listener, local_addr, router))
    }

    /// Serves `router` on an already bound `listener`, whose address is `local_addr`.
    pub(crate) fn serve(listener: TcpListener, local_addr: SocketAddr, router: Router) -> Self {
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(
            axum::serve(listener, router)
                .with_graceful_shutdown(async {
                    // Either an explicit stop or the handle being dropped.
                    let _ = stopped.await;
                })
                .into_future(),
        );
        Self {
            local_addr,
            stop: Some(stop),
            task: Some(task),
        }
    }

    /// The bound address (with the real port when the requested port was 0).
    pub(crate) fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// Stops the server and waits for it.
    pub(crate) async fn stop(mut self) -> io::Result<()> {
        self.signal();
        match self.task.take() {
            Some(task) => task.await.map_err(io::Error::other)?,
            None => Ok(()),
        }
    }

    /// Stops the server and waits for it at most `limit`; a server still busy then (a
    /// connection a slow client keeps open) is aborted.
    pub(crate) async fn stop_within(mut self, limit: Duration) {
        self.signal();
        if let Some(task) = self.task.take() {
            let abort = task.abort_handle();
            if tokio::time::timeout(limit, task).await.is_err() {
                abort.abort();
            }
        }
    }

    /// Sends the stop signal without waiting: the server stops accepting connections.
    pub(crate) fn signal(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

impl Drop for ServerTask {
    fn drop(&mut self) {
        self.signal();
    }
}
