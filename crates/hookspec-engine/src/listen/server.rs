//! The receiver the sender under test delivers to: answers each attempt as the script says,
//! records it, and decides when the run is over.

use std::collections::HashMap;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse as _, Response};
use tokio::sync::{Notify, watch};
use tokio::time::Instant;

use super::grade::attempt::{verdict_on_arrival, verifiable_on_arrival};
use super::record::{AttemptEnd, AttemptRecord, BodyRecorder, RecordedBody, Recording, StopReason};
use super::script::{Script, Step};
use super::{HOLD_LIMIT_STATUS, ListenConfig, REDIRECT_PREFIX};
use crate::server_task::{BodyError, ServerTask, read_body_chunks};
use hookspec::WEBHOOK_ID;
use hookspec::internal::unix_now;

/// The largest body the listener reads (bigger ones are answered `413` and not recorded;
/// at once when `content-length` says so).
///
/// Memory: a body is held whole only while its signature is checked on arrival (when it has
/// a valid id and timestamp and keys were given); the record keeps its length, SHA-256 and
/// first [`super::BODY_PREFIX`] bytes. Other bodies are hashed as they stream in.
pub const MAX_BODY: usize = 16 * 1024 * 1024;

/// What the listener reports while it runs (the command line prints one line for each).
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum Notice {
    /// An attempt arrived and was given its scripted answer.
    Arrived {
        /// 1-based arrival order.
        seq: usize,
        /// Its event key (the `webhook-id`).
        key: String,
        /// 1-based attempt number of that key.
        number: usize,
        /// Request method.
        method: String,
        /// Request path.
        path: String,
        /// Body length in bytes.
        body_len: usize,
        /// The scripted answer.
        step: Step,
        /// Whether it arrived at a redirect target.
        followed_redirect: bool,
        /// Arrival time since the listener started.
        at: Duration,
    },
    /// A held (`timeout`) attempt ended.
    HoldEnded {
        /// 1-based arrival order.
        seq: usize,
        /// How it ended.
        end: AttemptEnd,
        /// How long it was held.
        held: Duration,
    },
    /// A request was refused without being recorded (its body was too large or unreadable).
    Refused {
        /// Request method.
        method: String,
        /// Request path.
        path: String,
        /// Why.
        reason: String,
    },
}

/// A callback that sees every [`Notice`].
pub type OnNotice = Arc<dyn Fn(&Notice) + Send + Sync>;

/// A bound listener, not yet serving.
#[derive(Debug)]
pub struct Listener {
    socket: tokio::net::TcpListener,
    local_addr: SocketAddr,
}

impl Listener {
    /// Binds `addr` (port 0 picks a free port).
    pub async fn bind(addr: SocketAddr) -> std::io::Result<Self> {
        let socket = tokio::net::TcpListener::bind(addr).await?;
        let local_addr = socket.local_addr()?;
        Ok(Self { socket, local_addr })
    }

    /// The bound address.
    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        Ok(self.local_addr)
    }

    /// Serves until `config.expect_events` ids have completed their script and
    /// `config.grace` has passed since the last of them did, or `config.duration` passed, or
    /// `stop` completes; then returns what was recorded.
    pub async fn run(
        self,
        config: &ListenConfig,
        on_notice: OnNotice,
        stop: impl Future<Output = ()>,
    ) -> Recording {
        let (stopping_tx, stopping_rx) = watch::channel(false);
        let shared = Arc::new(Shared {
            start: Instant::now(),
            config: config.clone(),
            script: config.script.clone(),
            hold: config.hold,
            expect_events: config.expect_events,
            state: Mutex::new(RunState::default()),
            completed: Notify::new(),
            stopping: stopping_rx,
            on_notice,
        });
        let router = axum::Router::new()
            .fallback(handle)
            .with_state(Arc::clone(&shared));
        let mut server = ServerTask::serve(self.socket, self.local_addr, router, config.server);

        let reason = wait_for_end(&shared, config, stop).await;
        let stopped = shared.start.elapsed();
        let _ = stopping_tx.send(true);
        server.signal();
        let recording = {
            let state = shared.lock();
            Recording {
                script: config.script.clone(),
                attempts: state.attempts.clone(),
                max_in_flight: state.max_in_flight,
                hold: config.hold,
                completed_events: state.completed_keys,
                stop: reason,
                stopped,
            }
        };
        // Let held connections answer and idle ones close; never wait long on a slow sender.
        server.stop_within(Duration::from_secs(1)).await;
        recording
    }
}

