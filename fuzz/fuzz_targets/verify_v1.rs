#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| hookspec_testkit::fuzzing::verify_v1(data));
