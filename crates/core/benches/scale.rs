//! A 1,000,000-row catalog: unlock, the library connection, timeline and list queries and
//! peak memory, beside the same queries in plain SQLite (no encryption, same rows, same
//! process) as the reference. Not a test: prints figures for docs/PERFORMANCE.md.
//!
//!   cargo bench -p keepsake-core --features bench --bench scale
//!   KEEPSAKE_SCALE_ROWS=100000 (default 1000000); the catalog is made once and kept in
//!   $KEEPSAKE_SCALE_DIR (default ~/.cache/keepsake/scale-ROWS-vN, N the synthetic rows' version).

use keepsake_core::bench_support::{add_synthetic_items, export_plain};
use keepsake_core::{EditText, KdfParams, LibraryFilter, MediaKind, Password, Vault};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

const RUNS: usize = 5;
const SCREENFUL: usize = 400;

fn password() -> Password {
    Password::new("scale benchmark password".into())
}

/// Makes the vault once: building it raises this process's peak memory, so the figures
/// come from a second run of this binary.
fn build(dir: &Path, rows: u64) {
    let fast = KdfParams {
        memory_kib: 8 * 1024,
        iterations: 1,
        parallelism: 1,
    };
    let (mut vault, _) = Vault::create(dir, &password(), Some(fast)).expect("create");
    let started = Instant::now();
    let batch = 100_000;
    for first in (0..rows).step_by(batch as usize) {
        add_synthetic_items(&mut vault, first, batch.min(rows - first)).expect("rows");
    }
    println!(
        "made {rows} rows in {:.1} s ({:.0} rows/s)",
        started.elapsed().as_secs_f64(),
        rows as f64 / started.elapsed().as_secs_f64()
    );
    export_plain(&vault, &dir.join("plain.db")).expect("plain copy");
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

/// The fastest and the median of RUNS runs, and what the last run returned.
fn time<T>(mut run: impl FnMut() -> T) -> (Duration, Duration, T) {
    let mut samples = Vec::new();
    let mut last = None;
    for _ in 0..RUNS {
        drop(last.take()); // an unlocked vault holds the vault's lock
        let started = Instant::now();
        last = Some(run());
        samples.push(started.elapsed());
    }
    samples.sort();
    (samples[0], samples[RUNS / 2], last.expect("runs"))
}

fn peak_rss_mb() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok())
        })
        .map_or(f64::NAN, |kb| kb / 1024.0)
}

fn row(label: &str, ours: (Duration, Duration, usize), plain: Option<(Duration, usize)>) {
    let reference = plain.map_or(String::new(), |(d, n)| {
        format!("   plain SQLite {:>8.1} ms ({n} rows)", ms(d))
    });
    println!(
        "  {label:<30} {:>8.1} ms (median {:>8.1}) {:>8} rows{reference}",
        ms(ours.0),
        ms(ours.1),
        ours.2
    );
}

