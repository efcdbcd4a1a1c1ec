//! Standard output that can fail: a closed pipe (`keepsake ls | head -1`) or a full disk
//! (`keepsake ls > /dev/full`) ends the command with a clear exit, never a panic.

use crate::Failure;
use std::io::{self, Write};

/// Prints a line; a failed write becomes the command's failure (through `?`).
#[macro_export]
macro_rules! out {
    () => {
        $crate::output::write_line(format_args!(""))?
    };
    ($($arg:tt)*) => {
        $crate::output::write_line(format_args!($($arg)*))?
    };
}

pub fn write_line(line: std::fmt::Arguments) -> Result<(), Failure> {
    let mut stdout = io::stdout().lock();
    writeln!(stdout, "{line}").map_err(Failure::Output)
}

/// Prints a JSON value, pretty.
pub fn json(value: &serde_json::Value) -> Result<(), Failure> {
    let text = serde_json::to_string_pretty(value).unwrap_or_default();
    write_line(format_args!("{text}"))
}
