//! Executes cases: gives each a [`Session`] (the endpoint, the observer, the keys, the
//! clock), lets the case run its own logic, and turns its judgement into a report entry
//! with evidence. The runner knows phases, not families: it never looks inside a case.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::sync::Semaphore;
use tokio::task::JoinSet;

use super::http::Target;
use super::observer::Observer;
use super::repro::{BodyFiles, curl};
use super::{CheckError, Config, Event};
use crate::cases::{
    Answer, BoxFuture, Case, Ctx, Expect, Judgement, Keys, Need, Outcome, Phase, Probe, Sent,
    Session,
};
use crate::report::{CaseResult, Verdict};
use crate::transport::Transport;
use hookspec::Scheme;

/// The share of a run's deliveries (numerator, denominator) that, once timed out, earns
/// the run a note saying so: one in ten.
const TIMEOUT_NOTE_SHARE: (usize, usize) = (1, 10);

/// Everything a run shares between cases.
pub(super) struct Runner {
    target: Target,
    observer: Option<Observer>,
    keys: Keys,
    /// The transport's curl options (TLS files, extra headers, sensitive values
    /// redacted), added to every repro command.
    curl_options: Vec<Vec<u8>>,
    tag: String,
    timeout: Duration,
    log: Mutex<Vec<Sent>>,
    /// Deliveries started so far (each one's [`Sent::order`]).
    sending: AtomicU64,
    notes: Mutex<Vec<String>>,
}

impl Runner {
    /// Parses the URLs, reads the observer once, and sends one valid delivery to check that
    /// the endpoint answers and accepts the first secret.
    pub(super) async fn prepare(
        config: &Config,
        transport: &Transport,
    ) -> Result<Arc<Self>, CheckError> {
        if config.keys.scheme() == Scheme::V1 && config.keys.secrets.is_empty() {
            return Err(CheckError::NoSecret);
        }
        let target = Target::parse_with(&config.url, transport)?;
        let observer = match (&config.observe, &config.observe_command) {
            (Some(_), Some(_)) => return Err(CheckError::TwoObservers),
            (Some(url), None) => Some(Observer::new_with(url, config.timeout, transport)?),
            (None, Some(command)) => {
                Some(Observer::command(command, config.timeout).redacting(&config.keys))
            }
            (None, None) => None,
        };
        let runner = Arc::new(Self {
            target,
            observer,
            keys: config.keys.clone(),
            curl_options: transport.curl_args(),
            tag: super::run_tag(),
            timeout: config.timeout,
            log: Mutex::new(Vec::new()),
            sending: AtomicU64::new(0),
            notes: Mutex::new(Vec::new()),
        });
        if transport.is_insecure() {
            runner.note(crate::transport::INSECURE_NOTE.to_string());
        }
        if let Some(observer) = &runner.observer {
            // Read once to prove it works; no id of this run can be in it yet.
            observer
                .counts(&|_| false)
                .await
                .map_err(|why| CheckError::Observer {
                    url: observer.display(),
                    why,
                })?;
        }
        let preflight = {
            let mut cx = Ctx::new(&runner.keys, &runner.tag, "preflight/valid");
            crate::cases::probe("preflight", cx.valid())
        };
        match runner
            .send("preflight/valid", &preflight, Some(Expect::Accept))
            .await
        {
            Answer::NoAnswer(why) => {
                return Err(CheckError::Unreachable {
                    url: runner.target.display(),
                    why,
                });
            }
            answer @ Answer::TimedOut { .. } => {
                return Err(CheckError::Unreachable {
                    url: runner.target.display(),
                    why: format!("{} (raise --timeout for a slow endpoint)", answer.short()),
                });
            }
            Answer::Status { code, .. } if !(200..300).contains(&code) => {
                let (signed_with, suspect) = match runner.keys.scheme() {
                    Scheme::V1 => ("the first --secret", "wrong secret"),
                    Scheme::V1a => ("the --signing-key", "wrong signing key"),
                    _ => (
                        "hookspec's primary key, published in its key set",
                        "not fetching the key set, a different audience or issuer",
                    ),
                };
                runner.note(format!(
                    "the endpoint rejected a fresh, valid delivery signed with {signed_with} (status {code}): {suspect}, or the wrong URL? Every case that needs an accepted delivery fails."
                ));
            }
            Answer::Status { .. } => {}
        }
        if let Some(ks) = &runner.keys.key_set
            && ks.host.fetch_count() == 0
        {
            runner.note(format!(
                "the endpoint did not fetch hookspec's key set at {} for the first delivery: configure it with that URL (--jwks-listen sets the address)",
                ks.url()
            ));
        }
        if runner.observer.is_none() {
            runner.note(
                "effect cases (duplicate/*) are UNSUPPORTED without an observer: pass --observe URL (see \"The observer contract\" in docs/src/testing-an-endpoint.md)".to_string(),
            );
        }
        Ok(runner)
    }

