use super::*;
use crate::KEY_LEN;
use proptest::prelude::*;

const SMALL_CHUNK_LOG2: u8 = 16;
const CHUNK: usize = 1 << SMALL_CHUNK_LOG2;
const UNIT: usize = CHUNK + TAG_LEN;
/// Plaintext lengths at every chunk edge: empty, one byte, around one chunk, several.
const EDGE_LENGTHS: [usize; 7] = [0, 1, CHUNK - 1, CHUNK, CHUNK + 1, 2 * CHUNK, 3 * CHUNK + 7];

fn vault_key() -> VaultKey {
    VaultKey::from_bytes([0x11; KEY_LEN])
}

fn id(byte: u8) -> ObjectId {
    ObjectId([byte; 16])
}

fn plaintext(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i * 31 % 251) as u8).collect()
}

fn encrypt_with(key: &VaultKey, object: ObjectId, data: &[u8]) -> Vec<u8> {
    encrypt_in_chunks(key, object, data, SMALL_CHUNK_LOG2)
}

fn encrypt_in_chunks(key: &VaultKey, object: ObjectId, data: &[u8], chunk_log2: u8) -> Vec<u8> {
    let file_key = FileKey::from_bytes([object.0[0] ^ 0x5A; KEY_LEN]);
    let mut writer =
        ObjectWriter::deterministic(Vec::new(), key, object, chunk_log2, &file_key, [3; 12])
            .unwrap();
    writer.write_from(&mut &data[..], |_| {}).unwrap();
    writer.finish().unwrap()
}

fn encrypt(data: &[u8]) -> Vec<u8> {
    encrypt_with(&vault_key(), id(1), data)
}

fn decrypt(object: &[u8]) -> Result<Vec<u8>, ObjectError> {
    let mut out = Vec::new();
    decrypt_object(object, &mut out, &vault_key(), Some(&id(1)))?;
    Ok(out)
}

#[test]
fn round_trips_at_every_chunk_edge() {
    for len in EDGE_LENGTHS {
        let data = plaintext(len);
        let object = encrypt(&data);
        assert_eq!(
            object.len() as u64,
            encrypted_len(len as u64, SMALL_CHUNK_LOG2),
            "len {len}"
        );
        assert_eq!(decrypt(&object).unwrap(), data, "len {len}");
    }
}

#[test]
fn random_keys_give_different_ciphertexts_of_the_same_photo() {
    let key = vault_key();
    let data = plaintext(1000);
    let encrypt_random = || {
        let mut w = ObjectWriter::new(Vec::new(), &key, id(1)).unwrap();
        w.write_from(&mut &data[..], |_| {}).unwrap();
        w.finish().unwrap()
    };
    let (a, b) = (encrypt_random(), encrypt_random());
    assert_ne!(a, b);
    let mut out = Vec::new();
    decrypt_object(&a[..], &mut out, &key, None).unwrap();
    assert_eq!(out, data);
}

#[test]
fn known_answer_pins_the_format() {
    // Computed independently from docs/FORMAT.md with Python's `cryptography` and `blake3`.
    // If these change, every existing vault stops opening.
    let object = encrypt(&plaintext(CHUNK + 3));
    assert_eq!(
        hex::encode(&object[..HEADER_LEN]),
        "4b53414b454f424a0110000000000000cfbd59ecaf8725ff01010101010101010101010101010101\
         030303030303030303030303ecc15e1273b07874f62a54a42d0135ca2ac674b8200948e7b308f67e\
         70ad34c5fb4216c7892ed841d82a5459294cb774"
    );
    assert_eq!(
        blake3::hash(&object).to_hex().as_str(),
        "7c878d8cf597a07148931dfd7eca278f6987c805ee8b9fdea8289d3c4caf0f51"
    );
}

#[test]
fn every_header_byte_is_protected() {
    let object = encrypt(&plaintext(10));
    for byte in 0..HEADER_LEN {
        let mut bad = object.clone();
        bad[byte] ^= 0x04;
        let err = decrypt(&bad).unwrap_err();
        let expected = match byte {
            0..8 => matches!(err, ObjectError::NotAnObject),
            8 => matches!(err, ObjectError::UnsupportedVersion(_)),
            // 16 ^ 4 = 20 is a valid size, so the authenticated header catches it.
            9 => matches!(err, ObjectError::HeaderTampered),
            16..24 => matches!(err, ObjectError::WrongKey),
            _ => matches!(err, ObjectError::HeaderTampered),
        };
        assert!(expected, "byte {byte}: {err:?}");
    }
}

