//! One HTTP server running as a tokio task: its bound address, the signal that stops it and
//! the task to wait for. The reference receiver ([`crate::serve`]), the key server
//! ([`crate::jwks_host`]) and the sender grader's listener ([`crate::listen`]) each run
//! their router on one, so every server of hookspec holds up the same way against a hostile
//! or slow peer ([`ServerOptions`]):
//!
//! * a connection must deliver a complete request head within the header timeout, counted
//!   from the connection's opening or from the first byte of a later request;
//! * a keep-alive connection that sends nothing is closed after the idle timeout;
//! * a request body must arrive within the body timeout (the handler sees an error,
//!   [`BodyError::TimedOut`], and answers `408`);
//! * at most `max_connections` connections are open at once. When all are taken, the
//!   connection that has waited longest without a request in progress (idle, or still
//!   sending its head) is closed to make room; when every connection is busy with a
//!   request, the new one is answered `503` at once and closed. The accept loop never
//!   waits on a peer, so a flood of idle or half-sent connections cannot keep a valid
//!   delivery out;
//! * stopping is graceful: the server stops accepting, idle connections close, in-flight
//!   requests may finish within the shutdown grace, and whatever is still open then (a
//!   half-sent request, a slow client) is closed.
//!
//! Dropping the handle sends the stop signal without waiting.

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll, ready};
use std::time::Duration;

use axum::Router;
use axum::body::{Body, Bytes};
use http::{HeaderMap, Request, header};
use http_body::{Body as HttpBody, Frame, SizeHint};
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{OwnedSemaphorePermit, Semaphore, oneshot, watch};
use tokio::task::{JoinHandle, JoinSet};
use tokio::time::{Instant, Sleep};

/// The default header timeout: 10 s to send a complete request head.
pub const DEFAULT_HEADER_TIMEOUT: Duration = Duration::from_secs(10);
/// The default body timeout: 30 s to send a whole request body.
pub const DEFAULT_BODY_TIMEOUT: Duration = Duration::from_secs(30);
/// The default idle timeout: a keep-alive connection may wait 60 s for its next request.
pub const DEFAULT_IDLE_TIMEOUT: Duration = Duration::from_secs(60);
/// The default connection cap: 1024 connections served at once.
pub const DEFAULT_MAX_CONNECTIONS: usize = 1024;
/// The default shutdown grace: in-flight requests get 5 s to finish.
pub const DEFAULT_SHUTDOWN_GRACE: Duration = Duration::from_secs(5);

/// How a server treats its connections: the timeouts, the connection cap and the shutdown
/// grace. Every server of hookspec (`serve`, `listen`, the key server) uses these.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct ServerOptions {
    /// Time allowed to send a complete request head, from the connection's opening or from
    /// the first byte of a later request on it (default [`DEFAULT_HEADER_TIMEOUT`]).
    pub header_timeout: Duration,
    /// Time allowed to send a request's whole body, from the end of its head (default
    /// [`DEFAULT_BODY_TIMEOUT`]).
    pub body_timeout: Duration,
    /// Time a keep-alive connection may stay open between requests (default
    /// [`DEFAULT_IDLE_TIMEOUT`]).
    pub idle_timeout: Duration,
    /// Connections open at once (default [`DEFAULT_MAX_CONNECTIONS`]); at the cap, the
    /// longest-waiting connection without a request in progress makes room, or if there is
    /// none the new connection is answered `503` and closed.
    pub max_connections: usize,
    /// Time in-flight requests get to finish once the server is stopping (default
    /// [`DEFAULT_SHUTDOWN_GRACE`]); what is still open then is closed.
    pub shutdown_grace: Duration,
}

impl Default for ServerOptions {
    fn default() -> Self {
        Self {
            header_timeout: DEFAULT_HEADER_TIMEOUT,
            body_timeout: DEFAULT_BODY_TIMEOUT,
            idle_timeout: DEFAULT_IDLE_TIMEOUT,
            max_connections: DEFAULT_MAX_CONNECTIONS,
            shutdown_grace: DEFAULT_SHUTDOWN_GRACE,
        }
    }
}

impl ServerOptions {
    /// Sets the header timeout.
    pub fn header_timeout(mut self, timeout: Duration) -> Self {
        self.header_timeout = timeout;
        self
    }

