#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| hookspec_testkit::fuzzing::vector_file(data));