#[test]
fn every_ciphertext_bit_is_protected() {
    let data = plaintext(2 * CHUNK + 100);
    let object = encrypt(&data);
    // Every byte of the last (short) chunk and a spread across the full ones, every bit.
    let positions = (HEADER_LEN..object.len())
        .step_by(997)
        .chain(object.len() - 130..object.len());
    for pos in positions {
        for bit in 0..8 {
            let mut bad = object.clone();
            bad[pos] ^= 1 << bit;
            let index = ((pos - HEADER_LEN) / UNIT) as u64;
            match decrypt(&bad) {
                Err(ObjectError::ChunkCorrupt { index: at }) => assert_eq!(at, index),
                other => panic!("flip at {pos} bit {bit}: {other:?}"),
            }
        }
    }
}

#[test]
fn truncation_at_every_chunk_boundary_is_named() {
    let object = encrypt(&plaintext(3 * CHUNK + 5));
    for chunks in 0..=3 {
        let cut = &object[..HEADER_LEN + chunks * UNIT];
        match decrypt(cut) {
            Err(ObjectError::Truncated { after_chunks }) => assert_eq!(after_chunks, chunks as u64),
            other => panic!("cut after {chunks} chunks: {other:?}"),
        }
    }
    // Inside a chunk, and inside the header.
    assert!(decrypt(&object[..HEADER_LEN + UNIT + 10]).is_err());
    assert!(matches!(
        decrypt(&object[..HEADER_LEN - 1]),
        Err(ObjectError::HeaderTruncated(_))
    ));
    assert!(matches!(decrypt(&[]), Err(ObjectError::HeaderTruncated(0))));
}

#[test]
fn exact_multiple_of_chunk_truncated_to_previous_boundary_is_named() {
    let object = encrypt(&plaintext(2 * CHUNK));
    assert!(matches!(
        decrypt(&object[..HEADER_LEN + UNIT]),
        Err(ObjectError::Truncated { after_chunks: 1 })
    ));
}

fn chunks_of(object: &[u8]) -> Vec<&[u8]> {
    object[HEADER_LEN..].chunks(UNIT).collect()
}

fn assemble(object: &[u8], order: &[&[u8]]) -> Vec<u8> {
    let mut out = object[..HEADER_LEN].to_vec();
    for chunk in order {
        out.extend_from_slice(chunk);
    }
    out
}

#[test]
fn reordered_duplicated_and_dropped_chunks_are_named() {
    let object = encrypt(&plaintext(3 * CHUNK + 5));
    let c = chunks_of(&object);
    // (what, chunk order, (position that fails, index the chunk there belongs at))
    type Case<'a> = (&'a str, Vec<&'a [u8]>, (u64, u64));
    let cases: [Case; 4] = [
        ("swap 1 and 2", vec![c[0], c[2], c[1], c[3]], (1, 2)),
        ("duplicate 0", vec![c[0], c[0], c[2], c[3]], (1, 0)),
        ("drop 1", vec![c[0], c[2], c[3]], (1, 2)),
        ("drop 2", vec![c[0], c[1], c[3]], (2, 3)),
    ];
    for (name, order, (position, belongs)) in cases {
        match decrypt(&assemble(&object, &order)) {
            Err(ObjectError::ChunkOutOfPlace {
                position: p,
                belongs_at: b,
            }) => {
                assert_eq!((p, b), (position, belongs), "{name}")
            }
            other => panic!("{name}: {other:?}"),
        }
    }
}

#[test]
fn data_after_the_final_chunk_is_named() {
    // After a full final chunk the boundary is known: named as trailing data.
    let object = encrypt(&plaintext(2 * CHUNK));
    for extra in [&b"\0"[..], chunks_of(&object)[1]] {
        let mut extended = object.clone();
        extended.extend_from_slice(extra);
        assert!(matches!(
            decrypt(&extended),
            Err(ObjectError::TrailingData { after_chunks: 1 })
        ));
    }
    // After a short final chunk the extra bytes merge into it: it fails to authenticate.
    let object = encrypt(&plaintext(CHUNK + 5));
    let mut extended = object.clone();
    extended.push(0);
    assert!(matches!(
        decrypt(&extended),
        Err(ObjectError::ChunkCorrupt { index: 1 })
    ));
}