async fn wait_for_end(
    shared: &Shared,
    config: &ListenConfig,
    stop: impl Future<Output = ()>,
) -> StopReason {
    // `checked_add`: a duration too long to represent means "no deadline".
    let deadline = shared.start.checked_add(config.duration);
    tokio::pin!(stop);
    loop {
        let grace_end = shared
            .lock()
            .all_completed_at
            .and_then(|at| at.checked_add(config.grace));
        tokio::select! {
            () = sleep_until_opt(deadline) => return StopReason::Duration,
            () = &mut stop => return StopReason::Interrupted,
            () = sleep_until_opt(grace_end) => return StopReason::ExpectedEvents,
            () = shared.completed.notified() => {}
        }
    }
}

async fn sleep_until_opt(at: Option<Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}

struct Shared {
    start: Instant,
    /// The run's configuration: its keys check signatures on arrival.
    config: ListenConfig,
    script: Script,
    hold: Duration,
    expect_events: Option<usize>,
    state: Mutex<RunState>,
    /// Signalled when the expected number of ids has completed.
    completed: Notify,
    stopping: watch::Receiver<bool>,
    on_notice: OnNotice,
}

#[derive(Default)]
struct RunState {
    attempts: Vec<AttemptRecord>,
    /// Attempts so far per key.
    counts: HashMap<String, usize>,
    /// Redirect tokens: index → the key whose attempt was redirected.
    redirects: Vec<String>,
    completed_keys: usize,
    all_completed_at: Option<Instant>,
    in_flight: usize,
    max_in_flight: usize,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, RunState> {
        // A panic while holding the lock cannot leave the record half-written in a way that
        // matters for grading, so a poisoned lock is still used.
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Records an attempt and picks its answer.
    fn admit(&self, mut record: AttemptRecord, redirect_token: Option<usize>) -> Admitted {
        let mut state = self.lock();
        let redirected_key = redirect_token.and_then(|t| state.redirects.get(t).cloned());
        record.followed_redirect = redirected_key.is_some();
        record.key = match redirected_key {
            Some(key) => key,
            None => record
                .header(WEBHOOK_ID)
                .map(|v| String::from_utf8_lossy(v).into_owned())
                .unwrap_or_default(),
        };
        let count = state.counts.entry(record.key.clone()).or_insert(0);
        let position = *count;
        *count += 1;
        record.number = position + 1;
        record.step = self.script.step_at(position);
        record.seq = state.attempts.len() + 1;
        let location = record.step.is_redirect().then(|| {
            state.redirects.push(record.key.clone());
            format!("{REDIRECT_PREFIX}{}", state.redirects.len() - 1)
        });
        let admitted = Admitted {
            index: state.attempts.len(),
            step: record.step,
            completes: position == self.script.last_position(),
            location,
        };
        let notice = Notice::Arrived {
            seq: record.seq,
            key: record.key.clone(),
            number: record.number,
            method: record.method.clone(),
            path: record.path.clone(),
            body_len: record.body.len(),
            step: record.step,
            followed_redirect: record.followed_redirect,
            at: record.arrived,
        };
        state.attempts.push(record);
        drop(state);
        (self.on_notice)(&notice);
        admitted
    }

    /// Records how an attempt ended, and counts its id as completed when it was the last step.
    fn finish(&self, admitted: &Admitted, end: AttemptEnd) {
        let mut state = self.lock();
        let Some(record) = state.attempts.get_mut(admitted.index) else {
            return;
        };
        record.end = end;
        if admitted.completes {
            state.completed_keys += 1;
            let reached = self
                .expect_events
                .is_some_and(|n| state.completed_keys == n);
            if reached {
                state.all_completed_at = Some(Instant::now());
                self.completed.notify_one();
            }
        }
    }

    fn enter(self: &Arc<Self>) -> InFlight {
        let mut state = self.lock();
        state.in_flight += 1;
        state.max_in_flight = state.max_in_flight.max(state.in_flight);
        InFlight(Arc::clone(self))
    }
}

struct Admitted {
    index: usize,
    step: Step,
    completes: bool,
    location: Option<String>,
}

/// Counts a request as in flight until dropped.
struct InFlight(Arc<Shared>);

impl Drop for InFlight {
    fn drop(&mut self) {
        let mut state = self.0.lock();
        state.in_flight = state.in_flight.saturating_sub(1);
    }
}

/// Records `SenderGaveUp` if the held request is dropped (hyper drops the handler when the
/// client closes the connection) before the hold ends.
struct Hold<'a> {
    shared: &'a Arc<Shared>,
    admitted: &'a Admitted,
    armed: bool,
}

impl Drop for Hold<'_> {
    fn drop(&mut self) {
        if self.armed {
            let now = self.shared.start.elapsed();
            let end = AttemptEnd::SenderGaveUp(now);
            self.shared.finish(self.admitted, end);
            let arrived = self.shared.lock().attempts[self.admitted.index].arrived;
            (self.shared.on_notice)(&Notice::HoldEnded {
                seq: self.admitted.index + 1,
                end,
                held: now.saturating_sub(arrived),
            });
        }
    }
}