    pub(super) fn target_display(&self) -> String {
        self.target.display()
    }

    /// Takes the log of every delivery sent so far.
    pub(super) fn take_log(&self) -> Vec<Sent> {
        std::mem::take(&mut *self.log.lock().expect("log lock"))
    }

    fn note(&self, note: String) {
        self.notes.lock().expect("notes lock").push(note);
    }

    /// Runs every case: the concurrent phase several at a time, then the cases that run
    /// alone, then the audits. Returns the results in catalogue order, and the run's notes.
    pub(super) async fn run_all(
        self: Arc<Self>,
        config: &Config,
        on_event: &(dyn Fn(Event) + Send + Sync),
    ) -> (Vec<CaseResult>, Vec<String>) {
        on_event(Event::Started {
            total: config.cases.len(),
        });
        let mut done: Vec<Option<(Judgement, Duration)>> = vec![None; config.cases.len()];
        let semaphore = Arc::new(Semaphore::new(config.concurrency.max(1)));
        let mut tasks = JoinSet::new();
        for (index, case) in config.cases.iter().enumerate() {
            if case.phase() != Phase::Concurrent {
                continue;
            }
            let (runner, case, semaphore) = (self.clone(), case.clone(), semaphore.clone());
            tasks.spawn(async move {
                let _permit = semaphore.acquire_owned().await;
                let started = Instant::now();
                let judgement = runner.run_case(&case).await;
                (index, judgement, started.elapsed())
            });
        }
        while let Some(joined) = tasks.join_next().await {
            match joined {
                Ok((index, judgement, elapsed)) => {
                    let case = &config.cases[index];
                    on_event(Event::Finished {
                        id: case.id,
                        verdict: judgement.verdict(case.level),
                    });
                    done[index] = Some((judgement, elapsed));
                }
                Err(e) => self.note(format!("a case task failed: {e}")),
            }
        }
        // The cases that run alone, then the audits: one at a time, in catalogue order.
        for phase in [Phase::Alone, Phase::Last] {
            for (index, case) in config.cases.iter().enumerate() {
                if case.phase() != phase {
                    continue;
                }
                let started = Instant::now();
                let judgement = self.run_case(case).await;
                on_event(Event::Finished {
                    id: case.id,
                    verdict: judgement.verdict(case.level),
                });
                done[index] = Some((judgement, started.elapsed()));
            }
        }
        let mut files =
            BodyFiles::new(config.repro_dir.clone().unwrap_or_else(|| {
                std::env::temp_dir().join(format!("hookspec-check-{}", self.tag))
            }));
        let results = config
            .cases
            .iter()
            .zip(done)
            .map(|(case, done)| {
                let (judgement, elapsed) = done.unwrap_or_else(|| {
                    (
                        Judgement::unsupported("the case did not run"),
                        Duration::ZERO,
                    )
                });
                self.result(case, judgement, elapsed, &mut files)
            })
            .collect();
        self.note_timeouts();
        let notes = self.notes.lock().expect("notes lock").clone();
        (results, notes)
    }