#[test]
fn parts_moved_in_from_another_object_are_named() {
    let data = plaintext(2 * CHUNK + 9);
    let mine = encrypt(&data);
    let theirs = encrypt_with(&vault_key(), id(2), &data);
    // A chunk of another object, at the same position.
    let mut spliced = mine.clone();
    spliced[HEADER_LEN + UNIT..HEADER_LEN + 2 * UNIT]
        .copy_from_slice(&theirs[HEADER_LEN + UNIT..HEADER_LEN + 2 * UNIT]);
    assert!(matches!(
        decrypt(&spliced),
        Err(ObjectError::ChunkCorrupt { index: 1 })
    ));
    // Another object's header on this object's chunks, or a whole object swapped in.
    let mut header_swapped = theirs[..HEADER_LEN].to_vec();
    header_swapped.extend_from_slice(&mine[HEADER_LEN..]);
    assert!(matches!(
        decrypt(&header_swapped),
        Err(ObjectError::WrongObject { .. })
    ));
    assert!(matches!(
        decrypt(&theirs),
        Err(ObjectError::WrongObject { .. })
    ));
    let mut out = Vec::new();
    let unchecked = decrypt_object(&header_swapped[..], &mut out, &vault_key(), None);
    assert!(matches!(
        unchecked,
        Err(ObjectError::ChunkCorrupt { index: 0 })
    ));
}

#[test]
fn wrong_vault_key_is_named() {
    let object = encrypt(&plaintext(10));
    let mut out = Vec::new();
    let other = VaultKey::from_bytes([0x22; KEY_LEN]);
    assert!(matches!(
        decrypt_object(&object[..], &mut out, &other, None),
        Err(ObjectError::WrongKey)
    ));
    assert!(out.is_empty());
}

#[test]
fn not_an_object_is_named() {
    assert!(matches!(
        decrypt(b"\xff\xd8\xff\xe0 a plain JPEG"),
        Err(ObjectError::NotAnObject)
    ));
}

/// A reader that hands out data in pieces of varying size, as pipes and sockets do.
struct Trickle<'a> {
    data: &'a [u8],
    sizes: Vec<usize>,
    turn: usize,
}

impl Read for Trickle<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let want = self.sizes[self.turn % self.sizes.len()].max(1);
        self.turn += 1;
        let n = want.min(buf.len()).min(self.data.len());
        buf[..n].copy_from_slice(&self.data[..n]);
        self.data = &self.data[n..];
        Ok(n)
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]
    #[test]
    fn any_data_in_any_pieces_round_trips(
        len in 0usize..(4 * CHUNK + 3),
        sizes in proptest::collection::vec(1usize..(2 * CHUNK), 1..8),
        seed in any::<u8>(),
    ) {
        let data: Vec<u8> = (0..len).map(|i| (i as u8).wrapping_mul(seed)).collect();
        let key = vault_key();
        let file_key = FileKey::from_bytes([seed; KEY_LEN]);
        let mut writer = ObjectWriter::deterministic(Vec::new(), &key, id(1), SMALL_CHUNK_LOG2, &file_key, [seed; 12]).unwrap();
        let mut seen = Vec::new();
        let read = writer
            .write_from(&mut Trickle { data: &data, sizes: sizes.clone(), turn: 0 }, |b| seen.extend_from_slice(b))
            .unwrap();
        let object = writer.finish().unwrap();
        prop_assert_eq!(read as usize, len);
        prop_assert_eq!(&seen, &data);
        prop_assert_eq!(object.len() as u64, encrypted_len(len as u64, SMALL_CHUNK_LOG2));
        let mut out = Vec::new();
        decrypt_object(Trickle { data: &object, sizes, turn: 0 }, &mut out, &key, Some(&id(1))).unwrap();
        prop_assert_eq!(out, data);
    }
}

fn decrypt_part(object: &[u8], range: std::ops::Range<u64>) -> Result<Vec<u8>, ObjectError> {
    let mut out = Vec::new();
    decrypt_range(
        io::Cursor::new(object),
        &mut out,
        &vault_key(),
        Some(&id(1)),
        range,
    )?;
    Ok(out)
}

