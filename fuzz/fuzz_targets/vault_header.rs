//! The vault header parser on untrusted text: an error or a header, never a panic.
//! Seeds: real headers (with and without device slots) written by scripts/fuzz.sh.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = keepsake_core::untrusted_input::parse_header(text);
    }
});
