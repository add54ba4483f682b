#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| hookspec::fuzzing::verify_v1a(data));