    /// Turns a judgement into a report entry, writing the repro body file for findings.
    fn result(
        &self,
        case: &Case,
        mut j: Judgement,
        elapsed: Duration,
        files: &mut BodyFiles,
    ) -> CaseResult {
        let verdict = j.verdict(case.level);
        let sent = j
            .decisive
            .as_ref()
            .filter(|_| verdict != Verdict::Ok)
            .map(|d| d.describe());
        // Repro commands (and their body files) for findings only: a clean run leaves no
        // files behind.
        if let Some(d) = j.decisive.as_ref().filter(|_| verdict.is_finding(true)) {
            j.repro = match files.write(case.id, &d.body) {
                Ok(path) => Some(curl(
                    &self.target.url_with_path(d.path.as_deref()),
                    d,
                    &path,
                    &self.curl_options,
                )),
                Err(e) => {
                    self.note(format!("cannot write the repro body for {}: {e}", case.id));
                    None
                }
            };
        }
        j.into_result(case.info(), sent, elapsed)
    }

    /// Why `need` is not met, if it is not.
    fn unmet(&self, need: Need) -> Option<&'static str> {
        let met = match need {
            Need::Nothing => true,
            Need::Observer => self.observer.is_some(),
            Need::TwoSecrets => self.keys.secrets.len() >= 2,
            Need::RevokedSecret => self.keys.revoked.is_some(),
            Need::SigningKey => self.keys.signing_key.is_some(),
            Need::KeySet => self.keys.key_set.is_some(),
            Need::JwtIssuer => self
                .keys
                .key_set
                .as_ref()
                .is_some_and(|ks| ks.jwt.issuer.is_some()),
            Need::JwtBodyBinding => self
                .keys
                .key_set
                .as_ref()
                .is_some_and(|ks| ks.jwt.body_binding),
        };
        (!met).then(|| need.unsupported_reason())
    }

    async fn run_case(&self, case: &Case) -> Judgement {
        let scheme = self.keys.scheme();
        if !crate::cases::applies(case, scheme) {
            return Judgement::unsupported(format!(
                "the case is not written for this run's scheme ({scheme})"
            ));
        }
        if let Some(reason) = self.unmet(case.need) {
            return Judgement::unsupported(reason);
        }
        let judgement = case
            .run(&CaseSession {
                runner: self,
                case: case.id,
            })
            .await;
        self.unless_timed_out(case, judgement)
    }

    /// An interactive case judges answers as accepted or not; when some of its deliveries
    /// got no answer within the timeout, a finding or a measurement it makes may rest on a
    /// delivery the endpoint would have accepted, so it is reported `UNSUPPORTED`, with what
    /// it found quoted. The other kinds judge timeouts themselves (see
    /// [`crate::cases::judge`]), and so do the audits of the whole run.
    fn unless_timed_out(&self, case: &Case, judgement: Judgement) -> Judgement {
        let interactive = matches!(case.kind, crate::cases::Kind::Interactive { .. });
        let finding = matches!(
            judgement.outcome,
            Outcome::Breach | Outcome::MustBreach | Outcome::NonStrict | Outcome::Measured
        );
        if !interactive || case.phase() == Phase::Last || !finding {
            return judgement;
        }
        let log = self.log.lock().expect("log lock");
        let own = log.iter().filter(|s| s.case == case.id);
        let (sent, timed_out) = own.fold((0usize, 0usize), |(n, t), s| {
            (n + 1, t + usize::from(s.answer.is_timeout()))
        });
        if timed_out == 0 {
            return judgement;
        }
        Judgement {
            outcome: Outcome::Unsupported,
            message: format!(
                "not judged: {timed_out} of its {sent} deliveries got no answer within {} (--timeout), so the result may rest on a delivery the endpoint would have accepted (it was: {}); raise --timeout for a slow endpoint",
                humantime::format_duration(self.timeout),
                judgement.message
            ),
            ..judgement
        }
    }

    /// A note when at least [`TIMEOUT_NOTE_SHARE`] of the run's deliveries got no answer
    /// within the timeout: their cases are `UNSUPPORTED` rather than judged.
    fn note_timeouts(&self) {
        let (sent, timed_out) = {
            let log = self.log.lock().expect("log lock");
            (
                log.len(),
                log.iter().filter(|s| s.answer.is_timeout()).count(),
            )
        };
        if timed_out > 0 && timed_out * TIMEOUT_NOTE_SHARE.1 >= sent * TIMEOUT_NOTE_SHARE.0 {
            self.note(format!(
                "{timed_out} of {sent} deliveries got no answer within --timeout {}: raise --timeout; the cases that depend on those answers are UNSUPPORTED (not judged), and the effect audit leaves out the valid deliveries among them",
                humantime::format_duration(self.timeout)
            ));
        }
    }

    /// Sends one delivery and logs it.
    async fn send(&self, case: &'static str, probe: &Probe, expect: Option<Expect>) -> Answer {
        let at = hookspec::internal::unix_now();
        let order = self.sending.fetch_add(1, Ordering::SeqCst);
        let answer = self.target.send(&probe.delivery, self.timeout).await;
        self.log.lock().expect("log lock").push(Sent {
            case,
            probe: probe.clone(),
            answer: answer.clone(),
            expect,
            at,
            order,
        });
        answer
    }

    /// Sends `copies` identical copies of a delivery at once and logs them.
    async fn burst(&self, case: &'static str, probe: &Probe, copies: usize) -> Vec<Answer> {
        let at = hookspec::internal::unix_now();
        let first = self.sending.fetch_add(copies as u64, Ordering::SeqCst);
        let answers = self
            .target
            .burst(&probe.delivery, copies, self.timeout)
            .await;
        let mut log = self.log.lock().expect("log lock");
        for (n, answer) in answers.iter().enumerate() {
            log.push(Sent {
                case,
                probe: probe.clone(),
                answer: answer.clone(),
                expect: None,
                at,
                order: first + n as u64,
            });
        }
        answers
    }
}

