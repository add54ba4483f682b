//! Executes cases: sends their deliveries, collects answers and effect counts, hands them
//! to the case's judge, and turns judgements into report entries with evidence.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::sync::Semaphore;
use tokio::task::JoinSet;

use super::http::Target;
use super::observer::Observer;
use super::repro::{BodyFiles, curl};
use super::{CheckError, Config, Event};
use crate::cases::jwks::{self, KeySetCheck, Retried};
use crate::cases::keyset::{Key, KeySet};
use crate::cases::{
    Answer, Audit, Case, Ctx, EffectRun, Expect, Judgement, Keys, Kind, Need, Probe, Sent, Step,
    StepResult, duplicate, judge, response, timestamp,
};
use crate::report::{CaseResult, Observed, Verdict};
use hookspec::Scheme;

/// Waits between observer reads while an accepted delivery shows no effect yet (an endpoint
/// may process after acknowledging).
const EFFECT_POLL: [u64; 4] = [50, 150, 300, 500];

/// Everything a run shares between cases.
pub(super) struct Runner {
    target: Target,
    observer: Option<Observer>,
    keys: Keys,
    tag: String,
    timeout: Duration,
    log: Mutex<Vec<Sent>>,
    notes: Mutex<Vec<String>>,
}

impl Runner {
    /// Parses the URLs, reads the observer once, and sends one valid delivery to check that
    /// the endpoint answers and accepts the first secret.
    pub(super) async fn prepare(config: &Config) -> Result<Arc<Self>, CheckError> {
        if config.keys.scheme() == Scheme::V1 && config.keys.secrets.is_empty() {
            return Err(CheckError::NoSecret);
        }
        let target = Target::parse(&config.url)?;
        let observer = match &config.observe {
            Some(url) => Some(Observer::new(url, config.timeout)?),
            None => None,
        };
        let runner = Arc::new(Self {
            target,
            observer,
            keys: config.keys.clone(),
            tag: super::run_tag(),
            timeout: config.timeout,
            log: Mutex::new(Vec::new()),
            notes: Mutex::new(Vec::new()),
        });
        if let Some(observer) = &runner.observer {
            observer
                .counts()
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
                "effect cases (duplicate/*) are UNSUPPORTED without an observer: pass --observe URL (see the README, \"The observer contract\")".to_string(),
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

    /// Runs every case: independent ones concurrently, then effect cases, then audits.
    /// Returns the results in catalogue order, and the run's notes.
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
            if case.is_stateful() {
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
                    on_event(Event::Finished {
                        id: config.cases[index].id,
                        verdict: judgement.verdict,
                    });
                    done[index] = Some((judgement, elapsed));
                }
                Err(e) => self.note(format!("a case task failed: {e}")),
            }
        }
        // Effect cases, then audits: one at a time, in catalogue order.
        for pass in [false, true] {
            for (index, case) in config.cases.iter().enumerate() {
                if !case.is_stateful() || matches!(case.kind, Kind::Audit(_)) != pass {
                    continue;
                }
                let started = Instant::now();
                let judgement = self.run_case(case).await;
                on_event(Event::Finished {
                    id: case.id,
                    verdict: judgement.verdict,
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
                        Judgement::new(
                            Verdict::Unsupported,
                            "the case did not run",
                            Observed::default(),
                        ),
                        Duration::ZERO,
                    )
                });
                self.result(case, judgement, elapsed, &mut files)
            })
            .collect();
        let notes = self.notes.lock().expect("notes lock").clone();
        (results, notes)
    }

    /// Turns a judgement into a report entry, writing the repro body file for non-OK cases.
    fn result(
        &self,
        case: &Case,
        j: Judgement,
        elapsed: Duration,
        files: &mut BodyFiles,
    ) -> CaseResult {
        let mut sent = None;
        let mut repro = None;
        if let Some(d) = j.decisive.as_ref().filter(|_| j.verdict != Verdict::Ok) {
            sent = Some(d.describe());
        }
        // Repro commands (and their body files) for findings only: a clean run leaves no
        // files behind.
        let finding = matches!(j.verdict, Verdict::NonStrict | Verdict::Failed);
        if let Some(d) = j.decisive.as_ref().filter(|_| finding) {
            repro = match files.write(case.id, &d.body) {
                Ok(path) => Some(curl(
                    &self.target.url_with_path(d.path.as_deref()),
                    d,
                    &path,
                )),
                Err(e) => {
                    self.note(format!("cannot write the repro body for {}: {e}", case.id));
                    None
                }
            };
        }
        CaseResult {
            id: case.id.to_string(),
            family: case.family().to_string(),
            title: case.title.to_string(),
            level: case.level,
            rule: case.rule.to_string(),
            bug_class: Some(case.bug_class),
            verdict: j.verdict,
            expected: case.expected(),
            observed: j.observed,
            message: j.message,
            sent,
            repro,
            duration_ms: u64::try_from(elapsed.as_millis()).unwrap_or(u64::MAX),
        }
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
        if let Some(reason) = self.unmet(case.need) {
            return Judgement::new(Verdict::Unsupported, reason, Observed::default());
        }
        match &case.kind {
            Kind::Each { plan, expect } => {
                let probes = plan(&mut Ctx::new(&self.keys, &self.tag, case.id));
                let mut results = Vec::with_capacity(probes.len());
                for probe in probes {
                    let answer = self.send(case.id, &probe, Some(*expect)).await;
                    results.push((probe, answer));
                }
                judge::judge_each(case.level, *expect, &results)
            }
            Kind::Window(direction) => {
                let window = self.measure(case.id, *direction).await;
                timestamp::judge_window(*direction, &window)
            }
            Kind::Effects { plan, judge, .. } => {
                let script = plan(&mut Ctx::new(&self.keys, &self.tag, case.id));
                match self.play(case.id, script.steps, &script.observe).await {
                    Ok(run) => judge(&run),
                    Err(why) => Judgement::new(
                        Verdict::Unsupported,
                        format!("the observer could not be read: {why}"),
                        Observed::default(),
                    ),
                }
            }
            Kind::Audit(audit) => self.audit(*audit).await,
            Kind::KeySet(check) => match &self.keys.key_set {
                Some(ks) => self.key_set_check(case, *check, ks).await,
                None => Judgement::new(
                    Verdict::Unsupported,
                    Need::KeySet.unsupported_reason(),
                    Observed::default(),
                ),
            },
        }
    }

    /// Runs a check that changes the published key set or reads what the key server saw.
    async fn key_set_check(&self, case: &Case, check: KeySetCheck, ks: &KeySet) -> Judgement {
        let mut cx = Ctx::new(&self.keys, &self.tag, case.id);
        let fetched = ks.host.fetch_count();
        let since = || ks.host.fetch_count().saturating_sub(fetched);
        match check {
            KeySetCheck::KeyAdded => {
                ks.publish(&[&ks.primary, &ks.rotation[0], &ks.rotation[1]]);
                let added = self.retry(case.id, &mut cx, ks, &ks.rotation[1]).await;
                jwks::judge_key_added(case.level, ks, &added, since())
            }
            KeySetCheck::KeyRemoved => {
                let doomed = &ks.rotation[0];
                let before = self
                    .send_signed(
                        case.id,
                        &mut cx,
                        doomed,
                        "before its removal",
                        Some(Expect::Accept),
                    )
                    .await;
                ks.publish(&[&ks.primary, &ks.rotation[1], &ks.rotation[2]]);
                let proof = self.retry(case.id, &mut cx, ks, &ks.rotation[2]).await;
                let after = if proof.accepted() {
                    self.send_signed(
                        case.id,
                        &mut cx,
                        doomed,
                        "after its removal",
                        Some(Expect::Reject),
                    )
                    .await
                } else {
                    (proof.last.clone(), proof.answer.clone())
                };
                jwks::judge_key_removed(case.level, ks, &before, &proof, &after, since())
            }
            KeySetCheck::RefetchFlood => {
                let started = Instant::now();
                let mut last = None;
                for n in 0..jwks::FLOOD {
                    let p = crate::cases::probe(
                        format!("unknown key #{}", n + 1),
                        jwks::forged_unknown(&mut cx, n),
                    );
                    self.send(case.id, &p, Some(Expect::Reject)).await;
                    last = Some(p.delivery);
                }
                let last = last.unwrap_or_else(|| crate::delivery::Delivery::post(Vec::new()));
                jwks::judge_flood(case.level, since(), started.elapsed(), &last)
            }
            KeySetCheck::DecoyUntouched => {
                let fetches = ks.host.decoy_fetch_count();
                if fetches == 0 {
                    Judgement::new(
                        Verdict::Ok,
                        format!(
                            "the key set named by jku / x5u headers ({}) was never fetched",
                            ks.host.decoy_url()
                        ),
                        Observed::default(),
                    )
                } else {
                    Judgement::new(
                        crate::cases::breach(case.level),
                        format!(
                            "the endpoint fetched the key set named by a token's jku or x5u header ({}) {fetches} time(s): it follows URLs chosen by whoever sends a token",
                            ks.host.decoy_url()
                        ),
                        Observed::default(),
                    )
                }
            }
            KeySetCheck::BodyReplay => {
                let (original, replay) = crate::cases::jwt::body_replay_pair(&mut cx);
                let first = crate::cases::probe("the token with its own body", original);
                let a1 = self.send(case.id, &first, None).await;
                let second = crate::cases::probe("the same token with another body", replay);
                let a2 = self.send(case.id, &second, None).await;
                crate::cases::jwt::judge_body_replay(&first, &a1, &second, &a2)
            }
        }
    }

    /// Sends a fresh delivery signed with `key` of the set.
    async fn send_signed(
        &self,
        case: &'static str,
        cx: &mut Ctx<'_>,
        key: &Key,
        label: &str,
        expect: Option<Expect>,
    ) -> (Probe, Answer) {
        let p = crate::cases::probe(format!("{} {label}", key.kid), jwks::signed_with(cx, key));
        let answer = self.send(case, &p, expect).await;
        (p, answer)
    }

    /// Sends deliveries signed with `key` (each freshly signed) until one is accepted or
    /// the key set's refetch wait is over.
    async fn retry(&self, case: &'static str, cx: &mut Ctx<'_>, ks: &KeySet, key: &Key) -> Retried {
        let started = Instant::now();
        let mut attempts = 0;
        loop {
            attempts += 1;
            let (last, answer) = self
                .send_signed(case, cx, key, "(newly published)", None)
                .await;
            if answer.is_success() || started.elapsed() + ks.retry_every > ks.refetch_wait {
                return Retried {
                    last,
                    answer,
                    attempts,
                    elapsed: started.elapsed(),
                };
            }
            tokio::time::sleep(ks.retry_every).await;
        }
    }

    /// Sends one delivery and logs it.
    async fn send(&self, case: &'static str, probe: &Probe, expect: Option<Expect>) -> Answer {
        let at = hookspec::internal::unix_now();
        let answer = self.target.send(&probe.delivery, self.timeout).await;
        self.log.lock().expect("log lock").push(Sent {
            case,
            probe: probe.clone(),
            answer: answer.clone(),
            expect,
            at,
        });
        answer
    }

    /// Measures the timestamp window in one direction: a fresh delivery, then galloping and
    /// bisection on the skew (see [`timestamp::next_probe`]).
    async fn measure(
        &self,
        case: &'static str,
        direction: timestamp::Direction,
    ) -> timestamp::Window {
        let mut cx = Ctx::new(&self.keys, &self.tag, case);
        let fresh = crate::cases::probe("skew 0 s", cx.valid());
        let answer = self.send(case, &fresh, None).await;
        let mut window = timestamp::Window {
            max_accepted: 0,
            min_rejected: None,
            fresh_accepted: answer.is_success(),
            probes: 1,
            widest: None,
            widest_answer: None,
        };
        if !window.fresh_accepted {
            return window;
        }
        while let Some(skew) = timestamp::next_probe(window.max_accepted, window.min_rejected) {
            let ts = direction.apply(cx.now(), skew);
            let label = format!("skew {skew} s");
            let probe = crate::cases::probe(label, cx.valid_at(ts, cx.body()));
            let answer = self.send(case, &probe, None).await;
            window.probes += 1;
            if answer.is_success() {
                window.max_accepted = skew;
                window.widest = Some(probe.delivery);
                window.widest_answer = Some(answer);
            } else {
                window.min_rejected = Some(skew);
            }
        }
        window
    }

    /// Plays an effect script, then reads the observer for `observe`.
    async fn play(
        &self,
        case: &'static str,
        steps: Vec<Step>,
        observe: &[String],
    ) -> Result<EffectRun, String> {
        let mut results = Vec::with_capacity(steps.len());
        for step in steps {
            let started = Instant::now();
            let (probe, answers) = match step {
                Step::Send(probe) => {
                    let answer = self.send(case, &probe, None).await;
                    (probe, vec![answer])
                }
                Step::Burst(probe, copies) => {
                    let answers = self.burst(case, &probe, copies).await;
                    (probe, answers)
                }
            };
            results.push(StepResult {
                probe,
                answers,
                elapsed: started.elapsed(),
            });
        }
        // Ids that some delivery got a 2xx for should show an effect; give an endpoint
        // that processes after acknowledging a moment to catch up.
        let acknowledged: BTreeSet<String> = results
            .iter()
            .filter(|r| r.answers.iter().any(Answer::is_success))
            .filter_map(|r| r.probe.delivery.webhook_id())
            .collect();
        let observer = self.observer.as_ref().ok_or("no observer")?;
        let mut counts = observer.counts().await?;
        for wait in EFFECT_POLL {
            if acknowledged
                .iter()
                .all(|id| counts.get(id).is_some_and(|&n| n > 0))
            {
                break;
            }
            tokio::time::sleep(Duration::from_millis(wait)).await;
            counts = observer.counts().await?;
        }
        let effects: BTreeMap<String, u64> = observe
            .iter()
            .map(|id| (id.clone(), counts.get(id).copied().unwrap_or(0)))
            .collect();
        Ok(EffectRun {
            steps: results,
            effects,
        })
    }

    /// Sends `copies` identical copies of a delivery at once and logs them.
    async fn burst(&self, case: &'static str, probe: &Probe, copies: usize) -> Vec<Answer> {
        let at = hookspec::internal::unix_now();
        let answers = self
            .target
            .burst(&probe.delivery, copies, self.timeout)
            .await;
        let mut log = self.log.lock().expect("log lock");
        for answer in &answers {
            log.push(Sent {
                case,
                probe: probe.clone(),
                answer: answer.clone(),
                expect: None,
                at,
            });
        }
        answers
    }

    async fn audit(&self, audit: Audit) -> Judgement {
        let log = self.log.lock().expect("log lock").clone();
        match audit {
            Audit::RejectionStatuses => response::judge_rejection_statuses(&log),
            Audit::AckLatency => response::judge_ack_latency(&log),
            Audit::RejectedNoEffect => {
                let Some(observer) = &self.observer else {
                    return Judgement::new(
                        Verdict::Unsupported,
                        Need::Observer.unsupported_reason(),
                        Observed::default(),
                    );
                };
                match observer.counts().await {
                    Ok(counts) => duplicate::judge_rejected_no_effect(&log, &counts),
                    Err(why) => Judgement::new(
                        Verdict::Unsupported,
                        format!("the observer could not be read: {why}"),
                        Observed::default(),
                    ),
                }
            }
        }
    }
}