    /// Sets the body timeout.
    pub fn body_timeout(mut self, timeout: Duration) -> Self {
        self.body_timeout = timeout;
        self
    }

    /// Sets the idle timeout.
    pub fn idle_timeout(mut self, timeout: Duration) -> Self {
        self.idle_timeout = timeout;
        self
    }

    /// Sets the connection cap (at least 1).
    pub fn max_connections(mut self, connections: usize) -> Self {
        self.max_connections = connections.max(1);
        self
    }

    /// Sets the shutdown grace.
    pub fn shutdown_grace(mut self, grace: Duration) -> Self {
        self.shutdown_grace = grace;
        self
    }
}

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
    pub(crate) async fn bind(
        addr: SocketAddr,
        router: Router,
        options: ServerOptions,
    ) -> io::Result<Self> {
        let listener = TcpListener::bind(addr).await?;
        let local_addr = listener.local_addr()?;
        Ok(Self::serve(listener, local_addr, router, options))
    }

    /// Serves `router` on an already bound `listener`, whose address is `local_addr`.
    pub(crate) fn serve(
        listener: TcpListener,
        local_addr: SocketAddr,
        router: Router,
        options: ServerOptions,
    ) -> Self {
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(accept_loop(listener, router, options, stopped));
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

    /// Stops the server and waits for it: at most the shutdown grace, plus the time to
    /// close what is left.
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

/// Accepts until stopped (or the handle is dropped), then drains the connections.
async fn accept_loop(
    listener: TcpListener,
    router: Router,
    options: ServerOptions,
    mut stopped: oneshot::Receiver<()>,
) -> io::Result<()> {
    let slots = Arc::new(Semaphore::new(options.max_connections.max(1)));
    let open = Arc::new(OpenConnections::default());
    let (draining, drain) = watch::channel(false);
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            biased;
            _ = &mut stopped => break,
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
            accepted = listener.accept() => match accepted {
                Ok((stream, _peer)) => match take_slot(&slots, &open).await {
                    Some(slot) => {
                        let clock = open.register();
                        connections.spawn(serve_connection(
                            stream,
                            router.clone(),
                            options,
                            drain.clone(),
                            ConnectionSlot { _slot: slot, clock, open: Arc::clone(&open) },
                        ));
                    }
                    None => refuse_busy(&stream),
                },
                // Out of descriptors (or another transient failure): let connections
                // finish instead of spinning on the error.
                Err(_) => tokio::time::sleep(Duration::from_millis(50)).await,
            },
        }
    }
    drop(listener);
    let _ = draining.send(true);
    let all_closed = async { while connections.join_next().await.is_some() {} };
    if tokio::time::timeout(options.shutdown_grace, all_closed)
        .await
        .is_err()
    {
        connections.shutdown().await;
    }
    Ok(())
}

/// How long the accept loop waits for an evicted connection to give its slot back. An
/// eviction frees the slot on the evicted task's next poll, so this is a bound, not a delay.
const EVICTION_WAIT: Duration = Duration::from_millis(250);

/// A free connection slot, or one made free by closing the longest-waiting connection
/// without a request in progress; `None` when every connection is busy.
async fn take_slot(slots: &Arc<Semaphore>, open: &OpenConnections) -> Option<OwnedSemaphorePermit> {
    if let Ok(slot) = Arc::clone(slots).try_acquire_owned() {
        return Some(slot);
    }
    if !open.evict_longest_waiting() {
        return None;
    }
    tokio::time::timeout(EVICTION_WAIT, Arc::clone(slots).acquire_owned())
        .await
        .ok()
        .and_then(Result::ok)
}

/// The open connections' clocks, to find one to evict when the cap is reached.
#[derive(Default)]
struct OpenConnections {
    clocks: Mutex<std::collections::HashMap<u64, Arc<ConnClock>>>,
    next_id: std::sync::atomic::AtomicU64,
}

impl OpenConnections {
    fn register(&self) -> Arc<ConnClock> {
        let id = self
            .next_id
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let clock = Arc::new(ConnClock::new(id));
        self.lock().insert(id, Arc::clone(&clock));
        clock
    }

    fn remove(&self, id: u64) {
        self.lock().remove(&id);
    }

