//! Sidecars that carry what Keepsake knows of a photo beside its exported original, for
//! other software to read: XMP (darktable, digiKam, exiftool) and Google
//! Takeout's JSON shape. The layout is docs/FORMAT.md, section 12.

use crate::Place;
use serde_json::json;

/// Which sidecar `export` writes beside each file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SidecarFormat {
    Xmp,
    Json,
}

impl SidecarFormat {
    pub fn extension(self) -> &'static str {
        match self {
            Self::Xmp => "xmp",
            Self::Json => "json",
        }
    }
}

/// What a sidecar says about one item.
#[derive(Debug, Clone, Default)]
pub struct SidecarFacts<'a> {
    pub name: &'a str,
    pub taken_at: Option<&'a str>,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    pub altitude: Option<f64>,
    pub place: Option<&'a Place>,
    pub favourite: bool,
    pub albums: Vec<&'a str>,
    pub caption: Option<&'a str>,
    /// The file's own EXIF orientation (1-8) and the user's turn (degrees clockwise).
    pub orientation: Option<u16>,
    pub rotation: u16,
}

impl SidecarFacts<'_> {
    pub fn render(&self, format: SidecarFormat) -> String {
        match format {
            SidecarFormat::Xmp => self.xmp(),
            SidecarFormat::Json => self.takeout_json(),
        }
    }

    fn position(&self) -> Option<(f64, f64)> {
        Some((self.latitude?, self.longitude?))
    }

    fn xmp(&self) -> String {
        let mut attributes: Vec<(&str, String)> = Vec::new();
        if let Some(taken) = self.taken_at {
            attributes.push(("exif:DateTimeOriginal", taken.to_string()));
            attributes.push(("photoshop:DateCreated", taken.to_string()));
        }
        if let Some((lat, lon)) = self.position() {
            attributes.push(("exif:GPSLatitude", xmp_coordinate(lat, ['N', 'S'])));
            attributes.push(("exif:GPSLongitude", xmp_coordinate(lon, ['E', 'W'])));
            if let Some(alt) = self.altitude.filter(|a| a.is_finite()) {
                let centimetres = (alt.abs() * 100.0).round() as u64;
                attributes.push(("exif:GPSAltitude", format!("{centimetres}/100")));
                attributes.push(("exif:GPSAltitudeRef", u8::from(alt < 0.0).to_string()));
            }
        }
        if let Some(place) = self.place {
            attributes.push(("photoshop:City", place.city.clone()));
            if let Some(region) = &place.region {
                attributes.push(("photoshop:State", region.clone()));
            }
            if let Some(country) = &place.country {
                attributes.push(("photoshop:Country", country.clone()));
            }
            attributes.push(("Iptc4xmpCore:CountryCode", place.country_code.clone()));
        }
        if self.favourite {
            attributes.push(("xmp:Rating", "5".into()));
        }
        if self.rotation != 0 {
            let turned = turn_orientation(self.orientation.unwrap_or(1), self.rotation);
            attributes.push(("tiff:Orientation", turned.to_string()));
        }
        let mut xml = String::from(
            "<?xpacket begin=\"\u{feff}\" id=\"W5M0MpCehiHzreSzNTczkc9d\"?>\n\
             <x:xmpmeta xmlns:x=\"adobe:ns:meta/\" x:xmptk=\"Keepsake\">\n\
             \x20<rdf:RDF xmlns:rdf=\"http://www.w3.org/1999/02/22-rdf-syntax-ns#\">\n\
             \x20 <rdf:Description rdf:about=\"\"\n\
             \x20   xmlns:exif=\"http://ns.adobe.com/exif/1.0/\"\n\
             \x20   xmlns:xmp=\"http://ns.adobe.com/xap/1.0/\"\n\
             \x20   xmlns:photoshop=\"http://ns.adobe.com/photoshop/1.0/\"\n\
             \x20   xmlns:Iptc4xmpCore=\"http://iptc.org/std/Iptc4xmpCore/1.0/xmlns/\"\n\
             \x20   xmlns:dc=\"http://purl.org/dc/elements/1.1/\"\n\
             \x20   xmlns:lr=\"http://ns.adobe.com/lightroom/1.0/\"\n\
             \x20   xmlns:tiff=\"http://ns.adobe.com/tiff/1.0/\"",
        );
        for (name, value) in &attributes {
            xml += &format!("\n    {name}=\"{}\"", escape(value));
        }
        xml += ">\n";
        if let Some(caption) = self.caption {
            xml += &format!(
                "   <dc:description>\n    <rdf:Alt>\n     <rdf:li xml:lang=\"x-default\">{}</rdf:li>\n    </rdf:Alt>\n   </dc:description>\n",
                escape(caption)
            );
        }
        if !self.albums.is_empty() {
            let bag = |values: Vec<String>| {
                values
                    .iter()
                    .map(|v| format!("     <rdf:li>{}</rdf:li>\n", escape(v)))
                    .collect::<String>()
            };
            let names = self.albums.iter().map(|a| a.to_string()).collect();
            let paths = self
                .albums
                .iter()
                .map(|a| format!("Albums|{}", a.replace('|', "/")))
                .collect();
            xml += &format!(
                "   <dc:subject>\n    <rdf:Bag>\n{}    </rdf:Bag>\n   </dc:subject>\n",
                bag(names)
            );
            xml += &format!(
                "   <lr:hierarchicalSubject>\n    <rdf:Bag>\n{}    </rdf:Bag>\n   </lr:hierarchicalSubject>\n",
                bag(paths)
            );
        }
        xml + "  </rdf:Description>\n </rdf:RDF>\n</x:xmpmeta>\n<?xpacket end=\"w\"?>\n"
    }

    fn takeout_json(&self) -> String {
        let mut record = json!({
            "title": self.name,
            "description": self.caption.unwrap_or_default(),
            "favorited": self.favourite,
            "keepsake": {
                "takenAt": self.taken_at,
                "albums": self.albums,
                "place": self.place,
            },
        });
        if let Some(taken) = self.taken_at
            && let Some(seconds) = unix_seconds(taken)
        {
            record["photoTakenTime"] = json!({
                "timestamp": seconds.to_string(),
                "formatted": taken,
            });
        }
        if let Some((lat, lon)) = self.position() {
            record["geoData"] = json!({
                "latitude": lat,
                "longitude": lon,
                "altitude": self.altitude.unwrap_or(0.0),
            });
        }
        serde_json::to_string_pretty(&record).expect("a JSON value serialises") + "\n"
    }
}

