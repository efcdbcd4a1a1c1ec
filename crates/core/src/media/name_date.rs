//! The date (and time) phones, cameras and apps write into file names, for photos whose
//! own metadata has none (screenshots, messaging apps, files out of an export): the next
//! best thing before the file's time, which is often just when it was copied.
//!
//! Recognised anywhere in the name: `YYYYMMDD` or `YYYY-MM-DD` (also `_` or `.` between),
//! then optionally a time: `HHMMSS` (Android `IMG_20190714_180211`, Pixel
//! `PXL_20210506_123456789`), or `HH-MM-SS`, `HH.MM.SS`, `HH:MM:SS`
//! (`Screenshot_2019-07-14-18-02-11`, macOS `Screenshot 2019-07-14 at 18.02.11`). A date
//! alone (WhatsApp `IMG-20190714-WA0003`) gives that day at midnight.

/// The first date in `name` that is a real calendar date from 1970 to 2100, as ISO 8601
/// without an offset (names carry none).
pub fn date_in_name(name: &str) -> Option<String> {
    // The extension, if there is one: ".jpg", not the ".11" of "at 18.02.11".
    let stem = match name.rsplit_once('.') {
        Some((stem, ext))
            if (1..=5).contains(&ext.len())
                && ext.bytes().all(|b| b.is_ascii_alphanumeric())
                && ext.bytes().any(|b| b.is_ascii_alphabetic()) =>
        {
            stem
        }
        _ => name,
    }
    .as_bytes();
    (0..stem.len())
        .filter(|&at| at == 0 || !stem[at - 1].is_ascii_digit())
        .find_map(|at| stamp_at(&stem[at..]))
}

fn stamp_at(s: &[u8]) -> Option<String> {
    let (date, used) = date_at(s)?;
    let (h, m, sec) = time_at(&s[used..]).unwrap_or((0, 0, 0));
    Some(format!("{date}T{h:02}:{m:02}:{sec:02}"))
}

/// `n` digits at the start of `s`, as a number.
fn number(s: &[u8], n: usize) -> Option<i16> {
    let digits = s.get(..n)?;
    digits
        .iter()
        .all(u8::is_ascii_digit)
        .then(|| std::str::from_utf8(digits).ok()?.parse().ok())?
}

fn digit_at(s: &[u8], at: usize) -> bool {
    s.get(at).is_some_and(u8::is_ascii_digit)
}

/// A date at the start of `s`, and how many bytes it took.
fn date_at(s: &[u8]) -> Option<(jiff::civil::Date, usize)> {
    let (y, m, d, used) = match s.get(4) {
        Some(sep @ (b'-' | b'_' | b'.')) if s.get(7) == Some(sep) => {
            (number(s, 4)?, number(&s[5..], 2)?, number(&s[8..], 2)?, 10)
        }
        _ => (number(s, 4)?, number(&s[4..], 2)?, number(&s[6..], 2)?, 8),
    };
    if digit_at(s, used) || !(1970..=2100).contains(&y) {
        return None;
    }
    let date = jiff::civil::Date::new(y, m as i8, d as i8).ok()?;
    Some((date, used))
}

/// A time just after a date: after `_`, `-`, `T`, a space or " at "; in 12-hour form
/// when AM or PM follows (macOS: "at 11.02.11 PM").
fn time_at(s: &[u8]) -> Option<(i16, i16, i16)> {
    let s = s
        .strip_prefix(b" at ")
        .or_else(|| s.strip_prefix(b"_"))
        .or_else(|| s.strip_prefix(b"-"))
        .or_else(|| s.strip_prefix(b"T"))
        .or_else(|| s.strip_prefix(b" "))?;
    let (h, m, sec, used) = match s.get(2) {
        Some(sep @ (b'-' | b'.' | b':' | b'_' | b' ')) if s.get(5) == Some(sep) => {
            if digit_at(s, 8) {
                return None;
            }
            (number(s, 2)?, number(&s[3..], 2)?, number(&s[6..], 2)?, 8)
        }
        // Fractions of a second may follow (Pixel: HHMMSSmmm).
        _ => (number(s, 2)?, number(&s[2..], 2)?, number(&s[4..], 2)?, 6),
    };
    let h = match meridiem(&s[used..]) {
        Some(_) if !(1..=12).contains(&h) => return None,
        Some(pm) => h % 12 + if pm { 12 } else { 0 },
        None => h,
    };
    (h < 24 && m < 60 && sec < 60).then_some((h, m, sec))
}

