//! Media type from content, never from the file name. Anything with a photo or video
//! signature is kept, even if no decoder can read it later: a vault must not refuse a
//! photo because a parser failed.
//!
//! Written here rather than taken from `infer`: we need the RAW signatures it lacks (ORF,
//! RW2, RAF, CR3) and the rule that any ISO-BMFF `ftyp` file is media, and a table of a
//! few dozen lines is easy to audit.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MediaKind {
    Photo,
    Raw,
    Video,
}

impl MediaKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Photo => "photo",
            Self::Raw => "raw",
            Self::Video => "video",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [Self::Photo, Self::Raw, Self::Video]
            .into_iter()
            .find(|k| k.as_str() == s)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MediaType {
    pub mime: &'static str,
    pub kind: MediaKind,
}

const fn media(mime: &'static str, kind: MediaKind) -> Option<MediaType> {
    Some(MediaType { mime, kind })
}

/// How many leading bytes `sniff` wants.
pub const SNIFF_LEN: usize = 32;

pub fn sniff(head: &[u8]) -> Option<MediaType> {
    use MediaKind::*;
    let at = |offset: usize, sig: &[u8]| head.get(offset..offset + sig.len()) == Some(sig);
    if at(0, b"\xFF\xD8\xFF") {
        return media("image/jpeg", Photo);
    }
    if at(0, b"\x89PNG\r\n\x1a\n") {
        return media("image/png", Photo);
    }
    if at(0, b"GIF87a") || at(0, b"GIF89a") {
        return media("image/gif", Photo);
    }
    if at(0, b"RIFF") && at(8, b"WEBP") {
        return media("image/webp", Photo);
    }
    if at(0, b"RIFF") && at(8, b"AVI ") {
        return media("video/x-msvideo", Video);
    }
    if at(0, b"BM") && at(6, b"\0\0\0\0") {
        return media("image/bmp", Photo);
    }
    if at(0, b"\xFF\x0A") || at(0, b"\0\0\0\x0CJXL \r\n\x87\n") {
        return media("image/jxl", Photo);
    }
    if at(0, b"FUJIFILMCCD-RAW") {
        return media("image/x-fuji-raf", Raw);
    }
    if at(0, b"IIRO") || at(0, b"IIRS") || at(0, b"MMOR") {
        return media("image/x-olympus-orf", Raw);
    }
    if at(0, b"IIU\0") {
        return media("image/x-panasonic-rw2", Raw);
    }
    if at(0, b"II*\0") || at(0, b"MM\0*") {
        // CR2 marks itself; DNG, NEF, ARW and other TIFF-based RAWs need a parse of the
        // IFDs to tell from a plain TIFF, which the media pipeline does.
        return if at(8, b"CR") {
            media("image/x-canon-cr2", Raw)
        } else {
            media("image/tiff", Photo)
        };
    }
    // ASF: Windows Media Video (WMV) from older phones and cameras.
    if at(0, b"\x30\x26\xB2\x75\x8E\x66\xCF\x11") {
        return media("video/x-ms-asf", Video);
    }
    if at(0, b"\x1A\x45\xDF\xA3") {
        return media("video/x-matroska", Video);
    }
    if at(4, b"ftyp") {
        return Some(iso_bmff(head.get(8..12).unwrap_or_default()));
    }
    // Classic QuickTime files may start with other atoms.
    if at(4, b"moov") || at(4, b"mdat") || at(4, b"wide") || at(4, b"free") {
        return media("video/quicktime", Video);
    }
    None
}

/// ISO base media files (`ftyp`): HEIF and AVIF images, CR3, or video.
fn iso_bmff(brand: &[u8]) -> MediaType {
    use MediaKind::*;
    let (mime, kind) = match brand {
        b"heic" | b"heix" | b"heim" | b"heis" => ("image/heic", Photo),
        b"hevc" | b"hevx" => ("image/heic-sequence", Photo),
        b"mif1" | b"msf1" => ("image/heif", Photo),
        b"avif" | b"avis" => ("image/avif", Photo),
        b"crx " => ("image/x-canon-cr3", Raw),
        b"qt  " => ("video/quicktime", Video),
        b"M4V " | b"M4VH" | b"M4VP" => ("video/x-m4v", Video),
        [b'3', b'g', ..] => ("video/3gpp", Video),
        _ => ("video/mp4", Video),
    };
    MediaType { mime, kind }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn sniff_file(path: &Path) -> Option<MediaType> {
        let bytes = std::fs::read(path).unwrap();
        sniff(&bytes[..bytes.len().min(SNIFF_LEN)])
    }

    #[test]
    fn every_sample_photo_and_video_is_recognised_by_content() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/testdata/photos");
        let expect = [
            ("exif-samples/jpg__Canon_40D.jpg", "image/jpeg"),
            (
                "exif-samples/heic__mobile__iphone_13_pro_max.HEIC",
                "image/heic",
            ),
            ("exif-samples/tiff__BSG1.tiff", "image/tiff"),
            ("formats/avif__Issue 649.avif", "image/avif"),
            ("formats/heic__cheers_1440x960.heic", "image/heif"),
            ("formats/webp__Photo (1).webp", "image/webp"),
            ("formats/png__Issue 62.png", "image/png"),
            ("formats/mov__with-gps.mov", "video/quicktime"),
            ("formats/mp4__with-gps.mp4", "video/mp4"),
            // Named .nef but a JPEG inside: content wins.
            ("formats/nef__Issue 247-1.nef", "image/jpeg"),
        ];
        for (file, mime) in expect {
            let got = sniff_file(&root.join(file)).map(|m| m.mime);
            assert_eq!(got, Some(mime), "{file}");
        }
        // ASF (WMV) has no sample file: its header GUID.
        let asf = b"\x30\x26\xB2\x75\x8E\x66\xCF\x11\xA6\xD9\x00\xAA\x00\x62\xCE\x6C";
        assert_eq!(sniff(asf).map(|m| m.mime), Some("video/x-ms-asf"));
    }

    #[test]
    fn documents_and_audio_are_not_media() {
        for head in [
            &b"%PDF-1.7\n"[..],
            b"RIFF\x24\0\0\0WAVEfmt ",
            b"hello world",
            b"",
            b"BM",
        ] {
            assert_eq!(sniff(head), None, "{head:?}");
        }
    }
}