/// The EXIF orientation of a picture shown by `orientation` and then turned clockwise by
/// `degrees`. Each orientation is a mirror (or none) followed by a clockwise turn, as
/// exiftool names them: 2 mirror, 4 mirror + 180, 5 mirror + 270, 7 mirror + 90.
fn turn_orientation(orientation: u16, degrees: u16) -> u16 {
    const PLAIN: [u16; 4] = [1, 6, 3, 8];
    const MIRRORED: [u16; 4] = [2, 7, 4, 5];
    let (table, quarter) = match orientation {
        o if MIRRORED.contains(&o) => (MIRRORED, MIRRORED.iter().position(|&x| x == o)),
        o => (PLAIN, PLAIN.iter().position(|&x| x == o).or(Some(0))),
    };
    let quarter = quarter.unwrap_or(0) + usize::from(degrees / 90);
    table[quarter % 4]
}

/// `D,M.mmmmmmR`: XMP's form of a GPS coordinate (degrees, decimal minutes, reference).
fn xmp_coordinate(value: f64, [positive, negative]: [char; 2]) -> String {
    let reference = if value < 0.0 { negative } else { positive };
    let value = value.abs();
    let degrees = value.trunc();
    let minutes = (value - degrees) * 60.0;
    format!("{degrees:.0},{minutes:.6}{reference}")
}

/// Seconds since 1970 UTC for a stored date: exact with an offset, else read as UTC.
fn unix_seconds(taken_at: &str) -> Option<i64> {
    if let Ok(t) = taken_at.parse::<jiff::Timestamp>() {
        return Some(t.as_second());
    }
    let civil = taken_at.get(..19)?.parse::<jiff::civil::DateTime>().ok()?;
    Some(
        jiff::tz::TimeZone::UTC
            .to_timestamp(civil)
            .ok()?
            .as_second(),
    )
}

fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            // XML 1.0 has no way to carry other control characters.
            c if c.is_control() && !matches!(c, '\t' | '\n' | '\r') => out.push('\u{fffd}'),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_turn_adds_to_the_files_orientation() {
        assert_eq!(turn_orientation(1, 90), 6);
        assert_eq!(turn_orientation(6, 90), 3);
        assert_eq!(turn_orientation(8, 90), 1);
        assert_eq!(turn_orientation(3, 270), 6);
        assert_eq!(turn_orientation(2, 90), 7);
        assert_eq!(turn_orientation(5, 90), 2);
    }

    #[test]
    fn coordinates_are_degrees_and_decimal_minutes() {
        assert_eq!(xmp_coordinate(43.4675, ['N', 'S']), "43,28.050000N");
        assert_eq!(xmp_coordinate(-33.8688, ['N', 'S']), "33,52.128000S");
        assert_eq!(xmp_coordinate(-9.5, ['E', 'W']), "9,30.000000W");
    }

    #[test]
    fn a_takeout_timestamp_is_exact_with_an_offset_and_utc_without() {
        assert_eq!(
            unix_seconds("2008-10-22T16:29:49+02:00"),
            Some(1_224_685_789)
        );
        assert_eq!(unix_seconds("2008-10-22T16:29:49"), Some(1_224_692_989));
        assert_eq!(unix_seconds("not a date"), None);
    }

    #[test]
    fn names_cannot_break_the_xml() {
        let facts = SidecarFacts {
            name: "a.jpg",
            albums: vec!["Tom & Jerry <3 \"x\""],
            ..Default::default()
        };
        let xml = facts.render(SidecarFormat::Xmp);
        assert!(
            xml.contains("<rdf:li>Tom &amp; Jerry &lt;3 &quot;x&quot;</rdf:li>"),
            "{xml}"
        );
        assert!(
            !xml.contains("DateTimeOriginal"),
            "nothing unknown is written: {xml}"
        );
    }
}