#[test]
fn any_range_decrypts_to_the_same_bytes_as_the_whole() {
    for len in EDGE_LENGTHS {
        let data = plaintext(len);
        let object = encrypt(&data);
        let len = len as u64;
        let chunk = CHUNK as u64;
        for (start, end) in [
            (0, len),
            (0, 1),
            (chunk - 1, chunk + 1),
            (chunk, 2 * chunk),
            (len / 2, len),
            (len.saturating_sub(3), len + 100),
            (len + 5, len + 10),
        ] {
            let want = &data
                [(start.min(len) as usize)..(end.min(len) as usize).max(start.min(len) as usize)];
            assert_eq!(
                decrypt_part(&object, start..end).unwrap(),
                want,
                "len {len}, {start}..{end}"
            );
        }
    }
}

#[test]
fn a_range_reads_only_the_chunks_it_touches_and_they_are_authenticated() {
    struct Counting<'a> {
        inner: io::Cursor<&'a [u8]>,
        read: u64,
    }
    impl Read for Counting<'_> {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            let n = self.inner.read(buf)?;
            self.read += n as u64;
            Ok(n)
        }
    }
    impl io::Seek for Counting<'_> {
        fn seek(&mut self, pos: io::SeekFrom) -> io::Result<u64> {
            self.inner.seek(pos)
        }
    }
    // A 4 MiB seek into the middle of a video of 1 MiB chunks (the default) reads at most
    // six: the four it spans, one it starts inside, and the header.
    let mib = 1u64 << 20;
    let total = std::env::var("KEEPSAKE_RANGE_TEST_MIB")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(64u64)
        * mib;
    let data = plaintext(total as usize);
    let object = encrypt_in_chunks(&vault_key(), id(1), &data, DEFAULT_CHUNK_LOG2);
    let start = total / 2 + 12_345;
    let mut counting = Counting {
        inner: io::Cursor::new(&object[..]),
        read: 0,
    };
    let mut out = Vec::new();
    let whole = decrypt_range(
        &mut counting,
        &mut out,
        &vault_key(),
        Some(&id(1)),
        start..start + 4 * mib,
    )
    .unwrap();
    assert_eq!(whole, total);
    assert_eq!(out, &data[start as usize..(start + 4 * mib) as usize]);
    assert!(counting.read <= 6 * mib, "read {} bytes", counting.read);

    // The chunk the range reads is authenticated: one flipped bit fails it.
    let mut flipped = object.clone();
    let in_range = HEADER_LEN + (start / mib) as usize * (mib as usize + TAG_LEN) + 99;
    flipped[in_range] ^= 1;
    let mut sink = Vec::new();
    assert!(matches!(
        decrypt_range(
            io::Cursor::new(&flipped[..]),
            &mut sink,
            &vault_key(),
            Some(&id(1)),
            start..start + 10
        ),
        Err(ObjectError::ChunkCorrupt { .. })
    ));
}

#[test]
fn a_range_at_the_end_of_a_cut_or_extended_object_fails() {
    let object = encrypt(&plaintext(3 * CHUNK + 5));
    let chunk = CHUNK as u64;
    // Cut at a chunk boundary: the new last chunk was not sealed as the last.
    let cut = &object[..HEADER_LEN + 2 * UNIT];
    assert!(decrypt_part(cut, chunk..2 * chunk).is_err());
    // Cut inside a chunk, and inside a tag.
    assert!(decrypt_part(&object[..object.len() - 3], 3 * chunk..3 * chunk + 5).is_err());
    // A last chunk shorter than a tag is malformed from the length alone: every range
    // fails, as the whole would.
    assert!(decrypt_part(&object[..HEADER_LEN + 3 * UNIT + 2], 0..1).is_err());
    assert!(
        decrypt_part(
            &object[..HEADER_LEN + 3 * UNIT + 2],
            3 * chunk..3 * chunk + 1
        )
        .is_err()
    );
    // Data appended after the final chunk: the real final chunk is no longer last.
    let mut extended = object.clone();
    extended.extend_from_slice(&[0; TAG_LEN + 40]);
    assert!(decrypt_part(&extended, 3 * chunk..3 * chunk + 5).is_err());
    // A header from another object.
    let other = encrypt_with(&vault_key(), id(2), &plaintext(10));
    let mut sink = Vec::new();
    assert!(matches!(
        decrypt_range(
            io::Cursor::new(&other[..]),
            &mut sink,
            &vault_key(),
            Some(&id(1)),
            0..5
        ),
        Err(ObjectError::WrongObject { .. })
    ));
}