async fn handle(State(shared): State<Arc<Shared>>, request: Request) -> Response {
    let arrived = shared.start.elapsed();
    let arrived_unix = unix_now();
    let _in_flight = shared.enter();
    let (parts, body) = request.into_parts();
    let method = parts.method.as_str().to_string();
    let path = parts
        .uri
        .path_and_query()
        .map_or_else(|| parts.uri.path().to_string(), |p| p.as_str().to_string());
    let redirect_token = parts
        .uri
        .path()
        .strip_prefix(REDIRECT_PREFIX)
        .and_then(|t| t.parse::<usize>().ok());
    let mut record = AttemptRecord {
        seq: 0,
        key: String::new(),
        number: 0,
        arrived,
        arrived_unix,
        method,
        path,
        headers: parts
            .headers
            .iter()
            .map(|(k, v)| (k.as_str().to_string(), v.as_bytes().to_vec()))
            .collect(),
        body: RecordedBody::default(),
        signature_check: None,
        step: Step::Timeout,
        followed_redirect: false,
        end: AttemptEnd::Unfinished,
    };
    // Only a body whose signature can be checked is held whole, and only until it is.
    let mut whole = verifiable_on_arrival(&record, &shared.config).then(Vec::new);
    let mut recorder = BodyRecorder::default();
    let read = read_body_chunks(body, &parts.headers, MAX_BODY, |chunk| {
        recorder.update(chunk);
        if let Some(whole) = &mut whole {
            whole.extend_from_slice(chunk);
        }
    })
    .await;
    if let Err(error) = read {
        (shared.on_notice)(&Notice::Refused {
            method: record.method,
            path: record.path,
            reason: refusal_reason(error),
        });
        let mut response = (error.status(), refusal_body(error)).into_response();
        response
            .headers_mut()
            .insert(header::CONNECTION, HeaderValue::from_static("close"));
        return response;
    }
    record.body = recorder.finish();
    if let Some(whole) = whole {
        record.signature_check = verdict_on_arrival(&record, &whole, &shared.config);
    }
    let admitted = shared.admit(record, redirect_token);
    match admitted.step {
        Step::Timeout => hold(&shared, &admitted, arrived).await,
        Step::Status { code, retry_after } => {
            shared.finish(&admitted, AttemptEnd::Answered(shared.start.elapsed()));
            respond(code, retry_after, admitted.location.as_deref())
        }
    }
}

async fn hold(shared: &Arc<Shared>, admitted: &Admitted, arrived: Duration) -> Response {
    let mut guard = Hold {
        shared,
        admitted,
        armed: true,
    };
    let mut stopping = shared.stopping.clone();
    let limit = tokio::time::sleep(shared.hold.saturating_sub(shared.start.elapsed() - arrived));
    let end = tokio::select! {
        () = limit => AttemptEnd::HoldLimit(shared.start.elapsed()),
        _ = stopping.wait_for(|s| *s) => AttemptEnd::Unfinished,
    };
    guard.armed = false;
    drop(guard);
    shared.finish(admitted, end);
    (shared.on_notice)(&Notice::HoldEnded {
        seq: admitted.index + 1,
        end,
        held: shared.start.elapsed().saturating_sub(arrived),
    });
    respond(HOLD_LIMIT_STATUS, None, None)
}

fn refusal_reason(error: BodyError) -> String {
    match error {
        BodyError::TooLarge => format!("body over {MAX_BODY} bytes"),
        BodyError::TimedOut => "the body did not arrive within the body timeout".to_string(),
        BodyError::Unreadable => "the body could not be read".to_string(),
    }
}

fn refusal_body(error: BodyError) -> &'static str {
    match error {
        BodyError::TooLarge => "hookspec listen: body too large\n",
        BodyError::TimedOut => "hookspec listen: body timed out\n",
        BodyError::Unreadable => "hookspec listen: body unreadable\n",
    }
}

fn respond(code: u16, retry_after: Option<u64>, location: Option<&str>) -> Response {
    let status = StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let body = if status == StatusCode::NOT_MODIFIED {
        Body::empty()
    } else {
        Body::from(format!("hookspec listen: scripted {code}\n"))
    };
    let mut response = Response::new(body);
    *response.status_mut() = status;
    let headers = response.headers_mut();
    if let Some(secs) = retry_after {
        headers.insert(header::RETRY_AFTER, HeaderValue::from(secs));
    }
    if let Some(location) = location.and_then(|l| HeaderValue::from_str(l).ok()) {
        headers.insert(header::LOCATION, location);
    }
    response
}
