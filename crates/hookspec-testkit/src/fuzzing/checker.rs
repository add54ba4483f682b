//! The `vector_file`, `adapter_line` and `judge` targets (feature `cli`): the vector-file
//! loader and renderer, the adapter-protocol reader, and the checker's verdict on an
//! endpoint's answers (with the raw HTTP response-head parser).

use std::time::Duration;

use super::codec::{Reader, Writer};
use hookspec_engine::cases::judge::{is_reject_status, judge_each, judge_one, severity};
use hookspec_engine::cases::{Answer, Expect, Outcome, Probe};
use hookspec_engine::check::http::parse_head;
use hookspec_engine::delivery::Delivery;
use hookspec_engine::report::{Level, Verdict};
use hookspec_engine::vectors::adapter::parse_response;
use hookspec_engine::vectors::protocol::{Request, Response};
use hookspec_engine::vectors::{VectorFile, request_at};

/// The clock the `vector_file` target renders time-relative tests at.
pub const RENDER_NOW: u64 = 1_800_000_000;

/// Vector-file loading: never panics; a file that parses re-serializes
/// ([`VectorFile::to_json`]) to text that parses to the same value and serializes to the
/// same text; every test renders ([`request_at`]) without panicking, and its adapter
/// request survives a JSON round trip.
pub fn vector_file(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(file) = VectorFile::from_json(text) else {
        return;
    };
    let json = file.to_json();
    let again = VectorFile::from_json(&json).expect("a serialized vector file parses");
    assert_eq!(again, file, "vector file does not round-trip");
    assert_eq!(again.to_json(), json, "serialization is not canonical");
    for group in &file.test_groups {
        for test in &group.tests {
            let Ok(request) = request_at(test, RENDER_NOW) else {
                continue;
            };
            let line = Request::new(
                &file.scheme,
                &group.secrets,
                &group.public_keys,
                test,
                &request,
            );
            let text = serde_json::to_string(&line).expect("requests serialize");
            assert!(!text.contains('\n'), "a request line spans lines");
            let back: Request = serde_json::from_str(&text).expect("requests parse");
            assert_eq!(back, line);
        }
    }
}

/// Seeds for `vector_file`: for each group of each file, a file of that group holding one
/// test (its first, and its first re-signed one), so seeds stay small.
pub fn vector_file_seeds(files: &[VectorFile]) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    for file in files {
        for (g, group) in file.test_groups.iter().enumerate() {
            let first = group.tests.first().into_iter();
            let resigned = group.tests.iter().find(|t| t.resign.is_some());
            for test in first.chain(resigned) {
                let mut one = file.clone();
                let mut group = group.clone();
                group.tests = vec![test.clone()];
                one.test_groups = vec![group];
                one.number_of_tests = 1;
                one.header.truncate(1);
                let name = format!("{}-g{g}-tc{}", file.scheme, test.tc_id);
                out.push((name, one.to_json().into_bytes()));
            }
        }
    }
    out.sort();
    out.dedup_by(|a, b| a.0 == b.0);
    out
}

/// The adapter-protocol reader: 4 bytes (little-endian test id) then one line as the
/// adapter wrote it. Never panics; rejects with `adapter_garbage` (showing at most 80
/// characters of the line, quoted and escaped) anything that is not a JSON response object for that test id;
/// an accepted response re-serializes to a line it accepts again as the same response.
pub fn adapter_line(data: &[u8]) {
    let mut r = Reader::new(data);
    let tc_id = r.u32();
    let rest = data.get(4..).unwrap_or_default();
    // As the reader thread does: lossy UTF-8, line ending trimmed.
    let line = String::from_utf8_lossy(rest)
        .trim_end_matches(['\n', '\r'])
        .to_string();
    match parse_response("v1 #1", tc_id, &line) {
        Ok(response) => {
            assert_eq!(response.tc_id, tc_id);
            // Not checked through `serde_json::Value`: it refuses numbers beyond `f64` that
            // the reader rightly skips in unknown members.
            let start = line.trim_start_matches([' ', '\t', '\r', '\n']);
            assert!(start.starts_with('{'), "accepted a non-object: {line:?}");
            let text = serde_json::to_string(&response).expect("responses serialize");
            let again: Response = parse_response("v1 #1", tc_id, &text).expect("round trip");
            assert_eq!(again, response);
        }
        Err(e) => {
            assert_eq!(e.code(), "adapter_garbage", "{e:?}");
            let hookspec_engine::vectors::adapter::AdapterError::Garbage { line: quoted, .. } = &e
            else {
                unreachable!()
            };
            // Shown as `check` shows a body: quoted, escaped, cut (never raw control bytes).
            assert_eq!(
                quoted,
                &hookspec_engine::delivery::preview(line.as_bytes(), 80)
            );
            assert!(!quoted.chars().any(char::is_control), "{quoted:?}");
            let _ = e.to_string();
        }
    }
}

/// One answer of a [`JudgeCase`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AnswerSpec {
    /// A status line: code, latency in ms, body start.
    Status(u16, u32, Vec<u8>),
    /// No HTTP response, and why.
    NoAnswer(Vec<u8>),
}