fn measure(dir: &Path) {
    let (open_min, open_median, vault) = time(|| {
        Vault::open(dir)
            .expect("open")
            .unlock(&password())
            .expect("unlock")
    });
    let mut library = vault.library().expect("library");
    let rows = vault.info().expect("info").items;
    println!("{rows} items; Argon2id at 8 MiB so that the figures are the catalog's");
    println!(
        "  {:<30} {:>8.1} ms (median {:>8.1})",
        "unlock (open the catalog)",
        ms(open_min),
        ms(open_median)
    );

    let plain = rusqlite::Connection::open(dir.join("plain.db")).expect("plain");
    let plain_query = |sql: &str| {
        let (min, _, n) = time(|| {
            let mut stmt = plain.prepare_cached(sql).expect("prepare");
            let rows = stmt
                .query_map([], |r| {
                    Ok((
                        r.get::<_, String>(0)?,
                        r.get::<_, String>(1)?,
                        r.get::<_, Option<String>>(2)?,
                    ))
                })
                .expect("query");
            rows.count()
        });
        (min, n)
    };
    let columns = "SELECT id, name, taken_at, kind, duration_ms, favourite FROM items";
    // The SQL shapes the catalog uses, so the difference is SQLCipher's.
    let order = "ORDER BY taken_at DESC, name DESC, id DESC";

    let timeline = |filter: LibraryFilter| time(|| library.timeline(&filter).expect("q").len());
    let screenful = LibraryFilter {
        limit: Some(SCREENFUL),
        ..LibraryFilter::default()
    };
    row(
        "first screenful (400)",
        timeline(screenful.clone()),
        Some(plain_query(&format!(
            "{columns} WHERE +trashed_at IS NULL {order} LIMIT {SCREENFUL}"
        ))),
    );
    row(
        "whole timeline",
        timeline(LibraryFilter::default()),
        Some(plain_query(&format!(
            "{columns} WHERE +trashed_at IS NULL {order}"
        ))),
    );
    // Searches go through the full-text index, whose rowids run in timeline order; the
    // reference runs the same SQL (see catalog/search_index.rs).
    let search_sql = |words: &str, bounds: &str| {
        format!(
            "SELECT i.id, i.name, i.taken_at FROM search_words s CROSS JOIN items i \
             ON i.search_doc = s.rowid WHERE search_words MATCH '{words}' AND \
             +i.trashed_at IS NULL {bounds} ORDER BY s.rowid DESC LIMIT {SCREENFUL}"
        )
    };
    let search = |text: &str| {
        timeline(LibraryFilter {
            text: Some(text.into()),
            ..screenful.clone()
        })
    };
    row(
        "search \"canon\" (400)",
        search("canon"),
        Some(plain_query(&search_sql("\"canon\"*", ""))),
    );
    row(
        "search \"lisbon 2019\" (400)",
        search("lisbon 2019"),
        Some(plain_query(&search_sql("\"lisbon\"* \"2019\"*", ""))),
    );
    let one_name = format!("IMG_{:07}", rows / 2);
    row(
        &format!("search \"{one_name}\" (1)"),
        search(&one_name),
        Some(plain_query(&search_sql(&format!("\"{one_name}\"*"), ""))),
    );
    let (like, n) = plain_query(&format!(
        "{columns} WHERE +trashed_at IS NULL AND name LIKE '%{one_name}%' {order} \
         LIMIT {SCREENFUL}"
    ));
    println!(
        "  {:<30} {:>44}   plain SQLite {:>8.1} ms ({n} rows)",
        "  the same by LIKE, no index",
        "",
        ms(like)
    );
    row(
        "search \"nikon year:2015\" (400)",
        search("nikon year:2015"),
        None,
    );
    row(
        "suggest \"lis\"",
        time(|| library.suggest("lis").expect("suggest").len()),
        None,
    );
    row(
        "recent trips (2025)",
        time(|| {
            let end = jiff::civil::date(2025, 12, 31);
            library.recent_trips(end).expect("trips").len()
        }),
        None,
    );
    row(
        "storage at a glance",
        time(|| library.storage().expect("storage").years.len()),
        None,
    );
    row(
        "one month (2015-06)",
        timeline(LibraryFilter {
            from: Some("2015-06-01".into()),
            to: Some("2015-06-30".into()),
            ..LibraryFilter::default()
        }),
        Some(plain_query(&format!(
            "{columns} WHERE +trashed_at IS NULL AND taken_at >= '2015-06-01' AND taken_at \
             <= '2015-06-30T9' {order}"
        ))),
    );
    let album = library.albums().expect("albums")[0].id;
    row(
        "album (1 in 1,000)",
        timeline(LibraryFilter {
            album: Some(album),
            ..LibraryFilter::default()
        }),
        None,
    );
    row(
        "favourites",
        timeline(LibraryFilter {
            favourites: true,
            ..LibraryFilter::default()
        }),
        None,
    );
    row(
        "videos (400)",
        timeline(LibraryFilter {
            kind: Some(MediaKind::Video),
            ..screenful.clone()
        }),
        None,
    );
    let (min, median, _) = time(|| vault.info().expect("info").items as usize);
    row("totals (count, bytes)", (min, median, 1), None);

    // A camera's clock an hour off: 1,000 photos shifted, then the shift undone (each run
    // leaves the catalog as it found it). Plain SQLite moves the same dates and back.
    let newest = LibraryFilter {
        limit: Some(1000),
        ..LibraryFilter::default()
    };
    let ids: Vec<_> = library
        .timeline(&newest)
        .expect("q")
        .iter()
        .map(|e| e.id)
        .collect();
    let shift = EditText {
        shift: Some("+1h".into()),
        ..EditText::default()
    }
    .parse()
    .expect("a shift");
    let edited = time(|| {
        library.edit(&ids, &shift).expect("edit");
        library.undo_edits(&ids).expect("undo").edited.len()
    });
    let listed: Vec<String> = ids.iter().map(|id| format!("'{id}'")).collect();
    let plain_shift = time(|| {
        for change in ["+1 hour", "-1 hour"] {
            plain
                .execute(
                    &format!(
                        "UPDATE items SET taken_at = strftime('%Y-%m-%dT%H:%M:%S', taken_at, \
                         '{change}') WHERE id IN ({})",
                        listed.join(",")
                    ),
                    [],
                )
                .expect("update");
        }
        ids.len()
    });
    row(
        "shift 1,000 dates, then undo",
        edited,
        Some((plain_shift.0, plain_shift.2)),
    );
    println!("  peak memory (VmHWM)            {:>8.0} MB", peak_rss_mb());
}

/// Changes whenever the synthetic rows do, so that no older catalog is measured as if new
/// (2: places have GPS positions).
const SYNTHETIC_VERSION: u32 = 2;

fn main() {
    let rows: u64 = std::env::var("KEEPSAKE_SCALE_ROWS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000);
    let dir = std::env::var_os("KEEPSAKE_SCALE_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            let home = std::env::var_os("HOME").map_or_else(|| PathBuf::from("."), PathBuf::from);
            home.join(format!(".cache/keepsake/scale-{rows}-v{SYNTHETIC_VERSION}"))
        });
    if std::env::var_os("KEEPSAKE_SCALE_MEASURE").is_some() {
        measure(&dir);
        return;
    }
    if !dir.join("plain.db").exists() {
        let _ = std::fs::remove_dir_all(&dir);
        build(&dir, rows);
    }
    let status = std::process::Command::new(std::env::current_exe().expect("self"))
        .env("KEEPSAKE_SCALE_MEASURE", "1")
        .env("KEEPSAKE_SCALE_DIR", &dir)
        .status()
        .expect("measure");
    assert!(status.success());
}
