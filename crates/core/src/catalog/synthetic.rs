//! Synthetic catalog rows for the scale benchmark (feature `bench`): items with no object
//! behind them, so a 1,000,000-row catalog takes a minute to make, not a million imports.
//! The spread is a family library's: dates over 26 years, a few cameras, one video in 20,
//! one favourite in 50, a place (and its GPS position) for one in three, and an album of
//! 1,000.

use super::Catalog;
use crate::VaultError;
use rusqlite::params;

const CAMERAS: [(&str, &str); 6] = [
    ("Apple", "iPhone 13 Pro"),
    ("Canon", "Canon EOS 40D"),
    ("NIKON CORPORATION", "NIKON D750"),
    ("samsung", "SM-G991B"),
    ("FUJIFILM", "X-T3"),
    ("Google", "Pixel 7"),
];

/// City, region, country code, latitude, longitude: one item in 24 has each.
const PLACES: [(&str, &str, &str, f64, f64); 8] = [
    ("Lisbon", "Lisbon", "PT", 38.7223, -9.1393),
    ("Porto", "Porto", "PT", 41.1579, -8.6291),
    ("Paris", "Ile-de-France", "FR", 48.8566, 2.3522),
    ("Rome", "Lazio", "IT", 41.9028, 12.4964),
    ("Arezzo", "Tuscany", "IT", 43.4633, 11.8796),
    ("Sao Paulo", "Sao Paulo", "BR", -23.5505, -46.6333),
    ("New York City", "New York", "US", 40.7128, -74.0060),
    ("Kyoto", "Kyoto", "JP", 35.0116, 135.7681),
];

impl Catalog {
    /// Adds `count` synthetic items (ids, hashes and names distinct from each other and
    /// from any earlier call with another `first`), in one transaction.
    pub fn add_synthetic(&mut self, first: u64, count: u64) -> Result<(), VaultError> {
        let tx = self.conn.transaction()?;
        {
            let mut insert = tx.prepare(
                "INSERT INTO items (id, name, source_path, size, content_hash, media_type,
                    kind, taken_at, date_source, imported_at, camera_make, camera_model,
                    width, height, duration_ms, pipeline_version, favourite, place_city,
                    place_region, place_country_code, latitude, longitude)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, 'exif', '2026-11-27T10:00:00Z',
                    ?9, ?10, 4032, 3024, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18)",
            )?;
            let start = jiff::Timestamp::from_second(946_684_800).expect("2000-01-01");
            for n in first..first + count {
                // A cheap, well-spread permutation of n, for dates and cameras.
                let mix = n.wrapping_mul(0x9E37_79B9_7F4A_7C15).rotate_left(17);
                let taken =
                    start + jiff::SignedDuration::from_secs((mix % (26 * 365 * 86_400)) as i64);
                let (make, model) = CAMERAS[(mix >> 40) as usize % CAMERAS.len()];
                let video = n % 20 == 0;
                let place = PLACES.get((mix >> 24) as usize % (PLACES.len() * 3));
                let hash = blake3::hash(&n.to_le_bytes());
                insert.execute(params![
                    format!("{:032x}", u128::from(n) | (0xb0_u128 << 120)),
                    format!("IMG_{n:07}.{}", if video { "mov" } else { "jpg" }),
                    format!("/home/ana/Pictures/{}/IMG_{n:07}", n / 1000),
                    2_500_000 + (mix % 2_000_000) as i64,
                    &hash.as_bytes()[..],
                    if video {
                        "video/quicktime"
                    } else {
                        "image/jpeg"
                    },
                    if video { "video" } else { "photo" },
                    taken.strftime("%Y-%m-%dT%H:%M:%S").to_string(),
                    make,
                    model,
                    video.then_some(12_000 + (mix % 60_000) as i64),
                    crate::media::PIPELINE_VERSION,
                    n % 50 == 0,
                    place.map(|p| p.0),
                    place.map(|p| p.1),
                    place.map(|p| p.2),
                    place.map(|p| p.3),
                    place.map(|p| p.4),
                ])?;
            }
            tx.execute(
                "INSERT OR IGNORE INTO albums (name, created_at) VALUES ('Holidays', '2026-11-27')",
                [],
            )?;
            tx.execute(
                "INSERT OR IGNORE INTO album_items (album_id, item_id, added_at)
                 SELECT (SELECT id FROM albums WHERE name = 'Holidays'), id, '2026-11-27'
                 FROM items WHERE rowid % 1000 = 0",
                [],
            )?;
        }
        tx.commit()?;
        self.index_unindexed()
    }

    pub fn export_plain(&self, dest: &std::path::Path) -> Result<(), VaultError> {
        self.conn.execute(
            "ATTACH DATABASE ?1 AS plain KEY ''",
            [dest.to_string_lossy()],
        )?;
        self.conn
            .query_row("SELECT sqlcipher_export('plain')", [], |_| Ok(()))?;
        self.conn.execute_batch("DETACH DATABASE plain")?;
        Ok(())
    }
}
