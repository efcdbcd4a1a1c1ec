//! Colour: a photo's embedded ICC profile travels into its thumbnail and preview, so a
//! wide-gamut photo (Display P3 from a phone, Adobe RGB from a camera) keeps its colours
//! in a colour-managed view instead of looking washed out.

const SIGNATURE: &[u8] = b"ICC_PROFILE\0";
/// A JPEG segment holds at most 65533 bytes after its length; the ICC header takes 14.
const CHUNK: usize = 65533 - SIGNATURE.len() - 2;

/// The ICC profile carried in a JPEG's APP2 segments, reassembled in order.
pub fn from_jpeg(jpeg: &[u8]) -> Option<Vec<u8>> {
    let mut chunks: Vec<(u8, &[u8])> = Vec::new();
    let mut i = 2;
    while i + 4 <= jpeg.len() && jpeg[i] == 0xFF {
        let marker = jpeg[i + 1];
        if marker == 0xDA || marker == 0xD9 {
            break; // start of scan: no more metadata segments
        }
        let len = u16::from_be_bytes([jpeg[i + 2], jpeg[i + 3]]) as usize;
        let body = jpeg.get(i + 4..i + 2 + len)?;
        if marker == 0xE2 && body.starts_with(SIGNATURE) && body.len() > SIGNATURE.len() + 2 {
            chunks.push((body[SIGNATURE.len()], &body[SIGNATURE.len() + 2..]));
        }
        i += 2 + len;
    }
    if chunks.is_empty() {
        return None;
    }
    chunks.sort_by_key(|(seq, _)| *seq);
    Some(
        chunks
            .into_iter()
            .flat_map(|(_, data)| data.iter().copied())
            .collect(),
    )
}

/// `jpeg` with `profile` inserted as APP2 segments right after its SOI marker.
pub fn embed(jpeg: Vec<u8>, profile: &[u8]) -> Vec<u8> {
    let count = profile.len().div_ceil(CHUNK);
    if profile.is_empty() || count > 255 || !jpeg.starts_with(b"\xFF\xD8") {
        return jpeg;
    }
    let mut out = Vec::with_capacity(jpeg.len() + profile.len() + count * 18);
    out.extend_from_slice(&jpeg[..2]);
    for (index, chunk) in profile.chunks(CHUNK).enumerate() {
        out.extend_from_slice(&[0xFF, 0xE2]);
        out.extend_from_slice(&((2 + SIGNATURE.len() + 2 + chunk.len()) as u16).to_be_bytes());
        out.extend_from_slice(SIGNATURE);
        out.extend_from_slice(&[index as u8 + 1, count as u8]);
        out.extend_from_slice(chunk);
    }
    out.extend_from_slice(&jpeg[2..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::media::pixels::Rgb;

    #[test]
    fn profiles_round_trip_through_a_jpeg_even_across_several_segments() {
        let jpeg = Rgb::new(8, 8, vec![128; 8 * 8 * 3])
            .unwrap()
            .encode_jpeg(80)
            .unwrap();
        assert_eq!(from_jpeg(&jpeg), None);
        for len in [500, CHUNK, CHUNK + 1, 3 * CHUNK + 17] {
            let profile: Vec<u8> = (0..len).map(|i| (i % 253) as u8).collect();
            let tagged = embed(jpeg.clone(), &profile);
            assert_eq!(
                from_jpeg(&tagged).as_deref(),
                Some(&profile[..]),
                "{len} bytes"
            );
            assert!(
                image::load_from_memory(&tagged).is_ok(),
                "still a valid JPEG"
            );
        }
    }
}
