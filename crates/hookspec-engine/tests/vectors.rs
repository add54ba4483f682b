//! Every committed vector as its own named test (`cargo test --test vectors v1_tc_42`), run
//! against the reference verifier:
//!
//! * the verifier's answer matches the vector exactly (accept, or the expected error code);
//! * a time-relative vector re-rendered at its own `reference_now` reproduces its headers
//!   byte for byte, and re-rendered at another clock keeps its expected result there;
//! * a vector without `resign` keeps its expected result at other clocks as it is.

use std::path::PathBuf;

use hookspec_engine::vectors::harness::reference_matches;
use hookspec_engine::vectors::protocol::Request;
use hookspec_engine::vectors::render::RenderError;
use hookspec_engine::vectors::{TestGroup, TestVector, VectorFile, reference, request, request_at};
use libtest_mimic::{Arguments, Failed, Trial};

/// Clock shifts to re-check every vector at: a few hours, about ten years.
const SHIFTS: [u64; 2] = [12_345, 315_569_520];

fn main() {
    let args = Arguments::from_args();
    let mut trials = Vec::new();
    for name in ["v1.json", "v1a.json", "v1a-jwks.json", "jwt.json"] {
        let path = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))
            .join("vectors")
            .join(name);
        let file = match std::fs::read_to_string(&path)
            .map_err(|e| e.to_string())
            .and_then(|text| VectorFile::from_json(&text).map_err(|e| e.to_string()))
        {
            Ok(file) => file,
            Err(e) => {
                let message = format!("{}: {e}", path.display());
                trials.push(Trial::test(format!("load_{name}"), move || {
                    Err(message.into())
                }));
                continue;
            }
        };
        for (group, test) in file.tests() {
            let (scheme, group, test) = (file.scheme.clone(), group.clone(), test.clone());
            let name = format!("{}_tc_{}", scheme, test.tc_id);
            trials.push(Trial::test(name, move || check(&scheme, &group, &test)));
        }
    }
    libtest_mimic::run(&args, trials).exit();
}

fn answer(
    scheme: &str,
    group: &TestGroup,
    test: &TestVector,
    now: Option<u64>,
) -> Result<bool, Failed> {
    let req = match now {
        Some(now) => request_at(test, now),
        None => request(test),
    }
    .map_err(|e| format!("render: {e}"))?;
    let request = Request::for_group(scheme, group, test, &req);
    let response = reference::respond(&request);
    let ok = reference_matches(test.result, test.error.as_deref(), &response);
    if !ok {
        return Err(format!(
            "{}: expected {} {:?}, the reference verifier answered accept={} error={:?} (now={})",
            test.comment,
            test.result.as_str(),
            test.error,
            response.accept,
            response.error,
            req.now
        )
        .into());
    }
    Ok(ok)
}

fn check(scheme: &str, group: &TestGroup, test: &TestVector) -> Result<(), Failed> {
    answer(scheme, group, test, None)?;
    if test.is_time_relative() {
        let again = request_at(test, test.reference_now).map_err(|e| e.to_string())?;
        if again.headers != test.headers {
            return Err(format!(
                "re-rendering at reference_now changes the headers:\n  committed {:?}\n  rendered  {:?}",
                test.headers, again.headers
            )
            .into());
        }
    }
    for shift in SHIFTS {
        // A mutation that is a no-op at some second (URL-safe form of a signature without
        // `+` or `/`) refuses to render there; as the harness does, take the next second.
        let mut now = test.reference_now + shift;
        while matches!(request_at(test, now), Err(RenderError::NoEffect { .. })) {
            now += 1;
        }
        answer(scheme, group, test, Some(now))?;
    }
    Ok(())
}
