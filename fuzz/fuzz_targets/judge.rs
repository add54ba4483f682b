#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| hookspec::fuzzing::judge(data));
