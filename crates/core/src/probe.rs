//! Phase markers for the crash suites. With `KEEPSAKE_TEST_PHASES` naming a file, each
//! critical step appends its name there (one `write` per line, so a SIGKILL leaves whole
//! lines), and the suites read where each kill landed. `KEEPSAKE_TEST_PAUSE=PHASE:MS`
//! sleeps after one phase, widening a window of microseconds (a header between write and
//! rename) enough for random kills to land inside it. Unset, a phase costs one look-up.

use std::fs::File;
use std::io::Write;
use std::sync::{Mutex, OnceLock};
use std::time::Duration;

struct Probe {
    log: Option<Mutex<File>>,
    pause: Option<(String, Duration)>,
}

fn probe() -> &'static Probe {
    static PROBE: OnceLock<Probe> = OnceLock::new();
    PROBE.get_or_init(|| Probe {
        log: std::env::var_os("KEEPSAKE_TEST_PHASES").and_then(|path| {
            let file = File::options().create(true).append(true).open(path);
            file.ok().map(Mutex::new)
        }),
        pause: std::env::var("KEEPSAKE_TEST_PAUSE").ok().and_then(|spec| {
            let (phase, ms) = spec.rsplit_once(':')?;
            Some((phase.to_string(), Duration::from_millis(ms.parse().ok()?)))
        }),
    })
}

/// Marks that the step `name` has just completed.
pub(crate) fn phase(name: &str) {
    let probe = probe();
    if let Some(log) = &probe.log {
        let mut file = log.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let _ = file.write_all(format!("{name}\n").as_bytes());
    }
    if let Some((phase, pause)) = &probe.pause
        && phase == name
    {
        std::thread::sleep(*pause);
    }
}
