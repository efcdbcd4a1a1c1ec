//! The object decoder against edited objects. Each input says how long a plaintext to
//! encrypt (a real object, made fresh) and which edits to make to the object: XOR a byte
//! anywhere, or truncate. The oracle: an object that changed must fail to decrypt, and
//! one that did not must give back exactly its plaintext. Never a panic either way.
#![no_main]

use keepsake_crypto::{ObjectId, ObjectWriter, VaultKey, decrypt_object};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((size, edits)) = data.split_first_chunk::<2>() else {
        return;
    };
    // Mostly small, up to 2 MiB (three chunks, so chunk order and the final flag count).
    let len = (size[1] as usize) << (size[0] % 14);
    let key = VaultKey::from_bytes([7; 32]);
    let id = ObjectId([1; 16]);
    let plain: Vec<u8> = (0..len).map(|i| (i % 251) as u8).collect();
    let mut writer = ObjectWriter::new(Vec::new(), &key, id).unwrap();
    writer.write_from(&mut &plain[..], |_| {}).unwrap();
    let original = writer.finish().unwrap();

    let mut object = original.clone();
    for edit in edits.chunks_exact(5) {
        if object.is_empty() {
            break;
        }
        let at = u32::from_le_bytes([edit[0], edit[1], edit[2], edit[3]]) as usize;
        match edit[4] {
            0 => object.truncate(at % (object.len() + 1)),
            x => {
                let i = at % object.len();
                object[i] ^= x;
            }
        }
    }

    let mut out = Vec::new();
    match decrypt_object(&object[..], &mut out, &key, Some(&id)) {
        Ok(_) => {
            assert!(object == original, "an edited object decrypted");
            assert!(out == plain, "the plaintext came back different");
        }
        Err(_) => assert!(object != original, "an intact object failed to decrypt"),
    }
});