impl AnswerSpec {
    fn answer(&self) -> Answer {
        match self {
            Self::Status(code, ms, body) => Answer::Status {
                code: *code,
                latency: Duration::from_millis(u64::from(*ms)),
                body: String::from_utf8_lossy(body).into_owned(),
            },
            Self::NoAnswer(why) => Answer::NoAnswer(String::from_utf8_lossy(why).into_owned()),
        }
    }
}

/// A `judge` target input: either a verdict question or raw response-head bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JudgeCase {
    /// Answers to the deliveries of one case.
    Judge {
        /// 0 MUST, 1 SHOULD, 2 INFO (mod 3).
        level: u8,
        /// 0 accept, 1 reject, 2 reject with 400/401/403, 3 either (mod 4).
        expect: u8,
        /// The answers, one per delivery (at most 4).
        answers: Vec<AnswerSpec>,
    },
    /// Bytes read from the connection, for the response-head parser.
    Head(Vec<u8>),
}

impl JudgeCase {
    /// Decodes fuzzer bytes (see [`super::codec`]).
    pub fn decode(data: &[u8]) -> Self {
        let mut r = Reader::new(data);
        if r.choice(2) == 1 {
            return Self::Head(data.get(1..).unwrap_or_default().to_vec());
        }
        let level = r.u8();
        let expect = r.u8();
        let n = r.u8() % 5;
        let answers = (0..n)
            .map(|_| {
                if r.bool() {
                    AnswerSpec::NoAnswer(r.bytes())
                } else {
                    AnswerSpec::Status(r.u16(), r.u32(), r.bytes())
                }
            })
            .collect();
        Self::Judge {
            level,
            expect,
            answers,
        }
    }

    /// Encodes a case (for seeds): `decode(encode(c)) == c` for at most 4 answers.
    pub fn encode(&self) -> Vec<u8> {
        let mut w = Writer::new();
        match self {
            Self::Head(bytes) => {
                let mut out = vec![1];
                out.extend_from_slice(bytes);
                return out;
            }
            Self::Judge {
                level,
                expect,
                answers,
            } => {
                w.u8(0).u8(*level).u8(*expect).u8(answers.len() as u8);
                for a in answers {
                    match a {
                        AnswerSpec::NoAnswer(why) => w.bool(true).bytes(why),
                        AnswerSpec::Status(code, ms, body) => {
                            w.bool(false).u16(*code).u32(*ms).bytes(body)
                        }
                    };
                }
            }
        }
        w.finish()
    }
}

/// The checker's judgement of answers ([`judge_one`], [`judge_each`]) and the response-head
/// parser. Never panics, and:
/// * a 2xx to a must-reject delivery is never OK (FAILED at MUST level or for
///   reject-with-status); any refusal of one is OK;
/// * a 2xx to a must-accept delivery is OK and anything else a breach at the case's level;
/// * reject-with-status is OK exactly for 400/401/403;
/// * either-way cases are always INFORMATIONAL;
/// * over several deliveries the verdict is the worst single one, decided by the first
///   delivery that has it; no delivery is UNSUPPORTED;
/// * a complete response head is no longer than the input, has a 3-digit status, parses
///   the same from exactly its own bytes, and is incomplete one byte short.
pub fn judge(data: &[u8]) {
    let (level, expect, answers) = match JudgeCase::decode(data) {
        JudgeCase::Head(bytes) => return head(&bytes),
        JudgeCase::Judge {
            level,
            expect,
            answers,
        } => (level, expect, answers),
    };
    let level = [Level::Must, Level::Should, Level::Info][usize::from(level % 3)];
    let expect = [
        Expect::Accept,
        Expect::Reject,
        Expect::RejectStatus,
        Expect::Either,
    ][usize::from(expect % 4)];
    let answers: Vec<Answer> = answers.iter().map(AnswerSpec::answer).collect();
    let mut verdicts = Vec::new();
    for answer in &answers {
        let (verdict, why) = judge_one(level, expect, answer);
        assert!(!why.is_empty());
        let _ = answer.observed();
        let ok = answer.is_success();
        let want = match expect {
            Expect::Either => Verdict::Informational,
            Expect::Accept if ok => Verdict::Ok,
            Expect::Accept => Outcome::Breach.verdict(level),
            Expect::Reject if ok => Outcome::Breach.verdict(level),
            Expect::Reject => Verdict::Ok,
            Expect::RejectStatus if ok => Verdict::Failed,
            Expect::RejectStatus => match answer.code() {
                Some(code) if is_reject_status(code) => Verdict::Ok,
                _ => Outcome::Breach.verdict(level),
            },
        };
        assert_eq!(verdict, want, "{level:?} {expect:?} {answer:?}: {why}");
        if ok && expect.is_reject() {
            assert_ne!(
                verdict,
                Verdict::Ok,
                "a 2xx to a must-reject delivery is OK"
            );
        }
        verdicts.push(verdict);
    }
    let results: Vec<(Probe, Answer)> = answers
        .iter()
        .enumerate()
        .map(|(i, a)| {
            let label = if answers.len() > 1 {
                format!("d{i}")
            } else {
                String::new()
            };
            let delivery = Delivery::post(format!("body {i}"));
            (hookspec_engine::cases::probe(label, delivery), a.clone())
        })
        .collect();
    let judgement = judge_each(level, expect, &results);
    assert!(!judgement.message.is_empty());
    let Some(worst) = verdicts.iter().map(|v| severity(*v)).max() else {
        assert_eq!(judgement.verdict(level), Verdict::Unsupported);
        assert!(judgement.decisive.is_none());
        return;
    };
    assert_eq!(severity(judgement.verdict(level)), worst);
    assert_ne!(judgement.verdict(level), Verdict::Unsupported);
    let first = verdicts
        .iter()
        .position(|v| severity(*v) == worst)
        .expect("the worst is among them");
    let decisive = judgement.decisive.expect("a decisive delivery");
    assert_eq!(decisive.body, format!("body {first}").into_bytes());
    assert_eq!(judgement.observed.status, answers[first].code());
}

