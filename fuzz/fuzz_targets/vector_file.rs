#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| hookspec::fuzzing::vector_file(data));
