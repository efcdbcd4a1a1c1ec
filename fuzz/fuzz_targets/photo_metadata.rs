//! Sniffing, EXIF and every photo decoder (libjpeg-turbo, libheif, image, the RAW preview
//! finder) on untrusted bytes: metadata and renditions or a typed failure, never a crash.
//! Decoder panics are caught in production (guard.rs); here libFuzzer's panic hook makes
//! any of them a finding. Seeds: the sample photos and ../shared/testdata/photos/malformed.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = keepsake_core::untrusted_input::analyse_photo(data);
});