fn head(bytes: &[u8]) {
    let Ok(Some((status, headers, len))) = parse_head(bytes) else {
        return;
    };
    assert!(len <= bytes.len() && len > 0);
    assert!(status <= 999, "status {status}");
    assert!(headers.len() <= 128);
    let exact = parse_head(&bytes[..len]);
    assert_eq!(exact, Ok(Some((status, headers, len))));
    assert_eq!(parse_head(&bytes[..len - 1]), Ok(None), "{bytes:?}");
}

/// Seeds for `judge`: each expectation against typical answers, and real response heads.
pub fn judge_seeds() -> Vec<(String, Vec<u8>)> {
    let status = |code| AnswerSpec::Status(code, 3, b"ok".to_vec());
    let mut out = Vec::new();
    let answers = [
        ("200", vec![status(200)]),
        ("204", vec![status(204)]),
        ("401", vec![status(401)]),
        ("500", vec![status(500)]),
        ("302", vec![status(302)]),
        ("reset", vec![AnswerSpec::NoAnswer(b"reset".to_vec())]),
        ("mixed", vec![status(401), status(200), status(200)]),
        (
            "many",
            vec![
                status(400),
                status(403),
                AnswerSpec::NoAnswer(b"timed out".to_vec()),
                status(410),
            ],
        ),
        ("none", vec![]),
    ];
    for (e, expect) in ["accept", "reject", "reject-status", "either"]
        .iter()
        .enumerate()
    {
        for (name, list) in &answers {
            out.push((
                format!("{expect}-{name}"),
                JudgeCase::Judge {
                    level: (e % 3) as u8,
                    expect: e as u8,
                    answers: list.clone(),
                }
                .encode(),
            ));
        }
    }
    let heads: [(&str, &[u8]); 6] = [
        ("head-200", b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok"),
        (
            "head-401",
            b"HTTP/1.1 401 Unauthorized\r\nContent-Type: text/plain\r\nContent-Length: 17\r\nConnection: close\r\n\r\ninvalid signature",
        ),
        (
            "head-chunked",
            b"HTTP/1.1 204 No Content\r\nTransfer-Encoding: chunked\r\nDate: Mon, 01 Jan 2024 00:00:00 GMT\r\n\r\n0\r\n\r\n",
        ),
        ("head-100", b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\n\r\n"),
        ("head-lf", b"HTTP/1.0 500 Internal Server Error\nServer: x\n\n"),
        ("head-partial", b"HTTP/1.1 200 OK\r\nX-A: b\r\n"),
    ];
    for (name, bytes) in heads {
        out.push((name.to_owned(), JudgeCase::Head(bytes.to_vec()).encode()));
    }
    out
}

/// Seeds for `adapter_line`: the lines real adapters write (the reference adapter, the
/// flawed test adapter, a garbage one), for the test id they answer and for another.
pub fn adapter_line_seeds() -> Vec<(String, Vec<u8>)> {
    let lines: [(&str, &str); 8] = [
        ("accept", r#"{"tcId":1,"accept":true}"#),
        (
            "reject",
            r#"{"tcId":1,"accept":false,"error":"signature_mismatch"}"#,
        ),
        (
            "config",
            r#"{"tcId":1,"accept":false,"error":"bad secret","config_error":true}"#,
        ),
        (
            "unsupported",
            r#"{"tcId":1,"accept":false,"unsupported":"v1 only"}"#,
        ),
        ("crlf", "{\"tcId\": 1, \"accept\": true}\r\n"),
        ("garbage", "this is not JSON"),
        ("array", "[1,true]"),
        (
            "extra",
            r#"{"tcId":1,"accept":true,"error":null,"extra":{"a":[1,2]}}"#,
        ),
    ];
    let mut out = Vec::new();
    for (name, line) in lines {
        for (id, suffix) in [(1u32, ""), (7, "-other-id")] {
            let mut data = id.to_le_bytes().to_vec();
            data.extend_from_slice(line.as_bytes());
            out.push((format!("{name}{suffix}"), data));
        }
    }
    out
}