/// The runner as one case sees it.
struct CaseSession<'r> {
    runner: &'r Runner,
    case: &'static str,
}

impl Session for CaseSession<'_> {
    fn case(&self) -> &'static str {
        self.case
    }

    fn keys(&self) -> &Keys {
        &self.runner.keys
    }

    fn plan(&self) -> Ctx<'_> {
        Ctx::new(&self.runner.keys, &self.runner.tag, self.case)
    }

    fn send<'a>(&'a self, probe: &'a Probe, expect: Option<Expect>) -> BoxFuture<'a, Answer> {
        Box::pin(self.runner.send(self.case, probe, expect))
    }

    fn burst<'a>(&'a self, probe: &'a Probe, copies: usize) -> BoxFuture<'a, Vec<Answer>> {
        Box::pin(self.runner.burst(self.case, probe, copies))
    }

    fn observe(&self) -> BoxFuture<'_, Result<std::collections::BTreeMap<String, u64>, String>> {
        Box::pin(async move {
            match &self.runner.observer {
                // Only the ids this run sent matter; an observer of a long-lived endpoint
                // may list millions of others.
                Some(observer) => {
                    let sent: std::collections::HashSet<String> = self
                        .runner
                        .log
                        .lock()
                        .expect("log lock")
                        .iter()
                        .flat_map(Sent::ids)
                        .collect();
                    observer.counts(&|id| sent.contains(id)).await
                }
                None => Err(Need::Observer.unsupported_reason().to_string()),
            }
        })
    }

    fn log(&self) -> Vec<Sent> {
        self.runner.log.lock().expect("log lock").clone()
    }

    fn wait(&self, duration: Duration) -> BoxFuture<'_, ()> {
        Box::pin(tokio::time::sleep(duration))
    }
}