    /// Asks the connection that has waited longest without a request in progress to close;
    /// false when every connection is handling a request.
    fn evict_longest_waiting(&self) -> bool {
        let clocks = self.lock();
        let victim = clocks
            .values()
            .filter_map(|clock| clock.waiting_since().map(|since| (since, clock)))
            .min_by_key(|(since, _)| *since);
        match victim {
            Some((_, clock)) => {
                clock.evict();
                true
            }
            None => false,
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, std::collections::HashMap<u64, Arc<ConnClock>>> {
        self.clocks.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// A connection's hold on its slot and its place among the open connections; both are
/// given back when the connection's task ends.
struct ConnectionSlot {
    _slot: OwnedSemaphorePermit,
    clock: Arc<ConnClock>,
    open: Arc<OpenConnections>,
}

impl Drop for ConnectionSlot {
    fn drop(&mut self) {
        self.open.remove(self.clock.id);
    }
}

/// The answer to a connection over the cap: written without waiting (it fits any socket
/// buffer), then the connection is closed. The accept loop never blocks on a peer.
const BUSY_RESPONSE: &[u8] = b"HTTP/1.1 503 Service Unavailable\r\n\
content-type: text/plain\r\nretry-after: 1\r\nconnection: close\r\ncontent-length: 38\r\n\r\n\
too many connections; try again later\n";

fn refuse_busy(stream: &TcpStream) {
    let _ = stream.try_write(BUSY_RESPONSE);
}

/// Serves one connection with HTTP/1.1 until the peer closes it, a timeout closes it, it is
/// evicted, or the server drains.
async fn serve_connection(
    stream: TcpStream,
    router: Router,
    options: ServerOptions,
    mut drain: watch::Receiver<bool>,
    slot: ConnectionSlot,
) {
    let _ = stream.set_nodelay(true);
    let clock = Arc::clone(&slot.clock);
    let io = TokioIo::new(Watched {
        inner: stream,
        clock: Arc::clone(&clock),
        options,
        sleep: None,
    });
    let body_timeout = options.body_timeout;
    let handler_clock = Arc::clone(&clock);
    let service = hyper::service::service_fn(move |request: Request<Incoming>| {
        let busy = ConnClock::busy(&handler_clock);
        let deadline = Instant::now() + body_timeout;
        let request = request.map(|body| Body::new(DeadlineBody::new(body, deadline)));
        let mut router = router.clone();
        async move {
            let response = tower_service::Service::call(&mut router, request).await;
            drop(busy);
            response
        }
    });
    let mut builder = hyper::server::conn::http1::Builder::new();
    // The timeouts are enforced by `Watched` (hyper's own header timeout also runs while
    // the connection waits for a next request, so it cannot tell idle from slow).
    builder.keep_alive(true).header_read_timeout(None);
    let connection = builder.serve_connection(io, service);
    tokio::pin!(connection);
    tokio::select! {
        _ = connection.as_mut() => return,
        // Dropping the connection closes the socket.
        () = clock.evicted.notified() => return,
        _ = drain.wait_for(|draining| *draining) => {}
    }
    connection.as_mut().graceful_shutdown();
    let _ = connection.await;
    drop(slot);
}

/// Where a connection is in its request cycle: which timeout applies to its reads.
#[derive(Debug, Clone, Copy)]
enum Phase {
    /// Receiving a request head, since then: the header timeout applies.
    Head(Instant),
    /// Between requests, since then: the idle timeout applies until a byte arrives.
    Idle(Instant),
    /// A request is being handled (its body has its own deadline).
    Busy,
    /// Chosen to make room for a new connection: closing.
    Evicted,
}

/// The phase of one connection, shared by its socket wrapper, its request handler and the
/// accept loop (which may evict it).
#[derive(Debug)]
struct ConnClock {
    id: u64,
    phase: Mutex<Phase>,
    evicted: tokio::sync::Notify,
}

impl ConnClock {
    fn new(id: u64) -> Self {
        Self {
            id,
            phase: Mutex::new(Phase::Head(Instant::now())),
            evicted: tokio::sync::Notify::new(),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Phase> {
        self.phase.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Marks a request as being handled until the guard drops.
    fn busy(clock: &Arc<Self>) -> BusyGuard {
        let mut phase = clock.lock();
        if !matches!(*phase, Phase::Evicted) {
            *phase = Phase::Busy;
        }
        BusyGuard(Arc::clone(clock))
    }

    /// Bytes arrived: on an idle connection they start a request head.
    fn bytes_arrived(&self) {
        let mut phase = self.lock();
        if let Phase::Idle(_) = *phase {
            *phase = Phase::Head(Instant::now());
        }
    }

    /// Since when the connection has been waiting for a request (idle or sending its
    /// head); `None` while a request is handled.
    fn waiting_since(&self) -> Option<Instant> {
        match *self.lock() {
            Phase::Head(since) | Phase::Idle(since) => Some(since),
            Phase::Busy | Phase::Evicted => None,
        }
    }

    fn evict(&self) {
        *self.lock() = Phase::Evicted;
        self.evicted.notify_one();
    }

    /// When the connection must be closed if no progress is made, if ever.
    fn deadline(&self, options: &ServerOptions) -> Option<Instant> {
        match *self.lock() {
            Phase::Head(since) => Some(since + options.header_timeout),
            Phase::Idle(since) => Some(since + options.idle_timeout),
            Phase::Busy | Phase::Evicted => None,
        }
    }
}

/// Returns the connection to idle when the request's handler is done (or dropped).
struct BusyGuard(Arc<ConnClock>);

impl Drop for BusyGuard {
    fn drop(&mut self) {
        let mut phase = self.0.lock();
        if !matches!(*phase, Phase::Evicted) {
            *phase = Phase::Idle(Instant::now());
        }
    }
}

/// A socket that fails with `TimedOut` when its connection's phase deadline passes while
/// it waits for the peer, which makes hyper close the connection.
struct Watched {
    inner: TcpStream,
    clock: Arc<ConnClock>,
    options: ServerOptions,
    sleep: Option<Pin<Box<Sleep>>>,
}

impl Watched {
    /// Called when the socket would block: ready with an error once the deadline passed.
    fn poll_deadline(&mut self, cx: &mut Context<'_>) -> Poll<io::Error> {
        let Some(deadline) = self.clock.deadline(&self.options) else {
            return Poll::Pending;
        };
        let sleep = match &mut self.sleep {
            Some(sleep) => {
                if sleep.deadline() != deadline {
                    sleep.as_mut().reset(deadline);
                }
                sleep
            }
            None => self
                .sleep
                .insert(Box::pin(tokio::time::sleep_until(deadline))),
        };
        ready!(sleep.as_mut().poll(cx));
        Poll::Ready(io::Error::new(
            io::ErrorKind::TimedOut,
            "connection timed out (header or idle timeout)",
        ))
    }
}

impl AsyncRead for Watched {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let before = buf.filled().len();
        match Pin::new(&mut this.inner).poll_read(cx, buf) {
            Poll::Ready(Ok(())) => {
                if buf.filled().len() > before {
                    this.clock.bytes_arrived();
                }
                Poll::Ready(Ok(()))
            }
            Poll::Ready(Err(error)) => Poll::Ready(Err(error)),
            Poll::Pending => this.poll_deadline(cx).map(Err),
        }
    }
}

impl AsyncWrite for Watched {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        match Pin::new(&mut this.inner).poll_write(cx, buf) {
            Poll::Pending => this.poll_deadline(cx).map(Err),
            ready => ready,
        }
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        match Pin::new(&mut this.inner).poll_write_vectored(cx, bufs) {
            Poll::Pending => this.poll_deadline(cx).map(Err),
            ready => ready,
        }
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_shutdown(cx)
    }
}

/// The body's deadline passed before it was complete.
#[derive(Debug, thiserror::Error)]
#[error("the request body did not arrive within the body timeout")]
struct BodyTimedOut;

/// A request body that fails with [`BodyTimedOut`] once its deadline passes. The timer is
/// only created when the body is not already all there.
struct DeadlineBody {
    inner: Incoming,
    deadline: Instant,
    sleep: Option<Pin<Box<Sleep>>>,
}

impl DeadlineBody {
    fn new(inner: Incoming, deadline: Instant) -> Self {
        Self {
            inner,
            deadline,
            sleep: None,
        }
    }
}

impl HttpBody for DeadlineBody {
    type Data = Bytes;
    type Error = axum::BoxError;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        let this = self.get_mut();
        if let Poll::Ready(frame) = Pin::new(&mut this.inner).poll_frame(cx) {
            return Poll::Ready(frame.map(|f| f.map_err(Into::into)));
        }
        let deadline = this.deadline;
        let sleep = this
            .sleep
            .get_or_insert_with(|| Box::pin(tokio::time::sleep_until(deadline)));
        ready!(sleep.as_mut().poll(cx));
        Poll::Ready(Some(Err(BodyTimedOut.into())))
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

/// Why a request body could not be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum BodyError {
    /// Larger than the limit: declared so by `content-length` (refused before reading),
    /// or found so while reading.
    TooLarge,
    /// Not complete within the body timeout.
    TimedOut,
    /// The connection failed or the framing was invalid.
    Unreadable,
}

impl BodyError {
    /// The stable code handlers log and answer with.
    pub(crate) fn code(self) -> &'static str {
        match self {
            Self::TooLarge => "body_too_large",
            Self::TimedOut => "body_timeout",
            Self::Unreadable => "body_unreadable",
        }
    }

    /// The status to answer with.
    pub(crate) fn status(self) -> http::StatusCode {
        match self {
            Self::TooLarge => http::StatusCode::PAYLOAD_TOO_LARGE,
            Self::TimedOut => http::StatusCode::REQUEST_TIMEOUT,
            Self::Unreadable => http::StatusCode::BAD_REQUEST,
        }
    }
}

/// Whether `content-length` declares more than `limit` bytes: such a request is refused
/// before a byte of its body is read.
pub(crate) fn declared_too_large(headers: &HeaderMap, limit: usize) -> bool {
    headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok())
        .is_some_and(|len| len > limit as u64)
}

/// Reads `body` chunk by chunk into `on_chunk`, at most `limit` bytes in all (a declared
/// `content-length` above it is refused first). Returns the body's length.
pub(crate) async fn read_body_chunks(
    mut body: Body,
    headers: &HeaderMap,
    limit: usize,
    mut on_chunk: impl FnMut(&Bytes),
) -> Result<usize, BodyError> {
    if declared_too_large(headers, limit) {
        return Err(BodyError::TooLarge);
    }
    let mut len = 0usize;
    while let Some(frame) = std::future::poll_fn(|cx| Pin::new(&mut body).poll_frame(cx)).await {
        let frame = frame.map_err(|error| {
            if is_body_timeout(&error) {
                BodyError::TimedOut
            } else {
                BodyError::Unreadable
            }
        })?;
        if let Ok(data) = frame.into_data() {
            len = len.saturating_add(data.len());
            if len > limit {
                return Err(BodyError::TooLarge);
            }
            on_chunk(&data);
        }
    }
    Ok(len)
}

/// Reads the whole of `body` (at most `limit` bytes, see [`read_body_chunks`]).
pub(crate) async fn read_body(
    body: Body,
    headers: &HeaderMap,
    limit: usize,
) -> Result<Bytes, BodyError> {
    let mut first: Option<Bytes> = None;
    let mut rest: Vec<u8> = Vec::new();
    read_body_chunks(body, headers, limit, |chunk| match &first {
        // Most bodies arrive in one chunk: keep it without copying.
        None => first = Some(chunk.clone()),
        Some(first) => {
            if rest.is_empty() {
                rest.extend_from_slice(first);
            }
            rest.extend_from_slice(chunk);
        }
    })
    .await?;
    Ok(if rest.is_empty() {
        first.unwrap_or_default()
    } else {
        Bytes::from(rest)
    })
}

fn is_body_timeout(error: &axum::Error) -> bool {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(error) = source {
        if error.is::<BodyTimedOut>() {
            return true;
        }
        source = error.source();
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn declared_lengths() {
        let mut headers = HeaderMap::new();
        assert!(!declared_too_large(&headers, 10));
        headers.insert(header::CONTENT_LENGTH, "10".parse().unwrap());
        assert!(!declared_too_large(&headers, 10));
        headers.insert(header::CONTENT_LENGTH, "11".parse().unwrap());
        assert!(declared_too_large(&headers, 10));
        headers.insert(
            header::CONTENT_LENGTH,
            "99999999999999999999".parse().unwrap(),
        );
        // Unparsable: left to hyper (which refuses it) and to the counting read.
        assert!(!declared_too_large(&headers, 10));
    }
}
