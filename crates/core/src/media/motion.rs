//! Motion Photos (docs/FORMAT.md, schema 14): a JPEG whose last bytes are a short MP4, as
//! its XMP says. Google's two ways of saying so are read: `GCamera:MotionPhoto` with a
//! `Container:Directory`, and the older `GCamera:MicroVideo` with its offset. The XMP is
//! searched as text with the prefixes every writer of the format uses, as the
//! specification's own examples do; a length is believed only where an MP4 starts.

/// The XMP packet's APP1 signature.
const XMP_SIGNATURE: &[u8] = b"http://ns.adobe.com/xap/1.0/\0";

/// How many bytes at the end of JPEG `bytes` are a Motion Photo's video, if any.
pub fn video_length(bytes: &[u8]) -> Option<u64> {
    let xmp = std::str::from_utf8(xmp_packet(bytes)?).ok()?;
    let length = if value(xmp, "GCamera:MotionPhoto").as_deref() == Some("1") {
        motion_item_length(xmp)?
    } else if value(xmp, "GCamera:MicroVideo").as_deref() == Some("1") {
        value(xmp, "GCamera:MicroVideoOffset")?.parse().ok()?
    } else {
        return None;
    };
    let start = bytes.len().checked_sub(usize::try_from(length).ok()?)?;
    // A JPEG before it (its SOI at least) and an MP4 (an `ftyp` box) at it.
    let starts_mp4 = bytes.get(start + 4..start + 8) == Some(b"ftyp");
    (start >= 2 && starts_mp4).then_some(length)
}

/// The XMP packet in a JPEG's APP1 segments, before its image data.
fn xmp_packet(bytes: &[u8]) -> Option<&[u8]> {
    if !bytes.starts_with(&[0xFF, 0xD8]) {
        return None;
    }
    let mut at = 2;
    loop {
        let marker = *bytes.get(at..at + 2)?.get(1)?;
        if bytes[at] != 0xFF || marker == 0xDA {
            return None;
        }
        let length = usize::from(u16::from_be_bytes(
            bytes.get(at + 2..at + 4)?.try_into().ok()?,
        ));
        let payload = bytes.get(at + 4..(at + 2).checked_add(length)?)?;
        if marker == 0xE1 && payload.starts_with(XMP_SIGNATURE) {
            return Some(&payload[XMP_SIGNATURE.len()..]);
        }
        at += 2 + length;
    }
}

/// A property's value, written as an attribute (`name="v"`) or an element
/// (`<name>v</name>`).
fn value(xmp: &str, name: &str) -> Option<String> {
    let attribute = format!("{name}=\"");
    if let Some(at) = xmp.find(&attribute) {
        let rest = &xmp[at + attribute.len()..];
        return Some(rest[..rest.find('"')?].trim().to_string());
    }
    let open = format!("<{name}>");
    let at = xmp.find(&open)? + open.len();
    let rest = &xmp[at..];
    Some(rest[..rest.find('<')?].trim().to_string())
}

/// `Item:Length` of the directory's item whose `Item:Semantic` is `MotionPhoto`.
fn motion_item_length(xmp: &str) -> Option<u64> {
    xmp.split("<rdf:li")
        .find(|item| value(item, "Item:Semantic").as_deref() == Some("MotionPhoto"))
        .and_then(|item| value(item, "Item:Length")?.parse().ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A JPEG with `xmp` in its APP1, a byte of image data, then `video`.
    fn motion_photo(xmp: &str, video: &[u8]) -> Vec<u8> {
        let payload = [XMP_SIGNATURE, xmp.as_bytes()].concat();
        let length = u16::try_from(payload.len() + 2).unwrap().to_be_bytes();
        [
            &[0xFF, 0xD8, 0xFF, 0xE1][..],
            &length,
            &payload,
            &[0xFF, 0xDA, 0x00, 0x02, 0x00, 0xFF, 0xD9],
            video,
        ]
        .concat()
    }

    const MP4: &[u8] = b"\0\0\0\x18ftypmp42\0\0\0\0mp42isommoov";

    #[test]
    fn both_ways_of_writing_it_are_read() {
        let n = MP4.len();
        let directory = format!(
            r#"<x:xmpmeta><rdf:RDF><rdf:Description GCamera:MotionPhoto="1">
            <Container:Directory><rdf:Seq>
            <rdf:li rdf:parseType="Resource"><Container:Item Item:Mime="image/jpeg" Item:Semantic="Primary" Item:Length="0" Item:Padding="0"/></rdf:li>
            <rdf:li rdf:parseType="Resource"><Container:Item Item:Mime="video/mp4" Item:Semantic="MotionPhoto" Item:Length="{n}"/></rdf:li>
            </rdf:Seq></Container:Directory></rdf:Description></rdf:RDF></x:xmpmeta>"#
        );
        assert_eq!(video_length(&motion_photo(&directory, MP4)), Some(n as u64));
        let micro = format!(
            "<rdf:Description><GCamera:MicroVideo>1</GCamera:MicroVideo>\
             <GCamera:MicroVideoOffset>{n}</GCamera:MicroVideoOffset></rdf:Description>"
        );
        assert_eq!(video_length(&motion_photo(&micro, MP4)), Some(n as u64));
    }

    #[test]
    fn a_claim_without_an_mp4_where_it_points_is_a_photo() {
        let says = |n: usize| format!(r#"GCamera:MicroVideo="1" GCamera:MicroVideoOffset="{n}""#);
        // Pointing into the JPEG, past the start of the file, or at no MP4.
        for xmp in [says(MP4.len() + 3), says(100_000), says(4)] {
            assert_eq!(video_length(&motion_photo(&xmp, MP4)), None, "{xmp}");
        }
        assert_eq!(
            video_length(&motion_photo(r#"GCamera:MicroVideo="0""#, MP4)),
            None
        );
        assert_eq!(video_length(MP4), None);
        assert_eq!(video_length(&[0xFF, 0xD8, 0xFF]), None);
    }
}