/// Some(true) for PM, Some(false) for AM, after spaces (macOS writes a narrow no-break
/// space, U+202F, before them).
fn meridiem(s: &[u8]) -> Option<bool> {
    let mut s = s;
    loop {
        s = match s {
            [b' ', rest @ ..] => rest,
            [0xE2, 0x80, 0xAF, rest @ ..] => rest,
            _ => break,
        };
    }
    match s.get(..2)?.to_ascii_uppercase().as_slice() {
        b"PM" => Some(true),
        b"AM" => Some(false),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::date_in_name;

    #[test]
    fn phone_camera_and_app_names_give_their_date() {
        let cases = [
            ("IMG_20190714_180211.jpg", Some("2019-07-14T18:02:11")),
            ("VID_20190714_180211.mp4", Some("2019-07-14T18:02:11")),
            ("PXL_20210506_123456789.jpg", Some("2021-05-06T12:34:56")),
            ("20190714_180211.jpg", Some("2019-07-14T18:02:11")),
            (
                "Screenshot_2019-07-14-18-02-11.png",
                Some("2019-07-14T18:02:11"),
            ),
            (
                "Screenshot 2019-07-14 at 18.02.11.png",
                Some("2019-07-14T18:02:11"),
            ),
            (
                "Screenshot_20190714-180211_Chrome.jpg",
                Some("2019-07-14T18:02:11"),
            ),
            ("IMG-20190714-WA0003.jpg", Some("2019-07-14T00:00:00")),
            ("holiday 2019-07-14.jpg", Some("2019-07-14T00:00:00")),
            (
                "Screenshot 2019-07-14 at 11.02.11 PM.png",
                Some("2019-07-14T23:02:11"),
            ),
            (
                "Screenshot 2019-07-14 at 12.02.11\u{202f}AM.png",
                Some("2019-07-14T00:02:11"),
            ),
            (
                "Screenshot 2019-07-14 at 12.02.11 PM.png",
                Some("2019-07-14T12:02:11"),
            ),
            // No extension: the seconds are not one.
            (
                "Screenshot 2019-07-14 at 18.02.11",
                Some("2019-07-14T18:02:11"),
            ),
        ];
        for (name, expected) in cases {
            assert_eq!(date_in_name(name).as_deref(), expected, "{name}");
        }
    }

    #[test]
    fn numbers_that_are_not_dates_give_none() {
        for name in [
            "DSCN0010.jpg",
            "IMG_1234.JPG",
            "12345678.jpg",
            "20191314_101010.jpg",
            "20190230.jpg",
            "18991231.jpg",
            "IMG_201907141.jpg",
            "photo.jpg",
            "",
        ] {
            assert_eq!(date_in_name(name), None, "{name}");
        }
        // Any mix of digits and separators, of any length: an answer or none, never a panic.
        let alphabet = b"0123456789-_. :Tat";
        let mut state = 0x2545_F491_4F6C_DD1Du64;
        for _ in 0..20_000 {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let len = (state % 24) as usize;
            let name: String = (0..len)
                .map(|i| alphabet[((state >> (i % 8 * 8)) as usize + i) % alphabet.len()] as char)
                .collect();
            let _ = date_in_name(&name);
        }
        // A date with a time that cannot be: the day alone.
        assert_eq!(
            date_in_name("IMG_20190714_256100.jpg").as_deref(),
            Some("2019-07-14T00:00:00")
        );
    }
}
