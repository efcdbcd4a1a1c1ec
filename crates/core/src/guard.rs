//! Running parsers of untrusted files so that a bug in one costs a note on one photo, not
//! the import: panics inside `untrusted` are caught, and kept out of the user's terminal.

use std::cell::Cell;
use std::panic::{self, AssertUnwindSafe};

thread_local! {
    /// How many `untrusted` calls this thread is inside (they nest: EXIF within a decoder).
    static GUARDED: Cell<u32> = const { Cell::new(0) };
}

/// Runs `parse`, turning a panic into `Err`. The panic message is not printed when the
/// hook from `install_panic_hook` is in place.
pub fn untrusted<T>(parse: impl FnOnce() -> T) -> Result<T, String> {
    GUARDED.with(|g| g.set(g.get() + 1));
    let result = panic::catch_unwind(AssertUnwindSafe(parse));
    GUARDED.with(|g| g.set(g.get() - 1));
    result.map_err(|payload| {
        payload
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "unknown failure".into())
    })
}

/// For shells: silences panics that `untrusted` catches, and reports any other as one
/// line instead of a backtrace.
pub fn install_panic_hook() {
    panic::set_hook(Box::new(|info| {
        if GUARDED.with(Cell::get) > 0 {
            return;
        }
        let location = info
            .location()
            .map(|l| format!(" at {l}"))
            .unwrap_or_default();
        eprintln!(
            "error: internal error{location}; please report it. Your vault is unchanged by it."
        );
    }));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panicking_parser_becomes_an_error() {
        assert_eq!(untrusted(|| 7), Ok(7));
        let failed = untrusted(|| -> u8 { panic!("bad box size") });
        assert_eq!(failed, Err("bad box size".to_string()));
        // The flag is reset: later panics elsewhere are not silenced.
        assert_eq!(GUARDED.with(Cell::get), 0);
        let nested = untrusted(|| {
            let inner = untrusted(|| -> u8 { panic!("inner") });
            assert_eq!(
                GUARDED.with(Cell::get),
                1,
                "still guarded after the inner call"
            );
            inner
        });
        assert_eq!(nested, Ok(Err("inner".to_string())));
    }
}
